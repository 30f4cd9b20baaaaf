package fakemeta

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/base64"
	"testing"
	"time"
)

func TestCustomerMessagesOfEveryTypeMatchContract(t *testing.T) {
	e := newEnv(t, nil)
	ctx := context.Background()
	e.openWindow(testCustomer)
	// Business messages the customer can answer.
	btn := e.mustSend(map[string]any{"messaging_product": "whatsapp", "to": testCustomer, "type": "interactive", "interactive": map[string]any{
		"type": "button", "body": map[string]any{"text": "Pick"},
		"action": map[string]any{"buttons": []any{map[string]any{"type": "reply", "reply": map[string]any{"id": "yes-id", "title": "Yes"}}}},
	}})
	list := e.mustSend(map[string]any{"messaging_product": "whatsapp", "to": testCustomer, "type": "interactive", "interactive": map[string]any{
		"type": "list", "body": map[string]any{"text": "Menu"},
		"action": map[string]any{"button": "Open", "sections": []any{map[string]any{"title": "S", "rows": []any{
			map[string]any{"id": "row-1", "title": "Row one", "description": "the first"}}}}},
	}})
	img := e.mustUpload("image/jpeg", jpegBytes)
	e.approvedTemplate(e.orderTemplate())
	tmpl := e.mustSend(orderSend(testCustomer, img))

	cases := []struct {
		name    string
		msg     InboundMessage
		typ     string
		obj     []string // keys of the type object
		context []string // keys of context, if any
		check   func(t *testing.T, m map[string]any)
	}{
		{name: "text", msg: InboundMessage{Text: "hi there"}, typ: "text", obj: []string{"body"}},
		{name: "image", msg: InboundMessage{Text: "a photo", Media: &InboundMedia{Data: jpegBytes}}, typ: "image",
			obj: []string{"caption", "mime_type", "sha256", "id", "url"}},
		{name: "video", msg: InboundMessage{Media: &InboundMedia{Data: mp4Bytes, MIMEType: "video/mp4"}}, typ: "video",
			obj: []string{"mime_type", "sha256", "id", "url"}},
		{name: "voice note", msg: InboundMessage{Media: &InboundMedia{Data: oggBytes, MIMEType: "audio/ogg; codecs=opus", Voice: true}}, typ: "audio",
			obj: []string{"mime_type", "sha256", "id", "url", "voice"},
			check: func(t *testing.T, m map[string]any) {
				if get(m, "audio.voice") != true || get(m, "audio.mime_type") != "audio/ogg; codecs=opus" {
					t.Errorf("audio = %v", m["audio"])
				}
			}},
		{name: "document", msg: InboundMessage{Text: "the invoice", Media: &InboundMedia{Data: pdfBytes, MIMEType: "application/pdf", Filename: "invoice.pdf"}}, typ: "document",
			obj: []string{"caption", "filename", "mime_type", "sha256", "id", "url"}},
		{name: "sticker", msg: InboundMessage{Media: &InboundMedia{Data: webpBytes, MIMEType: "image/webp"}}, typ: "sticker",
			obj: []string{"mime_type", "sha256", "id", "url", "animated"},
			check: func(t *testing.T, m map[string]any) {
				if get(m, "sticker.animated") != false {
					t.Errorf("sticker = %v", m["sticker"])
				}
			}},
		{name: "chosen location", msg: InboundMessage{Location: &Location{Latitude: 37.4611978, Longitude: -122.2164385, Name: "Facebook HQ", Address: "1 Hacker Way", URL: "https://maps.example/x"}}, typ: "location",
			obj: []string{"latitude", "longitude", "name", "address", "url"},
			check: func(t *testing.T, m map[string]any) {
				if get(m, "location.latitude") != 37.4611978 {
					t.Errorf("latitude must be a JSON number: %v", get(m, "location.latitude"))
				}
			}},
		{name: "current location", msg: InboundMessage{Location: &Location{Latitude: 12.25, Longitude: 43.9}}, typ: "location",
			obj: []string{"latitude", "longitude"}},
		{name: "contacts", msg: InboundMessage{Contacts: []Contact{{Name: ContactName{FormattedName: "Ann Lee", FirstName: "Ann"},
			Phones: []ContactPhone{{Phone: "+1 555-555-5555", WaID: "15555555555", Type: "CELL"}}}}}, typ: "contacts",
			check: func(t *testing.T, m map[string]any) {
				wantKeys(t, "contact", get(m, "contacts.0"), "name", "phones")
				wantKeys(t, "phone", get(m, "contacts.0.phones.0"), "phone", "wa_id", "type")
			}},
		{name: "button reply", msg: InboundMessage{ButtonReply: &Reply{ID: "yes-id"}, ReplyTo: btn}, typ: "interactive",
			obj: []string{"type", "button_reply"}, context: []string{"from", "id"},
			check: func(t *testing.T, m map[string]any) {
				wantKeys(t, "button_reply", get(m, "interactive.button_reply"), "id", "title")
				if get(m, "interactive.type") != "button_reply" || get(m, "interactive.button_reply.title") != "Yes" ||
					get(m, "context.id") != btn || get(m, "context.from") != testDisplay {
					t.Errorf("button reply = %v", m)
				}
			}},
		{name: "list reply", msg: InboundMessage{ListReply: &Reply{ID: "row-1"}}, typ: "interactive",
			obj: []string{"type", "list_reply"}, context: []string{"from", "id"},
			check: func(t *testing.T, m map[string]any) {
				wantKeys(t, "list_reply", get(m, "interactive.list_reply"), "id", "title", "description")
				if get(m, "context.id") != list || get(m, "interactive.list_reply.description") != "the first" {
					t.Errorf("list reply = %v", m)
				}
			}},
		{name: "template quick reply", msg: InboundMessage{Button: &ButtonPress{Payload: "STOP"}}, typ: "button",
			obj: []string{"payload", "text"}, context: []string{"from", "id"},
			check: func(t *testing.T, m map[string]any) {
				if get(m, "button.payload") != "STOP" || get(m, "button.text") != "Stop updates" || get(m, "context.id") != tmpl {
					t.Errorf("button = %v", m)
				}
			}},
		{name: "reaction", msg: InboundMessage{Reaction: &Reaction{MessageID: tmpl, Emoji: "😮"}}, typ: "reaction",
			obj: []string{"message_id", "emoji"}},
		{name: "reaction removed", msg: InboundMessage{Reaction: &Reaction{MessageID: tmpl}}, typ: "reaction",
			obj: []string{"message_id"}},
		{name: "quoted reply", msg: InboundMessage{Text: "about this", ReplyTo: btn}, typ: "text",
			obj: []string{"body"}, context: []string{"from", "id"}},
		{name: "forwarded", msg: InboundMessage{Text: "fwd", Forwarded: true}, typ: "text",
			obj: []string{"body"}, context: []string{"forwarded"}},
		{name: "frequently forwarded", msg: InboundMessage{Text: "fwd", FrequentlyForwarded: true}, typ: "text",
			obj: []string{"body"}, context: []string{"frequently_forwarded"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			c.msg.From = "+1 650 555 1234"
			c.msg.ProfileName = "Jessica"
			wamid, err := e.fake.CustomerSends(ctx, testPN, c.msg)
			if err != nil {
				t.Fatal(err)
			}
			hs := e.rx.waitFor(t, c.name, func(hs []hook) bool { return messageHook(hs, wamid) != nil })
			env := messageHook(hs, wamid)
			wantKeys(t, "envelope", env, "object", "entry")
			wantKeys(t, "entry", get(env, "entry.0"), "id", "changes")
			v := get(env, "entry.0.changes.0.value")
			wantKeys(t, "value", v, "messaging_product", "metadata", "contacts", "messages")
			wantKeys(t, "contact", get(v, "contacts.0"), "profile", "wa_id")
			if get(v, "contacts.0.profile.name") != "Jessica" || get(v, "contacts.0.wa_id") != testCustomer {
				t.Errorf("contacts = %v", get(v, "contacts"))
			}
			m := get(v, "messages.0").(map[string]any)
			want := []string{"from", "id", "timestamp", "type", c.typ}
			if c.context != nil {
				want = append(want, "context")
				wantKeys(t, "context", m["context"], c.context...)
			}
			wantKeys(t, "message", m, want...)
			if m["from"] != testCustomer || m["type"] != c.typ {
				t.Errorf("message = %v", m)
			}
			if _, ok := m["timestamp"].(string); !ok {
				t.Errorf("timestamp must be a string: %v", m["timestamp"])
			}
			if c.obj != nil {
				wantKeys(t, c.typ, m[c.typ], c.obj...)
			}
			if c.check != nil {
				c.check(t, m)
			}
			// Media: Switchboard fetches the URL via GET /{media-id}, then
			// downloads with its token, and the base64 sha256 matches.
			if id, ok := get(m, c.typ+".id").(string); ok {
				status, info := e.call("GET", "/v23.0/"+id, testToken, nil)
				if status != 200 {
					t.Fatalf("GET media: %d %v", status, info)
				}
				st, ct, data := download(t, info["url"].(string), testToken)
				if st != 200 || !bytes.Equal(data, c.msg.Media.Data) || ct != get(m, c.typ+".mime_type") {
					t.Errorf("download: %d %s %d bytes", st, ct, len(data))
				}
				st, _, data = download(t, get(m, c.typ+".url").(string), testToken)
				if st != 200 || !bytes.Equal(data, c.msg.Media.Data) {
					t.Errorf("webhook url download: %d %d bytes", st, len(data))
				}
				sum := sha256.Sum256(c.msg.Media.Data)
				if get(m, c.typ+".sha256") != base64.StdEncoding.EncodeToString(sum[:]) {
					t.Errorf("sha256 = %v", get(m, c.typ+".sha256"))
				}
			}
		})
	}
}

