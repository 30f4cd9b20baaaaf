package outbound

import (
	"context"
	"encoding/json"
	"log/slog"
	"sync"
	"time"

	"switchboard/internal/domain"
	"switchboard/internal/storage"
	"switchboard/internal/whatsapp/graph"
)

// Catalog keeps each tenant's templates as Meta knows them: synchronised
// per WhatsApp Business Account on demand and whenever Meta reports a
// template decision, one row per template and language.
type Catalog struct {
	store  *storage.Store
	client func(domain.Number) *graph.Client
	token  func(domain.Number) (string, error)
	logger *slog.Logger
	queue  chan domain.Number
	mu     sync.Mutex
	queued map[string]bool // WABA ids waiting, so a burst of events syncs once
}

// NewCatalog returns the template catalog.
func NewCatalog(store *storage.Store, client func(domain.Number) *graph.Client, token func(domain.Number) (string, error), logger *slog.Logger) *Catalog {
	return &Catalog{store: store, client: client, token: token, logger: logger, queue: make(chan domain.Number, 256), queued: map[string]bool{}}
}

// Sync fetches a number's WABA's templates from Meta (following every
// page) and stores them. It returns how many.
func (c *Catalog) Sync(ctx context.Context, n domain.Number) (int, error) {
	token, err := c.token(n)
	if err != nil {
		return 0, err
	}
	listedAt := time.Now()
	list, err := c.client(n).ListTemplates(ctx, token, n.WABAID)
	if err != nil {
		return 0, err
	}
	listed := make([]string, 0, len(list))
	for _, t := range list {
		listed = append(listed, t.ID)
	}
	for _, t := range list {
		components := json.RawMessage(t.RawComponents)
		row := storage.TemplateRow{WABAID: n.WABAID, MetaID: t.ID, Name: t.Name, Language: t.Language, Category: t.Category,
			Status: t.Status, RejectedReason: t.RejectedReason, Components: components,
			HeaderParams: len(t.HeaderVariables()), BodyParams: len(t.BodyVariables())}
		if err := c.store.UpsertTemplate(ctx, n.TenantID, row); err != nil {
			return 0, err
		}
	}
	// What Meta no longer lists was deleted there (WhatsApp Manager, Meta).
	if _, err := c.store.MarkUnlistedTemplatesDeleted(ctx, n.TenantID, n.WABAID, listed, listedAt); err != nil {
		return 0, err
	}
	return len(list), nil
}

// Request asks for a sync in the background (the processor calls it when
// Meta reports a template decision).
func (c *Catalog) Request(n domain.Number) {
	c.mu.Lock()
	defer c.mu.Unlock()
	key := n.TenantID + "|" + n.WABAID
	if c.queued[key] {
		return
	}
	select {
	case c.queue <- n:
		c.queued[key] = true
	default:
		c.logger.Warn("template sync queue full; the next decision will sync", "waba_id", n.WABAID)
	}
}

// Run serves sync requests until ctx ends.
func (c *Catalog) Run(ctx context.Context) {
	for {
		select {
		case <-ctx.Done():
			return
		case n := <-c.queue:
			c.mu.Lock()
			delete(c.queued, n.TenantID+"|"+n.WABAID)
			c.mu.Unlock()
			if count, err := c.Sync(ctx, n); err != nil {
				c.logger.Warn("template sync", "waba_id", n.WABAID, "error", err)
			} else {
				c.logger.Info("templates synchronised", "waba_id", n.WABAID, "count", count)
			}
		}
	}
}
