package server_test

import (
	"context"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/jackc/pgx/v5"

	"switchboard/internal/server/browsertest"
	"switchboard/internal/server/servertest"
	"switchboard/internal/storage"
	"switchboard/internal/storage/storagetest"
	"switchboard/internal/whatsapp/fakemeta"
)

// contactConversation makes, in tenant tn, a contact with a conversation in
// the given status held by agentID ("" for nobody); it returns both ids.
func contactConversation(t *testing.T, app *servertest.App, tenantID, waID, status, agentID string) (contactID, convID string) {
	t.Helper()
	ctx := context.Background()
	err := app.DB.Store.InPlatform(ctx, func(tx pgx.Tx) error {
		var numberID string
		if err := tx.QueryRow(ctx, `INSERT INTO numbers (tenant_id, phone_number_id, display_phone, waba_id, access_token_enc)
			VALUES ($1, $2, '+1 555 0100', '1', 'x') RETURNING id`, tenantID, "10"+waID).Scan(&numberID); err != nil {
			return err
		}
		if err := tx.QueryRow(ctx, `INSERT INTO contacts (tenant_id, wa_id, phone, name, priority) VALUES ($1, $2, '+'||$2, 'Marta Rossi', 4) RETURNING id`,
			tenantID, waID).Scan(&contactID); err != nil {
			return err
		}
		return tx.QueryRow(ctx, `INSERT INTO conversations (tenant_id, number_id, contact_id, status, assigned_agent_id)
			VALUES ($1, $2, $3, $4, nullif($5, '')::uuid) RETURNING id`, tenantID, numberID, contactID, status, agentID).Scan(&convID)
	})
	if err != nil {
		t.Fatal(err)
	}
	return contactID, convID
}

