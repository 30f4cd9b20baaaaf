package graph

import (
	"bytes"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"switchboard/internal/whatsapp/fakemeta"
)

// TestUploadSampleRoundTrip: the two calls of the Resumable Upload API as
// Meta documents them (the session opened on the app's uploads edge with
// the file's name, length and type; the bytes sent with the OAuth scheme and
// file_offset 0 to the session id, its ?sig= kept as a query), the handle
// answered, the file as uploaded, and the offset readable afterwards.
func TestUploadSampleRoundTrip(t *testing.T) {
	e := newEnv(t, nil)
	ctx := t.Context()
	h, err := e.client.UploadSample(ctx, testToken, fakemeta.DefaultAppID, "menu card.pdf", "application/pdf", bytes.NewReader(pdfBytes), int64(len(pdfBytes)))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(h, "4::") {
		t.Fatalf("handle %q", h)
	}
	reqs := e.rec.all()
	if len(reqs) != 2 {
		t.Fatalf("%d requests, want 2", len(reqs))
	}
	open, send := reqs[0], reqs[1]
	q, _ := url.ParseQuery(open.RawQuery)
	if open.Method != "POST" || open.Path != "/v23.0/"+fakemeta.DefaultAppID+"/uploads" || open.Auth != "Bearer "+testToken ||
		q.Get("file_name") != "menu card.pdf" || q.Get("file_length") != "20" || q.Get("file_type") != "application/pdf" || q.Has("access_token") {
		t.Errorf("open session: %+v", open)
	}
	sq, _ := url.ParseQuery(send.RawQuery)
	if send.Method != "POST" || !strings.HasPrefix(send.Path, "/v23.0/upload:") || sq.Get("sig") == "" ||
		send.Auth != "OAuth "+testToken || !bytes.Equal(send.Body, pdfBytes) || send.ContentLength != int64(len(pdfBytes)) {
		t.Errorf("send bytes: %+v", send)
	}
	data, typ, name, err := e.fake.SampleFile(h)
	if err != nil || !bytes.Equal(data, pdfBytes) || typ != "application/pdf" || name != "menu card.pdf" {
		t.Errorf("the fake has %d bytes %q %q %v", len(data), typ, name, err)
	}
	offset, err := e.client.UploadOffset(ctx, testToken, strings.TrimPrefix(send.Path, "/v23.0/")+"?"+send.RawQuery)
	if err != nil || offset != int64(len(pdfBytes)) {
		t.Errorf("offset %d %v", offset, err)
	}
}

