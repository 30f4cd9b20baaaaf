package graph

import (
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"unicode/utf8"
)

// OutgoingMessage is one message to send (contract §4.1–4.2). Its fields
// mirror Meta's request body, with the same JSON names, so that the JSON of an
// OutgoingMessage is what Meta receives (minus messaging_product and type,
// which Send adds) and an outbox can store it and load it back losslessly.
//
// Set exactly one of the content fields (Text … Reaction): the message type
// is the one that is set (see Type).
type OutgoingMessage struct {
	// To is the recipient's phone number; Meta accepts "+", "-", "(", ")"
	// and spaces, and prepends the sender's country code when "+" is
	// missing (§4.1).
	To string `json:"to"`
	// RecipientType is "individual" (the default when empty).
	RecipientType string `json:"recipient_type,omitempty"`
	// Context quotes an earlier message: a contextual reply.
	Context *MessageContext `json:"context,omitempty"`
	// BizOpaqueCallbackData (≤512 characters) is echoed in the message's
	// status webhooks: a way to find the outbox row without a lookup.
	BizOpaqueCallbackData string `json:"biz_opaque_callback_data,omitempty"`

	Text        *Text            `json:"text,omitempty"`
	Image       *MediaObject     `json:"image,omitempty"`
	Video       *MediaObject     `json:"video,omitempty"`
	Audio       *MediaObject     `json:"audio,omitempty"`
	Document    *MediaObject     `json:"document,omitempty"`
	Sticker     *MediaObject     `json:"sticker,omitempty"`
	Location    *Location        `json:"location,omitempty"`
	Contacts    []Contact        `json:"contacts,omitempty"`
	Interactive *Interactive     `json:"interactive,omitempty"`
	Template    *TemplateMessage `json:"template,omitempty"`
	Reaction    *Reaction        `json:"reaction,omitempty"`
}

// MessageContext is {"message_id": "<wamid>"}: the message being replied to.
type MessageContext struct {
	MessageID string `json:"message_id"`
}

// Text is a text message. PreviewURL asks WhatsApp to render a preview of
// the first URL in Body.
type Text struct {
	PreviewURL bool   `json:"preview_url,omitempty"`
	Body       string `json:"body"` // ≤4096 characters
}

// MediaObject is an image, video, audio, document or sticker: an uploaded
// media ID (see Upload) or a public https Link that Meta fetches and caches
// for 10 minutes (§4.1). Caption is for image, video and document; Filename
// for document only.
type MediaObject struct {
	ID       string `json:"id,omitempty"`
	Link     string `json:"link,omitempty"`
	Caption  string `json:"caption,omitempty"`
	Filename string `json:"filename,omitempty"`
}

// Location is a location pin, in a message or a template header.
type Location struct {
	Latitude  float64 `json:"latitude"`
	Longitude float64 `json:"longitude"`
	Name      string  `json:"name,omitempty"`
	Address   string  `json:"address,omitempty"`
}

// Reaction reacts to MessageID with Emoji; an empty Emoji removes the
// reaction (so emoji is always sent, even empty).
type Reaction struct {
	MessageID string `json:"message_id"`
	Emoji     string `json:"emoji"`
}

// Contact is a contact card, the same shape Meta uses inbound and outbound.
type Contact struct {
	Addresses []ContactAddress `json:"addresses,omitempty"`
	Birthday  string           `json:"birthday,omitempty"` // YYYY-MM-DD
	Emails    []ContactEmail   `json:"emails,omitempty"`
	Name      ContactName      `json:"name"`
	Org       *ContactOrg      `json:"org,omitempty"`
	Phones    []ContactPhone   `json:"phones,omitempty"`
	URLs      []ContactURL     `json:"urls,omitempty"`
}

type ContactAddress struct {
	Street      string `json:"street,omitempty"`
	City        string `json:"city,omitempty"`
	State       string `json:"state,omitempty"`
	Zip         string `json:"zip,omitempty"`
	Country     string `json:"country,omitempty"`
	CountryCode string `json:"country_code,omitempty"`
	Type        string `json:"type,omitempty"` // HOME, WORK
}

type ContactEmail struct {
	Email string `json:"email,omitempty"`
	Type  string `json:"type,omitempty"`
}

