package loadgen

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"maps"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/redis/go-redis/v9"

	"switchboard/internal/domain"
	"switchboard/internal/routing"
	"switchboard/internal/storage"
)

// The phases of a routing run, in the order they run.
const (
	// PhaseDrain queues Conversations while no agent is available, then
	// makes every agent available and times until all are persisted as
	// assigned.
	PhaseDrain = "drain"
	// PhaseStream writes StreamConversations arrivals from Writers
	// goroutines as fast as they go while every agent is available, and
	// times until all are persisted as assigned.
	PhaseStream = "stream"
	// PhaseLatency writes arrivals at a fixed Rate for Duration and times
	// each from its commit to the 'assigned' event received on Redis.
	PhaseLatency = "latency"
)

// RoutingPhases are every phase, in running order.
var RoutingPhases = []string{PhaseDrain, PhaseStream, PhaseLatency}

// RoutingConfig describes one live routing benchmark (issue 5, benchmark
// plan B3): the real dispatcher (routing.Dispatcher with its per-tenant
// lease, NOTIFY wake-ups, presence in Redis and events published on Redis)
// runs in this process against DATABASE_URL; the arrivals are written the
// way the webhook processor writes them (storage.InboundTx.OpenConversation).
type RoutingConfig struct {
	// DatabaseURL is a migrated database with no other active tenant: the
	// in-process dispatcher would route every active tenant it finds.
	DatabaseURL string
	// Redis holds presence and carries the events; RedisPrefix is the
	// deployment's key prefix, to which the run appends a prefix of its own.
	Redis       *redis.Client
	RedisPrefix string

	// Phases to run, a subset of RoutingPhases (default all).
	Phases []string
	// Conversations is the drain phase's queue (default 20,000).
	Conversations int
	// StreamConversations is how many the stream phase writes (default
	// Conversations); Writers is how many goroutines write them (default 4).
	StreamConversations int
	Writers             int
	// Agents per phase (default 100), each with Capacity (default 1000, the
	// most the schema allows). One skillset holds them all and serves the
	// phase's one number.
	Agents   int
	Capacity int
	// Rate arrivals a second for Duration in the latency phase (default
	// 500/s for 20 s), at most Concurrency in flight (default 8).
	Rate        float64
	Duration    time.Duration
	Concurrency int
	// Timeout bounds each wait for the dispatcher: to apply the queued
	// arrivals, and to assign everything after the load (default 2 min).
	Timeout time.Duration
	// Keep leaves the benchmark tenants in the database (suspended, so no
	// dispatcher routes them) instead of deleting them.
	Keep bool
	// VacuumEvery stands in for autovacuum when the server runs without it:
	// every VacuumEvery the tables the run fills get VACUUM (ANALYZE) (as
	// the DatabaseURL's user, who must own them). 0 means every 3 s if the
	// server's autovacuum is off and never otherwise; negative means never.
	VacuumEvery time.Duration
	// Logger receives the dispatcher's log. Default: discarded.
	Logger *slog.Logger
}

// DefaultRoutingConfig is the benchmark's standard run.
func DefaultRoutingConfig() RoutingConfig {
	return RoutingConfig{Phases: slices.Clone(RoutingPhases), Conversations: 20000, Writers: 4, Agents: 100, Capacity: 1000,
		Rate: 500, Duration: 20 * time.Second, Concurrency: 8, Timeout: 2 * time.Minute}
}

func (c RoutingConfig) withDefaults() (RoutingConfig, error) {
	def := DefaultRoutingConfig()
	if len(c.Phases) == 0 {
		c.Phases = def.Phases
	}
	for _, p := range c.Phases {
		if !slices.Contains(RoutingPhases, p) {
			return c, fmt.Errorf("loadgen: unknown phase %q (expected %s)", p, strings.Join(RoutingPhases, ", "))
		}
	}
	set := func(v *int, d int) {
		if *v == 0 {
			*v = d
		}
	}
	set(&c.Conversations, def.Conversations)
	set(&c.StreamConversations, c.Conversations)
	set(&c.Writers, def.Writers)
	set(&c.Agents, def.Agents)
	set(&c.Capacity, def.Capacity)
	set(&c.Concurrency, def.Concurrency)
	if c.Rate == 0 {
		c.Rate = def.Rate
	}
	if c.Duration == 0 {
		c.Duration = def.Duration
	}
	if c.Timeout == 0 {
		c.Timeout = def.Timeout
	}
	switch {
	case c.DatabaseURL == "" || c.Redis == nil:
		return c, errors.New("loadgen: DatabaseURL and Redis are required")
	case c.Conversations < 0 || c.StreamConversations < 0 || c.Writers < 0 || c.Agents < 0 || c.Concurrency < 0:
		return c, errors.New("loadgen: counts cannot be negative")
	case c.Capacity < 0 || c.Capacity > 1000:
		return c, errors.New("loadgen: Capacity must be from 1 to 1000")
	case !(c.Rate > 0) || c.Duration < 0 || c.Timeout < 0:
		return c, errors.New("loadgen: Rate, Duration and Timeout must be positive")
	}
	total := c.Agents * c.Capacity
	for _, p := range c.Phases {
		need := map[string]int{PhaseDrain: c.Conversations, PhaseStream: c.StreamConversations, PhaseLatency: c.planned()}[p]
		if need > total {
			return c, fmt.Errorf("loadgen: %d agents × capacity %d cannot hold the %s phase's %d conversations", c.Agents, c.Capacity, p, need)
		}
	}
	if c.Logger == nil {
		c.Logger = slog.New(slog.DiscardHandler)
	}
	return c, nil
}

// planned is how many arrivals the latency phase writes.
func (c RoutingConfig) planned() int { return int(c.Rate*c.Duration.Seconds() + 0.5) }

func (c RoutingConfig) runs(phase string) bool { return slices.Contains(c.Phases, phase) }

// RoutingResult is what one run measured; a phase not run is nil.
type RoutingResult struct {
	Run              string
	Agents, Capacity int
	// ServerAutovacuum is the server's autovacuum setting; VacuumEvery how
	// often the run vacuumed and analyzed the tables in its place (0:
	// never), Vacuumed how many times it did.
	ServerAutovacuum string
	VacuumEvery      time.Duration
	Vacuumed         int
	Drain            *DrainResult
	Stream           *StreamResult
	Latency          *RoutingLatencyResult
}

// Persisted is what Postgres holds for a phase's tenant at its end.
type Persisted struct {
	Assigned   int `json:"conversations_assigned"` // conversations with status 'assigned'
	Events     int `json:"assigned_events"`        // routing_events of kind 'assigned'
	Duplicates int `json:"duplicates"`             // assigned events beyond one per conversation (must be 0)
}

