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

// WebhookBatch is what ProcessWebhookEvents did with the events it claimed.
type WebhookBatch struct {
	Claimed int     // events claimed; 0 when none was pending
	Applied []int64 // committed with their new state, in id order
	Left    []int64 // fn returned an error: rolled back to their savepoint, still pending
}

// ProcessWebhookEvents is ProcessWebhookEvent for up to limit events in one
// transaction: one commit (one WAL flush) for the lot instead of one each,
// which is what bounds the processor. It claims the oldest pending events
// (SKIP LOCKED, as the one-event path does), runs fn for each in id order,
// each under its own savepoint, and stops starting new ones once budget
// has passed, so a batch never holds its first event long; those it did not
// start stay pending, unlocked at commit. It takes what is pending and never
// waits for more.
//
// An event whose fn returns an error is rolled back to its savepoint (its
// rows, its agent numbers and its scope go with it) and left pending and
// untouched, in Left, for the caller's one-event path to count and retry;
// the others commit. The batch as a whole fails (nothing applied) only when
// the transaction itself does: the claim, a savepoint, the final update or
// the commit.
func (s *Store) ProcessWebhookEvents(ctx context.Context, limit int, budget time.Duration, fn func(tx pgx.Tx, ev WebhookEvent) (string, error)) (WebhookBatch, error) {
	var b WebhookBatch
	err := s.InPlatform(ctx, func(tx pgx.Tx) error {
		rows, err := tx.Query(ctx, `SELECT id, coalesce(app_id::text, ''), sandbox, body, received_at, attempts FROM webhook_events
			WHERE state = 'pending' ORDER BY id LIMIT $1 FOR UPDATE SKIP LOCKED`, limit)
		if err != nil {
			return err
		}
		var evs []WebhookEvent
		for rows.Next() {
			var ev WebhookEvent
			if err := rows.Scan(&ev.ID, &ev.AppID, &ev.Sandbox, &ev.Body, &ev.ReceivedAt, &ev.Attempts); err != nil {
				rows.Close()
				return err
			}
			evs = append(evs, ev)
		}
		if err := rows.Err(); err != nil {
			return err
		}
		b.Claimed = len(evs)
		start := time.Now()
		ids := make([]int64, 0, len(evs))
		states := make([]string, 0, len(evs))
		reasons := make([]string, 0, len(evs))
		// The previous event's savepoint is released in the same round trip
		// as the next one is taken: an event costs a dozen statements, and
		// on a busy machine each one's wait for a CPU counts.
		release := ""
		for i, ev := range evs {
			if i > 0 && time.Since(start) >= budget {
				break
			}
			// Every event starts in platform scope, whatever the previous
			// one narrowed it to (a released savepoint keeps its settings).
			if _, err := tx.Exec(ctx, release+`SELECT set_config('app.tenant_id', '', true), set_config('app.platform', 'on', true);
				SAVEPOINT webhook_event`); err != nil {
				return err
			}
			release = ""
			reason, err := fn(tx, ev)
			if err != nil {
				if ctx.Err() != nil {
					return err
				}
				if _, err := tx.Exec(ctx, `ROLLBACK TO SAVEPOINT webhook_event; RELEASE SAVEPOINT webhook_event`); err != nil {
					return err
				}
				b.Left = append(b.Left, ev.ID)
				continue
			}
			release = `RELEASE SAVEPOINT webhook_event; `
			state := "processed"
			if reason != "" {
				state = "failed"
			}
			ids, states, reasons = append(ids, ev.ID), append(states, state), append(reasons, reason)
		}
		if len(ids) == 0 {
			return nil
		}
		// The event log is the platform's: widen the scope for the update.
		if _, err := tx.Exec(ctx, release+`SELECT set_config('app.tenant_id', '', true), set_config('app.platform', 'on', true)`); err != nil {
			return err
		}
		_, err = tx.Exec(ctx, `UPDATE webhook_events w SET state = u.state, reason = u.reason, attempts = w.attempts + 1, processed_at = now()
			FROM unnest($1::bigint[], $2::text[], $3::text[]) AS u(id, state, reason)
			WHERE w.id = u.id`, ids, states, reasons)
		if err == nil {
			b.Applied = ids
		}
		return err
	})
	if err != nil {
		return WebhookBatch{Claimed: b.Claimed}, err
	}
	return b, nil
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
