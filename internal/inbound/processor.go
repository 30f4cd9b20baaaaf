// Package inbound turns stored webhooks into what Switchboard knows:
// contacts, conversations, messages, statuses, media to fetch, and events
// about numbers and templates. It runs behind package ingest, which stores
// each POST before Meta gets its 200; here every entry, change, message and
// status of a POST is applied in one transaction with the event's new state,
// so an event is applied exactly once and a redelivered one changes nothing.
package inbound

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"switchboard/internal/domain"
	"switchboard/internal/storage"
	"switchboard/internal/whatsapp/webhook"
)

// Processor applies pending webhook events.
type Processor struct {
	store  *storage.Store
	logger *slog.Logger
	wake   chan struct{}
	// Applied is told of every conversation an event touched (the realtime
	// hub and the router will listen); may be nil.
	Applied func(tenantID, conversationID string)
	// MediaQueued wakes the media fetcher; may be nil.
	MediaQueued func()
	// Told publishes the agent events a processed webhook wrote, after
	// commit (the realtime hub); may be nil.
	Told func(context.Context, []storage.AgentEvent)
	// OutboundQueued wakes the sender (a reply to STOP); may be nil.
	OutboundQueued func()
	// TemplatesChanged asks the template catalog to refresh a number's
	// WABA after Meta reported a decision; may be nil.
	TemplatesChanged func(domain.Number)
}

// NewProcessor returns a processor; call Run to start it.
func NewProcessor(store *storage.Store, logger *slog.Logger) *Processor {
	return &Processor{store: store, logger: logger, wake: make(chan struct{}, 1)}
}

// Logger is the processor's logger (the media fetcher shares it).
func (p *Processor) Logger() *slog.Logger { return p.logger }

// Wake asks the processor to look for pending events now.
func (p *Processor) Wake() {
	select {
	case p.wake <- struct{}{}:
	default:
	}
}

// Run processes events until ctx ends. Several processors (goroutines or
// instances) can run at once: each event is claimed with SKIP LOCKED.
func (p *Processor) Run(ctx context.Context) {
	poll := time.NewTicker(time.Second)
	defer poll.Stop()
	for {
		p.Drain(ctx)
		select {
		case <-ctx.Done():
			return
		case <-p.wake:
		case <-poll.C:
		}
	}
}

// Drain processes pending events until none is left.
func (p *Processor) Drain(ctx context.Context) {
	backoff := 50 * time.Millisecond
	for ctx.Err() == nil {
		var current int64
		var attempts int
		var told []storage.AgentEvent
		found, err := p.store.ProcessWebhookEvent(ctx, func(tx pgx.Tx, ev storage.WebhookEvent) (string, error) {
			current, attempts = ev.ID, ev.Attempts
			itx := storage.Inbound(tx)
			reason, err := p.apply(ctx, itx, ev)
			told = itx.Told()
			return reason, err
		})
		if err == nil {
			if !found {
				return
			}
			if p.Told != nil && len(told) > 0 {
				p.Told(ctx, told)
			}
			backoff = 50 * time.Millisecond
			continue
		}
		if ctx.Err() != nil {
			return
		}
		p.logger.ErrorContext(ctx, "webhook event not applied", "event_id", current, "error", err)
		switch {
		case current == 0 || storage.Transient(err):
			// The database is unwell (or two events collided): the event
			// stays pending and is tried again after a pause, growing
			// while the trouble lasts.
			if current > 0 {
				if aerr := p.store.CountWebhookAttempt(ctx, current); aerr != nil {
					p.logger.ErrorContext(ctx, "count webhook attempt", "event_id", current, "error", aerr)
				}
			}
			if current == 0 || attempts < 5 {
				if !sleep(ctx, backoff) {
					return
				}
				backoff = min(backoff*2, 10*time.Second)
				continue
			}
			fallthrough
		default:
			// This event cannot be applied as it is: it must not block the
			// queue, so it is set aside as failed, to be replayed after a fix.
			if ferr := p.store.FailWebhookEvent(ctx, current, "processing error: "+err.Error()); ferr != nil {
				p.logger.ErrorContext(ctx, "mark webhook event failed", "event_id", current, "error", ferr)
				if !sleep(ctx, backoff) {
					return
				}
				backoff = min(backoff*2, 10*time.Second)
			}
		}
	}
}

func sleep(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return false
	case <-t.C:
		return true
	}
}

// apply handles one event; the returned reason is empty when everything in
// it was understood and applied.
func (p *Processor) apply(ctx context.Context, tx storage.InboundTx, ev storage.WebhookEvent) (string, error) {
	payload, err := webhook.Parse(ev.Body)
	if err != nil {
		return "cannot parse: " + err.Error(), nil
	}
	var reasons []string
	for _, pr := range payload.Problems {
		reasons = append(reasons, pr.String())
	}
	for ei, entry := range payload.Entries {
		for ci, change := range entry.Changes {
			path := fmt.Sprintf("entry[%d].changes[%d]", ei, ci)
			if err := tx.Platform(ctx); err != nil {
				return "", err
			}
			var why string
			switch {
			case change.Messages != nil:
				why, err = p.applyMessages(ctx, tx, ev, change.Messages)
			case change.TemplateStatus != nil || change.TemplateQuality != nil || change.TemplateCategory != nil:
				why, err = p.applyTemplate(ctx, tx, ev, entry, change)
			case change.PhoneNumberQuality != nil || change.AccountUpdate != nil:
				why, err = applyAccount(ctx, tx, ev, entry, change)
			default:
				// Other fields (user_preferences, automatic_events, …) are
				// kept in the event log; nothing to apply, nothing wrong.
			}
			if err != nil {
				return "", err
			}
			if why != "" {
				reasons = append(reasons, path+": "+why)
			}
		}
	}
	return strings.Join(reasons, "; "), nil
}

// fromItsApp reports whether an event came in through the app the number
// belongs to: a POST signed with one app's secret may speak only of that
// app's numbers (and the sandbox only of sandbox numbers), or anyone holding
// one app's secret could write into every tenant's inbox.
func fromItsApp(n domain.Number, ev storage.WebhookEvent) bool {
	return n.Sandbox == ev.Sandbox && n.AppID == ev.AppID
}

// errUnknownNumber is reported (not returned as an error) so the event is
// kept as failed and can be replayed once the number is connected.
var errUnknownNumber = errors.New("unknown phone_number_id")
