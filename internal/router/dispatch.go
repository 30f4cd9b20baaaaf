package router

import (
	"errors"
	"fmt"
	"slices"
	"time"
)

// Each event method changes the state, then dispatches: while some waiting
// conversation has a candidate, the first such in queue order goes to its
// best candidate. The ready heap holds exactly the queues whose first
// conversation can be served, so one round is O(log n) and the loop stops as
// soon as nothing more can be assigned. at is the event's time: it becomes
// the arrival time of an arriving conversation and the "last assigned at" of
// every agent given a conversation.

// AgentAvailable marks the agent online and ready for conversations.
func (r *Router) AgentAvailable(at time.Time, agentID string) ([]Outcome, error) {
	return r.AgentsAvailable(at, []string{agentID})
}

// AgentsAvailable marks several agents available at the same moment and
// dispatches once, so that none of them is served first merely because it
// was named first (the live dispatcher learns presence in batches).
func (r *Router) AgentsAvailable(at time.Time, agentIDs []string) ([]Outcome, error) {
	agents := make([]*agent, 0, len(agentIDs))
	for _, id := range agentIDs {
		a, err := r.agent(id)
		if err != nil {
			return nil, err
		}
		agents = append(agents, a)
	}
	for _, a := range agents {
		a.status = available
		r.update(a)
	}
	return r.done(at), nil
}

// AgentAway stops giving the agent new conversations; it keeps its own.
func (r *Router) AgentAway(at time.Time, agentID string) ([]Outcome, error) {
	a, err := r.agent(agentID)
	if err != nil {
		return nil, err
	}
	a.status = away
	r.update(a)
	return r.done(at), nil
}

// AgentOffline is as AgentAway; with RequeueOnOffline the agent's open
// conversations also go back to the queue, in queue order, keeping their
// arrival times, before anything is assigned again.
func (r *Router) AgentOffline(at time.Time, agentID string) ([]Outcome, error) {
	a, err := r.agent(agentID)
	if err != nil {
		return nil, err
	}
	a.status = offline
	r.update(a)
	if r.requeue && len(a.held) > 0 {
		// The order held is the order of assignment, with holes filled
		// from the end; the spec wants the requeued lines in queue order.
		held := slices.Clone(a.held)
		slices.SortFunc(held, compareQueue)
		for _, c := range held {
			r.release(c)
			r.enqueue(c)
			r.out = append(r.out, Outcome{At: at, Kind: Requeued, Conversation: c.id, From: a.id})
		}
	}
	return r.done(at), nil
}

// SetCapacity changes the most conversations the agent may hold. Lowering it
// below the agent's load takes nothing away: it only stops new ones.
func (r *Router) SetCapacity(at time.Time, agentID string, capacity int) ([]Outcome, error) {
	a, err := r.agent(agentID)
	if err != nil {
		return nil, err
	}
	if capacity < 0 {
		return nil, fmt.Errorf("%w: %d", ErrNegativeCapacity, capacity)
	}
	a.capacity = capacity
	r.update(a)
	return r.done(at), nil
}

// Arrive puts a new conversation on the number in the queue at time at, with
// its contact's priority, and assigns it at once if it has a candidate.
func (r *Router) Arrive(at time.Time, conversationID, numberID string, contactPriority int) ([]Outcome, error) {
	return r.ArriveSince(at, at, conversationID, numberID, contactPriority)
}

// ArriveSince is Arrive for a conversation that entered the queue at arrived,
// before the router heard of it at at (the live dispatcher learns of an
// arrival a few milliseconds after it was stored, or after a restart).
func (r *Router) ArriveSince(at, arrived time.Time, conversationID, numberID string, contactPriority int) ([]Outcome, error) {
	return r.ArriveFor(at, arrived, conversationID, numberID, "", contactPriority)
}

// ArriveFor is ArriveSince for a conversation that asked for one skillset
// (a bot's hand-off): only that skillset's members are candidates, as after
// a transfer to it. An empty skillsetID means the number's skillsets.
func (r *Router) ArriveFor(at, arrived time.Time, conversationID, numberID, skillsetID string, contactPriority int) ([]Outcome, error) {
	if conversationID == "" {
		return nil, errors.New("a conversation needs an id")
	}
	if r.convs.get(conversationID) != nil {
		return nil, fmt.Errorf("%w: %q", ErrDuplicate, conversationID)
	}
	n := r.numbers[numberID]
	if n == nil {
		return nil, fmt.Errorf("%w %q", ErrUnknownNumber, numberID)
	}
	target := n.group
	if skillsetID != "" {
		s := r.skillsets[skillsetID]
		if s == nil {
			return nil, fmt.Errorf("%w %q", ErrUnknownSkillset, skillsetID)
		}
		target = s.group
	}
	c := r.newConversation()
	*c = conversation{id: conversationID, number: n, priority: contactPriority, arrival: arrived, target: target, idx: -1}
	r.convs.put(c)
	r.enqueue(c)
	r.dispatch(at)
	if c.agent == nil {
		r.out = append(r.out, Outcome{At: at, Kind: Queued, Conversation: c.id})
	}
	return r.done(at), nil
}

