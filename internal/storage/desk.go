package storage

import (
	"context"
	"regexp"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/jackc/pgx/v5"

	"switchboard/internal/domain"
)

// The agent's tools in a conversation: canned replies, close outcomes and
// private notes (migrations/000006_desk.up.sql). Changes to what the whole
// tenant shares (tenant-wide replies, outcomes) are audited; an agent's own
// replies are the agent's business and are not.

// Limits, as the schema checks them.
const (
	MaxCannedBody     = 4096 // characters, like a WhatsApp text
	MaxNoteBody       = 4096
	MaxOutcomeNameLen = 64
)

var cannedShortcutRE = regexp.MustCompile(`^[a-z0-9_-]{1,32}$`)

// CannedReply is a text an agent inserts by typing /shortcut. OwnerID is
// the agent it belongs to, "" for the tenant's shared ones.
type CannedReply struct {
	ID        string
	OwnerID   string
	Shortcut  string
	Body      string
	CreatedAt time.Time
	UpdatedAt time.Time
}

// CloseOutcome is one of the tenant's reasons a conversation ended.
type CloseOutcome struct {
	ID        string
	Name      string
	CreatedAt time.Time
}

// Note is a private note on a conversation: colleagues see it, the customer
// never does.
type Note struct {
	ID             string
	ConversationID string
	AuthorID       string // "" once the author was deleted
	AuthorName     string // name, else e-mail, at reading time
	Body           string
	CreatedAt      time.Time
}

var (
	errCannedShortcut = &domain.FieldError{Field: "shortcut", Key: "agent.canned_shortcut_invalid"}
	errCannedTaken    = &domain.FieldError{Field: "shortcut", Key: "agent.canned_taken"}
	errOutcomeTaken   = &domain.FieldError{Field: "name", Key: "agent.outcome_taken"}
)

// checkText trims a body and checks it is present, valid text and short
// enough; field names the input for the error.
func checkText(field, s string, max int) (string, error) {
	s = strings.TrimSpace(s)
	switch {
	case s == "":
		return "", &domain.FieldError{Field: field, Key: "form.required"}
	case !utf8.ValidString(s) || strings.ContainsRune(s, 0):
		return "", &domain.FieldError{Field: field, Key: "agent.text_invalid"}
	case utf8.RuneCountInString(s) > max:
		return "", &domain.FieldError{Field: field, Key: "form.too_long"}
	}
	return s, nil
}

// CheckCanned normalizes a canned reply's shortcut (trimmed, lower case, a
// leading "/" dropped: people type it as they will use it) and body.
func CheckCanned(shortcut, body string) (string, string, error) {
	shortcut = strings.ToLower(strings.TrimPrefix(strings.TrimSpace(shortcut), "/"))
	if !cannedShortcutRE.MatchString(shortcut) {
		return "", "", errCannedShortcut
	}
	body, err := checkText("body", body, MaxCannedBody)
	return shortcut, body, err
}

// CheckNote trims a note and checks it.
func CheckNote(body string) (string, error) { return checkText("body", body, MaxNoteBody) }

func checkOutcomeName(name string) (string, error) {
	name, err := checkText("name", name, MaxOutcomeNameLen)
	if err == nil && strings.IndexFunc(name, unicode.IsControl) >= 0 {
		return "", &domain.FieldError{Field: "name", Key: "agent.text_invalid"}
	}
	return name, err
}

func scanCanned(rows pgx.Rows) ([]CannedReply, error) {
	return pgx.CollectRows(rows, func(row pgx.CollectableRow) (CannedReply, error) {
		var c CannedReply
		err := row.Scan(&c.ID, &c.OwnerID, &c.Shortcut, &c.Body, &c.CreatedAt, &c.UpdatedAt)
		return c, err
	})
}

const cannedColumns = `id, coalesce(owner_id::text, ''), shortcut, body, created_at, updated_at`

// ListCanned lists the replies of one owner by shortcut: an agent's own, or
// the tenant's shared ones when ownerID is "".
func (s *Store) ListCanned(ctx context.Context, tenantID, ownerID string) ([]CannedReply, error) {
	var out []CannedReply
	err := s.InTenant(ctx, tenantID, func(tx pgx.Tx) error {
		rows, err := tx.Query(ctx, `SELECT `+cannedColumns+` FROM canned_replies
			WHERE tenant_id = $1 AND owner_id IS NOT DISTINCT FROM nullif($2, '')::uuid ORDER BY shortcut`, tenantID, ownerID)
		if err != nil {
			return err
		}
		out, err = scanCanned(rows)
		return err
	})
	return out, err
}

