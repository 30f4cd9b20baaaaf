package router

import (
	"cmp"
	"slices"
	"strings"
	"time"
)

// naive is the rule written straight from routing.md's words, with no care
// for speed: every dispatch round sorts all waiting conversations and, for
// each in queue order, scans every agent to find its candidates. It shares no
// code with the Router beyond the output types, so that the randomized test
// comparing the two checks the fast structures against the words.
type naive struct {
	numbers  map[string][]Link         // number → its skillset links
	memberOf map[string]map[string]int // agent → skillset → agent priority
	agents   []*nAgent                 // in configuration order
	byID     map[string]*nAgent
	convs    map[string]*nConv // open conversations
	requeue  bool
	out      []Outcome
}

type nAgent struct {
	id       string
	capacity int
	load     int
	last     time.Time
	status   status
}

type nConv struct {
	id, number string
	priority   int
	arrival    time.Time
	skillset   string // set by a transfer to a skillset: only its members qualify
	agent      string // "" while waiting
}

func newNaive(cfg Config) *naive {
	n := &naive{numbers: map[string][]Link{}, memberOf: map[string]map[string]int{}, byID: map[string]*nAgent{},
		convs: map[string]*nConv{}, requeue: cfg.RequeueOnOffline}
	for _, num := range cfg.Numbers {
		n.numbers[num.ID] = num.Skillsets
	}
	for _, a := range cfg.Agents {
		na := &nAgent{id: a.ID, capacity: a.Capacity, last: a.LastAssignedAt}
		n.agents = append(n.agents, na)
		n.byID[a.ID] = na
		n.memberOf[a.ID] = map[string]int{}
	}
	for _, s := range cfg.Skillsets {
		for _, m := range s.Members {
			n.memberOf[m.Agent][s.ID] = m.Priority
		}
	}
	return n
}

// queueOrder: contact priority larger first, arrival older first, id.
func queueOrder(a, b *nConv) int {
	if a.priority != b.priority {
		return cmp.Compare(b.priority, a.priority)
	}
	if c := a.arrival.Compare(b.arrival); c != 0 {
		return c
	}
	return strings.Compare(a.id, b.id)
}

// candidates are the agents that may take c, best first, each through its
// best skillset on c's number.
func (n *naive) candidates(c *nConv) []Candidate {
	var cs []Candidate
	for _, a := range n.agents {
		// A candidate is available, below capacity, and in a skillset linked to the number.
		if a.status != available || a.load >= a.capacity {
			continue
		}
		var best *Candidate
		if c.skillset != "" {
			if p, ok := n.memberOf[a.id][c.skillset]; ok {
				best = &Candidate{Agent: a.id, Skillset: c.skillset, AgentPriority: p}
			}
		} else {
			for _, l := range n.numbers[c.number] {
				p, ok := n.memberOf[a.id][l.Skillset]
				if !ok {
					continue
				}
				// Its best skillset is the one with the highest skillset
				// priority; among equals, the one where it ranks higher, then by name.
				if best == nil || l.Priority > best.SkillsetPriority ||
					l.Priority == best.SkillsetPriority && (p > best.AgentPriority || p == best.AgentPriority && l.Skillset < best.Skillset) {
					best = &Candidate{Agent: a.id, Skillset: l.Skillset, SkillsetPriority: l.Priority, AgentPriority: p}
				}
			}
		}
		if best != nil {
			best.Load, best.LastAssignedAt = a.load, a.last
			cs = append(cs, *best)
		}
	}
	slices.SortFunc(cs, func(x, y Candidate) int {
		switch {
		case x.SkillsetPriority != y.SkillsetPriority:
			return cmp.Compare(y.SkillsetPriority, x.SkillsetPriority)
		case x.AgentPriority != y.AgentPriority:
			return cmp.Compare(y.AgentPriority, x.AgentPriority)
		case x.Load != y.Load:
			return cmp.Compare(x.Load, y.Load)
		case !x.LastAssignedAt.Equal(y.LastAssignedAt):
			return x.LastAssignedAt.Compare(y.LastAssignedAt)
		}
		return strings.Compare(x.Agent, y.Agent)
	})
	return cs
}

func (n *naive) waiting() []*nConv {
	var w []*nConv
	for _, c := range n.convs {
		if c.agent == "" {
			w = append(w, c)
		}
	}
	slices.SortFunc(w, queueOrder)
	return w
}

