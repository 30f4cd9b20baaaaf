package webhook

import (
	"encoding/json"
	"time"
)

// Message types (Message.Type). Anything Meta sends that is not in this list
// — "unknown", "request_welcome", "revoke", "edit", a type invented next
// year — is reported as TypeUnsupported, with the type as sent kept in
// Unsupported.SentType.
const (
	TypeText        = "text"
	TypeImage       = "image"
	TypeVideo       = "video"
	TypeAudio       = "audio"
	TypeDocument    = "document"
	TypeSticker     = "sticker"
	TypeLocation    = "location"
	TypeContacts    = "contacts"
	TypeInteractive = "interactive"
	TypeButton      = "button"
	TypeReaction    = "reaction"
	TypeOrder       = "order"
	TypeSystem      = "system"
	TypeUnsupported = "unsupported"
)

// Interactive reply types (Interactive.Type) that get a typed reply.
const (
	InteractiveButtonReply = "button_reply"
	InteractiveListReply   = "list_reply"
	InteractiveNFMReply    = "nfm_reply"
)

// Message is one inbound message (value.messages[]). The field that matches
// Type is always set (Text for "text", Image for "image", Unsupported for
// "unsupported", …), also on Invalid messages: a known type that arrived
// without its object is turned into "unsupported". System may come with
// Identity.
type Message struct {
	// ID is the wamid, the deduplication key for inbound messages.
	ID string
	// From is the sender's WhatsApp ID (phone digits). Empty for users known
	// only by BSUID; use SenderKey.
	From string
	// FromUserID and FromParentUserID are the sender's BSUIDs (2026+).
	FromUserID       string
	FromParentUserID string
	// Timestamp is when WhatsApp received the message (unix seconds as sent,
	// in UTC). Zero only on an Invalid message.
	Timestamp time.Time
	// Type is one of the Type* constants; never empty after Parse.
	Type string

	Text        *Text
	Image       *Media
	Video       *Media
	Audio       *Media
	Document    *Media
	Sticker     *Media
	Location    *Location
	Contacts    []SharedContact
	Interactive *Interactive
	Button      *Button
	Reaction    *Reaction
	Order       *Order
	System      *System
	Identity    *Identity
	Unsupported *Unsupported

	// Context is set on replies, forwards and product enquiries.
	Context *Context
	// Referral is set on the first message sent from a Click-to-WhatsApp ad.
	Referral *Referral
	// Errors rides on "unsupported" messages (e.g. code 131051).
	Errors []Error

	// Raw is this message's own JSON as sent, so nothing Meta sent is lost.
	Raw json.RawMessage
	// Path is where the message sits in the payload, for Problems and logs.
	Path string
	// Invalid is set when the message cannot be processed normally: no id,
	// no sender, no or a malformed timestamp, no type, or a known type whose
	// object is missing or unusable (media without id and url, location
	// without coordinates, reaction without message_id, interactive without
	// type or without its reply). Problems under Path say why. A field that
	// merely had the wrong JSON type is reported as a Problem but leaves the
	// message valid with that field empty.
	Invalid bool
}

// Text is the body of a "text" message.
type Text struct {
	Body string
}

// Media is the object of an image, video, audio, document or sticker message.
type Media struct {
	// ID is the media ID to download through the Graph API.
	ID       string
	MimeType string
	SHA256   string
	Caption  string
	// Filename is sent for documents.
	Filename string
	// URL is the direct download URL Meta includes since November 2025
	// (rolled out gradually; may be empty).
	URL string
	// Voice is true for a voice note recorded in WhatsApp (audio only).
	Voice bool
	// Animated is true for an animated sticker (sticker only).
	Animated bool
}

// Location is a shared location. A "current location" share carries only
// the coordinates.
type Location struct {
	Latitude  float64
	Longitude float64
	Name      string
	Address   string
	URL       string
}

// SharedContact is one contact card of a "contacts" message. The typed
// subset covers what an agent UI shows; Raw has the full card.
type SharedContact struct {
	Name      ContactName
	Phones    []ContactPhone
	Emails    []ContactEmail
	Addresses []ContactAddress
	Org       ContactOrg
	URLs      []ContactURL
	// Birthday is "YYYY-MM-DD" as sent.
	Birthday string
	Raw      json.RawMessage
}

// ContactName is a contact card's name.
type ContactName struct {
	FormattedName string
	FirstName     string
	LastName      string
	MiddleName    string
	Prefix        string
	Suffix        string
}

// ContactPhone is a phone on a contact card. WaID is set when the number is
// on WhatsApp.
type ContactPhone struct {
	Phone string
	WaID  string
	Type  string
}

