package routing

import (
	"fmt"

	"switchboard/internal/router"
)

// explain is the decision's reason in the words administrators read: agents,
// skillsets and numbers by name, conversations by a short id.
func explain(d *router.Decision, names map[string]string) string {
	name := func(id string) string {
		if n := names[id]; n != "" {
			return n
		}
		return id
	}
	short := func(id string) string {
		if len(id) > 8 {
			return "conversation " + id[:8]
		}
		return id
	}
	c := *d
	c.Number = name(d.Number)
	c.Chosen.Agent, c.Chosen.Skillset = name(d.Chosen.Agent), name(d.Chosen.Skillset)
	if d.RunnerUp != nil {
		ru := *d.RunnerUp
		ru.Agent, ru.Skillset = name(ru.Agent), name(ru.Skillset)
		c.RunnerUp = &ru
	}
	c.Conversation.ID = short(d.Conversation.ID)
	if d.Next != nil {
		n := *d.Next
		n.ID = short(n.ID)
		c.Next = &n
	}
	if d.Step == 0 {
		return c.Reason()
	}
	return fmt.Sprintf("step %d: %s", d.Step, c.Reason())
}
