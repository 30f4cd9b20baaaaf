package storage

import (
	"context"
	"errors"
	"time"

	"github.com/jackc/pgx/v5"
)

// A routing lease makes one instance the dispatcher of a tenant. Leases are
// taken in platform scope (a coordinator looks after every tenant) and
// checked in tenant scope by every dispatcher write (InRouting).

// RoutingTenants lists the active tenants, whose queues need a dispatcher.
func (s *Store) RoutingTenants(ctx context.Context) ([]string, error) {
	var ids []string
	err := s.InPlatform(ctx, func(tx pgx.Tx) error {
		rows, err := tx.Query(ctx, `SELECT id FROM tenants WHERE status = 'active' ORDER BY id`)
		if err != nil {
			return err
		}
		ids, err = pgx.CollectRows(rows, pgx.RowTo[string])
		return err
	})
	return ids, err
}

// AcquireRoutingLease takes the tenant's lease for holder when it is free or
// expired, with an epoch above every earlier one; ok is false when another
// holder's lease is still running.
func (s *Store) AcquireRoutingLease(ctx context.Context, tenantID, holder string, ttl time.Duration) (epoch int64, ok bool, err error) {
	err = s.InPlatform(ctx, func(tx pgx.Tx) error {
		err := tx.QueryRow(ctx, `INSERT INTO routing_leases (tenant_id, holder, epoch, expires_at)
			VALUES ($1, $2, 1, now() + make_interval(secs => $3))
			ON CONFLICT (tenant_id) DO UPDATE SET holder = excluded.holder, epoch = routing_leases.epoch + 1,
				expires_at = excluded.expires_at
			WHERE routing_leases.expires_at <= now()
			RETURNING epoch`, tenantID, holder, ttl.Seconds()).Scan(&epoch)
		if errors.Is(err, pgx.ErrNoRows) {
			return nil
		}
		ok = err == nil
		return err
	})
	return epoch, ok, err
}

// RenewRoutingLease extends a lease its holder still has; false means it
// was lost (expired and taken over).
func (s *Store) RenewRoutingLease(ctx context.Context, tenantID, holder string, epoch int64, ttl time.Duration) (bool, error) {
	var n int64
	err := s.InPlatform(ctx, func(tx pgx.Tx) error {
		tag, err := tx.Exec(ctx, `UPDATE routing_leases SET expires_at = now() + make_interval(secs => $4)
			WHERE tenant_id = $1 AND holder = $2 AND epoch = $3 AND expires_at > now()`, tenantID, holder, epoch, ttl.Seconds())
		n = tag.RowsAffected()
		return err
	})
	return n == 1, err
}

// ReleaseRoutingLease ends a lease at once (a clean shutdown), so another
// instance takes over without waiting for it to expire.
func (s *Store) ReleaseRoutingLease(ctx context.Context, tenantID, holder string, epoch int64) error {
	return s.InPlatform(ctx, func(tx pgx.Tx) error {
		_, err := tx.Exec(ctx, `UPDATE routing_leases SET expires_at = now() WHERE tenant_id = $1 AND holder = $2 AND epoch = $3`,
			tenantID, holder, epoch)
		return err
	})
}
