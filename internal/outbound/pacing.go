package outbound

import (
	"context"
	"sync"
	"time"
)

// bucket is a token bucket: rate tokens a second, up to burst at once. Meta
// enforces throughput per number and a pair rate per (number, recipient);
// pacing here keeps us under both instead of learning from 130429s.
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

// setRate changes the rate (a number's throughput edited by an admin).
func (b *bucket) setRate(rate, burst float64) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.rate, b.burst = rate, burst
	b.tokens = min(b.tokens, burst)
}

func (b *bucket) pause(until time.Time) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if until.After(b.pausedUntil) {
		b.pausedUntil = until
	}
}

// pacer holds the buckets of every number and recipient this process sends
// to. Recipient buckets are dropped when idle, so memory stays bounded.
type pacer struct {
	mu        sync.Mutex
	numbers   map[string]*bucket
	pairs     map[string]*bucket
	pairRate  float64
	pairBurst float64
	lastSweep time.Time
}

func newPacer(pairRate, pairBurst float64) *pacer {
	return &pacer{numbers: map[string]*bucket{}, pairs: map[string]*bucket{}, pairRate: pairRate, pairBurst: pairBurst}
}

// wait blocks until the number and the recipient may take one more message.
func (p *pacer) wait(ctx context.Context, numberID string, throughput int, recipient string) error {
	now := time.Now()
	p.mu.Lock()
	nb := p.numbers[numberID]
	if nb == nil {
		// Burst of a tenth of a second's worth: the rate holds over any
		// window, not just on average.
		nb = newBucket(float64(throughput), max(1, float64(throughput)/10), now)
		p.numbers[numberID] = nb
	} else if nb.rate != float64(throughput) {
		nb.setRate(float64(throughput), max(1, float64(throughput)/10))
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
