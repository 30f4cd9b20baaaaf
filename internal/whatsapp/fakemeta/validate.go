package fakemeta

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"unicode/utf8"
)

// sendRequest is the body of POST /{phone-number-id}/messages (§4.1–4.3).
// Optional scalars the contract distinguishes from their zero value are
// pointers, so "missing" and "empty" can be told apart.
type sendRequest struct {
	MessagingProduct      string           `json:"messaging_product"`
	RecipientType         string           `json:"recipient_type"`
	To                    string           `json:"to"`
	Type                  string           `json:"type"`
	Context               *sendContext     `json:"context"`
	BizOpaqueCallbackData string           `json:"biz_opaque_callback_data"`
	Status                string           `json:"status"`
	MessageID             string           `json:"message_id"`
	TypingIndicator       *typingIndicator `json:"typing_indicator"`

	Text        *sendText        `json:"text"`
	Image       *sendMedia       `json:"image"`
	Video       *sendMedia       `json:"video"`
	Audio       *sendMedia       `json:"audio"`
	Document    *sendMedia       `json:"document"`
	Sticker     *sendMedia       `json:"sticker"`
	Location    *sendLocation    `json:"location"`
	Contacts    []Contact        `json:"contacts"`
	Interactive *sendInteractive `json:"interactive"`
	Template    *sendTemplate    `json:"template"`
	Reaction    *sendReaction    `json:"reaction"`
}

type sendContext struct {
	MessageID string `json:"message_id"`
}

type typingIndicator struct {
	Type string `json:"type"`
}

type sendText struct {
	PreviewURL *bool   `json:"preview_url"`
	Body       *string `json:"body"`
}

type sendMedia struct {
	ID       string  `json:"id"`
	Link     string  `json:"link"`
	Caption  *string `json:"caption"`
	Filename string  `json:"filename"`
}

type sendLocation struct {
	Latitude  *float64 `json:"latitude"`
	Longitude *float64 `json:"longitude"`
	Name      string   `json:"name"`
	Address   string   `json:"address"`
}

type sendReaction struct {
	MessageID string  `json:"message_id"`
	Emoji     *string `json:"emoji"`
}

type sendInteractive struct {
	Type   string             `json:"type"`
	Header *interactiveHeader `json:"header"`
	Body   *textObject        `json:"body"`
	Footer *textObject        `json:"footer"`
	Action *interactiveAction `json:"action"`
}

type interactiveHeader struct {
	Type     string     `json:"type"`
	Text     string     `json:"text"`
	Image    *sendMedia `json:"image"`
	Video    *sendMedia `json:"video"`
	Document *sendMedia `json:"document"`
}

type textObject struct {
	Text string `json:"text"`
}

type interactiveAction struct {
	Button   string        `json:"button"`
	Buttons  []replyButton `json:"buttons"`
	Sections []listSection `json:"sections"`
}

type replyButton struct {
	Type  string `json:"type"`
	Reply *struct {
		ID    string `json:"id"`
		Title string `json:"title"`
	} `json:"reply"`
}

type listSection struct {
	Title string    `json:"title"`
	Rows  []listRow `json:"rows"`
}

type listRow struct {
	ID          string `json:"id"`
	Title       string `json:"title"`
	Description string `json:"description"`
}

// mediaUse is a media id referenced by a send, checked against the store
// (131053) once the number is known.
type mediaUse struct {
	id   string
	kind string // image, video, audio, document, sticker
}

// outbound is a validated send: what the policy checks and the thread need.
type outbound struct {
	to       string
	typ      string
	ev       Event
	media    []mediaUse
	template *sendTemplate
	opaque   string
}

// decodeSend parses the body strictly enough that a wrongly typed field is a
// code-100 error, as Graph reports it, rather than a silent zero value.
func decodeSend(body []byte) (*sendRequest, map[string]json.RawMessage, *apiError) {
	var raw map[string]json.RawMessage
	if err := json.Unmarshal(body, &raw); err != nil {
		return nil, nil, invalid("The request body is not a JSON object: %v", err)
	}
	var req sendRequest
	if err := json.Unmarshal(body, &req); err != nil {
		var te *json.UnmarshalTypeError
		if errors.As(err, &te) {
			return nil, nil, invalid("Param %s must be of type %s.", te.Field, jsonKind(te.Type.Kind().String()))
		}
		return nil, nil, invalid("%v", err)
	}
	return &req, raw, nil
}

func jsonKind(k string) string {
	switch k {
	case "string":
		return "string"
	case "bool":
		return "boolean"
	case "slice":
		return "array"
	case "struct", "ptr", "map":
		return "object"
	}
	return "number"
}

