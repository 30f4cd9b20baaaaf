package fakemeta

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"io"
	"net/http"
	"sync/atomic"
	"time"
)

// delivery is one webhook POST. The body is marshalled once and every retry
// replays the same bytes, hence the same signature (§10).
type delivery struct {
	body    []byte
	sig     string
	attempt int
	// done is closed once the webhook is delivered or given up, so a status
	// sequence can wait for "sent" before producing "delivered".
	done chan struct{}
}

type webhookCounters struct {
	delivered atomic.Int64
	failed    atomic.Int64
	retries   atomic.Int64
	attempts  atomic.Int64
	dropped   atomic.Int64
}

// WebhookStats counts webhook deliveries since New.
type WebhookStats struct {
	Delivered int64 `json:"delivered"` // webhooks acknowledged with 200
	Failed    int64 `json:"failed"`    // webhooks given up after WebhookMaxAttempts
	Retries   int64 `json:"retries"`   // retries scheduled after a non-200 or a transport error
	Attempts  int64 `json:"attempts"`  // POSTs made
	Dropped   int64 `json:"dropped"`   // webhooks not sent: no WebhookURL, or the server closed
	Pending   int64 `json:"pending"`   // background work not finished (see WaitIdle)
}

// WebhookStats returns the delivery counters.
func (s *Server) WebhookStats() WebhookStats {
	return WebhookStats{
		Delivered: s.stats.delivered.Load(),
		Failed:    s.stats.failed.Load(),
		Retries:   s.stats.retries.Load(),
		Attempts:  s.stats.attempts.Load(),
		Dropped:   s.stats.dropped.Load(),
		Pending:   s.pending.Load(),
	}
}

// sign is X-Hub-Signature-256's value: HMAC-SHA256 of the exact body bytes,
// keyed with the app secret (§3.1).
func sign(secret string, body []byte) string {
	m := hmac.New(sha256.New, []byte(secret))
	m.Write(body)
	return "sha256=" + hex.EncodeToString(m.Sum(nil))
}

// emit queues env for delivery and returns a channel closed when it has been
// delivered or given up. It blocks while the queue is full (back-pressure
// rather than silent loss) until ctx ends or the server closes.
func (s *Server) emit(ctx context.Context, env hookEnvelope) (<-chan struct{}, error) {
	done := make(chan struct{})
	if s.cfg.WebhookURL == "" {
		s.stats.dropped.Add(1)
		close(done)
		return done, nil
	}
	body, err := json.Marshal(env)
	if err != nil {
		return nil, err
	}
	d := &delivery{body: body, sig: sign(s.cfg.AppSecret, body), done: done}
	s.pending.Add(1)
	if err := s.enqueue(ctx, d); err != nil {
		s.pending.Add(-1)
		s.stats.dropped.Add(1)
		return nil, err
	}
	return done, nil
}

func (s *Server) enqueue(ctx context.Context, d *delivery) error {
	if ctx == nil {
		ctx = s.ctx
	}
	select {
	case s.queue <- d:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	case <-s.ctx.Done():
		return ErrClosed
	}
}

func (s *Server) startWorkers() {
	for range s.cfg.WebhookWorkers {
		s.wg.Add(1)
		go s.worker()
	}
}

func (s *Server) worker() {
	defer s.wg.Done()
	for {
		select {
		case <-s.ctx.Done():
			return
		case d := <-s.queue:
			s.attempt(d)
		}
	}
}

// attempt POSTs d once and decides its fate: done, retry later, or give up.
func (s *Server) attempt(d *delivery) {
	d.attempt++
	s.stats.attempts.Add(1)
	status, err := s.post(d)
	if err == nil && status == http.StatusOK {
		s.stats.delivered.Add(1)
		s.finish(d)
		return
	}
	if s.ctx.Err() != nil {
		s.stats.dropped.Add(1)
		s.finish(d)
		return
	}
	if d.attempt >= s.cfg.WebhookMaxAttempts {
		s.stats.failed.Add(1)
		s.log.Warn("fakemeta: webhook given up", "attempts", d.attempt, "status", status, "err", err)
		s.finish(d)
		return
	}
	s.stats.retries.Add(1)
	delay := s.backoff(d.attempt)
	s.log.Debug("fakemeta: webhook retry scheduled", "attempt", d.attempt, "status", status, "err", err, "delay", delay)
	// The retry waits in its own goroutine so that a failing endpoint does
	// not hold a worker, and re-enqueues (possibly blocking) from there.
	// The delivery itself stays pending until finish, so goBackground's own
	// pending count is balanced by its -1.
	started := s.goBackground(func() {
		if !s.sleep(delay) || s.enqueue(s.ctx, d) != nil {
			s.stats.dropped.Add(1)
			s.finish(d)
		}
	})
	if !started {
		s.stats.dropped.Add(1)
		s.finish(d)
	}
}

// backoff is the wait after the n-th failed attempt: Meta retries
// immediately once, then "with decreasing frequency" (§3.2), so the fake
// doubles from WebhookBackoff.
func (s *Server) backoff(n int) time.Duration {
	if n <= 1 {
		return 0
	}
	d := s.cfg.WebhookBackoff
	for i := 2; i < n && d < time.Hour; i++ {
		d *= 2
	}
	return d
}

func (s *Server) finish(d *delivery) {
	s.pending.Add(-1)
	close(d.done)
}

func (s *Server) post(d *delivery) (int, error) {
	ctx, cancel := context.WithTimeout(s.ctx, s.cfg.WebhookTimeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, s.cfg.WebhookURL, bytes.NewReader(d.body))
	if err != nil {
		return 0, err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("X-Hub-Signature-256", d.sig)
	req.Header.Set("User-Agent", "facebookexternalua")
	resp, err := s.cfg.HTTPClient.Do(req)
	if err != nil {
		return 0, err
	}
	// Drain a little so the connection can be reused.
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	_ = resp.Body.Close()
	return resp.StatusCode, nil
}

// messagesEnvelope wraps a "messages" value for n's WABA (§2.2): no
// entry.time for this field.
func messagesEnvelope(n Number, v messagesValue) hookEnvelope {
	v.MessagingProduct = "whatsapp"
	v.Metadata = hookMetadata{DisplayPhoneNumber: n.DisplayPhoneNumber, PhoneNumberID: n.PhoneNumberID}
	return hookEnvelope{
		Object: "whatsapp_business_account",
		Entry:  []hookEntry{{ID: n.WABAID, Changes: []hookChange{{Value: v, Field: "messages"}}}},
	}
}

// fieldEnvelope wraps a non-"messages" value, which carries entry.time.
func fieldEnvelope(wabaID string, t time.Time, field string, v any) hookEnvelope {
	return hookEnvelope{
		Object: "whatsapp_business_account",
		Entry:  []hookEntry{{ID: wabaID, Time: t.Unix(), Changes: []hookChange{{Value: v, Field: field}}}},
	}
}
