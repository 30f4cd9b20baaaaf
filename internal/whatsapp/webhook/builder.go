package webhook

import (
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"time"
)

// Builder assembles a "messages" webhook body in Meta's exact shapes, for
// tests, the fake of Meta and the load generator. One Builder is one entry
// with one change; Batch puts several into one POST. Parse(b.Bytes()) gives
// back what was added. A Builder is not safe for concurrent use.
type Builder struct {
	wabaID string
	value  wireMessagesValue
	lastID string
}

// NewMessagesPayload starts a "messages" change for one business number.
func NewMessagesPayload(wabaID, phoneNumberID, displayPhone string) *Builder {
	return &Builder{
		wabaID: wabaID,
		value: wireMessagesValue{
			MessagingProduct: "whatsapp",
			Metadata:         wireMetadata{DisplayPhoneNumber: displayPhone, PhoneNumberID: phoneNumberID},
		},
	}
}

// NewWAMID returns a fresh random message ID shaped like Meta's
// ("wamid." + base64). Unique with overwhelming probability.
func NewWAMID() string {
	var b [30]byte
	_, _ = rand.Read(b[:]) // crypto/rand.Read never fails (Go ≥ 1.24)
	return "wamid." + base64.StdEncoding.EncodeToString(b[:])
}

// AddMessage appends m as sent by from. Empty fields are filled the way Meta
// would: ID (NewWAMID), Timestamp (now), From/FromUserID (from from) and Type
// (from whichever object is set). from is also added to value.contacts,
// except for system messages, which Meta sends without contacts.
func (b *Builder) AddMessage(from Contact, m Message) *Builder {
	if m.ID == "" {
		m.ID = NewWAMID()
	}
	if m.Timestamp.IsZero() {
		m.Timestamp = time.Now()
	}
	if m.From == "" && m.FromUserID == "" {
		m.From, m.FromUserID, m.FromParentUserID = from.WaID, from.UserID, from.ParentUserID
	}
	if m.Type == "" {
		m.Type = inferType(m)
	}
	if m.Type != TypeSystem {
		b.addContact(from)
	}
	b.value.Messages = append(b.value.Messages, toWireMessage(m))
	b.lastID = m.ID
	return b
}

// LastMessageID is the ID of the message added last, e.g. to quote it or to
// follow it through the pipeline.
func (b *Builder) LastMessageID() string { return b.lastID }

// Text appends a text message.
func (b *Builder) Text(from Contact, body string) *Builder {
	return b.AddMessage(from, Message{Type: TypeText, Text: &Text{Body: body}})
}

// Image appends an image message.
func (b *Builder) Image(from Contact, m Media) *Builder {
	return b.AddMessage(from, Message{Type: TypeImage, Image: &m})
}

// Video appends a video message.
func (b *Builder) Video(from Contact, m Media) *Builder {
	return b.AddMessage(from, Message{Type: TypeVideo, Video: &m})
}

// Audio appends an audio message; set m.Voice for a voice note.
func (b *Builder) Audio(from Contact, m Media) *Builder {
	return b.AddMessage(from, Message{Type: TypeAudio, Audio: &m})
}

// Document appends a document message.
func (b *Builder) Document(from Contact, m Media) *Builder {
	return b.AddMessage(from, Message{Type: TypeDocument, Document: &m})
}

// Sticker appends a sticker message; set m.Animated for an animated one.
func (b *Builder) Sticker(from Contact, m Media) *Builder {
	return b.AddMessage(from, Message{Type: TypeSticker, Sticker: &m})
}

// Location appends a location message.
func (b *Builder) Location(from Contact, l Location) *Builder {
	return b.AddMessage(from, Message{Type: TypeLocation, Location: &l})
}

// Reaction appends a reaction to messageID; emoji "" removes a reaction.
func (b *Builder) Reaction(from Contact, messageID, emoji string) *Builder {
	return b.AddMessage(from, Message{Type: TypeReaction, Reaction: &Reaction{MessageID: messageID, Emoji: emoji}})
}

// ButtonReply appends a reply-button press.
func (b *Builder) ButtonReply(from Contact, id, title string) *Builder {
	return b.AddMessage(from, Message{Type: TypeInteractive, Interactive: &Interactive{
		Type: InteractiveButtonReply, ButtonReply: &Reply{ID: id, Title: title},
	}})
}

// ListReply appends a list-row choice.
func (b *Builder) ListReply(from Contact, id, title, description string) *Builder {
	return b.AddMessage(from, Message{Type: TypeInteractive, Interactive: &Interactive{
		Type: InteractiveListReply, ListReply: &Reply{ID: id, Title: title, Description: description},
	}})
}

// AddStatus appends a status as given; a zero Timestamp becomes now.
func (b *Builder) AddStatus(s Status) *Builder {
	if s.Timestamp.IsZero() {
		s.Timestamp = time.Now()
	}
	b.value.Statuses = append(b.value.Statuses, toWireStatus(s))
	return b
}

