package routing_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"switchboard/internal/routing"
	"switchboard/internal/storage"
)

// Two instances, 500 conversations arriving concurrently, the leading
// instance crashing half-way (its pool closed under it, its lease never
// released): every conversation ends with exactly one assignment, and no
// agent ever held more than its capacity.
func TestTwoInstancesExactlyOnceThroughACrash(t *testing.T) {
	t.Parallel()
	const agents, capacity, total = 10, 30, 500
	e := newEnv(t, 0)
	n1, n2 := e.number(), e.number()
	s := e.skillset("All")
	ids := make([]string, agents)
	for i := range ids {
		ids[i] = e.agent(fmt.Sprintf("Agent%02d", i), capacity, nil)
		e.member(s, ids[i], i%3)
	}
	e.link(n1, s, 1)
	e.link(n2, s, 1)

	first, stopFirst, crashFirst := e.crashable(time.Second)
	eventually(t, 10*time.Second, "first instance leads", func() bool { return len(first.Leading()) == 2 })
	e.standby(time.Second)
	for _, a := range ids {
		e.available(a)
	}
	stopBeat := make([]func(), len(ids))
	for i, a := range ids {
		stopBeat[i] = beat(t, e, a, 500*time.Millisecond)
	}
	defer func() {
		for _, s := range stopBeat {
			s()
		}
	}()

	// 8 writers open 500 conversations on the two numbers.
	convs := make(chan string, total)
	var wg sync.WaitGroup
	for w := range 8 {
		wg.Go(func() {
			for i := w; i < total; i += 8 {
				convs <- e.arrive([]string{n1, n2}[i%2], i%4)
			}
		})
	}
	// Meanwhile agents close what they hold, so that all 500 get served.
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	closer := sync.WaitGroup{}
	closer.Go(func() { e.closeAssigned(ctx) })
	time.Sleep(300 * time.Millisecond)
	crashFirst()
	wg.Wait()
	close(convs)
	eventually(t, 60*time.Second, "every conversation assigned once", func() bool {
		return e.count(`SELECT count(DISTINCT conversation_id) FROM routing_events WHERE tenant_id = $1 AND kind = 'assigned'`, e.tenantID) == total
	})
	cancel()
	closer.Wait()
	stopFirst()
	if n := e.count(`SELECT count(*) FROM (SELECT conversation_id FROM routing_events WHERE tenant_id = $1 AND kind = 'assigned'
		GROUP BY conversation_id HAVING count(*) > 1) x`, e.tenantID); n != 0 {
		t.Fatalf("%d conversations were assigned more than once", n)
	}
	if n := e.count(`SELECT count(DISTINCT conversation_id) FROM routing_events WHERE tenant_id = $1`, e.tenantID); n != total {
		t.Fatalf("%d conversations have routing events, want %d", n, total)
	}
	e.checkCapacity(capacity)
	if n := e.count(`SELECT max(epoch) FROM routing_leases WHERE tenant_id = $1`, e.tenantID); n < 2 {
		t.Fatalf("lease epoch %d: the second instance never took over", n)
	}
}

