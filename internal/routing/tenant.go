package routing

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"switchboard/internal/router"
	"switchboard/internal/storage"
)

// tenantLoop is the dispatcher of one tenant while this instance holds the
// tenant's lease. It keeps a router.Router in memory, rebuilt from Postgres
// when it starts and whenever a write fails or the configuration changes,
// and applies the tenant's routing commands and presence changes to it.
// Every change is written in one transaction fenced by the lease, then
// published.
type tenantLoop struct {
	d        *Dispatcher
	tenantID string
	epoch    int64
	wake     chan struct{}
	cancel   context.CancelFunc
	log      *slog.Logger

	r          *router.Router // nil: rebuild before the next step
	state      storage.RoutingState
	agentIDs   []string
	applied    map[string]string    // presence as the router was last told
	gone       map[string]time.Time // when an agent's presence went missing
	blind      bool                 // Redis is unreachable: nobody new is assigned
	rebuiltFor int64                // the command whose unknown id caused the last rebuild
	carry      []storage.RoutingWrite
}

func (l *tenantLoop) poke() {
	select {
	case l.wake <- struct{}{}:
	default:
	}
}

func (l *tenantLoop) stop() { l.cancel() }

// batch is how many commands one transaction applies at most.
const batch = 500

func (l *tenantLoop) run(ctx context.Context) error {
	tick := time.NewTicker(l.d.opt.Sweep)
	defer tick.Stop()
	failures := 0
	for {
		if l.r == nil {
			if err := l.rebuild(ctx); err != nil {
				if ctx.Err() != nil {
					return nil
				}
				failures++
				l.log.Error("rebuild routing state", "err", err)
				if !sleep(ctx, backoff(failures)) {
					return nil
				}
				continue
			}
		}
		more, err := l.step(ctx)
		switch {
		case ctx.Err() != nil:
			return nil
		case errors.Is(err, storage.ErrLeaseLost):
			return err
		case err != nil:
			// The router may be ahead of what was written: start again
			// from Postgres, which has everything that was committed.
			failures++
			l.log.Warn("routing step failed; rebuilding from Postgres", "err", err)
			l.r = nil
			if !sleep(ctx, backoff(failures)) {
				return nil
			}
			continue
		}
		failures = 0
		if more {
			continue
		}
		select {
		case <-ctx.Done():
			return nil
		case <-l.wake:
		case <-tick.C:
		}
	}
}

func backoff(failures int) time.Duration {
	d := 50 * time.Millisecond << min(failures, 6)
	return min(d, 2*time.Second)
}

func sleep(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return false
	case <-t.C:
		return true
	}
}

// rebuild reads the tenant's configuration and open conversations and
// restores them in a fresh router, with every agent offline until the next
// presence sweep says otherwise.
func (l *tenantLoop) rebuild(ctx context.Context) error {
	st, err := l.d.opt.Store.LoadRouting(ctx, l.tenantID)
	if err != nil {
		return err
	}
	r, err := router.New(st.Config)
	if err != nil {
		return fmt.Errorf("routing configuration: %w", err)
	}
	now := l.d.now()
	var carry []storage.RoutingWrite
	for _, o := range st.Open {
		err := r.Restore(o)
		if errors.Is(err, router.ErrUnknownAgent) {
			// Held by someone who is no longer an active agent: back to
			// the queue, keeping its arrival time.
			from := o.Agent
			o.Agent = ""
			if err = r.Restore(o); err == nil {
				carry = append(carry, storage.RoutingWrite{Kind: router.Requeued, ConversationID: o.ID, FromAgentID: from, At: now,
					Reason: "the agent is no longer active"})
			}
		}
		if err != nil {
			l.log.Warn("cannot restore conversation", "conversation", o.ID, "err", err)
		}
	}
	l.r, l.state, l.carry = r, st, carry
	l.agentIDs = l.agentIDs[:0]
	for _, a := range st.Config.Agents {
		l.agentIDs = append(l.agentIDs, a.ID)
	}
	l.applied = make(map[string]string, len(l.agentIDs))
	if l.gone == nil {
		l.gone = map[string]time.Time{}
	}
	return nil
}

