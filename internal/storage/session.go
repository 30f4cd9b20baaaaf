package storage

import (
	"context"
	"time"

	"github.com/jackc/pgx/v5"

	"switchboard/internal/domain"
)

// CreateSession stores a new session under the hash of its token.
func (s *Store) CreateSession(ctx context.Context, sess domain.Session, tokenHash []byte) (string, error) {
	var id string
	err := s.inUserScope(ctx, sess.TenantID, func(tx pgx.Tx) error {
		return tx.QueryRow(ctx, `INSERT INTO sessions (tenant_id, user_id, token_hash, expires_at, user_agent, ip)
			VALUES (nullif($1, '')::uuid, $2, $3, $4, $5, $6) RETURNING id`,
			sess.TenantID, sess.UserID, tokenHash, sess.ExpiresAt, sess.UserAgent, sess.IP).Scan(&id)
	})
	return id, err
}

// SessionByToken finds the session for a token hash with its user and the
// status of the user's tenant. Platform scope: the tenant is not yet known.
func (s *Store) SessionByToken(ctx context.Context, tokenHash []byte) (domain.Session, domain.User, string, error) {
	var sess domain.Session
	var u domain.User
	var status string
	err := s.InPlatform(ctx, func(tx pgx.Tx) error {
		var err error
		u, err = scanUser(tx.QueryRow(ctx, `SELECT `+userColumns+`, coalesce(t.status, ''),
				s.id, s.created_at, s.last_seen_at, s.expires_at, s.user_agent, s.ip
			FROM sessions s JOIN users u ON u.id = s.user_id LEFT JOIN tenants t ON t.id = s.tenant_id
			WHERE s.token_hash = $1`, tokenHash),
			&status, &sess.ID, &sess.CreatedAt, &sess.LastSeenAt, &sess.ExpiresAt, &sess.UserAgent, &sess.IP)
		return err
	})
	sess.UserID, sess.TenantID = u.ID, u.TenantID
	return sess, u, status, err
}

// TouchSession records activity, for the idle timeout.
func (s *Store) TouchSession(ctx context.Context, tenantID, sessionID string, at time.Time) error {
	return s.inUserScope(ctx, tenantID, func(tx pgx.Tx) error {
		_, err := tx.Exec(ctx, `UPDATE sessions SET last_seen_at = $3
			WHERE tenant_id IS NOT DISTINCT FROM nullif($1, '')::uuid AND id = $2`, tenantID, sessionID, at)
		return err
	})
}

// ListSessions lists a user's sessions, newest first.
func (s *Store) ListSessions(ctx context.Context, tenantID, userID string) ([]domain.Session, error) {
	var out []domain.Session
	err := s.inUserScope(ctx, tenantID, func(tx pgx.Tx) error {
		rows, err := tx.Query(ctx, `SELECT id, created_at, last_seen_at, expires_at, user_agent, ip FROM sessions
			WHERE tenant_id IS NOT DISTINCT FROM nullif($1, '')::uuid AND user_id = $2 AND expires_at > now()
			ORDER BY last_seen_at DESC`, tenantID, userID)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			x := domain.Session{UserID: userID, TenantID: tenantID}
			if err := rows.Scan(&x.ID, &x.CreatedAt, &x.LastSeenAt, &x.ExpiresAt, &x.UserAgent, &x.IP); err != nil {
				return err
			}
			out = append(out, x)
		}
		return rows.Err()
	})
	return out, err
}

// DeleteSession ends one of a user's sessions; another user's session is
// ErrNotFound.
func (s *Store) DeleteSession(ctx context.Context, tenantID, userID, sessionID string) error {
	return s.inUserScope(ctx, tenantID, func(tx pgx.Tx) error {
		tag, err := tx.Exec(ctx, `DELETE FROM sessions
			WHERE tenant_id IS NOT DISTINCT FROM nullif($1, '')::uuid AND user_id = $2 AND id = $3`,
			tenantID, userID, sessionID)
		if err == nil && tag.RowsAffected() == 0 {
			return ErrNotFound
		}
		return err
	})
}

// DeleteExpiredSessions removes sessions past their absolute expiry; serve
// runs it periodically so the table stays small.
func (s *Store) DeleteExpiredSessions(ctx context.Context) (int64, error) {
	var n int64
	err := s.InPlatform(ctx, func(tx pgx.Tx) error {
		tag, err := tx.Exec(ctx, `DELETE FROM sessions WHERE expires_at < now()`)
		n = tag.RowsAffected()
		return err
	})
	return n, err
}
