package admin

import (
	"context"

	"switchboard/internal/i18n"
)

func orDash(s string) string {
	if s == "" {
		return "—"
	}
	return s
}

func activeLabel(ctx context.Context, active bool) string {
	if active {
		return i18n.T(ctx, "status.active")
	}
	return i18n.T(ctx, "status.inactive")
}
