package api_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"mime/multipart"
	"net/http"
	"net/textproto"
	"strings"
	"testing"
	"time"

	"switchboard/internal/number"
	"switchboard/internal/server/servertest"
	"switchboard/internal/storage"
	"switchboard/internal/whatsapp/fakemeta"
	"switchboard/internal/whatsapp/graph"
)

type apiCall struct {
	t    *testing.T
	base string
	key  string
	spec *spec
	// documented is the path template of the call, to check its answer
	// against the OpenAPI document.
	documented string
}

func (c apiCall) do(method, path string, body io.Reader, contentType string, header map[string]string) (int, map[string]any) {
	c.t.Helper()
	req, _ := http.NewRequest(method, c.base+path, body)
	req.Header.Set("Authorization", "Bearer "+c.key)
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	for k, v := range header {
		req.Header.Set(k, v)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		c.t.Fatal(err)
	}
	defer res.Body.Close()
	var out map[string]any
	_ = json.NewDecoder(res.Body).Decode(&out)
	if c.spec != nil {
		doc := c.documented
		if doc == "" {
			doc = strings.SplitN(path, "?", 2)[0]
		}
		sch, err := c.spec.responseSchema(doc, method, res.StatusCode)
		if err != nil {
			c.t.Fatalf("%s %s: %v", method, path, err)
		}
		if err := c.spec.validate(sch, out, "$"); err != nil {
			c.t.Fatalf("%s %s (%d) does not match the OpenAPI document: %v", method, path, res.StatusCode, err)
		}
	}
	return res.StatusCode, out
}

func (c apiCall) send(body string, header map[string]string) (int, map[string]any) {
	return c.do(http.MethodPost, "/api/v1/messages", strings.NewReader(body), "application/json", header)
}

func errCode(body map[string]any) string {
	e, _ := body["error"].(map[string]any)
	s, _ := e["code"].(string)
	return s
}

