package server_test

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"switchboard/internal/server/browsertest"
	"switchboard/internal/server/servertest"
	"switchboard/internal/storage"
	"switchboard/internal/storage/storagetest"
)

// TestOnboardingInTheBrowser is the journey in Chromium: with self-service
// off /signup says it is closed; the operator opens it; a company follows
// the sign-in page's link and signs up,
// its bad VAT number and phone refused beside their inputs with everything
// typed kept; it lands on its onboarding page with a sandbox number and
// writes to it from the customer simulator; the operator finds the
// application, is told a rejection needs a reason, and moves it to in
// review and then to waiting for Meta with a note; the administrator sees
// the new state and the note.
func TestOnboardingInTheBrowser(t *testing.T) {
	t.Parallel()
	app := servertest.New(t, servertest.Options{RunWorkers: true})
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
	value := func(sel string) string {
		t.Helper()
		v, err := chromedp.Run(ctx, chromedp.Value(chromedp.CSS(sel)))
		if err != nil {
			t.Fatalf("browser: value of %s: %v", sel, err)
		}
		return v
	}
	checked := func(sel string) bool {
		t.Helper()
		v, err := chromedp.Run(ctx, chromedp.Evaluate[bool](`document.querySelector(`+jsString(sel)+`).checked`))
		if err != nil {
			t.Fatalf("browser: checked of %s: %v", sel, err)
		}
		return v
	}
	signIn := func(email, password string) chromedp.Action[chromedp.Void] {
		return chromedp.Steps(
			chromedp.Navigate(app.URL+"/login"),
			chromedp.WaitVisible(chromedp.CSS(`[data-testid=login]`)),
			chromedp.SendKeys(chromedp.CSS(`#f-email`), email),
			chromedp.SendKeys(chromedp.CSS(`#f-password`), password),
			chromedp.Click(chromedp.CSS(`[data-testid=login-submit]`)))
	}
	signOut := chromedp.Steps(chromedp.Click(chromedp.CSS(`[data-testid=logout]`)), chromedp.WaitVisible(chromedp.CSS(`[data-testid=login]`)))

	do(chromedp.Navigate(app.URL+"/login"), chromedp.WaitVisible(chromedp.CSS(`[data-testid=login]`)))
	if n, err := chromedp.Run(ctx, chromedp.Evaluate[int](`document.querySelectorAll("[data-testid=signup-link]").length`)); err != nil || n != 0 {
		t.Fatalf("closed, the sign-in page links to sign-up (%d, %v)", n, err)
	}
	do(chromedp.Navigate(app.URL+"/signup"), chromedp.WaitVisible(chromedp.CSS(`[data-testid=signup-closed]`)))
	if h := text(`[data-testid=signup-closed] h1`); h != "Sign-up is closed" {
		t.Fatalf("closed page says %q", h)
	}

	do(signIn(app.F.Operator.Email, storagetest.Password), chromedp.WaitVisible(chromedp.CSS(`[data-testid=tenants]`)),
		chromedp.Click(chromedp.CSS(`[data-testid=nav-applications]`)),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid=signup-state][data-open=false]`)),
		chromedp.Click(chromedp.CSS(`[data-testid=signup-open]`)),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid=signup-state][data-open=true]`)))
	if f := text(`[data-testid=flash]`); f != "Self-service sign-up is open." {
		t.Errorf("flash after opening: %q", f)
	}
	do(signOut)

	const password = "rossi-trasporti-2026"
	// Open, the sign-in page shows the way to sign up.
	do(chromedp.Click(chromedp.CSS(`[data-testid=signup-link]`)), chromedp.WaitVisible(chromedp.CSS(`[data-testid=signup-form]`)),
		chromedp.Click(chromedp.CSS(`[data-testid=plan-Business]`)),
		chromedp.SendKeys(chromedp.CSS(`#f-company_name`), "Trasporti Rossi Srl"),
		chromedp.SendKeys(chromedp.CSS(`#f-vat_number`), "IT00159560367"), // the check digit is wrong
		chromedp.SendKeys(chromedp.CSS(`#f-meta_business_id`), "102938475612345"),
		chromedp.SendKeys(chromedp.CSS(`#f-phone`), "02 1234 5678"), // no country code
		chromedp.SendKeys(chromedp.CSS(`#f-monthly_conversations`), "2500"),
		chromedp.Click(chromedp.CSS(`[data-testid=use-case-shipping_update]`)),
		chromedp.SendKeys(chromedp.CSS(`#f-admin_name`), "Rosa Rossi"),
		chromedp.SendKeys(chromedp.CSS(`#f-admin_email`), "rosa@rossi.test"),
		chromedp.SendKeys(chromedp.CSS(`#f-admin_password`), password),
		chromedp.SendKeys(chromedp.CSS(`#f-confirm_password`), password),
		chromedp.Click(chromedp.CSS(`[data-testid=signup-submit]`)),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid=error-vat_number]`)))
	if e := text(`[data-testid=error-vat_number]`); !strings.Contains(e, "not a valid partita IVA") {
		t.Errorf("VAT error: %q", e)
	}
	if e := text(`[data-testid=error-phone]`); e != "Write the number with its country code, e.g. +39 333 123 4567 or 0039 333 123 4567." {
		t.Errorf("phone error: %q", e)
	}
	if v := value(`#f-company_name`); v != "Trasporti Rossi Srl" {
		t.Errorf("company name not kept: %q", v)
	}
	if v := value(`#f-vat_number`); v != "IT00159560367" {
		t.Errorf("VAT number not kept as typed: %q", v)
	}
	if v := value(`#f-admin_email`); v != "rosa@rossi.test" {
		t.Errorf("e-mail not kept: %q", v)
	}
	if !checked(`[data-testid=use-case-shipping_update]`) || !checked(`[data-testid=plan-Business]`) {
		t.Error("the use case or the plan chosen was not kept")
	}
	if n := countTenants(t, app); n != 2 {
		t.Fatalf("a refused sign-up created a tenant: %d tenants", n)
	}

	do(chromedp.SetValue(chromedp.CSS(`#f-vat_number`), "00159560366"),
		chromedp.SetValue(chromedp.CSS(`#f-phone`), "+39 02 1234 5678"),
		chromedp.SendKeys(chromedp.CSS(`#f-admin_password`), password),
		chromedp.SendKeys(chromedp.CSS(`#f-confirm_password`), password),
		chromedp.Click(chromedp.CSS(`[data-testid=signup-submit]`)),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid=onboarding-state][data-state=submitted]`)))
	if f := text(`[data-testid=flash]`); !strings.Contains(f, "Trasporti Rossi Srl") {
		t.Errorf("welcome flash: %q", f)
	}
	if n := text(`[data-testid=sandbox-number]`); !strings.HasPrefix(n, "+1 555") {
		t.Errorf("sandbox number shown: %q", n)
	}
	if v := value(`#f-vat_number`); v != "IT00159560366" {
		t.Errorf("questionnaire shows VAT %q", v)
	}
	// The sandbox number works at once: a customer writes to it.
	do(chromedp.Click(chromedp.CSS(`[data-testid=open-simulator]`)),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid=customer-form]`)),
		chromedp.SendKeys(chromedp.CSS(`#customer`), "+39 333 765 4321"),
		chromedp.Click(chromedp.CSS(`[data-testid=choose-customer]`)),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid=phone]`)),
		chromedp.SendKeys(chromedp.CSS(`[data-testid=text]`), "Dov'è il mio pacco?"),
		chromedp.Click(chromedp.CSS(`[data-testid=send]`)),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid=bubble][data-direction=inbound]`)))
	do(signOut)

	do(signIn(app.F.Operator.Email, storagetest.Password), chromedp.WaitVisible(chromedp.CSS(`[data-testid=tenants]`)),
		chromedp.Navigate(app.URL+"/operator/applications?state=submitted"),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid=application-row][data-tenant=trasporti-rossi-srl]`)),
		chromedp.Click(chromedp.CSS(`[data-testid=application-link]`)),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid=application-state][data-state=submitted]`)),
		chromedp.Click(chromedp.CSS(`[data-testid=submit-rejected]`)),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid=error-note]`)))
	if e := text(`[data-testid=error-note]`); e != "Say why, so the company can fix it." {
		t.Errorf("rejection without a reason: %q", e)
	}
	do(chromedp.Click(chromedp.CSS(`[data-testid=submit-in_review]`)),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid=application-state][data-state=in_review]`)),
		chromedp.SendKeys(chromedp.CSS(`[data-testid=note-waiting_for_meta]`), "Sent to Meta on Monday"),
		chromedp.Click(chromedp.CSS(`[data-testid=submit-waiting_for_meta]`)),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid=application-state][data-state=waiting_for_meta]`)))
	if f := text(`[data-testid=flash]`); f != "The application is now: Waiting for Meta." {
		t.Errorf("flash after the move: %q", f)
	}
	do(signOut)

	do(signIn("rosa@rossi.test", password), chromedp.WaitVisible(chromedp.CSS(`[data-testid=admin-home]`)),
		chromedp.Click(chromedp.CSS(`[data-testid=nav-onboarding]`)),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid=onboarding-state][data-state=waiting_for_meta]`)))
	if note := text(`[data-testid=timeline-event][data-state=waiting_for_meta] [data-testid=timeline-note]`); note != "Sent to Meta on Monday" {
		t.Errorf("the operator's note in the timeline: %q", note)
	}
	// The company is told the operator moved it, not the operator's address.
	if tl := text(`[data-testid=timeline-list]`); !strings.Contains(tl, "by the platform's operator") || strings.Contains(tl, app.F.Operator.Email) ||
		!strings.Contains(tl, "by rosa@rossi.test") {
		t.Errorf("the company's timeline: %q", tl)
	}
	if lead := text(`[data-testid=onboarding] .lead`); !strings.Contains(lead, "with Meta") {
		t.Errorf("lead for waiting for Meta: %q", lead)
	}
}

