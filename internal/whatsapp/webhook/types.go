package webhook

import (
	"encoding/json"
	"iter"
	"time"
)

// ObjectWhatsApp is the only envelope "object" value this package accepts.
const ObjectWhatsApp = "whatsapp_business_account"

// Webhook field names (changes[].field) that get a typed value. Any other
// field is kept in Change.Raw under its own name.
const (
	FieldMessages                 = "messages"
	FieldUserPreferences          = "user_preferences"
	FieldAutomaticEvents          = "automatic_events"
	FieldTemplateStatusUpdate     = "message_template_status_update"
	FieldTemplateQualityUpdate    = "message_template_quality_update"
	FieldTemplateCategoryUpdate   = "template_category_update"
	FieldPhoneNumberQualityUpdate = "phone_number_quality_update"
	FieldAccountUpdate            = "account_update"
)

// Payload is one parsed webhook POST body.
type Payload struct {
	// Object is always ObjectWhatsApp; Parse rejects anything else.
	Object string
	// Entries holds every entry that is a JSON object. Entries and changes
	// that are not objects (null, a string, …) are skipped with a Problem,
	// so slice indexes can run behind the indexes in Problem paths; messages
	// and statuses are never skipped and carry their own Path.
	Entries []Entry
	// Problems lists everything wrong inside the items, in document order.
	// A non-empty list does not mean the payload is unusable: items without
	// a problem of their own are complete, and items that are unusable carry
	// Invalid. Paths are stable, so a problem can be matched to its item via
	// Message.Path or Status.Path (see ProblemsFor).
	Problems []Problem
}

// Problem is one defect found inside a payload.
type Problem struct {
	// Path points at the item or field, e.g.
	// "entry[0].changes[1].value.messages[2].timestamp".
	Path string
	// Reason says what is wrong, in plain words for logs.
	Reason string
}

// String formats the problem for logs.
func (p Problem) String() string { return p.Path + ": " + p.Reason }

// Entry is one element of the envelope's entry array.
type Entry struct {
	// WABAID is entry[].id, the WhatsApp Business Account ID.
	WABAID string
	// Time is entry[].time. Only non-"messages" fields carry it; it is the
	// zero Time otherwise.
	Time    time.Time
	Changes []Change
}

// Change is one element of entry[].changes. At most one typed pointer is
// set, chosen by Field; all are nil for fields this package does not model,
// and also when the value of a known field was not an object (a Problem then
// says so).
type Change struct {
	// Field is changes[].field exactly as sent.
	Field string
	// Raw is changes[].value as sent, whatever the field. It is a copy, not
	// a slice of the body passed to Parse.
	Raw json.RawMessage

	// Messages is set for "messages", "user_preferences" and
	// "automatic_events", which all share the messages-style envelope.
	Messages           *MessagesValue
	TemplateStatus     *TemplateStatusUpdate
	TemplateQuality    *TemplateQualityUpdate
	TemplateCategory   *TemplateCategoryUpdate
	PhoneNumberQuality *PhoneNumberQualityUpdate
	AccountUpdate      *AccountUpdate
}

// MessagesValue is the value of a "messages"-style change.
type MessagesValue struct {
	// MessagingProduct is "whatsapp".
	MessagingProduct string
	// Metadata names the business number the change belongs to; its
	// PhoneNumberID is what routes the change to a tenant.
	Metadata Metadata
	// Contacts are the profiles of the users who sent Messages. Absent for
	// system messages and for statuses.
	Contacts        []Contact
	Messages        []Message
	Statuses        []Status
	Errors          []Error
	UserPreferences []UserPreference
	AutomaticEvents []AutomaticEvent
}

// Metadata is value.metadata.
type Metadata struct {
	DisplayPhoneNumber string
	PhoneNumberID      string
}

// Contact is one element of value.contacts: the sender's profile.
type Contact struct {
	// WaID is the user's WhatsApp ID (usually the phone number in digits).
	// Empty for a user known only by a business-scoped user ID.
	WaID string
	// UserID is the business-scoped user ID (BSUID, e.g.
	// "US.13491208655302741918"), sent since April 2026.
	UserID string
	// ParentUserID is the optional parent BSUID ("US.ENT.…").
	ParentUserID string
	// Name is profile.name.
	Name string
	// Username is profile.username, for users who adopted a username.
	Username string
	// IdentityKeyHash is sent only when the identity-change check is on.
	IdentityKeyHash string
}

// Error is one WhatsApp error object, as found in value.errors,
// messages[].errors and statuses[].errors.
type Error struct {
	Code    int
	Title   string
	Message string
	// Details is error_data.details.
	Details string
	Href    string
}

// ContactFor returns the contact that sent m, matched by wa_id or by BSUID,
// or nil. The pointer aliases v.Contacts.
func (v MessagesValue) ContactFor(m Message) *Contact {
	for i := range v.Contacts {
		c := &v.Contacts[i]
		if (m.From != "" && c.WaID == m.From) || (m.FromUserID != "" && c.UserID == m.FromUserID) {
			return c
		}
	}
	return nil
}

// Messages yields every message of every messages-style change, with the
// value it belongs to (for Metadata and Contacts), in document order.
// Invalid messages are included; check Message.Invalid.
func (p *Payload) Messages() iter.Seq2[*MessagesValue, *Message] {
	return func(yield func(*MessagesValue, *Message) bool) {
		for _, v := range p.values() {
			for i := range v.Messages {
				if !yield(v, &v.Messages[i]) {
					return
				}
			}
		}
	}
}

// Statuses yields every status of every messages-style change, with the
// value it belongs to, in document order. Invalid statuses are included;
// check Status.Invalid.
func (p *Payload) Statuses() iter.Seq2[*MessagesValue, *Status] {
	return func(yield func(*MessagesValue, *Status) bool) {
		for _, v := range p.values() {
			for i := range v.Statuses {
				if !yield(v, &v.Statuses[i]) {
					return
				}
			}
		}
	}
}

func (p *Payload) values() []*MessagesValue {
	var out []*MessagesValue
	for i := range p.Entries {
		for j := range p.Entries[i].Changes {
			if v := p.Entries[i].Changes[j].Messages; v != nil {
				out = append(out, v)
			}
		}
	}
	return out
}

// ProblemsFor returns the problems recorded at path or below it, e.g. all
// problems of one message given its Message.Path.
func (p *Payload) ProblemsFor(path string) []Problem {
	var out []Problem
	for _, pr := range p.Problems {
		if pr.Path == path || (len(pr.Path) > len(path) && pr.Path[:len(path)] == path &&
			(pr.Path[len(path)] == '.' || pr.Path[len(path)] == '[')) {
			out = append(out, pr)
		}
	}
	return out
}
