package router

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"sort"
	"strconv"
	"strings"
)

// encoding/json says neither where a value is nor, for an unknown field,
// which one; a scenario error must name its line. So the document is first
// walked token by token against the Go type it decodes into: the walk records
// where every value starts (by path, "events[3].agent") and rejects unknown
// or repeated fields and values of the wrong kind, each at its own line.
// After the walk, json.Unmarshal cannot fail on the document.

// ScenarioError is a mistake in a scenario file, at a line (1-based).
type ScenarioError struct {
	Line int
	Msg  string
}

func (e *ScenarioError) Error() string { return fmt.Sprintf("line %d: %s", e.Line, e.Msg) }

// positions knows where the values of one document start.
type positions struct {
	data       []byte
	at         map[string]int // path → offset of the value's first byte
	lineStarts []int
}

func newPositions(data []byte) *positions {
	p := &positions{data: data, at: map[string]int{}, lineStarts: []int{0}}
	for i, b := range data {
		if b == '\n' {
			p.lineStarts = append(p.lineStarts, i+1)
		}
	}
	return p
}

// lineAt is the 1-based line of a byte offset.
func (p *positions) lineAt(off int) int {
	return sort.SearchInts(p.lineStarts, off+1)
}

// line is the line of the value at path or, when that value is absent (a
// missing field), of the nearest enclosing one.
func (p *positions) line(path string) int {
	for {
		if off, ok := p.at[path]; ok {
			return p.lineAt(off)
		}
		i := strings.LastIndexAny(path, ".[")
		if i < 0 {
			return 1
		}
		path = path[:i]
	}
}

func (p *positions) errorf(path, format string, a ...any) error {
	return &ScenarioError{Line: p.line(path), Msg: fmt.Sprintf(format, a...)}
}

// skip moves off past white space and the separators the decoder's Token
// elides, to the first byte of the next token.
func (p *positions) skip(off int) int {
	for off < len(p.data) && strings.IndexByte(" \t\r\n,:", p.data[off]) >= 0 {
		off++
	}
	return off
}

// locate checks data against the type t and records its positions.
func locate(data []byte, t reflect.Type) (*positions, error) {
	p := newPositions(data)
	if len(bytes.TrimSpace(data)) == 0 {
		return nil, &ScenarioError{Line: 1, Msg: "the scenario is empty: expected a JSON object"}
	}
	// A syntax error first, with its offset in the whole input (the
	// streaming decoder counts some offsets from the current value).
	if err := json.Unmarshal(data, new(json.RawMessage)); err != nil {
		var se *json.SyntaxError
		if errors.As(err, &se) {
			return nil, &ScenarioError{Line: p.lineAt(max(int(se.Offset)-1, 0)), Msg: "not valid JSON: " + se.Error()}
		}
		return nil, &ScenarioError{Line: 1, Msg: "not valid JSON: " + err.Error()}
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	w := walker{dec: dec, p: p}
	if err := w.value("", t); err != nil {
		return nil, err
	}
	return p, nil
}

type walker struct {
	dec *json.Decoder
	p   *positions
}

func (w *walker) value(path string, t reflect.Type) error {
	off := w.p.skip(int(w.dec.InputOffset()))
	w.p.at[path] = off
	tok, err := w.dec.Token()
	if err != nil {
		return &ScenarioError{Line: w.p.lineAt(off), Msg: "not valid JSON: " + err.Error()}
	}
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	wrong := func(got string) error {
		return &ScenarioError{Line: w.p.lineAt(off), Msg: fmt.Sprintf("%s: expected %s, not %s", name(path), kindName(t), got)}
	}
	switch tok := tok.(type) {
	case nil:
		if path == "" {
			return wrong("null")
		}
		return nil // null leaves the zero value: a missing value, checked where it matters
	case json.Delim:
		switch tok {
		case '{':
			if t.Kind() != reflect.Struct {
				return wrong("an object")
			}
			seen := map[string]bool{}
			for w.dec.More() {
				koff := w.p.skip(int(w.dec.InputOffset()))
				k, err := w.dec.Token()
				if err != nil {
					return &ScenarioError{Line: w.p.lineAt(koff), Msg: "not valid JSON: " + err.Error()}
				}
				key := k.(string)
				ft, ok := fieldType(t, key)
				switch {
				case !ok:
					return &ScenarioError{Line: w.p.lineAt(koff), Msg: fmt.Sprintf("%s: unknown field %q (known: %s)", name(path), key, strings.Join(fieldNames(t), ", "))}
				case seen[key]:
					return &ScenarioError{Line: w.p.lineAt(koff), Msg: fmt.Sprintf("%s: field %q given twice", name(path), key)}
				}
				seen[key] = true
				sub := key
				if path != "" {
					sub = path + "." + key
				}
				if err := w.value(sub, ft); err != nil {
					return err
				}
			}
		case '[':
			if t.Kind() != reflect.Slice {
				return wrong("a list")
			}
			for i := 0; w.dec.More(); i++ {
				if err := w.value(fmt.Sprintf("%s[%d]", path, i), t.Elem()); err != nil {
					return err
				}
			}
		}
		_, err := w.dec.Token() // the closing delimiter
		return err
	case string:
		if t.Kind() != reflect.String {
			return wrong(fmt.Sprintf("the string %q", tok))
		}
	case json.Number:
		if t.Kind() != reflect.Int {
			return wrong("the number " + tok.String())
		}
		if _, err := strconv.Atoi(tok.String()); err != nil {
			return wrong("the number " + tok.String())
		}
	case bool:
		if t.Kind() != reflect.Bool {
			return wrong(strconv.FormatBool(tok))
		}
	}
	return nil
}

func name(path string) string {
	if path == "" {
		return "the scenario"
	}
	return path
}

func kindName(t reflect.Type) string {
	switch t.Kind() {
	case reflect.Struct:
		return "an object"
	case reflect.Slice:
		return "a list"
	case reflect.String:
		return "a string"
	case reflect.Int:
		return "an integer"
	case reflect.Bool:
		return "true or false"
	}
	return t.String()
}

// fieldType finds the field whose json name is key, exactly: encoding/json
// would also take "ID" for "id", which hides typos in hand-written files.
func fieldType(t reflect.Type, key string) (reflect.Type, bool) {
	for i := range t.NumField() {
		f := t.Field(i)
		if jsonName(f) == key {
			return f.Type, true
		}
	}
	return nil, false
}

func fieldNames(t reflect.Type) []string {
	names := make([]string, 0, t.NumField())
	for i := range t.NumField() {
		names = append(names, jsonName(t.Field(i)))
	}
	return names
}

func jsonName(f reflect.StructField) string {
	n, _, _ := strings.Cut(f.Tag.Get("json"), ",")
	return n
}
