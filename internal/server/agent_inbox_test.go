package server_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/jackc/pgx/v5"

	"switchboard/internal/server/browsertest"
	"switchboard/internal/server/servertest"
	"switchboard/internal/whatsapp/fakemeta"
)

// TestBrowserAgentInboxKeysAndHistory is the agent's day around one
// conversation: unread counts in the inbox and the tab title; opening the
// conversation shows the newest messages and marks them read (the customer's
// WhatsApp shows them read); scrolling back loads the older ones, each once;
// a second customer is announced (notification count) and reached with the
// keyboard; the help overlay opens with "?"; on a phone-sized screen the
// page fits its width and the composer is there.
func TestBrowserAgentInboxKeysAndHistory(t *testing.T) {
	t.Parallel()
	app := servertest.New(t, servertest.Options{RunWorkers: true, RoutingSweep: 100 * time.Millisecond})
	bg := context.Background()
	tenantID, agent := app.F.A.ID, app.F.A.Agent
	n, _ := salesDesk(t, app)
	const marta, luca = "393471112233", "393475556677"
	writes := func(from, name, text string) {
		t.Helper()
		if _, err := app.Sandbox.Fake.CustomerSends(bg, n.PhoneNumberID, fakemeta.InboundMessage{From: from, ProfileName: name, Text: text}); err != nil {
			t.Fatal(err)
		}
	}

	ctx := browsertest.New(t)
	do, eval := browserSteps(t, app, ctx, stepTimeout(20*time.Second))
	const texts = `[...document.querySelectorAll('[data-testid=message-text]')].map(e => e.textContent)`
	waitFor := func(what, js, want string) {
		t.Helper()
		deadline := time.Now().Add(15 * time.Second)
		for {
			got := eval(js)
			if got == want {
				return
			}
			if time.Now().After(deadline) {
				t.Fatalf("%s: got %q, want %q; messages shown: %s\n%s", what, got, want, eval(`JSON.stringify(`+texts+`)`), tail(app.Logs.String()))
			}
			time.Sleep(50 * time.Millisecond)
		}
	}

	do("sign in and be available",
		signInAvailable(app, agent.Email))

	// 55 messages from Marta: the inbox counts them unread, live, and so
	// does the tab title.
	for i := 0; i < 55; i++ {
		writes(marta, "Marta", fmt.Sprintf("m%02d", i))
	}
	waitFor("unread badge", `(document.querySelector('[data-testid=inbox-unread]') || {}).textContent || ""`, "55")
	if title := eval(`document.title`); !strings.HasPrefix(title, "(55) ") {
		t.Fatalf("tab title %q does not count the unread messages", title)
	}
	if w := eval(`document.querySelector('[data-testid=inbox-window]').textContent`); !strings.Contains(w, "24:00") && !strings.Contains(w, "23:59") {
		t.Fatalf("the window's remaining time reads %q", w)
	}

	// Opening it shows the newest 50 and marks everything read, here and on
	// the customer's phone.
	// Followed by its address: the live inbox may be re-rendered (each
	// message re-renders it) between finding the link and clicking it.
	do("open the conversation", chromedp.Navigate(app.URL+eval(`document.querySelector('[data-testid=inbox-open]').getAttribute('href')`)),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid=conversation]`)),
		chromedp.WaitVisible(chromedp.CSS(`body[data-live=on]`)),
		chromedp.WaitVisible(chromedp.CSS(`#inbox-live [data-testid=inbox-row]`)))
	// The customer's messages share WhatsApp seconds, so their order among
	// the same second is the order they were processed: compare sets.
	distinct := `String(new Set(` + texts + `).size)`
	waitFor("the newest page", texts+`.length + " " + `+distinct, "50 50")
	waitFor("read: no unread badge", `String(document.querySelectorAll('[data-testid=inbox-unread]').length)`, "0")
	waitFor("read: the title", `document.title.startsWith("(") ? document.title : "plain"`, "plain")
	deadline := time.Now().Add(10 * time.Second)
	for {
		evs := app.Sandbox.Fake.Conversation(n.PhoneNumberID, marta)
		read := 0
		for _, ev := range evs {
			if ev.Direction == fakemeta.Inbound && ev.Status == "read" {
				read++
			}
		}
		if read == 55 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the customer's WhatsApp shows %d of 55 messages read", read)
		}
		time.Sleep(50 * time.Millisecond)
	}

	// Scrolling back loads the five older ones above, once each.
	do("scroll to the top", chromedp.Evaluate[chromedp.Void](`document.getElementById('messages').scrollTop = 0`))
	waitFor("older history", texts+`.length + " " + `+distinct, "55 55")
	// A new message while scrolled back re-renders without dropping them.
	writes(marta, "Marta", "ci sei?")
	waitFor("new message kept with history", texts+`.length + " " + `+distinct+` + " " + `+texts+`.at(-1)`, "56 56 ci sei?")

	// Luca writes: the agent is told, and his conversation is one key away.
	eval(`(document.body.dataset.notices = "", "")`)
	writes(luca, "Luca", "Salve")
	waitFor("two conversations in the list", `String(document.querySelectorAll('#inbox-live [data-testid=inbox-row]').length)`, "2")
	waitFor("the agent was told", `document.body.dataset.notices.split(",").includes("assigned") ? "told" : document.body.dataset.notices`, "told")
	// j goes down the list, k up: from whichever end this one is at.
	here := eval(`location.pathname`)
	away, back := "j", "k"
	if eval(`String([...document.querySelectorAll('#inbox-live [data-testid=inbox-row]')].findIndex(r => r.classList.contains('inbox-current')))`) == "1" {
		away, back = "k", "j"
	}
	do(away+" goes to the other conversation", chromedp.Evaluate[chromedp.Void](`document.activeElement && document.activeElement.blur()`),
		chromedp.KeyEvent(away))
	waitFor("moved", `location.pathname !== "`+here+`" ? "moved" : "same"`, "moved")
	do("the other conversation", chromedp.WaitVisible(chromedp.CSS(`[data-testid=conversation]`)),
		chromedp.WaitVisible(chromedp.CSS(`#inbox-live .inbox-current`)))
	do(back+" goes back", chromedp.KeyEvent(back))
	waitFor("back", `location.pathname`, here)
	do("? opens the help", chromedp.WaitVisible(chromedp.CSS(`[data-testid=conversation]`)), chromedp.KeyEvent("?"),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid=keys-help][open]`)))
	do("r focuses the composer", chromedp.Click(chromedp.CSS(`[data-testid=keys-help-close]`)),
		chromedp.WaitNotPresent(chromedp.CSS(`[data-testid=keys-help][open]`)), chromedp.KeyEvent("r"))
	waitFor("composer focused", `document.activeElement.dataset.testid || document.activeElement.tagName`, "composer-text")

	// Beside a conversation, the agent switches to away; the router hears it.
	do("the switch beside the conversation", chromedp.WaitVisible(chromedp.CSS(`[data-testid=console-presence][data-state=available]`)),
		chromedp.Click(chromedp.CSS(`[data-testid=console-set-away]`)),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid=console-presence][data-state=away]`)))
	if states, err := app.Routing.Availability(bg, tenantID, []string{agent.ID}); err != nil || states[agent.ID] != "away" {
		t.Fatalf("after the switch the agent is %q to the router (%v), want away", states[agent.ID], err)
	}

	// A phone-sized screen: one column, nothing wider than the screen.
	do("narrow screen", chromedp.EmulateViewport(390, 844), chromedp.Reload(),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid=composer-text]`)))
	if w := eval(`document.documentElement.scrollWidth + " in " + document.documentElement.clientWidth`); w != "375 in 375" {
		t.Fatalf("on a 390-px screen (375 inside the scroll bar) the page is %s px wide", w)
	}

	// The session ends (signed out elsewhere): sending says so and keeps
	// the text, or — when the page's heartbeat noticed first — the page is
	// already the sign-in page (which brings the agent back here); nothing
	// is sent either way.
	if err := app.DB.Store.InPlatform(bg, func(tx pgx.Tx) error {
		_, err := tx.Exec(bg, `DELETE FROM sessions WHERE user_id = $1`, agent.ID)
		return err
	}); err != nil {
		t.Fatal(err)
	}
	// Typed and sent from a script: the page may already be on its way
	// to sign in, and a wait for the composer would never end.
	_, _ = chromedp.Run(ctx, chromedp.Evaluate[bool](`(() => {
		const box = document.querySelector('[data-testid=composer-text]');
		if (!box) return false;
		box.value = "Mi sente?";
		document.getElementById("composer").requestSubmit();
		return true;
	})()`))
	const outcome = `(() => {
		if (location.pathname === "/login") return "sign in";
		const e = document.querySelector('[data-testid=composer-error]');
		const box = document.querySelector('[data-testid=composer-text]');
		return e && e.textContent.includes("session") && box.value === "Mi sente?" ? "said, text kept" : "";
	})()`
	// Read without eval: the page may be navigating to sign in meanwhile.
	read := func() string {
		got, _ := chromedp.Run(ctx, chromedp.Evaluate[string](outcome))
		return got
	}
	deadline = time.Now().Add(15 * time.Second)
	for got := read(); got == ""; got = read() {
		if time.Now().After(deadline) {
			t.Fatal("after the session ended the page neither said so nor went to sign in")
		}
		waitABit()
	}
	if fakeReceived(app, n, marta, "Mi sente?") {
		t.Fatal("a message was sent without a session")
	}
}
