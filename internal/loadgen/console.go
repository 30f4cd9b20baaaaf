package loadgen

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gorilla/websocket"
	"github.com/jackc/pgx/v5"

	"switchboard/internal/auth"
	"switchboard/internal/domain"
	"switchboard/internal/httpx"
	"switchboard/internal/storage"
	"switchboard/internal/whatsapp/webhook"
)

// ConsolePhases are the console benchmark's phases, in the order they run.
var ConsolePhases = []string{"memory", "latency"}

// ConsoleConfig is one run of the agent console's realtime benchmark
// against a running `switchboard serve` (its BASE_URL is URL) on the
// database the generator writes its tenants to.
type ConsoleConfig struct {
	URL    string   // serve's base URL, e.g. http://127.0.0.1:8080 (must be its BASE_URL: the socket checks the Origin)
	Phases []string // "memory", "latency"

	// memory: connections held at each reading, ascending; the serve
	// process (and the echo server, when EchoURL is set) read from /proc.
	Steps     []int
	ServerPID int
	EchoURL   string // the bare echo server's base URL (http://host:port), or "" to skip it
	EchoPID   int
	Settle    time.Duration // after each step, before reading

	// latency: Agents connected, each holding ConversationsPerAgent
	// conversations; Rate signed webhooks a second for Duration.
	Agents                int
	ConversationsPerAgent int
	Rate                  float64
	Duration              time.Duration

	Concurrency int           // sockets being opened, or POSTs in flight, at once
	Timeout     time.Duration // one request's, and the wait for the last events
	Secret      []byte        // SECRET_KEY: a page's CSRF token is derived from it and the session
	AppSecret   string        // META_APP_SECRET: signs the webhooks
	Keep        bool          // leave the benchmark tenants (suspended) instead of deleting them
}

// DefaultConsoleConfig is the benchmark as the issue states it.
func DefaultConsoleConfig() ConsoleConfig {
	return ConsoleConfig{Phases: slices.Clone(ConsolePhases), Steps: []int{1000, 5000, 10000}, Settle: 5 * time.Second,
		Agents: 1000, ConversationsPerAgent: 3, Rate: 500, Duration: 20 * time.Second, Concurrency: 32, Timeout: 30 * time.Second}
}

// Validate says what is wrong with a configuration, in the flags' words.
func (c ConsoleConfig) Validate() error {
	u, err := url.Parse(c.URL)
	switch {
	case c.URL == "" || err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || (u.Path != "" && u.Path != "/"):
		return fmt.Errorf("--url must be serve's base URL, e.g. http://127.0.0.1:8080, not %q", c.URL)
	case len(c.Phases) == 0:
		return errors.New("--phases needs at least one of memory, latency")
	case c.Concurrency < 1 || c.Concurrency > 1000:
		return fmt.Errorf("--concurrency must be from 1 to 1000, not %d", c.Concurrency)
	case c.Timeout <= 0:
		return errors.New("--timeout must be positive, e.g. 30s")
	case len(c.Secret) == 0:
		return errors.New("SECRET_KEY is not set: the generator must know serve's, to carry the CSRF token its pages carry")
	}
	for _, p := range c.Phases {
		if !slices.Contains(ConsolePhases, p) {
			return fmt.Errorf("--phases: unknown phase %q (expected memory, latency)", p)
		}
	}
	if slices.Contains(c.Phases, "memory") {
		if len(c.Steps) == 0 {
			return errors.New("--steps needs at least one number of connections, e.g. 1000,5000,10000")
		}
		for i, n := range c.Steps {
			if n < 1 || n > 100000 {
				return fmt.Errorf("--steps: %d is not a number of connections from 1 to 100000", n)
			}
			if i > 0 && n <= c.Steps[i-1] {
				return errors.New("--steps must be ascending, e.g. 1000,5000,10000")
			}
		}
		if c.ServerPID <= 0 {
			return errors.New("--server-pid is required for the memory phase: serve's process id, to read its RSS")
		}
		if _, err := readRSS(c.ServerPID); err != nil {
			return fmt.Errorf("--server-pid %d: %v", c.ServerPID, err)
		}
		if c.EchoURL != "" {
			if u, err := url.Parse(c.EchoURL); err != nil || u.Scheme != "http" || u.Host == "" {
				return fmt.Errorf("--echo-url must be the echo server's base URL, e.g. http://127.0.0.1:9999, not %q", c.EchoURL)
			}
			if c.EchoPID <= 0 {
				return errors.New("--echo-pid is required with --echo-url")
			}
			if _, err := readRSS(c.EchoPID); err != nil {
				return fmt.Errorf("--echo-pid %d: %v", c.EchoPID, err)
			}
		}
		if c.Settle < 0 {
			return errors.New("--settle cannot be negative")
		}
	}
	if slices.Contains(c.Phases, "latency") {
		switch {
		case c.Agents < 1 || c.Agents > 100000:
			return fmt.Errorf("--agents must be from 1 to 100000, not %d", c.Agents)
		case c.ConversationsPerAgent < 1 || c.ConversationsPerAgent > 100:
			return fmt.Errorf("--conversations-per-agent must be from 1 to 100, not %d", c.ConversationsPerAgent)
		case !(c.Rate > 0) || c.Rate > 100000:
			return fmt.Errorf("--rate must be webhooks per second above 0 and at most 100000, not %v", c.Rate)
		case c.Duration <= 0:
			return errors.New("--duration must be positive, e.g. 20s")
		case c.Rate*c.Duration.Seconds() < 1:
			return errors.New("--rate × --duration is less than one webhook")
		case c.AppSecret == "":
			return errors.New("META_APP_SECRET is not set: the webhooks must be signed with serve's")
		}
	}
	return nil
}

