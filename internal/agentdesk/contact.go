package agentdesk

import (
	"context"
	"errors"
	"net/http"
	"strings"

	"github.com/go-chi/chi/v5"

	"switchboard/internal/auth"
	"switchboard/internal/domain"
	"switchboard/internal/httpx"
	"switchboard/internal/i18n"
	"switchboard/internal/storage"
	"switchboard/internal/ui"
)

// The contact panel beside a conversation. The page carries an empty slot
// that contact.js fills from GET …/contact and keeps current; its forms post
// to …/contact/… and, from the script, get the panel back re-rendered from
// Postgres (422 with the error beside the input when a value is refused).
// Without the script a post answers with a redirect and a flash. Only the
// agent holding the conversation may see or change it (mine).

// panelHeader marks a post made by contact.js, which wants the panel back
// rather than a redirect.
const panelHeader = "X-Contact-Panel"

// panelState is what one answer adds to the stored contact: a notice, or an
// error with the input it concerns, and what the agent typed in the forms
// that do not show a stored value (the consent note, a new tag).
type panelState struct {
	Notice   string // message key of a success
	ErrField string // "consent", "note", "tag" or a field's key
	ErrKey   string
	Typed    map[string]string
}

func (s panelState) typed(name string) string { return s.Typed[name] }

// renderPanel loads the contact of c and renders the panel.
func renderPanel(d Deps, w http.ResponseWriter, r *http.Request, c domain.Conversation, status int, st panelState) {
	v, err := d.Store.ContactPanel(r.Context(), c.TenantID, c.ContactID, c.ID)
	if err != nil {
		d.Unavailable(w, r, "load contact panel", err)
		return
	}
	w.Header().Set("Cache-Control", "no-store")
	d.Render(w, r, status, ContactPanel(auth.CSRFToken(r.Context()), c.ID, v, st))
}

func handleContactPanel(d Deps) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		c, ok := mine(d, w, r)
		if !ok {
			return
		}
		renderPanel(d, w, r, c, http.StatusOK, panelState{})
	}
}

// contactChange makes a handler of one change to the contact of a
// conversation the agent holds. change returns the message key to show on
// success ("" when nothing changed needs no notice of its own); a
// *domain.FieldError is shown beside its input and changed nothing.
func contactChange(d Deps, typed []string, change func(r *http.Request, actor storage.Actor, c domain.Conversation) (string, error)) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		c, ok := mine(d, w, r)
		if !ok {
			return
		}
		p, _ := auth.FromContext(r.Context())
		notice, err := change(r, p.Actor(httpx.ClientIP(r)), c)
		var fe *domain.FieldError
		switch {
		case errors.As(err, &fe):
		case errors.Is(err, storage.ErrNotFound):
			d.NotFound(w, r)
			return
		case err != nil:
			d.Unavailable(w, r, "contact change", err)
			return
		}
		if r.Header.Get(panelHeader) == "" {
			if fe != nil {
				setFlash(d, w, "error", fe.Key)
			} else {
				setFlash(d, w, "success", notice)
			}
			http.Redirect(w, r, "/agent/conversations/"+c.ID, http.StatusSeeOther)
			return
		}
		st := panelState{Notice: notice}
		status := http.StatusOK
		if fe != nil {
			st = panelState{ErrField: fe.Field, ErrKey: fe.Key, Typed: map[string]string{}}
			for _, name := range typed {
				st.Typed[name] = r.PostFormValue(name)
			}
			status = http.StatusUnprocessableEntity
		}
		renderPanel(d, w, r, c, status, st)
	}
}

func setFlash(d Deps, w http.ResponseWriter, kind, key string) {
	if key != "" {
		ui.SetFlash(w, d.Cookies, kind, key, "")
	}
}

func handleContactConsent(d Deps) http.HandlerFunc {
	return contactChange(d, []string{"consent", "note"}, func(r *http.Request, actor storage.Actor, c domain.Conversation) (string, error) {
		changed, err := d.Store.RecordAgentConsent(r.Context(), c.TenantID, actor, c.ContactID, r.PostFormValue("consent"), r.PostFormValue("note"))
		if err != nil {
			return "", err
		}
		if !changed {
			return "agent.contact.consent_same", nil
		}
		return "agent.contact.consent_recorded", nil
	})
}

func handleContactTagAdd(d Deps) http.HandlerFunc {
	return contactChange(d, []string{"tag"}, func(r *http.Request, actor storage.Actor, c domain.Conversation) (string, error) {
		_, err := d.Store.AddContactTag(r.Context(), c.TenantID, actor, c.ContactID, r.PostFormValue("tag"))
		return "agent.contact.tag_added", err
	})
}

func handleContactTagRemove(d Deps) http.HandlerFunc {
	return contactChange(d, nil, func(r *http.Request, actor storage.Actor, c domain.Conversation) (string, error) {
		_, err := d.Store.RemoveContactTag(r.Context(), c.TenantID, actor, c.ContactID, r.PostFormValue("tag"))
		return "agent.contact.tag_removed", err
	})
}

func handleContactField(d Deps) http.HandlerFunc {
	return contactChange(d, nil, func(r *http.Request, actor storage.Actor, c domain.Conversation) (string, error) {
		key := strings.TrimSpace(r.PostFormValue("key"))
		_, err := d.Store.SetContactField(r.Context(), c.TenantID, actor, c.ContactID, key, r.PostFormValue("value"))
		// A custom field's key could be "tag" or "note": its errors are
		// placed by "field:" and the key, apart from the other forms'.
		var fe *domain.FieldError
		if errors.As(err, &fe) {
			return "", &domain.FieldError{Field: "field:" + fe.Field, Key: fe.Key}
		}
		return "agent.contact.field_saved", err
	})
}

// contactRoutes mounts the panel under /agent/conversations/{id}/contact.
func contactRoutes(r chi.Router, d Deps) {
	r.Get("/conversations/{id}/contact", handleContactPanel(d))
	r.Post("/conversations/{id}/contact/consent", handleContactConsent(d))
	r.Post("/conversations/{id}/contact/tags", handleContactTagAdd(d))
	r.Post("/conversations/{id}/contact/tags/remove", handleContactTagRemove(d))
	r.Post("/conversations/{id}/contact/fields", handleContactField(d))
}

// contactPhone is the contact's phone as WhatsApp gave it, else its
// WhatsApp id written as a number.
func contactPhone(v storage.ContactPanel) string {
	switch {
	case v.Contact.Phone != "":
		return v.Contact.Phone
	case v.Contact.WaID != "":
		return "+" + v.Contact.WaID
	}
	return ""
}

// sourceLabel names how consent was given, in the reader's language.
func sourceLabel(ctx context.Context, source string) string {
	key := "agent.contact.source." + source
	if !i18n.Has(key) {
		return source
	}
	return i18n.T(ctx, key)
}

// conversationStatus translates a conversation's status (the admin console
// has the same words; surfaces do not import each other).
func conversationStatus(ctx context.Context, status string) string {
	switch status {
	case domain.ConversationBot:
		return i18n.T(ctx, "conversation.status_bot")
	case domain.ConversationQueued:
		return i18n.T(ctx, "conversation.status_queued")
	case domain.ConversationAssigned:
		return i18n.T(ctx, "conversation.status_assigned")
	case domain.ConversationClosed:
		return i18n.T(ctx, "conversation.status_closed")
	}
	return status
}
