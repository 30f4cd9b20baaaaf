// Package server assembles the HTTP surface: middleware, the routes of every
// console, health, readiness and metrics.
package server

import (
	"context"
	"log/slog"
	"net/http"
	"strings"
	"switchboard/internal/domain"
	"switchboard/internal/outbound"
	"switchboard/internal/sandbox"
	"switchboard/internal/simulator"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/redis/go-redis/v9"

	"switchboard/internal/apikey"
	"switchboard/internal/auth"
	"switchboard/internal/blob"
	"switchboard/internal/httpx"
	"switchboard/internal/i18n"
	"switchboard/internal/ingest"
	"switchboard/internal/mail"
	"switchboard/internal/metrics"
	"switchboard/internal/number"
	"switchboard/internal/realtime"
	"switchboard/internal/routing"
	"switchboard/internal/storage"
	"switchboard/internal/template"
	"switchboard/internal/tenant"
	"switchboard/internal/ui"
	"switchboard/web"
)

// Deps is everything the server needs, passed explicitly.
type Deps struct {
	Logger   *slog.Logger
	Secure   bool // BASE_URL is https
	Secret   []byte
	Pool     *pgxpool.Pool
	Redis    *redis.Client
	RedisKey string // prefix of every Redis key
	Store    *storage.Store
	Hasher   *auth.Hasher
	Tenants  *tenant.Service
	Metrics  *metrics.Registry
	Assets   *web.Assets
	Now      func() time.Time

	Numbers  *number.Service
	APIKeys  *apikey.Service
	Outbound *outbound.Service
	Catalog  *outbound.Catalog
	// Receipts tells WhatsApp what agents have read.
	Receipts outbound.Receipts
	Blobs    blob.Store
	// Apps resolves the Meta app a webhook URL names.
	Apps ingest.Apps
	// WebhookStored is told of each stored webhook (wakes the processor).
	WebhookStored func()
	// NumberAdded is told of each number an administrator or the operator
	// connects.
	NumberAdded func(domain.Number)
	// Mail e-mails invitations; nil without SMTP_ADDR (nothing is sent).
	Mail *mail.Mailer
	// Sandbox is our fake of Meta for sandbox numbers: its Graph API is
	// served at /sandbox/graph/, its customers played at /simulator/.
	Sandbox *sandbox.Sandbox
	// Routing changes presence, closes and transfers conversations.
	Routing *routing.Service
	// Hub is the agents' live channel; Origin (BASE_URL's scheme and
	// host) is the only origin allowed to open it.
	Hub    *realtime.Hub
	Origin string
}

// maxFormBytes bounds every form body; pages post small forms only.
const maxFormBytes = 64 << 10

// New returns the whole HTTP surface as one handler.
func New(d Deps) http.Handler {
	cookies := httpx.Cookies{Secure: d.Secure}
	shell := ui.Shell{CSS: d.Assets.Path("app.css"), Cookies: cookies, Asset: d.Assets.Path}
	fail := func(w http.ResponseWriter, r *http.Request, status int, msgKey string) {
		httpx.Render(w, r, d.Logger, status, ui.ErrorPage(shell.Page(w, r, titleFor(status), "error"), status, msgKey))
	}
	sessions := auth.NewSessions(d.Store, d.Now)
	mw := auth.NewMiddleware(sessions, auth.NewCSRF(d.Secret), cookies, d.Logger, fail)
	throttle := auth.NewThrottle(d.Redis, d.RedisKey, 15*time.Minute, 10, 100)
	return routes(d, routeDeps{cookies: cookies, shell: shell, fail: fail, sessions: sessions, auth: mw, throttle: throttle})
}

type routeDeps struct {
	cookies  httpx.Cookies
	shell    ui.Shell
	fail     auth.FailFunc
	sessions *auth.Sessions
	auth     *auth.Middleware
	throttle *auth.Throttle
}

// language picks the request's language: the signed-in user's choice, then
// the language cookie, then Accept-Language.
func language(cookies httpx.Cookies) func(http.Handler) http.Handler {
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			lang := i18n.Negotiate(r.Header.Get("Accept-Language"))
			if l, ok := i18n.Parse(cookies.Get(r, "lang")); ok {
				lang = l
			}
			if p, ok := auth.FromContext(r.Context()); ok {
				if l, ok := i18n.Parse(p.Language); ok {
					lang = l
				}
			}
			next.ServeHTTP(w, r.WithContext(i18n.WithLang(r.Context(), lang)))
		})
	}
}

// publish sends agent events to the agents' consoles, when there is a hub.
func (d Deps) publish(ctx context.Context, events []storage.AgentEvent) {
	if d.Hub != nil {
		d.Hub.Publish(ctx, events)
	}
}

// limitBody caps request bodies so a huge form cannot exhaust memory. The
// simulator's attachments, the files agents attach, contacts' CSV files,
// keyword rules' files and templates' header samples are the places a page
// takes files.
func limitBody(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		limit := int64(maxFormBytes)
		if strings.HasPrefix(r.URL.Path, "/simulator/") {
			limit = simulator.MaxUpload + 1<<20
		}
		if strings.HasPrefix(r.URL.Path, "/admin/contacts/import") {
			limit = storage.MaxImportBytes + 1<<20 // a contacts CSV file
		}
		if strings.HasPrefix(r.URL.Path, "/agent/conversations/") && strings.HasSuffix(r.URL.Path, "/media") {
			limit = outbound.MaxUpload + 1<<20
		}
		if strings.HasPrefix(r.URL.Path, "/admin/rules") {
			limit = outbound.MaxUpload + 1<<20 // a keyword rule's file
		}
		if strings.HasPrefix(r.URL.Path, "/admin/templates") {
			limit = template.MaxSample + 1<<20 // a media header's sample file
		}
		r.Body = http.MaxBytesReader(w, r.Body, limit)
		next.ServeHTTP(w, r)
	})
}

func titleFor(status int) string {
	switch status {
	case http.StatusForbidden:
		return "error.forbidden_title"
	case http.StatusNotFound:
		return "error.not_found_title"
	case http.StatusUnauthorized:
		return "error.signin_required_title"
	case http.StatusBadRequest, http.StatusRequestEntityTooLarge, http.StatusMethodNotAllowed:
		return "error.bad_request_title"
	default:
		return "error.unavailable_title"
	}
}

// readiness reports which dependency is unreachable: by name only, for
// anyone may ask; the driver's error goes to the log.
func readiness(pool *pgxpool.Pool, rdb *redis.Client, logger *slog.Logger) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		ctx, cancel := context.WithTimeout(r.Context(), 2*time.Second)
		defer cancel()
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		w.Header().Set("Cache-Control", "no-store")
		var down []string
		if err := pool.Ping(ctx); err != nil {
			logger.WarnContext(ctx, "not ready: postgres", "error", err)
			down = append(down, "postgres")
		}
		if err := rdb.Ping(ctx).Err(); err != nil {
			logger.WarnContext(ctx, "not ready: redis", "error", err)
			down = append(down, "redis")
		}
		if len(down) > 0 {
			w.WriteHeader(http.StatusServiceUnavailable)
			for _, d := range down {
				_, _ = w.Write([]byte("unavailable: " + d + "\n"))
			}
			return
		}
		_, _ = w.Write([]byte("ready\n"))
	}
}
