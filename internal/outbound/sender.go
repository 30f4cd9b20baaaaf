package outbound

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"sync"
	"time"

	"switchboard/internal/blob"
	"switchboard/internal/domain"
	"switchboard/internal/storage"
)

// Delivery is one message as the transport sends it.
type Delivery struct {
	Recipient   string
	Content     Content
	MetaMediaID string // for media messages: Meta's id of the uploaded file
	// Reference travels as biz_opaque_callback_data and comes back on the
	// status webhooks: it settles a send whose answer we never recorded.
	Reference string
}

// Transport talks to Meta's Graph API (or the sandbox). graph_transport.go
// adapts the Cloud API client.
type Transport interface {
	Deliver(ctx context.Context, n domain.Number, token string, d Delivery) (wamid string, err error)
	Upload(ctx context.Context, n domain.Number, token, filename, mimeType string, r io.Reader) (metaMediaID string, err error)
}

// SendError is how a transport reports Meta's refusal, classified.
type SendError struct {
	Code         *int
	Title        string
	Details      string
	Retryable    bool
	TokenInvalid bool // 190: the number needs new credentials
	TooFast      bool // 130429: slow the whole number
	PairLimited  bool // 131056: slow this recipient only
	// Uncertain: the request may have reached Meta (a timeout after it
	// went out); never resent, marked for a person to see.
	Uncertain bool
}

func (e *SendError) Error() string {
	if e.Code != nil {
		return fmt.Sprintf("%d %s: %s", *e.Code, e.Title, e.Details)
	}
	return e.Title + ": " + e.Details
}

// Sender delivers outbox rows: claimed with SKIP LOCKED and a lease, paced
// per number and per recipient, retried with exponential backoff and full
// jitter when Meta says try again, failed with Meta's reason when it says no.
type Sender struct {
	store     *storage.Store
	transport Transport
	blobs     blob.Store
	token     func(domain.Number) (string, error)
	logger    *slog.Logger
	pacer     *pacer
	uploads   uploadLocks
	wake      chan struct{}

	Workers     int           // rows delivered at once (default 8)
	Lease       time.Duration // how long a claimed row is ours (default 30 s)
	MaxAttempts int           // before a retryable error becomes final (default 8)
	BackoffBase time.Duration // first retry delay, doubled each time (default 1 s)
	BackoffCap  time.Duration // longest retry delay (default 5 min)
	// TooFastPause stops a number after Meta's 130429 (default 2 s).
	TooFastPause time.Duration
	// ApplyStatuses is run when Meta accepts a message (the inbound
	// processor's statuses that beat the answer); may be nil.
	ApplyStatuses func(ctx context.Context, tx storage.InboundTx, tenantID, wamid string) error
	// TokenRefused is told when Meta refuses a number's token; may be nil.
	TokenRefused func(n domain.Number)
	// MediaReuse is how long a file uploaded to Meta through a number is
	// sent by that upload's id (default 28 days: Meta keeps it 30, and a
	// message may wait in the outbox a while).
	MediaReuse time.Duration
}

// NewSender returns a sender. pairRate is messages per second to one
// recipient (Meta documents a pair rate without a number; 1/6 s with a burst
// is the figure in use), 0 disables it.
func NewSender(store *storage.Store, transport Transport, blobs blob.Store, token func(domain.Number) (string, error),
	logger *slog.Logger, pairRate float64, pairBurst float64) *Sender {
	return &Sender{store: store, transport: transport, blobs: blobs, token: token, logger: logger,
		pacer: newPacer(pairRate, pairBurst), wake: make(chan struct{}, 1),
		Workers: 16, Lease: 30 * time.Second, MaxAttempts: 8, BackoffBase: time.Second, BackoffCap: 5 * time.Minute,
		TooFastPause: 2 * time.Second, MediaReuse: 28 * 24 * time.Hour}
}

// Wake asks the sender to look for rows now.
func (s *Sender) Wake() {
	select {
	case s.wake <- struct{}{}:
	default:
	}
}

// Run delivers until ctx ends; rows in hand are finished or, on a hard stop,
// left to their lease (and then marked uncertain, never resent blindly).
func (s *Sender) Run(ctx context.Context) {
	poll := time.NewTicker(500 * time.Millisecond)
	defer poll.Stop()
	sweep := time.NewTicker(s.Lease / 2)
	defer sweep.Stop()
	for {
		s.Drain(ctx)
		select {
		case <-ctx.Done():
			return
		case <-s.wake:
		case <-poll.C:
		case <-sweep.C:
			if n, err := s.store.MarkUncertain(ctx); err != nil && ctx.Err() == nil {
				s.logger.Error("outbox: mark uncertain", "error", err)
			} else if n > 0 {
				s.logger.Warn("outbox: sends with no recorded answer marked uncertain", "count", n)
			}
		}
	}
}

