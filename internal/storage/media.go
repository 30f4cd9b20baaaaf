package storage

import (
	"context"
	"time"

	"github.com/jackc/pgx/v5"

	"switchboard/internal/domain"
)

// ClaimMedia takes the next media object due for fetching and leases it for
// lease: another worker will not take it meanwhile, and if this one dies the
// lease runs out and the object is tried again. Platform scope: the fetcher
// serves every tenant.
func (s *Store) ClaimMedia(ctx context.Context, lease time.Duration) (domain.Media, domain.Number, bool, error) {
	var m domain.Media
	var n domain.Number
	found := false
	err := s.InPlatform(ctx, func(tx pgx.Tx) error {
		err := tx.QueryRow(ctx, `UPDATE media SET next_attempt_at = now() + $1::interval, attempts = attempts + 1
			WHERE id = (SELECT id FROM media WHERE state = 'pending' AND next_attempt_at <= now()
			            ORDER BY next_attempt_at LIMIT 1 FOR UPDATE SKIP LOCKED)
			RETURNING id, tenant_id, number_id, meta_media_id, url, mime_type, filename, sha256, attempts`,
			lease.String()).Scan(&m.ID, &m.TenantID, &m.NumberID, &m.MetaMediaID, &m.URL, &m.MimeType, &m.Filename, &m.SHA256, &m.Attempts)
		if err == pgx.ErrNoRows {
			return nil
		}
		if err != nil {
			return err
		}
		found = true
		n, err = scanNumber(tx.QueryRow(ctx, `SELECT `+numberColumns+numberFrom+` WHERE n.tenant_id = $1 AND n.id = $2`, m.TenantID, m.NumberID))
		return err
	})
	return m, n, found, err
}

// MediaStored records a fetched file. The agents holding the conversations
// of the messages that carry it are told (the message changed: its
// placeholder becomes the file), in the same transaction; the events are
// returned to be published after commit.
func (s *Store) MediaStored(ctx context.Context, tenantID, id, blobKey, mimeType string, size int64) ([]AgentEvent, error) {
	var told []AgentEvent
	err := s.InTenant(ctx, tenantID, func(tx pgx.Tx) error {
		_, err := tx.Exec(ctx, `UPDATE media SET state = 'stored', blob_key = $3, size = $4,
				mime_type = CASE WHEN mime_type = '' THEN $5 ELSE mime_type END, last_error = ''
			WHERE tenant_id = $1 AND id = $2`, tenantID, id, blobKey, size, mimeType)
		if err != nil {
			return err
		}
		told, err = tellAboutMedia(ctx, tx, tenantID, id)
		return err
	})
	return told, err
}

// MediaFailed records a failed attempt: retried at retryAt, or given up
// when retryAt is zero (the agents holding its messages are then told, as
// by MediaStored: the placeholder says it could not be downloaded).
func (s *Store) MediaFailed(ctx context.Context, tenantID, id, reason string, retryAt time.Time) ([]AgentEvent, error) {
	var told []AgentEvent
	err := s.InTenant(ctx, tenantID, func(tx pgx.Tx) error {
		state := "pending"
		if retryAt.IsZero() {
			state, retryAt = "failed", time.Now()
		}
		_, err := tx.Exec(ctx, `UPDATE media SET state = $3, last_error = $4, next_attempt_at = $5 WHERE tenant_id = $1 AND id = $2`,
			tenantID, id, state, reason, retryAt)
		if err != nil || state != "failed" {
			return err
		}
		told, err = tellAboutMedia(ctx, tx, tenantID, id)
		return err
	})
	return told, err
}

// tellAboutMedia tells the agent holding each conversation with a message
// carrying the media that the message changed (AgentStatus); nobody is told
// while a conversation waits.
func tellAboutMedia(ctx context.Context, tx pgx.Tx, tenantID, mediaID string) ([]AgentEvent, error) {
	rows, err := tx.Query(ctx, `SELECT c.assigned_agent_id, m.conversation_id, m.id FROM messages m
		JOIN conversations c ON c.tenant_id = m.tenant_id AND c.id = m.conversation_id
		WHERE m.tenant_id = $1 AND m.media_id = $2 AND c.status = 'assigned' AND c.assigned_agent_id IS NOT NULL`, tenantID, mediaID)
	if err != nil {
		return nil, err
	}
	var events []AgentEvent
	for rows.Next() {
		e := AgentEvent{TenantID: tenantID, Kind: AgentStatus}
		if err := rows.Scan(&e.AgentID, &e.ConversationID, &e.MessageID); err != nil {
			rows.Close()
			return nil, err
		}
		events = append(events, e)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	for i := range events {
		if events[i], err = tellAgent(ctx, tx, events[i]); err != nil {
			return nil, err
		}
	}
	return events, nil
}

// Media returns one of a tenant's media objects.
func (s *Store) Media(ctx context.Context, tenantID, id string) (domain.Media, error) {
	var m domain.Media
	err := s.InTenant(ctx, tenantID, func(tx pgx.Tx) error {
		return notFound(tx.QueryRow(ctx, `SELECT id, tenant_id, number_id, meta_media_id, url, mime_type, filename, size, sha256,
				blob_key, state, attempts, last_error FROM media WHERE tenant_id = $1 AND id = $2`, tenantID, id).
			Scan(&m.ID, &m.TenantID, &m.NumberID, &m.MetaMediaID, &m.URL, &m.MimeType, &m.Filename, &m.Size, &m.SHA256,
				&m.BlobKey, &m.State, &m.Attempts, &m.LastError))
	})
	return m, err
}