// Status appends a plain status (no conversation or pricing) for the
// outbound message id.
func (b *Builder) Status(id, status, recipientID string, at time.Time) *Builder {
	return b.AddStatus(Status{ID: id, Status: status, RecipientID: recipientID, Timestamp: at})
}

// AddError appends a value-level error (value.errors).
func (b *Builder) AddError(e Error) *Builder {
	b.value.Errors = append(b.value.Errors, toWireErrors([]Error{e})...)
	return b
}

// Build returns the JSON body. It fails only for values JSON cannot carry
// (a NaN or infinite coordinate or price).
func (b *Builder) Build() ([]byte, error) { return Batch(b) }

// Bytes is Build for tests and generators, which construct their input and
// treat an unencodable value as a bug: it panics on error.
func (b *Builder) Bytes() []byte {
	body, err := b.Build()
	if err != nil {
		panic("webhook: Builder.Bytes: " + err.Error())
	}
	return body
}

// Signed returns the body and its X-Hub-Signature-256 value. It panics like
// Bytes.
func (b *Builder) Signed(appSecret []byte) (body []byte, signature string) {
	body = b.Bytes()
	return body, Sign(appSecret, body)
}

// Batch puts several builders into one POST, one entry each, the way Meta
// batches updates.
func Batch(builders ...*Builder) ([]byte, error) {
	env := wireEnvelope{Object: ObjectWhatsApp, Entry: []wireEntry{}}
	for _, b := range builders {
		env.Entry = append(env.Entry, wireEntry{
			ID:      b.wabaID,
			Changes: []wireChange{{Value: b.value, Field: FieldMessages}},
		})
	}
	return json.Marshal(env)
}

// FieldPayload wraps value (anything encoding/json marshals into the value
// object) in an envelope for a non-"messages" field, with the entry time Meta
// sends for those fields.
func FieldPayload(wabaID string, at time.Time, field string, value any) ([]byte, error) {
	t := at.Unix()
	return json.Marshal(wireEnvelope{Object: ObjectWhatsApp, Entry: []wireEntry{{
		ID: wabaID, Time: &t, Changes: []wireChange{{Value: value, Field: field}},
	}}})
}

// TemplateStatusPayload builds a message_template_status_update body. The
// template ID is written as a JSON integer, as Meta does, when it is all
// digits; a null reason is written for Reason "".
func TemplateStatusPayload(wabaID string, at time.Time, u TemplateStatusUpdate) ([]byte, error) {
	w := wireTemplateStatus{
		Event: u.Event, Name: u.Name, Language: u.Language, Category: u.Category,
	}
	w.TemplateID, _ = json.Marshal(u.TemplateID) // a string always marshals
	if isJSONUint(u.TemplateID) {
		w.TemplateID = json.RawMessage(u.TemplateID)
	}
	if u.Reason != "" {
		w.Reason = &u.Reason
	}
	if !u.DisableDate.IsZero() {
		w.DisableInfo = &wireDisableInfo{DisableDate: unixString(u.DisableDate)}
	}
	if u.OtherInfoTitle != "" || u.OtherInfoDescription != "" {
		w.OtherInfo = &wireOtherInfo{Title: u.OtherInfoTitle, Description: u.OtherInfoDescription}
	}
	if u.RejectionReason != "" || u.RejectionRecommendation != "" {
		w.RejectionInfo = &wireRejection{Reason: u.RejectionReason, Recommendation: u.RejectionRecommendation}
	}
	return FieldPayload(wabaID, at, FieldTemplateStatusUpdate, w)
}

func (b *Builder) addContact(c Contact) {
	if c.WaID == "" && c.UserID == "" {
		return
	}
	for _, have := range b.value.Contacts {
		if have.WaID == c.WaID && have.UserID == c.UserID {
			return
		}
	}
	w := wireContact{WaID: c.WaID, UserID: c.UserID, ParentUserID: c.ParentUserID, IdentityKeyHash: c.IdentityKeyHash}
	if c.Name != "" || c.Username != "" {
		w.Profile = &wireProfile{Name: c.Name, Username: c.Username}
	}
	b.value.Contacts = append(b.value.Contacts, w)
}

// inferType picks the type from the object that is set, for AddMessage
// callers who leave Type empty.
func inferType(m Message) string {
	switch {
	case m.Text != nil:
		return TypeText
	case m.Image != nil:
		return TypeImage
	case m.Video != nil:
		return TypeVideo
	case m.Audio != nil:
		return TypeAudio
	case m.Document != nil:
		return TypeDocument
	case m.Sticker != nil:
		return TypeSticker
	case m.Location != nil:
		return TypeLocation
	case len(m.Contacts) > 0:
		return TypeContacts
	case m.Interactive != nil:
		return TypeInteractive
	case m.Button != nil:
		return TypeButton
	case m.Reaction != nil:
		return TypeReaction
	case m.Order != nil:
		return TypeOrder
	case m.System != nil:
		return TypeSystem
	}
	return TypeUnsupported
}

// isJSONUint reports whether s is a valid JSON literal for a non-negative
// integer (digits, no leading zero), so it can be written unquoted.
func isJSONUint(s string) bool {
	if s == "" || (len(s) > 1 && s[0] == '0') {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}
