package storage

import (
	"context"
	"encoding/json"
	"errors"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/jackc/pgx/v5"

	"switchboard/internal/domain"
	"switchboard/internal/softbot"
)

// Keyword rules (keyword_rules, migrations/000017): tried top to bottom,
// the first that matches a customer's message answers it. The order is
// explicit: positions run 1, 2, 3… with no gaps, renumbered in the same
// transaction as every change, so "move up" always means one place.

// Limits of a rule, as the schema checks them.
const (
	MaxRuleName      = 80
	MaxRuleButtons   = 3
	MaxRuleButton    = 20 // a WhatsApp reply button's title
	MaxRuleTags      = 10
	MaxRuleTag       = 40
	MaxRulePriority  = 100
	MaxRuleReplyBody = 1024 // with buttons the text is an interactive body
)

// RuleReply is what a rule answers: a text; or a picture, video, audio or
// document with an optional caption; with up to three reply buttons under
// the text (or under the picture, video or document). Stored as
// outbound.Content's JSON (text, media, or an interactive message with
// buttons and perhaps a media header), which the runtime sends as it is.
type RuleReply struct {
	Text    string // the text, the caption, or the body above the buttons
	Buttons []string
	Media   *RuleMedia
	// Other is set when the stored reply is something else (a list)
	// written by another client: the form shows it and keeps it unless the
	// administrator types a new text.
	Other bool
	raw   json.RawMessage
}

// RuleMedia is the file a rule answers with (a media row, kept while a
// rule or a message uses it).
type RuleMedia struct {
	ID       string
	Kind     string // image, video, audio, document
	Filename string
}

// ruleMediaKind says whether a rule may answer with a file of this kind,
// and whether the file may head a message with buttons (not audio).
func ruleMediaKind(kind string) (known, header bool) {
	switch kind {
	case "image", "video", "document":
		return true, true
	case "audio":
		return true, false
	}
	return false, false
}

// ruleContent mirrors the fields of outbound.Content a rule's reply uses
// (storage cannot import outbound, which imports storage).
type ruleContent struct {
	Type        string           `json:"type"`
	Text        string           `json:"text,omitempty"`
	MediaID     string           `json:"media_id,omitempty"`
	Filename    string           `json:"filename,omitempty"`
	Interactive *ruleInteractive `json:"interactive,omitempty"`
}

type ruleInteractive struct {
	HeaderMediaID  string       `json:"header_media_id,omitempty"`
	HeaderKind     string       `json:"header_kind,omitempty"`
	HeaderFilename string       `json:"header_filename,omitempty"`
	Body           string       `json:"body"`
	Buttons        []ruleButton `json:"buttons,omitempty"`
}

type ruleButton struct {
	ID    string `json:"id"`
	Title string `json:"title"`
}

// RuleButtonID is the reply id of a rule's button i (0-based).
func RuleButtonID(i int) string { return "kw:" + strconv.Itoa(i+1) }

// JSON is the reply as outbound.Content.
func (r RuleReply) JSON() json.RawMessage {
	if r.Other && r.raw != nil {
		return r.raw
	}
	c := ruleContent{Type: "text", Text: r.Text}
	switch {
	case len(r.Buttons) > 0:
		c = ruleContent{Type: "interactive", Interactive: &ruleInteractive{Body: r.Text}}
		if r.Media != nil {
			c.Interactive.HeaderMediaID, c.Interactive.HeaderKind = r.Media.ID, r.Media.Kind
			if r.Media.Kind == "document" {
				c.Interactive.HeaderFilename = r.Media.Filename
			}
		}
		for i, b := range r.Buttons {
			c.Interactive.Buttons = append(c.Interactive.Buttons, ruleButton{ID: RuleButtonID(i), Title: b})
		}
	case r.Media != nil:
		c = ruleContent{Type: r.Media.Kind, Text: r.Text, MediaID: r.Media.ID}
		if r.Media.Kind == "document" {
			c.Filename = r.Media.Filename // the name the customer sees
		}
	}
	b, _ := json.Marshal(c)
	return b
}

