package inbound

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"switchboard/internal/automation"
	"switchboard/internal/domain"
	"switchboard/internal/outbound"
	"switchboard/internal/storage"
	"switchboard/internal/whatsapp/webhook"
)

// applyMessages handles a `messages` change: every message and every status
// in it, for the tenant that owns the number.
func (p *Processor) applyMessages(ctx context.Context, tx storage.InboundTx, ev storage.WebhookEvent, v *webhook.MessagesValue, fx *effects) (string, error) {
	pnid := v.Metadata.PhoneNumberID
	n, err := fx.lookups.number(ctx, tx, pnid)
	if err == nil && !fromItsApp(n, ev) {
		return fmt.Sprintf("phone_number_id %q is not connected through the app this webhook came from", pnid), nil
	}
	if errors.Is(err, storage.ErrNotFound) {
		if len(v.Messages) == 0 && len(v.Statuses) == 0 && len(v.Errors) == 0 {
			return "", nil
		}
		return fmt.Sprintf("%v %q", errUnknownNumber, pnid), nil
	}
	if err != nil {
		return "", err
	}
	if err := tx.Scope(ctx, n.TenantID); err != nil {
		return "", err
	}
	var reasons []string
	mediaQueued := false
	for i := range v.Messages {
		m := &v.Messages[i]
		if m.Invalid {
			reasons = append(reasons, m.Path+": invalid message kept in the event only")
			continue
		}
		queued, err := p.applyMessage(ctx, tx, n, v, m, fx)
		if err != nil {
			return "", fmt.Errorf("%s: %w", m.Path, err)
		}
		mediaQueued = mediaQueued || queued
	}
	for i := range v.Statuses {
		s := &v.Statuses[i]
		if s.Invalid {
			reasons = append(reasons, s.Path+": invalid status kept in the event only")
			continue
		}
		if err := applyStatus(ctx, tx, n.TenantID, s); err != nil {
			return "", fmt.Errorf("%s: %w", s.Path, err)
		}
	}
	for _, e := range v.Errors {
		// These errors carry no id or time: the error and the rest of its
		// change (the messages and statuses beside it) identify it.
		key := dedupeKey(webhook.Entry{}, []byte(fmt.Sprintf("%s|%d|%s|%s|%v", pnid, e.Code, e.Title, e.Details, messageIDs(v))))
		if err := tx.NumberEvent(ctx, n.TenantID, n.ID, "messages.errors", fmt.Sprint(e.Code),
			map[string]any{"code": e.Code, "title": e.Title, "details": e.Details}, "", "", key); err != nil {
			return "", err
		}
	}
	fx.mediaQueued = fx.mediaQueued || mediaQueued
	return strings.Join(reasons, "; "), nil
}

func messageIDs(v *webhook.MessagesValue) []string {
	ids := make([]string, 0, len(v.Messages)+len(v.Statuses))
	for _, m := range v.Messages {
		ids = append(ids, m.ID)
	}
	for _, s := range v.Statuses {
		ids = append(ids, s.ID+"/"+s.Status)
	}
	return ids
}

// applyMessage stores one customer message in its conversation.
func (p *Processor) applyMessage(ctx context.Context, tx storage.InboundTx, n domain.Number, v *webhook.MessagesValue, m *webhook.Message, fx *effects) (bool, error) {
	if stored, err := tx.MessageStored(ctx, n.TenantID, m.ID); err != nil || stored {
		return false, err // a redelivery: nothing changes
	}
	key := storage.ContactKey{WaID: m.From, UserID: m.FromUserID}
	if c := v.ContactFor(*m); c != nil {
		key.Name = c.Name
		if key.WaID == "" {
			key.WaID = c.WaID
		}
		if key.UserID == "" {
			key.UserID = c.UserID
		}
	}
	contactID, err := tx.UpsertContact(ctx, n.TenantID, key)
	if err != nil {
		return false, err
	}
	if m.System != nil && m.System.Type == "user_changed_number" && m.System.WaID != "" {
		if err := tx.ChangeContactNumber(ctx, n.TenantID, contactID, m.System.WaID); err != nil {
			return false, err
		}
	}
	convID, status, isNew, err := tx.OpenOrStartConversation(ctx, n.TenantID, n.ID, contactID)
	if err != nil {
		return false, err
	}
	msg := toMessage(n.TenantID, convID, m)
	queued := false
	if media := m.MediaObject(); media != nil {
		msg.MediaID, err = tx.UpsertMedia(ctx, domain.Media{TenantID: n.TenantID, NumberID: n.ID, MetaMediaID: media.ID,
			URL: media.URL, MimeType: media.MimeType, Filename: media.Filename, SHA256: media.SHA256})
		if err != nil {
			return false, err
		}
		queued = true
	}
	// The conversation's times move with the insert (one statement). System
	// notices are not the customer writing: they keep the window.
	inserted, err := tx.InsertInboundMessage(ctx, msg, m.Raw, m.Type != webhook.TypeSystem)
	if err != nil || !inserted {
		return false, err // a redelivery changes nothing
	}
	if m.Reaction != nil && m.Reaction.MessageID != "" {
		if err := tx.SetReaction(ctx, n.TenantID, m.Reaction.MessageID, m.Reaction.Emoji); err != nil {
			return false, err
		}
	}
	stopped := false
	if m.Text != nil {
		if stopped, err = p.honourStop(ctx, tx, n, contactID, m, fx); err != nil {
			return false, err
		}
	}
	if p.Automation != nil && !stopped && m.Type != webhook.TypeSystem && m.Reaction == nil {
		bm := automation.Message{ConversationID: convID, Status: status, ContactID: contactID, WaID: key.WaID, New: isNew,
			WAMID: m.ID, At: m.Timestamp, Input: automation.FromWebhook(m)}
		sent, err := p.Automation.OnMessage(ctx, tx, fx.lookups.bots(), n, bm)
		if err != nil {
			return false, fmt.Errorf("softbots: %w", err)
		}
		fx.outboundQueued = fx.outboundQueued || sent
	}
	fx.applied = append(fx.applied, [2]string{n.TenantID, convID})
	return queued, nil
}