// Batches describes the dispatcher's transactions that wrote assignments.
type Batches struct {
	Transactions int
	Largest      int
	Mean         float64
}

// DrainResult is the drain phase: a full queue, then every agent available.
type DrainResult struct {
	Conversations int
	Queue         time.Duration // writing the queue and the dispatcher applying the arrivals (not timed)
	// Elapsed is from the first agent's availability to the commit of the
	// transaction that persisted the last assignment.
	Elapsed  time.Duration
	Assigned int     // assignments committed by the dispatcher in that time
	Rate     float64 // Assigned ÷ Elapsed
	Batches  Batches
	Persisted
}

// StreamResult is the stream phase: arrivals as fast as Writers go, every
// agent available.
type StreamResult struct {
	Conversations, Writers int
	Arrived                int           // arrivals committed
	ArrivalSpan            time.Duration // from the first write's start to the last arrival's commit
	ArrivalRate            float64
	// Elapsed is from the first write's start to the commit of the last
	// assignment; Rate = Assigned ÷ Elapsed.
	Elapsed  time.Duration
	Assigned int
	Rate     float64
	// Latency is from each arrival's commit to its assignment's commit.
	Latency Latency
	Batches Batches
	Persisted
}

// RoutingLatencyResult is the latency phase: arrivals at a fixed rate.
type RoutingLatencyResult struct {
	Rate        float64
	Duration    time.Duration
	Concurrency int
	Planned     int
	Arrived     int            // arrivals committed
	Errors      map[string]int // arrivals that failed, by error
	Received    int            // of Arrived, whose 'assigned' event came on Redis in time
	// Latency is from each arrival's commit to its 'assigned' event
	// received on the tenant's Redis channel; Persisted from the commit to
	// the dispatcher's commit of the assignment.
	Latency         Latency
	PersistLatency  Latency
	SendLag         Latency // how late arrivals started against the schedule
	Early           int     // assignments seen before the writer took its time (counted as 0)
	AchievedRate    float64 // Arrived ÷ time from the first scheduled start to the last commit
	Batches         Batches
	AssignedInPG    int
	EventsInPG      int
	DuplicatesInPG  int
	UnassignedAtEnd int // arrived but not assigned in Postgres when the phase ended
}

// benchTenant is one phase's tenant.
type benchTenant struct {
	phase, id, slug, number string
	agents                  []string
}

// routingBench is one run's state.
type routingBench struct {
	cfg      RoutingConfig
	run      string
	prefix   string
	sys, gen *storage.Store // the dispatcher's (as serve's), the generator's
	presence *routing.Presence
	svc      *routing.Service
	tap      *eventTap
	mu       sync.Mutex // guards tenants (the heartbeat reads them)
	tenants  []*benchTenant
	progress io.Writer
}

// Routing runs the live routing benchmark: it creates one tenant per phase
// (agents, one skillset, one number; named loadgen-routing-<run>-<phase>),
// starts a routing.Dispatcher in this process on its own pool (as serve
// does: store, pool, Redis presence, Redis publisher), writes arrivals from
// another pool, and measures. Progress lines go to progress (may be nil).
// The tenants are deleted at the end unless Keep.
func Routing(ctx context.Context, cfg RoutingConfig, progress io.Writer) (res RoutingResult, err error) {
	if cfg, err = cfg.withDefaults(); err != nil {
		return res, err
	}
	if progress == nil {
		progress = io.Discard
	}
	b := &routingBench{cfg: cfg, run: runID(4), progress: progress}
	res = RoutingResult{Run: b.run, Agents: cfg.Agents, Capacity: cfg.Capacity}
	b.prefix = cfg.RedisPrefix + "loadgen-routing-" + b.run + ":"

	sysPool, err := storage.Open(ctx, cfg.DatabaseURL)
	if err != nil {
		return res, err
	}
	defer sysPool.Close()
	// The generator's own pool, sized for its writers, so that it never
	// takes a connection the dispatcher is waiting for.
	genPool, err := storage.Open(ctx, withPoolSize(cfg.DatabaseURL, max(cfg.Writers, cfg.Concurrency)+2))
	if err != nil {
		return res, err
	}
	defer genPool.Close()
	if err := sysPool.Ping(ctx); err != nil {
		return res, fmt.Errorf("loadgen: Postgres at DATABASE_URL is unreachable: %w", err)
	}
	if err := cfg.Redis.Ping(ctx).Err(); err != nil {
		return res, fmt.Errorf("loadgen: Redis at REDIS_URL is unreachable: %w", err)
	}
	b.sys, b.gen = storage.New(sysPool), storage.New(genPool)
	b.presence = routing.NewPresence(cfg.Redis, b.prefix, 0)
	b.svc = &routing.Service{Store: b.sys, Presence: b.presence}
	b.tap = &eventTap{next: routing.RedisPublisher{RDB: cfg.Redis, Prefix: b.prefix, Logger: cfg.Logger}}

	if err := b.checkAlone(ctx); err != nil {
		return res, err
	}
	defer b.cleanup(ctx)

	if err := sysPool.QueryRow(ctx, "SHOW autovacuum").Scan(&res.ServerAutovacuum); err != nil {
		return res, err
	}
	res.VacuumEvery = cfg.VacuumEvery
	if res.VacuumEvery == 0 && res.ServerAutovacuum != "on" {
		res.VacuumEvery = 3 * time.Second
	}
	if res.VacuumEvery > 0 {
		fmt.Fprintf(progress, "routing: run %s: the server's autovacuum is %s: vacuuming and analyzing the tables every %v in its place\n",
			b.run, res.ServerAutovacuum, res.VacuumEvery)
		vctx, stopVacuum := context.WithCancel(ctx)
		var vacuum sync.WaitGroup
		var vacuumed atomic.Int64
		vacuum.Go(func() { b.vacuum(vctx, res.VacuumEvery, &vacuumed) })
		defer func() { stopVacuum(); vacuum.Wait(); res.Vacuumed = int(vacuumed.Load()) }()
	}

	hctx, stopHeartbeat := context.WithCancel(ctx)
	var heartbeat sync.WaitGroup
	heartbeat.Go(func() { b.heartbeat(hctx) })
	defer func() { stopHeartbeat(); heartbeat.Wait() }()

	// Each phase on a tenant of its own with a dispatcher of its own, so
	// that nothing of one phase (a long transaction holding up the lease
	// renewals of every tenant, a rebuild) spills into the next.
	for _, p := range RoutingPhases {
		if !cfg.runs(p) {
			continue
		}
		t, err := b.setup(ctx, p)
		if err != nil {
			return res, err
		}
		b.mu.Lock()
		b.tenants = append(b.tenants, t)
		b.mu.Unlock()
		err = b.withDispatcher(ctx, sysPool, t, func() error {
			var err error
			switch p {
			case PhaseDrain:
				res.Drain, err = b.drain(ctx, t)
			case PhaseStream:
				res.Stream, err = b.stream(ctx, t)
			case PhaseLatency:
				res.Latency, err = b.latency(ctx, t)
			}
			return err
		})
		if err != nil {
			return res, fmt.Errorf("loadgen: %s phase: %w", p, err)
		}
	}
	return res, nil
}

