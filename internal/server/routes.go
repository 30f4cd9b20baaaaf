package server

import (
	"net/http"
	"strings"
	"switchboard/docs/api"
	"switchboard/internal/api"
	"switchboard/internal/domain"
	"switchboard/internal/ingest"
	"switchboard/internal/onboarding"
	"switchboard/internal/signup"
	"switchboard/internal/simulator"
	"time"

	"github.com/go-chi/chi/v5"

	"switchboard/internal/account"
	"switchboard/internal/admin"
	"switchboard/internal/agentdesk"
	"switchboard/internal/auth"
	"switchboard/internal/httpx"
	"switchboard/internal/metrics"
	"switchboard/internal/operator"
	"switchboard/internal/realtime"
	"switchboard/internal/ui"
)

// routes lists the whole surface in one place.
func routes(d Deps, rd routeDeps) http.Handler {
	r := chi.NewRouter()
	httpMetrics := metrics.NewHTTPMetrics(d.Metrics)
	metrics.RegisterPgxPool(d.Metrics, d.Pool.Stat)
	r.Use(httpMetrics.Middleware)
	r.Use(httpx.RequestLog(d.Logger, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Error(w, "Internal Server Error", http.StatusInternalServerError)
	})))
	r.Use(httpx.SecurityHeaders(d.Secure))

	// Machine endpoints: no session, no language.
	r.Get("/healthz", func(w http.ResponseWriter, r *http.Request) { _, _ = w.Write([]byte("ok\n")) })
	r.Get("/readyz", readiness(d.Pool, d.Redis, d.Logger))
	r.Handle("/metrics", d.Metrics.Handler())
	r.Handle("/static/*", d.Assets.Handler())

	// Meta's webhooks and the REST API: no browser session, no CSRF; the
	// signature or the API key is the authentication.
	ingest.Routes(r, ingest.Deps{Store: d.Store, Apps: d.Apps, Logger: d.Logger, Metrics: d.Metrics, Stored: d.WebhookStored})
	api.Routes(r, api.Deps{Store: d.Store, Keys: d.APIKeys, Outbound: d.Outbound, Routing: d.Routing, Blobs: d.Blobs, Logger: d.Logger, OpenAPI: apidocs.OpenAPI})
	if d.Sandbox != nil {
		r.Mount("/sandbox/graph", http.StripPrefix("/sandbox/graph", graphOnly(d.Sandbox.Fake.Handler())))
	}

	// Pages: sessions, CSRF and language apply, also to the error pages.
	pageChain := func(h http.HandlerFunc) http.Handler { return limitBody(rd.auth.Load(language(rd.cookies)(h))) }
	r.NotFound(pageChain(func(w http.ResponseWriter, r *http.Request) { rd.fail(w, r, http.StatusNotFound, "error.not_found") }).ServeHTTP)
	r.MethodNotAllowed(pageChain(func(w http.ResponseWriter, r *http.Request) {
		rd.fail(w, r, http.StatusMethodNotAllowed, "error.method_not_allowed")
	}).ServeHTTP)
	r.Group(func(r chi.Router) {
		r.Use(limitBody, rd.auth.Load, language(rd.cookies))
		r.Get("/", func(w http.ResponseWriter, r *http.Request) {
			if p, ok := auth.FromContext(r.Context()); ok {
				http.Redirect(w, r, auth.Home(p.Role), http.StatusSeeOther)
				return
			}
			http.Redirect(w, r, "/login", http.StatusSeeOther)
		})
		surface := ui.Surface{Auth: rd.auth, Cookies: rd.cookies, Shell: rd.shell, Logger: d.Logger, Fail: rd.fail}
		account.Routes(r, account.Deps{Surface: surface, Store: d.Store, Hasher: d.Hasher, Sessions: rd.sessions, Throttle: rd.throttle})
		// Self-service sign-up: its own throttle (keys under "signup:"), 5 valid
		// attempts an hour per e-mail and 10 per address.
		signup.Routes(r, signup.Deps{Surface: surface, Store: d.Store, Sessions: rd.sessions,
			Onboarding: onboarding.NewService(d.Store, d.Hasher, d.Numbers, d.NumberAdded),
			Throttle:   auth.NewThrottle(d.Redis, d.RedisKey+"signup:", time.Hour, 5, 10)})
		var sockets func() int
		if d.Hub != nil {
			sockets = d.Hub.Connections
		}
		operator.Routes(r, operator.Deps{Surface: surface, Store: d.Store, Tenants: d.Tenants, Numbers: d.Numbers, Sockets: sockets, NumberAdded: d.NumberAdded,
			Catalog: d.Catalog,
			Replayed: func() {
				if d.WebhookStored != nil {
					d.WebhookStored()
				}
			}})
		admin.Routes(r, admin.Deps{Surface: surface, Store: d.Store, Numbers: d.Numbers, APIKeys: d.APIKeys, NumberAdded: d.NumberAdded, Catalog: d.Catalog,
			Routing: d.Routing, Origin: d.Origin, Blobs: d.Blobs, Mail: d.Mail, Told: d.publish})
		agentdesk.Routes(r, agentdesk.Deps{Surface: surface, Store: d.Store, Routing: d.Routing, Outbound: d.Outbound, Hub: d.Hub, Receipts: d.Receipts,
			Tokens: realtime.Tokens{RDB: d.Redis, Prefix: d.RedisKey}, Origin: d.Origin, Blobs: d.Blobs})
		r.With(rd.auth.Require(domain.RoleAdmin, domain.RoleAgent)).Get("/media/{id}", handleMedia(d.Store, d.Blobs, surface))
		if d.Sandbox != nil {
			simulator.Routes(r, simulator.Deps{Surface: surface, Store: d.Store, Sandbox: d.Sandbox})
		}
	})
	return r
}

// graphOnly serves the fake's Graph API but not its control API (/_fake/),
// which would let anyone play any number's customers: the simulator drives
// the fake in Go, never over HTTP.
func graphOnly(fake http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.HasPrefix(r.URL.Path, "/_fake") {
			http.NotFound(w, r)
			return
		}
		fake.ServeHTTP(w, r)
	})
}
