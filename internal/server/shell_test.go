package server_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/redis/go-redis/v9"

	"switchboard/internal/server/servertest"
	"switchboard/internal/storage/storagetest"
)

func TestLanguageFollowsChoiceThenBrowser(t *testing.T) {
	t.Parallel()
	app := servertest.New(t)
	b := app.Client(t)
	b.Header.Set("Accept-Language", "it-IT,it;q=0.9,en;q=0.5")
	if r := b.Get("/login"); r.Text("h1") != "Accedi" || r.Doc.Find("html").AttrOr("lang", "") != "it" {
		t.Fatalf("Italian browser sees %q", r.Text("h1"))
	}
	b.Header.Set("Accept-Language", "de-DE,en;q=0.8")
	if r := b.Get("/login"); r.Text("h1") != "Sign in" {
		t.Fatalf("German/English browser sees %q", r.Text("h1"))
	}
	// The switch overrides the browser, and returns to the same page.
	r := b.Post("/language", url.Values{"lang": {"it"}, "next": {"/login"}})
	if r.Status != http.StatusSeeOther || r.Location != "/login" {
		t.Fatalf("switch: %d → %q", r.Status, r.Location)
	}
	if r := b.Get("/login"); r.Text("h1") != "Accedi" {
		t.Fatalf("after choosing Italian: %q", r.Text("h1"))
	}
	failed := b.Login(app.F.A.Admin.Email, "wrong-password-123")
	if failed.Text("[data-testid=form-error]") != "E-mail o password errate." {
		t.Fatalf("Italian error: %q", failed.Text("[data-testid=form-error]"))
	}
	if r := b.Post("/language", url.Values{"lang": {"xx"}}); r.Status != http.StatusBadRequest {
		t.Fatalf("unknown language: %d", r.Status)
	}
	// A signed-in user's choice is kept on the account and follows them.
	b.MustLogin(app.F.A.Admin.Email, storagetest.Password)
	b.Get("/admin")
	b.Post("/language", url.Values{"lang": {"it"}, "next": {"/admin"}})
	other := app.Client(t)
	other.Header.Set("Accept-Language", "en")
	other.MustLogin(app.F.A.Admin.Email, storagetest.Password)
	if home := other.Get("/admin"); !strings.Contains(home.Body, "Amministrazione") || home.Text("[data-testid=nav-users]") != "Utenti" {
		t.Fatalf("the account's Italian did not follow to another browser")
	}
}

func TestReadinessNamesTheDependencyThatIsDown(t *testing.T) {
	t.Parallel()
	app := servertest.New(t)
	b := app.Client(t)
	if r := b.Get("/healthz"); r.Status != http.StatusOK {
		t.Fatalf("healthz: %d", r.Status)
	}
	if r := b.Get("/readyz"); r.Status != http.StatusOK || !strings.Contains(r.Body, "ready") {
		t.Fatalf("readyz with everything up: %d %q", r.Status, r.Body)
	}
	// A Redis nobody listens on: port 1 on loopback refuses at once.
	dead := redis.NewClient(&redis.Options{Addr: "127.0.0.1:1", MaxRetries: -1})
	t.Cleanup(func() { dead.Close() })
	down := servertest.New(t, servertest.Options{Redis: dead})
	r := down.Client(t).Get("/readyz")
	if r.Status != http.StatusServiceUnavailable || !strings.Contains(r.Body, "redis") || strings.Contains(r.Body, "postgres") {
		t.Fatalf("readyz with Redis down: %d %q", r.Status, r.Body)
	}
	if r := down.Client(t).Get("/healthz"); r.Status != http.StatusOK {
		t.Fatalf("healthz must not depend on Redis: %d", r.Status)
	}
	// Sign-in still works without Redis (throttling is lost, not the product).
	down.Client(t).MustLogin(down.F.A.Admin.Email, storagetest.Password)
	// Postgres down: close the pool under the server.
	app.DB.Pool.Close()
	r = b.Get("/readyz")
	if r.Status != http.StatusServiceUnavailable || !strings.Contains(r.Body, "postgres") {
		t.Fatalf("readyz with Postgres gone: %d %q", r.Status, r.Body)
	}
}

func TestMetricsCountRequestsByRoute(t *testing.T) {
	t.Parallel()
	app := servertest.New(t)
	b := app.Client(t)
	b.MustLogin(app.F.A.Admin.Email, storagetest.Password)
	b.Get("/admin/users/" + app.F.A.Agent.ID)
	b.Get("/no/such/page")
	m := b.Get("/metrics").Body
	for _, want := range []string{
		`switchboard_http_requests_total{route="/login",method="POST",status="303"} 1`,
		`switchboard_http_requests_total{route="/admin/users/{id}",method="GET",status="200"} 1`,
		`switchboard_http_request_duration_seconds_bucket{route="/admin/users/{id}",method="GET",le="+Inf"} 1`,
		`status="404"`,
		"switchboard_db_pool_max_conns",
	} {
		if !strings.Contains(m, want) {
			t.Errorf("metrics lack %s", want)
		}
	}
	if strings.Contains(m, app.F.A.Agent.ID) || strings.Contains(m, "/no/such/page") {
		t.Error("metrics label raw paths (unbounded cardinality)")
	}
}

func TestPagesCarrySecurityHeadersAndRevealNoInternals(t *testing.T) {
	t.Parallel()
	app := servertest.New(t)
	b := app.Client(t)
	r := b.Get("/login")
	for h, want := range map[string]string{
		"Content-Security-Policy": "frame-ancestors 'none'",
		"X-Frame-Options":         "DENY",
		"X-Content-Type-Options":  "nosniff",
		"Referrer-Policy":         "strict-origin-when-cross-origin",
	} {
		if !strings.Contains(r.Header.Get(h), want) {
			t.Errorf("%s = %q, want it to contain %q", h, r.Header.Get(h), want)
		}
	}
	if r.Header.Get("X-Request-Id") == "" {
		t.Error("no X-Request-Id")
	}
	nf := b.Get("/admin/../../etc/passwd")
	if nf.Status != http.StatusSeeOther && nf.Status != http.StatusNotFound {
		t.Errorf("path traversal: %d", nf.Status)
	}
	missing := b.Get("/nothing-here")
	if missing.Status != http.StatusNotFound || !missing.Has("[data-testid=error-page]") {
		t.Fatalf("unknown page: %d", missing.Status)
	}
	// Every request line in the log carries its request id.
	if !strings.Contains(app.Logs.String(), "request_id=") {
		t.Error("log lines lack request_id")
	}
	// An over-large form is refused cleanly.
	big := b.Post("/login", url.Values{"email": {strings.Repeat("a", 70<<10)}})
	if big.Status != http.StatusRequestEntityTooLarge {
		t.Errorf("70 KiB form: %d, want 413", big.Status)
	}
	css := b.Get("/static/app.css")
	if css.Status != http.StatusOK || !strings.HasPrefix(css.Header.Get("Content-Type"), "text/css") {
		t.Errorf("stylesheet: %d %s", css.Status, css.Header.Get("Content-Type"))
	}
}
