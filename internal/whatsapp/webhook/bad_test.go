package webhook

import (
	"errors"
	"strings"
	"testing"
)

func TestParseRejectsNonEnvelopes(t *testing.T) {
	cases := []struct {
		name string
		body string
		want error
	}{
		{"empty", "", ErrNotJSON},
		{"spaces", "  \n", ErrNotJSON},
		{"not json", string(load(t, "bad/not_json.txt")), ErrNotJSON},
		{"trailing garbage", `{"object":"whatsapp_business_account","entry":[]} x`, ErrNotJSON},
		{"two values", `{"object":"whatsapp_business_account","entry":[]}{}`, ErrNotJSON},
		{"json array", string(load(t, "bad/array.json")), ErrNotEnvelope},
		{"json null", "null", ErrNotEnvelope},
		{"json string", `"whatsapp_business_account"`, ErrNotEnvelope},
		{"json number", "12", ErrNotEnvelope},
		{"missing object", string(load(t, "bad/missing_object.json")), ErrNotEnvelope},
		{"object not a string", `{"object":1,"entry":[]}`, ErrNotEnvelope},
		{"other object", string(load(t, "bad/wrong_object.json")), ErrNotEnvelope},
		{"entry not array", string(load(t, "bad/entry_not_array.json")), ErrNotEnvelope},
		{"entry missing", `{"object":"whatsapp_business_account"}`, ErrNotEnvelope},
		{"entry null", `{"object":"whatsapp_business_account","entry":null}`, ErrNotEnvelope},
		{"too deep", strings.Repeat("[", 20000) + strings.Repeat("]", 20000), ErrNotJSON},
		{"too deep object", `{"object":"whatsapp_business_account","entry":[` + strings.Repeat(`{"a":`, 20000) + "1" + strings.Repeat("}", 20000) + "]}", ErrNotJSON},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			p, err := Parse([]byte(c.body))
			if !errors.Is(err, c.want) || p != nil {
				t.Errorf("Parse = %v, %v; want %v", p, err, c.want)
			}
		})
	}
}

func TestParseEmptyEntry(t *testing.T) {
	p, err := Parse([]byte(`{"object":"whatsapp_business_account","entry":[]}`))
	if err != nil || len(p.Entries) != 0 || len(p.Problems) != 0 {
		t.Fatalf("%v %v", p, err)
	}
}