// parseRuleReply reads a stored reply.
func parseRuleReply(b []byte) RuleReply {
	var c ruleContent
	if err := json.Unmarshal(b, &c); err == nil {
		media, _ := ruleMediaKind(c.Type)
		switch {
		case c.Type == "text":
			return RuleReply{Text: c.Text}
		case media && c.MediaID != "":
			return RuleReply{Text: c.Text, Media: &RuleMedia{ID: c.MediaID, Kind: c.Type, Filename: c.Filename}}
		case c.Type == "interactive" && c.Interactive != nil && len(c.Interactive.Buttons) > 0:
			r := RuleReply{Text: c.Interactive.Body}
			if c.Interactive.HeaderMediaID != "" {
				r.Media = &RuleMedia{ID: c.Interactive.HeaderMediaID, Kind: c.Interactive.HeaderKind}
			}
			for _, b := range c.Interactive.Buttons {
				r.Buttons = append(r.Buttons, b.Title)
			}
			return r
		}
	}
	return RuleReply{Other: true, raw: append(json.RawMessage(nil), b...)}
}

// ruleMediaInUse is true for a media row md that a keyword rule answers
// with: such a file is kept (retention, erasure, replaced answers) while
// the rule is.
const ruleMediaInUse = `EXISTS (SELECT 1 FROM keyword_rules k WHERE k.tenant_id = md.tenant_id AND ` + ruleMediaID + ` = md.id)`

// mediaUnused is true for a media row md that nothing uses: no message
// carries it and no keyword rule answers with it. What deletes files we
// stored (a refused send's clean-up, a rule's replaced file, retention)
// asks this.
const mediaUnused = `NOT EXISTS (SELECT 1 FROM messages m WHERE m.tenant_id = md.tenant_id AND m.media_id = md.id)
	AND NOT ` + ruleMediaInUse

// ruleMediaID is the file a keyword rule k answers with, as a uuid (NULL
// for none), so that a join with media uses its primary key. Only our
// pages write replies, but a value that is not a uuid must not fail a
// listing: it reads as no file.
const ruleMediaID = `(CASE WHEN coalesce(k.reply->>'media_id', k.reply->'interactive'->>'header_media_id')
	~* '^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$'
	THEN coalesce(k.reply->>'media_id', k.reply->'interactive'->>'header_media_id')::uuid END)`

// KeywordRule is one rule of the tenant.
type KeywordRule struct {
	ID          string
	NumberID    string // "" every number
	NumberPhone string // the number's display phone (listings)
	Position    int
	Name        string
	Match       string // softbot.Match*
	Pattern     string
	Language    string // "" any, "en", "it"
	Reply       RuleReply
	SetTags     []string
	SetPriority *int
	SetSkillset string // "" none
	Handoff     bool
	Active      bool
	UpdatedAt   time.Time
}

// SoftbotRule is the rule as the matcher needs it.
func (k KeywordRule) SoftbotRule() softbot.Rule {
	return softbot.Rule{ID: k.ID, Match: k.Match, Pattern: k.Pattern, Language: k.Language}
}

