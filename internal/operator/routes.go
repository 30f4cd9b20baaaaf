// Package operator is the platform operator's console: tenants (create,
// suspend, reactivate) and plans with their limits.
package operator

import (
	"net/http"
	"switchboard/internal/number"
	"switchboard/internal/outbound"

	"github.com/go-chi/chi/v5"

	"switchboard/internal/domain"
	"switchboard/internal/storage"
	"switchboard/internal/tenant"
	"switchboard/internal/ui"
)

// Deps are the operator console's dependencies.
type Deps struct {
	ui.Surface
	Store   *storage.Store
	Tenants *tenant.Service
	Numbers *number.Service
	// Catalog forwards submitted templates to Meta (review.go).
	Catalog *outbound.Catalog
	// NumberAdded is told of each number the operator connects (the
	// sandbox registers its own).
	NumberAdded func(domain.Number)
	// Replayed wakes the webhook processor after a replay.
	Replayed func()
	// Sockets counts the agent consoles connected to this instance (the
	// hub's); nil when the instance serves none.
	Sockets func() int
}

// Routes mounts /operator; only operators may enter.
func Routes(r chi.Router, d Deps) {
	r.Route("/operator", func(r chi.Router) {
		r.Use(d.Auth.Require(domain.RoleOperator))
		r.Get("/", func(w http.ResponseWriter, r *http.Request) {
			http.Redirect(w, r, "/operator/tenants", http.StatusSeeOther)
		})
		r.Get("/tenants", handleTenants(d))
		r.Get("/tenants/new", handleTenantForm(d))
		r.Post("/tenants", handleTenantCreate(d))
		r.Post("/tenants/{id}/suspend", handleTenantStatus(d, true))
		r.Post("/tenants/{id}/reactivate", handleTenantStatus(d, false))
		r.Get("/tenants/{id}", handleTenant(d))                 // usage against the plan: tenant_detail.go
		r.Post("/tenants/{id}/plan", handleTenantPlan(d))       // change the plan, audited
		r.Post("/tenants/{id}/numbers", handleNumberConnect(d)) // connect a number: numbers.go
		r.Get("/plans", handlePlans(d))
		r.Get("/plans/new", handlePlanForm(d))
		r.Post("/plans", handlePlanSave(d))
		r.Get("/plans/{id}", handlePlanForm(d))
		r.Post("/plans/{id}", handlePlanSave(d))
		r.Get("/webhooks", handleWebhooks(d))
		r.Post("/webhooks/{id}/replay", handleWebhookReplay(d))
		r.Get("/apps", handleApps(d))
		r.Post("/apps", handleAppCreate(d))
		r.Get("/apps/{id}", handleAppForm(d))    // edit an app, secrets replace-only: apps.go
		r.Post("/apps/{id}", handleAppUpdate(d)) // webhooks use the new values at once
		r.Get("/health", handleHealth(d))
		reviewRoutes(r, d)      // the template review queue: review.go
		applicationRoutes(r, d) // self-service sign-ups and the switch that allows them: applications.go
	})
}
