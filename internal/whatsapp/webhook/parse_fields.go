package webhook

import "encoding/json"

// The non-message fields are informational for the product (template and
// account state), so nothing in them makes the change invalid: missing keys
// read as "", wrong kinds are reported as Problems.

func templateStatus(n node) *TemplateStatusUpdate {
	u := &TemplateStatusUpdate{
		Event:      n.str("event"),
		TemplateID: n.str("message_template_id"),
		Name:       n.str("message_template_name"),
		Language:   n.str("message_template_language"),
		Reason:     n.str("reason"),
		Category:   n.str("message_template_category"),
	}
	if r, ok := n.obj("rejection_info"); ok {
		u.RejectionReason = r.str("reason")
		u.RejectionRecommendation = r.str("recommendation")
	}
	if o, ok := n.obj("other_info"); ok {
		u.OtherInfoTitle = o.str("title")
		u.OtherInfoDescription = o.str("description")
	}
	if d, ok := n.obj("disable_info"); ok {
		u.DisableDate, _ = d.unix("disable_date")
	}
	return u
}

func templateQuality(n node) *TemplateQualityUpdate {
	return &TemplateQualityUpdate{
		TemplateID:           n.str("message_template_id"),
		Name:                 n.str("message_template_name"),
		Language:             n.str("message_template_language"),
		PreviousQualityScore: n.str("previous_quality_score"),
		NewQualityScore:      n.str("new_quality_score"),
	}
}

func templateCategory(n node) *TemplateCategoryUpdate {
	return &TemplateCategoryUpdate{
		TemplateID:       n.str("message_template_id"),
		Name:             n.str("message_template_name"),
		Language:         n.str("message_template_language"),
		PreviousCategory: n.str("previous_category"),
		NewCategory:      n.str("new_category"),
		CorrectCategory:  n.str("correct_category"),
	}
}

func phoneNumberQuality(n node) *PhoneNumberQualityUpdate {
	return &PhoneNumberQualityUpdate{
		DisplayPhoneNumber:    n.str("display_phone_number"),
		Event:                 n.str("event"),
		CurrentLimit:          n.str("current_limit"),
		OldLimit:              n.str("old_limit"),
		MaxDailyConversations: n.str("max_daily_conversations_per_business"),
	}
}

func accountUpdate(n node, raw json.RawMessage) *AccountUpdate {
	u := &AccountUpdate{Event: n.str("event"), Raw: raw}
	if v, ok := n.obj("violation_info"); ok {
		u.ViolationType = v.str("violation_type")
	}
	each(n.p, n, "restriction_info", func(r node) {
		rs := Restriction{Type: r.str("restriction_type")}
		rs.Expiration, _ = r.unix("expiration")
		u.Restrictions = append(u.Restrictions, rs)
	})
	return u
}

func (p *parser) userPreference(path string, raw json.RawMessage) (UserPreference, bool) {
	n, ok := p.object(path, raw)
	if !ok {
		if absent(raw) {
			p.problem(path, "user preference is null")
		}
		return UserPreference{}, false
	}
	u := UserPreference{
		WaID: n.str("wa_id"), UserID: n.str("user_id"), Detail: n.str("detail"),
		Category: n.str("category"), Value: n.str("value"), SignupID: n.str("signup_id"),
	}
	u.Timestamp, _ = n.unix("timestamp")
	return u, true
}

func (p *parser) automaticEvent(path string, raw json.RawMessage) (AutomaticEvent, bool) {
	n, ok := p.object(path, raw)
	if !ok {
		if absent(raw) {
			p.problem(path, "automatic event is null")
		}
		return AutomaticEvent{}, false
	}
	a := AutomaticEvent{ID: n.str("id"), EventName: n.str("event_name"), CtwaClid: n.str("ctwa_clid"), Raw: clone(raw)}
	a.Timestamp, _ = n.unix("timestamp")
	if c, ok := n.obj("custom_data"); ok {
		a.Currency = c.str("currency")
		a.Value = c.float("value")
	}
	return a, true
}
