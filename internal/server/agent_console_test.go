package server_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"

	"switchboard/internal/domain"
	"switchboard/internal/server/browsertest"
	"switchboard/internal/server/servertest"
	"switchboard/internal/whatsapp/fakemeta"
)

// TestBrowserAgentConsoleLive plays a customer in the sandbox and an agent
// in Chromium: the conversation reaches the agent's inbox without a reload,
// the customer's next message appears in the open conversation, the agent's
// reply reaches the customer and its ticks come back; after a network drop
// the messages written meanwhile appear once each.
func TestBrowserAgentConsoleLive(t *testing.T) {
	t.Parallel()
	app := servertest.New(t, servertest.Options{RunWorkers: true, RoutingSweep: 100 * time.Millisecond})
	bg := context.Background()
	tenantID, agent := app.F.A.ID, app.F.A.Agent
	n, _ := salesDesk(t, app)
	const customer = "393471112233"
	writes := func(text string) {
		t.Helper()
		if _, err := app.Sandbox.Fake.CustomerSends(bg, n.PhoneNumberID, fakemeta.InboundMessage{From: customer, ProfileName: "Marta", Text: text}); err != nil {
			t.Fatal(err)
		}
	}

	ctx := browsertest.New(t)
	do, _ := browserSteps(t, app, ctx, stepTimeout(20*time.Second))
	texts := func() []string {
		t.Helper()
		nodes, err := chromedp.Run(ctx, chromedp.Evaluate[[]string](`[...document.querySelectorAll('[data-testid=message-text]')].map(e => e.textContent)`))
		if err != nil {
			t.Fatal(err)
		}
		return nodes
	}
	count := func(list []string, s string) int {
		c := 0
		for _, x := range list {
			if x == s {
				c++
			}
		}
		return c
	}
	waitText := func(s string) {
		t.Helper()
		deadline := time.Now().Add(15 * time.Second)
		for count(texts(), s) == 0 {
			if time.Now().After(deadline) {
				t.Fatalf("%q never appeared; the page shows %q\n%s", s, texts(), tail(app.Logs.String()))
			}
			time.Sleep(50 * time.Millisecond)
		}
	}

	do("sign in and be available",
		signInAvailable(app, agent.Email))

	// The customer writes: the conversation appears in the inbox, live.
	writes("Buongiorno")
	do("the conversation reaches the inbox without a reload", chromedp.WaitVisible(chromedp.CSS(`[data-testid=inbox-row]`)))
	do("open it", clickLive(`[data-testid=inbox-open]`),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid=conversation]`)),
		chromedp.WaitVisible(chromedp.CSS(`body[data-live=on]`)))
	waitText("Buongiorno")
	writes("Avete il catalogo?")
	waitText("Avete il catalogo?")

	// The agent replies; the customer receives it; the ticks come back.
	do("reply", chromedp.SendKeys(chromedp.CSS(`[data-testid=composer-text]`), "Certo, glielo mando subito."),
		chromedp.Click(chromedp.CSS(`[data-testid=composer-send]`)))
	waitText("Certo, glielo mando subito.")
	deadline := time.Now().Add(15 * time.Second)
	for !fakeReceived(app, n, customer, "Certo, glielo mando subito.") {
		if time.Now().After(deadline) {
			t.Fatalf("the customer never received the reply\n%s", tail(app.Logs.String()))
		}
		time.Sleep(50 * time.Millisecond)
	}
	do("ticks come back", chromedp.WaitVisible(chromedp.CSS(`[data-direction=outbound][data-status=delivered], [data-direction=outbound][data-status=read]`)))

	// A network drop: while the tab cannot reach the server, the customer
	// writes twice; when it is back, both appear, once each.
	offline := network.EmulateNetworkConditionsByRuleParams{MatchedNetworkConditions: []*network.Conditions{{Offline: true, DownloadThroughput: -1, UploadThroughput: -1}}}
	if _, err := chromedp.Call(ctx, network.EmulateNetworkConditionsByRule, offline); err != nil {
		t.Fatal(err)
	}
	app.Hub.Disconnect(tenantID, agent.ID)
	do("the page notices", chromedp.WaitVisible(chromedp.CSS(`body[data-live=off]`)))
	writes("Siete aperti sabato?")
	writes("E domenica?")
	time.Sleep(time.Second)
	if c := count(texts(), "E domenica?"); c != 0 {
		t.Fatalf("offline page already shows a message sent while offline (%d)", c)
	}
	online := network.EmulateNetworkConditionsByRuleParams{MatchedNetworkConditions: []*network.Conditions{}}
	if _, err := chromedp.Call(ctx, network.EmulateNetworkConditionsByRule, online); err != nil {
		t.Fatal(err)
	}
	waitText("E domenica?")
	waitText("Siete aperti sabato?")
	time.Sleep(500 * time.Millisecond)
	got := texts()
	for _, s := range []string{"Buongiorno", "Avete il catalogo?", "Siete aperti sabato?", "E domenica?", "Certo, glielo mando subito."} {
		if c := count(got, s); c != 1 {
			t.Errorf("%q shown %d times, want once: %q", s, c, got)
		}
	}
}

func fakeReceived(app *servertest.App, n domain.Number, customer, text string) bool {
	for _, ev := range app.Sandbox.Fake.Conversation(n.PhoneNumberID, customer) {
		if strings.Contains(ev.Text, text) {
			return true
		}
	}
	return false
}

func tail(s string) string {
	if len(s) > 4000 {
		return s[len(s)-4000:]
	}
	return s
}