// TestSendAPIThroughTheSandbox: the tenant's software uploads a photo and
// sends it, sends text with an idempotency key, is refused by the rules
// with precise codes, and — once Meta approves a template — sends it.
func TestSendAPIThroughTheSandbox(t *testing.T) {
	t.Parallel()
	app := servertest.New(t, servertest.Options{RunWorkers: true})
	ctx := context.Background()
	n, err := app.Numbers.Add(ctx, storage.Actor{Email: "test"}, number.AddInput{TenantID: app.F.A.ID, Sandbox: true})
	if err != nil {
		t.Fatal(err)
	}
	app.Sandbox.Register(n)
	key, _ := app.APIKeys.Create(ctx, storage.Actor{Email: "test"}, app.F.A.ID, "crm")
	sp, err := loadSpec()
	if err != nil {
		t.Fatal(err)
	}
	c := apiCall{t: t, base: app.URL, key: key, spec: sp}
	customer := "393331231231"
	if _, err := app.Sandbox.Fake.CustomerSends(ctx, n.PhoneNumberID, fakemeta.InboundMessage{From: customer, Text: "Ciao, avete il catalogo?"}); err != nil {
		t.Fatal(err)
	}
	waitFor(t, func() bool {
		cs, _ := app.DB.Store.ListContacts(ctx, n.TenantID, customer, storage.Page{Limit: 1})
		return len(cs) == 1
	})

	// Upload: Meta's limits first.
	if code, body := upload(c, n.ID, "image", "virus.exe", "application/x-msdownload", []byte("MZ")); code != 422 || errCode(body) != "media_type" {
		t.Fatalf("exe as image: %d %v", code, body)
	}
	if code, body := upload(c, n.ID, "image", "huge.jpg", "image/jpeg", bytes.Repeat([]byte{0xff}, 5<<20+1)); code != 422 || errCode(body) != "media_too_large" ||
		!strings.Contains(body["error"].(map[string]any)["message"].(string), "5 MB") {
		t.Fatalf("6 MB image: %d %v", code, body)
	}
	photo := append([]byte("\xff\xd8\xff\xe0\x00\x10JFIF\x00"), bytes.Repeat([]byte("x"), 2000)...)
	code, media := upload(c, n.ID, "image", "catalogo.jpg", "image/jpeg", photo)
	if code != 201 {
		t.Fatalf("upload: %d %v", code, media)
	}
	code, img := c.send(`{"number_id":"`+n.ID+`","to":"+`+customer+`","type":"image","image":{"media_id":"`+media["id"].(string)+`","caption":"Il catalogo"}}`, nil)
	if code != 202 || img["status"] != "queued" {
		t.Fatalf("send image: %d %v", code, img)
	}
	waitFor(t, func() bool {
		for _, e := range app.Sandbox.Fake.Conversation(n.PhoneNumberID, customer) {
			if e.Direction == fakemeta.Outbound && e.Type == "image" && e.Media != nil {
				data, _, err := app.Sandbox.Fake.MediaContent(e.Media.ID)
				return err == nil && bytes.Equal(data, photo)
			}
		}
		return false
	})

	// The same picture above reply buttons.
	code, withButtons := c.send(`{"number_id":"`+n.ID+`","to":"`+customer+`","type":"interactive","interactive":{"header_media_id":"`+
		media["id"].(string)+`","header_kind":"image","body":"Ti piace?","buttons":[{"id":"yes","title":"Sì"},{"id":"no","title":"No"}]}}`, nil)
	if code != 202 {
		t.Fatalf("send buttons under a picture: %d %v", code, withButtons)
	}
	waitFor(t, func() bool {
		for _, e := range app.Sandbox.Fake.Conversation(n.PhoneNumberID, customer) {
			if e.Direction == fakemeta.Outbound && e.Type == "interactive" && e.Media != nil && len(e.Choices) == 2 {
				data, _, err := app.Sandbox.Fake.MediaContent(e.Media.ID)
				return err == nil && bytes.Equal(data, photo)
			}
		}
		return false
	})

	// Idempotency: the same key, the same message, one send.
	hdr := map[string]string{"Idempotency-Key": "reply-1"}
	body := `{"number_id":"` + n.ID + `","to":"` + customer + `","type":"text","text":{"body":"Eccolo!"}}`
	code1, first := c.send(body, hdr)
	code2, second := c.send(body, hdr)
	if code1 != 202 || code2 != 200 || first["id"] != second["id"] {
		t.Fatalf("idempotency: %d %d %v %v", code1, code2, first["id"], second["id"])
	}

	// Refusals, each with the rule's code, and nothing sent.
	for _, tc := range []struct {
		body, code string
		status     int
	}{
		{`{"number_id":"` + n.ID + `","to":"+393339999999","type":"text","text":{"body":"hi"}}`, "window_closed", 422},
		{`{"number_id":"` + n.ID + `","to":"` + customer + `","type":"template","template":{"name":"nope","language":"it"}}`, "template_not_found", 422},
		{`{"number_id":"00000000-0000-0000-0000-000000000000","to":"` + customer + `","type":"text","text":{"body":"hi"}}`, "unknown_number", 404},
		{`{"number_id":"` + n.ID + `","to":"` + customer + `","type":"fax"}`, "invalid_content", 422},
		{`{"number_id":"` + n.ID + `","to":"` + customer + `","type":"text","text":{"body":"hi"},"extra":1}`, "invalid_json", 400},
		{`not json`, "invalid_json", 400},
		// A JPEG is neither a video nor a document: refused before any upload.
		{`{"number_id":"` + n.ID + `","to":"` + customer + `","type":"video","video":{"media_id":"` + media["id"].(string) + `"}}`, "invalid_content", 422},
		{`{"number_id":"` + n.ID + `","to":"` + customer + `","type":"interactive","interactive":{"header_media_id":"` + media["id"].(string) +
			`","header_kind":"document","body":"Il catalogo","buttons":[{"id":"ok","title":"Grazie"}]}}`, "invalid_content", 422},
	} {
		if code, b := c.send(tc.body, nil); code != tc.status || errCode(b) != tc.code {
			t.Errorf("%s: %d %v, want %d %s", tc.body, code, b, tc.status, tc.code)
		}
	}

	// A template: submitted to Meta (the sandbox), decided there, the
	// decision's webhook refreshes the catalog, and then it can be sent.
	token, _ := app.Numbers.AccessToken(n)
	gc := &graph.Client{HTTP: http.DefaultClient, BaseURL: app.URL + "/sandbox/graph", Version: "v23.0"}
	if _, _, err := gc.CreateTemplate(ctx, token, n.WABAID, graph.TemplateDraft{Name: "order_ready", Language: "it", Category: "UTILITY",
		Components: []graph.TemplateComponent{{Type: "BODY", Text: "Ciao {{1}}, il tuo ordine {{2}} è pronto.",
			Example: &graph.TemplateExample{BodyText: [][]string{{"Anna", "A-42"}}}}}}); err != nil {
		t.Fatal(err)
	}
	waitFor(t, func() bool {
		ts, _ := app.DB.Store.ListTemplates(ctx, n.TenantID, n.WABAID)
		return len(ts) == 1 && ts[0].Status == "APPROVED" && ts[0].BodyParams == 2
	})
	tmpl := `{"number_id":"` + n.ID + `","to":"` + customer + `","type":"template","template":{"name":"order_ready","language":"it","body_params":["Anna"]}}`
	if code, b := c.send(tmpl, nil); code != 422 || errCode(b) != "template_params" {
		t.Fatalf("wrong parameter count: %d %v", code, b)
	}
	tmpl = strings.Replace(tmpl, `["Anna"]`, `["Anna","A-42"]`, 1)
	if code, b := c.send(tmpl, nil); code != 202 {
		t.Fatalf("template: %d %v", code, b)
	}
	waitFor(t, func() bool {
		for _, e := range app.Sandbox.Fake.Conversation(n.PhoneNumberID, customer) {
			if e.Template == "order_ready" && strings.Contains(e.Text, "A-42") {
				return true
			}
		}
		return false
	})

	// Consent, recorded through the API with how it was given.
	cs, _ := app.DB.Store.ListContacts(ctx, n.TenantID, customer, storage.Page{Limit: 1})
	cc := c
	cc.documented = "/api/v1/contacts/{id}/consent"
	code, contact := cc.do(http.MethodPost, "/api/v1/contacts/"+cs[0].ID+"/consent", strings.NewReader(`{"consent":"granted","source":"web_form","note":"newsletter box"}`), "application/json", nil)
	if code != 200 || contact["consent"] != "granted" {
		t.Fatalf("consent: %d %v", code, contact)
	}
	if code, _ := cc.do(http.MethodPost, "/api/v1/contacts/"+cs[0].ID+"/consent", strings.NewReader(`{"consent":"maybe","source":"api"}`), "application/json", nil); code != 400 {
		t.Fatalf("bad consent: %d", code)
	}
	hist, _ := app.DB.Store.ConsentHistory(ctx, n.TenantID, cs[0].ID)
	if len(hist) != 1 || hist[0].Source != "web_form" || !strings.HasPrefix(hist[0].Actor, "api:") {
		t.Fatalf("history: %+v", hist)
	}
}

func upload(c apiCall, numberID, kind, filename, contentType string, data []byte) (int, map[string]any) {
	var b bytes.Buffer
	mw := multipart.NewWriter(&b)
	_ = mw.WriteField("number_id", numberID)
	_ = mw.WriteField("kind", kind)
	h := textproto.MIMEHeader{}
	h.Set("Content-Disposition", `form-data; name="file"; filename="`+filename+`"`)
	h.Set("Content-Type", contentType)
	part, _ := mw.CreatePart(h)
	_, _ = part.Write(data)
	_ = mw.Close()
	return c.do(http.MethodPost, "/api/v1/media", &b, mw.FormDataContentType(), nil)
}

func waitFor(t *testing.T, ok func() bool) {
	t.Helper()
	for deadline := time.Now().Add(20 * time.Second); time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
		if ok() {
			return
		}
	}
	t.Fatal("timed out")
}
