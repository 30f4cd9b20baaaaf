package storage

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/jackc/pgx/v5"

	"switchboard/internal/domain"
	"switchboard/internal/softbot"
)

// Menu bots (bots and bot_versions, migrations/000017). The editor saves a
// draft, valid or not, so no work is lost; publishing validates the draft
// (softbot.Menu.Validate) and writes it as the next immutable version. A
// conversation inside the bot keeps the version it started with (bot_runs),
// so publishing never changes what a customer is in the middle of.

// MaxBotName is a bot's longest name, as the schema checks it.
const MaxBotName = 80

// Bot is one of the tenant's menu bots.
type Bot struct {
	ID          string
	Name        string
	Draft       softbot.Menu
	LiveVersion int // 0: never published
	PublishedAt time.Time
	// DraftChanged says the draft differs from the live version (always
	// true before the first publication).
	DraftChanged bool
	UsedBy       []string // display phones of the numbers whose new conversations it answers
	UpdatedAt    time.Time
}

// BotInUseError refuses to delete a bot that numbers still use.
type BotInUseError struct {
	Bot     string
	Numbers []string
}

func (e *BotInUseError) Error() string {
	return fmt.Sprintf("bot %q answers %s: choose another bot for them first", e.Bot, strings.Join(e.Numbers, ", "))
}

var errBotTaken = &domain.FieldError{Field: "name", Key: "bot.name_taken"}

func checkBotName(name string) (string, error) {
	name = strings.TrimSpace(name)
	switch {
	case name == "":
		return "", &domain.FieldError{Field: "name", Key: "form.required"}
	case utf8.RuneCountInString(name) > MaxBotName:
		return "", &domain.FieldError{Field: "name", Key: "form.too_long"}
	case !utf8.ValidString(name) || strings.IndexFunc(name, unicode.IsControl) >= 0:
		return "", &domain.FieldError{Field: "name", Key: "agent.text_invalid"}
	}
	return name, nil
}

// NewBotMenu is a new bot's first draft: a welcome with two buttons, one
// answering and one handing off, so the editor opens on something that
// works and shows how the pieces join.
func NewBotMenu(lang string) softbot.Menu {
	welcome, info, person, answer := "Hello! How can we help you?", "Opening hours", "Talk to a person", "We are open Monday to Friday, 9:00 to 18:00."
	if lang == "it" {
		welcome, info, person, answer = "Ciao! Come possiamo aiutarti?", "Orari di apertura", "Parla con una persona", "Siamo aperti dal lunedì al venerdì, dalle 9:00 alle 18:00."
	}
	return softbot.Menu{Start: "start", Steps: []softbot.Step{
		{ID: "start", Kind: softbot.KindButtons, Text: welcome, Options: []softbot.Option{{Title: info, Next: "hours"}, {Title: person, Next: "person"}}},
		{ID: "hours", Kind: softbot.KindAnswer, Text: answer},
		{ID: "person", Kind: softbot.KindHandoff},
	}}
}

const botColumns = `b.id, b.name, b.draft, coalesce(b.live_version, 0), coalesce(v.published_at, 'epoch'),
	v.definition IS NULL OR b.draft <> v.definition, b.updated_at,
	coalesce((SELECT array_agg(n.display_phone ORDER BY n.display_phone) FROM number_automation a
		JOIN numbers n ON n.tenant_id = a.tenant_id AND n.id = a.number_id
		WHERE a.tenant_id = b.tenant_id AND a.bot_id = b.id), '{}')`

const botFrom = ` FROM bots b LEFT JOIN bot_versions v ON v.tenant_id = b.tenant_id AND v.bot_id = b.id AND v.version = b.live_version `

func scanBots(rows pgx.Rows) ([]Bot, error) {
	return pgx.CollectRows(rows, func(row pgx.CollectableRow) (Bot, error) {
		var b Bot
		var draft []byte
		err := row.Scan(&b.ID, &b.Name, &draft, &b.LiveVersion, &b.PublishedAt, &b.DraftChanged, &b.UpdatedAt, &b.UsedBy)
		if err == nil && len(draft) > 0 {
			err = json.Unmarshal(draft, &b.Draft)
		}
		return b, err
	})
}

// ListBots lists the tenant's bots by name.
func (s *Store) ListBots(ctx context.Context, tenantID string) ([]Bot, error) {
	var out []Bot
	err := s.InTenant(ctx, tenantID, func(tx pgx.Tx) error {
		rows, err := tx.Query(ctx, `SELECT `+botColumns+botFrom+`WHERE b.tenant_id = $1 ORDER BY lower(b.name)`, tenantID)
		if err != nil {
			return err
		}
		out, err = scanBots(rows)
		return err
	})
	return out, err
}

