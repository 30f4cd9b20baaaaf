package metrics

import (
	"bytes"
	"fmt"
	"maps"
	"net/http"
	"slices"
	"strconv"
	"sync"
)

// Registry owns a set of metrics and serves them in the Prometheus text
// format. The zero value is not usable; call NewRegistry.
type Registry struct {
	mu sync.Mutex
	// names holds every sample name a registered metric exposes (for a
	// histogram: name, name_bucket, name_sum, name_count), so that two
	// metrics can never produce lines that Prometheus would merge or reject.
	names map[string]bool
	// statics are the registered metrics; collectors are NewCollectorFunc
	// hooks. Both run at scrape time, statics first.
	statics    []func(*Writer)
	collectors []func(*Writer)
}

// NewRegistry returns an empty registry.
func NewRegistry() *Registry {
	return &Registry{names: make(map[string]bool)}
}

// register reserves the sample names of a new metric and adds its collect
// function. It panics on invalid or already-taken names because both are
// programming errors that should fail at startup.
func (r *Registry) register(name string, sampleNames []string, collect func(*Writer)) {
	if !validMetricName(name) {
		panic(fmt.Sprintf("metrics: invalid metric name %q", name))
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, n := range sampleNames {
		if r.names[n] {
			panic(fmt.Sprintf("metrics: %s: sample name %q already registered", name, n))
		}
	}
	for _, n := range sampleNames {
		r.names[n] = true
	}
	r.statics = append(r.statics, collect)
}

// NewGaugeFunc registers a gauge whose value is fn() at scrape time. Use it
// for values that already live elsewhere (queue lengths, connection counts)
// instead of mirroring them into a metric on every change. fn may be called
// concurrently by simultaneous scrapes.
func (r *Registry) NewGaugeFunc(name, help string, fn func() float64) {
	r.register(name, []string{name}, func(w *Writer) {
		f := w.staticFamily(name, help, "gauge")
		f.lines = appendSample(f.lines, name, "", nil, nil, "", "", fn())
	})
}

// NewCollectorFunc registers fn to run at every scrape, emitting any number
// of samples through w. It exists for sources that produce several related
// values from one snapshot (e.g. pgx pool statistics), where one GaugeFunc
// per value would take several inconsistent snapshots. fn may be called
// concurrently by simultaneous scrapes.
func (r *Registry) NewCollectorFunc(fn func(w *Writer)) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.collectors = append(r.collectors, fn)
}

// Handler serves the registry in text exposition format 0.0.4.
func (r *Registry) Handler() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		var buf bytes.Buffer
		r.writeText(&buf)
		w.Header().Set("Content-Type", contentType)
		w.Header().Set("Content-Length", strconv.Itoa(buf.Len()))
		w.Write(buf.Bytes()) //nolint:errcheck // the client went away; nothing to do
	})
}

// writeText gathers every metric and renders the exposition into buf.
func (r *Registry) writeText(buf *bytes.Buffer) {
	// Snapshot under the lock, then call out to metric code without it, so
	// a slow or re-entrant collector cannot block registration.
	r.mu.Lock()
	statics := slices.Clone(r.statics)
	collectors := slices.Clone(r.collectors)
	reserved := maps.Clone(r.names)
	r.mu.Unlock()

	w := newWriter(reserved)
	for _, c := range statics {
		c(w)
	}
	for _, c := range collectors {
		c(w)
	}
	buf.Write(w.render())
}
