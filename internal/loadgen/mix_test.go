package loadgen

import (
	"math/rand/v2"
	"slices"
	"testing"
	"time"

	"switchboard/internal/whatsapp/webhook"
)

func testConfig() WebhookConfig {
	cfg := DefaultWebhookConfig()
	cfg.URL, cfg.AppSecret, cfg.Seed = "http://127.0.0.1:1/webhooks/whatsapp", "test-app-secret-0123", 7
	cfg.Targets = []Target{DefaultTarget(), {PhoneNumberID: "106540352242923", WABAID: "102290129340398", DisplayPhone: "+1 555 078 3882"}}
	return cfg
}

// The stream is what Meta sends a busy support number: every body parses
// without a problem and carries a valid signature, statuses come three to
// a message, each business message goes sent → delivered → read, and about
// 5 % of POSTs repeat an earlier body byte for byte.
func TestMixIsRealistic(t *testing.T) {
	cfg := testConfig()
	cfg.BadSignatureRatio = 0.01
	m := newMix(cfg)
	const n = 8000
	seen := map[string]bool{}
	var statuses, messages, dups, badSigs int
	kinds := map[string]int{}
	steps := map[string][]string{}
	for range n {
		p := m.next()
		if p.Duplicate {
			dups++
			if !seen[string(p.Body)] {
				t.Fatal("a duplicate is not a copy of an earlier body")
			}
			continue
		}
		seen[string(p.Body)] = true
		if got := webhook.VerifySignature([]byte(cfg.AppSecret), p.Body, p.Signature); got == p.BadSignature {
			t.Fatalf("signature valid=%v for a payload with BadSignature=%v", got, p.BadSignature)
		}
		if p.BadSignature {
			badSigs++
		}
		parsed, err := webhook.Parse(p.Body)
		if err != nil || len(parsed.Problems) > 0 {
			t.Fatalf("%s payload does not parse cleanly: %v %v\n%s", p.Kind, err, parsed.Problems, p.Body)
		}
		var ids []string
		for _, e := range parsed.Entries {
			for _, c := range e.Changes {
				v := c.Messages
				if v == nil || !slices.ContainsFunc(cfg.Targets, func(t Target) bool { return t.PhoneNumberID == v.Metadata.PhoneNumberID }) {
					t.Fatalf("change not addressed to a target: %+v", c)
				}
				for _, msg := range v.Messages {
					messages++
					ids = append(ids, msg.ID)
					kinds[msg.Type]++
					if msg.Image != nil && (msg.Image.ID == "" || msg.Image.SHA256 == "" || msg.Image.MimeType != "image/jpeg") {
						t.Fatalf("image without id, sha256 or mime type: %+v", msg.Image)
					}
				}
				for _, s := range v.Statuses {
					statuses++
					steps[s.ID] = append(steps[s.ID], s.Status)
				}
			}
		}
		if !slices.Equal(ids, p.WAMIDs) {
			t.Fatalf("WAMIDs %v, body has %v", p.WAMIDs, ids)
		}
	}
	if r := float64(statuses) / float64(messages); r < 2.7 || r > 3.3 {
		t.Errorf("statuses:messages = %d:%d = %.2f, want about 3", statuses, messages, r)
	}
	if r := float64(dups) / n; r < 0.04 || r > 0.06 {
		t.Errorf("duplicates %.3f, want about 0.05", r)
	}
	if r := float64(badSigs) / n; r < 0.005 || r > 0.015 {
		t.Errorf("bad signatures %.3f, want about 0.01", r)
	}
	for _, k := range []string{webhook.TypeText, webhook.TypeImage, webhook.TypeLocation, webhook.TypeReaction, webhook.TypeInteractive} {
		if kinds[k] == 0 {
			t.Errorf("no %s message in %d", k, messages)
		}
	}
	want := []string{webhook.StatusSent, webhook.StatusDelivered, webhook.StatusRead}
	complete := 0
	for id, got := range steps {
		if !slices.Equal(got, want[:len(got)]) {
			t.Fatalf("statuses of %s: %v, want a prefix of %v", id, got, want)
		}
		if len(got) == 3 {
			complete++
		}
	}
	if complete < len(steps)/2 {
		t.Errorf("only %d of %d business messages were read", complete, len(steps))
	}
}

// One seed, one stream (up to the random wamids).
func TestMixIsReproducible(t *testing.T) {
	a, b := newMix(testConfig()), newMix(testConfig())
	for i := range 2000 {
		pa, pb := a.next(), b.next()
		if pa.Kind != pb.Kind || pa.Duplicate != pb.Duplicate || len(pa.WAMIDs) != len(pb.WAMIDs) {
			t.Fatalf("payload %d differs: %s/%v vs %s/%v", i, pa.Kind, pa.Duplicate, pb.Kind, pb.Duplicate)
		}
	}
}

func TestPercentilesAreExact(t *testing.T) {
	samples := make([]time.Duration, 1000)
	for i := range samples {
		samples[i] = time.Duration(i+1) * time.Millisecond
	}
	rand.Shuffle(len(samples), func(i, j int) { samples[i], samples[j] = samples[j], samples[i] })
	got := summarize(samples)
	want := Latency{Count: 1000, Mean: 500500 * time.Microsecond, P50: 500 * time.Millisecond, P90: 900 * time.Millisecond,
		P95: 950 * time.Millisecond, P99: 990 * time.Millisecond, P999: 999 * time.Millisecond, Max: time.Second}
	if got != want {
		t.Fatalf("got %+v\nwant %+v", got, want)
	}
	if one := summarize([]time.Duration{3 * time.Millisecond}); one.P50 != 3*time.Millisecond || one.P999 != 3*time.Millisecond {
		t.Fatalf("one sample: %+v", one)
	}
	if none := summarize(nil); none != (Latency{}) {
		t.Fatalf("no sample: %+v", none)
	}
}
