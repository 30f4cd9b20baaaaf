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
)

// TestBrowserRoutingLiveViewFollowsTheRouter opens the routing live view in
// Chromium and changes things behind it: a conversation enters the queue
// (nobody is available), then the agent becomes available and the router
// gives it the conversation. The page shows each change within seconds,
// without a reload; while the tab is hidden it asks nothing.
func TestBrowserRoutingLiveViewFollowsTheRouter(t *testing.T) {
	t.Parallel()
	app := servertest.New(t, servertest.Options{RunWorkers: true})
	a := newRVTenant(t, app, app.F.A.ID)
	anna := a.agent("Anna", 1, nil)
	sales := a.skillset("Sales")
	a.member(sales, anna, 0)
	n1 := a.number("+39 06 1111")
	a.link(n1, sales, 0)
	a.reload()

	ctx := browsertest.New(t)
	do := func(ctx context.Context, what string, steps ...chromedp.Action[chromedp.Void]) {
		t.Helper()
		if err := chromedp.Do(ctx, steps...); err != nil {
			t.Fatalf("browser: %s: %v\nserver log:\n%s", what, err, logTail(app.Logs.String()))
		}
	}
	// within waits for the page to show something, at most a few seconds.
	within := func(what string, steps ...chromedp.Action[chromedp.Void]) {
		t.Helper()
		wctx, cancel := context.WithTimeout(ctx, 8*time.Second)
		defer cancel()
		do(wctx, what, steps...)
	}
	eval := func(js string) string {
		t.Helper()
		v, err := chromedp.Run(ctx, chromedp.Evaluate[string](js))
		if err != nil {
			t.Fatalf("browser: %s: %v", js, err)
		}
		return v
	}
	do(ctx, "sign in and open the live view",
		chromedp.Navigate(app.URL+"/login"),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid=login]`)),
		chromedp.SendKeys(chromedp.CSS(`#f-email`), app.F.A.Admin.Email),
		chromedp.SendKeys(chromedp.CSS(`#f-password`), storagetest.Password),
		chromedp.Click(chromedp.CSS(`[data-testid=login-submit]`)),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid=admin-home]`)),
		chromedp.Click(chromedp.CSS(`[data-testid=nav-routing]`)),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid=routing-queues]`)),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid=agent-row][data-state=offline]`)),
	)
	if got := eval(`document.querySelectorAll("[data-testid=queued]").length + ""`); got != "0" {
		t.Fatalf("queued rows before anything arrived: %s", got)
	}
	// A mark on the page's window: a reload would wipe it.
	eval(`window.notReloaded = "yes"`)

	// A conversation arrives; Anna is offline, so it waits.
	conv := a.arrive(n1, a.contact("Giulia", 2))
	row := `[data-testid=queued][data-conversation-id="` + conv + `"]`
	within("the new conversation appears in the queue", chromedp.WaitVisible(chromedp.CSS(row)))
	if got := eval(`document.querySelector('` + row + ` [data-testid=queued-contact]').textContent.trim()`); got != "Giulia" {
		t.Errorf("the queued contact shows as %q", got)
	}
	if got := eval(`document.querySelector('` + row + ` [data-testid=queued-priority]').textContent.trim()`); got != "2" {
		t.Errorf("the contact priority shows as %q", got)
	}

	// Anna becomes available: the router gives her the conversation.
	if err := app.Routing.SetAvailability(context.Background(), app.F.A.ID, anna, routing.Available); err != nil {
		t.Fatal(err)
	}
	agentRow := `[data-testid=agent-row][data-agent-id="` + anna + `"]`
	within("the conversation leaves the queue and Anna holds it",
		chromedp.WaitNotPresent(chromedp.CSS(row)),
		chromedp.WaitVisible(chromedp.CSS(agentRow+`[data-state=available]`)),
	)
	if got := eval(`document.querySelector('` + agentRow + ` [data-testid=agent-load]').textContent.replace(/\s+/g, " ").trim()`); got != "1 / 1" {
		t.Errorf("Anna's load shows as %q", got)
	}
	if got := eval(`window.notReloaded || "reloaded"`); got != "yes" {
		t.Fatal("the page was reloaded")
	}

	// A hidden tab asks nothing; shown again, it catches up at once.
	eval(`Object.defineProperty(document, "hidden", {configurable: true, get: () => true});
		document.dispatchEvent(new Event("visibilitychange")); ""`)
	time.Sleep(500 * time.Millisecond) // a refresh under way when it was hidden ends
	before := eval(`document.getElementById("routing-live").dataset.refreshedAt`)
	second := a.arrive(n1, a.contact("Marta", 0))
	time.Sleep(4500 * time.Millisecond)
	if after := eval(`document.getElementById("routing-live").dataset.refreshedAt`); after != before {
		t.Errorf("a hidden tab kept polling (%s, then %s)", before, after)
	}
	if strings.Contains(eval(`document.getElementById("routing-live").innerHTML`), second) {
		t.Error("a hidden tab showed the new conversation")
	}
	eval(`Object.defineProperty(document, "hidden", {configurable: true, get: () => false});
		document.dispatchEvent(new Event("visibilitychange")); ""`)
	wctx, cancel := context.WithTimeout(ctx, time.Second)
	defer cancel()
	do(wctx, "shown again, the page refreshes at once",
		chromedp.WaitVisible(chromedp.CSS(`[data-testid=queued][data-conversation-id="`+second+`"]`)))
}

// logTail is the end of the server's log, enough to see what went wrong.
func logTail(s string) string {
	if len(s) > 4000 {
		return s[len(s)-4000:]
	}
	return s
}
