// Package signup is the public sign-up page (/signup): when the operator
// allows self-service sign-up, a company picks a plan, answers the
// questionnaire and creates its first administrator, who is signed in and
// lands on the onboarding page with a sandbox number to try at once.
package signup

import (
	"errors"
	"math"
	"net/http"
	"strconv"
	"time"

	"github.com/go-chi/chi/v5"

	"switchboard/internal/auth"
	"switchboard/internal/domain"
	"switchboard/internal/httpx"
	"switchboard/internal/i18n"
	"switchboard/internal/onboarding"
	"switchboard/internal/storage"
	"switchboard/internal/ui"
)

// Deps are the sign-up page's dependencies.
type Deps struct {
	ui.Surface
	Store      *storage.Store
	Onboarding *onboarding.Service
	Sessions   *auth.Sessions
	// Throttle counts sign-ups per e-mail and per client address (its own
	// keys and limits, not sign-in's).
	Throttle *auth.Throttle
}

// Routes mounts /signup; it is public, like sign-in, with the same CSRF
// binding to the pre-session cookie.
func Routes(r chi.Router, d Deps) {
	r.Get("/signup", handleForm(d))
	r.Post("/signup", handleSubmit(d))
}

// open reports whether sign-up is open, answering the closed page (with
// status) when it is not.
func (d Deps) open(w http.ResponseWriter, r *http.Request, status int) bool {
	on, err := d.Store.SelfServiceSignup(r.Context())
	if err != nil {
		d.Unavailable(w, r, "read sign-up switch", err)
		return false
	}
	if !on {
		d.Render(w, r, status, ClosedPage(d.Shell.Page(w, r, "onboarding.closed_title", "signup")))
	}
	return on
}

func (d Deps) render(w http.ResponseWriter, r *http.Request, status int, f *ui.Form) {
	plans, err := d.Store.ListPlans(r.Context())
	if err != nil {
		d.Unavailable(w, r, "list plans", err)
		return
	}
	d.Render(w, r, status, SignupPage(d.Shell.Page(w, r, "onboarding.signup_title", "signup"), f, plans))
}

func handleForm(d Deps) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if p, ok := auth.FromContext(r.Context()); ok {
			http.Redirect(w, r, auth.Home(p.Role), http.StatusSeeOther)
			return
		}
		if !d.open(w, r, http.StatusOK) {
			return
		}
		d.render(w, r, http.StatusOK, ui.NewForm())
	}
}

func handleSubmit(d Deps) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		ctx := r.Context()
		if !d.open(w, r, http.StatusForbidden) {
			return
		}
		in, typed, errs := onboarding.ParseSignup(r.PostForm)
		f := ui.FormOf(typed, errs)
		if !f.OK() {
			d.render(w, r, http.StatusUnprocessableEntity, f)
			return
		}
		// Counted once the form is valid: each such attempt costs a
		// password hash and may create a tenant.
		ip := httpx.ClientIP(r)
		blocked, wait, err := d.Throttle.Attempt(ctx, in.AdminEmail, ip)
		if err != nil {
			d.Logger.WarnContext(ctx, "sign-up throttle unavailable", "error", err)
		}
		if blocked {
			minutes := max(int(math.Ceil(wait.Minutes())), 1)
			w.Header().Set("Retry-After", strconv.Itoa(minutes*60))
			f.Error, f.Arg = "onboarding.throttled", strconv.Itoa(minutes)
			d.render(w, r, http.StatusTooManyRequests, f)
			return
		}
		res, err := d.Onboarding.SignUp(ctx, storage.Actor{IP: ip}, in, i18n.T(ctx, "onboarding.default_skillset"))
		var fe *domain.FieldError
		switch {
		case errors.As(err, &fe):
			f.Fail(fe.Field, fe.Key)
			d.render(w, r, http.StatusConflict, f)
			return
		case errors.Is(err, storage.ErrSignupClosed):
			d.Render(w, r, http.StatusForbidden, ClosedPage(d.Shell.Page(w, r, "onboarding.closed_title", "signup")))
			return
		case err != nil:
			d.Unavailable(w, r, "sign up", err)
			return
		}
		if res.SandboxErr != nil {
			d.Logger.WarnContext(ctx, "sign-up: no sandbox number", "tenant_id", res.Tenant.ID, "error", res.SandboxErr)
		}
		d.Logger.InfoContext(ctx, "signed up", "tenant_id", res.Tenant.ID, "user_id", res.Admin.ID)
		// A fresh session for the new administrator; one this browser had
		// is ended rather than left behind (as sign-in does).
		if old, had := auth.FromContext(ctx); had {
			_ = d.Sessions.End(ctx, old)
		}
		token, p, err := d.Sessions.Start(ctx, res.Admin, ip, r.UserAgent())
		if err != nil {
			// The tenant exists; the administrator signs in by hand.
			d.Logger.ErrorContext(ctx, "start session after sign-up", "error", err)
			ui.SetFlash(w, d.Cookies, "success", "onboarding.signed_up_sign_in", "")
			http.Redirect(w, r, "/login?next=/admin/onboarding", http.StatusSeeOther)
			return
		}
		d.Cookies.Set(w, "session", token, time.Now().Add(auth.AbsoluteTimeout))
		if lang, ok := i18n.Parse(p.Language); ok {
			d.Cookies.Set(w, "lang", string(lang), httpx.FarFuture())
		}
		ui.SetFlash(w, d.Cookies, "success", "onboarding.welcome", res.Tenant.Name)
		http.Redirect(w, r, "/admin/onboarding", http.StatusSeeOther)
	}
}
