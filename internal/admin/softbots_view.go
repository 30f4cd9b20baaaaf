package admin

import (
	"context"

	"switchboard/internal/i18n"
	"switchboard/internal/softbot"
	"switchboard/internal/ui"
)

// Small helpers of the softbots' pages.

// textLimit is WhatsApp's limit on a step's text: the body of an
// interactive message, or a whole text message.
func textLimit(kind string) int {
	if kind == softbot.KindButtons || kind == softbot.KindList {
		return softbot.MaxBody
	}
	return softbot.MaxText
}

// titleLimit is the limit on an option's title: a button's or a row's.
func titleLimit(kind string) int {
	if kind == softbot.KindList {
		return softbot.MaxRowTitle
	}
	return softbot.MaxButtonTitle
}

// startForm holds the menu's start step for its select.
func startForm(m softbot.Menu) *ui.Form {
	f := ui.NewForm()
	f.Values["start"] = m.Start
	return f
}

func orNone(ctx context.Context, s string) string {
	if s == "" {
		return i18n.T(ctx, "bots.none_short")
	}
	return s
}

func orAll(ctx context.Context, s string) string {
	if s == "" {
		return i18n.T(ctx, "rules.number_all")
	}
	return s
}

// ruleAction is where the rule form posts: a new rule, or the one edited.
func ruleAction(editID string) string {
	if editID == "" {
		return "/admin/rules"
	}
	return "/admin/rules/" + editID
}
