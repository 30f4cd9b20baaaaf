package graph

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"mime"
	"mime/multipart"
	"net/http"
	"net/textproto"
	"slices"
	"strings"
)

// MediaInfo is Meta's answer to GET /{media-id}.
type MediaInfo struct {
	URL      string      `json:"url"`
	MimeType string      `json:"mime_type"`
	SHA256   string      `json:"sha256"`
	FileSize json.Number `json:"file_size"`
	ID       string      `json:"id"`
}

// Media asks where a media object can be downloaded (the URL lives 5
// minutes).
func (c *Client) Media(ctx context.Context, token, mediaID string) (MediaInfo, error) {
	var info MediaInfo
	if err := c.callJSON(ctx, http.MethodGet, c.endpoint(mediaID, ""), token, nil, &info); err != nil {
		return info, err
	}
	if info.URL == "" {
		return info, fmt.Errorf("graph: media answer without url")
	}
	return info, nil
}

// Download fetches a media URL with the bearer token Meta requires, reading
// at most limit+1 bytes, so the caller can tell that a file exceeds limit
// (Meta's inbound maximum is 100 MB). An expired URL gives a 404 *Error: ask
// Media for a new one.
func (c *Client) Download(ctx context.Context, token, url string, limit int64) (io.ReadCloser, string, error) {
	req, err := newRequest(ctx, http.MethodGet, url, token, nil)
	if err != nil {
		return nil, "", err
	}
	req.Header.Del("Accept") // the body is the file, not JSON
	res, err := c.httpClient().Do(req)
	if err != nil {
		return nil, "", err
	}
	if res.StatusCode != http.StatusOK {
		body, _ := io.ReadAll(io.LimitReader(res.Body, 1<<16))
		res.Body.Close()
		return nil, "", parseError(res.StatusCode, body)
	}
	return struct {
		io.Reader
		io.Closer
	}{io.LimitReader(res.Body, limit+1), res.Body}, res.Header.Get("Content-Type"), nil
}

// Upload stores media for sending from phoneNumberID and returns its media
// id, valid 30 days (§6). The form is Meta's: messaging_product=whatsapp,
// type=<MIME> and the file part, whose Content-Type is the same MIME type
// (Meta answers 131053 when they differ or the bytes contradict it). Check
// the file with CheckMedia first: Meta's refusal comes only after the upload.
//
// r is streamed, not buffered; when its size is known (bytes/strings
// readers, files) the request carries a Content-Length. r is consumed, so a
// retry needs a fresh reader.
func (c *Client) Upload(ctx context.Context, token, phoneNumberID, filename, mimeType string, r io.Reader) (string, error) {
	if mimeType == "" {
		return "", fmt.Errorf("graph: upload needs a MIME type")
	}
	// Write the form's head and tail around the file part into buffers, and
	// stream the file between them: no copy of the file in memory, and a
	// computable length.
	var head bytes.Buffer
	mw := multipart.NewWriter(&head)
	if err := mw.WriteField("messaging_product", "whatsapp"); err != nil {
		return "", err
	}
	if err := mw.WriteField("type", mimeType); err != nil {
		return "", err
	}
	h := textproto.MIMEHeader{}
	h.Set("Content-Disposition", fmt.Sprintf(`form-data; name="file"; filename="%s"`, escapeQuotes(filename)))
	h.Set("Content-Type", mimeType)
	if _, err := mw.CreatePart(h); err != nil {
		return "", err
	}
	headBytes := bytes.Clone(head.Bytes())
	head.Reset()
	if err := mw.Close(); err != nil { // writes the closing boundary
		return "", err
	}
	tailBytes := head.Bytes()

	req, err := newRequest(ctx, http.MethodPost, c.endpoint(phoneNumberID, "media"), token,
		io.MultiReader(bytes.NewReader(headBytes), r, bytes.NewReader(tailBytes)))
	if err != nil {
		return "", err
	}
	req.Header.Set("Content-Type", mw.FormDataContentType())
	if n, ok := readerSize(r); ok {
		req.ContentLength = int64(len(headBytes)) + n + int64(len(tailBytes))
	}
	body, err := c.do(req)
	if err != nil {
		return "", err
	}
	var ans struct {
		ID string `json:"id"`
	}
	if err := json.Unmarshal(body, &ans); err != nil || ans.ID == "" {
		return "", fmt.Errorf("graph: upload answer without a media id")
	}
	return ans.ID, nil
}

// readerSize is how many bytes r has left, when that can be known without
// reading it.
func readerSize(r io.Reader) (int64, bool) {
	switch v := r.(type) {
	case interface{ Len() int }:
		return int64(v.Len()), true
	case io.Seeker:
		cur, err := v.Seek(0, io.SeekCurrent)
		if err != nil {
			return 0, false
		}
		end, err := v.Seek(0, io.SeekEnd)
		if _, err2 := v.Seek(cur, io.SeekStart); err != nil || err2 != nil {
			return 0, false
		}
		return end - cur, true
	}
	return 0, false
}

// escapeQuotes is what mime/multipart does for form-data file names, plus
// dropping line breaks so a name cannot add MIME headers.
func escapeQuotes(s string) string {
	return strings.NewReplacer("\\", "\\\\", `"`, "\\\"", "\r", "", "\n", "").Replace(s)
}

