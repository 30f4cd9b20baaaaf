package webhook

import (
	"encoding/json"
	"math"
	"reflect"
	"strings"
	"testing"
	"time"
)

// Every message type survives Builder → Parse unchanged, which checks the
// builder's shapes against the parser (itself checked against the fixtures).
func TestBuilderRoundTrip(t *testing.T) {
	at := time.Unix(1760000000, 0).UTC()
	kerry := Contact{WaID: fxUser, Name: fxName}
	quoted := &Context{From: fxDisplay, ID: "wamid.QUOTED"}
	cases := []Message{
		{Type: TypeText, Text: &Text{Body: "héllo \"quoted\" \\ <b>"}, Context: quoted},
		{Type: TypeText, Text: &Text{Body: "fwd"}, Context: &Context{Forwarded: true}},
		{Type: TypeText, Text: &Text{Body: "ad"}, Referral: &Referral{SourceURL: "https://fb.me/x", SourceID: "1", SourceType: "ad", Body: "b", Headline: "h", MediaType: "video", VideoURL: "https://v", ThumbnailURL: "https://t", CtwaClid: "clid", WelcomeText: "hi"}},
		{Type: TypeText, Text: &Text{Body: "product"}, Context: &Context{From: fxDisplay, ID: "wamid.P", ReferredProduct: &ReferredProduct{CatalogID: "c", ProductRetailerID: "p"}}},
		{Type: TypeImage, Image: &Media{ID: "1", MimeType: "image/jpeg", SHA256: "s", Caption: "c", URL: lookaside}},
		{Type: TypeVideo, Video: &Media{ID: "2", MimeType: "video/mp4", SHA256: "s"}},
		{Type: TypeAudio, Audio: &Media{ID: "3", MimeType: "audio/ogg; codecs=opus", SHA256: "s", Voice: true}},
		{Type: TypeAudio, Audio: &Media{ID: "3b", MimeType: "audio/mpeg", SHA256: "s"}},
		{Type: TypeDocument, Document: &Media{ID: "4", MimeType: "application/pdf", SHA256: "s", Filename: "a.pdf", Caption: "doc"}},
		{Type: TypeSticker, Sticker: &Media{ID: "5", MimeType: "image/webp", SHA256: "s", Animated: true}},
		{Type: TypeSticker, Sticker: &Media{ID: "5b", MimeType: "image/webp", SHA256: "s"}},
		{Type: TypeLocation, Location: &Location{Latitude: -33.8688, Longitude: 151.2093, Name: "Opera", Address: "Bennelong Point", URL: "https://x"}},
		{Type: TypeLocation, Location: &Location{Latitude: 0, Longitude: 0}},
		{Type: TypeContacts, Contacts: []SharedContact{{
			Name:   ContactName{FormattedName: "A B", FirstName: "A", LastName: "B", MiddleName: "M", Prefix: "Dr", Suffix: "Jr"},
			Phones: []ContactPhone{{Phone: "+1", WaID: "1", Type: "CELL"}}, Emails: []ContactEmail{{Email: "a@b", Type: "HOME"}},
			Addresses: []ContactAddress{{Street: "s", City: "c", State: "st", Zip: "z", Country: "co", CountryCode: "cc", Type: "HOME"}},
			Org:       ContactOrg{Company: "co", Department: "d", Title: "t"}, URLs: []ContactURL{{URL: "u", Type: "WORK"}}, Birthday: "2000-01-02",
		}}},
		{Type: TypeInteractive, Context: quoted, Interactive: &Interactive{Type: InteractiveButtonReply, ButtonReply: &Reply{ID: "b1", Title: "Yes"}}},
		{Type: TypeInteractive, Context: quoted, Interactive: &Interactive{Type: InteractiveListReply, ListReply: &Reply{ID: "r1", Title: "Row", Description: "d"}}},
		{Type: TypeInteractive, Context: quoted, Interactive: &Interactive{Type: InteractiveNFMReply, NFMReply: &FlowReply{Name: "flow", Body: "Sent", ResponseJSON: `{"flow_token":"t"}`}}},
		{Type: TypeInteractive, Interactive: &Interactive{Type: "call_permission_reply"}},
		{Type: TypeButton, Context: quoted, Button: &Button{Payload: "P", Text: "T"}},
		{Type: TypeReaction, Reaction: &Reaction{MessageID: "wamid.R", Emoji: "👍"}},
		{Type: TypeReaction, Reaction: &Reaction{MessageID: "wamid.R"}},
		{Type: TypeOrder, Order: &Order{CatalogID: "cat", Text: "t", Items: []OrderItem{{ProductRetailerID: "p", Quantity: 2, ItemPrice: 9.99, Currency: "EUR"}}}},
		{Type: TypeSystem, System: &System{Body: "changed", WaID: "16505559999", Type: "user_changed_number"}},
		{Type: TypeSystem, System: &System{Body: "User identity changed", Type: "customer_identity_changed"}, Identity: &Identity{Acknowledged: true, CreatedTimestamp: at, Hash: "h"}},
		{Type: TypeUnsupported, Unsupported: &Unsupported{Type: "poll_creation", SentType: "unsupported"}, Errors: []Error{{Code: 131051, Title: "Message type unknown", Message: "Message type unknown", Details: "not supported"}}},
		{Type: TypeUnsupported, Unsupported: &Unsupported{SentType: "request_welcome"}},
	}
	b := NewMessagesPayload(fxWABA, fxPNID, fxDisplay)
	for i := range cases {
		cases[i].ID = "wamid.RT" + string(rune('A'+i))
		cases[i].Timestamp = at.Add(time.Duration(i) * time.Second)
		b.AddMessage(kerry, cases[i])
		cases[i].From = fxUser
	}
	p, err := Parse(b.Bytes())
	if err != nil {
		t.Fatal(err)
	}
	if len(p.Problems) != 0 {
		t.Errorf("problems: %v", p.Problems)
	}
	v := onlyValue(t, p)
	if len(v.Messages) != len(cases) {
		t.Fatalf("got %d messages", len(v.Messages))
	}
	// One contact only, and none added for system messages.
	if len(v.Contacts) != 1 || v.Contacts[0] != kerry {
		t.Errorf("contacts: %+v", v.Contacts)
	}
	for i, want := range cases {
		sameMessage(t, v.Messages[i], want)
	}
}