func TestParseItemProblems(t *testing.T) {
	const m0 = "entry[0].changes[0].value.messages[0]"
	const m1 = "entry[0].changes[0].value.messages[1]"
	t.Run("message missing id", func(t *testing.T) {
		p := mustParse(t, "bad/message_missing_id.json")
		v := onlyValue(t, p)
		if !v.Messages[0].Invalid || !hasProblem(p, m0, "missing id") {
			t.Errorf("first: %s %v", js(v.Messages[0]), p.Problems)
		}
		// The invalid message keeps what it had, the next one is untouched.
		if v.Messages[0].Text == nil || v.Messages[0].Text.Body != "no id" || v.Messages[1].Invalid || v.Messages[1].Text.Body != "still here" {
			t.Errorf("messages: %s", js(v.Messages))
		}
		if len(p.ProblemsFor(m1)) != 0 || len(p.ProblemsFor(m0)) != 1 {
			t.Errorf("ProblemsFor: %v / %v", p.ProblemsFor(m0), p.ProblemsFor(m1))
		}
	})
	t.Run("image without image object", func(t *testing.T) {
		p := mustParse(t, "bad/image_without_object.json")
		v := onlyValue(t, p)
		m := v.Messages[0]
		if !m.Invalid || m.Type != TypeUnsupported || m.Unsupported == nil || m.Unsupported.SentType != TypeImage || m.MediaObject() != nil {
			t.Errorf("got %s", js(m))
		}
		if !hasProblem(p, m0, `type "image" without "image" object`) || v.Messages[1].Invalid {
			t.Errorf("problems %v", p.Problems)
		}
	})
	t.Run("status with bogus value", func(t *testing.T) {
		p := mustParse(t, "bad/status_bogus.json")
		v := onlyValue(t, p)
		s := v.Statuses[0]
		if !s.Invalid || s.Status != "bogus" || s.ID != fxStatID || !hasProblem(p, "entry[0].changes[0].value.statuses[0]", `unknown status "bogus"`) {
			t.Errorf("got %s %v", js(s), p.Problems)
		}
		if v.Statuses[1].Invalid || v.Statuses[1].Status != StatusRead || v.Statuses[1].ID != "wamid.OK" {
			t.Errorf("second status: %s", js(v.Statuses[1]))
		}
	})
	t.Run("timestamp not unix seconds", func(t *testing.T) {
		p := mustParse(t, "bad/bad_timestamp.json")
		v := onlyValue(t, p)
		if !v.Messages[0].Invalid || !v.Messages[0].Timestamp.IsZero() || !hasProblem(p, m0+".timestamp", "want unix seconds") {
			t.Errorf("got %s %v", js(v.Messages[0]), p.Problems)
		}
		if v.Messages[1].Invalid {
			t.Errorf("second message invalid")
		}
	})
	t.Run("huge numbers", func(t *testing.T) {
		p := mustParse(t, "bad/huge_numbers.json")
		e := p.Entries[0]
		if e.WABAID != "12345678901234567890123" || !e.Time.IsZero() || !hasProblem(p, "entry[0].time", "want unix seconds") {
			t.Errorf("entry: %s %v", js(e), p.Problems)
		}
		v := e.Changes[0].Messages
		loc := v.Messages[0]
		if !loc.Invalid || loc.Location == nil || loc.Location.Latitude != 0 || loc.Location.Longitude != -1e308 {
			t.Errorf("location: %s", js(loc))
		}
		for _, want := range []struct{ path, reason string }{
			{m0 + ".timestamp", "want unix seconds"},
			{m0 + ".location.latitude", "finite number"},
			{m1 + ".order.product_items[0].quantity", "integer in range"},
			{"entry[0].changes[0].value.statuses[0].errors[0].code", "integer in range"},
		} {
			if !hasProblem(p, want.path, want.reason) {
				t.Errorf("no problem %s: %s in %v", want.path, want.reason, p.Problems)
			}
		}
		ord := v.Messages[1]
		if ord.Invalid || ord.Order.CatalogID != "123456789012345678901234567890" || ord.Order.Items[0].ItemPrice != 1.5 {
			t.Errorf("order: %s", js(ord))
		}
	})
	t.Run("nulls everywhere", func(t *testing.T) {
		p := mustParse(t, "bad/nulls.json")
		if len(p.Entries) != 2 {
			t.Fatalf("entries: %s", js(p.Entries))
		}
		for _, want := range []struct{ path, reason string }{
			{"entry[0]", "null"},
			{"entry[1]", "missing id"},
			{"entry[1]", "missing changes"},
			{"entry[2].changes[0]", "null"},
			{"entry[2].changes[1]", "missing field"},
			{"entry[2].changes[2].value", "missing value"},
			{"entry[2].changes[3].value.messages[0]", "null"},
			{"entry[2].changes[3].value.messages[1]", "missing id"},
			{"entry[2].changes[3].value.messages[1]", "missing type"},
			{"entry[2].changes[3].value.messages[2]", `without "text" object`},
			{"entry[2].changes[3].value.messages[3]", "interactive without type"},
			{"entry[2].changes[3].value.statuses[0]", "null"},
			{"entry[2].changes[3].value.statuses[1]", "missing status"},
			{"entry[2].changes[3].value.metadata", "missing phone_number_id"},
		} {
			if !hasProblem(p, want.path, want.reason) {
				t.Errorf("no problem %s: %s", want.path, want.reason)
			}
		}
		// Null entries and changes are skipped, so slice indexes run behind
		// the indexes in paths: Entries[1] is entry[2], its Changes[2] is changes[3].
		v := p.Entries[1].Changes[2].Messages
		if len(v.Messages) != 6 || len(v.Statuses) != 2 {
			t.Fatalf("items: %s", js(v))
		}
		for i, m := range v.Messages {
			if m.Type == "" {
				t.Errorf("messages[%d] has no type", i)
			}
		}
		if m := v.Messages[4]; m.Invalid || len(m.Contacts) != 1 {
			t.Errorf("contacts with a null card: %s", js(m))
		}
		if m := v.Messages[5]; m.Invalid || len(m.Order.Items) != 1 {
			t.Errorf("order with a null item: %s", js(m))
		}
		if s := v.Statuses[1]; s.Pricing == nil || s.Pricing.Billable != nil {
			t.Errorf("null billable must stay unknown: %s", js(s))
		}
		if ts := p.Entries[1].Changes[3].TemplateStatus; ts == nil || ts.TemplateID != "" {
			t.Errorf("template status with nulls: %s", js(ts))
		}
	})
	t.Run("wrong kinds", func(t *testing.T) {
		p := mustParse(t, "bad/wrong_kinds.json")
		v := p.Entries[0].Changes[0].Messages
		if v == nil || len(v.Messages) != 10 || len(p.Entries[0].Changes) != 2 {
			t.Fatalf("got %s", js(p.Entries))
		}
		ms := v.Messages
		for i, want := range []bool{true, true, false, true, true, true, true, true, true, true} {
			if ms[i].Invalid != want {
				t.Errorf("messages[%d].Invalid = %v: %v", i, ms[i].Invalid, p.ProblemsFor(ms[i].Path))
			}
		}
		// A wrong field costs that field only.
		if ms[2].Text == nil || ms[2].Text.Body != "" || ms[2].Context != nil || ms[2].Referral != nil {
			t.Errorf("messages[2]: %s", js(ms[2]))
		}
		if ms[9].Sticker == nil || ms[9].Sticker.Animated {
			t.Errorf("messages[9]: %s", js(ms[9]))
		}
		const base = "entry[0].changes[0].value."
		for _, want := range []struct{ path, reason string }{
			{base + "metadata", "want object, got array"},
			{base + "contacts", "want array, got string"},
			{base + "statuses", "want array, got object"},
			{base + "messages[0]", "want object, got string"},
			{base + "messages[1]", "want object, got number"},
			{base + "messages[2].text.body", "want string, got object"},
			{base + "messages[2].context", "want object, got string"},
			{base + "messages[3].timestamp", "want number, got boolean"},
			{base + "messages[3].type", "want string, got array"},
			{base + "messages[4].image", "want object, got string"},
			{base + "messages[5]", "image without id or url"},
			{base + "messages[6]", "reaction without message_id"},
			{base + "messages[7]", `interactive "list_reply" without its reply object`},
			{base + "messages[8]", "missing sender"},
			{base + "messages[9].timestamp", "want unix seconds"},
			{base + "messages[9].sticker.animated", "want boolean"},
			{base + "errors[0].code", "integer in range"},
			{"entry[0].changes[1]", "want object, got string"},
			{"entry[0].changes[2]", "missing field"},
			{"entry[1]", "want object, got number"},
		} {
			if !hasProblem(p, want.path, want.reason) {
				t.Errorf("no problem %s: %s", want.path, want.reason)
			}
		}
		if t.Failed() {
			for _, pr := range p.Problems {
				t.Log(pr)
			}
		}
	})
}

