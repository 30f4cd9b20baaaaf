package outbound_test

import (
	"context"
	"errors"
	"github.com/jackc/pgx/v5"
	"strings"
	"testing"
	"time"

	"switchboard/internal/domain"
	"switchboard/internal/number"
	"switchboard/internal/outbound"
	"switchboard/internal/server/servertest"
	"switchboard/internal/storage"
	"switchboard/internal/whatsapp/fakemeta"
)

// sandboxNumber connects a sandbox number for tenant A; its customers are
// played through the in-process fake of Meta.
func sandboxNumber(t *testing.T, app *servertest.App) domain.Number {
	t.Helper()
	n, err := app.Numbers.Add(context.Background(), storage.Actor{Email: "test"}, number.AddInput{TenantID: app.F.A.ID, Sandbox: true})
	if err != nil {
		t.Fatal(err)
	}
	app.Sandbox.Register(n)
	return n
}

// customerWrites plays a customer writing, and waits until Switchboard has
// the message (so the 24-hour window is open).
func customerWrites(t *testing.T, app *servertest.App, n domain.Number, waID, text string) domain.Contact {
	t.Helper()
	ctx := context.Background()
	wamid, err := app.Sandbox.Fake.CustomerSends(ctx, n.PhoneNumberID, fakemeta.InboundMessage{From: waID, ProfileName: "Cliente " + waID, Text: text})
	if err != nil {
		t.Fatal(err)
	}
	eventually(t, "the customer's message is stored", func() bool {
		_, err := app.DB.Store.MessageByWAMID(ctx, n.TenantID, wamid)
		return err == nil
	})
	cs, err := app.DB.Store.ListContacts(ctx, n.TenantID, waID, storage.Page{Limit: 1})
	if err != nil || len(cs) != 1 {
		t.Fatalf("contact %s: %v", waID, err)
	}
	return cs[0]
}

func eventually(t *testing.T, what string, ok func() bool) {
	t.Helper()
	for deadline := time.Now().Add(15 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		if ok() {
			return
		}
	}
	t.Fatalf("timed out waiting until %s", what)
}

