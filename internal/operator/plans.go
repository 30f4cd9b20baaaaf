package operator

import (
	"errors"
	"net/http"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/go-chi/chi/v5"

	"switchboard/internal/auth"
	"switchboard/internal/domain"
	"switchboard/internal/httpx"
	"switchboard/internal/storage"
	"switchboard/internal/ui"
)

func handlePlans(d Deps) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		plans, err := d.Store.ListPlans(r.Context())
		if err != nil {
			d.Unavailable(w, r, "list plans", err)
			return
		}
		d.Render(w, r, http.StatusOK, PlansPage(d.Shell.Page(w, r, "plans.title", "plans"), plans))
	}
}

// handlePlanForm shows an empty form (new plan) or the plan's values.
func handlePlanForm(d Deps) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		f := ui.NewForm()
		id := chi.URLParam(r, "id")
		if id != "" {
			if !domain.ValidID(id) {
				d.NotFound(w, r)
				return
			}
			p, err := d.Store.Plan(r.Context(), id)
			if errors.Is(err, storage.ErrNotFound) {
				d.NotFound(w, r)
				return
			} else if err != nil {
				d.Unavailable(w, r, "load plan", err)
				return
			}
			f.Values = map[string]string{"name": p.Name, "max_templates": strconv.Itoa(p.MaxTemplates),
				"max_numbers": strconv.Itoa(p.MaxNumbers), "max_business_conversations": strconv.Itoa(p.MaxBusinessConversations)}
		}
		d.renderPlanForm(w, r, http.StatusOK, id, f)
	}
}

func (d Deps) renderPlanForm(w http.ResponseWriter, r *http.Request, status int, id string, f *ui.Form) {
	title := "plans.new"
	if id != "" {
		title = "plans.edit"
	}
	d.Render(w, r, status, PlanFormPage(d.Shell.Page(w, r, title, "plans"), id, f))
}

func handlePlanSave(d Deps) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		ctx := r.Context()
		id := chi.URLParam(r, "id")
		if id != "" && !domain.ValidID(id) {
			d.NotFound(w, r)
			return
		}
		f := ui.NewForm()
		plan := domain.Plan{ID: id, Name: strings.TrimSpace(r.PostFormValue("name"))}
		f.Values["name"] = plan.Name
		switch {
		case plan.Name == "":
			f.Fail("name", "form.required")
		case utf8.RuneCountInString(plan.Name) > 100:
			f.Fail("name", "form.too_long")
		}
		for _, lim := range []struct {
			field string
			dst   *int
		}{{"max_templates", &plan.MaxTemplates}, {"max_numbers", &plan.MaxNumbers}, {"max_business_conversations", &plan.MaxBusinessConversations}} {
			v := strings.TrimSpace(r.PostFormValue(lim.field))
			f.Values[lim.field] = v
			n, err := strconv.Atoi(v)
			if err != nil || n < 0 || n > 100_000_000 {
				f.Fail(lim.field, "form.whole_number")
				continue
			}
			*lim.dst = n
		}
		if !f.OK() {
			d.renderPlanForm(w, r, http.StatusUnprocessableEntity, id, f)
			return
		}
		p, _ := auth.FromContext(ctx)
		_, err := d.Store.SavePlan(ctx, p.Actor(httpx.ClientIP(r)), plan)
		switch {
		case errors.Is(err, storage.ErrConflict):
			f.Fail("name", "plans.name_taken")
			d.renderPlanForm(w, r, http.StatusConflict, id, f)
			return
		case errors.Is(err, storage.ErrNotFound):
			d.NotFound(w, r)
			return
		case err != nil:
			d.Unavailable(w, r, "save plan", err)
			return
		}
		ui.SetFlash(w, d.Cookies, "success", "flash.plan_saved", plan.Name)
		http.Redirect(w, r, "/operator/plans", http.StatusSeeOther)
	}
}
