package storage

import (
	"context"
	"time"

	"github.com/jackc/pgx/v5"
)

// APIKey is a tenant's key for the REST API; the key itself is never stored.
type APIKey struct {
	ID         string
	TenantID   string
	Name       string
	Prefix     string // the first characters, to tell keys apart
	CreatedAt  time.Time
	LastUsedAt *time.Time
	RevokedAt  *time.Time
}

// CreateAPIKey stores a key's hash.
func (s *Store) CreateAPIKey(ctx context.Context, actor Actor, tenantID, name, prefix string, hash []byte) (string, error) {
	var id string
	err := s.InTenant(ctx, tenantID, func(tx pgx.Tx) error {
		if err := tx.QueryRow(ctx, `INSERT INTO api_keys (tenant_id, name, prefix, key_hash) VALUES ($1, $2, $3, $4) RETURNING id`,
			tenantID, name, prefix, hash).Scan(&id); err != nil {
			return err
		}
		return audit(ctx, tx, tenantID, actor, "api_key.create", name, map[string]any{"prefix": prefix})
	})
	return id, err
}

// APIKeyByHash finds a live key by its hash, across tenants: the key is what
// tells the tenant. Platform scope. Use is recorded at most once a minute.
func (s *Store) APIKeyByHash(ctx context.Context, hash []byte) (APIKey, error) {
	var k APIKey
	err := s.InPlatform(ctx, func(tx pgx.Tx) error {
		// A suspended tenant's keys stop working with its users' sessions.
		err := tx.QueryRow(ctx, `SELECT k.id, k.tenant_id, k.name, k.prefix, k.created_at, k.last_used_at, k.revoked_at
			FROM api_keys k JOIN tenants t ON t.id = k.tenant_id
			WHERE k.key_hash = $1 AND k.revoked_at IS NULL AND t.status = 'active'`, hash).
			Scan(&k.ID, &k.TenantID, &k.Name, &k.Prefix, &k.CreatedAt, &k.LastUsedAt, &k.RevokedAt)
		if err != nil {
			return notFound(err)
		}
		if k.LastUsedAt == nil || time.Since(*k.LastUsedAt) > time.Minute {
			_, err = tx.Exec(ctx, `UPDATE api_keys SET last_used_at = now() WHERE tenant_id = $1 AND id = $2`, k.TenantID, k.ID)
		}
		return err
	})
	return k, err
}

// ListAPIKeys lists a tenant's keys, newest first.
func (s *Store) ListAPIKeys(ctx context.Context, tenantID string) ([]APIKey, error) {
	var out []APIKey
	err := s.InTenant(ctx, tenantID, func(tx pgx.Tx) error {
		rows, err := tx.Query(ctx, `SELECT id, tenant_id, name, prefix, created_at, last_used_at, revoked_at FROM api_keys
			WHERE tenant_id = $1 ORDER BY created_at DESC`, tenantID)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var k APIKey
			if err := rows.Scan(&k.ID, &k.TenantID, &k.Name, &k.Prefix, &k.CreatedAt, &k.LastUsedAt, &k.RevokedAt); err != nil {
				return err
			}
			out = append(out, k)
		}
		return rows.Err()
	})
	return out, err
}

// RevokeAPIKey revokes one of a tenant's keys.
func (s *Store) RevokeAPIKey(ctx context.Context, actor Actor, tenantID, id string) error {
	return s.InTenant(ctx, tenantID, func(tx pgx.Tx) error {
		var name string
		err := tx.QueryRow(ctx, `UPDATE api_keys SET revoked_at = now() WHERE tenant_id = $1 AND id = $2 AND revoked_at IS NULL
			RETURNING name`, tenantID, id).Scan(&name)
		if err != nil {
			return notFound(err)
		}
		return audit(ctx, tx, tenantID, actor, "api_key.revoke", name, nil)
	})
}
