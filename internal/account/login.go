package account

import (
	"errors"
	"math"
	"net/http"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"switchboard/internal/auth"
	"switchboard/internal/domain"
	"switchboard/internal/httpx"
	"switchboard/internal/i18n"
	"switchboard/internal/storage"
	"switchboard/internal/ui"
)

var allRoles = []domain.Role{domain.RoleOperator, domain.RoleAdmin, domain.RoleAgent}

func handleLoginForm(d Deps) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if p, ok := auth.FromContext(r.Context()); ok {
			http.Redirect(w, r, auth.Home(p.Role), http.StatusSeeOther)
			return
		}
		f := ui.NewForm()
		f.Values["next"] = localPath(r.URL.Query().Get("next"), "")
		renderLogin(w, r, d, http.StatusOK, f)
	}
}

func renderLogin(w http.ResponseWriter, r *http.Request, d Deps, status int, f *ui.Form) {
	// The sign-up link is a courtesy: if the switch cannot be read, the
	// page goes without it.
	open, err := d.Store.SelfServiceSignup(r.Context())
	if err != nil {
		d.Logger.WarnContext(r.Context(), "read sign-up switch", "error", err)
	}
	d.Render(w, r, status, LoginPage(d.Shell.Page(w, r, "login.title", "login"), f, open))
}

func handleLogin(d Deps) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		ctx := r.Context()
		f := ui.NewForm()
		email := strings.ToLower(strings.TrimSpace(r.PostFormValue("email")))
		password := r.PostFormValue("password")
		f.Values["email"] = email
		f.Values["next"] = localPath(r.PostFormValue("next"), "")
		switch {
		case email == "":
			f.Fail("email", "form.required")
		case len(email) > 254 || !strings.Contains(email, "@"):
			f.Fail("email", "form.email_invalid")
		}
		switch {
		case password == "":
			f.Fail("password", "form.required")
		case utf8.RuneCountInString(password) > auth.MaxPasswordLen:
			f.Fail("password", "form.too_long")
		}
		if !f.OK() {
			renderLogin(w, r, d, http.StatusUnprocessableEntity, f)
			return
		}
		ip := httpx.ClientIP(r)
		blocked, wait, err := d.Throttle.Attempt(ctx, email, ip)
		if err != nil {
			// Redis holds only what may be lost: without it we still check
			// passwords (the hasher's semaphore bounds the cost), and say so.
			d.Logger.WarnContext(ctx, "sign-in throttle unavailable", "error", err)
		}
		if blocked {
			minutes := int(math.Ceil(wait.Minutes()))
			if minutes < 1 {
				minutes = 1
			}
			w.Header().Set("Retry-After", strconv.Itoa(minutes*60))
			f.Error, f.Arg = "login.throttled", strconv.Itoa(minutes)
			renderLogin(w, r, d, http.StatusTooManyRequests, f)
			return
		}
		u, tenantStatus, err := d.Store.UserForSignIn(ctx, email)
		if err != nil && !errors.Is(err, storage.ErrNotFound) {
			d.Unavailable(w, r, "sign-in lookup", err)
			return
		}
		ok, err := d.Hasher.Verify(ctx, password, u.PasswordHash)
		if err != nil {
			d.Unavailable(w, r, "verify password", err)
			return
		}
		if !ok || !u.Active {
			d.Logger.InfoContext(ctx, "sign-in failed", "ip", ip)
			f.Error = "login.failed"
			renderLogin(w, r, d, http.StatusUnauthorized, f)
			return
		}
		if u.Role != domain.RoleOperator && tenantStatus != domain.TenantActive {
			f.Error = "login.suspended"
			renderLogin(w, r, d, http.StatusForbidden, f)
			return
		}
		_ = d.Throttle.Succeeded(ctx, email, ip)
		// A fresh token at every sign-in (ASVS 3.2.1); an older session in
		// this browser is ended rather than left behind.
		if old, had := auth.FromContext(ctx); had {
			_ = d.Sessions.End(ctx, old)
		}
		token, p, err := d.Sessions.Start(ctx, u, ip, r.UserAgent())
		if err != nil {
			d.Unavailable(w, r, "start session", err)
			return
		}
		d.Cookies.Set(w, "session", token, time.Now().Add(auth.AbsoluteTimeout))
		if lang, ok := i18n.Parse(p.Language); ok {
			d.Cookies.Set(w, "lang", string(lang), httpx.FarFuture())
		}
		d.Logger.InfoContext(ctx, "signed in", "user_id", p.UserID, "role", p.Role)
		http.Redirect(w, r, localPath(f.Values["next"], auth.Home(p.Role)), http.StatusSeeOther)
	}
}

func handleLogout(d Deps) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		p, _ := auth.FromContext(r.Context())
		if err := d.Sessions.End(r.Context(), p); err != nil {
			d.Logger.ErrorContext(r.Context(), "end session", "error", err)
		}
		d.Cookies.Clear(w, "session")
		ui.SetFlash(w, d.Cookies, "info", "flash.signed_out", "")
		http.Redirect(w, r, "/login", http.StatusSeeOther)
	}
}