// ContactEmail is an e-mail address on a contact card.
type ContactEmail struct {
	Email string
	Type  string
}

// ContactAddress is a postal address on a contact card.
type ContactAddress struct {
	Street      string
	City        string
	State       string
	Zip         string
	Country     string
	CountryCode string
	Type        string
}

// ContactOrg is a contact card's organisation.
type ContactOrg struct {
	Company    string
	Department string
	Title      string
}

// ContactURL is a web address on a contact card.
type ContactURL struct {
	URL  string
	Type string
}

// Interactive is the user's answer to an interactive message. Replies of
// other interactive types keep only Type; Message.Raw has the rest.
type Interactive struct {
	Type        string
	ButtonReply *Reply
	ListReply   *Reply
	NFMReply    *FlowReply
}

// Reply is a reply-button or list-row choice. Description is set for list
// rows only.
type Reply struct {
	ID          string
	Title       string
	Description string
}

// FlowReply is a completed WhatsApp Flow (interactive type "nfm_reply").
type FlowReply struct {
	Name string
	Body string
	// ResponseJSON is the flow's response, itself a JSON document encoded as
	// a string (usually holding flow_token).
	ResponseJSON string
}

// Button is a template quick-reply button press. Message.Context points at
// the template message.
type Button struct {
	Payload string
	Text    string
}

// Reaction is a reaction to an earlier message. Emoji "" means the reaction
// was removed, whether Meta sent "" or omitted the field.
type Reaction struct {
	MessageID string
	Emoji     string
}

// Order is a cart sent from a catalog.
type Order struct {
	CatalogID string
	Text      string
	Items     []OrderItem
}

// OrderItem is one product line of an Order.
type OrderItem struct {
	ProductRetailerID string
	Quantity          int
	ItemPrice         float64
	Currency          string
}

// System is a system notice, e.g. Type "user_changed_number" (WaID is the
// new number) or "customer_identity_changed".
type System struct {
	Body string
	// WaID is the user's new WhatsApp ID for user_changed_number (from
	// "wa_id", or the older "new_wa_id").
	WaID string
	Type string
}

// Identity accompanies customer_identity_changed system messages.
type Identity struct {
	Acknowledged     bool
	CreatedTimestamp time.Time
	Hash             string
}

// Unsupported describes a message the parser does not model, or that Meta
// itself could not deliver in a usable form.
type Unsupported struct {
	// Type is Meta's unsupported.type (e.g. "poll_creation"), when given.
	Type string
	// SentType is the top-level "type" exactly as sent: "unsupported",
	// "unknown" (older payloads), a type this parser does not know
	// ("request_welcome", "revoke", "edit", …), a known type whose object
	// was missing (the message is then Invalid), or "" if it was missing.
	SentType string
}

// Context links a message to an earlier one or marks it as forwarded.
type Context struct {
	// From and ID identify the quoted message (its author and wamid).
	From string
	ID   string
	// Forwarded is set for messages forwarded 5 times or fewer,
	// FrequentlyForwarded for more.
	Forwarded           bool
	FrequentlyForwarded bool
	// ReferredProduct is set when the user tapped "Message business" on a product.
	ReferredProduct *ReferredProduct
}

// ReferredProduct is the product a message enquires about.
type ReferredProduct struct {
	CatalogID         string
	ProductRetailerID string
}

// Referral describes the Click-to-WhatsApp ad or post a message came from.
type Referral struct {
	SourceURL    string
	SourceID     string
	SourceType   string
	Body         string
	Headline     string
	MediaType    string
	ImageURL     string
	VideoURL     string
	ThumbnailURL string
	// CtwaClid is the ad click ID; omitted for ads placed in Status.
	CtwaClid string
	// WelcomeText is welcome_message.text.
	WelcomeText string
}

// MediaObject returns the media object of an image, video, audio, document
// or sticker message, or nil for any other type.
func (m Message) MediaObject() *Media {
	switch m.Type {
	case TypeImage:
		return m.Image
	case TypeVideo:
		return m.Video
	case TypeAudio:
		return m.Audio
	case TypeDocument:
		return m.Document
	case TypeSticker:
		return m.Sticker
	}
	return nil
}

// SenderKey identifies the sender: the wa_id ("from") when present,
// otherwise the business-scoped user ID. The two cannot collide (a wa_id is
// digits, a BSUID starts with a country code and a dot), but one person may
// appear under both over time: a user who adopts a username can later arrive
// with a BSUID only. Link them through Contact (which carries both while both
// are known) rather than by this key alone.
func (m Message) SenderKey() string {
	if m.From != "" {
		return m.From
	}
	return m.FromUserID
}
