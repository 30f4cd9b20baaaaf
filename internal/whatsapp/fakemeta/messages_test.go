package fakemeta

import (
	"context"
	"strings"
	"testing"
	"time"
)

// orderTemplate is Meta's own example (§4.2): image header (its sample
// uploaded through the Resumable Upload API), two body parameters, a quick
// reply and a URL button.
func (e *env) orderTemplate() map[string]any {
	e.t.Helper()
	handle := e.sampleHandle("image/jpeg", jpegBytes)
	return map[string]any{
		"name": "order_confirmation", "language": "en_US", "category": "UTILITY",
		"components": []any{
			map[string]any{"type": "HEADER", "format": "IMAGE", "example": map[string]any{"header_handle": []string{handle}}},
			map[string]any{"type": "BODY", "text": "Hi {{1}}, your order {{2}} is confirmed.", "example": map[string]any{"body_text": [][]string{{"Jessica", "SKBUP2"}}}},
			map[string]any{"type": "FOOTER", "text": "Thanks for shopping"},
			map[string]any{"type": "BUTTONS", "buttons": []any{
				map[string]any{"type": "QUICK_REPLY", "text": "Stop updates"},
				map[string]any{"type": "URL", "text": "Track", "url": "https://example.com/track/{{1}}", "example": []string{"https://example.com/track/abc"}},
			}},
		},
	}
}

func orderSend(to, imageID string) map[string]any {
	return map[string]any{
		"messaging_product": "whatsapp", "to": to, "type": "template",
		"template": map[string]any{
			"name": "order_confirmation", "language": map[string]any{"code": "en_US"},
			"components": []any{
				map[string]any{"type": "header", "parameters": []any{map[string]any{"type": "image", "image": map[string]any{"id": imageID}}}},
				map[string]any{"type": "body", "parameters": []any{
					map[string]any{"type": "text", "text": "Jessica"},
					map[string]any{"type": "text", "text": "SKBUP2-4CPIG9"},
				}},
				map[string]any{"type": "button", "sub_type": "quick_reply", "index": "0", "parameters": []any{map[string]any{"type": "payload", "payload": "STOP"}}},
				map[string]any{"type": "button", "sub_type": "url", "index": 1, "parameters": []any{map[string]any{"type": "text", "text": "SKBUP2"}}},
			},
		},
	}
}

