package agentdesk

import (
	"encoding/json"
	"errors"
	"net/http"

	"switchboard/internal/auth"
	"switchboard/internal/realtime"
)

// handleSocketToken gives the page a one-time ticket for its socket (a POST,
// so it carries the CSRF token as every state-changing request does).
func handleSocketToken(d Deps) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		p, _ := auth.FromContext(r.Context())
		token, err := d.Tokens.Issue(r.Context(), p.SessionID)
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("Cache-Control", "no-store")
		if err != nil {
			d.Logger.WarnContext(r.Context(), "issue socket token", "error", err)
			w.WriteHeader(http.StatusServiceUnavailable)
			_ = json.NewEncoder(w).Encode(map[string]string{"error": "live updates unavailable"})
			return
		}
		_ = json.NewEncoder(w).Encode(map[string]string{"token": token, "url": "/agent/ws?token=" + token})
	}
}

// handleSocket opens the agent's live socket: signed in as an agent (the
// route's middleware), from our own origin exactly, with a ticket of this
// session.
func handleSocket(d Deps) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		p, _ := auth.FromContext(r.Context())
		if origin := r.Header.Get("Origin"); origin == "" || origin != d.Origin {
			http.Error(w, "forbidden origin", http.StatusForbidden)
			return
		}
		if err := d.Tokens.Redeem(r.Context(), r.URL.Query().Get("token"), p.SessionID); err != nil {
			if !errors.Is(err, realtime.ErrBadToken) {
				d.Logger.WarnContext(r.Context(), "redeem socket token", "error", err)
			}
			http.Error(w, "invalid socket token", http.StatusForbidden)
			return
		}
		d.Hub.Serve(w, r, p.TenantID, p.UserID)
	}
}
