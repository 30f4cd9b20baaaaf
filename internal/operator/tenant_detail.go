package operator

import (
	"errors"
	"net/http"
	"strings"

	"github.com/go-chi/chi/v5"

	"switchboard/internal/auth"
	"switchboard/internal/domain"
	"switchboard/internal/httpx"
	"switchboard/internal/storage"
	"switchboard/internal/ui"
)

// tenantView is one tenant as its page shows it: its plan's limits beside
// what it uses, and its numbers.
type tenantView struct {
	Tenant  domain.Tenant
	Plan    domain.Plan
	Usage   storage.Usage
	Numbers []domain.Number
	Plans   []domain.Plan
	Apps    []domain.MetaApp
}

// tenantForms are the tenant page's forms; the one that failed keeps what
// was typed and says why.
type tenantForms struct {
	Plan, Number *ui.Form
}

// loadTenant reads the {id} of the URL as a tenant: 404 for a malformed or
// unknown id.
func (d Deps) loadTenant(w http.ResponseWriter, r *http.Request) (domain.Tenant, bool) {
	id := chi.URLParam(r, "id")
	if !domain.ValidID(id) {
		d.NotFound(w, r)
		return domain.Tenant{}, false
	}
	t, err := d.Store.Tenant(r.Context(), id)
	if errors.Is(err, storage.ErrNotFound) {
		d.NotFound(w, r)
		return t, false
	} else if err != nil {
		d.Unavailable(w, r, "load tenant", err)
		return t, false
	}
	return t, true
}

func handleTenant(d Deps) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		t, ok := d.loadTenant(w, r)
		if !ok {
			return
		}
		d.renderTenant(w, r, http.StatusOK, t, tenantForms{})
	}
}

func (d Deps) renderTenant(w http.ResponseWriter, r *http.Request, status int, t domain.Tenant, f tenantForms) {
	ctx := r.Context()
	v := tenantView{Tenant: t}
	var err error
	if v.Usage, err = d.Store.TenantUsage(ctx, t.ID); err != nil {
		d.Unavailable(w, r, "tenant usage", err)
		return
	}
	if v.Numbers, err = d.Store.ListNumbers(ctx, t.ID); err != nil {
		d.Unavailable(w, r, "list numbers", err)
		return
	}
	if v.Plans, err = d.Store.ListPlans(ctx); err != nil {
		d.Unavailable(w, r, "list plans", err)
		return
	}
	if v.Apps, err = d.Store.ListMetaApps(ctx); err != nil {
		d.Unavailable(w, r, "list apps", err)
		return
	}
	for _, p := range v.Plans {
		if p.ID == t.PlanID {
			v.Plan = p
		}
	}
	if f.Plan == nil {
		f.Plan = ui.NewForm()
		f.Plan.Values["plan_id"] = t.PlanID
	}
	if f.Number == nil {
		f.Number = ui.NewForm()
		f.Number.Values["mode"] = "live"
	}
	d.Render(w, r, status, TenantPage(d.Shell.Page(w, r, "tenants.title", "tenants"), v, f))
}

// handleTenantPlan moves the tenant to another plan. A plan below what the
// tenant already uses is allowed (as lowering a plan's limits is): nothing
// is taken away, only additions are refused, and the page shows the usage
// over the limit in red.
func handleTenantPlan(d Deps) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		t, ok := d.loadTenant(w, r)
		if !ok {
			return
		}
		ctx := r.Context()
		p, _ := auth.FromContext(ctx)
		f := ui.NewForm()
		f.Values["plan_id"] = strings.TrimSpace(r.PostFormValue("plan_id"))
		planID := f.Values["plan_id"]
		if !domain.ValidID(planID) {
			f.Fail("plan_id", "tenant.plan_invalid")
			d.renderTenant(w, r, http.StatusUnprocessableEntity, t, tenantForms{Plan: f})
			return
		}
		if _, err := d.Store.Plan(ctx, planID); errors.Is(err, storage.ErrNotFound) {
			f.Fail("plan_id", "tenant.plan_invalid")
			d.renderTenant(w, r, http.StatusUnprocessableEntity, t, tenantForms{Plan: f})
			return
		} else if err != nil {
			d.Unavailable(w, r, "load plan", err)
			return
		}
		if planID == t.PlanID {
			ui.SetFlash(w, d.Cookies, "success", "operator.tenant.plan_unchanged", "")
			http.Redirect(w, r, "/operator/tenants/"+t.ID, http.StatusSeeOther)
			return
		}
		err := d.Store.SetTenantPlan(ctx, p.Actor(httpx.ClientIP(r)), t.ID, planID)
		if errors.Is(err, storage.ErrNotFound) {
			d.NotFound(w, r)
			return
		} else if err != nil {
			d.Unavailable(w, r, "set tenant plan", err)
			return
		}
		ui.SetFlash(w, d.Cookies, "success", "operator.tenant.plan_changed", "")
		http.Redirect(w, r, "/operator/tenants/"+t.ID, http.StatusSeeOther)
	}
}
