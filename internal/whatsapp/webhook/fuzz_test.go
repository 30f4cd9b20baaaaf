package webhook

import (
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"
)

// FuzzParse feeds arbitrary bodies to Parse. Beyond "never panics" it checks
// the promises the ingest relies on. Seeds are every fixture, good and bad;
// run longer with: go test -fuzz=FuzzParse -fuzztime=60s ./internal/whatsapp/webhook/
func FuzzParse(f *testing.F) {
	for _, pattern := range []string{"testdata/*.json", "testdata/bad/*"} {
		files, err := filepath.Glob(pattern)
		if err != nil {
			f.Fatal(err)
		}
		for _, name := range files {
			b, err := os.ReadFile(name)
			if err != nil {
				f.Fatal(err)
			}
			f.Add(b)
		}
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		p, err := Parse(body)
		if err != nil {
			if p != nil {
				t.Fatal("payload returned with an error")
			}
			if !errors.Is(err, ErrNotJSON) && !errors.Is(err, ErrNotEnvelope) {
				t.Fatalf("error wraps neither sentinel: %v", err)
			}
			if errors.Is(err, ErrNotJSON) == json.Valid(body) {
				t.Fatalf("ErrNotJSON disagrees with json.Valid: %v", err)
			}
			return
		}
		if p.Object != ObjectWhatsApp {
			t.Fatalf("Object = %q", p.Object)
		}
		for _, pr := range p.Problems {
			if pr.Path == "" || pr.Reason == "" {
				t.Fatalf("empty problem %+v", pr)
			}
		}
		for _, m := range p.Messages() {
			checkMessage(t, p, m)
		}
		for _, s := range p.Statuses() {
			if !json.Valid(s.Raw) && s.Raw != nil {
				t.Fatalf("status Raw not JSON: %q", s.Raw)
			}
			if !s.Invalid && (s.ID == "" || StatusRank(s.Status) == 0 && s.Status != StatusFailed || s.Timestamp.IsZero()) {
				t.Fatalf("valid status lacks id, status or time: %+v", s)
			}
			if s.Invalid && len(p.ProblemsFor(s.Path)) == 0 {
				t.Fatalf("invalid status %s without a problem", s.Path)
			}
		}
		// Deterministic: the same body parses to the same value.
		again, err := Parse(body)
		if err != nil || !reflect.DeepEqual(p, again) {
			t.Fatalf("second parse differs (err %v)", err)
		}
		// Everything parsed is storable as JSON (times within year 9999, no NaN).
		if _, err := json.Marshal(p); err != nil {
			t.Fatalf("parsed payload does not marshal: %v", err)
		}
	})
}

func checkMessage(t *testing.T, p *Payload, m *Message) {
	t.Helper()
	if m.Type == "" {
		t.Fatalf("message %s has no type", m.Path)
	}
	if m.Raw != nil && !json.Valid(m.Raw) {
		t.Fatalf("message Raw not JSON: %q", m.Raw)
	}
	if !strings.HasPrefix(m.Path, "entry[") {
		t.Fatalf("bad path %q", m.Path)
	}
	if m.Invalid && len(p.ProblemsFor(m.Path)) == 0 {
		t.Fatalf("invalid message %s without a problem", m.Path)
	}
	if !m.Invalid && (m.ID == "" || m.SenderKey() == "" || m.Timestamp.IsZero()) {
		t.Fatalf("valid message lacks id, sender or time: %+v", m)
	}
	if y := m.Timestamp.Year(); !m.Timestamp.IsZero() && (y < 1970 || y > 9999 || m.Timestamp.Location() != time.UTC) {
		t.Fatalf("timestamp out of range: %v", m.Timestamp)
	}
	// The object matching Type is always there, so a switch on Type is safe.
	var obj bool
	switch m.Type {
	case TypeText:
		obj = m.Text != nil
	case TypeImage, TypeVideo, TypeAudio, TypeDocument, TypeSticker:
		obj = m.MediaObject() != nil
	case TypeLocation:
		obj = m.Location != nil
	case TypeContacts:
		obj = len(m.Contacts) > 0
	case TypeInteractive:
		obj = m.Interactive != nil
	case TypeButton:
		obj = m.Button != nil
	case TypeReaction:
		obj = m.Reaction != nil
	case TypeOrder:
		obj = m.Order != nil
	case TypeSystem:
		obj = m.System != nil
	case TypeUnsupported:
		obj = m.Unsupported != nil
	default:
		t.Fatalf("unexpected type %q", m.Type)
	}
	if !obj {
		t.Fatalf("message %s of type %s lacks its object", m.Path, m.Type)
	}
}

// FuzzScan checks the hand-written splitter against encoding/json on every
// valid input: same members (last duplicate wins), same element bytes.
func FuzzScan(f *testing.F) {
	for _, s := range []string{
		`{}`, `[]`, `{"a":1,"b":[1,{"c":"]}"}],"a":null}`, `[1, "x\"]", {"k" : [ ] } , true]`,
		`{"\u0074ype":"text","t\"x":{"body":"a \\\"}]\" b"}}`, " {\n\t\"a\" :\r 1e-3 } ",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		if !json.Valid(b) {
			return
		}
		switch kind(b) {
		case '{':
			fields, ok := splitObject(b)
			var want map[string]json.RawMessage
			if err := json.Unmarshal(b, &want); err != nil || !ok {
				t.Fatalf("split ok=%v, unmarshal err=%v", ok, err)
			}
			got := map[string]json.RawMessage{}
			for _, fl := range fields {
				got[fl.key] = fl.val
			}
			if !reflect.DeepEqual(got, want) {
				t.Fatalf("object members differ:\n got %q\nwant %q", got, want)
			}
		case '[':
			elems, ok := splitArray(b)
			var want []json.RawMessage
			if err := json.Unmarshal(b, &want); err != nil || !ok {
				t.Fatalf("split ok=%v, unmarshal err=%v", ok, err)
			}
			if len(elems) != len(want) {
				t.Fatalf("array lengths differ: %d vs %d", len(elems), len(want))
			}
			for i := range want {
				if string(elems[i]) != string(want[i]) {
					t.Fatalf("element %d: %q vs %q", i, elems[i], want[i])
				}
			}
		}
	})
}
