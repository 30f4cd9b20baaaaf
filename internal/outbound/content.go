// Package outbound is the one path every outgoing WhatsApp message takes —
// agents, bots, campaigns and the tenant's own software alike. It checks
// Meta's rules (the 24-hour window, templates, consent), writes the message
// and its outbox row in one transaction, and the sender (sender.go) delivers
// each outbox row once, at Meta's pace.
package outbound

import (
	"fmt"
	"regexp"
	"strings"
	"unicode/utf8"
)

// Message types the pipeline sends.
const (
	TypeText        = "text"
	TypeImage       = "image"
	TypeVideo       = "video"
	TypeAudio       = "audio"
	TypeDocument    = "document"
	TypeSticker     = "sticker"
	TypeLocation    = "location"
	TypeTemplate    = "template"
	TypeInteractive = "interactive"
	TypeReaction    = "reaction"
	TypeContacts    = "contacts"
)

// Content is what to send, stored as the outbox row's payload.
type Content struct {
	Type       string `json:"type"`
	Text       string `json:"text,omitempty"` // text body, or caption of media
	PreviewURL bool   `json:"preview_url,omitempty"`
	// Media: our media id (uploaded through POST /api/v1/media or the
	// console), sent by Meta's media id once uploaded.
	MediaID  string `json:"media_id,omitempty"`
	Filename string `json:"filename,omitempty"`

	Location    *Location    `json:"location,omitempty"`
	Template    *Template    `json:"template,omitempty"`
	Interactive *Interactive `json:"interactive,omitempty"`
	// Reaction: the wamid reacted to, and the emoji ("" removes it).
	ReactTo string `json:"react_to,omitempty"`
	Emoji   string `json:"emoji,omitempty"`
	// ReplyTo quotes a message (its wamid).
	ReplyTo string `json:"reply_to,omitempty"`
	// Contacts are contact cards to share.
	Contacts []SharedContact `json:"contacts,omitempty"`
}

// SharedContact is a contact card: a name and phone numbers.
type SharedContact struct {
	Name   string   `json:"name"`
	Phones []string `json:"phones"`
}

// Location is a place to share.
type Location struct {
	Latitude  float64 `json:"latitude"`
	Longitude float64 `json:"longitude"`
	Name      string  `json:"name,omitempty"`
	Address   string  `json:"address,omitempty"`
}

// Template is an approved template with its parameters.
type Template struct {
	Name         string   `json:"name"`
	Language     string   `json:"language"`
	HeaderParams []string `json:"header_params,omitempty"`
	// HeaderMediaID is our media id for an image, video or document header.
	HeaderMediaID string           `json:"header_media_id,omitempty"`
	HeaderKind    string           `json:"header_kind,omitempty"` // image, video, document
	BodyParams    []string         `json:"body_params,omitempty"`
	Buttons       []TemplateButton `json:"buttons,omitempty"`
}

// TemplateButton fills a template's dynamic button: a quick reply's
// payload, a URL button's variable, or a copy-code button's code.
type TemplateButton struct {
	Index   int    `json:"index"`
	SubType string `json:"sub_type"` // quick_reply, url, copy_code
	Value   string `json:"value"`
}

// Interactive is a message with reply buttons (up to 3) or a list (up to 10
// rows). Reply buttons may sit under a picture, a video or a document
// (HeaderMediaID, our media id, and HeaderKind); lists may not.
type Interactive struct {
	HeaderMediaID  string   `json:"header_media_id,omitempty"`
	HeaderKind     string   `json:"header_kind,omitempty"`     // image, video, document
	HeaderFilename string   `json:"header_filename,omitempty"` // a document's name as the customer sees it
	Body           string   `json:"body"`
	Buttons        []Choice `json:"buttons,omitempty"`
	ListButton     string   `json:"list_button,omitempty"`
	Rows           []Choice `json:"rows,omitempty"`
}

// Choice is a reply button or a list row.
type Choice struct {
	ID          string `json:"id"`
	Title       string `json:"title"`
	Description string `json:"description,omitempty"`
}

// FileID is our media id of the file the message carries, "" for none: the
// media itself, a template's media header, or an interactive message's.
func (c Content) FileID() string {
	switch {
	case c.MediaID != "":
		return c.MediaID
	case c.Template != nil:
		return c.Template.HeaderMediaID
	case c.Interactive != nil:
		return c.Interactive.HeaderMediaID
	}
	return ""
}

// fileKind is what the message sends its file as (image, video, audio,
// document), "" for no file or a sticker (whose kind its bytes decide).
func (c Content) fileKind() string {
	switch {
	case c.MediaID != "" && c.Type != TypeSticker:
		return c.Type
	case c.Template != nil && c.Template.HeaderMediaID != "":
		return c.Template.HeaderKind
	case c.Interactive != nil && c.Interactive.HeaderMediaID != "":
		return c.Interactive.HeaderKind
	}
	return ""
}

// Error says which rule refused a message. Code is stable (the API returns
// it); Message explains it to a person.
type Error struct {
	Code    string
	Message string
}

func (e *Error) Error() string { return e.Code + ": " + e.Message }

func refuse(code, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...)}
}

var templateNameRE = regexp.MustCompile(`^[a-z0-9_]{1,512}$`)

