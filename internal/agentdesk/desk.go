package agentdesk

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"slices"
	"strings"

	"github.com/go-chi/chi/v5"

	"switchboard/internal/auth"
	"switchboard/internal/domain"
	"switchboard/internal/httpx"
	"switchboard/internal/i18n"
	"switchboard/internal/routing"
	"switchboard/internal/storage"
	"switchboard/internal/ui"
)

// The agent's tools in a conversation (desk.js drives them): canned replies
// inserted by typing "/", private notes, close with an outcome, transfer
// with a note. The actions bar and the notes are fragments rendered from
// Postgres when the page opens and after each change; the changes answer
// JSON, {"ok":true,"message":…} or {"error": words for the agent}.

// contactNameVar is filled with the contact's name when a reply is inserted.
const contactNameVar = "{{contact_name}}"

func answerJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

func answerError(w http.ResponseWriter, r *http.Request, status int, key string, args ...any) {
	answerJSON(w, status, map[string]string{"error": i18n.T(r.Context(), key, args...)})
}

// held loads a conversation the agent holds now, answering JSON otherwise:
// another tenant's or unknown is 404, someone else's or closed 403.
func held(d Deps, w http.ResponseWriter, r *http.Request) (domain.Conversation, bool) {
	p, _ := auth.FromContext(r.Context())
	id := chi.URLParam(r, "id")
	if !domain.ValidID(id) {
		answerError(w, r, http.StatusNotFound, "agent.send.unknown")
		return domain.Conversation{}, false
	}
	c, err := d.Store.Conversation(r.Context(), p.TenantID, id)
	if errors.Is(err, storage.ErrNotFound) {
		answerError(w, r, http.StatusNotFound, "agent.send.unknown")
		return c, false
	} else if err != nil {
		d.Logger.ErrorContext(r.Context(), "load conversation", "error", err)
		answerError(w, r, http.StatusServiceUnavailable, "agent.desk_retry")
		return c, false
	}
	if !heldBy(c, p.UserID) {
		answerError(w, r, http.StatusForbidden, "agent.desk_not_yours")
		return c, false
	}
	return c, true
}

// fieldError answers a validation error in words.
func fieldError(w http.ResponseWriter, r *http.Request, err error) bool {
	var fe *domain.FieldError
	if !errors.As(err, &fe) {
		return false
	}
	answerError(w, r, http.StatusBadRequest, fe.Key)
	return true
}

// ActionAgent is a colleague a conversation may be transferred to.
type ActionAgent struct {
	ID, Label, State string
}

// DeskView is what the actions bar offers.
type DeskView struct {
	ConversationID string
	Outcomes       []storage.CloseOutcome
	Agents         []ActionAgent
	Skillsets      []storage.Skillset
}

// handleDeskActions renders the actions bar: close with an outcome,
// transfer to a colleague (with their presence) or a skillset.
func handleDeskActions(d Deps) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		c, ok := mine(d, w, r)
		if !ok {
			return
		}
		p, _ := auth.FromContext(r.Context())
		v := DeskView{ConversationID: c.ID}
		var err error
		if v.Outcomes, err = d.Store.ListOutcomes(r.Context(), p.TenantID); err != nil {
			d.Unavailable(w, r, "list outcomes", err)
			return
		}
		if v.Skillsets, err = d.Store.ListSkillsets(r.Context(), p.TenantID); err != nil {
			d.Unavailable(w, r, "list skillsets", err)
			return
		}
		agents, err := d.Store.ListRoutingAgents(r.Context(), p.TenantID)
		if err != nil {
			d.Unavailable(w, r, "list agents", err)
			return
		}
		var ids []string
		for _, a := range agents {
			if a.Active && a.UserID != p.UserID {
				ids = append(ids, a.UserID)
			}
		}
		// Presence is read from Redis; when it cannot be read the agents
		// are still offered, their state unknown (the router decides).
		states, err := d.Routing.Availability(r.Context(), p.TenantID, ids)
		if err != nil {
			d.Logger.WarnContext(r.Context(), "read presence", "error", err)
		}
		for _, a := range agents {
			if !slices.Contains(ids, a.UserID) {
				continue
			}
			label := a.Email
			if a.Name != "" {
				label = a.Name
			}
			state := "unknown"
			if states != nil {
				state = states[a.UserID]
				if state == "" {
					state = routing.Offline
				}
			}
			v.Agents = append(v.Agents, ActionAgent{ID: a.UserID, Label: label, State: state})
		}
		w.Header().Set("Cache-Control", "no-store")
		d.Render(w, r, http.StatusOK, DeskActions(v))
	}
}