// Close ends a conversation, waiting or held; a held one frees capacity.
func (r *Router) Close(at time.Time, conversationID string) ([]Outcome, error) {
	c, err := r.conversation(conversationID)
	if err != nil {
		return nil, err
	}
	r.convs.del(c)
	if c.agent != nil {
		r.release(c)
	} else {
		r.dequeue(c)
	}
	r.forget(c)
	return r.done(at), nil
}

// TransferToSkillset puts the conversation back in the queue, keeping its
// arrival time, restricted to the skillset's members.
func (r *Router) TransferToSkillset(at time.Time, conversationID, skillsetID string) ([]Outcome, error) {
	c, err := r.conversation(conversationID)
	if err != nil {
		return nil, err
	}
	s := r.skillsets[skillsetID]
	if s == nil {
		return nil, fmt.Errorf("%w %q", ErrUnknownSkillset, skillsetID)
	}
	from := r.unhook(c)
	c.target = s.group
	r.enqueue(c)
	r.out = append(r.out, Outcome{At: at, Kind: Requeued, Conversation: c.id, From: from})
	return r.done(at), nil
}

// TransferToAgent gives the conversation to the agent directly, even past its
// capacity or while it is away (someone chose that agent), but not to an
// offline agent, who could not take it.
func (r *Router) TransferToAgent(at time.Time, conversationID, agentID string) ([]Outcome, error) {
	c, err := r.conversation(conversationID)
	if err != nil {
		return nil, err
	}
	a, err := r.agent(agentID)
	if err != nil {
		return nil, err
	}
	if a.status == offline {
		return nil, fmt.Errorf("%w: %q", ErrAgentOffline, agentID)
	}
	from := r.unhook(c)
	r.assign(c, a, at)
	r.out = append(r.out, Outcome{At: at, Kind: Transferred, Conversation: c.id, Agent: a.id, From: from})
	return r.done(at), nil
}

func (r *Router) agent(id string) (*agent, error) {
	if a := r.agents[id]; a != nil {
		return a, nil
	}
	return nil, fmt.Errorf("%w %q", ErrUnknownAgent, id)
}

func (r *Router) conversation(id string) (*conversation, error) {
	if c := r.convs.get(id); c != nil {
		return c, nil
	}
	return nil, fmt.Errorf("%w %q", ErrUnknownConversation, id)
}

// unhook takes a conversation from its holder or out of its queue, and
// returns the holder's id ("" if it was waiting).
func (r *Router) unhook(c *conversation) string {
	if a := c.agent; a != nil {
		r.release(c)
		return a.id
	}
	r.dequeue(c)
	return ""
}

func (r *Router) assign(c *conversation, a *agent, at time.Time) {
	a.hold(c)
	a.last = at
	r.update(a)
}

func (r *Router) release(c *conversation) {
	a := c.agent
	a.drop(c)
	r.update(a)
}

// done dispatches and hands over what the event produced.
func (r *Router) done(at time.Time) []Outcome {
	r.dispatch(at)
	out := r.out
	r.out = nil
	return out
}

func (r *Router) dispatch(at time.Time) {
	for r.ready.len() > 0 {
		g := r.ready.top()
		c := g.queue.top()
		// One allocation for the explanation and the next conversation it
		// points to, which is nearly always there. The runner-up, missing
		// whenever one agent alone is free, gets its own.
		e := &struct {
			d    Decision
			next Waiting
		}{d: Decision{Number: c.number.id, Conversation: c.waiting()}}
		d := &e.d
		if g.skillset != nil {
			d.Skillset = g.skillset.id
		}
		if n := r.next(); n != nil {
			e.next = n.waiting()
			d.Next, d.QueueStep = &e.next, queueStep(d.Conversation, e.next)
		}
		best, runner := g.choose()
		d.Chosen = best.candidate()
		if runner.m != nil {
			rc := runner.candidate()
			d.RunnerUp, d.Step = &rc, agentStep(best, runner)
		}
		r.dequeue(c)
		r.assign(c, best.m.agent, at)
		r.out = append(r.out, Outcome{At: at, Kind: Assigned, Conversation: c.id, Agent: c.agent.id, Decision: d})
	}
}