// Drain delivers every due row, Workers at a time, preserving the order of
// each number's rows within a batch.
func (s *Sender) Drain(ctx context.Context) {
	for ctx.Err() == nil {
		// Claim a few batches' worth: the lease is renewed just before each
		// send, so a row paced for a while is not marked uncertain.
		rows, err := s.store.ClaimOutbox(ctx, max(1, s.Workers)*4, s.Lease)
		if err != nil {
			if ctx.Err() == nil {
				s.logger.Error("outbox: claim", "error", err)
			}
			return
		}
		if len(rows) == 0 {
			return
		}
		// One goroutine per recipient of a number keeps a conversation's
		// messages in order; recipients (and numbers) proceed in parallel,
		// up to Workers, paced together per number.
		byNumber := map[string][]storage.OutboxRow{}
		var order []string
		for _, r := range rows {
			key := r.Number.ID + "|" + r.Recipient
			if _, ok := byNumber[key]; !ok {
				order = append(order, key)
			}
			byNumber[key] = append(byNumber[key], r)
		}
		sem := make(chan struct{}, max(1, s.Workers))
		var wg sync.WaitGroup
		for _, id := range order {
			sem <- struct{}{}
			wg.Go(func() {
				defer func() { <-sem }()
				for _, r := range byNumber[id] {
					s.deliver(ctx, r)
				}
			})
		}
		wg.Wait()
	}
}

// deliver sends one row and records the outcome.
func (s *Sender) deliver(ctx context.Context, r storage.OutboxRow) {
	var c Content
	if err := json.Unmarshal(r.Payload, &c); err != nil {
		s.fail(ctx, r, nil, "unreadable outbox payload", err.Error())
		return
	}
	token, err := s.token(r.Number)
	if err != nil {
		s.fail(ctx, r, nil, "access token cannot be decrypted", "replace the number's access token")
		return
	}
	d := Delivery{Recipient: r.Recipient, Content: c, Reference: "sb:" + r.MessageID}
	// A file is uploaded first (it may take a while), before the lease is
	// renewed and the pacer lets the request go.
	var cached bool
	if mediaID := c.FileID(); mediaID != "" {
		if !s.renew(ctx, r) {
			return
		}
		if d.MetaMediaID, cached, err = s.upload(ctx, r, token, mediaID, ""); err != nil {
			s.outcome(ctx, r, err)
			return
		}
	}
	wamid, stopped, err := s.send(ctx, r, token, d)
	if stopped {
		return
	}
	if cached && mediaExpired(err) {
		// Meta forgot the upload before we expected it to: upload again
		// and send once more (Meta refused the first request outright, so
		// nothing was sent twice).
		if !s.renew(ctx, r) {
			return
		}
		if d.MetaMediaID, _, err = s.upload(ctx, r, token, c.FileID(), d.MetaMediaID); err != nil {
			s.outcome(ctx, r, err)
			return
		}
		if wamid, stopped, err = s.send(ctx, r, token, d); stopped {
			return
		}
	}
	if err != nil {
		s.outcome(ctx, r, err)
		return
	}
	// The window Meta leaves open is here: accepted by Meta, not yet
	// recorded. It is one statement long; a crash now leaves the row
	// "sending" until its lease runs out, then "uncertain" (see Run).
	err = s.store.OutboxSent(context.WithoutCancel(ctx), r, wamid, func(tx storage.InboundTx) error {
		if s.ApplyStatuses == nil {
			return nil
		}
		return s.ApplyStatuses(ctx, tx, r.TenantID, wamid)
	})
	if err != nil {
		s.logger.Error("outbox: record sent", "outbox_id", r.ID, "wamid", wamid, "error", err)
	}
}

// send renews the row's lease, waits for the pacer's go-ahead and makes
// the request: nothing stands between the go-ahead and the request (Meta
// counts arrivals). stopped means the row was left to retry (or is no
// longer ours) and nothing was sent.
func (s *Sender) send(ctx context.Context, r storage.OutboxRow, token string, d Delivery) (wamid string, stopped bool, err error) {
	if !s.renew(ctx, r) {
		return "", true, nil
	}
	if err := s.pacer.wait(ctx, r.Number.ID, r.Number.Throughput, r.Recipient); err != nil {
		s.retry(ctx, r, 0, "stopped before sending")
		return "", true, nil
	}
	wamid, err = s.transport.Deliver(ctx, r.Number, token, d)
	return wamid, false, err
}

// renew extends the row's lease before a step that may take a while; false
// means the row is left to retry, or is no longer ours.
func (s *Sender) renew(ctx context.Context, r storage.OutboxRow) bool {
	ok, err := s.store.RenewLease(ctx, r, s.Lease)
	if err != nil {
		s.logger.Error("outbox: renew lease", "outbox_id", r.ID, "error", err)
		s.retry(ctx, r, 0, "could not renew the lease")
	}
	return err == nil && ok
}

