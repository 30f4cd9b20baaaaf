package webhook

import "encoding/json"

// status parses one status. Like message, it always returns the item so an
// unusable one can still be stored with its raw JSON.
func (p *parser) status(path string, raw json.RawMessage) Status {
	s := Status{Path: path, Raw: clone(raw)}
	invalid := func(reason string) {
		if reason != "" {
			p.problem(path, reason)
		}
		s.Invalid = true
	}
	n, ok := p.object(path, raw)
	if !ok {
		if absent(raw) {
			invalid("status is null")
		}
		s.Invalid = true
		return s
	}
	s.ID = n.str("id")
	if s.ID == "" {
		invalid("missing id")
	}
	s.Status = n.str("status")
	switch s.Status {
	case StatusSent, StatusDelivered, StatusRead, StatusPlayed, StatusFailed:
	case "":
		invalid("missing status")
	default:
		invalid("unknown status " + quote(s.Status))
	}
	var tsOK bool
	if s.Timestamp, tsOK = n.unix("timestamp"); !tsOK {
		if n.has("timestamp") {
			invalid("")
		} else {
			invalid("missing timestamp")
		}
	}
	s.RecipientID = n.str("recipient_id")
	s.RecipientUserID = n.str("recipient_user_id")
	s.RecipientType = n.str("recipient_type")
	s.RecipientParticipantID = n.str("recipient_participant_id")
	s.BizOpaqueCallbackData = n.str("biz_opaque_callback_data")
	if c, ok := n.obj("conversation"); ok {
		s.Conversation = &StatusConversation{ID: c.str("id")}
		s.Conversation.ExpiresAt, _ = c.unix("expiration_timestamp")
		if o, ok := c.obj("origin"); ok {
			s.Conversation.OriginType = o.str("type")
		}
	}
	if pr, ok := n.obj("pricing"); ok {
		s.Pricing = &Pricing{PricingModel: pr.str("pricing_model"), Type: pr.str("type"), Category: pr.str("category")}
		if pr.has("billable") {
			b := pr.boolean("billable")
			s.Pricing.Billable = &b
		}
	}
	s.Errors = p.errors(n.at("errors"), n.get("errors"))
	return s
}
