package server_test

import (
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"

	"switchboard/internal/server/servertest"
	"switchboard/internal/storage/storagetest"
)

func TestSignInLandsEachRoleOnItsHome(t *testing.T) {
	t.Parallel()
	app := servertest.New(t)
	cases := []struct {
		email, home, testid string
	}{
		{app.F.Operator.Email, "/operator/tenants", "tenants"},
		{app.F.A.Admin.Email, "/admin", "admin-home"},
		{app.F.A.Agent.Email, "/agent", "agent-home"},
	}
	for _, c := range cases {
		b := app.Client(t)
		r := b.Login(c.email, storagetest.Password)
		if r.Status != http.StatusSeeOther || r.Location != c.home {
			t.Fatalf("%s: sign-in answered %d → %q, want 303 → %s", c.email, r.Status, r.Location, c.home)
		}
		cookie := r.Header.Get("Set-Cookie")
		for _, attr := range []string{"switchboard_session=", "HttpOnly", "SameSite=Lax", "Path=/"} {
			if !strings.Contains(strings.Join(r.Header.Values("Set-Cookie"), "\n"), attr) {
				t.Fatalf("%s: session cookie lacks %s: %s", c.email, attr, cookie)
			}
		}
		page := b.Get(c.home)
		if page.Status != http.StatusOK || !page.Has("[data-testid="+c.testid+"]") {
			t.Fatalf("%s: home %s answered %d without [data-testid=%s]", c.email, c.home, page.Status, c.testid)
		}
		if page.Text("[data-testid=viewer]") == "" {
			t.Fatalf("%s: no viewer in the top bar", c.email)
		}
		// The root sends a signed-in user home too.
		if root := b.Get("/"); root.Location != c.home {
			t.Fatalf("%s: / redirects to %q", c.email, root.Location)
		}
	}
}

func TestSignInFailuresSayLittleAndChangeNothing(t *testing.T) {
	t.Parallel()
	app := servertest.New(t)
	b := app.Client(t)
	wrong := b.Login(app.F.A.Admin.Email, "not-the-password")
	unknown := b.Login("nobody@nowhere.test", "not-the-password")
	for _, r := range []*servertest.Response{wrong, unknown} {
		if r.Status != http.StatusUnauthorized || r.Text("[data-testid=form-error]") != "Wrong e-mail or password." {
			t.Fatalf("failed sign-in: %d %q", r.Status, r.Text("[data-testid=form-error]"))
		}
		if strings.Contains(strings.Join(r.Header.Values("Set-Cookie"), ";"), "switchboard_session=") {
			t.Fatal("a failed sign-in set a session cookie")
		}
	}
	// The address typed is kept; the password never comes back.
	if v, _ := wrong.Doc.Find("input[name=email]").Attr("value"); v != app.F.A.Admin.Email {
		t.Fatalf("e-mail not kept in the form: %q", v)
	}
	if strings.Contains(wrong.Body, "not-the-password") {
		t.Fatal("the password was echoed into the page")
	}
	empty := b.Post("/login", url.Values{"email": {""}, "password": {""}})
	if empty.Status != http.StatusUnprocessableEntity || !empty.Has("[data-testid=error-email]") || !empty.Has("[data-testid=error-password]") {
		t.Fatalf("empty form: %d, errors beside fields missing", empty.Status)
	}
	long := b.Post("/login", url.Values{"email": {"a@b.test"}, "password": {strings.Repeat("x", 200)}})
	if long.Status != http.StatusUnprocessableEntity || long.Text("[data-testid=error-password]") != "This is too long." {
		t.Fatalf("over-long password: %d %q", long.Status, long.Text("[data-testid=error-password]"))
	}
	malformed := b.Post("/login", url.Values{"email": {"not-an-address"}, "password": {"x"}})
	if malformed.Status != http.StatusUnprocessableEntity || !malformed.Has("[data-testid=error-email]") {
		t.Fatalf("malformed e-mail: %d", malformed.Status)
	}
	// The right password still works afterwards.
	b.MustLogin(app.F.A.Admin.Email, storagetest.Password)
}

