// Package admin is a tenant administrator's console: the tenant, its plan,
// users and audit log, its numbers and API keys, the routing live view and
// the conversations with their routing history; later parts add skillsets,
// contacts and templates.
package admin

import (
	"context"
	"errors"
	"net/http"
	"switchboard/internal/apikey"
	"switchboard/internal/blob"
	"switchboard/internal/mail"
	"switchboard/internal/number"
	"switchboard/internal/outbound"
	"switchboard/internal/routing"

	"github.com/go-chi/chi/v5"

	"switchboard/internal/auth"
	"switchboard/internal/domain"
	"switchboard/internal/storage"
	"switchboard/internal/ui"
)

// Deps are the admin console's dependencies.
type Deps struct {
	ui.Surface
	Store   *storage.Store
	Numbers *number.Service
	APIKeys *apikey.Service
	// NumberAdded is told of each new number (the sandbox registers its own).
	NumberAdded func(domain.Number)
	Catalog     *outbound.Catalog
	// Routing reads the agents' presence for the routing live view.
	Routing *routing.Service
	// Blobs holds media files; erasing a contact deletes theirs.
	Blobs blob.Store
	// Origin is BASE_URL's scheme and host, for the invitation links shown
	// to administrators.
	Origin string
	// Mail e-mails invitation links too; nil without SMTP (team_mail.go).
	Mail *mail.Mailer
	// Told publishes agent events to the agents' consoles (the realtime
	// hub): a supervisor's note reaches the agent holding the
	// conversation. May be nil.
	Told func(context.Context, []storage.AgentEvent)
}

// Routes mounts /admin; only administrators may enter, and every query is
// scoped to the administrator's own tenant, taken from the session.
func Routes(r chi.Router, d Deps) {
	r.Route("/admin", func(r chi.Router) {
		r.Use(d.Auth.Require(domain.RoleAdmin))
		r.Get("/", handleHome(d))
		r.Get("/users", handleUsers(d))
		r.Get("/users/{id}", handleUser(d))
		r.Get("/audit", handleAudit(d))           // search and paging: audit.go
		r.Get("/audit.csv", handleAuditExport(d)) // the same filters as CSV
		r.Get("/numbers", handleNumbers(d))
		r.Get("/numbers/new", handleNumberForm(d))
		r.Post("/numbers", handleNumberCreate(d))
		r.Get("/numbers/{id}", handleNumber(d))
		r.Post("/numbers/{id}/token", handleNumberToken(d))
		r.Post("/numbers/{id}/templates/sync", handleTemplatesSync(d))
		r.Get("/routing", handleRouting(d))
		r.Get("/routing/live", handleRoutingLive(d))
		r.Get("/conversations", handleConversations(d))
		r.Get("/conversations/{id}", handleConversation(d))
		r.Post("/conversations/{id}/transfer", handleConversationTransfer(d))
		r.Post("/conversations/{id}/close", handleConversationClose(d))
		r.Post("/conversations/{id}/take-over", handleConversationTakeOver(d))
		r.Get("/api-keys", handleAPIKeys(d))
		r.Post("/api-keys", handleAPIKeyCreate(d))
		r.Post("/api-keys/{id}/revoke", handleAPIKeyRevoke(d))
		deskRoutes(r, d)       // canned replies, close outcomes, notes: desk.go
		numberRoutes(r, d)     // a number's skillsets, hours and holidays: numbers_detail.go
		settingsRoutes(r, d)   // the tenant's settings: settings.go
		contactsRoutes(r, d)   // contacts, CSV import and export, a person's data: contacts.go
		teamRoutes(r, d)       // skillsets and agents: team.go
		onboardingRoutes(r, d) // where the sign-up's application stands, the sandbox number: onboarding.go
		templateRoutes(r, d)   // templates: the editor and the lifecycle, templates.go
		softbotRoutes(r, d)    // automatic replies, keyword rules, menu bots: bots.go
	})
}

func handleHome(d Deps) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		ctx := r.Context()
		p, _ := auth.FromContext(ctx)
		t, err := d.Store.Tenant(ctx, p.TenantID)
		if err != nil {
			d.Unavailable(w, r, "load tenant", err)
			return
		}
		plan, err := d.Store.Plan(ctx, t.PlanID)
		if err != nil {
			d.Unavailable(w, r, "load plan", err)
			return
		}
		users, err := d.Store.ListUsers(ctx, p.TenantID)
		if err != nil {
			d.Unavailable(w, r, "list users", err)
			return
		}
		d.Render(w, r, http.StatusOK, HomePage(d.Shell.Page(w, r, "admin.home", "admin-home"), t, plan, countRoles(users)))
	}
}

func handleUsers(d Deps) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		p, _ := auth.FromContext(r.Context())
		users, err := d.Store.ListUsers(r.Context(), p.TenantID)
		if err != nil {
			d.Unavailable(w, r, "list users", err)
			return
		}
		d.Render(w, r, http.StatusOK, UsersPage(d.Shell.Page(w, r, "users.title", "users"), users))
	}
}

// handleUser shows one user of the tenant; another tenant's user is 404,
// exactly like an id that does not exist.
func handleUser(d Deps) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		p, _ := auth.FromContext(r.Context())
		id := chi.URLParam(r, "id")
		if !domain.ValidID(id) {
			d.NotFound(w, r)
			return
		}
		u, err := d.Store.User(r.Context(), p.TenantID, id)
		if errors.Is(err, storage.ErrNotFound) {
			d.NotFound(w, r)
			return
		} else if err != nil {
			d.Unavailable(w, r, "load user", err)
			return
		}
		d.Render(w, r, http.StatusOK, UserPage(d.Shell.Page(w, r, "users.detail", "users"), u))
	}
}

// roleCounts is how many administrators and agents a tenant has.
type roleCounts struct{ Admins, Agents int }

func countRoles(users []domain.User) roleCounts {
	var c roleCounts
	for _, u := range users {
		switch u.Role {
		case domain.RoleAdmin:
			c.Admins++
		case domain.RoleAgent:
			c.Agents++
		}
	}
	return c
}
