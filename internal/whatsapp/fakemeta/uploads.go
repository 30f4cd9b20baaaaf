package fakemeta

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// The Resumable Upload API (contract §6: template header media; Meta's
// "Upload a file" guide): POST /{app-id}/uploads opens a session for a file
// of a declared name, length and type; POST /{upload-session-id} with
// "Authorization: OAuth <token>" and "file_offset" sends bytes from that
// offset, and once the file is whole answers its handle; GET
// /{upload-session-id} says how far an interrupted session got. Template
// creation accepts, as a media header's example, only handles issued here
// (templatecheck.go's handles check).

// DefaultAppID is the Meta App ID uploads go to when Config.AppID is unset.
const DefaultAppID = "1000000000000001"

// maxSampleLength bounds a session's declared file_length: the largest
// template header sample Meta takes is a 100 MB document.
const maxSampleLength = 100 << 20

// sampleTypes are the file_type values Meta's guide lists.
func sampleType(t string) (canonical string, ok bool) {
	switch t {
	case "image/jpeg", "image/jpg":
		return "image/jpeg", true
	case "image/png", "video/mp4", "application/pdf":
		return t, true
	}
	return "", false
}

// uploadSession is one file being uploaded, and once whole, its handle.
type uploadSession struct {
	id       string // "upload:…", without the ?sig= query
	waba     string // whose token opened it: only that user may continue
	name     string
	fileType string // canonical
	length   int64
	data     []byte
	handle   string // set when the last byte arrived
	expires  time.Time
}

// handleUploadSession serves POST /{app-id}/uploads.
func (s *Server) handleUploadSession(w http.ResponseWriter, r *http.Request) *apiError {
	s.mu.Lock()
	defer s.mu.Unlock()
	waba, e := s.tokenWABALocked(r)
	if e != nil {
		return e
	}
	if app := r.PathValue("id"); app != s.cfg.AppID {
		// The token's user has no role on another app.
		return unknownObject(r.Method, app)
	}
	q := r.URL.Query()
	name, lengthText, typ := q.Get("file_name"), q.Get("file_length"), q.Get("file_type")
	length, err := strconv.ParseInt(lengthText, 10, 64)
	switch {
	case name == "":
		return invalid("Param file_name is required.")
	case lengthText == "":
		return invalid("Param file_length is required.")
	case err != nil || length <= 0:
		return invalid("Param file_length must be a positive integer; got %q.", lengthText)
	case length > maxSampleLength:
		return invalid("Param file_length must be at most %d bytes; got %d.", maxSampleLength, length)
	case typ == "":
		return invalid("Param file_type is required.")
	}
	canonical, ok := sampleType(typ)
	if !ok {
		return invalid("Param file_type must be one of application/pdf, image/jpeg, image/jpg, image/png, video/mp4; got %q.", typ)
	}
	// Meta's session ids are base64 with a signature query; URL-safe
	// base64 keeps the id one path segment.
	id := "upload:" + base64.RawURLEncoding.EncodeToString(fmt.Appendf(nil, "1:attachment:%s?file_length=%d&file_type=%s",
		base64.RawURLEncoding.EncodeToString(randomBytes(12)), length, canonical))
	s.uploads[id] = &uploadSession{id: id, waba: waba, name: name, fileType: canonical, length: length,
		expires: s.now().Add(uploadedMediaTTL)}
	writeJSON(w, http.StatusOK, map[string]string{"id": id + "?sig=" + s.uploadSig(id)})
	return nil
}

// uploadSig signs a session id, as Meta's ?sig= does.
func (s *Server) uploadSig(id string) string {
	m := hmac.New(sha256.New, s.urlKey)
	m.Write([]byte("upload " + id))
	return "AR" + base64.RawURLEncoding.EncodeToString(m.Sum(nil)[:18])
}

// uploadSessionLocked authorises a call on /{upload-session-id}: the token
// of the user who opened it, and the session's signature.
func (s *Server) uploadSessionLocked(r *http.Request) (*uploadSession, *apiError) {
	waba, e := s.tokenWABALocked(r)
	if e != nil {
		return nil, e
	}
	id := r.PathValue("id")
	u := s.uploads[id]
	if u == nil || s.now().After(u.expires) {
		return nil, unknownObject(r.Method, id)
	}
	if !hmac.Equal([]byte(r.URL.Query().Get("sig")), []byte(s.uploadSig(id))) {
		// The Application Uploads reference lists 104 for this.
		return nil, &apiError{status: http.StatusBadRequest, code: 104, typ: "OAuthException",
			title: "Incorrect signature", details: "The upload session's signature (sig) is missing or wrong."}
	}
	if u.waba != waba {
		return nil, newError(CodeAccessToken, "The access token does not grant access to this upload session.")
	}
	return u, nil
}

// handleUploadStatus serves GET /{upload-session-id}.
func (s *Server) handleUploadStatus(w http.ResponseWriter, r *http.Request) *apiError {
	s.mu.Lock()
	defer s.mu.Unlock()
	u, e := s.uploadSessionLocked(r)
	if e != nil {
		return e
	}
	writeJSON(w, http.StatusOK, map[string]any{"id": u.id + "?sig=" + s.uploadSig(u.id), "file_offset": len(u.data)})
	return nil
}

