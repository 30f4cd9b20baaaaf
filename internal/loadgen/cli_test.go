package loadgen_test

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"switchboard/internal/app"
)

func runLoadgenCLI(env map[string]string, args ...string) (int, string, string) {
	var out, errb bytes.Buffer
	code := app.Run(context.Background(), append([]string{"switchboard", "loadgen"}, args...),
		func(k string) string { return env[k] }, strings.NewReader(""), &out, &errb)
	return code, out.String(), errb.String()
}

// Every wrong flag gets one line naming it and status 2, before any POST.
func TestLoadgenCommandRefusesBadFlags(t *testing.T) {
	t.Parallel()
	env := map[string]string{"META_APP_SECRET": testSecret}
	u := "--url=http://127.0.0.1:1/webhooks/whatsapp"
	for _, c := range []struct {
		want string
		args []string
	}{
		{"unknown target \"frobnicate\"", []string{"frobnicate"}},
		{"--url is required", []string{"webhooks"}},
		{"--url: \"localhost:8080\" is not an http(s) URL", []string{"webhooks", "--url", "localhost:8080"}},
		{"--rate must be", []string{"webhooks", u, "--rate", "0"}},
		{"invalid value \"fast\" for flag -rate", []string{"webhooks", u, "--rate", "fast"}},
		{"--duration must be positive", []string{"webhooks", u, "--duration", "-1s"}},
		{"less than one POST", []string{"webhooks", u, "--rate", "1", "--duration", "100ms"}},
		{"--concurrency must be", []string{"webhooks", u, "--concurrency", "0"}},
		{"--duplicates must be", []string{"webhooks", u, "--duplicates", "1.5"}},
		{"--bad-signatures must be", []string{"webhooks", u, "--bad-signatures", "-0.1"}},
		{"--statuses must be", []string{"webhooks", u, "--statuses", "-3"}},
		{"--timeout must be positive", []string{"webhooks", u, "--timeout", "0s"}},
		{"--phone-number-id: \"12ab\" is not a Meta id", []string{"webhooks", u, "--phone-number-id", "1,12ab"}},
		{"--phone-number-id needs at least one id", []string{"webhooks", u, "--phone-number-id", " , "}},
		{"--waba-id: \"x\" is not a Meta id", []string{"webhooks", u, "--waba-id", "x"}},
		{"--display-phone has 1 numbers for 2", []string{"webhooks", u, "--phone-number-id", "1,2", "--display-phone", "+1 555 0100"}},
		{"unexpected argument \"extra\"", []string{"webhooks", u, "extra"}},
		{"flag provided but not defined: -nope", []string{"webhooks", u, "--nope"}},
		{"--json: open", []string{"webhooks", u, "--json", filepath.Join(t.TempDir(), "missing", "x.json")}},
	} {
		code, _, errs := runLoadgenCLI(env, c.args...)
		if code != 2 || strings.Count(errs, "\n") != 1 || !strings.Contains(errs, c.want) {
			t.Errorf("%v: status %d, stderr %q; want status 2 and one line with %q", c.args, code, errs, c.want)
		}
	}
	code, _, errs := runLoadgenCLI(map[string]string{}, "webhooks", u)
	if code != 2 || !strings.Contains(errs, "META_APP_SECRET is not set") {
		t.Errorf("no secret: %d %q", code, errs)
	}
	if code, _, errs := runLoadgenCLI(env); code != 2 || !strings.Contains(errs, "Usage") {
		t.Errorf("no target: %d %q", code, errs)
	}
	for _, args := range [][]string{{"--help"}, {"webhooks", "--help"}, {"webhooks", "-h"}} {
		if code, _, errs := runLoadgenCLI(env, args...); code != 0 || !strings.Contains(errs, "Usage: switchboard loadgen webhooks") {
			t.Errorf("%v: %d %q", args, code, errs)
		}
	}
}

func TestLoadgenCommandRuns(t *testing.T) {
	t.Parallel()
	srv := httptest.NewServer(&fakeIngest{})
	defer srv.Close()
	dir := t.TempDir()
	jsonPath, ackedPath := filepath.Join(dir, "run.json"), filepath.Join(dir, "acked.txt")
	env := map[string]string{"META_APP_SECRET": testSecret}
	code, out, errs := runLoadgenCLI(env, "webhooks", "--url", srv.URL+"/webhooks/whatsapp", "--rate", "200", "--duration", "500ms",
		"--concurrency", "8", "--phone-number-id", "106540352242922,106540352242923", "--seed", "3",
		"--json", jsonPath, "--acked-out", ackedPath)
	if code != 0 || !strings.Contains(out, "latency:    p50") || !strings.Contains(out, "seed 3") {
		t.Fatalf("status %d\nstdout %s\nstderr %s", code, out, errs)
	}
	raw, err := os.ReadFile(jsonPath)
	if err != nil {
		t.Fatal(err)
	}
	var summary struct {
		Planned  int            `json:"planned"`
		Sent     int            `json:"sent"`
		Codes    map[string]int `json:"codes"`
		Acked    int            `json:"acked_wamids"`
		Accepted int            `json:"accepted"`
		Latency  struct {
			P99 float64 `json:"p99_ms"`
		} `json:"latency"`
	}
	if err := json.Unmarshal(raw, &summary); err != nil {
		t.Fatal(err)
	}
	if summary.Planned != 100 || summary.Sent != 100 || summary.Codes["200"] != summary.Accepted || summary.Accepted == 0 || summary.Latency.P99 <= 0 {
		t.Fatalf("summary %s", raw)
	}
	acked, err := os.ReadFile(ackedPath)
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Fields(string(acked))
	if len(lines) != summary.Acked || len(lines) == 0 || !strings.HasPrefix(lines[0], "wamid.") {
		t.Fatalf("%d lines in --acked-out, %d in the summary", len(lines), summary.Acked)
	}

	// --json - puts the JSON alone on standard output.
	code, out, errs = runLoadgenCLI(env, "webhooks", "--url", srv.URL+"/webhooks/whatsapp", "--rate", "50", "--duration", "100ms", "--json", "-")
	if code != 0 || !json.Valid([]byte(out)) || !strings.Contains(errs, "accepted:") {
		t.Fatalf("--json -: %d\nstdout %s\nstderr %s", code, out, errs)
	}

	// Nothing listening: status 1 and a line saying so.
	srv.Close()
	code, _, errs = runLoadgenCLI(env, "webhooks", "--url", srv.URL+"/webhooks/whatsapp", "--rate", "50", "--duration", "100ms")
	if code != 1 || !strings.Contains(errs, "no POST was answered") {
		t.Fatalf("no server: %d %q", code, errs)
	}
}
