package inbound

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"

	"switchboard/internal/domain"
	"switchboard/internal/storage"
	"switchboard/internal/whatsapp/webhook"
)

// applyTemplate records a template decision, quality or category change for
// every tenant with a number on the WABA the entry names.
func (p *Processor) applyTemplate(ctx context.Context, tx storage.InboundTx, ev storage.WebhookEvent, entry webhook.Entry, c webhook.Change, fx *effects) (string, error) {
	numbers, err := numbersOfApp(ctx, tx, ev, entry.WABAID)
	if err != nil {
		return "", err
	}
	if len(numbers) == 0 {
		return fmt.Sprintf("unknown WABA %q", entry.WABAID), nil
	}
	var id, name, lang, event, reason string
	detail := map[string]any{}
	switch {
	case c.TemplateStatus != nil:
		s := c.TemplateStatus
		id, name, lang, event, reason = s.TemplateID, s.Name, s.Language, s.Event, s.Reason
		detail["category"] = s.Category
		if s.RejectionReason != "" {
			detail["rejection_reason"], detail["rejection_recommendation"] = s.RejectionReason, s.RejectionRecommendation
		}
		if s.OtherInfoTitle != "" {
			detail["other_info_title"], detail["other_info_description"] = s.OtherInfoTitle, s.OtherInfoDescription
		}
	case c.TemplateQuality != nil:
		q := c.TemplateQuality
		id, name, lang, event = q.TemplateID, q.Name, q.Language, "QUALITY_"+q.NewQualityScore
		detail["previous_quality_score"], detail["new_quality_score"] = q.PreviousQualityScore, q.NewQualityScore
	case c.TemplateCategory != nil:
		q := c.TemplateCategory
		id, name, lang, event = q.TemplateID, q.Name, q.Language, "CATEGORY_"+q.NewCategory
		detail["previous_category"], detail["new_category"] = q.PreviousCategory, q.NewCategory
	}
	// The catalog refreshes from Meta once this commits (one number per
	// tenant is enough: they share the WABA).
	seen := map[string]bool{}
	for _, n := range numbers {
		if !seen[n.TenantID] {
			seen[n.TenantID] = true
			fx.templates = append(fx.templates, n)
		}
	}
	for _, tenantID := range tenantsOf(numbers) {
		if err := tx.Scope(ctx, tenantID); err != nil {
			return "", err
		}
		if err := tx.TemplateEvent(ctx, tenantID, entry.WABAID, id, name, lang, event, reason, detail, dedupeKey(entry, c.Raw)); err != nil {
			return "", err
		}
	}
	return "", nil
}

// applyAccount records a number's quality or limit change, or an account
// event, on the numbers concerned.
func applyAccount(ctx context.Context, tx storage.InboundTx, ev storage.WebhookEvent, entry webhook.Entry, c webhook.Change) (string, error) {
	numbers, err := numbersOfApp(ctx, tx, ev, entry.WABAID)
	if err != nil {
		return "", err
	}
	if q := c.PhoneNumberQuality; q != nil {
		// The event names the display number; match it within the WABA.
		var target *domain.Number
		for i := range numbers {
			if domain.Digits(numbers[i].DisplayPhone) == domain.Digits(q.DisplayPhoneNumber) {
				target = &numbers[i]
			}
		}
		if target == nil {
			return fmt.Sprintf("unknown number %q on WABA %q", q.DisplayPhoneNumber, entry.WABAID), nil
		}
		limit := q.MaxDailyConversations
		if limit == "" {
			limit = q.CurrentLimit
		}
		if err := tx.Scope(ctx, target.TenantID); err != nil {
			return "", err
		}
		return "", tx.NumberEvent(ctx, target.TenantID, target.ID, c.Field, q.Event,
			map[string]any{"current_limit": q.CurrentLimit, "old_limit": q.OldLimit, "max_daily_conversations": q.MaxDailyConversations},
			"", limit, dedupeKey(entry, c.Raw))
	}
	if len(numbers) == 0 {
		return fmt.Sprintf("unknown WABA %q", entry.WABAID), nil
	}
	a := c.AccountUpdate
	for _, n := range numbers {
		if err := tx.Scope(ctx, n.TenantID); err != nil {
			return "", err
		}
		detail := map[string]any{"violation_type": a.ViolationType, "restrictions": a.Restrictions}
		// One record per number: the key includes it.
		key := dedupeKey(entry, append([]byte(n.ID+"|"), c.Raw...))
		if err := tx.NumberEvent(ctx, n.TenantID, n.ID, c.Field, a.Event, detail, "", "", key); err != nil {
			return "", err
		}
		if err := tx.Platform(ctx); err != nil {
			return "", err
		}
	}
	return "", nil
}

// dedupeKey identifies a notice across Meta's redeliveries: the same entry
// time and the same change, byte for byte.
func dedupeKey(entry webhook.Entry, raw []byte) string {
	h := sha256.New()
	fmt.Fprintf(h, "%d|", entry.Time.Unix())
	h.Write(raw)
	return hex.EncodeToString(h.Sum(nil))
}

// numbersOfApp lists a WABA's numbers connected through the event's app.
func numbersOfApp(ctx context.Context, tx storage.InboundTx, ev storage.WebhookEvent, wabaID string) ([]domain.Number, error) {
	all, err := tx.NumbersByWABA(ctx, wabaID)
	if err != nil {
		return nil, err
	}
	out := all[:0]
	for _, n := range all {
		if fromItsApp(n, ev) {
			out = append(out, n)
		}
	}
	return out, nil
}

func tenantsOf(numbers []domain.Number) []string {
	seen := map[string]bool{}
	var out []string
	for _, n := range numbers {
		if !seen[n.TenantID] {
			seen[n.TenantID] = true
			out = append(out, n.TenantID)
		}
	}
	return out
}
