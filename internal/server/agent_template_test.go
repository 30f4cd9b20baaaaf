package server_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/jackc/pgx/v5"

	"switchboard/internal/domain"
	"switchboard/internal/server/browsertest"
	"switchboard/internal/server/servertest"
	"switchboard/internal/storage"
	"switchboard/internal/storage/storagetest"
	"switchboard/internal/whatsapp/fakemeta"
	"switchboard/internal/whatsapp/graph"
)

// closeWindowIn moves the conversation's customer-service window so that it
// closes after d (in the past when d is negative). A test cannot wait 24
// hours for Meta's window to close, so it rewrites the two columns that
// hold it: window_expires_at, which the console shows, and last_inbound_at,
// from which the outbound pipeline decides what may be sent.
func closeWindowIn(t *testing.T, st *storage.Store, tenantID, conv string, d time.Duration) {
	t.Helper()
	ctx := context.Background()
	expires := time.Now().Add(d)
	err := st.InPlatform(ctx, func(tx pgx.Tx) error {
		_, err := tx.Exec(ctx, `UPDATE conversations SET window_expires_at = $3, last_inbound_at = $3::timestamptz - interval '24 hours'
			WHERE tenant_id = $1 AND id = $2`, tenantID, conv, expires)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
}

// untilTrue polls ok until it holds, for what the background workers do.
func untilTrue(t *testing.T, what string, ok func() bool) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for !ok() {
		if time.Now().After(deadline) {
			t.Fatalf("%s: never happened", what)
		}
		waitABit()
	}
}

// TestBrowserAgentWindowClosedTemplate: the agent has a conversation open
// when Meta's 24-hour window closes; the countdown reaches zero and the
// composer becomes a picker of approved templates; free text is refused by
// the server with Meta's rule in words and nothing is stored or sent; a
// template to a customer without consent is refused and says why; once
// consent is recorded the agent picks a template, fills its parameter,
// watches the preview, sends it, and the customer receives it; when the
// customer answers, the text composer is back.
func TestBrowserAgentWindowClosedTemplate(t *testing.T) {
	t.Parallel()
	app := servertest.New(t, servertest.Options{RunWorkers: true, RoutingSweep: 100 * time.Millisecond})
	bg := context.Background()
	st, tenantID, agent := app.DB.Store, app.F.A.ID, app.F.A.Agent
	n, _ := salesDesk(t, app)

	// Two templates, in Italian and English, submitted to the sandbox's Meta,
	// which approves them; its webhook brings them into our catalog.
	token, _ := app.Numbers.AccessToken(n)
	gc := &graph.Client{HTTP: http.DefaultClient, BaseURL: app.URL + "/sandbox/graph", Version: "v23.0"}
	for _, d := range []graph.TemplateDraft{
		{Name: "order_ready", Language: "it", Category: "UTILITY", Components: []graph.TemplateComponent{
			{Type: "HEADER", Format: "TEXT", Text: "Ordine pronto"},
			{Type: "BODY", Text: "Ciao {{1}}, il tuo ordine è pronto per il ritiro.", Example: &graph.TemplateExample{BodyText: [][]string{{"Anna"}}}},
			{Type: "FOOTER", Text: "Negozio Demo"},
			{Type: "BUTTONS", Buttons: []graph.TemplateButton{{Type: "QUICK_REPLY", Text: "Grazie"}}},
		}},
		{Name: "order_ready", Language: "en", Category: "UTILITY", Components: []graph.TemplateComponent{
			{Type: "BODY", Text: "Hi {{1}}, your order is ready.", Example: &graph.TemplateExample{BodyText: [][]string{{"Anna"}}}},
		}},
	} {
		if _, _, err := gc.CreateTemplate(bg, token, n.WABAID, d); err != nil {
			t.Fatal(err)
		}
	}
	untilTrue(t, "both templates approved", func() bool {
		ts, _ := st.ListTemplates(bg, tenantID, n.WABAID)
		return len(ts) == 2 && ts[0].Status == "APPROVED" && ts[1].Status == "APPROVED"
	})

	const customer = "393478889900"
	writes := func(text string) {
		t.Helper()
		if _, err := app.Sandbox.Fake.CustomerSends(bg, n.PhoneNumberID, fakemeta.InboundMessage{From: customer, ProfileName: "Marta", Text: text}); err != nil {
			t.Fatal(err)
		}
	}
	ctx := browsertest.New(t)
	do, eval := browserSteps(t, app, ctx, stepTimeout(20*time.Second))
	waitJS := func(what, js string) {
		t.Helper()
		deadline := time.Now().Add(15 * time.Second)
		for eval(js) != "true" {
			if time.Now().After(deadline) {
				t.Fatalf("%s never came true\n%s", what, tail(app.Logs.String()))
			}
			time.Sleep(50 * time.Millisecond)
		}
	}

	do("sign in and be available",
		chromedp.Navigate(app.URL+"/login"),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid=login]`)),
		chromedp.SendKeys(chromedp.CSS(`#f-email`), agent.Email),
		chromedp.SendKeys(chromedp.CSS(`#f-password`), storagetest.Password),
		chromedp.Click(chromedp.CSS(`[data-testid=login-submit]`)),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid=agent-home]`)),
		chromedp.Click(chromedp.CSS(`[data-testid=set-available]`)),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid=flash]`)))
	writes("Buongiorno, il mio ordine è pronto?")
	var conv domain.Conversation
	untilTrue(t, "the conversation assigned to the agent", func() bool {
		var id string
		_ = st.InPlatform(bg, func(tx pgx.Tx) error {
			return tx.QueryRow(bg, `SELECT id FROM conversations WHERE tenant_id = $1 AND assigned_agent_id = $2 AND status = 'assigned'`,
				tenantID, agent.ID).Scan(&id)
		})
		if id == "" {
			return false
		}
		c, err := st.Conversation(bg, tenantID, id)
		conv = c
		return err == nil
	})
	page := app.URL + "/agent/conversations/" + conv.ID

	// The window closes a few seconds after the page opens: the countdown is
	// on screen with the free-text composer, then reaches zero.
	closeWindowIn(t, st, tenantID, conv.ID, 8*time.Second)
	do("open the conversation", chromedp.Navigate(page),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid=conversation]`)),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid=composer-text]`)),
		chromedp.WaitVisible(chromedp.CSS(`body[data-live=on]`)))
	if got := eval(`document.querySelector('[data-testid=window-text]').textContent`); !strings.Contains(got, "0:01 left") {
		t.Fatalf("countdown shows %q", got)
	}
	do("the countdown reaches zero: the template picker replaces the composer",
		chromedp.WaitVisible(chromedp.CSS(`[data-testid=template-picker]`)),
		chromedp.WaitNotVisible(chromedp.CSS(`[data-testid=composer-text]`)))
	if got := eval(`document.querySelector('[data-testid=window-text]').textContent`); got != "The 24-hour window has closed: send an approved template." {
		t.Fatalf("closed window shows %q", got)
	}
	if got := eval(`[...document.querySelectorAll('#template-choice optgroup')].map(g => g.label + ": " + [...g.querySelectorAll('option')].map(o => o.value).join(",")).join("; ")`); got != "Language: en: order_ready|en; Language: it: order_ready|it" {
		t.Fatalf("templates offered: %q", got)
	}
	do("the customer has given no consent: said before anything is filled",
		chromedp.WaitVisible(chromedp.CSS(`[data-testid=template-no-consent]`)))

	// Free text, posted from the page as a script would, whatever the page
	// shows: refused with Meta's rule in words; nothing stored, nothing sent.
	before, err := st.ListMessages(bg, tenantID, conv.ID, storage.Page{Limit: 100})
	if err != nil {
		t.Fatal(err)
	}
	ans := eval(`fetch("/agent/conversations/` + conv.ID + `/messages", {method: "POST", credentials: "same-origin",
		headers: {"X-CSRF-Token": document.querySelector('input[name="csrf_token"]').value, Accept: "application/json"},
		body: new URLSearchParams({text: "Testo libero fuori finestra"})}).then(async r => r.status + " " + (await r.json()).error)`)
	if ans != "422 Not sent: the 24-hour window has closed, and WhatsApp then allows only an approved template." {
		t.Fatalf("free text after the window: %q", ans)
	}

	// A template without consent: refused, and the page says why.
	do("choose the Italian template", chromedp.SetValue(chromedp.CSS(`#template-choice`), "order_ready|it"),
		chromedp.Evaluate[chromedp.Void](`(document.getElementById("template-choice").dispatchEvent(new Event("change", {bubbles: true})), {})`),
		chromedp.WaitVisible(chromedp.CSS(`fieldset[data-template="order_ready|it"] [data-testid=template-param]`)))
	if got := eval(`document.querySelector('fieldset[data-template="order_ready|it"] [data-testid=template-param]').placeholder`); got != "Anna" {
		t.Fatalf("the parameter's placeholder is %q, want Meta's example", got)
	}
	preview := `document.querySelector('fieldset[data-template="order_ready|it"] [data-testid=template-preview]').innerText`
	if got := eval(preview); !strings.Contains(got, "Ordine pronto") || !strings.Contains(got, "Ciao {{1}}, il tuo ordine") ||
		!strings.Contains(got, "Negozio Demo") || !strings.Contains(got, "Grazie") {
		t.Fatalf("preview before filling: %q", got)
	}
	do("fill the parameter", chromedp.SendKeys(chromedp.CSS(`fieldset[data-template="order_ready|it"] [data-testid=template-param]`), "Marta"))
	if got := eval(preview); !strings.Contains(got, "Ciao Marta, il tuo ordine è pronto per il ritiro.") {
		t.Fatalf("preview after filling: %q", got)
	}
	do("send without consent", chromedp.Click(chromedp.CSS(`[data-testid=template-send]`)))
	waitJS("the consent refusal shown", `String(document.querySelector('[data-testid=template-error]').textContent.includes("has not given consent"))`)
	after, err := st.ListMessages(bg, tenantID, conv.ID, storage.Page{Limit: 100})
	if err != nil {
		t.Fatal(err)
	}
	if len(after) != len(before) {
		t.Fatalf("refused sends stored messages: %d before, %d after", len(before), len(after))
	}
	if fakeReceived(app, n, customer, "Testo libero") || fakeReceived(app, n, customer, "Marta") {
		t.Fatal("a refused send reached the customer")
	}

	// Consent recorded: the page, opened again with the window already
	// closed, shows the picker at once; the template goes out.
	if _, err := st.SetConsent(bg, tenantID, conv.ContactID, "granted", "written", "test", "signed form"); err != nil {
		t.Fatal(err)
	}
	do("reload", chromedp.Navigate(page),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid=template-picker]`)),
		chromedp.WaitVisible(chromedp.CSS(`body[data-live=on]`)))
	if eval(`String(document.getElementById("composer").hidden && !document.querySelector('[data-testid=template-no-consent]'))`) != "true" {
		t.Fatal("with the window closed at load the composer shows, or the consent warning stays")
	}
	do("choose, fill, send", chromedp.SetValue(chromedp.CSS(`#template-choice`), "order_ready|it"),
		chromedp.Evaluate[chromedp.Void](`(document.getElementById("template-choice").dispatchEvent(new Event("change", {bubbles: true})), {})`),
		chromedp.SendKeys(chromedp.CSS(`fieldset[data-template="order_ready|it"] [data-testid=template-param]`), "Marta"),
		chromedp.Click(chromedp.CSS(`[data-testid=template-send]`)))
	deadline := time.Now().Add(15 * time.Second)
	for {
		var got *fakemeta.Event
		for _, ev := range app.Sandbox.Fake.Conversation(n.PhoneNumberID, customer) {
			if ev.Direction == fakemeta.Outbound && ev.Template == "order_ready" {
				got = &ev
			}
		}
		if got != nil {
			if !strings.Contains(got.Text, "Ciao Marta, il tuo ordine è pronto per il ritiro.") {
				t.Fatalf("the customer received %q", got.Text)
			}
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the customer never received the template\n%s", tail(app.Logs.String()))
		}
		time.Sleep(50 * time.Millisecond)
	}
	waitJS("the template appears in the conversation",
		`String([...document.querySelectorAll('[data-testid=message][data-direction=outbound]')].some(m => m.textContent.includes("Marta")))`)
	if eval(`document.querySelector('[data-testid=template-error]').textContent`) != "" {
		t.Fatal("an error is shown after a successful send")
	}

	// The customer answers: the window reopens and the text composer is back.
	writes("Grazie, passo domani")
	do("the composer comes back", chromedp.WaitVisible(chromedp.CSS(`[data-testid=composer-text]`)),
		chromedp.WaitNotPresent(chromedp.CSS(`[data-testid=template-picker]`)))
	if got := eval(`document.querySelector('[data-testid=window-text]').textContent`); !strings.Contains(got, "window open") {
		t.Fatalf("after the customer's answer the window shows %q", got)
	}
}

