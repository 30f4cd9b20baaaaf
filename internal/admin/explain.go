package admin

import (
	"context"
	"strconv"
	"strings"
	"time"

	"switchboard/internal/domain"
	"switchboard/internal/i18n"
	"switchboard/internal/router"
	"switchboard/internal/routing"
	"switchboard/internal/storage"
)

// explainDecision says in the reader's language why the router chose the
// agent: the deciding step, the chosen agent and the runner-up, as
// routing.md writes it ("Step 5: Anna had 0 conversations, Bruno 1").
func explainDecision(ctx context.Context, d *router.Decision, names map[string]string) string {
	name := func(id string) string {
		if n := names[id]; n != "" {
			return n
		}
		return id
	}
	w, r := d.Chosen, d.RunnerUp
	step := d.Step
	if r == nil {
		step = 0
	}
	var s string
	switch step {
	case 0:
		s = i18n.T(ctx, "explain.only", name(w.Agent))
	case 3:
		s = i18n.T(ctx, "explain.skillset", name(w.Agent), name(w.Skillset), w.SkillsetPriority, name(d.Number),
			name(r.Agent), name(r.Skillset), r.SkillsetPriority)
	case 4:
		s = i18n.T(ctx, "explain.agent_priority", name(w.Agent), w.AgentPriority, name(w.Skillset), name(r.Agent), r.AgentPriority, name(r.Skillset))
	case 5:
		s = i18n.T(ctx, "explain.load", name(w.Agent), w.Load, name(r.Agent), r.Load)
	case 6:
		if w.LastAssignedAt.IsZero() {
			s = i18n.T(ctx, "explain.never", name(w.Agent), name(r.Agent), clock(ctx, r.LastAssignedAt, r.LastAssignedAt))
		} else {
			s = i18n.T(ctx, "explain.last", name(w.Agent), clock(ctx, w.LastAssignedAt, r.LastAssignedAt),
				name(r.Agent), clock(ctx, r.LastAssignedAt, w.LastAssignedAt))
		}
	default:
		s = i18n.T(ctx, "explain.id", name(w.Agent), name(r.Agent), name(w.Agent))
	}
	if n := d.Next; n != nil {
		c := d.Conversation
		ci, ni := shortConversation(ctx, c.ID), shortConversation(ctx, n.ID)
		switch d.QueueStep {
		case 1:
			s += "; " + i18n.T(ctx, "explain.queue_priority", ci, ni, c.ContactPriority, n.ContactPriority)
		case 2:
			s += "; " + i18n.T(ctx, "explain.queue_arrival", ci, ni, clock(ctx, c.ArrivedAt, n.ArrivedAt), ni, clock(ctx, n.ArrivedAt, c.ArrivedAt))
		default:
			s += "; " + i18n.T(ctx, "explain.queue_id", ci, ni)
		}
	}
	return i18n.T(ctx, "explain.line", stepLabel(ctx, step), s)
}

// stepLabel names a step of the rule ("Step 5", or "Only candidate").
func stepLabel(ctx context.Context, step int) string {
	if step == 0 {
		return i18n.T(ctx, "explain.step_only")
	}
	return i18n.T(ctx, "explain.step", step)
}

func shortConversation(ctx context.Context, id string) string {
	if len(id) > 8 {
		id = id[:8]
	}
	return i18n.T(ctx, "explain.conversation", id)
}

// clock shows t as briefly as tells it apart from other: the minute, the
// second, or the millisecond, with the date in front across days (UTC).
func clock(ctx context.Context, t, other time.Time) string {
	t, other = t.UTC(), other.UTC()
	layout := "15:04"
	switch {
	case t.Truncate(time.Second).Equal(other.Truncate(time.Second)) && !t.Equal(other):
		layout = "15:04:05.000"
	case t.Truncate(time.Minute).Equal(other.Truncate(time.Minute)) && !t.Equal(other):
		layout = "15:04:05"
	}
	if y1, m1, d1 := t.Date(); !(y1 == other.Year() && m1 == other.Month() && d1 == other.Day()) {
		date := "2006-01-02 "
		if i18n.FromContext(ctx) == i18n.Italian {
			date = "02/01/2006 "
		}
		layout = date + layout
	}
	return t.Format(layout) + " UTC"
}

