package operator

import (
	"context"
	"errors"
	"net/http"
	"time"

	"github.com/go-chi/chi/v5"

	"switchboard/internal/auth"
	"switchboard/internal/domain"
	"switchboard/internal/httpx"
	"switchboard/internal/storage"
	"switchboard/internal/template"
	"switchboard/internal/ui"
)

// The template review queue (/operator/templates): what administrators of
// every tenant submitted, oldest first. Forwarding sends a template to Meta
// through its number (Catalog.Forward: the Graph API for live numbers, the
// sandbox's fake for sandbox ones); Meta's later decision arrives by
// webhook and reaches the tenant's list through the catalog sync.

// forwardTimeout bounds the Graph call made while the template's row is
// locked.
const forwardTimeout = 30 * time.Second

// reviewRoutes mounts the queue and its action.
func reviewRoutes(r chi.Router, d Deps) {
	r.Get("/templates", handleReviewQueue(d))
	r.Post("/templates/{id}/forward", handleForward(d))
}

// reviewRow is a submitted template with what the operator reads of it.
type reviewRow struct {
	storage.AdminTemplate
	Draft template.Draft
}

func handleReviewQueue(d Deps) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		list, err := d.Store.SubmittedTemplates(r.Context())
		if err != nil {
			d.Unavailable(w, r, "template queue", err)
			return
		}
		rows := make([]reviewRow, 0, len(list))
		for _, t := range list {
			row := reviewRow{AdminTemplate: t, Draft: template.Draft{Category: t.Category}}
			if err := template.FromComponents(t.Draft, &row.Draft); err != nil {
				row.Draft.Body = "" // shown as unreadable
			}
			rows = append(rows, row)
		}
		d.Render(w, r, http.StatusOK, ReviewPage(d.Shell.Page(w, r, "operator.tpl.title", "templates"), rows))
	}
}

// errNoNumber is a submission whose number was removed meanwhile.
var errNoNumber = errors.New("the template's number no longer exists")

func handleForward(d Deps) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		id := chi.URLParam(r, "id")
		if !domain.ValidID(id) {
			d.NotFound(w, r)
			return
		}
		p, _ := auth.FromContext(r.Context())
		out, err := d.Store.ForwardTemplate(r.Context(), p.Actor(httpx.ClientIP(r)), id,
			func(t storage.AdminTemplate) (storage.ForwardOutcome, error) {
				if t.NumberID == "" {
					return storage.ForwardOutcome{}, errNoNumber
				}
				n, err := d.Store.NumberForOperator(r.Context(), t.NumberID)
				if err != nil {
					return storage.ForwardOutcome{}, err
				}
				ctx, cancel := context.WithTimeout(r.Context(), forwardTimeout)
				defer cancel()
				return d.Catalog.Forward(ctx, n, t)
			})
		switch {
		case errors.Is(err, storage.ErrNotFound):
			d.NotFound(w, r)
			return
		case errors.Is(err, storage.ErrTemplateLocked):
			ui.SetFlash(w, d.Cookies, "info", "operator.tpl.already", "")
		case errors.Is(err, errNoNumber):
			ui.SetFlash(w, d.Cookies, "error", "operator.tpl.no_number", "")
		case err != nil:
			d.Logger.WarnContext(r.Context(), "forward template", "template", id, "error", err)
			ui.SetFlash(w, d.Cookies, "error", "operator.tpl.failed", "")
		case out.Refused != "":
			ui.SetFlash(w, d.Cookies, "error", "operator.tpl.refused", out.Refused)
		default:
			ui.SetFlash(w, d.Cookies, "success", "operator.tpl.forwarded", "")
		}
		http.Redirect(w, r, "/operator/templates", http.StatusSeeOther)
	}
}
