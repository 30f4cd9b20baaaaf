package storage

import (
	"context"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/jackc/pgx/v5"

	"switchboard/internal/domain"
	"switchboard/internal/hours"
)

// A tenant's own settings: its name, language and time zone, and how long
// its messages and media are kept. Routing options and STOP words have
// their own functions (SetRoutingSettings, SetStopKeywords), shared with
// the CLI. The tenants table is written in platform scope only, so these
// run there, on this one tenant.

// Limits of the tenant's settings.
const (
	MaxTenantNameLen = 200
	MaxRetentionDays = 3650 // ten years; 0 keeps everything
	MaxStopWords     = 50
	MaxStopWordLen   = 40
)

// TenantSettings is what the settings page shows.
type TenantSettings struct {
	Name, Slug, Language, TimeZone string
	RetentionDays                  int
	StopWords                      []string
	Routing                        RoutingSettings
}

// TenantSettings reads a tenant's settings.
func (s *Store) TenantSettings(ctx context.Context, tenantID string) (TenantSettings, error) {
	var st TenantSettings
	err := s.InTenant(ctx, tenantID, func(tx pgx.Tx) error {
		return notFound(tx.QueryRow(ctx, `SELECT name, slug, language, time_zone, retention_days, stop_keywords FROM tenants WHERE id = $1`,
			tenantID).Scan(&st.Name, &st.Slug, &st.Language, &st.TimeZone, &st.RetentionDays, &st.StopWords))
	})
	if err != nil {
		return st, err
	}
	st.Routing, err = s.TenantRoutingSettings(ctx, tenantID)
	return st, err
}

// CheckTenantName trims a tenant's name and checks it: the rule of every
// door that names a tenant (creation, the settings page).
func CheckTenantName(name string) (string, error) {
	name = strings.TrimSpace(name)
	switch {
	case name == "":
		return "", &domain.FieldError{Field: "name", Key: "form.required"}
	case utf8.RuneCountInString(name) > MaxTenantNameLen:
		return "", &domain.FieldError{Field: "name", Key: "form.too_long"}
	case !utf8.ValidString(name) || strings.IndexFunc(name, unicode.IsControl) >= 0:
		return "", &domain.FieldError{Field: "name", Key: "admin.settings.name_invalid"}
	}
	return name, nil
}

// SetTenantProfile sets a tenant's name, language ("en" or "it") and time
// zone (an IANA name), and audits what changed.
func (s *Store) SetTenantProfile(ctx context.Context, tenantID string, actor Actor, name, language, timeZone string) error {
	name, err := CheckTenantName(name)
	if err != nil {
		return err
	}
	if language != "en" && language != "it" {
		return &domain.FieldError{Field: "language", Key: "admin.settings.language_invalid"}
	}
	timeZone = strings.TrimSpace(timeZone)
	if err := hours.CheckZone("time_zone", timeZone); err != nil {
		return err
	}
	return s.InPlatform(ctx, func(tx pgx.Tx) error {
		var slug, oldName, oldLang, oldZone string
		if err := tx.QueryRow(ctx, `SELECT slug, name, language, time_zone FROM tenants WHERE id = $1 FOR UPDATE`,
			tenantID).Scan(&slug, &oldName, &oldLang, &oldZone); err != nil {
			return notFound(err)
		}
		if _, err := tx.Exec(ctx, `UPDATE tenants SET name = $2, language = $3, time_zone = $4, updated_at = now() WHERE id = $1`,
			tenantID, name, language, timeZone); err != nil {
			return err
		}
		return audit(ctx, tx, tenantID, actor, "settings.profile", slug, map[string]any{
			"before": map[string]any{"name": oldName, "language": oldLang, "time_zone": oldZone},
			"after":  map[string]any{"name": name, "language": language, "time_zone": timeZone}})
	})
}

// CheckRetentionDays checks a retention period: 0 (keep forever) or 1 to
// MaxRetentionDays days.
func CheckRetentionDays(days int) error {
	if days < 0 || days > MaxRetentionDays {
		return &domain.FieldError{Field: "retention_days", Key: "admin.settings.retention_range"}
	}
	return nil
}

// SetRetentionDays sets how many days a tenant's messages and media are
// kept (0: forever); the daily retention job deletes what is older.
func (s *Store) SetRetentionDays(ctx context.Context, tenantID string, actor Actor, days int) error {
	if err := CheckRetentionDays(days); err != nil {
		return err
	}
	return s.InPlatform(ctx, func(tx pgx.Tx) error {
		var slug string
		var before int
		if err := tx.QueryRow(ctx, `SELECT slug, retention_days FROM tenants WHERE id = $1 FOR UPDATE`, tenantID).Scan(&slug, &before); err != nil {
			return notFound(err)
		}
		if _, err := tx.Exec(ctx, `UPDATE tenants SET retention_days = $2, updated_at = now() WHERE id = $1`, tenantID, days); err != nil {
			return err
		}
		return audit(ctx, tx, tenantID, actor, "settings.retention", slug, map[string]any{
			"before": map[string]any{"retention_days": before}, "after": map[string]any{"retention_days": days}})
	})
}

// ParseStopWords reads the words that withdraw consent as an administrator
// or the CLI gives them: comma-separated, any case (kept upper-case), each
// one word of at most MaxStopWordLen characters, 1 to MaxStopWords of
// them, duplicates dropped.
func ParseStopWords(s string) ([]string, error) {
	var list []string
	seen := map[string]bool{}
	for w := range strings.SplitSeq(s, ",") {
		w = strings.ToUpper(strings.TrimSpace(w))
		if w == "" {
			continue
		}
		if utf8.RuneCountInString(w) > MaxStopWordLen || strings.IndexFunc(w, func(r rune) bool { return unicode.IsSpace(r) || unicode.IsControl(r) }) >= 0 {
			return nil, &domain.FieldError{Field: "stop_words", Key: "admin.settings.stop_word_invalid"}
		}
		if !seen[w] {
			seen[w] = true
			list = append(list, w)
		}
	}
	if len(list) == 0 || len(list) > MaxStopWords {
		return nil, &domain.FieldError{Field: "stop_words", Key: "admin.settings.stop_words_count"}
	}
	return list, nil
}