// assignmentExplanation is the current assignment's explanation: from the
// router's decision in the reader's language, else the stored text.
func assignmentExplanation(ctx context.Context, c storage.ConversationDetail) string {
	if c.Decision != nil {
		return explainDecision(ctx, c.Decision, c.Names)
	}
	if a := c.Assignment; a != nil {
		if a.Kind == "transferred" {
			return i18n.T(ctx, "explain.transferred")
		}
		return a.Reason
	}
	return ""
}

// eventExplanation is what the history says about one routing event.
func eventExplanation(ctx context.Context, e storage.RoutingHistoryEvent, names map[string]string) string {
	if e.Decision != nil {
		return explainDecision(ctx, e.Decision, names)
	}
	return e.Reason
}

// waiting shows how long a conversation has waited: "45 s", "3 min 05 s",
// "2 h 03 min".
func waiting(ctx context.Context, d time.Duration) string {
	secs := int(d / time.Second)
	switch {
	case secs < 60:
		return i18n.T(ctx, "live.wait_seconds", secs)
	case secs < 3600:
		return i18n.T(ctx, "live.wait_minutes", secs/60, twoDigits(secs%60))
	default:
		return i18n.T(ctx, "live.wait_hours", secs/3600, twoDigits(secs/60%60))
	}
}

func twoDigits(n int) string {
	s := strconv.Itoa(n)
	if len(s) < 2 {
		s = "0" + s
	}
	return s
}

// links shows skillsets with their priorities: "Sales (2), Support (1)".
func links(ctx context.Context, ls []storage.LiveLink) string {
	parts := make([]string, len(ls))
	for i, l := range ls {
		parts[i] = i18n.T(ctx, "live.link", l.Name, l.Priority)
	}
	return strings.Join(parts, ", ")
}

// contactLabel is a contact by name, else by phone.
func contactLabel(name, phone string) string {
	if strings.TrimSpace(name) != "" {
		return name
	}
	return orDash(phone)
}

// clockTime is the time of day of a moment, UTC.
func clockTime(t time.Time) string { return t.UTC().Format("15:04:05") + " UTC" }

// stateLabel translates an agent's presence.
func stateLabel(ctx context.Context, state string) string {
	switch state {
	case routing.Available:
		return i18n.T(ctx, "live.state_available")
	case routing.Away:
		return i18n.T(ctx, "live.state_away")
	case routing.Offline:
		return i18n.T(ctx, "live.state_offline")
	default:
		return i18n.T(ctx, "live.state_unknown")
	}
}

// statusLabel translates a conversation's status.
func statusLabel(ctx context.Context, status string) string {
	switch status {
	case domain.ConversationBot:
		return i18n.T(ctx, "conversation.status_bot")
	case domain.ConversationQueued:
		return i18n.T(ctx, "conversation.status_queued")
	case domain.ConversationAssigned:
		return i18n.T(ctx, "conversation.status_assigned")
	case domain.ConversationClosed:
		return i18n.T(ctx, "conversation.status_closed")
	default:
		return status
	}
}

// eventLabel translates the kind of a routing event.
func eventLabel(ctx context.Context, kind string) string {
	switch kind {
	case "queued":
		return i18n.T(ctx, "conversation.event_queued")
	case "assigned":
		return i18n.T(ctx, "conversation.event_assigned")
	case "requeued":
		return i18n.T(ctx, "conversation.event_requeued")
	case "transferred":
		return i18n.T(ctx, "conversation.event_transferred")
	case "closed":
		return i18n.T(ctx, "conversation.event_closed")
	default:
		return kind
	}
}

// directionLabel translates a message's direction.
func directionLabel(ctx context.Context, direction string) string {
	if direction == "inbound" {
		return i18n.T(ctx, "conversation.inbound")
	}
	return i18n.T(ctx, "conversation.outbound")
}