func (n *naive) dispatch(at time.Time) {
	for {
		// The first conversation in queue order with a candidate, and the
		// next one with a candidate too (for the explanation).
		var first, next *nConv
		var cands []Candidate
		for _, c := range n.waiting() {
			cs := n.candidates(c)
			if len(cs) == 0 {
				continue
			}
			if first == nil {
				first, cands = c, cs
				continue
			}
			next = c
			break
		}
		if first == nil {
			return
		}
		d := &Decision{Number: first.number, Skillset: first.skillset, Chosen: cands[0],
			Conversation: Waiting{first.id, first.priority, first.arrival}}
		if len(cands) > 1 {
			w, r := cands[0], cands[1]
			d.RunnerUp = &r
			switch {
			case w.SkillsetPriority != r.SkillsetPriority:
				d.Step = 3
			case w.AgentPriority != r.AgentPriority:
				d.Step = 4
			case w.Load != r.Load:
				d.Step = 5
			case !w.LastAssignedAt.Equal(r.LastAssignedAt):
				d.Step = 6
			default:
				d.Step = 7
			}
		}
		if next != nil {
			d.Next = &Waiting{next.id, next.priority, next.arrival}
			switch {
			case first.priority != next.priority:
				d.QueueStep = 1
			case !first.arrival.Equal(next.arrival):
				d.QueueStep = 2
			default:
				d.QueueStep = 3
			}
		}
		n.give(first, cands[0].Agent, at)
		n.out = append(n.out, Outcome{At: at, Kind: Assigned, Conversation: first.id, Agent: first.agent, Decision: d})
	}
}

func (n *naive) give(c *nConv, agentID string, at time.Time) {
	a := n.byID[agentID]
	c.agent = a.id
	a.load++
	a.last = at
}

// take frees c from its agent, if any, and says who that was.
func (n *naive) take(c *nConv) string {
	from := c.agent
	if from != "" {
		n.byID[from].load--
		c.agent = ""
	}
	return from
}

func (n *naive) done(at time.Time) ([]Outcome, error) {
	n.dispatch(at)
	out := n.out
	n.out = nil
	return out, nil
}

func (n *naive) AgentAvailable(at time.Time, agentID string) ([]Outcome, error) {
	n.byID[agentID].status = available
	return n.done(at)
}

func (n *naive) AgentAway(at time.Time, agentID string) ([]Outcome, error) {
	n.byID[agentID].status = away
	return n.done(at)
}

func (n *naive) AgentOffline(at time.Time, agentID string) ([]Outcome, error) {
	n.byID[agentID].status = offline
	if n.requeue {
		var held []*nConv
		for _, c := range n.convs {
			if c.agent == agentID {
				held = append(held, c)
			}
		}
		slices.SortFunc(held, queueOrder)
		for _, c := range held {
			n.take(c)
			n.out = append(n.out, Outcome{At: at, Kind: Requeued, Conversation: c.id, From: agentID})
		}
	}
	return n.done(at)
}

func (n *naive) SetCapacity(at time.Time, agentID string, capacity int) ([]Outcome, error) {
	n.byID[agentID].capacity = capacity
	return n.done(at)
}

func (n *naive) Arrive(at time.Time, conversationID, numberID string, contactPriority int) ([]Outcome, error) {
	c := &nConv{id: conversationID, number: numberID, priority: contactPriority, arrival: at}
	n.convs[c.id] = c
	n.dispatch(at)
	if c.agent == "" {
		n.out = append(n.out, Outcome{At: at, Kind: Queued, Conversation: c.id})
	}
	return n.done(at)
}

// park queues a conversation without dispatching: only for setting up a
// benchmark whose agents are all full, where each arrival's full scan would
// cost minutes and decide nothing.
func (n *naive) park(at time.Time, conversationID, numberID string, contactPriority int) {
	n.convs[conversationID] = &nConv{id: conversationID, number: numberID, priority: contactPriority, arrival: at}
}

func (n *naive) Close(at time.Time, conversationID string) ([]Outcome, error) {
	n.take(n.convs[conversationID])
	delete(n.convs, conversationID)
	return n.done(at)
}

func (n *naive) TransferToSkillset(at time.Time, conversationID, skillsetID string) ([]Outcome, error) {
	c := n.convs[conversationID]
	from := n.take(c)
	c.skillset = skillsetID
	n.out = append(n.out, Outcome{At: at, Kind: Requeued, Conversation: c.id, From: from})
	return n.done(at)
}

func (n *naive) TransferToAgent(at time.Time, conversationID, agentID string) ([]Outcome, error) {
	c := n.convs[conversationID]
	from := n.take(c)
	n.give(c, agentID, at)
	n.out = append(n.out, Outcome{At: at, Kind: Transferred, Conversation: c.id, Agent: agentID, From: from})
	return n.done(at)
}