// ContactName needs FormattedName; Meta rejects a card without it.
type ContactName struct {
	FormattedName string `json:"formatted_name"`
	FirstName     string `json:"first_name,omitempty"`
	LastName      string `json:"last_name,omitempty"`
	MiddleName    string `json:"middle_name,omitempty"`
	Suffix        string `json:"suffix,omitempty"`
	Prefix        string `json:"prefix,omitempty"`
}

type ContactOrg struct {
	Company    string `json:"company,omitempty"`
	Department string `json:"department,omitempty"`
	Title      string `json:"title,omitempty"`
}

type ContactPhone struct {
	Phone string `json:"phone,omitempty"`
	WaID  string `json:"wa_id,omitempty"`
	Type  string `json:"type,omitempty"` // CELL, MAIN, IPHONE, HOME, WORK
}

type ContactURL struct {
	URL  string `json:"url,omitempty"`
	Type string `json:"type,omitempty"`
}

// Interactive types.
const (
	InteractiveButton = "button" // 1–3 reply buttons
	InteractiveList   = "list"   // a menu of up to 10 rows
)

// Interactive is a reply-button or list message (§4.2). ReplyButtons and
// ListMessage build the common cases.
type Interactive struct {
	Type   string             `json:"type"` // InteractiveButton or InteractiveList
	Header *InteractiveHeader `json:"header,omitempty"`
	Body   InteractiveText    `json:"body"`
	Footer *InteractiveText   `json:"footer,omitempty"`
	Action InteractiveAction  `json:"action"`
}

// InteractiveText is Meta's {"text": "…"} wrapper for body and footer.
type InteractiveText struct {
	Text string `json:"text"`
}

// InteractiveHeader is a text header (lists allow only this) or, for reply
// buttons, an image, video or document.
type InteractiveHeader struct {
	Type     string       `json:"type"` // text, image, video, document
	Text     string       `json:"text,omitempty"`
	Image    *MediaObject `json:"image,omitempty"`
	Video    *MediaObject `json:"video,omitempty"`
	Document *MediaObject `json:"document,omitempty"`
}

// InteractiveAction holds Buttons (reply buttons) or Button and Sections
// (list).
type InteractiveAction struct {
	Buttons  []ReplyButton `json:"buttons,omitempty"`
	Button   string        `json:"button,omitempty"` // the list's menu label, ≤20 characters
	Sections []ListSection `json:"sections,omitempty"`
}

// ReplyButton is a reply button: ID (≤256) comes back in the customer's
// button_reply, Title (≤20, unique) is shown. On the wire it is
// {"type": "reply", "reply": {"id", "title"}}.
type ReplyButton struct {
	ID    string
	Title string
}

type replyButtonWire struct {
	Type  string `json:"type"`
	Reply struct {
		ID    string `json:"id"`
		Title string `json:"title"`
	} `json:"reply"`
}

func (b ReplyButton) MarshalJSON() ([]byte, error) {
	var w replyButtonWire
	w.Type, w.Reply.ID, w.Reply.Title = "reply", b.ID, b.Title
	return json.Marshal(w)
}

func (b *ReplyButton) UnmarshalJSON(data []byte) error {
	var w replyButtonWire
	if err := json.Unmarshal(data, &w); err != nil {
		return err
	}
	b.ID, b.Title = w.Reply.ID, w.Reply.Title
	return nil
}

// ListSection is a titled group of rows (title required with >1 section).
type ListSection struct {
	Title string    `json:"title,omitempty"`
	Rows  []ListRow `json:"rows"`
}

// ListRow is a choice: ID (≤200) comes back in list_reply, Title ≤24,
// Description ≤72.
type ListRow struct {
	ID          string `json:"id"`
	Title       string `json:"title"`
	Description string `json:"description,omitempty"`
}

// ReplyButtons builds a reply-button message.
func ReplyButtons(body string, buttons ...ReplyButton) *Interactive {
	return &Interactive{Type: InteractiveButton, Body: InteractiveText{body}, Action: InteractiveAction{Buttons: buttons}}
}

// ListMessage builds a list message; button is the label that opens it.
func ListMessage(body, button string, sections ...ListSection) *Interactive {
	return &Interactive{Type: InteractiveList, Body: InteractiveText{body}, Action: InteractiveAction{Button: button, Sections: sections}}
}

