package operator

import (
	"context"
	"fmt"

	"switchboard/internal/domain"
	"switchboard/internal/i18n"
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
