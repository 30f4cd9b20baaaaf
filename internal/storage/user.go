package storage

import (
	"context"

	"github.com/jackc/pgx/v5"

	"switchboard/internal/domain"
)

const userColumns = `u.id, coalesce(u.tenant_id::text, ''), u.email, u.name, u.role, u.password_hash,
	coalesce(u.language, ''), u.active, u.created_at`

func scanUser(row pgx.Row, extra ...any) (domain.User, error) {
	var u domain.User
	dest := append([]any{&u.ID, &u.TenantID, &u.Email, &u.Name, &u.Role, &u.PasswordHash, &u.Language, &u.Active, &u.CreatedAt}, extra...)
	return u, notFound(row.Scan(dest...))
}

func insertUser(ctx context.Context, tx pgx.Tx, u domain.User) (string, error) {
	var id string
	err := tx.QueryRow(ctx, `INSERT INTO users (tenant_id, email, name, role, password_hash, language)
		VALUES (nullif($1, '')::uuid, $2, $3, $4, $5, nullif($6, '')) RETURNING id`,
		u.TenantID, u.Email, u.Name, u.Role, u.PasswordHash, u.Language).Scan(&id)
	if isUniqueViolation(err) {
		return "", ErrConflict
	}
	return id, err
}

// inUserScope runs fn for a user's own rows: in their tenant, or in platform
// scope for an operator (who has no tenant). Callers filter on user_id too.
func (s *Store) inUserScope(ctx context.Context, tenantID string, fn func(pgx.Tx) error) error {
	if tenantID == "" {
		return s.InPlatform(ctx, fn)
	}
	return s.InTenant(ctx, tenantID, fn)
}

// CreateUser adds a user to u.TenantID (or an operator when it is empty); a
// taken e-mail is ErrConflict.
func (s *Store) CreateUser(ctx context.Context, actor Actor, u domain.User) (string, error) {
	var id string
	err := s.inUserScope(ctx, u.TenantID, func(tx pgx.Tx) error {
		var err error
		if id, err = insertUser(ctx, tx, u); err != nil {
			return err
		}
		return audit(ctx, tx, u.TenantID, actor, "user.create", u.Email, map[string]any{"role": u.Role})
	})
	return id, err
}

// UserForSignIn finds a user by e-mail across the platform, with the status
// of their tenant ("" for operators). Sign-in is the one place that must look
// before the tenant is known.
func (s *Store) UserForSignIn(ctx context.Context, email string) (domain.User, string, error) {
	var u domain.User
	var status string
	err := s.InPlatform(ctx, func(tx pgx.Tx) error {
		var err error
		u, err = scanUser(tx.QueryRow(ctx, `SELECT `+userColumns+`, coalesce(t.status, '')
			FROM users u LEFT JOIN tenants t ON t.id = u.tenant_id WHERE u.email = $1`, email), &status)
		return err
	})
	return u, status, err
}

// User returns one user of a tenant (operators: tenantID "").
func (s *Store) User(ctx context.Context, tenantID, userID string) (domain.User, error) {
	var u domain.User
	err := s.inUserScope(ctx, tenantID, func(tx pgx.Tx) error {
		var err error
		u, err = scanUser(tx.QueryRow(ctx, `SELECT `+userColumns+` FROM users u
			WHERE u.tenant_id IS NOT DISTINCT FROM nullif($1, '')::uuid AND u.id = $2`, tenantID, userID))
		return err
	})
	return u, err
}

// ListUsers lists a tenant's users, administrators first.
func (s *Store) ListUsers(ctx context.Context, tenantID string) ([]domain.User, error) {
	var out []domain.User
	err := s.InTenant(ctx, tenantID, func(tx pgx.Tx) error {
		rows, err := tx.Query(ctx, `SELECT `+userColumns+` FROM users u
			WHERE u.tenant_id = $1 ORDER BY u.role, u.email`, tenantID)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			u, err := scanUser(rows)
			if err != nil {
				return err
			}
			out = append(out, u)
		}
		return rows.Err()
	})
	return out, err
}

// SetPassword replaces a user's password hash and ends every other session
// of theirs (ASVS 3.3.3), keeping keepSessionID.
func (s *Store) SetPassword(ctx context.Context, actor Actor, tenantID, userID, hash, keepSessionID string) error {
	return s.inUserScope(ctx, tenantID, func(tx pgx.Tx) error {
		tag, err := tx.Exec(ctx, `UPDATE users SET password_hash = $3, password_changed_at = now(), updated_at = now()
			WHERE tenant_id IS NOT DISTINCT FROM nullif($1, '')::uuid AND id = $2`, tenantID, userID, hash)
		if err != nil {
			return err
		}
		if tag.RowsAffected() == 0 {
			return ErrNotFound
		}
		if _, err := tx.Exec(ctx, `DELETE FROM sessions
			WHERE tenant_id IS NOT DISTINCT FROM nullif($1, '')::uuid AND user_id = $2 AND id::text <> $3`,
			tenantID, userID, keepSessionID); err != nil {
			return err
		}
		return audit(ctx, tx, tenantID, actor, "user.password_change", actor.Email, nil)
	})
}

// SetLanguage records a user's interface language ("" follows the browser).
func (s *Store) SetLanguage(ctx context.Context, tenantID, userID, lang string) error {
	return s.inUserScope(ctx, tenantID, func(tx pgx.Tx) error {
		_, err := tx.Exec(ctx, `UPDATE users SET language = nullif($3, ''), updated_at = now()
			WHERE tenant_id IS NOT DISTINCT FROM nullif($1, '')::uuid AND id = $2`, tenantID, userID, lang)
		return err
	})
}
