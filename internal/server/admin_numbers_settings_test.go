package server_test

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"switchboard/internal/domain"
	"switchboard/internal/hours"
	"switchboard/internal/number"
	"switchboard/internal/server/browsertest"
	"switchboard/internal/server/servertest"
	"switchboard/internal/storage"
	"switchboard/internal/storage/storagetest"
)

// numberWithSkillsets gives tenant A a sandbox number and two skillsets,
// Sales and Support, not yet linked.
func numberWithSkillsets(t *testing.T, app *servertest.App) (domain.Number, string, string) {
	t.Helper()
	bg, st := context.Background(), app.DB.Store
	actor := storage.Actor{Email: "test"}
	n, err := app.Numbers.Add(bg, actor, number.AddInput{TenantID: app.F.A.ID, Sandbox: true})
	if err != nil {
		t.Fatal(err)
	}
	app.Sandbox.Register(n)
	sales, err := st.CreateSkillset(bg, app.F.A.ID, actor, "Sales")
	if err != nil {
		t.Fatal(err)
	}
	support, err := st.CreateSkillset(bg, app.F.A.ID, actor, "Support")
	if err != nil {
		t.Fatal(err)
	}
	return n, sales, support
}

// linkPriorities are the number's links as the router's configuration
// holds them: skillset name → priority.
func linkPriorities(t *testing.T, app *servertest.App, numberID string) map[string]int {
	t.Helper()
	all, err := app.DB.Store.ListSkillsets(context.Background(), app.F.A.ID)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]int{}
	for _, s := range all {
		for _, n := range s.Numbers {
			if n.NumberID == numberID {
				out[s.Name] = n.Priority
			}
		}
	}
	return out
}

