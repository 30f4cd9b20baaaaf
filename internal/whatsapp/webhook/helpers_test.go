package webhook

import (
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"
)

// Values shared by the fixtures (Meta's own example IDs).
const (
	fxWABA    = "102290129340398"
	fxPNID    = "106540352242922"
	fxDisplay = "15550783881"
	fxUser    = "16505551234"
	fxName    = "Kerry Fisher"
	fxMsgID   = "wamid.HBgLMTY1MDU1NTEyMzQVAgASGBQzQUZBRTNEMDAwMDAwMDAwMDAw1"
	fxStatID  = "wamid.HBgLMTY1MDU1NTEyMzQVAgARGBI1RjQ0QkY2NkI0RUQ4OUE0NDUA"
)

var fxTime = time.Unix(1749416383, 0).UTC()

func load(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// mustParse parses a fixture and fails the test on an envelope error.
func mustParse(t *testing.T, name string) *Payload {
	t.Helper()
	p, err := Parse(load(t, name))
	if err != nil {
		t.Fatalf("Parse(%s): %v", name, err)
	}
	return p
}

// onlyValue asserts the usual single-entry, single-change messages payload
// for fxPNID and returns its value.
func onlyValue(t *testing.T, p *Payload) *MessagesValue {
	t.Helper()
	if len(p.Entries) != 1 || len(p.Entries[0].Changes) != 1 {
		t.Fatalf("want 1 entry with 1 change, got %s", js(p.Entries))
	}
	e := p.Entries[0]
	if e.WABAID != fxWABA {
		t.Errorf("WABAID = %q", e.WABAID)
	}
	c := e.Changes[0]
	if c.Messages == nil {
		t.Fatalf("change %q has no Messages value", c.Field)
	}
	v := c.Messages
	if v.MessagingProduct != "whatsapp" || v.Metadata != (Metadata{DisplayPhoneNumber: fxDisplay, PhoneNumberID: fxPNID}) {
		t.Errorf("envelope: %q %+v", v.MessagingProduct, v.Metadata)
	}
	return v
}

// onlyMessage asserts exactly one valid message from fxUser.
func onlyMessage(t *testing.T, p *Payload) Message {
	t.Helper()
	v := onlyValue(t, p)
	if len(v.Messages) != 1 {
		t.Fatalf("want 1 message, got %d", len(v.Messages))
	}
	m := v.Messages[0]
	if m.Invalid {
		t.Errorf("message invalid: %v", p.ProblemsFor(m.Path))
	}
	if m.Path != "entry[0].changes[0].value.messages[0]" {
		t.Errorf("Path = %q", m.Path)
	}
	if !json.Valid(m.Raw) || !strings.Contains(string(m.Raw), m.ID) {
		t.Errorf("Raw does not hold the message: %s", m.Raw)
	}
	return m
}

// onlyStatus asserts exactly one valid status.
func onlyStatus(t *testing.T, p *Payload) Status {
	t.Helper()
	v := onlyValue(t, p)
	if len(v.Statuses) != 1 || len(v.Messages) != 0 || len(v.Contacts) != 0 {
		t.Fatalf("want 1 status and nothing else, got %s", js(v))
	}
	s := v.Statuses[0]
	if s.Invalid || !json.Valid(s.Raw) {
		t.Errorf("status invalid or raw lost: %v %s", p.ProblemsFor(s.Path), s.Raw)
	}
	return s
}

// only returns the single change of a single-entry payload.
func only(t *testing.T, p *Payload) Change {
	t.Helper()
	if len(p.Entries) != 1 || len(p.Entries[0].Changes) != 1 {
		t.Fatalf("want 1 entry with 1 change, got %s", js(p.Entries))
	}
	return p.Entries[0].Changes[0]
}

// msg is the expected common part of a fixture message from fxUser.
func msg(typ string) Message {
	return Message{ID: fxMsgID, From: fxUser, Timestamp: fxTime, Type: typ}
}

// sameMessage compares everything but Raw and Path, which are checked
// elsewhere; on mismatch both sides are shown as JSON.
func sameMessage(t *testing.T, got, want Message) {
	t.Helper()
	got.Raw, got.Path = nil, ""
	for i := range got.Contacts {
		got.Contacts[i].Raw = nil
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("message mismatch\n got: %s\nwant: %s", js(got), js(want))
	}
}

func sameStatus(t *testing.T, got, want Status) {
	t.Helper()
	got.Raw, got.Path = nil, ""
	if !reflect.DeepEqual(got, want) {
		t.Errorf("status mismatch\n got: %s\nwant: %s", js(got), js(want))
	}
}

func js(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		return err.Error()
	}
	return string(b)
}

func ptr[T any](v T) *T { return &v }

// hasProblem reports whether p recorded a problem at exactly path whose
// reason contains substr.
func hasProblem(p *Payload, path, substr string) bool {
	for _, pr := range p.Problems {
		if pr.Path == path && strings.Contains(pr.Reason, substr) {
			return true
		}
	}
	return false
}