// handleNotes renders the conversation's private notes and the form to add
// one, for whoever holds it now.
func handleNotes(d Deps) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		c, ok := mine(d, w, r)
		if !ok {
			return
		}
		notes, err := d.Store.ListNotes(r.Context(), c.TenantID, c.ID)
		if err != nil {
			d.Unavailable(w, r, "list notes", err)
			return
		}
		w.Header().Set("Cache-Control", "no-store")
		d.Render(w, r, http.StatusOK, NoteList(c.ID, notes))
	}
}

// handleAddNote writes a private note; it is never sent to WhatsApp.
func handleAddNote(d Deps) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		c, ok := held(d, w, r)
		if !ok {
			return
		}
		p, _ := auth.FromContext(r.Context())
		_, _, err := d.Store.AddNote(r.Context(), p.TenantID, c.ID, p.UserID, r.PostFormValue("body")) // the holder's own: nobody to tell
		if fieldError(w, r, err) {
			return
		} else if err != nil {
			d.Logger.ErrorContext(r.Context(), "add note", "error", err)
			answerError(w, r, http.StatusServiceUnavailable, "agent.desk_retry")
			return
		}
		answerJSON(w, http.StatusOK, map[string]any{"ok": true, "message": i18n.T(r.Context(), "agent.note_saved")})
	}
}

// routingError answers a routing command that did not go through, in words:
// the router's own reason when it refused.
func routingError(d Deps, w http.ResponseWriter, r *http.Request, err error) {
	var refused *routing.RefusedError
	switch {
	case errors.As(err, &refused):
		answerError(w, r, http.StatusConflict, "agent.desk_refused", refused.Text(r.Context()))
	case errors.Is(err, routing.ErrClosed):
		answerError(w, r, http.StatusConflict, "agent.desk_closed_already")
	case errors.Is(err, routing.ErrNotAgent):
		answerError(w, r, http.StatusBadRequest, "agent.transfer_no_agent")
	case errors.Is(err, storage.ErrNotFound):
		answerError(w, r, http.StatusNotFound, "agent.send.unknown")
	case errors.Is(err, routing.ErrPending):
		// Stored: the router applies it when it catches up.
		answerJSON(w, http.StatusAccepted, map[string]any{"ok": true, "message": i18n.T(r.Context(), "agent.desk_pending")})
	default:
		d.Logger.ErrorContext(r.Context(), "routing command", "error", err)
		answerError(w, r, http.StatusServiceUnavailable, "agent.desk_retry")
	}
}

// handleClose closes the conversation with one of the tenant's outcomes
// (required when the tenant has any) through the router.
func handleClose(d Deps) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		c, ok := held(d, w, r)
		if !ok {
			return
		}
		p, _ := auth.FromContext(r.Context())
		outcomes, err := d.Store.ListOutcomes(r.Context(), p.TenantID)
		if err != nil {
			d.Logger.ErrorContext(r.Context(), "list outcomes", "error", err)
			answerError(w, r, http.StatusServiceUnavailable, "agent.desk_retry")
			return
		}
		outcome := strings.TrimSpace(r.PostFormValue("outcome"))
		known := slices.ContainsFunc(outcomes, func(o storage.CloseOutcome) bool { return o.Name == outcome })
		switch {
		case len(outcomes) > 0 && outcome == "":
			answerError(w, r, http.StatusBadRequest, "agent.close_outcome_required")
			return
		case outcome != "" && !known:
			answerError(w, r, http.StatusBadRequest, "agent.close_outcome_unknown")
			return
		}
		err = d.Routing.CloseWithOutcome(r.Context(), p.TenantID, c.ID, outcome, "agent:"+p.UserID)
		if err != nil {
			routingError(d, w, r, err)
			return
		}
		answerJSON(w, http.StatusOK, map[string]any{"ok": true, "message": i18n.T(r.Context(), "agent.closed_done")})
	}
}

