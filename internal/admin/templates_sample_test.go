package admin

import (
	"bytes"
	"context"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"switchboard/internal/domain"
	"switchboard/internal/number"
	"switchboard/internal/outbound"
	"switchboard/internal/secrets"
	"switchboard/internal/storage"
	"switchboard/internal/storage/storagetest"
	"switchboard/internal/ui"
	"switchboard/internal/whatsapp/graph"
)

// nopFile is a sample file held in memory.
type nopFile struct{ *bytes.Reader }

func (nopFile) Close() error { return nil }

// TestUploadTemplateSampleOutcomes: what the editor tells the administrator
// for each way Meta answers a sample upload through a live number: the
// handle; Meta's refusal in Meta's words; a refused token; Meta failing or
// unreachable (nothing saved, try again); and a number whose app has no App
// ID, which is not even asked.
func TestUploadTemplateSampleOutcomes(t *testing.T) {
	t.Parallel()
	db := storagetest.NewDB(t)
	f := storagetest.Seed(t, db)
	box, err := secrets.New([]byte("test-secret-key-of-at-least-32-bytes!"))
	if err != nil {
		t.Fatal(err)
	}
	numbers := number.NewService(db.Store, box)
	ctx, actor := context.Background(), storage.Actor{Email: "test"}
	live, err := numbers.Add(ctx, actor, number.AddInput{TenantID: f.A.ID, PhoneNumberID: "100000000009999",
		DisplayPhone: "+39 02 1234 9999", WABAID: "200000000009999", AccessToken: "EAAlive-token"})
	if err != nil {
		t.Fatal(err)
	}

	answer := make(chan func(http.ResponseWriter), 1)
	meta := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		if strings.HasSuffix(r.URL.Path, "/uploads") {
			if r.URL.Path != "/v23.0/987654321098765/uploads" || r.Header.Get("Authorization") != "Bearer EAAlive-token" {
				t.Errorf("session opened at %s with %q", r.URL.Path, r.Header.Get("Authorization"))
			}
			_, _ = w.Write([]byte(`{"id":"upload:abc?sig=ARx"}`))
			return
		}
		select {
		case reply := <-answer:
			reply(w)
		default:
			// Nothing more was expected (a resumed upload after a dropped
			// connection): drop this connection too, never block.
			if conn, _, err := w.(http.Hijacker).Hijack(); err == nil {
				_ = conn.Close()
			}
		}
	}))
	defer meta.Close()
	client := &graph.Client{HTTP: &http.Client{Timeout: 5 * time.Second}, BaseURL: meta.URL, Version: "v23.0"}
	d := Deps{Surface: ui.Surface{Logger: slog.New(slog.DiscardHandler)}, Store: db.Store, Numbers: numbers,
		Catalog: outbound.NewCatalog(db.Store, func(domain.Number) *graph.Client { return client }, numbers.AccessToken, slog.New(slog.DiscardHandler))}

	upload := func(reply func(http.ResponseWriter)) (*ui.Form, string) {
		t.Helper()
		if reply != nil {
			answer <- reply
		}
		form := ui.NewForm()
		form.Values["number_id"] = live.ID
		s := &tplSample{file: nopFile{bytes.NewReader([]byte("%PDF-1.4\n"))}, name: "menu.pdf", mimeType: "application/pdf", size: 9}
		h, err := d.uploadTemplateSample(ctx, f.A.ID, form, s)
		if err != nil {
			t.Fatal(err)
		}
		return form, h
	}
	metaError := func(status int, body string) func(http.ResponseWriter) {
		return func(w http.ResponseWriter) { w.WriteHeader(status); _, _ = w.Write([]byte(body)) }
	}

	// The platform's app has no App ID yet: nothing is asked of Meta.
	form, h := upload(nil)
	if h != "" || form.Errors["header_sample"] != "admin.tpl.err.sample_no_app" {
		t.Fatalf("no App ID: %q %+v", h, form)
	}
	numbers.PlatformAppID = "987654321098765"

	form, h = upload(func(w http.ResponseWriter) { _, _ = w.Write([]byte(`{"h":"4::cGRm:ARz:e:1:987654321098765:1"}`)) })
	if h != "4::cGRm:ARz:e:1:987654321098765:1" || !form.OK() {
		t.Fatalf("accepted: %q %+v", h, form)
	}
	form, h = upload(metaError(400, `{"error":{"message":"(#100) Invalid parameter","type":"OAuthException","code":100,
		"error_user_title":"File type not supported","error_user_msg":"Upload a PDF.","fbtrace_id":"x"}}`))
	if h != "" || form.Error != "admin.tpl.sample_refused" || form.Arg != "File type not supported: Upload a PDF." || form.Errors["header_sample"] != "admin.tpl.err.sample_again" {
		t.Fatalf("refused: %q %+v", h, form)
	}
	form, _ = upload(metaError(401, `{"error":{"message":"(#190) Invalid OAuth access token","type":"OAuthException","code":190}}`))
	if form.Error != "admin.tpl.sample_token" {
		t.Fatalf("token: %+v", form)
	}
	form, _ = upload(metaError(500, `{"error":{"message":"(#2) Service temporarily unavailable","type":"OAuthException","code":2,"is_transient":true}}`))
	if form.Error != "admin.tpl.sample_unreachable" {
		t.Fatalf("Meta failing: %+v", form)
	}
	form, _ = upload(func(w http.ResponseWriter) {
		// The connection drops mid-answer.
		conn, _, err := w.(http.Hijacker).Hijack()
		if err == nil {
			_ = conn.(*net.TCPConn).SetLinger(0)
			_ = conn.Close()
		}
	})
	if form.Error != "admin.tpl.sample_unreachable" || form.Errors["header_sample"] != "admin.tpl.err.sample_again" {
		t.Fatalf("unreachable: %+v", form)
	}
}
