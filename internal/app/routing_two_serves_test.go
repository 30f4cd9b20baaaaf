package app

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"regexp"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"switchboard/internal/whatsapp/webhook"
)

// TestTwoServesRouteEveryConversationExactlyOnce is the required
// test, end to end as a user runs the product: the tenant is configured
// with the CLI, two `serve` processes share one database and Redis, 500
// customers write to the tenant's number through signed webhooks posted to
// either server while an integration keeps 10 agents (50 conversations of
// capacity in all) available and closes what they are given through the
// REST API of either server. Half-way the instance that dispatches the
// tenant is stopped (a clean shutdown releases its lease to the other), is
// started again later, and then the other one is stopped, so the routing
// changes hands twice. At the end Postgres must show every conversation
// assigned exactly once, no agent ever over its capacity, and no routing
// command left undone.
func TestTwoServesRouteEveryConversationExactlyOnce(t *testing.T) {
	t.Parallel()
	const (
		total        = 500
		agents       = 10
		phoneID      = "106540352242922"
		wabaID       = "102290129340398"
		display      = "+1 555 078 3881"
		appSecret    = "two-serves-meta-app-secret"
		postInterval = 8 * time.Millisecond  // webhooks: about 125 a second
		closeEvery   = 14 * time.Millisecond // closes: about 70 a second, so a queue builds
	)
	began := time.Now()
	c, db := newCLI(t)
	c.env["META_APP_SECRET"] = appSecret
	c.env["SECRET_KEY"] = strings.Repeat("s", 40)
	c.env["GRAPH_BASE_URL"] = "http://127.0.0.1:9" // nothing here may reach Meta
	c.env["SHUTDOWN_TIMEOUT"] = "20s"

	// The tenant as an administrator sets it up from the command line.
	run := func(stdin string, args ...string) (string, error) {
		code, out, errs := c.run(stdin, args...)
		if code != 0 {
			return "", fmt.Errorf("switchboard %s: status %d: %s", strings.Join(args, " "), code, errs)
		}
		return strings.TrimSpace(out), nil
	}
	must := func(stdin string, args ...string) string {
		t.Helper()
		out, err := run(stdin, args...)
		if err != nil {
			t.Fatal(err)
		}
		return out
	}
	must("acme-admin-password\n", "tenant", "create", "--name", "Acme", "--slug", "acme", "--admin-email", "boss@acme.test", "--plan", "Business")
	must("EAAG-live-token-123\n", "number", "add", "--tenant", "acme", "--phone-number-id", phoneID, "--display-phone", display, "--waba-id", wabaID)
	must("", "skillset", "create", "--tenant", "acme", "--name", "Everyone")
	must("", "skillset", "link", "--tenant", "acme", "--skillset", "Everyone", "--phone-number-id", phoneID, "--priority", "1")
	agentIDs := make([]string, agents)
	capacity := map[string]int{}
	totalCapacity := 0
	setupErrs := make([]error, agents)
	var setup sync.WaitGroup
	for i := range agentIDs {
		// Each agent's three commands in order, the agents side by side
		// (as several administrators could): it saves seconds.
		setup.Go(func() {
			email := fmt.Sprintf("agent%02d@acme.test", i)
			id, err := run("agent-password-12\n", "user", "create", "--tenant", "acme", "--email", email, "--role", "agent")
			if err == nil {
				_, err = run("", "skillset", "member", "--tenant", "acme", "--skillset", "Everyone", "--agent", email, "--priority", fmt.Sprint(i%3))
			}
			if err == nil {
				_, err = run("", "agent", "capacity", "--tenant", "acme", "--agent", email, "--capacity", fmt.Sprint(3+i%5))
			}
			agentIDs[i], setupErrs[i] = id, err
		})
	}
	setup.Wait()
	if err := errors.Join(setupErrs...); err != nil {
		t.Fatal(err)
	}
	for i, id := range agentIDs {
		capacity[id] = 3 + i%5 // 3 to 7, 50 in all
		totalCapacity += capacity[id]
	}
	key := must("", "apikey", "create", "--tenant", "acme", "--name", "crm")
	tn, err := db.Store.TenantBySlug(context.Background(), "acme")
	if err != nil {
		t.Fatal(err)
	}
	tenantID := tn.ID
	conn, err := pgx.Connect(context.Background(), db.URL) // as the owner: sees every row
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(context.Background())
	setupDone := time.Now()

	// Two instances of `serve` on the same database, Redis and secrets.
	cl := &cluster{t: t, c: c, client: &http.Client{Timeout: 15 * time.Second, Transport: &http.Transport{
		MaxIdleConnsPerHost: 32, DisableCompression: true}}}
	defer cl.client.CloseIdleConnections()
	t.Cleanup(cl.stopAll) // whatever happens, no serve outlives the test
	a, b := cl.start("A"), cl.start("B")
	defer func() {
		if t.Failed() {
			cl.dumpLogs()
		}
	}()

	// Everything below runs under one deadline (the traffic takes 15 to 30 s
	// on two busy cores under -race); the first unexpected answer stops it
	// and is reported with the servers' logs.
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	var firstErr atomic.Pointer[error]
	failf := func(format string, args ...any) {
		err := fmt.Errorf(format, args...)
		if firstErr.CompareAndSwap(nil, &err) {
			cancel()
		}
	}
	api := func(method, path string, body any) (int, []byte, error) {
		var b []byte
		if body != nil {
			b, _ = json.Marshal(body)
		}
		return cl.do(ctx, method, path, b, map[string]string{"Authorization": "Bearer " + key, "Content-Type": "application/json"})
	}

	// The integration signs its agents in, on either server, and keeps
	// them present with a heartbeat.
	available := func() {
		for _, id := range agentIDs {
			status, body, err := api(http.MethodPost, "/api/v1/agents/"+id+"/availability", map[string]string{"state": "available"})
			if err != nil || status != http.StatusOK {
				if ctx.Err() == nil {
					failf("availability of %s: %d %s %v", id, status, body, err)
				}
				return
			}
		}
	}
	available()
	var bg sync.WaitGroup
	stopBeat := make(chan struct{})
	bg.Go(func() {
		tick := time.NewTicker(2 * time.Second)
		defer tick.Stop()
		for {
			select {
			case <-stopBeat:
				return
			case <-ctx.Done():
				return
			case <-tick.C:
				available()
			}
		}
	})

	// 500 customers write, each once, at a steady pace, on 8 connections,
	// to either server.
	var posted atomic.Int64
	jobs := make(chan int)
	bg.Go(func() {
		defer close(jobs)
		tick := time.NewTicker(postInterval)
		defer tick.Stop()
		for i := range total {
			select {
			case <-ctx.Done():
				return
			case <-tick.C:
			}
			select {
			case jobs <- i:
			case <-ctx.Done():
				return
			}
		}
	})
	for range 8 {
		bg.Go(func() {
			for i := range jobs {
				from := webhook.Contact{WaID: fmt.Sprintf("39333%07d", i), Name: fmt.Sprintf("Customer %d", i)}
				body, sig := webhook.NewMessagesPayload(wabaID, phoneID, display).Text(from, fmt.Sprintf("Hello, this is customer %d", i)).Signed([]byte(appSecret))
				// A POST whose answer was lost is sent again, as Meta does:
				// the message id makes it harmless.
				status, answer, err := cl.do(ctx, http.MethodPost, "/webhooks/whatsapp", body,
					map[string]string{"Content-Type": "application/json", webhook.SignatureHeader: sig})
				if err != nil || status != http.StatusOK {
					if ctx.Err() == nil {
						failf("webhook %d: %d %s %v", i, status, answer, err)
					}
					return
				}
				posted.Add(1)
			}
		})
	}

	// Agents finish their conversations: the integration lists what is
	// assigned on either server and closes each one once, a little slower
	// than customers arrive.
	var closed atomic.Int64
	closeJobs := make(chan string, total)
	stopClosing := make(chan struct{})
	var closers sync.WaitGroup
	closers.Go(func() {
		defer close(closeJobs)
		sent := map[string]bool{}
		for {
			select {
			case <-stopClosing:
				return
			case <-ctx.Done():
				return
			case <-time.After(100 * time.Millisecond):
			}
			status, body, err := api(http.MethodGet, "/api/v1/conversations?status=assigned&limit=100", nil)
			if err != nil || status != http.StatusOK {
				if ctx.Err() == nil {
					failf("list assigned conversations: %d %s %v", status, body, err)
				}
				return
			}
			var page struct {
				Data []struct {
					ID              string  `json:"id"`
					Status          string  `json:"status"`
					AssignedAgentID *string `json:"assigned_agent_id"`
				} `json:"data"`
			}
			if err := json.Unmarshal(body, &page); err != nil {
				failf("list assigned conversations: %v: %s", err, body)
				return
			}
			for _, cv := range page.Data {
				if cv.Status != "assigned" || cv.AssignedAgentID == nil {
					failf("listed as assigned: %s", body)
					return
				}
				if !sent[cv.ID] {
					sent[cv.ID] = true
					closeJobs <- cv.ID
				}
			}
		}
	})
	pace := time.NewTicker(closeEvery)
	defer pace.Stop()
	var refusedCloses atomic.Int64
	for range 6 {
		closers.Go(func() {
			for id := range closeJobs {
				select {
				case <-pace.C:
				case <-ctx.Done():
					return
				}
				status, body, err := api(http.MethodPost, "/api/v1/conversations/"+id+"/close", nil)
				switch {
				case err != nil:
					if ctx.Err() == nil {
						failf("close %s: %v", id, err)
					}
					return
				case status == http.StatusOK && bytes.Contains(body, []byte(`"status":"closed"`)):
				case status == http.StatusAccepted:
					// Stored while no instance dispatched the tenant (a
					// handover): it is applied by the next one.
				case status == http.StatusConflict:
					// Only a close sent again after its answer was lost
					// (a server going away) finds it closed already.
					refusedCloses.Add(1)
				default:
					failf("close %s: %d %s", id, status, body)
					return
				}
				closed.Add(1)
			}
		})
	}

	// Meanwhile the instance that dispatches the tenant is stopped once
	// 150 customers have written, started again at 350, and the other one
	// is stopped once 400 conversations were closed: the routing changes
	// hands twice, under load.
	type progress struct{ closed, open, pending int }
	readProgress := func(ctx context.Context) (progress, error) {
		var p progress
		err := conn.QueryRow(ctx, `SELECT
				(SELECT count(*) FROM conversations WHERE tenant_id = $1 AND status = 'closed'),
				(SELECT count(*) FROM conversations WHERE tenant_id = $1 AND status <> 'closed'),
				(SELECT count(*) FROM routing_commands WHERE tenant_id = $1 AND done_at IS NULL)`, tenantID).
			Scan(&p.closed, &p.open, &p.pending)
		return p, err
	}
	// leader is the running instance that dispatches the tenant, with its
	// lease's epoch; nil while nobody does.
	leader := func() (*serveProc, int64) {
		var epoch int64
		var live bool
		if err := conn.QueryRow(ctx, `SELECT epoch, expires_at > now() FROM routing_leases WHERE tenant_id = $1`, tenantID).
			Scan(&epoch, &live); err != nil || !live {
			return nil, 0
		}
		return cl.dispatching(tenantID, epoch), epoch
	}
	var handovers []string
	phase := 0
	var restarted *serveProc
	// A clean shutdown releases the lease, so the other instance takes
	// over at its next look (every 2 s), not when the lease would have
	// expired (6 s after the last renewal, at least 4 s after the stop).
	const takeoverWithin = 4 * time.Second
	var takeovers []time.Duration
	var stoppedAt time.Time
	var stoppedEpoch int64
	stopLeader := func(l *serveProc, epoch int64, what string) {
		t0 := time.Now()
		if code := cl.stop(l); code != 0 {
			failf("serve %s exited %d on a clean shutdown", l.name, code)
		}
		stoppedAt, stoppedEpoch = time.Now(), epoch
		handovers = append(handovers, fmt.Sprintf("stopped %s after %s (shutdown took %v)", l.name, what, stoppedAt.Sub(t0).Round(time.Millisecond)))
	}
	var trace []string // progress once a second, shown on failure
	lastTrace := time.Now()
	defer func() {
		if t.Failed() {
			t.Logf("progress:\n%s", strings.Join(trace, "\n"))
		}
	}()
	for ctx.Err() == nil {
		p, err := readProgress(ctx)
		if err != nil {
			if ctx.Err() == nil {
				failf("read progress: %v", err)
			}
			break
		}
		if p.closed == total {
			break
		}
		if time.Since(lastTrace) >= time.Second {
			lastTrace = time.Now()
			trace = append(trace, fmt.Sprintf("%5.1fs: %d webhooks posted, %d closes sent; conversations %d closed, %d open; %d commands pending",
				time.Since(setupDone).Seconds(), posted.Load(), closed.Load(), p.closed, p.open, p.pending))
		}
		if stoppedEpoch != 0 {
			if l, epoch := leader(); l != nil && epoch > stoppedEpoch {
				took := time.Since(stoppedAt)
				takeovers = append(takeovers, took)
				handovers = append(handovers, fmt.Sprintf("%s took over in %v", l.name, took.Round(time.Millisecond)))
				stoppedEpoch = 0
			}
		}
		switch {
		case phase == 0 && posted.Load() >= 150:
			if l, epoch := leader(); l != nil {
				stopLeader(l, epoch, fmt.Sprintf("%d webhooks, the dispatching instance", posted.Load()))
				phase++
			}
		case phase == 1 && posted.Load() >= 350 && stoppedEpoch == 0:
			stopped := a
			if a.stopped.Load() == 0 {
				stopped = b
			}
			restarted = cl.start(stopped.name + "'")
			handovers = append(handovers, fmt.Sprintf("started %s again after %d webhooks", stopped.name, posted.Load()))
			phase++
		case phase == 2 && closed.Load() >= 400 && stoppedEpoch == 0:
			if l, epoch := leader(); l != nil {
				if l != restarted {
					stopLeader(l, epoch, fmt.Sprintf("%d closes, the dispatching instance", closed.Load()))
				} else {
					// The restarted one took the lease: stopping the other
					// hands nothing over, but it still goes.
					for _, s := range cl.liveProcs() {
						if s != restarted {
							l = s
						}
					}
					handovers = append(handovers, fmt.Sprintf("stopped %s after %d closes, not dispatching", l.name, closed.Load()))
					if code := cl.stop(l); code != 0 {
						failf("serve %s exited %d on a clean shutdown", l.name, code)
					}
				}
				phase++
			}
		}
		time.Sleep(50 * time.Millisecond)
	}
	if err := firstErr.Load(); err != nil {
		t.Fatalf("after %d webhooks and %d closes (%v): %v", posted.Load(), closed.Load(), handovers, *err)
	}
	if ctx.Err() != nil {
		p, _ := readProgress(context.Background())
		t.Fatalf("not done in time: %d webhooks posted, %d closes sent, conversations %d closed and %d open, %d routing commands pending (%v)",
			posted.Load(), closed.Load(), p.closed, p.open, p.pending, handovers)
	}
	trafficDone := time.Now()

	// Quiet: no more heartbeats or closes; every command must be applied.
	close(stopBeat)
	close(stopClosing)
	closers.Wait()
	bg.Wait()
	if phase != 3 {
		t.Fatalf("the servers changed hands %d times only: %v", phase, handovers)
	}
	for _, took := range takeovers {
		if took > takeoverWithin {
			t.Errorf("a takeover after a clean shutdown took %v, more than %v: was the lease released? (%v)", took, takeoverWithin, handovers)
		}
	}
	qctx, qcancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer qcancel()
	for {
		var pending int
		if err := conn.QueryRow(qctx, `SELECT count(*) FROM routing_commands WHERE tenant_id = $1 AND done_at IS NULL`, tenantID).Scan(&pending); err != nil {
			t.Fatalf("routing commands left undone: %v", err)
		}
		if pending == 0 {
			break
		}
		if !pause(qctx, 50*time.Millisecond) {
			t.Fatalf("%d routing commands left undone", pending)
		}
	}
	cl.stopAll()

	// What Postgres recorded.
	bg2 := context.Background()
	var convs, closedConvs int
	if err := conn.QueryRow(bg2, `SELECT count(*), count(*) FILTER (WHERE status = 'closed') FROM conversations WHERE tenant_id = $1`,
		tenantID).Scan(&convs, &closedConvs); err != nil {
		t.Fatal(err)
	}
	if convs != total || closedConvs != total {
		t.Fatalf("%d conversations, %d closed; want %d, all closed", convs, closedConvs, total)
	}
	rows, err := conn.Query(bg2, `SELECT conversation_id::text, count(*) FROM routing_events
		WHERE tenant_id = $1 AND kind = 'assigned' GROUP BY conversation_id HAVING count(*) <> 1`, tenantID)
	if err != nil {
		t.Fatal(err)
	}
	twice, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (string, error) {
		var id string
		var n int
		err := r.Scan(&id, &n)
		return fmt.Sprintf("%s assigned %d times", id, n), err
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(twice) > 0 {
		t.Errorf("conversations not assigned exactly once: %v", twice)
	}
	var assignedConvs int
	if err := conn.QueryRow(bg2, `SELECT count(DISTINCT conversation_id) FROM routing_events WHERE tenant_id = $1 AND kind = 'assigned'`,
		tenantID).Scan(&assignedConvs); err != nil {
		t.Fatal(err)
	}
	if assignedConvs != total {
		t.Errorf("%d conversations were assigned, want %d", assignedConvs, total)
	}

	// Replayed in order, the events never put an agent over its capacity
	// nor a conversation with two agents, and each close frees the agent
	// that held it.
	rows, err = conn.Query(bg2, `SELECT id, kind, conversation_id::text, coalesce(agent_id::text, ''), coalesce(from_agent_id::text, '')
		FROM routing_events WHERE tenant_id = $1 ORDER BY id`, tenantID)
	if err != nil {
		t.Fatal(err)
	}
	type event struct {
		id                      int64
		kind, conv, agent, from string
	}
	events, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (event, error) {
		var e event
		err := r.Scan(&e.id, &e.kind, &e.conv, &e.agent, &e.from)
		return e, err
	})
	if err != nil {
		t.Fatal(err)
	}
	load, peak := map[string]int{}, map[string]int{}
	holder := map[string]string{}
	kinds := map[string]int{}
	inUse, peakInUse := 0, 0
	var problems []string
	problem := func(format string, args ...any) {
		if len(problems) < 20 {
			problems = append(problems, fmt.Sprintf(format, args...))
		}
	}
	for _, e := range events {
		kinds[e.kind]++
		switch e.kind {
		case "closed", "requeued", "transferred":
			if e.from != "" {
				load[e.from]--
				inUse--
			}
			if holder[e.conv] != e.from {
				problem("event %d (%s of %s) names %q as the holder, the replay has %q", e.id, e.kind, e.conv, e.from, holder[e.conv])
			}
			delete(holder, e.conv)
		}
		switch e.kind {
		case "assigned", "transferred":
			if h := holder[e.conv]; h != "" {
				problem("event %d gives %s to %s while %s holds it", e.id, e.conv, e.agent, h)
			}
			holder[e.conv] = e.agent
			load[e.agent]++
			inUse++
			peak[e.agent] = max(peak[e.agent], load[e.agent])
			peakInUse = max(peakInUse, inUse)
			if cp, ok := capacity[e.agent]; !ok {
				problem("event %d assigns %s to %q, not one of the agents", e.id, e.conv, e.agent)
			} else if e.kind == "assigned" && load[e.agent] > cp {
				problem("event %d: %s holds %d conversations, capacity %d", e.id, e.agent, load[e.agent], cp)
			}
		}
	}
	for _, p := range problems {
		t.Error(p)
	}
	if len(holder) != 0 {
		t.Errorf("%d conversations still held after the replay", len(holder))
	}
	if kinds["closed"] != total || kinds["transferred"] != 0 {
		t.Errorf("events by kind: %v; want %d closed and no transfer", kinds, total)
	}
	// The test is only worth something if the agents were saturated and
	// customers waited: capacity, not luck, decided who got what.
	if peakInUse != totalCapacity || kinds["queued"] == 0 {
		t.Errorf("at most %d of %d conversations held at once, %d queued: the agents were never saturated", peakInUse, totalCapacity, kinds["queued"])
	}
	var refused []string
	rows, err = conn.Query(bg2, `SELECT kind || ': ' || error || ' ×' || count(*) FROM routing_commands
		WHERE tenant_id = $1 AND error <> '' GROUP BY kind, error ORDER BY 1`, tenantID)
	if err == nil {
		refused, _ = pgx.CollectRows(rows, pgx.RowTo[string])
	}
	perAgent := make([]string, 0, len(agentIDs))
	for i, id := range agentIDs {
		perAgent = append(perAgent, fmt.Sprintf("agent%02d %d/%d", i, peak[id], capacity[id]))
	}
	sort.Strings(perAgent)
	t.Logf("setup %v, traffic %v, total %v; %v; events %v; peak load %v; %d closes refused (%v)",
		setupDone.Sub(began).Round(time.Millisecond), trafficDone.Sub(setupDone).Round(time.Millisecond),
		time.Since(began).Round(time.Millisecond), handovers, kinds, perAgent, refusedCloses.Load(), refused)
}

