package loadgen_test

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"switchboard/internal/loadgen"
	"switchboard/internal/number"
	"switchboard/internal/outbound"
	"switchboard/internal/secrets"
	"switchboard/internal/storage/storagetest"
)

func runOutbound(t *testing.T, cfg loadgen.OutboundConfig) loadgen.OutboundResult {
	t.Helper()
	db := storagetest.NewDB(t)
	box, err := secrets.New([]byte("loadgen-test-secret-key-of-32-bytes!"))
	if err != nil {
		t.Fatal(err)
	}
	var progress, summary bytes.Buffer
	res, err := loadgen.Outbound(context.Background(), db.Store, number.NewService(db.Store, box), cfg, &progress)
	res.WriteSummary(&summary)
	t.Logf("%s%s", progress.String(), summary.String())
	if err != nil {
		t.Fatal(err)
	}
	return res
}

// The real Sender against the fake on its own port: every message reaches
// the fake exactly once, recorded with the wamid the fake gave it, and the
// Sender's pacing (a window of the last 100 sends per 1.01 s) never puts
// more than the rate in any one second. The fake allows a margin above
// that (rate + burst + 1), so a refusal here would be the Sender's fault.
func TestOutboundPacingStaysWithinRatePlusBurst(t *testing.T) {
	t.Parallel()
	const rate, burst, messages = 100, 10, 300
	res := runOutbound(t, loadgen.OutboundConfig{Messages: messages, Rate: rate, Recipients: 50, FakeThroughput: rate + burst + 1})
	if !res.Complete() {
		t.Errorf("not every message sent exactly once: %+v", res)
	}
	if res.Accepted != messages || res.Sent != messages || res.Duplicates != 0 || res.Requests != messages {
		t.Errorf("accepted %d, sent %d, duplicates %d, requests %d; want %d, %d, 0, %d",
			res.Accepted, res.Sent, res.Duplicates, res.Requests, messages, messages, messages)
	}
	if res.TooFast != 0 || res.MaxRequestWindow > rate+burst+1 {
		t.Errorf("the sender went over rate + burst: %d × 130429, up to %d requests in one second", res.TooFast, res.MaxRequestWindow)
	}
	// Paced, not merely throttled: a full second's worth may go at once
	// (Meta's window allows it), the rest at the rate: 300 messages at
	// 100/s take at least (300 − 100) / 100 s from the first to the last.
	if minSpan := time.Duration(messages-rate) * time.Second / rate; res.Span < minSpan {
		t.Errorf("sent in %v, faster than the rate allows (%v)", res.Span, minSpan)
	}
	if len(res.PerSecond) == 0 || res.MaxWindow < 1 {
		t.Errorf("no per-second figures: %+v", res)
	}
}

// With the fake's limit at the number's throughput, whatever it refuses
// is counted as 130429 and retried until sent, and the windows measured at
// the fake never show more acceptances than it allows.
func TestOutboundCountsRefusalsAtTheLimit(t *testing.T) {
	t.Parallel()
	const rate, messages = 100, 150
	res := runOutbound(t, loadgen.OutboundConfig{Messages: messages, Rate: rate, Tune: func(s *outbound.Sender) {
		s.TooFastPause = 50 * time.Millisecond
		s.BackoffBase = 10 * time.Millisecond
		s.BackoffCap = 100 * time.Millisecond
	}})
	if !res.Complete() {
		t.Errorf("not every message sent exactly once: %+v", res)
	}
	if res.Requests != res.Accepted+res.TooFast || len(res.OtherCodes) != 0 {
		t.Errorf("requests %d = accepted %d + 130429 %d + others %v?", res.Requests, res.Accepted, res.TooFast, res.OtherCodes)
	}
	if res.MaxWindow > rate || res.OverLimit != 0 {
		t.Errorf("the fake let %d through in one second (limit %d), %d over", res.MaxWindow, rate, res.OverLimit)
	}
	if res.NoneOver() != (res.TooFast == 0) {
		t.Errorf("NoneOver %v with %d × 130429", res.NoneOver(), res.TooFast)
	}
}

func TestLoadgenOutboundCommand(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		want string
		args []string
	}{
		{"--messages must be", []string{"outbound", "--messages", "0"}},
		{"--rate must be", []string{"outbound", "--rate", "1001"}},
		{"--recipients must be", []string{"outbound", "--recipients", "0"}},
		{"--fake-limit cannot be negative", []string{"outbound", "--fake-limit", "-1"}},
		{"--fake-addr must be host:port", []string{"outbound", "--fake-addr", "nowhere"}},
		{"unexpected argument \"x\"", []string{"outbound", "x"}},
		{"flag provided but not defined: -nope", []string{"outbound", "--nope"}},
	} {
		code, _, errs := runLoadgenCLI(map[string]string{}, c.args...)
		if code != 2 || strings.Count(errs, "\n") != 1 || !strings.Contains(errs, c.want) {
			t.Errorf("%v: status %d, stderr %q; want status 2 and one line with %q", c.args, code, errs, c.want)
		}
	}

	db := storagetest.NewDB(t)
	out := filepath.Join(t.TempDir(), "b8.json")
	code, stdout, stderr := runLoadgenCLI(map[string]string{"DATABASE_URL": db.URL},
		"outbound", "--messages", "40", "--rate", "200", "--recipients", "10", "--fake-limit", "300", "--json", out)
	if code != 0 {
		t.Fatalf("status %d\nstdout: %s\nstderr: %s", code, stdout, stderr)
	}
	if !strings.Contains(stdout, "every message once: yes") {
		t.Errorf("summary: %s", stdout)
	}
	b, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	var got struct {
		Messages  int  `json:"messages"`
		Accepted  int  `json:"accepted"`
		Limit     int  `json:"limit"`
		FakeLimit int  `json:"fake_limit"`
		Complete  bool `json:"goal_every_message_once"`
	}
	if err := json.Unmarshal(b, &got); err != nil {
		t.Fatalf("%v: %s", err, b)
	}
	if got.Messages != 40 || got.Accepted != 40 || got.Limit != 200 || got.FakeLimit != 300 || !got.Complete {
		t.Errorf("JSON: %s", b)
	}
}
