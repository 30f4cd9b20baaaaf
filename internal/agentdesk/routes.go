// Package agentdesk is the agent's console. This first part is the agent's
// home; the live inbox and conversations arrive with the realtime hub.
package agentdesk

import (
	"net/http"

	"github.com/go-chi/chi/v5"

	"switchboard/internal/auth"
	"switchboard/internal/domain"
	"switchboard/internal/storage"
	"switchboard/internal/ui"
)

// Deps are the agent console's dependencies.
type Deps struct {
	ui.Surface
	Store *storage.Store
}

// Routes mounts /agent for agents (administrators use their own console).
func Routes(r chi.Router, d Deps) {
	r.Route("/agent", func(r chi.Router) {
		r.Use(d.Auth.Require(domain.RoleAgent))
		r.Get("/", handleHome(d))
	})
}

func handleHome(d Deps) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		p, _ := auth.FromContext(r.Context())
		t, err := d.Store.Tenant(r.Context(), p.TenantID)
		if err != nil {
			d.Unavailable(w, r, "load tenant", err)
			return
		}
		d.Render(w, r, http.StatusOK, HomePage(d.Shell.Page(w, r, "agent.home", "agent-home"), t))
	}
}