// TestAgentContactPanelHandlers: the panel and its changes are the holding
// agent's only, carry CSRF, validate each input with a translated error
// that changes nothing, and answer a script with the panel re-rendered or a
// form post with a redirect.
func TestAgentContactPanelHandlers(t *testing.T) {
	t.Parallel()
	app := servertest.New(t)
	ctx := context.Background()
	st, tenantID, agent := app.DB.Store, app.F.A.ID, app.F.A.Agent
	contactID, convID := contactConversation(t, app, tenantID, "393471112233", "assigned", agent.ID)
	_, queuedID := contactConversation(t, app, tenantID, "393470000000", "queued", "")
	if _, err := st.DefineContactField(ctx, tenantID, storage.Actor{Email: "test"}, storage.ContactField{Key: "shoe_size", Label: "Shoe size", Kind: "number"}); err != nil {
		t.Fatal(err)
	}
	base := "/agent/conversations/" + convID + "/contact"

	c := app.Client(t)
	c.MustLogin(agent.Email, storagetest.Password)
	page := c.Get("/agent/conversations/" + convID)
	if page.Status != http.StatusOK || !page.Has(`aside #contact-panel[data-live-url="`+base+`"]`) {
		t.Fatalf("conversation page: %d, panel slot %v", page.Status, page.Has(`#contact-panel`))
	}
	r := c.Get(base)
	if r.Status != http.StatusOK || r.Text(`[data-testid=contact-name]`) != "Marta Rossi" || r.Text(`[data-testid=contact-phone]`) != "+393471112233" ||
		r.Text(`[data-testid=contact-priority]`) != "4" || r.Text(`[data-testid=contact-consent]`) != "Unknown" || r.Has(`[data-testid=contact-priority] input`) {
		t.Fatalf("panel: %d\n%s", r.Status, r.Body)
	}

	// No CSRF token: refused, nothing stored.
	if r := c.PostRaw(base+"/tags", url.Values{"tag": {"vip"}}); r.Status != http.StatusForbidden {
		t.Fatalf("no CSRF: %d", r.Status)
	}
	// From the script: a refused value comes back beside its input, 422.
	c.Header.Set("X-Contact-Panel", "1")
	r = c.Post(base+"/consent", url.Values{"consent": {"granted"}, "note": {"  "}})
	if r.Status != http.StatusUnprocessableEntity || r.Text(`[data-testid=contact-error]`) != "Say how the customer gave or withdrew consent." {
		t.Fatalf("consent without note: %d %q", r.Status, r.Text(`[data-testid=contact-error]`))
	}
	r = c.Post(base+"/fields", url.Values{"key": {"shoe_size"}, "value": {"42"}})
	if r.Status != http.StatusOK || r.Doc.Find(`[data-key=shoe_size] [data-testid=contact-field-value]`).AttrOr("value", "") != "42" {
		t.Fatalf("set field: %d\n%s", r.Status, r.Body)
	}
	r = c.Post(base+"/fields", url.Values{"key": {"shoe_size"}, "value": {"forty"}})
	if r.Status != http.StatusUnprocessableEntity || r.Text(`[data-key=shoe_size] [data-testid=contact-error]`) != "Enter a number, e.g. 12 or 3.5." ||
		r.Doc.Find(`[data-key=shoe_size] [data-testid=contact-field-value]`).AttrOr("value", "") != "42" {
		t.Fatalf("bad number: %d\n%s", r.Status, r.Body)
	}
	r = c.Post(base+"/tags", url.Values{"tag": {" VIP "}})
	if r.Status != http.StatusOK || !r.Has(`[data-testid=contact-tag][data-tag=vip]`) {
		t.Fatalf("add tag: %d\n%s", r.Status, r.Body)
	}
	r = c.Post(base+"/tags", url.Values{"tag": {"a,b"}})
	if r.Status != http.StatusUnprocessableEntity || r.Doc.Find(`[data-testid=tag-input]`).AttrOr("value", "") != "a,b" {
		t.Fatalf("bad tag: %d", r.Status)
	}
	// In Italian, the same refusal in Italian.
	c.Header.Set("Accept-Language", "it")
	r = c.Post(base+"/fields", url.Values{"key": {"shoe_size"}, "value": {"quaranta"}})
	if r.Text(`[data-testid=contact-error]`) != "Inserisci un numero, es. 12 o 3,5." {
		t.Fatalf("Italian error %q", r.Text(`[data-testid=contact-error]`))
	}
	c.Header.Del("Accept-Language")

	// A plain form post: recorded, then back to the conversation.
	c.Header.Del("X-Contact-Panel")
	r = c.Post(base+"/consent", url.Values{"consent": {"granted"}, "note": {"wrote: yes, send me offers"}})
	if r.Status != http.StatusSeeOther || r.Location != "/agent/conversations/"+convID {
		t.Fatalf("consent: %d %q", r.Status, r.Location)
	}
	h, err := st.ConsentHistory(ctx, tenantID, contactID)
	if err != nil || len(h) != 1 || h[0].Source != "agent" || h[0].Actor != agent.Email || h[0].Note != "wrote: yes, send me offers" {
		t.Fatalf("history %+v %v", h, err)
	}
	r = c.Get(base)
	if r.Text(`[data-testid=contact-consent]`) != "Granted" || !strings.Contains(r.Text(`[data-testid=consent-event]`), agent.Name) {
		t.Fatalf("panel after consent:\n%s", r.Body)
	}
	audit, err := st.ListAudit(ctx, tenantID, 10)
	if err != nil {
		t.Fatal(err)
	}
	actions := map[string]bool{}
	for _, e := range audit {
		if e.ActorEmail == agent.Email {
			actions[e.Action] = true
		}
	}
	if !actions["contact.consent"] || !actions["contact.tag_add"] || !actions["contact.field_set"] {
		t.Fatalf("audited %v", actions)
	}

	// A conversation the agent does not hold: refused, nothing changed.
	if r := c.Get("/agent/conversations/" + queuedID + "/contact"); r.Status != http.StatusForbidden {
		t.Fatalf("panel of a queued conversation: %d", r.Status)
	}
	c.Get("/agent/conversations/" + convID)
	if r := c.Post("/agent/conversations/"+queuedID+"/contact/tags", url.Values{"tag": {"stolen"}}); r.Status != http.StatusForbidden {
		t.Fatalf("tag a queued conversation's contact: %d", r.Status)
	}
	// Another tenant's agent: not found, as for an id that does not exist.
	b := app.Client(t)
	b.MustLogin(app.F.B.Agent.Email, storagetest.Password)
	b.Get("/agent/")
	if r := b.Get(base); r.Status != http.StatusNotFound {
		t.Fatalf("tenant B reads the panel: %d", r.Status)
	}
	if r := b.Post(base+"/tags", url.Values{"tag": {"stolen"}}); r.Status != http.StatusNotFound {
		t.Fatalf("tenant B tags: %d", r.Status)
	}
	p, err := st.ContactPanel(ctx, tenantID, contactID, convID)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Join(p.Tags, ",") != "vip" || p.Fields[0].Value != "42" {
		t.Fatalf("contact after refusals: tags %v fields %+v", p.Tags, p.Fields)
	}
}