// TestAdminNumberConfigRefusesBadInput posts every form of the number page
// and the settings page with bad values: each answer is 422 with the error
// beside its field, what was typed is kept, and nothing is stored. Agents and
// the other tenant's administrator reach none of it.
func TestAdminNumberConfigRefusesBadInput(t *testing.T) {
	t.Parallel()
	app := servertest.New(t)
	n, sales, _ := numberWithSkillsets(t, app)
	b := app.Client(t)
	b.MustLogin(app.F.A.Admin.Email, storagetest.Password)
	page := "/admin/numbers/" + n.ID
	if r := b.Get(page); r.Status != http.StatusOK || !r.Has("[data-testid=no-links]") || !r.Has("[data-testid=hours-form]") {
		t.Fatalf("number page: %d", r.Status)
	}
	cases := []struct {
		path   string
		values url.Values
		field  string
	}{
		{"/hours", url.Values{"time_zone": {"Europe/Roma"}, "hours_1": {"09:00-18:00"}}, "time_zone"},
		{"/hours", url.Values{"hours_1": {"18:00-09:00"}}, "hours_1"},
		{"/hours", url.Values{"hours_3": {"09:00-13:00, 12:00-18:00"}}, "hours_3"},
		{"/hours", url.Values{"hours_0": {"nine to five"}}, "hours_0"},
		{"/holidays", url.Values{"day": {"2026-02-30"}, "name": {"Nope"}}, "day"},
		{"/holidays", url.Values{"day": {"2026-12-25"}, "name": {""}}, "name"},
		{"/skillsets", url.Values{"skillset": {sales}, "priority": {"5000"}}, "priority"},
		{"/skillsets", url.Values{"skillset": {"not-an-id"}, "priority": {"1"}}, "skillset"},
	}
	for _, c := range cases {
		b.Get(page)
		r := b.Post(page+c.path, c.values)
		if r.Status != http.StatusUnprocessableEntity || !r.Has("[data-testid=error-"+c.field+"]") {
			t.Errorf("%s %v: %d, error beside %s: %v", c.path, c.values, r.Status, c.field, r.Has("[data-testid=error-"+c.field+"]"))
		}
		if msg := r.Text("[data-testid=error-" + c.field + "]"); strings.Contains(msg, "admin.") || strings.Contains(msg, "routing.") {
			t.Errorf("%s: the error shows its key, not a sentence: %q", c.path, msg)
		}
		for k, v := range c.values {
			if k != "skillset" && !strings.Contains(r.Body, `value="`+v[0]+`"`) && v[0] != "" {
				t.Errorf("%s: %s=%q was not kept", c.path, k, v[0])
			}
		}
	}
	if sc, _ := app.DB.Store.NumberSchedule(context.Background(), app.F.A.ID, n.ID); len(sc.Hours) != 0 || len(sc.Holidays) != 0 {
		t.Errorf("refused forms stored something: %+v", sc)
	}
	if len(linkPriorities(t, app, n.ID)) != 0 {
		t.Error("a refused link was stored")
	}
	// Without the CSRF token nothing happens.
	if r := b.PostRaw(page+"/hours", url.Values{"hours_1": {"09:00-18:00"}}); r.Status != http.StatusForbidden {
		t.Errorf("no CSRF token: %d", r.Status)
	}

	b.Get("/admin/settings")
	for _, c := range []struct {
		path   string
		values url.Values
		field  string
	}{
		{"/admin/settings/profile", url.Values{"name": {""}, "language": {"en"}, "time_zone": {"UTC"}}, "name"},
		{"/admin/settings/profile", url.Values{"name": {"Alpha"}, "language": {"en"}, "time_zone": {"Moon/Base"}}, "time_zone"},
		{"/admin/settings/routing", url.Values{"default_capacity": {"-1"}, "grace": {"60"}}, "default_capacity"},
		{"/admin/settings/routing", url.Values{"default_capacity": {"3"}, "grace": {"lots"}}, "grace"},
		{"/admin/settings/stop-words", url.Values{"stop_words": {"two words"}}, "stop_words"},
		{"/admin/settings/retention", url.Values{"retention_days": {"3651"}}, "retention_days"},
		{"/admin/settings/retention", url.Values{"retention_days": {"-1"}}, "retention_days"},
		{"/admin/settings/retention", url.Values{"retention_days": {"ten"}}, "retention_days"},
	} {
		r := b.Post(c.path, c.values)
		if r.Status != http.StatusUnprocessableEntity || !r.Has("[data-testid=error-"+c.field+"]") {
			t.Errorf("%s %v: %d", c.path, c.values, r.Status)
		}
		if msg := r.Text("[data-testid=error-" + c.field + "]"); msg == "" || strings.Contains(msg, "admin.") || strings.Contains(msg, "routing.") {
			t.Errorf("%s: the error reads %q", c.path, msg)
		}
	}
	if s, _ := app.DB.Store.TenantSettings(context.Background(), app.F.A.ID); s.Name != "Alpha Srl" || s.RetentionDays != 0 || s.Routing.DefaultCapacity != 3 {
		t.Errorf("refused settings stored: %+v", s)
	}
	// A good retention period is saved and audited.
	if r := b.Post("/admin/settings/retention", url.Values{"retention_days": {"90"}}); r.Status != http.StatusSeeOther {
		t.Fatalf("retention: %d", r.Status)
	}
	if r := b.Follow("/admin/settings"); !strings.Contains(r.Text("[data-testid=settings-retention]"), "90") {
		t.Error("the page does not say the period")
	}
	if e, _ := app.DB.Store.ListAudit(context.Background(), app.F.A.ID, 1); len(e) != 1 || e[0].Action != "settings.retention" || e[0].ActorEmail != app.F.A.Admin.Email {
		t.Errorf("audit: %+v", e)
	}

	// Agents reach none of it; tenant B's administrator gets 404 for A's number.
	agent := app.Client(t)
	agent.MustLogin(app.F.A.Agent.Email, storagetest.Password)
	for _, p := range []string{"/admin/settings", page} {
		if r := agent.Get(p); r.Status != http.StatusForbidden {
			t.Errorf("agent on %s: %d", p, r.Status)
		}
	}
	other := app.Client(t)
	other.MustLogin(app.F.B.Admin.Email, storagetest.Password)
	other.Get("/admin/settings")
	if r := other.Post(page+"/hours", url.Values{"hours_1": {"09:00-18:00"}}); r.Status != http.StatusNotFound {
		t.Errorf("tenant B setting A's hours: %d", r.Status)
	}
	if r := other.Post(page+"/skillsets", url.Values{"skillset": {sales}, "priority": {"1"}}); r.Status != http.StatusNotFound {
		t.Errorf("tenant B linking A's number: %d", r.Status)
	}
}

