package operator

import (
	"errors"
	"net/http"
	"slices"

	"github.com/go-chi/chi/v5"

	"switchboard/internal/auth"
	"switchboard/internal/domain"
	"switchboard/internal/httpx"
	"switchboard/internal/onboarding"
	"switchboard/internal/storage"
	"switchboard/internal/ui"
)

// Applications (/operator/applications): the companies that signed up by
// themselves, by state; each one's questionnaire, timeline and the moves
// the operator makes (in review, waiting for Meta, number connected, or
// rejected with a reason); and the switch that opens or closes sign-up.

func applicationRoutes(r chi.Router, d Deps) {
	r.Get("/applications", handleApplications(d))
	r.Post("/applications/self-service", handleSelfService(d))
	r.Get("/applications/{id}", handleApplication(d))
	r.Post("/applications/{id}/move", handleApplicationMove(d))
}

func handleApplications(d Deps) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		ctx := r.Context()
		state := r.URL.Query().Get("state")
		if state != "" && !slices.Contains(storage.AppStates(), state) {
			state = "" // a filter that names no state shows them all
		}
		list, counts, err := d.Store.ListApplications(ctx, state)
		if err != nil {
			d.Unavailable(w, r, "list applications", err)
			return
		}
		open, err := d.Store.SelfServiceSignup(ctx)
		if err != nil {
			d.Unavailable(w, r, "read sign-up switch", err)
			return
		}
		d.Render(w, r, http.StatusOK, ApplicationsPage(d.Shell.Page(w, r, "onboarding.applications", "applications"), list, counts, state, open))
	}
}

func handleSelfService(d Deps) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		ctx := r.Context()
		p, _ := auth.FromContext(ctx)
		var on bool
		switch r.PostFormValue("enabled") {
		case "true":
			on = true
		case "false":
		default:
			d.Fail(w, r, http.StatusBadRequest, "error.bad_request")
			return
		}
		if err := d.Store.SetSelfServiceSignup(ctx, p.Actor(httpx.ClientIP(r)), on); err != nil {
			d.Unavailable(w, r, "set sign-up switch", err)
			return
		}
		key := "onboarding.signup_closed_now"
		if on {
			key = "onboarding.signup_opened_now"
		}
		ui.SetFlash(w, d.Cookies, "success", key, "")
		http.Redirect(w, r, "/operator/applications", http.StatusSeeOther)
	}
}

func (d Deps) renderApplication(w http.ResponseWriter, r *http.Request, status int, id string, f *ui.Form) {
	a, events, err := d.Store.Application(r.Context(), id)
	if errors.Is(err, storage.ErrNotFound) {
		d.NotFound(w, r)
		return
	} else if err != nil {
		d.Unavailable(w, r, "load application", err)
		return
	}
	if f == nil {
		f = ui.NewForm()
	}
	d.Render(w, r, status, ApplicationPage(d.Shell.Page(w, r, "onboarding.application", "applications"), a, events, f))
}

func handleApplication(d Deps) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		id := chi.URLParam(r, "id")
		if !domain.ValidID(id) {
			d.NotFound(w, r)
			return
		}
		d.renderApplication(w, r, http.StatusOK, id, nil)
	}
}

// handleApplicationMove moves an application from the state the operator
// saw (the form's "from") to "to"; an error is shown beside the form that
// asked, with the note as typed.
func handleApplicationMove(d Deps) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		ctx := r.Context()
		p, _ := auth.FromContext(ctx)
		id := chi.URLParam(r, "id")
		if !domain.ValidID(id) {
			d.NotFound(w, r)
			return
		}
		from, to := r.PostFormValue("from"), r.PostFormValue("to")
		f := ui.NewForm()
		f.Values["to"], f.Values["note"] = to, r.PostFormValue("note")
		note, err := onboarding.CheckMove(from, to, f.Values["note"])
		var fe *domain.FieldError
		if errors.As(err, &fe) {
			if fe.Field == "note" {
				f.Fail("note", fe.Key)
			} else {
				f.Error = fe.Key
			}
			d.renderApplication(w, r, http.StatusUnprocessableEntity, id, f)
			return
		}
		err = d.Store.MoveApplication(ctx, p.Actor(httpx.ClientIP(r)), id, from, to, note)
		switch {
		case errors.Is(err, storage.ErrNotFound):
			d.NotFound(w, r)
			return
		case errors.Is(err, storage.ErrApplicationMoved):
			f.Error = "onboarding.moved_meanwhile"
			d.renderApplication(w, r, http.StatusConflict, id, f)
			return
		case errors.Is(err, storage.ErrNoLiveNumber):
			f.Error = "onboarding.no_live_number"
			d.renderApplication(w, r, http.StatusConflict, id, f)
			return
		case err != nil:
			d.Unavailable(w, r, "move application", err)
			return
		}
		ui.SetFlash(w, d.Cookies, "success", "onboarding.moved", onboarding.StateLabel(ctx, to))
		http.Redirect(w, r, "/operator/applications/"+id, http.StatusSeeOther)
	}
}

// moveNoteLabel is the label of a move's note: a rejection's is its reason.
func moveNoteLabel(to string) string {
	if to == storage.AppRejected {
		return "onboarding.reject_reason"
	}
	return "onboarding.note"
}
