package loadgen

import (
	"context"
	"encoding/json"
	"errors"
	"net"
	"net/http"
	"sync/atomic"
	"time"

	"github.com/gorilla/websocket"

	"switchboard/internal/metrics"
)

// EchoServer is the console memory benchmark's baseline: the plainest
// gorilla/websocket server, as its own documentation writes one (a zero
// Upgrader, so it reuses net/http's buffers; the handler's goroutine reads
// each message and writes it back). No authentication, no pings, no queue:
// what any WebSocket costs in Go, against which ours is compared.
type EchoServer struct {
	conns atomic.Int64
}

// Handler serves /ws (the echo) and /mem (the runtime's figures as JSON,
// the same ones serve exposes on /metrics).
func (s *EchoServer) Handler() http.Handler {
	up := websocket.Upgrader{CheckOrigin: func(*http.Request) bool { return true }}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /ws", func(w http.ResponseWriter, r *http.Request) {
		ws, err := up.Upgrade(w, r, nil)
		if err != nil {
			return
		}
		s.conns.Add(1)
		defer s.conns.Add(-1)
		defer ws.Close()
		for {
			kind, b, err := ws.ReadMessage()
			if err != nil {
				return
			}
			if err := ws.WriteMessage(kind, b); err != nil {
				return
			}
		}
	})
	mux.HandleFunc("GET /mem", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(runtimeFigures{
			HeapObjects: metrics.RuntimeValue("/memory/classes/heap/objects:bytes"),
			Stacks:      metrics.RuntimeValue("/memory/classes/heap/stacks:bytes"),
			Goroutines:  metrics.RuntimeValue("/sched/goroutines:goroutines"),
			Connections: float64(s.conns.Load()),
		})
	})
	return mux
}

// runtimeFigures is one reading of a server's Go runtime.
type runtimeFigures struct {
	HeapObjects float64 `json:"heap_objects_bytes"`
	Stacks      float64 `json:"stacks_bytes"`
	Goroutines  float64 `json:"goroutines"`
	Connections float64 `json:"connections"`
}

// RunEchoServer serves the echo on addr until ctx ends; ready gets the
// address it listens on.
func RunEchoServer(ctx context.Context, addr string, ready func(string)) error {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return err
	}
	var s EchoServer
	srv := &http.Server{Handler: s.Handler(), ReadHeaderTimeout: 10 * time.Second}
	if ready != nil {
		ready(ln.Addr().String())
	}
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	// Hijacked sockets are not the server's to drain: closing the
	// listener and returning ends the process and them.
	_ = srv.Close()
	if err := <-errc; err != nil && !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}
