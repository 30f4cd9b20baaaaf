// Package router decides which agent gets which conversation, by the routing
// spec's distribution rule (routing.md): queue order (contact priority,
// arrival, id), then agent choice (skillset priority on the number, agent
// priority, load, last assigned, id), dispatched until no waiting
// conversation has a candidate.
//
// This package is the pure part: a Router is the in-memory state of one
// tenant's routing, changed only by the events it is given, each carrying its
// own time. It does no I/O and never reads the clock, so the simulator, the
// tests and the live dispatcher run exactly the same decisions. Every decision
// costs O(log n) in waiting conversations and agents (see queue.go and
// agents.go); nothing scans all agents or all conversations.
//
// A Router is not safe for concurrent use: the live dispatcher owns one per
// tenant and feeds it from one goroutine.
package router

import (
	"errors"
	"fmt"
	"time"
)

// Config is what a tenant configured: its managed numbers with their linked
// skillsets, the skillsets with their members, and the agents. Paths in
// ConfigError follow the scenario format's names (numbers[0].skillsets[1]).
type Config struct {
	Numbers   []Number
	Skillsets []Skillset
	Agents    []Agent
	// RequeueOnOffline sends an agent's open conversations back to the queue
	// when it goes offline. Any grace period is the caller's business: the
	// router acts when it is told the agent is offline.
	RequeueOnOffline bool
}

// Number is a managed number and the skillsets that serve it.
type Number struct {
	ID        string
	Skillsets []Link
}

// Link ties a skillset to a number with the skillset's priority there (step 3).
type Link struct {
	Skillset string
	Priority int
}

// Skillset is a named group of agents.
type Skillset struct {
	ID      string
	Members []Member
}

// Member is an agent in a skillset with its priority there (step 4).
type Member struct {
	Agent    string
	Priority int
}

// Agent is an agent as configured. Agents start offline with no conversations.
type Agent struct {
	ID       string
	Capacity int
	// LastAssignedAt is when it was last given a conversation; the zero time
	// means never, which is older than any time (step 6).
	LastAssignedAt time.Time
}

// Kind says what happened to a conversation.
type Kind string

// The outcomes, named as the simulator prints them.
const (
	Assigned    Kind = "assigned"    // the router gave a waiting conversation to an agent
	Queued      Kind = "queued"      // an arriving conversation had no candidate and waits
	Requeued    Kind = "requeued"    // a conversation went back to the queue (offline agent, transfer to a skillset)
	Transferred Kind = "transferred" // a conversation was given to a chosen agent directly
)

// Outcome is one thing that happened, in the order it happened.
type Outcome struct {
	At           time.Time
	Kind         Kind
	Conversation string
	Agent        string    // who got it (Assigned, Transferred)
	From         string    // who held it before (Requeued, Transferred); empty if it was waiting
	Decision     *Decision // why (Assigned only)
}

// Decision explains one assignment: the candidate chosen, the runner-up and
// the step that separated them, and why this conversation was served before
// the next one that could have been.
type Decision struct {
	// Step is the first agent-choice criterion (3 to 7) at which Chosen beat
	// RunnerUp, or 0 when Chosen was the only candidate.
	Step     int
	Chosen   Candidate
	RunnerUp *Candidate // nil when Chosen was the only candidate

	Number   string // the conversation's managed number
	Skillset string // set when the conversation was transferred to this skillset: only its members qualified

	// QueueStep is the queue-order criterion (1 contact priority, 2 arrival,
	// 3 conversation id) at which Conversation went before Next, the next
	// waiting conversation that had a candidate too; 0 when there was none.
	QueueStep    int
	Conversation Waiting
	Next         *Waiting
}

// Candidate is an agent as the rule saw it at the moment of the decision.
type Candidate struct {
	Agent            string
	Skillset         string // the skillset through which it qualified (its best one on the number)
	SkillsetPriority int    // that skillset's priority on the number; 0 for a transfer to a skillset, where all tie
	AgentPriority    int    // its priority in that skillset
	Load             int    // conversations it held before this one
	LastAssignedAt   time.Time
}

// Waiting is a waiting conversation as the queue order sees it.
type Waiting struct {
	ID              string
	ContactPriority int
	ArrivedAt       time.Time
}

