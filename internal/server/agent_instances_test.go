package server_test

import (
	"context"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"switchboard/internal/number"
	"switchboard/internal/server/browsertest"
	"switchboard/internal/server/servertest"
	"switchboard/internal/storage"
	"switchboard/internal/whatsapp/fakemeta"
)

// TestBrowserAgentOnOneInstanceWebhookOnOther runs two instances of the
// product on one Postgres and one Redis prefix, as two `serve` processes
// behind a load balancer. The agent's browser is on instance A; the
// customer's webhooks (the sandbox's fake of Meta on B posts to B) arrive at
// B, so the only way they reach A's socket is the hub's Redis channel. The
// agent replies on A, which only queues it (A runs no sender, SENDER=false);
// B's sender sends it to B's fake, whose statuses come back to B and reach
// A's page as ticks.
func TestBrowserAgentOnOneInstanceWebhookOnOther(t *testing.T) {
	t.Parallel()
	a := servertest.New(t, servertest.Options{RunWorkers: true, NoSender: true, RoutingSweep: 100 * time.Millisecond})
	b := servertest.New(t, servertest.Options{RunWorkers: true, Share: a, RoutingSweep: 100 * time.Millisecond})
	if a.URL == b.URL || a.Hub == b.Hub {
		t.Fatal("the two instances must be two servers with two hubs")
	}
	bg := context.Background()
	st, tenantID, agent := a.DB.Store, a.F.A.ID, a.F.A.Agent
	actor := storage.Actor{Email: "test"}
	sales, err := st.CreateSkillset(bg, tenantID, actor, "Sales")
	if err != nil {
		t.Fatal(err)
	}
	if err := st.SetSkillsetMember(bg, tenantID, actor, sales, agent.ID, 1); err != nil {
		t.Fatal(err)
	}
	n, err := a.Numbers.Add(bg, actor, number.AddInput{TenantID: tenantID, Sandbox: true})
	if err != nil {
		t.Fatal(err)
	}
	// Each instance's fake knows the number, as each `serve` registers the
	// sandbox numbers it finds; only B's is used.
	a.Sandbox.Register(n)
	b.Sandbox.Register(n)
	if err := st.LinkNumberSkillset(bg, tenantID, actor, n.ID, sales, 1); err != nil {
		t.Fatal(err)
	}
	const customer = "393475550101"
	writes := func(text string) {
		t.Helper()
		if _, err := b.Sandbox.Fake.CustomerSends(bg, n.PhoneNumberID, fakemeta.InboundMessage{From: customer, ProfileName: "Lucia", Text: text}); err != nil {
			t.Fatal(err)
		}
	}
	logs := func() string {
		return "instance A:\n" + tail(a.Logs.String()) + "\ninstance B:\n" + tail(b.Logs.String())
	}

	ctx := browsertest.New(t)
	do := func(what string, steps ...chromedp.Action[chromedp.Void]) {
		t.Helper()
		wctx, cancel := context.WithTimeout(ctx, 20*time.Second)
		defer cancel()
		if err := chromedp.Do(wctx, steps...); err != nil {
			t.Fatalf("browser: %s: %v\n%s", what, err, logs())
		}
	}
	texts := func() []string {
		t.Helper()
		got, err := chromedp.Run(ctx, chromedp.Evaluate[[]string](`[...document.querySelectorAll('[data-testid=message-text]')].map(e => e.textContent)`))
		if err != nil {
			t.Fatal(err)
		}
		return got
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
				t.Fatalf("%q never appeared on A; the page shows %q\n%s", s, texts(), logs())
			}
			time.Sleep(50 * time.Millisecond)
		}
	}
	// The page's document is the one first loaded: a reload would hide a
	// live update behind a fresh render.
	marker := func() string {
		t.Helper()
		got, err := chromedp.Run(ctx, chromedp.Evaluate[string](`window.sbInstanceMarker || ""`))
		if err != nil {
			t.Fatal(err)
		}
		return got
	}

	do("sign in on A and be available",
		signInAvailable(a, agent.Email))
	if a.Hub.Connections() != 1 || b.Hub.Connections() != 0 {
		t.Fatalf("sockets: A %d, B %d; want the agent's one on A", a.Hub.Connections(), b.Hub.Connections())
	}

	// The first message arrives at B; the conversation reaches A's inbox.
	writes("Buonasera, ho un problema con l'ordine")
	do("the conversation reaches the inbox on A without a reload", chromedp.WaitVisible(chromedp.CSS(`[data-testid=inbox-row]`)))
	do("open it", clickLive(`[data-testid=inbox-open]`),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid=conversation]`)),
		chromedp.WaitVisible(chromedp.CSS(`body[data-live=on]`)))
	waitText("Buonasera, ho un problema con l'ordine")
	if _, err := chromedp.Run(ctx, chromedp.Evaluate[bool](`(window.sbInstanceMarker = "open conversation", true)`)); err != nil {
		t.Fatal(err)
	}

	// The next message, at B, appears in the open conversation on A.
	writes("Il numero è 4411")
	waitText("Il numero è 4411")
	if m := marker(); m != "open conversation" {
		t.Fatalf("the page was reloaded (marker %q): the message must arrive live", m)
	}

	// The agent replies on A; A only queues it, B's sender sends it to the
	// fake of Meta that delivered the customer's messages.
	const reply = "Controllo subito l'ordine 4411."
	do("reply on A", chromedp.SendKeys(chromedp.CSS(`[data-testid=composer-text]`), reply),
		chromedp.Click(chromedp.CSS(`[data-testid=composer-send]`)))
	waitText(reply)
	deadline := time.Now().Add(15 * time.Second)
	for !fakeReceived(b, n, customer, reply) {
		if time.Now().After(deadline) {
			t.Fatalf("the customer never received the reply\n%s", logs())
		}
		time.Sleep(50 * time.Millisecond)
	}
	do("ticks come back to A from B's webhooks",
		chromedp.WaitVisible(chromedp.CSS(`[data-direction=outbound][data-status=delivered], [data-direction=outbound][data-status=read]`)))
	if m := marker(); m != "open conversation" {
		t.Fatalf("the page was reloaded (marker %q)", m)
	}
	got := texts()
	for _, s := range []string{"Buonasera, ho un problema con l'ordine", "Il numero è 4411", reply} {
		if c := count(got, s); c != 1 {
			t.Errorf("%q shown %d times, want once: %q", s, c, got)
		}
	}
	if b.Hub.Connections() != 0 {
		t.Errorf("B holds %d sockets; the agent is only on A", b.Hub.Connections())
	}
}
