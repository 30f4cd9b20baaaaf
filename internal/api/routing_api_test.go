package api_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"switchboard/internal/domain"
	"switchboard/internal/number"
	"switchboard/internal/routing"
	"switchboard/internal/server/servertest"
	"switchboard/internal/storage"
)

// routingWorld is tenant A with one number and a routing configuration
// written in SQL (the configuration's own storage is not what is tested
// here): the number links Sales (skillset priority 2) and Support (1);
// Sales = {Anna}, Support = {Bruno}, both with capacity 1; Carla (the
// fixture agent) is in no skillset and never available.
type routingWorld struct {
	t                  *testing.T
	app                *servertest.App
	ctx                context.Context
	sp                 *spec
	keyA, keyB         string
	number             domain.Number
	anna, bruno, carla string
	sales, support     string
	contacts           int
}

func newRoutingWorld(t *testing.T, opt servertest.Options) *routingWorld {
	t.Helper()
	app := servertest.New(t, opt)
	ctx := context.Background()
	sp, err := loadSpec()
	if err != nil {
		t.Fatal(err)
	}
	w := &routingWorld{t: t, app: app, ctx: ctx, sp: sp, carla: app.F.A.Agent.ID}
	w.keyA, _ = app.APIKeys.Create(ctx, storage.Actor{Email: "test"}, app.F.A.ID, "crm")
	w.keyB, _ = app.APIKeys.Create(ctx, storage.Actor{Email: "test"}, app.F.B.ID, "other")
	w.number, err = app.Numbers.Add(ctx, storage.Actor{Email: "test"}, number.AddInput{TenantID: app.F.A.ID, Sandbox: true})
	if err != nil {
		t.Fatal(err)
	}
	agent := func(name string) string {
		id, err := app.DB.Store.CreateUser(ctx, storage.Actor{Email: "test"}, domain.User{TenantID: app.F.A.ID,
			Email: strings.ToLower(name) + "@alpha.test", Name: name, Role: domain.RoleAgent, PasswordHash: "x", Active: true})
		if err != nil {
			t.Fatal(err)
		}
		return id
	}
	w.anna, w.bruno = agent("Anna"), agent("Bruno")
	tenant := app.F.A.ID
	err = app.DB.Store.InPlatform(ctx, func(tx pgx.Tx) error {
		for name, id := range map[string]*string{"Sales": &w.sales, "Support": &w.support} {
			if err := tx.QueryRow(ctx, `INSERT INTO skillsets (tenant_id, name) VALUES ($1, $2) RETURNING id`, tenant, name).Scan(id); err != nil {
				return err
			}
		}
		for _, q := range []struct {
			sql  string
			args []any
		}{
			{`INSERT INTO skillset_members (tenant_id, skillset_id, user_id, priority) VALUES ($1, $2, $3, 1), ($1, $4, $5, 1)`,
				[]any{tenant, w.sales, w.anna, w.support, w.bruno}},
			{`INSERT INTO number_skillsets (tenant_id, number_id, skillset_id, priority) VALUES ($1, $2, $3, 2), ($1, $2, $4, 1)`,
				[]any{tenant, w.number.ID, w.sales, w.support}},
			{`UPDATE users SET capacity = 1 WHERE tenant_id = $1 AND id IN ($2, $3)`, []any{tenant, w.anna, w.bruno}},
			{`INSERT INTO routing_commands (tenant_id, kind) VALUES ($1, 'reload')`, []any{tenant}},
			{`SELECT pg_notify('switchboard_routing', $1)`, []any{tenant}},
		} {
			if _, err := tx.Exec(ctx, q.sql, q.args...); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return w
}

// open starts a conversation of a new customer on the number, as the
// webhook processor does: queued, with the router's arrival command.
func (w *routingWorld) open() string {
	w.t.Helper()
	w.contacts++
	var id string
	err := w.app.DB.Store.InPlatform(w.ctx, func(tx pgx.Tx) error {
		in := storage.Inbound(tx)
		if err := in.Scope(w.ctx, w.number.TenantID); err != nil {
			return err
		}
		contact, err := in.UpsertContact(w.ctx, w.number.TenantID, storage.ContactKey{WaID: fmt.Sprintf("39333000%04d", w.contacts)})
		if err != nil {
			return err
		}
		id, err = in.OpenConversation(w.ctx, w.number.TenantID, w.number.ID, contact)
		return err
	})
	if err != nil {
		w.t.Fatal(err)
	}
	return id
}

// settle waits until the tenant's dispatcher applied every command stored
// so far (presence changes included).
func (w *routingWorld) settle() {
	w.t.Helper()
	within(w.t, "the router to apply every command", func() bool {
		var pending int
		err := w.app.DB.Store.InPlatform(w.ctx, func(tx pgx.Tx) error {
			return tx.QueryRow(w.ctx, `SELECT count(*) FROM routing_commands WHERE tenant_id = $1 AND done_at IS NULL`,
				w.number.TenantID).Scan(&pending)
		})
		return err == nil && pending == 0
	})
}

// call sends a request with tenant A's key (or B's) and checks the answer
// against the document; a body the API accepted (2xx) or refused as
// invalid (400) must be one the document accepts or refuses too.
func (w *routingWorld) call(key, method, path, documented, body string) (int, map[string]any) {
	w.t.Helper()
	c := apiCall{t: w.t, base: w.app.URL, key: key, spec: w.sp, documented: documented}
	code, out := c.do(method, path, strings.NewReader(body), "application/json", nil)
	var parsed any
	if body != "" && json.Unmarshal([]byte(body), &parsed) == nil && (code < 300 || code == http.StatusBadRequest) {
		sch, err := w.sp.requestSchema(documented, method)
		if err != nil {
			w.t.Fatalf("%s %s: %v", method, path, err)
		}
		verr := w.sp.validate(sch, parsed, "$")
		if code < 300 && verr != nil {
			w.t.Fatalf("%s %s accepted %s, which the document refuses: %v", method, path, body, verr)
		}
		if code == http.StatusBadRequest && verr == nil {
			w.t.Fatalf("%s %s refused %s, which the document accepts", method, path, body)
		}
	}
	return code, out
}

func (w *routingWorld) availability(agent, state string) (int, map[string]any) {
	w.t.Helper()
	return w.call(w.keyA, http.MethodPost, "/api/v1/agents/"+agent+"/availability", "/api/v1/agents/{id}/availability",
		`{"state":"`+state+`"}`)
}

func (w *routingWorld) close(key, conv, body string) (int, map[string]any) {
	w.t.Helper()
	return w.call(key, http.MethodPost, "/api/v1/conversations/"+conv+"/close", "/api/v1/conversations/{id}/close", body)
}

func (w *routingWorld) transfer(key, conv, body string) (int, map[string]any) {
	w.t.Helper()
	return w.call(key, http.MethodPost, "/api/v1/conversations/"+conv+"/transfer", "/api/v1/conversations/{id}/transfer", body)
}

func (w *routingWorld) conversation(id string) map[string]any {
	w.t.Helper()
	code, c := w.call(w.keyA, http.MethodGet, "/api/v1/conversations/"+id, "/api/v1/conversations/{id}", "")
	if code != http.StatusOK {
		w.t.Fatalf("GET conversation %s: %d %v", id, code, c)
	}
	return c
}

// heldBy waits until the conversation is assigned to the agent and returns it.
func (w *routingWorld) heldBy(conv, agent string) map[string]any {
	w.t.Helper()
	var c map[string]any
	within(w.t, "conversation "+conv+" to go to "+agent, func() bool {
		c = w.conversation(conv)
		return c["status"] == "assigned" && c["assigned_agent_id"] == agent
	})
	return c
}

func within(t *testing.T, what string, ok func() bool) {
	t.Helper()
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		if ok() {
			return
		}
	}
	t.Fatalf("timed out waiting for %s", what)
}

func assignment(c map[string]any) map[string]any {
	a, _ := c["assignment"].(map[string]any)
	return a
}

func message(body map[string]any) string {
	e, _ := body["error"].(map[string]any)
	s, _ := e["message"].(string)
	return s
}

// TestRoutingAPIAssignsClosesAndTransfers drives the live router through
// the API: an agent becoming available takes the queued conversation, the
// assignment explains itself, closing frees capacity for the next one, and
// transfers go to an agent (past capacity, never to an offline one) or back
// to the queue for a skillset's members.
func TestRoutingAPIAssignsClosesAndTransfers(t *testing.T) {
	t.Parallel()
	w := newRoutingWorld(t, servertest.Options{RunWorkers: true})
	A, B := w.keyA, w.keyB

	// Nobody is available: the conversation waits.
	c1 := w.open()
	w.settle()
	got := w.conversation(c1)
	if got["status"] != "queued" || got["assignment"] != nil || got["assigned_agent_id"] != nil || got["queued_at"] == nil ||
		got["target_skillset_id"] != nil {
		t.Fatalf("queued conversation: %v", got)
	}

	// Anna becomes available and takes it, the only candidate.
	if code, body := w.availability(w.anna, "available"); code != 200 || body["agent_id"] != w.anna || body["state"] != "available" {
		t.Fatalf("availability: %d %v", code, body)
	}
	got = w.heldBy(c1, w.anna)
	if a := assignment(got); a == nil || a["agent_id"] != w.anna || a["kind"] != "assigned" || a["step"] != 0.0 ||
		!strings.Contains(a["reason"].(string), "Anna was the only candidate") || a["at"] == nil {
		t.Fatalf("assignment: %v", got)
	}
	_, list := w.call(A, http.MethodGet, "/api/v1/conversations?status=assigned", "/api/v1/conversations", "")
	if data := list["data"].([]any); len(data) != 1 || assignment(data[0].(map[string]any))["agent_id"] != w.anna {
		t.Fatalf("list of assigned: %v", list)
	}

	// Closing (with no body at all) frees Anna, who takes the next
	// conversation; with Bruno available too, the skillset priority on the
	// number decides (step 3: Sales 2 before Support 1).
	if code, _ := w.availability(w.bruno, "available"); code != 200 {
		t.Fatal("bruno available")
	}
	w.settle()
	code, closed := w.close(A, c1, "")
	if code != 200 || closed["status"] != "closed" || closed["closed_at"] == nil || closed["assignment"] != nil || closed["id"] != c1 ||
		closed["assigned_agent_id"] != w.anna {
		t.Fatalf("close: %d %v", code, closed)
	}
	c2 := w.open()
	got = w.heldBy(c2, w.anna)
	if a := assignment(got); a["step"] != 3.0 || !strings.Contains(a["reason"].(string), "Anna qualifies through Sales (priority 2") ||
		!strings.Contains(a["reason"].(string), "Bruno through Support (priority 1)") {
		t.Fatalf("step 3: %v", a)
	}
	c3 := w.open()
	w.heldBy(c3, w.bruno)
	c4 := w.open() // both at capacity: it waits
	w.settle()
	if got := w.conversation(c4); got["status"] != "queued" {
		t.Fatalf("c4 should wait: %v", got)
	}
	if code, closed := w.close(A, c2, "{}"); code != 200 || closed["status"] != "closed" {
		t.Fatalf("close c2: %d %v", code, closed)
	}
	w.heldBy(c4, w.anna)

	// Closed already, unknown, another tenant's, a body that is not {}.
	if code, body := w.close(A, c1, "{}"); code != 409 || errCode(body) != "conflict" {
		t.Fatalf("close twice: %d %v", code, body)
	}
	if code, body := w.close(A, "00000000-0000-0000-0000-000000000000", ""); code != 404 || errCode(body) != "not_found" {
		t.Fatalf("close unknown: %d %v", code, body)
	}
	if code, _ := w.close(A, "not-an-id", ""); code != 404 {
		t.Fatalf("close malformed id: %d", code)
	}
	if code, _ := w.close(B, c4, ""); code != 404 {
		t.Fatalf("tenant B closing A's conversation: %d", code)
	}
	if code, body := w.close(A, c4, `{"reason":"spam"}`); code != 400 || errCode(body) != "invalid_json" {
		t.Fatalf("close with an unknown field: %d %v", code, body)
	}
	if code, _ := w.close(A, c4, `{} {}`); code != 400 {
		t.Fatalf("close with two objects: %d", code)
	}

	// Transfers: never to an offline agent; to an agent directly, even past
	// capacity; refused for an unknown agent or skillset, a closed or
	// unknown conversation, another tenant's.
	if code, body := w.transfer(A, c4, `{"agent_id":"`+w.carla+`"}`); code != 409 || errCode(body) != "refused" ||
		message(body) != "the agent is offline" {
		t.Fatalf("transfer to offline Carla: %d %v", code, body)
	}
	code, moved := w.transfer(A, c4, `{"agent_id":"`+w.bruno+`"}`)
	if a := assignment(moved); code != 200 || moved["assigned_agent_id"] != w.bruno || a["kind"] != "transferred" || a["step"] != nil {
		t.Fatalf("transfer to Bruno: %d %v", code, moved)
	}
	_, held := w.call(A, http.MethodGet, "/api/v1/conversations?status=assigned", "/api/v1/conversations", "")
	if n := len(held["data"].([]any)); n != 2 { // c3 and c4, both Bruno's, whose capacity is 1
		t.Fatalf("Bruno should hold two: %v", held)
	}
	for _, tc := range []struct {
		key, conv, body, code string
		status                int
	}{
		{A, c4, `{"agent_id":"` + w.bruno + `","skillset_id":"` + w.sales + `"}`, "invalid_parameter", 400},
		{A, c4, `{}`, "invalid_parameter", 400},
		{A, c4, `{"agent":"` + w.bruno + `"}`, "invalid_json", 400},
		{A, c4, `not json`, "invalid_json", 400},
		{A, c4, `{"agent_id":"00000000-0000-0000-0000-000000000000"}`, "unknown_agent", 404},
		{A, c4, `{"agent_id":"` + w.app.F.A.Admin.ID + `"}`, "unknown_agent", 404}, // an administrator
		{A, c4, `{"agent_id":"` + w.app.F.B.Agent.ID + `"}`, "unknown_agent", 404}, // another tenant's agent
		{A, c4, `{"skillset_id":"00000000-0000-0000-0000-000000000000"}`, "refused", 409},
		{A, c1, `{"agent_id":"` + w.bruno + `"}`, "conflict", 409},
		{A, "00000000-0000-0000-0000-000000000000", `{"agent_id":"` + w.bruno + `"}`, "not_found", 404},
		{B, c4, `{"skillset_id":"` + w.sales + `"}`, "not_found", 404},
	} {
		if code, body := w.transfer(tc.key, tc.conv, tc.body); code != tc.status || errCode(body) != tc.code {
			t.Errorf("transfer %s %s: %d %v, want %d %s", tc.conv, tc.body, code, body, tc.status, tc.code)
		}
	}
	if code, body := w.transfer(A, c4, `{"skillset_id":"00000000-0000-0000-0000-000000000000"}`); message(body) != "no such skillset" {
		t.Errorf("unknown skillset: %d %v", code, body)
	}
	if got := w.conversation(c4); got["assigned_agent_id"] != w.bruno {
		t.Fatalf("refused transfers changed the conversation: %v", got)
	}

	// To a skillset: back in the queue for Sales only (Anna is away, and
	// Bruno is not in Sales), then Anna takes it when she is back.
	if code, _ := w.availability(w.anna, "away"); code != 200 {
		t.Fatal("anna away")
	}
	w.settle()
	code, requeued := w.transfer(A, c3, `{"skillset_id":"`+w.sales+`"}`)
	if code != 200 || requeued["status"] != "queued" || requeued["assigned_agent_id"] != nil || requeued["assignment"] != nil ||
		requeued["target_skillset_id"] != w.sales || requeued["queued_at"] == nil {
		t.Fatalf("transfer to Sales: %d %v", code, requeued)
	}
	if code, _ := w.availability(w.anna, "available"); code != 200 {
		t.Fatal("anna available")
	}
	got = w.heldBy(c3, w.anna)
	if a := assignment(got); got["target_skillset_id"] != w.sales || a["kind"] != "assigned" || a["step"] != 0.0 ||
		got["queued_at"] != requeued["queued_at"] {
		t.Fatalf("c3 after the transfer to Sales: %v", got)
	}
	// Every command the API stored names the key that asked.
	var actors []string
	err := w.app.DB.Store.InPlatform(w.ctx, func(tx pgx.Tx) error {
		rows, err := tx.Query(w.ctx, `SELECT DISTINCT actor FROM routing_commands WHERE tenant_id = $1 AND kind IN ('close', 'transfer_agent', 'transfer_skillset')`,
			w.number.TenantID)
		if err != nil {
			return err
		}
		actors, err = pgx.CollectRows(rows, pgx.RowTo[string])
		return err
	})
	if err != nil || len(actors) != 1 || !strings.HasPrefix(actors[0], "api:") {
		t.Fatalf("commands' actors: %v %v", actors, err)
	}
}

// TestAvailabilityAPIIsAHeartbeat: each call refreshes the agent's presence,
// which expires after the TTL without one; unknown agents, non-agents,
// another tenant's agents and bad states are refused.
func TestAvailabilityAPIIsAHeartbeat(t *testing.T) {
	t.Parallel()
	w := newRoutingWorld(t, servertest.Options{PresenceTTL: 2 * time.Second})
	state := func() string {
		s, err := w.app.Routing.Availability(w.ctx, w.number.TenantID, []string{w.anna})
		if err != nil {
			t.Fatal(err)
		}
		return s[w.anna]
	}
	// Calling it again and again keeps Anna there, well past one TTL.
	for end := time.Now().Add(3 * time.Second); time.Now().Before(end); time.Sleep(300 * time.Millisecond) {
		if code, body := w.availability(w.anna, "available"); code != 200 || body["state"] != "available" {
			t.Fatalf("heartbeat: %d %v", code, body)
		}
		if s := state(); s != routing.Available {
			t.Fatalf("present while beating: %s", s)
		}
	}
	within(t, "Anna's presence to expire", func() bool { return state() == routing.Offline })

	if code, _ := w.availability(w.anna, "away"); code != 200 || state() != routing.Away {
		t.Fatal("away")
	}
	if code, body := w.availability(w.anna, "offline"); code != 200 || body["state"] != "offline" || state() != routing.Offline {
		t.Fatalf("offline: %d %v", code, body)
	}
	path, doc := "/api/v1/agents/"+w.anna+"/availability", "/api/v1/agents/{id}/availability"
	for _, tc := range []struct {
		key, path, body, code string
		status                int
	}{
		{w.keyA, path, `{"state":"busy"}`, "invalid_parameter", 400},
		{w.keyA, path, `{}`, "invalid_parameter", 400},
		{w.keyA, path, `{"state":"available","until":"18:00"}`, "invalid_json", 400},
		{w.keyA, path, `available`, "invalid_json", 400},
		{w.keyA, path, ``, "invalid_json", 400},
		{w.keyA, "/api/v1/agents/00000000-0000-0000-0000-000000000000/availability", `{"state":"available"}`, "not_found", 404},
		{w.keyA, "/api/v1/agents/nobody/availability", `{"state":"available"}`, "not_found", 404},
		{w.keyA, "/api/v1/agents/" + w.app.F.A.Admin.ID + "/availability", `{"state":"available"}`, "not_found", 404},
		{w.keyB, path, `{"state":"available"}`, "not_found", 404},
	} {
		if code, body := w.call(tc.key, http.MethodPost, tc.path, doc, tc.body); code != tc.status || errCode(body) != tc.code {
			t.Errorf("%s %s: %d %v, want %d %s", tc.path, tc.body, code, body, tc.status, tc.code)
		}
	}
	if s := state(); s != routing.Offline {
		t.Fatalf("refused calls changed the state: %s", s)
	}
}

// TestRoutingAPIAcceptsWhatTheRouterHasNotApplied: with no dispatcher
// running, a close is stored and answered 202 after the wait; the
// conversation is unchanged until a router applies it.
func TestRoutingAPIAcceptsWhatTheRouterHasNotApplied(t *testing.T) {
	t.Parallel()
	w := newRoutingWorld(t, servertest.Options{})
	c := w.open()
	code, body := w.close(w.keyA, c, "{}")
	if code != 202 || body["status"] != "accepted" || body["message"] != routing.ErrPending.Error() {
		t.Fatalf("close without a router: %d %v", code, body)
	}
	if got := w.conversation(c); got["status"] != "queued" {
		t.Fatalf("applied without a router: %v", got)
	}
}
