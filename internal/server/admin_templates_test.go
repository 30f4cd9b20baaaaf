package server_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"switchboard/internal/domain"
	"switchboard/internal/number"
	"switchboard/internal/server/browsertest"
	"switchboard/internal/server/servertest"
	"switchboard/internal/storage"
	"switchboard/internal/storage/storagetest"
	"switchboard/internal/whatsapp/graph"
)

// templateNumber gives tenant A a sandbox number registered with the
// sandbox's fake of Meta, and sets the plan's template limit.
func templateNumber(t *testing.T, app *servertest.App, maxTemplates int) domain.Number {
	t.Helper()
	bg := context.Background()
	actor := storage.Actor{Email: "test"}
	n, err := app.Numbers.Add(bg, actor, number.AddInput{TenantID: app.F.A.ID, Sandbox: true})
	if err != nil {
		t.Fatal(err)
	}
	app.Sandbox.Register(n)
	plan, err := app.DB.Store.PlanByName(bg, "Starter")
	if err != nil {
		t.Fatal(err)
	}
	plan.MaxTemplates = maxTemplates
	if _, err := app.DB.Store.SavePlan(bg, actor, plan); err != nil {
		t.Fatal(err)
	}
	return n
}

// setField sets an input or select as typing would, firing input and change.
func setField(sel, value string) chromedp.Action[chromedp.Void] {
	return chromedp.Evaluate[chromedp.Void](`(() => { const e = document.querySelector(` + strconv.Quote(sel) + `);
		e.value = ` + strconv.Quote(value) + `;
		e.dispatchEvent(new Event("input", {bubbles: true})); e.dispatchEvent(new Event("change", {bubbles: true})); })()`)
}