// TemplateMessage sends an approved template (§4.2): Name and Language must
// match the approved template, and Components carry the values of its
// variables and dynamic buttons (build them with HeaderComponent,
// BodyComponent, QuickReplyButton, URLButton, CopyCodeButton).
type TemplateMessage struct {
	Name       string                    `json:"name"`
	Language   TemplateLanguage          `json:"language"`
	Components []TemplateComponentParams `json:"components,omitempty"`
}

// TemplateLanguage is {"code": "en_US"}. Policy is the legacy
// "deterministic", accepted but not needed.
type TemplateLanguage struct {
	Code   string `json:"code"`
	Policy string `json:"policy,omitempty"`
}

// TemplateComponentParams fills one component of a template: the header, the
// body, or the button at Index.
type TemplateComponentParams struct {
	Type       string              `json:"type"`               // header, body, button
	SubType    string              `json:"sub_type,omitempty"` // buttons: quick_reply, url, copy_code
	Index      *ButtonIndex        `json:"index,omitempty"`    // buttons: position in the template
	Parameters []TemplateParameter `json:"parameters"`
}

// ButtonIndex is a template button's position. Meta's SDKs send it as a
// string ("0"), so it is marshalled as one; both forms are read.
type ButtonIndex int

func (i ButtonIndex) MarshalJSON() ([]byte, error) {
	return json.Marshal(strconv.Itoa(int(i)))
}

func (i *ButtonIndex) UnmarshalJSON(b []byte) error {
	n, err := strconv.Atoi(strings.Trim(string(b), `"`))
	if err != nil || n < 0 {
		return fmt.Errorf("graph: button index must be a non-negative integer, got %s", b)
	}
	*i = ButtonIndex(n)
	return nil
}

// TemplateParameter is one value: Type says which field is set. For NAMED
// templates, ParameterName names the {{variable}} a text parameter fills.
type TemplateParameter struct {
	Type          string       `json:"type"` // text, currency, date_time, image, video, document, location, payload, coupon_code
	ParameterName string       `json:"parameter_name,omitempty"`
	Text          string       `json:"text,omitempty"`
	Payload       string       `json:"payload,omitempty"`
	CouponCode    string       `json:"coupon_code,omitempty"`
	Currency      *Currency    `json:"currency,omitempty"`
	DateTime      *DateTime    `json:"date_time,omitempty"`
	Image         *MediaObject `json:"image,omitempty"`
	Video         *MediaObject `json:"video,omitempty"`
	Document      *MediaObject `json:"document,omitempty"`
	Location      *Location    `json:"location,omitempty"`
}

// Currency is a localised amount; FallbackValue is what older clients show.
type Currency struct {
	FallbackValue string `json:"fallback_value"`
	Code          string `json:"code"`        // ISO 4217
	Amount1000    int64  `json:"amount_1000"` // amount × 1000
}

// DateTime is a date parameter shown as FallbackValue.
type DateTime struct {
	FallbackValue string `json:"fallback_value"`
}

// TextParam fills a positional {{n}} (in order) with text.
func TextParam(text string) TemplateParameter { return TemplateParameter{Type: "text", Text: text} }

// NamedTextParam fills {{name}} of a NAMED template.
func NamedTextParam(name, text string) TemplateParameter {
	return TemplateParameter{Type: "text", ParameterName: name, Text: text}
}

// CurrencyParam is a currency value (amount1000 = amount × 1000).
func CurrencyParam(fallback, code string, amount1000 int64) TemplateParameter {
	return TemplateParameter{Type: "currency", Currency: &Currency{FallbackValue: fallback, Code: code, Amount1000: amount1000}}
}

// DateTimeParam is a date_time value.
func DateTimeParam(fallback string) TemplateParameter {
	return TemplateParameter{Type: "date_time", DateTime: &DateTime{FallbackValue: fallback}}
}

// ImageParam, VideoParam and DocumentParam fill a media header (by ID or
// Link; Filename only for documents).
func ImageParam(m MediaObject) TemplateParameter { return TemplateParameter{Type: "image", Image: &m} }