// MemoryReading is one process's state with n connections open.
type MemoryReading struct {
	Connections    int     `json:"connections"`
	RSSBytes       int64   `json:"rss_bytes"`
	HeapBytes      float64 `json:"heap_objects_bytes"`
	StackBytes     float64 `json:"stacks_bytes"`
	Goroutines     float64 `json:"goroutines"`
	RSSPerConn     float64 `json:"rss_per_conn_bytes"`        // (RSS − RSS at 0) / n
	HeapPerConn    float64 `json:"heap_stack_per_conn_bytes"` // (heap + stacks − the same at 0) / n
	GoroutinesConn float64 `json:"goroutines_per_conn"`
	LoadAvg        string  `json:"loadavg"` // the machine's, when read: the machine is shared
}

// ConsoleResult is what a run measured.
type ConsoleResult struct {
	Run    string          `json:"run"`
	Server []MemoryReading `json:"server_memory,omitempty"` // serve: agents with sessions and tickets, sockets past "ready"
	Echo   []MemoryReading `json:"echo_memory,omitempty"`   // the bare gorilla echo server, same steps
	// OpenPerSecond is how fast serve's sockets were opened (ticket, upgrade, hello, ready).
	OpenPerSecond float64 `json:"open_per_s,omitempty"`

	Latency *ConsoleLatency `json:"latency,omitempty"`
}

// ConsoleLatency is the webhook-to-agent-screen phase.
type ConsoleLatency struct {
	Agents        int            `json:"agents"`
	Conversations int            `json:"conversations"`
	Rate          float64        `json:"rate"`
	Seconds       float64        `json:"seconds"`
	Sent          int            `json:"sent"`
	Skipped       int            `json:"skipped"` // all Concurrency POSTs busy at a send time
	Codes         map[string]int `json:"codes"`
	Errors        int            `json:"errors"`
	AchievedRate  float64        `json:"achieved_per_s"`
	Received      int            `json:"events_received"`
	// NotArrived counts accepted webhooks whose event had not reached the
	// socket Timeout after the last POST: still in the webhook processor's
	// backlog, or lost. The percentiles are of the events that arrived.
	NotArrived    int         `json:"events_not_arrived"`
	SocketsClosed int         `json:"sockets_closed"` // by the server during the phase
	LoadAvgStart  string      `json:"loadavg_start"`
	LoadAvgEnd    string      `json:"loadavg_end"`
	EndToEnd      latencyJSON `json:"webhook_to_socket_ms"`
	ToEvent       latencyJSON `json:"webhook_to_event_written_ms"` // the event's own time: the processor's transaction
	EventToSocket latencyJSON `json:"event_written_to_socket_ms"`  // commit, Redis, hub, socket
}

// agentLogin is one agent as its browser holds it: the session cookie and
// the CSRF token its pages carry.
type agentLogin struct {
	id     string
	cookie string
	csrf   string
}

type consoleBench struct {
	cfg      ConsoleConfig
	store    *storage.Store
	progress io.Writer
	run      string
	origin   string
	wsBase   string
	cookie   string // the session cookie's name
	http     *http.Client
	dialer   *websocket.Dialer
	tenants  []string
}

