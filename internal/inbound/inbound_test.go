package inbound_test

import (
	"bytes"
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"switchboard/internal/domain"
	"switchboard/internal/inbound"
	"switchboard/internal/number"
	"switchboard/internal/server/servertest"
	"switchboard/internal/storage"
	"switchboard/internal/whatsapp/webhook"
)

// harness is a running server with one live number for tenant A and a way
// to post webhooks as Meta does.
type harness struct {
	t   *testing.T
	app *servertest.App
	n   domain.Number
}

func newHarness(t *testing.T) *harness {
	t.Helper()
	app := servertest.New(t)
	n, err := app.Numbers.Add(context.Background(), storage.Actor{Email: "test"}, number.AddInput{
		TenantID: app.F.A.ID, PhoneNumberID: "106540352242922", DisplayPhone: "+1 555 078 3881",
		WABAID: "102290129340398", AccessToken: "EAAG-test-token-1234",
	})
	if err != nil {
		t.Fatal(err)
	}
	return &harness{t: t, app: app, n: n}
}

func (h *harness) builder() *webhook.Builder {
	return webhook.NewMessagesPayload(h.n.WABAID, h.n.PhoneNumberID, "15550783881")
}

// post sends body signed with the platform app's secret (or sig as given).
func (h *harness) post(body []byte, sig string) int {
	h.t.Helper()
	if sig == "" {
		sig = webhook.Sign([]byte(servertest.MetaAppSecret), body)
	}
	req, _ := http.NewRequest(http.MethodPost, h.app.URL+"/webhooks/whatsapp", bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	if sig != "-" {
		req.Header.Set("X-Hub-Signature-256", sig)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		h.t.Fatal(err)
	}
	res.Body.Close()
	return res.StatusCode
}

func (h *harness) process() { h.app.Processor.Drain(context.Background()) }

func (h *harness) events(state string) []storage.WebhookEvent {
	evs, err := h.app.DB.Store.ListWebhookEvents(context.Background(), state, 100)
	if err != nil {
		h.t.Fatal(err)
	}
	return evs
}

func (h *harness) message(wamid string) domain.Message {
	h.t.Helper()
	m, err := h.app.DB.Store.MessageByWAMID(context.Background(), h.n.TenantID, wamid)
	if err != nil {
		h.t.Fatalf("message %s: %v", wamid, err)
	}
	return m
}

var customer = webhook.Contact{WaID: "16505551234", Name: "Kerry Fisher"}

func TestHandshake(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	get := func(q string) (int, string) {
		res, err := http.Get(h.app.URL + "/webhooks/whatsapp?" + q)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		var b bytes.Buffer
		b.ReadFrom(res.Body)
		return res.StatusCode, b.String()
	}
	if code, body := get("hub.mode=subscribe&hub.challenge=1158201444&hub.verify_token=" + servertest.MetaVerifyToken); code != 200 || body != "1158201444" {
		t.Fatalf("handshake: %d %q", code, body)
	}
	for _, q := range []string{"hub.mode=subscribe&hub.challenge=1&hub.verify_token=wrong", "hub.mode=unsubscribe&hub.challenge=1&hub.verify_token=" + servertest.MetaVerifyToken, ""} {
		if code, body := get(q); code != http.StatusForbidden || strings.Contains(body, "1158201444") {
			t.Errorf("%q: %d", q, code)
		}
	}
	if res, _ := http.Get(h.app.URL + "/webhooks/whatsapp/nope?hub.mode=subscribe"); res.StatusCode != http.StatusForbidden && res.StatusCode != http.StatusNotFound {
		t.Errorf("unknown app: %d", res.StatusCode)
	}
}

func TestSignatureIsCheckedBeforeAnythingIsStored(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	body := h.builder().Text(customer, "hello").Bytes()
	for name, sig := range map[string]string{
		"missing":    "-",
		"wrong":      webhook.Sign([]byte("another-secret-entirely!"), body),
		"malformed":  "sha256=zz",
		"no prefix":  strings.TrimPrefix(webhook.Sign([]byte(servertest.MetaAppSecret), body), "sha256="),
		"other body": webhook.Sign([]byte(servertest.MetaAppSecret), append(body, ' ')),
	} {
		if code := h.post(body, sig); code != http.StatusUnauthorized {
			t.Errorf("%s signature: %d, want 401", name, code)
		}
	}
	if n := len(h.events("pending")) + len(h.events("processed")) + len(h.events("failed")); n != 0 {
		t.Fatalf("%d events stored from refused POSTs", n)
	}
	big := make([]byte, 3<<20+10)
	if code := h.post(big, ""); code != http.StatusRequestEntityTooLarge {
		t.Errorf("over 3 MB: %d", code)
	}
	if code := h.post(body, ""); code != http.StatusOK {
		t.Fatalf("valid POST: %d", code)
	}
	if len(h.events("pending")) != 1 {
		t.Fatal("valid POST not stored before the 200")
	}
	metrics, _ := http.Get(h.app.URL + "/metrics")
	var b bytes.Buffer
	b.ReadFrom(metrics.Body)
	metrics.Body.Close()
	for _, want := range []string{`switchboard_webhooks_total{outcome="bad_signature"} 5`, `switchboard_webhooks_total{outcome="stored"} 1`, `switchboard_webhooks_total{outcome="too_large"} 1`} {
		if !strings.Contains(b.String(), want) {
			t.Errorf("metrics lack %s", want)
		}
	}
}

func TestEveryItemOfAPostIsApplied(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	other := webhook.Contact{WaID: "393331234567", Name: "Giulia"}
	b1 := h.builder().
		Text(customer, "first").
		Image(customer, webhook.Media{ID: "media-1", MimeType: "image/jpeg", SHA256: "abc", Caption: "a photo"}).
		Location(other, webhook.Location{Latitude: 45.4642, Longitude: 9.19, Name: "Duomo", Address: "Piazza del Duomo"})
	textID := ""
	b2 := h.builder().Text(other, "second entry")
	textID = b2.LastMessageID()
	b2.Reaction(other, textID, "👍")
	body, err := webhook.Batch(b1, b2)
	if err != nil {
		t.Fatal(err)
	}
	if code := h.post(body, ""); code != 200 {
		t.Fatal(code)
	}
	h.process()
	if evs := h.events("processed"); len(evs) != 1 {
		t.Fatalf("processed events: %d; failed: %+v", len(evs), h.events("failed"))
	}
	convs, err := h.app.DB.Store.ListConversations(context.Background(), h.n.TenantID, storage.ConversationFilter{}, storage.Page{Limit: 10})
	if err != nil || len(convs) != 2 {
		t.Fatalf("conversations: %d %v", len(convs), err)
	}
	total := 0
	for _, c := range convs {
		if c.Status != domain.ConversationQueued || c.WindowExpiresAt == nil {
			t.Errorf("conversation %+v", c)
		}
		msgs, _ := h.app.DB.Store.ListMessages(context.Background(), h.n.TenantID, c.ID, storage.Page{Limit: 10})
		total += len(msgs)
	}
	if total != 5 {
		t.Fatalf("%d messages stored, want 5", total)
	}
	if m := h.message(textID); m.Reaction != "👍" || m.Text != "second entry" {
		t.Fatalf("reaction not applied to its message: %+v", m)
	}
	contacts, _ := h.app.DB.Store.ListContacts(context.Background(), h.n.TenantID, "", storage.Page{Limit: 10})
	if len(contacts) != 2 {
		t.Fatalf("%d contacts", len(contacts))
	}
	// Tenant B sees none of it.
	if c, _ := h.app.DB.Store.ListContacts(context.Background(), h.app.F.B.ID, "", storage.Page{Limit: 10}); len(c) != 0 {
		t.Fatal("tenant B sees tenant A's contacts")
	}
}

func TestRedeliveryIsStoredOnce(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	b := h.builder().Text(customer, "only once")
	body := b.Bytes()
	for i := 0; i < 3; i++ {
		if code := h.post(body, ""); code != 200 {
			t.Fatal(code)
		}
	}
	h.process()
	m := h.message(b.LastMessageID())
	msgs, _ := h.app.DB.Store.ListMessages(context.Background(), h.n.TenantID, m.ConversationID, storage.Page{Limit: 10})
	if len(msgs) != 1 || len(h.events("processed")) != 3 {
		t.Fatalf("%d messages from 3 deliveries", len(msgs))
	}
}

func TestStatusesMoveOnlyForward(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	ctx := context.Background()
	// An outbound message, as the sender will store it, with its statuses
	// arriving read, then sent, then delivered, then a duplicate read.
	wamid := webhook.NewWAMID()
	h.post(h.builder().Text(customer, "hi").Bytes(), "")
	h.process()
	convs, _ := h.app.DB.Store.ListConversations(ctx, h.n.TenantID, storage.ConversationFilter{}, storage.Page{Limit: 1})
	base := time.Now().Add(-time.Minute)
	for i, st := range []string{"read", "sent", "delivered", "read"} {
		h.post(h.builder().Status(wamid, st, customer.WaID, base.Add(time.Duration(i)*time.Second)).Bytes(), "")
	}
	h.process()
	// The statuses came before their message: kept, and applied when it is stored.
	err := h.app.DB.Store.InPlatform(ctx, func(tx pgxTx) error {
		itx := storage.Inbound(tx)
		if _, err := itx.InsertMessage(ctx, domain.Message{TenantID: h.n.TenantID, ConversationID: convs[0].ID, WAMID: wamid,
			Direction: "outbound", Type: "text", Text: "reply", Timestamp: base}, nil); err != nil {
			return err
		}
		return inbound.ApplyRecordedStatuses(ctx, itx, h.n.TenantID, wamid)
	})
	if err != nil {
		t.Fatal(err)
	}
	if m := h.message(wamid); m.Status != "read" {
		t.Fatalf("status %q, want read", m.Status)
	}
	// A late delivered, and a failure, do not move it back.
	h.post(h.builder().Status(wamid, "delivered", customer.WaID, base.Add(time.Hour)).Bytes(), "")
	h.post(h.builder().AddStatus(webhook.Status{ID: wamid, Status: "failed", RecipientID: customer.WaID, Timestamp: base.Add(time.Hour),
		Errors: []webhook.Error{{Code: 131049, Title: "not delivered"}}}).Bytes(), "")
	h.process()
	if m := h.message(wamid); m.Status != "read" || m.ErrorCode != nil {
		t.Fatalf("after late statuses: %q %v", m.Status, m.ErrorCode)
	}
}

func TestFailedStatusRecordsMetasReason(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	ctx := context.Background()
	h.post(h.builder().Text(customer, "hi").Bytes(), "")
	h.process()
	convs, _ := h.app.DB.Store.ListConversations(ctx, h.n.TenantID, storage.ConversationFilter{}, storage.Page{Limit: 1})
	wamid := webhook.NewWAMID()
	err := h.app.DB.Store.InPlatform(ctx, func(tx pgxTx) error {
		_, err := storage.Inbound(tx).InsertMessage(ctx, domain.Message{TenantID: h.n.TenantID, ConversationID: convs[0].ID, WAMID: wamid,
			Direction: "outbound", Type: "text", Timestamp: time.Now()}, nil)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	h.post(h.builder().Status(wamid, "sent", customer.WaID, time.Now()).Bytes(), "")
	h.post(h.builder().AddStatus(webhook.Status{ID: wamid, Status: "failed", RecipientID: customer.WaID, Timestamp: time.Now(),
		Errors: []webhook.Error{{Code: 131049, Title: "This message was not delivered to maintain healthy ecosystem engagement.", Details: "In order to maintain a healthy ecosystem engagement, the message failed to be delivered."}}}).Bytes(), "")
	h.process()
	m := h.message(wamid)
	if m.Status != "failed" || m.ErrorCode == nil || *m.ErrorCode != 131049 || !strings.Contains(m.ErrorDetails, "healthy ecosystem") {
		t.Fatalf("failed status: %+v", m)
	}
}

func TestUnknownNumberIsKeptAndReplayedAfterAFix(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	ctx := context.Background()
	b := webhook.NewMessagesPayload("555", "999000111", "15550000000").Text(customer, "to a number not yet connected")
	h.post(b.Bytes(), "")
	h.process()
	failed := h.events("failed")
	if len(failed) != 1 || !strings.Contains(failed[0].Reason, `unknown phone_number_id "999000111"`) {
		t.Fatalf("failed events: %+v", failed)
	}
	// Connect the number, replay: the message arrives, once.
	if _, err := h.app.Numbers.Add(ctx, storage.Actor{Email: "test"}, number.AddInput{TenantID: h.app.F.B.ID,
		PhoneNumberID: "999000111", DisplayPhone: "+1 555 000 0000", WABAID: "555", AccessToken: "token-b-1234"}); err != nil {
		t.Fatal(err)
	}
	n, err := h.app.DB.Store.ReplayWebhookEvents(ctx, storage.Actor{Email: "test"}, failed[0].ID, time.Time{})
	if err != nil || n != 1 {
		t.Fatalf("replay: %d %v", n, err)
	}
	h.process()
	if len(h.events("failed")) != 0 {
		t.Fatalf("still failed after replay: %+v", h.events("failed"))
	}
	if _, err := h.app.DB.Store.MessageByWAMID(ctx, h.app.F.B.ID, b.LastMessageID()); err != nil {
		t.Fatalf("replayed message not stored for tenant B: %v", err)
	}
}

func TestUnparseablePayloadsAreKeptWithTheReason(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	for _, body := range []string{`{not json`, `[]`, `{"object":"page","entry":[]}`, `{"object":"whatsapp_business_account","entry":[{"changes":[{"field":"messages","value":{"metadata":{"phone_number_id":"106540352242922"},"messages":[{"type":"image","from":"1","timestamp":"1700000000"}]}}]}]}`} {
		if code := h.post([]byte(body), ""); code != 200 {
			t.Fatalf("signed but odd body %q: %d (Meta must get 200 so it does not retry for a week)", body, code)
		}
	}
	// A good event after them is not held back.
	good := h.builder().Text(customer, "still here")
	h.post(good.Bytes(), "")
	h.process()
	failed := h.events("failed")
	if len(failed) != 4 {
		t.Fatalf("%d failed events, want 4", len(failed))
	}
	for _, e := range failed {
		if e.Reason == "" {
			t.Errorf("event %d failed without a reason", e.ID)
		}
	}
	h.message(good.LastMessageID())
}

func TestOpenConversationIsReusedAndAClosedOneIsNot(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	ctx := context.Background()
	first := h.builder().Text(customer, "one")
	h.post(first.Bytes(), "")
	h.process()
	second := h.builder().Text(customer, "two")
	h.post(second.Bytes(), "")
	h.process()
	c1, c2 := h.message(first.LastMessageID()).ConversationID, h.message(second.LastMessageID()).ConversationID
	if c1 != c2 {
		t.Fatal("a second message opened a second conversation")
	}
	if err := h.app.DB.Store.InTenant(ctx, h.n.TenantID, func(tx pgxTx) error {
		_, err := tx.Exec(ctx, `UPDATE conversations SET status = 'closed', closed_at = now() WHERE tenant_id = $1 AND id = $2`, h.n.TenantID, c1)
		return err
	}); err != nil {
		t.Fatal(err)
	}
	third := h.builder().Text(customer, "three")
	h.post(third.Bytes(), "")
	h.process()
	if h.message(third.LastMessageID()).ConversationID == c1 {
		t.Fatal("a message to a closed conversation did not open a new one")
	}
}

func TestConversationFollowsWhatsAppTimestamps(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	ctx := context.Background()
	base := time.Now().Add(-time.Hour).Truncate(time.Second)
	later := h.builder().AddMessage(customer, webhook.Message{Text: &webhook.Text{Body: "second"}, Timestamp: base.Add(time.Minute)})
	earlier := h.builder().AddMessage(customer, webhook.Message{Text: &webhook.Text{Body: "first"}, Timestamp: base})
	h.post(later.Bytes(), "")
	h.post(earlier.Bytes(), "")
	h.process()
	conv := h.message(later.LastMessageID()).ConversationID
	msgs, _ := h.app.DB.Store.ListMessages(ctx, h.n.TenantID, conv, storage.Page{Limit: 10})
	if len(msgs) != 2 || msgs[0].Text != "first" || msgs[1].Text != "second" {
		t.Fatalf("order: %+v", msgs)
	}
	c, _ := h.app.DB.Store.Conversation(ctx, h.n.TenantID, conv)
	if !c.WindowExpiresAt.Equal(base.Add(time.Minute + 24*time.Hour)) {
		t.Fatalf("window expires %v, want 24 h after the latest customer message", c.WindowExpiresAt)
	}
}

func TestContactsKnownByPhoneAndByBSUIDNeverLoseAMessage(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	phoneOnly := h.builder().Text(webhook.Contact{WaID: "393331000001", Name: "Uno"}, "one")
	bsuidOnly := h.builder().Text(webhook.Contact{UserID: "IT.1000000000000000001", Name: "Uno"}, "two")
	both := h.builder().Text(webhook.Contact{WaID: "393331000001", UserID: "IT.1000000000000000001", Name: "Uno"}, "three")
	for _, b := range []*webhook.Builder{phoneOnly, bsuidOnly, both} {
		h.post(b.Bytes(), "")
	}
	h.process()
	if failed := h.events("failed"); len(failed) != 0 {
		t.Fatalf("failed: %+v", failed)
	}
	for _, b := range []*webhook.Builder{phoneOnly, bsuidOnly, both} {
		h.message(b.LastMessageID())
	}
}

func TestRedeliveryAfterCloseOpensNothing(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	ctx := context.Background()
	b := h.builder().Text(customer, "once")
	body := b.Bytes()
	h.post(body, "")
	h.process()
	conv := h.message(b.LastMessageID()).ConversationID
	if err := h.app.DB.Store.InTenant(ctx, h.n.TenantID, func(tx pgxTx) error {
		_, err := tx.Exec(ctx, `UPDATE conversations SET status = 'closed', closed_at = now() WHERE tenant_id = $1 AND id = $2`, h.n.TenantID, conv)
		return err
	}); err != nil {
		t.Fatal(err)
	}
	h.post(body, "") // Meta retries, days later
	h.process()
	open, _ := h.app.DB.Store.ListConversations(ctx, h.n.TenantID, storage.ConversationFilter{Status: "queued"}, storage.Page{Limit: 10})
	if len(open) != 0 {
		t.Fatalf("a redelivery opened %d conversations", len(open))
	}
}

func TestAnotherAppsSecretCannotWriteIntoThisNumber(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	ctx := context.Background()
	if _, err := h.app.Numbers.RegisterApp(ctx, storage.Actor{Email: "op"}, "tenantx", "Tenant X's app", "tenantx-app-secret-0123456789", "tenantx-verify"); err != nil {
		t.Fatal(err)
	}
	forged := h.builder().Text(customer, "URGENT: I am the CEO, send the codes")
	body := forged.Bytes()
	req, _ := http.NewRequest(http.MethodPost, h.app.URL+"/webhooks/whatsapp/tenantx", bytes.NewReader(body))
	req.Header.Set("X-Hub-Signature-256", webhook.Sign([]byte("tenantx-app-secret-0123456789"), body))
	res, err := http.DefaultClient.Do(req)
	if err != nil || res.StatusCode != 200 {
		t.Fatalf("post: %v", err)
	}
	res.Body.Close()
	// And through the sandbox's endpoint, signed with the sandbox secret.
	req, _ = http.NewRequest(http.MethodPost, h.app.URL+"/webhooks/whatsapp/sandbox", bytes.NewReader(body))
	req.Header.Set("X-Hub-Signature-256", webhook.Sign([]byte(h.app.SandboxSecret), body))
	if res, err := http.DefaultClient.Do(req); err != nil || res.StatusCode != 200 {
		t.Fatalf("post: %v", err)
	} else {
		res.Body.Close()
	}
	h.process()
	if _, err := h.app.DB.Store.MessageByWAMID(ctx, h.n.TenantID, forged.LastMessageID()); err == nil {
		t.Fatal("a webhook from another app wrote into this number's inbox")
	}
	failed := h.events("failed")
	if len(failed) != 2 || !strings.Contains(failed[0].Reason, "not connected through the app") {
		t.Fatalf("failed events: %+v", failed)
	}
}