// handleUploadData serves POST /{upload-session-id}: the bytes from
// file_offset on. Bytes that arrive are kept even when the body is cut
// short, so GET tells the client where to resume.
func (s *Server) handleUploadData(w http.ResponseWriter, r *http.Request) *apiError {
	s.mu.Lock()
	u, e := s.uploadSessionLocked(r)
	if e != nil {
		s.mu.Unlock()
		return e
	}
	have, handle := int64(len(u.data)), u.handle
	s.mu.Unlock()
	if handle != "" {
		writeJSON(w, http.StatusOK, map[string]string{"h": handle})
		return nil
	}
	offsetText := r.Header.Get("file_offset")
	offset, err := strconv.ParseInt(offsetText, 10, 64)
	switch {
	case offsetText == "":
		return invalid("Header file_offset is required.")
	case err != nil || offset != have:
		return invalid("Header file_offset must be %d, the bytes this session has; got %q.", have, offsetText)
	}
	// Read outside the lock: a large file takes a while.
	body, readErr := io.ReadAll(io.LimitReader(r.Body, u.length-have+1))
	s.mu.Lock()
	defer s.mu.Unlock()
	if int64(len(u.data)) != have || u.handle != "" {
		return invalid("Another request is uploading to this session.")
	}
	if have+int64(len(body)) > u.length {
		return invalid("The body is longer than the file_length of %d bytes given for this session.", u.length)
	}
	u.data = append(u.data, body...)
	if readErr != nil || int64(len(u.data)) < u.length {
		return invalid("The upload is incomplete: %d of %d bytes received; resume with file_offset %d.", len(u.data), u.length, len(u.data))
	}
	u.handle = "4::" + base64.StdEncoding.EncodeToString([]byte(u.fileType)) + ":AR" +
		base64.RawURLEncoding.EncodeToString(randomBytes(24)) + ":e:" + strconv.FormatInt(u.expires.Unix(), 10) +
		":" + s.cfg.AppID + ":" + s.newID()
	s.handles[u.handle] = u
	writeJSON(w, http.StatusOK, map[string]string{"h": u.handle})
	return nil
}

// errInvalidHandle is Meta's answer to a template whose media header's
// example is not a handle it issued (seen in Meta's answers; the contract
// does not list it).
func errInvalidHandle(details string) *apiError {
	e := invalid("%s", details)
	e.subcode = 2494102
	e.userTitle = "Uploaded Media Handle Is Invalid"
	e.userMsg = "The uploaded media handle is invalid. Upload the sample file again and use the new handle."
	return e
}

// headerSampleTypes are the file types a media header's sample may have.
func headerSampleTypes(format string) []string {
	switch format {
	case "IMAGE":
		return []string{"image/jpeg", "image/png"}
	case "VIDEO", "GIF":
		return []string{"video/mp4"}
	case "DOCUMENT":
		return []string{"application/pdf"}
	}
	return nil
}

// checkHandlesLocked refuses a template whose media header's example is
// not a live handle of this app, or one of a file unfit for the header.
func (s *Server) checkHandlesLocked(comps []tmplComponent) *apiError {
	for _, c := range comps {
		types := headerSampleTypes(c.Format)
		if c.Type != "HEADER" || types == nil || c.Example == nil {
			continue
		}
		for _, h := range c.Example.HeaderHandle {
			f := s.handles[h]
			if f == nil || s.now().After(f.expires) {
				return errInvalidHandle(fmt.Sprintf("The %s header's example handle was not issued by the Resumable Upload API of this app, or has expired.", c.Format))
			}
			if !containsString(types, f.fileType) {
				return invalid("A %s header's sample must be %s; the uploaded file is %s.", c.Format, strings.Join(types, " or "), f.fileType)
			}
		}
	}
	return nil
}

func containsString(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// isUploadSession reports whether a Graph id names an upload session.
func isUploadSession(id string) bool { return strings.HasPrefix(id, "upload:") }

// dropExpiredUploadsLocked is the janitor's part for uploads.
func (s *Server) dropExpiredUploadsLocked(now time.Time) {
	for id, u := range s.uploads {
		if now.After(u.expires) {
			delete(s.uploads, id)
		}
	}
	for h, f := range s.handles {
		if now.After(f.expires) {
			delete(s.handles, h)
		}
	}
}

// ErrUnknownHandle is returned by SampleFile for a handle never issued.
var ErrUnknownHandle = errors.New("fakemeta: unknown upload handle")

// SampleFile returns the bytes and type of an uploaded sample by its
// handle: what Meta's reviewers would look at.
func (s *Server) SampleFile(handle string) (data []byte, fileType, name string, err error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	u := s.handles[handle]
	if u == nil {
		return nil, "", "", ErrUnknownHandle
	}
	return append([]byte(nil), u.data...), u.fileType, u.name, nil
}