// CannedForAgent lists what an agent may insert: its own replies and the
// tenant's, by shortcut; where both have a shortcut, the agent's own wins.
func (s *Store) CannedForAgent(ctx context.Context, tenantID, agentID string) ([]CannedReply, error) {
	var out []CannedReply
	err := s.InTenant(ctx, tenantID, func(tx pgx.Tx) error {
		rows, err := tx.Query(ctx, `SELECT DISTINCT ON (shortcut) `+cannedColumns+` FROM canned_replies
			WHERE tenant_id = $1 AND (owner_id = $2 OR owner_id IS NULL)
			ORDER BY shortcut, owner_id NULLS LAST`, tenantID, agentID)
		if err != nil {
			return err
		}
		out, err = scanCanned(rows)
		return err
	})
	return out, err
}

// auditCanned audits changes to the tenant's shared replies only.
func auditCanned(ctx context.Context, tx pgx.Tx, tenantID, ownerID string, actor Actor, action, shortcut string, detail map[string]any) error {
	if ownerID != "" {
		return nil
	}
	return audit(ctx, tx, tenantID, actor, action, shortcut, detail)
}

// CreateCanned adds a reply for ownerID ("" for the tenant's). A shortcut
// the owner already has is a FieldError on "shortcut".
func (s *Store) CreateCanned(ctx context.Context, tenantID string, actor Actor, ownerID, shortcut, body string) (string, error) {
	shortcut, body, err := CheckCanned(shortcut, body)
	if err != nil {
		return "", err
	}
	var id string
	err = s.InTenant(ctx, tenantID, func(tx pgx.Tx) error {
		err := tx.QueryRow(ctx, `INSERT INTO canned_replies (tenant_id, owner_id, shortcut, body)
			VALUES ($1, nullif($2, '')::uuid, $3, $4) RETURNING id`, tenantID, ownerID, shortcut, body).Scan(&id)
		if isUniqueViolation(err) {
			return errCannedTaken
		} else if err != nil {
			return err
		}
		return auditCanned(ctx, tx, tenantID, ownerID, actor, "canned.create", shortcut, nil)
	})
	return id, err
}

// UpdateCanned changes one of ownerID's replies; anyone else's is
// ErrNotFound, like one that does not exist.
func (s *Store) UpdateCanned(ctx context.Context, tenantID string, actor Actor, ownerID, id, shortcut, body string) error {
	if !domain.ValidID(id) {
		return ErrNotFound
	}
	shortcut, body, err := CheckCanned(shortcut, body)
	if err != nil {
		return err
	}
	return s.InTenant(ctx, tenantID, func(tx pgx.Tx) error {
		var before string
		err := tx.QueryRow(ctx, `SELECT shortcut FROM canned_replies
			WHERE tenant_id = $1 AND id = $2 AND owner_id IS NOT DISTINCT FROM nullif($3, '')::uuid FOR UPDATE`,
			tenantID, id, ownerID).Scan(&before)
		if err != nil {
			return notFound(err)
		}
		_, err = tx.Exec(ctx, `UPDATE canned_replies SET shortcut = $3, body = $4, updated_at = now()
			WHERE tenant_id = $1 AND id = $2`, tenantID, id, shortcut, body)
		if isUniqueViolation(err) {
			return errCannedTaken
		} else if err != nil {
			return err
		}
		return auditCanned(ctx, tx, tenantID, ownerID, actor, "canned.update", shortcut,
			map[string]any{"before": map[string]any{"shortcut": before}})
	})
}

// DeleteCanned deletes one of ownerID's replies; anyone else's is
// ErrNotFound.
func (s *Store) DeleteCanned(ctx context.Context, tenantID string, actor Actor, ownerID, id string) error {
	if !domain.ValidID(id) {
		return ErrNotFound
	}
	return s.InTenant(ctx, tenantID, func(tx pgx.Tx) error {
		var shortcut string
		err := tx.QueryRow(ctx, `DELETE FROM canned_replies
			WHERE tenant_id = $1 AND id = $2 AND owner_id IS NOT DISTINCT FROM nullif($3, '')::uuid RETURNING shortcut`,
			tenantID, id, ownerID).Scan(&shortcut)
		if err != nil {
			return notFound(err)
		}
		return auditCanned(ctx, tx, tenantID, ownerID, actor, "canned.delete", shortcut, nil)
	})
}

// ListOutcomes lists the tenant's close outcomes by name.
func (s *Store) ListOutcomes(ctx context.Context, tenantID string) ([]CloseOutcome, error) {
	var out []CloseOutcome
	err := s.InTenant(ctx, tenantID, func(tx pgx.Tx) error {
		rows, err := tx.Query(ctx, `SELECT id, name, created_at FROM close_outcomes WHERE tenant_id = $1 ORDER BY lower(name)`, tenantID)
		if err != nil {
			return err
		}
		out, err = pgx.CollectRows(rows, func(row pgx.CollectableRow) (CloseOutcome, error) {
			var o CloseOutcome
			err := row.Scan(&o.ID, &o.Name, &o.CreatedAt)
			return o, err
		})
		return err
	})
	return out, err
}