// applyStatus keeps the status and moves its message forward, never back.
// A status for a message not stored yet is kept and applied when the
// message arrives (outbound messages are stored before Meta answers).
func applyStatus(ctx context.Context, tx storage.InboundTx, tenantID string, s *webhook.Status) error {
	rec := storage.StatusRecord{WAMID: s.ID, Status: s.Status, Timestamp: s.Timestamp, Raw: s.Raw}
	if len(s.Errors) > 0 {
		e := s.Errors[0]
		code := e.Code
		rec.ErrorCode, rec.ErrorTitle, rec.ErrorDetails = &code, e.Title, e.Details
	}
	inserted, err := tx.InsertStatus(ctx, tenantID, rec)
	if err != nil || !inserted {
		return err
	}
	current, err := tx.MessageStatus(ctx, tenantID, s.ID)
	if errors.Is(err, storage.ErrNotFound) {
		// Our reference comes back on the status: a send whose answer we
		// never recorded (a crash in between) is settled here.
		ref, ok := strings.CutPrefix(s.BizOpaqueCallbackData, "sb:")
		if !ok || !domain.ValidID(ref) {
			return nil
		}
		if found, err := tx.ReconcileByReference(ctx, tenantID, ref, s.ID); err != nil || !found {
			return err
		}
		return ApplyRecordedStatuses(ctx, tx, tenantID, s.ID)
	}
	if err != nil {
		return err
	}
	if advances(current, s.Status) {
		return tx.SetMessageStatus(ctx, tenantID, s.ID, rec)
	}
	return nil
}

// advances is webhook.StatusAdvances for our stored statuses: "queued" (in
// the outbox) and "accepted" (Meta took it) come before any of Meta's.
func advances(current, next string) bool {
	if current == "queued" || current == "accepted" {
		current = ""
	}
	return webhook.StatusAdvances(current, next)
}

