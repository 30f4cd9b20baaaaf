package server_test

import (
	"context"
	"encoding/json"
	"io"
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
)

// usageValue is one usage line of the tenant page ("1 / 5"), spaces
// normalised, and whether it is marked over the limit.
func usageValue(r *servertest.Response, key string) (string, string) {
	row := r.Doc.Find("[data-testid=usage-" + key + "]")
	over, _ := row.Attr("data-over")
	return strings.Join(strings.Fields(row.Find("[data-testid=usage-value]").Text()), " "), over
}

// liveNumber is a good connect form for a live number.
func liveNumber(phoneID string) url.Values {
	return url.Values{"mode": {"live"}, "display_phone": {"+39 02 1234 " + phoneID[len(phoneID)-4:]}, "phone_number_id": {phoneID},
		"waba_id": {"990011"}, "app": {""}, "access_token": {"EAAG-live-token-" + phoneID}}
}

// TestOperatorTenantPage: the operator opens a tenant and sees its usage
// against the plan; connecting a number refuses bad input beside each field
// (keeping what was typed, never the token) and, past the plan's limit,
// says so; the plan change is audited with before and after, and a plan
// below the usage is allowed and shown over the limit. Administrators and
// agents are refused.
func TestOperatorTenantPage(t *testing.T) {
	t.Parallel()
	app := servertest.New(t)
	ctx := context.Background()
	st, tenantID := app.DB.Store, app.F.A.ID
	op := app.Client(t)
	op.MustLogin(app.F.Operator.Email, storagetest.Password)
	page := "/operator/tenants/" + tenantID

	list := op.Get("/operator/tenants")
	row := list.Doc.Find("[data-testid=tenant-row][data-slug=" + app.F.A.Slug + "]")
	if got := strings.Join(strings.Fields(row.Find("[data-testid=list-usage-numbers]").Text()), " "); got != "0 / 1" {
		t.Errorf("tenants list: numbers %q, want 0 / 1 (Starter)", got)
	}
	if href, _ := row.Find("[data-testid=tenant-link]").Attr("href"); href != page {
		t.Errorf("tenant link %q", href)
	}

	r := op.Get(page)
	if r.Status != http.StatusOK || r.Text("[data-testid=tenant-name]") != app.F.A.Name || r.Text("[data-testid=tenant-plan]") != "Starter" {
		t.Fatalf("tenant page: %d %q %q", r.Status, r.Text("[data-testid=tenant-name]"), r.Text("[data-testid=tenant-plan]"))
	}
	for key, want := range map[string]string{"numbers": "0 / 1", "templates": "0 / 10", "conversations": "0 / 1000", "agents": "1", "contacts": "0"} {
		if got, _ := usageValue(r, key); got != want {
			t.Errorf("usage %s: %q, want %q", key, got, want)
		}
	}

	// Bad input: each error beside its field; what was typed is kept, the
	// token is not sent back.
	bad := url.Values{"mode": {"live"}, "display_phone": {"call me"}, "phone_number_id": {"12ab"}, "waba_id": {"990011"},
		"app": {""}, "access_token": {"EAAG-secret-token"}}
	r = op.Post(page+"/numbers", bad)
	if r.Status != http.StatusUnprocessableEntity || !r.Has("[data-testid=error-phone_number_id]") {
		t.Fatalf("bad phone number id: %d %q", r.Status, r.Text("[data-testid=error-phone_number_id]"))
	}
	if v, _ := r.Doc.Find("input[name=display_phone]").Attr("value"); v != "call me" {
		t.Errorf("typed display phone not kept: %q", v)
	}
	if strings.Contains(r.Body, "EAAG-secret-token") {
		t.Error("the access token was sent back to the page")
	}
	bad.Set("phone_number_id", "1234567")
	if r = op.Post(page+"/numbers", bad); r.Status != http.StatusUnprocessableEntity || !r.Has("[data-testid=error-display_phone]") {
		t.Fatalf("bad display phone: %d", r.Status)
	}
	sandboxWithApp := liveNumber("77001234")
	sandboxWithApp.Set("mode", "sandbox")
	sandboxWithApp.Set("app", "someapp")
	if r = op.Post(page+"/numbers", sandboxWithApp); r.Status != http.StatusUnprocessableEntity || !r.Has("[data-testid=error-app]") {
		t.Fatalf("sandbox number with an app: %d", r.Status)
	}
	if ns, _ := st.ListNumbers(ctx, tenantID); len(ns) != 0 {
		t.Fatalf("refused forms connected %d numbers", len(ns))
	}

	// The plan: Business allows 5 numbers; the change is audited.
	business, err := st.PlanByName(ctx, "Business")
	if err != nil {
		t.Fatal(err)
	}
	if r = op.Post(page+"/plan", url.Values{"plan_id": {"not-a-plan"}}); r.Status != http.StatusUnprocessableEntity || !r.Has("[data-testid=error-plan_id]") {
		t.Fatalf("bad plan: %d", r.Status)
	}
	if r = op.Post(page+"/plan", url.Values{"plan_id": {business.ID}}); r.Status != http.StatusSeeOther {
		t.Fatalf("change plan: %d", r.Status)
	}
	r = op.Get(page)
	if r.Text("[data-testid=tenant-plan]") != "Business" || r.Text("[data-testid=flash]") != "Plan changed." {
		t.Fatalf("after the change: plan %q, flash %q", r.Text("[data-testid=tenant-plan]"), r.Text("[data-testid=flash]"))
	}
	entries, err := st.ListAudit(ctx, tenantID, 5)
	if err != nil || len(entries) == 0 || entries[0].Action != "tenant.plan" || entries[0].ActorEmail != app.F.Operator.Email {
		t.Fatalf("plan change not audited: %+v %v", entries, err)
	}

	// A live number is connected, audited, counted and on the tenant's own page.
	if r = op.Post(page+"/numbers", liveNumber("77001234")); r.Status != http.StatusSeeOther {
		t.Fatalf("connect: %d %s", r.Status, r.Text("[data-testid=form-error]"))
	}
	r = op.Get(page)
	if got, _ := usageValue(r, "numbers"); got != "1 / 5" {
		t.Errorf("numbers after connecting one: %q, want 1 / 5", got)
	}
	if !r.Has("[data-testid=tenant-number][data-phone-number-id=\"77001234\"][data-status=connected]") {
		t.Error("the connected number is not listed")
	}
	admin := app.Client(t)
	admin.MustLogin(app.F.A.Admin.Email, storagetest.Password)
	if !admin.Get("/admin/numbers").Has("[data-testid=number-row][data-phone-number-id=\"77001234\"]") {
		t.Error("the administrator does not see the number the operator connected")
	}
	if entries, _ = st.ListAudit(ctx, tenantID, 5); entries[0].Action != "number.add" || entries[0].ActorEmail != app.F.Operator.Email {
		t.Errorf("connection not audited: %+v", entries[0])
	}
	if r = op.Post(page+"/numbers", liveNumber("77001234")); r.Status != http.StatusConflict || !r.Has("[data-testid=error-phone_number_id]") {
		t.Errorf("the same number twice: %d", r.Status)
	}

	// Back to Starter (1 number): at the limit, one more is refused with the reason.
	starter, _ := st.PlanByName(ctx, "Starter")
	op.Get(page)
	if r = op.Post(page+"/plan", url.Values{"plan_id": {starter.ID}}); r.Status != http.StatusSeeOther {
		t.Fatalf("back to Starter: %d", r.Status)
	}
	op.Get(page)
	r = op.Post(page+"/numbers", liveNumber("77005678"))
	if r.Status != http.StatusConflict || r.Text("[data-testid=form-error]") != "The tenant's plan (Starter) has no room for another number: change the plan above to connect one." {
		t.Fatalf("over the plan: %d %q", r.Status, r.Text("[data-testid=form-error]"))
	}
	if v, _ := r.Doc.Find("input[name=phone_number_id]").Attr("value"); v != "77005678" {
		t.Errorf("refused form lost the typed id: %q", v)
	}

	// A plan below the usage is allowed and shown over the limit.
	trialID, err := st.SavePlan(ctx, storage.Actor{Email: "test"}, domain.Plan{Name: "Trial", MaxTemplates: 0, MaxNumbers: 0, MaxBusinessConversations: 0})
	if err != nil {
		t.Fatal(err)
	}
	if r = op.Post(page+"/plan", url.Values{"plan_id": {trialID}}); r.Status != http.StatusSeeOther {
		t.Fatalf("to Trial: %d", r.Status)
	}
	r = op.Get(page)
	if got, over := usageValue(r, "numbers"); got != "1 / 0" || over != "true" || !r.Has("[data-testid=usage-numbers] [data-testid=over-limit]") {
		t.Errorf("over the limit: %q over=%q", got, over)
	}
	if ns, _ := st.ListNumbers(ctx, tenantID); len(ns) != 1 {
		t.Errorf("a smaller plan took numbers away: %d left", len(ns))
	}

	// Suspending from the tenant's page comes back to it.
	if r = op.Post(page+"/suspend", url.Values{"back": {"tenant"}}); r.Status != http.StatusSeeOther || r.Location != page {
		t.Errorf("suspend from the page: %d → %q", r.Status, r.Location)
	}
	if r = op.Get(page); !r.Has("[data-testid=tenant-detail][data-status=suspended]") {
		t.Error("suspension not shown")
	}
	op.Post(page+"/reactivate", url.Values{"back": {"tenant"}})

	// Unknown or malformed ids are 404; only operators enter.
	for _, p := range []string{"/operator/tenants/00000000-0000-0000-0000-000000000000", "/operator/tenants/nope"} {
		if r := op.Get(p); r.Status != http.StatusNotFound {
			t.Errorf("%s: %d", p, r.Status)
		}
	}
	for _, email := range []string{app.F.A.Admin.Email, app.F.A.Agent.Email} {
		c := app.Client(t)
		c.MustLogin(email, storagetest.Password)
		if r := c.Get(page); r.Status != http.StatusForbidden {
			t.Errorf("%s reads the tenant page: %d", email, r.Status)
		}
		if r := c.Post(page+"/numbers", liveNumber("77009999")); r.Status != http.StatusForbidden {
			t.Errorf("%s connects a number: %d", email, r.Status)
		}
	}
}