func TestEverySendTypeAcceptedWithMetaResponse(t *testing.T) {
	e := newEnv(t, nil)
	inbound := e.openWindow(testCustomer)
	img := e.mustUpload("image/jpeg", jpegBytes)
	vid := e.mustUpload("video/mp4", mp4Bytes)
	aud := e.mustUpload("audio/ogg; codecs=opus", oggBytes)
	doc := e.mustUpload("application/pdf", pdfBytes)
	stk := e.mustUpload("image/webp", webpBytes)
	e.approvedTemplate(e.orderTemplate())

	base := func(typ string, obj any) map[string]any {
		return map[string]any{"messaging_product": "whatsapp", "recipient_type": "individual", "to": "+1 (650) 555-1234", "type": typ, typ: obj}
	}
	cases := map[string]map[string]any{
		"text":          base("text", map[string]any{"preview_url": true, "body": "See https://example.com"}),
		"image by id":   base("image", map[string]any{"id": img, "caption": "your receipt"}),
		"image by link": base("image", map[string]any{"link": "https://example.com/a.jpg"}),
		"video":         base("video", map[string]any{"id": vid, "caption": "demo"}),
		"audio":         base("audio", map[string]any{"id": aud}),
		"document":      base("document", map[string]any{"id": doc, "caption": "invoice", "filename": "invoice.pdf"}),
		"sticker":       base("sticker", map[string]any{"id": stk}),
		"location":      base("location", map[string]any{"latitude": 37.48, "longitude": -122.15, "name": "HQ", "address": "1 Hacker Way"}),
		"contacts": base("contacts", []any{map[string]any{
			"name":   map[string]any{"formatted_name": "Jessica Laverdetman", "first_name": "Jessica"},
			"phones": []any{map[string]any{"phone": "+1 555-555-5555", "type": "CELL", "wa_id": "15555555555"}},
		}}),
		"interactive buttons": base("interactive", map[string]any{
			"type": "button", "header": map[string]any{"type": "image", "image": map[string]any{"id": img}},
			"body": map[string]any{"text": "Pick one"}, "footer": map[string]any{"text": "footer"},
			"action": map[string]any{"buttons": []any{
				map[string]any{"type": "reply", "reply": map[string]any{"id": "yes", "title": "Yes"}},
				map[string]any{"type": "reply", "reply": map[string]any{"id": "no", "title": "No"}},
				map[string]any{"type": "reply", "reply": map[string]any{"id": "later", "title": "Twenty chars exactly"}},
			}},
		}),
		"interactive list": base("interactive", map[string]any{
			"type": "list", "header": map[string]any{"type": "text", "text": "Menu"}, "body": map[string]any{"text": "Choose"},
			"action": map[string]any{"button": "Options", "sections": []any{
				map[string]any{"title": "A", "rows": []any{map[string]any{"id": "a1", "title": "First", "description": "the first"}}},
				map[string]any{"title": "B", "rows": []any{map[string]any{"id": "b1", "title": "Second"}}},
			}},
		}),
		"reaction":        base("reaction", map[string]any{"message_id": inbound, "emoji": "👍"}),
		"reaction remove": base("reaction", map[string]any{"message_id": inbound, "emoji": ""}),
		"template":        orderSend("+16505551234", img),
	}
	reply := base("text", map[string]any{"body": "replying"})
	reply["context"] = map[string]any{"message_id": inbound}
	cases["context reply"] = reply

	for name, body := range cases {
		t.Run(name, func(t *testing.T) {
			status, resp := e.send(body)
			if status != 200 {
				t.Fatalf("HTTP %d: %v", status, resp)
			}
			wantKeys(t, "response", resp, "messaging_product", "contacts", "messages")
			if resp["messaging_product"] != "whatsapp" {
				t.Errorf("messaging_product = %v", resp["messaging_product"])
			}
			wantKeys(t, "contacts[0]", get(resp, "contacts.0"), "input", "wa_id")
			if get(resp, "contacts.0.input") != body["to"] || get(resp, "contacts.0.wa_id") != testCustomer {
				t.Errorf("contacts[0] = %v, want input %v and wa_id %s", get(resp, "contacts.0"), body["to"], testCustomer)
			}
			id, _ := get(resp, "messages.0.id").(string)
			if !strings.HasPrefix(id, "wamid.") {
				t.Errorf("message id %q is not a wamid", id)
			}
			if name == "template" {
				wantKeys(t, "messages[0]", get(resp, "messages.0"), "id", "message_status")
				if get(resp, "messages.0.message_status") != "accepted" {
					t.Errorf("message_status = %v", get(resp, "messages.0.message_status"))
				}
			} else {
				wantKeys(t, "messages[0]", get(resp, "messages.0"), "id")
			}
		})
	}
	// The customer sees what the template rendered to.
	var tmpl *Event
	for _, ev := range e.fake.Conversation(testPN, testCustomer) {
		if ev.Type == "template" {
			tmpl = &ev
		}
	}
	if tmpl == nil || tmpl.Text != "Hi Jessica, your order SKBUP2-4CPIG9 is confirmed.\nThanks for shopping" {
		t.Fatalf("template event = %+v", tmpl)
	}
	if len(tmpl.Choices) != 2 || tmpl.Choices[0] != (Choice{Kind: ChoiceQuickReply, ID: "STOP", Title: "Stop updates"}) ||
		tmpl.Choices[1].ID != "https://example.com/track/SKBUP2" {
		t.Errorf("template choices = %+v", tmpl.Choices)
	}
	if tmpl.Media == nil || tmpl.Media.ID != img || tmpl.Media.MIMEType != "image/jpeg" {
		t.Errorf("template media = %+v", tmpl.Media)
	}
}

