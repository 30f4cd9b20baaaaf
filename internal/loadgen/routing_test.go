package loadgen_test

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"switchboard/internal/loadgen"
	"switchboard/internal/storage/storagetest"
)

// Every wrong flag of `loadgen routing` gets one line naming it and status
// 2, before anything is connected to.
func TestLoadgenRoutingRefusesBadFlags(t *testing.T) {
	t.Parallel()
	env := map[string]string{"DATABASE_URL": "postgres://nobody@127.0.0.1:1/none", "REDIS_URL": "redis://127.0.0.1:1/0"}
	for _, c := range []struct {
		want string
		args []string
	}{
		{`--phases: unknown phase "warmup"`, []string{"--phases", "drain,warmup"}},
		{`--phases: "drain" is named twice`, []string{"--phases", "drain,stream,drain"}},
		{"--phases needs at least one", []string{"--phases", " , "}},
		{"--conversations must be", []string{"--conversations", "0"}},
		{"--stream-conversations must be", []string{"--stream-conversations", "-5"}},
		{"--writers must be", []string{"--writers", "0"}},
		{"--agents must be", []string{"--agents", "0"}},
		{"--capacity must be from 1 to 1000", []string{"--capacity", "1001"}},
		{"--rate must be", []string{"--rate", "0"}},
		{`invalid value "fast" for flag -rate`, []string{"--rate", "fast"}},
		{"--duration must be positive", []string{"--duration", "0s"}},
		{"less than one arrival", []string{"--rate", "1", "--duration", "100ms"}},
		{"--concurrency must be", []string{"--concurrency", "300"}},
		{"--timeout must be positive", []string{"--timeout", "-1s"}},
		{"cannot hold the 100 conversations of --conversations", []string{"--agents", "2", "--capacity", "10", "--conversations", "100", "--phases", "drain"}},
		{"cannot hold the 500 conversations of --rate × --duration", []string{"--agents", "2", "--capacity", "10", "--phases", "latency", "--rate", "100", "--duration", "5s"}},
		{`unexpected argument "extra"`, []string{"extra"}},
		{"flag provided but not defined: -nope", []string{"--nope"}},
		{"--json: open", []string{"--json", filepath.Join(t.TempDir(), "missing", "x.json")}},
	} {
		code, _, errs := runLoadgenCLI(env, append([]string{"routing"}, c.args...)...)
		if code != 2 || strings.Count(errs, "\n") != 1 || !strings.Contains(errs, c.want) {
			t.Errorf("%v: status %d, stderr %q; want status 2 and one line with %q", c.args, code, errs, c.want)
		}
	}
	for _, args := range [][]string{{"routing", "--help"}, {"routing", "-h"}} {
		if code, _, errs := runLoadgenCLI(env, args...); code != 0 || !strings.Contains(errs, "switchboard loadgen routing") ||
			!strings.Contains(errs, "-stream-conversations") {
			t.Errorf("%v: %d %q", args, code, errs)
		}
	}
	// The library checks its configuration too.
	for _, cfg := range []loadgen.RoutingConfig{
		{},
		{DatabaseURL: "postgres://x@127.0.0.1:1/x", Phases: []string{"warmup"}},
	} {
		if _, err := loadgen.Routing(context.Background(), cfg, nil); err == nil {
			t.Errorf("%+v: no error", cfg)
		}
	}
}

// A tiny run of every phase against a database of its own: everything
// arrived is assigned exactly once, the JSON says so, and the benchmark
// tenants are gone afterwards. A database with a tenant of its own is
// refused (the dispatcher would route it too). No timing is asserted.
func TestLoadgenRoutingRuns(t *testing.T) {
	t.Parallel()
	db := storagetest.NewDB(t)
	_, prefix := storagetest.NewRedis(t) // its keys are deleted at the end
	env := map[string]string{"DATABASE_URL": db.URL, "REDIS_URL": storagetest.RedisURL(), "REDIS_PREFIX": prefix}
	jsonPath := filepath.Join(t.TempDir(), "routing.json")
	start := time.Now()
	code, out, errs := runLoadgenCLI(env, "routing", "--conversations", "200", "--agents", "5", "--capacity", "100",
		"--rate", "100", "--duration", "1s", "--writers", "3", "--timeout", "1m", "--json", jsonPath)
	t.Logf("%v\n%s%s", time.Since(start), errs, out)
	if code != 0 || !strings.Contains(out, "drain:") || !strings.Contains(out, "latency:") {
		t.Fatalf("status %d", code)
	}
	raw, err := os.ReadFile(jsonPath)
	if err != nil {
		t.Fatal(err)
	}
	var res struct {
		Drain      float64 `json:"drain_assignments_per_s"`
		Stream     float64 `json:"stream_assignments_per_s"`
		Arrived    int     `json:"latency_arrived"`
		Assigned   int     `json:"latency_assigned"`
		P99        float64 `json:"latency_p99_ms"`
		Duplicates int     `json:"duplicates"`
		DrainPhase struct {
			Assigned   int `json:"assigned"`
			InPostgres struct {
				Assigned int `json:"conversations_assigned"`
				Events   int `json:"assigned_events"`
			} `json:"in_postgres"`
		} `json:"drain"`
		StreamPhase struct {
			Arrived  int `json:"arrived"`
			Assigned int `json:"assigned"`
		} `json:"stream"`
	}
	if err := json.Unmarshal(raw, &res); err != nil {
		t.Fatal(err)
	}
	if res.DrainPhase.Assigned != 200 || res.DrainPhase.InPostgres.Assigned != 200 || res.DrainPhase.InPostgres.Events != 200 ||
		res.StreamPhase.Arrived != 200 || res.StreamPhase.Assigned != 200 || res.Arrived != 100 || res.Assigned != 100 ||
		res.Duplicates != 0 || !(res.Drain > 0) || !(res.Stream > 0) || !(res.P99 > 0) {
		t.Fatalf("result %s", raw)
	}
	count := func(sql string) int {
		var n int
		if err := db.Store.InPlatform(context.Background(), func(tx pgx.Tx) error {
			return tx.QueryRow(context.Background(), sql).Scan(&n)
		}); err != nil {
			t.Fatal(err)
		}
		return n
	}
	if n := count(`SELECT count(*) FROM tenants`); n != 0 {
		t.Errorf("%d benchmark tenants left behind", n)
	}

	storagetest.Seed(t, db)
	code, _, errs = runLoadgenCLI(env, "routing", "--conversations", "10", "--agents", "1", "--capacity", "10", "--phases", "drain")
	if code != 1 || !strings.Contains(errs, "active tenant") {
		t.Fatalf("a database with tenants: status %d, %q", code, errs)
	}
}
