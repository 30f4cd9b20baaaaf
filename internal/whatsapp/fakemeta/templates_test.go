package fakemeta

import (
	"strconv"
	"strings"
	"testing"
	"time"
)

// templateHooks returns message_template_status_update values, in order.
func templateHooks(hs []hook) []map[string]any {
	var out []map[string]any
	for _, h := range hs {
		if get(h.json, "entry.0.changes.0.field") == "message_template_status_update" {
			out = append(out, h.json)
		}
	}
	return out
}

func welcome(name, body string) map[string]any {
	return map[string]any{
		"name": name, "language": "en_US", "category": "MARKETING",
		"components": []any{
			map[string]any{"type": "BODY", "text": body, "example": map[string]any{"body_text": [][]string{{"Ann"}}}},
		},
	}
}

func TestTemplateLifecycleWithWebhooks(t *testing.T) {
	e := newEnv(t, nil)
	path := "/v23.0/" + testWABA + "/message_templates"
	e.openWindow(testCustomer)

	status, resp := e.call("POST", path, testToken, welcome("welcome", "Hello {{1}}, welcome!"))
	if status != 200 {
		t.Fatalf("create: %d %v", status, resp)
	}
	wantKeys(t, "create response", resp, "id", "status", "category")
	if resp["status"] != "PENDING" || resp["category"] != "MARKETING" {
		t.Errorf("create response = %v", resp)
	}
	id := resp["id"].(string)

	send := map[string]any{"messaging_product": "whatsapp", "to": testCustomer, "type": "template", "template": map[string]any{
		"name": "welcome", "language": map[string]any{"code": "en_US"},
		"components": []any{map[string]any{"type": "body", "parameters": []any{map[string]any{"type": "text", "text": "Ann"}}}},
	}}
	status, resp = e.send(send)
	wantError(t, "pending template", status, resp, 404, 132001)

	// Listing (§7.1).
	status, list := e.call("GET", path+"?limit=10", testToken, nil)
	if status != 200 {
		t.Fatalf("list: %d %v", status, list)
	}
	wantKeys(t, "list item", get(list, "data.0"), "name", "parameter_format", "components", "language", "status", "category", "id")
	if get(list, "data.0.status") != "PENDING" || get(list, "data.0.parameter_format") != "POSITIONAL" {
		t.Errorf("list item = %v", get(list, "data.0"))
	}

	if err := e.fake.DecideTemplate(testWABA, id, "APPROVED", ""); err != nil {
		t.Fatal(err)
	}
	hs := e.rx.waitFor(t, "approval webhook", func(hs []hook) bool { return len(templateHooks(hs)) == 1 })
	env := templateHooks(hs)[0]
	wantKeys(t, "envelope", env, "object", "entry")
	wantKeys(t, "entry", get(env, "entry.0"), "id", "time", "changes")
	if get(env, "entry.0.id") != testWABA || get(env, "entry.0.time") != float64(e.clock.Now().Unix()) {
		t.Errorf("entry = %v", get(env, "entry.0"))
	}
	v := get(env, "entry.0.changes.0.value")
	wantKeys(t, "value", v, "event", "message_template_id", "message_template_name", "message_template_language", "reason", "message_template_category")
	if get(v, "event") != "APPROVED" || get(v, "reason") != "NONE" || get(v, "message_template_name") != "welcome" ||
		get(v, "message_template_language") != "en_US" || get(v, "message_template_category") != "MARKETING" {
		t.Errorf("value = %v", v)
	}
	if tid, ok := get(v, "message_template_id").(float64); !ok || tid <= 0 {
		t.Errorf("message_template_id must be a number: %v", get(v, "message_template_id"))
	}

	e.mustSend(send)
	status, one := e.call("GET", "/v23.0/"+id+"?fields=status", testToken, nil)
	if status != 200 || one["status"] != "APPROVED" || one["id"] != id {
		t.Errorf("GET template: %d %v", status, one)
	}
	wantKeys(t, "GET template", one, "id", "status")

	// Edit: back to review, so sends fail until approved again.
	status, resp = e.call("POST", "/v23.0/"+id, testToken, map[string]any{"components": welcome("", "Hi {{1}}, welcome back!")["components"]})
	if status != 200 || resp["success"] != true {
		t.Fatalf("edit: %d %v", status, resp)
	}
	status, resp = e.send(send)
	wantError(t, "template under review", status, resp, 404, 132001)
	status, resp = e.call("POST", "/v23.0/"+id, testToken, map[string]any{"category": "UTILITY"})
	wantError(t, "edit while pending", status, resp, 400, 100)

	// Paused and disabled templates have their own codes.
	_ = e.fake.DecideTemplate(testWABA, id, "PAUSED", "")
	status, resp = e.send(send)
	wantError(t, "paused", status, resp, 400, CodeTemplatePaused)
	_ = e.fake.DecideTemplate(testWABA, id, "DISABLED", "")
	status, resp = e.send(send)
	wantError(t, "disabled", status, resp, 400, CodeTemplateDisabled)
	status, resp = e.call("DELETE", path+"?name=welcome", testToken, nil)
	wantError(t, "delete disabled", status, resp, 400, 100)
	_ = e.fake.DecideTemplate(testWABA, id, "REINSTATED", "")

	status, resp = e.call("DELETE", path+"?name=welcome&hsm_id="+id, testToken, nil)
	if status != 200 || resp["success"] != true {
		t.Fatalf("delete: %d %v", status, resp)
	}
	if len(e.fake.Templates(testWABA)) != 0 {
		t.Errorf("template still listed after delete")
	}
	hs = e.rx.waitFor(t, "deleted webhook", func(hs []hook) bool {
		th := templateHooks(hs)
		return len(th) > 0 && get(th[len(th)-1], "entry.0.changes.0.value.event") == "DELETED"
	})
	var events []string
	for _, h := range templateHooks(hs) {
		events = append(events, get(h, "entry.0.changes.0.value.event").(string))
	}
	if strings.Join(events, ",") != "APPROVED,PAUSED,DISABLED,REINSTATED,DELETED" {
		t.Errorf("template events = %v", events)
	}
}