func jsString(s string) string { return "'" + strings.ReplaceAll(s, "'", `\'`) + "'" }

func countTenants(t *testing.T, app *servertest.App) int {
	t.Helper()
	list, err := app.DB.Store.ListTenants(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return len(list)
}

// signupForm is a valid sign-up for a company and an e-mail.
func signupForm(planID, company, email string) url.Values {
	return url.Values{"plan_id": {planID}, "company_name": {company}, "vat_number": {"DE123456789"}, "meta_business_id": {"1029384756"},
		"phone": {"+4930123456"}, "monthly_conversations": {"300"}, "use_cases": {"appointment_update"},
		"admin_name": {"Founder"}, "admin_email": {email}, "admin_password": {"a-long-enough-pass"}, "confirm_password": {"a-long-enough-pass"}}
}

// TestSignupRefusalsLimitsAndIsolation over HTTP: closed means closed (also
// for a form posted anyway); taken names and e-mails are said beside their
// field; a flood from one e-mail is throttled; the new tenant has its
// sandbox number on the default skillset; its administrator edits its own
// questionnaire (a bad phone refused, the rest kept) and nobody else's;
// other roles and tenants see nothing of it.
func TestSignupRefusalsLimitsAndIsolation(t *testing.T) {
	t.Parallel()
	app := servertest.New(t)
	ctx := context.Background()
	st := app.DB.Store
	plan, err := st.PlanByName(ctx, "Starter")
	if err != nil {
		t.Fatal(err)
	}
	visitor := app.Client(t)
	if r := visitor.Get("/signup"); r.Status != http.StatusOK || !r.Has("[data-testid=signup-closed]") {
		t.Fatalf("closed sign-up: %d", r.Status)
	}
	if r := visitor.Post("/signup", signupForm(plan.ID, "Closed Co", "c@closed.test")); r.Status != http.StatusForbidden || !r.Has("[data-testid=signup-closed]") {
		t.Fatalf("a form posted while closed: %d", r.Status)
	}
	italian := app.Client(t)
	italian.Header.Set("Accept-Language", "it-IT,it;q=0.9")
	if r := italian.Get("/signup"); r.Text("[data-testid=signup-closed] h1") != "Le registrazioni sono chiuse" {
		t.Errorf("closed page in Italian: %q", r.Text("[data-testid=signup-closed] h1"))
	}
	if err := st.SetSelfServiceSignup(ctx, storage.Actor{Email: "test"}, true); err != nil {
		t.Fatal(err)
	}
	italian.Get("/signup")
	badVAT := signupForm(plan.ID, "Italia Srl", "it@italia.test")
	badVAT.Set("vat_number", "IT00159560367")
	badVAT.Set("phone", "333 1234567")
	if r := italian.Post("/signup", badVAT); r.Status != http.StatusUnprocessableEntity ||
		!strings.HasPrefix(r.Text("[data-testid=error-vat_number]"), "Questa non è una partita IVA valida") ||
		r.Text("[data-testid=error-phone]") != "Scrivi il numero con il prefisso del paese, es. +39 333 123 4567 o 0039 333 123 4567." {
		t.Errorf("errors in Italian: %d %q %q", r.Status, r.Text("[data-testid=error-vat_number]"), r.Text("[data-testid=error-phone]"))
	}
	visitor.Get("/signup")
	r := visitor.Post("/signup", signupForm(plan.ID, "alpha SRL", "new@alpha.test"))
	if r.Status != http.StatusConflict || !strings.Contains(r.Text("[data-testid=error-company_name]"), "already signed up") {
		t.Fatalf("taken company name: %d %q", r.Status, r.Text("[data-testid=error-company_name]"))
	}
	if v, _ := r.Doc.Find("input[name=admin_email]").Attr("value"); v != "new@alpha.test" {
		t.Errorf("e-mail not kept: %q", v)
	}
	bad := signupForm(plan.ID, "Nuova Srl", "nuova@nuova.test")
	bad.Set("confirm_password", "something-else-entirely")
	bad.Set("plan_id", "not-a-plan")
	if r := visitor.Post("/signup", bad); r.Status != http.StatusUnprocessableEntity || !r.Has("[data-testid=error-confirm_password]") || !r.Has("[data-testid=error-plan_id]") {
		t.Fatalf("mismatched passwords and a bad plan: %d", r.Status)
	}
	// One e-mail, again and again: five tries an hour, then 429.
	for i := range 6 {
		r := visitor.Post("/signup", signupForm(plan.ID, "Flood Srl", app.F.A.Admin.Email))
		if i < 5 && (r.Status != http.StatusConflict || !r.Has("[data-testid=error-admin_email]")) {
			t.Fatalf("try %d with a taken e-mail: %d", i+1, r.Status)
		}
		if i == 5 && (r.Status != http.StatusTooManyRequests || r.Header.Get("Retry-After") == "" || !r.Has("[data-testid=form-error]")) {
			t.Fatalf("sixth try: %d, Retry-After %q", r.Status, r.Header.Get("Retry-After"))
		}
	}

	r = visitor.Post("/signup", signupForm(plan.ID, "Omega GmbH", "chef@omega.test"))
	if r.Status != http.StatusSeeOther || r.Location != "/admin/onboarding" {
		t.Fatalf("sign-up: %d → %q\n%s", r.Status, r.Location, r.Text("[data-testid=form-error]"))
	}
	omega, err := st.TenantBySlug(ctx, "omega-gmbh")
	if err != nil {
		t.Fatal(err)
	}
	ns, err := st.ListNumbers(ctx, omega.ID)
	if err != nil || len(ns) != 1 || !ns[0].Sandbox {
		t.Fatalf("numbers of the new tenant: %+v %v", ns, err)
	}
	skillsets, err := st.ListSkillsets(ctx, omega.ID)
	if err != nil || len(skillsets) != 1 || skillsets[0].Name != "Customer care" || len(skillsets[0].Numbers) != 1 {
		t.Fatalf("default skillset: %+v %v", skillsets, err)
	}
	// The visitor is now the administrator, signed in.
	page := visitor.Get("/admin/onboarding")
	if page.Status != http.StatusOK || !page.Has("[data-testid=onboarding-state][data-state=submitted]") || !page.Has("[data-testid=open-simulator]") {
		t.Fatalf("onboarding page: %d", page.Status)
	}
	edit := url.Values{"company_name": {"Omega GmbH"}, "vat_number": {"DE123456789"}, "meta_business_id": {"1029384756"},
		"phone": {"030 123456"}, "monthly_conversations": {"900"}, "use_cases": {"appointment_update", "payment_update"}}
	r = visitor.Post("/admin/onboarding", edit)
	if r.Status != http.StatusUnprocessableEntity || !r.Has("[data-testid=error-phone]") {
		t.Fatalf("bad phone: %d", r.Status)
	}
	if v, _ := r.Doc.Find("input[name=monthly_conversations]").Attr("value"); v != "900" {
		t.Errorf("volume not kept: %q", v)
	}
	if r.Doc.Find(`[data-testid=use-case-payment_update][checked]`).Length() != 1 {
		t.Error("the use case ticked was not kept")
	}
	edit.Set("phone", "+49 30 123456")
	if r := visitor.Post("/admin/onboarding", edit); r.Status != http.StatusSeeOther {
		t.Fatalf("save questionnaire: %d", r.Status)
	}
	a, events, err := st.TenantApplication(ctx, omega.ID)
	if err != nil || a.Phone != "+4930123456" || a.MonthlyConversations != 900 || len(events) != 2 || events[1].Kind != "edit" {
		t.Fatalf("after the edit: %+v %+v %v", a, events, err)
	}

	// Another tenant's administrator has no application and reaches none;
	// agents and administrators cannot enter the operator's pages.
	other := app.Client(t)
	other.MustLogin(app.F.B.Admin.Email, storagetest.Password)
	if p := other.Get("/admin/onboarding"); p.Status != http.StatusOK || !p.Has("[data-testid=onboarding-none]") || strings.Contains(p.Body, "Omega") {
		t.Fatalf("tenant B's onboarding page: %d", p.Status)
	}
	if r := other.Post("/admin/onboarding", edit); r.Status != http.StatusNotFound {
		t.Fatalf("tenant B saves a questionnaire: %d", r.Status)
	}
	if a2, _, _ := st.TenantApplication(ctx, omega.ID); a2.MonthlyConversations != 900 {
		t.Fatal("tenant B changed Omega's questionnaire")
	}
	for _, path := range []string{"/operator/applications", "/operator/applications/" + a.ID} {
		if r := other.Get(path); r.Status != http.StatusForbidden {
			t.Errorf("administrator at %s: %d", path, r.Status)
		}
	}
	agent := app.Client(t)
	agent.MustLogin(app.F.A.Agent.Email, storagetest.Password)
	if r := agent.Get("/admin/onboarding"); r.Status != http.StatusForbidden {
		t.Errorf("agent at the onboarding page: %d", r.Status)
	}
	op := app.Client(t)
	op.MustLogin(app.F.Operator.Email, storagetest.Password)
	if r := op.Get("/operator/applications/" + a.ID); r.Status != http.StatusOK || r.Text("[data-testid=fact-phone]") != "+4930123456" {
		t.Fatalf("operator's detail: %d %q", r.Status, r.Text("[data-testid=fact-phone]"))
	}
	if r := op.Get("/operator/applications/00000000-0000-0000-0000-000000000000"); r.Status != http.StatusNotFound {
		t.Errorf("unknown application: %d", r.Status)
	}
	// A move from a stale state is refused and said; a bad move too.
	if r := op.Post("/operator/applications/"+a.ID+"/move", url.Values{"from": {"in_review"}, "to": {"waiting_for_meta"}}); r.Status != http.StatusConflict ||
		!r.Has("[data-testid=form-error]") {
		t.Fatalf("stale move: %d", r.Status)
	}
	if r := op.Post("/operator/applications/"+a.ID+"/move", url.Values{"from": {"submitted"}, "to": {"number_connected"}}); r.Status != http.StatusUnprocessableEntity {
		t.Fatalf("skipping steps: %d", r.Status)
	}
}
