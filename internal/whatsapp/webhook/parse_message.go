package webhook

import (
	"encoding/json"
	"strconv"
)

// message parses one inbound message. It always returns a Message, so that
// even an unusable one keeps its raw JSON and can be stored as failed.
func (p *parser) message(path string, raw json.RawMessage) Message {
	m := Message{Path: path, Raw: clone(raw), Type: TypeUnsupported}
	invalid := func(reason string) {
		if reason != "" {
			p.problem(path, reason)
		}
		m.Invalid = true
	}
	n, ok := p.object(path, raw)
	if !ok {
		if absent(raw) {
			invalid("message is null")
		}
		m.Invalid = true
		m.Unsupported = &Unsupported{}
		return m
	}

	m.ID = n.str("id")
	if m.ID == "" {
		invalid("missing id")
	}
	m.From = n.str("from")
	m.FromUserID = n.str("from_user_id")
	m.FromParentUserID = n.str("from_parent_user_id")
	if m.From == "" && m.FromUserID == "" {
		invalid("missing sender (neither from nor from_user_id)")
	}
	var tsOK bool
	if m.Timestamp, tsOK = n.unix("timestamp"); !tsOK {
		if n.has("timestamp") {
			invalid("") // the reader recorded why
		} else {
			invalid("missing timestamp")
		}
	}
	if c, ok := n.obj("context"); ok {
		m.Context = msgContext(c)
	}
	if r, ok := n.obj("referral"); ok {
		m.Referral = referral(r)
	}
	m.Errors = p.errors(n.at("errors"), n.get("errors"))

	sent := n.str("type")
	// need fetches the object a known type requires. Without it the message
	// is invalid and becomes "unsupported", so that for every message the
	// field matching Type is non-nil and a switch on Type cannot hit nil.
	missing := false
	need := func(key string) (node, bool) {
		o, ok := n.obj(key)
		if !ok {
			missing = true
			if !n.has(key) {
				invalid("type " + quote(sent) + " without " + quote(key) + " object")
			} else {
				invalid("") // obj recorded the wrong kind
			}
		}
		return o, ok
	}
	switch sent {
	case TypeText:
		if o, ok := need("text"); ok {
			m.Text = &Text{Body: o.str("body")}
		}
	case TypeImage, TypeVideo, TypeAudio, TypeDocument, TypeSticker:
		o, ok := need(sent)
		if !ok {
			break
		}
		md := media(o, sent)
		if md.ID == "" && md.URL == "" {
			invalid(sent + " without id or url")
		}
		switch sent {
		case TypeImage:
			m.Image = md
		case TypeVideo:
			m.Video = md
		case TypeAudio:
			m.Audio = md
		case TypeDocument:
			m.Document = md
		case TypeSticker:
			m.Sticker = md
		}
	case TypeLocation:
		if o, ok := need("location"); ok {
			// A pin at a wrong place is worse than none: unreadable
			// coordinates make the message invalid, not just the field.
			before := len(p.problems)
			m.Location = &Location{Latitude: o.float("latitude"), Longitude: o.float("longitude")}
			switch {
			case !o.has("latitude") || !o.has("longitude"):
				invalid("location without latitude/longitude")
			case len(p.problems) > before:
				invalid("")
			}
			m.Location.Name, m.Location.Address, m.Location.URL = o.str("name"), o.str("address"), o.str("url")
		}
	case TypeContacts:
		m.Contacts = p.sharedContacts(n)
		if len(m.Contacts) == 0 {
			missing = true
			invalid("type \"contacts\" without contact cards")
		}
	case TypeInteractive:
		if o, ok := need("interactive"); ok {
			var reason string
			m.Interactive, reason = interactive(o)
			if reason != "" {
				invalid(reason)
			}
		}
	case TypeButton:
		if o, ok := need("button"); ok {
			m.Button = &Button{Payload: o.str("payload"), Text: o.str("text")}
		}
	case TypeReaction:
		if o, ok := need("reaction"); ok {
			// A removed reaction has "emoji":"" or no emoji at all; both read as "".
			m.Reaction = &Reaction{MessageID: o.str("message_id"), Emoji: o.str("emoji")}
			if m.Reaction.MessageID == "" {
				invalid("reaction without message_id")
			}
		}
	case TypeOrder:
		if o, ok := need("order"); ok {
			m.Order = p.order(o)
		}
	case TypeSystem:
		if o, ok := need("system"); ok {
			m.System = &System{Body: o.str("body"), WaID: o.str("wa_id"), Type: o.str("type")}
			if m.System.WaID == "" {
				m.System.WaID = o.str("new_wa_id")
			}
		}
		if o, ok := n.obj("identity"); ok {
			m.Identity = &Identity{Acknowledged: o.boolean("acknowledged"), Hash: o.str("hash")}
			m.Identity.CreatedTimestamp, _ = o.unix("created_timestamp")
		}
	case "":
		invalid("missing type")
		m.Unsupported = &Unsupported{}
		return m
	default:
		// Meta's own "unsupported", the older "unknown", and any type this
		// parser has not heard of: kept, never dropped.
		u := &Unsupported{SentType: sent}
		if o, ok := n.obj("unsupported"); ok {
			u.Type = o.str("type")
		}
		m.Unsupported = u
		return m
	}
	if missing {
		m.Unsupported = &Unsupported{SentType: sent}
		return m
	}
	m.Type = sent
	return m
}

