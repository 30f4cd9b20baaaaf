package server_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/jackc/pgx/v5"

	"switchboard/internal/domain"
	"switchboard/internal/routing"
	"switchboard/internal/server/browsertest"
	"switchboard/internal/server/servertest"
	"switchboard/internal/softbot"
	"switchboard/internal/storage"
	"switchboard/internal/storage/storagetest"
	"switchboard/internal/whatsapp/fakemeta"
	"switchboard/internal/whatsapp/webhook"
)

// botWorld is tenant A with a sandbox number linked to Sales (Anna, the
// fixture's agent, skillset priority 9) and Billing (Bruno with agent
// priority 5, Anna with 1; skillset priority 1): without a bot every
// conversation goes to Anna by step 3; a hand-off to Billing must reach
// Bruno by step 4.
type botWorld struct {
	t        *testing.T
	app      *servertest.App
	n        domain.Number
	sales    string
	billing  string
	bruno    string
	clock    *atomic.Pointer[time.Time]
	tenantID string
}

func newBotWorld(t *testing.T) *botWorld {
	t.Helper()
	clock := &atomic.Pointer[time.Time]{}
	now := func() time.Time {
		if c := clock.Load(); c != nil {
			return *c
		}
		return time.Now()
	}
	app := servertest.New(t, servertest.Options{RunWorkers: true, RoutingSweep: 100 * time.Millisecond, BotNow: now})
	bg := context.Background()
	st, tenantID := app.DB.Store, app.F.A.ID
	actor := storage.Actor{Email: "test"}
	n, sales := salesDesk(t, app)
	if err := st.LinkNumberSkillset(bg, tenantID, actor, n.ID, sales, 9); err != nil {
		t.Fatal(err)
	}
	bruno, err := st.CreateUser(bg, actor, domain.User{TenantID: tenantID, Email: "bruno@alpha.test", Name: "Bruno",
		Role: domain.RoleAgent, PasswordHash: "x", Active: true})
	if err != nil {
		t.Fatal(err)
	}
	billing, err := st.CreateSkillset(bg, tenantID, actor, "Billing")
	if err != nil {
		t.Fatal(err)
	}
	if err := st.SetSkillsetMember(bg, tenantID, actor, billing, bruno, 5); err != nil {
		t.Fatal(err)
	}
	if err := st.SetSkillsetMember(bg, tenantID, actor, billing, app.F.A.Agent.ID, 1); err != nil {
		t.Fatal(err)
	}
	if err := st.LinkNumberSkillset(bg, tenantID, actor, n.ID, billing, 1); err != nil {
		t.Fatal(err)
	}
	return &botWorld{t: t, app: app, n: n, sales: sales, billing: billing, bruno: bruno, clock: clock, tenantID: tenantID}
}

func (w *botWorld) exec(sql string, args ...any) {
	w.t.Helper()
	if err := w.app.DB.Store.InPlatform(context.Background(), func(tx pgx.Tx) error {
		_, err := tx.Exec(context.Background(), sql, args...)
		return err
	}); err != nil {
		w.t.Fatalf("%s: %v", sql, err)
	}
}

// automation sets the number's automatic replies (a fixture: the admin
// pages that write them have tests of their own).
func (w *botWorld) automation(set string, args ...any) {
	w.t.Helper()
	w.exec(`INSERT INTO number_automation (number_id, tenant_id) VALUES ($1, $2) ON CONFLICT DO NOTHING`, w.n.ID, w.tenantID)
	if set != "" {
		w.exec(`UPDATE number_automation SET `+set+` WHERE number_id = $1`, append([]any{w.n.ID}, args...)...)
	}
}

// publish makes menu the number's live bot as version 1 (or the next).
func (w *botWorld) publish(m softbot.Menu) {
	w.t.Helper()
	if ps := m.Validate(func(id string) bool { return id == w.sales || id == w.billing }); len(ps) > 0 {
		w.t.Fatalf("fixture menu invalid: %v", ps)
	}
	def, _ := json.Marshal(m)
	w.exec(`INSERT INTO bots (tenant_id, name) VALUES ($1, 'Main menu') ON CONFLICT DO NOTHING`, w.tenantID)
	w.exec(`WITH b AS (SELECT id FROM bots WHERE tenant_id = $1 AND name = 'Main menu'),
		v AS (INSERT INTO bot_versions (tenant_id, bot_id, version, definition)
			SELECT $1, b.id, coalesce((SELECT max(version) FROM bot_versions WHERE bot_id = b.id), 0) + 1, $2 FROM b RETURNING bot_id, version)
		UPDATE bots SET live_version = v.version FROM v WHERE bots.id = v.bot_id`, w.tenantID, def)
	w.automation(`bot_id = (SELECT id FROM bots WHERE tenant_id = $2 AND name = 'Main menu')`, w.tenantID)
}

