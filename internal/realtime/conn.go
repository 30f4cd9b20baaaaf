package realtime

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"sync"
	"time"

	"github.com/gorilla/websocket"

	"switchboard/internal/httpx"
	"switchboard/internal/storage"
)

// Close codes we send.
const (
	closeRestart  = websocket.CloseServiceRestart // 1012: reconnect now
	closeTooSlow  = websocket.CloseTryAgainLater  // 1013: fell behind; reconnect and replay
	closeProtocol = websocket.ClosePolicyViolation
)

// maxFrame bounds what a client may send: hellos and pings are tiny.
const maxFrame = 4 << 10

// Conn is one browser tab's socket. One goroutine (pump) writes to it and
// decides what to send; the hub only offers events, never waits.
type Conn struct {
	hub      *Hub
	ws       *websocket.Conn
	tenantID string
	agentID  string
	// requestID is the upgrade request's, for the socket's log lines.
	requestID string

	hints  chan *storage.AgentEvent // shared, read-only: one per event for all of an agent's tabs
	done   chan struct{}
	once   sync.Once
	mu     sync.Mutex
	closed bool
}

// clientFrame is what a console may send.
type clientFrame struct {
	Type    string `json:"type"`     // "hello" or "ping"
	LastSeq *int64 `json:"last_seq"` // hello: the last event number seen; absent for a fresh page
}

// serverFrame is what the hub sends.
type serverFrame struct {
	Type           string     `json:"type"` // "ready", "event", "reload", "pong", "error"
	Seq            int64      `json:"seq,omitempty"`
	Kind           string     `json:"kind,omitempty"`
	ConversationID string     `json:"conversation_id,omitempty"`
	MessageID      string     `json:"message_id,omitempty"`
	At             *time.Time `json:"at,omitempty"`
	Message        string     `json:"message,omitempty"`
}

func eventFrame(e storage.AgentEvent) serverFrame {
	return serverFrame{Type: "event", Seq: e.Seq, Kind: e.Kind, ConversationID: e.ConversationID, MessageID: e.MessageID, At: &e.At}
}

// Serve upgrades an authenticated request to the agent's socket and returns;
// the socket runs on its own goroutines until it closes. The caller has
// checked the session, the one-time token and the Origin.
//
// Returning matters for memory (docs/benchmarks.md, "Agent console"): an
// idle console costs what its socket holds, not the request's goroutine
// with its stack grown by every middleware, net/http's 4 KB read buffer and
// the response, which a handler that kept running would pin for hours.
func (h *Hub) Serve(w http.ResponseWriter, r *http.Request, tenantID, agentID string) {
	ws, err := h.up.Upgrade(w, r, nil)
	if err != nil {
		return // the upgrader answered the client
	}
	c := &Conn{hub: h, ws: ws, tenantID: tenantID, agentID: agentID, requestID: httpx.RequestID(r.Context()),
		hints: make(chan *storage.AgentEvent, h.opt.Queue), done: make(chan struct{})}
	ws.SetReadLimit(maxFrame)
	// The request's context ends with this handler, and its values would
	// keep the request's middleware state alive: only its id is kept.
	go c.run(context.Background())
}

// offer hands the connection a hint without waiting; a connection whose
// queue is full is too slow and is closed (it reconnects and replays).
func (c *Conn) offer(e *storage.AgentEvent) {
	select {
	case c.hints <- e:
	case <-c.done:
	default:
		go c.closeWith(closeTooSlow, "too slow: reconnect")
	}
}

func (c *Conn) closeWith(code int, reason string) {
	c.once.Do(func() {
		c.mu.Lock()
		c.closed = true
		_ = c.ws.WriteControl(websocket.CloseMessage, websocket.FormatCloseMessage(code, reason), time.Now().Add(time.Second))
		c.mu.Unlock()
		close(c.done)
		_ = c.ws.Close()
	})
}

func (c *Conn) write(f serverFrame) error {
	b, err := json.Marshal(f)
	if err != nil {
		return err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closed {
		return errors.New("closed")
	}
	_ = c.ws.SetWriteDeadline(time.Now().Add(c.hub.opt.WriteWait))
	return c.ws.WriteMessage(websocket.TextMessage, b)
}

func (c *Conn) ping() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closed {
		return errors.New("closed")
	}
	return c.ws.WriteControl(websocket.PingMessage, nil, time.Now().Add(c.hub.opt.WriteWait))
}

