package graph

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"reflect"
	"sync"
	"testing"
	"time"

	"switchboard/internal/whatsapp/fakemeta"
)

// Meta's example ids (contract §2.2), as the fake's own tests use them.
const (
	testPN       = "106540352242922"
	testWABA     = "102290129340398"
	testDisplay  = "15550783881"
	testToken    = "EAAG-test-token-do-not-leak"
	testCustomer = "16505551234"
)

// Small files whose magic numbers satisfy the fake's MIME sniffing.
var (
	jpegBytes = append([]byte{0xFF, 0xD8, 0xFF, 0xE0, 0, 0x10, 'J', 'F', 'I', 'F', 0}, bytes.Repeat([]byte{1}, 200)...)
	webpBytes = append([]byte("RIFF\x24\x00\x00\x00WEBPVP8 "), bytes.Repeat([]byte{3}, 100)...)
	pdfBytes  = []byte("%PDF-1.4\n% fake pdf\n")
	oggBytes  = append([]byte("OggS\x00\x02"), bytes.Repeat([]byte{4}, 100)...)
	mp4Bytes  = append([]byte("\x00\x00\x00\x18ftypmp42"), bytes.Repeat([]byte{5}, 100)...)
)

// recorded is one request as the fake received it.
type recorded struct {
	Method, Path, RawQuery, Auth, ContentType string
	ContentLength                             int64
	Body                                      []byte
}

// recorder sits in front of the fake so tests can assert the exact request
// shape the client sent, not only that the fake accepted it.
type recorder struct {
	next http.Handler
	mu   sync.Mutex
	reqs []recorded
}

func (rc *recorder) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	r.Body = io.NopCloser(bytes.NewReader(body))
	rc.mu.Lock()
	rc.reqs = append(rc.reqs, recorded{
		Method: r.Method, Path: r.URL.Path, RawQuery: r.URL.RawQuery, Auth: r.Header.Get("Authorization"),
		ContentType: r.Header.Get("Content-Type"), ContentLength: r.ContentLength, Body: body,
	})
	rc.mu.Unlock()
	rc.next.ServeHTTP(w, r)
}

func (rc *recorder) last() recorded {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	return rc.reqs[len(rc.reqs)-1]
}

func (rc *recorder) all() []recorded {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	return append([]recorded(nil), rc.reqs...)
}

type env struct {
	t      *testing.T
	fake   *fakemeta.Server
	rec    *recorder
	srv    *httptest.Server
	client *Client
}

// newEnv starts a fake with one number, no pair-rate limit and instant
// statuses (webhooks are dropped: these tests are about the Graph API).
func newEnv(t *testing.T, mutate func(*fakemeta.Config)) *env {
	t.Helper()
	cfg := fakemeta.Config{
		StatusDelay: -1,
		PairRate:    -1,
		Numbers: []fakemeta.Number{
			{PhoneNumberID: testPN, DisplayPhoneNumber: testDisplay, WABAID: testWABA, AccessToken: testToken},
		},
	}
	if mutate != nil {
		mutate(&cfg)
	}
	fake := fakemeta.New(cfg)
	rec := &recorder{next: fake.Handler()}
	srv := httptest.NewServer(rec)
	t.Cleanup(func() {
		srv.Close()
		fake.Close()
	})
	return &env{t: t, fake: fake, rec: rec, srv: srv,
		client: &Client{HTTP: &http.Client{Timeout: 10 * time.Second}, BaseURL: srv.URL, Version: "v23.0"}}
}

// fixedClock pins the fake's clock, so rate limits see every request in the
// same instant.
func fixedClock(cfg *fakemeta.Config) {
	t0 := time.Date(2026, 11, 2, 10, 0, 0, 0, time.UTC)
	cfg.Now = func() time.Time { return t0 }
}

// openWindow has the customer write first, opening the 24-hour window, and
// returns the inbound wamid.
func (e *env) openWindow(customer string) string {
	e.t.Helper()
	id, err := e.fake.CustomerSends(context.Background(), testPN, fakemeta.InboundMessage{From: customer, ProfileName: "Jessica", Text: "hello"})
	if err != nil {
		e.t.Fatal(err)
	}
	return id
}

func (e *env) upload(mimeType string, data []byte) string {
	e.t.Helper()
	id, err := e.client.Upload(e.t.Context(), testToken, testPN, "file", mimeType, bytes.NewReader(data))
	if err != nil {
		e.t.Fatalf("upload %s: %v", mimeType, err)
	}
	return id
}

// orderDraft is the contract's own example template (§4.2): image header
// (its sample uploaded through the Resumable Upload API), two body
// variables, a footer, a quick reply and a dynamic URL button.
func (e *env) orderDraft(name string) TemplateDraft {
	e.t.Helper()
	handle := e.sampleHandle()
	return TemplateDraft{
		Name: name, Language: "en_US", Category: "UTILITY",
		Components: []TemplateComponent{
			{Type: "HEADER", Format: "IMAGE", Example: &TemplateExample{HeaderHandle: []string{handle}}},
			{Type: "BODY", Text: "Hi {{1}}, your order {{2}} is confirmed.", Example: &TemplateExample{BodyText: [][]string{{"Jessica", "SKBUP2"}}}},
			{Type: "FOOTER", Text: "Thanks for shopping"},
			{Type: "BUTTONS", Buttons: []TemplateButton{
				{Type: "QUICK_REPLY", Text: "Stop updates"},
				{Type: "URL", Text: "Track", URL: "https://example.com/track/{{1}}", Example: json.RawMessage(`["https://example.com/track/abc"]`)},
			}},
		},
	}
}

// sampleHandle uploads a JPEG sample and returns its handle.
func (e *env) sampleHandle() string {
	e.t.Helper()
	h, err := e.client.UploadSample(e.t.Context(), testToken, fakemeta.DefaultAppID, "sample.jpg", "image/jpeg", bytes.NewReader(jpegBytes), int64(len(jpegBytes)))
	if err != nil {
		e.t.Fatalf("upload a sample: %v", err)
	}
	return h
}

// approved creates a template through the client and approves it by hand.
func (e *env) approved(d TemplateDraft) string {
	e.t.Helper()
	id, status, err := e.client.CreateTemplate(e.t.Context(), testToken, testWABA, d)
	if err != nil {
		e.t.Fatalf("create template %s: %v", d.Name, err)
	}
	if status != "PENDING" {
		e.t.Errorf("new template status %q, want PENDING", status)
	}
	if err := e.fake.DecideTemplate(testWABA, id, "APPROVED", ""); err != nil {
		e.t.Fatal(err)
	}
	return id
}

// jsonEqual compares two JSON documents semantically.
func jsonEqual(t *testing.T, what string, got []byte, want string) {
	t.Helper()
	var g, w any
	if err := json.Unmarshal(got, &g); err != nil {
		t.Fatalf("%s: sent body is not JSON: %v\n%s", what, err, got)
	}
	if err := json.Unmarshal([]byte(want), &w); err != nil {
		t.Fatalf("%s: bad expectation: %v", what, err)
	}
	if !reflect.DeepEqual(g, w) {
		t.Errorf("%s: sent\n%s\nwant\n%s", what, got, want)
	}
}

// asError asserts err is a *Error with code.
func asError(t *testing.T, what string, err error, code int) *Error {
	t.Helper()
	var ge *Error
	if !errors.As(err, &ge) {
		t.Fatalf("%s: error %v (%T) is not a *graph.Error", what, err, err)
	}
	if ge.Code != code {
		t.Fatalf("%s: code %d, want %d (%v)", what, ge.Code, code, ge)
	}
	return ge
}