// Problem reasons quote bad values cut short, so a hostile body cannot
// flood the logs through them.
func TestProblemReasonsAreBounded(t *testing.T) {
	long := strings.Repeat("9", 5000)
	p, err := Parse([]byte(`{"object":"whatsapp_business_account","entry":[{"id":"1","changes":[{"field":"messages","value":{"metadata":{"phone_number_id":"1"},"statuses":[{"id":"x","status":"` + long + `","timestamp":"` + long + `"}]}}]}]}`))
	if err != nil {
		t.Fatal(err)
	}
	if len(p.Problems) != 2 {
		t.Fatalf("problems: %v", p.Problems)
	}
	for _, pr := range p.Problems {
		if len(pr.Reason) > 100 {
			t.Errorf("reason too long (%d bytes)", len(pr.Reason))
		}
	}
}

func TestParseDoesNotRetainBody(t *testing.T) {
	body := load(t, "text.json")
	p, err := Parse(body)
	if err != nil {
		t.Fatal(err)
	}
	for i := range body {
		body[i] = ' '
	}
	m := p.Entries[0].Changes[0].Messages.Messages[0]
	if !strings.Contains(string(m.Raw), "blue jacket") || !strings.Contains(string(p.Entries[0].Changes[0].Raw), "blue jacket") {
		t.Errorf("Raw aliases the caller's buffer: %s", m.Raw)
	}
}

// Keys may be written with escapes and repeated; like encoding/json, the
// decoded key counts and the last duplicate wins. Brackets and quotes inside
// strings must not confuse the splitter.
func TestParseEscapedAndDuplicateKeys(t *testing.T) {
	body := `{"object":"whatsapp_business_account","entry":[{"id":"1","changes":[{"field":"messages","value":{"metadata":{"phone_number_id":"1"},` +
		`"messages":[{"from":"1","id":"wamid.first","timestamp":"1","\u0074ype":"text","text":{"body":"a \"}]\" b \\"},"id":"wamid.last"}]}}]}]}`
	p, err := Parse([]byte(body))
	if err != nil || len(p.Problems) != 0 {
		t.Fatal(err, p.Problems)
	}
	m := p.Entries[0].Changes[0].Messages.Messages[0]
	if m.ID != "wamid.last" || m.Type != TypeText || m.Text.Body != `a "}]" b \` {
		t.Errorf("got %s", js(m))
	}
}
