package account

import (
	"net/http"

	"switchboard/internal/auth"
	"switchboard/internal/httpx"
	"switchboard/internal/i18n"
)

// handleLanguage remembers the chosen language in a cookie and, for a
// signed-in user, on the account, so it follows them to other browsers.
func handleLanguage(d Deps) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		lang, ok := i18n.Parse(r.PostFormValue("lang"))
		if !ok {
			d.Fail(w, r, http.StatusBadRequest, "error.bad_language")
			return
		}
		d.Cookies.Set(w, "lang", string(lang), httpx.FarFuture())
		if p, signedIn := auth.FromContext(r.Context()); signedIn {
			if err := d.Store.SetLanguage(r.Context(), p.TenantID, p.UserID, string(lang)); err != nil {
				d.Logger.ErrorContext(r.Context(), "save language", "error", err)
			}
		}
		http.Redirect(w, r, localPath(r.PostFormValue("next"), "/"), http.StatusSeeOther)
	}
}