// step applies pending commands and presence changes in one fenced
// transaction; more says that commands are still waiting.
func (l *tenantLoop) step(ctx context.Context) (more bool, err error) {
	var events []Event
	var told []storage.AgentEvent
	reload := false
	err = l.d.opt.Store.InRouting(ctx, l.tenantID, l.d.holder, l.epoch, func(tx storage.RoutingTx) error {
		cmds, err := tx.Pending(ctx, batch)
		if err != nil {
			return err
		}
		more = len(cmds) == batch
		// Presence first: a fresh router has everyone offline, and the
		// commands below (a transfer to an agent) need to know who is there.
		writes := append(l.carry, l.sweep(ctx)...)
		swept := true
		var done []int64
		refusals := map[int64]string{}
		for _, c := range cmds {
			if c.Kind == storage.CmdReload || l.unknownTo(c) {
				// Apply nothing more to a router whose configuration is
				// stale: the rest waits for the rebuild.
				if c.Kind == storage.CmdReload {
					done = append(done, c.ID)
				}
				reload, more = true, true
				break
			}
			done = append(done, c.ID)
			if c.Kind == storage.CmdPresence {
				if !swept {
					writes = append(writes, l.sweep(ctx)...)
					swept = true
				}
				continue
			}
			swept = false
			w, refusal := l.apply(c)
			writes = append(writes, w...)
			if refusal != "" {
				refusals[c.ID] = refusal
			}
		}
		ids, err := tx.Apply(ctx, writes)
		if err != nil {
			return err
		}
		if err := tx.Finish(ctx, done, refusals); err != nil {
			return err
		}
		if told, err = tx.TellAgents(ctx, agentEvents(writes)); err != nil {
			return err
		}
		events = make([]Event, len(writes))
		for i, w := range writes {
			events[i] = Event{ID: ids[i], TenantID: l.tenantID, Kind: string(w.Kind), ConversationID: w.ConversationID,
				AgentID: w.AgentID, FromAgentID: w.FromAgentID, SkillsetID: w.SkillsetID, Step: w.Step, Reason: w.Reason, At: w.At}
		}
		return nil
	})
	if err != nil {
		return false, err
	}
	l.carry = nil
	if reload {
		l.r = nil
	}
	if len(events) > 0 {
		l.d.opt.Publisher.Publish(ctx, l.tenantID, events)
		l.d.metrics(events)
	}
	if len(told) > 0 && l.d.opt.Told != nil {
		l.d.opt.Told(ctx, told)
	}
	return more, nil
}

// unknownTo reports whether a command names a number, agent or skillset the
// router was not built with (added since, by a command that does not
// reload, such as connecting a number or creating a user): the router is
// rebuilt before it is applied. A freshly built router that still does not
// know it refuses the command instead.
func (l *tenantLoop) unknownTo(c storage.RoutingCommand) bool {
	// One rebuild per command: something created while the router was
	// being rebuilt is found by the next; what is still unknown after that
	// does not exist.
	if l.rebuiltFor == c.ID {
		return false
	}
	known := func(id string) bool { return id == "" || l.state.Names[id] != "" }
	unknown := false
	switch c.Kind {
	case storage.CmdArrive:
		unknown = c.Status == "queued" && (!known(c.NumberID) || !known(c.TargetSkillset))
	case storage.CmdTransferAgent, storage.CmdPresence:
		unknown = !known(c.AgentID)
	case storage.CmdTransferSkillset:
		unknown = !known(c.SkillsetID)
	}
	if unknown {
		l.rebuiltFor = c.ID
	}
	return unknown
}

// apply runs one command on the router and returns what to write, or why
// it was refused.
func (l *tenantLoop) apply(c storage.RoutingCommand) ([]storage.RoutingWrite, string) {
	now := l.d.now()
	var outs []router.Outcome
	var err error
	switch c.Kind {
	case storage.CmdArrive:
		if c.Status != "queued" {
			return nil, "" // closed already, or with a bot
		}
		if _, open := l.r.Holds(c.ConversationID); open {
			return nil, "" // restored from Postgres already
		}
		outs, err = l.r.ArriveFor(now, c.QueuedAt, c.ConversationID, c.NumberID, c.TargetSkillset, c.ContactPriority)
	case storage.CmdClose:
		if c.LastInbound != nil && c.LastInbound.After(c.CreatedAt) {
			// The customer wrote after the close was asked for: closing
			// now would bury a message nobody has read.
			return nil, RefusedCustomerWrote
		}
		if _, open := l.r.Holds(c.ConversationID); !open {
			if c.Status == "" || c.Status == "closed" {
				return nil, RefusedClosedAlready
			}
			// Open but not routed (with a bot): close it all the same.
			return []storage.RoutingWrite{{Kind: storage.Closed, ConversationID: c.ConversationID, At: now, Outcome: c.Outcome}}, ""
		}
		from, _ := l.r.Holds(c.ConversationID)
		outs, err = l.r.Close(now, c.ConversationID)
		if err == nil {
			closed := storage.RoutingWrite{Kind: storage.Closed, ConversationID: c.ConversationID, FromAgentID: from, At: now, Outcome: c.Outcome}
			return append([]storage.RoutingWrite{closed}, l.writes(outs, "")...), ""
		}
	case storage.CmdTransferAgent:
		if holder, _ := l.r.Holds(c.ConversationID); holder == c.AgentID {
			return nil, "" // it holds it already: nothing changes
		}
		outs, err = l.r.TransferToAgent(now, c.ConversationID, c.AgentID)
	case storage.CmdTransferSkillset:
		outs, err = l.r.TransferToSkillset(now, c.ConversationID, c.SkillsetID)
		return l.writes(outs, c.SkillsetID), refusal(err)
	default:
		return nil, "unknown command " + c.Kind
	}
	return l.writes(outs, ""), refusal(err)
}

