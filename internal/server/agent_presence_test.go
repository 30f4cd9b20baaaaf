package server_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"switchboard/internal/routing"
	"switchboard/internal/server/browsertest"
	"switchboard/internal/server/servertest"
	"switchboard/internal/storage/storagetest"
	"switchboard/internal/whatsapp/fakemeta"
)

// TestBrowserAgentAvailabilityRoutesConversations plays an agent in
// Chromium: it says it is available, a customer writes, the router gives it
// the conversation and the page shows it with the router's reason. The open
// page keeps the agent present beyond the presence TTL; once the page is
// left, the presence lapses.
func TestBrowserAgentAvailabilityRoutesConversations(t *testing.T) {
	t.Parallel()
	const ttl = 2 * time.Second
	app := servertest.New(t, servertest.Options{RunWorkers: true, PresenceTTL: ttl, RoutingSweep: 100 * time.Millisecond})
	bg := context.Background()
	st, tenantID, agent := app.DB.Store, app.F.A.ID, app.F.A.Agent
	n, _ := salesDesk(t, app)

	ctx := browsertest.New(t)
	do := func(steps ...chromedp.Action[chromedp.Void]) {
		t.Helper()
		if err := chromedp.Do(ctx, steps...); err != nil {
			t.Fatalf("browser: %v\nserver log:\n%s", err, app.Logs.String())
		}
	}
	text := func(sel string) string {
		t.Helper()
		s, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS(sel)))
		if err != nil {
			t.Fatalf("browser: text of %s: %v", sel, err)
		}
		return strings.TrimSpace(s)
	}
	presence := func() string {
		t.Helper()
		s, err := app.Routing.Availability(bg, tenantID, []string{agent.ID})
		if err != nil {
			t.Fatal(err)
		}
		return s[agent.ID]
	}

	do(chromedp.Navigate(app.URL+"/login"),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid=login]`)),
		chromedp.SendKeys(chromedp.CSS(`#f-email`), agent.Email),
		chromedp.SendKeys(chromedp.CSS(`#f-password`), storagetest.Password),
		chromedp.Click(chromedp.CSS(`[data-testid=login-submit]`)),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid=agent-home]`)))
	if s := text(`[data-testid=presence-state]`); s != "Offline" {
		t.Fatalf("a new agent's state reads %q", s)
	}
	do(chromedp.Click(chromedp.CSS(`[data-testid=set-available]`)), chromedp.WaitVisible(chromedp.CSS(`[data-testid=flash]`)))
	if s := text(`[data-testid=presence-state]`); s != "Available" {
		t.Fatalf("after choosing available the page says %q", s)
	}

	wamid, err := app.Sandbox.Fake.CustomerSends(bg, n.PhoneNumberID, fakemeta.InboundMessage{From: "393471234567", ProfileName: "Giulia", Text: "Buongiorno"})
	if err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(10 * time.Second)
	for {
		m, err := st.MessageByWAMID(bg, tenantID, wamid)
		if err == nil {
			if c, err := st.Conversation(bg, tenantID, m.ConversationID); err == nil && c.AssignedAgentID == agent.ID {
				break
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("the conversation was not assigned to the available agent\n%s", app.Logs.String())
		}
		time.Sleep(50 * time.Millisecond)
	}
	// The open page beats: past the TTL the agent is still available.
	time.Sleep(ttl + time.Second)
	if s := presence(); s != routing.Available {
		t.Fatalf("with the page open, %v after choosing, presence is %q", ttl+time.Second, s)
	}
	do(chromedp.Reload(), chromedp.WaitVisible(chromedp.CSS(`[data-testid=inbox-row]`)))
	if row := text(`[data-testid=inbox-row]`); !strings.Contains(row, "Giulia") || !strings.Contains(row, "only candidate") {
		t.Fatalf("inbox row %q lacks the contact or the router's reason", row)
	}
	// Leaving the page stops the beats: the presence lapses after the TTL.
	do(chromedp.Navigate("about:blank"))
	deadline = time.Now().Add(2*ttl + time.Second)
	for presence() != routing.Offline {
		if time.Now().After(deadline) {
			t.Fatal("presence did not lapse after the page was left")
		}
		time.Sleep(100 * time.Millisecond)
	}
}
