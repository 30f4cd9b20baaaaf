// Package agentdesk is the agent's console. This part is the agent's home:
// availability (which the router obeys), kept alive by a heartbeat while the
// page is open, and the conversations the router gave the agent. The live
// inbox and conversations arrive with the realtime hub.
package agentdesk

import (
	"github.com/go-chi/chi/v5"

	"switchboard/internal/blob"
	"switchboard/internal/domain"
	"switchboard/internal/outbound"
	"switchboard/internal/realtime"
	"switchboard/internal/routing"
	"switchboard/internal/storage"
	"switchboard/internal/ui"
)

// Deps are the agent console's dependencies.
type Deps struct {
	ui.Surface
	Store    *storage.Store
	Routing  *routing.Service
	Outbound *outbound.Service
	Receipts outbound.Receipts
	Hub      *realtime.Hub
	Tokens   realtime.Tokens
	// Origin is this deployment's origin (BASE_URL's scheme and host):
	// the only one whose pages may open a socket.
	Origin string
	// Blobs keeps the files agents attach, as the API keeps uploads.
	Blobs blob.Store
}

// Routes mounts /agent for agents (administrators use their own console).
func Routes(r chi.Router, d Deps) {
	r.Route("/agent", func(r chi.Router) {
		// Administrators answer the conversations they take over here.
		r.Use(d.Auth.Require(domain.RoleAgent, domain.RoleAdmin))
		r.Get("/", handleHome(d))
		r.Post("/availability", handleAvailability(d))
		r.Post("/heartbeat", handleHeartbeat(d))
		r.Post("/ws-token", handleSocketToken(d))
		r.Get("/ws", handleSocket(d))
		r.Get("/inbox", handleInboxFragment(d))
		r.Get("/conversations/{id}", handleConversation(d))
		r.Get("/conversations/{id}/messages", handleMessagesFragment(d))
		contactRoutes(r, d) // the contact panel: contact.go
		deskRoutes(r, d)    // canned replies, notes, close, transfer: desk.go
		r.Post("/conversations/{id}/read", handleRead(d))
		r.Post("/conversations/{id}/messages", handleSend(d))
		r.Post("/conversations/{id}/media", handleUpload(d))
		r.Get("/conversations/{id}/window", handleWindow(d))
		r.Post("/conversations/{id}/template", handleSendTemplate(d))
	})
}
