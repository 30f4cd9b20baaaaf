package admin

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

func (d Deps) renderAPIKeys(w http.ResponseWriter, r *http.Request, status int, f *ui.Form, newKey string) {
	p, _ := auth.FromContext(r.Context())
	keys, err := d.Store.ListAPIKeys(r.Context(), p.TenantID)
	if err != nil {
		d.Unavailable(w, r, "list api keys", err)
		return
	}
	d.Render(w, r, status, APIKeysPage(d.Shell.Page(w, r, "apikeys.title", "apikeys"), keys, f, newKey))
}

func handleAPIKeys(d Deps) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) { d.renderAPIKeys(w, r, http.StatusOK, ui.NewForm(), "") }
}

// handleAPIKeyCreate issues a key and shows it on the answering page only:
// it is not kept, so it cannot be shown again.
func handleAPIKeyCreate(d Deps) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		p, _ := auth.FromContext(r.Context())
		f := ui.NewForm()
		f.Values["name"] = r.PostFormValue("name")
		key, err := d.APIKeys.Create(r.Context(), p.Actor(httpx.ClientIP(r)), p.TenantID, f.Values["name"])
		var fe *domain.FieldError
		if errors.As(err, &fe) {
			f.Fail(fe.Field, fe.Key)
			d.renderAPIKeys(w, r, http.StatusUnprocessableEntity, f, "")
			return
		} else if err != nil {
			d.Unavailable(w, r, "create api key", err)
			return
		}
		d.renderAPIKeys(w, r, http.StatusCreated, ui.NewForm(), key)
	}
}

func handleAPIKeyRevoke(d Deps) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		p, _ := auth.FromContext(r.Context())
		id := chi.URLParam(r, "id")
		if !domain.ValidID(id) {
			d.NotFound(w, r)
			return
		}
		err := d.Store.RevokeAPIKey(r.Context(), p.Actor(httpx.ClientIP(r)), p.TenantID, id)
		if errors.Is(err, storage.ErrNotFound) {
			d.NotFound(w, r)
			return
		} else if err != nil {
			d.Unavailable(w, r, "revoke api key", err)
			return
		}
		ui.SetFlash(w, d.Cookies, "success", "flash.apikey_revoked", "")
		http.Redirect(w, r, "/admin/api-keys", http.StatusSeeOther)
	}
}
