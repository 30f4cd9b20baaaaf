package webhook

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

const lookaside = "https://lookaside.fbsbx.com/whatsapp_business/attachments/?mid=1076395887651098&source=webhook&ext=1749416383&hash=ARnK0Qq9zvYkcKRQzYt8t3xkzC8Y3GkA4XhEV4uLk8c4JQ"

// messageFixtures maps each single-message fixture to the message it must
// parse into.
var messageFixtures = map[string]func() Message{
	"text": func() Message {
		m := msg(TypeText)
		m.Text = &Text{Body: "Hi, is the blue jacket still in stock?"}
		return m
	},
	"image": func() Message {
		m := msg(TypeImage)
		m.Image = &Media{ID: "1003383421387256", MimeType: "image/jpeg", SHA256: "nTJv6Z1FHbGCqRgQ4o0y4wDkdgJ+1v6aGM36QdHNwK8=", Caption: "This one please"}
		return m
	},
	"image_url": func() Message {
		m := msg(TypeImage)
		m.Image = &Media{ID: "1076395887651098", MimeType: "image/jpeg", SHA256: "nTJv6Z1FHbGCqRgQ4o0y4wDkdgJ+1v6aGM36QdHNwK8=", URL: lookaside}
		return m
	},
	"video": func() Message {
		m := msg(TypeVideo)
		m.Video = &Media{ID: "1261402031691453", MimeType: "video/mp4", SHA256: "8Ui2XgxWRb2kqvWlxn9t6Z4xM5Dc0Rk1YF1bTgJpCCw=", Caption: "unboxing"}
		return m
	},
	"audio": func() Message {
		m := msg(TypeAudio)
		m.Audio = &Media{ID: "1579414962665420", MimeType: "audio/mpeg", SHA256: "Ofq4vU5m0Ss+5t8T0uXTP6Qqz9n0m8hA7o4vX2Yp8dM="}
		return m
	},
	"voice": func() Message {
		m := msg(TypeAudio)
		m.Audio = &Media{ID: "953021113361154", MimeType: "audio/ogg; codecs=opus", SHA256: "2fQZFm4G9s5tq7FzqUqXoGgJm0rQ9nqD3b2mX5YB1nA=", Voice: true}
		return m
	},
	"document": func() Message {
		m := msg(TypeDocument)
		m.Document = &Media{ID: "1394825514928473", MimeType: "application/pdf", SHA256: "oDtd4y8u4aVGVf3Dl3qV3c1u4kXFzjf9xw4zLZqZ8xI=", Caption: "invoice for May", Filename: "invoice-2026-05.pdf"}
		return m
	},
	"sticker_static": func() Message {
		m := msg(TypeSticker)
		m.Sticker = &Media{ID: "1216183016207372", MimeType: "image/webp", SHA256: "Bq5Ur2N6s4fj2K2v3kE0q1c3C2JzgHgJ4xg7hH1y4Uk="}
		return m
	},
	"sticker_animated": func() Message {
		m := msg(TypeSticker)
		m.Sticker = &Media{ID: "1091498775779590", MimeType: "image/webp", SHA256: "k1fF9T4n7d8R0s2X3c5V6b7N8m9Q0w1E2r3T4y5U6i8=", Animated: true}
		return m
	},
	"location_current": func() Message {
		m := msg(TypeLocation)
		m.Location = &Location{Latitude: 37.483307, Longitude: -122.148981}
		return m
	},
	"location_chosen": func() Message {
		m := msg(TypeLocation)
		m.Location = &Location{Latitude: 37.4848, Longitude: -122.1484, Name: "Meta Headquarters", Address: "1 Hacker Way, Menlo Park, CA 94025", URL: "https://www.meta.com"}
		return m
	},
	"contacts": func() Message {
		m := msg(TypeContacts)
		m.Contacts = []SharedContact{{
			Name:      ContactName{FormattedName: "Pat Q. Morgan", FirstName: "Pat", LastName: "Morgan", MiddleName: "Q."},
			Phones:    []ContactPhone{{Phone: "+1 (650) 555-1111", WaID: "16505551111", Type: "CELL"}, {Phone: "+1 650 555 2222", Type: "HOME"}},
			Emails:    []ContactEmail{{Email: "pat@example.com", Type: "WORK"}},
			Addresses: []ContactAddress{{Street: "1 Hacker Way", City: "Menlo Park", State: "CA", Zip: "94025", Country: "United States", CountryCode: "us", Type: "WORK"}},
			Org:       ContactOrg{Company: "Example Ltd", Department: "Sales", Title: "Manager"},
			URLs:      []ContactURL{{URL: "https://example.com", Type: "WORK"}},
			Birthday:  "1990-07-14",
		}, {
			Name:   ContactName{FormattedName: "Sam"},
			Phones: []ContactPhone{{Phone: "+44 20 7946 0000", Type: "WORK"}},
		}}
		return m
	},
	"interactive_button_reply": func() Message {
		m := msg(TypeInteractive)
		m.Context = &Context{From: fxDisplay, ID: "wamid.HBgLMTY1MDU1NTEyMzQVAgARGBI4QkUxRTU1MkRBMUEwQkNDQzIA"}
		m.Interactive = &Interactive{Type: InteractiveButtonReply, ButtonReply: &Reply{ID: "confirm-yes", Title: "Yes, confirm"}}
		return m
	},
	"interactive_list_reply": func() Message {
		m := msg(TypeInteractive)
		m.Context = &Context{From: fxDisplay, ID: "wamid.HBgLMTY1MDU1NTEyMzQVAgARGBI5QjA2MjJBRjVCRTlGQkRBQjIA"}
		m.Interactive = &Interactive{Type: InteractiveListReply, ListReply: &Reply{ID: "slot-0930", Title: "09:30", Description: "Tuesday morning, main branch"}}
		return m
	},
	"interactive_nfm_reply": func() Message {
		m := msg(TypeInteractive)
		m.Context = &Context{From: fxDisplay, ID: "wamid.HBgLMTY1MDU1NTEyMzQVAgARGBJGMDk1QjJEQTAyNTA3OEVCMEIA"}
		m.Interactive = &Interactive{Type: InteractiveNFMReply, NFMReply: &FlowReply{Name: "flow", Body: "Sent", ResponseJSON: `{"flow_token":"tok-7731","size":"M","agree":true}`}}
		return m
	},
	"button": func() Message {
		m := msg(TypeButton)
		m.Context = &Context{From: fxDisplay, ID: "wamid.HBgLMTY1MDU1NTEyMzQVAgARGBI3MEE2OEYyRTQwNUZBNDhGQjQA"}
		m.Button = &Button{Payload: "STOP_PROMOTIONS", Text: "Stop promotions"}
		return m
	},
	"reaction": func() Message {
		m := msg(TypeReaction)
		m.Reaction = &Reaction{MessageID: "wamid.HBgLMTY1MDU1NTEyMzQVAgARGBJCNzNCQjQ0MkRGNUQ4NzZDMEYA", Emoji: "😮"}
		return m
	},
	"reaction_removed_empty": func() Message {
		m := msg(TypeReaction)
		m.Reaction = &Reaction{MessageID: "wamid.HBgLMTY1MDU1NTEyMzQVAgARGBJCNzNCQjQ0MkRGNUQ4NzZDMEYA"}
		return m
	},
	"reaction_removed_omitted": func() Message {
		m := msg(TypeReaction)
		m.Reaction = &Reaction{MessageID: "wamid.HBgLMTY1MDU1NTEyMzQVAgARGBJCNzNCQjQ0MkRGNUQ4NzZDMEYA"}
		return m
	},
	"order": func() Message {
		m := msg(TypeOrder)
		m.Order = &Order{CatalogID: "1475830346526342", Text: "Deliver before Friday please", Items: []OrderItem{
			{ProductRetailerID: "sku-jacket-blue-m", Quantity: 3, ItemPrice: 30, Currency: "ILS"},
			{ProductRetailerID: "sku-scarf", Quantity: 1, ItemPrice: 12.5, Currency: "ILS"},
		}}
		return m
	},
	"unsupported": func() Message {
		m := msg(TypeUnsupported)
		m.Unsupported = &Unsupported{Type: "poll_creation", SentType: "unsupported"}
		m.Errors = []Error{{Code: 131051, Title: "Message type unknown", Message: "Message type unknown", Details: "Message type is currently not supported."}}
		return m
	},
	"reply_context": func() Message {
		m := msg(TypeText)
		m.Context = &Context{From: fxDisplay, ID: "wamid.HBgLMTY1MDU1NTEyMzQVAgARGBIzQ0Q2RjRGNUI4MTQ3QjA0QzQA"}
		m.Text = &Text{Body: "Yes, that one"}
		return m
	},
	"forwarded": func() Message {
		m := msg(TypeText)
		m.Context = &Context{Forwarded: true}
		m.Text = &Text{Body: "look at this deal"}
		return m
	},
	"frequently_forwarded": func() Message {
		m := msg(TypeText)
		m.Context = &Context{FrequentlyForwarded: true}
		m.Text = &Text{Body: "URGENT: share with everyone"}
		return m
	},
	"referral": func() Message {
		m := msg(TypeText)
		m.Text = &Text{Body: "Hello! Can I get more info on this?"}
		m.Referral = &Referral{
			SourceURL: "https://fb.me/3cr4Wqqkv", SourceID: "120226305854810726", SourceType: "ad",
			Body: "Winter sale: 30% off all jackets", Headline: "Jackets for every weather", MediaType: "image",
			ImageURL:    "https://scontent.xx.fbcdn.net/v/t45.1600-4/ad-image.jpg",
			CtwaClid:    "ARAkLkA8rmlFeiCktEJQ-QTwRiyYHAFDLMNDBH0CD3qpjd0HR4irJ6LEkR7JwFF4XvnO2E4Nx0-eM-GABDLOPaOdRMv-_zfUQ2a",
			WelcomeText: "Hi! Ask us anything about the sale.",
		}
		return m
	},
	"referred_product": func() Message {
		m := msg(TypeText)
		m.Context = &Context{From: fxDisplay, ID: "wamid.HBgLMTY1MDU1NTEyMzQVAgARGBJENEFCMjM0NjY1N0JGNDRCRjYA",
			ReferredProduct: &ReferredProduct{CatalogID: "1475830346526342", ProductRetailerID: "sku-jacket-blue-m"}}
		m.Text = &Text{Body: "Is this available in L?"}
		return m
	},
}

