package fakemeta

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
)

// uploadCall is a raw Resumable Upload API request: Meta's OAuth scheme and
// its file_offset header, as written.
func (e *env) uploadCall(method, path, token, offset string, body []byte) (int, map[string]any) {
	e.t.Helper()
	req, err := http.NewRequest(method, e.api.URL+path, bytes.NewReader(body))
	if err != nil {
		e.t.Fatal(err)
	}
	if token != "" {
		req.Header.Set("Authorization", "OAuth "+token)
	}
	if offset != "" {
		req.Header["file_offset"] = []string{offset}
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	var m map[string]any
	if err := json.Unmarshal(raw, &m); err != nil {
		e.t.Fatalf("%s %s: not JSON: %s", method, path, raw)
	}
	return resp.StatusCode, m
}

// openSession opens an upload session and returns its id (with ?sig=).
func (e *env) openSession(name, fileType string, length int) string {
	e.t.Helper()
	q := url.Values{"file_name": {name}, "file_length": {strconv.Itoa(length)}, "file_type": {fileType}}
	status, resp := e.call("POST", "/v23.0/"+DefaultAppID+"/uploads?"+q.Encode(), testToken, nil)
	if status != 200 {
		e.t.Fatalf("open session: %d %v", status, resp)
	}
	return resp["id"].(string)
}

// sampleHandle uploads a whole file and returns its handle.
func (e *env) sampleHandle(fileType string, data []byte) string {
	e.t.Helper()
	id := e.openSession("sample.bin", fileType, len(data))
	status, resp := e.uploadCall("POST", "/v23.0/"+id, testToken, "0", data)
	if status != 200 {
		e.t.Fatalf("upload: %d %v", status, resp)
	}
	return resp["h"].(string)
}

// TestResumableUploadIssuesHandle: a session opened on the app's uploads
// edge, the bytes sent with Meta's OAuth header and file_offset, answered
// with a "4::" handle; GET tells the offset; the bytes are kept.
func TestResumableUploadIssuesHandle(t *testing.T) {
	e := newEnv(t, nil)
	id := e.openSession("logo.png", "image/png", len(pngBytes))
	if !strings.HasPrefix(id, "upload:") || !strings.Contains(id, "?sig=AR") {
		t.Fatalf("session id %q", id)
	}
	status, resp := e.uploadCall("GET", "/v23.0/"+id, testToken, "", nil)
	if status != 200 || resp["id"] != id || resp["file_offset"] != float64(0) {
		t.Fatalf("status before: %d %v", status, resp)
	}
	status, resp = e.uploadCall("POST", "/v23.0/"+id, testToken, "0", pngBytes)
	h, _ := resp["h"].(string)
	if status != 200 || !strings.HasPrefix(h, "4::") || strings.ContainsAny(h, " \n") {
		t.Fatalf("upload: %d %v", status, resp)
	}
	if _, resp = e.uploadCall("GET", "/v23.0/"+id, testToken, "", nil); resp["file_offset"] != float64(len(pngBytes)) {
		t.Fatalf("status after: %v", resp)
	}
	// Sending again answers the same handle: the file is whole.
	if _, again := e.uploadCall("POST", "/v23.0/"+id, testToken, "0", pngBytes); again["h"] != h {
		t.Fatalf("second post: %v", again)
	}
	data, typ, name, err := e.fake.SampleFile(h)
	if err != nil || !bytes.Equal(data, pngBytes) || typ != "image/png" || name != "logo.png" {
		t.Fatalf("kept file: %d bytes, %q %q %v", len(data), typ, name, err)
	}
}

// TestResumableUploadRefusals: Meta's errors for a bad token, another app,
// missing or wrong parameters, a type templates cannot use, a wrong
// signature, another WABA's token, a wrong offset, too many bytes; a short
// body is kept and resumed from its offset.
func TestResumableUploadRefusals(t *testing.T) {
	e := newEnv(t, nil)
	open := func(q url.Values, token string) (int, map[string]any) {
		return e.call("POST", "/v23.0/"+DefaultAppID+"/uploads?"+q.Encode(), token, nil)
	}
	good := url.Values{"file_name": {"a.pdf"}, "file_length": {"20"}, "file_type": {"application/pdf"}}
	with := func(k, v string) url.Values {
		q := url.Values{}
		for key, vals := range good {
			q[key] = vals
		}
		if v == "" {
			q.Del(k)
		} else {
			q.Set(k, v)
		}
		return q
	}
	status, resp := open(good, "")
	wantError(t, "no token", status, resp, 401, CodeAccessToken)
	status, resp = open(good, "not-a-token")
	wantError(t, "bad token", status, resp, 401, CodeAccessToken)
	status, resp = e.call("POST", "/v23.0/999/uploads?"+good.Encode(), testToken, nil)
	wantError(t, "another app", status, resp, 400, CodeInvalidParameter)
	for _, c := range []struct{ what, k, v string }{
		{"no name", "file_name", ""}, {"no length", "file_length", ""}, {"zero length", "file_length", "0"},
		{"length not a number", "file_length", "12kb"}, {"over 100 MB", "file_length", strconv.Itoa(100<<20 + 1)},
		{"no type", "file_type", ""}, {"webp", "file_type", "image/webp"}, {"audio", "file_type", "audio/ogg"},
	} {
		status, resp := open(with(c.k, c.v), testToken)
		wantError(t, c.what, status, resp, 400, CodeInvalidParameter)
	}
	// image/jpg is Meta's alias of image/jpeg.
	if status, resp := open(with("file_type", "image/jpg"), testToken); status != 200 {
		t.Fatalf("image/jpg: %d %v", status, resp)
	}

	id := e.openSession("a.pdf", "application/pdf", len(pdfBytes))
	bare, _, _ := strings.Cut(id, "?")
	status, resp = e.uploadCall("POST", "/v23.0/"+bare, testToken, "0", pdfBytes)
	if status != 400 || get(resp, "error.code") != float64(104) {
		t.Errorf("no signature: %d %v", status, resp)
	}
	status, resp = e.uploadCall("POST", "/v23.0/"+bare+"?sig=ARforged", testToken, "0", pdfBytes)
	if status != 400 || get(resp, "error.code") != float64(104) {
		t.Errorf("forged signature: %d %v", status, resp)
	}
	status, resp = e.uploadCall("POST", "/v23.0/"+id, otherToken, "0", pdfBytes)
	wantError(t, "another WABA's token", status, resp, 401, CodeAccessToken)
	status, resp = e.uploadCall("POST", "/v23.0/upload:nothing?sig=x", testToken, "0", pdfBytes)
	wantError(t, "unknown session", status, resp, 400, CodeInvalidParameter)
	status, resp = e.uploadCall("POST", "/v23.0/"+id, testToken, "", pdfBytes)
	wantError(t, "no file_offset", status, resp, 400, CodeInvalidParameter)
	status, resp = e.uploadCall("POST", "/v23.0/"+id, testToken, "5", pdfBytes)
	wantError(t, "wrong file_offset", status, resp, 400, CodeInvalidParameter)
	status, resp = e.uploadCall("POST", "/v23.0/"+id, testToken, "0", append(append([]byte{}, pdfBytes...), 'x'))
	wantError(t, "longer than file_length", status, resp, 400, CodeInvalidParameter)

	// Half the file: kept, and the session says where to resume.
	half := len(pdfBytes) / 2
	status, resp = e.uploadCall("POST", "/v23.0/"+id, testToken, "0", pdfBytes[:half])
	wantError(t, "incomplete", status, resp, 400, CodeInvalidParameter)
	if _, resp = e.uploadCall("GET", "/v23.0/"+id, testToken, "", nil); resp["file_offset"] != float64(half) {
		t.Fatalf("offset after half: %v", resp)
	}
	status, resp = e.uploadCall("POST", "/v23.0/"+id, testToken, strconv.Itoa(half), pdfBytes[half:])
	if h, _ := resp["h"].(string); status != 200 || !strings.HasPrefix(h, "4::") {
		t.Fatalf("resumed: %d %v", status, resp)
	}
}

// TestTemplateNeedsIssuedHandle: template creation and edits take, as a
// media header's example, only a handle this app issued, of a file fit for
// the header; anything else is Meta's invalid-handle error.
func TestTemplateNeedsIssuedHandle(t *testing.T) {
	e := newEnv(t, nil)
	path := "/v23.0/" + testWABA + "/message_templates"
	tmpl := func(name, format, handle string) map[string]any {
		return map[string]any{"name": name, "language": "en_US", "category": "UTILITY", "components": []any{
			map[string]any{"type": "HEADER", "format": format, "example": map[string]any{"header_handle": []string{handle}}},
			map[string]any{"type": "BODY", "text": "Your receipt is attached."},
		}}
	}
	status, resp := e.call("POST", path, testToken, tmpl("made_up", "IMAGE", "4::aW1hZ2U="))
	wantError(t, "made-up handle", status, resp, 400, CodeInvalidParameter)
	if get(resp, "error.error_subcode") != float64(2494102) || get(resp, "error.error_user_title") == nil {
		t.Errorf("invalid handle error: %v", resp)
	}
	pdf := e.sampleHandle("application/pdf", pdfBytes)
	status, resp = e.call("POST", path, testToken, tmpl("pdf_as_image", "IMAGE", pdf))
	wantError(t, "a PDF for an image header", status, resp, 400, CodeInvalidParameter)
	if status, resp = e.call("POST", path, testToken, tmpl("receipt", "DOCUMENT", pdf)); status != 200 {
		t.Fatalf("document header with its PDF: %d %v", status, resp)
	}
	img := e.sampleHandle("image/jpeg", jpegBytes)
	if status, resp = e.call("POST", path, testToken, tmpl("photo", "IMAGE", img)); status != 200 {
		t.Fatalf("image header with its JPEG: %d %v", status, resp)
	}
	// An edit is checked the same way.
	id := resp["id"].(string)
	if err := e.fake.DecideTemplate(testWABA, id, "REJECTED", "INVALID_FORMAT"); err != nil {
		t.Fatal(err)
	}
	edit := map[string]any{"components": tmpl("photo", "IMAGE", "4::bm9wZQ==")["components"]}
	status, resp = e.call("POST", "/v23.0/"+id, testToken, edit)
	wantError(t, "edit with a made-up handle", status, resp, 400, CodeInvalidParameter)
	edit = map[string]any{"components": tmpl("photo", "IMAGE", e.sampleHandle("image/png", pngBytes))["components"]}
	if status, resp = e.call("POST", "/v23.0/"+id, testToken, edit); status != 200 {
		t.Fatalf("edit with a new handle: %d %v", status, resp)
	}
}