func messageStatus(t *testing.T, app *servertest.App, tenantID, id string) domain.Message {
	m, err := app.DB.Store.Message(context.Background(), tenantID, id)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func TestEveryTypeGoesThroughTheSandboxAndComesBackRead(t *testing.T) {
	t.Parallel()
	app := servertest.New(t, servertest.Options{RunWorkers: true})
	n := sandboxNumber(t, app)
	c := customerWrites(t, app, n, "393331234567", "Ciao")
	ctx := context.Background()
	sends := []outbound.Content{
		{Type: outbound.TypeText, Text: "Buongiorno! https://example.com", PreviewURL: true},
		{Type: outbound.TypeLocation, Location: &outbound.Location{Latitude: 45.4642, Longitude: 9.19, Name: "Negozio", Address: "Via Roma 1"}},
		{Type: outbound.TypeInteractive, Interactive: &outbound.Interactive{Body: "Come possiamo aiutarti?",
			Buttons: []outbound.Choice{{ID: "orders", Title: "Ordini"}, {ID: "billing", Title: "Fatture"}}}},
		{Type: outbound.TypeInteractive, Interactive: &outbound.Interactive{Body: "Scegli un reparto", ListButton: "Reparti",
			Rows: []outbound.Choice{{ID: "a", Title: "Assistenza"}, {ID: "v", Title: "Vendite", Description: "Nuovi ordini"}}}},
	}
	var ids []string
	for _, content := range sends {
		m, created, err := app.Outbound.Send(ctx, outbound.Request{TenantID: n.TenantID, NumberID: n.ID, ContactID: c.ID, Content: content, Sender: "system"})
		if err != nil || !created || m.Status != "queued" {
			t.Fatalf("send %s: %v %+v", content.Type, err, m)
		}
		ids = append(ids, m.ID)
	}
	for _, id := range ids {
		eventually(t, "message "+id+" is read", func() bool { return messageStatus(t, app, n.TenantID, id).Status == "read" })
	}
	// The customer's phone shows them, in order.
	thread := app.Sandbox.Fake.Conversation(n.PhoneNumberID, c.WaID)
	var outgoing []string
	for _, e := range thread {
		if e.Direction == fakemeta.Outbound {
			outgoing = append(outgoing, e.Type)
		}
	}
	if strings.Join(outgoing, ",") != "text,location,interactive,interactive" {
		t.Fatalf("the customer received %v", outgoing)
	}
	// A reaction to the customer's message, and a reply quoting it.
	first := thread[0].WAMID
	for _, content := range []outbound.Content{{Type: outbound.TypeReaction, ReactTo: first, Emoji: "👍"}, {Type: outbound.TypeText, Text: "Risposta", ReplyTo: first}} {
		m, _, err := app.Outbound.Send(ctx, outbound.Request{TenantID: n.TenantID, NumberID: n.ID, ContactID: c.ID, Content: content})
		if err != nil {
			t.Fatal(err)
		}
		eventually(t, content.Type+" accepted by Meta", func() bool { return messageStatus(t, app, n.TenantID, m.ID).WAMID != "" })
	}
}

func TestRulesRefuseAndSendNothing(t *testing.T) {
	t.Parallel()
	app := servertest.New(t, servertest.Options{RunWorkers: true})
	n := sandboxNumber(t, app)
	ctx := context.Background()
	c := customerWrites(t, app, n, "393330000001", "hello")
	if err := app.DB.Store.UpsertTemplate(ctx, n.TenantID, storage.TemplateRow{WABAID: n.WABAID, Name: "order_update", Language: "it",
		Category: "UTILITY", Status: "APPROVED", BodyParams: 2}); err != nil {
		t.Fatal(err)
	}
	if err := app.DB.Store.UpsertTemplate(ctx, n.TenantID, storage.TemplateRow{WABAID: n.WABAID, Name: "promo", Language: "it",
		Category: "MARKETING", Status: "PENDING"}); err != nil {
		t.Fatal(err)
	}
	// A contact who never wrote: no window, no consent.
	stranger := "393330000002"
	otherNumber, err := app.Numbers.Add(ctx, storage.Actor{Email: "t"}, number.AddInput{TenantID: app.F.B.ID, Sandbox: true})
	if err != nil {
		t.Fatal(err)
	}
	text := outbound.Content{Type: outbound.TypeText, Text: "hi"}
	tmpl := func(name string, params ...string) outbound.Content {
		return outbound.Content{Type: outbound.TypeTemplate, Template: &outbound.Template{Name: name, Language: "it", BodyParams: params}}
	}
	cases := []struct {
		req  outbound.Request
		code string
	}{
		{outbound.Request{NumberID: n.ID, To: stranger, Content: text}, "window_closed"},
		{outbound.Request{NumberID: n.ID, To: stranger, Content: tmpl("order_update", "Anna", "42")}, "no_consent"},
		{outbound.Request{NumberID: n.ID, ContactID: c.ID, Content: tmpl("nope")}, "template_not_found"},
		{outbound.Request{NumberID: n.ID, ContactID: c.ID, Content: tmpl("promo")}, "template_not_approved"},
		{outbound.Request{NumberID: n.ID, ContactID: c.ID, Content: tmpl("order_update", "Anna")}, "template_params"},
		{outbound.Request{NumberID: otherNumber.ID, ContactID: c.ID, Content: text}, "unknown_contact_or_number"},
		{outbound.Request{NumberID: otherNumber.ID, To: stranger, Content: text}, "unknown_number"},
		{outbound.Request{NumberID: n.ID, ContactID: "00000000-0000-0000-0000-000000000000", Content: text}, "unknown_contact_or_number"},
		{outbound.Request{NumberID: n.ID, To: "12", Content: text}, "invalid_recipient"},
		{outbound.Request{NumberID: n.ID, To: "+39 333 12", Content: text}, "invalid_recipient"},      // too short for Italy
		{outbound.Request{NumberID: n.ID, To: "+999 333 1234", Content: text}, "invalid_recipient"},   // no such country
		{outbound.Request{NumberID: n.ID, To: "+1 555 078 3881", Content: text}, "invalid_recipient"}, // 555 is no area code
		{outbound.Request{NumberID: n.ID, ContactID: c.ID, Content: outbound.Content{Type: outbound.TypeText}}, "invalid_content"},
		{outbound.Request{NumberID: n.ID, ContactID: c.ID, Content: outbound.Content{Type: outbound.TypeImage}}, "invalid_content"},
		{outbound.Request{NumberID: n.ID, ContactID: c.ID, Content: outbound.Content{Type: outbound.TypeImage, MediaID: "00000000-0000-0000-0000-000000000000"}}, "unknown_media"},
		{outbound.Request{NumberID: n.ID, ContactID: c.ID, Content: outbound.Content{Type: outbound.TypeInteractive, Interactive: &outbound.Interactive{Body: "x",
			Buttons: []outbound.Choice{{ID: "1", Title: "a"}, {ID: "2", Title: "b"}, {ID: "3", Title: "c"}, {ID: "4", Title: "d"}}}}}, "invalid_content"},
		// A file may head reply buttons only, and only a picture, video or document.
		{outbound.Request{NumberID: n.ID, ContactID: c.ID, Content: outbound.Content{Type: outbound.TypeInteractive, Interactive: &outbound.Interactive{Body: "x",
			HeaderMediaID: "00000000-0000-0000-0000-000000000000", HeaderKind: "image", ListButton: "Menu", Rows: []outbound.Choice{{ID: "1", Title: "a"}}}}}, "invalid_content"},
		{outbound.Request{NumberID: n.ID, ContactID: c.ID, Content: outbound.Content{Type: outbound.TypeInteractive, Interactive: &outbound.Interactive{Body: "x",
			HeaderMediaID: "00000000-0000-0000-0000-000000000000", HeaderKind: "audio", Buttons: []outbound.Choice{{ID: "1", Title: "a"}}}}}, "invalid_content"},
		{outbound.Request{NumberID: n.ID, ContactID: c.ID, Content: outbound.Content{Type: outbound.TypeInteractive, Interactive: &outbound.Interactive{Body: "x",
			HeaderMediaID: "00000000-0000-0000-0000-000000000000", HeaderKind: "image", Buttons: []outbound.Choice{{ID: "1", Title: "a"}}}}}, "unknown_media"},
	}
	for _, tc := range cases {
		tc.req.TenantID = n.TenantID
		_, _, err := app.Outbound.Send(ctx, tc.req)
		var refused *outbound.Error
		if !errors.As(err, &refused) || refused.Code != tc.code {
			t.Errorf("%+v: got %v, want %s", tc.req.Content.Type, err, tc.code)
		}
	}
	// Inside the window a template needs no consent; with consent, outside
	// the window, it goes too.
	if _, _, err := app.Outbound.Send(ctx, outbound.Request{TenantID: n.TenantID, NumberID: n.ID, ContactID: c.ID, Content: tmpl("order_update", "Anna", "42")}); err != nil {
		t.Fatalf("template inside the window: %v", err)
	}
	// Two days later the window has closed: a template needs consent.
	if err := app.DB.Store.InTenant(ctx, n.TenantID, func(tx pgx.Tx) error {
		_, err := tx.Exec(ctx, `UPDATE conversations SET last_inbound_at = now() - interval '48 hours' WHERE tenant_id = $1`, n.TenantID)
		return err
	}); err != nil {
		t.Fatal(err)
	}
	later := outbound.Request{TenantID: n.TenantID, NumberID: n.ID, ContactID: c.ID, Content: tmpl("order_update", "Anna", "43")}
	var refused *outbound.Error
	if _, _, err := app.Outbound.Send(ctx, later); !errors.As(err, &refused) || refused.Code != "no_consent" {
		t.Fatalf("template outside the window without consent: %v", err)
	}
	if _, err := app.DB.Store.SetConsent(ctx, n.TenantID, c.ID, "granted", "written", "admin@alpha.test", "signed form"); err != nil {
		t.Fatal(err)
	}
	if _, _, err := app.Outbound.Send(ctx, later); err != nil {
		t.Fatalf("template with consent: %v", err)
	}
	if _, _, err := app.Outbound.Send(ctx, outbound.Request{TenantID: n.TenantID, NumberID: n.ID, ContactID: c.ID, Content: text}); !errors.As(err, &refused) || refused.Code != "window_closed" {
		t.Fatalf("free text outside the window, even with consent: %v", err)
	}
}

func TestIdempotencyKeySendsOnce(t *testing.T) {
	t.Parallel()
	app := servertest.New(t, servertest.Options{RunWorkers: true})
	n := sandboxNumber(t, app)
	c := customerWrites(t, app, n, "393331112222", "hi")
	ctx := context.Background()
	req := outbound.Request{TenantID: n.TenantID, NumberID: n.ID, ContactID: c.ID, Content: outbound.Content{Type: outbound.TypeText, Text: "only once"}, IdempotencyKey: "order-42"}
	first, created, err := app.Outbound.Send(ctx, req)
	if err != nil || !created {
		t.Fatal(err)
	}
	for i := 0; i < 3; i++ {
		again, created, err := app.Outbound.Send(ctx, req)
		if err != nil || created || again.ID != first.ID {
			t.Fatalf("repeat %d: %v created=%v id=%s", i, err, created, again.ID)
		}
	}
	eventually(t, "sent", func() bool { return messageStatus(t, app, n.TenantID, first.ID).WAMID != "" })
	time.Sleep(200 * time.Millisecond)
	count := 0
	for _, e := range app.Sandbox.Fake.Conversation(n.PhoneNumberID, c.WaID) {
		if e.Direction == fakemeta.Outbound && e.Text == "only once" {
			count++
		}
	}
	if count != 1 {
		t.Fatalf("the customer received it %d times", count)
	}
}

func TestPermanentErrorIsRecordedWithMetasReason(t *testing.T) {
	t.Parallel()
	app := servertest.New(t, servertest.Options{RunWorkers: true})
	n := sandboxNumber(t, app)
	c := customerWrites(t, app, n, "393339998888", "hi")
	ctx := context.Background()
	// Meta says 131026 (undeliverable) asynchronously, as it does.
	app.Sandbox.Fake.FailRecipient(c.WaID, 131026)
	m, _, err := app.Outbound.Send(ctx, outbound.Request{TenantID: n.TenantID, NumberID: n.ID, ContactID: c.ID, Content: outbound.Content{Type: outbound.TypeText, Text: "hello?"}})
	if err != nil {
		t.Fatal(err)
	}
	eventually(t, "the failure is recorded", func() bool { return messageStatus(t, app, n.TenantID, m.ID).Status == "failed" })
	got := messageStatus(t, app, n.TenantID, m.ID)
	if got.ErrorCode == nil || *got.ErrorCode != 131026 || got.ErrorTitle == "" {
		t.Fatalf("failure without Meta's reason: %+v", got)
	}
	// A template Meta does not have (but our catalog wrongly says approved):
	// refused synchronously with 132001, final, not retried.
	app.Sandbox.Fake.FailRecipient(c.WaID, 0)
	if err := app.DB.Store.UpsertTemplate(ctx, n.TenantID, storage.TemplateRow{WABAID: n.WABAID, Name: "ghost", Language: "it", Status: "APPROVED"}); err != nil {
		t.Fatal(err)
	}
	m2, _, err := app.Outbound.Send(ctx, outbound.Request{TenantID: n.TenantID, NumberID: n.ID, ContactID: c.ID,
		Content: outbound.Content{Type: outbound.TypeTemplate, Template: &outbound.Template{Name: "ghost", Language: "it"}}})
	if err != nil {
		t.Fatal(err)
	}
	eventually(t, "the template failure is recorded", func() bool { return messageStatus(t, app, n.TenantID, m2.ID).Status == "failed" })
	if got := messageStatus(t, app, n.TenantID, m2.ID); got.ErrorCode == nil || *got.ErrorCode != 132001 {
		t.Fatalf("template failure: %+v", got)
	}
}

func TestStopWithdrawsConsentAndIsAnsweredOnce(t *testing.T) {
	t.Parallel()
	app := servertest.New(t, servertest.Options{RunWorkers: true})
	n := sandboxNumber(t, app)
	ctx := context.Background()
	c := customerWrites(t, app, n, "393334445555", "ciao")
	if _, err := app.DB.Store.SetConsent(ctx, n.TenantID, c.ID, "granted", "web_form", "admin@alpha.test", ""); err != nil {
		t.Fatal(err)
	}
	customerWrites(t, app, n, c.WaID, "basta")
	eventually(t, "consent withdrawn", func() bool {
		got, _ := app.DB.Store.Contact(ctx, n.TenantID, c.ID)
		return got.Consent == "revoked"
	})
	customerWrites(t, app, n, c.WaID, "STOP")
	eventually(t, "the confirmation reaches the customer", func() bool {
		for _, e := range app.Sandbox.Fake.Conversation(n.PhoneNumberID, c.WaID) {
			if e.Direction == fakemeta.Outbound {
				return true
			}
		}
		return false
	})
	time.Sleep(300 * time.Millisecond)
	var replies []string
	for _, e := range app.Sandbox.Fake.Conversation(n.PhoneNumberID, c.WaID) {
		if e.Direction == fakemeta.Outbound {
			replies = append(replies, e.Text)
		}
	}
	if len(replies) != 1 || !strings.Contains(replies[0], "Non riceverai") {
		t.Fatalf("replies to the stop words: %q", replies)
	}
	hist, _ := app.DB.Store.ConsentHistory(ctx, n.TenantID, c.ID)
	if len(hist) != 2 || hist[0].Consent != "revoked" || hist[0].Source != "customer_message" || hist[1].Source != "web_form" {
		t.Fatalf("consent history: %+v", hist)
	}
}

func TestAgentRepliesGoThroughTheSamePipeline(t *testing.T) {
	t.Parallel()
	app := servertest.New(t, servertest.Options{RunWorkers: true})
	n := sandboxNumber(t, app)
	ctx := context.Background()
	c := customerWrites(t, app, n, "393336667777", "Ho un problema con la fattura")
	convs, _ := app.DB.Store.ListConversations(ctx, n.TenantID, storage.ConversationFilter{ContactID: c.ID}, storage.Page{Limit: 1})
	m, err := app.Outbound.Reply(ctx, n.TenantID, app.F.A.Agent.ID, convs[0].ID, outbound.Content{Type: outbound.TypeText, Text: "Ci penso io!"}, "")
	if err != nil || m.ConversationID != convs[0].ID || m.Sender != "agent:"+app.F.A.Agent.ID {
		t.Fatalf("reply: %v %+v", err, m)
	}
	eventually(t, "the reply reaches the customer", func() bool {
		for _, e := range app.Sandbox.Fake.Conversation(n.PhoneNumberID, c.WaID) {
			if e.Direction == fakemeta.Outbound && e.Text == "Ci penso io!" {
				return true
			}
		}
		return false
	})
	var refused *outbound.Error
	if _, err := app.Outbound.Reply(ctx, app.F.B.ID, app.F.B.Agent.ID, convs[0].ID, outbound.Content{Type: outbound.TypeText, Text: "x"}, ""); !errors.As(err, &refused) || refused.Code != "unknown_conversation" {
		t.Fatalf("another tenant's agent replying: %v", err)
	}
	if err := app.DB.Store.InTenant(ctx, n.TenantID, func(tx pgx.Tx) error {
		_, err := tx.Exec(ctx, `UPDATE conversations SET last_inbound_at = now() - interval '25 hours' WHERE tenant_id = $1`, n.TenantID)
		return err
	}); err != nil {
		t.Fatal(err)
	}
	if _, err := app.Outbound.Reply(ctx, n.TenantID, app.F.A.Agent.ID, convs[0].ID, outbound.Content{Type: outbound.TypeText, Text: "late"}, ""); !errors.As(err, &refused) || refused.Code != "window_closed" {
		t.Fatalf("a reply after 25 hours: %v", err)
	}
}

func TestRefusedTokenDisconnectsTheNumberAndTellsTheOperator(t *testing.T) {
	t.Parallel()
	app := servertest.New(t, servertest.Options{RunWorkers: true})
	n := sandboxNumber(t, app)
	ctx := context.Background()
	c := customerWrites(t, app, n, "393332223333", "ciao")
	// The token is revoked at Meta: ours no longer matches.
	if err := app.Numbers.ReplaceToken(ctx, storage.Actor{Email: "t"}, n.TenantID, n.ID, "EAAG-revoked-token"); err != nil {
		t.Fatal(err)
	}
	m, _, err := app.Outbound.Send(ctx, outbound.Request{TenantID: n.TenantID, NumberID: n.ID, ContactID: c.ID, Content: outbound.Content{Type: outbound.TypeText, Text: "hello"}})
	if err != nil {
		t.Fatal(err)
	}
	eventually(t, "the failure is recorded", func() bool { return messageStatus(t, app, n.TenantID, m.ID).Status == "failed" })
	if got := messageStatus(t, app, n.TenantID, m.ID); got.ErrorCode == nil || *got.ErrorCode != 190 {
		t.Fatalf("message: %+v", got)
	}
	if got, _ := app.DB.Store.Number(ctx, n.TenantID, n.ID); got.Status != "disconnected" {
		t.Fatalf("number status %q", got.Status)
	}
	var refused *outbound.Error
	if _, _, err := app.Outbound.Send(ctx, outbound.Request{TenantID: n.TenantID, NumberID: n.ID, ContactID: c.ID, Content: outbound.Content{Type: outbound.TypeText, Text: "again"}}); !errors.As(err, &refused) || refused.Code != "number_disconnected" {
		t.Fatalf("send on a disconnected number: %v", err)
	}
	op := app.Client(t)
	op.MustLogin(app.F.Operator.Email, "fixture-password-1")
	if page := op.Get("/operator/tenants"); !strings.Contains(page.Text("[data-testid=disconnected-numbers]"), n.PhoneNumberID) {
		t.Fatal("the operator is not told")
	}
}

// TestMediaAndContactCardsGoThroughTheSandbox sends a file of every kind
// (uploaded to Meta once, by id) and a contact card.
func TestMediaAndContactCardsGoThroughTheSandbox(t *testing.T) {
	t.Parallel()
	app := servertest.New(t, servertest.Options{RunWorkers: true})
	n := sandboxNumber(t, app)
	ctx := context.Background()
	c := customerWrites(t, app, n, "393338889999", "mandami i documenti")
	files := []struct {
		kind, mime, name string
		data             []byte
	}{
		{"image", "image/png", "logo.png", append([]byte("\x89PNG\r\n\x1a\n"), make([]byte, 200)...)},
		{"video", "video/mp4", "demo.mp4", append([]byte("\x00\x00\x00\x18ftypmp42"), make([]byte, 300)...)},
		{"audio", "audio/mpeg", "voce.mp3", append([]byte("ID3\x03\x00"), make([]byte, 300)...)},
		{"document", "application/pdf", "fattura.pdf", append([]byte("%PDF-1.4\n"), make([]byte, 300)...)},
		{"sticker", "image/webp", "ok.webp", append([]byte("RIFF\x24\x00\x00\x00WEBPVP8 "), make([]byte, 100)...)},
	}
	var ids []string
	for _, f := range files {
		id := domain.NewID()
		size := int64(len(f.data))
		if _, err := app.Blobs.Put(ctx, n.TenantID+"/"+id, strings.NewReader(string(f.data))); err != nil {
			t.Fatal(err)
		}
		if _, err := app.DB.Store.CreateOutboundMedia(ctx, domain.Media{ID: id, TenantID: n.TenantID, NumberID: n.ID, MimeType: f.mime,
			Filename: f.name, Size: &size, BlobKey: n.TenantID + "/" + id}); err != nil {
			t.Fatal(err)
		}
		content := outbound.Content{Type: f.kind, MediaID: id, Filename: f.name}
		if f.kind != "audio" && f.kind != "sticker" {
			content.Text = "ecco " + f.name
		}
		m, _, err := app.Outbound.Send(ctx, outbound.Request{TenantID: n.TenantID, NumberID: n.ID, ContactID: c.ID, Content: content})
		if err != nil {
			t.Fatalf("%s: %v", f.kind, err)
		}
		ids = append(ids, m.ID)
	}
	card, _, err := app.Outbound.Send(ctx, outbound.Request{TenantID: n.TenantID, NumberID: n.ID, ContactID: c.ID,
		Content: outbound.Content{Type: outbound.TypeContacts, Contacts: []outbound.SharedContact{{Name: "Ufficio fatture", Phones: []string{"+39 02 1234 5678"}}}}})
	if err != nil {
		t.Fatal(err)
	}
	ids = append(ids, card.ID)
	for _, id := range ids {
		eventually(t, "message "+id+" is accepted", func() bool {
			m := messageStatus(t, app, n.TenantID, id)
			if m.Status == "failed" {
				t.Fatalf("message failed: %s %s", m.ErrorTitle, m.ErrorDetails)
			}
			return m.WAMID != ""
		})
	}
	got := map[string][]byte{}
	for _, e := range app.Sandbox.Fake.Conversation(n.PhoneNumberID, c.WaID) {
		if e.Direction != fakemeta.Outbound {
			continue
		}
		if e.Media != nil && e.Media.ID != "" {
			data, _, err := app.Sandbox.Fake.MediaContent(e.Media.ID)
			if err != nil {
				t.Fatal(err)
			}
			got[e.Type] = data
		} else {
			got[e.Type] = []byte(e.Text)
		}
	}
	for _, f := range files {
		if string(got[f.kind]) != string(f.data) {
			t.Errorf("%s: the customer got %d bytes, want %d", f.kind, len(got[f.kind]), len(f.data))
		}
	}
	if !strings.Contains(string(got["contacts"]), "Ufficio fatture") {
		t.Errorf("contact card: %q", got["contacts"])
	}
}
