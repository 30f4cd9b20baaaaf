package storage

import (
	"context"
	"encoding/json"
	"errors"
	"math"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/jackc/pgx/v5"

	"switchboard/internal/domain"
)

// The contact panel beside a conversation: a contact's consent with its
// history, tags, custom fields and past conversations, and the changes an
// agent makes there. Custom field definitions are the tenant's (the CLI
// today, the administrators' settings later).

// Limits of tags and custom fields; the migration holds the same bounds.
const (
	MaxTags          = 20
	MaxTagLen        = 32
	MaxFieldLabel    = 100
	MaxFieldChoices  = 50
	MaxFieldText     = 500
	MaxConsentNote   = 500
	maxPastShown     = 20
	FieldKindText    = "text"
	FieldKindNumber  = "number"
	FieldKindDate    = "date"
	FieldKindChoice  = "choice"
	fieldDateLayout  = "2006-01-02"
	maxFieldPosition = 1000
)

var fieldKeyRE = regexp.MustCompile(`^[a-z0-9_]{1,32}$`)

// ContactField is one of a tenant's custom field definitions.
type ContactField struct {
	ID       string
	Key      string
	Label    string
	Kind     string // text | number | date | choice
	Choices  []string
	Position int
}

// ContactFieldValue is a definition with one contact's value, formatted for
// a form ("" when the contact has none).
type ContactFieldValue struct {
	ContactField
	Value string
}

// ConsentRecord is a consent change with its actor resolved to a name when
// the actor is one of the tenant's users.
type ConsentRecord struct {
	ConsentEvent
	ActorName string
}

// PastConversation is another conversation of the same contact.
type PastConversation struct {
	ID        string
	Status    string
	AgentName string // who held it last; "" if nobody did
	Outcome   string // the close outcome, where the schema has one
	CreatedAt time.Time
	ClosedAt  *time.Time
}

// ContactPanel is everything the panel shows about a contact.
type ContactPanel struct {
	Contact       domain.Contact
	ConsentAt     *time.Time
	ConsentSource string
	ConsentBy     string // resolved like ConsentRecord.ActorName
	Consent       []ConsentRecord
	Tags          []string
	Fields        []ContactFieldValue
	Past          []PastConversation
}

func fieldError(field, key string) error { return &domain.FieldError{Field: field, Key: key} }

// NormalizeTag lowercases and trims a tag and checks its form: 1 to 32
// letters, digits, spaces, '-' or '_' (no commas or quotes, so tags travel
// through CSV and audience filters unescaped).
func NormalizeTag(s string) (string, error) {
	t := strings.ToLower(strings.Join(strings.Fields(s), " "))
	if t == "" {
		return "", fieldError("tag", "agent.contact.tag_required")
	}
	if utf8.RuneCountInString(t) > MaxTagLen {
		return "", fieldError("tag", "agent.contact.tag_invalid")
	}
	for _, r := range t {
		if !unicode.IsLetter(r) && !unicode.IsDigit(r) && r != ' ' && r != '-' && r != '_' {
			return "", fieldError("tag", "agent.contact.tag_invalid")
		}
	}
	return t, nil
}

// NormalizeFieldValue checks a value typed for a field against its kind and
// returns what is stored: a float64 for numbers, a string otherwise; nil
// (with no error) when raw is blank, which clears the field.
func NormalizeFieldValue(f ContactField, raw string) (any, error) {
	v := strings.TrimSpace(raw)
	if v == "" {
		return nil, nil
	}
	switch f.Kind {
	case FieldKindText:
		if utf8.RuneCountInString(v) > MaxFieldText {
			return nil, fieldError(f.Key, "agent.contact.value_too_long")
		}
		return v, nil
	case FieldKindNumber:
		// Italians write a decimal comma: "3,5" is 3.5; "1.000,5" is refused
		// rather than guessed.
		if strings.Contains(v, ",") && !strings.Contains(v, ".") && strings.Count(v, ",") == 1 {
			v = strings.Replace(v, ",", ".", 1)
		}
		n, err := strconv.ParseFloat(v, 64)
		if err != nil || math.IsInf(n, 0) || math.IsNaN(n) {
			return nil, fieldError(f.Key, "agent.contact.value_number")
		}
		return n, nil
	case FieldKindDate:
		d, err := time.Parse(fieldDateLayout, v)
		if err != nil || d.Year() < 1000 {
			return nil, fieldError(f.Key, "agent.contact.value_date")
		}
		return d.Format(fieldDateLayout), nil
	case FieldKindChoice:
		if !slices.Contains(f.Choices, v) {
			return nil, fieldError(f.Key, "agent.contact.value_choice")
		}
		return v, nil
	}
	return nil, fieldError(f.Key, "agent.contact.field_unknown")
}

