package server_test

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/websocket"
	"github.com/jackc/pgx/v5"

	"switchboard/internal/server/servertest"
	"switchboard/internal/storage"
	"switchboard/internal/storage/storagetest"
)

// socketAgent is one signed-in agent as its console is: a browser session
// (cookie and CSRF token from the real sign-in) that asks for tickets.
type socketAgent struct {
	t        *testing.T
	app      *servertest.App
	c        *servertest.Client
	tenantID string
	agentID  string
	convID   string
}

func newSocketAgent(t *testing.T, app *servertest.App, tn storagetest.Tenant) *socketAgent {
	t.Helper()
	c := app.Client(t)
	c.MustLogin(tn.Agent.Email, storagetest.Password)
	c.Get("/agent/") // the page whose CSRF token the console sends
	return &socketAgent{t: t, app: app, c: c, tenantID: tn.ID, agentID: tn.Agent.ID,
		convID: assignedConversation(t, app, tn.ID, tn.Agent.ID)}
}

// assignedConversation makes a conversation held by the agent, for its
// events to point at.
func assignedConversation(t *testing.T, app *servertest.App, tenantID, agentID string) string {
	t.Helper()
	ctx := context.Background()
	var conv string
	err := app.DB.Store.InPlatform(ctx, func(tx pgx.Tx) error {
		var number, contact string
		if err := tx.QueryRow(ctx, `INSERT INTO numbers (tenant_id, phone_number_id, display_phone, waba_id, access_token_enc)
			VALUES ($1, (10000000 + floor(random() * 89999999))::bigint::text, '+39 06 1234', '1', 'x') RETURNING id`, tenantID).Scan(&number); err != nil {
			return err
		}
		if err := tx.QueryRow(ctx, `INSERT INTO contacts (tenant_id, wa_id) VALUES ($1, '393330001') RETURNING id`, tenantID).Scan(&contact); err != nil {
			return err
		}
		return tx.QueryRow(ctx, `INSERT INTO conversations (tenant_id, number_id, contact_id, status, assigned_agent_id)
			VALUES ($1, $2, $3, 'assigned', $4) RETURNING id`, tenantID, number, contact, agentID).Scan(&conv)
	})
	if err != nil {
		t.Fatal(err)
	}
	return conv
}

// ticket asks for a one-time socket ticket as console.js does (POST with
// the CSRF token).
func (a *socketAgent) ticket() string {
	a.t.Helper()
	r := a.c.Post("/agent/ws-token", url.Values{})
	if r.Status != http.StatusOK {
		a.t.Fatalf("ws-token: status %d: %s", r.Status, r.Body)
	}
	var out struct{ Token, URL string }
	if err := json.Unmarshal([]byte(r.Body), &out); err != nil || out.Token == "" || out.URL != "/agent/ws?token="+out.Token {
		a.t.Fatalf("ws-token: %q (%v)", r.Body, err)
	}
	return out.Token
}

// tell records an event for the agent and publishes it, as the webhook
// processor does after its commit.
func (a *socketAgent) tell() storage.AgentEvent {
	a.t.Helper()
	ev, err := a.app.DB.Store.TellAgent(context.Background(), storage.AgentEvent{TenantID: a.tenantID, AgentID: a.agentID,
		Kind: storage.AgentMessage, ConversationID: a.convID})
	if err != nil {
		a.t.Fatal(err)
	}
	a.app.Hub.Publish(context.Background(), []storage.AgentEvent{ev})
	return ev
}

// dial opens /agent/ws with a ticket, a session cookie and an Origin as a
// browser would send them; it returns the socket or the HTTP status of the
// refusal.
func dial(t *testing.T, app *servertest.App, query, sessionCookie, origin string) (*websocket.Conn, int) {
	t.Helper()
	h := http.Header{}
	if sessionCookie != "" {
		h.Set("Cookie", "switchboard_session="+sessionCookie)
	}
	if origin != "" {
		h.Set("Origin", origin)
	}
	d := websocket.Dialer{HandshakeTimeout: 5 * time.Second}
	ws, res, err := d.Dial("ws"+strings.TrimPrefix(app.URL, "http")+"/agent/ws?"+query, h)
	if err != nil {
		if res == nil {
			t.Fatalf("dial: %v", err)
		}
		return nil, res.StatusCode
	}
	t.Cleanup(func() { ws.Close() })
	return ws, http.StatusSwitchingProtocols
}

