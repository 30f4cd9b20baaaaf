package metrics

import (
	"slices"
	"strconv"
	"strings"
)

// Label is one name/value pair attached to a sample emitted through a
// Writer.
type Label struct {
	Name, Value string
}

// Writer accumulates one scrape. Registered metrics and collector funcs
// write into it; it then renders every family sorted by name, so output
// order never depends on registration order or map iteration.
//
// Collector funcs emit through Gauge and Counter. Because their names are
// only known at scrape time, problems cannot panic at startup; instead an
// offending sample is dropped (an invalid name, a name owned by a
// registered metric, a type conflicting with an earlier sample of the same
// name, or a repeated label set) and the exposition ends with a comment
// saying how many were dropped, which Prometheus ignores but a human
// reading /metrics will see.
type Writer struct {
	reserved map[string]bool
	families map[string]*family
	dropped  int
}

// family is one metric family (one # HELP / # TYPE block).
type family struct {
	name, help, typ string
	// static families come from registered metrics, which render their
	// lines themselves, already sorted; collectors cannot add to them.
	static bool
	lines  []byte
	// dynamic families collect samples from collector funcs and are sorted
	// at render time.
	samples []dynSample
}

type dynSample struct {
	labels string // rendered {...} or ""
	value  float64
}

func newWriter(reserved map[string]bool) *Writer {
	return &Writer{reserved: reserved, families: make(map[string]*family)}
}

// staticFamily starts the family of a registered metric. Registration has
// already guaranteed the name is unique.
func (w *Writer) staticFamily(name, help, typ string) *family {
	f := &family{name: name, help: help, typ: typ, static: true}
	w.families[name] = f
	return f
}

// Gauge emits one gauge sample. Several calls with the same name and
// different labels form one family; help is taken from the first call.
func (w *Writer) Gauge(name, help string, value float64, labels ...Label) {
	w.emit("gauge", name, help, value, labels)
}

// Counter emits one counter sample for a value that some other component
// already counts (e.g. a pool's lifetime acquire count); it must only ever
// increase between scrapes. Naming follows Prometheus convention: end it in
// _total.
func (w *Writer) Counter(name, help string, value float64, labels ...Label) {
	w.emit("counter", name, help, value, labels)
}

func (w *Writer) emit(typ, name, help string, value float64, labels []Label) {
	if !validMetricName(name) || w.reserved[name] {
		w.dropped++
		return
	}
	names := make([]string, len(labels))
	values := make([]string, len(labels))
	for i, l := range labels {
		if !validLabelName(l.Name) || slices.Contains(names[:i], l.Name) {
			w.dropped++
			return
		}
		names[i], values[i] = l.Name, l.Value
	}
	rendered := string(appendLabels(nil, names, values, "", ""))

	f := w.families[name]
	if f == nil {
		f = &family{name: name, help: help, typ: typ}
		w.families[name] = f
	}
	if f.static || f.typ != typ || slices.ContainsFunc(f.samples, func(s dynSample) bool {
		return s.labels == rendered
	}) {
		w.dropped++
		return
	}
	f.samples = append(f.samples, dynSample{labels: rendered, value: value})
}

// render produces the complete exposition.
func (w *Writer) render() []byte {
	names := make([]string, 0, len(w.families))
	for n := range w.families {
		names = append(names, n)
	}
	slices.Sort(names)

	var b []byte
	for _, n := range names {
		f := w.families[n]
		if f.help != "" {
			b = append(b, "# HELP "...)
			b = append(b, f.name...)
			b = append(b, ' ')
			b = appendEscaped(b, f.help, false)
			b = append(b, '\n')
		}
		b = append(b, "# TYPE "...)
		b = append(b, f.name...)
		b = append(b, ' ')
		b = append(b, f.typ...)
		b = append(b, '\n')
		if f.static {
			b = append(b, f.lines...)
			continue
		}
		slices.SortFunc(f.samples, func(x, y dynSample) int {
			return strings.Compare(x.labels, y.labels)
		})
		for _, s := range f.samples {
			b = append(b, f.name...)
			b = append(b, s.labels...)
			b = append(b, ' ')
			b = appendFloat(b, s.value)
			b = append(b, '\n')
		}
	}
	if w.dropped > 0 {
		b = append(b, "# switchboard: dropped "...)
		b = strconv.AppendInt(b, int64(w.dropped), 10)
		b = append(b, " invalid or conflicting samples from collector funcs\n"...)
	}
	return b
}
