package realtime_test

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gorilla/websocket"
	"github.com/jackc/pgx/v5"

	"switchboard/internal/realtime"
	"switchboard/internal/storage"
	"switchboard/internal/storage/storagetest"
)

type env struct {
	t        *testing.T
	db       *storagetest.DB
	hub      *realtime.Hub
	url      string
	tenantID string
	agentID  string
	convID   string
}

func newEnv(t *testing.T, events realtime.Events, opt realtime.Options) *env {
	t.Helper()
	db := storagetest.NewDB(t)
	rdb, prefix := storagetest.NewRedis(t)
	f := storagetest.Seed(t, db)
	if events == nil {
		events = db.Store
	}
	hub := realtime.NewHub(rdb, prefix, events, slog.New(slog.DiscardHandler), opt)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { hub.Run(ctx); close(done) }()
	t.Cleanup(func() { cancel(); <-done })
	e := &env{t: t, db: db, hub: hub, tenantID: f.A.ID, agentID: f.A.Agent.ID}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hub.Serve(w, r, e.tenantID, e.agentID)
	}))
	t.Cleanup(srv.Close)
	e.url = "ws" + strings.TrimPrefix(srv.URL, "http")
	err := db.Store.InPlatform(ctx, func(tx pgx.Tx) error {
		var number, contact string
		if err := tx.QueryRow(ctx, `INSERT INTO numbers (tenant_id, phone_number_id, display_phone, waba_id, access_token_enc)
			VALUES ($1, '1234', '+39 06 1234', '1', 'x') RETURNING id`, e.tenantID).Scan(&number); err != nil {
			return err
		}
		if err := tx.QueryRow(ctx, `INSERT INTO contacts (tenant_id, wa_id) VALUES ($1, '393330001') RETURNING id`, e.tenantID).Scan(&contact); err != nil {
			return err
		}
		return tx.QueryRow(ctx, `INSERT INTO conversations (tenant_id, number_id, contact_id, status, assigned_agent_id)
			VALUES ($1, $2, $3, 'assigned', $4) RETURNING id`, e.tenantID, number, contact, e.agentID).Scan(&e.convID)
	})
	if err != nil {
		t.Fatal(err)
	}
	return e
}

// tell records an event; publish says whether the hub hears of it.
func (e *env) tell(publish bool) storage.AgentEvent {
	e.t.Helper()
	ev, err := e.db.Store.TellAgent(context.Background(), storage.AgentEvent{TenantID: e.tenantID, AgentID: e.agentID,
		Kind: storage.AgentMessage, ConversationID: e.convID})
	if err != nil {
		e.t.Fatal(err)
	}
	if publish {
		e.hub.Publish(context.Background(), []storage.AgentEvent{ev})
	}
	return ev
}

type frame struct {
	Type    string `json:"type"`
	Seq     int64  `json:"seq"`
	Kind    string `json:"kind"`
	Message string `json:"message"`
}

type client struct {
	t  *testing.T
	ws *websocket.Conn
}

func (e *env) dial(hello string) *client {
	e.t.Helper()
	ws, _, err := websocket.DefaultDialer.Dial(e.url, nil)
	if err != nil {
		e.t.Fatal(err)
	}
	e.t.Cleanup(func() { ws.Close() })
	if hello != "" {
		if err := ws.WriteMessage(websocket.TextMessage, []byte(hello)); err != nil {
			e.t.Fatal(err)
		}
	}
	return &client{t: e.t, ws: ws}
}

func (c *client) next() (frame, error) {
	var f frame
	_ = c.ws.SetReadDeadline(time.Now().Add(5 * time.Second))
	_, b, err := c.ws.ReadMessage()
	if err != nil {
		return f, err
	}
	return f, json.Unmarshal(b, &f)
}

func (c *client) expect(typ string, seq int64) {
	c.t.Helper()
	f, err := c.next()
	if err != nil {
		c.t.Fatalf("waiting for %s %d: %v", typ, seq, err)
	}
	if f.Type != typ || f.Seq != seq {
		c.t.Fatalf("got %s %d, want %s %d", f.Type, f.Seq, typ, seq)
	}
}

