package metrics

import (
	"fmt"
	"strings"
)

// validMetricName reports whether s matches [a-zA-Z_:][a-zA-Z0-9_:]*.
func validMetricName(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c == '_', c == ':':
		case c >= '0' && c <= '9' && i > 0:
		default:
			return false
		}
	}
	return true
}

// validLabelName reports whether s matches [a-zA-Z_][a-zA-Z0-9_]* and is not
// one of the "__"-prefixed names that Prometheus reserves for itself.
func validLabelName(s string) bool {
	if s == "" || strings.HasPrefix(s, "__") {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c == '_':
		case c >= '0' && c <= '9' && i > 0:
		default:
			return false
		}
	}
	return true
}

// checkLabelNames panics on invalid or repeated label names; forbidden holds
// names the metric kind uses itself (e.g. "le" for histograms).
func checkLabelNames(metric string, labels []string, forbidden ...string) {
	seen := make(map[string]bool, len(labels))
	for _, l := range labels {
		if !validLabelName(l) {
			panic(fmt.Sprintf("metrics: %s: invalid label name %q", metric, l))
		}
		for _, f := range forbidden {
			if l == f {
				panic(fmt.Sprintf("metrics: %s: label name %q is reserved", metric, l))
			}
		}
		if seen[l] {
			panic(fmt.Sprintf("metrics: %s: duplicate label name %q", metric, l))
		}
		seen[l] = true
	}
}
