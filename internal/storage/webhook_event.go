package storage

import (
	"context"
	"time"

	"github.com/jackc/pgx/v5"
)

// WebhookEvent is one stored POST from Meta.
type WebhookEvent struct {
	ID          int64
	AppID       string
	Sandbox     bool
	Body        []byte // when claimed for processing
	Size        int    // in listings
	ReceivedAt  time.Time
	State       string
	Reason      string
	Attempts    int
	ProcessedAt *time.Time
}

// InsertWebhookEvent stores a verified POST body as it arrived. It is one
// statement in autocommit, so it is durable when this returns: only then
// does Meta get its 200. (No RETURNING: row-level security lets ingest
// insert into the platform's log, not read it.)
func (s *Store) InsertWebhookEvent(ctx context.Context, appID string, sandbox bool, body []byte) error {
	_, err := s.pool.Exec(ctx, `INSERT INTO webhook_events (app_id, sandbox, body) VALUES (nullif($1, '')::uuid, $2, $3)`,
		appID, sandbox, body)
	return err
}

// ProcessWebhookEvent claims the oldest pending event (skipping those other
// workers hold) and runs fn in the same transaction, so an event's effects
// and its new state commit together: an event is applied once, even across
// instances and crashes. It reports false when nothing is pending. fn
// returns the event's outcome: "" for processed, else the reason it failed.
func (s *Store) ProcessWebhookEvent(ctx context.Context, fn func(tx pgx.Tx, ev WebhookEvent) (string, error)) (bool, error) {
	found := false
	err := s.InPlatform(ctx, func(tx pgx.Tx) error {
		var ev WebhookEvent
		err := tx.QueryRow(ctx, `SELECT id, coalesce(app_id::text, ''), sandbox, body, received_at, attempts FROM webhook_events
			WHERE state = 'pending' ORDER BY id LIMIT 1 FOR UPDATE SKIP LOCKED`).
			Scan(&ev.ID, &ev.AppID, &ev.Sandbox, &ev.Body, &ev.ReceivedAt, &ev.Attempts)
		if err == pgx.ErrNoRows {
			return nil
		}
		if err != nil {
			return err
		}
		found = true
		reason, err := fn(tx, ev)
		if err != nil {
			return err
		}
		state := "processed"
		if reason != "" {
			state = "failed"
		}
		// fn may have narrowed the scope to a tenant; the event log is the
		// platform's, so widen it again for the final update.
		if _, err := tx.Exec(ctx, `SELECT set_config('app.platform', 'on', true)`); err != nil {
			return err
		}
		_, err = tx.Exec(ctx, `UPDATE webhook_events SET state = $2, reason = $3, attempts = attempts + 1, processed_at = now()
			WHERE id = $1`, ev.ID, state, reason)
		return err
	})
	return found, err
}

// ListWebhookEvents lists events in a state, newest first (operator console).
func (s *Store) ListWebhookEvents(ctx context.Context, state string, limit int) ([]WebhookEvent, error) {
	var out []WebhookEvent
	err := s.InPlatform(ctx, func(tx pgx.Tx) error {
		// The bodies stay in the database (up to 3 MB each): the listing
		// needs only their size.
		rows, err := tx.Query(ctx, `SELECT id, coalesce(app_id::text, ''), sandbox, octet_length(body), received_at, state, reason, attempts, processed_at
			FROM webhook_events WHERE state = $1 ORDER BY id DESC LIMIT $2`, state, limit)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var e WebhookEvent
			if err := rows.Scan(&e.ID, &e.AppID, &e.Sandbox, &e.Size, &e.ReceivedAt, &e.State, &e.Reason, &e.Attempts, &e.ProcessedAt); err != nil {
				return err
			}
			out = append(out, e)
		}
		return rows.Err()
	})
	return out, err
}

// ReplayWebhookEvents puts failed events back in the queue: one by id, or
// every failed event received since a time. Processing is idempotent, so a
// replay never duplicates what was already applied. It returns how many.
func (s *Store) ReplayWebhookEvents(ctx context.Context, actor Actor, id int64, since time.Time) (int64, error) {
	var n int64
	err := s.InPlatform(ctx, func(tx pgx.Tx) error {
		var tag interface{ RowsAffected() int64 }
		var err error
		if id > 0 {
			tag, err = tx.Exec(ctx, `UPDATE webhook_events SET state = 'pending' WHERE id = $1 AND state = 'failed'`, id)
		} else {
			tag, err = tx.Exec(ctx, `UPDATE webhook_events SET state = 'pending' WHERE state = 'failed' AND received_at >= $1`, since)
		}
		if err != nil {
			return err
		}
		n = tag.RowsAffected()
		return audit(ctx, tx, "", actor, "webhooks.replay", "", map[string]any{"id": id, "since": since, "count": n})
	})
	return n, err
}

// CountWebhookEvents counts events by state (operator console).
func (s *Store) CountWebhookEvents(ctx context.Context) (map[string]int64, error) {
	out := map[string]int64{}
	err := s.InPlatform(ctx, func(tx pgx.Tx) error {
		rows, err := tx.Query(ctx, `SELECT state, count(*) FROM webhook_events GROUP BY state`)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var st string
			var c int64
			if err := rows.Scan(&st, &c); err != nil {
				return err
			}
			out[st] = c
		}
		return rows.Err()
	})
	return out, err
}

// FailWebhookEvent sets an event aside as failed with a reason, outside the
// transaction that could not apply it.
func (s *Store) FailWebhookEvent(ctx context.Context, id int64, reason string) error {
	return s.InPlatform(ctx, func(tx pgx.Tx) error {
		_, err := tx.Exec(ctx, `UPDATE webhook_events SET state = 'failed', reason = $2, attempts = attempts + 1, processed_at = now()
			WHERE id = $1`, id, reason)
		return err
	})
}

// CountWebhookAttempt records a failed attempt that left an event pending.
func (s *Store) CountWebhookAttempt(ctx context.Context, id int64) error {
	return s.InPlatform(ctx, func(tx pgx.Tx) error {
		_, err := tx.Exec(ctx, `UPDATE webhook_events SET attempts = attempts + 1 WHERE id = $1`, id)
		return err
	})
}