// verifyWebhook performs Meta's subscription handshake at an app's webhook
// address and returns the status and body.
func verifyWebhook(t *testing.T, app *servertest.App, slug, token string) (int, string) {
	t.Helper()
	q := url.Values{"hub.mode": {"subscribe"}, "hub.verify_token": {token}, "hub.challenge": {"1158201444"}}
	resp, err := http.Get(app.URL + "/webhooks/whatsapp/" + slug + "?" + q.Encode())
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// TestOperatorEditsMetaApp: an app is registered with Meta's App ID (bad
// values refused beside their fields, typed ones kept); its edit page never
// shows a secret; an edit with a new verify token takes effect at the very
// next handshake, an empty secret keeps the old one; the audit entry has
// the before and after and no secret; the app lists its numbers.
func TestOperatorEditsMetaApp(t *testing.T) {
	t.Parallel()
	app := servertest.New(t)
	ctx := context.Background()
	op := app.Client(t)
	op.MustLogin(app.F.Operator.Email, storagetest.Password)
	op.Get("/operator/apps")
	const secret, oldToken, newToken = "first-app-secret-0123456789", "old-verify-token", "new-verify-token"
	bad := url.Values{"slug": {"acme"}, "name": {"Acme"}, "meta_app_id": {"12ab"}, "app_secret": {secret}, "verify_token": {"short"}}
	r := op.Post("/operator/apps", bad)
	if r.Status != http.StatusUnprocessableEntity || !r.Has("[data-testid=error-meta_app_id]") {
		t.Fatalf("bad Meta App ID: %d", r.Status)
	}
	if v, _ := r.Doc.Find("input[name=name]").Attr("value"); v != "Acme" {
		t.Errorf("typed name not kept: %q", v)
	}
	bad.Set("meta_app_id", "1234567890")
	if r = op.Post("/operator/apps", bad); r.Status != http.StatusUnprocessableEntity || !r.Has("[data-testid=error-verify_token]") {
		t.Fatalf("short verify token: %d", r.Status)
	}
	bad.Set("verify_token", oldToken)
	if r = op.Post("/operator/apps", bad); r.Status != http.StatusSeeOther {
		t.Fatalf("register: %d %s", r.Status, r.Text(".error"))
	}
	if code, body := verifyWebhook(t, app, "acme", oldToken); code != http.StatusOK || body != "1158201444" {
		t.Fatalf("handshake with the first token: %d %q", code, body)
	}
	a, err := app.DB.Store.MetaAppBySlug(ctx, "acme")
	if err != nil || a.MetaAppID != "1234567890" {
		t.Fatalf("stored app: %+v %v", a, err)
	}

	edit := op.Get("/operator/apps/" + a.ID)
	if edit.Status != http.StatusOK || strings.Contains(edit.Body, secret) || strings.Contains(edit.Body, oldToken) {
		t.Fatalf("edit page: %d, or it shows a secret", edit.Status)
	}
	for _, name := range []string{"app_secret", "verify_token"} {
		if v, ok := edit.Doc.Find("input[name=" + name + "]").Attr("value"); ok && v != "" {
			t.Errorf("%s input has a value", name)
		}
	}
	r = op.Post("/operator/apps/"+a.ID, url.Values{"name": {"Acme Srl"}, "meta_app_id": {"98x"}, "verify_token": {newToken}})
	if r.Status != http.StatusUnprocessableEntity || !r.Has("[data-testid=error-meta_app_id]") {
		t.Fatalf("bad edit: %d", r.Status)
	}
	if v, _ := r.Doc.Find("input[name=name]").Attr("value"); v != "Acme Srl" {
		t.Errorf("typed name not kept on a refused edit: %q", v)
	}
	if r = op.Post("/operator/apps/"+a.ID, url.Values{"name": {"Acme Srl"}, "meta_app_id": {"9876543210"}, "verify_token": {newToken}}); r.Status != http.StatusSeeOther {
		t.Fatalf("edit: %d", r.Status)
	}
	if code, _ := verifyWebhook(t, app, "acme", oldToken); code != http.StatusForbidden {
		t.Errorf("the old verify token still works: %d", code)
	}
	if code, body := verifyWebhook(t, app, "acme", newToken); code != http.StatusOK || body != "1158201444" {
		t.Errorf("the new verify token: %d %q", code, body)
	}
	_, gotSecret, _, err := app.Numbers.AppSecrets(ctx, "acme")
	if err != nil || gotSecret != secret {
		t.Errorf("an empty secret field changed the secret: %v", err)
	}

	// Audited with before and after, never a secret.
	var detail []byte
	err = app.DB.Store.InPlatform(ctx, func(tx pgx.Tx) error { // a platform action: no tenant
		return tx.QueryRow(ctx, `SELECT detail::text FROM audit_log WHERE action = 'meta_app.update' AND target = 'acme'`).Scan(&detail)
	})
	if err != nil {
		t.Fatal(err)
	}
	var d map[string]any
	if err := json.Unmarshal(detail, &d); err != nil {
		t.Fatal(err)
	}
	before, _ := d["before"].(map[string]any)
	after, _ := d["after"].(map[string]any)
	if before["meta_app_id"] != "1234567890" || after["meta_app_id"] != "9876543210" || d["verify_token_replaced"] != true || d["app_secret_replaced"] != false {
		t.Errorf("audit detail %s", detail)
	}
	if strings.Contains(string(detail), newToken) || strings.Contains(string(detail), secret) {
		t.Errorf("the audit entry holds a secret: %s", detail)
	}

	// A number connected through the app is listed under it.
	tenantPage := "/operator/tenants/" + app.F.B.ID
	op.Get(tenantPage)
	n := liveNumber("88001234")
	n.Set("app", "acme")
	if r = op.Post(tenantPage+"/numbers", n); r.Status != http.StatusSeeOther {
		t.Fatalf("connect through the app: %d %s", r.Status, r.Text(".error"))
	}
	apps := op.Get("/operator/apps")
	row := apps.Doc.Find("[data-testid=app-row][data-slug=acme]")
	if c, _ := row.Find("[data-testid=app-numbers]").Attr("data-count"); c != "1" || !strings.Contains(row.Text(), app.F.B.Name) ||
		row.Find("[data-testid=app-meta-id]").Text() != "9876543210" {
		t.Errorf("apps page row: count %q, text %q", c, row.Text())
	}
	for _, p := range []string{"/operator/apps/00000000-0000-0000-0000-000000000000", "/operator/apps/x"} {
		if r := op.Get(p); r.Status != http.StatusNotFound {
			t.Errorf("%s: %d", p, r.Status)
		}
	}
	admin := app.Client(t)
	admin.MustLogin(app.F.A.Admin.Email, storagetest.Password)
	if r := admin.Get("/operator/apps/" + a.ID); r.Status != http.StatusForbidden {
		t.Errorf("an administrator opens the app editor: %d", r.Status)
	}
}

// TestBrowserOperatorConsole is the operator's main flows in Chromium: from
// the tenants list to a tenant, a refused connection that keeps what was
// typed, a number connected (1 / 5 after moving to Business), then an app
// edited, whose secret inputs come back empty and whose new verify token
// answers Meta's handshake.
func TestBrowserOperatorConsole(t *testing.T) {
	t.Parallel()
	app := servertest.New(t)
	ctx := context.Background()
	if _, err := app.Numbers.RegisterApp(ctx, storage.Actor{Email: "test"}, "acme", "Acme", "acme-app-secret-0123456789", "acme-old-token"); err != nil {
		t.Fatal(err)
	}
	acme, err := app.DB.Store.MetaAppBySlug(ctx, "acme")
	if err != nil {
		t.Fatal(err)
	}
	business, err := app.DB.Store.PlanByName(ctx, "Business")
	if err != nil {
		t.Fatal(err)
	}
	tab := browsertest.New(t)
	do, eval := browserSteps(t, app, tab, stepTimeout(20*time.Second))
	usage := func(key string) string {
		return eval(`document.querySelector("[data-testid=usage-` + key + `] [data-testid=usage-value]").textContent.replace(/\s+/g, " ").trim()`)
	}

	do("the operator signs in and opens tenant A",
		chromedp.Navigate(app.URL+"/login"),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid=login]`)),
		chromedp.SendKeys(chromedp.CSS(`#f-email`), app.F.Operator.Email),
		chromedp.SendKeys(chromedp.CSS(`#f-password`), storagetest.Password),
		chromedp.Click(chromedp.CSS(`[data-testid=login-submit]`)),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid=tenant-row][data-slug=`+app.F.A.Slug+`] [data-testid=tenant-link]`)),
		chromedp.Click(chromedp.CSS(`[data-testid=tenant-row][data-slug=`+app.F.A.Slug+`] [data-testid=tenant-link]`)),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid=tenant-usage]`)),
	)
	if got := usage("numbers"); got != "0 / 1" {
		t.Fatalf("numbers before: %q", got)
	}

	do("a bad phone number id is refused, the typed values kept",
		chromedp.SendKeys(chromedp.CSS(`#f-display_phone`), "+39 02 5550 1234"),
		chromedp.SendKeys(chromedp.CSS(`#f-phone_number_id`), "12ab"),
		chromedp.SendKeys(chromedp.CSS(`#f-waba_id`), "990011"),
		chromedp.SendKeys(chromedp.CSS(`#f-access_token`), "EAAG-browser-token"),
		chromedp.Click(chromedp.CSS(`[data-testid=connect-number-submit]`)),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid=error-phone_number_id]`)),
	)
	if got := eval(`document.querySelector("#f-display_phone").value`); got != "+39 02 5550 1234" {
		t.Errorf("typed display phone after the refusal: %q", got)
	}
	if got := eval(`document.querySelector("#f-access_token").value`); got != "" {
		t.Errorf("the token came back: %q", got)
	}

	do("the operator moves the tenant to Business",
		chromedp.SetValue(chromedp.CSS(`#f-plan_id`), business.ID),
		chromedp.Click(chromedp.CSS(`[data-testid=plan-change-submit]`)),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid=flash]`)),
	)
	if got := eval(`document.querySelector("[data-testid=tenant-plan]").textContent.trim()`); got != "Business" {
		t.Fatalf("plan after the change: %q", got)
	}

	do("the operator connects a live number",
		chromedp.SendKeys(chromedp.CSS(`#f-display_phone`), "+39 02 5550 1234"),
		chromedp.SendKeys(chromedp.CSS(`#f-phone_number_id`), "66001234"),
		chromedp.SendKeys(chromedp.CSS(`#f-waba_id`), "990011"),
		chromedp.SetValue(chromedp.CSS(`#f-app`), "acme"),
		chromedp.SendKeys(chromedp.CSS(`#f-access_token`), "EAAG-browser-token"),
		chromedp.Click(chromedp.CSS(`[data-testid=connect-number-submit]`)),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid=tenant-number][data-phone-number-id="66001234"]`)),
	)
	if got := usage("numbers"); got != "1 / 5" {
		t.Errorf("numbers after connecting one: %q, want 1 / 5", got)
	}

	do("the operator edits the app with a new verify token",
		chromedp.Click(chromedp.CSS(`[data-testid=nav-apps]`)),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid=app-row][data-slug=acme] [data-testid=app-number]`)),
		chromedp.Click(chromedp.CSS(`[data-testid=app-row][data-slug=acme] [data-testid=app-edit]`)),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid=app-edit-form]`)),
	)
	if got := eval(`document.querySelector("#f-app_secret").value + document.querySelector("#f-verify_token").value`); got != "" {
		t.Fatalf("a secret is shown back: %q", got)
	}
	if strings.Contains(eval(`document.documentElement.outerHTML`), "acme-old-token") {
		t.Fatal("the page holds the verify token")
	}
	do("save",
		chromedp.SendKeys(chromedp.CSS(`#f-meta_app_id`), "4455667788"),
		chromedp.SendKeys(chromedp.CSS(`#f-verify_token`), "acme-new-token"),
		chromedp.Click(chromedp.CSS(`[data-testid=app-edit-submit]`)),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid=app-row][data-slug=acme]`)),
	)
	if got := eval(`document.querySelector("[data-slug=acme] [data-testid=app-meta-id]").textContent.trim()`); got != "4455667788" {
		t.Errorf("Meta App ID after the edit: %q", got)
	}
	if code, body := verifyWebhook(t, app, "acme", "acme-new-token"); code != http.StatusOK || body != "1158201444" {
		t.Errorf("handshake with the new token: %d %q", code, body)
	}
	if code, _ := verifyWebhook(t, app, "acme", "acme-old-token"); code != http.StatusForbidden {
		t.Errorf("the old token still answers: %d", code)
	}
	if _, err := app.DB.Store.MetaApp(ctx, acme.ID); err != nil {
		t.Fatal(err)
	}
}
