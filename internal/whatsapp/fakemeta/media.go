package fakemeta

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"net/url"
	"strconv"
	"time"
)

// downloadPath imitates Meta's lookaside host path, so URL handling in
// clients (query strings, no file extension) is exercised as in production.
const downloadPath = "/whatsapp_business/attachments/"

// Lifetimes from §6.
const (
	uploadedMediaTTL = 30 * 24 * time.Hour
	webhookMediaTTL  = 7 * 24 * time.Hour
	mediaURLTTL      = 5 * time.Minute
	maxInboundMedia  = 100 << 20
)

type mediaObject struct {
	id       string
	owner    string // phone number id
	waba     string
	mimeType string // as given, e.g. "audio/ogg; codecs=opus"
	kind     string // image, video, audio, document, sticker
	filename string
	data     []byte
	sum      [32]byte
	expires  time.Time
}

// mediaKind maps a MIME type to what it can be sent as and its size limit
// (§6 table). ok is false for types Meta does not accept for sending.
func mediaKind(mimeType string, data []byte) (kind string, max int64, ok bool) {
	base, _, err := mime.ParseMediaType(mimeType)
	if err != nil {
		return "", 0, false
	}
	switch base {
	case "audio/aac", "audio/amr", "audio/mpeg", "audio/mp4", "audio/ogg":
		return "audio", 16 << 20, true
	case "text/plain", "application/pdf",
		"application/vnd.ms-excel", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
		"application/msword", "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
		"application/vnd.ms-powerpoint", "application/vnd.openxmlformats-officedocument.presentationml.presentation":
		return "document", 100 << 20, true
	case "image/jpeg", "image/png":
		return "image", 5 << 20, true
	case "image/webp":
		if bytes.Contains(data[:min(len(data), 64)], []byte("ANIM")) || bytes.Contains(data, []byte("ANMF")) {
			return "sticker", 500 << 10, true
		}
		return "sticker", 100 << 10, true
	case "video/3gpp", "video/mp4":
		return "video", 16 << 20, true
	}
	return "", 0, false
}

// sniffMismatch reports a declared type that the bytes plainly contradict,
// for the formats whose signatures are unambiguous. Meta answers such
// uploads with 131053 ("often a MIME mismatch", §5.2).
func sniffMismatch(mimeType string, data []byte) bool {
	base, _, _ := mime.ParseMediaType(mimeType)
	switch base {
	case "image/jpeg", "image/png", "image/webp", "application/pdf":
		return http.DetectContentType(data) != base
	}
	return false
}

// handleUpload serves POST /{phone-number-id}/media (§6).
func (s *Server) handleUpload(w http.ResponseWriter, r *http.Request) *apiError {
	s.mu.Lock()
	n, e := s.numberForRequestLocked(r)
	s.mu.Unlock()
	if e != nil {
		return e
	}
	r.Body = http.MaxBytesReader(w, r.Body, 101<<20)
	if err := r.ParseMultipartForm(8 << 20); err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			return errorf(CodeMediaUpload, "The file is larger than the maximum of 100 MB.")
		}
		return invalid("The upload must be multipart/form-data with file, type and messaging_product: %v", err)
	}
	defer func() { _ = r.MultipartForm.RemoveAll() }()
	if r.FormValue("messaging_product") != "whatsapp" {
		return invalid("Param messaging_product must be whatsapp.")
	}
	f, fh, err := r.FormFile("file")
	if err != nil {
		return invalid("Param file is required.")
	}
	defer f.Close()
	data, err := io.ReadAll(f)
	if err != nil {
		return errorf(CodeMediaUpload, "Could not read the file: %v", err)
	}
	declared, partType := r.FormValue("type"), fh.Header.Get("Content-Type")
	mimeType := declared
	if mimeType == "" {
		mimeType = partType
	}
	if mimeType == "" {
		return invalid("Param type (the file's MIME type) is required.")
	}
	if declared != "" && partType != "" && partType != "application/octet-stream" && !sameBaseType(declared, partType) {
		return errorf(CodeMediaUpload, "The type parameter %q does not match the file's Content-Type %q.", declared, partType)
	}
	kind, max, ok := mediaKind(mimeType, data)
	if !ok {
		return invalid("Param file must be a file with one of the following types: audio/aac, audio/amr, audio/mpeg, audio/mp4, audio/ogg, text/plain, application/pdf, application/vnd.ms-powerpoint, application/msword, application/vnd.ms-excel, application/vnd.openxmlformats-officedocument.wordprocessingml.document, application/vnd.openxmlformats-officedocument.presentationml.presentation, application/vnd.openxmlformats-officedocument.spreadsheetml.sheet, image/jpeg, image/png, image/webp, video/mp4, video/3gpp. Received file of type '%s'.", mimeType)
	}
	if len(data) == 0 {
		return errorf(CodeMediaUpload, "The file is empty.")
	}
	if int64(len(data)) > max {
		return errorf(CodeMediaUpload, "The %s is %d bytes; the maximum for %s is %d bytes.", kind, len(data), mimeType, max)
	}
	if sniffMismatch(mimeType, data) {
		return errorf(CodeMediaUpload, "The file's content is not %s.", mimeType)
	}
	s.mu.Lock()
	m := s.storeMediaLocked(n.Number, mimeType, kind, fh.Filename, data, uploadedMediaTTL)
	s.mu.Unlock()
	writeJSON(w, http.StatusOK, map[string]string{"id": m.id})
	return nil
}

