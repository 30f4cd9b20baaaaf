package webhook

import (
	"bytes"
	"encoding/json"
	"math"
	"strconv"
	"time"
	"unicode/utf8"
)

// The parser walks the body object by object instead of unmarshalling into
// tagged structs: encoding/json stops or silently zeroes a whole struct on
// the first field of the wrong JSON type, while here each field is read on
// its own, so a wrong field costs that field only and is reported with its
// path.

// parser collects the problems of one Parse call. It is never shared, which
// keeps Parse safe for concurrent use.
type parser struct {
	problems []Problem
}

func (p *parser) problem(path, reason string) {
	p.problems = append(p.problems, Problem{Path: path, Reason: reason})
}

// maxUnix is the last second of year 9999. Later times cannot be encoded by
// time.Time.MarshalJSON, so they are rejected here rather than failing
// whoever stores or logs the parsed value.
const maxUnix = 253402300799

// kind returns the byte that tells a JSON value's kind: '{', '[', '"', 't',
// 'f', 'n', or the first character of a number; 0 when the value is absent.
func kind(raw json.RawMessage) byte {
	for _, c := range raw {
		switch c {
		case ' ', '\t', '\n', '\r':
			continue
		}
		return c
	}
	return 0
}

func isNumberStart(c byte) bool { return c == '-' || (c >= '0' && c <= '9') }

// absent is true for a missing key and for JSON null, which Meta and other
// senders use interchangeably.
func absent(raw json.RawMessage) bool {
	k := kind(raw)
	return k == 0 || k == 'n'
}

func kindName(raw json.RawMessage) string {
	switch k := kind(raw); {
	case k == '{':
		return "object"
	case k == '[':
		return "array"
	case k == '"':
		return "string"
	case k == 't' || k == 'f':
		return "boolean"
	case k == 'n':
		return "null"
	case isNumberStart(k):
		return "number"
	}
	return "nothing"
}

// quote shows a bad value in a problem reason, cut short so a hostile body
// cannot blow up logs.
func quote(s string) string {
	const max = 40
	if len(s) > max {
		s = s[:max] + "…"
	}
	return strconv.Quote(s)
}

// decodeString decodes a JSON string literal. The common case, no escapes
// and valid UTF-8, is a plain copy.
func decodeString(raw json.RawMessage) (string, bool) {
	raw = bytes.TrimSpace(raw)
	if len(raw) >= 2 && raw[0] == '"' && raw[len(raw)-1] == '"' &&
		bytes.IndexByte(raw, '\\') < 0 && utf8.Valid(raw) {
		return string(raw[1 : len(raw)-1]), true
	}
	var s string
	if err := json.Unmarshal(raw, &s); err != nil {
		return "", false
	}
	return s, true
}

// isInteger reports whether a JSON number literal is a plain integer, the
// only number form accepted where a string ID is expected.
func isInteger(raw []byte) bool {
	if len(raw) > 0 && raw[0] == '-' {
		raw = raw[1:]
	}
	if len(raw) == 0 {
		return false
	}
	for _, c := range raw {
		if c < '0' || c > '9' {
			return false
		}
	}
	return true
}

// object splits raw as a JSON object. Absent or null yields ok=false with no
// problem (the caller knows whether the object was required); any other
// kind records a problem.
func (p *parser) object(path string, raw json.RawMessage) (node, bool) {
	if absent(raw) {
		return node{}, false
	}
	if kind(raw) != '{' {
		p.problem(path, "want object, got "+kindName(raw))
		return node{}, false
	}
	f, ok := splitObject(raw)
	if !ok {
		p.problem(path, "malformed object")
		return node{}, false
	}
	return node{p: p, path: path, f: f}, true
}

// array splits raw as a JSON array; absent or null is an empty array.
func (p *parser) array(path string, raw json.RawMessage) []json.RawMessage {
	if absent(raw) {
		return nil
	}
	if kind(raw) != '[' {
		p.problem(path, "want array, got "+kindName(raw))
		return nil
	}
	a, ok := splitArray(raw)
	if !ok {
		p.problem(path, "malformed array")
		return nil
	}
	return a
}

// node is one JSON object being read field by field. Every reader returns
// the zero value for an absent or null field without a problem, and records
// a problem at the field's path when the value has the wrong kind.
type node struct {
	p    *parser
	path string
	f    []field
}