// CheckKeywordRule tidies and checks a rule as the form sends it; the
// number and skillset are checked against the tenant when it is saved.
func CheckKeywordRule(k KeywordRule) (KeywordRule, error) {
	k.Name = strings.TrimSpace(k.Name)
	switch {
	case k.Name == "":
		return k, &domain.FieldError{Field: "name", Key: "form.required"}
	case utf8.RuneCountInString(k.Name) > MaxRuleName:
		return k, &domain.FieldError{Field: "name", Key: "form.too_long"}
	case !utf8.ValidString(k.Name) || strings.IndexFunc(k.Name, unicode.IsControl) >= 0:
		return k, &domain.FieldError{Field: "name", Key: "agent.text_invalid"}
	}
	if key := softbot.CheckPattern(k.Match, k.Pattern); key != "" {
		field := "pattern"
		if key == "rule.err.match" {
			field = "match"
		}
		return k, &domain.FieldError{Field: field, Key: key}
	}
	k.Pattern = strings.TrimSpace(k.Pattern)
	if k.Language != "" && k.Language != "en" && k.Language != "it" {
		return k, &domain.FieldError{Field: "language", Key: "rule.err.language"}
	}
	if !k.Reply.Other || k.Reply.Text != "" || k.Reply.Media != nil {
		k.Reply.Other = false
		k.Reply.Text = strings.TrimSpace(k.Reply.Text)
		limit := MaxAutoText
		if len(k.Reply.Buttons) > 0 || k.Reply.Media != nil {
			limit = MaxRuleReplyBody // a body above buttons, or a caption
		}
		if m := k.Reply.Media; m != nil {
			known, header := ruleMediaKind(m.Kind)
			switch {
			case !known || !domain.ValidID(m.ID):
				return k, &domain.FieldError{Field: "reply_media", Key: "rule.err.media_kind"}
			case !header && len(k.Reply.Buttons) > 0:
				return k, &domain.FieldError{Field: "reply_media", Key: "rule.err.audio_buttons"}
			case m.Kind == "audio" && k.Reply.Text != "":
				return k, &domain.FieldError{Field: "reply", Key: "rule.err.audio_caption"}
			}
		}
		switch {
		case k.Reply.Text == "" && (k.Reply.Media == nil || len(k.Reply.Buttons) > 0):
			return k, &domain.FieldError{Field: "reply", Key: "rule.err.reply_required"}
		case !utf8.ValidString(k.Reply.Text) || strings.ContainsRune(k.Reply.Text, 0):
			return k, &domain.FieldError{Field: "reply", Key: "agent.text_invalid"}
		case utf8.RuneCountInString(k.Reply.Text) > limit:
			return k, &domain.FieldError{Field: "reply", Key: "rule.err.reply_long"}
		}
		if len(k.Reply.Buttons) > MaxRuleButtons {
			return k, &domain.FieldError{Field: "buttons", Key: "rule.err.buttons_many"}
		}
		seen := map[string]bool{}
		for i, b := range k.Reply.Buttons {
			b = strings.TrimSpace(b)
			field := "button_" + strconv.Itoa(i+1)
			if b == "" || utf8.RuneCountInString(b) > MaxRuleButton {
				return k, &domain.FieldError{Field: field, Key: "rule.err.button"}
			}
			if seen[strings.ToLower(b)] {
				return k, &domain.FieldError{Field: field, Key: "rule.err.button_duplicate"}
			}
			seen[strings.ToLower(b)] = true
			k.Reply.Buttons[i] = b
		}
	}
	tags := []string{}
	for _, t := range k.SetTags {
		t = strings.TrimSpace(t)
		if t == "" {
			continue
		}
		if utf8.RuneCountInString(t) > MaxRuleTag || strings.IndexFunc(t, unicode.IsControl) >= 0 {
			return k, &domain.FieldError{Field: "set_tags", Key: "rule.err.tag"}
		}
		tags = append(tags, t)
	}
	if len(tags) > MaxRuleTags {
		return k, &domain.FieldError{Field: "set_tags", Key: "rule.err.tags_many"}
	}
	k.SetTags = tags
	if k.SetPriority != nil && (*k.SetPriority < -MaxRulePriority || *k.SetPriority > MaxRulePriority) {
		return k, &domain.FieldError{Field: "set_priority", Key: "rule.err.priority"}
	}
	if k.NumberID != "" && !domain.ValidID(k.NumberID) {
		return k, &domain.FieldError{Field: "number_id", Key: "rule.err.number"}
	}
	if k.SetSkillset != "" && !domain.ValidID(k.SetSkillset) {
		return k, &domain.FieldError{Field: "set_skillset", Key: "rule.err.skillset"}
	}
	return k, nil
}