// handleTransfer gives the conversation to a colleague or back to a
// skillset's queue; the note, if any, is kept as a private note once the
// router accepted the transfer (a refused transfer stores nothing).
func handleTransfer(d Deps) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		c, ok := held(d, w, r)
		if !ok {
			return
		}
		p, _ := auth.FromContext(r.Context())
		note := strings.TrimSpace(r.PostFormValue("note"))
		if note != "" {
			if _, err := storage.CheckNote(note); fieldError(w, r, err) {
				return
			}
		}
		actor := "agent:" + p.UserID
		kind, target, _ := strings.Cut(r.PostFormValue("target"), ":")
		var err error
		switch {
		case kind == "agent" && target == p.UserID:
			answerError(w, r, http.StatusBadRequest, "agent.transfer_to_self")
			return
		case kind == "agent":
			err = d.Routing.TransferToAgent(r.Context(), p.TenantID, c.ID, target, actor)
		case kind == "skillset":
			err = d.Routing.TransferToSkillset(r.Context(), p.TenantID, c.ID, target, actor)
		default:
			answerError(w, r, http.StatusBadRequest, "agent.transfer_choose")
			return
		}
		if err != nil && !errors.Is(err, routing.ErrPending) {
			routingError(d, w, r, err)
			return
		}
		if note != "" {
			_, told, nerr := d.Store.AddNote(r.Context(), p.TenantID, c.ID, p.UserID, note)
			if nerr != nil {
				d.Logger.ErrorContext(r.Context(), "transfer note", "error", nerr)
				answerError(w, r, http.StatusServiceUnavailable, "agent.transfer_note_lost")
				return
			}
			if d.Hub != nil {
				d.Hub.Publish(r.Context(), told) // the new holder, already at it, reads the note at once
			}
		}
		if err != nil {
			routingError(d, w, r, err) // pending: accepted, applied shortly
			return
		}
		answerJSON(w, http.StatusOK, map[string]any{"ok": true, "message": i18n.T(r.Context(), "agent.transferred_done")})
	}
}

// cannedItem is a reply as the composer inserts it.
type cannedItem struct {
	Shortcut string `json:"shortcut"`
	Text     string `json:"text"`
	Shared   bool   `json:"shared"`
}

// handleCannedForConversation lists the replies the agent may insert, with
// {{contact_name}} filled for this conversation's contact.
func handleCannedForConversation(d Deps) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		c, ok := held(d, w, r)
		if !ok {
			return
		}
		p, _ := auth.FromContext(r.Context())
		contact, err := d.Store.Contact(r.Context(), p.TenantID, c.ContactID)
		if err != nil {
			d.Logger.ErrorContext(r.Context(), "load contact", "error", err)
			answerError(w, r, http.StatusServiceUnavailable, "agent.desk_retry")
			return
		}
		replies, err := d.Store.CannedForAgent(r.Context(), p.TenantID, p.UserID)
		if err != nil {
			d.Logger.ErrorContext(r.Context(), "list canned replies", "error", err)
			answerError(w, r, http.StatusServiceUnavailable, "agent.desk_retry")
			return
		}
		out := make([]cannedItem, 0, len(replies))
		for _, c := range replies {
			out = append(out, cannedItem{Shortcut: c.Shortcut, Text: strings.ReplaceAll(c.Body, contactNameVar, contact.Name), Shared: c.OwnerID == ""})
		}
		answerJSON(w, http.StatusOK, out)
	}
}

