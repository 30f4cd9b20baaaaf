package metrics

import (
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
)

// This file holds a strict, minimal parser for the text format, so tests
// check the exposition by reading it back rather than by string matching.

type parsedSample struct {
	name   string // full sample name, e.g. x_bucket
	labels map[string]string
	order  []string // label names in the order they appeared
	value  float64
}

type parsedFamily struct {
	name, help, typ string
	samples         []parsedSample
}

// parseExposition parses text, failing the test on anything a Prometheus
// scraper would reject or that violates our own guarantees (one TYPE per
// family, samples grouped under their family, families sorted).
func parseExposition(t *testing.T, text string) []*parsedFamily {
	t.Helper()
	if text == "" {
		return nil // an empty registry is a valid, empty exposition
	}
	if !strings.HasSuffix(text, "\n") {
		t.Fatalf("exposition does not end in newline")
	}
	var fams []*parsedFamily
	byName := map[string]*parsedFamily{}
	var cur *parsedFamily
	helps := map[string]string{}
	for i, line := range strings.Split(strings.TrimSuffix(text, "\n"), "\n") {
		ln := i + 1
		switch {
		case strings.HasPrefix(line, "# HELP "):
			rest := strings.TrimPrefix(line, "# HELP ")
			name, help, _ := strings.Cut(rest, " ")
			h, err := unescape(help, false)
			if err != nil {
				t.Fatalf("line %d: %v", ln, err)
			}
			helps[name] = h
		case strings.HasPrefix(line, "# TYPE "):
			f := strings.Fields(strings.TrimPrefix(line, "# TYPE "))
			if len(f) != 2 {
				t.Fatalf("line %d: bad TYPE: %q", ln, line)
			}
			if byName[f[0]] != nil {
				t.Fatalf("line %d: second TYPE for %s", ln, f[0])
			}
			switch f[1] {
			case "counter", "gauge", "histogram", "summary", "untyped":
			default:
				t.Fatalf("line %d: unknown type %q", ln, f[1])
			}
			cur = &parsedFamily{name: f[0], typ: f[1], help: helps[f[0]]}
			fams = append(fams, cur)
			byName[f[0]] = cur
		case strings.HasPrefix(line, "#"):
			// comment
		case line == "":
			t.Fatalf("line %d: empty line", ln)
		default:
			s, err := parseSampleLine(line)
			if err != nil {
				t.Fatalf("line %d: %v: %q", ln, err, line)
			}
			if cur == nil || !belongsTo(s.name, cur) {
				t.Fatalf("line %d: sample %s outside its family block", ln, s.name)
			}
			cur.samples = append(cur.samples, s)
		}
	}
	for i := 1; i < len(fams); i++ {
		if fams[i-1].name >= fams[i].name {
			t.Fatalf("families not sorted: %s before %s", fams[i-1].name, fams[i].name)
		}
	}
	return fams
}

func belongsTo(sample string, f *parsedFamily) bool {
	if f.typ == "histogram" {
		for _, suf := range []string{"_bucket", "_sum", "_count"} {
			if sample == f.name+suf {
				return true
			}
		}
		return false
	}
	return sample == f.name
}