// serveProc is one `switchboard serve` running in this process.
type serveProc struct {
	name    string
	base    string // http://host:port
	logs    *syncBuffer
	cancel  context.CancelFunc
	done    chan int
	stopped atomic.Int32 // 1 once stopped
	code    int
}

// cluster is the set of serve instances of one test and a client that
// spreads requests over those still running.
type cluster struct {
	t      *testing.T
	c      *cli
	client *http.Client

	mu   sync.Mutex
	live []*serveProc
	all  []*serveProc
	turn int
}

var listeningRE = regexp.MustCompile(`msg=listening addr=(\S+)`)

// start runs `switchboard serve` on a free port and waits until it is
// ready; a server that does not come up fails the test with its logs.
func (cl *cluster) start(name string) *serveProc {
	cl.t.Helper()
	env := map[string]string{}
	for k, v := range cl.c.env {
		env[k] = v
	}
	env["HTTP_ADDR"] = "127.0.0.1:0"
	ctx, cancel := context.WithCancel(context.Background())
	p := &serveProc{name: name, logs: &syncBuffer{}, cancel: cancel, done: make(chan int, 1)}
	go func() {
		p.done <- Run(ctx, []string{"switchboard", "serve"}, func(k string) string { return env[k] }, strings.NewReader(""), io.Discard, p.logs)
	}()
	cl.mu.Lock()
	cl.all = append(cl.all, p)
	cl.mu.Unlock()
	deadline := time.Now().Add(20 * time.Second)
	for p.base == "" && time.Now().Before(deadline) {
		if m := listeningRE.FindStringSubmatch(p.logs.String()); m != nil {
			p.base = "http://" + m[1]
			break
		}
		select {
		case code := <-p.done:
			p.done <- code
			cl.t.Fatalf("serve %s exited %d before listening:\n%s", name, code, p.logs.String())
		case <-time.After(20 * time.Millisecond):
		}
	}
	for p.base != "" && time.Now().Before(deadline) {
		res, err := cl.client.Get(p.base + "/readyz")
		if err == nil {
			_, _ = io.Copy(io.Discard, res.Body)
			res.Body.Close()
			if res.StatusCode == http.StatusOK {
				cl.mu.Lock()
				cl.live = append(cl.live, p)
				cl.mu.Unlock()
				return p
			}
		}
		time.Sleep(20 * time.Millisecond)
	}
	cl.t.Fatalf("serve %s did not become ready:\n%s", name, p.logs.String())
	return nil
}

