package storage

import (
	"context"
	"time"

	"github.com/jackc/pgx/v5"

	"switchboard/internal/domain"
)

// Page asks for a slice of a listing: up to Limit rows after the cursor
// (the sort key and id of the last row already seen).
type Page struct {
	Limit     int
	AfterTime time.Time
	AfterID   string
}

const contactColumns = `c.id, c.tenant_id, coalesce(c.wa_id, ''), coalesce(c.user_id, ''), c.name, c.phone, c.priority, c.consent, c.created_at`

func scanContact(row pgx.Row) (domain.Contact, error) {
	var c domain.Contact
	err := row.Scan(&c.ID, &c.TenantID, &c.WaID, &c.UserID, &c.Name, &c.Phone, &c.Priority, &c.Consent, &c.CreatedAt)
	return c, notFound(err)
}

// ListContacts lists a tenant's contacts, oldest first, optionally only the
// one with a WhatsApp id.
func (s *Store) ListContacts(ctx context.Context, tenantID, waID string, p Page) ([]domain.Contact, error) {
	var out []domain.Contact
	err := s.InTenant(ctx, tenantID, func(tx pgx.Tx) error {
		rows, err := tx.Query(ctx, `SELECT `+contactColumns+` FROM contacts c
			WHERE c.tenant_id = $1 AND ($2 = '' OR c.wa_id = $2)
			  AND ($3::uuid IS NULL OR (c.created_at, c.id) > ($4, $3::uuid))
			ORDER BY c.created_at, c.id LIMIT $5`, tenantID, waID, nullUUID(p.AfterID), p.AfterTime, p.Limit)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			c, err := scanContact(rows)
			if err != nil {
				return err
			}
			out = append(out, c)
		}
		return rows.Err()
	})
	return out, err
}

// Contact returns one of a tenant's contacts.
func (s *Store) Contact(ctx context.Context, tenantID, id string) (domain.Contact, error) {
	var c domain.Contact
	err := s.InTenant(ctx, tenantID, func(tx pgx.Tx) error {
		var err error
		c, err = scanContact(tx.QueryRow(ctx, `SELECT `+contactColumns+` FROM contacts c WHERE c.tenant_id = $1 AND c.id = $2`, tenantID, id))
		return err
	})
	return c, err
}

const conversationColumns = `v.id, v.tenant_id, v.number_id, v.contact_id, v.status, coalesce(v.assigned_agent_id::text, ''),
	v.last_inbound_at, v.window_expires_at, v.last_message_at, v.created_at, v.closed_at, v.queued_at,
	coalesce(v.target_skillset_id::text, ''), ae.kind, coalesce(ae.agent_id::text, ''), ae.step, ae.reason, ae.at, v.close_outcome`

// conversationFrom joins the event of the current assignment, which keeps
// its explanation.
const conversationFrom = ` FROM conversations v
	LEFT JOIN routing_events ae ON ae.tenant_id = v.tenant_id AND ae.id = v.assignment_event_id`

// scanConversation scans conversationColumns, then any extra columns.
func scanConversation(row pgx.Row, extra ...any) (domain.Conversation, error) {
	var c domain.Conversation
	var kind, agent, reason *string
	var step *int
	var at *time.Time
	dest := []any{&c.ID, &c.TenantID, &c.NumberID, &c.ContactID, &c.Status, &c.AssignedAgentID,
		&c.LastInboundAt, &c.WindowExpiresAt, &c.LastMessageAt, &c.CreatedAt, &c.ClosedAt, &c.QueuedAt,
		&c.TargetSkillsetID, &kind, &agent, &step, &reason, &at, &c.CloseOutcome}
	err := row.Scan(append(dest, extra...)...)
	if err != nil {
		return c, notFound(err)
	}
	if kind != nil && c.Status == "assigned" {
		c.Assignment = &domain.Assignment{Kind: *kind, AgentID: *agent, Reason: *reason, At: *at}
		if step != nil {
			c.Assignment.Step = *step
		}
	}
	return c, nil
}

// ConversationFilter narrows a listing; empty fields do not filter.
type ConversationFilter struct {
	Status, ContactID, NumberID string
}

// ListConversations lists a tenant's conversations, newest first.
func (s *Store) ListConversations(ctx context.Context, tenantID string, f ConversationFilter, p Page) ([]domain.Conversation, error) {
	var out []domain.Conversation
	err := s.InTenant(ctx, tenantID, func(tx pgx.Tx) error {
		rows, err := tx.Query(ctx, `SELECT `+conversationColumns+conversationFrom+`
			WHERE v.tenant_id = $1 AND ($2 = '' OR v.status = $2)
			  AND ($3::uuid IS NULL OR v.contact_id = $3::uuid) AND ($4::uuid IS NULL OR v.number_id = $4::uuid)
			  AND ($5::uuid IS NULL OR (v.created_at, v.id) < ($6, $5::uuid))
			ORDER BY v.created_at DESC, v.id DESC LIMIT $7`,
			tenantID, f.Status, nullUUID(f.ContactID), nullUUID(f.NumberID), nullUUID(p.AfterID), p.AfterTime, p.Limit)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			c, err := scanConversation(rows)
			if err != nil {
				return err
			}
			out = append(out, c)
		}
		return rows.Err()
	})
	return out, err
}

