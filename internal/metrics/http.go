package metrics

import (
	"net/http"
	"strconv"
	"time"

	"github.com/go-chi/chi/v5"
)

// HTTPMetrics instruments HTTP handlers with request counts and latencies.
type HTTPMetrics struct {
	requests *CounterVec   // route, method, status
	duration *HistogramVec // route, method
}

// NewHTTPMetrics registers switchboard_http_requests_total and
// switchboard_http_request_duration_seconds on reg.
func NewHTTPMetrics(reg *Registry) *HTTPMetrics {
	return &HTTPMetrics{
		requests: reg.NewCounterVec("switchboard_http_requests_total",
			"HTTP requests served, by chi route pattern, method and status code.",
			"route", "method", "status"),
		duration: reg.NewHistogramVec("switchboard_http_request_duration_seconds",
			"Time from receiving an HTTP request until its handler returned, by chi route pattern and method.",
			[]float64{.005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10},
			"route", "method"),
	}
}

// Middleware records every request after its handler has returned.
//
// Install it on the root chi router with router.Use(m.Middleware). It reads
// the route pattern from chi's routing context, which only exists inside a
// chi router and is only complete once routing, including any mounted
// sub-routers, has finished, which is why it is read after next.ServeHTTP.
// Wrapped around the router from outside, every request would be labelled
// "unmatched".
//
// Labels are kept to bounded sets so that clients cannot create series at
// will: route is the pattern (never the raw path) or "unmatched", method is
// a standard method or "OTHER", status is the numeric code. With chi v5.5,
// 404s at the root and 405s come out as "unmatched"; a 404 inside a mounted
// sub-router carries the mount pattern (e.g. "/api/*").
//
// Hijacked requests (WebSocket upgrades) are recorded with status 101 and a
// duration covering however long the handler held the connection.
// If the handler panics before writing a header, the request is recorded as
// a 500 and the panic continues up to whatever recovers it.
func (m *HTTPMetrics) Middleware(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		sw := &statusWriter{ResponseWriter: w}
		returned := false
		defer func() {
			status := sw.status
			if status == 0 {
				switch {
				case sw.hijacked:
					status = http.StatusSwitchingProtocols
				case !returned: // panicking
					status = http.StatusInternalServerError
				default: // handler wrote nothing: net/http sends 200
					status = http.StatusOK
				}
			}
			route := chi.RouteContext(r.Context()).RoutePattern() // nil-safe
			if route == "" {
				route = "unmatched"
			}
			method := methodLabel(r.Method)
			m.requests.Inc(route, method, statusLabel(status))
			m.duration.Observe(time.Since(start).Seconds(), route, method)
		}()
		next.ServeHTTP(sw, r)
		returned = true
	})
}

// methodLabel maps the client-chosen method onto a fixed set.
func methodLabel(m string) string {
	switch m {
	case http.MethodGet, http.MethodHead, http.MethodPost, http.MethodPut,
		http.MethodPatch, http.MethodDelete, http.MethodOptions,
		http.MethodConnect, http.MethodTrace:
		return m
	}
	return "OTHER"
}

// statusLabel avoids an allocation per request for the common codes.
func statusLabel(code int) string {
	switch code {
	case 101:
		return "101"
	case 200:
		return "200"
	case 201:
		return "201"
	case 204:
		return "204"
	case 301:
		return "301"
	case 302:
		return "302"
	case 303:
		return "303"
	case 304:
		return "304"
	case 400:
		return "400"
	case 401:
		return "401"
	case 403:
		return "403"
	case 404:
		return "404"
	case 405:
		return "405"
	case 409:
		return "409"
	case 422:
		return "422"
	case 429:
		return "429"
	case 500:
		return "500"
	case 502:
		return "502"
	case 503:
		return "503"
	}
	return strconv.Itoa(code)
}
