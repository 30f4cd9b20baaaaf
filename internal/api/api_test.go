package api_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"switchboard/internal/number"
	"switchboard/internal/server/servertest"
	"switchboard/internal/storage"
	"switchboard/internal/whatsapp/webhook"
)

// apiClient calls the API with a key and checks every answer against the
// OpenAPI document.
type apiClient struct {
	t    *testing.T
	app  *servertest.App
	key  string
	spec *spec
}

func (c *apiClient) get(path, documented string) (int, map[string]any) {
	c.t.Helper()
	req, _ := http.NewRequest(http.MethodGet, c.app.URL+path, nil)
	req.Header.Set("Authorization", "Bearer "+c.key)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		c.t.Fatal(err)
	}
	defer res.Body.Close()
	raw, _ := io.ReadAll(res.Body)
	var body map[string]any
	if err := json.Unmarshal(raw, &body); err != nil {
		c.t.Fatalf("GET %s: not JSON: %s", path, raw)
	}
	if ct := res.Header.Get("Content-Type"); ct != "application/json" {
		c.t.Errorf("GET %s: Content-Type %q", path, ct)
	}
	sch, err := c.spec.responseSchema(documented, http.MethodGet, res.StatusCode)
	if err != nil {
		c.t.Fatalf("GET %s: %v", path, err)
	}
	if err := c.spec.validate(sch, body, "$"); err != nil {
		c.t.Fatalf("GET %s (%d) does not match the OpenAPI document: %v\n%s", path, res.StatusCode, err, raw)
	}
	return res.StatusCode, body
}

