package storage

import (
	"context"
	"errors"
	"time"

	"github.com/jackc/pgx/v5"
)

// The operator's health page: one function per figure group, each in its own
// platform-scoped transaction. Every query walks an index (a partial index on
// the waiting state, or the primary key over the last hour) so the page stays
// cheap while the platform is busy; none reads messages.

// WebhookHealth are the webhook log's figures.
type WebhookHealth struct {
	Pending       int64
	OldestPending time.Time // zero when nothing waits
	// In the last hour (by received_at), and in the last minute.
	ProcessedHour, FailedHour, AllHour, LastMinute int64
}

// OutboxHealth are the outbox's figures: the backlog (all of it) and what
// ended in the last hour.
type OutboxHealth struct {
	Pending, Sending int64
	OldestQueued     time.Time // zero when nothing is queued
	SentHour         int64
	FailedHour       int64
	UncertainHour    int64
}

// RoutingHealth are the routing commands waiting and each tenant's
// dispatcher lease.
type RoutingHealth struct {
	Waiting       int64
	OldestWaiting time.Time
	Leases        []RoutingLeaseInfo
}

// RoutingLeaseInfo is one tenant's dispatcher lease.
type RoutingLeaseInfo struct {
	Tenant    string
	Holder    string
	ExpiresAt time.Time
}

// MediaHealth are the media files waiting to be fetched from Meta and those
// that could not be.
type MediaHealth struct {
	Pending       int64
	OldestPending time.Time
	Failed        int64
}

// firstIDSince finds the smallest id of table whose time column is at or after
// since, by bisecting the primary key: ids are handed out in arrival order, so
// the time column (a default now()) grows with them, and each step is one
// index lookup instead of a scan of the whole table. table and column are
// constants of this file, never input. ok is false when no row is that recent.
func firstIDSince(ctx context.Context, tx pgx.Tx, table, column string, since time.Time) (id int64, ok bool, err error) {
	var lo, hi *int64
	if err := tx.QueryRow(ctx, `SELECT min(id), max(id) FROM `+table).Scan(&lo, &hi); err != nil {
		return 0, false, err
	}
	if lo == nil {
		return 0, false, nil
	}
	at := func(from int64) (int64, time.Time, error) {
		var id int64
		var t time.Time
		err := tx.QueryRow(ctx, `SELECT id, `+column+` FROM `+table+` WHERE id >= $1 ORDER BY id LIMIT 1`, from).Scan(&id, &t)
		return id, t, err
	}
	_, last, err := at(*hi)
	if err != nil {
		return 0, false, err
	}
	if last.Before(since) {
		return 0, false, nil
	}
	// Invariant: the first row at or after h is recent; rows before l are not.
	l, h := *lo, *hi
	for l < h {
		mid := l + (h-l)/2
		id, t, err := at(mid)
		if errors.Is(err, pgx.ErrNoRows) {
			h = mid
			continue
		} else if err != nil {
			return 0, false, err
		}
		if t.Before(since) {
			l = id + 1
		} else {
			h = mid
		}
	}
	return l, true, nil
}

// WebhookHealth counts the webhook log's waiting events (the pending index)
// and the last hour's outcomes (the primary key from the hour's first event).
func (s *Store) WebhookHealth(ctx context.Context, now time.Time) (WebhookHealth, error) {
	var h WebhookHealth
	err := s.InPlatform(ctx, func(tx pgx.Tx) error {
		if err := tx.QueryRow(ctx, `SELECT count(*) FROM webhook_events WHERE state = 'pending'`).Scan(&h.Pending); err != nil {
			return err
		}
		err := tx.QueryRow(ctx, `SELECT received_at FROM webhook_events WHERE state = 'pending' ORDER BY id LIMIT 1`).Scan(&h.OldestPending)
		if err != nil && !errors.Is(err, pgx.ErrNoRows) {
			return err
		}
		since := now.Add(-time.Hour)
		from, ok, err := firstIDSince(ctx, tx, "webhook_events", "received_at", since)
		if err != nil || !ok {
			return err
		}
		return tx.QueryRow(ctx, `
			SELECT count(*) FILTER (WHERE state = 'processed'), count(*) FILTER (WHERE state = 'failed'), count(*),
			       count(*) FILTER (WHERE received_at >= $3)
			FROM webhook_events WHERE id >= $1 AND received_at >= $2`, from, since, now.Add(-time.Minute)).
			Scan(&h.ProcessedHour, &h.FailedHour, &h.AllHour, &h.LastMinute)
	})
	return h, err
}

