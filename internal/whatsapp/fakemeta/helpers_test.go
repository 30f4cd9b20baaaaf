package fakemeta

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"io"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"net/textproto"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// Meta's example ids (§2.2).
const (
	testSecret   = "app-secret-for-tests"
	testPN       = "106540352242922"
	testWABA     = "102290129340398"
	testDisplay  = "15550783881"
	testToken    = "EAAG-test-token"
	testCustomer = "16505551234"
	otherPN      = "200000000000001"
	otherWABA    = "300000000000001"
	otherToken   = "EAAG-other-token"
)

// clock is an adjustable Config.Now.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

// hook is one webhook POST as received.
type hook struct {
	body      []byte
	signature string
	json      map[string]any
}

// receiver is Switchboard's webhook endpoint as the tests see it: it checks
// the signature with its own HMAC and can fail the first N requests.
type receiver struct {
	t        *testing.T
	mu       sync.Mutex
	hooks    []hook
	failures int // answer 500 to this many requests first
	requests int
	badSig   int
	notify   chan struct{}
}

func (rc *receiver) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	mac := hmac.New(sha256.New, []byte(testSecret))
	mac.Write(body)
	want := "sha256=" + hex.EncodeToString(mac.Sum(nil))
	rc.mu.Lock()
	defer rc.mu.Unlock()
	rc.requests++
	if r.Header.Get("X-Hub-Signature-256") != want || r.Header.Get("Content-Type") != "application/json" {
		rc.badSig++
	}
	if rc.requests <= rc.failures {
		rc.hooks = append(rc.hooks, hook{body: body, signature: r.Header.Get("X-Hub-Signature-256")})
		w.WriteHeader(http.StatusInternalServerError)
		return
	}
	var m map[string]any
	if err := json.Unmarshal(body, &m); err != nil {
		rc.t.Errorf("webhook body is not JSON: %v", err)
	}
	rc.hooks = append(rc.hooks, hook{body: body, signature: r.Header.Get("X-Hub-Signature-256"), json: m})
	select {
	case rc.notify <- struct{}{}:
	default:
	}
	w.WriteHeader(http.StatusOK)
}

// delivered returns the webhooks acknowledged with 200, in arrival order.
func (rc *receiver) delivered() []hook {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	var out []hook
	for _, h := range rc.hooks {
		if h.json != nil {
			out = append(out, h)
		}
	}
	return out
}

// waitFor polls until pred holds over the delivered webhooks.
func (rc *receiver) waitFor(t *testing.T, what string, pred func([]hook) bool) []hook {
	t.Helper()
	deadline := time.After(5 * time.Second)
	for {
		hs := rc.delivered()
		if pred(hs) {
			return hs
		}
		select {
		case <-rc.notify:
		case <-time.After(5 * time.Millisecond):
		case <-deadline:
			t.Fatalf("timed out waiting for %s; got %d webhooks:\n%s", what, len(hs), dumpHooks(hs))
		}
	}
}

func dumpHooks(hs []hook) string {
	var b strings.Builder
	for _, h := range hs {
		b.Write(h.body)
		b.WriteByte('\n')
	}
	return b.String()
}

// statusHooks returns the status objects for wamid, in arrival order.
func statusHooks(hs []hook, wamid string) []map[string]any {
	var out []map[string]any
	for _, h := range hs {
		v, ok := get(h.json, "entry.0.changes.0.value").(map[string]any)
		if !ok {
			continue
		}
		sts, _ := v["statuses"].([]any)
		for _, s := range sts {
			if m := s.(map[string]any); m["id"] == wamid {
				out = append(out, m)
			}
		}
	}
	return out
}

// messageHook returns the webhook carrying inbound message wamid.
func messageHook(hs []hook, wamid string) map[string]any {
	for _, h := range hs {
		if get(h.json, "entry.0.changes.0.value.messages.0.id") == wamid {
			return h.json
		}
	}
	return nil
}

type env struct {
	t     *testing.T
	fake  *Server
	api   *httptest.Server
	rx    *receiver
	hooks *httptest.Server
	clock *clock
}