// Console runs the phases against serve at cfg.URL; store is the database
// serve uses, where the benchmark's tenants, agents and sessions are made.
func Console(ctx context.Context, cfg ConsoleConfig, store *storage.Store, progress io.Writer) (ConsoleResult, error) {
	if err := cfg.Validate(); err != nil {
		return ConsoleResult{}, err
	}
	u, _ := url.Parse(cfg.URL)
	b := &consoleBench{cfg: cfg, store: store, progress: progress, run: strconv.FormatInt(time.Now().UnixNano()%1e9, 36),
		origin: u.Scheme + "://" + u.Host, wsBase: strings.Replace(u.Scheme, "http", "ws", 1) + "://" + u.Host,
		cookie: httpx.Cookies{Secure: u.Scheme == "https"}.Name("session"),
		http:   newClient(cfg.Concurrency, cfg.Timeout),
		// The generator's side of each socket is kept small: only serve's
		// side is measured, but the generator holds as many.
		dialer: &websocket.Dialer{HandshakeTimeout: cfg.Timeout, ReadBufferSize: 512, WriteBufferSize: 512}}
	res := ConsoleResult{Run: b.run}
	defer b.cleanup(ctx)
	var err error
	for _, phase := range cfg.Phases {
		switch phase {
		case "memory":
			err = b.memory(ctx, &res)
		case "latency":
			res.Latency, err = b.latency(ctx)
		}
		if err != nil {
			return res, fmt.Errorf("%s: %w", phase, err)
		}
	}
	return res, nil
}

// tenant makes a tenant of n agents, each with a session as signing in
// gives one (the generator does not sign in: 10,000 argon2id hashes would
// take minutes and measure nothing of the console).
func (b *consoleBench) tenant(ctx context.Context, phase string, n int) (string, []agentLogin, error) {
	plans, err := b.store.ListPlans(ctx)
	if err != nil || len(plans) == 0 {
		return "", nil, fmt.Errorf("list plans (is the database migrated?): %v", err)
	}
	plan := slices.MaxFunc(plans, func(a, b domain.Plan) int { return a.MaxBusinessConversations - b.MaxBusinessConversations })
	slug := "loadgen-console-" + b.run + "-" + phase
	created, err := b.store.CreateTenant(ctx, storage.Actor{Email: "loadgen"}, storage.NewTenant{
		Name: "Console benchmark " + b.run + " (" + phase + ")", Slug: slug, PlanID: plan.ID,
		Admin: domain.User{Email: "admin@" + slug + ".invalid", Name: "loadgen", PasswordHash: "!"}})
	if err != nil {
		return "", nil, fmt.Errorf("create the benchmark tenant: %w", err)
	}
	b.tenants = append(b.tenants, created.ID)
	var ids []string
	err = b.store.InPlatform(ctx, func(tx pgx.Tx) error {
		// Agents keep their conversations while offline: nothing of the
		// router's may take them away during the run.
		if _, err := tx.Exec(ctx, `UPDATE tenants SET requeue_on_offline = false WHERE id = $1`, created.ID); err != nil {
			return err
		}
		rows, err := tx.Query(ctx, `INSERT INTO users (tenant_id, email, name, role, password_hash)
			SELECT $1, format('agent%s@%s.invalid', g, $2::text), format('Agent %s', g), 'agent', '!'
			FROM generate_series(1, $3) g ORDER BY g RETURNING id`, created.ID, slug, n)
		if err != nil {
			return err
		}
		ids, err = pgx.CollectRows(rows, pgx.RowTo[string])
		return err
	})
	if err != nil {
		return "", nil, fmt.Errorf("create %d agents: %w", n, err)
	}
	sessions := auth.NewSessions(b.store, time.Now)
	csrf := auth.NewCSRF(b.cfg.Secret)
	logins := make([]agentLogin, n)
	err = b.parallel(ctx, n, func(i int) error {
		token, p, err := sessions.Start(ctx, domain.User{ID: ids[i], TenantID: created.ID, Role: domain.RoleAgent, Active: true},
			"127.0.0.1", "switchboard-loadgen")
		logins[i] = agentLogin{id: ids[i], cookie: token, csrf: csrf.Token("session:" + p.SessionID)}
		return err
	})
	if err != nil {
		return "", nil, fmt.Errorf("start sessions: %w", err)
	}
	return created.ID, logins, nil
}

