package server_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"switchboard/internal/server/servertest"
	"switchboard/internal/storage/storagetest"
)

// The page benchmarks go through the whole stack in process (router,
// middleware, session lookup in Postgres, templ rendering); each has a
// baseline in the same run: a bare handler writing the same bytes, and a
// Postgres round trip on the same pool. docs/benchmarks.md reports ratios.

func BenchmarkBaselineBareHandler(b *testing.B) {
	app := servertest.New(b)
	body := app.Client(b).Get("/login").Body
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		_, _ = w.Write([]byte(body))
	})
	req := httptest.NewRequest(http.MethodGet, "/login", nil)
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		h.ServeHTTP(httptest.NewRecorder(), req)
	}
}

// BenchmarkLoginPage serves the sign-in page in process: router, every
// middleware, language negotiation and templ rendering.
func BenchmarkLoginPage(b *testing.B) {
	app := servertest.New(b)
	c := app.Client(b)
	c.Get("/login")
	req := httptest.NewRequest(http.MethodGet, "/login", nil)
	req.Header.Set("Cookie", "switchboard_csrf="+c.Cookie("switchboard_csrf"))
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		w := httptest.NewRecorder()
		app.Handler.ServeHTTP(w, req)
		if w.Code != http.StatusOK {
			b.Fatal(w.Code)
		}
	}
}

func BenchmarkBaselinePostgresRoundTrip(b *testing.B) {
	db := storagetest.NewDB(b)
	ctx := context.Background()
	b.ResetTimer()
	for b.Loop() {
		var one int
		if err := db.Pool.QueryRow(ctx, "SELECT 1").Scan(&one); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkAdminHome is a signed-in page: session lookup, tenant, plan and
// users queries, each in its own tenant-scoped transaction, then rendering.
func BenchmarkAdminHome(b *testing.B) {
	app := servertest.New(b)
	c := app.Client(b)
	c.MustLogin(app.F.A.Admin.Email, storagetest.Password)
	req := httptest.NewRequest(http.MethodGet, "/admin", nil)
	req.Header.Set("Cookie", "switchboard_session="+c.Cookie("switchboard_session"))
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		w := httptest.NewRecorder()
		app.Handler.ServeHTTP(w, req)
		if w.Code != http.StatusOK {
			b.Fatal(w.Code)
		}
	}
}

// BenchmarkSignIn is dominated by argon2id on purpose (OWASP's parameters).
func BenchmarkSignIn(b *testing.B) {
	app := servertest.New(b)
	v := url.Values{"email": {app.F.A.Admin.Email}, "password": {storagetest.Password}}
	b.ResetTimer()
	for b.Loop() {
		c := app.Client(b) // a new browser each time: a fresh sign-in
		c.Get("/login")
		if r := c.Post("/login", v); r.Status != http.StatusSeeOther {
			b.Fatal(r.Status, strings.TrimSpace(r.Text("[data-testid=form-error]")))
		}
	}
}
