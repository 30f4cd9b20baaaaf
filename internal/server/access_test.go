package server_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/PuerkitoBio/goquery"

	"switchboard/internal/server/servertest"
	"switchboard/internal/storage/storagetest"
)

func TestRolesReachOnlyTheirPages(t *testing.T) {
	t.Parallel()
	app := servertest.New(t)
	forbidden := map[string][]string{
		app.F.A.Agent.Email: {"/admin", "/admin/users", "/operator/tenants", "/operator/plans"},
		// Administrators may enter /agent: they answer there what they take over.
		app.F.A.Admin.Email:  {"/operator/tenants", "/operator/plans"},
		app.F.Operator.Email: {"/admin", "/agent"},
	}
	for email, paths := range forbidden {
		b := app.Client(t)
		b.MustLogin(email, storagetest.Password)
		for _, p := range paths {
			r := b.Get(p)
			if r.Status != http.StatusForbidden || !r.Has("[data-testid=error-page]") {
				t.Fatalf("%s GET %s: %d, want the 403 page", email, p, r.Status)
			}
		}
	}
	// Not signed in: sent to sign in, and brought back afterwards.
	b := app.Client(t)
	r := b.Get("/admin/users")
	if r.Status != http.StatusSeeOther || r.Location != "/login?next=%2Fadmin%2Fusers" {
		t.Fatalf("anonymous /admin/users: %d → %q", r.Status, r.Location)
	}
	b.Get(r.Location)
	back := b.Post("/login", url.Values{"email": {app.F.A.Admin.Email}, "password": {storagetest.Password}, "next": {"/admin/users"}})
	if back.Location != "/admin/users" {
		t.Fatalf("after sign-in went to %q, want /admin/users", back.Location)
	}
	// next= never leaves the site.
	b2 := app.Client(t)
	b2.Get("/login")
	away := b2.Post("/login", url.Values{"email": {app.F.A.Admin.Email}, "password": {storagetest.Password}, "next": {"//evil.example/x"}})
	if away.Location != "/admin" {
		t.Fatalf("next=//evil.example redirected to %q", away.Location)
	}
}

func TestTenantCannotReadAnotherTenantOverHTTP(t *testing.T) {
	t.Parallel()
	app := servertest.New(t)
	b := app.Client(t)
	b.MustLogin(app.F.A.Admin.Email, storagetest.Password)
	if r := b.Get("/admin/users/" + app.F.A.Agent.ID); r.Status != http.StatusOK || r.Text("[data-testid=user-email]") != app.F.A.Agent.Email {
		t.Fatalf("own agent: %d", r.Status)
	}
	for _, id := range []string{app.F.B.Agent.ID, app.F.B.Admin.ID, app.F.Operator.ID, "00000000-0000-0000-0000-000000000000", "not-a-uuid"} {
		if r := b.Get("/admin/users/" + id); r.Status != http.StatusNotFound {
			t.Fatalf("tenant A reading user %s: %d, want 404", id, r.Status)
		}
	}
	list := b.Get("/admin/users")
	rows := list.Doc.Find("[data-testid=user-row]")
	if rows.Length() != 2 {
		t.Fatalf("users list has %d rows, want A's 2", rows.Length())
	}
	if strings.Contains(list.Body, "beta.test") || strings.Contains(list.Body, app.F.Operator.Email) {
		t.Fatal("users list shows another tenant's or the operator's users")
	}
	audit := b.Get("/admin/audit")
	if audit.Status != http.StatusOK || strings.Contains(audit.Body, "beta") {
		t.Fatalf("audit log: %d or shows tenant B", audit.Status)
	}
}

func TestSuspendedTenantCannotSignIn(t *testing.T) {
	t.Parallel()
	app := servertest.New(t)
	victim := app.Client(t)
	victim.MustLogin(app.F.B.Admin.Email, storagetest.Password)
	op := app.Client(t)
	op.MustLogin(app.F.Operator.Email, storagetest.Password)
	list := op.Get("/operator/tenants")
	if list.Doc.Find("[data-slug=beta] [data-testid=tenant-status]").Text() != "Active" {
		t.Fatal("tenant B not listed as active")
	}
	r := op.Post("/operator/tenants/"+app.F.B.ID+"/suspend", url.Values{})
	if r.Status != http.StatusSeeOther {
		t.Fatalf("suspend: %d", r.Status)
	}
	list = op.Get("/operator/tenants")
	if got := list.Doc.Find("[data-slug=beta] [data-testid=tenant-status]").Text(); got != "Suspended" {
		t.Fatalf("tenant B status shown as %q", got)
	}
	if list.Text("[data-testid=flash]") == "" {
		t.Fatal("no confirmation after suspending")
	}
	// Signed-in users of B are out at once; signing in again is refused.
	if r := victim.Get("/admin"); r.Status != http.StatusSeeOther {
		t.Fatalf("B's admin after suspension: %d, want redirect to sign-in", r.Status)
	}
	again := app.Client(t).Login(app.F.B.Admin.Email, storagetest.Password)
	if again.Status != http.StatusForbidden || !strings.Contains(again.Text("[data-testid=form-error]"), "suspended") {
		t.Fatalf("sign-in to suspended tenant: %d %q", again.Status, again.Text("[data-testid=form-error]"))
	}
	// Tenant A is untouched.
	app.Client(t).MustLogin(app.F.A.Admin.Email, storagetest.Password)
	// Reactivation lets B back in.
	op.Get("/operator/tenants")
	op.Post("/operator/tenants/"+app.F.B.ID+"/reactivate", url.Values{})
	app.Client(t).MustLogin(app.F.B.Admin.Email, storagetest.Password)
}

