package app

import (
	"bytes"
	"context"
	"fmt"
	"github.com/jackc/pgx/v5"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"switchboard/internal/domain"
	"switchboard/internal/storage/storagetest"
)

// cli runs the program as a user types it, on the test's own database.
type cli struct {
	t   *testing.T
	env map[string]string
}

func newCLI(t *testing.T) (*cli, *storagetest.DB) {
	db := storagetest.NewDB(t)
	_, prefix := storagetest.NewRedis(t)
	return &cli{t: t, env: map[string]string{"DATABASE_URL": db.URL, "REDIS_URL": storagetest.RedisURL(), "REDIS_PREFIX": prefix,
		"BLOB_DIR": t.TempDir()}}, db
}

func (c *cli) run(stdin string, args ...string) (int, string, string) {
	var out, errb bytes.Buffer
	code := Run(context.Background(), append([]string{"switchboard"}, args...), func(k string) string { return c.env[k] },
		strings.NewReader(stdin), &out, &errb)
	return code, out.String(), errb.String()
}

var uuidLine = regexp.MustCompile(`^[0-9a-f-]{36}\n$`)

func TestTenantAndUserCreation(t *testing.T) {
	t.Parallel()
	c, db := newCLI(t)
	code, out, errs := c.run("acme-admin-password\n", "tenant", "create", "--name", "Acme Srl", "--slug", "acme", "--admin-email", "boss@acme.test")
	if code != 0 || !uuidLine.MatchString(out) {
		t.Fatalf("tenant create: %d %q %q", code, out, errs)
	}
	tn, err := db.Store.TenantBySlug(context.Background(), "acme")
	if err != nil || tn.ID != strings.TrimSpace(out) || tn.PlanName != "Starter" {
		t.Fatalf("tenant in the database: %+v %v", tn, err)
	}
	// The same slug again: a clear line, status 2, nothing new.
	code, _, errs = c.run("another-password-1\n", "tenant", "create", "--name", "Acme 2", "--slug", "acme", "--admin-email", "boss2@acme.test")
	if code != 2 || !strings.Contains(errs, "--slug: Another tenant already uses this short name.") {
		t.Fatalf("taken slug: %d %q", code, errs)
	}
	if _, _, err := db.Store.UserForSignIn(context.Background(), "boss2@acme.test"); err == nil {
		t.Fatal("a refused tenant left its administrator behind")
	}
	code, out, errs = c.run("agent-password-12\n", "user", "create", "--tenant", "acme", "--email", "Anna@Acme.test", "--role", "agent")
	if code != 0 || !uuidLine.MatchString(out) {
		t.Fatalf("user create: %d %q %q", code, out, errs)
	}
	u, _, err := db.Store.UserForSignIn(context.Background(), "anna@acme.test")
	if err != nil || u.Role != domain.RoleAgent || u.TenantID != tn.ID {
		t.Fatalf("agent: %+v %v", u, err)
	}
	code, out, errs = c.run("operator-password\n", "operator", "create", "--email", "ops@platform.test")
	if code != 0 || !uuidLine.MatchString(out) {
		t.Fatalf("operator create: %d %q %q", code, out, errs)
	}
	bad := []struct {
		stdin, want string
		args        []string
	}{
		{"agent-password-12\n", "--role must be admin or agent", []string{"user", "create", "--tenant", "acme", "--email", "x@acme.test", "--role", "boss"}},
		{"agent-password-12\n", "no tenant with slug", []string{"user", "create", "--tenant", "nope", "--email", "x@acme.test", "--role", "agent"}},
		{"short\n", "password: Use between 12 and 128 characters.", []string{"user", "create", "--tenant", "acme", "--email", "x@acme.test", "--role", "agent"}},
		{"", "no password on standard input", []string{"operator", "create", "--email", "y@platform.test"}},
		{"agent-password-12\n", "Someone already signs in with this e-mail.", []string{"user", "create", "--tenant", "acme", "--email", "anna@acme.test", "--role", "admin"}},
		{"agent-password-12\n", "--email: Enter an e-mail address", []string{"user", "create", "--tenant", "acme", "--email", "not-an-email", "--role", "admin"}},
		{"p-a-s-s-w-o-r-d\n", "--slug is required", []string{"tenant", "create", "--name", "X", "--admin-email", "x@x.test"}},
		{"p-a-s-s-w-o-r-d\n", "--slug: Use lower-case letters", []string{"tenant", "create", "--name", "X", "--slug", "Bad Slug", "--admin-email", "x@x.test"}},
		{"p-a-s-s-w-o-r-d\n", "--plan: no plan named", []string{"tenant", "create", "--name", "X", "--slug", "xx", "--admin-email", "x@x.test", "--plan", "Gold"}},
	}
	for _, b := range bad {
		code, _, errs := c.run(b.stdin, b.args...)
		if code != 2 || !strings.Contains(errs, b.want) {
			t.Errorf("%v: %d %q, want status 2 and %q", b.args, code, errs, b.want)
		}
	}
}