// toMessage maps a parsed message onto the stored model: the text a person
// reads in `text`, the structured rest in `details`.
func toMessage(tenantID, convID string, m *webhook.Message) domain.Message {
	out := domain.Message{TenantID: tenantID, ConversationID: convID, WAMID: m.ID, Direction: "inbound",
		Type: m.Type, Timestamp: m.Timestamp, Details: map[string]any{}}
	if m.Context != nil {
		out.ContextWAMID = m.Context.ID
		out.Forwarded = m.Context.Forwarded
		out.FrequentlyForwarded = m.Context.FrequentlyForwarded
		if m.Context.ReferredProduct != nil {
			out.Details["referred_product"] = m.Context.ReferredProduct
		}
	}
	if m.Referral != nil {
		out.Details["referral"] = m.Referral
	}
	if len(m.Errors) > 0 {
		e := m.Errors[0]
		code := e.Code
		out.ErrorCode, out.ErrorTitle, out.ErrorDetails = &code, e.Title, e.Details
	}
	switch {
	case m.Text != nil:
		out.Text = m.Text.Body
	case m.MediaObject() != nil:
		md := m.MediaObject()
		out.Text = md.Caption
		if md.Voice {
			out.Details["voice"] = true
		}
		if md.Animated {
			out.Details["animated"] = true
		}
	case m.Location != nil:
		out.Text = m.Location.Name
		out.Details["location"] = map[string]any{"latitude": m.Location.Latitude, "longitude": m.Location.Longitude,
			"name": m.Location.Name, "address": m.Location.Address, "url": m.Location.URL}
	case len(m.Contacts) > 0:
		names := make([]string, 0, len(m.Contacts))
		for _, c := range m.Contacts {
			names = append(names, c.Name.FormattedName)
		}
		out.Text = strings.Join(names, ", ")
		out.Details["contacts"] = m.Contacts
	case m.Interactive != nil:
		it := m.Interactive
		out.Details["interactive_type"] = it.Type
		switch {
		case it.ButtonReply != nil:
			out.Text = it.ButtonReply.Title
			out.Details["reply_id"] = it.ButtonReply.ID
		case it.ListReply != nil:
			out.Text = it.ListReply.Title
			out.Details["reply_id"] = it.ListReply.ID
			out.Details["reply_description"] = it.ListReply.Description
		case it.NFMReply != nil:
			out.Text = it.NFMReply.Body
			out.Details["flow_response_json"] = it.NFMReply.ResponseJSON
		}
	case m.Button != nil:
		out.Text = m.Button.Text
		out.Details["payload"] = m.Button.Payload
	case m.Reaction != nil:
		out.Text = m.Reaction.Emoji
		out.ContextWAMID = m.Reaction.MessageID
	case m.Order != nil:
		out.Text = m.Order.Text
		out.Details["order"] = m.Order
	case m.System != nil:
		out.Text = m.System.Body
		out.Details["system_type"] = m.System.Type
	case m.Unsupported != nil:
		out.Type = webhook.TypeUnsupported
		out.Details["unsupported_type"] = m.Unsupported.Type
		out.Details["sent_type"] = m.Unsupported.SentType
	}
	return out
}

// ApplyRecordedStatuses moves a newly stored message to the furthest status
// already recorded for it: statuses can arrive before the message they
// describe.
func ApplyRecordedStatuses(ctx context.Context, tx storage.InboundTx, tenantID, wamid string) error {
	recs, err := tx.Statuses(ctx, tenantID, wamid)
	if err != nil {
		return err
	}
	current, err := tx.MessageStatus(ctx, tenantID, wamid)
	if err != nil {
		return err
	}
	for _, r := range recs {
		if advances(current, r.Status) {
			if err := tx.SetMessageStatus(ctx, tenantID, wamid, r); err != nil {
				return err
			}
			current = r.Status
		}
	}
	return nil
}

// stopReply is what a customer who wrote a stop word is told, once.
var stopReply = map[string]string{
	"en": "You will no longer receive messages from us on WhatsApp. Write to us any time if you need help.",
	"it": "Non riceverai più nostri messaggi su WhatsApp. Scrivici quando vuoi se hai bisogno di aiuto.",
}

// italianStopWords pick the reply's language.
var italianStopWords = map[string]bool{"BASTA": true, "DISISCRIVIMI": true, "CANCELLAMI": true}

// honourStop withdraws consent at once when the whole message is one of
// the tenant's stop words, and tells the customer so, once: only when the
// consent actually changes, in the same transaction (a replayed webhook
// neither withdraws twice nor answers twice).
// It reports whether the message was a stop word (no bot answers it).
func (p *Processor) honourStop(ctx context.Context, tx storage.InboundTx, n domain.Number, contactID string, m *webhook.Message, fx *effects) (bool, error) {
	word := strings.ToUpper(strings.TrimSpace(m.Text.Body))
	if word == "" || len(word) > 40 {
		return false, nil
	}
	keywords, err := fx.lookups.stopWords(ctx, tx, n.TenantID)
	if err != nil {
		return false, err
	}
	if !slices.ContainsFunc(keywords, func(k string) bool { return strings.EqualFold(k, word) }) {
		return false, nil
	}
	changed, err := tx.SetConsent(ctx, n.TenantID, contactID, "revoked", "customer_message", "customer", "wrote "+word)
	if err != nil || !changed {
		return true, err
	}
	lang := "en"
	if italianStopWords[word] {
		lang = "it"
	}
	reply := outbound.Content{Type: outbound.TypeText, Text: stopReply[lang]}
	_, _, err = tx.EnqueueOutbound(ctx, storage.Outgoing{TenantID: n.TenantID, NumberID: n.ID, ContactID: contactID,
		Type: reply.Type, Text: reply.Text, Sender: "system", IdempotencyKey: "stop:" + m.ID, Payload: reply})
	if err == nil {
		fx.outboundQueued = true
	}
	return true, err
}
