package loadgen

import (
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"net/http"
	"slices"
	"strings"
	"time"
)

// Result is what one run measured.
type Result struct {
	URL         string
	Rate        float64 // the rate asked for
	Duration    time.Duration
	Concurrency int
	Seed        uint64

	Planned       int // Rate × Duration
	Sent          int // POSTs started
	Skipped       int // planned POSTs that could not start before the end (all Concurrency busy)
	Duplicates    int // byte-identical re-sends among Sent
	BadSignatures int // POSTs signed with a wrong secret among Sent
	Codes         map[int]int
	Errors        map[string]int // transport errors by kind
	Elapsed       time.Duration  // from the first intended send to the last answer
	AchievedRate  float64        // Sent per second while sending
	AcceptedRate  float64        // 200s per second of Elapsed
	// Latency is from each POST's intended send time to its answer, over
	// every POST that was answered (any status).
	Latency Latency
	// SendLag is how late POSTs started against their schedule: large
	// values mean the generator or the Concurrency cap fell behind.
	SendLag Latency
	// AckedWAMIDs are the customer messages whose POST was answered 200,
	// each once: the server promised to keep them.
	AckedWAMIDs []string
}

// Accepted is the number of POSTs answered 200.
func (r Result) Accepted() int { return r.Codes[http.StatusOK] }

// Failed is the number of POSTs that got no answer at all.
func (r Result) Failed() int {
	n := 0
	for _, c := range r.Errors {
		n += c
	}
	return n
}

func merge(cfg WebhookConfig, tallies []tally, start, dispatchEnd time.Time) Result {
	r := Result{URL: cfg.URL, Rate: cfg.Rate, Duration: cfg.Duration, Concurrency: cfg.Concurrency, Seed: cfg.Seed,
		Codes: map[int]int{}, Errors: map[string]int{}}
	var latency, lag []time.Duration
	seen := map[string]bool{}
	last := start
	for _, t := range tallies {
		r.Sent += t.sent
		r.Duplicates += t.dups
		r.BadSignatures += t.badSigs
		for k, v := range t.codes {
			r.Codes[k] += v
		}
		for k, v := range t.errs {
			r.Errors[k] += v
		}
		latency = append(latency, t.latency...)
		lag = append(lag, t.lag...)
		for _, id := range t.acked {
			if !seen[id] {
				seen[id] = true
				r.AckedWAMIDs = append(r.AckedWAMIDs, id)
			}
		}
		if t.lastDone.After(last) {
			last = t.lastDone
		}
	}
	r.Latency, r.SendLag = summarize(latency), summarize(lag)
	r.Elapsed = last.Sub(start)
	if s := dispatchEnd.Sub(start).Seconds(); s > 0 {
		r.AchievedRate = float64(r.Sent) / s
	}
	if s := r.Elapsed.Seconds(); s > 0 {
		r.AcceptedRate = float64(r.Accepted()) / s
	}
	return r
}

// WriteSummary prints the result as a few aligned lines.
func (r Result) WriteSummary(w io.Writer) {
	fmt.Fprintf(w, "webhooks:   %d POSTs planned at %g/s for %v to %s (concurrency %d, seed %d)\n",
		r.Planned, r.Rate, r.Duration, r.URL, r.Concurrency, r.Seed)
	fmt.Fprintf(w, "sent:       %d (%.1f/s), skipped %d, duplicates %d, bad signatures %d\n",
		r.Sent, r.AchievedRate, r.Skipped, r.Duplicates, r.BadSignatures)
	codes := slices.Sorted(maps.Keys(r.Codes))
	parts := make([]string, 0, len(codes))
	for _, c := range codes {
		parts = append(parts, fmt.Sprintf("%d × %d", c, r.Codes[c]))
	}
	fmt.Fprintf(w, "responses:  %s\n", orNone(parts))
	kinds := slices.Sorted(maps.Keys(r.Errors))
	parts = parts[:0]
	for _, k := range kinds {
		parts = append(parts, fmt.Sprintf("%s × %d", k, r.Errors[k]))
	}
	fmt.Fprintf(w, "errors:     %s\n", orNone(parts))
	fmt.Fprintf(w, "accepted:   %.1f/s (%d answered 200 in %v)\n", r.AcceptedRate, r.Accepted(), r.Elapsed.Round(time.Millisecond))
	l := r.Latency
	fmt.Fprintf(w, "latency:    p50 %s  p90 %s  p99 %s  p99.9 %s  max %s  (from the intended send time, %d answers)\n",
		ms(l.P50), ms(l.P90), ms(l.P99), ms(l.P999), ms(l.Max), l.Count)
	fmt.Fprintf(w, "send lag:   p50 %s  p99 %s  max %s\n", ms(r.SendLag.P50), ms(r.SendLag.P99), ms(r.SendLag.Max))
	fmt.Fprintf(w, "acked:      %d customer messages (wamids) answered 200\n", len(r.AckedWAMIDs))
}

func orNone(parts []string) string {
	if len(parts) == 0 {
		return "none"
	}
	return strings.Join(parts, ", ")
}

func ms(d time.Duration) string { return fmt.Sprintf("%.2fms", millis(d)) }

func millis(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }

// latencyJSON is Latency in milliseconds, for people and scripts.
type latencyJSON struct {
	Count  int     `json:"count"`
	MeanMS float64 `json:"mean_ms"`
	P50MS  float64 `json:"p50_ms"`
	P90MS  float64 `json:"p90_ms"`
	P95MS  float64 `json:"p95_ms"`
	P99MS  float64 `json:"p99_ms"`
	P999MS float64 `json:"p99_9_ms"`
	MaxMS  float64 `json:"max_ms"`
}

func (l Latency) json() latencyJSON {
	return latencyJSON{Count: l.Count, MeanMS: millis(l.Mean), P50MS: millis(l.P50), P90MS: millis(l.P90), P95MS: millis(l.P95),
		P99MS: millis(l.P99), P999MS: millis(l.P999), MaxMS: millis(l.Max)}
}

// WriteJSON writes the summary as one JSON object (without the wamids).
func (r Result) WriteJSON(w io.Writer) error {
	codes := map[string]int{}
	for k, v := range r.Codes {
		codes[fmt.Sprint(k)] = v
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(struct {
		URL             string         `json:"url"`
		Rate            float64        `json:"rate"`
		DurationSeconds float64        `json:"duration_s"`
		Concurrency     int            `json:"concurrency"`
		Seed            uint64         `json:"seed"`
		Planned         int            `json:"planned"`
		Sent            int            `json:"sent"`
		Skipped         int            `json:"skipped"`
		Duplicates      int            `json:"duplicates"`
		BadSignatures   int            `json:"bad_signatures"`
		Codes           map[string]int `json:"codes"`
		Errors          map[string]int `json:"errors"`
		ElapsedSeconds  float64        `json:"elapsed_s"`
		AchievedRate    float64        `json:"achieved_rate"`
		Accepted        int            `json:"accepted"`
		AcceptedRate    float64        `json:"accepted_rate"`
		Latency         latencyJSON    `json:"latency"`
		SendLag         latencyJSON    `json:"send_lag"`
		Acked           int            `json:"acked_wamids"`
	}{
		r.URL, r.Rate, r.Duration.Seconds(), r.Concurrency, r.Seed, r.Planned, r.Sent, r.Skipped, r.Duplicates,
		r.BadSignatures, codes, r.Errors, r.Elapsed.Seconds(), r.AchievedRate, r.Accepted(), r.AcceptedRate,
		r.Latency.json(), r.SendLag.json(), len(r.AckedWAMIDs),
	})
}