func parseSampleLine(line string) (parsedSample, error) {
	s := parsedSample{labels: map[string]string{}}
	i := strings.IndexAny(line, "{ ")
	if i <= 0 {
		return s, fmt.Errorf("no name")
	}
	s.name = line[:i]
	if !validMetricName(s.name) {
		return s, fmt.Errorf("invalid name %q", s.name)
	}
	rest := line[i:]
	if rest[0] == '{' {
		rest = rest[1:]
		for {
			if strings.HasPrefix(rest, "}") {
				rest = rest[1:]
				break
			}
			eq := strings.Index(rest, `="`)
			if eq <= 0 {
				return s, fmt.Errorf("bad label")
			}
			name := rest[:eq]
			if !validLabelName(name) && name != "le" {
				return s, fmt.Errorf("invalid label name %q", name)
			}
			rest = rest[eq+2:]
			// Find the closing quote, skipping escaped characters.
			j := 0
			for ; j < len(rest); j++ {
				if rest[j] == '\\' {
					j++
					continue
				}
				if rest[j] == '"' {
					break
				}
			}
			if j >= len(rest) {
				return s, fmt.Errorf("unterminated label value")
			}
			v, err := unescape(rest[:j], true)
			if err != nil {
				return s, err
			}
			if _, dup := s.labels[name]; dup {
				return s, fmt.Errorf("duplicate label %q", name)
			}
			s.labels[name] = v
			s.order = append(s.order, name)
			rest = rest[j+1:]
			if strings.HasPrefix(rest, ",") {
				rest = rest[1:]
			} else if !strings.HasPrefix(rest, "}") {
				return s, fmt.Errorf("expected , or }")
			}
		}
	}
	if !strings.HasPrefix(rest, " ") {
		return s, fmt.Errorf("expected space before value")
	}
	v, err := strconv.ParseFloat(rest[1:], 64)
	if err != nil {
		return s, err
	}
	s.value = v
	return s, nil
}

// unescape reverses the format's escaping and rejects anything the format
// does not allow: raw newlines, unknown escapes and, in label values, raw
// double quotes.
func unescape(s string, quoted bool) (string, error) {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '\\':
			if i+1 >= len(s) {
				return "", fmt.Errorf("trailing backslash in %q", s)
			}
			i++
			switch s[i] {
			case '\\':
				b.WriteByte('\\')
			case 'n':
				b.WriteByte('\n')
			case '"':
				if !quoted {
					return "", fmt.Errorf(`\" in HELP %q`, s)
				}
				b.WriteByte('"')
			default:
				return "", fmt.Errorf("unknown escape \\%c", s[i])
			}
		case c == '"' && quoted:
			return "", fmt.Errorf("unescaped quote in %q", s)
		case c == '\n':
			return "", fmt.Errorf("raw newline")
		default:
			b.WriteByte(c)
		}
	}
	return b.String(), nil
}

// scrape fetches reg's exposition through its HTTP handler.
func scrape(t *testing.T, reg *Registry) string {
	t.Helper()
	rec := httptest.NewRecorder()
	reg.Handler().ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/metrics", nil))
	if rec.Code != http.StatusOK {
		t.Fatalf("scrape status %d", rec.Code)
	}
	if got := rec.Header().Get("Content-Type"); got != "text/plain; version=0.0.4; charset=utf-8" {
		t.Fatalf("Content-Type = %q", got)
	}
	body, _ := io.ReadAll(rec.Body)
	return string(body)
}

func findFamily(t *testing.T, fams []*parsedFamily, name string) *parsedFamily {
	t.Helper()
	for _, f := range fams {
		if f.name == name {
			return f
		}
	}
	t.Fatalf("family %s not found", name)
	return nil
}

// value returns the value of the sample with the given name and exactly the
// given labels (pairs of name, value), failing if absent.
func value(t *testing.T, fams []*parsedFamily, sample string, labelPairs ...string) float64 {
	t.Helper()
	v, ok := lookup(fams, sample, labelPairs...)
	if !ok {
		t.Fatalf("sample %s%v not found", sample, labelPairs)
	}
	return v
}

func lookup(fams []*parsedFamily, sample string, labelPairs ...string) (float64, bool) {
	for _, f := range fams {
	samples:
		for _, s := range f.samples {
			if s.name != sample || len(s.labels) != len(labelPairs)/2 {
				continue
			}
			for i := 0; i < len(labelPairs); i += 2 {
				if v, ok := s.labels[labelPairs[i]]; !ok || v != labelPairs[i+1] {
					continue samples
				}
			}
			return s.value, true
		}
	}
	return 0, false
}