// Errors of the event methods; the returned errors wrap them with the id.
var (
	ErrUnknownAgent        = errors.New("unknown agent")
	ErrUnknownNumber       = errors.New("unknown number")
	ErrUnknownSkillset     = errors.New("unknown skillset")
	ErrUnknownConversation = errors.New("unknown or closed conversation")
	ErrDuplicate           = errors.New("conversation already exists")
	ErrAgentOffline        = errors.New("agent is offline")
	ErrNegativeCapacity    = errors.New("capacity is negative")
)

// ConfigError is a mistake in a Config, located by its path in the scenario
// format's terms so that the simulator can name the line.
type ConfigError struct {
	Path string // e.g. "skillsets[1].members[0].agent"
	Err  string
}

func (e *ConfigError) Error() string { return e.Path + ": " + e.Err }

// status is an agent's presence. The zero value is offline: agents start so.
type status uint8

const (
	offline status = iota
	away
	available
)

type agent struct {
	id       string
	capacity int
	load     int
	last     time.Time
	status   status
	// memberships are values, side by side, not pointers to scattered
	// ones: re-filing an agent reads them all, on every decision.
	memberships []membership
	// held is the open conversations it holds, for requeue on offline; each
	// knows its place here (conversation.idx), so that letting one go is
	// O(1) and touches no map.
	held      []*conversation
	candidate bool // whether its memberships are in their skillsets' candidate heaps
}

// hold gives c to a.
func (a *agent) hold(c *conversation) {
	c.agent, c.idx = a, len(a.held)
	a.held = append(a.held, c)
	a.load++
}

// drop takes c, which a holds, from a: the last one held takes its place.
func (a *agent) drop(c *conversation) {
	last := len(a.held) - 1
	moved := a.held[last]
	a.held[c.idx], moved.idx = moved, c.idx
	a.held[last] = nil
	a.held = a.held[:last]
	c.agent, c.idx = nil, -1
	a.load--
}

// membership is an agent in a skillset; it is the item of the skillset's
// candidate heap, so it keeps its own position there. The heaps point into
// agent.memberships, which New never grows again once it has returned.
type membership struct {
	agent    *agent
	skillset *skillset
	priority int
	idx      int
}

type skillset struct {
	id    string
	cands heap[*membership] // members that are candidates now, best first
	links []link            // the numbers it serves, to tell them when it gains or loses its last candidate
	group *group            // conversations transferred to this skillset
}

// link is one number → skillset link, seen from either end.
type link struct {
	number   *number
	skillset *skillset
	priority int
}

type number struct {
	id    string
	links []link
	// live counts the linked skillsets that have a candidate now; the
	// number's queue can be served exactly when it is above zero.
	live  int
	group *group
}

// conversation is an open conversation: waiting in target's queue, or held by agent.
type conversation struct {
	id       string
	number   *number
	priority int
	arrival  time.Time
	// target is the queue it waits in: its number's, or a skillset's after a
	// transfer there. It stays when an agent holds it, so that a requeue
	// (agent offline) goes back where the conversation was routed.
	target *group
	agent  *agent // nil while waiting
	// idx is its position in target.queue while it waits, in agent.held
	// while it is held (never both), -1 in between.
	idx int
}

// Router is one tenant's routing state. Its methods apply one event each and
// return what happened, in order; an error leaves the state unchanged.
type Router struct {
	agents    map[string]*agent
	skillsets map[string]*skillset
	numbers   map[string]*number
	convs     convIndex // open ones by id; closed conversations are forgotten
	// ready holds the queues that have a waiting conversation and a
	// candidate, ordered by their first conversation: its top is the next
	// conversation to serve.
	ready   heap[*group]
	requeue bool
	out     []Outcome // what the current event produced
	// chunk and spare are where new conversations come from: closed
	// ones first, else the next of a block allocated at once.
	chunk []conversation
	spare []*conversation
}

// convChunk is how many conversations newConversation allocates at once:
// 40 KB, a block of its own for the collector.
const convChunk = 512

// newConversation returns a zero conversation to fill in.
//
// Why not new(conversation) for each: at 10^6 waiting conversations the
// collector's cycles (one every ~300,000 decisions in BenchmarkDecision)
// took ~0.6 s of CPU each, mostly visiting the million conversations one by
// one, each where it happened to be allocated: a cache miss each, several
// times per cycle (from the index, the queue and the agents). On two cores
// that competes with the decisions themselves. In blocks, the collector
// marks one object per 512 conversations and reads each block from start to
// end (half the CPU per cycle), and a closed conversation's memory, still
// in the cache, takes the next arrival without allocating. The price is
// that the router keeps the memory of its peak of open conversations.
func (r *Router) newConversation() *conversation {
	if n := len(r.spare); n > 0 {
		c := r.spare[n-1]
		r.spare[n-1] = nil
		r.spare = r.spare[:n-1]
		return c
	}
	if len(r.chunk) == 0 {
		r.chunk = make([]conversation, convChunk)
	}
	c := &r.chunk[0]
	r.chunk = r.chunk[1:]
	return c
}

