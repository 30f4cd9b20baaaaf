// Package graph calls Meta's Graph API (or our fake of it, for sandbox
// numbers). This first part fetches inbound media; sending comes with the
// outbound pipeline.
package graph

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
)

// Client talks to one Graph API base URL and version.
type Client struct {
	HTTP    *http.Client
	BaseURL string // e.g. https://graph.facebook.com
	Version string // e.g. v23.0
}

// MediaInfo is Meta's answer to GET /{media-id}.
type MediaInfo struct {
	URL      string      `json:"url"`
	MimeType string      `json:"mime_type"`
	SHA256   string      `json:"sha256"`
	FileSize json.Number `json:"file_size"`
	ID       string      `json:"id"`
}

// Error is a Graph API error answer.
type Error struct {
	Status  int
	Code    int    `json:"code"`
	Message string `json:"message"`
}

func (e *Error) Error() string {
	return fmt.Sprintf("graph: HTTP %d, code %d: %s", e.Status, e.Code, e.Message)
}

// Media asks where a media object can be downloaded (the URL lives 5
// minutes).
func (c *Client) Media(ctx context.Context, token, mediaID string) (MediaInfo, error) {
	var info MediaInfo
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, c.BaseURL+"/"+c.Version+"/"+mediaID, nil)
	if err != nil {
		return info, err
	}
	req.Header.Set("Authorization", "Bearer "+token)
	res, err := c.HTTP.Do(req)
	if err != nil {
		return info, err
	}
	defer res.Body.Close()
	body, err := io.ReadAll(io.LimitReader(res.Body, 1<<20))
	if err != nil {
		return info, err
	}
	if res.StatusCode != http.StatusOK {
		return info, parseError(res.StatusCode, body)
	}
	if err := json.Unmarshal(body, &info); err != nil {
		return info, fmt.Errorf("graph: media answer: %w", err)
	}
	if info.URL == "" {
		return info, fmt.Errorf("graph: media answer without url")
	}
	return info, nil
}

// Download fetches a media URL with the bearer token Meta requires, reading
// at most limit bytes (Meta's inbound maximum is 100 MB).
func (c *Client) Download(ctx context.Context, token, url string, limit int64) (io.ReadCloser, string, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return nil, "", err
	}
	req.Header.Set("Authorization", "Bearer "+token)
	res, err := c.HTTP.Do(req)
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

func parseError(status int, body []byte) error {
	var wrapped struct {
		Error Error `json:"error"`
	}
	e := &Error{Status: status, Message: strings.TrimSpace(string(body))}
	if json.Unmarshal(body, &wrapped) == nil && wrapped.Error.Message != "" {
		e.Code, e.Message = wrapped.Error.Code, wrapped.Error.Message
	}
	if len(e.Message) > 300 {
		e.Message = e.Message[:300]
	}
	return e
}
