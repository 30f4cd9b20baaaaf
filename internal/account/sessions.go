package account

import (
	"errors"
	"net/http"

	"github.com/go-chi/chi/v5"

	"switchboard/internal/auth"
	"switchboard/internal/domain"
	"switchboard/internal/httpx"
	"switchboard/internal/storage"
	"switchboard/internal/ui"
)

func handleSessions(d Deps) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		ctx := r.Context()
		p, _ := auth.FromContext(ctx)
		list, err := d.Store.ListSessions(ctx, p.TenantID, p.UserID)
		if err != nil {
			d.Logger.ErrorContext(ctx, "list sessions", "error", err)
			d.Fail(w, r, http.StatusServiceUnavailable, "error.unavailable")
			return
		}
		for i := range list {
			list[i].Current = list[i].ID == p.SessionID
		}
		httpx.Render(w, r, d.Logger, http.StatusOK, SessionsPage(d.Shell.Page(w, r, "sessions.title", "account"), list))
	}
}

// handleRevokeSession ends one of the user's own sessions; ending the current
// one signs this browser out.
func handleRevokeSession(d Deps) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		ctx := r.Context()
		p, _ := auth.FromContext(ctx)
		id := chi.URLParam(r, "id")
		if !domain.ValidID(id) {
			d.Fail(w, r, http.StatusNotFound, "error.not_found")
			return
		}
		err := d.Store.DeleteSession(ctx, p.TenantID, p.UserID, id)
		switch {
		case errors.Is(err, storage.ErrNotFound):
			d.Fail(w, r, http.StatusNotFound, "error.not_found")
			return
		case err != nil:
			d.Logger.ErrorContext(ctx, "revoke session", "error", err)
			d.Fail(w, r, http.StatusServiceUnavailable, "error.unavailable")
			return
		}
		if id == p.SessionID {
			d.Cookies.Clear(w, "session")
			ui.SetFlash(w, d.Cookies, "info", "flash.signed_out", "")
			http.Redirect(w, r, "/login", http.StatusSeeOther)
			return
		}
		ui.SetFlash(w, d.Cookies, "success", "flash.session_revoked", "")
		http.Redirect(w, r, "/account/sessions", http.StatusSeeOther)
	}
}
