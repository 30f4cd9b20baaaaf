package server_test

import (
	"testing"
	"time"

	"switchboard/internal/domain"
	"switchboard/internal/whatsapp/fakemeta"
)

// TestSoftbotLongClosureQueuesAtOnce: told to wait for opening time, a
// number closed for longer than the look-ahead (three weeks of summer
// holidays) has no opening time to wait for. The conversation must reach a
// person rather than stay held by the bot layer with nothing to wake it.
func TestSoftbotLongClosureQueuesAtOnce(t *testing.T) {
	t.Parallel()
	w := newBotWorld(t)
	w.available(w.app.F.A.Agent.ID)
	rome, _ := time.LoadLocation("Europe/Rome")
	saturday := time.Date(2026, 8, 1, 10, 0, 0, 0, rome)
	w.clock.Store(&saturday)
	for d := 1; d <= 5; d++ {
		w.exec(`INSERT INTO business_hours (tenant_id, number_id, weekday, opens, closes) VALUES ($1, $2, $3, 540, 1080)`, w.tenantID, w.n.ID, d)
	}
	w.exec(`INSERT INTO holidays (tenant_id, number_id, day, name)
		SELECT $1, $2, d::date, 'Summer closure' FROM generate_series('2026-08-01'::date, '2026-08-23'::date, interval '1 day') d`,
		w.tenantID, w.n.ID)
	w.exec(`UPDATE numbers SET time_zone = 'Europe/Rome' WHERE id = $1`, w.n.ID)
	w.automation(`closed_mode = 'wait', closed_text = 'We are closed for the summer.'`)
	const customer = "393471234568"
	w.sends(customer, fakemeta.InboundMessage{Text: "Aiuto!"})
	if got := w.receives(customer, 1)[0].Text; got != "We are closed for the summer." {
		t.Fatalf("out-of-hours reply %q", got)
	}
	w.conversation(customer, "queued for a person", func(c domain.Conversation) bool {
		return c.Status == "assigned" && c.AssignedAgentID == w.app.F.A.Agent.ID
	})
}

// TestSoftbotDeletedBotHandsOff: the administrator gives the number another
// setup and deletes the bot while a customer is inside its menu (the run
// then names no bot). The customer's next message hands the conversation
// to a person; it does not fail the webhook event, which Meta's retries
// would fail again for days.
func TestSoftbotDeletedBotHandsOff(t *testing.T) {
	t.Parallel()
	w := newBotWorld(t)
	w.available(w.app.F.A.Agent.ID)
	w.publish(w.mainMenu())
	const customer = "393331112299"
	w.sends(customer, fakemeta.InboundMessage{ProfileName: "Maria", Text: "Buongiorno"})
	w.receives(customer, 1)
	w.conversation(customer, "held by the bot", func(c domain.Conversation) bool { return c.Status == "bot" })
	w.automation(`bot_id = NULL`)
	w.exec(`DELETE FROM bots WHERE tenant_id = $1`, w.tenantID)
	w.sends(customer, fakemeta.InboundMessage{Text: "Billing"})
	w.conversation(customer, "handed to a person", func(c domain.Conversation) bool {
		return c.Status == "assigned" && c.AssignedAgentID == w.app.F.A.Agent.ID
	})
	if outcome, _, reason := w.run(customer); outcome != "handed_off" || reason != "lost" {
		t.Fatalf("the run ended %q (%q)", outcome, reason)
	}
}
