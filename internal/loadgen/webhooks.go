// Package loadgen generates load against a running Switchboard, the way
// Meta and agents would, for benchmarks and crash checks.
//
// Webhooks sends signed, Meta-shaped webhooks at a constant rate in an open
// model: every POST has an intended send time fixed in advance, and its
// latency is measured from that time, so a slow server cannot hide its
// stalls by slowing the generator down (coordinated omission).
package loadgen

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"net"
	"net/http"
	"net/url"
	"os"
	"sync"
	"syscall"
	"time"
)

// WebhookConfig describes one run. Start from DefaultWebhookConfig.
type WebhookConfig struct {
	// URL is the webhook endpoint, e.g. http://127.0.0.1:8080/webhooks/whatsapp.
	URL string
	// AppSecret signs the bodies (X-Hub-Signature-256), like Meta's app secret.
	AppSecret string
	// Rate is POSTs per second, kept constant whatever the server does.
	Rate float64
	// Duration is how long POSTs are started for.
	Duration time.Duration
	// Concurrency caps the POSTs in flight. When all are busy, later sends
	// wait and their wait counts as latency; a send that cannot start
	// before Duration ends is skipped and counted.
	Concurrency int
	// Targets are the business numbers addressed, chosen at random.
	Targets []Target
	// DuplicateRatio is the share of POSTs that re-send an earlier body
	// byte for byte, as Meta does when it retries.
	DuplicateRatio float64
	// StatusRatio is status POSTs per message POST (3 means 3:1).
	StatusRatio float64
	// BadSignatureRatio is the share of POSTs signed with a wrong secret.
	BadSignatureRatio float64
	// Seed makes the mix of payloads reproducible (wamids stay random so
	// two runs never collide in one database).
	Seed uint64
	// Timeout bounds one POST.
	Timeout time.Duration
	// OnResponse, when set, is told of every POST's outcome (status 0 with
	// err for a transport error). It is called from several goroutines.
	OnResponse func(p Payload, status int, err error)
	// Client replaces the HTTP client built from Concurrency and Timeout.
	Client *http.Client
}

// DefaultTarget is the number addressed when none is given: Meta's own
// example ids from its webhook documentation.
func DefaultTarget() Target {
	return Target{PhoneNumberID: "106540352242922", WABAID: "102290129340398", DisplayPhone: "+1 555 078 3881"}
}

// DefaultWebhookConfig is a run at 100/s for 10 s with the realistic mix:
// 5 % duplicates and three statuses for every message.
func DefaultWebhookConfig() WebhookConfig {
	return WebhookConfig{
		Rate: 100, Duration: 10 * time.Second, Concurrency: 64, Targets: []Target{DefaultTarget()},
		DuplicateRatio: 0.05, StatusRatio: 3, Timeout: 10 * time.Second, Seed: uint64(time.Now().UnixNano()),
	}
}

// Validate reports the first unusable setting.
func (c WebhookConfig) Validate() error {
	u, err := url.Parse(c.URL)
	switch {
	case err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "":
		return fmt.Errorf("URL %q is not an http(s) URL with a host", c.URL)
	case c.AppSecret == "":
		return errors.New("no app secret to sign with")
	case !(c.Rate > 0) || c.Rate > 1e6:
		return fmt.Errorf("rate %v is not between 0 and 1,000,000 per second", c.Rate)
	case c.Duration <= 0:
		return fmt.Errorf("duration %v is not positive", c.Duration)
	case c.Concurrency < 1 || c.Concurrency > 100000:
		return fmt.Errorf("concurrency %d is not between 1 and 100,000", c.Concurrency)
	case len(c.Targets) == 0:
		return errors.New("no target number")
	case !ratio(c.DuplicateRatio):
		return fmt.Errorf("duplicate ratio %v is not between 0 and 1", c.DuplicateRatio)
	case !ratio(c.BadSignatureRatio):
		return fmt.Errorf("bad-signature ratio %v is not between 0 and 1", c.BadSignatureRatio)
	case !(c.StatusRatio >= 0) || math.IsInf(c.StatusRatio, 0):
		return fmt.Errorf("status ratio %v is not a finite number ≥ 0", c.StatusRatio)
	case c.Timeout <= 0:
		return fmt.Errorf("timeout %v is not positive", c.Timeout)
	}
	if n := c.Rate * c.Duration.Seconds(); n > 1e8 {
		return fmt.Errorf("rate × duration is %.0f POSTs, more than 100 million", n)
	}
	for _, t := range c.Targets {
		if t.PhoneNumberID == "" || t.WABAID == "" {
			return errors.New("a target lacks its phone number id or WABA id")
		}
	}
	return nil
}

func ratio(r float64) bool { return r >= 0 && r < 1 }

// lookahead is how many payloads are built before the clock starts, and
// how far the builder may run ahead, so building never delays a send.
const lookahead = 4096

type job struct {
	p   Payload
	due time.Time
}

// tally is one worker's share of the results, merged at the end, so the
// hot path takes no lock.
type tally struct {
	latency, lag []time.Duration
	codes        map[int]int
	errs         map[string]int
	acked        []string
	sent         int
	dups         int
	badSigs      int
	lastDone     time.Time
}

