package storage

import (
	"context"
	"encoding/json"
	"time"

	"github.com/jackc/pgx/v5"

	"switchboard/internal/domain"
)

// OutboundFacts is what Meta's rules need to know about one send.
type OutboundFacts struct {
	Number        domain.Number
	Contact       domain.Contact // zero when the recipient is unknown
	LastInboundAt *time.Time     // the customer's last message to this number
	Template      *TemplateRow   // the named template, when one was asked for
}

// TemplateRow is one template in one language, as Meta last told us.
type TemplateRow struct {
	ID, WABAID, MetaID, Name, Language, Category, Status, RejectedReason string
	HeaderParams, BodyParams                                             int
	Components                                                           json.RawMessage
	SyncedAt                                                             time.Time
}

// OutboundFacts gathers the number, the contact (by id, or by WhatsApp id),
// the customer's last message and the template, in one tenant-scoped
// transaction. A number of another tenant is ErrNotFound.
func (s *Store) OutboundFacts(ctx context.Context, tenantID, numberID, contactID, waID, templateName, language string) (OutboundFacts, error) {
	var f OutboundFacts
	err := s.InTenant(ctx, tenantID, func(tx pgx.Tx) error {
		var err error
		f.Number, err = scanNumber(tx.QueryRow(ctx, `SELECT `+numberColumns+numberFrom+` WHERE n.tenant_id = $1 AND n.id = $2`, tenantID, numberID))
		if err != nil {
			return err
		}
		switch {
		case contactID != "":
			f.Contact, err = scanContact(tx.QueryRow(ctx, `SELECT `+contactColumns+` FROM contacts c WHERE c.tenant_id = $1 AND c.id = $2`, tenantID, contactID))
		case waID != "":
			f.Contact, err = scanContact(tx.QueryRow(ctx, `SELECT `+contactColumns+` FROM contacts c WHERE c.tenant_id = $1 AND c.wa_id = $2`, tenantID, waID))
			if err == ErrNotFound {
				err = nil // a new recipient: no window, no consent
			}
		}
		if err != nil {
			return err
		}
		if f.Contact.ID != "" {
			if err := tx.QueryRow(ctx, `SELECT max(last_inbound_at) FROM conversations
				WHERE tenant_id = $1 AND number_id = $2 AND contact_id = $3`, tenantID, numberID, f.Contact.ID).Scan(&f.LastInboundAt); err != nil {
				return err
			}
		}
		if templateName != "" {
			t, err := scanTemplate(tx.QueryRow(ctx, `SELECT `+templateColumns+` FROM templates
				WHERE tenant_id = $1 AND waba_id = $2 AND name = $3 AND language = $4`, tenantID, f.Number.WABAID, templateName, language))
			if err == nil {
				f.Template = &t
			} else if err != ErrNotFound {
				return err
			}
		}
		return nil
	})
	return f, err
}

const templateColumns = `id, waba_id, meta_id, name, language, category, status, rejected_reason, header_params, body_params, components, synced_at`

func scanTemplate(row pgx.Row) (TemplateRow, error) {
	var t TemplateRow
	err := row.Scan(&t.ID, &t.WABAID, &t.MetaID, &t.Name, &t.Language, &t.Category, &t.Status, &t.RejectedReason,
		&t.HeaderParams, &t.BodyParams, &t.Components, &t.SyncedAt)
	return t, notFound(err)
}

// Outgoing is a message to write with its outbox row.
type Outgoing struct {
	TenantID, NumberID, ContactID, WaID, Name string
	Type, Text, MediaID, ContextWAMID         string
	Details                                   map[string]any
	Sender, IdempotencyKey                    string
	Payload                                   any // the outbox payload (outbound.Content)
}

// EnqueueOutbound writes the message (status "queued") and its outbox row in
// one transaction. A contact given only by WhatsApp id is created. The
// message joins the contact's open conversation on the number, or a new
// conversation that starts closed (a business-initiated message does not
// queue for an agent; the customer's answer opens a conversation that
// does). With an idempotency key already used, the earlier message is
// returned and nothing is written (created is false).
func (s *Store) EnqueueOutbound(ctx context.Context, o Outgoing) (m domain.Message, created bool, err error) {
	err = s.InTenant(ctx, o.TenantID, func(tx pgx.Tx) error {
		m, created, err = Inbound(tx).EnqueueOutbound(ctx, o)
		return err
	})
	if isUniqueViolation(err) && o.IdempotencyKey != "" {
		// Two requests with one key raced: the other one wrote it.
		return s.messageByIdempotencyKey(ctx, o.TenantID, o.IdempotencyKey)
	}
	return m, created, err
}