// parallel runs fn(0..n-1) on Concurrency goroutines; the first error stops it.
func (b *consoleBench) parallel(ctx context.Context, n int, fn func(i int) error) error {
	var next atomic.Int64
	var first error
	var once sync.Once
	var wg sync.WaitGroup
	for range min(b.cfg.Concurrency, n) {
		wg.Go(func() {
			for {
				i := int(next.Add(1) - 1)
				if i >= n || ctx.Err() != nil {
					return
				}
				if err := fn(i); err != nil {
					once.Do(func() { first = err })
					next.Store(int64(n))
					return
				}
			}
		})
	}
	wg.Wait()
	if first == nil {
		first = ctx.Err()
	}
	return first
}

// serverFrame is what the hub sends (the fields the generator reads).
type serverFrame struct {
	Type           string    `json:"type"`
	Seq            int64     `json:"seq"`
	Kind           string    `json:"kind"`
	ConversationID string    `json:"conversation_id"`
	At             time.Time `json:"at"`
}

// open does what console.js does: a ticket (POST with the CSRF token),
// the socket from our origin, hello, and waits for "ready".
func (b *consoleBench) open(ctx context.Context, a agentLogin) (*websocket.Conn, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, b.cfg.URL+"/agent/ws-token", nil)
	if err != nil {
		return nil, err
	}
	cookie := b.cookie + "=" + a.cookie
	req.Header.Set("Cookie", cookie)
	req.Header.Set("X-CSRF-Token", a.csrf)
	resp, err := b.http.Do(req)
	if err != nil {
		return nil, err
	}
	var ticket struct{ URL string }
	err = json.NewDecoder(resp.Body).Decode(&ticket)
	_, _ = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || err != nil || !strings.HasPrefix(ticket.URL, "/agent/ws?") {
		return nil, fmt.Errorf("ticket: status %d (%v)", resp.StatusCode, err)
	}
	ws, resp, err := b.dialer.DialContext(ctx, b.wsBase+ticket.URL, http.Header{"Cookie": {cookie}, "Origin": {b.origin}})
	if err != nil {
		if resp != nil {
			return nil, fmt.Errorf("socket: status %d", resp.StatusCode)
		}
		return nil, fmt.Errorf("socket: %w", err)
	}
	if err := ws.WriteMessage(websocket.TextMessage, []byte(`{"type":"hello"}`)); err != nil {
		ws.Close()
		return nil, err
	}
	_ = ws.SetReadDeadline(time.Now().Add(b.cfg.Timeout))
	for {
		_, msg, err := ws.ReadMessage()
		if err != nil {
			ws.Close()
			return nil, fmt.Errorf("waiting for ready: %w", err)
		}
		var f serverFrame
		if json.Unmarshal(msg, &f) == nil && f.Type == "ready" {
			_ = ws.SetReadDeadline(time.Time{})
			return ws, nil
		}
	}
}

// hold reads a socket until it closes (answering the server's pings, as a
// browser does), handing each frame to onFrame; closed is told of a close
// the generator did not ask for.
func hold(ws *websocket.Conn, onFrame func(serverFrame, time.Time), closed func()) {
	for {
		_, msg, err := ws.ReadMessage()
		if err != nil {
			if closed != nil {
				closed()
			}
			return
		}
		if onFrame != nil {
			now := time.Now()
			var f serverFrame
			if json.Unmarshal(msg, &f) == nil {
				onFrame(f, now)
			}
		}
	}
}

