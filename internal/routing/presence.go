package routing

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/redis/go-redis/v9"
)

// Presence states an agent can set. Offline is the absence of a key: an
// agent is offline when its presence expired or it signed off.
const (
	Available = "available"
	Away      = "away"
	Offline   = "offline"
)

// Presence keeps who is there in Redis, one key per agent with a TTL that the
// agent's live connection or heartbeat refreshes. Redis may lose it (a
// restart), or a heartbeat may come late (a laptop asleep, a network cut):
// the next heartbeat restores the state the agent's page shows, within the
// requeue grace period (see docs/architecture.md, "Routing").
type Presence struct {
	rdb    *redis.Client
	prefix string
	ttl    time.Duration
}

// DefaultPresenceTTL is how long a heartbeat keeps an agent present; the
// console beats every third of it.
const DefaultPresenceTTL = 30 * time.Second

// NewPresence stores presence under prefix with ttl (DefaultPresenceTTL when zero).
func NewPresence(rdb *redis.Client, prefix string, ttl time.Duration) *Presence {
	if ttl <= 0 {
		ttl = DefaultPresenceTTL
	}
	return &Presence{rdb: rdb, prefix: prefix, ttl: ttl}
}

// TTL is how long one heartbeat lasts.
func (p *Presence) TTL() time.Duration { return p.ttl }

func (p *Presence) key(tenantID, agentID string) string {
	return p.prefix + "presence:" + tenantID + ":" + agentID
}

// ErrBadState is returned for a presence state other than the three known.
var ErrBadState = errors.New(`state must be "available", "away" or "offline"`)

// Set records the agent's state and refreshes its TTL; it reports whether the
// state changed (so that the dispatcher is woken only then).
func (p *Presence) Set(ctx context.Context, tenantID, agentID, state string) (changed bool, err error) {
	k := p.key(tenantID, agentID)
	switch state {
	case Offline:
		// Signing off is marked (not just deleted) so that the router
		// requeues at once, without the grace period a lapsed presence
		// (a reload, a network cut) gets.
		old, err := p.rdb.SetArgs(ctx, k, signedOff, redis.SetArgs{TTL: p.ttl, Get: true}).Result()
		if errors.Is(err, redis.Nil) {
			return false, nil
		}
		return old != signedOff, err
	case Available, Away:
		old, err := p.rdb.SetArgs(ctx, k, state, redis.SetArgs{TTL: p.ttl, Get: true}).Result()
		if errors.Is(err, redis.Nil) {
			return true, nil
		}
		return old != state, err
	default:
		return false, ErrBadState
	}
}

// Refresh extends the agent's presence without changing its state; it
// reports the stored state: Offline when it had expired, signedOff when the
// agent signed off.
func (p *Presence) Refresh(ctx context.Context, tenantID, agentID string) (string, error) {
	k := p.key(tenantID, agentID)
	pipe := p.rdb.Pipeline()
	get := pipe.Get(ctx, k)
	pipe.Expire(ctx, k, p.ttl)
	if _, err := pipe.Exec(ctx); err != nil && !errors.Is(err, redis.Nil) {
		return "", err
	}
	s, err := get.Result()
	if errors.Is(err, redis.Nil) {
		return Offline, nil
	}
	return s, err
}

// signedOff is the stored mark of an agent who signed off; callers outside
// the dispatcher see it as Offline.
const signedOff = "signed_off"

// States returns each agent's state (Offline when absent), in one round trip.
func (p *Presence) States(ctx context.Context, tenantID string, agentIDs []string) (map[string]string, error) {
	out, err := p.states(ctx, tenantID, agentIDs)
	for id, s := range out {
		if s == signedOff {
			out[id] = Offline
		}
	}
	return out, err
}

// states is States with signedOff told apart from a lapsed presence.
func (p *Presence) states(ctx context.Context, tenantID string, agentIDs []string) (map[string]string, error) {
	out := make(map[string]string, len(agentIDs))
	if len(agentIDs) == 0 {
		return out, nil
	}
	keys := make([]string, len(agentIDs))
	for i, id := range agentIDs {
		keys[i] = p.key(tenantID, id)
	}
	vals, err := p.rdb.MGet(ctx, keys...).Result()
	if err != nil {
		return nil, fmt.Errorf("read presence: %w", err)
	}
	for i, v := range vals {
		s, _ := v.(string)
		if s != Available && s != Away && s != signedOff {
			s = Offline
		}
		out[agentIDs[i]] = s
	}
	return out, nil
}
