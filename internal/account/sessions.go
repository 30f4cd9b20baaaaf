package account

import (
	"errors"
	"net/http"

	"github.com/go-chi/chi/v5"

	"switchboard/internal/auth"
	"switchboard/internal/domain"
	"switchboard/internal/storage"
	"switchboard/internal/ui"
)

func handleSessions(d Deps) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		ctx := r.Context()
		p, _ := auth.FromContext(ctx)
		list, err := d.Store.ListSessions(ctx, p.TenantID, p.UserID)
		if err != nil {
			d.Unavailable(w, r, "list sessions", err)
			return
		}
		for i := range list {
			list[i].Current = list[i].ID == p.SessionID
		}
		d.Render(w, r, http.StatusOK, SessionsPage(d.Shell.Page(w, r, "sessions.title", "account"), list))
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
			d.NotFound(w, r)
			return
		}
		err := d.Store.DeleteSession(ctx, p.TenantID, p.UserID, id)
		switch {
		case errors.Is(err, storage.ErrNotFound):
			d.NotFound(w, r)
			return
		case err != nil:
			d.Unavailable(w, r, "revoke session", err)
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
