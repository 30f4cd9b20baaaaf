package storage

import (
	"context"

	"github.com/jackc/pgx/v5"

	"switchboard/internal/domain"
)

// Actor is who performs an administrative action, for the audit log. The CLI
// acts with an empty UserID and Email "cli".
type Actor struct {
	UserID string
	Email  string
	IP     string
}

// audit appends one entry inside the caller's transaction, so the log never
// records an action that did not happen, nor misses one that did. An empty
// tenantID records a platform action.
func audit(ctx context.Context, tx pgx.Tx, tenantID string, a Actor, action, target string, detail map[string]any) error {
	if detail == nil {
		detail = map[string]any{}
	}
	_, err := tx.Exec(ctx, `INSERT INTO audit_log (tenant_id, actor_id, actor_email, action, target, detail, ip)
		VALUES (nullif($1, '')::uuid, nullif($2, '')::uuid, $3, $4, $5, $6, $7)`,
		tenantID, a.UserID, a.Email, action, target, detail, a.IP)
	return err
}

// ListAudit returns a tenant's most recent audit entries, newest first.
func (s *Store) ListAudit(ctx context.Context, tenantID string, limit int) ([]domain.AuditEntry, error) {
	var out []domain.AuditEntry
	err := s.InTenant(ctx, tenantID, func(tx pgx.Tx) error {
		rows, err := tx.Query(ctx, `SELECT id, coalesce(tenant_id::text, ''), coalesce(actor_id::text, ''),
				actor_email, action, target, detail, ip, created_at
			FROM audit_log WHERE tenant_id = $1 ORDER BY created_at DESC, id DESC LIMIT $2`, tenantID, limit)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var e domain.AuditEntry
			if err := rows.Scan(&e.ID, &e.TenantID, &e.ActorID, &e.ActorEmail, &e.Action, &e.Target, &e.Detail, &e.IP, &e.CreatedAt); err != nil {
				return err
			}
			out = append(out, e)
		}
		return rows.Err()
	})
	return out, err
}
