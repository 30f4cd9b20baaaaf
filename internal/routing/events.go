package routing

import (
	"context"
	"encoding/json"
	"log/slog"
	"time"

	"github.com/redis/go-redis/v9"
)

// Event is one change of a conversation's routing, published after it was
// written to Postgres. Events are hints for the consoles: Postgres
// (routing_events) stays the truth, and ID orders them.
type Event struct {
	ID             int64     `json:"id"` // routing_events.id
	TenantID       string    `json:"tenant_id"`
	Kind           string    `json:"kind"` // assigned, queued, requeued, transferred, closed
	ConversationID string    `json:"conversation_id"`
	AgentID        string    `json:"agent_id,omitempty"`
	FromAgentID    string    `json:"from_agent_id,omitempty"`
	SkillsetID     string    `json:"skillset_id,omitempty"`
	Step           *int      `json:"step,omitempty"`
	Reason         string    `json:"reason,omitempty"`
	At             time.Time `json:"at"`
}

// Publisher receives every routing change of a tenant, in order. The
// realtime hub implements it for the agent console.
type Publisher interface {
	Publish(ctx context.Context, tenantID string, events []Event)
}

// RedisPublisher publishes a tenant's events as JSON on the Redis channel
// Channel(prefix, tenantID), where every instance's subscribers see them.
// A lost event costs nothing but freshness: it is in Postgres.
type RedisPublisher struct {
	RDB    *redis.Client
	Prefix string
	Logger *slog.Logger
}

// Channel is the Redis channel of a tenant's routing events.
func Channel(prefix, tenantID string) string { return prefix + "routing:" + tenantID }

// Publish sends each event; failures are logged, never returned.
func (p RedisPublisher) Publish(ctx context.Context, tenantID string, events []Event) {
	pipe := p.RDB.Pipeline()
	for _, e := range events {
		b, err := json.Marshal(e)
		if err != nil {
			continue
		}
		pipe.Publish(ctx, Channel(p.Prefix, tenantID), b)
	}
	if _, err := pipe.Exec(ctx); err != nil && p.Logger != nil {
		p.Logger.Warn("publish routing events", "tenant", tenantID, "events", len(events), "err", err)
	}
}

// Publishers fans events out to several publishers.
type Publishers []Publisher

// Publish hands the events to each publisher in turn.
func (ps Publishers) Publish(ctx context.Context, tenantID string, events []Event) {
	for _, p := range ps {
		p.Publish(ctx, tenantID, events)
	}
}
