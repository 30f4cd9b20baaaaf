// Package i18n holds the interface's words in English and Italian and picks
// the language of each request: the user's choice, then the browser's
// Accept-Language, then English.
package i18n

import (
	"context"
	"fmt"
	"strconv"
	"strings"
)

// Lang is a supported interface language.
type Lang string

const (
	English Lang = "en"
	Italian Lang = "it"
)

// Supported lists the languages in the order the switcher shows them.
func Supported() []Lang { return []Lang{English, Italian} }

// Parse returns the language for a code such as "it" or "it-IT", and whether
// it is supported.
func Parse(code string) (Lang, bool) {
	code = strings.ToLower(strings.TrimSpace(code))
	if i := strings.IndexAny(code, "-_"); i > 0 {
		code = code[:i]
	}
	switch Lang(code) {
	case English, Italian:
		return Lang(code), true
	}
	return English, false
}

// Negotiate picks the best supported language from an Accept-Language
// header, honouring q-values; English when nothing matches.
func Negotiate(header string) Lang {
	best, bestQ := English, -1.0
	for _, part := range strings.Split(header, ",") {
		fields := strings.Split(strings.TrimSpace(part), ";")
		lang, ok := Parse(fields[0])
		if !ok {
			continue
		}
		q := 1.0
		for _, f := range fields[1:] {
			if v, found := strings.CutPrefix(strings.TrimSpace(f), "q="); found {
				if parsed, err := strconv.ParseFloat(v, 64); err == nil {
					q = parsed
				}
			}
		}
		if q > bestQ {
			best, bestQ = lang, q
		}
	}
	return best
}

type ctxKey struct{}

// WithLang returns ctx carrying lang.
func WithLang(ctx context.Context, lang Lang) context.Context {
	return context.WithValue(ctx, ctxKey{}, lang)
}

// FromContext returns the request's language (English when unset).
func FromContext(ctx context.Context) Lang {
	if l, ok := ctx.Value(ctxKey{}).(Lang); ok {
		return l
	}
	return English
}

// T translates key into the request's language, formatting args into it.
// A missing key shows itself, so a gap is visible rather than silent; a test
// keeps every key present in both languages.
func T(ctx context.Context, key string, args ...any) string {
	return Translate(FromContext(ctx), key, args...)
}

// Translate is T for an explicit language.
func Translate(lang Lang, key string, args ...any) string {
	m, ok := lookup(key)
	if !ok {
		return key
	}
	s := m.en
	if lang == Italian && m.it != "" {
		s = m.it
	}
	if len(args) > 0 && strings.Contains(s, "%") {
		return fmt.Sprintf(s, args...)
	}
	return s
}

// Has reports whether key is in the catalog (flash cookies carry keys and
// are checked against it).
func Has(key string) bool {
	_, ok := lookup(key)
	return ok
}

// entry is one message in both languages.
type entry = struct{ en, it string }

// catalogs are the catalog's parts: messages.go for the shell, consoles
// and routing, and one file per later surface (messages_*.go), so each
// surface keeps its words next to each other.
var catalogs = []map[string]entry{messages, consoleMessages, mediaMessages, templateMessages, deskMessages, contactMessages,
	teamMessages, numberMessages, contactsAdminMessages, healthMessages, phoneMessages,
	operatorMessages, onboardingMessages, templateEditorMessages, softbotMessages, contactsImportMessages, reviewMessages}

func lookup(key string) (entry, bool) {
	for _, c := range catalogs {
		if m, ok := c[key]; ok {
			return m, true
		}
	}
	return entry{}, false
}