// BotByID returns one of the tenant's bots; another tenant's is
// ErrNotFound.
func (s *Store) BotByID(ctx context.Context, tenantID, id string) (Bot, error) {
	var b Bot
	if !domain.ValidID(id) {
		return b, ErrNotFound
	}
	err := s.InTenant(ctx, tenantID, func(tx pgx.Tx) error {
		rows, err := tx.Query(ctx, `SELECT `+botColumns+botFrom+`WHERE b.tenant_id = $1 AND b.id = $2`, tenantID, id)
		if err != nil {
			return err
		}
		list, err := scanBots(rows)
		if err != nil {
			return err
		}
		if len(list) == 0 {
			return ErrNotFound
		}
		b = list[0]
		return nil
	})
	return b, err
}

// BotVersion returns a published version's definition.
func (s *Store) BotVersion(ctx context.Context, tenantID, botID string, version int) (softbot.Menu, error) {
	var m softbot.Menu
	if !domain.ValidID(botID) {
		return m, ErrNotFound
	}
	err := s.InTenant(ctx, tenantID, func(tx pgx.Tx) error {
		var def []byte
		if err := tx.QueryRow(ctx, `SELECT definition FROM bot_versions WHERE tenant_id = $1 AND bot_id = $2 AND version = $3`,
			tenantID, botID, version).Scan(&def); err != nil {
			return notFound(err)
		}
		return json.Unmarshal(def, &m)
	})
	return m, err
}

// CreateBot adds a bot with a first draft; a name taken is a FieldError on
// "name".
func (s *Store) CreateBot(ctx context.Context, tenantID string, actor Actor, name string, draft softbot.Menu) (string, error) {
	name, err := checkBotName(name)
	if err != nil {
		return "", err
	}
	var id string
	err = s.InTenant(ctx, tenantID, func(tx pgx.Tx) error {
		err := tx.QueryRow(ctx, `INSERT INTO bots (tenant_id, name, draft) VALUES ($1, $2, $3) RETURNING id`,
			tenantID, name, draft).Scan(&id)
		if isUniqueViolation(err) {
			return errBotTaken
		} else if err != nil {
			return err
		}
		return audit(ctx, tx, tenantID, actor, "bot.create", name, nil)
	})
	return id, err
}

// RenameBot renames a bot.
func (s *Store) RenameBot(ctx context.Context, tenantID string, actor Actor, id, name string) error {
	if !domain.ValidID(id) {
		return ErrNotFound
	}
	name, err := checkBotName(name)
	if err != nil {
		return err
	}
	return s.InTenant(ctx, tenantID, func(tx pgx.Tx) error {
		var before string
		if err := tx.QueryRow(ctx, `SELECT name FROM bots WHERE tenant_id = $1 AND id = $2 FOR UPDATE`, tenantID, id).Scan(&before); err != nil {
			return notFound(err)
		}
		_, err := tx.Exec(ctx, `UPDATE bots SET name = $3, updated_at = now() WHERE tenant_id = $1 AND id = $2`, tenantID, id, name)
		if isUniqueViolation(err) {
			return errBotTaken
		} else if err != nil {
			return err
		}
		return audit(ctx, tx, tenantID, actor, "bot.rename", name, map[string]any{
			"before": map[string]any{"name": before}, "after": map[string]any{"name": name}})
	})
}

// DeleteBot deletes a bot and its versions; a bot a number still uses is a
// *BotInUseError naming the numbers. Conversations inside it when it goes
// are handed to a person by the runtime (their run names no bot).
func (s *Store) DeleteBot(ctx context.Context, tenantID string, actor Actor, id string) error {
	if !domain.ValidID(id) {
		return ErrNotFound
	}
	return s.InTenant(ctx, tenantID, func(tx pgx.Tx) error {
		var name string
		if err := tx.QueryRow(ctx, `SELECT name FROM bots WHERE tenant_id = $1 AND id = $2 FOR UPDATE`, tenantID, id).Scan(&name); err != nil {
			return notFound(err)
		}
		var phones []string
		if err := tx.QueryRow(ctx, `SELECT coalesce(array_agg(n.display_phone ORDER BY n.display_phone), '{}')
			FROM number_automation a JOIN numbers n ON n.tenant_id = a.tenant_id AND n.id = a.number_id
			WHERE a.tenant_id = $1 AND a.bot_id = $2`, tenantID, id).Scan(&phones); err != nil {
			return err
		}
		if len(phones) > 0 {
			return &BotInUseError{Bot: name, Numbers: phones}
		}
		if _, err := tx.Exec(ctx, `DELETE FROM bots WHERE tenant_id = $1 AND id = $2`, tenantID, id); err != nil {
			return err
		}
		return audit(ctx, tx, tenantID, actor, "bot.delete", name, nil)
	})
}

// SaveBotDraft stores the editor's work as it is, valid or not.
func (s *Store) SaveBotDraft(ctx context.Context, tenantID string, actor Actor, id string, draft softbot.Menu) error {
	if !domain.ValidID(id) {
		return ErrNotFound
	}
	return s.InTenant(ctx, tenantID, func(tx pgx.Tx) error {
		return saveDraft(ctx, tx, tenantID, actor, id, draft)
	})
}