// CreateOutcome adds a close outcome; a name taken (in any case) is a
// FieldError on "name".
func (s *Store) CreateOutcome(ctx context.Context, tenantID string, actor Actor, name string) (string, error) {
	name, err := checkOutcomeName(name)
	if err != nil {
		return "", err
	}
	var id string
	err = s.InTenant(ctx, tenantID, func(tx pgx.Tx) error {
		err := tx.QueryRow(ctx, `INSERT INTO close_outcomes (tenant_id, name) VALUES ($1, $2) RETURNING id`, tenantID, name).Scan(&id)
		if isUniqueViolation(err) {
			return errOutcomeTaken
		} else if err != nil {
			return err
		}
		return audit(ctx, tx, tenantID, actor, "outcome.create", name, nil)
	})
	return id, err
}

// DeleteOutcome removes a close outcome; conversations closed with it keep
// its name.
func (s *Store) DeleteOutcome(ctx context.Context, tenantID string, actor Actor, id string) error {
	if !domain.ValidID(id) {
		return ErrNotFound
	}
	return s.InTenant(ctx, tenantID, func(tx pgx.Tx) error {
		var name string
		if err := tx.QueryRow(ctx, `DELETE FROM close_outcomes WHERE tenant_id = $1 AND id = $2 RETURNING name`,
			tenantID, id).Scan(&name); err != nil {
			return notFound(err)
		}
		return audit(ctx, tx, tenantID, actor, "outcome.delete", name, nil)
	})
}

// AddNote writes a private note on one of the tenant's conversations; an
// unknown conversation, or another tenant's, is ErrNotFound. The agent
// holding the conversation, when that is not the author, is told (the
// events are the caller's to publish once this has committed).
func (s *Store) AddNote(ctx context.Context, tenantID, conversationID, authorID, body string) (Note, []AgentEvent, error) {
	n := Note{ConversationID: conversationID, AuthorID: authorID}
	if !domain.ValidID(conversationID) {
		return n, nil, ErrNotFound
	}
	body, err := CheckNote(body)
	if err != nil {
		return n, nil, err
	}
	n.Body = body
	var told []AgentEvent
	err = s.InTenant(ctx, tenantID, func(tx pgx.Tx) error {
		// Read from conversations with the tenant named (the foreign key
		// alone would accept another tenant's conversation id), and locked
		// (FOR SHARE): a transfer committing meanwhile waits, so the agent
		// told is the one who holds it when the note commits.
		var holder *string
		if err := tx.QueryRow(ctx, `SELECT CASE WHEN status = 'assigned' THEN assigned_agent_id::text END
			FROM conversations WHERE tenant_id = $1 AND id = $2 FOR SHARE`, tenantID, conversationID).Scan(&holder); err != nil {
			return notFound(err)
		}
		if err := tx.QueryRow(ctx, `INSERT INTO conversation_notes (tenant_id, conversation_id, author_id, body)
			VALUES ($1, $2, $3, $4) RETURNING id, created_at`, tenantID, conversationID, authorID, body).Scan(&n.ID, &n.CreatedAt); err != nil {
			return err
		}
		// The agent holding it sees a supervisor's note at once.
		if holder != nil && *holder != authorID {
			e, err := tellAgent(ctx, tx, AgentEvent{TenantID: tenantID, AgentID: *holder, Kind: AgentNote, ConversationID: conversationID})
			if err != nil {
				return err
			}
			told = append(told, e)
		}
		return nil
	})
	return n, told, err
}

// ListNotes lists a conversation's notes, oldest first, with their authors.
func (s *Store) ListNotes(ctx context.Context, tenantID, conversationID string) ([]Note, error) {
	var out []Note
	err := s.InTenant(ctx, tenantID, func(tx pgx.Tx) error {
		rows, err := tx.Query(ctx, `SELECT n.id, n.conversation_id, coalesce(n.author_id::text, ''),
				coalesce(nullif(u.name, ''), u.email, ''), n.body, n.created_at
			FROM conversation_notes n LEFT JOIN users u ON u.tenant_id = n.tenant_id AND u.id = n.author_id
			WHERE n.tenant_id = $1 AND n.conversation_id = $2 ORDER BY n.created_at, n.id`, tenantID, conversationID)
		if err != nil {
			return err
		}
		out, err = pgx.CollectRows(rows, func(row pgx.CollectableRow) (Note, error) {
			var n Note
			err := row.Scan(&n.ID, &n.ConversationID, &n.AuthorID, &n.AuthorName, &n.Body, &n.CreatedAt)
			return n, err
		})
		return err
	})
	return out, err
}
