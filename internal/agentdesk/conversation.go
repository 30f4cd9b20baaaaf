package agentdesk

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/go-chi/chi/v5"

	"switchboard/internal/auth"
	"switchboard/internal/domain"
	"switchboard/internal/i18n"
	"switchboard/internal/outbound"
	"switchboard/internal/storage"
)

// historyPage is how many messages the console loads at once: the newest
// when a conversation opens, then older ones as the agent scrolls back.
const historyPage = 50

// historyMax bounds a re-render of the history already on screen (from the
// oldest message shown to the newest).
const historyMax = 2000

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
		msgs, _, err := d.Store.RecentMessages(r.Context(), p.TenantID, c.ID, "", historyPage)
		if err != nil {
			d.Unavailable(w, r, "load messages", err)
			return
		}
		page := d.Shell.Page(w, r, "agent.home", "agent-conversation")
		d.Render(w, r, http.StatusOK, ConversationPage(page, c, contact, msgs))
	}
}

// handleMessagesFragment renders the conversation's messages for the
// console: ?from=ID re-renders from the oldest message the page shows to the
// newest (when an event says something changed), ?before=ID the page of
// older ones to put on top as the agent scrolls back (X-Has-Older says
// whether more remain); neither, the newest page.
func handleMessagesFragment(d Deps) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		c, ok := mine(d, w, r)
		if !ok {
			return
		}
		from, before := r.URL.Query().Get("from"), r.URL.Query().Get("before")
		if (from != "" && !domain.ValidID(from)) || (before != "" && !domain.ValidID(before)) {
			d.Fail(w, r, http.StatusBadRequest, "error.bad_request")
			return
		}
		var msgs []domain.Message
		var more bool
		var err error
		if from != "" {
			msgs, err = d.Store.MessagesFrom(r.Context(), c.TenantID, c.ID, from, historyMax)
		} else {
			msgs, more, err = d.Store.RecentMessages(r.Context(), c.TenantID, c.ID, before, historyPage)
			w.Header().Set("X-Has-Older", strconv.FormatBool(more))
		}
		if err != nil {
			d.Unavailable(w, r, "load messages", err)
			return
		}
		w.Header().Set("Cache-Control", "no-store")
		d.Render(w, r, http.StatusOK, MessageList(msgs))
	}
}

// handleRead records that the agent has read the conversation (the page
// calls it when it shows new customer messages to an agent looking at it)
// and tells WhatsApp, so the customer sees blue ticks.
func handleRead(d Deps) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		c, ok := mine(d, w, r)
		if !ok {
			return
		}
		receipt, unread, err := d.Store.MarkRead(r.Context(), c.TenantID, c.ID)
		if err != nil {
			d.Unavailable(w, r, "mark read", err)
			return
		}
		if unread {
			// A courtesy: the agent has read it whatever Meta answers.
			ctx, cancel := context.WithTimeout(r.Context(), 5*time.Second)
			if err := d.Receipts.MarkRead(ctx, c.TenantID, receipt.NumberID, receipt.WAMIDs); err != nil {
				d.Logger.WarnContext(r.Context(), "read receipt", "error", err)
			}
			cancel()
		}
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(map[string]bool{"ok": true})
	}
}

// handleInboxFragment renders the agent's conversations for the console.
func handleInboxFragment(d Deps) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		p, _ := auth.FromContext(r.Context())
		current := r.URL.Query().Get("current")
		if current != "" && !domain.ValidID(current) {
			d.Fail(w, r, http.StatusBadRequest, "error.bad_request")
			return
		}
		v, err := loadInbox(r.Context(), d, p.TenantID, p.UserID)
		if err != nil {
			d.Unavailable(w, r, "load inbox", err)
			return
		}
		w.Header().Set("Cache-Control", "no-store")
		d.Render(w, r, http.StatusOK, Inbox(v, current))
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
		// reply_to quotes a message of this conversation (see replyTarget).
		replyTo, msg, err := replyTarget(r.Context(), d, c, r.PostFormValue("reply_to"))
		if err != nil {
			d.Logger.ErrorContext(r.Context(), "load quoted message", "error", err)
			answer(http.StatusServiceUnavailable, map[string]string{"error": i18n.T(r.Context(), "agent.send.retry")})
			return
		} else if msg != "" {
			answer(http.StatusBadRequest, map[string]string{"error": msg})
			return
		}
		m, err := d.Outbound.Reply(r.Context(), p.TenantID, p.UserID, c.ID,
			outbound.Content{Type: "text", Text: text, ReplyTo: replyTo}, r.PostFormValue("idempotency_key"))
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