func TestSignInIsThrottledAfterRepeatedFailures(t *testing.T) {
	t.Parallel()
	app := servertest.New(t)
	b := app.Client(t)
	for i := 0; i < 10; i++ {
		if r := b.Login(app.F.A.Agent.Email, "wrong-password-here"); r.Status != http.StatusUnauthorized {
			t.Fatalf("attempt %d: %d", i+1, r.Status)
		}
	}
	r := b.Login(app.F.A.Agent.Email, storagetest.Password)
	if r.Status != http.StatusTooManyRequests {
		t.Fatalf("after 10 failures the right password answered %d, want 429", r.Status)
	}
	if r.Header.Get("Retry-After") == "" || !strings.Contains(r.Text("[data-testid=form-error]"), "Too many failed sign-ins") {
		t.Fatalf("throttled answer lacks Retry-After or message: %q", r.Text("[data-testid=form-error]"))
	}
	// Another account from the same address is not locked out by this one.
	b2 := app.Client(t)
	b2.MustLogin(app.F.B.Agent.Email, storagetest.Password)
}

func TestCSRFTokenIsRequired(t *testing.T) {
	t.Parallel()
	app := servertest.New(t)
	b := app.Client(t)
	b.Get("/login")
	missing := b.PostRaw("/login", url.Values{"email": {app.F.A.Admin.Email}, "password": {storagetest.Password}})
	if missing.Status != http.StatusForbidden {
		t.Fatalf("sign-in without CSRF token: %d, want 403", missing.Status)
	}
	b.MustLogin(app.F.Operator.Email, storagetest.Password)
	tenantsBefore, _ := app.DB.Store.ListTenants(t.Context())
	for name, token := range map[string][]string{"missing": nil, "wrong": {"forged-token"}} {
		v := url.Values{"name": {"Evil"}, "slug": {"evil"}}
		if token != nil {
			v["csrf_token"] = token
		}
		if r := b.PostRaw("/operator/tenants/"+app.F.B.ID+"/suspend", v); r.Status != http.StatusForbidden {
			t.Fatalf("%s CSRF token: %d, want 403", name, r.Status)
		}
	}
	// A token from another browser's session is refused as well.
	other := app.Client(t)
	other.MustLogin(app.F.Operator.Email, storagetest.Password)
	other.Get("/operator/tenants")
	stolen := b.PostRaw("/operator/tenants/"+app.F.B.ID+"/suspend", url.Values{"csrf_token": {otherToken(t, other)}})
	if stolen.Status != http.StatusForbidden {
		t.Fatalf("another session's token: %d, want 403", stolen.Status)
	}
	tenantsAfter, _ := app.DB.Store.ListTenants(t.Context())
	for i := range tenantsAfter {
		if tenantsAfter[i].Status != tenantsBefore[i].Status {
			t.Fatal("a refused request changed a tenant")
		}
	}
}

func otherToken(t *testing.T, c *servertest.Client) string {
	r := c.Get("/operator/tenants")
	tok, _ := r.Doc.Find("input[name=csrf_token]").First().Attr("value")
	if tok == "" {
		t.Fatal("no token on the page")
	}
	return tok
}

func TestLogoutEndsTheSessionOnTheServer(t *testing.T) {
	t.Parallel()
	app := servertest.New(t)
	b := app.Client(t)
	b.MustLogin(app.F.A.Admin.Email, storagetest.Password)
	token := b.Cookie("switchboard_session")
	b.Get("/admin")
	if r := b.Post("/logout", url.Values{}); r.Status != http.StatusSeeOther || r.Location != "/login" {
		t.Fatalf("logout: %d → %q", r.Status, r.Location)
	}
	// Replaying the old cookie in a fresh browser gets nowhere.
	thief := app.Client(t)
	thief.Header.Set("Cookie", "switchboard_session="+token)
	if r := thief.Get("/admin"); r.Status != http.StatusSeeOther || !strings.HasPrefix(r.Location, "/login") {
		t.Fatalf("old session after logout: %d → %q", r.Status, r.Location)
	}
}

func TestParallelGuessesAreThrottledToo(t *testing.T) {
	t.Parallel()
	app := servertest.New(t)
	var wg sync.WaitGroup
	codes := make(chan int, 30)
	for i := 0; i < 30; i++ {
		wg.Go(func() {
			b := app.Client(t)
			codes <- b.Login(app.F.A.Agent.Email, "wrong-password-here").Status
		})
	}
	wg.Wait()
	close(codes)
	wrong := 0
	for c := range codes {
		if c == http.StatusUnauthorized {
			wrong++
		}
	}
	if wrong > 10 {
		t.Fatalf("%d of 30 parallel guesses were checked; the limit is 10", wrong)
	}
}