// validateSend checks a non-status send against §4.2 and builds its event.
func validateSend(req *sendRequest, raw map[string]json.RawMessage) (*outbound, *apiError) {
	if req.RecipientType != "" && req.RecipientType != "individual" {
		if req.RecipientType == "group" {
			return nil, invalid("Group messaging is not supported by this fake; recipient_type must be individual.")
		}
		return nil, invalid("Param recipient_type must be individual.")
	}
	if strings.TrimSpace(req.To) == "" {
		return nil, newError(CodeInvalidParameter, "The parameter to is required.")
	}
	to, ok := normalizePhone(req.To)
	if !ok {
		return nil, invalid("Param to must be a phone number (digits, optionally with + - ( ) and spaces); got %q.", req.To)
	}
	if utf8.RuneCountInString(req.BizOpaqueCallbackData) > 512 {
		return nil, invalid("Param biz_opaque_callback_data must be at most 512 characters.")
	}
	typ := req.Type
	if typ == "" {
		// Meta: "If omitted, defaults to text."
		typ = "text"
	}
	out := &outbound{to: to, typ: typ, opaque: req.BizOpaqueCallbackData}
	out.ev = Event{Direction: Outbound, Type: typ, Payload: raw[typ]}
	if req.Context != nil {
		if req.Context.MessageID == "" {
			return nil, invalid("Param context['message_id'] is required when context is given.")
		}
		out.ev.ReplyTo = req.Context.MessageID
	}
	if len(out.ev.Payload) == 0 || string(out.ev.Payload) == "null" {
		return nil, invalid("Param %s is required for a message of type %s.", typ, typ)
	}
	var e *apiError
	switch typ {
	case "text":
		e = validateText(req.Text, out)
	case "image", "video", "audio", "document", "sticker":
		e = validateMedia(typ, mediaOf(req, typ), out)
	case "location":
		e = validateLocation(req.Location, out)
	case "contacts":
		e = validateContacts(req.Contacts, out)
	case "interactive":
		e = validateInteractive(req.Interactive, out)
	case "template":
		e = validateTemplateShape(req.Template, out)
	case "reaction":
		e = validateReaction(req.Reaction, out)
	default:
		e = invalid("Param type must be one of text, image, video, audio, document, sticker, location, contacts, interactive, template, reaction; got %q.", typ)
	}
	if e != nil {
		return nil, e
	}
	return out, nil
}

func mediaOf(req *sendRequest, typ string) *sendMedia {
	switch typ {
	case "image":
		return req.Image
	case "video":
		return req.Video
	case "audio":
		return req.Audio
	case "document":
		return req.Document
	}
	return req.Sticker
}

func validateText(t *sendText, out *outbound) *apiError {
	if t == nil || t.Body == nil {
		return invalid("Param text['body'] is required.")
	}
	n := utf8.RuneCountInString(*t.Body)
	if strings.TrimSpace(*t.Body) == "" {
		return invalid("Param text['body'] must not be empty.")
	}
	if n > 4096 {
		return invalid("Param text['body'] is %d characters; the maximum is 4096.", n)
	}
	out.ev.Text = *t.Body
	return nil
}

// checkMediaObject validates an id-or-link media object; where names it in
// messages (e.g. "image" or "interactive['header']['image']").
func checkMediaObject(m *sendMedia, kind, where string) (*EventMedia, *mediaUse, *apiError) {
	if m == nil {
		return nil, nil, invalid("Param %s is required.", where)
	}
	switch {
	case m.ID != "" && m.Link != "":
		return nil, nil, invalid("Param %s must have either id or link, not both.", where)
	case m.ID == "" && m.Link == "":
		return nil, nil, invalid("Param %s must have id or link.", where)
	case m.Link != "":
		u, err := url.Parse(m.Link)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return nil, nil, invalid("Param %s['link'] must be an absolute http(s) URL.", where)
		}
		return &EventMedia{Link: m.Link, Filename: m.Filename}, nil, nil
	}
	return &EventMedia{ID: m.ID, Filename: m.Filename}, &mediaUse{id: m.ID, kind: kind}, nil
}

func validateMedia(kind string, m *sendMedia, out *outbound) *apiError {
	em, use, e := checkMediaObject(m, kind, kind)
	if e != nil {
		return e
	}
	if m.Caption != nil {
		switch kind {
		case "audio", "sticker":
			return invalid("Param %s['caption'] is not allowed: %s messages have no caption.", kind, kind)
		}
		if n := utf8.RuneCountInString(*m.Caption); n > 1024 {
			return invalid("Param %s['caption'] is %d characters; the maximum is 1024.", kind, n)
		}
		out.ev.Text = *m.Caption
	}
	if m.Filename != "" && kind != "document" {
		return invalid("Param %s['filename'] is not allowed: only documents have a filename.", kind)
	}
	out.ev.Media = em
	if use != nil {
		out.media = append(out.media, *use)
	}
	return nil
}

