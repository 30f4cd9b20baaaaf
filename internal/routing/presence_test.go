package routing_test

import (
	"context"
	"errors"
	"io"
	"net"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"switchboard/internal/routing"
	"switchboard/internal/storage/storagetest"
)

// An agent whose console stops beating takes nothing new at once, and loses
// its conversations to the queue only once the grace period has passed.
func TestPresenceExpiryRequeuesAfterGraceNotBefore(t *testing.T) {
	t.Parallel()
	e := newEnv(t, time.Second)
	e.grace(3, true)
	n := e.number()
	s := e.skillset("Sales")
	anna, bruno := e.agent("Anna", 5, nil), e.agent("Bruno", 5, nil)
	e.member(s, anna, 1)
	e.member(s, bruno, 0)
	e.link(n, s, 1)
	e.dispatcher(0)
	// Anna's presence lapses 1 s after she set it (no heartbeat); timed
	// from before the write, expired is never later than the real expiry.
	expired := time.Now().Add(time.Second)
	e.available(anna)
	c1 := e.arrive(n, 0)
	e.waitHolder(c1, anna)
	// Bruno comes and stays.
	e.available(bruno)
	stopBeat := beat(t, e, bruno, 300*time.Millisecond)
	defer stopBeat()
	// A conversation arriving once Anna's presence lapsed goes to Bruno,
	// though Anna ranks first and has room.
	time.Sleep(time.Until(expired.Add(300 * time.Millisecond)))
	c2 := e.arrive(n, 0)
	e.waitHolder(c2, bruno)
	// Within the grace period Anna keeps c1 (expiry is at or after expired).
	time.Sleep(time.Until(expired.Add(2 * time.Second)))
	if got, _ := e.holder(c1); got != anna {
		t.Fatalf("c1 left Anna %v after her presence expired, before the 3 s grace: holder %q", time.Since(expired), got)
	}
	// After it, c1 is requeued with its arrival time and goes to Bruno.
	e.waitHolder(c1, bruno)
	if late := time.Since(expired); late < 3*time.Second {
		t.Fatalf("requeued %v after expiry, before the grace period", late)
	}
	if n := e.count(`SELECT count(*) FROM routing_events WHERE conversation_id = $1 AND kind = 'requeued' AND from_agent_id = $2`, c1, anna); n != 1 {
		t.Fatalf("requeued events from Anna = %d, want 1", n)
	}
	if n := e.count(`SELECT count(*) FROM conversations WHERE id = $1 AND queued_at < (SELECT min(at) FROM routing_events WHERE conversation_id = $1)`, c1); n != 1 {
		t.Fatal("c1 lost its original arrival time")
	}
}

// With requeue_on_offline off, an agent who leaves keeps its conversations.
func TestNoRequeueWhenTenantSaysSo(t *testing.T) {
	t.Parallel()
	e := newEnv(t, 500*time.Millisecond)
	e.grace(0, false)
	n := e.number()
	s := e.skillset("Sales")
	anna := e.agent("Anna", 5, nil)
	e.member(s, anna, 1)
	e.link(n, s, 1)
	e.dispatcher(0)
	e.available(anna)
	c1 := e.arrive(n, 0)
	e.waitHolder(c1, anna)
	time.Sleep(1500 * time.Millisecond)
	if got, _ := e.holder(c1); got != anna {
		t.Fatalf("c1 holder %q after Anna went offline with requeue_on_offline off", got)
	}
	c2 := e.arrive(n, 0)
	time.Sleep(500 * time.Millisecond)
	if got, st := e.holder(c2); got != "" || st != "queued" {
		t.Fatalf("c2 went to an offline agent: %q %s", got, st)
	}
}

func beat(t *testing.T, e *env, agent string, every time.Duration) (stop func()) {
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	wg.Go(func() {
		tk := time.NewTicker(every)
		defer tk.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-tk.C:
				if _, err := e.svc.Heartbeat(ctx, e.tenantID, agent, ""); err != nil && ctx.Err() == nil {
					t.Error(err)
				}
			}
		}
	})
	return func() { cancel(); wg.Wait() }
}

// cuttable is a TCP proxy to Redis that the test can cut and restore, as a
// network partition or a Redis restart would.
type cuttable struct {
	ln    net.Listener
	mu    sync.Mutex
	up    bool
	conns []net.Conn
}

