package storage

import (
	"context"
	"time"

	"github.com/jackc/pgx/v5"

	"switchboard/internal/domain"
)

// InboundTx is the webhook processor's view of one transaction: the event
// being processed and every change it causes commit together. Each method
// filters on the tenant it is given; Scope narrows row-level security to
// that tenant before the tenant's rows are touched.
type InboundTx struct {
	tx   pgx.Tx
	told *[]AgentEvent // agent events written, published after commit
}

// Inbound wraps the processor's transaction.
func Inbound(tx pgx.Tx) InboundTx { return InboundTx{tx: tx, told: new([]AgentEvent)} }

// Scope switches the transaction from platform scope to one tenant.
func (t InboundTx) Scope(ctx context.Context, tenantID string) error {
	_, err := t.tx.Exec(ctx, `SELECT set_config('app.platform', 'off', true), set_config('app.tenant_id', $1, true)`, tenantID)
	return err
}

// Platform widens the transaction back to platform scope, to find the next
// number's tenant.
func (t InboundTx) Platform(ctx context.Context) error {
	_, err := t.tx.Exec(ctx, `SELECT set_config('app.tenant_id', '', true), set_config('app.platform', 'on', true)`)
	return err
}

// NumberByPhoneNumberID finds a number by Meta's id (platform scope).
func (t InboundTx) NumberByPhoneNumberID(ctx context.Context, phoneNumberID string) (domain.Number, error) {
	return scanNumber(t.tx.QueryRow(ctx, `SELECT `+numberColumns+numberFrom+` WHERE n.phone_number_id = $1`, phoneNumberID))
}

// NumbersByWABA lists the numbers of a WhatsApp Business Account, across
// tenants (platform scope): template and account events name only the WABA.
func (t InboundTx) NumbersByWABA(ctx context.Context, wabaID string) ([]domain.Number, error) {
	return queryNumbers(ctx, t.tx, `WHERE n.waba_id = $1 ORDER BY n.tenant_id, n.id`, wabaID)
}

// ContactKey identifies a customer: their WhatsApp id, Meta's
// business-scoped user id, or both.
type ContactKey struct {
	WaID, UserID, Name string
}

// UpsertContact finds the tenant's contact by wa_id or user id, filling in
// whichever was missing and the latest profile name, or creates it.
//
// Finding and updating an existing contact is one statement (the row is
// locked by the sub-select, then updated): a returning customer is the
// common case, and each statement is Postgres CPU under load.
func (t InboundTx) UpsertContact(ctx context.Context, tenantID string, k ContactKey) (string, error) {
	for attempt := 0; attempt < 2; attempt++ {
		var id string
		// Fill in the id this contact lacks, unless another contact
		// already holds it (then both stay as they are rather than the
		// message being lost to a unique violation).
		err := t.tx.QueryRow(ctx, `UPDATE contacts c SET
				name = CASE WHEN $4 <> '' THEN $4 ELSE c.name END,
				wa_id = coalesce(c.wa_id, CASE WHEN NOT EXISTS (SELECT 1 FROM contacts o WHERE o.tenant_id = $1 AND o.wa_id = $2)
					THEN nullif($2, '') END),
				user_id = coalesce(c.user_id, CASE WHEN NOT EXISTS (SELECT 1 FROM contacts o WHERE o.tenant_id = $1 AND o.user_id = $3)
					THEN nullif($3, '') END),
				phone = CASE WHEN c.phone = '' AND $2 <> '' THEN '+' || $2 ELSE c.phone END,
				updated_at = now()
			FROM (SELECT id FROM contacts WHERE tenant_id = $1
					AND ((wa_id = $2 AND $2 <> '') OR (user_id = $3 AND $3 <> ''))
				ORDER BY coalesce(wa_id = $2, false) DESC LIMIT 1 FOR UPDATE) f
			WHERE c.tenant_id = $1 AND c.id = f.id
			RETURNING c.id`, tenantID, k.WaID, k.UserID, k.Name).Scan(&id)
		if err == nil {
			return id, nil
		}
		if err != pgx.ErrNoRows {
			return "", err
		}
		phone := ""
		if k.WaID != "" {
			phone = "+" + k.WaID
		}
		// ON CONFLICT DO NOTHING: another worker may create the same contact
		// at the same moment; then the loop finds it.
		err = t.tx.QueryRow(ctx, `INSERT INTO contacts (tenant_id, wa_id, user_id, name, phone)
			VALUES ($1, nullif($2, ''), nullif($3, ''), $4, $5) ON CONFLICT DO NOTHING RETURNING id`,
			tenantID, k.WaID, k.UserID, k.Name, phone).Scan(&id)
		if err == nil {
			return id, nil
		}
		if err != pgx.ErrNoRows {
			return "", err
		}
	}
	return "", ErrConflict
}