// Conversation returns one of a tenant's conversations.
func (s *Store) Conversation(ctx context.Context, tenantID, id string) (domain.Conversation, error) {
	var c domain.Conversation
	err := s.InTenant(ctx, tenantID, func(tx pgx.Tx) error {
		var err error
		c, err = scanConversation(tx.QueryRow(ctx, `SELECT `+conversationColumns+conversationFrom+`
			WHERE v.tenant_id = $1 AND v.id = $2`, tenantID, id))
		return err
	})
	return c, err
}

const messageColumns = `m.id, m.tenant_id, m.conversation_id, coalesce(m.wamid, ''), m.direction, m.type, m.text, coalesce(m.media_id::text, ''),
	m.details, m.context_wamid, m.forwarded, m.frequently_forwarded, m.reaction, m.status, m.error_code, m.error_title,
	m.error_details, m.wa_timestamp, m.created_at, m.sender, m.uncertain,
	md.id, md.meta_media_id, md.mime_type, md.filename, md.size, md.sha256, md.state`

const messageFrom = ` FROM messages m LEFT JOIN media md ON md.tenant_id = m.tenant_id AND md.id = m.media_id`

func scanMessage(row pgx.Row) (domain.Message, error) {
	var m domain.Message
	var mdID, mdMeta, mdMime, mdName, mdSHA, mdState *string
	var mdSize *int64
	err := row.Scan(&m.ID, &m.TenantID, &m.ConversationID, &m.WAMID, &m.Direction, &m.Type, &m.Text, &m.MediaID,
		&m.Details, &m.ContextWAMID, &m.Forwarded, &m.FrequentlyForwarded, &m.Reaction, &m.Status, &m.ErrorCode,
		&m.ErrorTitle, &m.ErrorDetails, &m.Timestamp, &m.CreatedAt, &m.Sender, &m.Uncertain,
		&mdID, &mdMeta, &mdMime, &mdName, &mdSize, &mdSHA, &mdState)
	if err != nil {
		return m, notFound(err)
	}
	if mdID != nil {
		m.Media = &domain.Media{ID: *mdID, TenantID: m.TenantID, MetaMediaID: *mdMeta, MimeType: *mdMime,
			Filename: *mdName, Size: mdSize, SHA256: *mdSHA, State: *mdState}
	}
	return m, nil
}

// ListMessages lists a conversation's messages in WhatsApp's order (oldest
// first), after the cursor.
func (s *Store) ListMessages(ctx context.Context, tenantID, conversationID string, p Page) ([]domain.Message, error) {
	var out []domain.Message
	err := s.InTenant(ctx, tenantID, func(tx pgx.Tx) error {
		rows, err := tx.Query(ctx, `SELECT `+messageColumns+messageFrom+`
			WHERE m.tenant_id = $1 AND m.conversation_id = $2
			  AND ($3::uuid IS NULL OR (m.wa_timestamp, m.seq) >
			       ($4, (SELECT c.seq FROM messages c WHERE c.tenant_id = $1 AND c.id = $3::uuid)))
			ORDER BY m.wa_timestamp, m.seq LIMIT $5`, tenantID, conversationID, nullUUID(p.AfterID), p.AfterTime, p.Limit)
		if err != nil {
			return err
		}
		out, err = collectMessages(rows)
		return err
	})
	return out, err
}

// Message returns one of a tenant's messages.
func (s *Store) Message(ctx context.Context, tenantID, id string) (domain.Message, error) {
	var m domain.Message
	err := s.InTenant(ctx, tenantID, func(tx pgx.Tx) error {
		var err error
		m, err = scanMessage(tx.QueryRow(ctx, `SELECT `+messageColumns+messageFrom+` WHERE m.tenant_id = $1 AND m.id = $2`, tenantID, id))
		return err
	})
	return m, err
}

// MessageByWAMID returns one of a tenant's messages by Meta's id.
func (s *Store) MessageByWAMID(ctx context.Context, tenantID, wamid string) (domain.Message, error) {
	var m domain.Message
	err := s.InTenant(ctx, tenantID, func(tx pgx.Tx) error {
		var err error
		m, err = scanMessage(tx.QueryRow(ctx, `SELECT `+messageColumns+messageFrom+` WHERE m.tenant_id = $1 AND m.wamid = $2`, tenantID, wamid))
		return err
	})
	return m, err
}

// nullUUID turns "" into SQL NULL for optional uuid parameters.
func nullUUID(s string) any {
	if s == "" {
		return nil
	}
	return s
}