func TestParseMessageFixtures(t *testing.T) {
	for name, want := range messageFixtures {
		t.Run(name, func(t *testing.T) {
			p := mustParse(t, name+".json")
			if len(p.Problems) != 0 {
				t.Errorf("problems: %v", p.Problems)
			}
			v := onlyValue(t, p)
			m := onlyMessage(t, p)
			sameMessage(t, m, want())
			c := v.ContactFor(m)
			if c == nil || c.Name != fxName || c.WaID != fxUser {
				t.Errorf("ContactFor = %+v", c)
			}
			if m.SenderKey() != fxUser {
				t.Errorf("SenderKey = %q", m.SenderKey())
			}
		})
	}
}

func TestParseSystemMessages(t *testing.T) {
	t.Run("user_changed_number", func(t *testing.T) {
		p := mustParse(t, "system_user_changed_number.json")
		v := onlyValue(t, p)
		if len(v.Contacts) != 0 || len(p.Problems) != 0 {
			t.Errorf("contacts %v problems %v", v.Contacts, p.Problems)
		}
		want := msg(TypeSystem)
		want.System = &System{Body: "User Kerry Fisher changed from 16505551234 to 16505559999", WaID: "16505559999", Type: "user_changed_number"}
		sameMessage(t, onlyMessage(t, p), want)
	})
	t.Run("customer_identity_changed", func(t *testing.T) {
		p := mustParse(t, "system_customer_identity_changed.json")
		want := msg(TypeSystem)
		want.System = &System{Body: "User identity changed", Type: "customer_identity_changed"}
		want.Identity = &Identity{Acknowledged: true, CreatedTimestamp: time.Unix(1749416300, 0).UTC(), Hash: "Sjvjlx8G6Z0="}
		sameMessage(t, onlyMessage(t, p), want)
	})
}