const ruleColumns = `k.id, coalesce(k.number_id::text, ''), coalesce(n.display_phone, ''), k.position, k.name, k.match,
	k.pattern, k.language, k.reply, k.set_tags, k.set_priority, coalesce(k.set_skillset::text, ''), k.handoff, k.active, k.updated_at,
	coalesce(md.filename, '')`

// ruleFrom joins the rule's number (its phone) and file (its name).
const ruleFrom = ` FROM keyword_rules k LEFT JOIN numbers n ON n.tenant_id = k.tenant_id AND n.id = k.number_id
	LEFT JOIN media md ON md.tenant_id = k.tenant_id AND md.id = ` + ruleMediaID + ` `

func scanRules(rows pgx.Rows) ([]KeywordRule, error) {
	return pgx.CollectRows(rows, func(row pgx.CollectableRow) (KeywordRule, error) {
		var k KeywordRule
		var reply []byte
		var filename string
		err := row.Scan(&k.ID, &k.NumberID, &k.NumberPhone, &k.Position, &k.Name, &k.Match, &k.Pattern, &k.Language,
			&reply, &k.SetTags, &k.SetPriority, &k.SetSkillset, &k.Handoff, &k.Active, &k.UpdatedAt, &filename)
		k.Reply = parseRuleReply(reply)
		if k.Reply.Media != nil {
			k.Reply.Media.Filename = filename
		}
		return k, err
	})
}

// ListKeywordRules lists the tenant's rules in the order they are tried.
func (s *Store) ListKeywordRules(ctx context.Context, tenantID string) ([]KeywordRule, error) {
	var out []KeywordRule
	err := s.InTenant(ctx, tenantID, func(tx pgx.Tx) error {
		rows, err := tx.Query(ctx, `SELECT `+ruleColumns+ruleFrom+`WHERE k.tenant_id = $1 ORDER BY k.position, k.created_at, k.id`, tenantID)
		if err != nil {
			return err
		}
		out, err = scanRules(rows)
		return err
	})
	return out, err
}

// KeywordRuleByID returns one of the tenant's rules.
func (s *Store) KeywordRuleByID(ctx context.Context, tenantID, id string) (KeywordRule, error) {
	var k KeywordRule
	if !domain.ValidID(id) {
		return k, ErrNotFound
	}
	err := s.InTenant(ctx, tenantID, func(tx pgx.Tx) error {
		var err error
		k, err = readRule(ctx, tx, tenantID, id)
		return err
	})
	return k, err
}

func readRule(ctx context.Context, tx pgx.Tx, tenantID, id string) (KeywordRule, error) {
	rows, err := tx.Query(ctx, `SELECT `+ruleColumns+ruleFrom+`WHERE k.tenant_id = $1 AND k.id = $2`, tenantID, id)
	if err != nil {
		return KeywordRule{}, err
	}
	list, err := scanRules(rows)
	if err != nil {
		return KeywordRule{}, err
	}
	if len(list) == 0 {
		return KeywordRule{}, ErrNotFound
	}
	return list[0], nil
}

