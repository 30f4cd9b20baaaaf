package metrics

import (
	"fmt"
	"sync/atomic"
)

// CounterVec is a counter partitioned by a fixed list of labels.
type CounterVec struct {
	v *vec[counterSeries]
}

// counterSeries splits the value in two so the common case, Inc, is a single
// atomic add that never retries under contention; only fractional Adds pay
// for the CAS loop of atomicFloat.
type counterSeries struct {
	whole atomic.Uint64
	frac  atomicFloat
}

func (s *counterSeries) value() float64 {
	return float64(s.whole.Load()) + s.frac.load()
}

// NewCounterVec registers a counter with the given label names. Every
// Inc/Add must pass exactly one value per label, in this order. Keep label
// values to a small, bounded set: each distinct combination is a series
// that lives for the life of the process.
func (r *Registry) NewCounterVec(name, help string, labels ...string) *CounterVec {
	checkLabelNames(name, labels)
	c := &CounterVec{v: newVec[counterSeries](name, labels, nil)}
	r.register(name, []string{name}, func(w *Writer) {
		f := w.staticFamily(name, help, "counter")
		for _, s := range c.v.sorted() {
			f.lines = appendSample(f.lines, name, "", c.v.labelNames, s.labelValues, "", "", s.val.value())
		}
	})
	return c
}

// Inc adds 1 to the series identified by labelValues.
func (c *CounterVec) Inc(labelValues ...string) {
	c.v.with(labelValues).whole.Add(1)
}

// Add adds v, which must be non-negative (counters only go up; Prometheus
// treats any decrease as a process restart), to the series identified by
// labelValues.
func (c *CounterVec) Add(v float64, labelValues ...string) {
	if !(v >= 0) { // also rejects NaN, which would poison the series forever
		panic(fmt.Sprintf("metrics: %s: counter Add(%v): value must be >= 0", c.v.name, v))
	}
	s := c.v.with(labelValues)
	if v < 1<<63 && float64(uint64(v)) == v {
		s.whole.Add(uint64(v))
		return
	}
	s.frac.add(v)
}