// vacuum stands in for autovacuum on a server that runs without it (this
// project's benchmark machine does). Without ANALYZE a fresh database's
// tables never get statistics, so no cached plan is ever invalidated: the
// dispatcher's prepared statements keep the generic plans made while the
// tables were nearly empty, and marking commands done (RoutingTx.Finish)
// scans the whole command table once per command; a step of 500 commands
// then takes seconds, long enough to lose the lease. Without VACUUM every
// routed conversation and command leaves a dead row version behind, and the
// scans and indexes of these small, fast-churning tables fill with them. In
// production autovacuum does both, within a minute.
func (b *routingBench) vacuum(ctx context.Context, every time.Duration, done *atomic.Int64) {
	pc, err := pgxpool.ParseConfig(b.cfg.DatabaseURL)
	if err != nil {
		return
	}
	// As the URL's user, not the application role: VACUUM needs the owner.
	conn, err := pgx.ConnectConfig(ctx, pc.ConnConfig)
	if err != nil {
		fmt.Fprintf(b.progress, "routing: vacuum: %v\n", err)
		return
	}
	defer conn.Close(context.WithoutCancel(ctx))
	for sleepCtx(ctx, every) {
		// No arguments: pgx sends it as a simple query, outside a transaction.
		_, err := conn.Exec(ctx, "VACUUM (ANALYZE) contacts, conversations, routing_commands, routing_events, users, agent_events")
		if err != nil {
			if ctx.Err() == nil {
				fmt.Fprintf(b.progress, "routing: vacuum: %v\n", err)
			}
			return
		}
		done.Add(1)
	}
}

// withDispatcher runs fn while a dispatcher of its own leads the tenant,
// then stops the dispatcher and suspends the tenant, so that the next
// phase's dispatcher leaves it alone.
func (b *routingBench) withDispatcher(ctx context.Context, pool *pgxpool.Pool, t *benchTenant, fn func() error) error {
	d := routing.NewDispatcher(routing.Options{Store: b.sys, Pool: pool, Presence: b.presence, Publisher: b.tap, Logger: b.cfg.Logger})
	dctx, stop := context.WithCancel(ctx)
	var running sync.WaitGroup
	running.Go(func() { _ = d.Run(dctx) })
	err := b.waitLeading(ctx, d, t)
	if err == nil {
		fmt.Fprintf(b.progress, "routing: %s: dispatcher %s leads tenant %s; Redis prefix %q\n", t.phase, d.Holder(), t.slug, b.prefix)
		err = fn()
	}
	stop()
	running.Wait()
	sctx := context.WithoutCancel(ctx)
	serr := b.gen.InPlatform(sctx, func(tx pgx.Tx) error {
		_, err := tx.Exec(sctx, `UPDATE tenants SET status = 'suspended', updated_at = now() WHERE id = $1`, t.id)
		return err
	})
	return errors.Join(err, serr)
}

// withPoolSize sets pool_max_conns in a postgres:// URL unless it is there.
func withPoolSize(url string, n int) string {
	if strings.Contains(url, "pool_max_conns") {
		return url
	}
	sep := "?"
	if strings.Contains(url, "?") {
		sep = "&"
	}
	return fmt.Sprintf("%s%spool_max_conns=%d", url, sep, n)
}

// checkAlone refuses a database with active tenants: the dispatcher started
// here would route them too (with presence it cannot see), or compete with
// the `switchboard serve` that does.
func (b *routingBench) checkAlone(ctx context.Context) error {
	var active int
	var slugs []string
	err := b.gen.InPlatform(ctx, func(tx pgx.Tx) error {
		if err := tx.QueryRow(ctx, `SELECT count(*) FROM tenants WHERE status = 'active'`).Scan(&active); err != nil {
			return err
		}
		rows, err := tx.Query(ctx, `SELECT slug FROM tenants WHERE status = 'active' ORDER BY created_at LIMIT 3`)
		if err != nil {
			return err
		}
		slugs, err = pgx.CollectRows(rows, pgx.RowTo[string])
		return err
	})
	if err != nil {
		return fmt.Errorf("loadgen: read tenants (is the database migrated? `switchboard migrate up`): %w", err)
	}
	if active > 0 {
		return fmt.Errorf("loadgen: the database has %d active tenant(s) (%s…): the dispatcher this benchmark runs would route "+
			"them too; use a database of its own (createdb, then `switchboard migrate up`; deploy/bench/routing.sh makes one)",
			active, strings.Join(slugs, ", "))
	}
	return nil
}

