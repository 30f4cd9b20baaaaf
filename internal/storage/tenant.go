package storage

import (
	"context"

	"github.com/jackc/pgx/v5"

	"switchboard/internal/domain"
)

const tenantColumns = `t.id, t.name, t.slug, t.plan_id, p.name, t.status, t.created_at`

func scanTenant(row pgx.Row, extra ...any) (domain.Tenant, error) {
	var t domain.Tenant
	dest := append([]any{&t.ID, &t.Name, &t.Slug, &t.PlanID, &t.PlanName, &t.Status, &t.CreatedAt}, extra...)
	err := row.Scan(dest...)
	return t, notFound(err)
}

// NewTenant is what creating a tenant needs: the company and its first
// administrator.
type NewTenant struct {
	Name, Slug, PlanID string
	Admin              domain.User // Email, Name, PasswordHash
}

// CreateTenant inserts a tenant and its first administrator in one
// transaction, and audits it. A taken slug or e-mail is ErrConflict and
// leaves nothing behind.
func (s *Store) CreateTenant(ctx context.Context, actor Actor, nt NewTenant) (domain.Tenant, error) {
	var t domain.Tenant
	err := s.InPlatform(ctx, func(tx pgx.Tx) error {
		var err error
		t, err = scanTenant(tx.QueryRow(ctx, `
			WITH t AS (
				INSERT INTO tenants (name, slug, plan_id) VALUES ($1, $2, $3)
				RETURNING id, name, slug, plan_id, status, created_at)
			SELECT `+tenantColumns+` FROM t JOIN plans p ON p.id = t.plan_id`, nt.Name, nt.Slug, nt.PlanID))
		if isUniqueViolation(err) {
			return ErrConflict
		}
		if err != nil {
			return err
		}
		admin := nt.Admin
		admin.TenantID, admin.Role = t.ID, domain.RoleAdmin
		if _, err := insertUser(ctx, tx, admin); err != nil {
			return err
		}
		return audit(ctx, tx, t.ID, actor, "tenant.create", t.Slug, map[string]any{"name": t.Name, "admin": admin.Email})
	})
	return t, err
}

// TenantBySlug finds a tenant by its slug.
func (s *Store) TenantBySlug(ctx context.Context, slug string) (domain.Tenant, error) {
	var t domain.Tenant
	err := s.InPlatform(ctx, func(tx pgx.Tx) error {
		var err error
		t, err = scanTenant(tx.QueryRow(ctx, `SELECT `+tenantColumns+`
			FROM tenants t JOIN plans p ON p.id = t.plan_id WHERE t.slug = $1`, slug))
		return err
	})
	return t, err
}

// Tenant returns the tenant itself, seen from inside it.
func (s *Store) Tenant(ctx context.Context, tenantID string) (domain.Tenant, error) {
	var t domain.Tenant
	err := s.InTenant(ctx, tenantID, func(tx pgx.Tx) error {
		var err error
		t, err = scanTenant(tx.QueryRow(ctx, `SELECT `+tenantColumns+`
			FROM tenants t JOIN plans p ON p.id = t.plan_id WHERE t.id = $1`, tenantID))
		return err
	})
	return t, err
}

// ListTenants lists every tenant with its number of users (operator console).
func (s *Store) ListTenants(ctx context.Context) ([]domain.Tenant, error) {
	var out []domain.Tenant
	err := s.InPlatform(ctx, func(tx pgx.Tx) error {
		rows, err := tx.Query(ctx, `SELECT `+tenantColumns+`,
				(SELECT count(*) FROM users u WHERE u.tenant_id = t.id)
			FROM tenants t JOIN plans p ON p.id = t.plan_id ORDER BY t.name, t.slug`)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var users int
			t, err := scanTenant(rows, &users)
			if err != nil {
				return err
			}
			t.Users = users
			out = append(out, t)
		}
		return rows.Err()
	})
	return out, err
}

// SetTenantStatus suspends or reactivates a tenant. Suspending also ends
// every session of its users at once.
func (s *Store) SetTenantStatus(ctx context.Context, actor Actor, tenantID, status string) error {
	return s.InPlatform(ctx, func(tx pgx.Tx) error {
		var slug string
		err := tx.QueryRow(ctx, `UPDATE tenants SET status = $2, updated_at = now()
			WHERE id = $1 RETURNING slug`, tenantID, status).Scan(&slug)
		if err != nil {
			return notFound(err)
		}
		if status == domain.TenantSuspended {
			if _, err := tx.Exec(ctx, `DELETE FROM sessions WHERE tenant_id = $1`, tenantID); err != nil {
				return err
			}
		}
		return audit(ctx, tx, tenantID, actor, "tenant."+status, slug, nil)
	})
}
