package loadgen_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"switchboard/internal/loadgen"
	"switchboard/internal/storage/storagetest"
)

// Crash-safety figures. The generator runs in this (race-instrumented)
// process and shares two cores with the server and Postgres, so the rate is
// half B2's 2,000/s; the server binary itself is built without -race. The
// run is short because the processor applies ~500 events/s here and the
// test waits for it to catch up, to stay within `make test`'s budget.
const (
	crashRate         = 1000
	crashDuration     = 6 * time.Second
	crashKillAt       = 2 * time.Second
	crashRestartAfter = 500 * time.Millisecond
	crashSample       = 10 // also redeliver every 10th payload that was answered 200, as Meta retries
)

// TestCrashSafety is spec B2 and the "Reliability" requirement: webhooks
// arrive at a steady rate, the server is killed with SIGKILL in the middle
// and restarted; every body that was not answered 200 is delivered again
// (and a sample of those that were). Afterwards every customer message whose
// POST was answered 200 is in `messages`, exactly once.
func TestCrashSafety(t *testing.T) {
	t.Parallel()
	began := time.Now()
	bin := buildSwitchboard(t)
	built := time.Since(began)
	db := storagetest.NewDB(t)
	_, prefix := storagetest.NewRedis(t)
	secret := "crash-test-app-secret-" + randomHex(8)
	addr := freeAddr(t)
	env := append(os.Environ(),
		"APP_ENV=development",
		"DATABASE_URL="+db.URL,
		"REDIS_URL="+storagetest.RedisURL(),
		"REDIS_PREFIX="+prefix,
		"HTTP_ADDR="+addr,
		"META_APP_SECRET="+secret,
		"SECRET_KEY="+randomHex(32),
		"BLOB_DIR="+filepath.Join(t.TempDir(), "blobs"),
		// Media downloads must not leave the machine: a closed port fails fast.
		"GRAPH_BASE_URL=http://127.0.0.1:9",
		"LOG_LEVEL=warn",
		"MIGRATE=true",
	)
	target := loadgen.DefaultTarget()
	runCLI(t, bin, env, "", "migrate", "up")
	runCLI(t, bin, env, "crash-admin-password\n", "tenant", "create", "--name", "Crash Test", "--slug", "crash", "--admin-email", "boss@crash.test")
	runCLI(t, bin, env, "EAAG-crash-token-1\n", "number", "add", "--tenant", "crash", "--phone-number-id", target.PhoneNumberID,
		"--display-phone", target.DisplayPhone, "--waba-id", target.WABAID)

	srv, err := startServer(t, bin, env, addr)
	if err != nil {
		t.Fatal(err)
	}
	ready := time.Since(began)
	var (
		mu                       sync.Mutex
		unacked, ackedPayloads   []loadgen.Payload
		generated                = map[string]bool{}
		killedAt, restartedAt    time.Time
		acksBefore, acksAfter    int
		errorsDuringTheGap, sent int
	)
	cfg := loadgen.DefaultWebhookConfig()
	cfg.URL = "http://" + addr + "/webhooks/whatsapp"
	cfg.AppSecret = secret
	cfg.Rate, cfg.Duration, cfg.Concurrency, cfg.Seed = crashRate, crashDuration, 32, 2
	cfg.Timeout = 5 * time.Second
	cfg.Targets = []loadgen.Target{target}
	cfg.OnResponse = func(p loadgen.Payload, status int, err error) {
		mu.Lock()
		defer mu.Unlock()
		sent++
		for _, id := range p.WAMIDs {
			generated[id] = true
		}
		switch {
		case status == http.StatusOK && killedAt.IsZero():
			acksBefore++
		case status == http.StatusOK && !restartedAt.IsZero():
			acksAfter++
		case err != nil:
			errorsDuringTheGap++
		}
		if status == http.StatusOK {
			ackedPayloads = append(ackedPayloads, p)
		} else {
			unacked = append(unacked, p)
		}
	}

	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	restarted := make(chan error, 1)
	go func() {
		time.Sleep(crashKillAt)
		mu.Lock()
		killedAt = time.Now()
		mu.Unlock()
		srv.kill(t)
		// A supervisor takes a moment to notice; meanwhile POSTs fail.
		time.Sleep(crashRestartAfter)
		_, err := startServer(t, bin, env, addr)
		mu.Lock()
		restartedAt = time.Now()
		mu.Unlock()
		restarted <- err
	}()
	res, err := loadgen.Webhooks(ctx, cfg, nil)
	if err != nil {
		t.Fatal(err)
	}
	var summary bytes.Buffer
	res.WriteSummary(&summary)
	t.Logf("load:\n%s", summary.String())
	if err := <-restarted; err != nil {
		t.Fatalf("restart after the SIGKILL: %v", err)
	}
	mu.Lock()
	downtime := restartedAt.Sub(killedAt)
	mu.Unlock()
	if acksBefore == 0 || acksAfter == 0 {
		t.Fatalf("the kill was not mid-run: %d POSTs answered 200 before it, %d after the restart", acksBefore, acksAfter)
	}

	// Meta retries whatever was not answered 200, and sometimes what was.
	var again []loadgen.Payload
	for _, p := range unacked {
		if !p.BadSignature {
			again = append(again, p)
		}
	}
	for i := 0; i < len(ackedPayloads); i += crashSample {
		again = append(again, ackedPayloads[i])
	}
	acked := map[string]bool{}
	for _, id := range res.AckedWAMIDs {
		acked[id] = true
	}
	redeliverStart := time.Now()
	for _, id := range redeliver(ctx, t, cfg.URL, again) {
		acked[id] = true
	}
	redelivered := time.Since(redeliverStart)
	if len(acked) != len(generated) {
		t.Errorf("%d customer messages were generated but only %d acknowledged even after redelivery", len(generated), len(acked))
	}

	conn, err := pgx.Connect(ctx, db.URL) // the owner: it sees every tenant's rows
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(context.Background())
	drainStart := time.Now()
	var pending, events int
	for {
		if err := conn.QueryRow(ctx, `SELECT count(*) FILTER (WHERE state = 'pending'), count(*) FROM webhook_events`).Scan(&pending, &events); err != nil {
			t.Fatal(err)
		}
		if pending == 0 {
			break
		}
		if time.Since(drainStart) > 90*time.Second {
			t.Fatalf("%d webhook events still pending after 90 s", pending)
		}
		time.Sleep(100 * time.Millisecond)
	}
	drained := time.Since(drainStart)

	var failed int
	var reasons string
	if err := conn.QueryRow(ctx, `SELECT count(*), coalesce(string_agg(DISTINCT reason, ' | '), '') FROM webhook_events WHERE state = 'failed'`).
		Scan(&failed, &reasons); err != nil {
		t.Fatal(err)
	}
	if failed > 0 {
		t.Errorf("%d webhook events failed: %s", failed, reasons)
	}
	ids := make([]string, 0, len(acked))
	for id := range acked {
		ids = append(ids, id)
	}
	var stored int
	if err := conn.QueryRow(ctx, `SELECT count(*) FROM messages WHERE wamid = ANY($1)`, ids).Scan(&stored); err != nil {
		t.Fatal(err)
	}
	rows, err := conn.Query(ctx, `SELECT wamid, count(*) FROM messages GROUP BY tenant_id, wamid HAVING count(*) > 1`)
	if err != nil {
		t.Fatal(err)
	}
	duplicates := 0
	for rows.Next() {
		var id string
		var n int
		if err := rows.Scan(&id, &n); err != nil {
			t.Fatal(err)
		}
		duplicates++
		if duplicates <= 5 {
			t.Errorf("wamid %s stored %d times", id, n)
		}
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	lost := 0
	if stored < len(ids) {
		lost = len(ids) - stored
		missing, err := missingWAMIDs(ctx, conn, res.AckedWAMIDs)
		if err != nil {
			t.Fatal(err)
		}
		t.Errorf("%d wamids answered 200 are not in messages (answered 200 by the first run and missing: %d), e.g. %v",
			lost, len(missing), missing[:min(5, len(missing))])
	}
	t.Logf("crash safety: %d POSTs at %d/s (%d answered 200 before the SIGKILL at %v, %d after the restart, server down %v, %d transport errors); "+
		"redelivered %d (every unacknowledged body and every %dth acknowledged one); %d webhook events stored; processor drained %v after the load; "+
		"acked wamids %d, in messages %d, lost %d, duplicates %d, failed events %d "+
		"(build %v, first server ready at %v, redelivery %v)",
		sent, crashRate, acksBefore, crashKillAt, acksAfter, downtime.Round(time.Millisecond), errorsDuringTheGap,
		len(again), crashSample, events, drained.Round(time.Millisecond), len(ids), stored, lost, duplicates, failed,
		built.Round(time.Millisecond), ready.Round(time.Millisecond), redelivered.Round(time.Millisecond))
}

// redeliver posts each payload until it is answered 200, with back-off,
// like Meta's retries, and returns the wamids so acknowledged.
func redeliver(ctx context.Context, t *testing.T, url string, payloads []loadgen.Payload) []string {
	t.Helper()
	client := &http.Client{Timeout: 10 * time.Second}
	defer client.CloseIdleConnections()
	work := make(chan loadgen.Payload)
	var mu sync.Mutex
	var acked []string
	var failures []string
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			for p := range work {
				var status int
				var err error
				for attempt, wait := 0, 50*time.Millisecond; attempt < 20; attempt, wait = attempt+1, min(2*wait, time.Second) {
					if status, err = loadgen.Post(ctx, client, url, p); status == http.StatusOK {
						break
					}
					time.Sleep(wait)
				}
				mu.Lock()
				if status == http.StatusOK {
					acked = append(acked, p.WAMIDs...)
				} else {
					failures = append(failures, fmt.Sprintf("status %d, %v", status, err))
				}
				mu.Unlock()
			}
		})
	}
	for _, p := range payloads {
		work <- p
	}
	close(work)
	wg.Wait()
	if len(failures) > 0 {
		t.Fatalf("%d redeliveries never answered 200, e.g. %s", len(failures), failures[0])
	}
	return acked
}