// lockRules serialises changes to a tenant's rule order: two
// administrators moving rules at once would otherwise read the same
// positions and write a muddle.
func lockRules(ctx context.Context, tx pgx.Tx, tenantID string) error {
	_, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock(hashtext('keyword_rules'), hashtext($1))`, tenantID)
	return err
}

// renumberRules closes the gaps a deletion leaves: positions 1, 2, 3…
func renumberRules(ctx context.Context, tx pgx.Tx, tenantID string) error {
	_, err := tx.Exec(ctx, `UPDATE keyword_rules k SET position = o.rn
		FROM (SELECT id, row_number() OVER (ORDER BY position, created_at, id) AS rn FROM keyword_rules WHERE tenant_id = $1) o
		WHERE k.tenant_id = $1 AND k.id = o.id AND k.position <> o.rn`, tenantID)
	return err
}

// checkRuleRefs checks that the rule's number and skillset are the
// tenant's.
func checkRuleRefs(ctx context.Context, tx pgx.Tx, tenantID string, k KeywordRule) error {
	if k.NumberID != "" {
		var ok bool
		if err := tx.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM numbers WHERE tenant_id = $1 AND id = $2)`, tenantID, k.NumberID).Scan(&ok); err != nil {
			return err
		} else if !ok {
			return &domain.FieldError{Field: "number_id", Key: "rule.err.number"}
		}
	}
	if m := k.Reply.Media; m != nil {
		// Locked against ReleaseMedia until this transaction ends: a rule
		// never commits naming a file another save is deleting.
		var ok bool
		err := tx.QueryRow(ctx, `SELECT true FROM media WHERE tenant_id = $1 AND id = $2 FOR KEY SHARE`, tenantID, m.ID).Scan(&ok)
		if errors.Is(err, pgx.ErrNoRows) {
			return &domain.FieldError{Field: "reply_media", Key: "rule.err.media_kind"}
		} else if err != nil {
			return err
		}
	}
	if k.SetSkillset != "" {
		if _, err := skillsetName(ctx, tx, tenantID, k.SetSkillset); err == ErrNotFound {
			return &domain.FieldError{Field: "set_skillset", Key: "rule.err.skillset"}
		} else if err != nil {
			return err
		}
	}
	return nil
}

func ruleDetail(k KeywordRule) map[string]any {
	d := map[string]any{"name": k.Name, "number_id": k.NumberID, "match": k.Match, "pattern": k.Pattern, "language": k.Language,
		"reply": k.Reply.Text, "buttons": strings.Join(k.Reply.Buttons, " | "), "set_tags": strings.Join(k.SetTags, ", "),
		"set_skillset": k.SetSkillset, "handoff": k.Handoff, "active": k.Active}
	if m := k.Reply.Media; m != nil {
		d["media"] = m.Kind + " " + m.Filename
	}
	if k.SetPriority != nil {
		d["set_priority"] = *k.SetPriority
	}
	return d
}

// CreateKeywordRule adds a rule at the bottom of the list (tried last).
func (s *Store) CreateKeywordRule(ctx context.Context, tenantID string, actor Actor, k KeywordRule) (string, error) {
	k, err := CheckKeywordRule(k)
	if err != nil {
		return "", err
	}
	var id string
	err = s.InTenant(ctx, tenantID, func(tx pgx.Tx) error {
		if err := lockRules(ctx, tx, tenantID); err != nil {
			return err
		}
		if err := checkRuleRefs(ctx, tx, tenantID, k); err != nil {
			return err
		}
		err := tx.QueryRow(ctx, `INSERT INTO keyword_rules (tenant_id, number_id, position, name, match, pattern, language,
				reply, set_tags, set_priority, set_skillset, handoff, active)
			VALUES ($1, nullif($2, '')::uuid, (SELECT coalesce(max(position), 0) + 1 FROM keyword_rules WHERE tenant_id = $1),
				$3, $4, $5, $6, $7, $8, $9, nullif($10, '')::uuid, $11, $12) RETURNING id`,
			tenantID, k.NumberID, k.Name, k.Match, k.Pattern, k.Language, k.Reply.JSON(), k.SetTags, k.SetPriority,
			k.SetSkillset, k.Handoff, k.Active).Scan(&id)
		if err != nil {
			return err
		}
		return audit(ctx, tx, tenantID, actor, "rule.create", k.Name, map[string]any{"after": ruleDetail(k)})
	})
	return id, err
}

