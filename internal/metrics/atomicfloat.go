package metrics

import (
	"math"
	"sync/atomic"
)

// atomicFloat is a float64 that can be added to without a lock. sync/atomic
// has no float operations, so we CAS the IEEE-754 bit pattern; under
// contention a loser simply retries with the fresh value.
type atomicFloat struct {
	bits atomic.Uint64
}

func (f *atomicFloat) add(v float64) {
	for {
		old := f.bits.Load()
		next := math.Float64bits(math.Float64frombits(old) + v)
		if f.bits.CompareAndSwap(old, next) {
			return
		}
	}
}

func (f *atomicFloat) load() float64 {
	return math.Float64frombits(f.bits.Load())
}