func saveDraft(ctx context.Context, tx pgx.Tx, tenantID string, actor Actor, id string, draft softbot.Menu) error {
	var name string
	if err := tx.QueryRow(ctx, `UPDATE bots SET draft = $3, updated_at = now() WHERE tenant_id = $1 AND id = $2 RETURNING name`,
		tenantID, id, draft).Scan(&name); err != nil {
		return notFound(err)
	}
	return audit(ctx, tx, tenantID, actor, "bot.draft", name, map[string]any{"steps": len(draft.Steps)})
}

// tenantSkillsets returns the ids of the tenant's skillsets, for a menu's
// hand-offs.
func tenantSkillsets(ctx context.Context, tx pgx.Tx, tenantID string) (map[string]bool, error) {
	rows, err := tx.Query(ctx, `SELECT id::text FROM skillsets WHERE tenant_id = $1`, tenantID)
	if err != nil {
		return nil, err
	}
	ids, err := pgx.CollectRows(rows, pgx.RowTo[string])
	out := map[string]bool{}
	for _, id := range ids {
		out[id] = true
	}
	return out, err
}

// ValidateBotMenu checks a menu against WhatsApp's limits and the tenant's
// skillsets.
func (s *Store) ValidateBotMenu(ctx context.Context, tenantID string, m softbot.Menu) ([]softbot.Problem, error) {
	var ps []softbot.Problem
	err := s.InTenant(ctx, tenantID, func(tx pgx.Tx) error {
		known, err := tenantSkillsets(ctx, tx, tenantID)
		if err != nil {
			return err
		}
		ps = m.Validate(func(id string) bool { return known[id] })
		more, err := collectFieldProblems(ctx, tx, tenantID, m, ps)
		ps = append(ps, more...)
		return err
	})
	return ps, err
}

// collectFieldProblems refuses a collect step saving into a key that is
// neither the contact's name nor one of the tenant's contact fields: the
// customer's answer would be stored outside every definition, where no
// page shows it and no kind checks it. (A key badly written is already
// Validate's problem.)
func collectFieldProblems(ctx context.Context, tx pgx.Tx, tenantID string, m softbot.Menu, found []softbot.Problem) ([]softbot.Problem, error) {
	defs, err := listContactFields(ctx, tx, tenantID)
	if err != nil {
		return nil, err
	}
	known := map[string]bool{"name": true}
	for _, d := range defs {
		known[d.Key] = true
	}
	var out []softbot.Problem
	for _, s := range m.Steps {
		if s.Kind != softbot.KindCollect || known[s.Field] || slices.ContainsFunc(found, func(p softbot.Problem) bool {
			return p.Step == s.ID && p.Key == "bot.err.field"
		}) {
			continue
		}
		out = append(out, softbot.Problem{Step: s.ID, Key: "bot.err.field_unknown", Args: []any{s.Field}})
	}
	return out, nil
}

// PublishBot saves the draft and, when it passes Validate, writes it as
// the bot's next version and makes that version live, in one transaction.
// A menu with problems is saved as the draft but not published: the
// problems are returned, the version is 0.
func (s *Store) PublishBot(ctx context.Context, tenantID string, actor Actor, id string, draft softbot.Menu) (int, []softbot.Problem, error) {
	if !domain.ValidID(id) {
		return 0, nil, ErrNotFound
	}
	var version int
	var problems []softbot.Problem
	err := s.InTenant(ctx, tenantID, func(tx pgx.Tx) error {
		var name string
		if err := tx.QueryRow(ctx, `SELECT name FROM bots WHERE tenant_id = $1 AND id = $2 FOR UPDATE`, tenantID, id).Scan(&name); err != nil {
			return notFound(err)
		}
		if err := saveDraft(ctx, tx, tenantID, actor, id, draft); err != nil {
			return err
		}
		known, err := tenantSkillsets(ctx, tx, tenantID)
		if err != nil {
			return err
		}
		problems = draft.Validate(func(id string) bool { return known[id] })
		more, err := collectFieldProblems(ctx, tx, tenantID, draft, problems)
		if err != nil {
			return err
		}
		if problems = append(problems, more...); len(problems) > 0 {
			return nil
		}
		if err := tx.QueryRow(ctx, `INSERT INTO bot_versions (tenant_id, bot_id, version, definition, published_by)
			SELECT $1, $2, coalesce(max(version), 0) + 1, $3, $4 FROM bot_versions WHERE tenant_id = $1 AND bot_id = $2
			RETURNING version`, tenantID, id, draft, actor.Email).Scan(&version); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `UPDATE bots SET live_version = $3, updated_at = now() WHERE tenant_id = $1 AND id = $2`,
			tenantID, id, version); err != nil {
			return err
		}
		return audit(ctx, tx, tenantID, actor, "bot.publish", name, map[string]any{"version": version, "steps": len(draft.Steps)})
	})
	if err != nil {
		return 0, nil, err
	}
	return version, problems, nil
}