// EnqueueOutbound is Store.EnqueueOutbound inside the processor's
// transaction (the reply to STOP is written with the consent change).
func (t InboundTx) EnqueueOutbound(ctx context.Context, o Outgoing) (m domain.Message, created bool, err error) {
	tx := t.tx
	err = func() error {
		if o.IdempotencyKey != "" {
			var id string
			err := tx.QueryRow(ctx, `SELECT id FROM messages WHERE tenant_id = $1 AND idempotency_key = $2`, o.TenantID, o.IdempotencyKey).Scan(&id)
			if err == nil {
				m, err = scanMessage(tx.QueryRow(ctx, `SELECT `+messageColumns+messageFrom+` WHERE m.tenant_id = $1 AND m.id = $2`, o.TenantID, id))
				return err
			}
			if err != pgx.ErrNoRows {
				return err
			}
		}
		itx := t
		contactID := o.ContactID
		if contactID == "" {
			var err error
			if contactID, err = itx.UpsertContact(ctx, o.TenantID, ContactKey{WaID: o.WaID, Name: o.Name}); err != nil {
				return err
			}
		}
		var convID string
		err := tx.QueryRow(ctx, `SELECT id FROM conversations WHERE tenant_id = $1 AND number_id = $2 AND contact_id = $3
			AND status <> 'closed'`, o.TenantID, o.NumberID, contactID).Scan(&convID)
		if err == pgx.ErrNoRows {
			err = tx.QueryRow(ctx, `INSERT INTO conversations (tenant_id, number_id, contact_id, status, closed_at)
				VALUES ($1, $2, $3, 'closed', now()) RETURNING id`, o.TenantID, o.NumberID, contactID).Scan(&convID)
		}
		if err != nil {
			return err
		}
		if o.Details == nil {
			o.Details = map[string]any{}
		}
		var id string
		err = tx.QueryRow(ctx, `INSERT INTO messages (tenant_id, conversation_id, direction, type, text, media_id, details,
				context_wamid, status, sender, idempotency_key, wa_timestamp)
			VALUES ($1, $2, 'outbound', $3, $4, nullif($5, '')::uuid, $6, $7, 'queued', $8, nullif($9, ''), now()) RETURNING id`,
			o.TenantID, convID, o.Type, o.Text, o.MediaID, o.Details, o.ContextWAMID, o.Sender, o.IdempotencyKey).Scan(&id)
		if err != nil {
			return err
		}
		var recipient string
		if err := tx.QueryRow(ctx, `SELECT coalesce(wa_id, user_id) FROM contacts WHERE tenant_id = $1 AND id = $2`, o.TenantID, contactID).Scan(&recipient); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `INSERT INTO outbox (tenant_id, message_id, number_id, recipient, payload) VALUES ($1, $2, $3, $4, $5)`,
			o.TenantID, id, o.NumberID, recipient, o.Payload); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `UPDATE conversations SET last_message_at = greatest(last_message_at, now()) WHERE tenant_id = $1 AND id = $2`,
			o.TenantID, convID); err != nil {
			return err
		}
		created = true
		m, err = scanMessage(tx.QueryRow(ctx, `SELECT `+messageColumns+messageFrom+` WHERE m.tenant_id = $1 AND m.id = $2`, o.TenantID, id))
		return err
	}()
	return m, created, err
}

func (s *Store) messageByIdempotencyKey(ctx context.Context, tenantID, key string) (domain.Message, bool, error) {
	m, err := s.MessageByIdempotencyKey(ctx, tenantID, key)
	return m, false, err
}

