package graph

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
)

// UploadSample uploads a template header's sample file through Meta's
// Resumable Upload API and returns the file handle ("4::…") that a media
// header's example carries (header_handle, contract §6 and §7.3). Media
// uploaded to /{phone-number-id}/media has an id, not a handle, and Meta
// refuses it there.
//
// Two calls: POST /{app-id}/uploads?file_name&file_length&file_type opens an
// upload session ({"id": "upload:…"}), then POST /{upload-session-id} with
// "Authorization: OAuth <token>" and "file_offset: 0" carries the bytes and
// answers {"h": "<handle>"}. The file belongs to the Meta app, so appID is
// the app the token's system user has a role on (the number's app). size
// must be the exact length of what r yields: Meta checks it against
// file_length. If r can seek (a file) and the connection breaks while the
// bytes go, the upload resumes once from where Meta says it got to.
func (c *Client) UploadSample(ctx context.Context, token, appID, filename, mimeType string, r io.Reader, size int64) (string, error) {
	if appID == "" || filename == "" || mimeType == "" || size <= 0 {
		return "", errors.New("graph: a sample upload needs the app id, a file name, a MIME type and a size")
	}
	q := url.Values{"file_name": {filename}, "file_length": {strconv.FormatInt(size, 10)}, "file_type": {mimeType}}
	var session struct {
		ID string `json:"id"`
	}
	// The token goes in the Authorization header, never in the URL (the
	// package comment): Graph accepts both, Meta's examples use the URL.
	if err := c.callJSON(ctx, http.MethodPost, c.endpoint(appID, "uploads")+"?"+q.Encode(), token, nil, &session); err != nil {
		return "", err
	}
	if !strings.HasPrefix(session.ID, "upload:") {
		return "", fmt.Errorf("graph: the upload session's id %q is not Meta's upload:… id", session.ID)
	}
	// A reader that can seek is resumed once if the connection breaks
	// mid-file: Meta keeps what arrived, and says how much (UploadOffset).
	seeker, canResume := r.(io.Seeker)
	var start int64
	if canResume {
		var err error
		if start, err = seeker.Seek(0, io.SeekCurrent); err != nil {
			canResume = false
		}
	}
	h, err := c.sendUpload(ctx, token, session.ID, r, 0, size)
	// Only a broken transfer resumes: Meta's own refusals (an *Error),
	// an answer without a handle or a cancelled call do not.
	var ge *Error
	if err == nil || !canResume || errors.As(err, &ge) || !Retryable(err) {
		return h, err
	}
	offset, oerr := c.UploadOffset(ctx, token, session.ID)
	if oerr != nil || offset < 0 || offset >= size {
		return "", err
	}
	if _, serr := seeker.Seek(start+offset, io.SeekStart); serr != nil {
		return "", err
	}
	return c.sendUpload(ctx, token, session.ID, r, offset, size-offset)
}

// sendUpload sends n bytes of r to an upload session from offset, and
// returns the handle Meta answers once the file is whole.
func (c *Client) sendUpload(ctx context.Context, token, sessionID string, r io.Reader, offset, n int64) (string, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, c.sessionURL(sessionID), io.LimitReader(r, n))
	if err != nil {
		return "", err
	}
	req.ContentLength = n
	// Meta's scheme for this call is OAuth, not Bearer, and its header is
	// spelled file_offset: set as written, not canonicalised (File_offset).
	req.Header.Set("Authorization", "OAuth "+token)
	req.Header["file_offset"] = []string{strconv.FormatInt(offset, 10)}
	req.Header.Set("Content-Type", "application/octet-stream")
	req.Header.Set("Accept", "application/json")
	ans, err := c.do(req)
	if err != nil {
		return "", err
	}
	var done struct {
		H string `json:"h"`
	}
	if err := json.Unmarshal(ans, &done); err != nil {
		return "", fmt.Errorf("graph: decoding the answer to the sample upload: %w", err)
	}
	if done.H == "" {
		return "", errors.New("graph: the sample upload answered without a file handle")
	}
	return done.H, nil
}

// UploadOffset asks where an interrupted upload session stands
// (GET /{upload-session-id}): how many bytes Meta has, so a caller holding
// the file can send the rest with that file_offset.
func (c *Client) UploadOffset(ctx context.Context, token, sessionID string) (int64, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, c.sessionURL(sessionID), nil)
	if err != nil {
		return 0, err
	}
	req.Header.Set("Authorization", "OAuth "+token)
	req.Header.Set("Accept", "application/json")
	ans, err := c.do(req)
	if err != nil {
		return 0, err
	}
	var st struct {
		FileOffset json.Number `json:"file_offset"`
	}
	if err := json.Unmarshal(ans, &st); err != nil {
		return 0, fmt.Errorf("graph: decoding the upload session: %w", err)
	}
	return st.FileOffset.Int64()
}

// sessionURL addresses an upload session. Meta's session ids may carry a
// query of their own (upload:…?sig=…), which must reach Meta as a query,
// so only the part before it is escaped as a path segment.
func (c *Client) sessionURL(id string) string {
	path, query, hasQuery := strings.Cut(id, "?")
	u := c.endpoint(path, "")
	if hasQuery {
		u += "?" + query
	}
	return u
}