func (w *botWorld) sends(customer string, msg fakemeta.InboundMessage) {
	w.t.Helper()
	msg.From = customer
	if _, err := w.app.Sandbox.Fake.CustomerSends(context.Background(), w.n.PhoneNumberID, msg); err != nil {
		w.t.Fatal(err)
	}
}

// receives waits until the customer's phone shows at least count business
// messages and returns them.
func (w *botWorld) receives(customer string, count int) []fakemeta.Event {
	w.t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for {
		var out []fakemeta.Event
		for _, e := range w.app.Sandbox.Fake.Conversation(w.n.PhoneNumberID, customer) {
			if e.Direction == fakemeta.Outbound {
				out = append(out, e)
			}
		}
		if len(out) >= count {
			return out
		}
		if time.Now().After(deadline) {
			w.t.Fatalf("the customer got %d business messages, want %d: %+v\n%s", len(out), count, out, tail(w.app.Logs.String()))
		}
		time.Sleep(30 * time.Millisecond)
	}
}

// quiet checks that the customer got exactly count business messages and
// no more in a while.
func (w *botWorld) quiet(customer string, count int) {
	w.t.Helper()
	time.Sleep(700 * time.Millisecond)
	if got := w.receives(customer, 0); len(got) != count {
		w.t.Fatalf("the customer got %d business messages, want exactly %d: %+v", len(got), count, got)
	}
}

// conversation waits for the customer's open conversation to satisfy ok.
func (w *botWorld) conversation(customer string, what string, ok func(domain.Conversation) bool) domain.Conversation {
	w.t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for {
		var id string
		_ = w.app.DB.Store.InPlatform(context.Background(), func(tx pgx.Tx) error {
			return tx.QueryRow(context.Background(), `SELECT c.id FROM conversations c JOIN contacts ct ON ct.id = c.contact_id
				WHERE ct.tenant_id = $1 AND ct.wa_id = $2 ORDER BY c.created_at DESC LIMIT 1`, w.tenantID, customer).Scan(&id)
		})
		if id != "" {
			c, err := w.app.DB.Store.Conversation(context.Background(), w.tenantID, id)
			if err == nil && ok(c) {
				return c
			}
			if time.Now().After(deadline) {
				w.t.Fatalf("conversation of %s: want %s, have %+v (%v)\n%s", customer, what, c, err, tail(w.app.Logs.String()))
			}
		} else if time.Now().After(deadline) {
			w.t.Fatalf("no conversation of %s", customer)
		}
		time.Sleep(30 * time.Millisecond)
	}
}

func (w *botWorld) run(customer string) (outcome, step, reason string) {
	w.t.Helper()
	_ = w.app.DB.Store.InPlatform(context.Background(), func(tx pgx.Tx) error {
		return tx.QueryRow(context.Background(), `SELECT r.outcome, r.ended_step, r.reason FROM bot_runs r
			JOIN conversations c ON c.id = r.conversation_id JOIN contacts ct ON ct.id = c.contact_id
			WHERE ct.tenant_id = $1 AND ct.wa_id = $2 ORDER BY r.started_at DESC LIMIT 1`, w.tenantID, customer).Scan(&outcome, &step, &reason)
	})
	return
}

func (w *botWorld) available(agentIDs ...string) {
	w.t.Helper()
	for _, id := range agentIDs {
		if err := w.app.Routing.SetAvailability(context.Background(), w.tenantID, id, routing.Available); err != nil {
			w.t.Fatal(err)
		}
	}
}

func texts(es []fakemeta.Event) []string {
	var out []string
	for _, e := range es {
		out = append(out, e.Text)
	}
	return out
}