func missingWAMIDs(ctx context.Context, conn *pgx.Conn, ids []string) ([]string, error) {
	rows, err := conn.Query(ctx, `SELECT w FROM unnest($1::text[]) AS w WHERE NOT EXISTS (SELECT 1 FROM messages WHERE wamid = w)`, ids)
	if err != nil {
		return nil, err
	}
	return pgx.CollectRows(rows, pgx.RowTo[string])
}

// buildSwitchboard builds the real binary (without -race, so the server is
// as fast as in production) from the module this test belongs to.
func buildSwitchboard(t *testing.T) string {
	t.Helper()
	goTool, err := exec.LookPath("go")
	if err != nil {
		goTool = filepath.Join(os.Getenv("GOROOT"), "bin", "go")
	}
	out, err := exec.Command(goTool, "env", "GOMOD").Output()
	gomod := strings.TrimSpace(string(out))
	if err != nil || gomod == "" || gomod == os.DevNull {
		t.Fatalf("find the module root with `go env GOMOD`: %q %v", gomod, err)
	}
	bin := filepath.Join(t.TempDir(), "switchboard")
	build := exec.Command(goTool, "build", "-o", bin, "./cmd/switchboard")
	build.Dir = filepath.Dir(gomod)
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build ./cmd/switchboard: %v\n%s", err, out)
	}
	return bin
}