func TestErrorCodesWithMetaErrorBody(t *testing.T) {
	e := newEnv(t, func(c *Config) {
		c.PairRate = 6 * time.Second
		c.Throughput = 3
	})
	e.openWindow(testCustomer)
	e.approvedTemplate(e.orderTemplate())
	img := e.mustUpload("image/jpeg", jpegBytes)
	path := "/v23.0/" + testPN + "/messages"

	t.Run("190 without token", func(t *testing.T) {
		status, body := e.call("POST", path, "", text(testCustomer, "hi"))
		wantError(t, "no token", status, body, 401, 190)
	})
	t.Run("190 unknown token", func(t *testing.T) {
		status, body := e.call("POST", path, "not-a-token", text(testCustomer, "hi"))
		wantError(t, "bad token", status, body, 401, 190)
	})
	t.Run("190 token of another WABA", func(t *testing.T) {
		status, body := e.call("POST", path, otherToken, text(testCustomer, "hi"))
		wantError(t, "other WABA", status, body, 401, 190)
	})
	t.Run("100 unknown phone number id", func(t *testing.T) {
		status, body := e.call("POST", "/v23.0/999999999/messages", testToken, text(testCustomer, "hi"))
		wantError(t, "unknown id", status, body, 400, 100)
		if get(body, "error.type") != "GraphMethodException" || get(body, "error.error_subcode") != float64(33) {
			t.Errorf("unknown id error = %v", body)
		}
	})
	t.Run("100 invalid body", func(t *testing.T) {
		status, body := e.send(map[string]any{"messaging_product": "whatsapp", "to": testCustomer, "type": "text", "text": map[string]any{}})
		wantError(t, "no body", status, body, 400, 100)
		if d, _ := get(body, "error.error_data.details").(string); !strings.Contains(d, "text['body']") {
			t.Errorf("details %q should name the parameter", d)
		}
	})
	t.Run("132001 template missing", func(t *testing.T) {
		b := orderSend(testCustomer, img)
		b["template"].(map[string]any)["language"] = map[string]any{"code": "it"}
		status, body := e.send(b)
		wantError(t, "missing language", status, body, 404, 132001)
	})
	t.Run("132000 parameter count", func(t *testing.T) {
		b := orderSend(testCustomer, img)
		comps := b["template"].(map[string]any)["components"].([]any)
		comps[1] = map[string]any{"type": "body", "parameters": []any{map[string]any{"type": "text", "text": "only one"}}}
		status, body := e.send(b)
		wantError(t, "param count", status, body, 400, 132000)
	})
	t.Run("131053 unknown media id", func(t *testing.T) {
		status, body := e.send(map[string]any{"messaging_product": "whatsapp", "to": testCustomer, "type": "image", "image": map[string]any{"id": "123456"}})
		wantError(t, "unknown media", status, body, 400, 131053)
	})
	t.Run("131053 media of the wrong kind", func(t *testing.T) {
		pdf := e.mustUpload("application/pdf", pdfBytes)
		status, body := e.send(map[string]any{"messaging_product": "whatsapp", "to": testCustomer, "type": "image", "image": map[string]any{"id": pdf}})
		wantError(t, "pdf as image", status, body, 400, 131053)
	})
	t.Run("131056 pair rate then 130429 throughput", func(t *testing.T) {
		e.mustSend(text(testCustomer, "one"))
		status, body := e.send(text(testCustomer, "two"))
		wantError(t, "pair rate", status, body, 400, 131056)
		e.clock.Advance(6 * time.Second)
		e.mustSend(text(testCustomer, "after the gap"))
		// Throughput 3/s counts inbound too: five customers write now, so
		// nothing more fits in this second; two seconds later three sends
		// fit and the fourth is refused.
		for _, c := range []string{"16505550001", "16505550002", "16505550003", "16505550004", "16505550005"} {
			e.openWindow(c)
		}
		status, body = e.send(text(testCustomer, "x"))
		wantError(t, "throughput after inbound", status, body, 400, 130429)
		e.clock.Advance(2 * time.Second)
		e.mustSend(text("16505550001", "a"))
		e.mustSend(text("16505550002", "b"))
		e.mustSend(text("16505550003", "c"))
		status, body = e.send(text("16505550004", "d"))
		wantError(t, "throughput", status, body, 400, 130429)
		if get(body, "error.error_subcode") != float64(2494055) {
			t.Errorf("130429 subcode = %v", get(body, "error.error_subcode"))
		}
		e.clock.Advance(time.Second)
		e.mustSend(text("16505550005", "within the limit again"))
	})
	t.Run("131047 synchronously when configured", func(t *testing.T) {
		e2 := newEnv(t, func(c *Config) { c.ErrorModes = map[int]ErrorMode{CodeReengagement: ErrorSync} })
		status, body := e2.send(text(testCustomer, "hi"))
		wantError(t, "window closed", status, body, 400, 131047)
	})
}

