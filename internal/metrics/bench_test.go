package metrics

import (
	"io"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/go-chi/chi/v5"
)

// The two benchmarks serve the same chi route, with and without the metrics
// middleware, so their ratio is the middleware's relative cost:
//
//	go test -run '^$' -bench 'Handler|Middleware' -benchmem ./internal/metrics/

func benchRouter(mw func(http.Handler) http.Handler) http.Handler {
	r := chi.NewRouter()
	if mw != nil {
		r.Use(mw)
	}
	r.Get("/users/{id}", func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, "ok")
	})
	return r
}

// discardWriter is a ResponseWriter that costs almost nothing, so the
// benchmark measures routing and instrumentation, not the recorder.
type discardWriter struct{ h http.Header }

func (d *discardWriter) Header() http.Header         { return d.h }
func (d *discardWriter) Write(b []byte) (int, error) { return len(b), nil }
func (d *discardWriter) WriteHeader(int)             {}

func runBench(b *testing.B, h http.Handler) {
	req := httptest.NewRequest(http.MethodGet, "/users/42", nil)
	w := &discardWriter{h: http.Header{}}
	b.ReportAllocs()
	for b.Loop() {
		h.ServeHTTP(w, req)
	}
}

func BenchmarkBareHandler(b *testing.B) {
	runBench(b, benchRouter(nil))
}

func BenchmarkMiddleware(b *testing.B) {
	runBench(b, benchRouter(NewHTTPMetrics(NewRegistry()).Middleware))
}

// Parallel variants show contention on the shared series.
func runBenchParallel(b *testing.B, h http.Handler) {
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		req := httptest.NewRequest(http.MethodGet, "/users/42", nil)
		w := &discardWriter{h: http.Header{}}
		for pb.Next() {
			h.ServeHTTP(w, req)
		}
	})
}

func BenchmarkBareHandlerParallel(b *testing.B) {
	runBenchParallel(b, benchRouter(nil))
}

func BenchmarkMiddlewareParallel(b *testing.B) {
	runBenchParallel(b, benchRouter(NewHTTPMetrics(NewRegistry()).Middleware))
}

func BenchmarkCounterInc(b *testing.B) {
	c := NewRegistry().NewCounterVec("c_total", "c", "route", "method", "status")
	b.ReportAllocs()
	for b.Loop() {
		c.Inc("/users/{id}", "GET", "200")
	}
}

func BenchmarkHistogramObserve(b *testing.B) {
	h := NewRegistry().NewHistogramVec("h", "h", []float64{.005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10}, "route", "method")
	b.ReportAllocs()
	for b.Loop() {
		h.Observe(0.042, "/users/{id}", "GET")
	}
}