// TestBrowserTemplateFromDraftToMeta is the main flow in Chromium: the
// administrator writes a template (the live preview fills in the examples,
// a variable out of order is flagged as typed, a server-side refusal keeps
// what was typed), submits it and a second one Meta will reject; the plan's
// limit refuses a third; the operator forwards both to the sandbox, which
// decides within seconds; the administrator's list shows one approved and
// one rejected with Meta's reason.
func TestBrowserTemplateFromDraftToMeta(t *testing.T) {
	t.Parallel()
	app := servertest.New(t, servertest.Options{RunWorkers: true})
	templateNumber(t, app, 2)
	do, eval := templateBrowser(t, app)
	signIn := func(email, landing string) chromedp.Action[chromedp.Void] { return signInAs(app, email, landing) }
	signOut := signOutSteps()

	do("open the editor",
		signIn(app.F.A.Admin.Email, `[data-testid=admin-home]`),
		chromedp.Click(chromedp.CSS(`[data-testid=nav-templates]`)),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid=new-template]`)),
		chromedp.Click(chromedp.CSS(`[data-testid=new-template]`)),
		chromedp.WaitVisible(chromedp.CSS(`#tpl-form[data-ready="1"]`)))
	do("the use case proposes the category",
		setField(`#f-use_case`, "promotion"))
	if got := eval(`document.querySelector("#f-category").value`); got != "MARKETING" {
		t.Fatalf("category for a promotion: %q", got)
	}
	do("write with the variables out of order",
		setField(`#f-use_case`, "shipping_update"),
		setField(`#f-name`, "Order Shipped"),
		setField(`#f-language`, "en_US"),
		setField(`#f-header_kind`, "TEXT"),
		setField(`#f-header_text`, "Order {{1}}"),
		setField(`#f-header_example`, "A-1001"),
		chromedp.SendKeys(chromedp.CSS(`#f-body`), "Hello {{2}}, your order {{1}} has shipped."),
		chromedp.WaitVisible(chromedp.CSS(`[data-live-error=body]:not([hidden])`)))
	if got := eval(`document.querySelector("[data-live-error=body]").textContent`); !strings.Contains(got, "in order") {
		t.Fatalf("live error for variables out of order: %q", got)
	}
	if got := eval(`document.querySelector("[data-live-error=name]").textContent`); !strings.Contains(got, "lowercase") {
		t.Fatalf("live error for the name: %q", got)
	}
	do("fix the body; the preview fills in the examples",
		setField(`#f-body`, "Hello {{1}}, your order {{2}} has shipped."),
		chromedp.WaitVisible(chromedp.CSS(`#f-body_example_2`)),
		setField(`#f-body_example_1`, "Maria"),
		setField(`#f-body_example_2`, "A-1001"),
		setField(`#f-footer`, "Reply STOP to opt out"),
		setField(`#f-button_kind_1`, "QUICK_REPLY"),
		setField(`#f-button_text_1`, "Thanks"),
		setField(`#f-button_kind_2`, "URL"),
		setField(`#f-button_text_2`, "Track"),
		setField(`#f-button_url_2`, "https://example.com/track/{{1}}"),
		setField(`#f-button_example_2`, "A-1001"))
	preview := eval(`document.querySelector("[data-testid=template-preview]").innerText + "|" + document.querySelector("[data-preview=buttons]").innerText`)
	for _, want := range []string{"Order A-1001", "Hello Maria, your order A-1001 has shipped.", "Reply STOP to opt out", "Thanks", "Track"} {
		if !strings.Contains(preview, want) {
			t.Fatalf("preview lacks %q: %q", want, preview)
		}
	}
	if got := eval(`document.querySelector("[data-counter=body]").textContent`); got != "42/1024" {
		t.Fatalf("body counter: %q", got)
	}
	do("save with the bad name: the server refuses and keeps the form",
		chromedp.Click(chromedp.CSS(`[data-testid=template-save]`)),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid=error-name]`)))
	if got := eval(`document.querySelector("#f-body").value + "|" + document.querySelector("#f-body_example_1").value + "|" + document.querySelector("#f-button_url_2").value`); got != "Hello {{1}}, your order {{2}} has shipped.|Maria|https://example.com/track/{{1}}" {
		t.Fatalf("kept after refusal: %q", got)
	}
	do("fix the name, save and submit",
		chromedp.WaitVisible(chromedp.CSS(`#tpl-form[data-ready="1"]`)),
		setField(`#f-name`, "order_shipped"),
		chromedp.Click(chromedp.CSS(`[data-testid=template-save]`)),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid=template-submit]`)),
		chromedp.Click(chromedp.CSS(`[data-testid=template-submit]`)),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid=template-state].tpl-submitted`)))
	if got := eval(`document.querySelector("[data-testid=template-state]").textContent`); got != "Waiting for the operator" {
		t.Fatalf("after submit: %q", got)
	}
	do("write one Meta will reject, and submit it",
		chromedp.Navigate(app.URL+"/admin/templates/new"),
		chromedp.WaitVisible(chromedp.CSS(`#tpl-form[data-ready="1"]`)),
		setField(`#f-name`, "bad_news"),
		setField(`#f-language`, "it"),
		setField(`#f-body`, "Ciao {{1}}, REJECTME per favore."),
		setField(`#f-body_example_1`, "Maria"),
		chromedp.Click(chromedp.CSS(`[data-testid=template-save]`)),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid=template-submit]`)),
		chromedp.Click(chromedp.CSS(`[data-testid=template-submit]`)),
		// The saved page has a flash too: wait for the submission's state.
		chromedp.WaitVisible(chromedp.CSS(`[data-testid=template-state].tpl-submitted`)))
	do("a third is past the plan's limit",
		chromedp.Navigate(app.URL+"/admin/templates/new"),
		chromedp.WaitVisible(chromedp.CSS(`#tpl-form[data-ready="1"]`)),
		setField(`#f-name`, "third"),
		setField(`#f-language`, "it"),
		setField(`#f-body`, "Un terzo messaggio."),
		chromedp.Click(chromedp.CSS(`[data-testid=template-save]`)),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid=form-error]`)))
	if got := eval(`document.querySelector("[data-testid=form-error]").textContent`); !strings.Contains(got, "Your plan allows 2 templates") {
		t.Fatalf("plan limit message: %q", got)
	}
	if got := eval(`document.querySelector("#f-body").value`); got != "Un terzo messaggio." {
		t.Fatalf("kept after the plan's refusal: %q", got)
	}

	do("the operator forwards both to Meta (the sandbox)",
		signOut,
		signIn(app.F.Operator.Email, `[data-testid=nav-templates]`),
		chromedp.Click(chromedp.CSS(`[data-testid=nav-templates]`)),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid=queue-row][data-name=order_shipped]`)),
		chromedp.Click(chromedp.CSS(`[data-testid=queue-row][data-name=order_shipped] [data-testid=forward]`)),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid=flash]`)),
		chromedp.Click(chromedp.CSS(`[data-testid=queue-row][data-name=bad_news] [data-testid=forward]`)),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid=queue-empty]`)))

	do("the administrator's list", signOut, signIn(app.F.A.Admin.Email, `[data-testid=admin-home]`))
	deadline := time.Now().Add(20 * time.Second)
	var states string
	for {
		do("reload the list", chromedp.Navigate(app.URL+"/admin/templates"), chromedp.WaitVisible(chromedp.CSS(`[data-testid=template-list]`)))
		states = eval(`Array.from(document.querySelectorAll("[data-testid=template-row]")).map(r => r.dataset.name + "=" + r.dataset.state).join(",")`)
		if states == "bad_news=rejected,order_shipped=approved" {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("states after forwarding: %s\nserver log:\n%s", states, logTail(app.Logs.String()))
		}
		time.Sleep(500 * time.Millisecond)
	}
	reason := eval(`document.querySelector("[data-testid=template-row][data-name=bad_news] [data-testid=template-reason]").textContent`)
	if !strings.Contains(reason, "INVALID_FORMAT") || !strings.Contains(reason, "format is invalid") {
		t.Fatalf("Meta's reason: %q", reason)
	}
	if got := eval(`document.querySelector("[data-testid=template-usage]").textContent`); !strings.HasPrefix(got, "1 of the 2") {
		t.Fatalf("usage after a rejection: %q", got)
	}
	do("filter by state", chromedp.Click(chromedp.CSS(`[data-testid=filter-approved]`)), chromedp.WaitVisible(chromedp.CSS(`[data-testid=template-list]`)))
	if got := eval(`Array.from(document.querySelectorAll("[data-testid=template-row]")).map(r => r.dataset.name).join(",")`); got != "order_shipped" {
		t.Fatalf("approved filter: %s", got)
	}
	// The approved template is the agent console's now: the catalog has it.
	ts, err := app.DB.Store.ListTemplates(context.Background(), app.F.A.ID, mustNumber(t, app).WABAID)
	if err != nil {
		t.Fatal(err)
	}
	approved := 0
	for _, tr := range ts {
		if tr.Status == "APPROVED" && tr.Name == "order_shipped" && tr.HeaderParams == 1 && tr.BodyParams == 2 {
			approved++
		}
	}
	if approved != 1 {
		t.Fatalf("catalog rows: %+v", ts)
	}
}

