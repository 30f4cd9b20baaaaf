package api_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/go-chi/chi/v5"

	apidocs "switchboard/docs/api"
	"switchboard/internal/api"
)

// spec is docs/api/openapi.yaml (written as JSON, which is YAML too).
type spec struct {
	doc map[string]any
}

func loadSpec() (*spec, error) {
	var doc map[string]any
	if err := json.Unmarshal(apidocs.OpenAPI, &doc); err != nil {
		return nil, fmt.Errorf("openapi.yaml is not JSON: %w", err)
	}
	return &spec{doc: doc}, nil
}

// responseSchema finds the schema of path's method for a status.
func (s *spec) responseSchema(path, method string, status int) (map[string]any, error) {
	op, ok := dig(s.doc, "paths", path, strings.ToLower(method)).(map[string]any)
	if !ok {
		return nil, fmt.Errorf("%s %s is not documented", method, path)
	}
	sch, ok := dig(op, "responses", fmt.Sprint(status), "content", "application/json", "schema").(map[string]any)
	if !ok {
		return nil, fmt.Errorf("%s %s: status %d is not documented", method, path, status)
	}
	return sch, nil
}

// requestSchema finds the schema of path's method's JSON request body.
func (s *spec) requestSchema(path, method string) (map[string]any, error) {
	sch, ok := dig(s.doc, "paths", path, strings.ToLower(method), "requestBody", "content", "application/json", "schema").(map[string]any)
	if !ok {
		return nil, fmt.Errorf("%s %s: no JSON request body is documented", method, path)
	}
	return sch, nil
}

func dig(v any, keys ...string) any {
	for _, k := range keys {
		m, ok := v.(map[string]any)
		if !ok {
			return nil
		}
		v = m[k]
	}
	return v
}

var uuidRE = regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$`)

// validate checks v against the subset of JSON Schema the document uses:
// $ref, oneOf, type (one or several), enum, const, required, properties,
// additionalProperties false, items, formats uuid and date-time.
func (s *spec) validate(sch map[string]any, v any, at string) error {
	if ref, ok := sch["$ref"].(string); ok {
		name := strings.TrimPrefix(ref, "#/components/schemas/")
		target, ok := dig(s.doc, "components", "schemas", name).(map[string]any)
		if !ok {
			return fmt.Errorf("%s: unknown $ref %s", at, ref)
		}
		return s.validate(target, v, at)
	}
	if alts, ok := sch["oneOf"].([]any); ok {
		var errs []string
		for _, a := range alts {
			if err := s.validate(a.(map[string]any), v, at); err == nil {
				return nil
			} else {
				errs = append(errs, err.Error())
			}
		}
		return fmt.Errorf("%s: matches no alternative (%s)", at, strings.Join(errs, " | "))
	}
	if types := typesOf(sch["type"]); len(types) > 0 && !slices.Contains(types, jsonType(v)) &&
		!(jsonType(v) == "integer" && slices.Contains(types, "number")) {
		return fmt.Errorf("%s: %s, want %v", at, jsonType(v), types)
	}
	if enum, ok := sch["enum"].([]any); ok && !slices.Contains(enum, v) {
		return fmt.Errorf("%s: %v not in %v", at, v, enum)
	}
	switch x := v.(type) {
	case string:
		switch sch["format"] {
		case "uuid":
			if !uuidRE.MatchString(x) {
				return fmt.Errorf("%s: %q is not a uuid", at, x)
			}
		case "date-time":
			if _, err := time.Parse(time.RFC3339Nano, x); err != nil {
				return fmt.Errorf("%s: %q is not RFC 3339", at, x)
			}
		}
	case map[string]any:
		props, _ := sch["properties"].(map[string]any)
		for _, r := range asStrings(sch["required"]) {
			if _, ok := x[r]; !ok {
				return fmt.Errorf("%s: missing %s", at, r)
			}
		}
		for k, val := range x {
			p, ok := props[k].(map[string]any)
			if !ok {
				if sch["additionalProperties"] == false {
					return fmt.Errorf("%s: undocumented property %s", at, k)
				}
				continue
			}
			if err := s.validate(p, val, at+"."+k); err != nil {
				return err
			}
		}
	case []any:
		if items, ok := sch["items"].(map[string]any); ok {
			for i, it := range x {
				if err := s.validate(items, it, fmt.Sprintf("%s[%d]", at, i)); err != nil {
					return err
				}
			}
		}
	}
	return nil
}

func typesOf(t any) []string {
	switch x := t.(type) {
	case string:
		return []string{x}
	case []any:
		return asStrings(x)
	}
	return nil
}

func asStrings(v any) []string {
	arr, _ := v.([]any)
	out := make([]string, 0, len(arr))
	for _, a := range arr {
		out = append(out, fmt.Sprint(a))
	}
	return out
}

func jsonType(v any) string {
	switch x := v.(type) {
	case nil:
		return "null"
	case bool:
		return "boolean"
	case string:
		return "string"
	case float64:
		if x == float64(int64(x)) {
			return "integer"
		}
		return "number"
	case []any:
		return "array"
	case map[string]any:
		return "object"
	}
	return "unknown"
}

// TestEveryRouteIsDocumented: the API's routes and the document's /api/v1
// operations are the same set, and every authenticated operation documents
// its errors.
func TestEveryRouteIsDocumented(t *testing.T) {
	sp, err := loadSpec()
	if err != nil {
		t.Fatal(err)
	}
	r := chi.NewRouter()
	api.Routes(r, api.Deps{})
	routed := map[string]bool{}
	err = chi.Walk(r, func(method, route string, _ http.Handler, _ ...func(http.Handler) http.Handler) error {
		routed[method+" "+route] = true
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	documented := map[string]bool{}
	for path, item := range sp.doc["paths"].(map[string]any) {
		if !strings.HasPrefix(path, "/api/v1/") {
			continue
		}
		for method := range item.(map[string]any) {
			documented[strings.ToUpper(method)+" "+path] = true
			if path == "/api/v1/openapi.yaml" {
				continue
			}
			for _, status := range []int{401, 503} {
				if _, err := sp.responseSchema(path, method, status); err != nil {
					t.Error(err)
				}
			}
		}
	}
	for k := range routed {
		if !documented[k] {
			t.Errorf("%s is routed but not documented", k)
		}
	}
	for k := range documented {
		if !routed[k] {
			t.Errorf("%s is documented but not routed", k)
		}
	}
}
