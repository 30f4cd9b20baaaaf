package api

import (
	"encoding/json"
	"errors"
	"io"
	"net/http"

	"github.com/go-chi/chi/v5"

	"switchboard/internal/routing"
	"switchboard/internal/storage"
)

// Routing through the API: an integration (a CRM, a telephony bridge) sets
// its agents' availability, closes conversations and transfers them. Every
// change goes to the tenant's dispatcher as a command; the request waits for
// its result (a few milliseconds normally), so a refusal reaches the caller.

// decodeBody reads one JSON object of the documented shape into v (at most
// 16 KB, no unknown fields, nothing after it). With optional, an empty body
// is the same as {}.
func decodeBody(w http.ResponseWriter, r *http.Request, v any, optional bool) error {
	dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, 16<<10))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		if optional && errors.Is(err, io.EOF) {
			return nil
		}
		return err
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return errors.New("one JSON object only")
	}
	return nil
}

// handleAvailability sets an agent's presence: available, away, or offline
// to sign off. Each call also refreshes the presence, which otherwise
// expires after the presence TTL: an integration that keeps an agent
// available calls it again well within that time.
func handleAvailability(d Deps) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		id := chi.URLParam(r, "id")
		var req struct {
			State string `json:"state"`
		}
		if err := decodeBody(w, r, &req, false); err != nil {
			writeError(w, http.StatusBadRequest, "invalid_json", `send {"state": "available"|"away"|"offline"}`)
			return
		}
		if req.State != routing.Available && req.State != routing.Away && req.State != routing.Offline {
			writeError(w, http.StatusBadRequest, "invalid_parameter", "state must be available, away or offline")
			return
		}
		err := d.Routing.CheckAgent(r.Context(), tenantOf(r.Context()), id)
		if err == nil {
			err = d.Routing.SetAvailability(r.Context(), tenantOf(r.Context()), id, req.State)
		}
		switch {
		case errors.Is(err, routing.ErrNotAgent):
			writeError(w, http.StatusNotFound, "not_found", "no such active agent in this tenant")
		case errors.Is(err, routing.ErrBadState):
			writeError(w, http.StatusBadRequest, "invalid_parameter", "state must be available, away or offline")
		case err != nil:
			d.fail(w, r, "availability", err)
		default:
			writeJSON(w, http.StatusOK, availabilityJSON{AgentID: id, State: req.State})
		}
	}
}

type availabilityJSON struct {
	AgentID string `json:"agent_id"`
	State   string `json:"state"`
}

// acceptedJSON answers a command stored but not applied yet.
type acceptedJSON struct {
	Status  string `json:"status"`
	Message string `json:"message"`
}

// handleClose ends a conversation; its agent's capacity frees up at once and
// may go to the next conversation waiting. The body is empty or {}.
func handleClose(d Deps) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		var req struct{}
		if err := decodeBody(w, r, &req, true); err != nil {
			writeError(w, http.StatusBadRequest, "invalid_json", "send no body, or {}")
			return
		}
		id, tenantID := chi.URLParam(r, "id"), tenantOf(r.Context())
		err := d.Routing.Close(r.Context(), tenantID, id, "api:"+keyOf(r.Context()))
		d.routed(w, r, tenantID, id, err)
	}
}

// handleTransfer gives a conversation to an agent (directly, even past the
// agent's capacity, unless the agent is offline) or to a skillset (back in
// the queue, keeping its arrival time, for the skillset's members only).
func handleTransfer(d Deps) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		var req struct {
			AgentID    string `json:"agent_id"`
			SkillsetID string `json:"skillset_id"`
		}
		if err := decodeBody(w, r, &req, false); err != nil {
			writeError(w, http.StatusBadRequest, "invalid_json", `send {"agent_id": …} or {"skillset_id": …}`)
			return
		}
		if (req.AgentID == "") == (req.SkillsetID == "") {
			writeError(w, http.StatusBadRequest, "invalid_parameter", "send exactly one of agent_id and skillset_id")
			return
		}
		id, tenantID, actor := chi.URLParam(r, "id"), tenantOf(r.Context()), "api:"+keyOf(r.Context())
		var err error
		if req.AgentID != "" {
			if err = d.Routing.CheckAgent(r.Context(), tenantID, req.AgentID); err == nil {
				err = d.Routing.TransferToAgent(r.Context(), tenantID, id, req.AgentID, actor)
			}
		} else {
			err = d.Routing.TransferToSkillset(r.Context(), tenantID, id, req.SkillsetID, actor)
		}
		d.routed(w, r, tenantID, id, err)
	}
}

// routed answers a routing command on a conversation: the conversation as it
// is after the command, or why the command was not applied.
func (d Deps) routed(w http.ResponseWriter, r *http.Request, tenantID, id string, err error) {
	var refused *routing.RefusedError
	switch {
	case errors.Is(err, storage.ErrNotFound):
		writeError(w, http.StatusNotFound, "not_found", "conversation not found")
		return
	case errors.Is(err, routing.ErrNotAgent):
		writeError(w, http.StatusNotFound, "unknown_agent", "agent_id is not an active agent of this tenant")
		return
	case errors.Is(err, routing.ErrClosed):
		writeError(w, http.StatusConflict, "conflict", "the conversation is closed")
		return
	case errors.As(err, &refused):
		writeError(w, http.StatusConflict, "refused", refused.Error())
		return
	case errors.Is(err, routing.ErrPending):
		writeJSON(w, http.StatusAccepted, acceptedJSON{Status: "accepted", Message: err.Error()})
		return
	case err != nil:
		d.fail(w, r, "routing", err)
		return
	}
	c, err := d.Store.Conversation(r.Context(), tenantID, id)
	if err != nil {
		d.fail(w, r, "conversation", err)
		return
	}
	writeJSON(w, http.StatusOK, toConversation(c))
}
