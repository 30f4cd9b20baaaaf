package loadgen_test

import (
	"context"
	"io"
	"net/http/httptest"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"switchboard/internal/loadgen"
	"switchboard/internal/server/servertest"
)

// Every wrong flag of `loadgen console` gets one line naming it and status
// 2, before anything is made in a database.
func TestLoadgenConsoleRefusesBadFlags(t *testing.T) {
	t.Parallel()
	env := map[string]string{"META_APP_SECRET": testSecret, "BASE_URL": "http://127.0.0.1:1"}
	pid := "--server-pid=" + strconv.Itoa(os.Getpid())
	for _, c := range []struct {
		want string
		args []string
	}{
		{"--url must be serve's base URL", []string{"console", "--url", "localhost:8080", pid}},
		{"--url must be serve's base URL", []string{"console", "--url", "http://127.0.0.1:1/agent", pid}},
		{"--phases: unknown phase \"speed\"", []string{"console", "--phases", "memory,speed", pid}},
		{"--phases needs at least one", []string{"console", "--phases", " , ", pid}},
		{"--steps must be ascending", []string{"console", "--steps", "5000,1000", pid}},
		{"--steps: \"many\" is not a number", []string{"console", "--steps", "many", pid}},
		{"--steps: 0 is not a number of connections", []string{"console", "--steps", "0,10", pid}},
		{"--server-pid is required", []string{"console", "--phases", "memory"}},
		{"--server-pid 999999999", []string{"console", "--server-pid", "999999999"}},
		{"--echo-pid is required with --echo-url", []string{"console", pid, "--echo-url", "http://127.0.0.1:2"}},
		{"--echo-url must be", []string{"console", pid, "--echo-url", "ws://127.0.0.1:2", "--echo-pid", "1"}},
		{"--settle cannot be negative", []string{"console", pid, "--settle", "-1s"}},
		{"--agents must be", []string{"console", "--phases", "latency", "--agents", "0"}},
		{"--conversations-per-agent must be", []string{"console", "--phases", "latency", "--conversations-per-agent", "101"}},
		{"--rate must be", []string{"console", "--phases", "latency", "--rate", "-5"}},
		{"--duration must be positive", []string{"console", "--phases", "latency", "--duration", "0s"}},
		{"less than one webhook", []string{"console", "--phases", "latency", "--rate", "1", "--duration", "100ms"}},
		{"--concurrency must be", []string{"console", pid, "--concurrency", "0"}},
		{"--timeout must be positive", []string{"console", pid, "--timeout", "0s"}},
		{"unexpected argument \"now\"", []string{"console", pid, "now"}},
		{"flag provided but not defined: -nope", []string{"console", "--nope"}},
		{"--addr must be host:port", []string{"echo-server", "--addr", "nowhere"}},
	} {
		code, _, errs := runLoadgenCLI(env, c.args...)
		if code != 2 || strings.Count(errs, "\n") != 1 || !strings.Contains(errs, c.want) {
			t.Errorf("%v: status %d, stderr %q; want status 2 and one line with %q", c.args, code, errs, c.want)
		}
	}
	code, _, errs := runLoadgenCLI(map[string]string{}, "console", "--phases", "latency")
	if code != 2 || !strings.Contains(errs, "META_APP_SECRET is not set") {
		t.Errorf("no secret: %d %q", code, errs)
	}
}

// The latency phase against the real server (every route and middleware,
// the webhook processor, Redis and the hub): agents with sessions open
// their sockets as console.js does, every accepted webhook's event reaches
// its agent's socket once, and the run's tenant is gone afterwards. No
// speed is asserted in `make test`.
func TestLoadgenConsoleLatencyEndToEnd(t *testing.T) {
	t.Parallel()
	app := servertest.New(t, servertest.Options{RunWorkers: true})
	cfg := loadgen.DefaultConsoleConfig()
	cfg.URL, cfg.Phases = app.URL, []string{"latency"}
	cfg.Agents, cfg.ConversationsPerAgent, cfg.Rate, cfg.Duration = 6, 2, 40, time.Second
	cfg.Concurrency, cfg.Timeout = 4, 20*time.Second
	cfg.Secret, cfg.AppSecret = servertest.SecretKey(), servertest.MetaAppSecret
	res, err := loadgen.Console(context.Background(), cfg, app.DB.Store, io.Discard)
	if err != nil {
		t.Fatalf("%v\n%s", err, app.Logs.String())
	}
	l := res.Latency
	// A tick the generator could not keep (a loaded machine) is skipped and
	// counted, not sent: what is asserted is that every webhook sent is
	// accepted and its event arrives once, not the pace.
	if l == nil || l.Sent == 0 || l.Sent+l.Skipped != 40 || l.Codes["200"] != l.Sent || l.Errors != 0 {
		t.Fatalf("webhooks: %+v", l)
	}
	if l.Received != l.Sent || l.NotArrived != 0 || l.EndToEnd.Count != l.Sent || l.SocketsClosed != 0 {
		t.Fatalf("events: received %d of %d (not arrived %d, closed %d)", l.Received, l.Sent, l.NotArrived, l.SocketsClosed)
	}
	if l.EndToEnd.P50MS <= 0 || l.EndToEnd.MaxMS < l.EndToEnd.P99MS {
		t.Errorf("latency figures: %+v", l.EndToEnd)
	}
	var left int
	if err := app.DB.Pool.QueryRow(context.Background(), `SELECT count(*) FROM tenants WHERE slug LIKE 'loadgen-console-%'`).Scan(&left); err != nil {
		t.Fatal(err)
	}
	if left != 0 {
		t.Errorf("%d benchmark tenants left behind", left)
	}
}

// The echo server echoes and reports its connections.
func TestEchoServer(t *testing.T) {
	t.Parallel()
	var s loadgen.EchoServer
	srv := httptest.NewServer(s.Handler())
	t.Cleanup(srv.Close)
	ws, _, err := websocket.DefaultDialer.Dial("ws"+strings.TrimPrefix(srv.URL, "http")+"/ws", nil)
	if err != nil {
		t.Fatal(err)
	}
	defer ws.Close()
	if err := ws.WriteMessage(websocket.TextMessage, []byte(`{"type":"hello"}`)); err != nil {
		t.Fatal(err)
	}
	if _, b, err := ws.ReadMessage(); err != nil || string(b) != `{"type":"hello"}` {
		t.Fatalf("echo: %q %v", b, err)
	}
	res, err := srv.Client().Get(srv.URL + "/mem")
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if !strings.Contains(string(b), `"connections":1`) || !strings.Contains(string(b), `"heap_objects_bytes"`) {
		t.Errorf("/mem: %s", b)
	}
}