func runCLI(t *testing.T, bin string, env []string, stdin string, args ...string) {
	t.Helper()
	cmd := exec.Command(bin, args...)
	cmd.Env = env
	cmd.Stdin = strings.NewReader(stdin)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("switchboard %s: %v\n%s", strings.Join(args, " "), err, out)
	}
}

// server is one `switchboard serve` process.
type server struct {
	cmd    *exec.Cmd
	logs   *lockedBuffer
	exited chan struct{}
}

type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// startServer starts `switchboard serve` and waits until /readyz answers.
// It may run outside the test's goroutine, so it returns its error.
func startServer(t *testing.T, bin string, env []string, addr string) (*server, error) {
	s := &server{cmd: exec.Command(bin, "serve"), logs: &lockedBuffer{}, exited: make(chan struct{})}
	s.cmd.Env = env
	s.cmd.Stdout, s.cmd.Stderr = s.logs, s.logs
	if err := s.cmd.Start(); err != nil {
		return nil, fmt.Errorf("start switchboard serve: %w", err)
	}
	go func() { _ = s.cmd.Wait(); close(s.exited) }()
	t.Cleanup(func() {
		// Only the process this test started.
		_ = s.cmd.Process.Kill()
		<-s.exited
		if t.Failed() {
			t.Logf("server (pid %d) log:\n%s", s.cmd.Process.Pid, tail(s.logs.String(), 4000))
		}
	})
	client := &http.Client{Timeout: time.Second}
	for deadline := time.Now().Add(30 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		select {
		case <-s.exited:
			return nil, fmt.Errorf("switchboard serve exited at start:\n%s", s.logs.String())
		default:
		}
		if res, err := client.Get("http://" + addr + "/readyz"); err == nil {
			res.Body.Close()
			if res.StatusCode == http.StatusOK {
				return s, nil
			}
		}
	}
	return nil, fmt.Errorf("switchboard serve not ready on %s after 30 s:\n%s", addr, s.logs.String())
}

// kill sends SIGKILL: no draining, no deferred cleanup, like a power cut of
// the process.
func (s *server) kill(t *testing.T) {
	if err := s.cmd.Process.Kill(); err != nil {
		t.Errorf("kill the server: %v", err)
	}
	<-s.exited
}

func freeAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return "127.0.0.1:" + strconv.Itoa(ln.Addr().(*net.TCPAddr).Port)
}

func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

func tail(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return "…" + s[len(s)-n:]
}
