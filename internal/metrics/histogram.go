package metrics

import (
	"fmt"
	"math"
	"slices"
	"sort"
	"sync/atomic"
)

// HistogramVec is a histogram partitioned by a fixed list of labels.
type HistogramVec struct {
	v       *vec[histSeries]
	buckets []float64 // upper bounds, strictly increasing, without +Inf
	les     []string  // buckets pre-formatted for the le label
}

// histSeries keeps per-bucket (not cumulative) counts, with one extra slot
// for observations above the last bound, so Observe touches one counter.
// Cumulative values are computed at scrape time. _count is derived from the
// same slots, so a scrape racing with Observe still reports a +Inf bucket
// equal to _count (only _sum may lag or lead by the racing observations).
type histSeries struct {
	counts []atomic.Uint64
	sum    atomicFloat
}

// NewHistogramVec registers a histogram with the given bucket upper bounds
// (strictly increasing; a trailing +Inf is optional, it is always added)
// and label names. The buckets slice is copied.
func (r *Registry) NewHistogramVec(name, help string, buckets []float64, labels ...string) *HistogramVec {
	checkLabelNames(name, labels, "le")
	bs := slices.Clone(buckets)
	if n := len(bs); n > 0 && math.IsInf(bs[n-1], +1) {
		bs = bs[:n-1]
	}
	les := make([]string, len(bs))
	for i, b := range bs {
		if math.IsNaN(b) || math.IsInf(b, 0) || (i > 0 && b <= bs[i-1]) {
			panic(fmt.Sprintf("metrics: %s: buckets must be finite and strictly increasing: %v", name, buckets))
		}
		les[i] = string(appendFloat(nil, b))
	}
	h := &HistogramVec{buckets: bs, les: les}
	h.v = newVec(name, labels, func(s *histSeries) {
		s.counts = make([]atomic.Uint64, len(bs)+1)
	})
	r.register(name, []string{name, name + "_bucket", name + "_sum", name + "_count"}, h.collect(name, help))
	return h
}

// Observe records v in the series identified by labelValues.
func (h *HistogramVec) Observe(v float64, labelValues ...string) {
	s := h.v.with(labelValues)
	s.counts[h.bucketIndex(v)].Add(1)
	s.sum.add(v)
}

// bucketIndex returns the first bucket whose bound is >= v (le semantics),
// or len(buckets) for the +Inf slot. Typical latency histograms have about a
// dozen buckets, where a linear scan beats binary search. The comparison is
// written as !(v <= b) so that NaN lands in +Inf, as with the binary search.
func (h *HistogramVec) bucketIndex(v float64) int {
	if len(h.buckets) > 16 {
		return sort.SearchFloat64s(h.buckets, v)
	}
	i := 0
	for i < len(h.buckets) && !(v <= h.buckets[i]) {
		i++
	}
	return i
}

func (h *HistogramVec) collect(name, help string) func(*Writer) {
	return func(w *Writer) {
		f := w.staticFamily(name, help, "histogram")
		names := h.v.labelNames
		for _, s := range h.v.sorted() {
			var cum uint64
			for i, le := range h.les {
				cum += s.val.counts[i].Load()
				f.lines = appendSample(f.lines, name, "_bucket", names, s.labelValues, "le", le, float64(cum))
			}
			cum += s.val.counts[len(h.les)].Load()
			f.lines = appendSample(f.lines, name, "_bucket", names, s.labelValues, "le", "+Inf", float64(cum))
			f.lines = appendSample(f.lines, name, "_sum", names, s.labelValues, "", "", s.val.sum.load())
			f.lines = appendSample(f.lines, name, "_count", names, s.labelValues, "", "", float64(cum))
		}
	}
}