// The builder writes Meta's wire types: timestamps as strings, the template
// ID as a JSON integer, entry.time as an integer.
func TestBuilderWireShapes(t *testing.T) {
	at := time.Unix(1749416383, 0)
	b := NewMessagesPayload(fxWABA, fxPNID, fxDisplay)
	b.Text(Contact{WaID: fxUser, Name: fxName}, "hi")
	id := b.LastMessageID()
	b.AddStatus(Status{ID: "wamid.S", Status: StatusSent, Timestamp: at, RecipientID: fxUser,
		Conversation: &StatusConversation{ID: "c", ExpiresAt: at.Add(24 * time.Hour), OriginType: "service"},
		Pricing:      &Pricing{Billable: ptr(false), PricingModel: "PMP", Type: "free_customer_service", Category: "service"}})
	var doc struct {
		Object string
		Entry  []struct {
			ID      string
			Time    *int64
			Changes []struct {
				Field string
				Value map[string]json.RawMessage
			}
		}
	}
	if err := json.Unmarshal(b.Bytes(), &doc); err != nil {
		t.Fatal(err)
	}
	if doc.Object != ObjectWhatsApp || len(doc.Entry) != 1 || doc.Entry[0].Time != nil || doc.Entry[0].Changes[0].Field != "messages" {
		t.Fatalf("envelope: %+v", doc)
	}
	val := doc.Entry[0].Changes[0].Value
	var msgs []map[string]json.RawMessage
	var sts []map[string]any
	if err := json.Unmarshal(val["messages"], &msgs); err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(val["statuses"], &sts); err != nil {
		t.Fatal(err)
	}
	if kind(msgs[0]["timestamp"]) != '"' || !strings.HasPrefix(id, "wamid.") || string(msgs[0]["id"]) != `"`+id+`"` {
		t.Errorf("message: %v", msgs[0])
	}
	if sts[0]["timestamp"] != "1749416383" || sts[0]["conversation"].(map[string]any)["expiration_timestamp"] != "1749502783" ||
		sts[0]["pricing"].(map[string]any)["billable"] != false {
		t.Errorf("status: %v", sts[0])
	}
	if string(val["contacts"]) != `[{"profile":{"name":"Kerry Fisher"},"wa_id":"16505551234"}]` {
		t.Errorf("contacts: %s", val["contacts"])
	}

	body, err := TemplateStatusPayload(fxWABA, at, TemplateStatusUpdate{Event: "APPROVED", TemplateID: "18014398509481985", Name: "n", Language: "en_US", Category: "UTILITY"})
	if err != nil {
		t.Fatal(err)
	}
	s := string(body)
	if !strings.Contains(s, `"message_template_id":18014398509481985`) || !strings.Contains(s, `"time":1749416383`) || !strings.Contains(s, `"reason":null`) {
		t.Errorf("template status body: %s", s)
	}
	p, err := Parse(body)
	if err != nil || p.Entries[0].Changes[0].TemplateStatus.TemplateID != "18014398509481985" || len(p.Problems) != 0 {
		t.Errorf("parse back: %v %s", err, js(p))
	}
}