// newEnv starts a fake (with fast statuses and no pair limit unless mutate
// says otherwise), its API server, and a webhook receiver.
func newEnv(t *testing.T, mutate func(*Config)) *env {
	t.Helper()
	rx := &receiver{t: t, notify: make(chan struct{}, 1)}
	hooks := httptest.NewServer(rx)
	clk := &clock{t: time.Date(2026, 11, 2, 10, 0, 0, 0, time.UTC)}
	cfg := Config{
		AppSecret:      testSecret,
		WebhookURL:     hooks.URL,
		Now:            clk.Now,
		StatusDelay:    2 * time.Millisecond,
		PairRate:       -1,
		WebhookBackoff: 5 * time.Millisecond,
		Numbers: []Number{
			{PhoneNumberID: testPN, DisplayPhoneNumber: testDisplay, WABAID: testWABA, AccessToken: testToken},
			{PhoneNumberID: otherPN, DisplayPhoneNumber: "15550000001", WABAID: otherWABA, AccessToken: otherToken},
		},
	}
	if mutate != nil {
		mutate(&cfg)
	}
	fake := New(cfg)
	api := httptest.NewServer(fake.Handler())
	e := &env{t: t, fake: fake, api: api, rx: rx, hooks: hooks, clock: clk}
	t.Cleanup(func() {
		api.Close()
		fake.Close()
		hooks.Close()
	})
	return e
}