func media(o node, typ string) *Media {
	m := &Media{
		ID: o.str("id"), MimeType: o.str("mime_type"), SHA256: o.str("sha256"),
		Caption: o.str("caption"), Filename: o.str("filename"), URL: o.str("url"),
	}
	// voice and animated mean something only on their own types; reading
	// them elsewhere would invent meaning.
	switch typ {
	case TypeAudio:
		m.Voice = o.boolean("voice")
	case TypeSticker:
		m.Animated = o.boolean("animated")
	}
	return m
}

func msgContext(o node) *Context {
	c := &Context{
		From: o.str("from"), ID: o.str("id"),
		Forwarded: o.boolean("forwarded"), FrequentlyForwarded: o.boolean("frequently_forwarded"),
	}
	if rp, ok := o.obj("referred_product"); ok {
		c.ReferredProduct = &ReferredProduct{CatalogID: rp.str("catalog_id"), ProductRetailerID: rp.str("product_retailer_id")}
	}
	return c
}

func referral(o node) *Referral {
	r := &Referral{
		SourceURL: o.str("source_url"), SourceID: o.str("source_id"), SourceType: o.str("source_type"),
		Body: o.str("body"), Headline: o.str("headline"), MediaType: o.str("media_type"),
		ImageURL: o.str("image_url"), VideoURL: o.str("video_url"), ThumbnailURL: o.str("thumbnail_url"),
		CtwaClid: o.str("ctwa_clid"),
	}
	if w, ok := o.obj("welcome_message"); ok {
		r.WelcomeText = w.str("text")
	}
	return r
}

// interactive parses a reply to an interactive message. reason is non-empty
// when a reply type this package models comes without its reply object.
func interactive(o node) (*Interactive, string) {
	it := &Interactive{Type: o.str("type")}
	var r node
	var ok bool
	switch it.Type {
	case InteractiveButtonReply, InteractiveListReply, InteractiveNFMReply:
		if r, ok = o.obj(it.Type); !ok {
			return it, "interactive " + quote(it.Type) + " without its reply object"
		}
	case "":
		return it, "interactive without type"
	default:
		return it, ""
	}
	switch it.Type {
	case InteractiveButtonReply:
		it.ButtonReply = &Reply{ID: r.str("id"), Title: r.str("title")}
	case InteractiveListReply:
		it.ListReply = &Reply{ID: r.str("id"), Title: r.str("title"), Description: r.str("description")}
	case InteractiveNFMReply:
		it.NFMReply = &FlowReply{Name: r.str("name"), Body: r.str("body"), ResponseJSON: r.str("response_json")}
	}
	return it, ""
}

func (p *parser) order(o node) *Order {
	ord := &Order{CatalogID: o.str("catalog_id"), Text: o.str("text")}
	each(p, o, "product_items", func(it node) {
		ord.Items = append(ord.Items, OrderItem{
			ProductRetailerID: it.str("product_retailer_id"),
			Quantity:          it.int("quantity"),
			ItemPrice:         it.float("item_price"),
			Currency:          it.str("currency"),
		})
	})
	return ord
}

func (p *parser) sharedContacts(n node) []SharedContact {
	var out []SharedContact
	for i, raw := range n.arr("contacts") {
		cpath := n.at("contacts") + "[" + strconv.Itoa(i) + "]"
		o, ok := p.object(cpath, raw)
		if !ok {
			if absent(raw) {
				p.problem(cpath, "contact card is null")
			}
			continue
		}
		c := SharedContact{Birthday: o.str("birthday"), Raw: clone(raw)}
		if nm, ok := o.obj("name"); ok {
			c.Name = ContactName{
				FormattedName: nm.str("formatted_name"), FirstName: nm.str("first_name"),
				LastName: nm.str("last_name"), MiddleName: nm.str("middle_name"),
				Prefix: nm.str("prefix"), Suffix: nm.str("suffix"),
			}
		}
		if org, ok := o.obj("org"); ok {
			c.Org = ContactOrg{Company: org.str("company"), Department: org.str("department"), Title: org.str("title")}
		}
		each(p, o, "phones", func(e node) {
			c.Phones = append(c.Phones, ContactPhone{Phone: e.str("phone"), WaID: e.str("wa_id"), Type: e.str("type")})
		})
		each(p, o, "emails", func(e node) {
			c.Emails = append(c.Emails, ContactEmail{Email: e.str("email"), Type: e.str("type")})
		})
		each(p, o, "urls", func(e node) {
			c.URLs = append(c.URLs, ContactURL{URL: e.str("url"), Type: e.str("type")})
		})
		each(p, o, "addresses", func(e node) {
			c.Addresses = append(c.Addresses, ContactAddress{
				Street: e.str("street"), City: e.str("city"), State: e.str("state"), Zip: e.str("zip"),
				Country: e.str("country"), CountryCode: e.str("country_code"), Type: e.str("type"),
			})
		})
		out = append(out, c)
	}
	return out
}

// each calls fn for every object in the array o[key], reporting elements
// that are not objects.
func each(p *parser, o node, key string, fn func(node)) {
	for i, raw := range o.arr(key) {
		epath := o.at(key) + "[" + strconv.Itoa(i) + "]"
		if e, ok := p.object(epath, raw); ok {
			fn(e)
		} else if absent(raw) {
			p.problem(epath, "null element")
		}
	}
}
