package inbound_test

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"switchboard/internal/domain"
	"switchboard/internal/inbound"
	"switchboard/internal/whatsapp/graph"
	"switchboard/internal/whatsapp/webhook"
)

// fakeGraph serves GET /v23.0/{id} and the download URL, failing the first
// `failures` requests with a 500, and insisting on the bearer token.
func fakeGraph(t *testing.T, token string, files map[string][]byte, failures int32) (*httptest.Server, *atomic.Int32) {
	var calls atomic.Int32
	var srv *httptest.Server
	srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n := calls.Add(1)
		if r.Header.Get("Authorization") != "Bearer "+token {
			w.WriteHeader(http.StatusUnauthorized)
			io.WriteString(w, `{"error":{"message":"Invalid OAuth access token","type":"OAuthException","code":190}}`)
			return
		}
		if n <= failures {
			w.WriteHeader(http.StatusInternalServerError)
			io.WriteString(w, `{"error":{"message":"temporarily unavailable","code":2}}`)
			return
		}
		if id, ok := strings.CutPrefix(r.URL.Path, "/download/"); ok {
			b, found := files[id]
			if !found {
				http.NotFound(w, r)
				return
			}
			w.Header().Set("Content-Type", "image/jpeg")
			w.Write(b)
			return
		}
		id := strings.TrimPrefix(r.URL.Path, "/v23.0/")
		b, found := files[id]
		if !found {
			http.NotFound(w, r)
			return
		}
		sum := sha256.Sum256(b)
		io.WriteString(w, `{"messaging_product":"whatsapp","url":"`+srv.URL+`/download/`+id+`","mime_type":"image/jpeg","sha256":"`+
			base64.StdEncoding.EncodeToString(sum[:])+`","file_size":"`+strconv.Itoa(len(b))+`","id":"`+id+`"}`)
	}))
	t.Cleanup(srv.Close)
	return srv, &calls
}

func TestMediaIsFetchedCheckedAndRetried(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	ctx := context.Background()
	photo := []byte("\xff\xd8\xff\xe0 pretend this is a JPEG")
	sum := sha256.Sum256(photo)
	srv, calls := fakeGraph(t, "EAAG-test-token-1234", map[string][]byte{"media-ok": photo, "media-bad": []byte("tampered")}, 2)
	b := h.builder().Image(customer, webhook.Media{ID: "media-ok", MimeType: "image/jpeg", SHA256: base64.StdEncoding.EncodeToString(sum[:]), Caption: "receipt"})
	okID := b.LastMessageID()
	b.Image(customer, webhook.Media{ID: "media-bad", MimeType: "image/jpeg", SHA256: base64.StdEncoding.EncodeToString(sum[:])})
	badID := b.LastMessageID()
	h.post(b.Bytes(), "")
	h.process()
	// The message is stored at once, before its media.
	m := h.message(okID)
	if m.Media == nil || m.Media.State != "pending" || m.Text != "receipt" {
		t.Fatalf("message before the fetch: %+v", m)
	}
	f := inbound.NewFetcher(h.app.DB.Store, h.app.Blobs, h.app.Processor.Logger(),
		func(domain.Number) *graph.Client {
			return &graph.Client{HTTP: srv.Client(), BaseURL: srv.URL, Version: "v23.0"}
		},
		h.app.Numbers.AccessToken)
	f.Backoff = 10 * time.Millisecond
	f.MaxAttempts = 4
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		f.Drain(ctx)
		ok, _ := h.app.DB.Store.Media(ctx, h.n.TenantID, h.message(okID).MediaID)
		bad, _ := h.app.DB.Store.Media(ctx, h.n.TenantID, h.message(badID).MediaID)
		if ok.State != "pending" && bad.State != "pending" {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	ok, _ := h.app.DB.Store.Media(ctx, h.n.TenantID, h.message(okID).MediaID)
	if ok.State != "stored" || ok.Size == nil || *ok.Size != int64(len(photo)) || ok.Attempts < 2 {
		t.Fatalf("good media after retries: %+v (graph calls %d)", ok, calls.Load())
	}
	rc, err := h.app.Blobs.Open(ctx, ok.BlobKey)
	if err != nil {
		t.Fatal(err)
	}
	got, _ := io.ReadAll(rc)
	rc.Close()
	if string(got) != string(photo) {
		t.Fatal("stored bytes differ")
	}
	bad, _ := h.app.DB.Store.Media(ctx, h.n.TenantID, h.message(badID).MediaID)
	if bad.State != "failed" || !strings.Contains(bad.LastError, "sha256") {
		t.Fatalf("tampered media: %+v", bad)
	}
	// Served to the tenant's users only.
	admin := h.app.Client(t)
	admin.MustLogin(h.app.F.A.Admin.Email, "fixture-password-1")
	if r := admin.Get("/media/" + ok.ID); r.Status != 200 || r.Body != string(photo) || r.Header.Get("Content-Type") != "image/jpeg" {
		t.Fatalf("media for its tenant: %d %q", r.Status, r.Header.Get("Content-Type"))
	}
	// A player asks for part of the file (videos seek this way), or asks
	// whether its copy is still good.
	admin.Header.Set("Range", "bytes=2-5")
	if r := admin.Get("/media/" + ok.ID); r.Status != http.StatusPartialContent || r.Body != string(photo[2:6]) ||
		r.Header.Get("Content-Range") != "bytes 2-5/"+strconv.Itoa(len(photo)) {
		t.Fatalf("a range of the media: %d %q %q", r.Status, r.Header.Get("Content-Range"), r.Body)
	}
	admin.Header.Del("Range")
	admin.Header.Set("If-None-Match", `"`+ok.SHA256+`"`)
	if r := admin.Get("/media/" + ok.ID); r.Status != http.StatusNotModified {
		t.Fatalf("media the browser has: %d", r.Status)
	}
	admin.Header.Del("If-None-Match")
	other := h.app.Client(t)
	other.MustLogin(h.app.F.B.Admin.Email, "fixture-password-1")
	if r := other.Get("/media/" + ok.ID); r.Status != 404 {
		t.Fatalf("media for another tenant: %d", r.Status)
	}
	if r := admin.Get("/media/" + bad.ID); r.Status != 404 {
		t.Fatalf("failed media served: %d", r.Status)
	}
}

func TestMediaURLsFromWebhooksAreTrustedOnlyOnMetasHosts(t *testing.T) {
	for _, c := range []struct {
		url     string
		sandbox bool
		ok      bool
	}{
		{"https://lookaside.fbsbx.com/whatsapp_business/attachments/?mid=1", false, true},
		{"https://evil.example/steal", false, false},
		{"http://lookaside.fbsbx.com/x", false, false},
		{"https://fbsbx.com.evil.example/x", false, false},
		{"https://169.254.169.254/latest/meta-data", false, false},
		{"https://user@lookaside.fbsbx.com/x", false, false},
		{"http://127.0.0.1:8080/sandbox/graph/whatsapp_business/attachments/?mid=1", true, true},
		{"http://127.0.0.1:8080/metrics", true, false},
		{"https://lookaside.fbsbx.com/x", true, false},
	} {
		if got := inbound.TrustedMediaURL(c.url, "http://127.0.0.1:8080/sandbox/graph", c.sandbox); got != c.ok {
			t.Errorf("%s (sandbox %v): trusted=%v", c.url, c.sandbox, got)
		}
	}
}