// Types Meta has not documented, or will invent, are kept, never dropped.
func TestParseUnknownMessageTypes(t *testing.T) {
	p := mustParse(t, "unknown_types.json")
	if len(p.Problems) != 0 {
		t.Errorf("unknown types are not problems: %v", p.Problems)
	}
	v := onlyValue(t, p)
	sent := []string{"unknown", "request_welcome", "revoke", "edit", "hologram"}
	if len(v.Messages) != len(sent) {
		t.Fatalf("got %d messages, want %d", len(v.Messages), len(sent))
	}
	for i, m := range v.Messages {
		if m.Type != TypeUnsupported || m.Unsupported == nil || m.Unsupported.SentType != sent[i] || m.Invalid {
			t.Errorf("messages[%d] = %s", i, js(m))
		}
		if !strings.Contains(string(m.Raw), `"type": "`+sent[i]+`"`) {
			t.Errorf("messages[%d] raw lost: %s", i, m.Raw)
		}
	}
	if e := v.Messages[0].Errors; len(e) != 1 || e[0].Code != 131051 {
		t.Errorf("errors of type unknown: %+v", e)
	}
	if !strings.Contains(string(v.Messages[4].Raw), `"frames": 240`) {
		t.Errorf("raw of new type lost its object: %s", v.Messages[4].Raw)
	}
}