func TestTemplateAutomaticDecision(t *testing.T) {
	e := newEnv(t, func(c *Config) { c.TemplateDecisionDelay = 5 * time.Millisecond })
	path := "/v23.0/" + testWABA + "/message_templates"
	_, ok := e.call("POST", path, testToken, welcome("good_one", "Hello {{1}}, welcome!"))
	_, bad := e.call("POST", path, testToken, welcome("bad_one", "Hello {{1}}, REJECTME please"))
	hs := e.rx.waitFor(t, "two decisions", func(hs []hook) bool { return len(templateHooks(hs)) == 2 })
	byID := map[string]any{}
	for _, h := range templateHooks(hs) {
		v := get(h, "entry.0.changes.0.value")
		byID[templateIDString(get(v, "message_template_id"))] = v
	}
	if v := byID[ok["id"].(string)]; get(v, "event") != "APPROVED" || get(v, "rejection_info") != nil {
		t.Errorf("good template: %v", v)
	}
	v := byID[bad["id"].(string)]
	if get(v, "event") != "REJECTED" || get(v, "reason") != "INVALID_FORMAT" {
		t.Errorf("bad template: %v", v)
	}
	wantKeys(t, "rejection_info", get(v, "rejection_info"), "reason", "recommendation")
	for _, tm := range e.fake.Templates(testWABA) {
		want := map[string]string{"good_one": "APPROVED", "bad_one": "REJECTED"}[tm.Name]
		if tm.Status != want {
			t.Errorf("%s is %s, want %s", tm.Name, tm.Status, want)
		}
	}
	status, list := e.call("GET", path+"?status=REJECTED&fields=name,status,rejected_reason", testToken, nil)
	if status != 200 || len(get(list, "data").([]any)) != 1 || get(list, "data.0.rejected_reason") != "INVALID_FORMAT" {
		t.Errorf("filtered list: %d %v", status, list)
	}
}

// templateIDString renders message_template_id (a JSON number; 16-digit
// ids are exact in a float64) as the string id the API returned.
func templateIDString(v any) string {
	f, _ := v.(float64)
	return strconv.FormatInt(int64(f), 10)
}