// stop takes the server out of the rotation, then shuts it down as a
// SIGTERM would, and returns its exit status.
func (cl *cluster) stop(p *serveProc) int {
	if !p.stopped.CompareAndSwap(0, 1) {
		return p.code
	}
	cl.mu.Lock()
	for i, s := range cl.live {
		if s == p {
			cl.live = append(cl.live[:i:i], cl.live[i+1:]...)
			break
		}
	}
	cl.mu.Unlock()
	p.cancel()
	select {
	case p.code = <-p.done:
	case <-time.After(30 * time.Second):
		p.code = -1
		p.logs.Write([]byte("test: serve did not stop within 30 s\n"))
	}
	return p.code
}

// stopAll stops every server still running and checks each exits cleanly.
func (cl *cluster) stopAll() {
	cl.mu.Lock()
	all := append([]*serveProc(nil), cl.all...)
	cl.mu.Unlock()
	for _, p := range all {
		if p.stopped.Load() == 0 {
			if code := cl.stop(p); code != 0 {
				cl.t.Errorf("serve %s exited %d", p.name, code)
			}
		}
	}
}

func (cl *cluster) liveProcs() []*serveProc {
	cl.mu.Lock()
	defer cl.mu.Unlock()
	return append([]*serveProc(nil), cl.live...)
}

