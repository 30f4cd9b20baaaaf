package storage

import (
	"context"
	"time"

	"github.com/jackc/pgx/v5"
)

// Uploads of our files to Meta (media_uploads, migrations/000018): one per
// file and sending number, reused while younger than the sender's limit
// (Meta forgets an uploaded file after 30 days).

// FreshUpload returns Meta's id for the file as uploaded through the
// number less than maxAge ago, or "" when it must be uploaded (again).
func (s *Store) FreshUpload(ctx context.Context, tenantID, mediaID, numberID string, maxAge time.Duration) (string, error) {
	var metaID string
	err := s.InTenant(ctx, tenantID, func(tx pgx.Tx) error {
		err := tx.QueryRow(ctx, `SELECT meta_media_id FROM media_uploads
			WHERE tenant_id = $1 AND media_id = $2 AND number_id = $3 AND uploaded_at > now() - make_interval(secs => $4)`,
			tenantID, mediaID, numberID, maxAge.Seconds()).Scan(&metaID)
		if err == pgx.ErrNoRows {
			return nil
		}
		return err
	})
	return metaID, err
}

// RecordUpload remembers the id Meta gave the file uploaded through the
// number. The media row keeps the first one, which also marks the file as
// sent (DeleteUnusedMedia leaves it alone).
func (s *Store) RecordUpload(ctx context.Context, tenantID, mediaID, numberID, metaID string) error {
	return s.InTenant(ctx, tenantID, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `INSERT INTO media_uploads (tenant_id, media_id, number_id, meta_media_id) VALUES ($1, $2, $3, $4)
			ON CONFLICT (media_id, number_id) DO UPDATE SET meta_media_id = excluded.meta_media_id, uploaded_at = now()`,
			tenantID, mediaID, numberID, metaID); err != nil {
			return err
		}
		_, err := tx.Exec(ctx, `UPDATE media SET meta_media_id = $3 WHERE tenant_id = $1 AND id = $2 AND meta_media_id LIKE 'local:%'`,
			tenantID, mediaID, metaID)
		return err
	})
}

// ForgetUpload drops an upload Meta no longer knows (it refused metaID), so
// the next send uploads the file again; a newer upload recorded meanwhile
// stays.
func (s *Store) ForgetUpload(ctx context.Context, tenantID, mediaID, numberID, metaID string) error {
	return s.InTenant(ctx, tenantID, func(tx pgx.Tx) error {
		_, err := tx.Exec(ctx, `DELETE FROM media_uploads WHERE tenant_id = $1 AND media_id = $2 AND number_id = $3 AND meta_media_id = $4`,
			tenantID, mediaID, numberID, metaID)
		return err
	})
}

// ReleaseMedia deletes a file we stored to send once nothing uses it: no
// message carries it and no keyword rule answers with it. It returns the
// blob key to delete after this has committed, "" when the file stays.
// The row is locked first, so a message or rule being written with it
// (which holds a key-share lock on it) commits before the references are
// counted, in a statement of their own that sees it.
func (s *Store) ReleaseMedia(ctx context.Context, tenantID, id string) (blobKey string, err error) {
	err = s.InTenant(ctx, tenantID, func(tx pgx.Tx) error {
		var locked bool
		err := tx.QueryRow(ctx, `SELECT true FROM media WHERE tenant_id = $1 AND id = $2 FOR UPDATE`, tenantID, id).Scan(&locked)
		if err == pgx.ErrNoRows {
			return nil
		} else if err != nil {
			return err
		}
		err = tx.QueryRow(ctx, `DELETE FROM media md WHERE md.tenant_id = $1 AND md.id = $2
				AND `+mediaUnused+`
			RETURNING blob_key`, tenantID, id).Scan(&blobKey)
		if err == pgx.ErrNoRows {
			return nil
		}
		return err
	})
	return blobKey, err
}