// OutboxHealth counts the backlog (the pending and sending partial indexes)
// and the last hour's outcomes among messages queued in that hour.
func (s *Store) OutboxHealth(ctx context.Context, now time.Time) (OutboxHealth, error) {
	var h OutboxHealth
	err := s.InPlatform(ctx, func(tx pgx.Tx) error {
		var oldest *time.Time
		if err := tx.QueryRow(ctx, `SELECT count(*), min(created_at) FROM outbox WHERE state = 'pending'`).Scan(&h.Pending, &oldest); err != nil {
			return err
		}
		if oldest != nil {
			h.OldestQueued = *oldest
		}
		if err := tx.QueryRow(ctx, `SELECT count(*) FROM outbox WHERE state = 'sending'`).Scan(&h.Sending); err != nil {
			return err
		}
		since := now.Add(-time.Hour)
		from, ok, err := firstIDSince(ctx, tx, "outbox", "created_at", since)
		if err != nil || !ok {
			return err
		}
		return tx.QueryRow(ctx, `
			SELECT count(*) FILTER (WHERE state = 'sent'), count(*) FILTER (WHERE state = 'failed'), count(*) FILTER (WHERE state = 'uncertain')
			FROM outbox WHERE id >= $1 AND created_at >= $2`, from, since).Scan(&h.SentHour, &h.FailedHour, &h.UncertainHour)
	})
	return h, err
}

// RoutingHealth counts the routing commands not yet applied (their partial
// index) and lists every tenant's dispatcher lease (one row per tenant).
func (s *Store) RoutingHealth(ctx context.Context) (RoutingHealth, error) {
	var h RoutingHealth
	err := s.InPlatform(ctx, func(tx pgx.Tx) error {
		var oldest *time.Time
		if err := tx.QueryRow(ctx, `SELECT count(*), min(created_at) FROM routing_commands WHERE done_at IS NULL`).Scan(&h.Waiting, &oldest); err != nil {
			return err
		}
		if oldest != nil {
			h.OldestWaiting = *oldest
		}
		rows, err := tx.Query(ctx, `SELECT t.name, l.holder, l.expires_at FROM routing_leases l JOIN tenants t ON t.id = l.tenant_id ORDER BY t.name, t.id`)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var l RoutingLeaseInfo
			if err := rows.Scan(&l.Tenant, &l.Holder, &l.ExpiresAt); err != nil {
				return err
			}
			h.Leases = append(h.Leases, l)
		}
		return rows.Err()
	})
	return h, err
}

// MediaHealth counts media waiting to be fetched (the pending index) and
// those that failed. The failed count reads the media table (one row per
// file, not per message); it has no index of its own.
func (s *Store) MediaHealth(ctx context.Context) (MediaHealth, error) {
	var h MediaHealth
	err := s.InPlatform(ctx, func(tx pgx.Tx) error {
		var oldest *time.Time
		if err := tx.QueryRow(ctx, `SELECT count(*), min(created_at) FROM media WHERE state = 'pending'`).Scan(&h.Pending, &oldest); err != nil {
			return err
		}
		if oldest != nil {
			h.OldestPending = *oldest
		}
		return tx.QueryRow(ctx, `SELECT count(*) FROM media WHERE state = 'failed'`).Scan(&h.Failed)
	})
	return h, err
}