// Many conversations arriving at once for few agents: nobody goes over
// capacity, and the rest wait.
func TestConcurrentArrivalsNeverExceedCapacity(t *testing.T) {
	t.Parallel()
	e := newEnv(t, 0)
	n := e.number()
	s := e.skillset("Sales")
	var ids []string
	for i := range 5 {
		a := e.agent(fmt.Sprintf("Agent%d", i), 3, nil)
		e.member(s, a, 0)
		ids = append(ids, a)
	}
	e.link(n, s, 1)
	e.dispatcher(0)
	e.standby(0) // a second instance on the same database
	for _, a := range ids {
		e.available(a)
	}
	var wg sync.WaitGroup
	for w := range 10 {
		wg.Go(func() {
			for i := range 10 {
				e.arrive(n, (w+i)%3)
			}
		})
	}
	wg.Wait()
	eventually(t, 10*time.Second, "15 assigned", func() bool {
		return e.count(`SELECT count(*) FROM conversations WHERE tenant_id = $1 AND status = 'assigned'`, e.tenantID) == 15
	})
	time.Sleep(300 * time.Millisecond)
	if n := e.count(`SELECT count(*) FROM conversations WHERE tenant_id = $1 AND status = 'queued'`, e.tenantID); n != 85 {
		t.Fatalf("queued = %d, want 85", n)
	}
	if n := e.count(`SELECT coalesce(max(c), 0) FROM (SELECT count(*) c FROM conversations WHERE tenant_id = $1 AND status = 'assigned'
		GROUP BY assigned_agent_id) x`, e.tenantID); n != 3 {
		t.Fatalf("largest load = %d, want 3 (capacity)", n)
	}
	e.checkCapacity(3)
	// Each agent's console events are numbered 1..n without gaps, and its
	// counter is at n.
	if n := e.count(`SELECT count(*) FROM (SELECT e.agent_id, count(*) c, min(e.seq) lo, max(e.seq) hi, max(u.event_seq) cur
		FROM agent_events e JOIN users u ON u.id = e.agent_id WHERE e.tenant_id = $1 GROUP BY e.agent_id) x
		WHERE lo <> 1 OR hi <> c OR cur <> hi`, e.tenantID); n != 0 {
		t.Fatalf("%d agents have gaps or a wrong counter in their console events", n)
	}
	if n := e.count(`SELECT count(*) FROM agent_events WHERE tenant_id = $1 AND kind = 'assigned'`, e.tenantID); n != 15 {
		t.Fatalf("%d assigned console events, want 15", n)
	}
}

// A restart in the middle loses no assignment and repeats none: the new
// dispatcher rebuilds from Postgres.
func TestRestartLosesNothingRepeatsNothing(t *testing.T) {
	t.Parallel()
	e := newEnv(t, 0)
	n := e.number()
	s := e.skillset("Sales")
	anna, bruno := e.agent("Anna", 2, nil), e.agent("Bruno", 2, nil)
	e.member(s, anna, 1)
	e.member(s, bruno, 1)
	e.link(n, s, 1)
	_, stop := e.dispatcher(0)
	e.available(anna)
	e.available(bruno)
	var convs []string
	for range 6 {
		convs = append(convs, e.arrive(n, 0))
	}
	eventually(t, 5*time.Second, "4 assigned", func() bool {
		return e.count(`SELECT count(*) FROM conversations WHERE tenant_id = $1 AND status = 'assigned'`, e.tenantID) == 4
	})
	stop() // a clean stop releases the lease
	// While no dispatcher runs, a conversation is closed (its command waits)
	// and two more arrive.
	ctx := context.Background()
	var held string
	for _, c := range convs {
		if a, _ := e.holder(c); a != "" {
			held = c
			break
		}
	}
	svc := &routing.Service{Store: e.db.Store, Presence: e.presence, Wait: 100 * time.Millisecond}
	if err := svc.Close(ctx, e.tenantID, held, "test"); !errors.Is(err, routing.ErrPending) {
		t.Fatalf("close without a dispatcher: %v, want ErrPending", err)
	}
	convs = append(convs, e.arrive(n, 5), e.arrive(n, 0))
	e.dispatcher(0)
	eventually(t, 5*time.Second, "the closed conversation's slot is filled", func() bool {
		_, st := e.holder(held)
		return st == "closed" && e.count(`SELECT count(*) FROM conversations WHERE tenant_id = $1 AND status = 'assigned'`, e.tenantID) == 4
	})
	// The new contact with priority 5 went first.
	if a, _ := e.holder(convs[6]); a == "" {
		t.Fatal("the priority-5 conversation that arrived during the restart is not assigned")
	}
	if n := e.count(`SELECT count(*) FROM (SELECT conversation_id FROM routing_events WHERE tenant_id = $1 AND kind = 'assigned'
		GROUP BY conversation_id HAVING count(*) > 1) x`, e.tenantID); n != 0 {
		t.Fatalf("%d conversations assigned twice across the restart", n)
	}
	if n := e.count(`SELECT count(*) FROM routing_commands WHERE tenant_id = $1 AND done_at IS NULL`, e.tenantID); n != 0 {
		t.Fatalf("%d commands left unapplied", n)
	}
	e.checkCapacity(2)
}

