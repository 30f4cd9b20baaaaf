package metrics

import (
	"bufio"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/go-chi/chi/v5"
)

// newTestRouter builds a chi router the way the server is expected to:
// metrics middleware on the root router. done receives after the metrics
// middleware has recorded each request (an outer middleware runs after it),
// so tests can wait for hijacked requests without polling.
func newTestRouter(t *testing.T) (*Registry, http.Handler, <-chan struct{}) {
	t.Helper()
	reg := NewRegistry()
	m := NewHTTPMetrics(reg)
	done := make(chan struct{}, 100)

	r := chi.NewRouter()
	r.Use(func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			defer func() { done <- struct{}{} }()
			defer func() { // stands in for a recoverer middleware
				if v := recover(); v != nil {
					http.Error(w, "internal error", http.StatusInternalServerError)
				}
			}()
			next.ServeHTTP(w, r)
		})
	})
	r.Use(m.Middleware)
	r.Get("/users/{id}", func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, "user "+chi.URLParam(r, "id"))
	})
	r.Post("/users", func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusEarlyHints) // informational, not the final status
		w.WriteHeader(http.StatusCreated)
	})
	r.Get("/empty", func(w http.ResponseWriter, r *http.Request) {})
	r.Get("/panic", func(w http.ResponseWriter, r *http.Request) { panic("boom") })
	r.Get("/stream", func(w http.ResponseWriter, r *http.Request) {
		f, ok := w.(http.Flusher)
		if !ok {
			t.Error("wrapped writer lost http.Flusher")
			return
		}
		io.WriteString(w, "chunk")
		f.Flush()
		if err := http.NewResponseController(w).SetWriteDeadline(time.Now().Add(time.Minute)); err != nil {
			t.Errorf("ResponseController through Unwrap: %v", err)
		}
	})
	r.Get("/ws", func(w http.ResponseWriter, r *http.Request) {
		hj, ok := w.(http.Hijacker)
		if !ok {
			t.Error("wrapped writer lost http.Hijacker")
			http.Error(w, "no hijack", http.StatusInternalServerError)
			return
		}
		conn, brw, err := hj.Hijack()
		if err != nil {
			t.Errorf("Hijack: %v", err)
			return
		}
		defer conn.Close()
		brw.WriteString("HTTP/1.1 101 Switching Protocols\r\nUpgrade: test\r\nConnection: Upgrade\r\n\r\nhello")
		brw.Flush()
	})
	r.Route("/api", func(r chi.Router) {
		r.Route("/items", func(r chi.Router) {
			r.Get("/{itemID}", func(w http.ResponseWriter, r *http.Request) {
				w.WriteHeader(http.StatusNoContent)
			})
		})
	})
	return reg, r, done
}

