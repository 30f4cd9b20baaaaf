package storage

import (
	"context"
	"errors"
	"regexp"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/jackc/pgx/v5"

	"switchboard/internal/domain"
)

// What a managed number answers by itself (number_automation,
// migrations/000017): the welcome, the out-of-hours reply, the reply when
// every agent is busy, the words that ask for a person, and the menu bot new
// conversations go through. The administrator's form saves it; the inbound
// runtime reads it. No row means nothing automatic.

// Modes of the welcome and of the out-of-hours reply, as the schema checks
// them.
const (
	WelcomeOff   = "off"
	WelcomeFirst = "first" // a customer's first conversation ever
	WelcomeEvery = "every" // every new conversation

	ClosedOff   = "off"
	ClosedQueue = "queue" // reply, and queue at once
	ClosedWait  = "wait"  // reply, and queue at opening time
)

// Limits of the automatic replies, as the schema checks them.
const (
	MaxAutoText        = 4096 // a WhatsApp text
	MaxBusyAfter       = 3600 // seconds in the queue before the busy reply
	MinBotTimeout      = 60   // seconds a customer may stay silent inside a bot
	MaxBotTimeout      = 86400
	MaxHandoffKeywords = 20
	MaxHandoffKeyword  = 30 // characters
)

// DefaultHandoffKeywords are offered to a number that has no automation
// yet: the words customers type to reach a person, in English and Italian.
var DefaultHandoffKeywords = []string{"agent", "operator", "operatore", "persona"}

// Automation is one number's automatic replies.
type Automation struct {
	NumberID        string
	WelcomeMode     string
	WelcomeText     string
	ClosedMode      string
	ClosedText      string
	BusyEnabled     bool
	BusyText        string
	BusyAfter       int // seconds
	HandoffKeywords []string
	BotID           string // "" none
	BotTimeout      int    // seconds
	Saved           bool   // false: no row yet, these are the defaults
	UpdatedAt       time.Time
}

// DefaultAutomation is what a number without a row does: nothing, with the
// form's suggestions filled in.
func DefaultAutomation(numberID string) Automation {
	return Automation{NumberID: numberID, WelcomeMode: WelcomeOff, ClosedMode: ClosedOff, BusyAfter: 30,
		HandoffKeywords: append([]string(nil), DefaultHandoffKeywords...), BotTimeout: 600}
}

// placeholderRE finds {word} in a busy reply; only {position} and {wait}
// are filled in, anything else would reach the customer as typed.
var placeholderRE = regexp.MustCompile(`\{[^{}]*\}`)

// checkAutoText checks a reply that must be present when its mode is on.
func checkAutoText(field, text string, on bool) (string, error) {
	text = strings.TrimSpace(text)
	switch {
	case on && text == "":
		return "", &domain.FieldError{Field: field, Key: "auto.err.text_required"}
	case !utf8.ValidString(text) || strings.ContainsRune(text, 0):
		return "", &domain.FieldError{Field: field, Key: "agent.text_invalid"}
	case utf8.RuneCountInString(text) > MaxAutoText:
		return "", &domain.FieldError{Field: field, Key: "auto.err.text_long"}
	}
	return text, nil
}

// ParseHandoffKeywords reads hand-off words typed comma separated: trimmed,
// lower case, duplicates dropped.
func ParseHandoffKeywords(s string) ([]string, error) {
	out := []string{}
	seen := map[string]bool{}
	for _, w := range strings.Split(s, ",") {
		w = strings.ToLower(strings.Join(strings.Fields(w), " "))
		if w == "" || seen[w] {
			continue
		}
		if utf8.RuneCountInString(w) > MaxHandoffKeyword || strings.IndexFunc(w, unicode.IsControl) >= 0 {
			return nil, &domain.FieldError{Field: "handoff_keywords", Key: "auto.err.keyword"}
		}
		seen[w] = true
		out = append(out, w)
	}
	if len(out) > MaxHandoffKeywords {
		return nil, &domain.FieldError{Field: "handoff_keywords", Key: "auto.err.keywords_many"}
	}
	return out, nil
}

// CheckAutomation tidies and checks an automation as the form sends it.
func CheckAutomation(a Automation) (Automation, error) {
	var err error
	switch a.WelcomeMode {
	case WelcomeOff, WelcomeFirst, WelcomeEvery:
	default:
		return a, &domain.FieldError{Field: "welcome_mode", Key: "auto.err.mode"}
	}
	switch a.ClosedMode {
	case ClosedOff, ClosedQueue, ClosedWait:
	default:
		return a, &domain.FieldError{Field: "closed_mode", Key: "auto.err.mode"}
	}
	if a.WelcomeText, err = checkAutoText("welcome_text", a.WelcomeText, a.WelcomeMode != WelcomeOff); err != nil {
		return a, err
	}
	if a.ClosedText, err = checkAutoText("closed_text", a.ClosedText, a.ClosedMode != ClosedOff); err != nil {
		return a, err
	}
	if a.BusyText, err = checkAutoText("busy_text", a.BusyText, a.BusyEnabled); err != nil {
		return a, err
	}
	for _, p := range placeholderRE.FindAllString(a.BusyText, -1) {
		if p != "{position}" && p != "{wait}" {
			return a, &domain.FieldError{Field: "busy_text", Key: "auto.err.placeholder"}
		}
	}
	if a.BusyAfter < 0 || a.BusyAfter > MaxBusyAfter {
		return a, &domain.FieldError{Field: "busy_after", Key: "auto.err.busy_after"}
	}
	if a.BotTimeout < MinBotTimeout || a.BotTimeout > MaxBotTimeout {
		return a, &domain.FieldError{Field: "bot_timeout", Key: "auto.err.bot_timeout"}
	}
	if a.BotID != "" && !domain.ValidID(a.BotID) {
		return a, &domain.FieldError{Field: "bot_id", Key: "auto.err.bot"}
	}
	if a.HandoffKeywords == nil {
		a.HandoffKeywords = []string{}
	}
	return a, nil
}

