package outbound

import (
	"context"
	"sync"
	"time"
)

// windowSpan is Meta's one-second throughput window plus a margin for
// jitter between our send and Meta's count.
const windowSpan = 1010 * time.Millisecond

// bucket is a token bucket: rate tokens a second, up to burst at once. It
// paces each (number, recipient) pair, for Meta's pair rate; numbers use a
// window (below), because Meta's throughput limit allows no burst.
type bucket struct {
	mu     sync.Mutex
	rate   float64
	burst  float64
	tokens float64
	last   time.Time
	// pausedUntil stops the bucket after Meta said 130429 (too fast).
	pausedUntil time.Time
}

func newBucket(rate, burst float64, now time.Time) *bucket {
	return &bucket{rate: rate, burst: burst, tokens: burst, last: now}
}

// reserve takes a token and returns how long to wait before using it.
func (b *bucket) reserve(now time.Time) time.Duration {
	b.mu.Lock()
	defer b.mu.Unlock()
	if now.After(b.last) {
		b.tokens = min(b.burst, b.tokens+now.Sub(b.last).Seconds()*b.rate)
		b.last = now
	}
	b.tokens--
	wait := time.Duration(0)
	if b.tokens < 0 {
		wait = time.Duration(-b.tokens / b.rate * float64(time.Second))
	}
	if p := b.pausedUntil.Sub(now); p > wait {
		wait = p
	}
	return wait
}

func (b *bucket) pause(until time.Time) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if until.After(b.pausedUntil) {
		b.pausedUntil = until
	}
}

// window holds a number's last send times: at most n sends in any sliding
// span, which is what Meta counts (a token bucket would allow its burst on
// top of the rate within one second, and Meta answers 130429 to that).
type window struct {
	mu    sync.Mutex
	span  time.Duration
	times []time.Time // ring buffer of the last len(times) reservations
	next  int
	last  time.Time // reservations only move forward in time
	// pausedUntil stops the number after Meta said 130429 (too fast).
	pausedUntil time.Time
}

func newWindow(n int, span time.Duration) *window {
	return &window{span: span, times: make([]time.Time, max(1, n))}
}

// reserve books the earliest moment a send may go and returns the wait.
func (w *window) reserve(now time.Time) time.Duration {
	w.mu.Lock()
	defer w.mu.Unlock()
	at := now
	// The send len(times) reservations ago must be more than span old.
	if oldest := w.times[w.next]; !oldest.IsZero() && oldest.Add(w.span).After(at) {
		at = oldest.Add(w.span)
	}
	if w.pausedUntil.After(at) {
		at = w.pausedUntil
	}
	// In order: then any span holds at most len(times) reservations.
	if w.last.After(at) {
		at = w.last
	}
	w.last = at
	w.times[w.next] = at
	w.next = (w.next + 1) % len(w.times)
	return at.Sub(now)
}

func (w *window) pause(until time.Time) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if until.After(w.pausedUntil) {
		w.pausedUntil = until
	}
}

// pacer holds the send windows of every number and the pair-rate buckets of
// every recipient this process sends to. Recipient buckets are dropped when
// idle, so memory stays bounded.

type pacer struct {
	mu        sync.Mutex
	numbers   map[string]*window
	rates     map[string]int
	pairs     map[string]*bucket
	pairRate  float64
	pairBurst float64
	lastSweep time.Time
}

func newPacer(pairRate, pairBurst float64) *pacer {
	return &pacer{numbers: map[string]*window{}, rates: map[string]int{}, pairs: map[string]*bucket{}, pairRate: pairRate, pairBurst: pairBurst}
}

// wait blocks until the number and the recipient may take one more message.
func (p *pacer) wait(ctx context.Context, numberID string, throughput int, recipient string) error {
	now := time.Now()
	p.mu.Lock()
	nb := p.numbers[numberID]
	if nb == nil || p.rates[numberID] != throughput {
		// A little over a second per throughput sends: the network may
		// bunch sends up on their way to Meta, whose window is strict.
		nb = newWindow(throughput, windowSpan)
		p.numbers[numberID], p.rates[numberID] = nb, throughput
	}
	var pb *bucket
	if p.pairRate > 0 {
		key := numberID + "|" + recipient
		pb = p.pairs[key]
		if pb == nil {
			pb = newBucket(p.pairRate, p.pairBurst, now)
			p.pairs[key] = pb
		}
		if now.Sub(p.lastSweep) > time.Minute {
			p.sweep(now)
		}
	}
	p.mu.Unlock()
	wait := nb.reserve(now)
	if pb != nil {
		wait = max(wait, pb.reserve(now))
	}
	if wait <= 0 {
		return nil
	}
	t := time.NewTimer(wait)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

// pauseNumber stops a number after Meta said it was going too fast.
func (p *pacer) pauseNumber(numberID string, d time.Duration) {
	p.mu.Lock()
	nb := p.numbers[numberID]
	p.mu.Unlock()
	if nb != nil {
		nb.pause(time.Now().Add(d))
	}
}

// pausePair stops one recipient after Meta's pair-rate error.
func (p *pacer) pausePair(numberID, recipient string, d time.Duration) {
	p.mu.Lock()
	pb := p.pairs[numberID+"|"+recipient]
	p.mu.Unlock()
	if pb != nil {
		pb.pause(time.Now().Add(d))
	}
}

// sweep forgets recipient buckets that are full again (idle long enough).
func (p *pacer) sweep(now time.Time) {
	p.lastSweep = now
	for k, b := range p.pairs {
		b.mu.Lock()
		full := b.tokens+now.Sub(b.last).Seconds()*b.rate >= b.burst && now.After(b.pausedUntil)
		b.mu.Unlock()
		if full {
			delete(p.pairs, k)
		}
	}
}