// refusal is the code a router error is refused with (RefusedError).
func refusal(err error) string {
	switch {
	case err == nil:
		return ""
	case errors.Is(err, router.ErrUnknownConversation):
		return RefusedNotOpen
	case errors.Is(err, router.ErrUnknownAgent):
		return RefusedNoAgent
	case errors.Is(err, router.ErrAgentOffline):
		return RefusedAgentOffline
	case errors.Is(err, router.ErrUnknownSkillset):
		return RefusedNoSkillset
	default:
		return err.Error()
	}
}

// writes turns the router's outcomes into rows; skillset is the target of
// a transfer to a skillset, recorded on its requeue.
func (l *tenantLoop) writes(outs []router.Outcome, skillset string) []storage.RoutingWrite {
	ws := make([]storage.RoutingWrite, 0, len(outs))
	for _, o := range outs {
		w := storage.RoutingWrite{Kind: o.Kind, ConversationID: o.Conversation, AgentID: o.Agent, FromAgentID: o.From, At: o.At}
		if o.Kind == router.Requeued {
			w.SkillsetID = skillset // empty: the conversation keeps the queue it had
		}
		if d := o.Decision; d != nil {
			step := d.Step
			w.Step, w.Decision, w.Reason = &step, d, explain(d, l.state.Names)
		}
		ws = append(ws, w)
	}
	return ws
}

// lapsed is what the router was told of an agent found without presence
// when it was rebuilt: offline, its conversations kept until the grace
// period ends.
const lapsed = "lapsed"

// sweep reads every agent's presence and tells the router what changed. An
// agent whose presence expired takes nothing new at once, and loses its
// conversations (with requeue_on_offline) only after the grace period, so a
// reload or a short network cut re-routes nothing. While Redis cannot be
// read the router assigns nothing and requeues nothing: it cannot tell who
// is there, and a conversation waiting is better than one given to an agent
// who left.
func (l *tenantLoop) sweep(ctx context.Context) []storage.RoutingWrite {
	now := l.d.now()
	states, err := l.d.opt.Presence.states(ctx, l.tenantID, l.agentIDs)
	var outs []router.Outcome
	tell := func(o []router.Outcome, err error) {
		if err == nil {
			outs = append(outs, o...)
		}
	}
	if err != nil {
		if !l.blind {
			l.log.Warn("presence unreadable: assigning nothing until Redis answers", "err", err)
			l.blind = true
			for _, id := range l.agentIDs {
				if l.applied[id] == Available {
					tell(l.r.AgentAway(now, id))
					l.applied[id] = Away
				}
			}
		}
		return l.writes(outs, "")
	}
	if l.blind {
		// Redis is back, perhaps empty: everyone gets a full grace period
		// from now to beat again before losing anything.
		l.blind = false
		for id := range l.gone {
			l.gone[id] = now
		}
	}
	var arrived []string // became available: told together, after the others
	for _, id := range l.agentIDs {
		want, have := states[id], l.applied[id]
		if want == signedOff {
			// Signed off on purpose: no grace period.
			delete(l.gone, id)
			if have != Offline {
				tell(l.r.AgentOffline(now, id))
				l.applied[id] = Offline
			}
			continue
		}
		if want == Offline {
			since, ok := l.gone[id]
			if !ok {
				since = now
				l.gone[id] = since
			}
			switch {
			case have == Offline:
			case now.Sub(since) >= l.state.Settings.RequeueGrace:
				tell(l.r.AgentOffline(now, id))
				l.applied[id] = Offline
			case have == lapsed:
			case have != Away && have != "":
				tell(l.r.AgentAway(now, id))
				l.applied[id] = Away
			case have == "":
				// Just rebuilt: the router has it offline without requeue;
				// the grace period decides when its conversations go. Not
				// "away": an agent who then chooses away must be told to
				// the router, which still has it offline.
				l.applied[id] = lapsed
			}
			continue
		}
		delete(l.gone, id)
		if want == have {
			continue
		}
		l.applied[id] = want
		if want == Available {
			arrived = append(arrived, id)
		} else {
			tell(l.r.AgentAway(now, id))
		}
	}
	tell(l.r.AgentsAvailable(now, arrived))
	return l.writes(outs, "")
}

// agentEvents is what the agents' consoles must learn from the writes: a
// conversation given to them, taken from them, or closed.
func agentEvents(writes []storage.RoutingWrite) []storage.AgentEvent {
	var out []storage.AgentEvent
	tell := func(agent, kind, conv string) {
		if agent != "" {
			out = append(out, storage.AgentEvent{AgentID: agent, Kind: kind, ConversationID: conv})
		}
	}
	for _, w := range writes {
		switch w.Kind {
		case router.Assigned:
			tell(w.AgentID, storage.AgentAssigned, w.ConversationID)
		case router.Transferred:
			tell(w.FromAgentID, storage.AgentTransferredOut, w.ConversationID)
			tell(w.AgentID, storage.AgentTransferredIn, w.ConversationID)
		case router.Requeued:
			tell(w.FromAgentID, storage.AgentRequeued, w.ConversationID)
		case storage.Closed:
			tell(w.FromAgentID, storage.AgentClosed, w.ConversationID)
		}
	}
	return out
}