// TestBrowserAdminNumberAndSettings is the administrator's flow in
// Chromium: link two skillsets to a sandbox number and reorder them (the
// router's configuration follows), set business hours and a holiday, then
// change the company's default capacity and language on the settings page.
func TestBrowserAdminNumberAndSettings(t *testing.T) {
	t.Parallel()
	app := servertest.New(t)
	n, _, _ := numberWithSkillsets(t, app)
	ctx := browsertest.New(t)
	do, eval := browserSteps(t, app, ctx)
	shot := func(name string) {
		// SB_SCREENSHOTS=dir keeps pictures of the pages, to look at them.
		if dir := os.Getenv("SB_SCREENSHOTS"); dir != "" {
			if b, err := chromedp.Run(ctx, chromedp.FullScreenshot(100)); err == nil {
				_ = os.WriteFile(filepath.Join(dir, name+".png"), b, 0o644)
			}
		}
	}
	rows := `Array.from(document.querySelectorAll("[data-testid=link-row]")).map(r => r.dataset.skillset + "=" + r.dataset.priority).join(",")`
	do("sign in and open the number",
		chromedp.Navigate(app.URL+"/login"),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid=login]`)),
		chromedp.SendKeys(chromedp.CSS(`#f-email`), app.F.A.Admin.Email),
		chromedp.SendKeys(chromedp.CSS(`#f-password`), storagetest.Password),
		chromedp.Click(chromedp.CSS(`[data-testid=login-submit]`)),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid=admin-home]`)),
		chromedp.Click(chromedp.CSS(`[data-testid=nav-numbers]`)),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid=number-row]`)),
		chromedp.Click(chromedp.CSS(`[data-testid=number-row] a`)),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid=number-skillsets]`)),
	)
	if got := eval(`document.querySelector("[data-testid=number-detail] .badge").className`); !strings.Contains(got, "status-sandbox") {
		t.Errorf("the number shows as %q, want the sandbox badge", got)
	}
	// Link Sales with priority 10, then Support (offered below it).
	do("link Sales",
		chromedp.SetValue(chromedp.CSS(`[data-testid=link-form] select[name=skillset]`), eval(`Array.from(document.querySelectorAll("select[name=skillset] option")).find(o => o.textContent === "Sales").value`)),
		chromedp.Clear(chromedp.CSS(`[data-testid=link-form] input[name=priority]`)),
		chromedp.SendKeys(chromedp.CSS(`[data-testid=link-form] input[name=priority]`), "10"),
		chromedp.Click(chromedp.CSS(`[data-testid=link-submit]`)),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid=link-row][data-skillset=Sales]`)),
	)
	if got := eval(`document.querySelector("[data-testid=link-form] input[name=priority]").value`); got != "0" {
		t.Errorf("the next skillset is offered at priority %s, want 0 (below Sales)", got)
	}
	do("link Support below it",
		chromedp.SetValue(chromedp.CSS(`[data-testid=link-form] select[name=skillset]`), eval(`Array.from(document.querySelectorAll("select[name=skillset] option")).find(o => o.textContent === "Support").value`)),
		chromedp.Click(chromedp.CSS(`[data-testid=link-submit]`)),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid=link-row][data-skillset=Support]`)),
	)
	if got := eval(rows); got != "Sales=10,Support=0" {
		t.Fatalf("links shown: %s", got)
	}
	if got := linkPriorities(t, app, n.ID); got["Sales"] != 10 || got["Support"] != 0 {
		t.Fatalf("links stored: %v", got)
	}
	// Support moves up: it serves first now.
	do("move Support up",
		chromedp.Click(chromedp.CSS(`[data-testid=link-row][data-skillset=Support] [data-testid=link-up]`)),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid=flash]`)),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid=link-row]:first-child[data-skillset=Support]`)),
	)
	if got := eval(rows); got != "Support=10,Sales=0" {
		t.Errorf("after moving up: %s", got)
	}
	if got := linkPriorities(t, app, n.ID); got["Support"] <= got["Sales"] {
		t.Errorf("the router's configuration does not put Support first: %v", got)
	}
	// The routing live view names them in that order too.
	served, err := chromedp.Run(ctx, chromedp.Evaluate[string](`fetch("/admin/routing").then(r => r.text()).then(t => new DOMParser().parseFromString(t, "text/html")
		.querySelector('[data-testid=queue][data-number-id="`+n.ID+`"] .hint').textContent)`, chromedp.EvalAwaitPromise))
	if err != nil {
		t.Fatal(err)
	}
	if i, j := strings.Index(served, "Support"), strings.Index(served, "Sales"); i < 0 || j < 0 || i > j {
		t.Errorf("the routing view says %q", served)
	}

	// Business hours: weekdays in Rome, a lunch break; Saturday morning.
	do("set the hours",
		chromedp.SetValue(chromedp.CSS(`#f-time_zone`), "Europe/Rome"),
		chromedp.SetValue(chromedp.CSS(`#f-hours_1`), "09:00-13:00, 14:00-18:00"),
		chromedp.SetValue(chromedp.CSS(`#f-hours_2`), "09:00-13:00, 14:00-18:00"),
		chromedp.SetValue(chromedp.CSS(`#f-hours_6`), "09:00-12:00"),
		chromedp.Click(chromedp.CSS(`[data-testid=hours-submit]`)),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid=open-now]`)),
	)
	// A mistake is shown beside the day and keeps what was typed.
	do("an overlapping range",
		chromedp.SetValue(chromedp.CSS(`#f-hours_3`), "09:00-13:00, 12:00-18:00"),
		chromedp.Click(chromedp.CSS(`[data-testid=hours-submit]`)),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid=error-hours_3]`)),
	)
	if got := eval(`document.querySelector("#f-hours_3").value`); got != "09:00-13:00, 12:00-18:00" {
		t.Errorf("the typed range was not kept: %q", got)
	}
	do("a holiday",
		chromedp.SetValue(chromedp.CSS(`[data-testid=holiday-form] input[name=day]`), "2026-12-25"),
		chromedp.SendKeys(chromedp.CSS(`[data-testid=holiday-form] input[name=name]`), "Natale"),
		chromedp.Click(chromedp.CSS(`[data-testid=holiday-submit]`)),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid=holiday-row][data-day="2026-12-25"]`)),
	)
	shot("number")
	sc, err := app.DB.Store.NumberSchedule(context.Background(), app.F.A.ID, n.ID)
	if err != nil {
		t.Fatal(err)
	}
	if sc.TimeZone != "Europe/Rome" || hours.FormatDay(1, sc.Hours) != "09:00-13:00, 14:00-18:00" || hours.FormatDay(3, sc.Hours) != "" ||
		hours.FormatDay(6, sc.Hours) != "09:00-12:00" || len(sc.Holidays) != 1 || sc.Holidays[0].Name != "Natale" {
		t.Errorf("stored schedule: %+v", sc)
	}
	// Monday 12 January 2026 at 10:00 in Rome it is open; on Christmas Day not.
	if !sc.OpenAt(time.Date(2026, 1, 12, 9, 0, 0, 0, time.UTC)) || sc.OpenAt(time.Date(2026, 12, 25, 9, 0, 0, 0, time.UTC)) {
		t.Error("OpenAt disagrees with the page's hours")
	}

	// Settings: the default capacity, then the language.
	do("open the settings",
		chromedp.Click(chromedp.CSS(`[data-testid=nav-settings]`)),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid=settings-routing]`)),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid=settings-desk]`)),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid=settings-apikeys]`)),
		chromedp.SetValue(chromedp.CSS(`#f-default_capacity`), "5"),
		chromedp.Click(chromedp.CSS(`[data-testid=routing-submit]`)),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid=flash]`)),
	)
	if got := eval(`document.querySelector("#f-default_capacity").value`); got != "5" {
		t.Errorf("capacity shown after saving: %q", got)
	}
	do("change the language",
		chromedp.SetValue(chromedp.CSS(`[data-testid=profile-form] select[name=language]`), "it"),
		// The routing form's flash is still on the page: only a new one
		// says this form was saved.
		chromedp.Evaluate[chromedp.Void](`document.querySelectorAll('[data-testid=flash]').forEach(e => e.remove())`),
		chromedp.Click(chromedp.CSS(`[data-testid=profile-submit]`)),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid=flash]`)),
	)
	shot("settings")
	s, err := app.DB.Store.TenantSettings(context.Background(), app.F.A.ID)
	if err != nil {
		t.Fatal(err)
	}
	if s.Routing.DefaultCapacity != 5 || !s.Routing.RequeueOnOffline || s.Routing.RequeueGrace != 60*time.Second || s.Language != "it" || s.Name != "Alpha Srl" {
		t.Errorf("stored settings: %+v", s)
	}
	entries, _ := app.DB.Store.ListAudit(context.Background(), app.F.A.ID, 20)
	seen := map[string]bool{}
	for _, e := range entries {
		seen[e.Action] = true
	}
	for _, a := range []string{"skillset.number_link", "skillset.number_reorder", "hours.set", "hours.holiday_add", "routing.settings", "settings.profile"} {
		if !seen[a] {
			t.Errorf("no audit entry %s", a)
		}
	}
}