// ChangeContactNumber records a customer's new WhatsApp id (a system
// "user_changed_number" message), unless another contact already has it.
func (t InboundTx) ChangeContactNumber(ctx context.Context, tenantID, contactID, newWaID string) error {
	_, err := t.tx.Exec(ctx, `UPDATE contacts SET wa_id = $3, phone = '+' || $3, updated_at = now()
		WHERE tenant_id = $1 AND id = $2
		  AND NOT EXISTS (SELECT 1 FROM contacts o WHERE o.tenant_id = $1 AND o.wa_id = $3)`, tenantID, contactID, newWaID)
	return err
}

// OpenConversation returns the open conversation of a contact on a number,
// opening a new one when there is none: queued, with a command that tells
// the tenant's dispatcher it arrived.
func (t InboundTx) OpenConversation(ctx context.Context, tenantID, numberID, contactID string) (string, error) {
	id, _, _, err := t.OpenOrStartConversation(ctx, tenantID, numberID, contactID)
	return id, err
}

// OpenOrStartConversation is OpenConversation that also says the
// conversation's status (as locked) and whether it is new: the softbots greet
// new ones, may hold them before the queue, and leave alone those a person
// holds.
func (t InboundTx) OpenOrStartConversation(ctx context.Context, tenantID, numberID, contactID string) (id, status string, created bool, err error) {
	for attempt := 0; attempt < 2; attempt++ {
		err = t.tx.QueryRow(ctx, `SELECT id, status FROM conversations WHERE tenant_id = $1 AND number_id = $2 AND contact_id = $3
			AND status <> 'closed' FOR UPDATE`, tenantID, numberID, contactID).Scan(&id, &status)
		if err == nil {
			return id, status, false, nil
		}
		if err != pgx.ErrNoRows {
			return "", "", false, err
		}
		err = t.tx.QueryRow(ctx, `INSERT INTO conversations (tenant_id, number_id, contact_id, status, queued_at)
			VALUES ($1, $2, $3, 'queued', now()) ON CONFLICT DO NOTHING RETURNING id`, tenantID, numberID, contactID).Scan(&id)
		if err == nil {
			// The router hears of it when this transaction commits.
			_, err = enqueueRouting(ctx, t.tx, tenantID, RoutingCommand{Kind: CmdArrive, ConversationID: id})
			return id, "queued", err == nil, err
		}
		if err != pgx.ErrNoRows {
			return "", "", false, err
		}
	}
	return "", "", false, ErrConflict
}

// TouchConversation records a message's time; a customer's message also
// moves the 24-hour window. Times only move forward, whatever the order in
// which webhooks arrive.
func (t InboundTx) TouchConversation(ctx context.Context, tenantID, conversationID string, at time.Time, fromCustomer bool) error {
	_, err := t.tx.Exec(ctx, `UPDATE conversations SET
			last_message_at = greatest(last_message_at, $3),
			last_inbound_at = CASE WHEN $4 THEN greatest(last_inbound_at, $3) ELSE last_inbound_at END,
			window_expires_at = CASE WHEN $4 THEN greatest(window_expires_at, $3 + interval '24 hours') ELSE window_expires_at END
		WHERE tenant_id = $1 AND id = $2`, tenantID, conversationID, at, fromCustomer)
	return err
}

