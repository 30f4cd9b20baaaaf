package metrics

import (
	"strconv"
	"sync"
	"testing"
)

// TestConcurrentUpdates hammers overlapping series from many goroutines
// while scraping, then checks no update was lost. Run with -race.
func TestConcurrentUpdates(t *testing.T) {
	const (
		goroutines = 64
		iters      = 2000
		keys       = 5
	)
	reg := NewRegistry()
	c := reg.NewCounterVec("ops_total", "ops", "key")
	h := reg.NewHistogramVec("op_seconds", "op latency", []float64{0.25, 0.75}, "key")
	var gaugeCalls sync.Mutex
	reg.NewGaugeFunc("g", "g", func() float64 { gaugeCalls.Lock(); defer gaugeCalls.Unlock(); return 1 })

	var wg sync.WaitGroup
	stop := make(chan struct{})
	scrapes := make(chan struct{})
	go func() { // scrape concurrently with the writers
		defer close(scrapes)
		for {
			select {
			case <-stop:
				return
			default:
				parseExposition(t, scrape(t, reg))
			}
		}
	}()
	for g := range goroutines {
		wg.Go(func() {
			for i := range iters {
				k := strconv.Itoa((g + i) % keys)
				c.Inc(k)
				c.Add(0.5, k) // exactly representable, so sums are exact
				h.Observe(0.5, k)
			}
		})
	}
	wg.Wait()
	close(stop)
	<-scrapes

	fams := parseExposition(t, scrape(t, reg))
	perKey := float64(goroutines * iters / keys)
	for k := range keys {
		key := strconv.Itoa(k)
		if got := value(t, fams, "ops_total", "key", key); got != perKey*1.5 {
			t.Errorf("ops_total{key=%s} = %v, want %v", key, got, perKey*1.5)
		}
		if got := value(t, fams, "op_seconds_count", "key", key); got != perKey {
			t.Errorf("op_seconds_count{key=%s} = %v, want %v", key, got, perKey)
		}
		if got := value(t, fams, "op_seconds_bucket", "key", key, "le", "0.25"); got != 0 {
			t.Errorf("le=0.25 = %v", got)
		}
		if got := value(t, fams, "op_seconds_bucket", "key", key, "le", "0.75"); got != perKey {
			t.Errorf("le=0.75 = %v", got)
		}
		if got := value(t, fams, "op_seconds_sum", "key", key); got != perKey*0.5 {
			t.Errorf("sum = %v", got)
		}
	}
}

// TestConcurrentRegistration checks registering while scraping is safe.
func TestConcurrentRegistration(t *testing.T) {
	reg := NewRegistry()
	var wg sync.WaitGroup
	for i := range 20 {
		wg.Go(func() {
			reg.NewCounterVec("c"+strconv.Itoa(i)+"_total", "c").Inc()
			reg.NewCollectorFunc(func(w *Writer) { w.Gauge("d"+strconv.Itoa(i), "d", 1) })
		})
		wg.Go(func() { parseExposition(t, scrape(t, reg)) })
	}
	wg.Wait()
	fams := parseExposition(t, scrape(t, reg))
	if len(fams) != 40 {
		t.Errorf("got %d families, want 40", len(fams))
	}
}