// setup creates a phase's tenant: Agents agents with Capacity, all in one
// skillset (agent priorities 0 to 2, so step 4 sometimes decides), linked
// to one number. Plain rows, as the configuration commands would write
// them; the dispatcher loads them when it takes the tenant's lease.
func (b *routingBench) setup(ctx context.Context, phase string) (*benchTenant, error) {
	plans, err := b.gen.ListPlans(ctx)
	if err != nil {
		return nil, fmt.Errorf("loadgen: list plans (is the database migrated?): %w", err)
	}
	if len(plans) == 0 {
		return nil, errors.New("loadgen: no plan in the database (is it migrated?)")
	}
	plan := slices.MaxFunc(plans, func(a, b domain.Plan) int { return a.MaxBusinessConversations - b.MaxBusinessConversations })
	t := &benchTenant{phase: phase, slug: "loadgen-routing-" + b.run + "-" + phase}
	created, err := b.gen.CreateTenant(ctx, storage.Actor{Email: "loadgen"}, storage.NewTenant{
		Name: "Routing benchmark " + b.run + " (" + phase + ")", Slug: t.slug, PlanID: plan.ID,
		// The administrator cannot sign in: "!" is no password hash.
		Admin: domain.User{Email: "admin@" + t.slug + ".invalid", Name: "loadgen", PasswordHash: "!"}})
	if err != nil {
		return nil, fmt.Errorf("loadgen: create the benchmark tenant: %w", err)
	}
	t.id = created.ID
	err = b.gen.InPlatform(ctx, func(tx pgx.Tx) error {
		rows, err := tx.Query(ctx, `INSERT INTO users (tenant_id, email, name, role, password_hash, capacity)
			SELECT $1, format('agent%s@%s.invalid', g, $2::text), format('Agent %s', g), 'agent', '!', $3
			FROM generate_series(1, $4) g ORDER BY g RETURNING id`, t.id, t.slug, b.cfg.Capacity, b.cfg.Agents)
		if err != nil {
			return err
		}
		if t.agents, err = pgx.CollectRows(rows, pgx.RowTo[string]); err != nil {
			return err
		}
		var skillset string
		if err := tx.QueryRow(ctx, `INSERT INTO skillsets (tenant_id, name) VALUES ($1, 'Benchmark') RETURNING id`, t.id).Scan(&skillset); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `INSERT INTO skillset_members (tenant_id, skillset_id, user_id, priority)
			SELECT $1, $2, u, (n - 1) % 3 FROM unnest($3::uuid[]) WITH ORDINALITY AS x(u, n)`, t.id, skillset, t.agents); err != nil {
			return err
		}
		// A sandbox number with made-up ids: nothing is ever sent through it.
		if err := tx.QueryRow(ctx, `INSERT INTO numbers (tenant_id, phone_number_id, display_phone, waba_id, access_token_enc, sandbox)
			VALUES ($1, $2, '+1 555 0100', '1', 'loadgen: no token', true) RETURNING id`,
			t.id, fmt.Sprintf("9%d%s", slices.Index(RoutingPhases, phase), hexDigits(b.run))).Scan(&t.number); err != nil {
			return err
		}
		_, err = tx.Exec(ctx, `INSERT INTO number_skillsets (tenant_id, number_id, skillset_id, priority) VALUES ($1, $2, $3, 1)`,
			t.id, t.number, skillset)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("loadgen: set up the %s tenant: %w", phase, err)
	}
	return t, nil
}

// hexDigits turns the run's hex id into digits (for a Meta-like id).
func hexDigits(h string) string {
	var s strings.Builder
	for _, c := range h {
		fmt.Fprintf(&s, "%02d", strings.IndexRune("0123456789abcdef", c))
	}
	return s.String()
}

// waitLeading waits until the dispatcher holds the tenant's lease; another
// holder means another dispatcher works on this database.
func (b *routingBench) waitLeading(ctx context.Context, d *routing.Dispatcher, t *benchTenant) error {
	deadline := time.Now().Add(15 * time.Second)
	for !slices.Contains(d.Leading(), t.id) {
		if time.Now().After(deadline) {
			var holder string
			_ = b.gen.InPlatform(ctx, func(tx pgx.Tx) error {
				return tx.QueryRow(ctx, `SELECT holder FROM routing_leases WHERE tenant_id = $1 AND holder <> $2`, t.id, d.Holder()).Scan(&holder)
			})
			if holder != "" {
				return fmt.Errorf("loadgen: another dispatcher (%s: a running switchboard serve?) took the benchmark tenant; use a database of its own", holder)
			}
			return errors.New("loadgen: the dispatcher did not take the benchmark tenant's lease within 15 s")
		}
		if !sleepCtx(ctx, 20*time.Millisecond) {
			return ctx.Err()
		}
	}
	return nil
}

func (b *routingBench) tenantIDs() []string {
	b.mu.Lock()
	defer b.mu.Unlock()
	ids := make([]string, len(b.tenants))
	for i, t := range b.tenants {
		ids[i] = t.id
	}
	return ids
}

func sleepCtx(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return false
	case <-t.C:
		return true
	}
}

// heartbeat keeps every agent's presence alive, as the console does.
func (b *routingBench) heartbeat(ctx context.Context) {
	for sleepCtx(ctx, b.presence.TTL()/3) {
		b.mu.Lock()
		tenants := slices.Clone(b.tenants)
		b.mu.Unlock()
		for _, t := range tenants {
			for _, a := range t.agents {
				_, _ = b.presence.Refresh(ctx, t.id, a) // a miss shows as an agent going away
			}
		}
	}
}

// cleanup deletes the run's presence keys, then the tenants, already
// suspended by their phase (Keep: leaves them so). The dispatcher has
// stopped by then. Deleting is given 30 s: the schema makes it slow for
// tens of thousands of conversations (no index is led by
// routing_events.conversation_id or conversations.assignment_event_id, so
// the foreign-key action of each deleted row scans the other table), and a
// tenant left suspended is harmless; the line printed names it.
func (b *routingBench) cleanup(ctx context.Context) {
	ctx = context.WithoutCancel(ctx)
	pctx, cancel := context.WithTimeout(ctx, time.Minute)
	defer cancel()
	b.mu.Lock()
	tenants := slices.Clone(b.tenants)
	b.mu.Unlock()
	for _, t := range tenants {
		for _, a := range t.agents {
			_, _ = b.presence.Set(pctx, t.id, a, routing.Offline)
		}
	}
	if len(tenants) == 0 {
		return
	}
	ids := b.tenantIDs()
	if b.cfg.Keep {
		fmt.Fprintf(b.progress, "routing: kept the benchmark tenants, suspended: slugs loadgen-routing-%s-*\n", b.run)
		return
	}
	dctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	err := b.gen.InPlatform(dctx, func(tx pgx.Tx) error {
		// A linked skillset cannot be deleted (RESTRICT): unlink first.
		if _, err := tx.Exec(dctx, `DELETE FROM number_skillsets WHERE tenant_id = ANY($1)`, ids); err != nil {
			return err
		}
		_, err := tx.Exec(dctx, `DELETE FROM tenants WHERE id = ANY($1)`, ids)
		return err
	})
	if err != nil {
		// Whatever was not suspended yet (a phase that failed early) is now.
		_ = b.gen.InPlatform(ctx, func(tx pgx.Tx) error {
			_, err := tx.Exec(ctx, `UPDATE tenants SET status = 'suspended', updated_at = now() WHERE id = ANY($1)`, ids)
			return err
		})
		fmt.Fprintf(b.progress, "routing: the benchmark tenants stay, suspended (slugs loadgen-routing-%s-*): deleting them: %v\n", b.run, err)
	}
}

// settle waits until the dispatcher has applied every command of the tenant.
func (b *routingBench) settle(ctx context.Context, t *benchTenant) error {
	deadline := time.Now().Add(b.cfg.Timeout)
	for {
		var pending int
		err := b.gen.InPlatform(ctx, func(tx pgx.Tx) error {
			return tx.QueryRow(ctx, `SELECT count(*) FROM routing_commands WHERE tenant_id = $1 AND done_at IS NULL`, t.id).Scan(&pending)
		})
		if err != nil {
			return err
		}
		if pending == 0 {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("the dispatcher left %d commands unapplied after %v", pending, b.cfg.Timeout)
		}
		if !sleepCtx(ctx, 20*time.Millisecond) {
			return ctx.Err()
		}
	}
}