func TestMiddlewareLabels(t *testing.T) {
	reg, h, done := newTestRouter(t)
	srv := httptest.NewServer(h)
	defer srv.Close()

	do := func(method, path string) int {
		t.Helper()
		req, _ := http.NewRequest(method, srv.URL+path, nil)
		resp, err := srv.Client().Do(req)
		if err != nil {
			t.Fatal(err)
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		<-done
		return resp.StatusCode
	}
	for _, p := range []string{"/users/1", "/users/2", "/users/3"} {
		if code := do("GET", p); code != 200 {
			t.Fatalf("GET %s = %d", p, code)
		}
	}
	if code := do("GET", "/no/such/path"); code != 404 {
		t.Fatalf("unmatched = %d", code)
	}
	do("GET", "/another/unknown")
	do("POST", "/users")
	do("GET", "/empty")
	do("GET", "/panic")
	do("GET", "/stream")
	do("GET", "/api/items/42")
	do("BREW", "/users/1")   // non-standard method: chi answers 405
	do("DELETE", "/users/1") // standard method, not routed

	fams := parseExposition(t, scrape(t, reg))
	checks := []struct {
		route, method, status string
		want                  float64
	}{
		{"/users/{id}", "GET", "200", 3},
		{"unmatched", "GET", "404", 2},
		{"/users", "POST", "201", 1},
		{"/empty", "GET", "200", 1},
		{"/panic", "GET", "500", 1},
		{"/stream", "GET", "200", 1},
		{"/api/items/{itemID}", "GET", "204", 1},
		{"unmatched", "OTHER", "405", 1},
	}
	for _, c := range checks {
		got := value(t, fams, "switchboard_http_requests_total", "route", c.route, "method", c.method, "status", c.status)
		if got != c.want {
			t.Errorf("requests{%s %s %s} = %v, want %v", c.route, c.method, c.status, got, c.want)
		}
	}
	if got := value(t, fams, "switchboard_http_request_duration_seconds_count", "route", "/users/{id}", "method", "GET"); got != 3 {
		t.Errorf("duration count = %v", got)
	}
	// Never the raw path.
	for _, f := range fams {
		for _, s := range f.samples {
			if r := s.labels["route"]; strings.Contains(r, "/users/1") || strings.Contains(r, "no/such") {
				t.Errorf("raw path leaked into route label: %q", r)
			}
		}
	}
	// DELETE on a GET-only route: chi replies 405; whatever the pattern, it
	// must be a registered one or "unmatched".
	for _, s := range findFamily(t, fams, "switchboard_http_requests_total").samples {
		if s.labels["method"] == "DELETE" && s.labels["route"] != "/users/{id}" && s.labels["route"] != "unmatched" {
			t.Errorf("DELETE route label %q", s.labels["route"])
		}
	}
}

func TestMiddlewareHijack(t *testing.T) {
	reg, h, done := newTestRouter(t)
	srv := httptest.NewServer(h)
	defer srv.Close()

	conn, err := net.Dial("tcp", srv.Listener.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	io.WriteString(conn, "GET /ws HTTP/1.1\r\nHost: x\r\nConnection: Upgrade\r\nUpgrade: test\r\n\r\n")
	br := bufio.NewReader(conn)
	resp, err := http.ReadResponse(br, nil)
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != http.StatusSwitchingProtocols {
		t.Fatalf("status = %d", resp.StatusCode)
	}
	rest, _ := io.ReadAll(br)
	if string(rest) != "hello" {
		t.Errorf("after upgrade got %q", rest)
	}
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		t.Fatal("request never finished")
	}
	fams := parseExposition(t, scrape(t, reg))
	if got := value(t, fams, "switchboard_http_requests_total", "route", "/ws", "method", "GET", "status", "101"); got != 1 {
		t.Errorf("hijacked request count = %v", got)
	}
}

// A writer without Hijack/Flush support must make the wrapper report
// http.ErrNotSupported rather than panic or pretend to succeed.
func TestWrapperWithoutOptionalInterfaces(t *testing.T) {
	sw := &statusWriter{ResponseWriter: plainWriter{h: http.Header{}}}
	if _, _, err := sw.Hijack(); !errors.Is(err, http.ErrNotSupported) {
		t.Errorf("Hijack err = %v", err)
	}
	if sw.hijacked {
		t.Error("failed hijack recorded as hijacked")
	}
	if err := http.NewResponseController(sw).Flush(); !errors.Is(err, http.ErrNotSupported) {
		t.Errorf("Flush err = %v", err)
	}
	n, err := io.Copy(sw, strings.NewReader("abc")) // exercises ReadFrom fallback
	if n != 3 || err != nil || sw.status != 200 {
		t.Errorf("ReadFrom = %d, %v, status %d", n, err, sw.status)
	}
}

type plainWriter struct{ h http.Header }

func (p plainWriter) Header() http.Header         { return p.h }
func (p plainWriter) Write(b []byte) (int, error) { return len(b), nil }
func (p plainWriter) WriteHeader(int)             {}
