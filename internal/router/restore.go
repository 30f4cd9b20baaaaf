package router

import (
	"errors"
	"fmt"
	"time"
)

// Open is an open conversation as stored: waiting, or held by Agent.
type Open struct {
	ID              string
	Number          string
	Skillset        string // set when it was transferred to this skillset: only its members qualify
	Agent           string // who holds it; empty while it waits
	ContactPriority int
	ArrivedAt       time.Time
}

// Restore puts a stored conversation back in the state without dispatching
// and without touching anyone's "last assigned at": the live dispatcher
// rebuilds its router from Postgres this way on start, then tells it which
// agents are present, which dispatches. An agent may hold more than its
// capacity (a direct transfer may have put it there).
func (r *Router) Restore(o Open) error {
	if o.ID == "" {
		return errors.New("a conversation needs an id")
	}
	if r.convs.get(o.ID) != nil {
		return fmt.Errorf("%w: %q", ErrDuplicate, o.ID)
	}
	n := r.numbers[o.Number]
	if n == nil {
		return fmt.Errorf("%w %q", ErrUnknownNumber, o.Number)
	}
	c := &conversation{id: o.ID, number: n, priority: o.ContactPriority, arrival: o.ArrivedAt, target: n.group, idx: -1}
	if o.Skillset != "" {
		s := r.skillsets[o.Skillset]
		if s == nil {
			return fmt.Errorf("%w %q", ErrUnknownSkillset, o.Skillset)
		}
		c.target = s.group
	}
	var a *agent
	if o.Agent != "" {
		var err error
		if a, err = r.agent(o.Agent); err != nil {
			return err
		}
	}
	r.convs.put(c)
	if a == nil {
		r.enqueue(c)
		return nil
	}
	a.hold(c)
	r.update(a)
	return nil
}

// Holds reports whether the conversation is open and who holds it ("" while
// it waits).
func (r *Router) Holds(conversationID string) (agentID string, open bool) {
	c := r.convs.get(conversationID)
	if c == nil {
		return "", false
	}
	if c.agent == nil {
		return "", true
	}
	return c.agent.id, true
}
