package storage

import (
	"errors"
	"fmt"
	"net/url"

	"github.com/golang-migrate/migrate/v4"
	_ "github.com/golang-migrate/migrate/v4/database/pgx/v5" // registers pgx5://
	"github.com/golang-migrate/migrate/v4/source/iofs"

	"switchboard/migrations"
)

// Migrator applies the embedded migrations. It connects as the role named in
// DATABASE_URL (the schema owner), not as AppRole. golang-migrate holds a
// Postgres advisory lock while it works, so several instances starting at once
// is safe.
type Migrator struct {
	m *migrate.Migrate
}

// NewMigrator opens a migrator on databaseURL (postgres:// or postgresql://).
func NewMigrator(databaseURL string) (*Migrator, error) {
	src, err := iofs.New(migrations.FS, ".")
	if err != nil {
		return nil, err
	}
	u, err := url.Parse(databaseURL)
	if err != nil {
		return nil, fmt.Errorf("parse DATABASE_URL: %w", err)
	}
	u.Scheme = "pgx5"
	m, err := migrate.NewWithSourceInstance("iofs", src, u.String())
	if err != nil {
		return nil, fmt.Errorf("open migrations: %w", err)
	}
	return &Migrator{m: m}, nil
}

// Up applies every pending migration; none pending is not an error.
func (mg *Migrator) Up() error {
	if err := mg.m.Up(); err != nil && !errors.Is(err, migrate.ErrNoChange) {
		return err
	}
	return nil
}

// Down rolls back n migrations.
func (mg *Migrator) Down(n int) error {
	if n < 1 {
		return errors.New("down needs a positive number of steps")
	}
	if err := mg.m.Steps(-n); err != nil && !errors.Is(err, migrate.ErrNoChange) {
		return err
	}
	return nil
}

// Version reports the applied version, 0 when none, and whether a failed
// migration left the schema dirty.
func (mg *Migrator) Version() (uint, bool, error) {
	v, dirty, err := mg.m.Version()
	if errors.Is(err, migrate.ErrNilVersion) {
		return 0, false, nil
	}
	return v, dirty, err
}

// Close releases the migrator's connection.
func (mg *Migrator) Close() error {
	se, de := mg.m.Close()
	return errors.Join(se, de)
}