// TestAgentTemplateEndpointValidation holds POST …/template to its checks:
// a conversation not the agent's, an unknown or unapproved template, a
// missing or malformed parameter, no consent; each refused with a clear
// message and nothing stored; then the same template, filled, is queued.
// Free text with the window closed is refused with Meta's rule in words.
func TestAgentTemplateEndpointValidation(t *testing.T) {
	t.Parallel()
	app := servertest.New(t)
	bg := context.Background()
	st, tenantID, agent := app.DB.Store, app.F.A.ID, app.F.A.Agent
	actor := storage.Actor{Email: "test"}
	other, err := st.CreateUser(bg, actor, domain.User{TenantID: tenantID, Email: "bruno@alpha.test", Name: "Bruno",
		Role: domain.RoleAgent, PasswordHash: "x", Active: true})
	if err != nil {
		t.Fatal(err)
	}
	var numberID, contactID, mine, theirs string
	err = st.InPlatform(bg, func(tx pgx.Tx) error {
		if err := tx.QueryRow(bg, `INSERT INTO numbers (tenant_id, phone_number_id, display_phone, waba_id, access_token_enc)
			VALUES ($1, '5550002', '+39 06 5550002', '777', 'x') RETURNING id`, tenantID).Scan(&numberID); err != nil {
			return err
		}
		var otherContact string
		for _, c := range []struct {
			wa string
			id *string
		}{{"393330001", &contactID}, {"393330002", &otherContact}} {
			if err := tx.QueryRow(bg, `INSERT INTO contacts (tenant_id, wa_id) VALUES ($1, $2) RETURNING id`, tenantID, c.wa).Scan(c.id); err != nil {
				return err
			}
		}
		if mine, err = storage.Inbound(tx).OpenConversation(bg, tenantID, numberID, contactID); err != nil {
			return err
		}
		if theirs, err = storage.Inbound(tx).OpenConversation(bg, tenantID, numberID, otherContact); err != nil {
			return err
		}
		// Assigned directly: this test is about the endpoint, not routing.
		_, err := tx.Exec(bg, `UPDATE conversations SET status = 'assigned', assigned_agent_id = CASE id WHEN $2 THEN $3::uuid ELSE $4::uuid END
			WHERE tenant_id = $1`, tenantID, mine, agent.ID, other)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	closeWindowIn(t, st, tenantID, mine, -time.Hour)
	closeWindowIn(t, st, tenantID, theirs, -time.Hour)
	for _, row := range []storage.TemplateRow{
		{WABAID: "777", MetaID: "1", Name: "order_ready", Language: "it", Category: "UTILITY", Status: "APPROVED", BodyParams: 2,
			Components: json.RawMessage(`[{"type":"BODY","text":"Ciao {{1}}, l'ordine {{2}} è pronto.","example":{"body_text":[["Anna","A-42"]]}}]`)},
		{WABAID: "777", MetaID: "2", Name: "spring_sale", Language: "it", Category: "MARKETING", Status: "PENDING",
			Components: json.RawMessage(`[{"type":"BODY","text":"Saldi!"}]`)},
	} {
		if err := st.UpsertTemplate(bg, tenantID, row); err != nil {
			t.Fatal(err)
		}
	}

	c := app.Client(t)
	c.MustLogin(agent.Email, storagetest.Password)
	if r := c.Get("/agent/conversations/" + mine); r.Status != 200 || !r.Has(`#composer[hidden]`) {
		t.Fatalf("conversation page: %d, composer hidden: %v", r.Status, r.Has(`#composer[hidden]`))
	}
	w := c.Get("/agent/conversations/" + mine + "/window")
	if w.Status != 200 || !w.Has(`#template-choice option[value="order_ready|it"]`) || w.Has(`option[value="spring_sale|it"]`) ||
		!w.Has(`[data-testid=template-no-consent]`) || w.Text(`[data-testid=window-text]`) != "The 24-hour window has closed: send an approved template." {
		t.Fatalf("window fragment: %d\n%s", w.Status, w.Body)
	}
	if got := w.Doc.Find(`fieldset[data-template="order_ready|it"] input`).Length(); got != 2 {
		t.Fatalf("%d inputs for a template with two body parameters", got)
	}
	messages := func() int {
		t.Helper()
		ms, err := st.ListMessages(bg, tenantID, mine, storage.Page{Limit: 100})
		if err != nil {
			t.Fatal(err)
		}
		return len(ms)
	}
	send := func(conv string, v url.Values) (int, string) {
		t.Helper()
		r := c.Post("/agent/conversations/"+conv+"/template", v)
		var ans struct {
			Error string `json:"error"`
		}
		_ = json.Unmarshal([]byte(r.Body), &ans)
		return r.Status, ans.Error
	}
	filled := url.Values{"template": {"order_ready|it"}, "body_1": {"Marta"}, "body_2": {"B-7"}}
	with := func(k, v string) url.Values {
		out := url.Values{}
		for key, vals := range filled {
			out[key] = vals
		}
		if v == "" {
			out.Del(k)
		} else {
			out.Set(k, v)
		}
		return out
	}
	for _, tc := range []struct {
		name   string
		conv   string
		form   url.Values
		status int
		want   string
	}{
		{"not yours", theirs, filled, 403, "no longer assigned to you"},
		{"unknown template", mine, with("template", "no_such|it"), 422, "not (or no longer) approved"},
		{"not approved", mine, with("template", "spring_sale|it"), 422, "not (or no longer) approved"},
		{"other language", mine, with("template", "order_ready|en"), 422, "not (or no longer) approved"},
		{"no template", mine, with("template", ""), 400, "Choose a template"},
		{"missing parameter", mine, with("body_2", ""), 400, "Fill in {{2}}"},
		{"blank parameter", mine, with("body_1", "   "), 400, "Fill in {{1}}"},
		{"line break", mine, with("body_1", "Marta\nRossi"), 400, "line breaks"},
		{"too long", mine, with("body_1", strings.Repeat("x", 1025)), 400, "at most 1024 characters"},
		{"filled body too long", mine, with("body_1", strings.Repeat("x", 1000)), 400, "The message, filled in"},
		{"no consent", mine, filled, 422, "has not given consent"},
	} {
		if status, msg := send(tc.conv, tc.form); status != tc.status || !strings.Contains(msg, tc.want) {
			t.Errorf("%s: %d %q, want %d %q", tc.name, status, msg, tc.status, tc.want)
		}
	}
	if got := messages(); got != 0 {
		t.Fatalf("refused sends stored %d messages", got)
	}
	// Free text: Meta's rule, in the agent's language.
	r := c.Post("/agent/conversations/"+mine+"/messages", url.Values{"text": {"Ciao"}})
	if r.Status != 422 || !strings.Contains(r.Body, "the 24-hour window has closed") {
		t.Fatalf("free text: %d %s", r.Status, r.Body)
	}
	c.Header.Set("Accept-Language", "it")
	if r := c.Post("/agent/conversations/"+mine+"/messages", url.Values{"text": {"Ciao"}}); !strings.Contains(r.Body, "la finestra di 24 ore è chiusa") {
		t.Fatalf("free text in Italian: %d %s", r.Status, r.Body)
	}
	c.Header.Del("Accept-Language")
	if got := messages(); got != 0 {
		t.Fatalf("refused free text stored %d messages", got)
	}

	if _, err := st.SetConsent(bg, tenantID, contactID, "granted", "written", "test", ""); err != nil {
		t.Fatal(err)
	}
	if status, msg := send(mine, filled); status != 200 {
		t.Fatalf("filled template: %d %q", status, msg)
	}
	ms, err := st.ListMessages(bg, tenantID, mine, storage.Page{Limit: 100})
	if err != nil {
		t.Fatal(err)
	}
	if len(ms) != 1 || ms[0].Type != "template" || ms[0].Direction != "outbound" || !strings.Contains(ms[0].Text, "Marta, B-7") {
		t.Fatalf("stored: %+v", ms)
	}
}