func TestParseBSUID(t *testing.T) {
	p := mustParse(t, "bsuid.json")
	if len(p.Problems) != 0 {
		t.Errorf("problems: %v", p.Problems)
	}
	v := onlyValue(t, p)
	if len(v.Messages) != 2 || len(v.Contacts) != 2 {
		t.Fatalf("got %s", js(v))
	}
	both, bsuidOnly := v.Messages[0], v.Messages[1]
	if both.From != fxUser || both.FromUserID != "US.13491208655302741918" || both.FromParentUserID != "US.ENT.11815799212886844830" || both.SenderKey() != fxUser {
		t.Errorf("message with both ids: %s", js(both))
	}
	if c := v.ContactFor(both); c == nil || c.UserID != "US.13491208655302741918" || c.ParentUserID != "US.ENT.11815799212886844830" || c.Name != "Noa" {
		t.Errorf("contact for both: %+v", c)
	}
	if bsuidOnly.Invalid || bsuidOnly.From != "" || bsuidOnly.SenderKey() != "US.80817349726254920133" {
		t.Errorf("BSUID-only message: %s", js(bsuidOnly))
	}
	want := Contact{UserID: "US.80817349726254920133", Name: "Dana", Username: "@dana.cooks"}
	if c := v.ContactFor(bsuidOnly); c == nil || *c != want {
		t.Errorf("contact for BSUID-only: %+v", c)
	}
}

var statusFixtures = map[string]Status{
	"status_sent": {
		ID: fxStatID, Status: StatusSent, Timestamp: time.Unix(1749416401, 0).UTC(), RecipientID: fxUser,
		BizOpaqueCallbackData: "campaign=spring;row=42",
		Conversation:          &StatusConversation{ID: "CONVERSATION_ID_5f1b3c", ExpiresAt: time.Unix(1749502800, 0).UTC(), OriginType: "utility"},
		Pricing:               &Pricing{Billable: ptr(true), PricingModel: "PMP", Type: "regular", Category: "utility"},
	},
	"status_delivered": {
		ID: fxStatID, Status: StatusDelivered, Timestamp: time.Unix(1749416402, 0).UTC(), RecipientID: fxUser,
		Conversation: &StatusConversation{ID: "CONVERSATION_ID_5f1b3c", OriginType: "utility"},
		Pricing:      &Pricing{Billable: ptr(true), PricingModel: "PMP", Type: "regular", Category: "utility"},
	},
	"status_read":   {ID: fxStatID, Status: StatusRead, Timestamp: time.Unix(1749416403, 0).UTC(), RecipientID: fxUser},
	"status_played": {ID: fxStatID, Status: StatusPlayed, Timestamp: time.Unix(1749416404, 0).UTC(), RecipientID: fxUser},
	"status_failed": {
		ID: fxStatID, Status: StatusFailed, Timestamp: time.Unix(1749416405, 0).UTC(), RecipientID: fxUser,
		Errors: []Error{{
			Code:    131049,
			Title:   "This message was not delivered to maintain healthy ecosystem engagement.",
			Message: "This message was not delivered to maintain healthy ecosystem engagement.",
			Details: "In order to maintain a healthy ecosystem engagement, the message failed to be delivered.",
			Href:    "/documentation/business-messaging/whatsapp/support/error-codes",
		}},
	},
}

