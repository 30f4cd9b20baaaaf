package graph

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"testing"
)

// TestSendEveryType sends one message of each type to the fake, checks the
// exact body that went out (§4.2) and that the fake accepted it.
func TestSendEveryType(t *testing.T) {
	e := newEnv(t, nil)
	inbound := e.openWindow(testCustomer)
	img := e.upload("image/jpeg", jpegBytes)
	vid := e.upload("video/mp4", mp4Bytes)
	aud := e.upload("audio/ogg; codecs=opus", oggBytes)
	doc := e.upload("application/pdf", pdfBytes)
	stk := e.upload("image/webp", webpBytes)
	e.approved(e.orderDraft("order_confirmation"))

	to := "+1 (650) 555-1234"
	cases := []struct {
		name string
		msg  OutgoingMessage
		want string // the type-specific part of the body
	}{
		{"text", OutgoingMessage{Text: &Text{Body: "See https://example.com", PreviewURL: true}},
			`"type":"text","text":{"preview_url":true,"body":"See https://example.com"}`},
		{"text plain", OutgoingMessage{Text: &Text{Body: "hi"}},
			`"type":"text","text":{"body":"hi"}`},
		{"image by id", OutgoingMessage{Image: &MediaObject{ID: img, Caption: "your receipt"}},
			`"type":"image","image":{"id":"` + img + `","caption":"your receipt"}`},
		{"image by link", OutgoingMessage{Image: &MediaObject{Link: "https://example.com/a.jpg"}},
			`"type":"image","image":{"link":"https://example.com/a.jpg"}`},
		{"video", OutgoingMessage{Video: &MediaObject{ID: vid, Caption: "demo"}},
			`"type":"video","video":{"id":"` + vid + `","caption":"demo"}`},
		{"audio", OutgoingMessage{Audio: &MediaObject{ID: aud}},
			`"type":"audio","audio":{"id":"` + aud + `"}`},
		{"document", OutgoingMessage{Document: &MediaObject{ID: doc, Caption: "invoice", Filename: "invoice.pdf"}},
			`"type":"document","document":{"id":"` + doc + `","caption":"invoice","filename":"invoice.pdf"}`},
		{"sticker", OutgoingMessage{Sticker: &MediaObject{ID: stk}},
			`"type":"sticker","sticker":{"id":"` + stk + `"}`},
		{"location", OutgoingMessage{Location: &Location{Latitude: 37.48, Longitude: -122.15, Name: "HQ", Address: "1 Hacker Way"}},
			`"type":"location","location":{"latitude":37.48,"longitude":-122.15,"name":"HQ","address":"1 Hacker Way"}`},
		{"contacts", OutgoingMessage{Contacts: []Contact{{
			Name:   ContactName{FormattedName: "Jessica Laverdetman", FirstName: "Jessica"},
			Phones: []ContactPhone{{Phone: "+1 555-555-5555", Type: "CELL", WaID: "15555555555"}},
			Emails: []ContactEmail{{Email: "j@example.com", Type: "WORK"}},
			Org:    &ContactOrg{Company: "Acme"},
		}}},
			`"type":"contacts","contacts":[{"name":{"formatted_name":"Jessica Laverdetman","first_name":"Jessica"},
			  "phones":[{"phone":"+1 555-555-5555","wa_id":"15555555555","type":"CELL"}],
			  "emails":[{"email":"j@example.com","type":"WORK"}],"org":{"company":"Acme"}}]`},
		{"reply buttons", func() OutgoingMessage {
			in := ReplyButtons("Pick one", ReplyButton{"yes", "Yes"}, ReplyButton{"no", "No"}, ReplyButton{"later", "Twenty chars exactly"})
			in.Header = &InteractiveHeader{Type: "image", Image: &MediaObject{ID: img}}
			in.Footer = &InteractiveText{"footer"}
			return OutgoingMessage{Interactive: in}
		}(),
			`"type":"interactive","interactive":{"type":"button",
			  "header":{"type":"image","image":{"id":"` + img + `"}},
			  "body":{"text":"Pick one"},"footer":{"text":"footer"},
			  "action":{"buttons":[{"type":"reply","reply":{"id":"yes","title":"Yes"}},
			                       {"type":"reply","reply":{"id":"no","title":"No"}},
			                       {"type":"reply","reply":{"id":"later","title":"Twenty chars exactly"}}]}}`},
		{"list", func() OutgoingMessage {
			in := ListMessage("Choose", "Options",
				ListSection{Title: "A", Rows: []ListRow{{ID: "a1", Title: "First", Description: "the first"}}},
				ListSection{Title: "B", Rows: []ListRow{{ID: "b1", Title: "Second"}}})
			in.Header = &InteractiveHeader{Type: "text", Text: "Menu"}
			return OutgoingMessage{Interactive: in}
		}(),
			`"type":"interactive","interactive":{"type":"list","header":{"type":"text","text":"Menu"},
			  "body":{"text":"Choose"},
			  "action":{"button":"Options","sections":[
			    {"title":"A","rows":[{"id":"a1","title":"First","description":"the first"}]},
			    {"title":"B","rows":[{"id":"b1","title":"Second"}]}]}}`},
		{"reaction", OutgoingMessage{Reaction: &Reaction{MessageID: inbound, Emoji: "👍"}},
			`"type":"reaction","reaction":{"message_id":"` + inbound + `","emoji":"👍"}`},
		{"reaction removed", OutgoingMessage{Reaction: &Reaction{MessageID: inbound}},
			`"type":"reaction","reaction":{"message_id":"` + inbound + `","emoji":""}`},
		{"template", OutgoingMessage{Template: &TemplateMessage{
			Name: "order_confirmation", Language: TemplateLanguage{Code: "en_US"},
			Components: []TemplateComponentParams{
				HeaderComponent(ImageParam(MediaObject{ID: img})),
				BodyComponent(TextParam("Jessica"), TextParam("SKBUP2-4CPIG9")),
				QuickReplyButton(0, "STOP"),
				URLButton(1, "SKBUP2"),
			},
		}},
			`"type":"template","template":{"name":"order_confirmation","language":{"code":"en_US"},"components":[
			  {"type":"header","parameters":[{"type":"image","image":{"id":"` + img + `"}}]},
			  {"type":"body","parameters":[{"type":"text","text":"Jessica"},{"type":"text","text":"SKBUP2-4CPIG9"}]},
			  {"type":"button","sub_type":"quick_reply","index":"0","parameters":[{"type":"payload","payload":"STOP"}]},
			  {"type":"button","sub_type":"url","index":"1","parameters":[{"type":"text","text":"SKBUP2"}]}]}`},
		{"reply with context and callback data", OutgoingMessage{
			Context: &MessageContext{MessageID: inbound}, BizOpaqueCallbackData: "outbox:42",
			Text: &Text{Body: "replying"},
		},
			`"context":{"message_id":"` + inbound + `"},"biz_opaque_callback_data":"outbox:42",
			 "type":"text","text":{"body":"replying"}`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			tc.msg.To = to
			res, err := e.client.Send(t.Context(), testToken, testPN, tc.msg)
			if err != nil {
				t.Fatalf("send: %v", err)
			}
			if !strings.HasPrefix(res.WAMID, "wamid.") || res.WaID != testCustomer {
				t.Errorf("result %+v, want a wamid and wa_id %s", res, testCustomer)
			}
			wantStatus := ""
			if tc.msg.Template != nil {
				wantStatus = MessageAccepted
			}
			if res.MessageStatus != wantStatus {
				t.Errorf("message_status %q, want %q", res.MessageStatus, wantStatus)
			}
			req := e.rec.last()
			if req.Method != "POST" || req.Path != "/v23.0/"+testPN+"/messages" {
				t.Errorf("request %s %s", req.Method, req.Path)
			}
			if req.Auth != "Bearer "+testToken || req.ContentType != "application/json" {
				t.Errorf("headers: auth %q, content type %q", req.Auth, req.ContentType)
			}
			toJSON, _ := json.Marshal(to)
			jsonEqual(t, tc.name, req.Body,
				`{"messaging_product":"whatsapp","recipient_type":"individual","to":`+string(toJSON)+`,`+tc.want+`}`)
		})
	}

	// The fake's view of the conversation: every send arrived as its type.
	var types []string
	for _, ev := range e.fake.Conversation(testPN, testCustomer) {
		if ev.Direction == "outbound" {
			types = append(types, ev.Type)
		}
	}
	if len(types) != len(cases) {
		t.Errorf("fake recorded %d outbound messages %v, want %d", len(types), types, len(cases))
	}
}