func validateLocation(l *sendLocation, out *outbound) *apiError {
	if l == nil || l.Latitude == nil || l.Longitude == nil {
		return invalid("Params location['latitude'] and location['longitude'] are required.")
	}
	if *l.Latitude < -90 || *l.Latitude > 90 || *l.Longitude < -180 || *l.Longitude > 180 {
		return invalid("Param location has latitude/longitude out of range.")
	}
	out.ev.Text = strings.TrimSpace(strings.Join(nonEmpty(l.Name, l.Address), "\n"))
	if out.ev.Text == "" {
		out.ev.Text = fmt.Sprintf("%g, %g", *l.Latitude, *l.Longitude)
	}
	return nil
}

func validateContacts(cs []Contact, out *outbound) *apiError {
	if len(cs) == 0 {
		return invalid("Param contacts must be a non-empty array.")
	}
	names := make([]string, 0, len(cs))
	for i, c := range cs {
		if strings.TrimSpace(c.Name.FormattedName) == "" {
			return invalid("Param contacts[%d]['name']['formatted_name'] is required.", i)
		}
		names = append(names, c.Name.FormattedName)
	}
	out.ev.Text = strings.Join(names, ", ")
	return nil
}

func validateReaction(r *sendReaction, out *outbound) *apiError {
	if r == nil || r.MessageID == "" {
		return invalid("Param reaction['message_id'] is required.")
	}
	if r.Emoji == nil {
		return invalid("Param reaction['emoji'] is required; send \"\" to remove a reaction.")
	}
	if utf8.RuneCountInString(*r.Emoji) > 16 {
		return invalid("Param reaction['emoji'] must be a single emoji.")
	}
	out.ev.Text = *r.Emoji
	out.ev.ReplyTo = r.MessageID
	return nil
}

// validateInteractive applies the reply-button and list limits of §4.2.
func validateInteractive(in *sendInteractive, out *outbound) *apiError {
	if in == nil {
		return invalid("Param interactive is required.")
	}
	if in.Body == nil || strings.TrimSpace(in.Body.Text) == "" {
		return invalid("Param interactive['body']['text'] is required.")
	}
	if in.Footer != nil && utf8.RuneCountInString(in.Footer.Text) > 60 {
		return invalid("Param interactive['footer']['text'] must be at most 60 characters.")
	}
	if in.Action == nil {
		return invalid("Param interactive['action'] is required.")
	}
	var header string
	switch in.Type {
	case "button":
		if n := utf8.RuneCountInString(in.Body.Text); n > 1024 {
			return invalid("Param interactive['body']['text'] is %d characters; reply-button messages allow 1024.", n)
		}
		if in.Header != nil {
			h, e := validateInteractiveHeader(in.Header, true, out)
			if e != nil {
				return e
			}
			header = h
		}
		bs := in.Action.Buttons
		if len(bs) < 1 || len(bs) > 3 {
			return invalid("Param interactive['action']['buttons'] must have 1 to 3 buttons; got %d.", len(bs))
		}
		ids, titles := map[string]bool{}, map[string]bool{}
		for i, b := range bs {
			if b.Type != "reply" || b.Reply == nil {
				return invalid("Param interactive['action']['buttons'][%d] must be {\"type\":\"reply\",\"reply\":{...}}.", i)
			}
			if b.Reply.ID == "" || utf8.RuneCountInString(b.Reply.ID) > 256 {
				return invalid("Param interactive['action']['buttons'][%d]['reply']['id'] must be 1 to 256 characters.", i)
			}
			if n := utf8.RuneCountInString(b.Reply.Title); n < 1 || n > 20 {
				return invalid("Button title length invalid. Min length: 1, Max length: 20 (buttons[%d] has %d).", i, n)
			}
			if ids[b.Reply.ID] || titles[b.Reply.Title] {
				return invalid("Param interactive['action']['buttons'] must have unique ids and titles.")
			}
			ids[b.Reply.ID], titles[b.Reply.Title] = true, true
			out.ev.Choices = append(out.ev.Choices, Choice{Kind: ChoiceButton, ID: b.Reply.ID, Title: b.Reply.Title})
		}
	case "list":
		if n := utf8.RuneCountInString(in.Body.Text); n > 4096 {
			return invalid("Param interactive['body']['text'] is %d characters; list messages allow 4096.", n)
		}
		if in.Header != nil {
			h, e := validateInteractiveHeader(in.Header, false, out)
			if e != nil {
				return e
			}
			header = h
		}
		if n := utf8.RuneCountInString(in.Action.Button); n < 1 || n > 20 {
			return invalid("Param interactive['action']['button'] must be 1 to 20 characters.")
		}
		secs := in.Action.Sections
		if len(secs) < 1 || len(secs) > 10 {
			return invalid("Param interactive['action']['sections'] must have 1 to 10 sections; got %d.", len(secs))
		}
		rows, ids := 0, map[string]bool{}
		for i, sec := range secs {
			if utf8.RuneCountInString(sec.Title) > 24 {
				return invalid("Param interactive['action']['sections'][%d]['title'] must be at most 24 characters.", i)
			}
			if len(secs) > 1 && sec.Title == "" {
				return invalid("Param interactive['action']['sections'][%d]['title'] is required when there is more than one section.", i)
			}
			if len(sec.Rows) == 0 {
				return invalid("Param interactive['action']['sections'][%d]['rows'] must not be empty.", i)
			}
			for j, row := range sec.Rows {
				rows++
				if row.ID == "" || utf8.RuneCountInString(row.ID) > 200 {
					return invalid("Param sections[%d]['rows'][%d]['id'] must be 1 to 200 characters.", i, j)
				}
				if n := utf8.RuneCountInString(row.Title); n < 1 || n > 24 {
					return invalid("Row title length invalid. Min length: 1, Max length: 24 (sections[%d].rows[%d] has %d).", i, j, n)
				}
				if utf8.RuneCountInString(row.Description) > 72 {
					return invalid("Param sections[%d]['rows'][%d]['description'] must be at most 72 characters.", i, j)
				}
				if ids[row.ID] {
					return invalid("Row ids must be unique; %q repeats.", row.ID)
				}
				ids[row.ID] = true
				out.ev.Choices = append(out.ev.Choices, Choice{Kind: ChoiceList, ID: row.ID, Title: row.Title, Description: row.Description})
			}
		}
		if rows > 10 {
			return invalid("A list message allows at most 10 rows across all sections; got %d.", rows)
		}
	default:
		return invalid("Param interactive['type'] must be button or list; got %q.", in.Type)
	}
	out.ev.Text = strings.Join(nonEmpty(header, in.Body.Text), "\n")
	return nil
}

