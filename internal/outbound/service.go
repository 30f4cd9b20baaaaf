package outbound

import (
	"context"
	"errors"
	"strings"
	"time"

	"switchboard/internal/domain"
	"switchboard/internal/phone"
	"switchboard/internal/storage"
	"switchboard/internal/whatsapp/graph"
)

// Service checks Meta's rules and queues messages.
type Service struct {
	store *storage.Store
	now   func() time.Time
	// Queued wakes the sender; may be nil.
	Queued func()
}

// NewService returns the outbound service.
func NewService(store *storage.Store, now func() time.Time) *Service {
	return &Service{store: store, now: now}
}

// Request is one message to send.
type Request struct {
	TenantID string
	NumberID string
	// ContactID, or To (the customer's international number) for a
	// recipient who may not be a contact yet.
	ContactID string
	To        string
	Content   Content
	// Sender is recorded on the message: "agent:<id>", "api:<key id>",
	// "system".
	Sender         string
	IdempotencyKey string
}

// Window is the customer-service window: 24 hours from the customer's last
// message.
const Window = 24 * time.Hour

// Send checks the rules and queues the message with its outbox row. With an
// idempotency key already used it returns the earlier message (created
// false) and sends nothing. A refusal is an *Error whose Code names the
// rule.
func (s *Service) Send(ctx context.Context, r Request) (domain.Message, bool, error) {
	if err := r.Content.Validate(); err != nil {
		return domain.Message{}, false, err
	}
	if len(r.IdempotencyKey) > 200 {
		return domain.Message{}, false, refuse("invalid_idempotency_key", "an idempotency key holds at most 200 characters")
	}
	if r.IdempotencyKey != "" {
		// A retry of a send that went through gets that send back, even if
		// the rules would refuse it now (the window closed meanwhile).
		if m, err := s.store.MessageByIdempotencyKey(ctx, r.TenantID, r.IdempotencyKey); err == nil {
			return m, false, nil
		} else if !errors.Is(err, storage.ErrNotFound) {
			return domain.Message{}, false, err
		}
	}
	if !domain.ValidID(r.NumberID) {
		return domain.Message{}, false, refuse("unknown_number", "number_id is not one of this tenant's numbers")
	}
	waID := ""
	switch {
	case r.ContactID != "":
		if !domain.ValidID(r.ContactID) {
			return domain.Message{}, false, refuse("unknown_contact", "contact_id is not one of this tenant's contacts")
		}
	case r.To != "":
		// As Meta reads it: digits alone carry their country code. The
		// numbering plans refuse what Meta would, before it is queued.
		var err error
		if waID, err = phone.International(r.To); err != nil {
			return domain.Message{}, false, refuse("invalid_recipient", "to must be an international phone number, e.g. +393331234567: %s", err)
		}
	default:
		return domain.Message{}, false, refuse("invalid_recipient", "give contact_id or to")
	}
	tmplName, tmplLang := "", ""
	if r.Content.Type == TypeTemplate {
		tmplName, tmplLang = r.Content.Template.Name, r.Content.Template.Language
	}
	f, err := s.store.OutboundFacts(ctx, r.TenantID, r.NumberID, r.ContactID, waID, tmplName, tmplLang)
	switch {
	case errors.Is(err, storage.ErrNotFound) && r.ContactID != "":
		return domain.Message{}, false, refuse("unknown_contact_or_number", "number_id or contact_id is not this tenant's")
	case errors.Is(err, storage.ErrNotFound):
		return domain.Message{}, false, refuse("unknown_number", "number_id is not one of this tenant's numbers")
	case err != nil:
		return domain.Message{}, false, err
	}
	if f.Number.Status == "disconnected" {
		return domain.Message{}, false, refuse("number_disconnected", "the number's access token was refused by Meta; an administrator must replace it")
	}
	if err := s.checkRules(r.Content, f); err != nil {
		return domain.Message{}, false, err
	}
	if mediaID := r.Content.FileID(); mediaID != "" {
		if !domain.ValidID(mediaID) {
			return domain.Message{}, false, refuse("unknown_media", "media_id is not a file uploaded to this tenant")
		}
		m, err := s.store.Media(ctx, r.TenantID, mediaID)
		if errors.Is(err, storage.ErrNotFound) {
			return domain.Message{}, false, refuse("unknown_media", "media_id is not a file uploaded to this tenant")
		} else if err != nil {
			return domain.Message{}, false, err
		}
		if kind := r.Content.fileKind(); kind != "" && m.Size != nil && graph.CheckMedia(kind, m.MimeType, *m.Size) != nil {
			// Meta would refuse it (131053) after an upload: say so now.
			return domain.Message{}, false, refuse("invalid_content", "the file is %s, which WhatsApp does not send as %s", m.MimeType, kind)
		}
	}
	m, created, err := s.store.EnqueueOutbound(ctx, r.Content.Outgoing(r.TenantID, r.NumberID, f.Contact.ID, waID, r.Sender, r.IdempotencyKey))
	if err == nil && created && s.Queued != nil {
		s.Queued()
	}
	return m, created, err
}

// checkRules applies Meta's rules to one send.
func (s *Service) checkRules(c Content, f storage.OutboundFacts) *Error {
	windowOpen := f.LastInboundAt != nil && s.now().Before(f.LastInboundAt.Add(Window))
	if c.Type == TypeTemplate {
		t := f.Template
		switch {
		case t == nil:
			return refuse("template_not_found", "no template %q in %q for this number's WhatsApp Business Account", c.Template.Name, c.Template.Language)
		case t.Status != "APPROVED":
			return refuse("template_not_approved", "template %q (%s) is %s, not approved by Meta", t.Name, t.Language, strings.ToLower(t.Status))
		case len(c.Template.BodyParams) != t.BodyParams:
			return refuse("template_params", "template %q takes %d body parameters, not %d", t.Name, t.BodyParams, len(c.Template.BodyParams))
		case len(c.Template.HeaderParams) != t.HeaderParams:
			return refuse("template_params", "template %q takes %d header parameters, not %d", t.Name, t.HeaderParams, len(c.Template.HeaderParams))
		}
	} else if !windowOpen {
		return refuse("window_closed", "the customer's last message is more than 24 hours old (or there is none): outside this window WhatsApp allows only approved templates")
	}
	if !windowOpen && f.Contact.Consent != "granted" {
		return refuse("no_consent", "a business-initiated message needs the customer's recorded consent, and this contact has none")
	}
	return nil
}

// Reply sends an agent's message in a conversation, through the same rules
// and pipeline as every other send (the agent console calls it).
func (s *Service) Reply(ctx context.Context, tenantID, agentID, conversationID string, c Content, idempotencyKey string) (domain.Message, error) {
	if !domain.ValidID(conversationID) {
		return domain.Message{}, refuse("unknown_conversation", "no such conversation")
	}
	conv, err := s.store.Conversation(ctx, tenantID, conversationID)
	if errors.Is(err, storage.ErrNotFound) {
		return domain.Message{}, refuse("unknown_conversation", "no such conversation")
	} else if err != nil {
		return domain.Message{}, err
	}
	m, _, err := s.Send(ctx, Request{TenantID: tenantID, NumberID: conv.NumberID, ContactID: conv.ContactID, Content: c,
		Sender: "agent:" + agentID, IdempotencyKey: idempotencyKey})
	return m, err
}