// call makes a Graph request; body may be nil, []byte or a value to encode.
func (e *env) call(method, path, token string, body any) (int, map[string]any) {
	e.t.Helper()
	var rd io.Reader
	switch b := body.(type) {
	case nil:
	case []byte:
		rd = bytes.NewReader(b)
	default:
		j, err := json.Marshal(b)
		if err != nil {
			e.t.Fatal(err)
		}
		rd = bytes.NewReader(j)
	}
	req, err := http.NewRequest(method, e.api.URL+path, rd)
	if err != nil {
		e.t.Fatal(err)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	var m map[string]any
	if len(raw) > 0 {
		if err := json.Unmarshal(raw, &m); err != nil {
			e.t.Fatalf("%s %s: response is not JSON: %s", method, path, raw)
		}
	}
	return resp.StatusCode, m
}

func (e *env) send(body map[string]any) (int, map[string]any) {
	e.t.Helper()
	return e.call("POST", "/v23.0/"+testPN+"/messages", testToken, body)
}

// mustSend sends and returns the wamid, failing the test on an error.
func (e *env) mustSend(body map[string]any) string {
	e.t.Helper()
	status, resp := e.send(body)
	if status != 200 {
		e.t.Fatalf("send %v: %d %v", body, status, resp)
	}
	return get(resp, "messages.0.id").(string)
}

// openWindow has the customer write, opening the 24-hour window.
func (e *env) openWindow(customer string) string {
	e.t.Helper()
	id, err := e.fake.CustomerSends(context.Background(), testPN, InboundMessage{From: customer, ProfileName: "Jessica", Text: "hello"})
	if err != nil {
		e.t.Fatal(err)
	}
	return id
}

// upload posts a multipart media upload and returns status and body.
func (e *env) upload(token, mimeType string, data []byte, fields map[string]string) (int, map[string]any) {
	e.t.Helper()
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	for k, v := range fields {
		_ = mw.WriteField(k, v)
	}
	h := textproto.MIMEHeader{}
	h.Set("Content-Disposition", `form-data; name="file"; filename="file.bin"`)
	h.Set("Content-Type", mimeType)
	part, _ := mw.CreatePart(h)
	_, _ = part.Write(data)
	_ = mw.Close()
	req, _ := http.NewRequest("POST", e.api.URL+"/v23.0/"+testPN+"/media", &buf)
	req.Header.Set("Content-Type", mw.FormDataContentType())
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	defer resp.Body.Close()
	var m map[string]any
	_ = json.NewDecoder(resp.Body).Decode(&m)
	return resp.StatusCode, m
}

func (e *env) mustUpload(mimeType string, data []byte) string {
	e.t.Helper()
	status, resp := e.upload(testToken, mimeType, data, map[string]string{"messaging_product": "whatsapp", "type": mimeType})
	if status != 200 {
		e.t.Fatalf("upload %s: %d %v", mimeType, status, resp)
	}
	return resp["id"].(string)
}

// approvedTemplate creates a template and approves it by command.
func (e *env) approvedTemplate(body map[string]any) string {
	e.t.Helper()
	status, resp := e.call("POST", "/v23.0/"+testWABA+"/message_templates", testToken, body)
	if status != 200 {
		e.t.Fatalf("create template: %d %v", status, resp)
	}
	id := resp["id"].(string)
	if err := e.fake.DecideTemplate(testWABA, id, "APPROVED", ""); err != nil {
		e.t.Fatal(err)
	}
	return id
}

// Small valid files for the media checks (only the magic numbers matter).
var (
	jpegBytes = append([]byte{0xFF, 0xD8, 0xFF, 0xE0, 0, 0x10, 'J', 'F', 'I', 'F', 0}, bytes.Repeat([]byte{1}, 200)...)
	pngBytes  = append([]byte("\x89PNG\x0D\x0A\x1A\x0A"), bytes.Repeat([]byte{2}, 100)...)
	webpBytes = append([]byte("RIFF\x24\x00\x00\x00WEBPVP8 "), bytes.Repeat([]byte{3}, 100)...)
	pdfBytes  = []byte("%PDF-1.4\n% fake pdf\n")
	oggBytes  = append([]byte("OggS\x00\x02"), bytes.Repeat([]byte{4}, 100)...)
	mp4Bytes  = append([]byte("\x00\x00\x00\x18ftypmp42"), bytes.Repeat([]byte{5}, 100)...)
)

// get walks a decoded JSON value by a dotted path ("entry.0.changes").
func get(v any, path string) any {
	for _, p := range strings.Split(path, ".") {
		switch x := v.(type) {
		case map[string]any:
			v = x[p]
		case []any:
			i, err := strconv.Atoi(p)
			if err != nil || i >= len(x) {
				return nil
			}
			v = x[i]
		default:
			return nil
		}
	}
	return v
}

func keys(v any) []string {
	m, _ := v.(map[string]any)
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// wantKeys asserts the exact key set of a JSON object.
func wantKeys(t *testing.T, what string, v any, want ...string) {
	t.Helper()
	sort.Strings(want)
	if got := keys(v); !slices.Equal(got, want) {
		t.Errorf("%s keys = %v, want %v", what, got, want)
	}
}

// wantError asserts the §5.1 error body.
func wantError(t *testing.T, what string, status int, body map[string]any, wantStatus, wantCode int) {
	t.Helper()
	if status != wantStatus {
		t.Errorf("%s: HTTP %d, want %d (%v)", what, status, wantStatus, body)
	}
	e, ok := body["error"].(map[string]any)
	if !ok {
		t.Fatalf("%s: no error object in %v", what, body)
	}
	if code, _ := e["code"].(float64); int(code) != wantCode {
		t.Errorf("%s: code %v, want %d (%v)", what, e["code"], wantCode, e)
	}
	msg, _ := e["message"].(string)
	if !strings.HasPrefix(msg, "(#"+strconv.Itoa(wantCode)+") ") {
		t.Errorf("%s: message %q does not start with (#%d)", what, msg, wantCode)
	}
	if typ, _ := e["type"].(string); typ != "OAuthException" && typ != "GraphMethodException" {
		t.Errorf("%s: type %q", what, typ)
	}
	if get(e, "error_data.messaging_product") != "whatsapp" {
		t.Errorf("%s: error_data.messaging_product = %v", what, get(e, "error_data.messaging_product"))
	}
	if d, _ := get(e, "error_data.details").(string); d == "" {
		t.Errorf("%s: empty error_data.details", what)
	}
	if f, _ := e["fbtrace_id"].(string); f == "" {
		t.Errorf("%s: no fbtrace_id", what)
	}
	for k := range e {
		switch k {
		case "message", "type", "code", "error_data", "error_subcode", "fbtrace_id", "error_user_title", "error_user_msg":
		default:
			t.Errorf("%s: unexpected error key %q", what, k)
		}
	}
}

func text(to, body string) map[string]any {
	return map[string]any{"messaging_product": "whatsapp", "to": to, "type": "text", "text": map[string]any{"body": body}}
}