// pick returns the next running server, in turn.
func (cl *cluster) pick() *serveProc {
	cl.mu.Lock()
	defer cl.mu.Unlock()
	if len(cl.live) == 0 {
		return nil
	}
	cl.turn++
	return cl.live[cl.turn%len(cl.live)]
}

// dispatching is the server whose dispatcher took the tenant's lease at
// this epoch, from what it logged.
func (cl *cluster) dispatching(tenantID string, epoch int64) *serveProc {
	re := regexp.MustCompile(`msg="routing: dispatching tenant" tenant=` + regexp.QuoteMeta(tenantID) + ` epoch=` + fmt.Sprint(epoch) + `\b`)
	for _, p := range cl.liveProcs() {
		if re.MatchString(p.logs.String()) {
			return p
		}
	}
	return nil
}

// do sends a request to the next running server; a request that could not
// be delivered or answered (the server was going away) is sent again to
// another one, as a client behind a load balancer would.
func (cl *cluster) do(ctx context.Context, method, path string, body []byte, header map[string]string) (int, []byte, error) {
	var lastErr error
	for attempt := 0; attempt < 8; attempt++ {
		p := cl.pick()
		if p == nil {
			return 0, nil, errors.New("no server running")
		}
		req, err := http.NewRequestWithContext(ctx, method, p.base+path, bytes.NewReader(body))
		if err != nil {
			return 0, nil, err
		}
		for k, v := range header {
			req.Header.Set(k, v)
		}
		res, err := cl.client.Do(req)
		if err == nil {
			answer, rerr := io.ReadAll(res.Body)
			res.Body.Close()
			if rerr == nil {
				return res.StatusCode, answer, nil
			}
			err = rerr
		}
		if ctx.Err() != nil {
			return 0, nil, ctx.Err()
		}
		lastErr = fmt.Errorf("%s %s on %s: %w", method, path, p.name, err)
		time.Sleep(20 * time.Millisecond)
	}
	return 0, nil, lastErr
}

// dumpLogs prints what each server logged at warning level and above, and
// the end of each log, to explain a failure.
func (cl *cluster) dumpLogs() {
	cl.mu.Lock()
	all := append([]*serveProc(nil), cl.all...)
	cl.mu.Unlock()
	for _, p := range all {
		lines := strings.Split(strings.TrimRight(p.logs.String(), "\n"), "\n")
		var notable []string
		for _, l := range lines {
			if strings.Contains(l, "level=WARN") || strings.Contains(l, "level=ERROR") || strings.Contains(l, "routing") && !strings.Contains(l, "msg=request") {
				notable = append(notable, l)
			}
		}
		if len(notable) > 200 {
			notable = notable[len(notable)-200:]
		}
		tail := lines[max(0, len(lines)-40):]
		cl.t.Logf("serve %s (%s), warnings, errors and routing:\n%s\n… last lines:\n%s", p.name, p.base,
			strings.Join(notable, "\n"), strings.Join(tail, "\n"))
	}
}

// pause waits d, or less if ctx ends first (then it says false).
func pause(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return false
	case <-t.C:
		return true
	}
}
