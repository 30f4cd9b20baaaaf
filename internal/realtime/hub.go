// Package realtime is the agent console's live channel: one authenticated
// WebSocket per browser tab, fed with the agent's events (storage.AgentEvent,
// numbered per agent without gaps). Events cross instances on Redis pub/sub,
// subscribed only while a local connection needs the agent's channel. They
// are hints: Postgres keeps them, so a connection that sees a gap, falls
// behind, or reconnects with the last number it saw reads what it missed
// from Postgres, or is told to reload when that is too old.
package realtime

import (
	"context"
	"encoding/json"
	"log/slog"
	"net/http"
	"sync"
	"time"

	"github.com/gorilla/websocket"
	"github.com/redis/go-redis/v9"

	"switchboard/internal/storage"
)

// Options tune a Hub; zero values take the defaults in parentheses.
type Options struct {
	Queue       int           // events waiting for one connection before it is dropped as too slow (64)
	PingEvery   time.Duration // ping period (25 s)
	PongWait    time.Duration // a connection silent this long is dead (60 s)
	WriteWait   time.Duration // one write may take this long (10 s)
	HelloWait   time.Duration // the client must say hello within (10 s)
	ReplayLimit int           // events replayed after a reconnect before asking for a reload (1000)
	CatchUp     time.Duration // how often an idle connection checks Postgres for a lost hint (30 s)
}

func (o *Options) defaults() {
	def := func(d *time.Duration, v time.Duration) {
		if *d <= 0 {
			*d = v
		}
	}
	if o.Queue <= 0 {
		o.Queue = 64
	}
	if o.ReplayLimit <= 0 {
		o.ReplayLimit = 1000
	}
	def(&o.PingEvery, 25*time.Second)
	def(&o.PongWait, 60*time.Second)
	def(&o.WriteWait, 10*time.Second)
	def(&o.HelloWait, 10*time.Second)
	def(&o.CatchUp, 30*time.Second)
}

// Events is where the hub reads what a connection missed.
type Events interface {
	AgentEventsSince(ctx context.Context, tenantID, agentID string, after int64, limit int) ([]storage.AgentEvent, error)
	AgentEventBounds(ctx context.Context, tenantID, agentID string) (oldest, latest int64, err error)
}

// Hub holds this instance's connections and their Redis subscriptions.
type Hub struct {
	rdb    *redis.Client
	prefix string
	events Events
	log    *slog.Logger
	opt    Options
	up     websocket.Upgrader

	mu     sync.Mutex
	ps     *redis.PubSub
	chans  map[string]map[*Conn]struct{} // Redis channel → local connections
	conns  map[*Conn]struct{}
	closed bool
}

// NewHub makes a hub; Run must be running for events from Redis to arrive.
func NewHub(rdb *redis.Client, prefix string, events Events, log *slog.Logger, opt Options) *Hub {
	opt.defaults()
	return &Hub{rdb: rdb, prefix: prefix, events: events, log: log, opt: opt,
		// An idle socket holds only its small read buffer (clients send
		// hellos and pings, and a frame longer than the buffer is still
		// read); write buffers are lent from a pool for each frame.
		up: websocket.Upgrader{ReadBufferSize: 512, WriteBufferSize: 4096, WriteBufferPool: &sync.Pool{},
			CheckOrigin: func(*http.Request) bool { return true }}, // checked by the caller, exactly
		chans: map[string]map[*Conn]struct{}{}, conns: map[*Conn]struct{}{}}
}

func (h *Hub) channel(tenantID, agentID string) string {
	return h.prefix + "rt:agent:" + tenantID + ":" + agentID
}

// wire is an event as Redis carries it.
type wire struct {
	TenantID string `json:"tenant_id"`
	AgentID  string `json:"agent_id"`
	storage.AgentEvent
}