func VideoParam(m MediaObject) TemplateParameter { return TemplateParameter{Type: "video", Video: &m} }

func DocumentParam(m MediaObject) TemplateParameter {
	return TemplateParameter{Type: "document", Document: &m}
}

// LocationParam fills a LOCATION header.
func LocationParam(l Location) TemplateParameter {
	return TemplateParameter{Type: "location", Location: &l}
}

// HeaderComponent gives the header's parameter (one at most, per Meta).
func HeaderComponent(params ...TemplateParameter) TemplateComponentParams {
	return TemplateComponentParams{Type: "header", Parameters: params}
}

// BodyComponent gives the body's parameters, in {{1}}, {{2}}… order for
// positional templates.
func BodyComponent(params ...TemplateParameter) TemplateComponentParams {
	return TemplateComponentParams{Type: "body", Parameters: params}
}

// QuickReplyButton sets the payload returned in the webhook when the
// customer taps the quick-reply button at index.
func QuickReplyButton(index int, payload string) TemplateComponentParams {
	return buttonComponent("quick_reply", index, TemplateParameter{Type: "payload", Payload: payload})
}

// URLButton fills the {{1}} suffix of the dynamic URL button at index.
func URLButton(index int, text string) TemplateComponentParams {
	return buttonComponent("url", index, TextParam(text))
}

// CopyCodeButton sets the code of the copy-code button at index.
func CopyCodeButton(index int, code string) TemplateComponentParams {
	return buttonComponent("copy_code", index, TemplateParameter{Type: "coupon_code", CouponCode: code})
}

func buttonComponent(sub string, index int, p TemplateParameter) TemplateComponentParams {
	i := ButtonIndex(index)
	return TemplateComponentParams{Type: "button", SubType: sub, Index: &i, Parameters: []TemplateParameter{p}}
}

// ErrInvalidMessage is wrapped by the errors Send returns for a message that
// breaks the contract's rules before anything is sent: fixing the message,
// not retrying, is the remedy.
var ErrInvalidMessage = errors.New("graph: invalid message")

func invalidf(format string, args ...any) error {
	return fmt.Errorf("%w: "+format, append([]any{ErrInvalidMessage}, args...)...)
}

// Type is the message type: the name of the one content field that is set,
// or "" when none or several are.
func (m OutgoingMessage) Type() string {
	typ, n := "", 0
	set := func(name string, ok bool) {
		if ok {
			typ, n = name, n+1
		}
	}
	set("text", m.Text != nil)
	set("image", m.Image != nil)
	set("video", m.Video != nil)
	set("audio", m.Audio != nil)
	set("document", m.Document != nil)
	set("sticker", m.Sticker != nil)
	set("location", m.Location != nil)
	set("contacts", m.Contacts != nil)
	set("interactive", m.Interactive != nil)
	set("template", m.Template != nil)
	set("reaction", m.Reaction != nil)
	if n != 1 {
		return ""
	}
	return typ
}

// Validate checks the message against the contract's limits (§4.2) so that a
// message Meta would reject with code 100 fails without a request. It does
// not know templates: parameter counts are Meta's to check (132000).
func (m OutgoingMessage) Validate() error {
	typ := m.Type()
	if typ == "" {
		return invalidf("set exactly one of text, image, video, audio, document, sticker, location, contacts, interactive, template, reaction")
	}
	if strings.TrimSpace(m.To) == "" {
		return invalidf("no recipient (to)")
	}
	if m.RecipientType != "" && m.RecipientType != "individual" {
		return invalidf("recipient_type %q is not supported", m.RecipientType)
	}
	if m.Context != nil && m.Context.MessageID == "" {
		return invalidf("context without message_id")
	}
	if n := runes(m.BizOpaqueCallbackData); n > 512 {
		return invalidf("biz_opaque_callback_data is %d characters; the maximum is 512", n)
	}
	switch typ {
	case "text":
		if strings.TrimSpace(m.Text.Body) == "" {
			return invalidf("empty text body")
		}
		if n := runes(m.Text.Body); n > 4096 {
			return invalidf("text body is %d characters; the maximum is 4096", n)
		}
	case "image", "video", "audio", "document", "sticker":
		return validateMedia(typ, m.media(typ), typ)
	case "location":
		return validateLocation(m.Location, "location")
	case "contacts":
		if len(m.Contacts) == 0 {
			return invalidf("contacts is empty")
		}
		for i, c := range m.Contacts {
			if strings.TrimSpace(c.Name.FormattedName) == "" {
				return invalidf("contacts[%d] has no name.formatted_name", i)
			}
		}
	case "interactive":
		return validateInteractive(m.Interactive)
	case "template":
		return validateTemplate(m.Template)
	case "reaction":
		if m.Reaction.MessageID == "" {
			return invalidf("reaction without message_id")
		}
	}
	return nil
}