func (w *botWorld) mainMenu() softbot.Menu {
	return softbot.Menu{Start: "start", Steps: []softbot.Step{
		{ID: "start", Kind: softbot.KindButtons, Text: "Hi! What do you need?", Options: []softbot.Option{
			{Title: "Billing", Next: "billing"}, {Title: "Buy something", Next: "to_sales"}}},
		{ID: "billing", Kind: softbot.KindList, Text: "About billing:", ListButton: "Topics", Options: []softbot.Option{
			{Title: "Wrong invoice", Description: "An amount is not right", Next: "to_billing"},
			{Title: "Pay by card", Next: "card"}}},
		{ID: "card", Kind: softbot.KindAnswer, Text: "Pay by card on our website."},
		{ID: "to_billing", Kind: softbot.KindHandoff, Text: "A billing specialist will answer you.", Skillset: w.billing, PriorityBump: 5},
		{ID: "to_sales", Kind: softbot.KindHandoff, Text: "Passing you to sales.", Skillset: w.sales},
	}}
}

// TestSoftbotGreetsAndAnswersKeywords: the welcome of a first conversation
// and a keyword rule's answer reach the customer through the sandbox, the
// rule tags the contact and sends the conversation to Billing, where the
// router gives it to Bruno; a second conversation gets no welcome.
func TestSoftbotGreetsAndAnswersKeywords(t *testing.T) {
	t.Parallel()
	w := newBotWorld(t)
	w.available(w.app.F.A.Agent.ID, w.bruno)
	w.automation(`welcome_mode = 'first', welcome_text = 'Welcome to Alpha!'`)
	w.exec(`INSERT INTO keyword_rules (tenant_id, position, name, match, pattern, reply, set_tags, set_skillset)
		VALUES ($1, 1, 'Invoices', 'contains', 'invoice', '{"type":"text","text":"Invoices are under Account > Billing."}', '{billing}', $2)`,
		w.tenantID, w.billing)
	const customer = "447700900123"
	w.sends(customer, fakemeta.InboundMessage{ProfileName: "Jane", Text: "Where is my invoice?"})
	got := texts(w.receives(customer, 2))
	if got[0] != "Welcome to Alpha!" || got[1] != "Invoices are under Account > Billing." {
		t.Fatalf("the customer got %q", got)
	}
	c := w.conversation(customer, "assigned to Bruno", func(c domain.Conversation) bool { return c.AssignedAgentID == w.bruno })
	if c.TargetSkillsetID != w.billing {
		t.Fatalf("the rule's skillset was not kept: %+v", c)
	}
	var tags []string
	_ = w.app.DB.Store.InPlatform(context.Background(), func(tx pgx.Tx) error {
		return tx.QueryRow(context.Background(), `SELECT tags FROM contacts WHERE id = $1`, c.ContactID).Scan(&tags)
	})
	if len(tags) != 1 || tags[0] != "billing" {
		t.Fatalf("contact tags %v", tags)
	}
	// The history shows the automatic messages as the bot's.
	msgs, _, err := w.app.DB.Store.RecentMessages(context.Background(), w.tenantID, c.ID, "", 10)
	if err != nil {
		t.Fatal(err)
	}
	bot := 0
	for _, m := range msgs {
		if m.Sender == "bot" {
			bot++
		}
	}
	if bot != 2 {
		t.Fatalf("%d messages marked as the bot's, want 2: %+v", bot, msgs)
	}
	// Closed, then the customer writes again: no second welcome.
	w.exec(`UPDATE conversations SET status = 'closed', closed_at = now() WHERE id = $1`, c.ID)
	w.sends(customer, fakemeta.InboundMessage{Text: "Hello again"})
	w.quiet(customer, 2)
}

