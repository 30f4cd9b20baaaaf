package webhook

import (
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
)

// Parse errors. Both mean the body is not a WhatsApp webhook at all; the
// ingest should still answer 200 to a correctly signed body and keep it as
// failed, or Meta retries it for 7 days.
var (
	// ErrNotJSON: the body is not one well-formed JSON value.
	ErrNotJSON = errors.New("webhook: body is not JSON")
	// ErrNotEnvelope: valid JSON, but not an object with
	// "object":"whatsapp_business_account" and an "entry" array.
	ErrNotEnvelope = errors.New("webhook: body is not a WhatsApp webhook envelope")
)

// Parse parses one webhook POST body. It returns an error (wrapping
// ErrNotJSON or ErrNotEnvelope) only when the body as a whole is unusable;
// defects inside items are reported in Payload.Problems. Parse never panics,
// does not retain body (Raw fields are copies) and is safe for concurrent use.
func Parse(body []byte) (*Payload, error) {
	// One full validation up front; everything below splits values of this
	// known-valid body without re-validating (see scan.go). json.Valid also
	// enforces encoding/json's nesting limit.
	if !json.Valid(body) {
		return nil, ErrNotJSON
	}
	if kind(body) != '{' {
		return nil, fmt.Errorf("%w: top level is %s, not an object", ErrNotEnvelope, kindName(body))
	}
	p := &parser{}
	root, ok := p.object("", body)
	if !ok {
		return nil, fmt.Errorf("%w: malformed top-level object", ErrNotJSON)
	}
	if kind(root.get("object")) != '"' {
		return nil, fmt.Errorf("%w: \"object\" is %s, not a string", ErrNotEnvelope, kindName(root.get("object")))
	}
	if obj := root.str("object"); obj != ObjectWhatsApp {
		return nil, fmt.Errorf("%w: object is %s", ErrNotEnvelope, quote(obj))
	}
	entries := root.get("entry")
	if kind(entries) != '[' {
		return nil, fmt.Errorf("%w: \"entry\" is %s, not an array", ErrNotEnvelope, kindName(entries))
	}
	out := &Payload{Object: ObjectWhatsApp}
	for i, raw := range p.array("entry", entries) {
		if e, ok := p.entry("entry["+strconv.Itoa(i)+"]", raw); ok {
			out.Entries = append(out.Entries, e)
		}
	}
	out.Problems = p.problems
	return out, nil
}

// entry parses one entry. An entry that is not an object has nothing worth
// keeping and is skipped with a problem.
func (p *parser) entry(path string, raw json.RawMessage) (Entry, bool) {
	n, ok := p.object(path, raw)
	if !ok {
		if absent(raw) {
			p.problem(path, "entry is null")
		}
		return Entry{}, false
	}
	e := Entry{WABAID: n.str("id")}
	if e.WABAID == "" {
		p.problem(path, "missing id (WABA ID)")
	}
	e.Time, _ = n.unix("time")
	if !n.has("changes") {
		p.problem(path, "missing changes")
	}
	for j, c := range n.arr("changes") {
		if ch, ok := p.change(path+".changes["+strconv.Itoa(j)+"]", c); ok {
			e.Changes = append(e.Changes, ch)
		}
	}
	return e, true
}

// change parses one change and types its value by field. A change whose
// field is unknown is kept with its raw value; one that is not an object at
// all is skipped with a problem.
func (p *parser) change(path string, raw json.RawMessage) (Change, bool) {
	n, ok := p.object(path, raw)
	if !ok {
		if absent(raw) {
			p.problem(path, "change is null")
		}
		return Change{}, false
	}
	c := Change{Field: n.str("field"), Raw: clone(n.raw("value"))}
	if c.Field == "" {
		p.problem(path, "missing field")
	}
	vpath := path + ".value"
	switch c.Field {
	case FieldMessages, FieldUserPreferences, FieldAutomaticEvents,
		FieldTemplateStatusUpdate, FieldTemplateQualityUpdate, FieldTemplateCategoryUpdate,
		FieldPhoneNumberQualityUpdate, FieldAccountUpdate:
	default:
		return c, true
	}
	v, ok := n.obj("value")
	if !ok {
		if !n.has("value") {
			p.problem(vpath, "missing value for field "+quote(c.Field))
		}
		return c, true
	}
	switch c.Field {
	case FieldMessages, FieldUserPreferences, FieldAutomaticEvents:
		c.Messages = p.messagesValue(v)
	case FieldTemplateStatusUpdate:
		c.TemplateStatus = templateStatus(v)
	case FieldTemplateQualityUpdate:
		c.TemplateQuality = templateQuality(v)
	case FieldTemplateCategoryUpdate:
		c.TemplateCategory = templateCategory(v)
	case FieldPhoneNumberQualityUpdate:
		c.PhoneNumberQuality = phoneNumberQuality(v)
	case FieldAccountUpdate:
		c.AccountUpdate = accountUpdate(v, c.Raw)
	}
	return c, true
}

