package metrics

import (
	"math"
	"slices"
	"strings"
	"testing"
)

func TestEscaping(t *testing.T) {
	reg := NewRegistry()
	nasty := "a\\b\"c\nd"
	c := reg.NewCounterVec("esc_total", "help with \\ backslash\nand newline and \"quotes\"", "v")
	c.Inc(nasty)
	c.Inc("plain")
	c.Inc("bad\xffutf8")

	text := scrape(t, reg)
	if !strings.Contains(text, `esc_total{v="a\\b\"c\nd"} 1`) {
		t.Errorf("label value not escaped as expected:\n%s", text)
	}
	fams := parseExposition(t, text)
	f := findFamily(t, fams, "esc_total")
	if want := "help with \\ backslash\nand newline and \"quotes\""; f.help != want {
		t.Errorf("help round-trip = %q, want %q", f.help, want)
	}
	if f.typ != "counter" {
		t.Errorf("type = %q", f.typ)
	}
	if got := value(t, fams, "esc_total", "v", nasty); got != 1 {
		t.Errorf("nasty value = %v", got)
	}
	if got := value(t, fams, "esc_total", "v", "bad\uFFFDutf8"); got != 1 {
		t.Errorf("invalid UTF-8 not replaced: %v", got)
	}
}

func TestHistogramCumulative(t *testing.T) {
	reg := NewRegistry()
	h := reg.NewHistogramVec("lat_seconds", "latency", []float64{0.1, 0.5, 1}, "op")
	for _, v := range []float64{0.05, 0.1, 0.3, 0.7, 0.9, 2, 5} {
		h.Observe(v, "read")
	}
	h.Observe(math.NaN(), "nan")

	fams := parseExposition(t, scrape(t, reg))
	f := findFamily(t, fams, "lat_seconds")
	if f.typ != "histogram" {
		t.Fatalf("type = %q", f.typ)
	}
	want := map[string]float64{"0.1": 2, "0.5": 3, "1": 5, "+Inf": 7}
	for le, n := range want {
		if got := value(t, fams, "lat_seconds_bucket", "op", "read", "le", le); got != n {
			t.Errorf("bucket le=%s = %v, want %v", le, got, n)
		}
	}
	if got := value(t, fams, "lat_seconds_count", "op", "read"); got != 7 {
		t.Errorf("count = %v", got)
	}
	if got := value(t, fams, "lat_seconds_sum", "op", "read"); math.Abs(got-9.05) > 1e-9 {
		t.Errorf("sum = %v", got)
	}
	if got := value(t, fams, "lat_seconds_bucket", "op", "nan", "le", "0.1"); got != 0 {
		t.Errorf("NaN landed in a finite bucket")
	}
	if got := value(t, fams, "lat_seconds_bucket", "op", "nan", "le", "+Inf"); got != 1 {
		t.Errorf("NaN not in +Inf bucket")
	}

	// Within a series: buckets in increasing le, +Inf last, then _sum, _count;
	// le is always the last label.
	var seq []string
	for _, s := range f.samples {
		if s.labels["op"] != "read" {
			continue
		}
		seq = append(seq, s.name+":"+s.labels["le"])
		if s.name == "lat_seconds_bucket" && s.order[len(s.order)-1] != "le" {
			t.Errorf("le not last: %v", s.order)
		}
	}
	wantSeq := []string{"lat_seconds_bucket:0.1", "lat_seconds_bucket:0.5", "lat_seconds_bucket:1",
		"lat_seconds_bucket:+Inf", "lat_seconds_sum:", "lat_seconds_count:"}
	if !slices.Equal(seq, wantSeq) {
		t.Errorf("sample order = %v, want %v", seq, wantSeq)
	}
}

func TestSortedAndDeterministic(t *testing.T) {
	reg := NewRegistry()
	// Registered out of order, series created out of order.
	z := reg.NewCounterVec("zeta_total", "z", "a", "b")
	reg.NewGaugeFunc("mid_gauge", "m", func() float64 { return 42 })
	a := reg.NewCounterVec("alpha_total", "a", "k")
	reg.NewCollectorFunc(func(w *Writer) {
		w.Gauge("beta_dyn", "dynamic", 2, Label{"x", "b"})
		w.Gauge("beta_dyn", "dynamic", 1, Label{"x", "a"})
	})
	for _, k := range []string{"c", "a", "b"} {
		a.Inc(k)
	}
	z.Inc("2", "x")
	z.Inc("10", "x")
	z.Inc("1", "y")

	first := scrape(t, reg)
	for range 5 {
		if again := scrape(t, reg); again != first {
			t.Fatalf("exposition not deterministic:\n%s\n---\n%s", first, again)
		}
	}
	fams := parseExposition(t, first) // checks family sort order
	var names []string
	for _, f := range fams {
		names = append(names, f.name)
	}
	if want := []string{"alpha_total", "beta_dyn", "mid_gauge", "zeta_total"}; !slices.Equal(names, want) {
		t.Errorf("families = %v, want %v", names, want)
	}
	var ks []string
	for _, s := range findFamily(t, fams, "alpha_total").samples {
		ks = append(ks, s.labels["k"])
	}
	if !slices.Equal(ks, []string{"a", "b", "c"}) {
		t.Errorf("series order = %v", ks)
	}
	var zs []string
	for _, s := range findFamily(t, fams, "zeta_total").samples {
		zs = append(zs, s.labels["a"]+","+s.labels["b"])
	}
	if !slices.Equal(zs, []string{"1,y", "10,x", "2,x"}) { // lexical by label values
		t.Errorf("series order = %v", zs)
	}
	var xs []string
	for _, s := range findFamily(t, fams, "beta_dyn").samples {
		xs = append(xs, s.labels["x"])
	}
	if !slices.Equal(xs, []string{"a", "b"}) {
		t.Errorf("collector series order = %v", xs)
	}
	if got := value(t, fams, "mid_gauge"); got != 42 {
		t.Errorf("gauge = %v", got)
	}
}

