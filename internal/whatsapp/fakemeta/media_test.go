package fakemeta

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"
)

// download fetches a media URL as Switchboard would.
func download(t *testing.T, url, token string) (int, string, []byte) {
	t.Helper()
	req, _ := http.NewRequest("GET", url, nil)
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, resp.Header.Get("Content-Type"), b
}

func TestMediaUploadRetrieveDownloadDelete(t *testing.T) {
	e := newEnv(t, nil)
	id := e.mustUpload("image/jpeg", jpegBytes)

	status, info := e.call("GET", "/v23.0/"+id, testToken, nil)
	if status != 200 {
		t.Fatalf("GET media: %d %v", status, info)
	}
	wantKeys(t, "media info", info, "url", "mime_type", "sha256", "file_size", "id", "messaging_product")
	sum := sha256.Sum256(jpegBytes)
	if info["id"] != id || info["mime_type"] != "image/jpeg" || info["messaging_product"] != "whatsapp" ||
		info["sha256"] != hex.EncodeToString(sum[:]) || info["file_size"] != float64(len(jpegBytes)) {
		t.Errorf("media info = %v", info)
	}
	url := info["url"].(string)
	if !strings.HasPrefix(url, e.api.URL+downloadPath) {
		t.Errorf("url %q does not point back at the fake", url)
	}

	if status, _, _ := download(t, url, ""); status != 401 {
		t.Errorf("download without a token: %d, want 401", status)
	}
	if status, _, _ := download(t, url, otherToken); status != 401 {
		t.Errorf("download with another WABA's token: %d, want 401", status)
	}
	status, ct, got := download(t, url, testToken)
	if status != 200 || ct != "image/jpeg" || !bytes.Equal(got, jpegBytes) {
		t.Errorf("download: %d %s %d bytes", status, ct, len(got))
	}
	if status, _, _ := download(t, strings.Replace(url, "hash=", "hash=x", 1), testToken); status != 404 {
		t.Errorf("tampered URL: %d, want 404", status)
	}
	e.clock.Advance(6 * time.Minute)
	if status, _, _ := download(t, url, testToken); status != 404 {
		t.Errorf("URL older than 5 minutes: %d, want 404", status)
	}

	status, _ = e.call("GET", "/v23.0/"+id, otherToken, nil)
	if status != 401 {
		t.Errorf("GET media with another WABA's token: %d", status)
	}
	status, resp := e.call("DELETE", "/v23.0/"+id+"?phone_number_id="+testPN, testToken, nil)
	if status != 200 || resp["success"] != true {
		t.Errorf("DELETE: %d %v", status, resp)
	}
	status, resp = e.call("GET", "/v23.0/"+id, testToken, nil)
	wantError(t, "deleted media", status, resp, 400, 100)
}

func TestMediaUploadChecks(t *testing.T) {
	e := newEnv(t, nil)
	ok := map[string]string{"messaging_product": "whatsapp"}
	cases := []struct {
		name   string
		token  string
		mime   string
		data   []byte
		fields map[string]string
		status int
		code   int
	}{
		{"no token", "", "image/jpeg", jpegBytes, ok, 401, 190},
		{"no messaging_product", testToken, "image/jpeg", jpegBytes, map[string]string{}, 400, 100},
		{"unsupported type", testToken, "image/gif", []byte("GIF89a..."), ok, 400, 100},
		{"image over 5 MB", testToken, "image/jpeg", append(bytes.Clone(jpegBytes), make([]byte, 5<<20)...), ok, 400, 131053},
		{"static sticker over 100 KB", testToken, "image/webp", append(bytes.Clone(webpBytes), make([]byte, 100<<10)...), ok, 400, 131053},
		{"content is not the declared type", testToken, "image/png", jpegBytes, ok, 400, 131053},
		{"type field contradicts the part", testToken, "image/jpeg", jpegBytes, map[string]string{"messaging_product": "whatsapp", "type": "video/mp4"}, 400, 131053},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			status, body := e.upload(c.token, c.mime, c.data, c.fields)
			wantError(t, c.name, status, body, c.status, c.code)
		})
	}
	// The type field alone is enough, and audio/ogg keeps its codecs.
	status, body := e.upload(testToken, "application/octet-stream", oggBytes, map[string]string{"messaging_product": "whatsapp", "type": "audio/ogg; codecs=opus"})
	if status != 200 {
		t.Fatalf("ogg upload: %d %v", status, body)
	}
	_, info := e.call("GET", "/v23.0/"+body["id"].(string), testToken, nil)
	if info["mime_type"] != "audio/ogg; codecs=opus" {
		t.Errorf("mime_type = %v", info["mime_type"])
	}
}