// TestOutgoingMessageJSONRoundTrip: an outbox stores OutgoingMessage as JSON;
// loading it back must give the same body to Meta.
func TestOutgoingMessageJSONRoundTrip(t *testing.T) {
	msg := OutgoingMessage{
		To:          "16505551234",
		Context:     &MessageContext{MessageID: "wamid.X"},
		Interactive: ReplyButtons("Pick", ReplyButton{"a", "A"}, ReplyButton{"b", "B"}),
	}
	tmpl := OutgoingMessage{To: "1", Template: &TemplateMessage{Name: "t", Language: TemplateLanguage{Code: "it"},
		Components: []TemplateComponentParams{BodyComponent(NamedTextParam("first_name", "Ada"), CurrencyParam("€1", "EUR", 1000)), CopyCodeButton(2, "250FF")}}}
	for _, m := range []OutgoingMessage{msg, tmpl} {
		stored, err := json.Marshal(m)
		if err != nil {
			t.Fatal(err)
		}
		var loaded OutgoingMessage
		if err := json.Unmarshal(stored, &loaded); err != nil {
			t.Fatal(err)
		}
		w1, err1 := m.wire()
		w2, err2 := loaded.wire()
		if err1 != nil || err2 != nil {
			t.Fatal(err1, err2)
		}
		b1, _ := json.Marshal(w1)
		b2, _ := json.Marshal(w2)
		if string(b1) != string(b2) {
			t.Errorf("round trip changed the body:\n%s\n%s", b1, b2)
		}
	}
	b, _ := json.Marshal(tmpl.Template)
	jsonEqual(t, "named and copy-code parameters", b, `{"name":"t","language":{"code":"it"},"components":[
		{"type":"body","parameters":[{"type":"text","parameter_name":"first_name","text":"Ada"},
		  {"type":"currency","currency":{"fallback_value":"€1","code":"EUR","amount_1000":1000}}]},
		{"type":"button","sub_type":"copy_code","index":"2","parameters":[{"type":"coupon_code","coupon_code":"250FF"}]}]}`)
}

