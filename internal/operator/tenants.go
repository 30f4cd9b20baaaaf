package operator

import (
	"errors"
	"net/http"

	"github.com/go-chi/chi/v5"

	"switchboard/internal/auth"
	"switchboard/internal/domain"
	"switchboard/internal/httpx"
	"switchboard/internal/storage"
	"switchboard/internal/tenant"
	"switchboard/internal/ui"
)

func handleTenants(d Deps) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		list, err := d.Store.ListTenants(r.Context())
		if err != nil {
			d.Unavailable(w, r, "list tenants", err)
			return
		}
		// Numbers whose token Meta refused: their tenants cannot send
		// until credentials are replaced.
		disconnected, err := d.Store.DisconnectedNumbers(r.Context())
		if err != nil {
			d.Unavailable(w, r, "list disconnected numbers", err)
			return
		}
		usage, err := d.Store.ListTenantUsage(r.Context())
		if err != nil {
			d.Unavailable(w, r, "tenant usage", err)
			return
		}
		plans, err := d.Store.ListPlans(r.Context())
		if err != nil {
			d.Unavailable(w, r, "list plans", err)
			return
		}
		byID := make(map[string]domain.Plan, len(plans))
		for _, p := range plans {
			byID[p.ID] = p
		}
		d.Render(w, r, http.StatusOK, TenantsPage(d.Shell.Page(w, r, "tenants.title", "tenants"), list, disconnected, usage, byID))
	}
}

func handleTenantForm(d Deps) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		d.renderTenantForm(w, r, http.StatusOK, ui.NewForm())
	}
}

func (d Deps) renderTenantForm(w http.ResponseWriter, r *http.Request, status int, f *ui.Form) {
	plans, err := d.Store.ListPlans(r.Context())
	if err != nil {
		d.Unavailable(w, r, "list plans", err)
		return
	}
	d.Render(w, r, status, TenantFormPage(d.Shell.Page(w, r, "tenants.new", "tenants"), f, plans))
}

func handleTenantCreate(d Deps) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		ctx := r.Context()
		p, _ := auth.FromContext(ctx)
		f := ui.NewForm()
		in := tenant.NewTenantInput{
			Name: r.PostFormValue("name"), Slug: r.PostFormValue("slug"), PlanID: r.PostFormValue("plan_id"),
			AdminEmail: r.PostFormValue("admin_email"), AdminName: r.PostFormValue("admin_name"),
			AdminPassword: r.PostFormValue("admin_password"),
		}
		in.Normalize()
		f.Values = map[string]string{"name": in.Name, "slug": in.Slug, "plan_id": in.PlanID, "admin_email": in.AdminEmail, "admin_name": in.AdminName}
		for _, e := range in.Validate() {
			f.Fail(e.Field, e.Key)
		}
		if !f.OK() {
			d.renderTenantForm(w, r, http.StatusUnprocessableEntity, f)
			return
		}
		t, err := d.Tenants.Create(ctx, p.Actor(httpx.ClientIP(r)), in)
		var fe *tenant.FieldError
		switch {
		case errors.As(err, &fe):
			f.Fail(fe.Field, fe.Key)
			d.renderTenantForm(w, r, http.StatusConflict, f)
			return
		case err != nil:
			d.Unavailable(w, r, "create tenant", err)
			return
		}
		ui.SetFlash(w, d.Cookies, "success", "flash.tenant_created", t.Name)
		http.Redirect(w, r, "/operator/tenants", http.StatusSeeOther)
	}
}

func handleTenantStatus(d Deps, suspend bool) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		ctx := r.Context()
		p, _ := auth.FromContext(ctx)
		id := chi.URLParam(r, "id")
		if !domain.ValidID(id) {
			d.NotFound(w, r)
			return
		}
		err := d.Tenants.SetStatus(ctx, p.Actor(httpx.ClientIP(r)), id, suspend)
		switch {
		case errors.Is(err, storage.ErrNotFound):
			d.NotFound(w, r)
			return
		case err != nil:
			d.Unavailable(w, r, "set tenant status", err)
			return
		}
		key := "flash.tenant_reactivated"
		if suspend {
			key = "flash.tenant_suspended"
		}
		ui.SetFlash(w, d.Cookies, "success", key, "")
		if r.PostFormValue("back") == "tenant" {
			// Asked from the tenant's own page: back there.
			http.Redirect(w, r, "/operator/tenants/"+id, http.StatusSeeOther)
			return
		}
		http.Redirect(w, r, "/operator/tenants", http.StatusSeeOther)
	}
}