// memory opens serve's sockets step by step, reading serve's RSS and Go
// runtime at each, then does the same with the echo server.
func (b *consoleBench) memory(ctx context.Context, res *ConsoleResult) error {
	maxN := b.cfg.Steps[len(b.cfg.Steps)-1]
	fmt.Fprintf(b.progress, "console memory: making %d agents with sessions\n", maxN)
	_, logins, err := b.tenant(ctx, "memory", maxN)
	if err != nil {
		return err
	}
	serverSample := func() (MemoryReading, error) {
		rss, err := readRSS(b.cfg.ServerPID)
		if err != nil {
			return MemoryReading{}, err
		}
		m, err := b.scrape(ctx)
		if err != nil {
			return MemoryReading{}, err
		}
		return MemoryReading{RSSBytes: rss, HeapBytes: m["switchboard_go_heap_objects_bytes"], StackBytes: m["switchboard_go_stacks_bytes"],
			Goroutines: m["switchboard_go_goroutines"], Connections: int(m["switchboard_realtime_connections"])}, nil
	}
	var mu sync.Mutex
	var conns []*websocket.Conn
	began := time.Now()
	var openTime time.Duration
	res.Server, err = b.steps(ctx, "serve", serverSample, func(from, to int) error {
		t0 := time.Now()
		err := b.parallel(ctx, to-from, func(i int) error {
			ws, err := b.open(ctx, logins[from+i])
			if err != nil {
				return err
			}
			mu.Lock()
			conns = append(conns, ws)
			mu.Unlock()
			go hold(ws, nil, nil)
			return nil
		})
		openTime += time.Since(t0)
		return err
	})
	if openTime > 0 {
		res.OpenPerSecond = float64(len(conns)) / openTime.Seconds()
	}
	for _, ws := range conns {
		ws.Close()
	}
	if err != nil {
		return err
	}
	fmt.Fprintf(b.progress, "console memory: serve done in %s\n", time.Since(began).Round(time.Second))
	if b.cfg.EchoURL == "" {
		return nil
	}
	echoWS := strings.Replace(b.cfg.EchoURL, "http", "ws", 1) + "/ws"
	echoSample := func() (MemoryReading, error) {
		rss, err := readRSS(b.cfg.EchoPID)
		if err != nil {
			return MemoryReading{}, err
		}
		var f runtimeFigures
		if err := b.getJSON(ctx, b.cfg.EchoURL+"/mem", &f); err != nil {
			return MemoryReading{}, err
		}
		return MemoryReading{RSSBytes: rss, HeapBytes: f.HeapObjects, StackBytes: f.Stacks, Goroutines: f.Goroutines, Connections: int(f.Connections)}, nil
	}
	conns = conns[:0]
	res.Echo, err = b.steps(ctx, "echo", echoSample, func(from, to int) error {
		return b.parallel(ctx, to-from, func(int) error {
			ws, _, err := b.dialer.DialContext(ctx, echoWS, nil)
			if err != nil {
				return fmt.Errorf("echo: %w", err)
			}
			// One message there and back, as serve's sockets said hello.
			if err := ws.WriteMessage(websocket.TextMessage, []byte(`{"type":"hello"}`)); err != nil {
				ws.Close()
				return err
			}
			if _, _, err := ws.ReadMessage(); err != nil {
				ws.Close()
				return err
			}
			mu.Lock()
			conns = append(conns, ws)
			mu.Unlock()
			go hold(ws, nil, nil)
			return nil
		})
	})
	for _, ws := range conns {
		ws.Close()
	}
	return err
}

// steps reads a server at 0 connections and after each step's opening
// (open(from, to) opens the sockets from..to-1), once the server counts
// them all and Settle has passed.
func (b *consoleBench) steps(ctx context.Context, name string, sample func() (MemoryReading, error), open func(from, to int) error) ([]MemoryReading, error) {
	if !sleepCtx(ctx, b.cfg.Settle) {
		return nil, ctx.Err()
	}
	base, err := sample()
	if err != nil {
		return nil, err
	}
	base.LoadAvg = loadAvg()
	out := []MemoryReading{base}
	have := 0
	for _, n := range b.cfg.Steps {
		fmt.Fprintf(b.progress, "console memory: %s: opening sockets %d to %d\n", name, have+1, n)
		if err := open(have, n); err != nil {
			return out, err
		}
		have = n
		deadline := time.Now().Add(b.cfg.Timeout)
		var r MemoryReading
		for {
			if r, err = sample(); err != nil {
				return out, err
			}
			if r.Connections >= n {
				break
			}
			if time.Now().After(deadline) {
				return out, fmt.Errorf("%s counts %d connections, %d were opened", name, r.Connections, n)
			}
			if !sleepCtx(ctx, 100*time.Millisecond) {
				return out, ctx.Err()
			}
		}
		if !sleepCtx(ctx, b.cfg.Settle) {
			return out, ctx.Err()
		}
		if r, err = sample(); err != nil {
			return out, err
		}
		r.Connections, r.LoadAvg = n, loadAvg()
		r.RSSPerConn = float64(r.RSSBytes-base.RSSBytes) / float64(n)
		r.HeapPerConn = (r.HeapBytes + r.StackBytes - base.HeapBytes - base.StackBytes) / float64(n)
		r.GoroutinesConn = (r.Goroutines - base.Goroutines) / float64(n)
		fmt.Fprintf(b.progress, "console memory: %s at %d: RSS +%.1f KiB/conn, heap+stacks +%.1f KiB/conn, %.2f goroutines/conn\n",
			name, n, r.RSSPerConn/1024, r.HeapPerConn/1024, r.GoroutinesConn)
		out = append(out, r)
	}
	return out, nil
}

