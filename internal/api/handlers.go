package api

import (
	"errors"
	"net/http"
	"strings"

	"github.com/go-chi/chi/v5"

	"switchboard/internal/domain"
	"switchboard/internal/storage"
)

func (d Deps) fail(w http.ResponseWriter, r *http.Request, what string, err error) {
	if errors.Is(err, storage.ErrNotFound) {
		writeError(w, http.StatusNotFound, "not_found", what+" not found")
		return
	}
	d.Logger.ErrorContext(r.Context(), "api: "+what, "error", err)
	writeError(w, http.StatusServiceUnavailable, "unavailable", "try again in a moment")
}

func handleContacts(d Deps) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		p, perr := page(r)
		if perr != nil {
			writeError(w, http.StatusBadRequest, perr.Code, perr.Message)
			return
		}
		// A lookup of a contact Meta named: its digits, however the caller
		// spaced them (+39 333 …); the numbering plans are not consulted, as
		// Meta's ids are the authority on which numbers exist.
		waID := strings.TrimSpace(r.URL.Query().Get("wa_id"))
		if waID != "" {
			if waID = domain.Digits(waID); waID == "" {
				writeError(w, http.StatusBadRequest, "invalid_parameter", "wa_id must be a WhatsApp id: the number's digits with the country code")
				return
			}
		}
		found, err := d.Store.ListContacts(r.Context(), tenantOf(r.Context()), waID, p)
		if err != nil {
			d.fail(w, r, "contacts", err)
			return
		}
		data := make([]contactJSON, 0, len(found))
		next := ""
		for _, c := range found {
			data = append(data, toContact(c))
		}
		if len(found) == p.Limit {
			last := found[len(found)-1]
			next = cursor(last.CreatedAt, last.ID)
		}
		writeJSON(w, http.StatusOK, list{Data: data, NextCursor: next})
	}
}

var conversationStatuses = map[string]bool{"": true, domain.ConversationBot: true, domain.ConversationQueued: true,
	domain.ConversationAssigned: true, domain.ConversationClosed: true}

func handleConversations(d Deps) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		p, perr := page(r)
		if perr == nil && !conversationStatuses[r.URL.Query().Get("status")] {
			perr = &apiError{"invalid_parameter", "status must be bot, queued, assigned or closed"}
		}
		f := storage.ConversationFilter{Status: r.URL.Query().Get("status")}
		if perr == nil {
			f.ContactID, perr = uuidParam(r, "contact_id")
		}
		if perr == nil {
			f.NumberID, perr = uuidParam(r, "number_id")
		}
		if perr != nil {
			writeError(w, http.StatusBadRequest, perr.Code, perr.Message)
			return
		}
		convs, err := d.Store.ListConversations(r.Context(), tenantOf(r.Context()), f, p)
		if err != nil {
			d.fail(w, r, "conversations", err)
			return
		}
		data := make([]conversationJSON, 0, len(convs))
		for _, c := range convs {
			data = append(data, toConversation(c))
		}
		next := ""
		if len(convs) == p.Limit {
			last := convs[len(convs)-1]
			next = cursor(last.CreatedAt, last.ID)
		}
		writeJSON(w, http.StatusOK, list{Data: data, NextCursor: next})
	}
}

func handleConversation(d Deps) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		id := chi.URLParam(r, "id")
		if !domain.ValidID(id) {
			writeError(w, http.StatusNotFound, "not_found", "conversation not found")
			return
		}
		c, err := d.Store.Conversation(r.Context(), tenantOf(r.Context()), id)
		if err != nil {
			d.fail(w, r, "conversation", err)
			return
		}
		writeJSON(w, http.StatusOK, toConversation(c))
	}
}

func handleMessages(d Deps) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		id := chi.URLParam(r, "id")
		p, perr := page(r)
		if perr != nil {
			writeError(w, http.StatusBadRequest, perr.Code, perr.Message)
			return
		}
		if !domain.ValidID(id) {
			writeError(w, http.StatusNotFound, "not_found", "conversation not found")
			return
		}
		tenantID := tenantOf(r.Context())
		if _, err := d.Store.Conversation(r.Context(), tenantID, id); err != nil {
			d.fail(w, r, "conversation", err)
			return
		}
		msgs, err := d.Store.ListMessages(r.Context(), tenantID, id, p)
		if err != nil {
			d.fail(w, r, "messages", err)
			return
		}
		data := make([]messageJSON, 0, len(msgs))
		for _, m := range msgs {
			data = append(data, toMessage(m))
		}
		next := ""
		if len(msgs) == p.Limit {
			last := msgs[len(msgs)-1]
			next = cursor(last.Timestamp, last.ID)
		}
		writeJSON(w, http.StatusOK, list{Data: data, NextCursor: next})
	}
}

func handleMessage(d Deps) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		id := chi.URLParam(r, "id")
		if !domain.ValidID(id) {
			writeError(w, http.StatusNotFound, "not_found", "message not found")
			return
		}
		m, err := d.Store.Message(r.Context(), tenantOf(r.Context()), id)
		if err != nil {
			d.fail(w, r, "message", err)
			return
		}
		writeJSON(w, http.StatusOK, toMessage(m))
	}
}