func newCuttable(t *testing.T, target string) *cuttable {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := &cuttable{ln: ln, up: true}
	t.Cleanup(func() { ln.Close(); p.set(false) })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			p.mu.Lock()
			if !p.up {
				p.mu.Unlock()
				c.Close()
				continue
			}
			r, err := net.Dial("tcp", target)
			if err != nil {
				p.mu.Unlock()
				c.Close()
				continue
			}
			p.conns = append(p.conns, c, r)
			p.mu.Unlock()
			go func() { _, _ = io.Copy(r, c); r.Close() }()
			go func() { _, _ = io.Copy(c, r); c.Close() }()
		}
	}()
	return p
}

func (p *cuttable) set(up bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.up = up
	if !up {
		for _, c := range p.conns {
			c.Close()
		}
		p.conns = nil
	}
}

// When the dispatcher cannot read presence it assigns nothing and requeues
// nothing; when Redis answers again, routing resumes.
func TestRedisLossAssignsNobodyAndRequeuesNothing(t *testing.T) {
	t.Parallel()
	e := newEnv(t, 2*time.Second)
	e.grace(1, true)
	opts, err := redis.ParseURL(storagetest.RedisURL())
	if err != nil {
		t.Fatal(err)
	}
	proxy := newCuttable(t, opts.Addr)
	opts.Addr = proxy.ln.Addr().String()
	opts.MaxRetries = -1
	opts.DialTimeout, opts.ReadTimeout = 200*time.Millisecond, 200*time.Millisecond
	cut := redis.NewClient(opts)
	t.Cleanup(func() { cut.Close() })
	// The dispatcher reads presence through the proxy; agents write it directly.
	e.presence = routing.NewPresence(cut, e.prefix, 2*time.Second)
	writer := routing.NewPresence(e.rdb, e.prefix, 2*time.Second)
	e.svc = &routing.Service{Store: e.db.Store, Presence: writer}
	n := e.number()
	s := e.skillset("Sales")
	anna := e.agent("Anna", 5, nil)
	e.member(s, anna, 1)
	e.link(n, s, 1)
	e.dispatcher(0)
	stopBeat := beat(t, e, anna, 300*time.Millisecond)
	defer stopBeat()
	e.available(anna)
	c1 := e.arrive(n, 0)
	e.waitHolder(c1, anna)

	proxy.set(false)
	// Anna stops beating during the outage: the dispatcher cannot know.
	stopBeat()
	c2 := e.arrive(n, 0)
	time.Sleep(4 * time.Second) // past Anna's TTL and the grace period
	if got, st := e.holder(c2); got != "" || st != "queued" {
		t.Fatalf("while Redis was unreachable c2 went to %q (%s)", got, st)
	}
	if got, _ := e.holder(c1); got != anna {
		t.Fatalf("while Redis was unreachable c1 was taken from Anna: holder %q", got)
	}

	// Redis answers again: Anna is gone (her key expired), so after a full
	// grace period from now her conversation is requeued; she comes back
	// and both are hers again.
	proxy.set(true)
	time.Sleep(300 * time.Millisecond)
	if got, st := e.holder(c2); got != "" || st != "queued" {
		t.Fatalf("c2 went to %q (%s) to an agent without presence", got, st)
	}
	e.available(anna)
	e.waitHolder(c2, anna)
	if n := e.count(`SELECT count(*) FROM routing_events WHERE kind = 'assigned' AND conversation_id = $1`, c2); n != 1 {
		t.Fatalf("c2 assigned %d times", n)
	}
}

// Signing off re-routes at once (no grace period: it is not a reload), and
// an agent created after the dispatcher started is known to it as soon as a
// command names it.
func TestSignOffRequeuesAtOnceAndNewAgentsAreKnown(t *testing.T) {
	t.Parallel()
	e := newEnv(t, 0)
	e.grace(600, true)
	n := e.number()
	s := e.skillset("Sales")
	anna, bruno := e.agent("Anna", 5, nil), e.agent("Bruno", 5, nil)
	e.member(s, anna, 1)
	e.member(s, bruno, 0)
	e.link(n, s, 1)
	e.dispatcher(0)
	e.available(anna)
	e.available(bruno)
	c1 := e.arrive(n, 0)
	e.waitHolder(c1, anna)
	if err := e.svc.SetAvailability(context.Background(), e.tenantID, anna, routing.Offline); err != nil {
		t.Fatal(err)
	}
	e.waitHolder(c1, bruno)
	if err := e.svc.TransferToAgent(context.Background(), e.tenantID, c1, anna, "test"); err == nil {
		t.Fatal("a transfer to an agent who signed off was accepted")
	}
	// Carla is created with plain rows (nothing tells the dispatcher), then
	// becomes available and is given c1 directly.
	carla := e.agent("Carla", 5, nil)
	e.available(carla)
	if err := e.svc.TransferToAgent(context.Background(), e.tenantID, c1, carla, "test"); err != nil {
		t.Fatalf("transfer to a new agent: %v", err)
	}
	e.waitHolder(c1, carla)
}