func TestWindowClosedFailsAsynchronouslyByDefault(t *testing.T) {
	e := newEnv(t, nil)
	// No inbound message at all: the window was never open.
	wamid := e.mustSend(text(testCustomer, "hello?"))
	hs := e.rx.waitFor(t, "failed status", func(hs []hook) bool { return len(statusHooks(hs, wamid)) == 1 })
	st := statusHooks(hs, wamid)[0]
	if st["status"] != "failed" {
		t.Fatalf("status = %v", st)
	}
	wantKeys(t, "failed status", st, "id", "status", "timestamp", "recipient_id", "errors")
	wantKeys(t, "errors[0]", get(st, "errors.0"), "code", "title", "message", "error_data", "href")
	if get(st, "errors.0.code") != float64(131047) || get(st, "errors.0.title") != get(st, "errors.0.message") {
		t.Errorf("errors[0] = %v", get(st, "errors.0"))
	}
	// An inbound message older than 24 hours does not open it either.
	e.openWindow(testCustomer)
	e.clock.Advance(24*time.Hour + time.Second)
	wamid = e.mustSend(text(testCustomer, "too late"))
	hs = e.rx.waitFor(t, "second failed status", func(hs []hook) bool { return len(statusHooks(hs, wamid)) == 1 })
	if get(statusHooks(hs, wamid)[0], "errors.0.code") != float64(131047) {
		t.Errorf("after 24h: %v", statusHooks(hs, wamid)[0])
	}
	// Templates are allowed outside the window.
	img := e.mustUpload("image/jpeg", jpegBytes)
	e.approvedTemplate(e.orderTemplate())
	wamid = e.mustSend(orderSend(testCustomer, img))
	hs = e.rx.waitFor(t, "template read", func(hs []hook) bool { return len(statusHooks(hs, wamid)) == 3 })
	if p := get(statusHooks(hs, wamid)[0], "pricing"); get(p, "type") != "regular" || get(p, "category") != "utility" || get(p, "billable") != true {
		t.Errorf("template pricing outside the window = %v", p)
	}
}

func TestStatusWebhooksSignedInOrderWithContractShape(t *testing.T) {
	for _, version := range []string{"v23.0", "v24.0"} {
		t.Run(version, func(t *testing.T) {
			e := newEnv(t, func(c *Config) { c.APIVersion = version })
			e.openWindow(testCustomer)
			body := text(testCustomer, "hello")
			body["biz_opaque_callback_data"] = "ticket-42"
			wamid := e.mustSend(body)
			hs := e.rx.waitFor(t, "three statuses", func(hs []hook) bool { return len(statusHooks(hs, wamid)) == 3 })
			sts := statusHooks(hs, wamid)
			for i, want := range []string{"sent", "delivered", "read"} {
				if sts[i]["status"] != want {
					t.Fatalf("status %d = %v, want %s", i, sts[i]["status"], want)
				}
			}
			if e.rx.badSig != 0 {
				t.Errorf("%d webhooks with a bad signature", e.rx.badSig)
			}
			// Envelope (§2.2): no entry.time for the messages field, no contacts.
			var env map[string]any
			for _, h := range hs {
				if len(statusHooks([]hook{h}, wamid)) > 0 {
					env = h.json
					break
				}
			}
			wantKeys(t, "envelope", env, "object", "entry")
			if env["object"] != "whatsapp_business_account" {
				t.Errorf("object = %v", env["object"])
			}
			wantKeys(t, "entry", get(env, "entry.0"), "id", "changes")
			if get(env, "entry.0.id") != testWABA || get(env, "entry.0.changes.0.field") != "messages" {
				t.Errorf("entry = %v", get(env, "entry.0"))
			}
			wantKeys(t, "value", get(env, "entry.0.changes.0.value"), "messaging_product", "metadata", "statuses")
			wantKeys(t, "metadata", get(env, "entry.0.changes.0.value.metadata"), "display_phone_number", "phone_number_id")
			if get(env, "entry.0.changes.0.value.metadata.phone_number_id") != testPN {
				t.Errorf("metadata = %v", get(env, "entry.0.changes.0.value.metadata"))
			}
			withConv := version == "v23.0"
			for i, st := range sts {
				want := []string{"id", "status", "timestamp", "recipient_id", "biz_opaque_callback_data"}
				billed := i < 2 // sent, and the first of delivered/read
				if billed {
					want = append(want, "pricing")
					if withConv {
						want = append(want, "conversation")
					}
				}
				wantKeys(t, "status "+st["status"].(string), st, want...)
				if _, ok := st["timestamp"].(string); !ok {
					t.Errorf("timestamp must be a string: %v", st["timestamp"])
				}
				if st["recipient_id"] != testCustomer || st["biz_opaque_callback_data"] != "ticket-42" {
					t.Errorf("status %v", st)
				}
				if billed {
					wantKeys(t, "pricing", st["pricing"], "billable", "pricing_model", "type", "category")
					if get(st, "pricing.pricing_model") != "PMP" || get(st, "pricing.type") != "free_customer_service" ||
						get(st, "pricing.category") != "service" || get(st, "pricing.billable") != false {
						t.Errorf("pricing = %v", st["pricing"])
					}
				}
				if billed && withConv {
					if i == 0 {
						wantKeys(t, "sent conversation", st["conversation"], "id", "expiration_timestamp", "origin")
					} else {
						wantKeys(t, "delivered conversation", st["conversation"], "id", "origin")
					}
					if get(st, "conversation.origin.type") != "service" {
						t.Errorf("conversation = %v", st["conversation"])
					}
				}
			}
			// The phone shows two blue ticks.
			evs := e.fake.Conversation(testPN, testCustomer)
			if last := evs[len(evs)-1]; last.WAMID != wamid || last.Status != "read" {
				t.Errorf("conversation's last event = %+v", last)
			}
		})
	}
}

