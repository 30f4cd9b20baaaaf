package operator

import (
	"context"
	"fmt"

	"switchboard/internal/domain"
	"switchboard/internal/i18n"
	"switchboard/internal/storage"
	"switchboard/internal/ui"
)

func planOptions(ctx context.Context, plans []domain.Plan) []ui.Option {
	out := make([]ui.Option, 0, len(plans))
	for _, p := range plans {
		out = append(out, ui.Option{Value: p.ID, Label: fmt.Sprintf("%s — %s", p.Name,
			i18n.T(ctx, "plans.summary", p.MaxNumbers, p.MaxTemplates, p.MaxBusinessConversations))})
	}
	return out
}

func planAction(id string) string {
	if id == "" {
		return "/operator/plans"
	}
	return "/operator/plans/" + id
}

func tenantName(list []domain.Tenant, id string) string {
	for _, t := range list {
		if t.ID == id {
			return t.Name
		}
	}
	return id
}

// usageItem is one line of a tenant's usage: what it uses against what its
// plan allows.
type usageItem struct {
	Key, LabelKey string
	Used, Max     int
	Unlimited     bool
}

// Over reports a tenant using more than its plan allows: possible after a
// move to a smaller plan or a plan's limits lowered; nothing is taken away,
// only additions are refused.
func (u usageItem) Over() bool { return !u.Unlimited && u.Used > u.Max }

// Full reports a limit reached: the next addition is refused.
func (u usageItem) Full() bool { return !u.Unlimited && u.Used >= u.Max }

func usageItems(p domain.Plan, u storage.Usage) []usageItem {
	return []usageItem{
		{Key: "numbers", LabelKey: "field.max_numbers", Used: u.Numbers, Max: p.MaxNumbers},
		{Key: "templates", LabelKey: "field.max_templates", Used: u.Templates, Max: p.MaxTemplates},
		{Key: "conversations", LabelKey: "operator.tenant.conversations_month", Used: u.BusinessConversations, Max: p.MaxBusinessConversations},
		{Key: "agents", LabelKey: "plans.agents", Used: u.Agents, Unlimited: true},
		{Key: "contacts", LabelKey: "operator.tenant.contacts", Used: u.Contacts, Unlimited: true},
	}
}

func modeOptions(ctx context.Context) []ui.Option {
	return []ui.Option{{Value: "live", Label: i18n.T(ctx, "numbers.live")}, {Value: "sandbox", Label: i18n.T(ctx, "numbers.sandbox")}}
}

// appOptions are the apps a number may receive its webhooks through: the
// platform's own (empty) or a registered one, by slug.
func appOptions(ctx context.Context, apps []domain.MetaApp) []ui.Option {
	out := []ui.Option{{Value: "", Label: i18n.T(ctx, "operator.numbers.platform_app")}}
	for _, a := range apps {
		out = append(out, ui.Option{Value: a.Slug, Label: a.Slug + " — " + a.Name})
	}
	return out
}

// numberStatusKey names a number's status in the catalog (spelled out, so
// the i18n test finds each key).
func numberStatusKey(status string) string {
	switch status {
	case "connected":
		return "operator.numbers.status_connected"
	case "pending":
		return "operator.numbers.status_pending"
	case "restricted":
		return "operator.numbers.status_restricted"
	default:
		return "operator.numbers.status_disconnected"
	}
}

func numberStatusClass(status string) string {
	switch status {
	case "connected":
		return "status-active"
	case "pending":
		return "status-queued"
	default:
		return "status-suspended"
	}
}
