package ui

import (
	"context"
	"time"

	"switchboard/internal/i18n"
)

// DateTime formats a moment the way the reader's language writes it, in UTC
// until users choose a time zone.
func DateTime(ctx context.Context, t time.Time) string {
	t = t.UTC()
	if i18n.FromContext(ctx) == i18n.Italian {
		return t.Format("02/01/2006 15:04") + " UTC"
	}
	return t.Format("2006-01-02 15:04") + " UTC"
}

// Truncate shortens s to at most n runes, marking the cut.
func Truncate(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n-1]) + "…"
}
