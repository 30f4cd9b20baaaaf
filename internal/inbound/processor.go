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

	"switchboard/internal/automation"
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
	// Automation runs the softbots on each customer message, in the same
	// transaction; nil means none.
	Automation *automation.Engine
	// BatchSize and BatchTime bound a batch: at most BatchSize events, and
	// no new one started after BatchTime, so the first event of a batch
	// waits for its commit at most about that long.
	BatchSize int
	BatchTime time.Duration
}

// NewProcessor returns a processor; call Run to start it.
//
// Events are applied up to 50 per transaction: one commit, one WAL flush,
// for the lot instead of one each. A batch takes what is pending and never
// waits for more, so at a trickle a batch is one event and latency is
// what it was; under a backlog it grows to 50, or to what 50 ms allow.
func NewProcessor(store *storage.Store, logger *slog.Logger) *Processor {
	return &Processor{store: store, logger: logger, wake: make(chan struct{}, 1), BatchSize: 50, BatchTime: 50 * time.Millisecond}
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
//
// It applies them in batches (ProcessWebhookEvents). An event that fails
// with an error inside a batch is rolled back to its savepoint, the others
// commit, and the next claim is then of one event alone, through the
// one-event path below: that path counts the attempt, backs off on a
// transient error and sets the event aside after 5, exactly as when every
// event had a transaction of its own.
func (p *Processor) Drain(ctx context.Context) {
	backoff := 50 * time.Millisecond
	alone := false
	for ctx.Err() == nil {
		if !alone {
			claimed, left, err := p.applyBatch(ctx)
			switch {
			case err != nil:
				if ctx.Err() != nil {
					return
				}
				// Nothing of the batch committed. Pause as for a failed
				// claim, then go one by one: if an event caused it, the
				// one-event path finds which and counts it.
				p.logger.ErrorContext(ctx, "webhook batch not applied", "error", err)
				if !sleep(ctx, backoff) {
					return
				}
				backoff = min(backoff*2, 10*time.Second)
				alone = true
			case claimed == 0:
				return
			case left > 0:
				alone = true
			default:
				backoff = 50 * time.Millisecond
			}
			continue
		}
		alone = false
		var current int64
		var attempts int
		fx := effects{lookups: &lookups{}}
		found, err := p.store.ProcessWebhookEvent(ctx, func(tx pgx.Tx, ev storage.WebhookEvent) (string, error) {
			current, attempts = ev.ID, ev.Attempts
			itx := storage.Inbound(tx)
			reason, err := p.apply(ctx, itx, ev, &fx)
			fx.told = itx.Told()
			return reason, err
		})
		if err == nil {
			if !found {
				return
			}
			p.fire(ctx, &fx)
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

// applyBatch applies one batch of pending events and, once it committed,
// acts on what they asked for. It reports how many events it claimed and
// how many it left pending after an error.
func (p *Processor) applyBatch(ctx context.Context) (claimed, left int, err error) {
	var all effects
	seen := &lookups{}
	b, err := p.store.ProcessWebhookEvents(ctx, p.BatchSize, p.BatchTime, func(tx pgx.Tx, ev storage.WebhookEvent) (string, error) {
		fx := effects{lookups: seen}
		itx := storage.Inbound(tx)
		reason, err := p.apply(ctx, itx, ev, &fx)
		if err != nil {
			// Two batches running at once can deadlock on the same
			// contacts, conversations or agents; Postgres then fails one
			// statement of one of them, after deadlock_timeout (1 s).
			p.logger.WarnContext(ctx, "webhook event rolled back in its batch, to be retried alone", "event_id", ev.ID, "error", err)
			return "", err
		}
		// Its savepoint is released next, or the whole batch fails: either
		// way what it asked for is acted on exactly when its rows commit.
		fx.told = itx.Told()
		all.add(&fx)
		return reason, nil
	})
	if err != nil {
		return b.Claimed, 0, err
	}
	p.fire(ctx, &all)
	return b.Claimed, len(b.Left), nil
}

// effects are what applying events asks of other workers and of the
// agents' consoles. They are gathered while the events are applied and
// acted on only after their transaction committed: a worker woken earlier
// could look before the rows are visible, and an event rolled back (alone
// to its savepoint, or with its batch) must wake and tell nobody.
type effects struct {
	mediaQueued    bool
	outboundQueued bool
	templates      []domain.Number // one number per tenant whose WABA's templates changed
	applied        [][2]string     // tenant, conversation
	told           []storage.AgentEvent
	lookups        *lookups // shared by the events of a batch
}

// lookups keep, for one batch (at most BatchTime long), what its events
// read and do not change: the number behind a phone_number_id and a
// tenant's stop words. Reading them once per batch instead of once per
// event spares Postgres two statements a message; a change made meanwhile
// by an operator applies from the next batch, as it would have to an event
// that came a moment earlier. Only what was found is kept: a number not
// (yet) connected is looked up again.
type lookups struct {
	byPNID  map[string]domain.Number
	wordsOf map[string][]string
	softbot *automation.Lookups
}

// bots is the softbots' share of the batch's lookups.
func (l *lookups) bots() *automation.Lookups {
	if l == nil {
		return &automation.Lookups{}
	}
	if l.softbot == nil {
		l.softbot = &automation.Lookups{}
	}
	return l.softbot
}

func (l *lookups) number(ctx context.Context, tx storage.InboundTx, phoneNumberID string) (domain.Number, error) {
	if l == nil {
		return tx.NumberByPhoneNumberID(ctx, phoneNumberID)
	}
	if n, ok := l.byPNID[phoneNumberID]; ok {
		return n, nil
	}
	n, err := tx.NumberByPhoneNumberID(ctx, phoneNumberID)
	if err != nil {
		return n, err
	}
	if l.byPNID == nil {
		l.byPNID = map[string]domain.Number{}
	}
	l.byPNID[phoneNumberID] = n
	return n, nil
}

func (l *lookups) stopWords(ctx context.Context, tx storage.InboundTx, tenantID string) ([]string, error) {
	if l == nil {
		return tx.StopKeywords(ctx, tenantID)
	}
	if kw, ok := l.wordsOf[tenantID]; ok {
		return kw, nil
	}
	kw, err := tx.StopKeywords(ctx, tenantID)
	if err != nil {
		return nil, err
	}
	if l.wordsOf == nil {
		l.wordsOf = map[string][]string{}
	}
	l.wordsOf[tenantID] = kw
	return kw, nil
}

func (fx *effects) add(o *effects) {
	fx.mediaQueued = fx.mediaQueued || o.mediaQueued
	fx.outboundQueued = fx.outboundQueued || o.outboundQueued
	fx.templates = append(fx.templates, o.templates...)
	fx.applied = append(fx.applied, o.applied...)
	fx.told = append(fx.told, o.told...)
}

// fire acts on committed effects; agent events go in the order they were
// numbered, so each agent's arrive without gaps.
func (p *Processor) fire(ctx context.Context, fx *effects) {
	if p.Told != nil && len(fx.told) > 0 {
		p.Told(ctx, fx.told)
	}
	if fx.mediaQueued && p.MediaQueued != nil {
		p.MediaQueued()
	}
	if fx.outboundQueued && p.OutboundQueued != nil {
		p.OutboundQueued()
	}
	if p.TemplatesChanged != nil {
		for _, n := range fx.templates {
			p.TemplatesChanged(n)
		}
	}
	if p.Applied != nil {
		for _, a := range fx.applied {
			p.Applied(a[0], a[1])
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
func (p *Processor) apply(ctx context.Context, tx storage.InboundTx, ev storage.WebhookEvent, fx *effects) (string, error) {
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
			// Each change finds its number in platform scope; the first
			// starts there already (ProcessWebhookEvent[s] see to it).
			if ei > 0 || ci > 0 {
				if err := tx.Platform(ctx); err != nil {
					return "", err
				}
			}
			var why string
			switch {
			case change.Messages != nil:
				why, err = p.applyMessages(ctx, tx, ev, change.Messages, fx)
			case change.TemplateStatus != nil || change.TemplateQuality != nil || change.TemplateCategory != nil:
				why, err = p.applyTemplate(ctx, tx, ev, entry, change, fx)
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
