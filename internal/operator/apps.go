package operator

import (
	"errors"
	"net/http"

	"github.com/go-chi/chi/v5"

	"switchboard/internal/auth"
	"switchboard/internal/domain"
	"switchboard/internal/httpx"
	"switchboard/internal/number"
	"switchboard/internal/storage"
	"switchboard/internal/ui"
)

// Meta apps other than the platform's own: registered with Meta's App ID
// and their secrets, edited with the secrets replace-only (the page never
// shows them back), each with the numbers that receive webhooks through it.

func handleApps(d Deps) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) { d.renderApps(w, r, http.StatusOK, ui.NewForm()) }
}

func (d Deps) renderApps(w http.ResponseWriter, r *http.Request, status int, f *ui.Form) {
	apps, err := d.Store.ListMetaApps(r.Context())
	if err != nil {
		d.Unavailable(w, r, "list apps", err)
		return
	}
	numbers, err := d.Store.ListAppNumbers(r.Context())
	if err != nil {
		d.Unavailable(w, r, "list app numbers", err)
		return
	}
	d.Render(w, r, status, AppsPage(d.Shell.Page(w, r, "apps.title", "apps"), apps, numbers, f))
}

// handleAppCreate registers a further Meta app; its secrets are sealed and
// never shown again.
func handleAppCreate(d Deps) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		p, _ := auth.FromContext(r.Context())
		f := ui.NewForm()
		for _, k := range []string{"slug", "name", "meta_app_id"} {
			f.Values[k] = r.PostFormValue(k)
		}
		_, err := d.Numbers.CreateApp(r.Context(), p.Actor(httpx.ClientIP(r)), number.AppInput{Slug: f.Values["slug"],
			Name: f.Values["name"], MetaAppID: f.Values["meta_app_id"],
			AppSecret: r.PostFormValue("app_secret"), VerifyToken: r.PostFormValue("verify_token")})
		var fe *domain.FieldError
		if errors.As(err, &fe) {
			f.Fail(fe.Field, fe.Key)
			d.renderApps(w, r, http.StatusUnprocessableEntity, f)
			return
		} else if err != nil {
			d.Unavailable(w, r, "register app", err)
			return
		}
		ui.SetFlash(w, d.Cookies, "success", "flash.app_registered", f.Values["slug"])
		http.Redirect(w, r, "/operator/apps", http.StatusSeeOther)
	}
}

func (d Deps) loadApp(w http.ResponseWriter, r *http.Request) (domain.MetaApp, bool) {
	id := chi.URLParam(r, "id")
	if !domain.ValidID(id) {
		d.NotFound(w, r)
		return domain.MetaApp{}, false
	}
	a, err := d.Store.MetaApp(r.Context(), id)
	if errors.Is(err, storage.ErrNotFound) {
		d.NotFound(w, r)
		return a, false
	} else if err != nil {
		d.Unavailable(w, r, "load app", err)
		return a, false
	}
	return a, true
}

func handleAppForm(d Deps) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		a, ok := d.loadApp(w, r)
		if !ok {
			return
		}
		f := ui.NewForm()
		f.Values["name"], f.Values["meta_app_id"] = a.Name, a.MetaAppID
		d.Render(w, r, http.StatusOK, AppFormPage(d.Shell.Page(w, r, "operator.apps.edit", "apps"), a, f))
	}
}

// handleAppUpdate saves an app's name and Meta App ID and replaces the
// secrets typed (empty ones are kept). Webhooks read the app at each
// request, so the next handshake or POST already uses the new values.
func handleAppUpdate(d Deps) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		a, ok := d.loadApp(w, r)
		if !ok {
			return
		}
		p, _ := auth.FromContext(r.Context())
		f := ui.NewForm()
		f.Values["name"], f.Values["meta_app_id"] = r.PostFormValue("name"), r.PostFormValue("meta_app_id")
		err := d.Numbers.UpdateApp(r.Context(), p.Actor(httpx.ClientIP(r)), a.ID, number.AppInput{Name: f.Values["name"],
			MetaAppID: f.Values["meta_app_id"], AppSecret: r.PostFormValue("app_secret"), VerifyToken: r.PostFormValue("verify_token")})
		var fe *domain.FieldError
		switch {
		case errors.As(err, &fe):
			f.Fail(fe.Field, fe.Key)
			d.Render(w, r, http.StatusUnprocessableEntity, AppFormPage(d.Shell.Page(w, r, "operator.apps.edit", "apps"), a, f))
			return
		case errors.Is(err, storage.ErrNotFound):
			d.NotFound(w, r)
			return
		case err != nil:
			d.Unavailable(w, r, "update app", err)
			return
		}
		ui.SetFlash(w, d.Cookies, "success", "operator.apps.saved", a.Slug)
		http.Redirect(w, r, "/operator/apps", http.StatusSeeOther)
	}
}