// UpsertMedia records a media object to fetch; the same Meta media id is
// recorded once per tenant.
func (t InboundTx) UpsertMedia(ctx context.Context, m domain.Media) (string, error) {
	var id string
	err := t.tx.QueryRow(ctx, `INSERT INTO media (tenant_id, number_id, meta_media_id, url, mime_type, filename, sha256)
		VALUES ($1, $2, $3, $4, $5, $6, $7)
		ON CONFLICT (tenant_id, meta_media_id) DO UPDATE SET url = CASE WHEN excluded.url <> '' THEN excluded.url ELSE media.url END
		RETURNING id`, m.TenantID, m.NumberID, m.MetaMediaID, m.URL, m.MimeType, m.Filename, m.SHA256).Scan(&id)
	return id, err
}

// MessageStored reports whether a message with this wamid is stored: a
// redelivery must change nothing, not even open a conversation.
func (t InboundTx) MessageStored(ctx context.Context, tenantID, wamid string) (bool, error) {
	var found bool
	err := t.tx.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM messages WHERE tenant_id = $1 AND wamid = $2)`, tenantID, wamid).Scan(&found)
	return found, err
}

// InsertMessage stores a message once per (tenant, wamid): a redelivery is
// a no-op, reported as false. The agent holding its conversation is told.
func (t InboundTx) InsertMessage(ctx context.Context, m domain.Message, raw []byte) (bool, error) {
	return t.insertMessage(ctx, m, raw, false, false)
}

// InsertInboundMessage is InsertMessage followed by TouchConversation with
// the message's time, when it was inserted.
func (t InboundTx) InsertInboundMessage(ctx context.Context, m domain.Message, raw []byte, fromCustomer bool) (bool, error) {
	return t.insertMessage(ctx, m, raw, true, fromCustomer)
}

// insertMessageSQL inserts a message and, only when it was inserted, moves
// its conversation's times ($17: touch, $18: from the customer) and tells
// the conversation's agent, numbering the event as tellSQL does. It is one
// statement where it used to be four (insert, touch, find the agent,
// number the event): the processor's statements are what saturates
// Postgres under load. The conversation is the caller's, locked already
// (OpenConversation), so what is read of it here cannot change before
// commit; events for an agent are numbered as before, in the order its
// row's lock is taken. The agent is a scalar sub-select, and its status
// test a CASE rather than a condition: with "status = 'assigned'" in the
// WHERE, the generic plan Postgres settles on after a few runs walked the
// partial index conversations_open_agent over all the tenant's assigned
// conversations (3,000 in the benchmark) instead of taking one by its key.
const insertMessageSQL = `WITH m AS (
		INSERT INTO messages (tenant_id, conversation_id, wamid, direction, type, text, media_id, details,
			context_wamid, forwarded, frequently_forwarded, error_code, error_title, error_details, raw, wa_timestamp)
		VALUES ($1, $2, $3, $4, $5, $6, nullif($7, '')::uuid, $8, $9, $10, $11, $12, $13, $14, $15, $16)
		ON CONFLICT (tenant_id, wamid) DO NOTHING
		RETURNING id),
	touched AS (
		UPDATE conversations SET
			last_message_at = greatest(last_message_at, $16),
			last_inbound_at = CASE WHEN $18 THEN greatest(last_inbound_at, $16) ELSE last_inbound_at END,
			window_expires_at = CASE WHEN $18 THEN greatest(window_expires_at, $16 + interval '24 hours') ELSE window_expires_at END
		WHERE $17 AND tenant_id = $1 AND id = $2 AND EXISTS (SELECT 1 FROM m)
		RETURNING id),
	s AS (
		UPDATE users SET event_seq = event_seq + 1
		WHERE tenant_id = $1 AND id = (SELECT CASE WHEN c.status = 'assigned' THEN c.assigned_agent_id END
			FROM conversations c WHERE c.tenant_id = $1 AND c.id = $2 AND EXISTS (SELECT 1 FROM m))
		RETURNING id, event_seq),
	e AS (
		INSERT INTO agent_events (tenant_id, agent_id, seq, kind, conversation_id, message_id)
		SELECT $1, s.id, s.event_seq, '` + AgentMessage + `', $2, m.id FROM s, m
		RETURNING agent_id, seq, at)
	SELECT m.id::text, e.agent_id::text, e.seq, e.at FROM m LEFT JOIN e ON true`

func (t InboundTx) insertMessage(ctx context.Context, m domain.Message, raw []byte, touch, fromCustomer bool) (bool, error) {
	if len(raw) == 0 {
		raw = []byte("{}")
	}
	if m.Details == nil {
		m.Details = map[string]any{}
	}
	var (
		id, agent *string
		seq       *int64
		at        *time.Time
	)
	err := t.tx.QueryRow(ctx, insertMessageSQL,
		m.TenantID, m.ConversationID, m.WAMID, m.Direction, m.Type, m.Text, m.MediaID, m.Details, m.ContextWAMID,
		m.Forwarded, m.FrequentlyForwarded, m.ErrorCode, m.ErrorTitle, m.ErrorDetails, raw, m.Timestamp,
		touch, fromCustomer).Scan(&id, &agent, &seq, &at)
	if err == pgx.ErrNoRows {
		return false, nil // a redelivery
	}
	if err != nil {
		return false, err
	}
	if agent != nil && t.told != nil {
		*t.told = append(*t.told, AgentEvent{TenantID: m.TenantID, AgentID: *agent, Seq: *seq, Kind: AgentMessage,
			ConversationID: m.ConversationID, MessageID: *id, At: *at})
	}
	return true, nil
}

// SetReaction applies (or, with "", removes) a customer's reaction to the
// message it targets.
func (t InboundTx) SetReaction(ctx context.Context, tenantID, targetWAMID, emoji string) error {
	tag, err := t.tx.Exec(ctx, `UPDATE messages SET reaction = $3 WHERE tenant_id = $1 AND wamid = $2`, tenantID, targetWAMID, emoji)
	if err != nil || tag.RowsAffected() == 0 {
		return err
	}
	return t.tellAboutMessage(ctx, tenantID, targetWAMID, AgentStatus)
}

// StatusRecord is one delivery status of a message.
type StatusRecord struct {
	WAMID        string
	Status       string
	Timestamp    time.Time
	ErrorCode    *int
	ErrorTitle   string
	ErrorDetails string
	Raw          []byte
}

// InsertStatus keeps a status once per (message, status), whether or not
// the message is known yet; a redelivery is reported as false.
func (t InboundTx) InsertStatus(ctx context.Context, tenantID string, s StatusRecord) (bool, error) {
	if len(s.Raw) == 0 {
		s.Raw = []byte("{}")
	}
	tag, err := t.tx.Exec(ctx, `INSERT INTO message_statuses (tenant_id, wamid, status, wa_timestamp, error_code, error_title, error_details, raw)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8) ON CONFLICT DO NOTHING`,
		tenantID, s.WAMID, s.Status, s.Timestamp, s.ErrorCode, s.ErrorTitle, s.ErrorDetails, s.Raw)
	if err != nil {
		return false, err
	}
	return tag.RowsAffected() == 1, nil
}

// MessageStatus returns a message's current status, or ErrNotFound when the
// message is not stored (yet).
func (t InboundTx) MessageStatus(ctx context.Context, tenantID, wamid string) (string, error) {
	var st string
	err := t.tx.QueryRow(ctx, `SELECT status FROM messages WHERE tenant_id = $1 AND wamid = $2 FOR UPDATE`, tenantID, wamid).Scan(&st)
	return st, notFound(err)
}

// Statuses lists what is recorded for a message, oldest first.
func (t InboundTx) Statuses(ctx context.Context, tenantID, wamid string) ([]StatusRecord, error) {
	rows, err := t.tx.Query(ctx, `SELECT wamid, status, wa_timestamp, error_code, error_title, error_details FROM message_statuses
		WHERE tenant_id = $1 AND wamid = $2 ORDER BY wa_timestamp, created_at`, tenantID, wamid)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []StatusRecord
	for rows.Next() {
		var s StatusRecord
		if err := rows.Scan(&s.WAMID, &s.Status, &s.Timestamp, &s.ErrorCode, &s.ErrorTitle, &s.ErrorDetails); err != nil {
			return nil, err
		}
		out = append(out, s)
	}
	return out, rows.Err()
}

// SetMessageStatus moves a message to a status (the caller decided it is
// forward), with Meta's error for a failure.
func (t InboundTx) SetMessageStatus(ctx context.Context, tenantID, wamid string, s StatusRecord) error {
	tag, err := t.tx.Exec(ctx, `UPDATE messages SET status = $3,
			error_code = CASE WHEN $3 = 'failed' THEN $4 ELSE error_code END,
			error_title = CASE WHEN $3 = 'failed' THEN $5 ELSE error_title END,
			error_details = CASE WHEN $3 = 'failed' THEN $6 ELSE error_details END
		WHERE tenant_id = $1 AND wamid = $2`, tenantID, wamid, s.Status, s.ErrorCode, s.ErrorTitle, s.ErrorDetails)
	if err != nil || tag.RowsAffected() == 0 {
		return err
	}
	return t.tellAboutMessage(ctx, tenantID, wamid, AgentStatus)
}

// NumberEvent records what Meta says about a number or its account, once
// per dedupe key (a redelivery changes nothing), and applies a quality or
// limit change to the number.
func (t InboundTx) NumberEvent(ctx context.Context, tenantID, numberID, field, event string, detail map[string]any, quality, limit, dedupeKey string) error {
	if detail == nil {
		detail = map[string]any{}
	}
	tag, err := t.tx.Exec(ctx, `INSERT INTO number_events (tenant_id, number_id, field, event, detail, dedupe_key)
		VALUES ($1, nullif($2, '')::uuid, $3, $4, $5, $6) ON CONFLICT DO NOTHING`, tenantID, numberID, field, event, detail, dedupeKey)
	if err != nil {
		return err
	}
	if tag.RowsAffected() == 0 || numberID == "" || (quality == "" && limit == "") {
		return nil
	}
	_, err = t.tx.Exec(ctx, `UPDATE numbers SET
			quality_rating = CASE WHEN $3 <> '' THEN $3 ELSE quality_rating END,
			messaging_limit = CASE WHEN $4 <> '' THEN $4 ELSE messaging_limit END,
			updated_at = now()
		WHERE tenant_id = $1 AND id = $2`, tenantID, numberID, quality, limit)
	return err
}

// TemplateEvent records Meta's decision or note about a template, once per
// dedupe key.
func (t InboundTx) TemplateEvent(ctx context.Context, tenantID, wabaID, templateID, name, language, event, reason string, detail map[string]any, dedupeKey string) error {
	if detail == nil {
		detail = map[string]any{}
	}
	_, err := t.tx.Exec(ctx, `INSERT INTO template_events (tenant_id, waba_id, template_id, template_name, language, event, reason, detail, dedupe_key)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) ON CONFLICT DO NOTHING`, tenantID, wabaID, templateID, name, language, event, reason, detail, dedupeKey)
	if err != nil || templateID == "" || (event != "DELETED" && event != "PENDING_DELETION") {
		return err
	}
	// Meta's list leaves deleted templates out, so the catalog sync cannot
	// say it: the event does, at once.
	_, err = t.tx.Exec(ctx, `UPDATE templates SET status = $4, review = 'at_meta', draft = components, forward_error = '', updated_at = now()
		WHERE tenant_id = $1 AND waba_id = $2 AND meta_id = $3 AND status <> 'DELETED'`, tenantID, wabaID, templateID, event)
	return err
}
