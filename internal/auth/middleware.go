package auth

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"log/slog"
	"mime"
	"net/http"
	"net/url"
	"slices"

	"switchboard/internal/domain"
	"switchboard/internal/httpx"
)

// FailFunc renders an error page with a status and a message key; the server
// passes one in so this package need not know the pages.
type FailFunc func(w http.ResponseWriter, r *http.Request, status int, msgKey string)

// Middleware resolves the session cookie and enforces CSRF tokens.
type Middleware struct {
	sessions *Sessions
	csrf     *CSRF
	cookies  httpx.Cookies
	logger   *slog.Logger
	fail     FailFunc
}

// NewMiddleware wires the session and CSRF middleware.
func NewMiddleware(sessions *Sessions, csrf *CSRF, cookies httpx.Cookies, logger *slog.Logger, fail FailFunc) *Middleware {
	return &Middleware{sessions: sessions, csrf: csrf, cookies: cookies, logger: logger, fail: fail}
}

type principalKey struct{}
type csrfKey struct{}

// FromContext returns the signed-in principal, if any.
func FromContext(ctx context.Context) (Principal, bool) {
	p, ok := ctx.Value(principalKey{}).(Principal)
	return p, ok
}

// CSRFToken returns the token the request's forms must carry.
func CSRFToken(ctx context.Context) string {
	t, _ := ctx.Value(csrfKey{}).(string)
	return t
}

// WithPrincipal returns ctx carrying p (used by Load, and by tests of pages).
func WithPrincipal(ctx context.Context, p Principal) context.Context {
	return context.WithValue(ctx, principalKey{}, p)
}

// Load puts the principal (when the session cookie is valid) and the CSRF
// token in the context, and refuses state-changing requests without a valid
// CSRF token with 403. A browser without a session gets a random pre-session
// cookie to bind the sign-in form's token to.
func (m *Middleware) Load(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ctx := r.Context()
		binding := ""
		if token := m.cookies.Get(r, "session"); token != "" {
			p, err := m.sessions.Resolve(ctx, token)
			switch {
			case err == nil:
				ctx = WithPrincipal(ctx, p)
				binding = "session:" + p.SessionID
			case errors.Is(err, ErrNoSession):
				m.cookies.Clear(w, "session")
			default:
				m.logger.ErrorContext(ctx, "resolve session", "error", err)
				m.fail(w, r, http.StatusServiceUnavailable, "error.unavailable")
				return
			}
		}
		if binding == "" {
			pre := m.cookies.Get(r, "csrf")
			if len(pre) != 22 {
				pre = randomToken()
				m.cookies.Set(w, "csrf", pre, httpx.FarFuture())
			}
			binding = "pre:" + pre
		}
		ctx = context.WithValue(ctx, csrfKey{}, m.csrf.Token(binding))
		r = r.WithContext(ctx)
		if !safeMethod(r.Method) {
			parse := r.ParseForm
			if ct, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type")); ct == "multipart/form-data" {
				// Uploads: ParseForm would not read the token from the
				// body. The body's size is already capped (limitBody).
				parse = func() error { return r.ParseMultipartForm(8 << 20) }
			}
			if err := parse(); err != nil {
				var tooBig *http.MaxBytesError
				if errors.As(err, &tooBig) {
					m.fail(w, r, http.StatusRequestEntityTooLarge, "error.too_large")
					return
				}
				m.fail(w, r, http.StatusBadRequest, "error.bad_request")
				return
			}
			token := r.Header.Get("X-CSRF-Token")
			if token == "" {
				token = r.PostFormValue("csrf_token")
			}
			if !m.csrf.Valid(binding, token) {
				m.fail(w, r, http.StatusForbidden, "error.csrf")
				return
			}
		}
		next.ServeHTTP(w, r)
	})
}

// Require lets only signed-in users with one of roles through: no session
// redirects to the sign-in page (coming back afterwards), a wrong role is 403.
func (m *Middleware) Require(roles ...domain.Role) func(http.Handler) http.Handler {
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			p, ok := FromContext(r.Context())
			if !ok {
				if r.Method == http.MethodGet {
					http.Redirect(w, r, "/login?next="+url.QueryEscape(r.URL.RequestURI()), http.StatusSeeOther)
					return
				}
				m.fail(w, r, http.StatusUnauthorized, "error.signin_required")
				return
			}
			if !slices.Contains(roles, p.Role) {
				m.fail(w, r, http.StatusForbidden, "error.forbidden")
				return
			}
			next.ServeHTTP(w, r)
		})
	}
}

// Home is where each role lands after signing in.
func Home(role domain.Role) string {
	switch role {
	case domain.RoleOperator:
		return "/operator/tenants"
	case domain.RoleAdmin:
		return "/admin"
	default:
		return "/agent"
	}
}

func safeMethod(m string) bool {
	return m == http.MethodGet || m == http.MethodHead || m == http.MethodOptions
}

func randomToken() string {
	b := make([]byte, 16)
	_, _ = rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}
