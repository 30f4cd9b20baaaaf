package operator

import (
	"net/http"
	"strconv"
	"time"

	"github.com/go-chi/chi/v5"

	"switchboard/internal/auth"
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