func (m OutgoingMessage) media(typ string) *MediaObject {
	switch typ {
	case "image":
		return m.Image
	case "video":
		return m.Video
	case "audio":
		return m.Audio
	case "document":
		return m.Document
	}
	return m.Sticker
}

func runes(s string) int { return utf8.RuneCountInString(s) }

// validateMedia checks an id-or-link object used as kind; where names it in
// errors.
func validateMedia(kind string, o *MediaObject, where string) error {
	if o == nil {
		return invalidf("%s is missing", where)
	}
	switch {
	case o.ID != "" && o.Link != "":
		return invalidf("%s has both id and link", where)
	case o.ID == "" && o.Link == "":
		return invalidf("%s needs an id or a link", where)
	case o.Link != "" && !strings.HasPrefix(o.Link, "https://") && !strings.HasPrefix(o.Link, "http://"):
		return invalidf("%s link must be an absolute http(s) URL", where)
	}
	if o.Caption != "" {
		if kind == "audio" || kind == "sticker" {
			return invalidf("%s cannot have a caption", where)
		}
		if n := runes(o.Caption); n > 1024 {
			return invalidf("%s caption is %d characters; the maximum is 1024", where, n)
		}
	}
	if o.Filename != "" && kind != "document" {
		return invalidf("%s cannot have a filename: only documents do", where)
	}
	return nil
}

func validateLocation(l *Location, where string) error {
	if l.Latitude < -90 || l.Latitude > 90 || l.Longitude < -180 || l.Longitude > 180 {
		return invalidf("%s latitude/longitude out of range", where)
	}
	return nil
}

// validateInteractive applies the reply-button and list limits of §4.2.
func validateInteractive(in *Interactive) error {
	if strings.TrimSpace(in.Body.Text) == "" {
		return invalidf("interactive message without body text")
	}
	if in.Footer != nil && runes(in.Footer.Text) > 60 {
		return invalidf("interactive footer is longer than 60 characters")
	}
	switch in.Type {
	case InteractiveButton:
		return validateButtons(in)
	case InteractiveList:
		return validateList(in)
	}
	return invalidf("interactive type must be %q or %q, not %q", InteractiveButton, InteractiveList, in.Type)
}

func validateHeader(h *InteractiveHeader, mediaOK bool) error {
	switch h.Type {
	case "text":
		if n := runes(h.Text); n < 1 || n > 60 {
			return invalidf("interactive header text must be 1 to 60 characters")
		}
		return nil
	case "image", "video", "document":
		if !mediaOK {
			return invalidf("a list message allows only a text header")
		}
		o := map[string]*MediaObject{"image": h.Image, "video": h.Video, "document": h.Document}[h.Type]
		return validateMedia(h.Type, o, "interactive header "+h.Type)
	}
	return invalidf("interactive header type must be text, image, video or document, not %q", h.Type)
}

func validateButtons(in *Interactive) error {
	if n := runes(in.Body.Text); n > 1024 {
		return invalidf("reply-button body is %d characters; the maximum is 1024", n)
	}
	if in.Header != nil {
		if err := validateHeader(in.Header, true); err != nil {
			return err
		}
	}
	bs := in.Action.Buttons
	if len(bs) < 1 || len(bs) > 3 {
		return invalidf("a reply-button message needs 1 to 3 buttons, not %d", len(bs))
	}
	ids, titles := map[string]bool{}, map[string]bool{}
	for i, b := range bs {
		if n := runes(b.ID); n < 1 || n > 256 {
			return invalidf("button %d id must be 1 to 256 characters", i)
		}
		if n := runes(b.Title); n < 1 || n > 20 {
			return invalidf("button %d title must be 1 to 20 characters, not %d", i, n)
		}
		if ids[b.ID] || titles[b.Title] {
			return invalidf("button ids and titles must be unique (button %d repeats one)", i)
		}
		ids[b.ID], titles[b.Title] = true, true
	}
	return nil
}