// The agent's own canned replies: /agent/canned.

func (d Deps) renderCanned(w http.ResponseWriter, r *http.Request, status int, f *ui.Form, editing string) {
	p, _ := auth.FromContext(r.Context())
	mine, err := d.Store.ListCanned(r.Context(), p.TenantID, p.UserID)
	if err != nil {
		d.Unavailable(w, r, "list canned replies", err)
		return
	}
	shared, err := d.Store.ListCanned(r.Context(), p.TenantID, "")
	if err != nil {
		d.Unavailable(w, r, "list canned replies", err)
		return
	}
	page := d.Shell.Page(w, r, "agent.canned_title", "agent-canned")
	d.Render(w, r, status, CannedPage(page, mine, shared, f, editing))
}

func handleCannedPage(d Deps) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) { d.renderCanned(w, r, http.StatusOK, ui.NewForm(), "") }
}

// handleCannedSave adds a reply (no id) or changes one of the agent's own;
// someone else's is 404, like one that does not exist.
func handleCannedSave(d Deps) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		p, _ := auth.FromContext(r.Context())
		id := chi.URLParam(r, "id")
		f := ui.NewForm()
		f.Values["shortcut"], f.Values["body"] = r.PostFormValue("shortcut"), r.PostFormValue("body")
		actor := p.Actor(httpx.ClientIP(r))
		var err error
		if id == "" {
			_, err = d.Store.CreateCanned(r.Context(), p.TenantID, actor, p.UserID, f.Values["shortcut"], f.Values["body"])
		} else {
			err = d.Store.UpdateCanned(r.Context(), p.TenantID, actor, p.UserID, id, f.Values["shortcut"], f.Values["body"])
		}
		var fe *domain.FieldError
		switch {
		case errors.As(err, &fe):
			f.Fail(fe.Field, fe.Key)
			d.renderCanned(w, r, http.StatusUnprocessableEntity, f, id)
			return
		case errors.Is(err, storage.ErrNotFound):
			d.NotFound(w, r)
			return
		case err != nil:
			d.Unavailable(w, r, "save canned reply", err)
			return
		}
		ui.SetFlash(w, d.Cookies, "success", "agent.canned_saved", "")
		http.Redirect(w, r, "/agent/canned", http.StatusSeeOther)
	}
}

func handleCannedDelete(d Deps) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		p, _ := auth.FromContext(r.Context())
		err := d.Store.DeleteCanned(r.Context(), p.TenantID, p.Actor(httpx.ClientIP(r)), p.UserID, chi.URLParam(r, "id"))
		if errors.Is(err, storage.ErrNotFound) {
			d.NotFound(w, r)
			return
		} else if err != nil {
			d.Unavailable(w, r, "delete canned reply", err)
			return
		}
		ui.SetFlash(w, d.Cookies, "success", "agent.canned_deleted", "")
		http.Redirect(w, r, "/agent/canned", http.StatusSeeOther)
	}
}

// noteAuthor names a note's author; a deleted user's notes stay, unsigned.
func noteAuthor(ctx context.Context, n storage.Note) string {
	if n.AuthorName == "" {
		return i18n.T(ctx, "agent.note_author_gone")
	}
	return n.AuthorName
}

// deskRoutes mounts the agent's tools under /agent.
func deskRoutes(r chi.Router, d Deps) {
	r.Get("/conversations/{id}/desk", handleDeskActions(d))
	r.Get("/conversations/{id}/notes", handleNotes(d))
	r.Post("/conversations/{id}/notes", handleAddNote(d))
	r.Post("/conversations/{id}/close", handleClose(d))
	r.Post("/conversations/{id}/transfer", handleTransfer(d))
	r.Get("/conversations/{id}/canned", handleCannedForConversation(d))
	r.Get("/canned", handleCannedPage(d))
	r.Post("/canned", handleCannedSave(d))
	r.Post("/canned/{id}", handleCannedSave(d))
	r.Post("/canned/{id}/delete", handleCannedDelete(d))
}
