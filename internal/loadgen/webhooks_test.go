package loadgen_test

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"switchboard/internal/loadgen"
	"switchboard/internal/whatsapp/webhook"
)

const testSecret = "loadgen-test-secret-0123"

// fakeIngest answers like the real endpoint: 401 for a bad signature, and
// otherwise 200, except every tenth POST gets a 503. It remembers the
// wamids it answered 200 for.
type fakeIngest struct {
	mu    sync.Mutex
	acked []string
	n     atomic.Int64
	delay time.Duration
}

func (f *fakeIngest) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	time.Sleep(f.delay)
	if !webhook.VerifySignature([]byte(testSecret), body, r.Header.Get("X-Hub-Signature-256")) {
		http.Error(w, "invalid signature", http.StatusUnauthorized)
		return
	}
	if f.n.Add(1)%10 == 0 {
		http.Error(w, "temporarily unavailable", http.StatusServiceUnavailable)
		return
	}
	p, err := webhook.Parse(body)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	f.mu.Lock()
	for _, e := range p.Entries {
		for _, c := range e.Changes {
			for _, m := range c.Messages.Messages {
				f.acked = append(f.acked, m.ID)
			}
		}
	}
	f.mu.Unlock()
	w.WriteHeader(http.StatusOK)
}

func config(url string) loadgen.WebhookConfig {
	cfg := loadgen.DefaultWebhookConfig()
	cfg.URL, cfg.AppSecret, cfg.Seed = url, testSecret, 11
	return cfg
}

func TestWebhooksKeepsTheRateAndCountsEveryAnswer(t *testing.T) {
	t.Parallel()
	fake := &fakeIngest{}
	srv := httptest.NewServer(fake)
	defer srv.Close()
	cfg := config(srv.URL)
	cfg.Rate, cfg.Duration, cfg.BadSignatureRatio = 400, time.Second, 0.05
	var calls atomic.Int64
	cfg.OnResponse = func(loadgen.Payload, int, error) { calls.Add(1) }
	res, err := loadgen.Webhooks(context.Background(), cfg, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	// Every planned send is either sent or counted as skipped (a loaded
	// machine can fall behind the schedule: that is reported, not hidden),
	// and every answer is counted. Speed is the benchmark's business.
	if res.Planned != 400 || res.Sent+res.Skipped != 400 || res.Sent == 0 || calls.Load() != int64(res.Sent) {
		t.Fatalf("planned %d, sent %d, skipped %d, OnResponse %d", res.Planned, res.Sent, res.Skipped, calls.Load())
	}
	if res.Codes[401] != res.BadSignatures || res.BadSignatures == 0 || res.Codes[503] == 0 ||
		res.Codes[200]+res.Codes[401]+res.Codes[503] != res.Sent || res.Failed() != 0 {
		t.Fatalf("codes %v, bad signatures %d, errors %v", res.Codes, res.BadSignatures, res.Errors)
	}
	if res.Latency.Count != res.Sent || res.Latency.P50 <= 0 || res.Latency.P50 > res.Latency.P99 || res.Latency.P99 > res.Latency.Max {
		t.Errorf("latency %+v", res.Latency)
	}
	fake.mu.Lock()
	want := slices.Clone(fake.acked)
	fake.mu.Unlock()
	slices.Sort(want)
	want = slices.Compact(want)
	got := slices.Sorted(slices.Values(res.AckedWAMIDs))
	if len(got) == 0 || !slices.Equal(got, want) {
		t.Fatalf("acked %d wamids, the server answered 200 for %d", len(got), len(want))
	}
}

// A server that takes 20 ms per POST, with one POST in flight, manages 50/s
// of the 200/s asked for. Each answered POST's latency counts from when it
// should have been sent, so the queue shows (a generator that waited for
// the server would report 20 ms), and the sends that never started are
// reported as skipped.
func TestLatencyCountsFromTheIntendedSendTime(t *testing.T) {
	t.Parallel()
	srv := httptest.NewServer(&fakeIngest{delay: 20 * time.Millisecond})
	defer srv.Close()
	cfg := config(srv.URL)
	cfg.Rate, cfg.Duration, cfg.Concurrency = 200, time.Second, 1
	res, err := loadgen.Webhooks(context.Background(), cfg, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	if res.Sent > 60 || res.Skipped < 140 || res.Sent+res.Skipped != 200 {
		t.Fatalf("sent %d, skipped %d", res.Sent, res.Skipped)
	}
	if res.Latency.P50 < 200*time.Millisecond || res.Latency.Max > 1500*time.Millisecond {
		t.Fatalf("latency %+v: want the queueing delay counted", res.Latency)
	}
}

func TestWebhooksWithoutAServer(t *testing.T) {
	t.Parallel()
	srv := httptest.NewServer(http.NotFoundHandler())
	url := srv.URL
	srv.Close() // nothing listens there any more
	cfg := config(url)
	cfg.Rate, cfg.Duration = 100, 200*time.Millisecond
	res, err := loadgen.Webhooks(context.Background(), cfg, nil)
	if err != nil {
		t.Fatal(err)
	}
	if res.Errors["connection refused"] != 20 || len(res.Codes) != 0 || len(res.AckedWAMIDs) != 0 {
		t.Fatalf("errors %v, codes %v", res.Errors, res.Codes)
	}
}

func TestWebhookConfigIsValidated(t *testing.T) {
	t.Parallel()
	for name, change := range map[string]func(*loadgen.WebhookConfig){
		"url":         func(c *loadgen.WebhookConfig) { c.URL = "localhost:8080" },
		"secret":      func(c *loadgen.WebhookConfig) { c.AppSecret = "" },
		"rate":        func(c *loadgen.WebhookConfig) { c.Rate = 0 },
		"duration":    func(c *loadgen.WebhookConfig) { c.Duration = 0 },
		"concurrency": func(c *loadgen.WebhookConfig) { c.Concurrency = 0 },
		"targets":     func(c *loadgen.WebhookConfig) { c.Targets = nil },
		"duplicates":  func(c *loadgen.WebhookConfig) { c.DuplicateRatio = 1 },
		"statuses":    func(c *loadgen.WebhookConfig) { c.StatusRatio = -1 },
	} {
		cfg := config("http://127.0.0.1:1/webhooks/whatsapp")
		change(&cfg)
		if _, err := loadgen.Webhooks(context.Background(), cfg, nil); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}