// Webhooks runs one load test and returns its result; it also prints the
// summary lines to out (nil for none). It fails only for an invalid
// configuration; an interrupted run (ctx cancelled) returns what was
// measured with ctx's error.
func Webhooks(ctx context.Context, cfg WebhookConfig, out io.Writer) (Result, error) {
	if err := cfg.Validate(); err != nil {
		return Result{}, err
	}
	client := cfg.Client
	if client == nil {
		client = newClient(cfg.Concurrency, cfg.Timeout)
		defer client.CloseIdleConnections()
	}
	total := int(math.Round(cfg.Rate * cfg.Duration.Seconds()))

	payloads := make(chan Payload, min(total, lookahead))
	mx := newMix(cfg)
	for range cap(payloads) {
		payloads <- mx.next()
	}
	genCtx, stopGen := context.WithCancel(ctx)
	defer stopGen()
	go func() {
		defer close(payloads)
		for range total - cap(payloads) {
			select {
			case payloads <- mx.next():
			case <-genCtx.Done():
				return
			}
		}
	}()

	jobs := make(chan job)
	tallies := make([]tally, cfg.Concurrency)
	var wg sync.WaitGroup
	for i := range tallies {
		t := &tallies[i]
		t.codes, t.errs = map[int]int{}, map[string]int{}
		wg.Go(func() {
			for j := range jobs {
				t.lag = append(t.lag, time.Since(j.due))
				status, err := Post(ctx, client, cfg.URL, j.p)
				done := time.Now()
				t.lastDone = done
				t.sent++
				if j.p.Duplicate {
					t.dups++
				}
				if j.p.BadSignature {
					t.badSigs++
				}
				if err != nil {
					t.errs[errorKind(err)]++
				} else {
					t.codes[status]++
					t.latency = append(t.latency, done.Sub(j.due))
					if status == http.StatusOK {
						t.acked = append(t.acked, j.p.WAMIDs...)
					}
				}
				if cfg.OnResponse != nil {
					cfg.OnResponse(j.p, status, err)
				}
			}
		})
	}

	start := time.Now()
	end := start.Add(cfg.Duration)
	deadline := time.NewTimer(cfg.Duration)
	defer deadline.Stop()
	wait := time.NewTimer(0)
	<-wait.C
	dispatched := 0
dispatch:
	for i := range total {
		// Due times come from the index, not from the previous send, so a
		// late send never shifts the ones after it.
		due := start.Add(time.Duration(float64(i) * float64(time.Second) / cfg.Rate))
		if d := time.Until(due); d > 0 {
			wait.Reset(d)
			select {
			case <-wait.C:
			case <-ctx.Done():
				break dispatch
			}
		}
		var p Payload
		select {
		case p = <-payloads:
		case <-ctx.Done():
			break dispatch
		}
		// A free worker always takes the POST, even if the deadline has
		// fired meanwhile; only a POST that finds every worker busy until
		// the end is skipped.
		select {
		case jobs <- job{p: p, due: due}:
			dispatched++
		default:
			select {
			case jobs <- job{p: p, due: due}:
				dispatched++
			case <-deadline.C:
				break dispatch
			case <-ctx.Done():
				break dispatch
			}
		}
		if time.Now().After(end) {
			break
		}
	}
	dispatchEnd := time.Now()
	close(jobs)
	stopGen()
	wg.Wait()

	res := merge(cfg, tallies, start, dispatchEnd)
	res.Planned = total
	res.Skipped = total - dispatched
	if out != nil {
		res.WriteSummary(out)
	}
	if ctx.Err() != nil {
		return res, ctx.Err()
	}
	return res, nil
}

// Post sends one payload and drains the answer, so the connection is kept.
func Post(ctx context.Context, client *http.Client, url string, p Payload) (int, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(p.Body))
	if err != nil {
		return 0, err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("X-Hub-Signature-256", p.Signature)
	req.Header.Set("User-Agent", "facebookexternalua")
	resp, err := client.Do(req)
	if err != nil {
		return 0, err
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return resp.StatusCode, nil
}

// newClient is an HTTP/1.1 client with one kept-alive connection per
// concurrent POST, never through a proxy (the targets are loopback).
func newClient(concurrency int, timeout time.Duration) *http.Client {
	return &http.Client{
		Timeout: timeout,
		Transport: &http.Transport{
			DialContext:         (&net.Dialer{Timeout: 5 * time.Second, KeepAlive: 30 * time.Second}).DialContext,
			MaxIdleConns:        concurrency,
			MaxIdleConnsPerHost: concurrency,
			MaxConnsPerHost:     concurrency,
			IdleConnTimeout:     90 * time.Second,
			DisableCompression:  true,
		},
	}
}

// errorKind names a transport error without the request's details, so
// thousands of refused connections count as one line.
func errorKind(err error) string {
	var ne net.Error
	switch {
	case errors.Is(err, context.Canceled):
		return "cancelled"
	case errors.Is(err, context.DeadlineExceeded), errors.Is(err, os.ErrDeadlineExceeded),
		errors.As(err, &ne) && ne.Timeout():
		return "timeout"
	case errors.Is(err, syscall.ECONNREFUSED):
		return "connection refused"
	case errors.Is(err, syscall.ECONNRESET), errors.Is(err, syscall.EPIPE):
		return "connection reset"
	case errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF):
		return "connection closed before the answer"
	}
	var ue *url.Error
	if errors.As(err, &ue) {
		err = ue.Err
	}
	s := err.Error()
	if len(s) > 100 {
		s = s[:100]
	}
	return s
}