const automationColumns = `number_id, welcome_mode, welcome_text, closed_mode, closed_text, busy_enabled, busy_text,
	busy_after, handoff_keywords, coalesce(bot_id::text, ''), bot_timeout, updated_at`

func scanAutomation(row pgx.Row) (Automation, error) {
	var a Automation
	err := row.Scan(&a.NumberID, &a.WelcomeMode, &a.WelcomeText, &a.ClosedMode, &a.ClosedText, &a.BusyEnabled, &a.BusyText,
		&a.BusyAfter, &a.HandoffKeywords, &a.BotID, &a.BotTimeout, &a.UpdatedAt)
	a.Saved = err == nil
	return a, err
}

// NumberAutomation returns a number's automatic replies, or the defaults
// (Saved false) when none were saved. Another tenant's number is
// ErrNotFound.
func (s *Store) NumberAutomation(ctx context.Context, tenantID, numberID string) (Automation, error) {
	a := DefaultAutomation(numberID)
	if !domain.ValidID(numberID) {
		return a, ErrNotFound
	}
	err := s.InTenant(ctx, tenantID, func(tx pgx.Tx) error {
		var err error
		a, err = readAutomation(ctx, tx, tenantID, numberID)
		return err
	})
	return a, err
}

// readAutomation reads a number's row, or its defaults; ErrNotFound when
// the number is not the tenant's.
func readAutomation(ctx context.Context, tx pgx.Tx, tenantID, numberID string) (Automation, error) {
	var exists bool
	if err := tx.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM numbers WHERE tenant_id = $1 AND id = $2)`,
		tenantID, numberID).Scan(&exists); err != nil {
		return Automation{}, err
	}
	if !exists {
		return Automation{}, ErrNotFound
	}
	a, err := scanAutomation(tx.QueryRow(ctx, `SELECT `+automationColumns+` FROM number_automation
		WHERE tenant_id = $1 AND number_id = $2`, tenantID, numberID))
	if errors.Is(err, pgx.ErrNoRows) {
		return DefaultAutomation(numberID), nil
	}
	return a, err
}

// automationDetail is an automation as the audit log records it.
func automationDetail(a Automation) map[string]any {
	return map[string]any{"welcome_mode": a.WelcomeMode, "welcome_text": a.WelcomeText, "closed_mode": a.ClosedMode,
		"closed_text": a.ClosedText, "busy_enabled": a.BusyEnabled, "busy_text": a.BusyText, "busy_after": a.BusyAfter,
		"handoff_keywords": strings.Join(a.HandoffKeywords, ", "), "bot_id": a.BotID, "bot_timeout": a.BotTimeout}
}

// SetNumberAutomation saves a number's automatic replies (CheckAutomation
// first). The bot must be one of the tenant's published bots: a bot never
// published has nothing to run.
func (s *Store) SetNumberAutomation(ctx context.Context, tenantID string, actor Actor, a Automation) error {
	if !domain.ValidID(a.NumberID) {
		return ErrNotFound
	}
	a, err := CheckAutomation(a)
	if err != nil {
		return err
	}
	return s.InTenant(ctx, tenantID, func(tx pgx.Tx) error {
		before, err := readAutomation(ctx, tx, tenantID, a.NumberID)
		if err != nil {
			return err
		}
		if a.BotID != "" {
			var live *int
			err := tx.QueryRow(ctx, `SELECT live_version FROM bots WHERE tenant_id = $1 AND id = $2 FOR KEY SHARE`,
				tenantID, a.BotID).Scan(&live)
			if errors.Is(err, pgx.ErrNoRows) || (err == nil && live == nil) {
				return &domain.FieldError{Field: "bot_id", Key: "auto.err.bot"}
			} else if err != nil {
				return err
			}
		}
		var phone string
		if err := tx.QueryRow(ctx, `SELECT display_phone FROM numbers WHERE tenant_id = $1 AND id = $2`, tenantID, a.NumberID).Scan(&phone); err != nil {
			return notFound(err)
		}
		_, err = tx.Exec(ctx, `INSERT INTO number_automation (number_id, tenant_id, welcome_mode, welcome_text, closed_mode,
				closed_text, busy_enabled, busy_text, busy_after, handoff_keywords, bot_id, bot_timeout)
			VALUES ($2, $1, $3, $4, $5, $6, $7, $8, $9, $10, nullif($11, '')::uuid, $12)
			ON CONFLICT (number_id) DO UPDATE SET welcome_mode = $3, welcome_text = $4, closed_mode = $5, closed_text = $6,
				busy_enabled = $7, busy_text = $8, busy_after = $9, handoff_keywords = $10, bot_id = nullif($11, '')::uuid,
				bot_timeout = $12, updated_at = now()
			WHERE number_automation.tenant_id = $1`,
			tenantID, a.NumberID, a.WelcomeMode, a.WelcomeText, a.ClosedMode, a.ClosedText, a.BusyEnabled, a.BusyText,
			a.BusyAfter, a.HandoffKeywords, a.BotID, a.BotTimeout)
		if err != nil {
			return err
		}
		return audit(ctx, tx, tenantID, actor, "automation.save", phone, map[string]any{
			"before": automationDetail(before), "after": automationDetail(a)})
	})
}
