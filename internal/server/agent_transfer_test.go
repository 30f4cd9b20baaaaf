package server_test

import (
	"context"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/input"
	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"

	"switchboard/internal/domain"
	"switchboard/internal/number"
	"switchboard/internal/server/browsertest"
	"switchboard/internal/server/servertest"
	"switchboard/internal/storage"
	"switchboard/internal/storage/storagetest"
	"switchboard/internal/tenant"
	"switchboard/internal/whatsapp/fakemeta"
)

// TestBrowserAgentTransferSeenLive plays a customer in the sandbox and two
// agents, each signed in in a browser context of their own: the customer
// writes, Anna gets the conversation, writes a private note, types "/" and
// inserts a canned reply with the customer's name filled in and sends it,
// and transfers the conversation to Bruno with a note. Bruno's inbox shows
// it without a reload; he opens it and sees the history and the notes (an
// administrator's, added while Anna had it open, reached her live too),
// while Anna's page shows it taken away. Bruno closes it with an outcome,
// and the administrator's page shows the outcome.
func TestBrowserAgentTransferSeenLive(t *testing.T) {
	t.Parallel()
	app := servertest.New(t, servertest.Options{RunWorkers: true, RoutingSweep: 100 * time.Millisecond})
	bg := context.Background()
	st, tenantID, anna := app.DB.Store, app.F.A.ID, app.F.A.Agent
	actor := storage.Actor{Email: "test"}
	bruno, err := app.Tenants.CreateUser(bg, actor, tenant.NewUserInput{TenantID: tenantID, Email: "bruno@alpha.test", Name: "Bruno",
		Password: storagetest.Password, Role: domain.RoleAgent})
	if err != nil {
		t.Fatal(err)
	}
	sales, err := st.CreateSkillset(bg, tenantID, actor, "Sales")
	if err != nil {
		t.Fatal(err)
	}
	for _, agent := range []string{anna.ID, bruno} {
		if err := st.SetSkillsetMember(bg, tenantID, actor, sales, agent, 1); err != nil {
			t.Fatal(err)
		}
	}
	n, err := app.Numbers.Add(bg, actor, number.AddInput{TenantID: tenantID, Sandbox: true})
	if err != nil {
		t.Fatal(err)
	}
	app.Sandbox.Register(n)
	if err := st.LinkNumberSkillset(bg, tenantID, actor, n.ID, sales, 1); err != nil {
		t.Fatal(err)
	}
	// The tenant's outcomes and a shared canned reply, as the administrator
	// keeps them on /admin/settings/desk.
	for _, o := range []string{"Sale", "No answer"} {
		if _, err := st.CreateOutcome(bg, tenantID, actor, o); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := st.CreateCanned(bg, tenantID, actor, "", "greet", "Buongiorno {{contact_name}}, come posso aiutarla?"); err != nil {
		t.Fatal(err)
	}
	if _, err := st.CreateCanned(bg, tenantID, actor, anna.ID, "goodbye", "Arrivederci!"); err != nil {
		t.Fatal(err)
	}
	const customer = "393471112244"
	const cannedText = "Buongiorno Marta, come posso aiutarla?"

	// Two browser contexts: separate cookies, so two separate sign-ins.
	annaTab := browsertest.New(t)
	brunoTab, cancel := chromedp.NewContext(annaTab, chromedp.WithNewBrowserContext())
	t.Cleanup(cancel)
	if err := chromedp.Do(brunoTab); err != nil {
		t.Fatal(err)
	}
	do := func(ctx context.Context, what string, steps ...chromedp.Action[chromedp.Void]) {
		t.Helper()
		wctx, cancel := context.WithTimeout(ctx, 20*time.Second)
		defer cancel()
		if err := chromedp.Do(wctx, steps...); err != nil {
			t.Fatalf("browser: %s: %v\nserver log:\n%s", what, err, tail(app.Logs.String()))
		}
	}
	eval := func(ctx context.Context, js string) []string {
		t.Helper()
		v, err := chromedp.Run(ctx, chromedp.Evaluate[[]string](js))
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	waitFor := func(ctx context.Context, what, js string, want func([]string) bool) []string {
		t.Helper()
		deadline := time.Now().Add(15 * time.Second)
		for {
			got := eval(ctx, js)
			if want(got) {
				return got
			}
			if time.Now().After(deadline) {
				t.Fatalf("%s: the page shows %q\n%s", what, got, tail(app.Logs.String()))
			}
			time.Sleep(50 * time.Millisecond)
		}
	}
	has := func(s string) func([]string) bool {
		return func(list []string) bool {
			for _, x := range list {
				if strings.Contains(x, s) {
					return true
				}
			}
			return false
		}
	}
	const messageTexts = `[...document.querySelectorAll('[data-testid=message-text]')].map(e => e.textContent)`
	const noteBodies = `[...document.querySelectorAll('[data-testid=note-body]')].map(e => e.textContent)`
	signIn := func(ctx context.Context, email string) {
		t.Helper()
		do(ctx, "sign in as "+email,
			signInAvailable(app, email))
	}

	// Anna is available; the customer writes; the conversation is hers.
	signIn(annaTab, anna.Email)
	if _, err := app.Sandbox.Fake.CustomerSends(bg, n.PhoneNumberID, fakemeta.InboundMessage{From: customer, ProfileName: "Marta", Text: "Vorrei uno sconto"}); err != nil {
		t.Fatal(err)
	}
	do(annaTab, "the conversation reaches Anna", chromedp.WaitVisible(chromedp.CSS(`[data-testid=inbox-row]`)),
		clickLive(`[data-testid=inbox-open]`),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid=conversation]`)),
		chromedp.WaitVisible(chromedp.CSS(`body[data-live=on]`)),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid=transfer-tool]`)),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid=notes-empty]`)))
	conv := eval(annaTab, `[document.getElementById("conversation").dataset.conversation]`)[0]
	waitFor(annaTab, "the customer's message", messageTexts, has("Vorrei uno sconto"))

	// A private note.
	do(annaTab, "write a note", chromedp.SendKeys(chromedp.CSS(`[data-testid=note-text]`), "Ha chiesto il 10% di sconto"),
		chromedp.Click(chromedp.CSS(`[data-testid=note-submit]`)),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid=note-body]`)))
	waitFor(annaTab, "the note", noteBodies, has("Ha chiesto il 10% di sconto"))
	// The administrator adds one from the conversation's admin page: Anna
	// sees it without a reload.
	admin := app.Client(t)
	admin.MustLogin(app.F.A.Admin.Email, storagetest.Password)
	admin.Get("/admin/conversations/" + conv)
	if r := admin.Post("/admin/conversations/"+conv+"/notes", url.Values{"body": {"Massimo 5%, grazie"}}); r.Status != 303 {
		t.Fatalf("the administrator's note: %d", r.Status)
	}
	waitFor(annaTab, "the administrator's note, live", noteBodies, has("Massimo 5%, grazie"))

	// "/" opens the canned replies, filtered as she types; Esc closes the
	// list; Enter inserts the chosen one, the customer's name filled in.
	do(annaTab, "type / and see both replies", chromedp.WaitReady(chromedp.CSS(`#composer[data-canned-loaded="2"]`)),
		chromedp.SendKeys(chromedp.CSS(`[data-testid=composer-text]`), "/"),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid=canned-option][data-shortcut=goodbye]`)),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid=canned-option][data-shortcut=greet]`)),
		chromedp.SendKeys(chromedp.CSS(`[data-testid=composer-text]`), kb.Escape),
		chromedp.WaitNotVisible(chromedp.CSS(`[data-testid=canned-popup]`)),
		chromedp.SendKeys(chromedp.CSS(`[data-testid=composer-text]`), "gr"),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid=canned-option][data-shortcut=greet]`)))
	if opts := eval(annaTab, `[...document.querySelectorAll('[data-testid=canned-option]')].map(e => e.dataset.shortcut)`); strings.Join(opts, ",") != "greet" {
		t.Fatalf("after /gr the list shows %q", opts)
	}
	// Enter as a keyboard sends it: one keyDown carrying its text, which the
	// page may cancel (chromedp's SendKeys sends the text as a separate
	// char event, which no page can cancel).
	for _, typ := range []input.DispatchKeyEventType{input.DispatchKeyEventTypeKeyDown, input.DispatchKeyEventTypeKeyUp} {
		ev := input.DispatchKeyEventParams{Type: typ, Key: "Enter", Code: "Enter", WindowsVirtualKeyCode: 13, NativeVirtualKeyCode: 13}
		if typ == input.DispatchKeyEventTypeKeyDown {
			ev.Text, ev.UnmodifiedText = "\r", "\r"
		}
		if _, err := chromedp.Call(annaTab, input.DispatchKeyEvent, ev); err != nil {
			t.Fatal(err)
		}
	}
	do(annaTab, "insert it", chromedp.WaitNotVisible(chromedp.CSS(`[data-testid=canned-popup]`)))
	if v := eval(annaTab, `[document.querySelector('[data-testid=composer-text]').value]`)[0]; v != cannedText {
		t.Fatalf("the composer holds %q, want %q", v, cannedText)
	}
	do(annaTab, "send it", chromedp.Click(chromedp.CSS(`[data-testid=composer-send]`)))
	waitFor(annaTab, "the reply", messageTexts, has(cannedText))
	deadline := time.Now().Add(15 * time.Second)
	for !fakeReceived(app, n, customer, cannedText) {
		if time.Now().After(deadline) {
			t.Fatalf("the customer never received the canned reply\n%s", tail(app.Logs.String()))
		}
		time.Sleep(50 * time.Millisecond)
	}

	// Bruno signs in and waits on his home page, which is marked so that a
	// reload would show.
	signIn(brunoTab, "bruno@alpha.test")
	eval(brunoTab, `window.sbNotReloaded = "yes"; []`)
	if rows := eval(brunoTab, `[...document.querySelectorAll('[data-testid=inbox-row]')].map(e => e.textContent)`); len(rows) != 0 {
		t.Fatalf("Bruno already has conversations: %q", rows)
	}

	// Anna transfers it to Bruno with a note.
	do(annaTab, "transfer to Bruno", chromedp.Click(chromedp.CSS(`[data-testid=transfer-open]`)),
		chromedp.SetValue(chromedp.CSS(`[data-testid=transfer-target]`), "agent:"+bruno),
		chromedp.SendKeys(chromedp.CSS(`[data-testid=transfer-note]`), "Cliente VIP: richiamare entro le 18"),
		chromedp.Click(chromedp.CSS(`[data-testid=transfer-submit]`)),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid=desk-status].flash-success`)),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid=taken-away]`)))

	// Bruno's inbox shows it live; he opens it: history and both notes.
	do(brunoTab, "the conversation reaches Bruno's inbox", chromedp.WaitVisible(chromedp.CSS(`[data-testid=inbox-row]`)))
	if v := eval(brunoTab, `[String(window.sbNotReloaded)]`)[0]; v != "yes" {
		t.Fatal("Bruno's page was reloaded to show the conversation")
	}
	do(brunoTab, "open it", clickLive(`[data-testid=inbox-open]`),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid=conversation]`)),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid=note-body]`)),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid=close-tool]`)))
	waitFor(brunoTab, "the history", messageTexts, func(l []string) bool { return has("Vorrei uno sconto")(l) && has(cannedText)(l) })
	notes := waitFor(brunoTab, "the three notes", noteBodies, func(l []string) bool { return len(l) == 3 })
	if notes[0] != "Ha chiesto il 10% di sconto" || notes[1] != "Massimo 5%, grazie" || notes[2] != "Cliente VIP: richiamare entro le 18" {
		t.Fatalf("Bruno sees the notes %q", notes)
	}
	if authors := eval(brunoTab, `[...document.querySelectorAll('[data-testid=note-author]')].map(e => e.textContent)`); authors[0] != anna.Name {
		t.Fatalf("note authors %q", authors)
	}

	// Closing asks for an outcome: without one the page says so; with one
	// it closes.
	// (The browser itself asks for the required choice; the server's
	// refusal is what a stale page or a forged form gets.)
	do(brunoTab, "open the close tool", chromedp.Click(chromedp.CSS(`[data-testid=close-open]`)),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid=close-outcome]`)))
	eval(brunoTab, `document.querySelector('[data-testid=close-outcome]').removeAttribute("required"); []`)
	do(brunoTab, "close without an outcome", chromedp.Click(chromedp.CSS(`[data-testid=close-submit]`)),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid=desk-status].flash-error`)))
	if msg := eval(brunoTab, `[document.querySelector('[data-testid=desk-status]').textContent]`)[0]; !strings.Contains(msg, "outcome") {
		t.Fatalf("closing without an outcome says %q", msg)
	}
	do(brunoTab, "close with an outcome", chromedp.SetValue(chromedp.CSS(`[data-testid=close-outcome]`), "Sale"),
		chromedp.Click(chromedp.CSS(`[data-testid=close-submit]`)),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid=desk-status].flash-success`)))
	if c, err := st.Conversation(bg, tenantID, conv); err != nil || c.Status != "closed" || c.CloseOutcome != "Sale" {
		t.Fatalf("after the close: %+v %v", c, err)
	}

	// The administrator's page shows the outcome and the notes.
	page := admin.Get("/admin/conversations/" + url.PathEscape(conv))
	if page.Text(`[data-testid=close-outcome]`) != "Sale" || page.Doc.Find(`[data-testid=notes] [data-testid=note]`).Length() != 3 {
		t.Fatalf("the administrator's page: %s", page.Body)
	}
}