// formatFieldValue turns a stored value back into what the form shows.
func formatFieldValue(v any) string {
	switch x := v.(type) {
	case nil:
		return ""
	case string:
		return x
	case float64:
		return strconv.FormatFloat(x, 'f', -1, 64)
	}
	return ""
}

// checkFieldDefinition validates and tidies a definition.
func checkFieldDefinition(f *ContactField) error {
	f.Key = strings.TrimSpace(f.Key)
	f.Label = strings.TrimSpace(f.Label)
	if !fieldKeyRE.MatchString(f.Key) {
		return fieldError("key", "agent.contact.field_key_invalid")
	}
	if f.Label == "" || utf8.RuneCountInString(f.Label) > MaxFieldLabel {
		return fieldError("label", "agent.contact.field_label_invalid")
	}
	switch f.Kind {
	case FieldKindText, FieldKindNumber, FieldKindDate, FieldKindChoice:
	default:
		return fieldError("kind", "agent.contact.field_kind_invalid")
	}
	if f.Position < -maxFieldPosition || f.Position > maxFieldPosition {
		return fieldError("position", "agent.contact.field_position_invalid")
	}
	var choices []string
	for _, c := range f.Choices {
		c = strings.TrimSpace(c)
		if c == "" {
			continue
		}
		if utf8.RuneCountInString(c) > MaxFieldLabel || slices.Contains(choices, c) {
			return fieldError("choices", "agent.contact.field_choices_invalid")
		}
		choices = append(choices, c)
	}
	if (f.Kind == FieldKindChoice) != (len(choices) > 0) || len(choices) > MaxFieldChoices {
		return fieldError("choices", "agent.contact.field_choices_invalid")
	}
	if choices == nil {
		choices = []string{}
	}
	f.Choices = choices
	return nil
}

// ErrFieldInUse refuses a new definition that values already stored would
// not fit (another kind, a choice taken away).
var ErrFieldInUse = &domain.FieldError{Field: "kind", Key: "agent.contact.field_in_use"}

// DefineContactField creates a custom field or changes its label, choices,
// kind and position; it reports whether it was created. A change that values
// already stored would not fit is refused (ErrFieldInUse): delete the field
// first.
func (s *Store) DefineContactField(ctx context.Context, tenantID string, actor Actor, f ContactField) (bool, error) {
	if err := checkFieldDefinition(&f); err != nil {
		return false, err
	}
	var created bool
	err := s.InTenant(ctx, tenantID, func(tx pgx.Tx) error {
		var old ContactField
		err := tx.QueryRow(ctx, `SELECT kind, choices FROM contact_fields WHERE tenant_id = $1 AND key = $2 FOR UPDATE`,
			tenantID, f.Key).Scan(&old.Kind, &old.Choices)
		switch {
		case errors.Is(err, pgx.ErrNoRows):
			created = true
			if _, err := tx.Exec(ctx, `INSERT INTO contact_fields (tenant_id, key, label, kind, choices, position)
				VALUES ($1, $2, $3, $4, $5, $6)`, tenantID, f.Key, f.Label, f.Kind, f.Choices, f.Position); err != nil {
				return err
			}
		case err != nil:
			return err
		default:
			var misfits int
			if err := tx.QueryRow(ctx, `SELECT count(*) FROM contacts WHERE tenant_id = $1 AND fields ? $2
				AND ($3 <> $4 OR ($3 = 'choice' AND NOT (fields ->> $2 = ANY ($5))))`,
				tenantID, f.Key, f.Kind, old.Kind, f.Choices).Scan(&misfits); err != nil {
				return err
			}
			if misfits > 0 {
				return ErrFieldInUse
			}
			if _, err := tx.Exec(ctx, `UPDATE contact_fields SET label = $3, kind = $4, choices = $5, position = $6, updated_at = now()
				WHERE tenant_id = $1 AND key = $2`, tenantID, f.Key, f.Label, f.Kind, f.Choices, f.Position); err != nil {
				return err
			}
		}
		return audit(ctx, tx, tenantID, actor, "contact.field_define", f.Key, map[string]any{
			"label": f.Label, "kind": f.Kind, "choices": f.Choices, "position": f.Position, "created": created})
	})
	return created, err
}