func sameBaseType(a, b string) bool {
	x, _, err1 := mime.ParseMediaType(a)
	y, _, err2 := mime.ParseMediaType(b)
	return err1 == nil && err2 == nil && x == y
}

func (s *Server) storeMediaLocked(n Number, mimeType, kind, filename string, data []byte, ttl time.Duration) *mediaObject {
	m := &mediaObject{
		id: s.newID(), owner: n.PhoneNumberID, waba: n.WABAID,
		mimeType: mimeType, kind: kind, filename: filename,
		data: data, sum: sha256.Sum256(data), expires: s.now().Add(ttl),
	}
	s.media[m.id] = m
	return m
}

func (s *Server) mediaLocked(id string) *mediaObject {
	m := s.media[id]
	if m == nil || s.now().After(m.expires) {
		return nil
	}
	return m
}

// mediaURLLocked is a download URL valid for five minutes (§6). It is signed
// rather than stored, so expired URLs cost nothing.
func (s *Server) mediaURLLocked(m *mediaObject, source string) string {
	base := s.baseURLLocked()
	if base == "" {
		return ""
	}
	ext := strconv.FormatInt(s.now().Add(mediaURLTTL).Unix(), 10)
	q := url.Values{"mid": {m.id}, "ext": {ext}, "hash": {s.urlHash(m.id, ext)}, "source": {source}}
	return base + downloadPath + "?" + q.Encode()
}

func (s *Server) urlHash(id, ext string) string {
	h := hmac.New(sha256.New, s.urlKey)
	fmt.Fprintf(h, "%s|%s", id, ext)
	return base64.RawURLEncoding.EncodeToString(h.Sum(nil)[:18])
}

// mediaInfo serves GET /{media-id}.
func (s *Server) mediaInfoLocked(w http.ResponseWriter, r *http.Request, m *mediaObject) *apiError {
	if pn := r.URL.Query().Get("phone_number_id"); pn != "" && pn != m.owner {
		return invalid("The media was not uploaded on phone number %s.", pn)
	}
	writeJSON(w, http.StatusOK, map[string]any{
		"messaging_product": "whatsapp",
		"url":               s.mediaURLLocked(m, "getMedia"),
		"mime_type":         m.mimeType,
		"sha256":            hex.EncodeToString(m.sum[:]),
		"file_size":         len(m.data),
		"id":                m.id,
	})
	return nil
}

// handleDownload serves the media URL. As with Meta, the bearer token is
// required (§6) and an expired or unknown URL is a plain 404.
func (s *Server) handleDownload(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		w.WriteHeader(http.StatusMethodNotAllowed)
		return
	}
	q := r.URL.Query()
	id, ext, hash := q.Get("mid"), q.Get("ext"), q.Get("hash")
	s.mu.Lock()
	waba, e := s.tokenWABALocked(r)
	if e != nil {
		s.mu.Unlock()
		writeError(w, e)
		return
	}
	m := s.mediaLocked(id)
	exp, err := strconv.ParseInt(ext, 10, 64)
	valid := m != nil && err == nil && hmac.Equal([]byte(hash), []byte(s.urlHash(id, ext))) && !s.now().After(time.Unix(exp, 0))
	if valid && m.waba != waba {
		s.mu.Unlock()
		writeError(w, newError(CodeAccessToken, "The access token does not grant access to this media."))
		return
	}
	s.mu.Unlock()
	if !valid {
		http.NotFound(w, r)
		return
	}
	w.Header().Set("Content-Type", m.mimeType)
	w.Header().Set("Content-Length", strconv.Itoa(len(m.data)))
	if m.filename != "" {
		w.Header().Set("Content-Disposition", mime.FormatMediaType("attachment", map[string]string{"filename": m.filename}))
	}
	w.WriteHeader(http.StatusOK)
	if r.Method == http.MethodGet {
		_, _ = w.Write(m.data)
	}
}

// MediaContent returns stored media (uploaded by the business or sent by a
// customer) so the customer simulator can show it without a token.
func (s *Server) MediaContent(mediaID string) (data []byte, mimeType string, err error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	m := s.mediaLocked(mediaID)
	if m == nil {
		return nil, "", fmt.Errorf("fakemeta: unknown or expired media %s", mediaID)
	}
	return m.data, m.mimeType, nil
}

// checkMediaUsesLocked verifies that every media id a send references exists
// for this WABA and suits the message type (131053).
func (s *Server) checkMediaUsesLocked(n *numberState, uses []mediaUse) (*EventMedia, *apiError) {
	var first *EventMedia
	for _, u := range uses {
		m := s.mediaLocked(u.id)
		if m == nil || m.waba != n.WABAID {
			return nil, errorf(CodeMediaUpload, "Media id %s was not found or has expired.", u.id)
		}
		if u.kind != "document" && m.kind != u.kind {
			return nil, errorf(CodeMediaUpload, "Media id %s is %s and cannot be sent as %s.", u.id, m.mimeType, u.kind)
		}
		if first == nil {
			first = &EventMedia{ID: m.id, MIMEType: m.mimeType, Filename: m.filename, Size: int64(len(m.data))}
		}
	}
	return first, nil
}

// ExpireMedia ends an uploaded media id's life now, as Meta does 30 days
// after the upload (§6): sends naming it are refused with 131053 and its
// URL is gone. A test's way to let a month pass for one file. It reports
// whether the id was known.
func (s *Server) ExpireMedia(mediaID string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	m := s.media[mediaID]
	if m == nil {
		return false
	}
	m.expires = s.now().Add(-time.Second)
	return true
}