// scrape reads serve's /metrics (the gauges, unlabelled).
func (b *consoleBench) scrape(ctx context.Context) (map[string]float64, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, b.cfg.URL+"/metrics", nil)
	if err != nil {
		return nil, err
	}
	resp, err := b.http.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("GET /metrics: status %d", resp.StatusCode)
	}
	out := map[string]float64{}
	sc := bufio.NewScanner(resp.Body)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		name, value, ok := strings.Cut(sc.Text(), " ")
		if !ok || strings.HasPrefix(name, "#") || strings.Contains(name, "{") {
			continue
		}
		if v, err := strconv.ParseFloat(value, 64); err == nil {
			out[name] = v
		}
	}
	if _, ok := out["switchboard_go_heap_objects_bytes"]; !ok {
		return nil, errors.New("serve's /metrics has no switchboard_go_heap_objects_bytes: is it this version of serve?")
	}
	return out, sc.Err()
}

func (b *consoleBench) getJSON(ctx context.Context, u string, v any) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return err
	}
	resp, err := b.http.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	return json.NewDecoder(resp.Body).Decode(v)
}

// readRSS is a process's resident set size, from /proc.
func readRSS(pid int) (int64, error) {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/status")
	if err != nil {
		return 0, fmt.Errorf("read its RSS: %w", err)
	}
	for line := range strings.SplitSeq(string(b), "\n") {
		if rest, ok := strings.CutPrefix(line, "VmRSS:"); ok {
			kb, err := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(rest), " kB"), 10, 64)
			return kb * 1024, err
		}
	}
	return 0, errors.New("no VmRSS in /proc/PID/status")
}

// loadAvg is the machine's 1, 5 and 15 minute load averages.
func loadAvg() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return ""
	}
	f := strings.Fields(string(b))
	return strings.Join(f[:min(3, len(f))], " ")
}