// TestSoftbotMenuHandsOffToTheChosenSkillset: a two-level menu (buttons,
// then a list) ends in a hand-off to Billing with a priority bump; the
// router then assigns Bruno by the six-step rule although Sales ranks
// higher on the number. Free text at a menu step is asked again once.
func TestSoftbotMenuHandsOffToTheChosenSkillset(t *testing.T) {
	t.Parallel()
	w := newBotWorld(t)
	w.available(w.app.F.A.Agent.ID, w.bruno)
	w.publish(w.mainMenu())
	const customer = "393331112233"
	w.sends(customer, fakemeta.InboundMessage{ProfileName: "Maria", Text: "Buongiorno"})
	first := w.receives(customer, 1)[0]
	if first.Text != "Hi! What do you need?" || len(first.Choices) != 2 || first.Choices[0].Title != "Billing" {
		t.Fatalf("the menu: %+v", first)
	}
	w.conversation(customer, "held by the bot", func(c domain.Conversation) bool { return c.Status == "bot" })
	// Free text: asked again (in Italian, the customer's number being Italian).
	w.sends(customer, fakemeta.InboundMessage{Text: "boh"})
	again := w.receives(customer, 3)
	if !strings.Contains(again[1].Text, "non ho capito") || len(again[2].Choices) != 2 {
		t.Fatalf("the re-ask: %q", texts(again))
	}
	if _, err := w.app.Sandbox.Fake.CustomerChooses(context.Background(), w.n.PhoneNumberID, customer, again[2].WAMID, again[2].Choices[0].ID); err != nil {
		t.Fatal(err)
	}
	list := w.receives(customer, 4)[3]
	if list.Text != "About billing:" || len(list.Choices) != 2 || list.Choices[0].Kind != fakemeta.ChoiceList {
		t.Fatalf("the list: %+v", list)
	}
	if _, err := w.app.Sandbox.Fake.CustomerChooses(context.Background(), w.n.PhoneNumberID, customer, list.WAMID, list.Choices[0].ID); err != nil {
		t.Fatal(err)
	}
	if got := w.receives(customer, 5)[4].Text; got != "A billing specialist will answer you." {
		t.Fatalf("hand-off notice %q", got)
	}
	c := w.conversation(customer, "assigned to Bruno", func(c domain.Conversation) bool { return c.Status == "assigned" })
	if c.AssignedAgentID != w.bruno || c.TargetSkillsetID != w.billing || c.Assignment == nil || c.Assignment.Step != 4 {
		t.Fatalf("after the hand-off: %+v %+v", c, c.Assignment)
	}
	if c.QueuedAt == nil || c.QueuedAt.After(c.CreatedAt.Add(time.Second)) {
		t.Fatalf("arrival time not kept from the first message: queued %v, created %v", c.QueuedAt, c.CreatedAt)
	}
	if outcome, step, _ := w.run(customer); outcome != "handed_off" || step != "to_billing" {
		t.Fatalf("the bot run ended %q at %q", outcome, step)
	}
}

// TestSoftbotHandoffWordMidMenu: typing the hand-off word inside the menu
// goes to a person at once (the number's skillsets: Anna by step 3).
func TestSoftbotHandoffWordMidMenu(t *testing.T) {
	t.Parallel()
	w := newBotWorld(t)
	w.available(w.app.F.A.Agent.ID, w.bruno)
	w.publish(w.mainMenu())
	w.automation(`handoff_keywords = '{agent,operatore}'`)
	const customer = "393339998877"
	w.sends(customer, fakemeta.InboundMessage{Text: "ciao"})
	w.receives(customer, 1)
	w.sends(customer, fakemeta.InboundMessage{Text: "Operatore, per favore"})
	if got := w.receives(customer, 2)[1].Text; got != softbot.Phrase("it", "handoff") {
		t.Fatalf("hand-off phrase %q", got)
	}
	c := w.conversation(customer, "assigned", func(c domain.Conversation) bool { return c.Status == "assigned" })
	if c.AssignedAgentID != w.app.F.A.Agent.ID || c.TargetSkillsetID != "" || c.Assignment == nil || c.Assignment.Step != 3 {
		t.Fatalf("after asking for a person: %+v", c)
	}
	if outcome, step, reason := w.run(customer); outcome != "handed_off" || step != "start" || reason != "asked" {
		t.Fatalf("bot run %q %q %q", outcome, step, reason)
	}
	// Nothing automatic once a person holds it.
	w.sends(customer, fakemeta.InboundMessage{Text: "Billing"})
	w.quiet(customer, 2)
}