func TestBSUIDOnlyCustomer(t *testing.T) {
	e := newEnv(t, nil)
	const bsuid = "US.13491208655302741918"
	wamid, err := e.fake.CustomerSends(context.Background(), testPN, InboundMessage{
		UserID: bsuid, OmitWaID: true, Username: "jess", ProfileName: "Jessica", Text: "hi",
	})
	if err != nil {
		t.Fatal(err)
	}
	hs := e.rx.waitFor(t, "BSUID message", func(hs []hook) bool { return messageHook(hs, wamid) != nil })
	v := get(messageHook(hs, wamid), "entry.0.changes.0.value")
	wantKeys(t, "contact", get(v, "contacts.0"), "profile", "user_id")
	wantKeys(t, "profile", get(v, "contacts.0.profile"), "name", "username")
	wantKeys(t, "message", get(v, "messages.0"), "from_user_id", "id", "timestamp", "type", "text")
	if get(v, "messages.0.from_user_id") != bsuid {
		t.Errorf("message = %v", get(v, "messages.0"))
	}
	if len(e.fake.Conversation(testPN, bsuid)) != 1 {
		t.Errorf("conversation keyed by BSUID not found")
	}
}

func TestConversationViewWithChoicesTicksAndChanges(t *testing.T) {
	e := newEnv(t, func(c *Config) { c.StatusSequence = []string{"sent", "delivered"} })
	ctx := context.Background()
	e.openWindow(testCustomer)
	ch := e.fake.Changed(testPN, testCustomer)
	btn := e.mustSend(map[string]any{"messaging_product": "whatsapp", "to": testCustomer, "type": "interactive", "interactive": map[string]any{
		"type": "button", "header": map[string]any{"type": "text", "text": "Order 42"}, "body": map[string]any{"text": "Confirm?"},
		"action": map[string]any{"buttons": []any{
			map[string]any{"type": "reply", "reply": map[string]any{"id": "ok", "title": "Confirm"}},
			map[string]any{"type": "reply", "reply": map[string]any{"id": "no", "title": "Cancel"}},
		}},
	}})
	select {
	case <-ch:
	case <-time.After(time.Second):
		t.Fatal("Changed did not fire for a business message")
	}
	if err := e.fake.WaitIdle(ctx); err != nil {
		t.Fatal(err)
	}
	evs := e.fake.Conversation(testPN, testCustomer)
	ev := evs[len(evs)-1]
	if ev.WAMID != btn || ev.Direction != Outbound || ev.Status != "delivered" || ev.Text != "Order 42\nConfirm?" ||
		len(ev.Choices) != 2 || ev.Choices[1] != (Choice{Kind: ChoiceButton, ID: "no", Title: "Cancel"}) {
		t.Fatalf("business event = %+v", ev)
	}
	// The customer opens the chat: read ticks and a read webhook.
	if err := e.fake.CustomerReads(testPN, testCustomer); err != nil {
		t.Fatal(err)
	}
	hs := e.rx.waitFor(t, "read status", func(hs []hook) bool { return len(statusHooks(hs, btn)) == 3 })
	if s := statusHooks(hs, btn); s[2]["status"] != "read" || s[2]["pricing"] != nil {
		t.Errorf("read status = %v (pricing was already on delivered)", s[2])
	}
	// The customer taps a button.
	reply, err := e.fake.CustomerChooses(ctx, testPN, testCustomer, btn, "ok")
	if err != nil {
		t.Fatal(err)
	}
	hs = e.rx.waitFor(t, "button reply", func(hs []hook) bool { return messageHook(hs, reply) != nil })
	m := get(messageHook(hs, reply), "entry.0.changes.0.value.messages.0")
	if get(m, "interactive.button_reply.id") != "ok" || get(m, "context.id") != btn || get(m, "interactive.button_reply.title") != "Confirm" {
		t.Errorf("reply = %v", m)
	}
	if _, err := e.fake.CustomerChooses(ctx, testPN, testCustomer, btn, "nope"); err == nil {
		t.Error("choosing a button that does not exist succeeded")
	}
	if _, err := e.fake.CustomerSends(ctx, testPN, InboundMessage{From: testCustomer, ListReply: &Reply{ID: "ok"}}); err == nil {
		t.Error("a list reply with no list in the conversation succeeded")
	}
	customers := e.fake.Customers(testPN)
	if len(customers) != 1 || customers[0].WaID != testCustomer || customers[0].ProfileName != "Jessica" || !customers[0].WindowOpen {
		t.Errorf("customers = %+v", customers)
	}
}