func TestTemplateStatusPayloadRoundTrip(t *testing.T) {
	at := time.Unix(1751247548, 0).UTC()
	for _, u := range []TemplateStatusUpdate{
		{Event: "REJECTED", TemplateID: "806312974732579", Name: "n", Language: "en_US", Reason: "INVALID_FORMAT", Category: "MARKETING", RejectionReason: "r", RejectionRecommendation: "rec"},
		{Event: "PAUSED", TemplateID: "12", Name: "n", Language: "he", OtherInfoTitle: "FIRST_PAUSE", OtherInfoDescription: "d"},
		{Event: "DISABLED", TemplateID: "0", Name: "n", Language: "pt_BR", Reason: "NONE", DisableDate: at},
		{Event: "APPROVED", TemplateID: "007", Name: "leading zero stays a string"},
		{Event: "APPROVED", TemplateID: "tmpl-abc", Name: "non-numeric stays a string"},
	} {
		body, err := TemplateStatusPayload(fxWABA, at, u)
		if err != nil {
			t.Fatal(err)
		}
		p, err := Parse(body)
		if err != nil {
			t.Fatal(err)
		}
		if got := p.Entries[0].Changes[0].TemplateStatus; got == nil || *got != u || !p.Entries[0].Time.Equal(at) {
			t.Errorf("got %s want %+v (%s)", js(got), u, body)
		}
	}
}

func TestBuilderBatchAndSigned(t *testing.T) {
	a := NewMessagesPayload("waba-a", "pn-a", "1").Text(Contact{WaID: "111"}, "a")
	b := NewMessagesPayload("waba-b", "pn-b", "2").Status("wamid.X", StatusRead, "222", time.Unix(1, 0))
	b.AddError(Error{Code: 130429, Title: "Rate limit hit", Message: "Rate limit hit", Details: "too many"})
	body, err := Batch(a, b)
	if err != nil {
		t.Fatal(err)
	}
	p, err := Parse(body)
	if err != nil || len(p.Entries) != 2 || len(p.Problems) != 0 {
		t.Fatalf("%v %s", err, js(p))
	}
	vb := p.Entries[1].Changes[0].Messages
	if vb.Metadata.PhoneNumberID != "pn-b" || len(vb.Statuses) != 1 || vb.Statuses[0].Status != StatusRead ||
		!reflect.DeepEqual(vb.Errors, []Error{{Code: 130429, Title: "Rate limit hit", Message: "Rate limit hit", Details: "too many"}}) {
		t.Errorf("second entry: %s", js(vb))
	}
	// A text from a contact without a name still has a profile-less contact.
	if c := p.Entries[0].Changes[0].Messages.Contacts; len(c) != 1 || c[0].WaID != "111" {
		t.Errorf("contacts: %+v", c)
	}

	secret := []byte("s3cret")
	signed, sig := a.Signed(secret)
	if !VerifySignature(secret, signed, sig) {
		t.Error("Signed output does not verify")
	}
}

// Messages from BSUID-only users keep the BSUID as sender and contact.
func TestBuilderBSUID(t *testing.T) {
	dana := Contact{UserID: "US.80817349726254920133", Name: "Dana", Username: "@dana"}
	p, err := Parse(NewMessagesPayload(fxWABA, fxPNID, fxDisplay).Text(dana, "hi").Bytes())
	if err != nil || len(p.Problems) != 0 {
		t.Fatal(err, p.Problems)
	}
	v := p.Entries[0].Changes[0].Messages
	m := v.Messages[0]
	if m.From != "" || m.SenderKey() != dana.UserID || v.ContactFor(m) == nil || *v.ContactFor(m) != dana {
		t.Errorf("got %s", js(v))
	}
}

func TestBuilderRejectsNaN(t *testing.T) {
	b := NewMessagesPayload(fxWABA, fxPNID, fxDisplay).Location(Contact{WaID: "1"}, Location{Latitude: math.NaN()})
	if _, err := b.Build(); err == nil {
		t.Error("Build accepted NaN")
	}
	defer func() {
		if recover() == nil {
			t.Error("Bytes did not panic on NaN")
		}
	}()
	b.Bytes()
}

func TestNewWAMIDUnique(t *testing.T) {
	seen := map[string]bool{}
	for range 1000 {
		id := NewWAMID()
		if seen[id] || !strings.HasPrefix(id, "wamid.") || len(id) > 128 {
			t.Fatalf("bad or repeated id %q", id)
		}
		seen[id] = true
	}
}