// validateInteractiveHeader returns the header's text (if any). Reply-button
// messages allow text or media headers; lists allow text only.
func validateInteractiveHeader(h *interactiveHeader, mediaOK bool, out *outbound) (string, *apiError) {
	switch h.Type {
	case "text":
		if n := utf8.RuneCountInString(h.Text); n < 1 || n > 60 {
			return "", invalid("Param interactive['header']['text'] must be 1 to 60 characters.")
		}
		return h.Text, nil
	case "image", "video", "document":
		if !mediaOK {
			return "", invalid("List messages allow only a text header.")
		}
		m := map[string]*sendMedia{"image": h.Image, "video": h.Video, "document": h.Document}[h.Type]
		em, use, e := checkMediaObject(m, h.Type, "interactive['header']['"+h.Type+"']")
		if e != nil {
			return "", e
		}
		out.ev.Media = em
		if use != nil {
			out.media = append(out.media, *use)
		}
		return "", nil
	}
	return "", invalid("Param interactive['header']['type'] must be text, image, video or document; got %q.", h.Type)
}

// validateTemplateShape checks the request structure; the parameters are
// checked against the stored template later (132000/132001).
func validateTemplateShape(t *sendTemplate, out *outbound) *apiError {
	if t == nil || t.Name == "" {
		return invalid("Param template['name'] is required.")
	}
	if t.Language == nil || t.Language.Code == "" {
		return invalid("Param template['language']['code'] is required.")
	}
	for i, c := range t.Components {
		switch strings.ToLower(c.Type) {
		case "header", "body":
		case "button":
			if c.SubType == "" {
				return invalid("Param template['components'][%d]['sub_type'] is required for buttons.", i)
			}
			if c.Index == nil {
				return invalid("Param template['components'][%d]['index'] is required for buttons.", i)
			}
		default:
			return invalid("Param template['components'][%d]['type'] must be header, body or button; got %q.", i, c.Type)
		}
		for j, p := range c.Parameters {
			if p.Type == "" {
				return invalid("Param template['components'][%d]['parameters'][%d]['type'] is required.", i, j)
			}
		}
	}
	out.template = t
	out.ev.Template = t.Name
	return nil
}

// normalizePhone accepts Meta's "+ - ( ) and spaces" and returns the digits,
// which are the recipient's wa_id in the response and in webhooks.
func normalizePhone(s string) (string, bool) {
	var b strings.Builder
	for _, c := range strings.TrimSpace(s) {
		switch {
		case c >= '0' && c <= '9':
			b.WriteRune(c)
		case c == '+' || c == '-' || c == '(' || c == ')' || c == ' ':
		default:
			return "", false
		}
	}
	d := b.String()
	return d, len(d) >= 6 && len(d) <= 15
}

func nonEmpty(ss ...string) []string {
	out := ss[:0:0]
	for _, s := range ss {
		if s != "" {
			out = append(out, s)
		}
	}
	return out
}