// ListContactFields lists a tenant's custom fields in the panel's order.
func (s *Store) ListContactFields(ctx context.Context, tenantID string) ([]ContactField, error) {
	var out []ContactField
	err := s.InTenant(ctx, tenantID, func(tx pgx.Tx) error {
		var err error
		out, err = listContactFields(ctx, tx, tenantID)
		return err
	})
	return out, err
}

func listContactFields(ctx context.Context, tx pgx.Tx, tenantID string) ([]ContactField, error) {
	rows, err := tx.Query(ctx, `SELECT id, key, label, kind, choices, position FROM contact_fields
		WHERE tenant_id = $1 ORDER BY position, key`, tenantID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []ContactField
	for rows.Next() {
		var f ContactField
		if err := rows.Scan(&f.ID, &f.Key, &f.Label, &f.Kind, &f.Choices, &f.Position); err != nil {
			return nil, err
		}
		out = append(out, f)
	}
	return out, rows.Err()
}

// DeleteContactField deletes a custom field and every contact's value of
// it, in one transaction; it returns how many contacts had a value.
func (s *Store) DeleteContactField(ctx context.Context, tenantID string, actor Actor, key string) (int, error) {
	var cleared int
	err := s.InTenant(ctx, tenantID, func(tx pgx.Tx) error {
		tag, err := tx.Exec(ctx, `DELETE FROM contact_fields WHERE tenant_id = $1 AND key = $2`, tenantID, key)
		if err != nil {
			return err
		}
		if tag.RowsAffected() == 0 {
			return ErrNotFound
		}
		tag, err = tx.Exec(ctx, `UPDATE contacts SET fields = fields - $2, updated_at = now() WHERE tenant_id = $1 AND fields ? $2`, tenantID, key)
		if err != nil {
			return err
		}
		cleared = int(tag.RowsAffected())
		return audit(ctx, tx, tenantID, actor, "contact.field_delete", key, map[string]any{"values_cleared": cleared})
	})
	return cleared, err
}

// lockContact locks a contact's row for a change and returns how the audit
// log names it.
func lockContact(ctx context.Context, tx pgx.Tx, tenantID, contactID string) (string, error) {
	var who string
	err := tx.QueryRow(ctx, `SELECT coalesce(nullif(phone, ''), wa_id, user_id, '') FROM contacts
		WHERE tenant_id = $1 AND id = $2 FOR UPDATE`, tenantID, contactID).Scan(&who)
	return who, notFound(err)
}

// RecordAgentConsent records consent the customer gave or withdrew in the
// chat, through the consent history (source "agent", by the agent's e-mail),
// and audits it. Consent the contact already has changes nothing and
// reports false.
func (s *Store) RecordAgentConsent(ctx context.Context, tenantID string, actor Actor, contactID, consent, note string) (bool, error) {
	note = strings.TrimSpace(note)
	switch {
	case consent != "granted" && consent != "revoked":
		return false, fieldError("consent", "agent.contact.consent_invalid")
	case note == "":
		return false, fieldError("note", "agent.contact.consent_note_required")
	case utf8.RuneCountInString(note) > MaxConsentNote:
		return false, fieldError("note", "agent.contact.consent_note_too_long")
	}
	var changed bool
	err := s.InTenant(ctx, tenantID, func(tx pgx.Tx) error {
		who, err := lockContact(ctx, tx, tenantID, contactID)
		if err != nil {
			return err
		}
		changed, err = Inbound(tx).SetConsent(ctx, tenantID, contactID, consent, "agent", actor.Email, note)
		if err != nil || !changed {
			return err
		}
		return audit(ctx, tx, tenantID, actor, "contact.consent", who, map[string]any{"consent": consent, "note": note})
	})
	return changed, err
}

// AddContactTag adds a tag to a contact (normalized by NormalizeTag); a tag
// it already has changes nothing and reports false. A 21st tag is refused.
func (s *Store) AddContactTag(ctx context.Context, tenantID string, actor Actor, contactID, tag string) (bool, error) {
	tag, err := NormalizeTag(tag)
	if err != nil {
		return false, err
	}
	var added bool
	err = s.InTenant(ctx, tenantID, func(tx pgx.Tx) error {
		who, err := lockContact(ctx, tx, tenantID, contactID)
		if err != nil {
			return err
		}
		var tags []string
		if err := tx.QueryRow(ctx, `SELECT tags FROM contacts WHERE tenant_id = $1 AND id = $2`, tenantID, contactID).Scan(&tags); err != nil {
			return err
		}
		if slices.Contains(tags, tag) {
			return nil
		}
		if len(tags) >= MaxTags {
			return fieldError("tag", "agent.contact.tags_full")
		}
		if _, err := tx.Exec(ctx, `UPDATE contacts SET tags = array_append(tags, $3), updated_at = now()
			WHERE tenant_id = $1 AND id = $2`, tenantID, contactID, tag); err != nil {
			return err
		}
		added = true
		return audit(ctx, tx, tenantID, actor, "contact.tag_add", who, map[string]any{"tag": tag})
	})
	return added, err
}

// RemoveContactTag removes a tag from a contact; one it does not have
// changes nothing and reports false.
func (s *Store) RemoveContactTag(ctx context.Context, tenantID string, actor Actor, contactID, tag string) (bool, error) {
	tag = strings.ToLower(strings.Join(strings.Fields(tag), " "))
	var removed bool
	err := s.InTenant(ctx, tenantID, func(tx pgx.Tx) error {
		who, err := lockContact(ctx, tx, tenantID, contactID)
		if err != nil {
			return err
		}
		res, err := tx.Exec(ctx, `UPDATE contacts SET tags = array_remove(tags, $3), updated_at = now()
			WHERE tenant_id = $1 AND id = $2 AND $3 = ANY (tags)`, tenantID, contactID, tag)
		if err != nil || res.RowsAffected() == 0 {
			return err
		}
		removed = true
		return audit(ctx, tx, tenantID, actor, "contact.tag_remove", who, map[string]any{"tag": tag})
	})
	return removed, err
}

// SetContactField sets (or, with a blank value, clears) a contact's value of
// a custom field, checked against the field's kind; a bad value changes
// nothing. It reports whether the value changed.
func (s *Store) SetContactField(ctx context.Context, tenantID string, actor Actor, contactID, key, raw string) (bool, error) {
	var changed bool
	err := s.InTenant(ctx, tenantID, func(tx pgx.Tx) error {
		f, err := contactField(ctx, tx, tenantID, key)
		if errors.Is(err, pgx.ErrNoRows) {
			return fieldError(key, "agent.contact.field_unknown")
		} else if err != nil {
			return err
		}
		v, err := NormalizeFieldValue(f, raw)
		if err != nil {
			return err
		}
		who, err := lockContact(ctx, tx, tenantID, contactID)
		if err != nil {
			return err
		}
		var fields map[string]any
		if err := tx.QueryRow(ctx, `SELECT fields FROM contacts WHERE tenant_id = $1 AND id = $2`, tenantID, contactID).Scan(&fields); err != nil {
			return err
		}
		before, had := fields[key]
		if (v == nil && !had) || (had && v != nil && formatFieldValue(before) == formatFieldValue(v)) {
			return nil
		}
		if v == nil {
			_, err = tx.Exec(ctx, `UPDATE contacts SET fields = fields - $3, updated_at = now() WHERE tenant_id = $1 AND id = $2`,
				tenantID, contactID, key)
		} else {
			js, jerr := json.Marshal(v)
			if jerr != nil {
				return jerr
			}
			_, err = tx.Exec(ctx, `UPDATE contacts SET fields = jsonb_set(fields, ARRAY[$3::text], $4::jsonb), updated_at = now()
				WHERE tenant_id = $1 AND id = $2`, tenantID, contactID, key, string(js))
		}
		if err != nil {
			return err
		}
		changed = true
		return audit(ctx, tx, tenantID, actor, "contact.field_set", who, map[string]any{"field": key, "before": before, "after": v})
	})
	return changed, err
}

// contactField reads one of the tenant's field definitions; pgx.ErrNoRows
// when the key is not defined.
func contactField(ctx context.Context, tx pgx.Tx, tenantID, key string) (ContactField, error) {
	var f ContactField
	err := tx.QueryRow(ctx, `SELECT id, key, label, kind, choices, position FROM contact_fields WHERE tenant_id = $1 AND key = $2`,
		tenantID, key).Scan(&f.ID, &f.Key, &f.Label, &f.Kind, &f.Choices, &f.Position)
	return f, err
}

// actorNameOf resolves a consent actor column (an e-mail for people) to the
// user's name within the tenant ($1), else leaves it as written.
func actorNameOf(col string) string {
	return `coalesce((SELECT coalesce(nullif(u.name, ''), u.email) FROM users u WHERE u.tenant_id = $1 AND u.email = ` + col + `), ` + col + `)`
}

// ContactPanel loads what the panel shows about a contact; conversationID
// is the conversation open beside it, left out of the past ones.
func (s *Store) ContactPanel(ctx context.Context, tenantID, contactID, conversationID string) (ContactPanel, error) {
	var p ContactPanel
	err := s.InTenant(ctx, tenantID, func(tx pgx.Tx) error {
		var fields map[string]any
		c := &p.Contact
		err := tx.QueryRow(ctx, `SELECT `+contactColumns+`, c.consent_at, c.consent_source, `+actorNameOf("c.consent_by")+`, c.tags, c.fields
			FROM contacts c WHERE c.tenant_id = $1 AND c.id = $2`, tenantID, contactID).
			Scan(&c.ID, &c.TenantID, &c.WaID, &c.UserID, &c.Name, &c.Phone, &c.Priority, &c.Consent, &c.CreatedAt,
				&p.ConsentAt, &p.ConsentSource, &p.ConsentBy, &p.Tags, &fields)
		if err != nil {
			return notFound(err)
		}
		defs, err := listContactFields(ctx, tx, tenantID)
		if err != nil {
			return err
		}
		for _, f := range defs {
			p.Fields = append(p.Fields, ContactFieldValue{ContactField: f, Value: formatFieldValue(fields[f.Key])})
		}
		rows, err := tx.Query(ctx, `SELECT e.consent, e.source, e.actor, e.note, e.created_at, `+actorNameOf("e.actor")+`
			FROM consent_events e WHERE e.tenant_id = $1 AND e.contact_id = $2 ORDER BY e.created_at DESC, e.id DESC LIMIT 50`,
			tenantID, contactID)
		if err != nil {
			return err
		}
		for rows.Next() {
			var e ConsentRecord
			if err := rows.Scan(&e.Consent, &e.Source, &e.Actor, &e.Note, &e.CreatedAt, &e.ActorName); err != nil {
				rows.Close()
				return err
			}
			p.Consent = append(p.Consent, e)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
		// The close outcome is read through to_jsonb so this query works
		// whether or not conversations has that column yet.
		rows, err = tx.Query(ctx, `SELECT v.id, v.status, coalesce(nullif(u.name, ''), u.email, ''),
				coalesce(to_jsonb(v) ->> 'close_outcome', ''), v.created_at, v.closed_at
			FROM conversations v LEFT JOIN users u ON u.tenant_id = v.tenant_id AND u.id = v.assigned_agent_id
			WHERE v.tenant_id = $1 AND v.contact_id = $2 AND ($3::uuid IS NULL OR v.id <> $3::uuid)
			ORDER BY v.created_at DESC, v.id DESC LIMIT $4`, tenantID, contactID, nullUUID(conversationID), maxPastShown)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var pc PastConversation
			if err := rows.Scan(&pc.ID, &pc.Status, &pc.AgentName, &pc.Outcome, &pc.CreatedAt, &pc.ClosedAt); err != nil {
				return err
			}
			p.Past = append(p.Past, pc)
		}
		return rows.Err()
	})
	return p, err
}