// available makes every agent of the tenant available through the routing
// service (Redis presence, then a presence command for the dispatcher), as
// the console does when an agent signs in.
func (b *routingBench) available(ctx context.Context, t *benchTenant) error {
	for _, a := range t.agents {
		if err := b.svc.SetAvailability(ctx, t.id, a, routing.Available); err != nil {
			return fmt.Errorf("make agent %s available: %w", a, err)
		}
	}
	return nil
}

func waID(phase, i int) string { return fmt.Sprintf("39%d%09d", phase, i) }

// contactPriority gives every tenth contact priority 1, so the queue order
// is not arrival order alone.
func contactPriority(i int) int {
	if i%10 == 0 {
		return 1
	}
	return 0
}

// arrive writes one arrival as the webhook processor does for a new
// customer: the contact, then OpenConversation (the conversation, queued,
// and the router's arrival command, notified on commit).
func (b *routingBench) arrive(ctx context.Context, t *benchTenant, i int) (string, error) {
	var conv string
	err := b.gen.InPlatform(ctx, func(tx pgx.Tx) error {
		var contact string
		if err := tx.QueryRow(ctx, `INSERT INTO contacts (tenant_id, wa_id, priority) VALUES ($1, $2, $3) RETURNING id`,
			t.id, waID(slices.Index(RoutingPhases, t.phase), i), contactPriority(i)).Scan(&contact); err != nil {
			return err
		}
		var err error
		conv, err = storage.Inbound(tx).OpenConversation(ctx, t.id, t.number, contact)
		return err
	})
	return conv, err
}

// persisted reads what Postgres holds for the tenant.
func (b *routingBench) persisted(ctx context.Context, t *benchTenant) (Persisted, error) {
	var p Persisted
	err := b.gen.InPlatform(ctx, func(tx pgx.Tx) error {
		if err := tx.QueryRow(ctx, `SELECT count(*) FROM conversations WHERE tenant_id = $1 AND status = 'assigned'`, t.id).Scan(&p.Assigned); err != nil {
			return err
		}
		return tx.QueryRow(ctx, `SELECT count(*), count(*) - count(DISTINCT conversation_id) FROM routing_events
			WHERE tenant_id = $1 AND kind = 'assigned'`, t.id).Scan(&p.Events, &p.Duplicates)
	})
	return p, err
}

// drain: Conversations queued while nobody is available (written 500 per
// transaction by four writers, and applied by the dispatcher as 'queued'),
// then every agent made available; timed from the first availability to
// the commit that persisted the last assignment.
func (b *routingBench) drain(ctx context.Context, t *benchTenant) (*DrainResult, error) {
	n := b.cfg.Conversations
	res := &DrainResult{Conversations: n}
	fmt.Fprintf(b.progress, "routing: drain: queueing %d conversations with no agent available\n", n)
	start := time.Now()
	const batch, writers = 500, 4
	var next atomic.Int64
	errs := make([]error, writers)
	var wg sync.WaitGroup
	for w := range writers {
		wg.Go(func() {
			for errs[w] == nil {
				lo := int(next.Add(batch)) - batch
				if lo >= n {
					return
				}
				hi := min(lo+batch, n)
				errs[w] = b.gen.InPlatform(ctx, func(tx pgx.Tx) error {
					was, prios := make([]string, 0, hi-lo), make([]int32, 0, hi-lo)
					for i := lo; i < hi; i++ {
						was = append(was, waID(0, i))
						prios = append(prios, int32(contactPriority(i)))
					}
					rows, err := tx.Query(ctx, `INSERT INTO contacts (tenant_id, wa_id, priority)
						SELECT $1, w, p FROM unnest($2::text[], $3::int[]) AS x(w, p) RETURNING id`, t.id, was, prios)
					if err != nil {
						return err
					}
					contacts, err := pgx.CollectRows(rows, pgx.RowTo[string])
					if err != nil {
						return err
					}
					itx := storage.Inbound(tx)
					for _, c := range contacts {
						if _, err := itx.OpenConversation(ctx, t.id, t.number, c); err != nil {
							return err
						}
					}
					return nil
				})
			}
		})
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		return res, fmt.Errorf("queue conversations: %w", err)
	}
	if err := b.settle(ctx, t); err != nil {
		return res, err
	}
	res.Queue = time.Since(start)
	fmt.Fprintf(b.progress, "routing: drain: %d queued and applied by the dispatcher in %v; making %d agents available\n",
		n, res.Queue.Round(time.Millisecond), len(t.agents))

	log := newAssignLog(n)
	b.tap.watch(t.id, log.record)
	defer b.tap.watch(t.id, nil)
	begin := time.Now()
	if err := b.available(ctx, t); err != nil {
		return res, err
	}
	waitErr := log.wait(ctx, b.cfg.Timeout)
	res.Assigned, res.Batches, res.Elapsed = log.summary(begin)
	if res.Elapsed > 0 {
		res.Rate = float64(res.Assigned) / res.Elapsed.Seconds()
	}
	if err := b.settle(ctx, t); err != nil && waitErr == nil {
		waitErr = err
	}
	var err error
	res.Persisted, err = b.persisted(ctx, t)
	return res, errors.Join(waitErr, err)
}

// stream: every agent available, then StreamConversations arrivals, one
// per transaction, from Writers goroutines as fast as they go.
func (b *routingBench) stream(ctx context.Context, t *benchTenant) (*StreamResult, error) {
	n, writers := b.cfg.StreamConversations, b.cfg.Writers
	res := &StreamResult{Conversations: n, Writers: writers}
	if err := b.available(ctx, t); err != nil {
		return res, err
	}
	if err := b.settle(ctx, t); err != nil {
		return res, err
	}
	fmt.Fprintf(b.progress, "routing: stream: %d agents available; %d arrivals from %d writers, one per transaction\n",
		len(t.agents), n, writers)
	log := newAssignLog(n)
	b.tap.watch(t.id, log.record)
	defer b.tap.watch(t.id, nil)
	arrivals := newArrivalLog()
	var next atomic.Int64
	errs := make([]error, writers)
	begin := time.Now()
	var wg sync.WaitGroup
	for w := range writers {
		wg.Go(func() {
			for {
				i := int(next.Add(1)) - 1
				if i >= n {
					return
				}
				conv, err := b.arrive(ctx, t, i)
				if err != nil {
					errs[w] = err
					return
				}
				arrivals.add(conv, time.Now())
			}
		})
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		return res, fmt.Errorf("write arrivals: %w", err)
	}
	res.Arrived = arrivals.len()
	res.ArrivalSpan = arrivals.last().Sub(begin)
	if s := res.ArrivalSpan.Seconds(); s > 0 {
		res.ArrivalRate = float64(res.Arrived) / s
	}
	waitErr := log.wait(ctx, b.cfg.Timeout)
	res.Assigned, res.Batches, res.Elapsed = log.summary(begin)
	if res.Elapsed > 0 {
		res.Rate = float64(res.Assigned) / res.Elapsed.Seconds()
	}
	res.Latency, _ = arrivals.latencies(log.times())
	var err error
	res.Persisted, err = b.persisted(ctx, t)
	return res, errors.Join(waitErr, err)
}