// TestSoftbotOutOfHoursWaitsForOpening: with the clock on a Sunday night,
// outside Monday–Friday 9–18, the customer gets the out-of-hours reply and
// the conversation waits; at Monday's opening it queues and Anna gets it.
func TestSoftbotOutOfHoursWaitsForOpening(t *testing.T) {
	t.Parallel()
	w := newBotWorld(t)
	w.available(w.app.F.A.Agent.ID)
	rome, _ := time.LoadLocation("Europe/Rome")
	sunday := time.Date(2026, 11, 22, 22, 0, 0, 0, rome)
	w.clock.Store(&sunday)
	for d := 1; d <= 5; d++ {
		w.exec(`INSERT INTO business_hours (tenant_id, number_id, weekday, opens, closes) VALUES ($1, $2, $3, 540, 1080)`, w.tenantID, w.n.ID, d)
	}
	w.exec(`UPDATE numbers SET time_zone = 'Europe/Rome' WHERE id = $1`, w.n.ID)
	w.automation(`closed_mode = 'wait', closed_text = 'We are closed: we open at 9.'`)
	const customer = "393471234567"
	w.sends(customer, fakemeta.InboundMessage{Text: "Aiuto!"})
	if got := w.receives(customer, 1)[0].Text; got != "We are closed: we open at 9." {
		t.Fatalf("out-of-hours reply %q", got)
	}
	w.conversation(customer, "waiting for opening", func(c domain.Conversation) bool { return c.Status == "bot" })
	time.Sleep(500 * time.Millisecond) // sweeps at Sunday night change nothing
	w.conversation(customer, "still waiting", func(c domain.Conversation) bool { return c.Status == "bot" })
	monday := time.Date(2026, 11, 23, 9, 0, 30, 0, rome)
	w.clock.Store(&monday)
	w.conversation(customer, "assigned at opening", func(c domain.Conversation) bool {
		return c.Status == "assigned" && c.AssignedAgentID == w.app.F.A.Agent.ID
	})
	w.quiet(customer, 1)
}

// TestSoftbotLeavesOldAndLoopingMessagesAlone: a message Meta redelivers an
// hour late opens a conversation nobody answers automatically (it queues
// for a person); a busy queue tells the customer its place once; a rule
// that answers everything stops at the loop guard.
func TestSoftbotLeavesOldAndLoopingMessagesAlone(t *testing.T) {
	t.Parallel()
	w := newBotWorld(t)
	w.publish(w.mainMenu())
	w.automation(`welcome_mode = 'every', welcome_text = 'Welcome!', busy_enabled = true, busy_after = 0,
		busy_text = 'All our agents are busy: you are number {position} in the queue, wait {wait}.'`)
	// An hour-old message, signed as the sandbox signs its webhooks.
	const late = "393470000001"
	b := webhook.NewMessagesPayload(w.n.WABAID, w.n.PhoneNumberID, domain.Digits(w.n.DisplayPhone)).
		AddMessage(webhook.Contact{WaID: late, Name: "Late"}, webhook.Message{Type: webhook.TypeText,
			Text: &webhook.Text{Body: "are you there?"}, Timestamp: time.Now().Add(-time.Hour)})
	body, sig := b.Signed([]byte(w.app.SandboxSecret))
	req, _ := http.NewRequest(http.MethodPost, w.app.URL+"/webhooks/whatsapp/sandbox", bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set(webhook.SignatureHeader, sig)
	resp, err := http.DefaultClient.Do(req)
	if err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("webhook: %v %v", resp, err)
	}
	resp.Body.Close()
	w.conversation(late, "queued for a person", func(c domain.Conversation) bool { return c.Status == "queued" })
	// Nobody is available: the busy reply comes, once, with the position
	// (the late customer is first in line), but no welcome or menu.
	var msgs []domain.Message
	deadline := time.Now().Add(10 * time.Second)
	for {
		c := w.conversation(late, "queued", func(c domain.Conversation) bool { return true })
		msgs, _, _ = w.app.DB.Store.RecentMessages(context.Background(), w.tenantID, c.ID, "", 10)
		if len(msgs) >= 2 || time.Now().After(deadline) {
			break
		}
		time.Sleep(50 * time.Millisecond)
	}
	if len(msgs) != 2 || msgs[1].Sender != "bot" || !strings.Contains(msgs[1].Text, "number 1 in the queue, wait a few minutes") {
		t.Fatalf("the late conversation's messages: %+v", msgs)
	}

	// A rule answering anything, in a queued conversation: the loop guard
	// stops it at softbot's limit.
	w.exec(`UPDATE number_automation SET bot_id = NULL, welcome_mode = 'off', busy_enabled = false WHERE number_id = $1`, w.n.ID)
	w.exec(`INSERT INTO keyword_rules (tenant_id, position, name, match, pattern, reply)
		VALUES ($1, 1, 'Echo', 'regex', '.', '{"type":"text","text":"Thanks, noted."}')`, w.tenantID)
	const chatty = "447700900999"
	for i := 0; i < 15; i++ {
		w.sends(chatty, fakemeta.InboundMessage{Text: "message " + string(rune('a'+i))})
	}
	w.receives(chatty, 12)
	w.quiet(chatty, 12)
}

