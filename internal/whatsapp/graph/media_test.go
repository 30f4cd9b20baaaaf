package graph

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"io"
	"mime"
	"mime/multipart"
	"strings"
	"testing"
)

// TestUploadRetrieveDownload is the round trip of §6: upload, ask for the
// URL, download with the bearer token, delete.
func TestUploadRetrieveDownload(t *testing.T) {
	e := newEnv(t, nil)
	ctx := t.Context()
	id, err := e.client.Upload(ctx, testToken, testPN, `receipt "final".jpg`, "image/jpeg", bytes.NewReader(jpegBytes))
	if err != nil {
		t.Fatal(err)
	}

	// The request is Meta's multipart form, with a known length.
	req := e.rec.last()
	if req.Path != "/v23.0/"+testPN+"/media" || req.Auth != "Bearer "+testToken {
		t.Errorf("upload went to %s with auth %q", req.Path, req.Auth)
	}
	if req.ContentLength != int64(len(req.Body)) {
		t.Errorf("Content-Length %d, body %d bytes", req.ContentLength, len(req.Body))
	}
	mt, params, err := mime.ParseMediaType(req.ContentType)
	if err != nil || mt != "multipart/form-data" {
		t.Fatalf("content type %q", req.ContentType)
	}
	form, err := multipart.NewReader(bytes.NewReader(req.Body), params["boundary"]).ReadForm(1 << 20)
	if err != nil {
		t.Fatal(err)
	}
	if form.Value["messaging_product"][0] != "whatsapp" || form.Value["type"][0] != "image/jpeg" {
		t.Errorf("form fields %v", form.Value)
	}
	fh := form.File["file"][0]
	if fh.Filename != `receipt "final".jpg` || fh.Header.Get("Content-Type") != "image/jpeg" {
		t.Errorf("file part %q %v", fh.Filename, fh.Header)
	}

	info, err := e.client.Media(ctx, testToken, id)
	if err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(jpegBytes)
	if info.ID != id || info.MimeType != "image/jpeg" || info.SHA256 != hex.EncodeToString(sum[:]) || info.FileSize.String() != "211" {
		t.Errorf("media info %+v", info)
	}
	body, contentType, err := e.client.Download(ctx, testToken, info.URL, 1<<20)
	if err != nil {
		t.Fatal(err)
	}
	got, err := io.ReadAll(body)
	body.Close()
	if err != nil || !bytes.Equal(got, jpegBytes) || contentType != "image/jpeg" {
		t.Errorf("download: %d bytes, %q, %v", len(got), contentType, err)
	}
	if e.rec.last().Auth != "Bearer "+testToken {
		t.Error("download without the bearer token")
	}

	// A limit below the size: limit+1 bytes come through, so the caller sees
	// the excess.
	body, _, err = e.client.Download(ctx, testToken, info.URL, 10)
	if err != nil {
		t.Fatal(err)
	}
	got, _ = io.ReadAll(body)
	body.Close()
	if len(got) != 11 {
		t.Errorf("limited download read %d bytes, want 11", len(got))
	}

	if err := e.client.DeleteMedia(ctx, testToken, id); err != nil {
		t.Fatal(err)
	}
	if r := e.rec.last(); r.Method != "DELETE" || r.Path != "/v23.0/"+id {
		t.Errorf("delete request %s %s", r.Method, r.Path)
	}
	_, err = e.client.Media(ctx, testToken, id)
	asError(t, "deleted media", err, CodeInvalidParameter)
	_, _, err = e.client.Download(ctx, testToken, info.URL, 1<<20)
	if ge := asError(t, "deleted media download", err, 0); ge.HTTPStatus != 404 || ge.Retryable() {
		t.Errorf("download after delete: %+v", ge)
	}
	asError(t, "delete twice", e.client.DeleteMedia(ctx, testToken, id), CodeInvalidParameter)
}

// TestUploadStreamsUnknownLength: a reader of unknown size goes chunked.
func TestUploadStreamsUnknownLength(t *testing.T) {
	e := newEnv(t, nil)
	r := struct{ io.Reader }{bytes.NewReader(pdfBytes)} // hides Len and Seek
	id, err := e.client.Upload(t.Context(), testToken, testPN, "doc.pdf", "application/pdf", r)
	if err != nil {
		t.Fatal(err)
	}
	if cl := e.rec.last().ContentLength; cl != -1 {
		t.Errorf("Content-Length %d, want unknown (-1)", cl)
	}
	data, mimeType, err := e.fake.MediaContent(id)
	if err != nil || !bytes.Equal(data, pdfBytes) || mimeType != "application/pdf" {
		t.Errorf("stored %d bytes %q %v", len(data), mimeType, err)
	}
}

func TestUploadRefused(t *testing.T) {
	e := newEnv(t, nil)
	ctx := t.Context()
	_, err := e.client.Upload(ctx, testToken, testPN, "a.gif", "image/gif", strings.NewReader("GIF89a...."))
	asError(t, "unsupported type", err, CodeInvalidParameter)
	_, err = e.client.Upload(ctx, testToken, testPN, "a.png", "image/png", bytes.NewReader(jpegBytes))
	asError(t, "bytes contradict the type", err, CodeMediaUpload)
	_, err = e.client.Upload(ctx, "EAAG-wrong", testPN, "a.jpg", "image/jpeg", bytes.NewReader(jpegBytes))
	if !IsTokenInvalid(err) {
		t.Errorf("bad token upload: %v", err)
	}
}