// latency: every agent available, the tenant's Redis channel subscribed,
// then arrivals at Rate for Duration (at most Concurrency in flight); each
// is timed from its commit to its 'assigned' event received on Redis.
func (b *routingBench) latency(ctx context.Context, t *benchTenant) (*RoutingLatencyResult, error) {
	cfg := b.cfg
	res := &RoutingLatencyResult{Rate: cfg.Rate, Duration: cfg.Duration, Concurrency: cfg.Concurrency, Planned: cfg.planned(),
		Errors: map[string]int{}}
	if err := b.available(ctx, t); err != nil {
		return res, err
	}
	if err := b.settle(ctx, t); err != nil {
		return res, err
	}
	sub := cfg.Redis.Subscribe(ctx, routing.Channel(b.prefix, t.id))
	defer sub.Close()
	if _, err := sub.Receive(ctx); err != nil { // the subscription's confirmation
		return res, fmt.Errorf("subscribe to the routing events: %w", err)
	}
	received := newArrivalLog()
	var receiver sync.WaitGroup
	receiver.Go(func() {
		for {
			msg, err := sub.ReceiveMessage(ctx)
			if err != nil {
				return // closed at the end of the phase
			}
			at := time.Now()
			var e struct {
				Kind         string `json:"kind"`
				Conversation string `json:"conversation_id"`
			}
			if json.Unmarshal([]byte(msg.Payload), &e) == nil && e.Kind == "assigned" {
				received.addFirst(e.Conversation, at)
			}
		}
	})
	defer receiver.Wait()
	defer sub.Close() // ends the receiver (runs before the Wait above)

	log := newAssignLog(res.Planned)
	b.tap.watch(t.id, log.record)
	defer b.tap.watch(t.id, nil)
	fmt.Fprintf(b.progress, "routing: latency: %d agents available; %g arrivals/s for %v (at most %d in flight)\n",
		len(t.agents), cfg.Rate, cfg.Duration, cfg.Concurrency)

	arrivals := newArrivalLog()
	var mu sync.Mutex
	var lags []time.Duration
	slots := make(chan time.Time)
	var wg sync.WaitGroup
	var seq atomic.Int64
	for range cfg.Concurrency {
		wg.Go(func() {
			for due := range slots {
				lag := time.Since(due)
				conv, err := b.arrive(ctx, t, int(seq.Add(1)-1))
				at := time.Now()
				mu.Lock()
				lags = append(lags, lag)
				if err != nil {
					res.Errors[dbErrorKind(err)]++
				}
				mu.Unlock()
				if err == nil {
					arrivals.add(conv, at)
				}
			}
		})
	}
	interval := time.Duration(float64(time.Second) / cfg.Rate)
	begin := time.Now().Add(10 * time.Millisecond)
	for i := 0; i < res.Planned && ctx.Err() == nil; i++ {
		due := begin.Add(time.Duration(i) * interval)
		if d := time.Until(due); d > 0 && !sleepCtx(ctx, d) {
			break
		}
		slots <- due
	}
	close(slots)
	wg.Wait()
	res.SendLag = summarize(lags)
	res.Arrived = arrivals.len()
	if s := arrivals.last().Sub(begin).Seconds(); s > 0 {
		res.AchievedRate = float64(res.Arrived) / s
	}

	// Wait for the last assignments to come through Redis.
	deadline := time.Now().Add(cfg.Timeout)
	var waitErr error
	for received.count(arrivals) < res.Arrived {
		if time.Now().After(deadline) {
			waitErr = fmt.Errorf("%d of %d arrivals had no 'assigned' event on Redis after %v",
				res.Arrived-received.count(arrivals), res.Arrived, cfg.Timeout)
			break
		}
		if !sleepCtx(ctx, 10*time.Millisecond) {
			waitErr = ctx.Err()
			break
		}
	}
	res.Received = received.count(arrivals)
	res.Latency, res.Early = arrivals.latencies(received.snapshot())
	res.PersistLatency, _ = arrivals.latencies(log.times())
	_, res.Batches, _ = log.summary(begin)
	p, err := b.persisted(ctx, t)
	res.AssignedInPG, res.EventsInPG, res.DuplicatesInPG = p.Assigned, p.Events, p.Duplicates
	res.UnassignedAtEnd = res.Arrived - p.Assigned
	if res.Arrived == 0 && waitErr == nil {
		waitErr = errors.New("no arrival was written")
	}
	return res, errors.Join(waitErr, err)
}

func dbErrorKind(err error) string {
	s := err.Error()
	if len(s) > 80 {
		s = s[:80]
	}
	return s
}

// eventTap sees every batch of events right after the dispatcher's commit
// (the dispatcher calls its Publisher then), notes it for the watching
// phase, and passes it on to Redis.
type eventTap struct {
	next  routing.Publisher
	mu    sync.Mutex
	sinks map[string]func(time.Time, []routing.Event)
}

func (t *eventTap) watch(tenantID string, f func(time.Time, []routing.Event)) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.sinks == nil {
		t.sinks = map[string]func(time.Time, []routing.Event){}
	}
	if f == nil {
		delete(t.sinks, tenantID)
	} else {
		t.sinks[tenantID] = f
	}
}

// Publish implements routing.Publisher.
func (t *eventTap) Publish(ctx context.Context, tenantID string, events []routing.Event) {
	at := time.Now()
	t.mu.Lock()
	f := t.sinks[tenantID]
	t.mu.Unlock()
	if f != nil {
		f(at, events)
	}
	t.next.Publish(ctx, tenantID, events)
}

// assignLog records when each conversation's assignment was committed.
type assignLog struct {
	mu      sync.Mutex
	at      map[string]time.Time
	batches []int
	last    time.Time
	want    int
	done    chan struct{}
}

func newAssignLog(want int) *assignLog {
	return &assignLog{at: make(map[string]time.Time, want), want: want, done: make(chan struct{})}
}