// TestBrowserAgentContactPanel plays a customer in the sandbox and the agent
// holding the conversation in Chromium: the panel shows the contact's name,
// phone, priority and consent; consent recorded in the chat shows in the
// history with the agent's name; a tag and a custom field stay after a
// reload; a bad number shows its error and keeps the stored value; an
// earlier, closed conversation of the contact is listed; the customer's
// STOP shows as revoked consent live.
func TestBrowserAgentContactPanel(t *testing.T) {
	t.Parallel()
	app := servertest.New(t, servertest.Options{RunWorkers: true, RoutingSweep: 100 * time.Millisecond})
	bg := context.Background()
	st, tenantID, agent := app.DB.Store, app.F.A.ID, app.F.A.Agent
	actor := storage.Actor{Email: "test"}
	n, _ := salesDesk(t, app)
	if _, err := st.DefineContactField(bg, tenantID, actor, storage.ContactField{Key: "shoe_size", Label: "Shoe size", Kind: "number"}); err != nil {
		t.Fatal(err)
	}
	const customer = "393471112233"

	ctx := browsertest.New(t)
	do, _ := browserSteps(t, app, ctx, stepTimeout(20*time.Second))
	text := func(sel string) string {
		t.Helper()
		wctx, cancel := context.WithTimeout(ctx, 20*time.Second)
		defer cancel()
		// Read in one script run: the live panel may replace the node
		// between chromedp finding it and reading it.
		js := `(() => { const n = document.querySelector(` + strconv.Quote(sel) + `); return n ? n.textContent : null; })()`
		for {
			s, err := chromedp.Run(wctx, chromedp.Evaluate[*string](js))
			if err == nil && s != nil {
				return strings.TrimSpace(*s)
			}
			if wctx.Err() != nil {
				t.Fatalf("text of %s: %v", sel, err)
			}
			time.Sleep(50 * time.Millisecond)
		}
	}
	field := `[data-testid=contact-field][data-key=shoe_size]`

	do("sign in and be available",
		signInAvailable(app, agent.Email))
	if _, err := app.Sandbox.Fake.CustomerSends(bg, n.PhoneNumberID, fakemeta.InboundMessage{From: customer, ProfileName: "Marta", Text: "Buongiorno"}); err != nil {
		t.Fatal(err)
	}
	do("the conversation reaches the agent", chromedp.WaitVisible(chromedp.CSS(`[data-testid=inbox-open]`)))

	// The contact exists now: an administrator's priority, and an earlier
	// conversation of the same contact, closed, held by the same agent.
	contacts, err := st.ListContacts(bg, tenantID, customer, storage.Page{Limit: 1})
	if err != nil || len(contacts) != 1 {
		t.Fatalf("contact: %v %v", contacts, err)
	}
	contact := contacts[0]
	if err := st.SetContactPriority(bg, tenantID, actor, contact.ID, 7); err != nil {
		t.Fatal(err)
	}
	var pastID string
	if err := st.InPlatform(bg, func(tx pgx.Tx) error {
		return tx.QueryRow(bg, `INSERT INTO conversations (tenant_id, number_id, contact_id, status, assigned_agent_id, created_at, closed_at)
			VALUES ($1, $2, $3, 'closed', $4, now() - interval '3 days', now() - interval '3 days' + interval '1 hour') RETURNING id`,
			tenantID, n.ID, contact.ID, agent.ID).Scan(&pastID)
	}); err != nil {
		t.Fatal(err)
	}

	do("open the conversation: the panel shows the contact",
		clickLive(`[data-testid=inbox-open]`),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid=conversation]`)),
		chromedp.WaitVisible(chromedp.CSS(`#contact-panel [data-testid=contact-name]`)))
	if got := text(`[data-testid=contact-name]`); got != "Marta" {
		t.Errorf("name %q", got)
	}
	if got := text(`[data-testid=contact-phone]`); !strings.Contains(got, customer) {
		t.Errorf("phone %q", got)
	}
	if got := text(`[data-testid=contact-priority]`); got != "7" {
		t.Errorf("priority %q", got)
	}
	if got := text(`[data-testid=contact-consent]`); got != "Unknown" {
		t.Errorf("consent %q", got)
	}
	do("the earlier conversation is listed", chromedp.WaitVisible(chromedp.CSS(`[data-testid=past-conversation][data-conversation="`+pastID+`"][data-status=closed]`)))
	if got := text(`[data-testid=past-conversation]`); !strings.Contains(got, "Closed") || !strings.Contains(got, agent.Name) {
		t.Errorf("past conversation %q", got)
	}

	// Consent given in the chat: recorded, in the history with the agent's name.
	do("record consent",
		chromedp.Click(chromedp.CSS(`[data-testid=consent-record]`)),
		chromedp.Click(chromedp.CSS(`[data-testid=consent-granted]`)),
		chromedp.SendKeys(chromedp.CSS(`[data-testid=consent-note-input]`), "wrote: yes, send me offers"),
		chromedp.Click(chromedp.CSS(`[data-testid=consent-submit]`)),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid=consent-event][data-source=agent]`)))
	if got := text(`[data-testid=consent-event]`); !strings.Contains(got, agent.Name) || !strings.Contains(got, "wrote: yes, send me offers") || !strings.Contains(got, "Granted") {
		t.Errorf("history entry %q", got)
	}
	if got := text(`[data-testid=contact-consent]`); got != "Granted" {
		t.Errorf("consent after recording %q", got)
	}

	// A tag and a custom field, still there after a reload.
	do("add a tag",
		chromedp.SendKeys(chromedp.CSS(`[data-testid=tag-input]`), "VIP"),
		chromedp.Click(chromedp.CSS(`[data-testid=tag-add]`)),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid=contact-tag][data-tag=vip]`)))
	do("set the shoe size",
		chromedp.SendKeys(chromedp.CSS(field+` [data-testid=contact-field-value]`), "42"),
		chromedp.Click(chromedp.CSS(field+` [data-testid=contact-field-save]`)),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid=contact-notice][data-notice="agent.contact.field_saved"]`)))
	do("reload",
		chromedp.Reload(),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid=contact-tag][data-tag=vip]`)))
	value := func() string {
		t.Helper()
		v, err := chromedp.Run(ctx, chromedp.Value(chromedp.CSS(field+` [data-testid=contact-field-value]`)))
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	if got := value(); got != "42" {
		t.Fatalf("shoe size after reload %q", got)
	}

	// A bad number: the error beside the field, the stored value kept.
	do("type a bad number",
		chromedp.SetValue(chromedp.CSS(field+` [data-testid=contact-field-value]`), "forty-two"),
		chromedp.Click(chromedp.CSS(field+` [data-testid=contact-field-save]`)),
		chromedp.WaitVisible(chromedp.CSS(field+` [data-testid=contact-error]`)))
	if got := text(field + ` [data-testid=contact-error]`); got != "Enter a number, e.g. 12 or 3.5." {
		t.Errorf("error %q", got)
	}
	if got := value(); got != "42" {
		t.Errorf("the field shows %q after a refused value, want the stored 42", got)
	}
	p, err := st.ContactPanel(bg, tenantID, contact.ID, "")
	if err != nil {
		t.Fatal(err)
	}
	if p.Fields[0].Value != "42" || strings.Join(p.Tags, ",") != "vip" || p.Contact.Consent != "granted" {
		t.Fatalf("stored: fields %+v tags %v consent %s", p.Fields, p.Tags, p.Contact.Consent)
	}

	// The customer withdraws consent by writing STOP: the panel follows
	// live, without a reload of the page.
	if _, err := chromedp.Run(ctx, chromedp.Evaluate[bool](`window.sbSamePage = true`)); err != nil {
		t.Fatal(err)
	}
	if _, err := app.Sandbox.Fake.CustomerSends(bg, n.PhoneNumberID, fakemeta.InboundMessage{From: customer, ProfileName: "Marta", Text: "STOP"}); err != nil {
		t.Fatal(err)
	}
	do("consent revoked live", chromedp.WaitVisible(chromedp.CSS(`[data-testid=contact-consent][data-consent=revoked]`)))
	if same, err := chromedp.Run(ctx, chromedp.Evaluate[bool](`window.sbSamePage === true`)); err != nil || !same {
		t.Fatalf("the page was reloaded (%v)", err)
	}
	if got := text(`[data-testid=consent-event]`); !strings.Contains(got, "Revoked") || !strings.Contains(got, "customer's message") {
		t.Errorf("newest history entry %q", got)
	}
}