func TestDemoSeedIsIdempotent(t *testing.T) {
	t.Parallel()
	c, db := newCLI(t)
	code, first, errs := c.run("", "demo", "seed")
	if code != 0 || !strings.Contains(first, DemoAdmin) || !strings.Contains(first, DemoOperator) || !strings.Contains(first, DemoPassword) {
		t.Fatalf("demo seed: %d %q %q", code, first, errs)
	}
	tn, err := db.Store.TenantBySlug(context.Background(), DemoSlug)
	if err != nil {
		t.Fatal(err)
	}
	before, _ := db.Store.ListUsers(context.Background(), tn.ID)
	code, second, _ := c.run("", "demo", "seed")
	after, _ := db.Store.ListUsers(context.Background(), tn.ID)
	tenants, _ := db.Store.ListTenants(context.Background())
	if code != 0 || second != first || len(after) != len(before) || len(tenants) != 1 {
		t.Fatalf("second seed: %d, users %d → %d, tenants %d", code, len(before), len(after), len(tenants))
	}
	if len(before) != 4 {
		t.Fatalf("demo tenant has %d users, want an administrator and 3 agents", len(before))
	}
	// A customer's message can reach an agent: a sandbox number linked to a
	// skillset of the three agents, made once.
	skillsets, _ := db.Store.ListSkillsets(context.Background(), tn.ID)
	numbers, _ := db.Store.ListNumbers(context.Background(), tn.ID)
	if len(skillsets) != 1 || len(skillsets[0].Members) != 3 || len(skillsets[0].Numbers) != 1 || len(numbers) != 1 || !numbers[0].Sandbox {
		t.Fatalf("demo routing: %d skillsets %+v, %d numbers", len(skillsets), skillsets, len(numbers))
	}
	c.env["APP_ENV"] = "production"
	c.env["SECRET_KEY"] = strings.Repeat("k", 40)
	if code, _, errs := c.run("", "demo", "seed"); code != 2 || !strings.Contains(errs, "refused outside development") {
		t.Fatalf("demo seed in production: %d %q", code, errs)
	}
}

func TestMigrateCommands(t *testing.T) {
	t.Parallel()
	c, _ := newCLI(t)
	// The newest migration is the version a migrated database is at.
	ups, err := filepath.Glob(filepath.Join("..", "..", "migrations", "*.up.sql"))
	if err != nil || len(ups) == 0 {
		t.Fatalf("no migrations found: %v", err)
	}
	latest := 0
	for _, f := range ups {
		var n int
		if _, err := fmt.Sscanf(filepath.Base(f), "%d_", &n); err == nil && n > latest {
			latest = n
		}
	}
	want := fmt.Sprintf("version %d\n", latest)
	if code, out, _ := c.run("", "migrate", "version"); code != 0 || out != want {
		t.Fatalf("version: %d %q, want %q", code, out, want)
	}
	if code, out, errs := c.run("", "migrate", "down", strconv.Itoa(latest-1)); code != 0 || out != "version 1\n" {
		t.Fatalf("down: %d %q %q", code, out, errs)
	}
	if code, out, errs := c.run("", "migrate", "down", "1"); code != 0 || out != "version 0\n" {
		t.Fatalf("down: %d %q %q", code, out, errs)
	}
	if code, out, _ := c.run("", "migrate", "up"); code != 0 || out != want {
		t.Fatalf("up: %d %q", code, out)
	}
	for _, args := range [][]string{{"migrate"}, {"migrate", "down"}, {"migrate", "down", "zero"}, {"migrate", "sideways"}, {"migrate", "up", "extra"}} {
		if code, _, _ := c.run("", args...); code != 2 {
			t.Errorf("%v: status %d, want 2", args, code)
		}
	}
}

func TestConfigurationErrorsAreOneLineAndStatusTwo(t *testing.T) {
	t.Parallel()
	for _, env := range []map[string]string{
		{"HTTP_ADDR": "nonsense"},
		{"APP_ENV": "production"},
		{"DATABASE_URL": "mysql://root@localhost/db"},
		{"LOG_FORMAT": "yaml"},
	} {
		c := &cli{t: t, env: env}
		code, _, errs := c.run("", "serve")
		lines := strings.Split(strings.TrimSpace(errs), "\n")
		var name string
		for k := range env {
			name = k
		}
		if env["APP_ENV"] == "production" {
			name = "SECRET_KEY"
		}
		if code != 2 || len(lines) != 1 || !strings.Contains(lines[0], name) {
			t.Errorf("%v: status %d, stderr %q", env, code, errs)
		}
	}
}