func (a *assignLog) record(at time.Time, events []routing.Event) {
	a.mu.Lock()
	defer a.mu.Unlock()
	n := 0
	for _, e := range events {
		if e.Kind != string(routingAssigned) {
			continue
		}
		if _, seen := a.at[e.ConversationID]; !seen {
			a.at[e.ConversationID] = at
			n++
		}
	}
	if n == 0 {
		return
	}
	a.batches = append(a.batches, n)
	a.last = at
	if len(a.at) >= a.want {
		select {
		case <-a.done:
		default:
			close(a.done)
		}
	}
}

const routingAssigned = "assigned"

// wait waits until want assignments were committed.
func (a *assignLog) wait(ctx context.Context, timeout time.Duration) error {
	t := time.NewTimer(timeout)
	defer t.Stop()
	select {
	case <-a.done:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		a.mu.Lock()
		defer a.mu.Unlock()
		return fmt.Errorf("%d of %d conversations assigned after %v", len(a.at), a.want, timeout)
	}
}

// summary returns how many were assigned, the dispatcher's batches, and
// the time from begin to the last assignment's commit.
func (a *assignLog) summary(begin time.Time) (int, Batches, time.Duration) {
	a.mu.Lock()
	defer a.mu.Unlock()
	b := Batches{Transactions: len(a.batches)}
	total := 0
	for _, n := range a.batches {
		b.Largest = max(b.Largest, n)
		total += n
	}
	if b.Transactions > 0 {
		b.Mean = float64(total) / float64(b.Transactions)
	}
	var elapsed time.Duration
	if total > 0 {
		elapsed = a.last.Sub(begin)
	}
	return len(a.at), b, elapsed
}

func (a *assignLog) times() map[string]time.Time {
	a.mu.Lock()
	defer a.mu.Unlock()
	return maps.Clone(a.at)
}

// arrivalLog records a time per conversation.
type arrivalLog struct {
	mu     sync.Mutex
	at     map[string]time.Time
	latest time.Time
}

func newArrivalLog() *arrivalLog { return &arrivalLog{at: map[string]time.Time{}} }

func (l *arrivalLog) add(conv string, at time.Time) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.at[conv] = at
	if at.After(l.latest) {
		l.latest = at
	}
}

func (l *arrivalLog) addFirst(conv string, at time.Time) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if _, ok := l.at[conv]; !ok {
		l.at[conv] = at
	}
}

func (l *arrivalLog) len() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return len(l.at)
}

func (l *arrivalLog) last() time.Time {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.latest
}

func (l *arrivalLog) snapshot() map[string]time.Time {
	l.mu.Lock()
	defer l.mu.Unlock()
	return maps.Clone(l.at)
}

// count is how many of the arrivals in other this log has.
func (l *arrivalLog) count(other *arrivalLog) int {
	keys := other.snapshot()
	l.mu.Lock()
	defer l.mu.Unlock()
	n := 0
	for k := range keys {
		if _, ok := l.at[k]; ok {
			n++
		}
	}
	return n
}

// latencies measures, for each arrival that has a time in then, the time
// from its arrival to then; early counts those seen before the arrival's
// time was taken (the writer had not yet been scheduled), counted as 0.
func (l *arrivalLog) latencies(then map[string]time.Time) (lat Latency, early int) {
	l.mu.Lock()
	samples := make([]time.Duration, 0, len(l.at))
	for k, a := range l.at {
		t, ok := then[k]
		if !ok {
			continue
		}
		d := t.Sub(a)
		if d < 0 {
			d, early = 0, early+1
		}
		samples = append(samples, d)
	}
	l.mu.Unlock()
	return summarize(samples), early
}

// WriteSummary prints the result as a few aligned lines.
func (r RoutingResult) WriteSummary(w io.Writer) {
	fmt.Fprintf(w, "routing:    run %s: %d agents × capacity %d per phase, one skillset on one number; the dispatcher in process\n",
		r.Run, r.Agents, r.Capacity)
	if r.VacuumEvery > 0 {
		fmt.Fprintf(w, "            server autovacuum %s: VACUUM (ANALYZE) of the tables every %v in its place (%d runs)\n",
			r.ServerAutovacuum, r.VacuumEvery, r.Vacuumed)
	}
	if d := r.Drain; d != nil {
		fmt.Fprintf(w, "drain:      %d queued with nobody available (%v, not timed); all agents made available →\n", d.Conversations, d.Queue.Round(time.Millisecond))
		fmt.Fprintf(w, "            %d assignments persisted in %v = %.1f/s (%d transactions, largest %d, mean %.1f)\n",
			d.Assigned, d.Elapsed.Round(time.Millisecond), d.Rate, d.Batches.Transactions, d.Batches.Largest, d.Batches.Mean)
		fmt.Fprintf(w, "            in Postgres: %d conversations assigned, %d assigned events, %d duplicates\n", d.Persisted.Assigned, d.Events, d.Duplicates)
	}
	if s := r.Stream; s != nil {
		fmt.Fprintf(w, "stream:     %d arrivals from %d writers in %v = %.1f/s; all assigned %v after the first write = %.1f assignments/s\n",
			s.Arrived, s.Writers, s.ArrivalSpan.Round(time.Millisecond), s.ArrivalRate, s.Elapsed.Round(time.Millisecond), s.Rate)
		fmt.Fprintf(w, "            %d transactions (largest %d, mean %.1f); arrival commit → assignment commit p50 %s p99 %s max %s\n",
			s.Batches.Transactions, s.Batches.Largest, s.Batches.Mean, ms(s.Latency.P50), ms(s.Latency.P99), ms(s.Latency.Max))
		fmt.Fprintf(w, "            in Postgres: %d conversations assigned, %d assigned events, %d duplicates\n", s.Persisted.Assigned, s.Events, s.Duplicates)
	}
	if l := r.Latency; l != nil {
		fmt.Fprintf(w, "latency:    %g arrivals/s for %v (at most %d in flight): planned %d, arrived %d (%.1f/s), failed %d, assigned on Redis %d\n",
			l.Rate, l.Duration, l.Concurrency, l.Planned, l.Arrived, l.AchievedRate, l.Planned-l.Arrived, l.Received)
		fmt.Fprintf(w, "            arrival commit → 'assigned' received on Redis: p50 %s  p95 %s  p99 %s  p99.9 %s  max %s\n",
			ms(l.Latency.P50), ms(l.Latency.P95), ms(l.Latency.P99), ms(l.Latency.P999), ms(l.Latency.Max))
		fmt.Fprintf(w, "            arrival commit → assignment commit:         p50 %s  p95 %s  p99 %s  max %s\n",
			ms(l.PersistLatency.P50), ms(l.PersistLatency.P95), ms(l.PersistLatency.P99), ms(l.PersistLatency.Max))
		fmt.Fprintf(w, "            send lag p99 %s, max %s; %d dispatcher transactions (mean %.1f); in Postgres %d assigned, %d duplicates\n",
			ms(l.SendLag.P99), ms(l.SendLag.Max), l.Batches.Transactions, l.Batches.Mean, l.AssignedInPG, l.DuplicatesInPG)
	}
}

