package routing_test

import (
	"context"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/redis/go-redis/v9"

	"switchboard/internal/routing"
	"switchboard/internal/storage"
	"switchboard/internal/storage/storagetest"
)

// env is one tenant's routing set up in a fresh database, with helpers that
// write configuration as plain rows and open conversations as the webhook
// processor does.
type env struct {
	t        *testing.T
	db       *storagetest.DB
	rdb      *redis.Client
	prefix   string
	tenantID string
	svc      *routing.Service
	presence *routing.Presence
	seq      atomic.Int64
}

func newEnv(t *testing.T, presenceTTL time.Duration) *env {
	t.Helper()
	db := storagetest.NewDB(t)
	rdb, prefix := storagetest.NewRedis(t)
	f := storagetest.Seed(t, db)
	e := &env{t: t, db: db, rdb: rdb, prefix: prefix, tenantID: f.A.ID}
	e.presence = routing.NewPresence(rdb, prefix, presenceTTL)
	e.svc = &routing.Service{Store: db.Store, Presence: e.presence}
	return e
}

func (e *env) exec(sql string, args ...any) {
	e.t.Helper()
	err := e.db.Store.InPlatform(context.Background(), func(tx pgx.Tx) error {
		_, err := tx.Exec(context.Background(), sql, args...)
		return err
	})
	if err != nil {
		e.t.Fatalf("%s: %v", sql, err)
	}
}

func (e *env) id(sql string, args ...any) string {
	e.t.Helper()
	var id string
	err := e.db.Store.InPlatform(context.Background(), func(tx pgx.Tx) error {
		return tx.QueryRow(context.Background(), sql, args...).Scan(&id)
	})
	if err != nil {
		e.t.Fatalf("%s: %v", sql, err)
	}
	return id
}

func (e *env) next() int64 { return e.seq.Add(1) }

func (e *env) agent(name string, capacity int, last *time.Time) string {
	return e.id(`INSERT INTO users (tenant_id, email, name, role, password_hash, capacity, last_assigned_at)
		VALUES ($1, $2, $3, 'agent', 'x', $4, $5) RETURNING id`, e.tenantID, strings.ToLower(fmt.Sprintf("%s-%d@alpha.test", name, e.next())), name, capacity, last)
}

func (e *env) skillset(name string) string {
	return e.id(`INSERT INTO skillsets (tenant_id, name) VALUES ($1, $2) RETURNING id`, e.tenantID, name)
}

func (e *env) member(skillset, agent string, priority int) {
	e.exec(`INSERT INTO skillset_members (tenant_id, skillset_id, user_id, priority) VALUES ($1, $2, $3, $4)`, e.tenantID, skillset, agent, priority)
}

func (e *env) number() string {
	n := e.next()
	return e.id(`INSERT INTO numbers (tenant_id, phone_number_id, display_phone, waba_id, access_token_enc)
		VALUES ($1, $2, $3, '1', 'x') RETURNING id`, e.tenantID, fmt.Sprintf("%d%06d", 77, n), fmt.Sprintf("+39 06 %06d", n))
}

func (e *env) link(number, skillset string, priority int) {
	e.exec(`INSERT INTO number_skillsets (tenant_id, number_id, skillset_id, priority) VALUES ($1, $2, $3, $4)`, e.tenantID, number, skillset, priority)
}

// reload tells the dispatcher the configuration changed, as the
// configuration commands do.
func (e *env) reload() {
	e.exec(`INSERT INTO routing_commands (tenant_id, kind) VALUES ($1, 'reload')`, e.tenantID)
	e.exec(`SELECT pg_notify($1, $2)`, storage.RoutingChannel, e.tenantID)
}

func (e *env) grace(seconds int, requeue bool) {
	e.exec(`UPDATE tenants SET requeue_grace_seconds = $2, requeue_on_offline = $3 WHERE id = $1`, e.tenantID, seconds, requeue)
}

// arrive opens a conversation for a new contact with the priority on the
// number, exactly as the webhook processor does.
func (e *env) arrive(number string, priority int) string {
	e.t.Helper()
	ctx := context.Background()
	var conv string
	err := e.db.Store.InPlatform(ctx, func(tx pgx.Tx) error {
		var contact string
		if err := tx.QueryRow(ctx, `INSERT INTO contacts (tenant_id, wa_id, priority) VALUES ($1, $2, $3) RETURNING id`,
			e.tenantID, fmt.Sprintf("39333%07d", e.next()), priority).Scan(&contact); err != nil {
			return err
		}
		var err error
		conv, err = storage.Inbound(tx).OpenConversation(ctx, e.tenantID, number, contact)
		return err
	})
	if err != nil {
		e.t.Fatal(err)
	}
	return conv
}

func (e *env) available(agent string) {
	e.t.Helper()
	if err := e.svc.SetAvailability(context.Background(), e.tenantID, agent, routing.Available); err != nil {
		e.t.Fatal(err)
	}
}

// dispatcher runs a dispatcher until the test ends or stop is called.
func (e *env) dispatcher(lease time.Duration) (d *routing.Dispatcher, stop func()) {
	d, stop = e.standby(lease)
	eventually(e.t, 10*time.Second, "the dispatcher should lead the tenant", func() bool { return slices.Contains(d.Leading(), e.tenantID) })
	return d, stop
}

// standby runs a dispatcher that may or may not lead the tenant.
func (e *env) standby(lease time.Duration) (d *routing.Dispatcher, stop func()) {
	pool, err := storage.Open(context.Background(), e.db.URL)
	if err != nil {
		e.t.Fatal(err)
	}
	d = routing.NewDispatcher(routing.Options{Store: storage.New(pool), Pool: pool, Presence: e.presence,
		LeaseTTL: lease, Sweep: 100 * time.Millisecond, Logger: slog.New(slog.NewTextHandler(testWriter{e.t}, &slog.HandlerOptions{Level: slog.LevelDebug}))})
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	wg.Go(func() { _ = d.Run(ctx) })
	var once sync.Once
	stop = func() { once.Do(func() { cancel(); wg.Wait(); pool.Close() }) }
	e.t.Cleanup(stop)
	return d, stop
}

// holder is who holds the conversation now ("" while it waits), and its status.
func (e *env) holder(conv string) (agent, status string) {
	e.t.Helper()
	err := e.db.Store.InPlatform(context.Background(), func(tx pgx.Tx) error {
		return tx.QueryRow(context.Background(), `SELECT coalesce(assigned_agent_id::text, ''), status FROM conversations WHERE id = $1`,
			conv).Scan(&agent, &status)
	})
	if err != nil {
		e.t.Fatal(err)
	}
	if status != "assigned" {
		agent = ""
	}
	return agent, status
}

// eventually polls cond until it holds or the deadline passes.
func eventually(t *testing.T, within time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(within)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("after %v: %s", within, what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func (e *env) waitHolder(conv, want string) {
	e.t.Helper()
	eventually(e.t, 5*time.Second, fmt.Sprintf("conversation %s should be held by %q", conv, want), func() bool {
		got, _ := e.holder(conv)
		return got == want
	})
}

func (e *env) count(sql string, args ...any) int {
	e.t.Helper()
	var n int
	err := e.db.Store.InPlatform(context.Background(), func(tx pgx.Tx) error {
		return tx.QueryRow(context.Background(), sql, args...).Scan(&n)
	})
	if err != nil {
		e.t.Fatal(err)
	}
	return n
}

// testWriter sends the dispatcher's log to the test's.
type testWriter struct{ t *testing.T }

func (w testWriter) Write(p []byte) (int, error) {
	w.t.Log(strings.TrimSpace(string(p)))
	return len(p), nil
}
