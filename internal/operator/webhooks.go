package operator

import (
	"errors"
	"net/http"
	"strconv"
	"time"

	"github.com/go-chi/chi/v5"

	"switchboard/internal/auth"
	"switchboard/internal/domain"
	"switchboard/internal/httpx"
	"switchboard/internal/ui"
)

// handleWebhooks shows the webhook log's counts and the events that could
// not be applied, with why, so the operator can fix and replay them.
func handleWebhooks(d Deps) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		counts, err := d.Store.CountWebhookEvents(r.Context())
		if err != nil {
			d.Unavailable(w, r, "count webhooks", err)
			return
		}
		failed, err := d.Store.ListWebhookEvents(r.Context(), "failed", 100)
		if err != nil {
			d.Unavailable(w, r, "list webhooks", err)
			return
		}
		d.Render(w, r, http.StatusOK, WebhooksPage(d.Shell.Page(w, r, "webhooks.title", "webhooks"), counts, failed))
	}
}

func handleWebhookReplay(d Deps) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		id, err := strconv.ParseInt(chi.URLParam(r, "id"), 10, 64)
		if err != nil || id <= 0 {
			d.NotFound(w, r)
			return
		}
		p, _ := auth.FromContext(r.Context())
		n, err := d.Store.ReplayWebhookEvents(r.Context(), p.Actor(httpx.ClientIP(r)), id, time.Time{})
		if err != nil {
			d.Unavailable(w, r, "replay webhook", err)
			return
		}
		if n == 0 {
			d.NotFound(w, r)
			return
		}
		if d.Replayed != nil {
			d.Replayed()
		}
		ui.SetFlash(w, d.Cookies, "success", "flash.webhook_replayed", "")
		http.Redirect(w, r, "/operator/webhooks", http.StatusSeeOther)
	}
}

func handleApps(d Deps) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) { d.renderApps(w, r, http.StatusOK, ui.NewForm()) }
}

func (d Deps) renderApps(w http.ResponseWriter, r *http.Request, status int, f *ui.Form) {
	apps, err := d.Store.ListMetaApps(r.Context())
	if err != nil {
		d.Unavailable(w, r, "list apps", err)
		return
	}
	d.Render(w, r, status, AppsPage(d.Shell.Page(w, r, "apps.title", "apps"), apps, f))
}

// handleAppCreate registers a further Meta app; its secrets are sealed and
// never shown again.
func handleAppCreate(d Deps) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		p, _ := auth.FromContext(r.Context())
		f := ui.NewForm()
		f.Values["slug"], f.Values["name"] = r.PostFormValue("slug"), r.PostFormValue("name")
		_, err := d.Numbers.RegisterApp(r.Context(), p.Actor(httpx.ClientIP(r)), f.Values["slug"], f.Values["name"],
			r.PostFormValue("app_secret"), r.PostFormValue("verify_token"))
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
