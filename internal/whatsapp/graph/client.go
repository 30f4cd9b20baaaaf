// Package graph is Switchboard's client for Meta's WhatsApp Cloud API (the
// Graph API), or for our fake of it behind sandbox numbers: sending messages
// and read receipts, media, and template management
// (/work/shared/spec/whatsapp-cloud-api.md §4–§7).
//
// The client knows nothing about tenants. Every call takes the access token of
// the number or WABA it acts for, and the caller decides what a failure means
// (Retryable, IsTokenInvalid, (*Error).Code). It never logs, and tokens travel
// only in the Authorization header, never in a URL, so they cannot leak into
// error strings (a *url.Error quotes the URL).
package graph

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
)

// Client talks to one Graph API base URL and version. The zero HTTP means
// http.DefaultClient, which has no timeout: production callers should set one,
// since a send that hangs holds its outbox slot.
type Client struct {
	HTTP    *http.Client
	BaseURL string // e.g. https://graph.facebook.com (or the sandbox proxy)
	Version string // e.g. v23.0

	// pageSize is the limit asked of list endpoints (0: defaultPageSize).
	// Unexported: only tests need a small one, to exercise paging.
	pageSize int
}

// maxAnswer bounds every JSON answer we read. Graph's answers are small; a
// larger one is a proxy's error page or a bug, and must not exhaust memory.
const maxAnswer = 1 << 20

func (c *Client) httpClient() *http.Client {
	if c.HTTP != nil {
		return c.HTTP
	}
	return http.DefaultClient
}

// endpoint builds BaseURL/Version/id[/edge]. Ids are escaped even though
// Graph's are numeric, so a malformed id cannot reach another path.
func (c *Client) endpoint(id, edge string) string {
	u := strings.TrimRight(c.BaseURL, "/") + "/" + c.Version + "/" + url.PathEscape(id)
	if edge != "" {
		u += "/" + edge
	}
	return u
}

// newRequest builds an authorised request. The token goes in the header only.
func newRequest(ctx context.Context, method, u, token string, body io.Reader) (*http.Request, error) {
	req, err := http.NewRequestWithContext(ctx, method, u, body)
	if err != nil {
		return nil, err
	}
	req.Header.Set("Authorization", "Bearer "+token)
	req.Header.Set("Accept", "application/json")
	return req, nil
}

// do runs req and returns the answer body, at most maxAnswer bytes. A non-2xx
// answer becomes an *Error; transport failures are returned as they are (a
// *url.Error), for Retryable to classify.
func (c *Client) do(req *http.Request) ([]byte, error) {
	res, err := c.httpClient().Do(req)
	if err != nil {
		return nil, err
	}
	defer res.Body.Close()
	body, err := io.ReadAll(io.LimitReader(res.Body, maxAnswer+1))
	if err != nil {
		// Typically io.ErrUnexpectedEOF: the connection dropped mid-answer.
		return nil, fmt.Errorf("graph: reading the answer to %s %s: %w", req.Method, req.URL.Path, err)
	}
	if res.StatusCode < 200 || res.StatusCode > 299 {
		return nil, parseError(res.StatusCode, body)
	}
	if len(body) > maxAnswer {
		return nil, fmt.Errorf("graph: the answer to %s %s exceeds %d bytes", req.Method, req.URL.Path, maxAnswer)
	}
	return body, nil
}

// callJSON sends in (if not nil) as JSON and decodes the answer into out (if
// not nil).
func (c *Client) callJSON(ctx context.Context, method, u, token string, in, out any) error {
	var body io.Reader
	if in != nil {
		b, err := json.Marshal(in)
		if err != nil {
			return fmt.Errorf("graph: encoding the request: %w", err)
		}
		body = bytes.NewReader(b)
	}
	req, err := newRequest(ctx, method, u, token, body)
	if err != nil {
		return err
	}
	if in != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	ans, err := c.do(req)
	if err != nil {
		return err
	}
	if out == nil {
		return nil
	}
	if err := json.Unmarshal(ans, out); err != nil {
		return fmt.Errorf("graph: decoding the answer to %s %s: %w", method, req.URL.Path, err)
	}
	return nil
}

// callSuccess is callJSON for the endpoints that answer {"success": true}.
func (c *Client) callSuccess(ctx context.Context, method, u, token string, in any) error {
	var ans struct {
		Success bool `json:"success"`
	}
	if err := c.callJSON(ctx, method, u, token, in, &ans); err != nil {
		return err
	}
	if !ans.Success {
		return errors.New("graph: " + method + " answered without success: true")
	}
	return nil
}