// get returns the member named key, nil when absent. Objects are small, so a
// linear search beats building a map; it runs backwards so that, as with
// encoding/json, the last of duplicate keys wins.
func (n node) get(key string) json.RawMessage {
	for i := len(n.f) - 1; i >= 0; i-- {
		if n.f[i].key == key {
			return n.f[i].val
		}
	}
	return nil
}

func (n node) at(key string) string { return n.path + "." + key }

func (n node) has(key string) bool { return !absent(n.get(key)) }

// raw returns the field's JSON, nil when absent or null.
func (n node) raw(key string) json.RawMessage {
	if r := n.get(key); !absent(r) {
		return r
	}
	return nil
}

func (n node) obj(key string) (node, bool) { return n.p.object(n.at(key), n.get(key)) }

func (n node) arr(key string) []json.RawMessage { return n.p.array(n.at(key), n.get(key)) }

// str reads a string. An integer number is accepted as its exact digits,
// because Meta sends some IDs (template IDs) as numbers and a float64 would
// round them.
func (n node) str(key string) string {
	raw := bytes.TrimSpace(n.get(key))
	switch k := kind(raw); {
	case k == 0 || k == 'n':
		return ""
	case k == '"':
		if s, ok := decodeString(raw); ok {
			return s
		}
		n.p.problem(n.at(key), "undecodable string")
		return ""
	case isNumberStart(k) && isInteger(raw):
		return string(raw)
	}
	n.p.problem(n.at(key), "want string, got "+kindName(raw))
	return ""
}

// numText returns the text of a number, or of a string holding one (some
// senders quote numbers). ok is false when the field is absent (no problem)
// or is neither a number nor a string (problem recorded).
func (n node) numText(key string) (text string, ok bool) {
	raw := bytes.TrimSpace(n.get(key))
	switch k := kind(raw); {
	case k == 0 || k == 'n':
		return "", false
	case k == '"':
		if s, ok := decodeString(raw); ok {
			return s, true
		}
	case isNumberStart(k):
		return string(raw), true
	}
	n.p.problem(n.at(key), "want number, got "+kindName(raw))
	return "", false
}

func (n node) float(key string) float64 {
	text, ok := n.numText(key)
	if !ok {
		return 0
	}
	v, err := strconv.ParseFloat(text, 64)
	if err != nil || math.IsInf(v, 0) || math.IsNaN(v) {
		n.p.problem(n.at(key), "want a finite number, got "+quote(text))
		return 0
	}
	return v
}

func (n node) int(key string) int {
	text, ok := n.numText(key)
	if !ok {
		return 0
	}
	if v, ok := parseInt(text); ok && v >= math.MinInt && v <= math.MaxInt {
		return int(v)
	}
	n.p.problem(n.at(key), "want an integer in range, got "+quote(text))
	return 0
}

// parseInt accepts an integer, also written as an integral float ("30.0",
// "1e3"), as long as a float64 holds it exactly.
func parseInt(text string) (int64, bool) {
	if v, err := strconv.ParseInt(text, 10, 64); err == nil {
		return v, true
	}
	f, err := strconv.ParseFloat(text, 64)
	if err != nil || f != math.Trunc(f) || math.Abs(f) > 1<<53 {
		return 0, false
	}
	return int64(f), true
}

func (n node) boolean(key string) bool {
	raw := bytes.TrimSpace(n.get(key))
	switch kind(raw) {
	case 0, 'n':
		return false
	case 't', 'f':
		return string(raw) == "true"
	case '"':
		switch s, _ := decodeString(raw); s {
		case "true":
			return true
		case "false":
			return false
		}
	}
	n.p.problem(n.at(key), "want boolean, got "+kindName(raw))
	return false
}

// unix reads unix seconds, written as a string (messages, statuses) or a
// number (entry.time, user_preferences, automatic_events); both are accepted
// everywhere. ok is false when absent (no problem) or malformed (problem).
func (n node) unix(key string) (t time.Time, ok bool) {
	text, ok := n.numText(key)
	if !ok {
		return time.Time{}, false
	}
	sec, valid := parseInt(text)
	if !valid || sec < 0 || sec > maxUnix {
		n.p.problem(n.at(key), "want unix seconds, got "+quote(text))
		return time.Time{}, false
	}
	return time.Unix(sec, 0).UTC(), true
}
