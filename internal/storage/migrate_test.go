package storage_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"switchboard/internal/storage"
	"switchboard/internal/storage/storagetest"
)

func timeNow() time.Time { return time.Now() }

// TestMigrationsUpDownUp applies every migration, rolls all back, and
// applies them again on an empty database: down scripts must undo exactly
// what up scripts do.
func TestMigrationsUpDownUp(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	admin, err := pgx.Connect(ctx, storagetest.AdminURL())
	if err != nil {
		t.Fatal(err)
	}
	defer admin.Close(ctx)
	name := fmt.Sprintf("sbmig_%d", time.Now().UnixNano())
	if _, err := admin.Exec(ctx, "DROP DATABASE IF EXISTS "+name+" WITH (FORCE)"); err != nil {
		t.Fatal(err)
	}
	if _, err := admin.Exec(ctx, "CREATE DATABASE "+name); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _, _ = admin.Exec(context.Background(), "DROP DATABASE IF EXISTS "+name+" WITH (FORCE)") })
	url := storagetest.WithDatabase(storagetest.AdminURL(), name)
	m, err := storage.NewMigrator(url)
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	tables := func() int {
		c, err := pgx.Connect(ctx, url)
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close(ctx)
		var n int
		if err := c.QueryRow(ctx, `SELECT count(*) FROM pg_tables WHERE schemaname = 'public' AND tablename <> 'schema_migrations'`).Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n
	}
	if err := m.Up(); err != nil {
		t.Fatalf("up: %v", err)
	}
	v, dirty, err := m.Version()
	if err != nil || dirty || v == 0 {
		t.Fatalf("after up: version %d dirty %v err %v", v, dirty, err)
	}
	if n := tables(); n < 5 {
		t.Fatalf("after up: %d tables", n)
	}
	if err := m.Down(int(v)); err != nil {
		t.Fatalf("down: %v", err)
	}
	if v, _, _ := m.Version(); v != 0 {
		t.Fatalf("after down: version %d, want 0", v)
	}
	if n := tables(); n != 0 {
		t.Fatalf("after down: %d tables left", n)
	}
	if err := m.Up(); err != nil {
		t.Fatalf("up again: %v", err)
	}
	if err := m.Up(); err != nil {
		t.Fatalf("up with nothing pending must succeed: %v", err)
	}
	// The application role can use the re-created schema.
	pool, err := storage.Open(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	defer pool.Close()
	plans, err := storage.New(pool).ListPlans(ctx)
	if err != nil || len(plans) == 0 {
		t.Fatalf("plans after up-down-up: %v, %v", plans, err)
	}
}
