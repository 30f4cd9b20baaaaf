// Package routing runs the routing rule live: the dispatcher applies each
// tenant's routing commands and agents' presence to an in-memory
// router.Router, one dispatcher per tenant across all instances, and the
// Service is what the API, the consoles and the CLI call to change routing.
//
// The design in one paragraph: Postgres holds the truth (conversations'
// routing state, routing_events, routing_commands); anyone who wants a
// routing change inserts a command and NOTIFYs; only the tenant's
// dispatcher, holding the tenant's lease, changes routing state, in
// transactions that lock the lease row and check its epoch, so two
// instances never both write and a stale one cannot. A dispatcher that
// starts (or fails a write) rebuilds its router from Postgres.
package routing

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"sync"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"switchboard/internal/storage"
)

// Options configure a Dispatcher; zero durations take the defaults.
type Options struct {
	Store     *storage.Store
	Pool      *pgxpool.Pool // for the LISTEN connection
	Presence  *Presence
	Publisher Publisher
	Logger    *slog.Logger
	// LeaseTTL is how long a tenant's lease lasts unrenewed: a dead
	// instance's tenants are taken over within about this time.
	LeaseTTL time.Duration
	// Sweep is how often presence is read and pending commands are
	// looked for even without a notification.
	Sweep time.Duration
	// OnEvents, when set, is told of every batch of events written (metrics).
	OnEvents func([]Event)
	// Told, when set, publishes the agent events written (the realtime hub).
	Told func(context.Context, []storage.AgentEvent)
	Now  func() time.Time
}

// Dispatcher takes the leases of the tenants it can and runs their loops.
type Dispatcher struct {
	opt    Options
	holder string

	mu    sync.Mutex
	loops map[string]*tenantLoop
}

// NewDispatcher prepares a dispatcher; Run starts it.
func NewDispatcher(opt Options) *Dispatcher {
	if opt.LeaseTTL <= 0 {
		opt.LeaseTTL = 6 * time.Second
	}
	if opt.Sweep <= 0 {
		opt.Sweep = time.Second
	}
	if opt.Publisher == nil {
		opt.Publisher = Publishers(nil)
	}
	if opt.Logger == nil {
		opt.Logger = slog.New(slog.DiscardHandler)
	}
	if opt.Now == nil {
		opt.Now = time.Now
	}
	host, _ := os.Hostname()
	b := make([]byte, 4)
	_, _ = rand.Read(b)
	return &Dispatcher{opt: opt, holder: fmt.Sprintf("%s/%d/%s", host, os.Getpid(), hex.EncodeToString(b)), loops: map[string]*tenantLoop{}}
}

func (d *Dispatcher) now() time.Time { return d.opt.Now().UTC() }

func (d *Dispatcher) metrics(events []Event) {
	if d.opt.OnEvents != nil {
		d.opt.OnEvents(events)
	}
}

// Holder is this dispatcher's name in routing_leases.
func (d *Dispatcher) Holder() string { return d.holder }

// Leading lists the tenants this dispatcher holds now.
func (d *Dispatcher) Leading() []string {
	d.mu.Lock()
	defer d.mu.Unlock()
	out := make([]string, 0, len(d.loops))
	for id := range d.loops {
		out = append(out, id)
	}
	return out
}

// Run takes and renews leases, listens for notifications and runs the
// tenants' loops until ctx ends; then it releases its leases so another
// instance takes over at once.
func (d *Dispatcher) Run(ctx context.Context) error {
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		d.listen(ctx)
	}()
	renew := time.NewTicker(d.opt.LeaseTTL / 3)
	defer renew.Stop()
	prune := time.NewTicker(time.Minute)
	defer prune.Stop()
	for {
		d.leases(ctx, &wg)
		select {
		case <-ctx.Done():
			// The loops this stop ends stay in d.loops (see start): once
			// they have all ended, nothing writes any more and their
			// leases are released.
			wg.Wait()
			d.release(d.held())
			return nil
		case <-renew.C:
		case <-prune.C:
			if err := d.opt.Store.PruneRoutingCommands(ctx, 10*time.Minute); err != nil && ctx.Err() == nil {
				d.opt.Logger.Warn("prune routing commands", "err", err)
			}
		}
	}
}

type running struct {
	loop   *tenantLoop
	cancel context.CancelFunc
	done   chan struct{}
}

