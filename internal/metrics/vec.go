package metrics

import (
	"encoding/binary"
	"fmt"
	"slices"
	"sync"
)

// vec maps label values to one series of type S. It is the shared core of
// CounterVec and HistogramVec.
//
// Lookups are the hot path (every HTTP request does two), so the key is built
// in a stack buffer and looked up with m[string(key)], which the compiler
// performs without allocating; the write lock is only taken the first time a
// label combination is seen. A plain map under RWMutex is used rather than
// sync.Map because sync.Map's any-typed key would force an allocation per
// lookup.
type vec[S any] struct {
	name       string
	labelNames []string
	init       func(*S) // prepares a new series, e.g. allocates bucket slots

	mu     sync.RWMutex
	series map[string]*series[S]
}

type series[S any] struct {
	labelValues []string
	val         S
}

func newVec[S any](name string, labelNames []string, init func(*S)) *vec[S] {
	v := &vec[S]{
		name:       name,
		labelNames: slices.Clone(labelNames),
		init:       init,
		series:     make(map[string]*series[S]),
	}
	// A metric without labels has exactly one series; creating it now makes
	// it visible as 0 from the first scrape, so rate() works from the start.
	if len(labelNames) == 0 {
		v.with(nil)
	}
	return v
}

// with returns the series for labelValues, creating it on first use.
func (v *vec[S]) with(labelValues []string) *S {
	if len(labelValues) != len(v.labelNames) {
		panic(fmt.Sprintf("metrics: %s: got %d label values, want %d %v",
			v.name, len(labelValues), len(v.labelNames), v.labelNames))
	}
	var buf [128]byte
	key := appendKey(buf[:0], labelValues)
	v.mu.RLock()
	s := v.series[string(key)]
	v.mu.RUnlock()
	if s == nil {
		s = v.create(string(key), labelValues)
	}
	return &s.val
}

func (v *vec[S]) create(key string, labelValues []string) *series[S] {
	v.mu.Lock()
	defer v.mu.Unlock()
	if s := v.series[key]; s != nil { // another goroutine won the race
		return s
	}
	// Copy: the caller's variadic slice may live on its stack.
	s := &series[S]{labelValues: slices.Clone(labelValues)}
	if v.init != nil {
		v.init(&s.val)
	}
	v.series[key] = s
	return s
}

// sorted returns a snapshot of all series ordered by label values, so the
// exposition is deterministic regardless of map iteration order.
func (v *vec[S]) sorted() []*series[S] {
	v.mu.RLock()
	out := make([]*series[S], 0, len(v.series))
	for _, s := range v.series {
		out = append(out, s)
	}
	v.mu.RUnlock()
	slices.SortFunc(out, func(a, b *series[S]) int {
		return slices.Compare(a.labelValues, b.labelValues)
	})
	return out
}

// appendKey length-prefixes each value so that no choice of label values
// (even ones containing separator-like bytes) can collide with another.
func appendKey(b []byte, values []string) []byte {
	for _, v := range values {
		b = binary.AppendUvarint(b, uint64(len(v)))
		b = append(b, v...)
	}
	return b
}