func mustNumber(t *testing.T, app *servertest.App) domain.Number {
	t.Helper()
	ns, err := app.DB.Store.ListNumbers(context.Background(), app.F.A.ID)
	if err != nil || len(ns) == 0 {
		t.Fatalf("numbers: %v %v", ns, err)
	}
	return ns[0]
}

// templateValues is a valid editor form.
func templateValues(numberID, name string) url.Values {
	return url.Values{"number_id": {numberID}, "name": {name}, "language": {"it"}, "use_case": {"shipping_update"},
		"category": {"UTILITY"}, "body": {"Ciao {{1}}, il tuo ordine è partito."}, "body_example_1": {"Maria"}}
}

// TestTemplatePagesRefuseBadInputAndStrangers: over-limit and out-of-order
// templates are refused beside their field with what was typed kept and
// nothing stored; an agent cannot reach the pages; tenant B's administrator
// cannot read or change A's template; Meta's immediate refusal of a forward
// goes back to the administrator with Meta's words.
func TestTemplatePagesRefuseBadInputAndStrangers(t *testing.T) {
	t.Parallel()
	app := servertest.New(t)
	n := templateNumber(t, app, 10)
	admin := app.Client(t)
	admin.MustLogin(app.F.A.Admin.Email, storagetest.Password)
	admin.Get("/admin/templates/new")

	cases := []struct {
		field, value, errorField, want string
	}{
		{"body", "Hi {{2}} and {{1}}, welcome.", "body", "in order"},
		{"body", strings.Repeat("x", 1025), "body", "1,024"},
		{"name", "Bad Name", "name", "lowercase"},
		{"footer", strings.Repeat("f", 61), "footer", "60"},
		{"button_kind_1", "URL", "button_text_1", "label"},
	}
	for _, c := range cases {
		v := templateValues(n.ID, "welcome")
		v.Set(c.field, c.value)
		r := admin.Post("/admin/templates", v)
		if r.Status != http.StatusUnprocessableEntity {
			t.Fatalf("%s=%q: status %d", c.field, c.value, r.Status)
		}
		if got := r.Text("[data-testid=error-" + c.errorField + "]"); !strings.Contains(got, c.want) {
			t.Errorf("%s: error %q, want %q", c.field, got, c.want)
		}
		if got := r.Doc.Find("#f-body").Text(); got != v.Get("body") {
			t.Errorf("%s: body not kept: %q", c.field, got)
		}
	}
	if list, _ := app.DB.Store.ListAdminTemplates(context.Background(), app.F.A.ID); len(list) != 0 {
		t.Fatalf("refused forms stored %d templates", len(list))
	}
	// Italian too.
	admin.Post("/language", url.Values{"lang": {"it"}, "next": {"/admin/templates/new"}})
	v := templateValues(n.ID, "welcome")
	v.Set("body", "{{1}}, il tuo ordine è partito.")
	if r := admin.Post("/admin/templates", v); !strings.Contains(r.Text("[data-testid=error-body]"), "inizia o finisce") {
		t.Errorf("Italian error: %q", r.Text("[data-testid=error-body]"))
	}

	r := admin.Post("/admin/templates", templateValues(n.ID, "welcome"))
	if r.Status != http.StatusSeeOther {
		t.Fatalf("create: %d %s", r.Status, r.Text("[data-testid=form-error]"))
	}
	id := strings.TrimPrefix(r.Location, "/admin/templates/")
	if r := admin.Post("/admin/templates", templateValues(n.ID, "welcome")); r.Status != http.StatusUnprocessableEntity || r.Text("[data-testid=error-name]") == "" {
		t.Fatalf("duplicate name: %d", r.Status)
	}

	agent := app.Client(t)
	agent.MustLogin(app.F.A.Agent.Email, storagetest.Password)
	for _, path := range []string{"/admin/templates", "/admin/templates/new", "/admin/templates/" + id} {
		if r := agent.Get(path); r.Status != http.StatusForbidden {
			t.Errorf("agent GET %s: %d", path, r.Status)
		}
	}
	if r := agent.Get("/operator/templates"); r.Status != http.StatusForbidden {
		t.Errorf("agent on the operator's queue: %d", r.Status)
	}

	other := app.Client(t)
	other.MustLogin(app.F.B.Admin.Email, storagetest.Password)
	other.Get("/admin/templates")
	if r := other.Get("/admin/templates/" + id); r.Status != http.StatusNotFound {
		t.Errorf("B reads A's template: %d", r.Status)
	}
	for _, path := range []string{"/admin/templates/" + id, "/admin/templates/" + id + "/submit", "/admin/templates/" + id + "/delete"} {
		if r := other.Post(path, templateValues(n.ID, "stolen")); r.Status != http.StatusNotFound {
			t.Errorf("B POST %s: %d", path, r.Status)
		}
	}
	if r := other.Get("/admin/templates"); strings.Contains(r.Body, "welcome") {
		t.Error("B's list shows A's template")
	}
	if r := admin.Get("/operator/templates"); r.Status != http.StatusForbidden {
		t.Errorf("administrator on the operator's queue: %d", r.Status)
	}

	// Meta already has "welcome" in Italian (made elsewhere): the forward is
	// refused at once and the template is back with Meta's words.
	token, err := app.Numbers.AccessToken(n)
	if err != nil {
		t.Fatal(err)
	}
	g := &graph.Client{HTTP: http.DefaultClient, BaseURL: app.URL + "/sandbox/graph", Version: "v23.0"}
	if _, _, err := g.CreateTemplate(context.Background(), token, n.WABAID, graph.TemplateDraft{Name: "welcome", Language: "it", Category: "UTILITY",
		RawComponents: json.RawMessage(`[{"type":"BODY","text":"Ciao a tutti."}]`)}); err != nil {
		t.Fatal(err)
	}
	admin.Get("/admin/templates/" + id)
	if r := admin.Post("/admin/templates/"+id+"/submit", nil); r.Status != http.StatusSeeOther {
		t.Fatalf("submit: %d", r.Status)
	}
	op := app.Client(t)
	op.MustLogin(app.F.Operator.Email, storagetest.Password)
	op.Get("/operator/templates")
	if r := op.Post("/operator/templates/"+id+"/forward", nil); r.Status != http.StatusSeeOther {
		t.Fatalf("forward: %d", r.Status)
	}
	if r := op.Follow("/operator/templates"); !r.Has("[data-testid=queue-empty]") {
		t.Error("the refused template is still in the queue")
	}
	page := admin.Get("/admin/templates/" + id)
	if got := page.Text("[data-testid=template-reason]"); !strings.Contains(got, "already exists") {
		t.Errorf("Meta's refusal on the admin's page: %q", got)
	}
	if !page.Has("[data-testid=template-submit]") || !page.Has("[data-testid=template-save]") {
		t.Error("a refused template must be editable and submittable again")
	}
	entries, err := app.DB.Store.ListAudit(context.Background(), app.F.A.ID, 20)
	if err != nil {
		t.Fatal(err)
	}
	seen := map[string]bool{}
	for _, e := range entries {
		seen[e.Action] = true
	}
	for _, a := range []string{"template.create", "template.submit", "template.forward_refused"} {
		if !seen[a] {
			t.Errorf("audit lacks %s: %v", a, seen)
		}
	}
}

