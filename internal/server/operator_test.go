package server_test

import (
	"net/http"
	"net/url"
	"testing"

	"switchboard/internal/server/servertest"
	"switchboard/internal/storage/storagetest"
)

func TestOperatorCreatesATenantWhoseAdminCanSignIn(t *testing.T) {
	t.Parallel()
	app := servertest.New(t)
	op := app.Client(t)
	op.MustLogin(app.F.Operator.Email, storagetest.Password)
	form := op.Get("/operator/tenants/new")
	planID, _ := form.Doc.Find("select[name=plan_id] option").First().Attr("value")
	good := url.Values{"name": {"Gamma Trasporti"}, "slug": {"gamma"}, "plan_id": {planID},
		"admin_email": {"Boss@Gamma.test"}, "admin_name": {"Giulia"}, "admin_password": {"gamma-initial-pass"}}

	// Bad values: each reported beside its field, nothing created.
	bad := url.Values{"name": {""}, "slug": {"Not A Slug!"}, "plan_id": {"x"}, "admin_email": {"nope"}, "admin_password": {"short"}}
	r := op.Post("/operator/tenants", bad)
	if r.Status != http.StatusUnprocessableEntity {
		t.Fatalf("bad form: %d", r.Status)
	}
	for _, f := range []string{"name", "slug", "plan_id", "admin_email", "admin_password"} {
		if !r.Has("[data-testid=error-" + f + "]") {
			t.Errorf("no error beside %s", f)
		}
	}
	if v, _ := r.Doc.Find("input[name=slug]").Attr("value"); v != "not a slug!" {
		t.Errorf("typed slug not kept: %q", v)
	}
	long := cloneForm(good)
	long.Set("name", string(make([]rune, 300)))
	if r := op.Post("/operator/tenants", long); r.Status != http.StatusUnprocessableEntity {
		t.Fatalf("over-long name: %d", r.Status)
	}

	r = op.Post("/operator/tenants", good)
	if r.Status != http.StatusSeeOther {
		t.Fatalf("create: %d %s", r.Status, r.Text("[data-testid=form-error]"))
	}
	list := op.Get("/operator/tenants")
	if list.Doc.Find("[data-slug=gamma]").Length() != 1 || list.Text("[data-testid=flash]") != "Tenant Gamma Trasporti created." {
		t.Fatalf("new tenant not listed or not confirmed: %q", list.Text("[data-testid=flash]"))
	}
	// The e-mail was normalised; the new administrator signs in.
	admin := app.Client(t)
	admin.MustLogin("boss@gamma.test", "gamma-initial-pass")
	if home := admin.Get("/admin"); home.Text("h1") != "Gamma Trasporti" {
		t.Fatalf("new admin's home shows %q", home.Text("h1"))
	}

	// A taken slug or e-mail: a clear message, nothing else created.
	before, _ := app.DB.Store.ListTenants(t.Context())
	op.Get("/operator/tenants/new")
	dupSlug := cloneForm(good)
	dupSlug.Set("admin_email", "other@gamma.test")
	r = op.Post("/operator/tenants", dupSlug)
	if r.Status != http.StatusConflict || r.Text("[data-testid=error-slug]") != "Another tenant already uses this short name." {
		t.Fatalf("taken slug: %d %q", r.Status, r.Text("[data-testid=error-slug]"))
	}
	dupEmail := cloneForm(good)
	dupEmail.Set("slug", "gamma-two")
	dupEmail.Set("admin_email", app.F.A.Admin.Email)
	r = op.Post("/operator/tenants", dupEmail)
	if r.Status != http.StatusConflict || !r.Has("[data-testid=error-admin_email]") {
		t.Fatalf("taken e-mail: %d", r.Status)
	}
	after, _ := app.DB.Store.ListTenants(t.Context())
	if len(after) != len(before) {
		t.Fatalf("a refused creation left %d tenants behind", len(after)-len(before))
	}
	// The operator's action is in the new tenant's audit log.
	gamma, err := app.DB.Store.TenantBySlug(t.Context(), "gamma")
	if err != nil {
		t.Fatal(err)
	}
	entries, err := app.DB.Store.ListAudit(t.Context(), gamma.ID, 10)
	if err != nil {
		t.Fatal(err)
	}
	audited := false
	for _, e := range entries {
		audited = audited || (e.Action == "tenant.create" && e.ActorEmail == app.F.Operator.Email)
	}
	if !audited {
		t.Fatalf("tenant creation not in the audit log: %+v", entries)
	}
}

func TestOperatorEditsPlans(t *testing.T) {
	t.Parallel()
	app := servertest.New(t)
	op := app.Client(t)
	op.MustLogin(app.F.Operator.Email, storagetest.Password)
	plans := op.Get("/operator/plans")
	if plans.Doc.Find("[data-testid=plan-row]").Length() != 3 {
		t.Fatalf("%d plans listed, want the 3 built in", plans.Doc.Find("[data-testid=plan-row]").Length())
	}
	op.Get("/operator/plans/new")
	bad := op.Post("/operator/plans", url.Values{"name": {"Pro"}, "max_templates": {"ten"}, "max_numbers": {"-1"}, "max_business_conversations": {"5000"}})
	if bad.Status != http.StatusUnprocessableEntity || !bad.Has("[data-testid=error-max_templates]") || !bad.Has("[data-testid=error-max_numbers]") {
		t.Fatalf("bad plan: %d", bad.Status)
	}
	if r := op.Post("/operator/plans", url.Values{"name": {"Pro"}, "max_templates": {"20"}, "max_numbers": {"3"}, "max_business_conversations": {"5000"}}); r.Status != http.StatusSeeOther {
		t.Fatalf("create plan: %d", r.Status)
	}
	if r := op.Post("/operator/plans", url.Values{"name": {"pro"}, "max_templates": {"1"}, "max_numbers": {"1"}, "max_business_conversations": {"1"}}); r.Status != http.StatusConflict {
		t.Fatalf("duplicate plan name: %d", r.Status)
	}
	plans = op.Get("/operator/plans")
	row := plans.Doc.Find("[data-plan=Pro]")
	href, _ := row.Find("a").Attr("href")
	edit := op.Get(href)
	if v, _ := edit.Doc.Find("input[name=max_numbers]").Attr("value"); v != "3" {
		t.Fatalf("edit form shows max_numbers %q", v)
	}
	if r := op.Post(href, url.Values{"name": {"Pro"}, "max_templates": {"25"}, "max_numbers": {"4"}, "max_business_conversations": {"6000"}}); r.Status != http.StatusSeeOther {
		t.Fatalf("update plan: %d", r.Status)
	}
	p, err := app.DB.Store.PlanByName(t.Context(), "Pro")
	if err != nil || p.MaxTemplates != 25 || p.MaxNumbers != 4 || p.MaxBusinessConversations != 6000 {
		t.Fatalf("plan after edit: %+v %v", p, err)
	}
	// A tenant administrator sees their plan's limits.
	admin := app.Client(t)
	admin.MustLogin(app.F.A.Admin.Email, storagetest.Password)
	if home := admin.Get("/admin"); !home.Has("[data-testid=plan-limits]") {
		t.Fatal("admin home lacks the plan's limits")
	}
}

func cloneForm(v url.Values) url.Values {
	out := url.Values{}
	for k, vs := range v {
		out[k] = append([]string(nil), vs...)
	}
	return out
}
