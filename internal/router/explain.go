package router

import (
	"fmt"
	"time"
)

// Reason says in one line why the chosen agent got this conversation: the
// agent-choice step against the runner-up, in the words administrators see
// on the conversation ("bruno last assigned 09:00, anna 10:00"), then, when
// another waiting conversation could have been served, why this one went
// first ("c6 before c4: contact priority 3 > 0"). Times are shown in UTC.
func (d *Decision) Reason() string {
	w, r := d.Chosen, d.RunnerUp
	var s string
	switch d.Step {
	case 0:
		s = w.Agent + " was the only candidate"
	case 3:
		s = fmt.Sprintf("%s qualifies through %s (priority %d on %s), %s through %s (priority %d)",
			w.Agent, w.Skillset, w.SkillsetPriority, d.Number, r.Agent, r.Skillset, r.SkillsetPriority)
	case 4:
		s = fmt.Sprintf("%s has priority %d in %s, %s %d in %s",
			w.Agent, w.AgentPriority, w.Skillset, r.Agent, r.AgentPriority, r.Skillset)
	case 5:
		s = fmt.Sprintf("%s had %d conversations, %s %d", w.Agent, w.Load, r.Agent, r.Load)
	case 6:
		if w.LastAssignedAt.IsZero() {
			// Only the winner can be "never": never is older than any time.
			s = fmt.Sprintf("%s never assigned, %s last assigned %s", w.Agent, r.Agent, clock(r.LastAssignedAt, r.LastAssignedAt))
		} else {
			s = fmt.Sprintf("%s last assigned %s, %s %s", w.Agent, clock(w.LastAssignedAt, r.LastAssignedAt), r.Agent, clock(r.LastAssignedAt, w.LastAssignedAt))
		}
	default:
		s = fmt.Sprintf("%s and %s tie on steps 3 to 6; %s comes first by id", w.Agent, r.Agent, w.Agent)
	}
	if n := d.Next; n != nil {
		c := d.Conversation
		switch d.QueueStep {
		case 1:
			s += fmt.Sprintf("; %s before %s: contact priority %d > %d", c.ID, n.ID, c.ContactPriority, n.ContactPriority)
		case 2:
			s += fmt.Sprintf("; %s before %s: arrived %s, %s %s", c.ID, n.ID, clock(c.ArrivedAt, n.ArrivedAt), n.ID, clock(n.ArrivedAt, c.ArrivedAt))
		default:
			s += fmt.Sprintf("; %s before %s: same contact priority and arrival, by id", c.ID, n.ID)
		}
	}
	return s
}

// clock shows t as briefly as tells it apart from other: 10:00, 10:00:30 or
// 10:00:30.25 on the same day, with the date in front across days.
func clock(t, other time.Time) string {
	t, other = t.UTC(), other.UTC()
	layout := "15:04"
	switch {
	case t.Nanosecond() != 0 || other.Nanosecond() != 0:
		layout = "15:04:05.999999999"
	case t.Second() != 0 || other.Second() != 0:
		layout = "15:04:05"
	}
	if y1, m1, d1 := t.Date(); !(y1 == other.Year() && m1 == other.Month() && d1 == other.Day()) {
		layout = "2006-01-02 " + layout
	}
	return t.Format(layout)
}