func TestParseStatusFixtures(t *testing.T) {
	for name, want := range statusFixtures {
		t.Run(name, func(t *testing.T) {
			p := mustParse(t, name+".json")
			if len(p.Problems) != 0 {
				t.Errorf("problems: %v", p.Problems)
			}
			sameStatus(t, onlyStatus(t, p), want)
		})
	}
}

func TestParseValueErrors(t *testing.T) {
	p := mustParse(t, "value_errors.json")
	v := onlyValue(t, p)
	want := []Error{{Code: 130429, Title: "Rate limit hit", Message: "Rate limit hit",
		Details: "Message failed to send because there were too many messages sent from this phone number in a short period of time",
		Href:    "/documentation/business-messaging/whatsapp/support/error-codes"}}
	if js(v.Errors) != js(want) || len(v.Messages)+len(v.Statuses)+len(v.Contacts) != 0 || len(p.Problems) != 0 {
		t.Errorf("got %s problems %v", js(v), p.Problems)
	}
}

// A real Meta case: a bare interactive message plus a value-level error.
// The message is kept but invalid; the error is there for the log.
func TestParseInteractiveWithError(t *testing.T) {
	p := mustParse(t, "interactive_with_error.json")
	v := onlyValue(t, p)
	if len(v.Messages) != 1 || !v.Messages[0].Invalid || v.Messages[0].Type != TypeUnsupported {
		t.Errorf("messages: %s", js(v.Messages))
	}
	if !hasProblem(p, "entry[0].changes[0].value.messages[0]", `without "interactive" object`) {
		t.Errorf("problems: %v", p.Problems)
	}
	if len(v.Errors) != 1 || v.Errors[0].Code != 131000 || v.Errors[0].Details != "Unsupported webhook payload" {
		t.Errorf("errors: %+v", v.Errors)
	}
}

// Every entry, change, message and status is parsed, not just the first.
func TestParseBatch(t *testing.T) {
	p := mustParse(t, "batch.json")
	if len(p.Problems) != 0 {
		t.Errorf("problems: %v", p.Problems)
	}
	if len(p.Entries) != 2 || len(p.Entries[0].Changes) != 2 || len(p.Entries[1].Changes) != 2 {
		t.Fatalf("shape: %s", js(p.Entries))
	}
	if p.Entries[1].WABAID != "102290129340399" {
		t.Errorf("second WABA = %q", p.Entries[1].WABAID)
	}
	var ids, phones, senders []string
	for v, m := range p.Messages() {
		ids = append(ids, m.ID)
		phones = append(phones, v.Metadata.PhoneNumberID)
		if c := v.ContactFor(*m); c != nil {
			senders = append(senders, c.Name)
		}
	}
	wantIDs := "wamid.BATCHA0 wamid.BATCHA1 wamid.BATCHA2 wamid.BATCHB0 wamid.BATCHB1 wamid.BATCHC0 wamid.BATCHC1"
	if strings.Join(ids, " ") != wantIDs {
		t.Errorf("messages = %v", ids)
	}
	if strings.Join(phones, " ") != "106540352242922 106540352242922 106540352242922 200000000000001 200000000000001 300000000000001 300000000000001" {
		t.Errorf("phone number IDs = %v", phones)
	}
	if strings.Join(senders, ",") != "Kerry Fisher,Kerry Fisher,Kerry Fisher,Ana,Ana,João,João" {
		t.Errorf("senders = %v", senders)
	}
	var sts []string
	for _, s := range p.Statuses() {
		sts = append(sts, s.ID+"="+s.Status)
	}
	if strings.Join(sts, " ") != "wamid.BATCHS0=delivered wamid.BATCHS1=read wamid.BATCHS2=sent wamid.BATCHS3=failed wamid.BATCHS4=read" {
		t.Errorf("statuses = %v", sts)
	}
	// Path of the last message, to show indexes are per level.
	last := p.Entries[1].Changes[1].Messages.Messages[1]
	if last.Path != "entry[1].changes[1].value.messages[1]" || last.Reaction == nil || last.Reaction.Emoji != "👍" {
		t.Errorf("last message: %s", js(last))
	}
	// Stopping an iteration early must work (range-over-func contract).
	n := 0
	for range p.Messages() {
		n++
		if n == 2 {
			break
		}
	}
	for range p.Statuses() {
		break
	}
}