// A dispatcher whose lease was taken over cannot write, even mid-way.
func TestStaleDispatcherCannotWrite(t *testing.T) {
	t.Parallel()
	e := newEnv(t, 0)
	ctx := context.Background()
	st := e.db.Store
	epoch, ok, err := st.AcquireRoutingLease(ctx, e.tenantID, "old", 200*time.Millisecond)
	if err != nil || !ok {
		t.Fatalf("acquire: %v %v", ok, err)
	}
	if _, ok, _ := st.AcquireRoutingLease(ctx, e.tenantID, "new", time.Minute); ok {
		t.Fatal("a running lease was taken")
	}
	time.Sleep(300 * time.Millisecond)
	if _, ok, err := st.AcquireRoutingLease(ctx, e.tenantID, "new", time.Minute); err != nil || !ok {
		t.Fatalf("expired lease not taken over: %v %v", ok, err)
	}
	err = st.InRouting(ctx, e.tenantID, "old", epoch, func(storage.RoutingTx) error { return nil })
	if !errors.Is(err, storage.ErrLeaseLost) {
		t.Fatalf("stale dispatcher's transaction: %v, want ErrLeaseLost", err)
	}
	if ok, _ := st.RenewRoutingLease(ctx, e.tenantID, "old", epoch, time.Minute); ok {
		t.Fatal("a stale lease was renewed")
	}
}

// crashable runs a dispatcher that can be killed without a clean stop: its
// connections are cut and its lease is left to expire.
func (e *env) crashable(lease time.Duration) (d *routing.Dispatcher, stop, crash func()) {
	pool, err := storage.Open(context.Background(), e.db.URL)
	if err != nil {
		e.t.Fatal(err)
	}
	d = routing.NewDispatcher(routing.Options{Store: storage.New(pool), Pool: pool, Presence: e.presence, LeaseTTL: lease,
		Sweep: 100 * time.Millisecond})
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	wg.Go(func() { _ = d.Run(ctx) })
	var once sync.Once
	crash = func() {
		once.Do(func() {
			// Kill its backends: every transaction in flight fails, and the
			// release on stop cannot reach the database.
			pool.Reset()
			pool.Close()
			cancel()
			wg.Wait()
		})
	}
	e.t.Cleanup(crash)
	return d, crash, crash
}

// closeAssigned closes assigned conversations as agents would, until ctx ends.
func (e *env) closeAssigned(ctx context.Context) {
	svc := &routing.Service{Store: e.db.Store, Presence: e.presence, Wait: 200 * time.Millisecond}
	for ctx.Err() == nil {
		var ids []string
		_ = e.db.Store.InPlatform(ctx, func(tx pgx.Tx) error {
			rows, err := tx.Query(ctx, `SELECT id FROM conversations WHERE tenant_id = $1 AND status = 'assigned' LIMIT 50`, e.tenantID)
			if err != nil {
				return err
			}
			ids, err = pgx.CollectRows(rows, pgx.RowTo[string])
			return err
		})
		for _, id := range ids {
			_ = svc.Close(ctx, e.tenantID, id, "test")
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// checkCapacity replays the routing log in order and fails if any agent
// ever held more than capacity conversations.
func (e *env) checkCapacity(capacity int) {
	e.t.Helper()
	type ev struct{ kind, agent, from string }
	var evs []ev
	err := e.db.Store.InPlatform(context.Background(), func(tx pgx.Tx) error {
		rows, err := tx.Query(context.Background(), `SELECT kind, coalesce(agent_id::text, ''), coalesce(from_agent_id::text, '')
			FROM routing_events WHERE tenant_id = $1 ORDER BY id`, e.tenantID)
		if err != nil {
			return err
		}
		for rows.Next() {
			var x ev
			if err := rows.Scan(&x.kind, &x.agent, &x.from); err != nil {
				return err
			}
			evs = append(evs, x)
		}
		return rows.Err()
	})
	if err != nil {
		e.t.Fatal(err)
	}
	load := map[string]int{}
	for i, x := range evs {
		switch x.kind {
		case "assigned", "transferred":
			load[x.agent]++
			if x.from != "" {
				load[x.from]--
			}
			if load[x.agent] > capacity && x.kind == "assigned" {
				e.t.Fatalf("event %d: agent %s holds %d > capacity %d", i, x.agent, load[x.agent], capacity)
			}
		case "requeued", "closed":
			if x.from != "" {
				load[x.from]--
			}
		}
	}
}