func TestHelpAndVersion(t *testing.T) {
	t.Parallel()
	c := &cli{t: t, env: map[string]string{}}
	if code, out, _ := c.run("", "version"); code != 0 || !strings.HasPrefix(out, "switchboard ") {
		t.Fatalf("version: %d %q", code, out)
	}
	if code, out, _ := c.run("", "--help"); code != 0 || !strings.Contains(out, "serve") || !strings.Contains(out, "demo") {
		t.Fatalf("--help: %d %q", code, out)
	}
	for _, args := range [][]string{{"serve", "--help"}, {"migrate", "--help"}, {"tenant", "--help"}, {"user", "create", "--help"}, {"operator", "create", "--help"}, {"demo", "seed", "--help"}} {
		code, _, errs := c.run("", args...)
		if code != 0 || !strings.Contains(errs, "Usage") {
			t.Errorf("%v: %d %q", args, code, errs)
		}
	}
	if code, _, errs := c.run("", "frobnicate"); code != 2 || !strings.Contains(errs, `unknown command "frobnicate"`) {
		t.Fatalf("unknown command: %d %q", code, errs)
	}
	if code, _, _ := c.run(""); code != 2 {
		t.Fatalf("no command: %d", code)
	}
}

// syncBuffer lets the test read what serve logs while it runs.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// TestServeMigratesServesAndStopsCleanly runs `switchboard serve` on an
// empty database: it migrates, answers, and drains on cancellation.
func TestServeMigratesServesAndStopsCleanly(t *testing.T) {
	t.Parallel()
	c, db := newCLI(t)
	if code, _, errs := c.run("", "migrate", "down", "5"); code != 0 {
		t.Fatalf("empty the database first: %s", errs)
	}
	c.env["HTTP_ADDR"] = "127.0.0.1:0"
	ctx, cancel := context.WithCancel(context.Background())
	logs := &syncBuffer{}
	done := make(chan int, 1)
	go func() {
		done <- Run(ctx, []string{"switchboard", "serve"}, func(k string) string { return c.env[k] }, strings.NewReader(""), io.Discard, logs)
	}()
	addrRE := regexp.MustCompile(`msg=listening addr=(\S+)`)
	var addr string
	for deadline := time.Now().Add(20 * time.Second); addr == "" && time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		if m := addrRE.FindStringSubmatch(logs.String()); m != nil {
			addr = m[1]
		}
	}
	if addr == "" {
		cancel()
		t.Fatalf("serve did not start: %s", logs.String())
	}
	res, err := http.Get("http://" + addr + "/readyz")
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusOK {
		t.Fatalf("readyz: %d", res.StatusCode)
	}
	if plans, err := db.Store.ListPlans(context.Background()); err != nil || len(plans) == 0 {
		t.Fatalf("serve did not migrate: %v", err)
	}
	cancel()
	select {
	case code := <-done:
		if code != 0 {
			t.Fatalf("serve exited %d: %s", code, logs.String())
		}
	case <-time.After(20 * time.Second):
		t.Fatal("serve did not stop")
	}
}

func TestNumberAPIKeyAndReplayCommands(t *testing.T) {
	t.Parallel()
	c, db := newCLI(t)
	if code, _, errs := c.run("acme-admin-password\n", "tenant", "create", "--name", "Acme", "--slug", "acme", "--admin-email", "boss@acme.test"); code != 0 {
		t.Fatal(errs)
	}
	code, out, errs := c.run("EAAG-live-token-123\n", "number", "add", "--tenant", "acme", "--phone-number-id", "106540352242922",
		"--display-phone", "+1 555 078 3881", "--waba-id", "102290129340398")
	if code != 0 || !uuidLine.MatchString(out) {
		t.Fatalf("number add: %d %q %q", code, out, errs)
	}
	tn, _ := db.Store.TenantBySlug(context.Background(), "acme")
	nums, _ := db.Store.ListNumbers(context.Background(), tn.ID)
	if len(nums) != 1 || strings.Contains(nums[0].AccessTokenEnc, "EAAG") {
		t.Fatalf("numbers: %+v (the token must be sealed)", nums)
	}
	// Starter allows one number: a second is refused, a clear line, status 2.
	if code, _, errs := c.run("", "number", "add", "--tenant", "acme", "--sandbox"); code != 2 || !strings.Contains(errs, "plan") {
		t.Fatalf("second number on Starter: %d %q", code, errs)
	}
	for _, bad := range [][]string{
		{"number", "add", "--tenant", "acme", "--display-phone", "+1 555", "--waba-id", "1"},
		{"number", "add", "--tenant", "nope", "--sandbox"},
		{"number", "add", "--tenant", "acme", "--phone-number-id", "12ab", "--display-phone", "+1 555 0000", "--waba-id", "1"},
	} {
		if code, _, errs := c.run("token-1234567\n", bad...); code != 2 || errs == "" {
			t.Errorf("%v: %d %q", bad, code, errs)
		}
	}
	code, key, errs := c.run("", "apikey", "create", "--tenant", "acme", "--name", "crm")
	if code != 0 || !strings.HasPrefix(key, "sbk_") {
		t.Fatalf("apikey create: %d %q %q", code, key, errs)
	}
	if code, _, _ := c.run("", "apikey", "create", "--tenant", "acme"); code != 2 {
		t.Fatal("apikey without --name accepted")
	}
	if code, out, errs := c.run("", "webhooks", "replay", "--since", "1h"); code != 0 || out != "0 events queued again\n" {
		t.Fatalf("replay: %d %q %q", code, out, errs)
	}
	for _, bad := range [][]string{{"webhooks", "replay"}, {"webhooks", "replay", "--since", "yesterday"}, {"webhooks", "replay", "--id", "1", "--since", "1h"}} {
		if code, _, _ := c.run("", bad...); code != 2 {
			t.Errorf("%v accepted", bad)
		}
	}
}