// messagesValue parses the envelope shared by messages, user_preferences and
// automatic_events. Every array is walked to the end.
func (p *parser) messagesValue(n node) *MessagesValue {
	v := &MessagesValue{MessagingProduct: n.str("messaging_product")}
	if md, ok := n.obj("metadata"); ok {
		v.Metadata = Metadata{
			DisplayPhoneNumber: md.str("display_phone_number"),
			PhoneNumberID:      md.str("phone_number_id"),
		}
	}
	// Without the phone number ID the change cannot be routed to a tenant.
	if v.Metadata.PhoneNumberID == "" {
		p.problem(n.at("metadata"), "missing phone_number_id")
	}
	for i, raw := range n.arr("contacts") {
		if c, ok := p.contact(n.at("contacts")+"["+strconv.Itoa(i)+"]", raw); ok {
			v.Contacts = append(v.Contacts, c)
		}
	}
	for i, raw := range n.arr("messages") {
		v.Messages = append(v.Messages, p.message(n.at("messages")+"["+strconv.Itoa(i)+"]", raw))
	}
	for i, raw := range n.arr("statuses") {
		v.Statuses = append(v.Statuses, p.status(n.at("statuses")+"["+strconv.Itoa(i)+"]", raw))
	}
	v.Errors = p.errors(n.at("errors"), n.get("errors"))
	for i, raw := range n.arr("user_preferences") {
		if u, ok := p.userPreference(n.at("user_preferences")+"["+strconv.Itoa(i)+"]", raw); ok {
			v.UserPreferences = append(v.UserPreferences, u)
		}
	}
	for i, raw := range n.arr("automatic_events") {
		if a, ok := p.automaticEvent(n.at("automatic_events")+"["+strconv.Itoa(i)+"]", raw); ok {
			v.AutomaticEvents = append(v.AutomaticEvents, a)
		}
	}
	return v
}

func (p *parser) contact(path string, raw json.RawMessage) (Contact, bool) {
	n, ok := p.object(path, raw)
	if !ok {
		if absent(raw) {
			p.problem(path, "contact is null")
		}
		return Contact{}, false
	}
	c := Contact{
		WaID:            n.str("wa_id"),
		UserID:          n.str("user_id"),
		ParentUserID:    n.str("parent_user_id"),
		IdentityKeyHash: n.str("identity_key_hash"),
	}
	if pr, ok := n.obj("profile"); ok {
		c.Name = pr.str("name")
		c.Username = pr.str("username")
	}
	return c, true
}

// errors parses an array of error objects wherever it appears. Elements that
// are not objects are dropped with a problem; an error is never invalid,
// since every field of it is informational.
func (p *parser) errors(path string, raw json.RawMessage) []Error {
	var out []Error
	for i, r := range p.array(path, raw) {
		epath := path + "[" + strconv.Itoa(i) + "]"
		n, ok := p.object(epath, r)
		if !ok {
			if absent(r) {
				p.problem(epath, "error is null")
			}
			continue
		}
		e := Error{Code: n.int("code"), Title: n.str("title"), Message: n.str("message"), Href: n.str("href")}
		if d, ok := n.obj("error_data"); ok {
			e.Details = d.str("details")
		}
		out = append(out, e)
	}
	return out
}