// leases renews the leases held and takes free ones.
func (d *Dispatcher) leases(ctx context.Context, wg *sync.WaitGroup) {
	tenants, err := d.opt.Store.RoutingTenants(ctx)
	if err != nil {
		if ctx.Err() == nil {
			d.opt.Logger.Warn("list tenants for routing", "err", err)
		}
		return
	}
	for _, id := range tenants {
		d.mu.Lock()
		l := d.loops[id]
		d.mu.Unlock()
		if l != nil {
			ok, err := d.opt.Store.RenewRoutingLease(ctx, id, d.holder, l.epoch, d.opt.LeaseTTL)
			if err == nil && !ok {
				d.opt.Logger.Warn("routing lease lost", "tenant", id)
				l.stop()
			}
			continue
		}
		epoch, ok, err := d.opt.Store.AcquireRoutingLease(ctx, id, d.holder, d.opt.LeaseTTL)
		if err != nil || !ok {
			continue
		}
		d.start(ctx, wg, id, epoch)
	}
}

func (d *Dispatcher) start(ctx context.Context, wg *sync.WaitGroup, tenantID string, epoch int64) {
	lctx, cancel := context.WithCancel(ctx)
	l := &tenantLoop{d: d, tenantID: tenantID, epoch: epoch, wake: make(chan struct{}, 1),
		log: d.opt.Logger.With("tenant", tenantID, "epoch", epoch), cancel: cancel}
	d.mu.Lock()
	d.loops[tenantID] = l
	d.mu.Unlock()
	l.log.Info("routing: dispatching tenant")
	wg.Add(1)
	go func() {
		defer wg.Done()
		err := l.run(lctx)
		cancel()
		d.mu.Lock()
		// A loop ended by the dispatcher's stop stays listed, for Run to
		// release its lease; one that ended on its own (lease lost) goes.
		if d.loops[tenantID] == l && ctx.Err() == nil {
			delete(d.loops, tenantID)
		}
		d.mu.Unlock()
		if errors.Is(err, storage.ErrLeaseLost) {
			l.log.Warn("routing: lease lost, another instance dispatches this tenant")
		}
	}()
}

// held is the epoch of each lease this dispatcher holds now.
func (d *Dispatcher) held() map[string]int64 {
	d.mu.Lock()
	defer d.mu.Unlock()
	out := make(map[string]int64, len(d.loops))
	for id, l := range d.loops {
		out[id] = l.epoch
	}
	return out
}

// release ends the leases once their loops have stopped, so another
// instance takes the tenants over at its next look instead of waiting for
// the leases to expire. A lease lost meanwhile has another holder or epoch
// and is left alone.
func (d *Dispatcher) release(held map[string]int64) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	d.mu.Lock()
	d.loops = map[string]*tenantLoop{}
	d.mu.Unlock()
	for id, epoch := range held {
		if err := d.opt.Store.ReleaseRoutingLease(ctx, id, d.holder, epoch); err != nil {
			d.opt.Logger.Warn("routing: release lease", "tenant", id, "err", err)
		}
	}
}

// Wake makes the tenant's loop run now, if this instance dispatches it.
func (d *Dispatcher) Wake(tenantID string) {
	d.mu.Lock()
	l := d.loops[tenantID]
	d.mu.Unlock()
	if l != nil {
		l.poke()
	}
}

func (d *Dispatcher) wakeAll() {
	d.mu.Lock()
	defer d.mu.Unlock()
	for _, l := range d.loops {
		l.poke()
	}
}

// listen waits for NOTIFY on storage.RoutingChannel on a connection of its
// own; after a lost connection it wakes every loop, since notifications
// may have been missed (the loops' sweep would find the commands anyway).
func (d *Dispatcher) listen(ctx context.Context) {
	failures := 0
	for ctx.Err() == nil {
		err := d.listenOnce(ctx)
		if ctx.Err() != nil {
			return
		}
		failures++
		d.opt.Logger.Warn("routing: LISTEN connection lost", "err", err)
		d.wakeAll()
		if !sleep(ctx, backoff(failures)) {
			return
		}
	}
}

func (d *Dispatcher) listenOnce(ctx context.Context) error {
	c, err := d.opt.Pool.Acquire(ctx)
	if err != nil {
		return err
	}
	conn := c.Hijack() // a listening connection must not go back to the pool
	defer conn.Close(context.Background())
	if _, err := conn.Exec(ctx, "LISTEN "+storage.RoutingChannel); err != nil {
		return err
	}
	d.wakeAll()
	for {
		n, err := conn.WaitForNotification(ctx)
		if err != nil {
			return err
		}
		d.Wake(n.Payload)
	}
}