func waitConns(t *testing.T, hub *realtime.Hub, n int) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for hub.Connections() != n {
		if time.Now().After(deadline) {
			t.Fatalf("connections = %d, want %d", hub.Connections(), n)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// Live events arrive in order; a reconnect replays exactly what was missed;
// a lost hint is filled from Postgres; a repeated hint is not resent.
func TestLiveReplayGapAndDuplicate(t *testing.T) {
	t.Parallel()
	e := newEnv(t, nil, realtime.Options{})
	e.tell(false)
	c := e.dial(`{"type":"hello"}`)
	c.expect("ready", 1)
	time.Sleep(100 * time.Millisecond) // the subscription is in place
	for i := int64(2); i <= 4; i++ {
		e.tell(true)
	}
	c.expect("event", 2)
	c.expect("event", 3)
	c.expect("event", 4)
	c.ws.Close()
	waitConns(t, e.hub, 0)
	e.tell(true) // 5 and 6 happen while the tab is offline
	e.tell(true)
	c = e.dial(`{"type":"hello","last_seq":4}`)
	c.expect("event", 5)
	c.expect("event", 6)
	c.expect("ready", 6)
	time.Sleep(100 * time.Millisecond)
	e.tell(false) // 7's hint is lost
	ev8 := e.tell(true)
	c.expect("event", 7)
	c.expect("event", 8)
	e.hub.Publish(context.Background(), []storage.AgentEvent{ev8}) // a repeated hint
	e.tell(true)
	c.expect("event", 9)
}

// A reconnect after the missed events were pruned, or from further back
// than the replay limit, is told to reload.
func TestTooOldAsksForReload(t *testing.T) {
	t.Parallel()
	e := newEnv(t, nil, realtime.Options{ReplayLimit: 5})
	for range 8 {
		e.tell(false)
	}
	e.dial(`{"type":"hello","last_seq":1}`).expect("reload", 8)
	e.dial(`{"type":"hello","last_seq":4}`).expect("event", 5)
	if _, err := e.db.Store.PruneAgentEvents(context.Background(), -time.Hour); err != nil {
		t.Fatal(err)
	}
	e.tell(false)
	e.dial(`{"type":"hello","last_seq":7}`).expect("reload", 9)
}

// A client that does not say hello first, or sends a malformed frame, gets
// a reason and a policy-violation close.
func TestMalformedFramesClose(t *testing.T) {
	t.Parallel()
	e := newEnv(t, nil, realtime.Options{})
	for _, first := range []string{`hello`, `{"type":"subscribe","topic":"tenant:other"}`, `{"type":"hello","last_seq":-3}`} {
		c := e.dial(first)
		f, err := c.next()
		if err != nil || f.Type != "error" {
			t.Fatalf("%s: got %+v %v, want an error frame", first, f, err)
		}
		_, err = c.next()
		var ce *websocket.CloseError
		if !errors.As(err, &ce) || ce.Code != websocket.ClosePolicyViolation {
			t.Fatalf("%s: close %v, want 1008", first, err)
		}
	}
	c := e.dial(`{"type":"hello"}`)
	c.expect("ready", 0)
	_ = c.ws.WriteMessage(websocket.TextMessage, []byte(`{"type":"ping"}`))
	c.expect("pong", 0)
	_ = c.ws.WriteMessage(websocket.TextMessage, []byte(`{"type":"ping","extra":1}`))
	if f, _ := c.next(); f.Type != "error" {
		t.Fatalf("malformed frame answered %+v", f)
	}
}

// gated is the real store, except that reading events waits for the gate:
// a connection stuck there falls behind.
type gated struct {
	*storage.Store
	mu   sync.Mutex
	gate chan struct{}
}

func (g *gated) AgentEventsSince(ctx context.Context, tenantID, agentID string, after int64, limit int) ([]storage.AgentEvent, error) {
	g.mu.Lock()
	gate := g.gate
	g.mu.Unlock()
	if gate != nil {
		select {
		case <-gate:
		case <-ctx.Done():
		}
	}
	return g.Store.AgentEventsSince(ctx, tenantID, agentID, after, limit)
}

// A connection that falls behind is dropped (1013) without slowing the hub:
// another connection of the same agent keeps getting its events.
func TestSlowConsumerIsDroppedNotWaitedFor(t *testing.T) {
	t.Parallel()
	g := &gated{}
	e := newEnv(t, g, realtime.Options{Queue: 4})
	g.Store = e.db.Store
	slow := e.dial(`{"type":"hello"}`)
	slow.expect("ready", 0)
	time.Sleep(100 * time.Millisecond)
	// The slow tab's first event has a gap (its hint is lost), so it
	// waits on Postgres, which is held.
	g.mu.Lock()
	g.gate = make(chan struct{})
	g.mu.Unlock()
	e.tell(false)
	e.tell(true)
	time.Sleep(100 * time.Millisecond)
	fast := e.dial(`{"type":"hello","last_seq":2}`)
	g.mu.Lock()
	gate := g.gate
	g.gate = nil
	g.mu.Unlock()
	_ = gate
	fast.expect("ready", 2)
	time.Sleep(100 * time.Millisecond)
	for range 10 {
		e.tell(true)
	}
	for i := int64(3); i <= 12; i++ {
		fast.expect("event", i)
	}
	close(gate)
	var err error
	for err == nil {
		_, err = slow.next()
	}
	var ce *websocket.CloseError
	if !errors.As(err, &ce) || ce.Code != websocket.CloseTryAgainLater {
		t.Fatalf("slow tab closed with %v, want 1013", err)
	}
}

// Shutdown tells every tab to reconnect at once (1012).
func TestShutdownAsksToReconnect(t *testing.T) {
	t.Parallel()
	e := newEnv(t, nil, realtime.Options{})
	c := e.dial(`{"type":"hello"}`)
	c.expect("ready", 0)
	e.hub.Shutdown()
	_, err := c.next()
	var ce *websocket.CloseError
	if !errors.As(err, &ce) || ce.Code != websocket.CloseServiceRestart {
		t.Fatalf("close %v, want 1012", err)
	}
}