// MessageByIdempotencyKey returns the message sent with a key, if any.
func (s *Store) MessageByIdempotencyKey(ctx context.Context, tenantID, key string) (domain.Message, error) {
	var m domain.Message
	err := s.InTenant(ctx, tenantID, func(tx pgx.Tx) error {
		var err error
		m, err = scanMessage(tx.QueryRow(ctx, `SELECT `+messageColumns+messageFrom+` WHERE m.tenant_id = $1 AND m.idempotency_key = $2`, tenantID, key))
		return err
	})
	return m, err
}

// UpsertTemplate stores a template as Meta describes it (the catalog sync):
// Meta's side only (status, category, components, rejection), never the
// template editor's draft, use case or review. A row is ours by Meta's id
// first (Meta may spell the language differently: en-US, en_US), then by
// WABA, name and language.
func (s *Store) UpsertTemplate(ctx context.Context, tenantID string, t TemplateRow) error {
	if len(t.Components) == 0 {
		t.Components = json.RawMessage("[]")
	}
	return s.InTenant(ctx, tenantID, func(tx pgx.Tx) error {
		if t.MetaID != "" {
			tag, err := tx.Exec(ctx, `UPDATE templates SET category = $4, status = $5, components = $6, header_params = $7,
					body_params = $8, rejected_reason = $9, synced_at = now()
				WHERE tenant_id = $1 AND waba_id = $2 AND meta_id = $3`,
				tenantID, t.WABAID, t.MetaID, t.Category, t.Status, t.Components, t.HeaderParams, t.BodyParams, t.RejectedReason)
			if err != nil || tag.RowsAffected() > 0 {
				return err
			}
		}
		_, err := tx.Exec(ctx, `INSERT INTO templates (tenant_id, waba_id, meta_id, name, language, category, status, components,
				header_params, body_params, rejected_reason, synced_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, now())
			ON CONFLICT (tenant_id, waba_id, name, language) DO UPDATE SET meta_id = excluded.meta_id, category = excluded.category,
				status = excluded.status, components = excluded.components, header_params = excluded.header_params,
				body_params = excluded.body_params, rejected_reason = excluded.rejected_reason, synced_at = now()`,
			tenantID, t.WABAID, t.MetaID, t.Name, t.Language, t.Category, t.Status, t.Components, t.HeaderParams, t.BodyParams, t.RejectedReason)
		return err
	})
}

// MarkUnlistedTemplatesDeleted records as deleted the templates Meta had
// (a meta_id) but no longer lists for the WABA: deleted in WhatsApp
// Manager or by Meta, whose list leaves deleted templates out. listed is
// every id of a complete listing begun at listedAt; a row changed less
// than a minute before that (a forward creating one while the list was
// read, or clocks a little apart) waits for the next sync.
func (s *Store) MarkUnlistedTemplatesDeleted(ctx context.Context, tenantID, wabaID string, listed []string, listedAt time.Time) (int, error) {
	var n int
	err := s.InTenant(ctx, tenantID, func(tx pgx.Tx) error {
		tag, err := tx.Exec(ctx, `UPDATE templates SET status = 'DELETED', review = 'at_meta', draft = components, forward_error = '',
				updated_at = now()
			WHERE tenant_id = $1 AND waba_id = $2 AND meta_id <> '' AND NOT (meta_id = ANY($3)) AND status <> 'DELETED'
			  AND updated_at < $4 AND synced_at < $4`, tenantID, wabaID, listed, listedAt.Add(-time.Minute))
		n = int(tag.RowsAffected())
		return err
	})
	return n, err
}

// ListTemplates lists a tenant's templates for a WABA as Meta knows them:
// drafts and submissions Meta never had are the template editor's
// (templates_admin.go).
func (s *Store) ListTemplates(ctx context.Context, tenantID, wabaID string) ([]TemplateRow, error) {
	var out []TemplateRow
	err := s.InTenant(ctx, tenantID, func(tx pgx.Tx) error {
		rows, err := tx.Query(ctx, `SELECT `+templateColumns+` FROM templates WHERE tenant_id = $1 AND waba_id = $2
			AND (meta_id <> '' OR review = 'at_meta') ORDER BY name, language`, tenantID, wabaID)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			t, err := scanTemplate(rows)
			if err != nil {
				return err
			}
			out = append(out, t)
		}
		return rows.Err()
	})
	return out, err
}