func TestSendValidationLimits(t *testing.T) {
	e := newEnv(t, nil)
	e.openWindow(testCustomer)
	img := e.mustUpload("image/jpeg", jpegBytes)
	buttons := func(n int, title string) map[string]any {
		var bs []any
		for i := range n {
			bs = append(bs, map[string]any{"type": "reply", "reply": map[string]any{"id": string(rune('a' + i)), "title": title + string(rune('a'+i))}})
		}
		return map[string]any{"type": "button", "body": map[string]any{"text": "b"}, "action": map[string]any{"buttons": bs}}
	}
	rows := func(n int, title string) map[string]any {
		var rs []any
		for i := range n {
			rs = append(rs, map[string]any{"id": string(rune('a' + i)), "title": title + string(rune('a'+i))})
		}
		return map[string]any{"type": "list", "body": map[string]any{"text": "b"},
			"action": map[string]any{"button": "Open", "sections": []any{map[string]any{"title": "s", "rows": rs}}}}
	}
	msg := func(typ string, obj any) map[string]any {
		return map[string]any{"messaging_product": "whatsapp", "to": testCustomer, "type": typ, typ: obj}
	}
	cases := map[string]map[string]any{
		"wrong messaging_product": {"messaging_product": "sms", "to": testCustomer, "type": "text", "text": map[string]any{"body": "x"}},
		"missing to":              {"messaging_product": "whatsapp", "type": "text", "text": map[string]any{"body": "x"}},
		"bad to":                  {"messaging_product": "whatsapp", "to": "alice", "type": "text", "text": map[string]any{"body": "x"}},
		"unknown type":            msg("poll", map[string]any{}),
		"type object missing":     {"messaging_product": "whatsapp", "to": testCustomer, "type": "image"},
		"text too long":           msg("text", map[string]any{"body": strings.Repeat("x", 4097)}),
		"text body wrong type":    msg("text", map[string]any{"body": 42}),
		"preview_url not bool":    msg("text", map[string]any{"body": "x", "preview_url": "yes"}),
		"image id and link":       msg("image", map[string]any{"id": img, "link": "https://x/y.jpg"}),
		"image neither":           msg("image", map[string]any{"caption": "x"}),
		"image bad link":          msg("image", map[string]any{"link": "ftp://x/y.jpg"}),
		"audio caption":           msg("audio", map[string]any{"link": "https://x/y.ogg", "caption": "no"}),
		"location no latitude":    msg("location", map[string]any{"longitude": 1.0}),
		"contacts empty":          msg("contacts", []any{}),
		"contacts no name":        msg("contacts", []any{map[string]any{"phones": []any{}}}),
		"four buttons":            msg("interactive", buttons(4, "B")),
		"button title 21":         msg("interactive", buttons(1, strings.Repeat("t", 20))),
		"eleven rows":             msg("interactive", rows(11, "R")),
		"row title 25":            msg("interactive", rows(1, strings.Repeat("r", 24))),
		"list media header": msg("interactive", func() map[string]any {
			l := rows(1, "R")
			l["header"] = map[string]any{"type": "image", "image": map[string]any{"id": img}}
			return l
		}()),
		"interactive no body":   msg("interactive", map[string]any{"type": "button", "action": map[string]any{}}),
		"reaction no emoji":     msg("reaction", map[string]any{"message_id": "wamid.x"}),
		"template no language":  msg("template", map[string]any{"name": "x"}),
		"context no message_id": {"messaging_product": "whatsapp", "to": testCustomer, "text": map[string]any{"body": "x"}, "context": map[string]any{}},
		"group recipient":       {"messaging_product": "whatsapp", "recipient_type": "group", "to": testCustomer, "text": map[string]any{"body": "x"}},
		"mark read unknown":     {"messaging_product": "whatsapp", "status": "read"},
	}
	for name, body := range cases {
		t.Run(name, func(t *testing.T) {
			status, resp := e.send(body)
			wantError(t, name, status, resp, 400, 100)
		})
	}
	// Type defaults to text, as Meta documents.
	e.mustSend(map[string]any{"messaging_product": "whatsapp", "to": testCustomer, "text": map[string]any{"body": "no type"}})
}