// waitTemplateState polls the store until the template reaches state.
func waitTemplateState(t *testing.T, app *servertest.App, id, state string) storage.AdminTemplate {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for {
		tpl, err := app.DB.Store.AdminTemplateByID(context.Background(), app.F.A.ID, id)
		if err != nil {
			t.Fatal(err)
		}
		if tpl.State() == state {
			return tpl
		}
		if time.Now().After(deadline) {
			t.Fatalf("template state %s, want %s\nserver log:\n%s", tpl.State(), state, logTail(app.Logs.String()))
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// TestTemplateRejectedThenEditedIsApproved: a template Meta (the sandbox)
// rejected is edited by the administrator and submitted again; the
// operator's forward edits the same template at Meta, which approves it.
func TestTemplateRejectedThenEditedIsApproved(t *testing.T) {
	t.Parallel()
	app := servertest.New(t, servertest.Options{RunWorkers: true})
	n := templateNumber(t, app, 10)
	admin := app.Client(t)
	admin.MustLogin(app.F.A.Admin.Email, storagetest.Password)
	op := app.Client(t)
	op.MustLogin(app.F.Operator.Email, storagetest.Password)

	admin.Get("/admin/templates/new")
	v := templateValues(n.ID, "second_try")
	v.Set("body", "Ciao {{1}}, REJECTME grazie.")
	r := admin.Post("/admin/templates", v)
	if r.Status != http.StatusSeeOther {
		t.Fatalf("create: %d %s", r.Status, r.Text("[data-testid=form-error]"))
	}
	id := strings.TrimPrefix(r.Location, "/admin/templates/")
	forward := func() { t.Helper(); submitAndForward(t, admin, op, id) }
	forward()
	first := waitTemplateState(t, app, id, storage.TemplateRejected)

	// Edited: name and language stay Meta's whatever is posted.
	page := admin.Get("/admin/templates/" + id)
	if !page.Has("[data-testid=template-fixed]") || page.Text("[data-testid=template-reason]") == "" {
		t.Fatalf("rejected template's page: fixed %v, reason %q", page.Has("[data-testid=template-fixed]"), page.Text("[data-testid=template-reason]"))
	}
	v = templateValues(n.ID, "renamed")
	v.Set("body", "Ciao {{1}}, grazie di cuore.")
	if r := admin.Post("/admin/templates/"+id, v); r.Status != http.StatusSeeOther {
		t.Fatalf("edit: %d %v", r.Status, r.Doc.Find(".error").Text())
	}
	forward()
	got := waitTemplateState(t, app, id, storage.TemplateApproved)
	if got.MetaID != first.MetaID || got.Name != "second_try" || !strings.Contains(string(got.Components), "grazie di cuore") {
		t.Fatalf("after the edit: %+v", got)
	}
	if ts := app.Sandbox.Fake.Templates(n.WABAID); len(ts) != 1 {
		t.Fatalf("Meta has %d templates, want the one edited", len(ts))
	}
}

// TestAuthenticationTemplateForwarded: an authentication template carries
// only Meta's options (whatever the hidden fields still hold) and Meta (the
// sandbox) accepts it for review.
func TestAuthenticationTemplateForwarded(t *testing.T) {
	t.Parallel()
	app := servertest.New(t)
	n := templateNumber(t, app, 10)
	admin := app.Client(t)
	admin.MustLogin(app.F.A.Admin.Email, storagetest.Password)
	admin.Get("/admin/templates/new")
	v := templateValues(n.ID, "login_code")
	v.Set("use_case", "one_time_password")
	v.Set("category", "AUTHENTICATION")
	v.Set("security_note", "on")
	v.Set("code_expiry", "91")
	if r := admin.Post("/admin/templates", v); r.Status != http.StatusUnprocessableEntity || !strings.Contains(r.Text("[data-testid=error-code_expiry]"), "90") {
		t.Fatalf("expiry past 90 minutes: %d %q", r.Status, r.Text("[data-testid=error-code_expiry]"))
	}
	v.Set("code_expiry", "10")
	r := admin.Post("/admin/templates", v)
	if r.Status != http.StatusSeeOther {
		t.Fatalf("create: %d %s", r.Status, r.Doc.Find(".error").Text())
	}
	id := strings.TrimPrefix(r.Location, "/admin/templates/")
	tpl, err := app.DB.Store.AdminTemplateByID(context.Background(), app.F.A.ID, id)
	if err != nil {
		t.Fatal(err)
	}
	if s := string(tpl.Draft); strings.Contains(s, "Ciao") || !strings.Contains(s, `"OTP"`) || !strings.Contains(s, `"code_expiration_minutes": 10`) {
		t.Fatalf("authentication components: %s", s)
	}
	admin.Get("/admin/templates/" + id)
	admin.Post("/admin/templates/"+id+"/submit", nil)
	op := app.Client(t)
	op.MustLogin(app.F.Operator.Email, storagetest.Password)
	op.Get("/operator/templates")
	op.Post("/operator/templates/"+id+"/forward", nil)
	if tpl, _ = app.DB.Store.AdminTemplateByID(context.Background(), app.F.A.ID, id); tpl.State() != storage.TemplatePending || tpl.MetaID == "" {
		t.Fatalf("after forward: state %s, refusal %q", tpl.State(), tpl.ForwardError)
	}
}

// templateBrowser opens a Chromium tab for a template test with its two
// helpers (browserSteps): do runs steps (15 s at most, the server's log on
// failure), eval reads a string from the page.
func templateBrowser(t *testing.T, app *servertest.App) (func(string, ...chromedp.Action[chromedp.Void]), func(string) string) {
	t.Helper()
	return browserSteps(t, app, browsertest.New(t))
}

// signInAs signs a user in through the login page and waits for landing.
func signInAs(app *servertest.App, email, landing string) chromedp.Action[chromedp.Void] {
	return chromedp.Steps(
		chromedp.Navigate(app.URL+"/login"),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid=login]`)),
		chromedp.SendKeys(chromedp.CSS(`#f-email`), email),
		chromedp.SendKeys(chromedp.CSS(`#f-password`), storagetest.Password),
		chromedp.Click(chromedp.CSS(`[data-testid=login-submit]`)),
		chromedp.WaitVisible(chromedp.CSS(landing)))
}

// signOutSteps signs out from the shell's menu.
func signOutSteps() chromedp.Action[chromedp.Void] {
	return chromedp.Steps(chromedp.Click(chromedp.CSS(`[data-testid=logout]`)), chromedp.WaitVisible(chromedp.CSS(`[data-testid=login]`)))
}

// TestTemplateDeletedAtMeta: an approved template is deleted at Meta from
// its page (the sandbox's Meta deletes that language); it then says so,
// cannot be deleted twice, and no longer counts against the plan, so a
// tenant at its limit of one can have another template approved. A
// template Meta disabled is refused by Meta, in Meta's words, and stays.
// Tenant B's administrator cannot delete A's.
func TestTemplateDeletedAtMeta(t *testing.T) {
	t.Parallel()
	app := servertest.New(t, servertest.Options{RunWorkers: true})
	n := templateNumber(t, app, 1)
	admin := app.Client(t)
	admin.MustLogin(app.F.A.Admin.Email, storagetest.Password)
	op := app.Client(t)
	op.MustLogin(app.F.Operator.Email, storagetest.Password)
	approved := func(name string) string { return approvedTemplate(t, app, admin, op, n, name) }
	first := approved("order_shipped")
	page := admin.Get("/admin/templates/" + first)
	if !page.Has("[data-testid=template-delete-at-meta]") || !strings.Contains(page.Text("[data-testid=template-delete-at-meta]"), "30 days") {
		t.Fatal("an approved template's page offers no deletion at Meta, or does not warn")
	}
	other := app.Client(t)
	other.MustLogin(app.F.B.Admin.Email, storagetest.Password)
	other.Get("/admin/templates")
	atMeta := url.Values{"at_meta": {"1"}}
	if r := other.Post("/admin/templates/"+first+"/delete", atMeta); r.Status != http.StatusNotFound {
		t.Fatalf("tenant B deleting A's template: %d", r.Status)
	}

	// At the plan's limit of one, a second is refused.
	admin.Get("/admin/templates/new")
	if r := admin.Post("/admin/templates", templateValues(n.ID, "order_delivered")); r.Status != http.StatusUnprocessableEntity ||
		!strings.Contains(r.Text("[data-testid=form-error]"), "1") {
		t.Fatalf("a second template at a limit of one: %d %q", r.Status, r.Text("[data-testid=form-error]"))
	}

	// The draft's button (a stale page) never deletes what Meta has.
	admin.Get("/admin/templates/" + first)
	admin.Post("/admin/templates/"+first+"/delete", nil)
	if flash := admin.Get("/admin/templates/" + first).Text("[data-testid=flash]"); !strings.Contains(flash, "no longer a draft") {
		t.Fatalf("the draft's delete on an approved template: %q", flash)
	}
	if r := admin.Post("/admin/templates/"+first+"/delete", atMeta); r.Status != http.StatusSeeOther || r.Location != "/admin/templates/"+first {
		t.Fatalf("delete at Meta: %d %s", r.Status, r.Location)
	}
	page = admin.Get("/admin/templates/" + first)
	if flash := page.Text("[data-testid=flash]"); flash != "Deleted at Meta." || page.Has("[data-testid=template-delete-at-meta]") {
		t.Fatalf("after deleting: flash %q, still offered %v", flash, page.Has("[data-testid=template-delete-at-meta]"))
	}
	for _, mt := range app.Sandbox.Fake.Templates(n.WABAID) {
		if mt.Name == "order_shipped" && mt.Status != "DELETED" {
			t.Fatalf("Meta still has it as %s", mt.Status)
		}
	}
	if got, _ := app.DB.Store.AdminTemplateByID(context.Background(), app.F.A.ID, first); got.State() != storage.TemplateDeleted {
		t.Fatalf("state after deleting: %s", got.State())
	}
	admin.Post("/admin/templates/"+first+"/delete", atMeta)
	if flash := admin.Get("/admin/templates/" + first).Text("[data-testid=flash]"); !strings.Contains(flash, "cannot be deleted") {
		t.Fatalf("deleting twice: %q", flash)
	}

	// The slot is free: a second goes through.
	second := approved("order_delivered")
	got, _ := app.DB.Store.AdminTemplateByID(context.Background(), app.F.A.ID, second)

	// Meta disables it: deleting it (which Meta refuses) is not offered.
	if err := app.Sandbox.Fake.DecideTemplate(n.WABAID, got.MetaID, "DISABLED", ""); err != nil {
		t.Fatal(err)
	}
	waitTemplateState(t, app, second, storage.TemplateDisabled)
	if admin.Get("/admin/templates/" + second).Has("[data-testid=template-delete-at-meta]") {
		t.Error("deleting a disabled template is offered")
	}
	admin.Post("/admin/templates/"+second+"/delete", atMeta)
	if got, _ := app.DB.Store.AdminTemplateByID(context.Background(), app.F.A.ID, second); got.State() != storage.TemplateDisabled {
		t.Fatalf("a disabled template after a deletion was asked for: %s", got.State())
	}

	// The first's name is free again in Switchboard: a new draft takes the
	// deleted row over (Meta decides when the name may be used again).
	plan, err := app.DB.Store.PlanByName(context.Background(), "Starter")
	if err != nil {
		t.Fatal(err)
	}
	plan.MaxTemplates = 5 // the disabled one still counts
	if _, err := app.DB.Store.SavePlan(context.Background(), storage.Actor{Email: "test"}, plan); err != nil {
		t.Fatal(err)
	}
	admin.Get("/admin/templates/new")
	r := admin.Post("/admin/templates", templateValues(n.ID, "order_shipped"))
	if r.Status != http.StatusSeeOther || strings.TrimPrefix(r.Location, "/admin/templates/") != first {
		t.Fatalf("a draft named as the deleted template: %d %s", r.Status, r.Location)
	}
	if got, _ := app.DB.Store.AdminTemplateByID(context.Background(), app.F.A.ID, first); got.State() != storage.TemplateDraft || got.MetaID != "" {
		t.Fatalf("the reused row: %s %q", got.State(), got.MetaID)
	}
}

// TestTemplateDeletedInWhatsAppManager: a template deleted at Meta outside
// Switchboard (WhatsApp Manager) shows as deleted once Meta's webhook
// arrives (Meta's list no longer has it), cannot be sent, and frees its
// place in the plan.
func TestTemplateDeletedInWhatsAppManager(t *testing.T) {
	t.Parallel()
	app := servertest.New(t, servertest.Options{RunWorkers: true})
	n := templateNumber(t, app, 5)
	admin := app.Client(t)
	admin.MustLogin(app.F.A.Admin.Email, storagetest.Password)
	op := app.Client(t)
	op.MustLogin(app.F.Operator.Email, storagetest.Password)
	id := approvedTemplate(t, app, admin, op, n, "elsewhere")
	got, _ := app.DB.Store.AdminTemplateByID(context.Background(), app.F.A.ID, id)
	token, _ := app.Numbers.AccessToken(n)
	gc := &graph.Client{HTTP: http.DefaultClient, BaseURL: app.URL + "/sandbox/graph", Version: "v23.0"}
	if err := gc.DeleteTemplate(context.Background(), token, n.WABAID, "elsewhere", got.MetaID); err != nil {
		t.Fatal(err)
	}
	waitTemplateState(t, app, id, storage.TemplateDeleted)
	if u, _ := app.DB.Store.TemplateUsage(context.Background(), app.F.A.ID); u.Used != 0 {
		t.Fatalf("a deleted template still counts: %+v", u)
	}
}

// approvedTemplate writes a template as tenant A's administrator, submits
// it, has the operator forward it, and waits for the sandbox's approval.
func approvedTemplate(t *testing.T, app *servertest.App, admin, op *servertest.Client, n domain.Number, name string) string {
	t.Helper()
	admin.Get("/admin/templates/new")
	r := admin.Post("/admin/templates", templateValues(n.ID, name))
	if r.Status != http.StatusSeeOther {
		t.Fatalf("create %s: %d %s", name, r.Status, r.Text("[data-testid=form-error]"))
	}
	id := strings.TrimPrefix(r.Location, "/admin/templates/")
	submitAndForward(t, admin, op, id)
	waitTemplateState(t, app, id, storage.TemplateApproved)
	return id
}

// submitAndForward submits a template as the administrator and forwards it
// to Meta (the sandbox) as the operator.
func submitAndForward(t *testing.T, admin, op *servertest.Client, id string) {
	t.Helper()
	admin.Get("/admin/templates/" + id)
	if r := admin.Post("/admin/templates/"+id+"/submit", nil); r.Status != http.StatusSeeOther {
		t.Fatalf("submit: %d", r.Status)
	}
	if flash := admin.Get("/admin/templates/" + id).Text("[data-testid=flash]"); strings.Contains(flash, "plan") {
		t.Fatalf("submit refused: %q", flash)
	}
	op.Get("/operator/templates")
	if r := op.Post("/operator/templates/"+id+"/forward", nil); r.Status != http.StatusSeeOther {
		t.Fatalf("forward: %d", r.Status)
	}
}

// TestApprovedTemplateEdited: an approved template is edited (its category
// stays Meta's, whatever is posted); Meta's approved version stays what is
// sent until the edit is forwarded; Meta reviews the edit and approves it.
// A second edit the same day is refused by Meta, in Meta's words, and
// comes back to the administrator, who discards it.
func TestApprovedTemplateEdited(t *testing.T) {
	t.Parallel()
	app := servertest.New(t, servertest.Options{RunWorkers: true})
	n := templateNumber(t, app, 5)
	admin := app.Client(t)
	admin.MustLogin(app.F.A.Admin.Email, storagetest.Password)
	op := app.Client(t)
	op.MustLogin(app.F.Operator.Email, storagetest.Password)
	id := approvedTemplate(t, app, admin, op, n, "order_left")
	page := admin.Get("/admin/templates/" + id)
	if page.Has("#tpl-form fieldset[disabled]") || !page.Has("[data-testid=category-fixed]") {
		t.Fatalf("an approved template's editor: disabled %v, category fixed %v", page.Has("#tpl-form fieldset[disabled]"), page.Has("[data-testid=category-fixed]"))
	}
	v := templateValues(n.ID, "renamed")
	v.Set("category", "MARKETING")
	v.Set("body", "Ciao {{1}}, il tuo ordine è in viaggio.")
	if r := admin.Post("/admin/templates/"+id, v); r.Status != http.StatusSeeOther {
		t.Fatalf("edit: %d %v", r.Status, r.Doc.Find(".error").Text())
	}
	got, _ := app.DB.Store.AdminTemplateByID(context.Background(), app.F.A.ID, id)
	if got.Category != "UTILITY" || got.Name != "order_left" || got.Status != "APPROVED" || !strings.Contains(string(got.Draft), "in viaggio") ||
		strings.Contains(string(got.Components), "in viaggio") {
		t.Fatalf("after the edit: %+v", got)
	}
	if !admin.Get("/admin/templates/" + id).Has("[data-testid=template-live-while-edited]") {
		t.Error("the page does not say Meta's approved version is still the one sent")
	}
	forward := func() { t.Helper(); submitAndForward(t, admin, op, id) }
	forward()
	deadline := time.Now().Add(20 * time.Second)
	for {
		got, _ = app.DB.Store.AdminTemplateByID(context.Background(), app.F.A.ID, id)
		if got.State() == storage.TemplateApproved && strings.Contains(string(got.Components), "in viaggio") {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the edit was not approved: %s %s", got.State(), got.Components)
		}
		time.Sleep(200 * time.Millisecond)
	}
	// Again the same day: Meta refuses (one edit a day), the administrator reads why.
	v.Set("body", "Ciao {{1}}, il tuo ordine arriva domani.")
	admin.Get("/admin/templates/" + id)
	if r := admin.Post("/admin/templates/"+id, v); r.Status != http.StatusSeeOther {
		t.Fatalf("second edit: %d", r.Status)
	}
	forward()
	got = waitTemplateState(t, app, id, storage.TemplateRefused)
	if !strings.Contains(got.ForwardError, "24 hours") {
		t.Fatalf("Meta's refusal of a second edit: %q", got.ForwardError)
	}
	// The administrator drops the edit: back to what Meta approved.
	if page := admin.Get("/admin/templates/" + id); !page.Has("[data-testid=template-discard]") {
		t.Fatal("no way to discard the refused edit")
	}
	if r := admin.Post("/admin/templates/"+id+"/discard", nil); r.Status != http.StatusSeeOther {
		t.Fatalf("discard: %d", r.Status)
	}
	got, _ = app.DB.Store.AdminTemplateByID(context.Background(), app.F.A.ID, id)
	if got.State() != storage.TemplateApproved || strings.Contains(string(got.Draft), "domani") || !strings.Contains(string(got.Draft), "in viaggio") {
		t.Fatalf("after discarding: %s %s", got.State(), got.Draft)
	}
}
