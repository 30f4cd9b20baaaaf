package agentdesk

import (
	"context"
	"encoding/json"
	"net/http"
	"time"

	"switchboard/internal/auth"
	"switchboard/internal/routing"
	"switchboard/internal/ui"
)

func handleHome(d Deps) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		p, _ := auth.FromContext(r.Context())
		t, err := d.Store.Tenant(r.Context(), p.TenantID)
		if err != nil {
			d.Unavailable(w, r, "load tenant", err)
			return
		}
		// Presence is read from Redis; when it cannot be read the page
		// still shows the agent's conversations, with the state unknown.
		state := ""
		if states, err := d.Routing.Availability(r.Context(), p.TenantID, []string{p.UserID}); err == nil {
			state = states[p.UserID]
		} else {
			d.Logger.WarnContext(r.Context(), "read presence", "error", err)
		}
		inbox, err := loadInbox(r.Context(), d, p.TenantID, p.UserID)
		if err != nil {
			d.Unavailable(w, r, "load inbox", err)
			return
		}
		page := d.Shell.Page(w, r, "agent.home", "agent-home")
		d.Render(w, r, http.StatusOK, HomePage(page, t, state, inbox, d.Routing.Presence.TTL().Milliseconds()/3))
	}
}

// handleAvailability is the agent's switch: available, away, or signed off.
func handleAvailability(d Deps) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		p, _ := auth.FromContext(r.Context())
		state := r.PostFormValue("state")
		if state != routing.Available && state != routing.Away && state != routing.Offline {
			ui.SetFlash(w, d.Cookies, "error", "agent.state_invalid", "")
			http.Redirect(w, r, "/agent/", http.StatusSeeOther)
			return
		}
		if err := d.Routing.SetAvailability(r.Context(), p.TenantID, p.UserID, state); err != nil {
			d.Unavailable(w, r, "set availability", err)
			return
		}
		if r.Header.Get("Accept") == "application/json" {
			// The switch beside a conversation (presence.js): no page to
			// go back to, no flash for the next one.
			w.Header().Set("Content-Type", "application/json")
			_ = json.NewEncoder(w).Encode(map[string]string{"state": state})
			return
		}
		ui.SetFlash(w, d.Cookies, "success", "agent.state_set."+state, "")
		http.Redirect(w, r, "/agent/", http.StatusSeeOther)
	}
}

// handleHeartbeat keeps the agent's presence alive while its page is open;
// the page sends the state it shows, restored when the presence had lapsed
// (see routing.Service.Heartbeat). It answers with the state.
func handleHeartbeat(d Deps) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		p, _ := auth.FromContext(r.Context())
		state, err := d.Routing.Heartbeat(r.Context(), p.TenantID, p.UserID, r.PostFormValue("state"))
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("Cache-Control", "no-store")
		if err != nil {
			d.Logger.WarnContext(r.Context(), "heartbeat", "error", err)
			w.WriteHeader(http.StatusServiceUnavailable)
			_ = json.NewEncoder(w).Encode(map[string]string{"error": "presence unavailable"})
			return
		}
		// beat_ms tells pages without the switch (a conversation) how often
		// to beat.
		_ = json.NewEncoder(w).Encode(map[string]any{"state": state, "beat_ms": d.Routing.Presence.TTL().Milliseconds() / 3})
	}
}

// loadInbox reads what the inbox shows.
func loadInbox(ctx context.Context, d Deps, tenantID, agentID string) (InboxView, error) {
	items, err := d.Store.AgentInbox(ctx, tenantID, agentID)
	if err != nil {
		return InboxView{}, err
	}
	queues, err := d.Store.AgentQueues(ctx, tenantID, agentID)
	if err != nil {
		return InboxView{}, err
	}
	return InboxView{Items: items, Queues: queues, Now: time.Now()}, nil
}
