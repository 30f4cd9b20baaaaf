package inbound

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"hash"
	"io"
	"log/slog"
	"math/rand/v2"
	"net/url"
	"strings"
	"time"

	"switchboard/internal/blob"
	"switchboard/internal/domain"
	"switchboard/internal/storage"
	"switchboard/internal/whatsapp/graph"
)

// MaxMediaBytes is Meta's inbound maximum (100 MB).
const MaxMediaBytes = 100 << 20

// Fetcher downloads inbound media into the blob store, apart from message
// processing, so a slow or failing download never holds a message back.
type Fetcher struct {
	store  *storage.Store
	blobs  blob.Store
	logger *slog.Logger
	client func(n domain.Number) *graph.Client
	token  func(n domain.Number) (string, error)
	wake   chan struct{}
	// MaxAttempts bounds retries; Backoff is the first delay, doubled each
	// time with jitter.
	MaxAttempts int
	Backoff     time.Duration
	// Told publishes the agent events a stored (or abandoned) file wrote,
	// after commit, so consoles replace its placeholder.
	Told func(context.Context, []storage.AgentEvent)
}

// NewFetcher returns a media fetcher. client picks the Graph API (Meta's or
// the sandbox's) for a number; token opens its access token.
func NewFetcher(store *storage.Store, blobs blob.Store, logger *slog.Logger,
	client func(domain.Number) *graph.Client, token func(domain.Number) (string, error)) *Fetcher {
	return &Fetcher{store: store, blobs: blobs, logger: logger, client: client, token: token,
		wake: make(chan struct{}, 1), MaxAttempts: 8, Backoff: 2 * time.Second}
}

// Wake asks the fetcher to look for work now.
func (f *Fetcher) Wake() {
	select {
	case f.wake <- struct{}{}:
	default:
	}
}

// Run fetches until ctx ends.
func (f *Fetcher) Run(ctx context.Context) {
	poll := time.NewTicker(2 * time.Second)
	defer poll.Stop()
	for {
		f.Drain(ctx)
		select {
		case <-ctx.Done():
			return
		case <-f.wake:
		case <-poll.C:
		}
	}
}

// Drain fetches every media object that is due.
func (f *Fetcher) Drain(ctx context.Context) {
	for ctx.Err() == nil {
		m, n, found, err := f.store.ClaimMedia(ctx, 5*time.Minute)
		if err != nil {
			f.logger.ErrorContext(ctx, "claim media", "error", err)
			return
		}
		if !found {
			return
		}
		key, mime, size, err := f.fetch(ctx, m, n)
		var told []storage.AgentEvent
		if err == nil {
			told, err = f.store.MediaStored(ctx, m.TenantID, m.ID, key, mime, size)
		}
		if err != nil {
			retryAt := time.Time{}
			if m.Attempts < f.MaxAttempts {
				delay := f.Backoff << min(m.Attempts-1, 12)
				retryAt = time.Now().Add(delay/2 + time.Duration(rand.Int64N(int64(delay/2)+1)))
			}
			f.logger.WarnContext(ctx, "media fetch failed", "media_id", m.ID, "attempt", m.Attempts, "error", err, "retry_at", retryAt)
			var ferr error
			if told, ferr = f.store.MediaFailed(ctx, m.TenantID, m.ID, err.Error(), retryAt); ferr != nil {
				f.logger.ErrorContext(ctx, "record media failure", "error", ferr)
			}
		}
		if f.Told != nil && len(told) > 0 {
			f.Told(ctx, told)
		}
	}
}

// fetch downloads one object: the URL from the webhook when there is one,
// else a fresh one from GET /{media-id}; the bytes must match Meta's sha256.
func (f *Fetcher) fetch(ctx context.Context, m domain.Media, n domain.Number) (string, string, int64, error) {
	token, err := f.token(n)
	if err != nil {
		return "", "", 0, err
	}
	client := f.client(n)
	ctx, cancel := context.WithTimeout(ctx, 2*time.Minute)
	defer cancel()
	link, wantSum := m.URL, m.SHA256
	// The webhook's URL is used only when it points at Meta (or, for a
	// sandbox number, at the sandbox): the token must never travel to a
	// host a webhook names, nor the server fetch one.
	if link == "" || m.Attempts > 1 || !trustedMediaURL(link, client.BaseURL, n.Sandbox) {
		info, err := client.Media(ctx, token, m.MetaMediaID)
		if err != nil {
			return "", "", 0, err
		}
		link = info.URL
		if wantSum == "" {
			wantSum = info.SHA256
		}
	}
	body, contentType, err := client.Download(ctx, token, link, MaxMediaBytes)
	if err != nil {
		return "", "", 0, err
	}
	defer body.Close()
	sum := sha256.New()
	key := m.TenantID + "/" + m.ID
	size, err := f.blobs.Put(ctx, key, io.TeeReader(body, sum))
	if err != nil {
		return "", "", 0, err
	}
	if size > MaxMediaBytes {
		_ = f.blobs.Delete(ctx, key)
		return "", "", 0, fmt.Errorf("media larger than %d bytes", MaxMediaBytes)
	}
	if wantSum != "" && !sumMatches(sum, wantSum) {
		_ = f.blobs.Delete(ctx, key)
		return "", "", 0, fmt.Errorf("sha256 mismatch: Meta said %s", wantSum)
	}
	return key, strings.TrimSpace(strings.Split(contentType, ";")[0]), size, nil
}

// sumMatches accepts Meta's sha256 in hex or in base64 (both are seen).
func sumMatches(h hash.Hash, want string) bool {
	got := h.Sum(nil)
	return strings.EqualFold(hex.EncodeToString(got), want) ||
		base64.StdEncoding.EncodeToString(got) == want || base64.RawStdEncoding.EncodeToString(got) == want
}

// trustedMediaURL reports whether a media URL from a webhook may be fetched
// with the number's token: https on Meta's hosts for a live number; the
// sandbox's own Graph base for a sandbox number.
func trustedMediaURL(raw, sandboxBase string, sandbox bool) bool {
	if sandbox {
		return sandboxBase != "" && strings.HasPrefix(raw, sandboxBase+"/")
	}
	u, err := url.Parse(raw)
	if err != nil || u.Scheme != "https" || u.User != nil || u.Port() != "" {
		return false
	}
	host := strings.ToLower(u.Hostname())
	for _, suffix := range []string{".fbsbx.com", ".facebook.com", ".fbcdn.net", ".whatsapp.net"} {
		if strings.HasSuffix(host, suffix) {
			return true
		}
	}
	return false
}
