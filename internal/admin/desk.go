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

// The agent desk's settings (/admin/settings/desk): the tenant's shared
// canned replies and its close outcomes, each change audited by the store;
// and the administrator's private notes on a conversation.

// deskForms are the page's forms; the one that failed shows its errors.
type deskForms struct {
	Outcome *ui.Form
	Canned  *ui.Form
	Editing string // the id of the shared reply whose edit failed
}

func (d Deps) renderDeskSettings(w http.ResponseWriter, r *http.Request, status int, f deskForms) {
	p, _ := auth.FromContext(r.Context())
	outcomes, err := d.Store.ListOutcomes(r.Context(), p.TenantID)
	if err != nil {
		d.Unavailable(w, r, "list outcomes", err)
		return
	}
	canned, err := d.Store.ListCanned(r.Context(), p.TenantID, "")
	if err != nil {
		d.Unavailable(w, r, "list canned replies", err)
		return
	}
	if f.Outcome == nil {
		f.Outcome = ui.NewForm()
	}
	if f.Canned == nil {
		f.Canned = ui.NewForm()
	}
	page := d.Shell.Page(w, r, "agent.desk_settings", "settings") // reached from the settings page
	d.Render(w, r, status, DeskSettingsPage(page, outcomes, canned, f))
}

func handleDeskSettings(d Deps) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) { d.renderDeskSettings(w, r, http.StatusOK, deskForms{}) }
}

// deskDone redirects back to the settings with a flash, or shows the form
// again with the field's error; an unknown id is 404.
func (d Deps) deskDone(w http.ResponseWriter, r *http.Request, err error, f deskForms, form *ui.Form, okKey string) {
	var fe *domain.FieldError
	switch {
	case errors.As(err, &fe):
		form.Fail(fe.Field, fe.Key)
		d.renderDeskSettings(w, r, http.StatusUnprocessableEntity, f)
	case errors.Is(err, storage.ErrNotFound):
		d.NotFound(w, r)
	case err != nil:
		d.Unavailable(w, r, "desk settings", err)
	default:
		ui.SetFlash(w, d.Cookies, "success", okKey, "")
		http.Redirect(w, r, "/admin/settings/desk", http.StatusSeeOther)
	}
}

func handleOutcomeCreate(d Deps) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		p, _ := auth.FromContext(r.Context())
		f := deskForms{Outcome: ui.NewForm()}
		f.Outcome.Values["name"] = r.PostFormValue("name")
		_, err := d.Store.CreateOutcome(r.Context(), p.TenantID, p.Actor(httpx.ClientIP(r)), f.Outcome.Values["name"])
		d.deskDone(w, r, err, f, f.Outcome, "agent.outcome_saved")
	}
}

func handleOutcomeDelete(d Deps) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		p, _ := auth.FromContext(r.Context())
		err := d.Store.DeleteOutcome(r.Context(), p.TenantID, p.Actor(httpx.ClientIP(r)), chi.URLParam(r, "id"))
		d.deskDone(w, r, err, deskForms{}, nil, "agent.outcome_deleted")
	}
}

// handleSharedCannedSave adds a shared reply (no id) or changes one.
func handleSharedCannedSave(d Deps) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		p, _ := auth.FromContext(r.Context())
		id := chi.URLParam(r, "id")
		f := deskForms{Canned: ui.NewForm(), Editing: id}
		f.Canned.Values["shortcut"], f.Canned.Values["body"] = r.PostFormValue("shortcut"), r.PostFormValue("body")
		actor := p.Actor(httpx.ClientIP(r))
		var err error
		if id == "" {
			_, err = d.Store.CreateCanned(r.Context(), p.TenantID, actor, "", f.Canned.Values["shortcut"], f.Canned.Values["body"])
		} else {
			err = d.Store.UpdateCanned(r.Context(), p.TenantID, actor, "", id, f.Canned.Values["shortcut"], f.Canned.Values["body"])
		}
		d.deskDone(w, r, err, f, f.Canned, "agent.canned_saved")
	}
}

func handleSharedCannedDelete(d Deps) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		p, _ := auth.FromContext(r.Context())
		err := d.Store.DeleteCanned(r.Context(), p.TenantID, p.Actor(httpx.ClientIP(r)), "", chi.URLParam(r, "id"))
		d.deskDone(w, r, err, deskForms{}, nil, "agent.canned_deleted")
	}
}

// handleConversationNote adds the administrator's private note to any of
// the tenant's conversations; another tenant's is 404.
func handleConversationNote(d Deps) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		p, _ := auth.FromContext(r.Context())
		id := chi.URLParam(r, "id")
		_, told, err := d.Store.AddNote(r.Context(), p.TenantID, id, p.UserID, r.PostFormValue("body"))
		if err == nil && d.Told != nil {
			d.Told(r.Context(), told) // the agent holding it sees the note at once
		}
		var fe *domain.FieldError
		switch {
		case errors.As(err, &fe):
			ui.SetFlash(w, d.Cookies, "error", fe.Key, "")
		case errors.Is(err, storage.ErrNotFound):
			d.NotFound(w, r)
			return
		case err != nil:
			d.Unavailable(w, r, "add note", err)
			return
		default:
			ui.SetFlash(w, d.Cookies, "success", "agent.note_saved", "")
		}
		http.Redirect(w, r, "/admin/conversations/"+id, http.StatusSeeOther)
	}
}

// deskRoutes mounts the desk settings and notes under /admin.
func deskRoutes(r chi.Router, d Deps) {
	r.Get("/settings/desk", handleDeskSettings(d))
	r.Post("/settings/desk/outcomes", handleOutcomeCreate(d))
	r.Post("/settings/desk/outcomes/{id}/delete", handleOutcomeDelete(d))
	r.Post("/settings/desk/canned", handleSharedCannedSave(d))
	r.Post("/settings/desk/canned/{id}", handleSharedCannedSave(d))
	r.Post("/settings/desk/canned/{id}/delete", handleSharedCannedDelete(d))
	r.Post("/conversations/{id}/notes", handleConversationNote(d))
}
