package account

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
	"switchboard/internal/storage"
	"switchboard/internal/tenant"
	"switchboard/internal/ui"
)

// The invitation page (/invite/{token}): public, like sign-in, with the
// same CSRF (bound to the pre-session cookie) and the same throttle. The
// invited agent chooses a password under the password-change policy and is
// signed in.

// invitationProblem is the message key and status for a link that does not
// work; "" when it does.
func invitationProblem(err error) (string, int) {
	switch {
	case errors.Is(err, storage.ErrInvitationUsed):
		return "admin.team.invite_used", http.StatusGone
	case errors.Is(err, storage.ErrInvitationExpired):
		return "admin.team.invite_expired_page", http.StatusGone
	case errors.Is(err, storage.ErrNotFound):
		return "admin.team.invite_invalid", http.StatusNotFound
	}
	return "", 0
}

func renderInvite(w http.ResponseWriter, r *http.Request, d Deps, status int, inv storage.Invitation, problem string, f *ui.Form) {
	d.Render(w, r, status, InvitePage(d.Shell.Page(w, r, "admin.team.invite_title", "invite"), r.URL.Path, inv, problem, f))
}

// inviteThrottle counts an attempt at a token (per token and per client
// address, as sign-in counts per account and address) before the token is
// looked up, and answers 429 when past the limit: guessing tokens, by the
// page or by the form, is limited like guessing passwords. It reports
// whether to go on, and the throttle's account key.
func inviteThrottle(w http.ResponseWriter, r *http.Request, d Deps, token string, f *ui.Form) (string, bool) {
	ctx := r.Context()
	account := "invite:-" // what cannot be a token counts per address only
	if auth.InviteTokenHash(token) != nil {
		account = "invite:" + token
	}
	blocked, wait, err := d.Throttle.Attempt(ctx, account, httpx.ClientIP(r))
	if err != nil {
		d.Logger.WarnContext(ctx, "invitation throttle unavailable", "error", err)
	}
	if blocked {
		minutes := max(int(math.Ceil(wait.Minutes())), 1)
		w.Header().Set("Retry-After", strconv.Itoa(minutes*60))
		f.Error, f.Arg = "login.throttled", strconv.Itoa(minutes)
		renderInvite(w, r, d, http.StatusTooManyRequests, storage.Invitation{}, "", f)
		return account, false
	}
	return account, true
}

// lookupInvitation finds the invitation of a token: a problem key and
// status when it does not work.
func lookupInvitation(r *http.Request, d Deps, token string) (storage.Invitation, string, int, error) {
	hash := auth.InviteTokenHash(token)
	if hash == nil {
		return storage.Invitation{}, "admin.team.invite_invalid", http.StatusNotFound, nil
	}
	inv, err := d.Store.InvitationByToken(r.Context(), hash)
	problem, status := invitationProblem(err)
	if problem != "" {
		err = nil
	}
	return inv, problem, status, err
}

func handleInviteForm(d Deps) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		// The token is a credential: no referrer carries it off the page.
		w.Header().Set("Referrer-Policy", "no-referrer")
		token := chi.URLParam(r, "token")
		account, ok := inviteThrottle(w, r, d, token, ui.NewForm())
		if !ok {
			return
		}
		inv, problem, status, err := lookupInvitation(r, d, token)
		switch {
		case err != nil:
			d.Unavailable(w, r, "load invitation", err)
		case problem != "":
			renderInvite(w, r, d, status, inv, problem, ui.NewForm())
		default:
			_ = d.Throttle.Succeeded(r.Context(), account, httpx.ClientIP(r))
			renderInvite(w, r, d, http.StatusOK, inv, "", ui.NewForm())
		}
	}
}

// handleInviteAccept sets the password and signs the agent in. Every
// attempt is counted against the throttle before the token is looked up.
func handleInviteAccept(d Deps) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		ctx := r.Context()
		w.Header().Set("Referrer-Policy", "no-referrer")
		token := chi.URLParam(r, "token")
		f := ui.NewForm()
		next, confirm := r.PostFormValue("new_password"), r.PostFormValue("confirm_password")
		if err := auth.CheckPassword(next); err != nil {
			f.Fail("new_password", "password.invalid")
		} else if next != confirm {
			f.Fail("confirm_password", "password.mismatch")
		}
		account, ok := inviteThrottle(w, r, d, token, f)
		if !ok {
			return
		}
		ip := httpx.ClientIP(r)
		if !f.OK() {
			// Shown again with the errors, unless the link does not work:
			// then that is what matters.
			inv, problem, status, err := lookupInvitation(r, d, token)
			switch {
			case err != nil:
				d.Unavailable(w, r, "load invitation", err)
			case problem != "":
				renderInvite(w, r, d, status, inv, problem, ui.NewForm())
			default:
				_ = d.Throttle.Succeeded(ctx, account, ip)
				renderInvite(w, r, d, http.StatusUnprocessableEntity, inv, "", f)
			}
			return
		}
		u, err := tenant.AcceptInvitation(ctx, d.Store, d.Hasher, token, next, ip)
		if problem, status := invitationProblem(err); problem != "" {
			d.Logger.InfoContext(ctx, "invitation refused", "ip", ip, "reason", problem)
			renderInvite(w, r, d, status, storage.Invitation{}, problem, ui.NewForm())
			return
		} else if err != nil {
			d.Unavailable(w, r, "accept invitation", err)
			return
		}
		_ = d.Throttle.Succeeded(ctx, account, ip)
		if old, had := auth.FromContext(ctx); had {
			_ = d.Sessions.End(ctx, old)
		}
		sessionToken, p, err := d.Sessions.Start(ctx, u, ip, r.UserAgent())
		if err != nil {
			d.Unavailable(w, r, "start session", err)
			return
		}
		d.Cookies.Set(w, "session", sessionToken, time.Now().Add(auth.AbsoluteTimeout))
		if lang, ok := i18n.Parse(p.Language); ok {
			d.Cookies.Set(w, "lang", string(lang), httpx.FarFuture())
		}
		d.Logger.InfoContext(ctx, "invitation accepted, signed in", "user_id", p.UserID, "role", p.Role)
		ui.SetFlash(w, d.Cookies, "success", "admin.team.welcome", "")
		home := auth.Home(p.Role)
		if p.Role != domain.RoleAgent {
			home = "/"
		}
		http.Redirect(w, r, home, http.StatusSeeOther)
	}
}
