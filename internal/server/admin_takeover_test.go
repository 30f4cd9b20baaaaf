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

// TestBrowserAdminTakesOver: an administrator reads a conversation an agent
// holds (with the router's explanation), takes it over, lands in the agent
// console holding it, and answers; the customer receives the answer and
// the agent no longer holds it.
func TestBrowserAdminTakesOver(t *testing.T) {
	t.Parallel()
	app := servertest.New(t, servertest.Options{RunWorkers: true, RoutingSweep: 100 * time.Millisecond})
	bg := context.Background()
	st, tenantID, agent, admin := app.DB.Store, app.F.A.ID, app.F.A.Agent, app.F.A.Admin
	n, _ := salesDesk(t, app)
	if err := app.Routing.SetAvailability(bg, tenantID, agent.ID, routing.Available); err != nil {
		t.Fatal(err)
	}
	const customer = "393479998877"
	if _, err := app.Sandbox.Fake.CustomerSends(bg, n.PhoneNumberID, fakemeta.InboundMessage{From: customer, ProfileName: "Piero", Text: "Vorrei parlare con un responsabile"}); err != nil {
		t.Fatal(err)
	}
	var conv string
	deadline := time.Now().Add(15 * time.Second)
	for conv == "" {
		inbox, err := st.AgentInbox(bg, tenantID, agent.ID)
		if err != nil {
			t.Fatal(err)
		}
		if len(inbox) == 1 {
			conv = inbox[0].ID
		} else if time.Now().After(deadline) {
			t.Fatalf("the conversation never reached the agent\n%s", tail(app.Logs.String()))
		} else {
			time.Sleep(50 * time.Millisecond)
		}
	}

	ctx := browsertest.New(t)
	do, _ := browserSteps(t, app, ctx, stepTimeout(20*time.Second))
	do("the administrator signs in and opens the conversation",
		chromedp.Navigate(app.URL+"/login"),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid=login]`)),
		chromedp.SendKeys(chromedp.CSS(`#f-email`), admin.Email),
		chromedp.SendKeys(chromedp.CSS(`#f-password`), storagetest.Password),
		chromedp.Click(chromedp.CSS(`[data-testid=login-submit]`)),
		chromedp.WaitVisible(chromedp.CSS(`nav`)),
		chromedp.Navigate(app.URL+"/admin/conversations/"+conv),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid=take-over]`)))
	do("take it over", chromedp.Click(chromedp.CSS(`[data-testid=take-over]`)),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid=flash]`)))
	if flash, err := chromedp.Run(ctx, chromedp.Evaluate[string](`document.querySelector('[data-testid=flash]').textContent`)); err != nil || !strings.Contains(flash, "yours") {
		t.Fatalf("after the take-over the page says %q (%v)", flash, err)
	}
	do("the console", chromedp.WaitVisible(chromedp.CSS(`[data-testid=conversation][data-conversation="`+conv+`"]`)),
		chromedp.WaitVisible(chromedp.CSS(`body[data-live=on]`)))
	c, err := st.Conversation(bg, tenantID, conv)
	if err != nil || c.AssignedAgentID != admin.ID || c.Status != "assigned" {
		t.Fatalf("after the take-over the conversation is %s held by %q, want the administrator %q (%v)", c.Status, c.AssignedAgentID, admin.ID, err)
	}
	if inbox, _ := st.AgentInbox(bg, tenantID, agent.ID); len(inbox) != 0 {
		t.Fatalf("the agent still holds %d conversations", len(inbox))
	}
	do("answer", chromedp.SendKeys(chromedp.CSS(`[data-testid=composer-text]`), "Sono la responsabile, mi dica."),
		chromedp.Click(chromedp.CSS(`[data-testid=composer-send]`)))
	deadline = time.Now().Add(15 * time.Second)
	for !fakeReceived(app, n, customer, "Sono la responsabile, mi dica.") {
		if time.Now().After(deadline) {
			t.Fatalf("the customer never received the administrator's answer\n%s", tail(app.Logs.String()))
		}
		time.Sleep(50 * time.Millisecond)
	}
}
