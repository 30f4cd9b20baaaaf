package loadgen

import (
	"math"
	"slices"
	"time"
)

// Latency summarises every recorded sample exactly: a run keeps all its
// samples (8 bytes each, 80,000 for 10 s at 8,000/s), so no histogram
// rounding is needed.
type Latency struct {
	Count int
	Mean  time.Duration
	P50   time.Duration
	P90   time.Duration
	P95   time.Duration
	P99   time.Duration
	P999  time.Duration
	Max   time.Duration
}

// summarize sorts samples in place and reads the percentiles off it.
func summarize(samples []time.Duration) Latency {
	if len(samples) == 0 {
		return Latency{}
	}
	slices.Sort(samples)
	var sum time.Duration
	for _, s := range samples {
		sum += s
	}
	return Latency{
		Count: len(samples),
		Mean:  sum / time.Duration(len(samples)),
		P50:   percentile(samples, 0.50),
		P90:   percentile(samples, 0.90),
		P95:   percentile(samples, 0.95),
		P99:   percentile(samples, 0.99),
		P999:  percentile(samples, 0.999),
		Max:   samples[len(samples)-1],
	}
}

// percentile is the nearest-rank percentile of sorted samples: the smallest
// sample with at least a share q of all samples at or below it.
func percentile(sorted []time.Duration, q float64) time.Duration {
	rank := int(math.Ceil(q * float64(len(sorted))))
	rank = max(rank, 1)
	return sorted[min(rank, len(sorted))-1]
}