func TestFakemetaCommandValidatesItsInput(t *testing.T) {
	t.Parallel()
	c := &cli{t: t, env: map[string]string{}}
	for _, args := range [][]string{
		{"fakemeta", "--webhook-url", "http://127.0.0.1:1/webhooks/whatsapp"},
		{"fakemeta", "--webhook-url", "not a url"},
		{"fakemeta", "--addr", "nonsense", "--webhook-url", "http://127.0.0.1:1/x"},
	} {
		if code, _, errs := c.run("", args...); code != 2 || errs == "" {
			t.Errorf("%v: %d %q", args, code, errs)
		}
	}
	if code, _, errs := c.run("", "fakemeta", "--help"); code != 0 || !strings.Contains(errs, "Usage") {
		t.Fatalf("--help: %d", code)
	}
}

func TestStopWordsAreConfigurable(t *testing.T) {
	t.Parallel()
	c, db := newCLI(t)
	if code, _, errs := c.run("acme-admin-password\n", "tenant", "create", "--name", "Acme", "--slug", "acme", "--admin-email", "boss@acme.test"); code != 0 {
		t.Fatal(errs)
	}
	code, out, errs := c.run("", "tenant", "stop-words", "--tenant", "acme", "--words", "stop, Arrêt ,BASTA")
	if code != 0 || out != "STOP,ARRÊT,BASTA\n" {
		t.Fatalf("stop-words: %d %q %q", code, out, errs)
	}
	tn, _ := db.Store.TenantBySlug(context.Background(), "acme")
	var words []string
	if err := db.Store.InPlatform(context.Background(), func(tx pgx.Tx) error {
		return tx.QueryRow(context.Background(), `SELECT stop_keywords FROM tenants WHERE id = $1`, tn.ID).Scan(&words)
	}); err != nil || strings.Join(words, ",") != "STOP,ARRÊT,BASTA" {
		t.Fatalf("stored: %v %v", words, err)
	}
	for _, bad := range [][]string{{"tenant", "stop-words", "--tenant", "acme"}, {"tenant", "stop-words", "--tenant", "acme", "--words", "two words"}, {"tenant", "stop-words", "--tenant", "nope", "--words", "STOP"}} {
		if code, _, _ := c.run("", bad...); code != 2 {
			t.Errorf("%v: %d", bad, code)
		}
	}
}

func TestRoutingSimulate(t *testing.T) {
	t.Parallel()
	c := &cli{t: t, env: map[string]string{}}
	want, err := os.ReadFile("../router/testdata/e1.out")
	if err != nil {
		t.Fatal(err)
	}
	if code, out, errs := c.run("", "routing", "simulate", "../router/testdata/e1.json"); code != 0 || out != string(want) {
		t.Fatalf("simulate E1: %d %q %q, want %q", code, out, errs, want)
	}
	bad := filepath.Join(t.TempDir(), "bad.json")
	if err := os.WriteFile(bad, []byte("{not a scenario"), 0o600); err != nil {
		t.Fatal(err)
	}
	if code, _, errs := c.run("", "routing", "simulate", bad); code != 2 || errs == "" {
		t.Fatalf("bad file: %d %q", code, errs)
	}
	if code, _, _ := c.run("", "routing", "simulate", "--help"); code != 0 {
		t.Fatalf("--help: %d", code)
	}
}