// TestUploadSampleErrors: Meta's refusals come back as *Error, whichever
// call refused (the session: a type templates cannot use, another app, a
// bad token; the bytes: a length that does not match); an answer without a
// session id or handle is an error, not an empty handle.
func TestUploadSampleErrors(t *testing.T) {
	e := newEnv(t, nil)
	ctx := t.Context()
	_, err := e.client.UploadSample(ctx, testToken, fakemeta.DefaultAppID, "a.webp", "image/webp", bytes.NewReader(webpBytes), int64(len(webpBytes)))
	if ge := asError(t, "webp", err, CodeInvalidParameter); ge.Retryable() || !strings.Contains(ge.Details, "file_type") {
		t.Errorf("webp: %+v", ge)
	}
	_, err = e.client.UploadSample(ctx, testToken, "42", "a.jpg", "image/jpeg", bytes.NewReader(jpegBytes), int64(len(jpegBytes)))
	asError(t, "another app", err, CodeInvalidParameter)
	_, err = e.client.UploadSample(ctx, "wrong-token", fakemeta.DefaultAppID, "a.jpg", "image/jpeg", bytes.NewReader(jpegBytes), int64(len(jpegBytes)))
	if !IsTokenInvalid(err) {
		t.Errorf("bad token: %v", err)
	}
	// Declared longer than what is sent: the session stays incomplete.
	_, err = e.client.UploadSample(ctx, testToken, fakemeta.DefaultAppID, "a.jpg", "image/jpeg", bytes.NewReader(jpegBytes), int64(len(jpegBytes))+5)
	if err == nil {
		t.Error("a short file was accepted")
	}
	if _, err := e.client.UploadSample(ctx, testToken, "", "a.jpg", "image/jpeg", bytes.NewReader(jpegBytes), 1); err == nil {
		t.Error("no app id accepted")
	}

	var calls int
	odd := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		calls++
		w.Header().Set("Content-Type", "application/json")
		switch {
		case strings.HasSuffix(r.URL.Path, "/uploads") && r.URL.Query().Get("file_name") == "noid.jpg":
			_, _ = w.Write([]byte(`{"id":"12345"}`))
		case strings.HasSuffix(r.URL.Path, "/uploads"):
			_, _ = w.Write([]byte(`{"id":"upload:abc?sig=xyz"}`))
		case r.URL.Query().Get("sig") != "xyz":
			w.WriteHeader(http.StatusBadRequest)
			_, _ = w.Write([]byte(`{"error":{"message":"(#104) Incorrect signature","type":"OAuthException","code":104}}`))
		default:
			_, _ = w.Write([]byte(`{"file_offset":0}`))
		}
	}))
	defer odd.Close()
	c := &Client{BaseURL: odd.URL, Version: "v23.0"}
	if _, err := c.UploadSample(ctx, "t", "1", "noid.jpg", "image/jpeg", bytes.NewReader(jpegBytes), int64(len(jpegBytes))); err == nil || !strings.Contains(err.Error(), "upload:") {
		t.Errorf("session without upload: id: %v", err)
	}
	if _, err := c.UploadSample(ctx, "t", "1", "a.jpg", "image/jpeg", bytes.NewReader(jpegBytes), int64(len(jpegBytes))); err == nil || !strings.Contains(err.Error(), "handle") {
		t.Errorf("answer without a handle: %v", err)
	}
	if _, err := c.UploadOffset(ctx, "t", "upload:abc?sig=bad"); err == nil {
		t.Error("a refused session read gave no error")
	} else if ge := asError(t, "sig", err, 104); ge.Title != "Incorrect signature" {
		t.Errorf("sig error %+v", ge)
	}
	if calls != 4 {
		t.Errorf("%d calls", calls)
	}
}

// TestUploadSampleResumes: the connection breaks while the bytes go (the
// proxy passes Meta half the file, then hangs up on the client); the client
// asks Meta how far it got and sends the rest from that file_offset, once.
func TestUploadSampleResumes(t *testing.T) {
	e := newEnv(t, nil)
	var cuts int
	var offsets []string
	proxy := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == "POST" && strings.Contains(r.URL.Path, "/upload:") {
			offsets = append(offsets, r.Header.Get("file_offset"))
			if cuts == 0 {
				cuts++
				half := make([]byte, len(jpegBytes)/2)
				if _, err := io.ReadFull(r.Body, half); err != nil {
					t.Error(err)
				}
				fwd, _ := http.NewRequest("POST", e.srv.URL+r.URL.RequestURI(), bytes.NewReader(half))
				fwd.Header = r.Header.Clone()
				if res, err := http.DefaultClient.Do(fwd); err == nil {
					_ = res.Body.Close()
				}
				conn, _, err := w.(http.Hijacker).Hijack()
				if err == nil {
					_ = conn.Close()
				}
				return
			}
		}
		e.rec.ServeHTTP(w, r)
	}))
	defer proxy.Close()
	c := &Client{HTTP: &http.Client{Timeout: 5 * time.Second}, BaseURL: proxy.URL, Version: "v23.0"}
	h, err := c.UploadSample(t.Context(), testToken, fakemeta.DefaultAppID, "a.jpg", "image/jpeg", bytes.NewReader(jpegBytes), int64(len(jpegBytes)))
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{"0", strconv.Itoa(len(jpegBytes) / 2)}; !slices.Equal(offsets, want) {
		t.Errorf("file_offsets sent %v, want %v", offsets, want)
	}
	data, _, _, err := e.fake.SampleFile(h)
	if err != nil || !bytes.Equal(data, jpegBytes) {
		t.Errorf("the fake has %d bytes, %v", len(data), err)
	}
	// A reader that cannot seek is not resumed: the break is the error.
	cuts = 0
	_, err = c.UploadSample(t.Context(), testToken, fakemeta.DefaultAppID, "a.jpg", "image/jpeg", io.MultiReader(bytes.NewReader(jpegBytes)), int64(len(jpegBytes)))
	if err == nil || !Retryable(err) {
		t.Errorf("unseekable reader after a break: %v", err)
	}
}