func validateList(in *Interactive) error {
	if n := runes(in.Body.Text); n > 4096 {
		return invalidf("list body is %d characters; the maximum is 4096", n)
	}
	if in.Header != nil {
		if err := validateHeader(in.Header, false); err != nil {
			return err
		}
	}
	if n := runes(in.Action.Button); n < 1 || n > 20 {
		return invalidf("list button label must be 1 to 20 characters")
	}
	secs := in.Action.Sections
	if len(secs) < 1 || len(secs) > 10 {
		return invalidf("a list needs 1 to 10 sections, not %d", len(secs))
	}
	rows, ids := 0, map[string]bool{}
	for i, s := range secs {
		if runes(s.Title) > 24 {
			return invalidf("section %d title is longer than 24 characters", i)
		}
		if len(secs) > 1 && s.Title == "" {
			return invalidf("section %d needs a title: the list has several sections", i)
		}
		if len(s.Rows) == 0 {
			return invalidf("section %d has no rows", i)
		}
		for j, r := range s.Rows {
			rows++
			if n := runes(r.ID); n < 1 || n > 200 {
				return invalidf("section %d row %d id must be 1 to 200 characters", i, j)
			}
			if n := runes(r.Title); n < 1 || n > 24 {
				return invalidf("section %d row %d title must be 1 to 24 characters, not %d", i, j, n)
			}
			if runes(r.Description) > 72 {
				return invalidf("section %d row %d description is longer than 72 characters", i, j)
			}
			if ids[r.ID] {
				return invalidf("row id %q repeats", r.ID)
			}
			ids[r.ID] = true
		}
	}
	if rows > 10 {
		return invalidf("a list allows at most 10 rows across all sections, not %d", rows)
	}
	return nil
}

func validateTemplate(t *TemplateMessage) error {
	if t.Name == "" || t.Language.Code == "" {
		return invalidf("a template message needs name and language code")
	}
	for i, c := range t.Components {
		switch c.Type {
		case "header", "body":
		case "button":
			if c.SubType == "" || c.Index == nil {
				return invalidf("template component %d (button) needs sub_type and index", i)
			}
		default:
			return invalidf("template component %d has type %q; want header, body or button", i, c.Type)
		}
		for j, p := range c.Parameters {
			if err := validateParam(p, fmt.Sprintf("template component %d parameter %d", i, j)); err != nil {
				return err
			}
		}
	}
	return nil
}

func validateParam(p TemplateParameter, where string) error {
	switch p.Type {
	case "text":
		if p.Text == "" {
			return invalidf("%s: empty text", where)
		}
	case "image":
		return validateMedia("image", p.Image, where+" image")
	case "video":
		return validateMedia("video", p.Video, where+" video")
	case "document":
		return validateMedia("document", p.Document, where+" document")
	case "location":
		if p.Location == nil {
			return invalidf("%s: location is missing", where)
		}
		return validateLocation(p.Location, where)
	case "currency":
		if p.Currency == nil {
			return invalidf("%s: currency is missing", where)
		}
	case "date_time":
		if p.DateTime == nil {
			return invalidf("%s: date_time is missing", where)
		}
	case "payload", "coupon_code":
	case "":
		return invalidf("%s has no type", where)
	}
	return nil
}

// wireMessage is the request body: the message plus the two fields Meta
// requires that the caller should not have to set.
type wireMessage struct {
	MessagingProduct string `json:"messaging_product"`
	Type             string `json:"type"`
	OutgoingMessage
}

// wire validates m and returns the body of POST /{phone-number-id}/messages.
func (m OutgoingMessage) wire() (wireMessage, error) {
	if err := m.Validate(); err != nil {
		return wireMessage{}, err
	}
	if m.RecipientType == "" {
		m.RecipientType = "individual"
	}
	return wireMessage{MessagingProduct: "whatsapp", Type: m.Type(), OutgoingMessage: m}, nil
}