// UpdateKeywordRule changes a rule; its place in the order stays.
func (s *Store) UpdateKeywordRule(ctx context.Context, tenantID string, actor Actor, k KeywordRule) error {
	if !domain.ValidID(k.ID) {
		return ErrNotFound
	}
	k, err := CheckKeywordRule(k)
	if err != nil {
		return err
	}
	return s.InTenant(ctx, tenantID, func(tx pgx.Tx) error {
		before, err := readRule(ctx, tx, tenantID, k.ID)
		if err != nil {
			return err
		}
		if k.Reply.Other {
			k.Reply = before.Reply // a reply this form cannot edit stays as it was
		}
		if err := checkRuleRefs(ctx, tx, tenantID, k); err != nil {
			return err
		}
		_, err = tx.Exec(ctx, `UPDATE keyword_rules SET number_id = nullif($3, '')::uuid, name = $4, match = $5, pattern = $6,
				language = $7, reply = $8, set_tags = $9, set_priority = $10, set_skillset = nullif($11, '')::uuid, handoff = $12,
				active = $13, updated_at = now()
			WHERE tenant_id = $1 AND id = $2`,
			tenantID, k.ID, k.NumberID, k.Name, k.Match, k.Pattern, k.Language, k.Reply.JSON(), k.SetTags, k.SetPriority,
			k.SetSkillset, k.Handoff, k.Active)
		if err != nil {
			return err
		}
		return audit(ctx, tx, tenantID, actor, "rule.update", k.Name, map[string]any{"before": ruleDetail(before), "after": ruleDetail(k)})
	})
}

// DeleteKeywordRule removes a rule; the ones below move up a place.
func (s *Store) DeleteKeywordRule(ctx context.Context, tenantID string, actor Actor, id string) error {
	if !domain.ValidID(id) {
		return ErrNotFound
	}
	return s.InTenant(ctx, tenantID, func(tx pgx.Tx) error {
		if err := lockRules(ctx, tx, tenantID); err != nil {
			return err
		}
		before, err := readRule(ctx, tx, tenantID, id)
		if err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `DELETE FROM keyword_rules WHERE tenant_id = $1 AND id = $2`, tenantID, id); err != nil {
			return err
		}
		if err := renumberRules(ctx, tx, tenantID); err != nil {
			return err
		}
		return audit(ctx, tx, tenantID, actor, "rule.delete", before.Name, map[string]any{"before": ruleDetail(before)})
	})
}

// MoveKeywordRule moves a rule one place up (tried earlier) or down; the
// first rule moving up, or the last down, stays where it is.
func (s *Store) MoveKeywordRule(ctx context.Context, tenantID string, actor Actor, id string, up bool) error {
	if !domain.ValidID(id) {
		return ErrNotFound
	}
	return s.InTenant(ctx, tenantID, func(tx pgx.Tx) error {
		if err := lockRules(ctx, tx, tenantID); err != nil {
			return err
		}
		if err := renumberRules(ctx, tx, tenantID); err != nil {
			return err
		}
		var name string
		var pos int
		if err := tx.QueryRow(ctx, `SELECT name, position FROM keyword_rules WHERE tenant_id = $1 AND id = $2`,
			tenantID, id).Scan(&name, &pos); err != nil {
			return notFound(err)
		}
		to := pos + 1
		if up {
			to = pos - 1
		}
		tag, err := tx.Exec(ctx, `UPDATE keyword_rules SET position = $3, updated_at = now()
			WHERE tenant_id = $1 AND position = $2`, tenantID, to, pos) // the neighbour takes our place
		if err != nil || tag.RowsAffected() == 0 {
			return err // already first or last
		}
		if _, err := tx.Exec(ctx, `UPDATE keyword_rules SET position = $3, updated_at = now() WHERE tenant_id = $1 AND id = $2`,
			tenantID, id, to); err != nil {
			return err
		}
		return audit(ctx, tx, tenantID, actor, "rule.move", name, map[string]any{
			"before": map[string]any{"position": pos}, "after": map[string]any{"position": to}})
	})
}