// latency connects Agents agents and sends signed webhooks from their
// conversations' customers at Rate, timing each from its intended send
// time to the "message" event frame on its agent's socket.
func (b *consoleBench) latency(ctx context.Context) (*ConsoleLatency, error) {
	cfg := b.cfg
	fmt.Fprintf(b.progress, "console latency: making %d agents with %d conversations each\n", cfg.Agents, cfg.ConversationsPerAgent)
	tenantID, logins, err := b.tenant(ctx, "latency", cfg.Agents)
	if err != nil {
		return nil, err
	}
	pnid := "8" + strconv.FormatInt(time.Now().UnixNano()%1e15, 10) // unique across runs, digits as Meta's
	const waba, display = "8800", "+1 555 0188"
	type conversation struct{ id, waID string }
	var convs []conversation
	err = b.store.InPlatform(ctx, func(tx pgx.Tx) error {
		// A live number of the platform's Meta app: its webhooks are
		// signed with META_APP_SECRET; nothing is ever sent through it.
		var number string
		if err := tx.QueryRow(ctx, `INSERT INTO numbers (tenant_id, phone_number_id, display_phone, waba_id, access_token_enc)
			VALUES ($1, $2, $3, $4, 'loadgen: no token') RETURNING id`, tenantID, pnid, display, waba).Scan(&number); err != nil {
			return err
		}
		agents := make([]string, len(logins))
		for i, l := range logins {
			agents[i] = l.id
		}
		rows, err := tx.Query(ctx, `INSERT INTO contacts (tenant_id, wa_id, name)
			SELECT $1, (390000000000 + g)::text, format('Customer %s', g) FROM generate_series(1, $2) g ORDER BY g
			RETURNING id, wa_id`, tenantID, cfg.Agents*cfg.ConversationsPerAgent)
		if err != nil {
			return err
		}
		waIDs := map[string]string{}
		var contacts, holders []string
		for rows.Next() {
			var id, waID string
			if err := rows.Scan(&id, &waID); err != nil {
				return err
			}
			waIDs[id] = waID
			contacts = append(contacts, id)
			holders = append(holders, agents[len(holders)%len(agents)])
		}
		if err := rows.Err(); err != nil {
			return err
		}
		rows, err = tx.Query(ctx, `INSERT INTO conversations (tenant_id, number_id, contact_id, status, assigned_agent_id, assigned_at)
			SELECT $1, $2, c, 'assigned', a, now() FROM unnest($3::uuid[], $4::uuid[]) AS x(c, a)
			RETURNING id, contact_id`, tenantID, number, contacts, holders)
		if err != nil {
			return err
		}
		for rows.Next() {
			var id, contact string
			if err := rows.Scan(&id, &contact); err != nil {
				return err
			}
			convs = append(convs, conversation{id: id, waID: waIDs[contact]})
		}
		return rows.Err()
	})
	if err != nil {
		return nil, fmt.Errorf("create the conversations: %w", err)
	}
	// Round robin over conversations in a fixed order: each one's
	// messages are far apart, so an event is matched to its webhook by
	// its conversation, oldest first.
	slices.SortFunc(convs, func(a, b conversation) int { return strings.Compare(a.waID, b.waID) })

	var mu sync.Mutex
	pending := map[string][]time.Time{} // conversation → intended send times not yet seen on a socket
	var endToEnd, toEvent, eventToSocket []time.Duration
	received := 0
	var closed atomic.Int64
	var quitting atomic.Bool
	onFrame := func(f serverFrame, now time.Time) {
		if f.Type != "event" || f.Kind != storage.AgentMessage {
			return
		}
		mu.Lock()
		defer mu.Unlock()
		q := pending[f.ConversationID]
		if len(q) == 0 {
			return
		}
		sent := q[0]
		pending[f.ConversationID] = q[1:]
		received++
		endToEnd = append(endToEnd, now.Sub(sent))
		toEvent = append(toEvent, f.At.Sub(sent))
		eventToSocket = append(eventToSocket, now.Sub(f.At))
	}
	fmt.Fprintf(b.progress, "console latency: opening %d sockets\n", cfg.Agents)
	var conns []*websocket.Conn
	var cmu sync.Mutex
	err = b.parallel(ctx, len(logins), func(i int) error {
		ws, err := b.open(ctx, logins[i])
		if err != nil {
			return err
		}
		cmu.Lock()
		conns = append(conns, ws)
		cmu.Unlock()
		go hold(ws, onFrame, func() {
			if !quitting.Load() {
				closed.Add(1)
			}
		})
		return nil
	})
	defer func() {
		quitting.Store(true)
		for _, ws := range conns {
			ws.Close()
		}
	}()
	if err != nil {
		return nil, err
	}

	total := int(cfg.Rate * cfg.Duration.Seconds())
	fmt.Fprintf(b.progress, "console latency: %d webhooks at %.0f/s\n", total, cfg.Rate)
	out := &ConsoleLatency{Agents: cfg.Agents, Conversations: len(convs), Rate: cfg.Rate, Seconds: cfg.Duration.Seconds(), Codes: map[string]int{}}
	sem := make(chan struct{}, cfg.Concurrency)
	var wg sync.WaitGroup
	var accepted atomic.Int64
	secret := []byte(cfg.AppSecret)
	hook := cfg.URL + "/webhooks/whatsapp"
	out.LoadAvgStart = loadAvg()
	start := time.Now()
	interval := time.Duration(float64(time.Second) / cfg.Rate)
	for i := range total {
		intended := start.Add(time.Duration(i) * interval)
		if d := time.Until(intended); d > 0 && !sleepCtx(ctx, d) {
			break
		}
		select {
		case sem <- struct{}{}:
		default:
			out.Skipped++
			continue
		}
		c := convs[i%len(convs)]
		body, sig := webhook.NewMessagesPayload(waba, pnid, display).
			Text(webhook.Contact{WaID: c.waID, Name: "Customer"}, "message "+strconv.Itoa(i)).Signed(secret)
		mu.Lock()
		pending[c.id] = append(pending[c.id], intended)
		out.Sent++
		mu.Unlock()
		wg.Go(func() {
			defer func() { <-sem }()
			code, err := Post(ctx, b.http, hook, Payload{Body: body, Signature: sig})
			mu.Lock()
			defer mu.Unlock()
			if err != nil {
				out.Errors++
				return
			}
			out.Codes[strconv.Itoa(code)]++
			if code == http.StatusOK {
				accepted.Add(1)
			}
		})
	}
	wg.Wait()
	sendEnd := time.Since(start)
	out.AchievedRate = float64(out.Sent) / sendEnd.Seconds()
	// The last events: until every accepted webhook's arrived, or Timeout.
	deadline := time.Now().Add(cfg.Timeout)
	for {
		mu.Lock()
		got := received
		mu.Unlock()
		if int64(got) >= accepted.Load() || time.Now().After(deadline) || ctx.Err() != nil {
			break
		}
		time.Sleep(50 * time.Millisecond)
	}
	mu.Lock()
	defer mu.Unlock()
	out.Received = received
	out.NotArrived = int(accepted.Load()) - received
	out.SocketsClosed = int(closed.Load())
	out.LoadAvgEnd = loadAvg()
	out.EndToEnd = summarize(endToEnd).json()
	out.ToEvent = summarize(toEvent).json()
	out.EventToSocket = summarize(eventToSocket).json()
	return out, nil
}

