// Package storage is Switchboard's only door to Postgres. Every method takes
// ctx first and, on tenant data, the tenant's id next; every query on a tenant
// table filters on tenant_id, and row-level security backs that up.
package storage

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"
)

// AppRole is the role every application connection switches to. It owns no
// table and cannot bypass row-level security (see migrations/000001).
const AppRole = "switchboard_app"

// ErrNotFound is returned when a row does not exist or is not visible to the
// current tenant; callers cannot tell the two apart, by design.
var ErrNotFound = errors.New("not found")

// ErrConflict is returned when a unique value (a slug, an e-mail) is taken.
var ErrConflict = errors.New("already exists")

// Store wraps the pool; its methods are grouped by aggregate in the files of
// this package.
type Store struct {
	pool *pgxpool.Pool
}

// New returns a Store on pool.
func New(pool *pgxpool.Pool) *Store { return &Store{pool: pool} }

// Pool exposes the pool for health checks and metrics.
func (s *Store) Pool() *pgxpool.Pool { return s.pool }

// Open connects a pool whose every connection runs as AppRole, whatever
// role DATABASE_URL names, so that row-level security applies.
func Open(ctx context.Context, databaseURL string) (*pgxpool.Pool, error) {
	cfg, err := pgxpool.ParseConfig(databaseURL)
	if err != nil {
		return nil, fmt.Errorf("parse DATABASE_URL: %w", err)
	}
	// pgxpool's default (4 on two cores) starves webhook ingest, which
	// waits on commits rather than CPU; pool_max_conns in the URL wins.
	if !strings.Contains(databaseURL, "pool_max_conns") {
		cfg.MaxConns = 16
	}
	cfg.AfterConnect = func(ctx context.Context, c *pgx.Conn) error {
		_, err := c.Exec(ctx, "SET ROLE "+AppRole)
		if err != nil {
			return fmt.Errorf("switch to role %s (run `switchboard migrate up` first; see docs/operations.md): %w", AppRole, err)
		}
		return nil
	}
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("connect to Postgres: %w", err)
	}
	return pool, nil
}

// InTenant runs fn in a transaction scoped to one tenant: app.tenant_id is set
// with SET LOCAL semantics (set_config(..., true)), so it ends with the
// transaction and never leaks to the next user of the pooled connection.
func (s *Store) InTenant(ctx context.Context, tenantID string, fn func(pgx.Tx) error) error {
	if tenantID == "" {
		return errors.New("storage: InTenant without a tenant")
	}
	return s.inTx(ctx, "app.tenant_id", tenantID, fn)
}

// InPlatform runs fn in a transaction that sees every tenant: the operator
// console, and the steps of sign-in that must find a user by e-mail or a
// session by token before the tenant is known.
func (s *Store) InPlatform(ctx context.Context, fn func(pgx.Tx) error) error {
	return s.inTx(ctx, "app.platform", "on", fn)
}

func (s *Store) inTx(ctx context.Context, setting, value string, fn func(pgx.Tx) error) error {
	return pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, "SELECT set_config($1, $2, true)", setting, value); err != nil {
			return err
		}
		return fn(tx)
	})
}

// isUniqueViolation reports whether err is Postgres' unique_violation.
func isUniqueViolation(err error) bool {
	var pgErr *pgconn.PgError
	return errors.As(err, &pgErr) && pgErr.Code == "23505"
}

// Transient reports whether err is worth retrying as it is: a serialization
// failure or deadlock (two transactions collided), a lost connection, or a
// server shutting down.
func Transient(err error) bool {
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) {
		c := pgErr.Code
		return c == "40001" || c == "40P01" || strings.HasPrefix(c, "08") || strings.HasPrefix(c, "57P") || c == "53300"
	}
	return pgconn.SafeToRetry(err) || pgconn.Timeout(err) || errors.Is(err, io.ErrUnexpectedEOF)
}

// notFound maps pgx.ErrNoRows to ErrNotFound.
func notFound(err error) error {
	if errors.Is(err, pgx.ErrNoRows) {
		return ErrNotFound
	}
	return err
}