// A heartbeat after the presence lapsed (Redis restarted, the laptop
// slept) restores the state the agent's page shows, within the grace
// period: nothing is re-routed. A sign-off elsewhere is not undone.
func TestHeartbeatRestoresALapsedPresence(t *testing.T) {
	t.Parallel()
	e := newEnv(t, 0)
	ctx := context.Background()
	anna := e.agent("Anna", 5, nil)
	e.available(anna)
	// A Redis restart: this test's keys are gone (other tests share Redis).
	keys, err := e.rdb.Keys(ctx, e.prefix+"*").Result()
	if err != nil || len(keys) == 0 {
		t.Fatalf("keys: %v %v", keys, err)
	}
	if err := e.rdb.Del(ctx, keys...).Err(); err != nil {
		t.Fatal(err)
	}
	if s, _ := e.presence.States(ctx, e.tenantID, []string{anna}); s[anna] != routing.Offline {
		t.Fatalf("after the flush Anna is %q", s[anna])
	}
	state, err := e.svc.Heartbeat(ctx, e.tenantID, anna, routing.Available)
	if err != nil || state != routing.Available {
		t.Fatalf("heartbeat: %q %v", state, err)
	}
	if s, _ := e.presence.States(ctx, e.tenantID, []string{anna}); s[anna] != routing.Available {
		t.Fatalf("after the heartbeat Anna is %q", s[anna])
	}
	if err := e.svc.SetAvailability(ctx, e.tenantID, anna, routing.Offline); err != nil {
		t.Fatal(err)
	}
	if state, _ := e.svc.Heartbeat(ctx, e.tenantID, anna, routing.Available); state != routing.Offline {
		t.Fatalf("a stale tab's heartbeat undid the sign-off: %q", state)
	}
}

// A close asked for before the customer wrote again is refused, so that the
// new message is not buried in a closed conversation.
func TestCloseRefusedWhenTheCustomerWroteMeanwhile(t *testing.T) {
	t.Parallel()
	e := newEnv(t, 0)
	n := e.number()
	c := e.arrive(n, 0)
	svc := &routing.Service{Store: e.db.Store, Presence: e.presence, Wait: 50 * time.Millisecond}
	if err := svc.Close(context.Background(), e.tenantID, c, "test"); !errors.Is(err, routing.ErrPending) {
		t.Fatalf("close without a dispatcher: %v", err)
	}
	e.exec(`INSERT INTO messages (tenant_id, conversation_id, wamid, direction, type, text, wa_timestamp)
		VALUES ($1, $2, 'wamid.late', 'inbound', 'text', 'one more thing', now())`, e.tenantID, c)
	e.dispatcher(0)
	eventually(t, 5*time.Second, "the close is refused", func() bool {
		return e.count(`SELECT count(*) FROM routing_commands WHERE kind = 'close' AND done_at IS NOT NULL AND error = 'customer_wrote'`) == 1
	})
	if _, st := e.holder(c); st != "queued" {
		t.Fatalf("status %s, want queued", st)
	}
}

// An agent the router found without presence when it was built, who then
// chooses "away", is away to the router: a colleague can transfer a
// conversation to it (the router once kept it offline, refusing).
func TestAwayAfterRebuildIsAway(t *testing.T) {
	t.Parallel()
	e := newEnv(t, 30*time.Second)
	n := e.number()
	s := e.skillset("Sales")
	anna, bruno := e.agent("Anna", 5, nil), e.agent("Bruno", 5, nil)
	e.member(s, anna, 1)
	e.member(s, bruno, 0)
	e.link(n, s, 1)
	e.dispatcher(0)
	e.available(anna)
	c := e.arrive(n, 0)
	e.waitHolder(c, anna) // the router is built, with Bruno offline
	ctx := context.Background()
	if err := e.svc.SetAvailability(ctx, e.tenantID, bruno, routing.Away); err != nil {
		t.Fatal(err)
	}
	if err := e.svc.TransferToAgent(ctx, e.tenantID, c, bruno, "test"); err != nil {
		t.Fatalf("transfer to Bruno, away: %v", err)
	}
	e.waitHolder(c, bruno)
}