func TestSessionsExpireWhenIdleAndAfterTwelveHours(t *testing.T) {
	t.Parallel()
	app := servertest.New(t)
	idle := app.Client(t)
	idle.MustLogin(app.F.A.Agent.Email, storagetest.Password)
	active := app.Client(t)
	active.MustLogin(app.F.A.Admin.Email, storagetest.Password)
	// The active user keeps working every 20 minutes; the idle one does not.
	for i := 0; i < 2; i++ {
		app.Clock.Advance(20 * time.Minute)
		if r := active.Get("/admin"); r.Status != http.StatusOK {
			t.Fatalf("active session ended after %d×20 min: %d", i+1, r.Status)
		}
	}
	if r := idle.Get("/agent"); r.Status != http.StatusSeeOther {
		t.Fatalf("session idle for 40 minutes still works: %d", r.Status)
	}
	// Absolute limit: twelve hours even when active.
	for elapsed := 40 * time.Minute; elapsed < 12*time.Hour; elapsed += 25 * time.Minute {
		app.Clock.Advance(25 * time.Minute)
		active.Get("/admin")
	}
	app.Clock.Advance(10 * time.Minute)
	if r := active.Get("/admin"); r.Status != http.StatusSeeOther {
		t.Fatalf("session older than 12 h still works: %d", r.Status)
	}
}

func TestPasswordChangeEndsOtherSessions(t *testing.T) {
	t.Parallel()
	app := servertest.New(t)
	laptop, phone := app.Client(t), app.Client(t)
	laptop.MustLogin(app.F.A.Agent.Email, storagetest.Password)
	phone.MustLogin(app.F.A.Agent.Email, storagetest.Password)
	laptop.Get("/account/password")
	bad := laptop.Post("/account/password", url.Values{"current_password": {"wrong-one-entirely"}, "new_password": {"a-brand-new-passphrase"}, "confirm_password": {"a-brand-new-passphrase"}})
	if bad.Status != http.StatusUnprocessableEntity || !bad.Has("[data-testid=error-current_password]") {
		t.Fatalf("wrong current password: %d", bad.Status)
	}
	short := laptop.Post("/account/password", url.Values{"current_password": {storagetest.Password}, "new_password": {"short"}, "confirm_password": {"short"}})
	if short.Status != http.StatusUnprocessableEntity || !short.Has("[data-testid=error-new_password]") {
		t.Fatalf("short new password: %d", short.Status)
	}
	mismatch := laptop.Post("/account/password", url.Values{"current_password": {storagetest.Password}, "new_password": {"a-brand-new-passphrase"}, "confirm_password": {"another-passphrase!"}})
	if !mismatch.Has("[data-testid=error-confirm_password]") {
		t.Fatal("mismatched confirmation not reported")
	}
	ok := laptop.Post("/account/password", url.Values{"current_password": {storagetest.Password}, "new_password": {"a-brand-new-passphrase"}, "confirm_password": {"a-brand-new-passphrase"}})
	if ok.Status != http.StatusSeeOther {
		t.Fatalf("password change: %d", ok.Status)
	}
	if r := laptop.Get("/agent"); r.Status != http.StatusOK {
		t.Fatalf("the browser that changed the password was signed out: %d", r.Status)
	}
	if r := phone.Get("/agent"); r.Status != http.StatusSeeOther {
		t.Fatalf("other session survived the password change: %d", r.Status)
	}
	if r := app.Client(t).Login(app.F.A.Agent.Email, storagetest.Password); r.Status != http.StatusUnauthorized {
		t.Fatalf("old password still works: %d", r.Status)
	}
	app.Client(t).MustLogin(app.F.A.Agent.Email, "a-brand-new-passphrase")
}

func TestSessionsListAndRevoke(t *testing.T) {
	t.Parallel()
	app := servertest.New(t)
	laptop, phone := app.Client(t), app.Client(t)
	laptop.MustLogin(app.F.A.Admin.Email, storagetest.Password)
	phone.MustLogin(app.F.A.Admin.Email, storagetest.Password)
	intruder := app.Client(t)
	intruder.MustLogin(app.F.B.Admin.Email, storagetest.Password)
	page := laptop.Get("/account/sessions")
	rows := page.Doc.Find("[data-testid=session-row]")
	if rows.Length() != 2 {
		t.Fatalf("%d sessions listed, want 2", rows.Length())
	}
	var other string
	rows.Each(func(_ int, s *goquery.Selection) {
		if !strings.Contains(s.Text(), "this browser") {
			other, _ = s.Attr("data-session-id")
		}
	})
	if other == "" {
		t.Fatal("current session not marked")
	}
	// Another tenant's administrator cannot end it.
	intruder.Get("/account/sessions")
	if r := intruder.Post("/account/sessions/"+other+"/revoke", url.Values{}); r.Status != http.StatusNotFound {
		t.Fatalf("revoking another user's session: %d, want 404", r.Status)
	}
	if r := laptop.Post("/account/sessions/"+other+"/revoke", url.Values{}); r.Status != http.StatusSeeOther {
		t.Fatalf("revoke: %d", r.Status)
	}
	if r := phone.Get("/admin"); r.Status != http.StatusSeeOther {
		t.Fatalf("revoked session still works: %d", r.Status)
	}
	if r := laptop.Get("/admin"); r.Status != http.StatusOK {
		t.Fatalf("revoking the other session ended this one: %d", r.Status)
	}
}