func TestParseTemplateStatus(t *testing.T) {
	at := time.Unix(1751247548, 0).UTC()
	cases := map[string]TemplateStatusUpdate{
		"template_approved": {Event: "APPROVED", TemplateID: "1689556908129832", Name: "order_confirmation", Language: "en-US", Reason: "NONE", Category: "UTILITY"},
		"template_rejected": {Event: "REJECTED", TemplateID: "806312974732579", Name: "spring_sale", Language: "en_US", Reason: "INVALID_FORMAT", Category: "MARKETING",
			RejectionReason: "Variable parameters are next to each other.", RejectionRecommendation: "Add text between {{1}} and {{2}}."},
		"template_paused": {Event: "PAUSED", TemplateID: "12345678", Name: "weekly_digest", Language: "he", OtherInfoTitle: "FIRST_PAUSE",
			OtherInfoDescription: "Your message template has been paused for 3 hours until Jul 1, 2026 at 3:00 AM UTC because it continued to have issues."},
		// 2^54+1 has no exact float64; the digits must survive unchanged.
		"template_big_id": {Event: "DISABLED", TemplateID: "18014398509481985", Name: "old_promo", Language: "pt_BR", Reason: "NONE",
			DisableDate: time.Unix(1751333948, 0).UTC()},
	}
	for name, want := range cases {
		t.Run(name, func(t *testing.T) {
			p := mustParse(t, name+".json")
			c := only(t, p)
			if c.Field != FieldTemplateStatusUpdate || c.TemplateStatus == nil || c.Messages != nil || len(p.Problems) != 0 {
				t.Fatalf("change: %s problems %v", js(c), p.Problems)
			}
			if *c.TemplateStatus != want {
				t.Errorf("got  %+v\nwant %+v", *c.TemplateStatus, want)
			}
			if !p.Entries[0].Time.Equal(at) {
				t.Errorf("entry time = %v", p.Entries[0].Time)
			}
		})
	}
}