// WriteJSON writes the result as one JSON object. The headline figures
// come first, as top-level numbers (0 for a phase not run), for scripts.
func (r RoutingResult) WriteJSON(w io.Writer) error {
	type batchesJSON struct {
		Transactions int     `json:"transactions"`
		Largest      int     `json:"largest"`
		Mean         float64 `json:"mean"`
	}
	bj := func(b Batches) batchesJSON { return batchesJSON{b.Transactions, b.Largest, b.Mean} }
	type drainJSON struct {
		Conversations  int         `json:"conversations"`
		QueueSeconds   float64     `json:"queue_s"`
		ElapsedSeconds float64     `json:"elapsed_s"`
		Assigned       int         `json:"assigned"`
		Rate           float64     `json:"assignments_per_s"`
		Batches        batchesJSON `json:"dispatcher_transactions"`
		InPostgres     Persisted   `json:"in_postgres"`
	}
	type streamJSON struct {
		Conversations      int         `json:"conversations"`
		Writers            int         `json:"writers"`
		Arrived            int         `json:"arrived"`
		ArrivalSpanSeconds float64     `json:"arrival_span_s"`
		ArrivalRate        float64     `json:"arrivals_per_s"`
		ElapsedSeconds     float64     `json:"elapsed_s"`
		Assigned           int         `json:"assigned"`
		Rate               float64     `json:"assignments_per_s"`
		Latency            latencyJSON `json:"arrival_to_assignment_commit"`
		Batches            batchesJSON `json:"dispatcher_transactions"`
		InPostgres         Persisted   `json:"in_postgres"`
	}
	type latJSON struct {
		Rate            float64        `json:"rate"`
		DurationSeconds float64        `json:"duration_s"`
		Concurrency     int            `json:"concurrency"`
		Planned         int            `json:"planned"`
		Arrived         int            `json:"arrived"`
		AchievedRate    float64        `json:"arrivals_per_s"`
		Errors          map[string]int `json:"errors"`
		Received        int            `json:"assigned_received_on_redis"`
		Latency         latencyJSON    `json:"arrival_to_redis_event"`
		PersistLatency  latencyJSON    `json:"arrival_to_assignment_commit"`
		SendLag         latencyJSON    `json:"send_lag"`
		Early           int            `json:"seen_before_arrival_time"`
		Batches         batchesJSON    `json:"dispatcher_transactions"`
		AssignedInPG    int            `json:"assigned_in_postgres"`
		EventsInPG      int            `json:"assigned_events_in_postgres"`
		DuplicatesInPG  int            `json:"duplicates_in_postgres"`
		UnassignedAtEnd int            `json:"unassigned_at_end"`
	}
	out := struct {
		Run              string      `json:"run"`
		DrainRate        float64     `json:"drain_assignments_per_s"`
		StreamRate       float64     `json:"stream_assignments_per_s"`
		StreamArrivals   float64     `json:"stream_arrivals_per_s"`
		LatencyRate      float64     `json:"latency_rate"`
		LatencyAchieved  float64     `json:"latency_arrivals_per_s"`
		LatencyArrived   int         `json:"latency_arrived"`
		LatencyAssigned  int         `json:"latency_assigned"`
		P50              float64     `json:"latency_p50_ms"`
		P95              float64     `json:"latency_p95_ms"`
		P99              float64     `json:"latency_p99_ms"`
		Max              float64     `json:"latency_max_ms"`
		PersistP99       float64     `json:"latency_commit_p99_ms"`
		Duplicates       int         `json:"duplicates"`
		Agents           int         `json:"agents"`
		Capacity         int         `json:"capacity"`
		Autovacuum       string      `json:"server_autovacuum"`
		VacuumEvery      float64     `json:"vacuum_every_s"`
		Vacuumed         int         `json:"vacuumed"`
		Drain            *drainJSON  `json:"drain,omitempty"`
		Stream           *streamJSON `json:"stream,omitempty"`
		LatencyPhase     *latJSON    `json:"latency,omitempty"`
		ConversationsSum int         `json:"conversations_written"`
	}{Run: r.Run, Agents: r.Agents, Capacity: r.Capacity, Autovacuum: r.ServerAutovacuum, VacuumEvery: r.VacuumEvery.Seconds(),
		Vacuumed: r.Vacuumed}
	if d := r.Drain; d != nil {
		out.DrainRate, out.Duplicates = d.Rate, out.Duplicates+d.Duplicates
		out.ConversationsSum += d.Conversations
		out.Drain = &drainJSON{d.Conversations, d.Queue.Seconds(), d.Elapsed.Seconds(), d.Assigned, d.Rate, bj(d.Batches), d.Persisted}
	}
	if s := r.Stream; s != nil {
		out.StreamRate, out.StreamArrivals, out.Duplicates = s.Rate, s.ArrivalRate, out.Duplicates+s.Duplicates
		out.ConversationsSum += s.Arrived
		out.Stream = &streamJSON{s.Conversations, s.Writers, s.Arrived, s.ArrivalSpan.Seconds(), s.ArrivalRate, s.Elapsed.Seconds(),
			s.Assigned, s.Rate, s.Latency.json(), bj(s.Batches), s.Persisted}
	}
	if l := r.Latency; l != nil {
		out.LatencyRate, out.LatencyArrived, out.LatencyAssigned, out.LatencyAchieved = l.Rate, l.Arrived, l.Received, l.AchievedRate
		out.P50, out.P95, out.P99, out.Max = millis(l.Latency.P50), millis(l.Latency.P95), millis(l.Latency.P99), millis(l.Latency.Max)
		out.PersistP99, out.Duplicates = millis(l.PersistLatency.P99), out.Duplicates+l.DuplicatesInPG
		out.ConversationsSum += l.Arrived
		out.LatencyPhase = &latJSON{l.Rate, l.Duration.Seconds(), l.Concurrency, l.Planned, l.Arrived, l.AchievedRate, l.Errors,
			l.Received, l.Latency.json(), l.PersistLatency.json(), l.SendLag.json(), l.Early, bj(l.Batches), l.AssignedInPG,
			l.EventsInPG, l.DuplicatesInPG, l.UnassignedAtEnd}
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(out)
}
