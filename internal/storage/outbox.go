package storage

import (
	"cmp"
	"context"
	"encoding/json"
	"slices"
	"time"

	"github.com/jackc/pgx/v5"

	"switchboard/internal/domain"
)

// OutboxRow is one message to deliver.
type OutboxRow struct {
	ID        int64
	TenantID  string
	MessageID string
	Number    domain.Number
	Recipient string
	Payload   json.RawMessage
	Attempts  int
}

// ClaimOutbox takes up to limit due rows and leases them: each row is taken
// by exactly one worker (SKIP LOCKED), and its state says "sending" until
// the worker records Meta's answer. Platform scope: the sender serves every
// tenant.
func (s *Store) ClaimOutbox(ctx context.Context, limit int, lease time.Duration) ([]OutboxRow, error) {
	var out []OutboxRow
	err := s.InPlatform(ctx, func(tx pgx.Tx) error {
		rows, err := tx.Query(ctx, `UPDATE outbox o SET state = 'sending', attempts = o.attempts + 1, lease_until = now() + $2::interval
			WHERE o.id IN (SELECT id FROM outbox WHERE state = 'pending' AND next_attempt_at <= now()
			               ORDER BY next_attempt_at, id LIMIT $1 FOR UPDATE SKIP LOCKED)
			RETURNING o.id, o.tenant_id, o.message_id, o.number_id, o.recipient, o.payload, o.attempts`, limit, lease.String())
		if err != nil {
			return err
		}
		numbers := map[string]string{}
		for rows.Next() {
			var r OutboxRow
			var numberID string
			if err := rows.Scan(&r.ID, &r.TenantID, &r.MessageID, &numberID, &r.Recipient, &r.Payload, &r.Attempts); err != nil {
				rows.Close()
				return err
			}
			numbers[numberID] = ""
			r.Number.ID = numberID
			out = append(out, r)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
		cache := map[string]domain.Number{}
		for i := range out {
			id := out[i].Number.ID
			n, ok := cache[id]
			if !ok {
				n, err = scanNumber(tx.QueryRow(ctx, `SELECT `+numberColumns+numberFrom+` WHERE n.tenant_id = $1 AND n.id = $2`, out[i].TenantID, id))
				if err != nil {
					return err
				}
				cache[id] = n
			}
			out[i].Number = n
		}
		return nil
	})
	// Order by id: a conversation's messages go out in the order written
	// (UPDATE … RETURNING follows the table's physical order).
	slices.SortFunc(out, func(a, b OutboxRow) int { return cmp.Compare(a.ID, b.ID) })
	return out, err
}

// RenewLease extends a claimed row's lease just before it is sent (pacing
// may have kept it waiting). False means the row is no longer ours: its
// lease ran out and it was marked uncertain; it must not be sent.
func (s *Store) RenewLease(ctx context.Context, r OutboxRow, lease time.Duration) (bool, error) {
	var ok bool
	err := s.InTenant(ctx, r.TenantID, func(tx pgx.Tx) error {
		tag, err := tx.Exec(ctx, `UPDATE outbox SET lease_until = now() + $3::interval
			WHERE tenant_id = $1 AND id = $2 AND state = 'sending'`, r.TenantID, r.ID, lease.String())
		ok = tag.RowsAffected() == 1
		return err
	})
	return ok, err
}

// OutboxSent records Meta's acceptance: the wamid on the message, the row
// done, and any status that already arrived applied (webhooks can beat us).
func (s *Store) OutboxSent(ctx context.Context, r OutboxRow, wamid string, apply func(InboundTx) error) error {
	return s.InTenant(ctx, r.TenantID, func(tx pgx.Tx) error {
		tag, err := tx.Exec(ctx, `UPDATE outbox SET state = 'sent', sent_at = now(), lease_until = NULL, last_error = ''
			WHERE tenant_id = $1 AND id = $2 AND state IN ('sending', 'uncertain')`, r.TenantID, r.ID)
		if err != nil {
			return err
		}
		if tag.RowsAffected() == 0 {
			return nil // already settled (a status webhook reconciled it)
		}
		if _, err := tx.Exec(ctx, `UPDATE messages SET wamid = $3, status = CASE WHEN status = 'queued' THEN 'accepted' ELSE status END,
				uncertain = false WHERE tenant_id = $1 AND id = $2`, r.TenantID, r.MessageID, wamid); err != nil {
			return err
		}
		return apply(Inbound(tx))
	})
}

// OutboxRetry puts a row back for another attempt at a later time.
func (s *Store) OutboxRetry(ctx context.Context, r OutboxRow, at time.Time, reason string) error {
	return s.InTenant(ctx, r.TenantID, func(tx pgx.Tx) error {
		_, err := tx.Exec(ctx, `UPDATE outbox SET state = 'pending', next_attempt_at = $3, lease_until = NULL, last_error = $4
			WHERE tenant_id = $1 AND id = $2 AND state = 'sending'`, r.TenantID, r.ID, at, reason)
		return err
	})
}

// OutboxFailed records a permanent failure with Meta's code, title and
// details on the message, for a person to read.
func (s *Store) OutboxFailed(ctx context.Context, r OutboxRow, code *int, title, details string) error {
	return s.InTenant(ctx, r.TenantID, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `UPDATE outbox SET state = 'failed', lease_until = NULL, last_error = $3
			WHERE tenant_id = $1 AND id = $2`, r.TenantID, r.ID, title+": "+details); err != nil {
			return err
		}
		_, err := tx.Exec(ctx, `UPDATE messages SET status = 'failed', error_code = $3, error_title = $4, error_details = $5
			WHERE tenant_id = $1 AND id = $2`, r.TenantID, r.MessageID, code, title, details)
		return err
	})
}