func TestMarkAsReadAndTypingIndicator(t *testing.T) {
	e := newEnv(t, nil)
	first := e.openWindow(testCustomer)
	second := e.openWindow(testCustomer)
	ch := e.fake.Changed(testPN, testCustomer)
	status, resp := e.send(map[string]any{"messaging_product": "whatsapp", "status": "read", "message_id": second, "typing_indicator": map[string]any{"type": "text"}})
	if status != 200 || resp["success"] != true {
		t.Fatalf("mark read: %d %v", status, resp)
	}
	select {
	case <-ch:
	default:
		t.Error("Changed did not fire on mark-as-read")
	}
	for _, ev := range e.fake.Conversation(testPN, testCustomer) {
		if (ev.WAMID == first || ev.WAMID == second) && ev.Status != "read" {
			t.Errorf("%s status %s, want read (earlier messages are read too)", ev.WAMID, ev.Status)
		}
	}
	if !e.fake.Typing(testPN, testCustomer) {
		t.Error("typing indicator not showing")
	}
	e.clock.Advance(26 * time.Second)
	if e.fake.Typing(testPN, testCustomer) {
		t.Error("typing indicator outlived 25 s")
	}
	// Outgoing messages cannot be marked read.
	out := e.mustSend(text(testCustomer, "reply"))
	status, resp = e.send(map[string]any{"messaging_product": "whatsapp", "status": "read", "message_id": out})
	wantError(t, "read outgoing", status, resp, 400, 131009)
}

func TestPairBurstAndRecipientFailures(t *testing.T) {
	e := newEnv(t, func(c *Config) {
		c.PairRate = 6 * time.Second
		c.PairBurst = 3
	})
	e.openWindow(testCustomer)
	for i := range 3 {
		if status, resp := e.send(text(testCustomer, "burst")); status != 200 {
			t.Fatalf("burst message %d: %d %v", i, status, resp)
		}
	}
	status, resp := e.send(text(testCustomer, "one too many"))
	wantError(t, "after the burst", status, resp, 400, 131056)
	e.clock.Advance(6 * time.Second)
	e.mustSend(text(testCustomer, "one slot back"))

	e.fake.FailRecipient(testCustomer, CodeUndeliverable)
	e.clock.Advance(time.Minute)
	wamid := e.mustSend(text(testCustomer, "lost"))
	hs := e.rx.waitFor(t, "failed 131026", func(hs []hook) bool { return len(statusHooks(hs, wamid)) == 1 })
	if get(statusHooks(hs, wamid)[0], "errors.0.code") != float64(CodeUndeliverable) {
		t.Errorf("status = %v", statusHooks(hs, wamid)[0])
	}
	if err := e.fake.WaitIdle(context.Background()); err != nil {
		t.Fatal(err)
	}
	for _, ev := range e.fake.Conversation(testPN, testCustomer) {
		if ev.WAMID == wamid && (ev.Status != "failed" || ev.Error == nil || ev.Error.Code != CodeUndeliverable) {
			t.Errorf("failed event = %+v", ev)
		}
	}
}