// forget keeps a closed conversation's memory for the next one. Nothing may
// point to c any more: not the map, a queue or an agent.
func (r *Router) forget(c *conversation) {
	*c = conversation{}
	r.spare = append(r.spare, c)
}

// New builds the router for cfg: all agents offline, nobody waiting.
func New(cfg Config) (*Router, error) {
	r := &Router{
		agents:    make(map[string]*agent, len(cfg.Agents)),
		skillsets: make(map[string]*skillset, len(cfg.Skillsets)),
		numbers:   make(map[string]*number, len(cfg.Numbers)),
		convs:     newConvIndex(),
		requeue:   cfg.RequeueOnOffline,
	}
	r.ready = heap[*group]{less: groupBefore, index: func(g *group) *int { return &g.idx }}
	for i, a := range cfg.Agents {
		at := fmt.Sprintf("agents[%d]", i)
		switch {
		case a.ID == "":
			return nil, &ConfigError{at + ".id", "an agent needs an id"}
		case r.agents[a.ID] != nil:
			return nil, &ConfigError{at + ".id", fmt.Sprintf("agent %q is listed twice", a.ID)}
		case a.Capacity < 0:
			return nil, &ConfigError{at + ".capacity", fmt.Sprintf("agent %q: capacity %d is negative", a.ID, a.Capacity)}
		}
		r.agents[a.ID] = &agent{id: a.ID, capacity: a.Capacity, last: a.LastAssignedAt}
	}
	for i, s := range cfg.Skillsets {
		at := fmt.Sprintf("skillsets[%d]", i)
		switch {
		case s.ID == "":
			return nil, &ConfigError{at + ".id", "a skillset needs an id"}
		case r.skillsets[s.ID] != nil:
			return nil, &ConfigError{at + ".id", fmt.Sprintf("skillset %q is listed twice", s.ID)}
		}
		ss := &skillset{id: s.ID}
		ss.cands = heap[*membership]{less: memberBefore, index: func(m *membership) *int { return &m.idx }}
		ss.group = newGroup(nil, ss)
		r.skillsets[s.ID] = ss
		for j, m := range s.Members {
			a := r.agents[m.Agent]
			if a == nil {
				return nil, &ConfigError{fmt.Sprintf("%s.members[%d].agent", at, j), fmt.Sprintf("skillset %q: %v %q", s.ID, ErrUnknownAgent, m.Agent)}
			}
			for _, prev := range a.memberships {
				if prev.skillset == ss {
					return nil, &ConfigError{fmt.Sprintf("%s.members[%d].agent", at, j), fmt.Sprintf("skillset %q lists agent %q twice", s.ID, m.Agent)}
				}
			}
			a.memberships = append(a.memberships, membership{agent: a, skillset: ss, priority: m.Priority, idx: -1})
		}
	}
	for i, n := range cfg.Numbers {
		at := fmt.Sprintf("numbers[%d]", i)
		switch {
		case n.ID == "":
			return nil, &ConfigError{at + ".id", "a number needs an id"}
		case r.numbers[n.ID] != nil:
			return nil, &ConfigError{at + ".id", fmt.Sprintf("number %q is listed twice", n.ID)}
		}
		nn := &number{id: n.ID}
		nn.group = newGroup(nn, nil)
		r.numbers[n.ID] = nn
		for j, l := range n.Skillsets {
			ss := r.skillsets[l.Skillset]
			if ss == nil {
				return nil, &ConfigError{fmt.Sprintf("%s.skillsets[%d].skillset", at, j), fmt.Sprintf("number %q: %v %q", n.ID, ErrUnknownSkillset, l.Skillset)}
			}
			for _, prev := range nn.links {
				if prev.skillset == ss {
					return nil, &ConfigError{fmt.Sprintf("%s.skillsets[%d].skillset", at, j), fmt.Sprintf("number %q links skillset %q twice", n.ID, l.Skillset)}
				}
			}
			lk := link{number: nn, skillset: ss, priority: l.Priority}
			nn.links = append(nn.links, lk)
			ss.links = append(ss.links, lk)
		}
	}
	return r, nil
}