// TestBrowserSoftbotInTheSimulator: the administrator plays the customer in
// the simulator: the menu's buttons appear on the phone, a tap moves the
// menu on, and typing the hand-off word mid-menu reaches Anna, whose
// console shows the bot's exchange marked as automatic.
func TestBrowserSoftbotInTheSimulator(t *testing.T) {
	t.Parallel()
	w := newBotWorld(t)
	w.available(w.app.F.A.Agent.ID)
	w.publish(w.mainMenu())
	w.automation(`handoff_keywords = '{operatore,agent}'`)
	const customer = "393355550001"
	browser := func() (func(string, ...chromedp.Action[chromedp.Void]), func(string, string)) {
		ctx := browsertest.New(t)
		do, _ := browserSteps(t, w.app, ctx, stepTimeout(20*time.Second))
		// until evaluates js until it is true; a form's navigation in
		// between only delays it.
		until := func(what, js string) {
			t.Helper()
			deadline := time.Now().Add(15 * time.Second)
			for {
				ok, err := chromedp.Run(ctx, chromedp.Evaluate[bool](js))
				if err == nil && ok {
					return
				}
				if time.Now().After(deadline) {
					t.Fatalf("%s never came true (%v)\n%s", what, err, tail(w.app.Logs.String()))
				}
				time.Sleep(50 * time.Millisecond)
			}
		}
		return do, until
	}
	do, until := browser()
	outbound := func(n int) string {
		return fmt.Sprintf(`document.querySelectorAll('[data-testid=bubble][data-direction=outbound]').length >= %d`, n)
	}
	send := func(text string) {
		t.Helper()
		do("the customer sends "+text,
			chromedp.WaitVisible(chromedp.CSS(`[data-testid=send-text] [data-testid=text]`)),
			chromedp.SendKeys(chromedp.CSS(`[data-testid=send-text] [data-testid=text]`), text),
			chromedp.Click(chromedp.CSS(`[data-testid=send-text] [data-testid=send]`)))
	}
	do("the administrator opens the simulator as a customer",
		chromedp.Navigate(w.app.URL+"/login"),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid=login]`)),
		chromedp.SendKeys(chromedp.CSS(`#f-email`), w.app.F.A.Admin.Email),
		chromedp.SendKeys(chromedp.CSS(`#f-password`), storagetest.Password),
		chromedp.Click(chromedp.CSS(`[data-testid=login-submit]`)),
		chromedp.WaitVisible(chromedp.CSS(`nav`)),
		chromedp.Navigate(w.app.URL+"/simulator/"+w.n.ID+"/?customer="+customer+"&name=Lia"))
	send("ciao")
	until("the menu's buttons on the phone", outbound(1)+` && [...document.querySelectorAll('[data-testid=choice]')].some(b => b.textContent.trim() === 'Billing')`)
	do("a tap on Billing", clickLive(`[data-testid=choice]`)) // the first choice: Billing
	until("the billing list", outbound(2)+` && [...document.querySelectorAll('[data-testid=bubble-text]')].some(s => s.textContent.includes('About billing'))`)
	send("operatore")
	until("the hand-off notice", outbound(3))
	c := w.conversation(customer, "assigned to Anna", func(c domain.Conversation) bool {
		return c.Status == "assigned" && c.AssignedAgentID == w.app.F.A.Agent.ID
	})
	do("the administrator reads the conversation", chromedp.Navigate(w.app.URL+"/admin/conversations/"+c.ID))
	until("the bot's three messages marked", `document.querySelectorAll('[data-testid=message-auto]').length === 3`)

	ado, auntil := browser()
	ado("Anna signs in and opens it", signInAvailable(w.app, w.app.F.A.Agent.Email),
		chromedp.Navigate(w.app.URL+"/agent/conversations/"+c.ID))
	auntil("the whole exchange, the bot's part marked", `document.querySelectorAll('[data-testid=message-auto]').length === 3 &&
		document.querySelectorAll('[data-testid=message][data-direction=inbound]').length === 3`)
}
