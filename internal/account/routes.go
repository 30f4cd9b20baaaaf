// Package account is the surface every user shares: signing in and out,
// changing one's password, seeing and ending one's sessions, and choosing the
// interface language.
package account

import (
	"net/url"
	"strings"

	"github.com/go-chi/chi/v5"

	"switchboard/internal/auth"
	"switchboard/internal/storage"
	"switchboard/internal/ui"
)

// Deps are the account surface's dependencies.
type Deps struct {
	ui.Surface
	Store    *storage.Store
	Hasher   *auth.Hasher
	Sessions *auth.Sessions
	Throttle *auth.Throttle
}

// Routes mounts the account pages on r.
func Routes(r chi.Router, d Deps) {
	r.Get("/login", handleLoginForm(d))
	r.Post("/login", handleLogin(d))
	r.Get("/invite/{token}", handleInviteForm(d)) // an invited agent chooses a password: invite.go
	r.Post("/invite/{token}", handleInviteAccept(d))
	r.Post("/language", handleLanguage(d))
	r.Group(func(r chi.Router) {
		r.Use(d.Auth.Require(allRoles...))
		r.Post("/logout", handleLogout(d))
		r.Get("/account/password", handlePasswordForm(d))
		r.Post("/account/password", handlePasswordChange(d))
		r.Get("/account/sessions", handleSessions(d))
		r.Post("/account/sessions/{id}/revoke", handleRevokeSession(d))
	})
}

// localPath keeps a redirect target on this site: a path, never "//host" or
// a full URL, so ?next= cannot send a user elsewhere.
func localPath(next, fallback string) string {
	if next == "" || len(next) > 500 || !strings.HasPrefix(next, "/") {
		return fallback
	}
	// Browsers drop tabs and newlines and read "\\" as "/": "/\t/evil"
	// would become "//evil". Refuse any control character, space or
	// backslash, then require a bare path.
	for _, c := range next {
		if c < 0x20 || c == 0x7f || c == ' ' || c == '\\' {
			return fallback
		}
	}
	u, err := url.Parse(next)
	if err != nil || u.Scheme != "" || u.Host != "" || u.User != nil || strings.HasPrefix(u.Path, "//") || strings.HasPrefix(next, "//") {
		return fallback
	}
	return next
}
