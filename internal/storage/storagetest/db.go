// Package storagetest gives each test its own freshly migrated Postgres
// database (a clone of a migrated template, about 50 ms), its own Redis key
// space, and fixtures with two tenants. Tests use the real services:
// DATABASE_URL and REDIS_URL (as `make test` sets them), else the
// developer-machine defaults.
package storagetest

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io/fs"
	"net/url"
	"os"
	"sort"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"switchboard/internal/storage"
	"switchboard/migrations"
)

// AdminURL is the connection string of the role that creates databases.
func AdminURL() string {
	if u := os.Getenv("DATABASE_URL"); u != "" {
		return u
	}
	return "postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable"
}

// WithDatabase returns base with its database name replaced.
func WithDatabase(base, name string) string {
	u, err := url.Parse(base)
	if err != nil {
		panic(err)
	}
	u.Path = "/" + name
	return u.String()
}

var (
	templateOnce sync.Once
	templateName string
	templateErr  error
)

// migrationsHash names the template after the migrations' content, so a
// changed migration gets a new template and a stale one is never used.
func migrationsHash() (string, error) {
	h := sha256.New()
	names, err := fs.Glob(migrations.FS, "*.sql")
	if err != nil {
		return "", err
	}
	sort.Strings(names)
	for _, n := range names {
		b, err := fs.ReadFile(migrations.FS, n)
		if err != nil {
			return "", err
		}
		fmt.Fprintf(h, "%s\x00%s\x00", n, b)
	}
	return hex.EncodeToString(h.Sum(nil))[:16], nil
}

// ensureTemplate creates and migrates the template database once per
// migration set. Packages run in parallel processes, so a Postgres advisory
// lock serialises the creators, and the template is built under a temporary
// name and renamed only when complete.
func ensureTemplate(ctx context.Context) (string, error) {
	templateOnce.Do(func() {
		hash, err := migrationsHash()
		if err != nil {
			templateErr = err
			return
		}
		name := "sbtpl_" + hash
		conn, err := pgx.Connect(ctx, AdminURL())
		if err != nil {
			templateErr = fmt.Errorf("connect to Postgres at DATABASE_URL (is it running? `make test` starts one): %w", err)
			return
		}
		defer conn.Close(ctx)
		if _, err := conn.Exec(ctx, "SELECT pg_advisory_lock(727274)"); err != nil {
			templateErr = err
			return
		}
		defer conn.Exec(ctx, "SELECT pg_advisory_unlock(727274)") //nolint:errcheck
		var exists bool
		if err := conn.QueryRow(ctx, "SELECT EXISTS (SELECT 1 FROM pg_database WHERE datname = $1)", name).Scan(&exists); err != nil {
			templateErr = err
			return
		}
		if !exists {
			building := name + "_building"
			if _, err := conn.Exec(ctx, "DROP DATABASE IF EXISTS "+building+" WITH (FORCE)"); err != nil {
				templateErr = err
				return
			}
			if _, err := conn.Exec(ctx, "CREATE DATABASE "+building); err != nil {
				templateErr = err
				return
			}
			m, err := storage.NewMigrator(WithDatabase(AdminURL(), building))
			if err != nil {
				templateErr = err
				return
			}
			err = m.Up()
			m.Close()
			if err != nil {
				templateErr = fmt.Errorf("migrate template: %w", err)
				return
			}
			if _, err := conn.Exec(ctx, "ALTER DATABASE "+building+" RENAME TO "+name); err != nil {
				templateErr = err
				return
			}
		}
		templateName = name
	})
	return templateName, templateErr
}

// DB is one test's database.
type DB struct {
	Name  string
	URL   string        // as the owner (migrations, raw checks)
	Pool  *pgxpool.Pool // as the application role, like the product
	Store *storage.Store
}

// NewDB clones the migrated template into a database of the test's own and
// drops it when the test ends (a failed test's database is kept and named in
// the log, to be looked at).
func NewDB(t testing.TB) *DB {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	tpl, err := ensureTemplate(ctx)
	if err != nil {
		t.Fatalf("storagetest: %v", err)
	}
	name := "sbtest_" + randomHex(8)
	conn, err := pgx.Connect(ctx, AdminURL())
	if err != nil {
		t.Fatalf("storagetest: %v", err)
	}
	defer conn.Close(ctx)
	// Concurrent clones of one template can collide on its lock; retry briefly.
	for attempt := 0; ; attempt++ {
		_, err = conn.Exec(ctx, "CREATE DATABASE "+name+" TEMPLATE "+tpl)
		if err == nil || attempt == 20 {
			break
		}
		time.Sleep(time.Duration(50+attempt*25) * time.Millisecond)
	}
	if err != nil {
		t.Fatalf("storagetest: clone template: %v", err)
	}
	db := &DB{Name: name, URL: WithDatabase(AdminURL(), name)}
	db.Pool, err = storage.Open(ctx, db.URL)
	if err != nil {
		t.Fatalf("storagetest: %v", err)
	}
	db.Store = storage.New(db.Pool)
	t.Cleanup(func() {
		db.Pool.Close()
		if t.Failed() {
			t.Logf("storagetest: kept database %s for inspection", name)
			return
		}
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		c, err := pgx.Connect(ctx, AdminURL())
		if err != nil {
			t.Logf("storagetest: drop %s: %v", name, err)
			return
		}
		defer c.Close(ctx)
		if _, err := c.Exec(ctx, "DROP DATABASE IF EXISTS "+name+" WITH (FORCE)"); err != nil {
			t.Logf("storagetest: drop %s: %v", name, err)
		}
	})
	return db
}

func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}