// TestAdminNumberReorderBreaksTies moves a skillset down among links of the
// same priority: up and down mean an order, so the links are renumbered 10
// apart in the new order, in one change (one audit entry with the order
// before and after); moving past the end changes nothing, and neither does
// a direction the arrows do not send or tenant B's administrator; removing
// a link is heard by the store.
func TestAdminNumberReorderBreaksTies(t *testing.T) {
	t.Parallel()
	app := servertest.New(t)
	n, sales, support := numberWithSkillsets(t, app)
	bg, actor := context.Background(), storage.Actor{Email: "test"}
	for _, s := range []string{sales, support} {
		if err := app.DB.Store.LinkNumberSkillset(bg, app.F.A.ID, actor, n.ID, s, 5); err != nil {
			t.Fatal(err)
		}
	}
	b := app.Client(t)
	b.MustLogin(app.F.A.Admin.Email, storagetest.Password)
	page := "/admin/numbers/" + n.ID
	b.Get(page)
	if r := b.Post(page+"/skillsets/"+sales+"/move", url.Values{"dir": {"down"}}); r.Status != http.StatusSeeOther {
		t.Fatalf("move: %d", r.Status)
	}
	if got := linkPriorities(t, app, n.ID); got["Support"] != 20 || got["Sales"] != 10 {
		t.Fatalf("after moving Sales below Support: %v", got)
	}
	reorders := func() []domain.AuditEntry {
		t.Helper()
		entries, err := app.DB.Store.ListAudit(bg, app.F.A.ID, 50)
		if err != nil {
			t.Fatal(err)
		}
		var out []domain.AuditEntry
		for _, e := range entries {
			if e.Action == "skillset.number_reorder" || (e.Action == "skillset.number_link" && e.ActorEmail == app.F.A.Admin.Email) {
				out = append(out, e)
			}
		}
		return out
	}
	if e := reorders(); len(e) != 1 || e[0].Action != "skillset.number_reorder" || e[0].ActorEmail != app.F.A.Admin.Email ||
		e[0].Target != n.DisplayPhone || fmt.Sprint(e[0].Detail["after"]) != "[map[priority:20 skillset:Support] map[priority:10 skillset:Sales]]" {
		t.Fatalf("the move is not one audited change: %+v", e)
	}
	b.Get(page)
	if r := b.Post(page+"/skillsets/"+sales+"/move", url.Values{"dir": {"down"}}); r.Status != http.StatusSeeOther {
		t.Fatalf("move past the end: %d", r.Status)
	}
	if r := b.Post(page+"/skillsets/"+support+"/move", url.Values{"dir": {"sideways"}}); r.Status != http.StatusNotFound {
		t.Fatalf("move sideways: %d", r.Status)
	}
	other := app.Client(t)
	other.MustLogin(app.F.B.Admin.Email, storagetest.Password)
	other.Get("/admin/numbers")
	if r := other.Post(page+"/skillsets/"+sales+"/move", url.Values{"dir": {"up"}}); r.Status != http.StatusNotFound {
		t.Fatalf("tenant B moving A's link: %d", r.Status)
	}
	if got := linkPriorities(t, app, n.ID); got["Support"] != 20 || got["Sales"] != 10 || len(reorders()) != 1 {
		t.Fatalf("moving the last one down, sideways or from another tenant changed: %v", got)
	}
	b.Get(page)
	if r := b.Post(page+"/skillsets/"+support+"/unlink", url.Values{}); r.Status != http.StatusSeeOther {
		t.Fatalf("unlink: %d", r.Status)
	}
	if got := linkPriorities(t, app, n.ID); len(got) != 1 || got["Sales"] != 10 {
		t.Fatalf("after removing Support: %v", got)
	}
	if r := b.Follow(page); r.Text("[data-testid=link-row]") == "" || strings.Contains(r.Text("[data-testid=number-skillsets] table"), "Support") {
		t.Errorf("the page after removing: %q", r.Text("[data-testid=number-skillsets]"))
	}
}