func TestParseOtherFields(t *testing.T) {
	t.Run("template_quality", func(t *testing.T) {
		c := only(t, mustParse(t, "template_quality.json"))
		want := TemplateQualityUpdate{TemplateID: "806312974732579", Name: "welcome_template", Language: "en_US", PreviousQualityScore: "GREEN", NewQualityScore: "YELLOW"}
		if c.TemplateQuality == nil || *c.TemplateQuality != want {
			t.Errorf("got %s", js(c))
		}
	})
	t.Run("template_category", func(t *testing.T) {
		c := only(t, mustParse(t, "template_category.json"))
		want := TemplateCategoryUpdate{TemplateID: "12345678", Name: "weekly_digest", Language: "he", PreviousCategory: "UTILITY", NewCategory: "MARKETING"}
		if c.TemplateCategory == nil || *c.TemplateCategory != want {
			t.Errorf("got %s", js(c))
		}
	})
	t.Run("phone_number_quality", func(t *testing.T) {
		c := only(t, mustParse(t, "phone_number_quality.json"))
		want := PhoneNumberQualityUpdate{DisplayPhoneNumber: fxDisplay, Event: "THROUGHPUT_UPGRADE", CurrentLimit: "TIER_UNLIMITED", OldLimit: "TIER_10K", MaxDailyConversations: "TIER_UNLIMITED"}
		if c.PhoneNumberQuality == nil || *c.PhoneNumberQuality != want {
			t.Errorf("got %s", js(c))
		}
	})
	t.Run("account_update", func(t *testing.T) {
		p := mustParse(t, "account_update.json")
		if len(p.Problems) != 0 || len(p.Entries) != 1 || len(p.Entries[0].Changes) != 3 {
			t.Fatalf("got %s problems %v", js(p.Entries), p.Problems)
		}
		ch := p.Entries[0].Changes
		r := ch[0].AccountUpdate
		if r == nil || r.Event != "ACCOUNT_RESTRICTION" || len(r.Restrictions) != 1 ||
			r.Restrictions[0] != (Restriction{Type: "RESTRICTED_BIZ_INITIATED_MESSAGING", Expiration: time.Unix(1751852348, 0).UTC()}) {
			t.Errorf("restriction: %s", js(r))
		}
		if v := ch[1].AccountUpdate; v == nil || v.Event != "ACCOUNT_VIOLATION" || v.ViolationType != "SCAM" {
			t.Errorf("violation: %s", js(v))
		}
		if u := ch[2].AccountUpdate; u == nil || u.Event != "PARTNER_APP_INSTALLED" || !strings.Contains(string(u.Raw), `"partner_app_id": "555"`) {
			t.Errorf("partner app: %s", js(u))
		}
	})
	t.Run("user_preferences", func(t *testing.T) {
		p := mustParse(t, "user_preferences.json")
		c := only(t, p)
		if c.Field != FieldUserPreferences || c.Messages == nil || len(p.Problems) != 0 {
			t.Fatalf("got %s %v", js(c), p.Problems)
		}
		want := []UserPreference{
			{WaID: fxUser, Detail: "User requested to stop marketing messages", Category: "marketing_messages", Value: "stop", Timestamp: time.Unix(1731705721, 0).UTC()},
			{WaID: fxUser, Detail: "User signed up for marketing messages", Category: "marketing_messages", Value: "signup", Timestamp: time.Unix(1731705800, 0).UTC(), SignupID: "so-4321"},
		}
		if js(c.Messages.UserPreferences) != js(want) || len(c.Messages.Contacts) != 1 {
			t.Errorf("got %s", js(c.Messages))
		}
	})
	t.Run("automatic_events", func(t *testing.T) {
		p := mustParse(t, "automatic_events.json")
		c := only(t, p)
		if c.Field != FieldAutomaticEvents || c.Messages == nil || len(c.Messages.AutomaticEvents) != 2 || len(p.Problems) != 0 {
			t.Fatalf("got %s %v", js(c), p.Problems)
		}
		a := c.Messages.AutomaticEvents[0]
		if a.EventName != "Purchase" || a.Currency != "USD" || a.Value != 25000 || a.ID != fxMsgID ||
			!a.Timestamp.Equal(time.Unix(1739321024, 0)) || a.CtwaClid != "ARAkLkA8rmlFeiCktEJQ" || len(a.Raw) == 0 {
			t.Errorf("purchase: %s", js(a))
		}
		if b := c.Messages.AutomaticEvents[1]; b.EventName != "LeadSubmitted" || b.Currency != "" {
			t.Errorf("lead: %s", js(b))
		}
	})
	t.Run("unknown_field", func(t *testing.T) {
		p := mustParse(t, "unknown_field.json")
		if len(p.Problems) != 0 || len(p.Entries) != 1 || len(p.Entries[0].Changes) != 2 {
			t.Fatalf("got %s %v", js(p.Entries), p.Problems)
		}
		for i, want := range []string{"business_capability_update", "smb_message_echoes"} {
			c := p.Entries[0].Changes[i]
			if c.Field != want || len(c.Raw) == 0 || c.Messages != nil || c.TemplateStatus != nil || c.AccountUpdate != nil {
				t.Errorf("changes[%d] = %s", i, js(c))
			}
		}
		if !strings.Contains(string(p.Entries[0].Changes[1].Raw), "sent from the app") {
			t.Errorf("raw value lost")
		}
	})
}

// Each fixture in testdata must be exercised by a test above, so a new
// fixture cannot be added and forgotten.
func TestEveryFixtureIsChecked(t *testing.T) {
	checked := map[string]bool{
		"system_user_changed_number": true, "system_customer_identity_changed": true, "unknown_types": true,
		"bsuid": true, "value_errors": true, "interactive_with_error": true, "batch": true,
		"template_approved": true, "template_rejected": true, "template_paused": true, "template_big_id": true,
		"template_quality": true, "template_category": true, "phone_number_quality": true, "account_update": true,
		"user_preferences": true, "automatic_events": true, "unknown_field": true,
	}
	for k := range messageFixtures {
		checked[k] = true
	}
	for k := range statusFixtures {
		checked[k] = true
	}
	files, err := filepath.Glob(filepath.Join("testdata", "*.json"))
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range files {
		name := strings.TrimSuffix(filepath.Base(f), ".json")
		if !checked[name] {
			t.Errorf("fixture %s is not checked by any test", f)
		}
		delete(checked, name)
	}
	for name := range checked {
		t.Errorf("test expects missing fixture testdata/%s.json", name)
	}
	if _, err := os.Stat(filepath.Join("testdata", "bad")); err != nil {
		t.Error(err)
	}
}
