package storage

import (
	"context"
	"time"

	"github.com/jackc/pgx/v5"
)

// Data retention: a tenant that keeps messages for N days has older
// messages, their statuses and the media no kept message carries deleted
// by the daily job (internal/retention). The store deletes rows; the job
// deletes the files after the rows are gone, so a file is never missing for
// a row that is still there.

// RetentionTenant is a tenant that keeps its messages for Days days.
type RetentionTenant struct {
	ID   string
	Days int
}

// RetentionTenants lists the tenants with a retention period (not 0).
// Platform scope: the job serves every tenant.
func (s *Store) RetentionTenants(ctx context.Context) ([]RetentionTenant, error) {
	var out []RetentionTenant
	err := s.InPlatform(ctx, func(tx pgx.Tx) error {
		rows, err := tx.Query(ctx, `SELECT id, retention_days FROM tenants WHERE retention_days > 0 ORDER BY id`)
		if err != nil {
			return err
		}
		out, err = pgx.CollectRows(rows, func(r pgx.CollectableRow) (RetentionTenant, error) {
			var t RetentionTenant
			err := r.Scan(&t.ID, &t.Days)
			return t, err
		})
		return err
	})
	return out, err
}

// ClaimRetentionRun records that this caller runs the tenant's retention
// now, unless a run started less than every ago: it reports whether the
// caller won. Two instances claiming at once serialise on the row, and the
// second sees the first's time, so one instance runs it.
func (s *Store) ClaimRetentionRun(ctx context.Context, tenantID string, now time.Time, every time.Duration) (bool, error) {
	won := false
	err := s.InTenant(ctx, tenantID, func(tx pgx.Tx) error {
		var id string
		err := tx.QueryRow(ctx, `INSERT INTO retention_runs (tenant_id, ran_at) VALUES ($1, $2)
			ON CONFLICT (tenant_id) DO UPDATE SET ran_at = EXCLUDED.ran_at, messages = 0, media = 0
			WHERE retention_runs.ran_at <= $2::timestamptz - $3::interval
			RETURNING tenant_id`, tenantID, now, every.String()).Scan(&id)
		if err == pgx.ErrNoRows {
			return nil
		}
		won = err == nil
		return err
	})
	return won, err
}

// RetentionRan adds what a run deleted to its record.
func (s *Store) RetentionRan(ctx context.Context, tenantID string, messages, media int) error {
	return s.InTenant(ctx, tenantID, func(tx pgx.Tx) error {
		_, err := tx.Exec(ctx, `UPDATE retention_runs SET messages = messages + $2, media = media + $3 WHERE tenant_id = $1`,
			tenantID, messages, media)
		return err
	})
}

// DeleteOldMessages deletes up to limit of a tenant's messages stored
// before cutoff (with their outbox rows and the statuses of before cutoff),
// then up to limit media stored before cutoff that no remaining message
// carries and no keyword rule answers with. It returns how many of each went and the blob keys of the
// deleted media, for the caller to delete once this has committed. Rows
// another transaction holds (the fetcher downloading a file) are skipped:
// the next batch or day takes them.
func (s *Store) DeleteOldMessages(ctx context.Context, tenantID string, cutoff time.Time, limit int) (messages, media int, blobKeys []string, err error) {
	err = s.InTenant(ctx, tenantID, func(tx pgx.Tx) error {
		tag, err := tx.Exec(ctx, `DELETE FROM messages WHERE tenant_id = $1 AND id IN (
				SELECT id FROM messages WHERE tenant_id = $1 AND created_at < $2 LIMIT $3 FOR UPDATE SKIP LOCKED)`,
			tenantID, cutoff, limit)
		if err != nil {
			return err
		}
		messages = int(tag.RowsAffected())
		if _, err := tx.Exec(ctx, `DELETE FROM message_statuses WHERE tenant_id = $1 AND created_at < $2`, tenantID, cutoff); err != nil {
			return err
		}
		rows, err := tx.Query(ctx, `DELETE FROM media WHERE tenant_id = $1 AND id IN (
				SELECT md.id FROM media md WHERE md.tenant_id = $1 AND md.created_at < $2
				  AND `+mediaUnused+`
				LIMIT $3 FOR UPDATE SKIP LOCKED)
			RETURNING blob_key`, tenantID, cutoff, limit)
		if err != nil {
			return err
		}
		keys, err := pgx.CollectRows(rows, pgx.RowTo[string])
		if err != nil {
			return err
		}
		media = len(keys)
		for _, k := range keys {
			if k != "" {
				blobKeys = append(blobKeys, k)
			}
		}
		return nil
	})
	return messages, media, blobKeys, err
}