// Validate checks the content's own shape, before any rule about the
// recipient: WhatsApp's lengths and counts.
func (c Content) Validate() *Error {
	switch c.Type {
	case TypeText:
		if strings.TrimSpace(c.Text) == "" {
			return refuse("invalid_content", "a text message needs text")
		}
		if utf8.RuneCountInString(c.Text) > 4096 {
			return refuse("invalid_content", "a text message holds at most 4096 characters")
		}
	case TypeImage, TypeVideo, TypeAudio, TypeDocument, TypeSticker:
		if c.MediaID == "" {
			return refuse("invalid_content", "a %s message needs media_id (upload the file first)", c.Type)
		}
		if utf8.RuneCountInString(c.Text) > 1024 {
			return refuse("invalid_content", "a caption holds at most 1024 characters")
		}
	case TypeLocation:
		l := c.Location
		if l == nil || l.Latitude < -90 || l.Latitude > 90 || l.Longitude < -180 || l.Longitude > 180 {
			return refuse("invalid_content", "a location needs latitude (-90 to 90) and longitude (-180 to 180)")
		}
	case TypeTemplate:
		t := c.Template
		if t == nil || !templateNameRE.MatchString(t.Name) || t.Language == "" {
			return refuse("invalid_content", "a template message needs the template's name and language")
		}
		if t.HeaderMediaID != "" && t.HeaderKind != "image" && t.HeaderKind != "video" && t.HeaderKind != "document" {
			return refuse("invalid_content", "a media header is an image, a video or a document")
		}
		for _, b := range t.Buttons {
			if b.Index < 0 || b.Index > 9 || (b.SubType != "quick_reply" && b.SubType != "url" && b.SubType != "copy_code") || b.Value == "" {
				return refuse("invalid_content", "a template button needs an index (0-9), a sub_type (quick_reply, url, copy_code) and a value")
			}
		}
	case TypeInteractive:
		it := c.Interactive
		switch {
		case it == nil || strings.TrimSpace(it.Body) == "":
			return refuse("invalid_content", "an interactive message needs a body")
		case utf8.RuneCountInString(it.Body) > 1024:
			return refuse("invalid_content", "an interactive body holds at most 1024 characters")
		case len(it.Buttons) > 0 && len(it.Rows) > 0:
			return refuse("invalid_content", "an interactive message has buttons or a list, not both")
		case len(it.Buttons) > 3:
			return refuse("invalid_content", "WhatsApp allows at most 3 reply buttons")
		case len(it.Rows) > 10:
			return refuse("invalid_content", "WhatsApp allows at most 10 list rows")
		case len(it.Buttons) == 0 && len(it.Rows) == 0:
			return refuse("invalid_content", "an interactive message needs buttons or list rows")
		case it.HeaderMediaID != "" && len(it.Rows) > 0:
			return refuse("invalid_content", "a list message cannot carry a picture, video or document")
		case it.HeaderMediaID != "" && it.HeaderKind != TypeImage && it.HeaderKind != TypeVideo && it.HeaderKind != TypeDocument:
			return refuse("invalid_content", "a media header is an image, a video or a document")
		}
		for _, b := range it.Buttons {
			if b.ID == "" || b.Title == "" || utf8.RuneCountInString(b.Title) > 20 {
				return refuse("invalid_content", "a reply button needs an id and a title of at most 20 characters")
			}
		}
		for _, r := range it.Rows {
			if r.ID == "" || r.Title == "" || utf8.RuneCountInString(r.Title) > 24 || utf8.RuneCountInString(r.Description) > 72 {
				return refuse("invalid_content", "a list row needs an id, a title of at most 24 characters and a description of at most 72")
			}
		}
		if len(it.Rows) > 0 && (it.ListButton == "" || utf8.RuneCountInString(it.ListButton) > 20) {
			return refuse("invalid_content", "a list needs its button label (at most 20 characters)")
		}
	case TypeReaction:
		if c.ReactTo == "" {
			return refuse("invalid_content", "a reaction needs the message it reacts to")
		}
	case TypeContacts:
		if len(c.Contacts) == 0 || len(c.Contacts) > 20 {
			return refuse("invalid_content", "share from 1 to 20 contact cards")
		}
		for _, sc := range c.Contacts {
			if strings.TrimSpace(sc.Name) == "" || len(sc.Phones) == 0 {
				return refuse("invalid_content", "a contact card needs a name and a phone number")
			}
		}
	default:
		return refuse("invalid_content", "unknown message type %q", c.Type)
	}
	return nil
}

// summary is the text stored on the message, as a person reads it.
func (c Content) summary() string {
	switch {
	case c.Type == TypeTemplate && c.Template != nil:
		return c.Template.Name + " (" + strings.Join(c.Template.BodyParams, ", ") + ")"
	case c.Type == TypeInteractive && c.Interactive != nil:
		return c.Interactive.Body
	case c.Type == TypeLocation && c.Location != nil:
		return c.Location.Name
	case c.Type == TypeReaction:
		return c.Emoji
	case c.Type == TypeContacts:
		names := make([]string, 0, len(c.Contacts))
		for _, sc := range c.Contacts {
			names = append(names, sc.Name)
		}
		return strings.Join(names, ", ")
	}
	return c.Text
}