// DeleteMedia deletes uploaded media before its 30 days are up.
func (c *Client) DeleteMedia(ctx context.Context, token, mediaID string) error {
	return c.callSuccess(ctx, http.MethodDelete, c.endpoint(mediaID, ""), token, nil)
}

// Media kinds for CheckMedia: the message types that carry media, with
// stickers split because their limit depends on animation (see StickerKind).
const (
	MediaImage           = "image"
	MediaVideo           = "video"
	MediaAudio           = "audio"
	MediaDocument        = "document"
	MediaSticker         = "sticker" // static WebP
	MediaAnimatedSticker = "animated_sticker"
)

// Reasons a file cannot be sent (MediaError.Reason).
const (
	MediaTooLarge        = "too_large"
	MediaTypeUnsupported = "unsupported_type"
	MediaEmpty           = "empty"
	MediaUnknownKind     = "unknown_kind"
)

// MediaError says why CheckMedia refused a file, naming the limit broken, so
// the API can tell the sender precisely.
type MediaError struct {
	Kind     string
	MIMEType string
	Size     int64
	Reason   string   // MediaTooLarge, MediaTypeUnsupported, MediaEmpty, MediaUnknownKind
	Limit    int64    // the maximum size for Kind, in bytes
	Allowed  []string // the MIME types Kind accepts
}

func (e *MediaError) Error() string {
	switch e.Reason {
	case MediaTooLarge:
		return fmt.Sprintf("graph: %s of %d bytes exceeds WhatsApp's %s limit of %s", e.MIMEType, e.Size, e.Kind, humanSize(e.Limit))
	case MediaTypeUnsupported:
		return fmt.Sprintf("graph: WhatsApp does not accept %q as %s; accepted: %s", e.MIMEType, e.Kind, strings.Join(e.Allowed, ", "))
	case MediaEmpty:
		return fmt.Sprintf("graph: the %s file is empty", e.Kind)
	}
	return fmt.Sprintf("graph: %q is not a media kind (image, video, audio, document, sticker, animated_sticker)", e.Kind)
}

func humanSize(n int64) string {
	if n >= 1<<20 {
		return fmt.Sprintf("%d MB", n>>20)
	}
	return fmt.Sprintf("%d KB", n>>10)
}

// mediaRule is §6's table: accepted types and maximum size per kind. A
// function, not a map, to keep the package free of mutable globals.
func mediaRule(kind string) (allowed []string, limit int64, ok bool) {
	switch kind {
	case MediaImage:
		return []string{"image/jpeg", "image/png"}, 5 << 20, true
	case MediaVideo:
		return []string{"video/mp4", "video/3gpp"}, 16 << 20, true
	case MediaAudio:
		// audio/ogg must be OPUS, mono; the codec is not checked here.
		return []string{"audio/aac", "audio/amr", "audio/mpeg", "audio/mp4", "audio/ogg"}, 16 << 20, true
	case MediaDocument:
		return []string{
			"text/plain", "application/pdf",
			"application/vnd.ms-excel", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
			"application/msword", "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
			"application/vnd.ms-powerpoint", "application/vnd.openxmlformats-officedocument.presentationml.presentation",
		}, 100 << 20, true
	case MediaSticker:
		return []string{"image/webp"}, 100 << 10, true
	case MediaAnimatedSticker:
		return []string{"image/webp"}, 500 << 10, true
	}
	return nil, 0, false
}

// CheckMedia reports whether a file of mimeType and size can be sent as kind
// (contract §6): image jpeg/png ≤5 MB; video mp4/3gpp ≤16 MB; audio
// aac/amr/mpeg/mp4/ogg ≤16 MB; documents (text, pdf, Office) ≤100 MB;
// stickers WebP ≤100 KB static, ≤500 KB animated. Parameters of the MIME
// type ("audio/ogg; codecs=opus") are ignored. The error is a *MediaError.
func CheckMedia(kind, mimeType string, size int64) error {
	allowed, limit, ok := mediaRule(kind)
	if !ok {
		return &MediaError{Kind: kind, MIMEType: mimeType, Size: size, Reason: MediaUnknownKind}
	}
	e := &MediaError{Kind: kind, MIMEType: mimeType, Size: size, Limit: limit, Allowed: allowed}
	base, _, err := mime.ParseMediaType(mimeType)
	if err != nil || !slices.Contains(allowed, base) {
		e.Reason = MediaTypeUnsupported
		return e
	}
	switch {
	case size <= 0:
		e.Reason = MediaEmpty
		return e
	case size > limit:
		e.Reason = MediaTooLarge
		return e
	}
	return nil
}

// StickerKind tells from a WebP file's first bytes (30 suffice) whether it is
// animated: MediaAnimatedSticker if its VP8X header sets the animation flag,
// else MediaSticker.
func StickerKind(head []byte) string {
	// RIFF <size> WEBP VP8X <chunk size> <flags>…; flag 0x02 is animation.
	if len(head) >= 21 && string(head[0:4]) == "RIFF" && string(head[8:12]) == "WEBP" &&
		string(head[12:16]) == "VP8X" && head[20]&0x02 != 0 {
		return MediaAnimatedSticker
	}
	return MediaSticker
}