// Publish sends committed events to whichever instance holds their agents'
// connections. Failures are logged only: the events are in Postgres, and a
// connection finds them at its next catch-up.
func (h *Hub) Publish(ctx context.Context, events []storage.AgentEvent) {
	if len(events) == 0 {
		return
	}
	pipe := h.rdb.Pipeline()
	for _, e := range events {
		b, err := json.Marshal(wire{TenantID: e.TenantID, AgentID: e.AgentID, AgentEvent: e})
		if err != nil {
			continue
		}
		pipe.Publish(ctx, h.channel(e.TenantID, e.AgentID), b)
	}
	if _, err := pipe.Exec(ctx); err != nil {
		h.log.WarnContext(ctx, "publish agent events", "events", len(events), "error", err)
	}
}

// Run receives events from Redis for the local connections until ctx ends;
// go-redis re-subscribes by itself after a lost connection.
func (h *Hub) Run(ctx context.Context) {
	h.mu.Lock()
	h.ps = h.rdb.Subscribe(ctx)
	ps := h.ps
	for ch := range h.chans {
		_ = ps.Subscribe(ctx, ch)
	}
	h.mu.Unlock()
	defer ps.Close()
	msgs := ps.Channel(redis.WithChannelSize(1024))
	for {
		select {
		case <-ctx.Done():
			return
		case m, ok := <-msgs:
			if !ok {
				return
			}
			var w wire
			if err := json.Unmarshal([]byte(m.Payload), &w); err != nil {
				continue
			}
			w.AgentEvent.TenantID, w.AgentEvent.AgentID = w.TenantID, w.AgentID
			e := &w.AgentEvent
			h.mu.Lock()
			for c := range h.chans[m.Channel] {
				c.offer(e)
			}
			h.mu.Unlock()
		}
	}
}

func (h *Hub) add(c *Conn) bool {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.closed {
		return false
	}
	h.conns[c] = struct{}{}
	ch := h.channel(c.tenantID, c.agentID)
	set := h.chans[ch]
	if set == nil {
		set = map[*Conn]struct{}{}
		h.chans[ch] = set
		if h.ps != nil {
			if err := h.ps.Subscribe(context.Background(), ch); err != nil {
				h.log.Warn("subscribe agent channel", "error", err)
			}
		}
	}
	set[c] = struct{}{}
	return true
}

func (h *Hub) remove(c *Conn) {
	h.mu.Lock()
	defer h.mu.Unlock()
	delete(h.conns, c)
	ch := h.channel(c.tenantID, c.agentID)
	if set := h.chans[ch]; set != nil {
		delete(set, c)
		if len(set) == 0 {
			delete(h.chans, ch)
			if h.ps != nil {
				_ = h.ps.Unsubscribe(context.Background(), ch)
			}
		}
	}
}

// Connections counts the local connections (for metrics and tests).
func (h *Hub) Connections() int {
	h.mu.Lock()
	defer h.mu.Unlock()
	return len(h.conns)
}

// Shutdown closes every connection with "service restart" (1012), so that
// consoles reconnect at once, to another instance if this one is going.
func (h *Hub) Shutdown() {
	h.mu.Lock()
	h.closed = true
	conns := make([]*Conn, 0, len(h.conns))
	for c := range h.conns {
		conns = append(conns, c)
	}
	h.mu.Unlock()
	for _, c := range conns {
		c.closeWith(closeRestart, "server restarting")
	}
}

// Disconnect closes an agent's sockets on this instance ("going away"):
// its consoles reconnect and replay what they missed. Used when an agent's
// access changes, and by tests that play a network drop.
func (h *Hub) Disconnect(tenantID, agentID string) {
	h.mu.Lock()
	var conns []*Conn
	for c := range h.chans[h.channel(tenantID, agentID)] {
		conns = append(conns, c)
	}
	h.mu.Unlock()
	for _, c := range conns {
		c.closeWith(websocket.CloseGoingAway, "disconnected")
	}
}