type wsFrame struct {
	Type           string `json:"type"`
	Seq            int64  `json:"seq"`
	Kind           string `json:"kind"`
	ConversationID string `json:"conversation_id"`
	Message        string `json:"message"`
}

func readFrame(ws *websocket.Conn, within time.Duration) (wsFrame, error) {
	var f wsFrame
	_ = ws.SetReadDeadline(time.Now().Add(within))
	_, b, err := ws.ReadMessage()
	if err != nil {
		return f, err
	}
	return f, json.Unmarshal(b, &f)
}

// TestAgentCannotSubscribeToAnotherTenant: the socket's tenant and agent
// come from the session alone. Tickets are refused (403, before any
// upgrade) when forged, reused, expired or presented by another session
// (another tenant's agent); a foreign or missing Origin is 403; a hello
// naming another tenant or agent is closed with 1008 (policy violation);
// identifiers added to the URL are ignored. Throughout, tenant B's agent
// receives B's events live and A's socket never sees one of them.
func TestAgentCannotSubscribeToAnotherTenant(t *testing.T) {
	t.Parallel()
	app := servertest.New(t, servertest.Options{RunWorkers: true})
	a := newSocketAgent(t, app, app.F.A)
	b := newSocketAgent(t, app, app.F.B)
	cookieA, cookieB := a.c.Cookie("switchboard_session"), b.c.Cookie("switchboard_session")
	if cookieA == "" || cookieB == "" || cookieA == cookieB {
		t.Fatalf("sessions: %q, %q", cookieA, cookieB)
	}
	origin := app.URL

	refused := func(what, query, cookie, origin string, want int) {
		t.Helper()
		if ws, status := dial(t, app, query, cookie, origin); ws != nil || status != want {
			t.Errorf("%s: status %d, want %d (refused before the upgrade)", what, status, want)
		}
	}
	// A's ticket with B's session (B's identifiers): bound to A's session.
	refused("A's ticket presented with B's session", "token="+a.ticket(), cookieB, origin, http.StatusForbidden)
	// B's ticket with A's session, and naming B in the URL as well.
	refused("B's ticket presented by A", "token="+b.ticket()+"&tenant_id="+b.tenantID+"&agent_id="+b.agentID, cookieA, origin, http.StatusForbidden)
	// Forged: the right shape, never issued; and malformed ones.
	refused("forged ticket", "token=AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", cookieA, origin, http.StatusForbidden)
	refused("no ticket", "", cookieA, origin, http.StatusForbidden)
	refused("ticket too long", "token="+a.ticket()+"x", cookieA, origin, http.StatusForbidden)
	// Reused: the first use opens, the second is refused.
	tk := a.ticket()
	if ws, status := dial(t, app, "token="+tk, cookieA, origin); ws == nil {
		t.Fatalf("A's own ticket: status %d", status)
	} else {
		ws.Close()
	}
	refused("reused ticket", "token="+tk, cookieA, origin, http.StatusForbidden)
	// Expired: Redis forgets a ticket after its 60 s (shortened here to
	// Redis's own expiry of one millisecond).
	tk = a.ticket()
	ttl, err := app.Redis.TTL(context.Background(), app.Prefix+"wstoken:"+tk).Result()
	if err != nil || ttl <= 0 || ttl > time.Minute {
		t.Fatalf("a ticket lives at most 60 s: TTL %v (%v)", ttl, err)
	}
	if err := app.Redis.PExpire(context.Background(), app.Prefix+"wstoken:"+tk, time.Millisecond).Err(); err != nil {
		t.Fatal(err)
	}
	time.Sleep(20 * time.Millisecond)
	refused("expired ticket", "token="+tk, cookieA, origin, http.StatusForbidden)
	// Origin: another site, a look-alike, none. The ticket is not spent by
	// a refusal for the Origin, which is checked first.
	tk = a.ticket()
	refused("forged Origin", "token="+tk, cookieA, "http://evil.example", http.StatusForbidden)
	refused("look-alike Origin", "token="+tk, cookieA, origin+".evil.example", http.StatusForbidden)
	refused("no Origin", "token="+tk, cookieA, "", http.StatusForbidden)
	// No session at all: the agent routes send the browser to sign in.
	refused("ticket without a session", "token="+tk, "", origin, http.StatusSeeOther)

	// A hello naming B's tenant or agent: an error frame and 1008.
	for _, hello := range []string{
		`{"type":"hello","tenant_id":"` + b.tenantID + `"}`,
		`{"type":"hello","last_seq":0,"agent_id":"` + b.agentID + `"}`,
		`{"type":"subscribe","topic":"rt:agent:` + b.tenantID + `:` + b.agentID + `"}`,
	} {
		ws, status := dial(t, app, "token="+a.ticket(), cookieA, origin)
		if ws == nil {
			t.Fatalf("A's ticket: status %d", status)
		}
		if err := ws.WriteMessage(websocket.TextMessage, []byte(hello)); err != nil {
			t.Fatal(err)
		}
		f, err := readFrame(ws, 5*time.Second)
		if err != nil || f.Type != "error" {
			t.Errorf("hello %s: frame %+v, %v; want an error frame", hello, f, err)
		}
		_, err = readFrame(ws, 5*time.Second)
		var ce *websocket.CloseError
		if !errors.As(err, &ce) || ce.Code != websocket.ClosePolicyViolation {
			t.Errorf("hello %s: %v; want close 1008", hello, err)
		}
	}

	// B's events before A connects: A's replay from 0 must not carry them.
	b.tell()
	b.tell()
	evA := a.tell()
	// Both connected, A with identifiers of B added to its URL (ignored).
	wsA, status := dial(t, app, "token="+a.ticket()+"&tenant_id="+b.tenantID+"&agent_id="+b.agentID, cookieA, origin)
	if wsA == nil {
		t.Fatalf("A: status %d", status)
	}
	wsB, status := dial(t, app, "token="+b.ticket(), cookieB, origin)
	if wsB == nil {
		t.Fatalf("B: status %d", status)
	}
	for _, ws := range []*websocket.Conn{wsA, wsB} {
		if err := ws.WriteMessage(websocket.TextMessage, []byte(`{"type":"hello","last_seq":0}`)); err != nil {
			t.Fatal(err)
		}
	}
	// A's replay: its own one event, then ready.
	if f, err := readFrame(wsA, 5*time.Second); err != nil || f.Type != "event" || f.Seq != evA.Seq || f.ConversationID != a.convID {
		t.Fatalf("A's replay: %+v, %v; want its own event %d", f, err, evA.Seq)
	}
	if f, err := readFrame(wsA, 5*time.Second); err != nil || f.Type != "ready" || f.Seq != evA.Seq {
		t.Fatalf("A: %+v, %v; want ready at %d", f, err, evA.Seq)
	}
	// B's replay: its two, then ready.
	for i := 1; i <= 2; i++ {
		if f, err := readFrame(wsB, 5*time.Second); err != nil || f.Type != "event" || f.ConversationID != b.convID {
			t.Fatalf("B's replay %d: %+v, %v", i, f, err)
		}
	}
	if f, err := readFrame(wsB, 5*time.Second); err != nil || f.Type != "ready" {
		t.Fatalf("B: %+v, %v; want ready", f, err)
	}

	// Live: B's events reach B only; then one of A's reaches A, so A's
	// socket was live all along and simply never carried B's.
	for range 5 {
		ev := b.tell()
		if f, err := readFrame(wsB, 5*time.Second); err != nil || f.Type != "event" || f.Seq != ev.Seq || f.ConversationID != b.convID {
			t.Fatalf("B's live event: %+v, %v; want seq %d", f, err, ev.Seq)
		}
	}
	evA = a.tell()
	f, err := readFrame(wsA, 5*time.Second)
	if err != nil || f.Type != "event" || f.Seq != evA.Seq || f.ConversationID != a.convID {
		t.Fatalf("A's next frame is %+v (%v); want its own event %d and nothing of B's", f, err, evA.Seq)
	}
	if f, err := readFrame(wsA, 300*time.Millisecond); err == nil {
		t.Fatalf("A received %+v; nothing else was meant for it", f)
	}
}