// TestValidateRejectsBeforeSending: messages breaking §4.2's limits fail with
// ErrInvalidMessage and no request.
func TestValidateRejectsBeforeSending(t *testing.T) {
	e := newEnv(t, nil)
	rows := func(n int) []ListRow {
		var out []ListRow
		for i := range n {
			out = append(out, ListRow{ID: fmt.Sprint("r", i), Title: fmt.Sprint("Row ", i)})
		}
		return out
	}
	cases := map[string]OutgoingMessage{
		"no content":        {To: testCustomer},
		"two contents":      {To: testCustomer, Text: &Text{Body: "a"}, Image: &MediaObject{ID: "1"}},
		"no recipient":      {Text: &Text{Body: "a"}},
		"empty text":        {To: testCustomer, Text: &Text{Body: " "}},
		"long text":         {To: testCustomer, Text: &Text{Body: strings.Repeat("x", 4097)}},
		"id and link":       {To: testCustomer, Image: &MediaObject{ID: "1", Link: "https://x/y.jpg"}},
		"audio caption":     {To: testCustomer, Audio: &MediaObject{ID: "1", Caption: "no"}},
		"image filename":    {To: testCustomer, Image: &MediaObject{ID: "1", Filename: "a.jpg"}},
		"four buttons":      {To: testCustomer, Interactive: ReplyButtons("b", ReplyButton{"1", "1"}, ReplyButton{"2", "2"}, ReplyButton{"3", "3"}, ReplyButton{"4", "4"})},
		"long button title": {To: testCustomer, Interactive: ReplyButtons("b", ReplyButton{"1", strings.Repeat("t", 21)})},
		"duplicate titles":  {To: testCustomer, Interactive: ReplyButtons("b", ReplyButton{"1", "Same"}, ReplyButton{"2", "Same"})},
		"eleven rows": {To: testCustomer, Interactive: ListMessage("b", "Open",
			ListSection{Title: "A", Rows: rows(6)}, ListSection{Title: "B", Rows: rows(5)})},
		"list media header": {To: testCustomer, Interactive: func() *Interactive {
			in := ListMessage("b", "Open", ListSection{Rows: rows(1)})
			in.Header = &InteractiveHeader{Type: "image", Image: &MediaObject{ID: "1"}}
			return in
		}()},
		"template no language": {To: testCustomer, Template: &TemplateMessage{Name: "x"}},
		"reaction no message":  {To: testCustomer, Reaction: &Reaction{Emoji: "👍"}},
		"empty contacts":       {To: testCustomer, Contacts: []Contact{}},
	}
	for name, msg := range cases {
		_, err := e.client.Send(t.Context(), testToken, testPN, msg)
		if !errors.Is(err, ErrInvalidMessage) {
			t.Errorf("%s: error %v, want ErrInvalidMessage", name, err)
		}
		if Retryable(err) {
			t.Errorf("%s: invalid message classified retryable", name)
		}
	}
	if n := len(e.rec.all()); n != 0 {
		t.Errorf("%d requests sent for invalid messages", n)
	}
}

// TestMarkReadAndTyping: §4.3 bodies, and the fake's typing indicator.
func TestMarkReadAndTyping(t *testing.T) {
	e := newEnv(t, nil)
	inbound := e.openWindow(testCustomer)
	if err := e.client.MarkRead(t.Context(), testToken, testPN, inbound, false); err != nil {
		t.Fatal(err)
	}
	jsonEqual(t, "mark read", e.rec.last().Body,
		`{"messaging_product":"whatsapp","status":"read","message_id":"`+inbound+`"}`)
	if e.fake.Typing(testPN, testCustomer) {
		t.Error("typing shown without typing_indicator")
	}
	if err := e.client.MarkRead(t.Context(), testToken, testPN, inbound, true); err != nil {
		t.Fatal(err)
	}
	jsonEqual(t, "mark read with typing", e.rec.last().Body,
		`{"messaging_product":"whatsapp","status":"read","message_id":"`+inbound+`","typing_indicator":{"type":"text"}}`)
	if !e.fake.Typing(testPN, testCustomer) {
		t.Error("typing indicator not shown")
	}
	for _, ev := range e.fake.Conversation(testPN, testCustomer) {
		if ev.WAMID == inbound && ev.Status != "read" {
			t.Errorf("inbound message status %q, want read", ev.Status)
		}
	}

	err := e.client.MarkRead(t.Context(), testToken, testPN, "wamid.unknown", false)
	ge := asError(t, "unknown wamid", err, CodeInvalidValue)
	if ge.Retryable() {
		t.Error("131009 classified retryable")
	}
}