// MarkUncertain finds rows whose lease ran out while "sending": the worker
// died between asking Meta and recording the answer. Sending again could
// send twice, so they are not retried: they are marked, on the outbox row
// and on the message, for a person to see (a status webhook carrying the
// message's reference settles them). It returns how many.
func (s *Store) MarkUncertain(ctx context.Context) (int64, error) {
	var n int64
	err := s.InPlatform(ctx, func(tx pgx.Tx) error {
		tag, err := tx.Exec(ctx, `WITH lost AS (
				UPDATE outbox SET state = 'uncertain', last_error = 'no record of Meta''s answer: the message may or may not have been sent'
				WHERE state = 'sending' AND lease_until < now() RETURNING tenant_id, message_id)
			UPDATE messages m SET uncertain = true FROM lost WHERE m.tenant_id = lost.tenant_id AND m.id = lost.message_id`)
		n = tag.RowsAffected()
		return err
	})
	return n, err
}

// OutboxUncertain marks a row whose send may or may not have reached Meta.
func (s *Store) OutboxUncertain(ctx context.Context, r OutboxRow, reason string) error {
	return s.InTenant(ctx, r.TenantID, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `UPDATE outbox SET state = 'uncertain', lease_until = NULL, last_error = $3
			WHERE tenant_id = $1 AND id = $2 AND state = 'sending'`, r.TenantID, r.ID, reason); err != nil {
			return err
		}
		_, err := tx.Exec(ctx, `UPDATE messages SET uncertain = true WHERE tenant_id = $1 AND id = $2`, r.TenantID, r.MessageID)
		return err
	})
}

// MarkNumberDisconnected records that Meta refused a number's token (190):
// sends stop until an administrator replaces it.
func (s *Store) MarkNumberDisconnected(ctx context.Context, tenantID, numberID, reason string) error {
	return s.InTenant(ctx, tenantID, func(tx pgx.Tx) error {
		tag, err := tx.Exec(ctx, `UPDATE numbers SET status = 'disconnected', updated_at = now()
			WHERE tenant_id = $1 AND id = $2 AND status <> 'disconnected'`, tenantID, numberID)
		if err != nil || tag.RowsAffected() == 0 {
			return err
		}
		_, err = tx.Exec(ctx, `INSERT INTO number_events (tenant_id, number_id, field, event, detail, dedupe_key)
			VALUES ($1, $2, 'credentials', 'TOKEN_REFUSED', jsonb_build_object('reason', $3::text), gen_random_uuid()::text)`, tenantID, numberID, reason)
		return err
	})
}

// CreateOutboundMedia records a file uploaded to send (stored in the blob
// store already). Its Meta id is a placeholder until the sender uploads it.
func (s *Store) CreateOutboundMedia(ctx context.Context, m domain.Media) (string, error) {
	var id string
	err := s.InTenant(ctx, m.TenantID, func(tx pgx.Tx) error {
		return tx.QueryRow(ctx, `INSERT INTO media (id, tenant_id, number_id, meta_media_id, mime_type, filename, size, sha256, blob_key, state)
			VALUES ($1, $2, $3, $9, $4, $5, $6, $7, $8, 'stored') RETURNING id`,
			m.ID, m.TenantID, m.NumberID, m.MimeType, m.Filename, m.Size, m.SHA256, m.BlobKey, "local:"+m.ID).Scan(&id)
	})
	return id, err
}

// DeleteUnusedMedia deletes a file uploaded to send that no message uses
// (its send was refused); deleted is false when a message or a keyword
// rule uses it, or it is gone already, or it came from a customer.
func (s *Store) DeleteUnusedMedia(ctx context.Context, tenantID, id string) (bool, error) {
	var deleted bool
	err := s.InTenant(ctx, tenantID, func(tx pgx.Tx) error {
		tag, err := tx.Exec(ctx, `DELETE FROM media md WHERE md.tenant_id = $1 AND md.id = $2 AND md.meta_media_id LIKE 'local:%'
			AND `+mediaUnused, tenantID, id)
		deleted = tag.RowsAffected() == 1
		return err
	})
	return deleted, err
}

// ReconcileByReference settles a message whose send was uncertain when a
// status webhook names it by our reference (biz_opaque_callback_data).
func (t InboundTx) ReconcileByReference(ctx context.Context, tenantID, messageID, wamid string) (bool, error) {
	tag, err := t.tx.Exec(ctx, `UPDATE messages SET wamid = $3, uncertain = false, status = CASE WHEN status = 'queued' THEN 'accepted' ELSE status END
		WHERE tenant_id = $1 AND id = $2 AND wamid IS NULL`, tenantID, messageID, wamid)
	if err != nil || tag.RowsAffected() == 0 {
		return false, err
	}
	_, err = t.tx.Exec(ctx, `UPDATE outbox SET state = 'sent', sent_at = coalesce(sent_at, now()), lease_until = NULL, last_error = ''
		WHERE tenant_id = $1 AND message_id = $2 AND state IN ('sending', 'uncertain')`, tenantID, messageID)
	return err == nil, err
}
