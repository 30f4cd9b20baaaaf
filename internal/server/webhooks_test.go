package server_test

import (
	"bytes"
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"switchboard/internal/number"
	"switchboard/internal/server/servertest"
	"switchboard/internal/storage"
	"switchboard/internal/storage/storagetest"
	"switchboard/internal/whatsapp/webhook"
)

// TestOperatorSeesUnappliedWebhooksAndReplaysThem: a message for a number
// nobody has connected is kept with the reason; once an administrator
// connects the number, the operator replays it from the console.
func TestOperatorSeesUnappliedWebhooksAndReplaysThem(t *testing.T) {
	t.Parallel()
	app := servertest.New(t, servertest.Options{RunWorkers: true})
	b := webhook.NewMessagesPayload("102290129340398", "106540352242922", "15550783881").
		Text(webhook.Contact{WaID: "16505551234", Name: "Kerry"}, "anyone there?")
	body, sig := b.Signed([]byte(servertest.MetaAppSecret))
	req, _ := http.NewRequest(http.MethodPost, app.URL+"/webhooks/whatsapp", bytes.NewReader(body))
	req.Header.Set("X-Hub-Signature-256", sig)
	res, err := http.DefaultClient.Do(req)
	if err != nil || res.StatusCode != 200 {
		t.Fatalf("post: %v %v", err, res)
	}
	op := app.Client(t)
	op.MustLogin(app.F.Operator.Email, storagetest.Password)
	var page *servertest.Response
	for i := 0; i < 100; i++ {
		page = op.Get("/operator/webhooks")
		if page.Has("[data-testid=failed-webhook]") {
			break
		}
		waitABit()
	}
	if !strings.Contains(page.Text("[data-testid=reason]"), `unknown phone_number_id "106540352242922"`) {
		t.Fatalf("failed webhook not shown with its reason: %q", page.Text("[data-testid=failed-webhook]"))
	}
	if _, err := app.Numbers.Add(context.Background(), storage.Actor{Email: "test"}, number.AddInput{TenantID: app.F.A.ID,
		PhoneNumberID: "106540352242922", DisplayPhone: "+1 555 078 3881", WABAID: "102290129340398", AccessToken: "EAAG-token-1234"}); err != nil {
		t.Fatal(err)
	}
	action, _ := page.Doc.Find("[data-testid=failed-webhook] form").Attr("action")
	if r := op.Post(action, url.Values{}); r.Status != http.StatusSeeOther {
		t.Fatalf("replay: %d", r.Status)
	}
	for i := 0; i < 100; i++ {
		if _, err := app.DB.Store.MessageByWAMID(context.Background(), app.F.A.ID, b.LastMessageID()); err == nil {
			if op.Get("/operator/webhooks").Has("[data-testid=failed-webhook]") {
				t.Fatal("still listed as failed after the replay applied it")
			}
			return
		}
		waitABit()
	}
	t.Fatal("the replayed message never arrived")
}