func TestCheckMedia(t *testing.T) {
	const kb, mb = 1 << 10, 1 << 20
	ok := []struct {
		kind, mime string
		size       int64
	}{
		{MediaImage, "image/jpeg", 5 * mb},
		{MediaImage, "image/png", 1},
		{MediaVideo, "video/mp4", 16 * mb},
		{MediaVideo, "video/3gpp", mb},
		{MediaAudio, "audio/ogg; codecs=opus", 16 * mb},
		{MediaAudio, "audio/aac", 1},
		{MediaAudio, "audio/amr", 1},
		{MediaAudio, "audio/mpeg", 1},
		{MediaAudio, "audio/mp4", 1},
		{MediaDocument, "application/pdf", 100 * mb},
		{MediaDocument, "text/plain", 1},
		{MediaDocument, "application/vnd.openxmlformats-officedocument.wordprocessingml.document", 1},
		{MediaDocument, "application/vnd.ms-excel", 1},
		{MediaDocument, "application/vnd.ms-powerpoint", 1},
		{MediaSticker, "image/webp", 100 * kb},
		{MediaAnimatedSticker, "image/webp", 500 * kb},
		{MediaImage, "IMAGE/JPEG", 1}, // MIME types are case-insensitive
	}
	for _, c := range ok {
		if err := CheckMedia(c.kind, c.mime, c.size); err != nil {
			t.Errorf("CheckMedia(%s, %s, %d): %v", c.kind, c.mime, c.size, err)
		}
	}
	bad := []struct {
		kind, mime string
		size       int64
		reason     string
		limit      int64
	}{
		{MediaImage, "image/jpeg", 5*mb + 1, MediaTooLarge, 5 * mb},
		{MediaVideo, "video/mp4", 16*mb + 1, MediaTooLarge, 16 * mb},
		{MediaAudio, "audio/ogg", 16*mb + 1, MediaTooLarge, 16 * mb},
		{MediaDocument, "application/pdf", 100*mb + 1, MediaTooLarge, 100 * mb},
		{MediaSticker, "image/webp", 100*kb + 1, MediaTooLarge, 100 * kb},
		{MediaAnimatedSticker, "image/webp", 500*kb + 1, MediaTooLarge, 500 * kb},
		{MediaImage, "image/webp", 1, MediaTypeUnsupported, 5 * mb}, // WebP only as a sticker
		{MediaImage, "image/gif", 1, MediaTypeUnsupported, 5 * mb},
		{MediaVideo, "video/quicktime", 1, MediaTypeUnsupported, 16 * mb},
		{MediaDocument, "application/zip", 1, MediaTypeUnsupported, 100 * mb},
		{MediaAudio, "not a mime type", 1, MediaTypeUnsupported, 16 * mb},
		{MediaImage, "image/png", 0, MediaEmpty, 5 * mb},
		{"gif", "image/gif", 1, MediaUnknownKind, 0},
	}
	for _, c := range bad {
		err := CheckMedia(c.kind, c.mime, c.size)
		var me *MediaError
		if !errors.As(err, &me) {
			t.Errorf("CheckMedia(%s, %s, %d) = %v, want *MediaError", c.kind, c.mime, c.size, err)
			continue
		}
		if me.Reason != c.reason || me.Limit != c.limit || me.Kind != c.kind || me.Size != c.size {
			t.Errorf("CheckMedia(%s, %s, %d) = %+v, want reason %s limit %d", c.kind, c.mime, c.size, me, c.reason, c.limit)
		}
	}
	if msg := CheckMedia(MediaImage, "image/jpeg", 6*mb).Error(); !strings.Contains(msg, "5 MB") {
		t.Errorf("too-large message does not name the limit: %q", msg)
	}
	if msg := CheckMedia(MediaSticker, "image/webp", 200*kb).Error(); !strings.Contains(msg, "100 KB") {
		t.Errorf("sticker message does not name the limit: %q", msg)
	}
}

func TestStickerKind(t *testing.T) {
	animated := []byte("RIFF\x00\x00\x00\x00WEBPVP8X\x0a\x00\x00\x00\x12\x00\x00\x00")
	if k := StickerKind(animated); k != MediaAnimatedSticker {
		t.Errorf("animated WebP: %s", k)
	}
	if k := StickerKind(webpBytes); k != MediaSticker {
		t.Errorf("static WebP: %s", k)
	}
	static := []byte("RIFF\x00\x00\x00\x00WEBPVP8X\x0a\x00\x00\x00\x10\x00\x00\x00") // alpha only
	if k := StickerKind(static); k != MediaSticker {
		t.Errorf("static extended WebP: %s", k)
	}
	if k := StickerKind(nil); k != MediaSticker {
		t.Errorf("empty: %s", k)
	}
}
