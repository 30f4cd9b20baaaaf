package metrics

import (
	"math"
	"strconv"
	"unicode/utf8"
)

// contentType is what Prometheus expects for the text format we emit.
const contentType = "text/plain; version=0.0.4; charset=utf-8"

// appendFloat formats v the way Prometheus parses it: shortest round-trip
// representation, with the special values spelled as the format requires.
func appendFloat(b []byte, v float64) []byte {
	switch {
	case math.IsInf(v, +1):
		return append(b, "+Inf"...)
	case math.IsInf(v, -1):
		return append(b, "-Inf"...)
	case math.IsNaN(v):
		return append(b, "NaN"...)
	}
	return strconv.AppendFloat(b, v, 'g', -1, 64)
}

// appendEscaped escapes backslash and newline (HELP text) and, when
// quoted is set, double quotes too (label values). The format is UTF-8, so
// invalid bytes become U+FFFD rather than being allowed to break the scrape:
// ranging over a string yields utf8.RuneError for each invalid byte, and
// re-encoding that rune writes the replacement character.
func appendEscaped(b []byte, s string, quoted bool) []byte {
	for _, r := range s {
		switch {
		case r == '\\':
			b = append(b, `\\`...)
		case r == '\n':
			b = append(b, `\n`...)
		case r == '"' && quoted:
			b = append(b, `\"`...)
		case r < utf8.RuneSelf:
			b = append(b, byte(r))
		default:
			b = utf8.AppendRune(b, r)
		}
	}
	return b
}

// appendLabels renders {n1="v1",n2="v2",extraName="extraValue"}, or nothing
// when there are no labels at all. extraName carries histograms' "le".
func appendLabels(b []byte, names, values []string, extraName, extraValue string) []byte {
	if len(names) == 0 && extraName == "" {
		return b
	}
	b = append(b, '{')
	for i, n := range names {
		if i > 0 {
			b = append(b, ',')
		}
		b = append(b, n...)
		b = append(b, `="`...)
		b = appendEscaped(b, values[i], true)
		b = append(b, '"')
	}
	if extraName != "" {
		if len(names) > 0 {
			b = append(b, ',')
		}
		b = append(b, extraName...)
		b = append(b, `="`...)
		b = appendEscaped(b, extraValue, true)
		b = append(b, '"')
	}
	return append(b, '}')
}

// appendSample renders one complete sample line.
func appendSample(b []byte, name, suffix string, names, values []string, extraName, extraValue string, v float64) []byte {
	b = append(b, name...)
	b = append(b, suffix...)
	b = appendLabels(b, names, values, extraName, extraValue)
	b = append(b, ' ')
	b = appendFloat(b, v)
	return append(b, '\n')
}