// cleanup deletes the run's tenants (their sessions, agents and
// conversations go with them), or suspends them with Keep or when
// deleting fails, so that nothing of the run is left usable.
func (b *consoleBench) cleanup(ctx context.Context) {
	if len(b.tenants) == 0 {
		return
	}
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), time.Minute)
	defer cancel()
	suspend := func() error {
		return b.store.InPlatform(ctx, func(tx pgx.Tx) error {
			if _, err := tx.Exec(ctx, `DELETE FROM sessions WHERE tenant_id = ANY($1)`, b.tenants); err != nil {
				return err
			}
			_, err := tx.Exec(ctx, `UPDATE tenants SET status = 'suspended', updated_at = now() WHERE id = ANY($1)`, b.tenants)
			return err
		})
	}
	if b.cfg.Keep {
		if err := suspend(); err != nil {
			fmt.Fprintf(b.progress, "console: suspend the benchmark tenants: %v\n", err)
		}
		fmt.Fprintf(b.progress, "console: kept the benchmark tenants, suspended: slugs loadgen-console-%s-*\n", b.run)
		return
	}
	err := b.store.InPlatform(ctx, func(tx pgx.Tx) error {
		_, err := tx.Exec(ctx, `DELETE FROM tenants WHERE id = ANY($1)`, b.tenants)
		return err
	})
	if err != nil {
		_ = suspend()
		fmt.Fprintf(b.progress, "console: the benchmark tenants stay, suspended (slugs loadgen-console-%s-*): deleting them: %v\n", b.run, err)
	}
}

// WriteSummary prints the figures, one line each.
func (r ConsoleResult) WriteSummary(w io.Writer) {
	kib := func(v float64) string { return fmt.Sprintf("%.1f KiB", v/1024) }
	for i, s := range r.Server {
		if i == 0 {
			continue
		}
		line := fmt.Sprintf("memory at %6d sockets (load %s): serve RSS +%s/conn, heap+stacks +%s/conn, %.2f goroutines/conn",
			s.Connections, s.LoadAvg, kib(s.RSSPerConn), kib(s.HeapPerConn), s.GoroutinesConn)
		if i < len(r.Echo) {
			e := r.Echo[i]
			line += fmt.Sprintf("; echo RSS +%s/conn, heap+stacks +%s/conn; ratio RSS %.2f×", kib(e.RSSPerConn), kib(e.HeapPerConn), s.RSSPerConn/e.RSSPerConn)
		}
		fmt.Fprintln(w, line)
	}
	if r.OpenPerSecond > 0 {
		fmt.Fprintf(w, "sockets opened (ticket, upgrade, hello, ready): %.0f/s\n", r.OpenPerSecond)
	}
	if l := r.Latency; l != nil {
		fmt.Fprintf(w, "latency: %d agents, %d conversations, %d webhooks at %.1f/s (asked %.0f/s), %d skipped, codes %v, %d errors\n",
			l.Agents, l.Conversations, l.Sent, l.AchievedRate, l.Rate, l.Skipped, l.Codes, l.Errors)
		fmt.Fprintf(w, "latency: events received %d, not arrived %d, sockets closed by the server %d; load %s → %s\n",
			l.Received, l.NotArrived, l.SocketsClosed, l.LoadAvgStart, l.LoadAvgEnd)
		for _, x := range []struct {
			name string
			l    latencyJSON
		}{{"webhook POST → event frame on the socket", l.EndToEnd}, {"webhook POST → event written", l.ToEvent}, {"event written → socket", l.EventToSocket}} {
			fmt.Fprintf(w, "latency: %-42s p50 %.1f ms, p90 %.1f ms, p99 %.1f ms, max %.1f ms\n", x.name, x.l.P50MS, x.l.P90MS, x.l.P99MS, x.l.MaxMS)
		}
	}
}

// WriteJSON writes the result, indented.
func (r ConsoleResult) WriteJSON(w io.Writer) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(r)
}