func TestTemplateCreationValidation(t *testing.T) {
	e := newEnv(t, nil)
	path := "/v23.0/" + testWABA + "/message_templates"
	body := func(comps ...any) map[string]any {
		return map[string]any{"name": "t1", "language": "en_US", "category": "UTILITY", "components": comps}
	}
	bodyText := func(text string) map[string]any { return map[string]any{"type": "BODY", "text": text} }
	qr := func(label string) map[string]any { return map[string]any{"type": "QUICK_REPLY", "text": label} }
	urlB := map[string]any{"type": "URL", "text": "Open", "url": "https://example.com"}
	cases := []struct {
		name    string
		body    map[string]any
		subcode float64
	}{
		{"uppercase name", map[string]any{"name": "Bad Name", "language": "en_US", "category": "UTILITY", "components": []any{bodyText("hi")}}, 0},
		{"legacy category", map[string]any{"name": "t1", "language": "en_US", "category": "ALERT_UPDATE", "components": []any{bodyText("hi")}}, 0},
		{"bad language", map[string]any{"name": "t1", "language": "english", "category": "UTILITY", "components": []any{bodyText("hi")}}, 0},
		{"no body", body(map[string]any{"type": "FOOTER", "text": "f"}), 0},
		{"body too long", body(bodyText(strings.Repeat("x", 1025))), 2388040},
		{"leading variable", body(map[string]any{"type": "BODY", "text": "{{1}} is here", "example": map[string]any{"body_text": [][]string{{"a"}}}}), 2388299},
		{"gap in variables", body(map[string]any{"type": "BODY", "text": "Hi {{1}} and {{3}} ok", "example": map[string]any{"body_text": [][]string{{"a", "b"}}}}), 0},
		{"missing example", body(bodyText("Hi {{1}} ok")), 0},
		{"header too long", body(map[string]any{"type": "HEADER", "format": "TEXT", "text": strings.Repeat("h", 61)}, bodyText("hi")), 2388040},
		{"media header without handle", body(map[string]any{"type": "HEADER", "format": "IMAGE"}, bodyText("hi")), 0},
		{"footer with variable", body(bodyText("hi"), map[string]any{"type": "FOOTER", "text": "f {{1}}"}), 2388073},
		{"eleven buttons", body(bodyText("hi"), map[string]any{"type": "BUTTONS", "buttons": []any{qr("1"), qr("2"), qr("3"), qr("4"), qr("5"), qr("6"), qr("7"), qr("8"), qr("9"), qr("10"), qr("11")}}), 0},
		{"three URL buttons", body(bodyText("hi"), map[string]any{"type": "BUTTONS", "buttons": []any{urlB, urlB, urlB}}), 0},
		{"quick replies split", body(bodyText("hi"), map[string]any{"type": "BUTTONS", "buttons": []any{qr("a"), urlB, qr("b")}}), 0},
		{"button label 26", body(bodyText("hi"), map[string]any{"type": "BUTTONS", "buttons": []any{qr(strings.Repeat("l", 26))}}), 0},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			status, resp := e.call("POST", path, testToken, c.body)
			wantError(t, c.name, status, resp, 400, 100)
			if c.subcode != 0 && get(resp, "error.error_subcode") != c.subcode {
				t.Errorf("subcode = %v, want %v", get(resp, "error.error_subcode"), c.subcode)
			}
		})
	}
	// Valid: QR,QR,URL,PHONE (§7.3's example of a valid order).
	ok := body(bodyText("hi"), map[string]any{"type": "BUTTONS", "buttons": []any{qr("a"), qr("b"), urlB,
		map[string]any{"type": "PHONE_NUMBER", "text": "Call", "phone_number": "+15550783881"}}})
	if status, resp := e.call("POST", path, testToken, ok); status != 200 {
		t.Fatalf("valid template: %d %v", status, resp)
	}
	status, resp := e.call("POST", path, testToken, ok)
	wantError(t, "duplicate name and language", status, resp, 400, 100)

	status, resp = e.call("POST", "/v23.0/"+otherWABA+"/message_templates", testToken, ok)
	wantError(t, "another WABA's token", status, resp, 401, 190)
}

func TestTemplateLimitAndNamedParameters(t *testing.T) {
	e := newEnv(t, func(c *Config) { c.TemplateLimit = 2 })
	path := "/v23.0/" + testWABA + "/message_templates"
	named := map[string]any{
		"name": "named_one", "language": "it", "category": "UTILITY", "parameter_format": "named",
		"components": []any{map[string]any{"type": "BODY", "text": "Ciao {{first_name}}, ordine {{order}} pronto.",
			"example": map[string]any{"body_text_named_params": []any{
				map[string]any{"param_name": "first_name", "example": "Ann"},
				map[string]any{"param_name": "order", "example": "42"},
			}}}},
	}
	e.approvedTemplate(named)
	e.approvedTemplate(welcome("second", "Hello {{1}}, welcome!"))
	status, resp := e.call("POST", path, testToken, welcome("third", "Hello {{1}}, welcome!"))
	wantError(t, "limit", status, resp, 400, 100)
	if get(resp, "error.error_subcode") != float64(2388019) {
		t.Errorf("limit subcode = %v", get(resp, "error.error_subcode"))
	}

	e.openWindow(testCustomer)
	send := func(params ...any) (int, map[string]any) {
		return e.send(map[string]any{"messaging_product": "whatsapp", "to": testCustomer, "type": "template", "template": map[string]any{
			"name": "named_one", "language": map[string]any{"code": "it"},
			"components": []any{map[string]any{"type": "body", "parameters": params}},
		}})
	}
	p := func(name, text string) map[string]any {
		return map[string]any{"type": "text", "parameter_name": name, "text": text}
	}
	status, resp = send(p("order", "42"), p("first_name", "Ann"))
	if status != 200 {
		t.Fatalf("named send: %d %v", status, resp)
	}
	evs := e.fake.Conversation(testPN, testCustomer)
	if got := evs[len(evs)-1].Text; got != "Ciao Ann, ordine 42 pronto." {
		t.Errorf("rendered %q", got)
	}
	status, resp = send(p("first_name", "Ann"), p("wrong", "42"))
	wantError(t, "unknown parameter name", status, resp, 400, 132000)
	status, resp = send(p("first_name", "Ann"), p("order", "line\nbreak"))
	wantError(t, "newline in parameter", status, resp, 400, CodeTemplateParamText)
	status, resp = send(p("first_name", "Ann"), map[string]any{"type": "image", "parameter_name": "order", "image": map[string]any{"link": "https://x/y.jpg"}})
	wantError(t, "image in body", status, resp, 400, CodeTemplateParamFormat)
}