// upload returns Meta's id for a stored file sent through the row's
// number: the upload made through that number less than MediaReuse ago
// (cached), or a new one, remembered for the next sends. stale is an id
// Meta refused (131053): its record is dropped first, unless another
// worker already replaced it.
func (s *Sender) upload(ctx context.Context, r storage.OutboxRow, token, mediaID, stale string) (metaID string, cached bool, err error) {
	if stale == "" {
		if metaID, err = s.store.FreshUpload(ctx, r.TenantID, mediaID, r.Number.ID, s.MediaReuse); err != nil || metaID != "" {
			return metaID, metaID != "", err
		}
	}
	// One upload at a time per file and number: who waited finds the
	// upload the first one made.
	defer s.uploads.lock(mediaID + "|" + r.Number.ID)()
	if stale != "" {
		if err := s.store.ForgetUpload(ctx, r.TenantID, mediaID, r.Number.ID, stale); err != nil {
			return "", false, err
		}
	}
	if metaID, err = s.store.FreshUpload(ctx, r.TenantID, mediaID, r.Number.ID, s.MediaReuse); err != nil || metaID != "" {
		return metaID, metaID != "", err
	}
	m, err := s.store.Media(ctx, r.TenantID, mediaID)
	if err != nil {
		return "", false, &SendError{Title: "media not found", Details: err.Error()}
	}
	f, err := s.blobs.Open(ctx, m.BlobKey)
	if err != nil {
		return "", false, &SendError{Title: "media file missing", Details: err.Error(), Retryable: !errors.Is(err, blob.ErrNotFound)}
	}
	defer f.Close()
	if metaID, err = s.transport.Upload(ctx, r.Number, token, m.Filename, m.MimeType, f); err != nil {
		return "", false, err
	}
	return metaID, false, s.store.RecordUpload(ctx, r.TenantID, mediaID, r.Number.ID, metaID)
}

// mediaExpired reports Meta's 131053 on a send: the media id is unknown to
// it (expired, or never uploaded through this account).
func mediaExpired(err error) bool {
	var se *SendError
	return errors.As(err, &se) && se.Code != nil && *se.Code == 131053
}

// outcome records a failed attempt: retried, or final with Meta's reason.
func (s *Sender) outcome(ctx context.Context, r storage.OutboxRow, err error) {
	var se *SendError
	if !errors.As(err, &se) {
		// Not an answer from Meta (network, timeout): try again.
		se = &SendError{Title: "could not reach the Graph API", Details: err.Error(), Retryable: true}
	}
	switch {
	case se.TokenInvalid:
		if merr := s.store.MarkNumberDisconnected(ctx, r.TenantID, r.Number.ID, se.Error()); merr != nil {
			s.logger.Error("outbox: mark number disconnected", "error", merr)
		}
		if s.TokenRefused != nil {
			s.TokenRefused(r.Number)
		}
	case se.TooFast:
		s.pacer.pauseNumber(r.Number.ID, s.TooFastPause)
	case se.PairLimited:
		s.pacer.pausePair(r.Number.ID, r.Recipient, 6*time.Second)
	}
	if se.Uncertain {
		s.logger.Warn("outbox: no answer from Meta; marked uncertain", "outbox_id", r.ID, "error", se.Error())
		if err := s.store.OutboxUncertain(context.WithoutCancel(ctx), r, se.Error()); err != nil {
			s.logger.Error("outbox: mark uncertain", "outbox_id", r.ID, "error", err)
		}
		return
	}
	if se.Retryable && r.Attempts < s.MaxAttempts {
		s.retry(ctx, r, r.Attempts, se.Error())
		return
	}
	s.fail(ctx, r, se.Code, se.Title, se.Details)
}

// retry schedules another attempt with full jitter:
// rand(0, min(cap, base·2^attempts)).
func (s *Sender) retry(ctx context.Context, r storage.OutboxRow, attempts int, reason string) {
	ceiling := min(s.BackoffCap, s.BackoffBase<<min(attempts, 20))
	delay := time.Duration(rand.Int64N(int64(ceiling) + 1))
	if err := s.store.OutboxRetry(context.WithoutCancel(ctx), r, time.Now().Add(delay), reason); err != nil {
		s.logger.Error("outbox: schedule retry", "outbox_id", r.ID, "error", err)
	}
}

func (s *Sender) fail(ctx context.Context, r storage.OutboxRow, code *int, title, details string) {
	s.logger.Warn("outbox: message failed", "outbox_id", r.ID, "message_id", r.MessageID, "title", title, "details", details)
	if err := s.store.OutboxFailed(context.WithoutCancel(ctx), r, code, title, details); err != nil {
		s.logger.Error("outbox: record failure", "outbox_id", r.ID, "error", err)
	}
}