func TestCounterAdd(t *testing.T) {
	reg := NewRegistry()
	c := reg.NewCounterVec("c_total", "c")
	c.Add(2.5)
	c.Add(3)
	c.Inc()
	if got := value(t, parseExposition(t, scrape(t, reg)), "c_total"); got != 6.5 {
		t.Errorf("value = %v", got)
	}
	for _, bad := range []float64{-1, math.NaN()} {
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("Add(%v) did not panic", bad)
				}
			}()
			c.Add(bad)
		}()
	}
}

func TestUnlabelledSeriesVisibleAtZero(t *testing.T) {
	reg := NewRegistry()
	reg.NewCounterVec("c_total", "c")
	reg.NewHistogramVec("h", "h", []float64{1, math.Inf(1)})
	fams := parseExposition(t, scrape(t, reg))
	if got := value(t, fams, "c_total"); got != 0 {
		t.Errorf("counter = %v", got)
	}
	if got := value(t, fams, "h_count"); got != 0 {
		t.Errorf("h_count = %v", got)
	}
	// The explicit +Inf bound must not produce a duplicate bucket.
	if n := len(findFamily(t, fams, "h").samples); n != 4 { // le=1, le=+Inf, sum, count
		t.Errorf("histogram has %d samples, want 4", n)
	}
}

func TestRegistrationPanics(t *testing.T) {
	cases := map[string]func(r *Registry){
		"invalid name":        func(r *Registry) { r.NewCounterVec("bad-name", "") },
		"invalid label":       func(r *Registry) { r.NewCounterVec("x", "", "bad-label") },
		"reserved label":      func(r *Registry) { r.NewCounterVec("x", "", "__x") },
		"duplicate label":     func(r *Registry) { r.NewCounterVec("x", "", "a", "a") },
		"le on histogram":     func(r *Registry) { r.NewHistogramVec("x", "", []float64{1}, "le") },
		"unsorted buckets":    func(r *Registry) { r.NewHistogramVec("x", "", []float64{1, 1}) },
		"duplicate name":      func(r *Registry) { r.NewCounterVec("x", ""); r.NewGaugeFunc("x", "", nil) },
		"histogram suffix":    func(r *Registry) { r.NewHistogramVec("x", "", nil); r.NewCounterVec("x_count", "") },
		"wrong label count":   func(r *Registry) { r.NewCounterVec("x", "", "a").Inc() },
		"wrong label count 2": func(r *Registry) { r.NewHistogramVec("x", "", nil, "a").Observe(1, "a", "b") },
	}
	for name, fn := range cases {
		t.Run(name, func(t *testing.T) {
			defer func() {
				if recover() == nil {
					t.Error("no panic")
				}
			}()
			fn(NewRegistry())
		})
	}
}

func TestCollectorConflictsDropped(t *testing.T) {
	reg := NewRegistry()
	reg.NewCounterVec("owned_total", "owned")
	reg.NewHistogramVec("hist", "h", []float64{1})
	reg.NewCollectorFunc(func(w *Writer) {
		w.Gauge("owned_total", "clash with registered metric", 1)
		w.Gauge("hist_count", "clash with histogram sample name", 1)
		w.Gauge("bad-name", "invalid", 1)
		w.Gauge("g", "ok", 1, Label{"l", "x"})
		w.Gauge("g", "duplicate label set", 2, Label{"l", "x"})
		w.Counter("g", "type conflict", 3, Label{"l", "y"})
		w.Gauge("g2", "bad label", 1, Label{"__x", "y"})
	})
	text := scrape(t, reg)
	fams := parseExposition(t, text)
	if got := value(t, fams, "g", "l", "x"); got != 1 {
		t.Errorf("g = %v", got)
	}
	if n := len(findFamily(t, fams, "g").samples); n != 1 {
		t.Errorf("g has %d samples", n)
	}
	if got := value(t, fams, "owned_total"); got != 0 {
		t.Errorf("registered counter overwritten: %v", got)
	}
	if !strings.Contains(text, "# switchboard: dropped 6 ") {
		t.Errorf("missing drop note:\n%s", text)
	}
}