// run opens the socket's session: hello, subscription, replay. The socket's
// idle life then runs on two fresh goroutines (readLoop, pump), so that this
// one's stack, grown by Redis and Postgres calls, is freed rather than kept
// by every idle tab until a GC shrinks it.
func (c *Conn) run(ctx context.Context) {
	h := c.hub
	// The client speaks first: hello with the last event number it saw.
	_ = c.ws.SetReadDeadline(time.Now().Add(h.opt.HelloWait))
	hello, err := c.read()
	if err != nil || hello.Type != "hello" || (hello.LastSeq != nil && *hello.LastSeq < 0) {
		_ = c.write(serverFrame{Type: "error", Message: "the first frame must be {\"type\":\"hello\",\"last_seq\":N}"})
		c.closeWith(closeProtocol, "expected hello")
		return
	}
	if !h.add(c) {
		c.closeWith(closeRestart, "server restarting")
		return
	}
	// Subscribed before reading Postgres: whatever commits from now on
	// arrives as a hint, and hints at or below last are ignored.
	last, err := c.start(ctx, hello.LastSeq)
	if err != nil {
		h.log.WarnContext(ctx, "realtime: start", "request_id", c.requestID, "error", err)
		h.remove(c)
		c.closeWith(websocket.CloseInternalServerErr, "try again")
		return
	}
	_ = c.ws.SetReadDeadline(time.Now().Add(h.opt.PongWait))
	c.ws.SetPongHandler(func(string) error { return c.ws.SetReadDeadline(time.Now().Add(h.opt.PongWait)) })
	go c.readLoop()
	go func() {
		defer c.closeWith(websocket.CloseNormalClosure, "")
		defer h.remove(c)
		c.pump(ctx, last)
	}()
}

func (c *Conn) read() (clientFrame, error) {
	var f clientFrame
	kind, b, err := c.ws.ReadMessage()
	if err != nil {
		return f, err
	}
	if kind != websocket.TextMessage {
		return f, errors.New("binary frame")
	}
	dec := json.NewDecoder(bytesReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&f); err != nil {
		return f, err
	}
	return f, nil
}

// readLoop reads the client's frames: pings get a pong; anything malformed
// closes the socket with a reason.
func (c *Conn) readLoop() {
	for {
		f, err := c.read()
		if err != nil {
			var syntax *json.SyntaxError
			var typ *json.UnmarshalTypeError
			if errors.As(err, &syntax) || errors.As(err, &typ) || err.Error() == "binary frame" || isUnknownField(err) {
				_ = c.write(serverFrame{Type: "error", Message: "malformed frame"})
				c.closeWith(closeProtocol, "malformed frame")
			} else {
				c.closeWith(websocket.CloseNormalClosure, "")
			}
			return
		}
		switch f.Type {
		case "ping":
			_ = c.write(serverFrame{Type: "pong"})
		default:
			_ = c.write(serverFrame{Type: "error", Message: "unknown frame type"})
			c.closeWith(closeProtocol, "unknown frame type")
			return
		}
	}
}

// start replays what the client missed, or tells it to reload, and
// returns the last number sent.
func (c *Conn) start(ctx context.Context, lastSeen *int64) (int64, error) {
	oldest, latest, err := c.hub.events.AgentEventBounds(ctx, c.tenantID, c.agentID)
	if err != nil {
		return 0, err
	}
	switch {
	case lastSeen == nil:
		return latest, c.write(serverFrame{Type: "ready", Seq: latest})
	case *lastSeen > latest || latest-*lastSeen > int64(c.hub.opt.ReplayLimit) || (*lastSeen < latest && oldest > *lastSeen+1):
		// Ahead of us (another database?), too far behind, or the
		// events it missed are pruned: its state must be read afresh.
		return latest, c.write(serverFrame{Type: "reload", Seq: latest})
	}
	last, err := c.catchUp(ctx, *lastSeen)
	if err != nil {
		return 0, err
	}
	return last, c.write(serverFrame{Type: "ready", Seq: last})
}

// catchUp sends the events after last from Postgres.
func (c *Conn) catchUp(ctx context.Context, last int64) (int64, error) {
	for {
		evs, err := c.since(ctx, last)
		if err != nil {
			return last, err
		}
		for i := range evs {
			if err := c.write(eventFrame(evs[i])); err != nil {
				return last, err
			}
			last = evs[i].Seq
		}
		if len(evs) < 200 {
			return last, nil
		}
	}
}

// since reads the events after last on a short-lived goroutine: pgx's calls
// grow a stack by several KB, which the pump's goroutine, idle most of its
// life, would otherwise keep.
func (c *Conn) since(ctx context.Context, last int64) ([]storage.AgentEvent, error) {
	type result struct {
		evs []storage.AgentEvent
		err error
	}
	done := make(chan result, 1)
	go func() {
		evs, err := c.hub.events.AgentEventsSince(ctx, c.tenantID, c.agentID, last, 200)
		done <- result{evs, err}
	}()
	r := <-done
	return r.evs, r.err
}

// pump sends hints in order: the next number goes out as it is; a gap (a
// hint lost or not yet arrived) is filled from Postgres; a number already
// sent is dropped. Now and then it checks Postgres for a hint lost at the
// end of a burst.
func (c *Conn) pump(ctx context.Context, last int64) {
	h := c.hub
	ping := time.NewTicker(h.opt.PingEvery)
	defer ping.Stop()
	catch := time.NewTicker(h.opt.CatchUp)
	defer catch.Stop()
	var err error
	for err == nil {
		select {
		case <-c.done:
			return
		case <-ctx.Done():
			return
		case <-ping.C:
			err = c.ping()
		case <-catch.C:
			last, err = c.catchUp(ctx, last)
		case e := <-c.hints:
			switch {
			case e.Seq <= last:
			case e.Seq == last+1:
				err = c.write(eventFrame(*e))
				last = e.Seq
			default:
				last, err = c.catchUp(ctx, last)
			}
		}
	}
	c.closeWith(websocket.CloseGoingAway, "")
}
