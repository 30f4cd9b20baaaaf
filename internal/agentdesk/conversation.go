package agentdesk

import (
	"encoding/json"
	"errors"
	"net/http"
	"strings"
	"unicode/utf8"

	"github.com/go-chi/chi/v5"

	"switchboard/internal/auth"
	"switchboard/internal/domain"
	"switchboard/internal/i18n"
	"switchboard/internal/outbound"
	"switchboard/internal/storage"
)

// historyLimit is how many messages a conversation shows (scrolling back
// further comes with the full console).
const historyLimit = 500

// maxText is WhatsApp's limit on a text message's body.
const maxText = 4096

// mine loads a conversation the agent holds now; ok is false (and the
// answer written) otherwise: another tenant's or unknown is 404, someone
// else's or closed is 403 with the reason.
func mine(d Deps, w http.ResponseWriter, r *http.Request) (domain.Conversation, bool) {
	p, _ := auth.FromContext(r.Context())
	id := chi.URLParam(r, "id")
	if !domain.ValidID(id) {
		d.Fail(w, r, http.StatusNotFound, "error.not_found")
		return domain.Conversation{}, false
	}
	c, err := d.Store.Conversation(r.Context(), p.TenantID, id)
	if errors.Is(err, storage.ErrNotFound) {
		d.Fail(w, r, http.StatusNotFound, "error.not_found")
		return c, false
	} else if err != nil {
		d.Unavailable(w, r, "load conversation", err)
		return c, false
	}
	if !heldBy(c, p.UserID) {
		d.Fail(w, r, http.StatusForbidden, "agent.not_yours")
		return c, false
	}
	return c, true
}

func handleConversation(d Deps) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		c, ok := mine(d, w, r)
		if !ok {
			return
		}
		p, _ := auth.FromContext(r.Context())
		contact, err := d.Store.Contact(r.Context(), p.TenantID, c.ContactID)
		if err != nil {
			d.Unavailable(w, r, "load contact", err)
			return
		}
		msgs, err := d.Store.ListMessages(r.Context(), p.TenantID, c.ID, storage.Page{Limit: historyLimit})
		if err != nil {
			d.Unavailable(w, r, "load messages", err)
			return
		}
		page := d.Shell.Page(w, r, "agent.home", "agent-conversation")
		d.Render(w, r, http.StatusOK, ConversationPage(page, c, contact, msgs))
	}
}

// handleMessagesFragment renders the conversation's messages for the
// console to put in place when an event says they changed.
func handleMessagesFragment(d Deps) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		c, ok := mine(d, w, r)
		if !ok {
			return
		}
		msgs, err := d.Store.ListMessages(r.Context(), c.TenantID, c.ID, storage.Page{Limit: historyLimit})
		if err != nil {
			d.Unavailable(w, r, "load messages", err)
			return
		}
		w.Header().Set("Cache-Control", "no-store")
		d.Render(w, r, http.StatusOK, MessageList(msgs))
	}
}

// handleInboxFragment renders the agent's conversations for the console.
func handleInboxFragment(d Deps) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		p, _ := auth.FromContext(r.Context())
		inbox, err := d.Store.AgentInbox(r.Context(), p.TenantID, p.UserID)
		if err != nil {
			d.Unavailable(w, r, "load inbox", err)
			return
		}
		w.Header().Set("Cache-Control", "no-store")
		d.Render(w, r, http.StatusOK, Inbox(inbox))
	}
}

// handleSend sends the agent's text through the outbound pipeline, under
// Meta's rules; the answer is JSON for the console: {"ok":true} or
// {"error": a message for the agent}.
func handleSend(d Deps) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		answer := func(status int, v any) {
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(status)
			_ = json.NewEncoder(w).Encode(v)
		}
		p, _ := auth.FromContext(r.Context())
		id := chi.URLParam(r, "id")
		text := strings.TrimSpace(r.PostFormValue("text"))
		switch {
		case text == "":
			answer(http.StatusBadRequest, map[string]string{"error": i18n.T(r.Context(), "agent.send.empty")})
			return
		case utf8.RuneCountInString(text) > maxText:
			answer(http.StatusBadRequest, map[string]string{"error": i18n.T(r.Context(), "agent.send.too_long")})
			return
		case !domain.ValidID(id):
			answer(http.StatusNotFound, map[string]string{"error": i18n.T(r.Context(), "agent.send.unknown")})
			return
		}
		c, err := d.Store.Conversation(r.Context(), p.TenantID, id)
		if errors.Is(err, storage.ErrNotFound) {
			answer(http.StatusNotFound, map[string]string{"error": i18n.T(r.Context(), "agent.send.unknown")})
			return
		} else if err != nil {
			d.Logger.ErrorContext(r.Context(), "load conversation", "error", err)
			answer(http.StatusServiceUnavailable, map[string]string{"error": i18n.T(r.Context(), "agent.send.retry")})
			return
		}
		if !heldBy(c, p.UserID) {
			answer(http.StatusForbidden, map[string]string{"error": i18n.T(r.Context(), "agent.send.not_yours")})
			return
		}
		m, err := d.Outbound.Reply(r.Context(), p.TenantID, p.UserID, c.ID,
			outbound.Content{Type: "text", Text: text}, r.PostFormValue("idempotency_key"))
		var refused *outbound.Error
		if errors.As(err, &refused) {
			answer(http.StatusUnprocessableEntity, map[string]string{"error": refusalText(r.Context(), refused), "code": refused.Code})
			return
		} else if err != nil {
			d.Logger.ErrorContext(r.Context(), "agent reply", "error", err)
			answer(http.StatusServiceUnavailable, map[string]string{"error": i18n.T(r.Context(), "agent.send.retry")})
			return
		}
		answer(http.StatusOK, map[string]any{"ok": true, "message_id": m.ID})
	}
}

// heldBy reports whether the agent holds the conversation now.
func heldBy(c domain.Conversation, agentID string) bool {
	return c.Status == "assigned" && c.AssignedAgentID == agentID
}