func TestReadAPIMatchesItsDocument(t *testing.T) {
	t.Parallel()
	sp, err := loadSpec()
	if err != nil {
		t.Fatal(err)
	}
	app := servertest.New(t)
	ctx := context.Background()
	n, err := app.Numbers.Add(ctx, storage.Actor{Email: "test"}, number.AddInput{TenantID: app.F.A.ID, PhoneNumberID: "106540352242922",
		DisplayPhone: "+1 555 078 3881", WABAID: "102290129340398", AccessToken: "EAAG-token-123456"})
	if err != nil {
		t.Fatal(err)
	}
	cust := webhook.Contact{WaID: "16505551234", Name: "Kerry"}
	b := webhook.NewMessagesPayload(n.WABAID, n.PhoneNumberID, "15550783881").
		AddMessage(cust, webhook.Message{Text: &webhook.Text{Body: "hello"}, Timestamp: time.Now().Add(-time.Minute)})
	first := b.LastMessageID()
	b.Image(cust, webhook.Media{ID: "m1", MimeType: "image/jpeg", SHA256: "x", Caption: "photo"}).
		Location(cust, webhook.Location{Latitude: 45.46, Longitude: 9.19, Name: "Duomo", Address: "Piazza"}).
		AddMessage(cust, webhook.Message{Text: &webhook.Text{Body: "re"}, Context: &webhook.Context{ID: first, Forwarded: true}})
	body, sig := b.Signed([]byte(servertest.MetaAppSecret))
	req, _ := http.NewRequest(http.MethodPost, app.URL+"/webhooks/whatsapp", strings.NewReader(string(body)))
	req.Header.Set("X-Hub-Signature-256", sig)
	if res, err := http.DefaultClient.Do(req); err != nil || res.StatusCode != 200 {
		t.Fatalf("webhook: %v", err)
	}
	app.Processor.Drain(ctx)
	key, err := app.APIKeys.Create(ctx, storage.Actor{Email: "test"}, app.F.A.ID, "crm")
	if err != nil {
		t.Fatal(err)
	}
	c := &apiClient{t: t, app: app, key: key, spec: sp}

	_, contacts := c.get("/api/v1/contacts?wa_id=16505551234", "/api/v1/contacts")
	data := contacts["data"].([]any)
	if len(data) != 1 || data[0].(map[string]any)["name"] != "Kerry" {
		t.Fatalf("contacts: %v", contacts)
	}
	contactID := data[0].(map[string]any)["id"].(string)
	// The same contact however its number is written; no digits is refused.
	if _, spaced := c.get("/api/v1/contacts?wa_id=%2B1%20650-555-1234", "/api/v1/contacts"); len(spaced["data"].([]any)) != 1 {
		t.Fatalf("contacts by a spaced number: %v", spaced)
	}
	if status, bad := c.get("/api/v1/contacts?wa_id=kerry", "/api/v1/contacts"); status != http.StatusBadRequest || bad["error"].(map[string]any)["code"] != "invalid_parameter" {
		t.Fatalf("contacts by a wa_id without digits: %d %v", status, bad)
	}
	_, convs := c.get("/api/v1/conversations?status=queued&contact_id="+contactID+"&number_id="+n.ID, "/api/v1/conversations")
	cd := convs["data"].([]any)
	if len(cd) != 1 {
		t.Fatalf("conversations: %v", convs)
	}
	conv := cd[0].(map[string]any)
	if conv["window_expires_at"] == nil || conv["assigned_agent_id"] != nil {
		t.Fatalf("conversation: %v", conv)
	}
	convID := conv["id"].(string)
	c.get("/api/v1/conversations/"+convID, "/api/v1/conversations/{id}")
	// Paging: two at a time, oldest first, until next_cursor is empty.
	var texts []string
	var types []string
	path := "/api/v1/conversations/" + convID + "/messages?limit=2"
	for pages := 0; path != ""; pages++ {
		if pages > 5 {
			t.Fatal("paging does not end")
		}
		_, ms := c.get(path, "/api/v1/conversations/{id}/messages")
		for _, m := range ms["data"].([]any) {
			mm := m.(map[string]any)
			texts = append(texts, mm["text"].(string))
			types = append(types, mm["type"].(string))
		}
		path = ""
		if next := ms["next_cursor"].(string); next != "" {
			path = "/api/v1/conversations/" + convID + "/messages?limit=2&cursor=" + next
		}
	}
	if strings.Join(texts, "|") != "hello|photo|Duomo|re" || strings.Join(types, ",") != "text,image,location,text" {
		t.Fatalf("messages in order: %v %v", texts, types)
	}
	m, _ := app.DB.Store.MessageByWAMID(ctx, app.F.A.ID, first)
	_, one := c.get("/api/v1/messages/"+m.ID, "/api/v1/messages/{id}")
	if one["wamid"] != first || one["direction"] != "inbound" {
		t.Fatalf("message: %v", one)
	}
	// Errors have the documented shape; another tenant's key sees nothing.
	if code, _ := c.get("/api/v1/messages/00000000-0000-0000-0000-000000000000", "/api/v1/messages/{id}"); code != 404 {
		t.Fatalf("unknown message: %d", code)
	}
	if code, _ := c.get("/api/v1/conversations?status=open", "/api/v1/conversations"); code != 400 {
		t.Fatal("bad status accepted")
	}
	if code, _ := c.get("/api/v1/conversations?limit=1000", "/api/v1/conversations"); code != 400 {
		t.Fatal("bad limit accepted")
	}
	if code, _ := c.get("/api/v1/contacts?cursor=garbage", "/api/v1/contacts"); code != 400 {
		t.Fatal("bad cursor accepted")
	}
	keyB, _ := app.APIKeys.Create(ctx, storage.Actor{Email: "test"}, app.F.B.ID, "b")
	cb := &apiClient{t: t, app: app, key: keyB, spec: sp}
	if code, _ := cb.get("/api/v1/conversations/"+convID, "/api/v1/conversations/{id}"); code != 404 {
		t.Fatalf("tenant B reading A's conversation: %d", code)
	}
	if code, _ := cb.get("/api/v1/conversations/"+convID+"/messages", "/api/v1/conversations/{id}/messages"); code != 404 {
		t.Fatalf("tenant B reading A's messages: %d", code)
	}
	if _, l := cb.get("/api/v1/contacts", "/api/v1/contacts"); len(l["data"].([]any)) != 0 {
		t.Fatal("tenant B sees A's contacts")
	}
	res, _ := http.Get(app.URL + "/api/v1/openapi.yaml")
	served, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if !strings.Contains(string(served), `"openapi": "3.1.0"`) {
		t.Fatal("the document is not served")
	}
}
