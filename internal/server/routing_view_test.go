package server_test

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/PuerkitoBio/goquery"
	"github.com/jackc/pgx/v5"

	"switchboard/internal/routing"
	"switchboard/internal/server/servertest"
	"switchboard/internal/storage"
	"switchboard/internal/storage/storagetest"
)

// rvTenant writes a tenant's routing configuration and conversations as
// plain rows, as the routing tests do (the configuration commands are not
// what these pages test).
type rvTenant struct {
	t        *testing.T
	app      *servertest.App
	tenantID string
	seq      int
}

func newRVTenant(t *testing.T, app *servertest.App, tenantID string) *rvTenant {
	return &rvTenant{t: t, app: app, tenantID: tenantID}
}

func (e *rvTenant) id(sql string, args ...any) string {
	e.t.Helper()
	var id string
	err := e.app.DB.Store.InPlatform(context.Background(), func(tx pgx.Tx) error {
		return tx.QueryRow(context.Background(), sql, args...).Scan(&id)
	})
	if err != nil {
		e.t.Fatalf("%s: %v", sql, err)
	}
	return id
}

func (e *rvTenant) exec(sql string, args ...any) {
	e.t.Helper()
	err := e.app.DB.Store.InPlatform(context.Background(), func(tx pgx.Tx) error {
		_, err := tx.Exec(context.Background(), sql, args...)
		return err
	})
	if err != nil {
		e.t.Fatalf("%s: %v", sql, err)
	}
}

func (e *rvTenant) next() int { e.seq++; return e.seq }

func (e *rvTenant) agent(name string, capacity int, last *time.Time) string {
	return e.id(`INSERT INTO users (tenant_id, email, name, role, password_hash, capacity, last_assigned_at)
		VALUES ($1, $2, $3, 'agent', 'x', $4, $5) RETURNING id`, e.tenantID, fmt.Sprintf("%s-%d@routing.test", strings.ToLower(name), e.next()),
		name, capacity, last)
}

func (e *rvTenant) skillset(name string) string {
	return e.id(`INSERT INTO skillsets (tenant_id, name) VALUES ($1, $2) RETURNING id`, e.tenantID, name)
}

func (e *rvTenant) member(skillset, agent string, priority int) {
	e.exec(`INSERT INTO skillset_members (tenant_id, skillset_id, user_id, priority) VALUES ($1, $2, $3, $4)`, e.tenantID, skillset, agent, priority)
}

func (e *rvTenant) number(display string) string {
	return e.id(`INSERT INTO numbers (tenant_id, phone_number_id, display_phone, waba_id, access_token_enc)
		VALUES ($1, $2, $3, '1', 'x') RETURNING id`, e.tenantID, fmt.Sprintf("88%08d", e.next()), display)
}

func (e *rvTenant) link(number, skillset string, priority int) {
	e.exec(`INSERT INTO number_skillsets (tenant_id, number_id, skillset_id, priority) VALUES ($1, $2, $3, $4)`, e.tenantID, number, skillset, priority)
}

func (e *rvTenant) contact(name string, priority int) string {
	return e.id(`INSERT INTO contacts (tenant_id, wa_id, name, phone, priority) VALUES ($1, $2, $3, '+' || $2, $4) RETURNING id`,
		e.tenantID, fmt.Sprintf("39333%07d", e.next()), name, priority)
}

// waiting inserts a conversation that waits in the queue since queuedAt,
// restricted to a skillset unless target is "".
func (e *rvTenant) waiting(number, contact string, queuedAt time.Time, target string) string {
	var t any
	if target != "" {
		t = target
	}
	return e.id(`INSERT INTO conversations (tenant_id, number_id, contact_id, status, queued_at, target_skillset_id)
		VALUES ($1, $2, $3, 'queued', $4, $5) RETURNING id`, e.tenantID, number, contact, queuedAt, t)
}

// arrive opens a conversation as the webhook processor does: queued, and
// the router is told.
func (e *rvTenant) arrive(number, contact string) string {
	e.t.Helper()
	ctx := context.Background()
	var conv string
	err := e.app.DB.Store.InPlatform(ctx, func(tx pgx.Tx) error {
		var err error
		conv, err = storage.Inbound(tx).OpenConversation(ctx, e.tenantID, number, contact)
		return err
	})
	if err != nil {
		e.t.Fatal(err)
	}
	return conv
}

func (e *rvTenant) message(conv, direction, kind, text string, at time.Time) {
	e.exec(`INSERT INTO messages (tenant_id, conversation_id, wamid, direction, type, text, wa_timestamp)
		VALUES ($1, $2, $3, $4, $5, $6, $7)`, e.tenantID, conv, fmt.Sprintf("wamid.rv%d", e.next()), direction, kind, text, at)
}

// reload tells the dispatcher the configuration changed, as the
// configuration commands do.
func (e *rvTenant) reload() {
	e.exec(`INSERT INTO routing_commands (tenant_id, kind) VALUES ($1, 'reload')`, e.tenantID)
	e.exec(`SELECT pg_notify($1, $2)`, storage.RoutingChannel, e.tenantID)
}

func (e *rvTenant) presence(agent, state string) {
	e.t.Helper()
	if _, err := e.app.Routing.Presence.Set(context.Background(), e.tenantID, agent, state); err != nil {
		e.t.Fatal(err)
	}
}

func (e *rvTenant) holder(conv string) string {
	var agent string
	err := e.app.DB.Store.InPlatform(context.Background(), func(tx pgx.Tx) error {
		return tx.QueryRow(context.Background(), `SELECT CASE WHEN status = 'assigned' THEN assigned_agent_id::text ELSE '' END
			FROM conversations WHERE id = $1`, conv).Scan(&agent)
	})
	if err != nil {
		e.t.Fatal(err)
	}
	return agent
}

func (e *rvTenant) waitHolder(conv, want string) {
	e.t.Helper()
	for deadline := time.Now().Add(10 * time.Second); e.holder(conv) != want; time.Sleep(20 * time.Millisecond) {
		if time.Now().After(deadline) {
			e.t.Fatalf("conversation %s is held by %q, want %q\n%s", conv, e.holder(conv), want, e.app.Logs.String())
		}
	}
}

// attrs returns an attribute of every element matching sel, in order.
func attrs(r *servertest.Response, sel, attr string) []string {
	return attrsIn(r.Doc.Selection, sel, attr)
}

func attrsIn(in *goquery.Selection, sel, attr string) []string {
	var out []string
	in.Find(sel).Each(func(_ int, s *goquery.Selection) {
		v, _ := s.Attr(attr)
		out = append(out, v)
	})
	return out
}

// cells is the text of a row's cells from the index from on, the empty
// ones left out.
func cells(row *goquery.Selection, from int) string {
	var out []string
	row.Find("td").Each(func(i int, s *goquery.Selection) {
		if t := strings.Join(strings.Fields(s.Text()), " "); i >= from && t != "" {
			out = append(out, t)
		}
	})
	return strings.Join(out, " ")
}

func cellText(s *goquery.Selection, sel string) string {
	return strings.Join(strings.Fields(s.Find(sel).First().Text()), " ")
}

// TestRoutingLiveViewShowsQueuesInQueueOrderAndAgents: the queue of each
// number in routing.md's order (contact priority, then arrival, then id),
// with position, contact, priority, waiting time and restriction; each
// agent's presence, load against capacity and skillsets; the same part
// alone at /admin/routing/live; in both languages; for administrators of
// the tenant only.
func TestRoutingLiveViewShowsQueuesInQueueOrderAndAgents(t *testing.T) {
	t.Parallel()
	app := servertest.New(t)
	a := newRVTenant(t, app, app.F.A.ID)
	anna, bruno, carla := a.agent("Anna", 2, nil), a.agent("Bruno", 2, nil), a.agent("Carla", 4, nil)
	sales, support := a.skillset("Sales"), a.skillset("Support")
	a.member(sales, anna, 1)
	a.member(sales, bruno, 3)
	a.member(support, carla, 5)
	n1, n2 := a.number("+39 06 1111"), a.number("+39 06 2222")
	a.link(n1, sales, 2)
	a.link(n1, support, 1)
	now := time.Now()
	// n1's queue: c3 (priority 3) first although it came last, then by
	// arrival c4 (restricted to Support), c1, c2.
	c1 := a.waiting(n1, a.contact("Uno", 0), now.Add(-4*time.Minute), "")
	c2 := a.waiting(n1, a.contact("", 0), now.Add(-3*time.Minute), "")
	c3 := a.waiting(n1, a.contact("Tre", 3), now.Add(-30*time.Second), "")
	c4 := a.waiting(n1, a.contact("Quattro", 0), now.Add(-2*time.Hour), support)
	// Anna holds one; closed and bot conversations are in no queue.
	a.exec(`INSERT INTO conversations (tenant_id, number_id, contact_id, status, assigned_agent_id) VALUES ($1, $2, $3, 'assigned', $4)`,
		app.F.A.ID, n2, a.contact("Held", 0), anna)
	a.exec(`INSERT INTO conversations (tenant_id, number_id, contact_id, status) VALUES ($1, $2, $3, 'closed')`, app.F.A.ID, n2, a.contact("Done", 0))
	a.presence(anna, routing.Available)
	a.presence(bruno, routing.Away)

	admin := app.Client(t)
	admin.MustLogin(app.F.A.Admin.Email, storagetest.Password)
	r := admin.Get("/admin/routing")
	if r.Status != http.StatusOK {
		t.Fatalf("routing page: %d\n%s", r.Status, app.Logs.String())
	}
	if got := r.Text("[data-testid=nav-routing]"); got != "Routing" {
		t.Errorf("navigation says %q", got)
	}
	src, _ := r.Doc.Find(`script[type=module]`).Attr("src")
	if !strings.HasPrefix(src, "/static/routing-live.js?v=") {
		t.Errorf("the live script is %q", src)
	}
	if js := admin.Get(src); js.Status != http.StatusOK || !strings.Contains(js.Header.Get("Content-Type"), "javascript") ||
		!strings.Contains(js.Body, "visibilitychange") {
		t.Errorf("the script is served as %d %s", js.Status, js.Header.Get("Content-Type"))
	}
	if url, _ := r.Doc.Find(`#routing-live`).Attr("data-live-url"); url != "/admin/routing/live" {
		t.Errorf("the live box fetches %q", url)
	}

	check := func(r *servertest.Response) {
		t.Helper()
		q1 := r.Doc.Find(`[data-testid=queue][data-number-id="` + n1 + `"]`)
		order := attrsIn(q1, "[data-testid=queued]", "data-conversation-id")
		if want := []string{c3, c4, c1, c2}; strings.Join(order, ",") != strings.Join(want, ",") {
			t.Errorf("n1's queue is %v, want %v", order, want)
		}
		if got := cellText(q1, "[data-testid=queue-count]"); got != "4 waiting" {
			t.Errorf("n1 count %q", got)
		}
		if got := cellText(q1, "p.hint"); got != "Served by: Sales (priority 2), Support (priority 1)" {
			t.Errorf("n1 served by %q", got)
		}
		rows := q1.Find("[data-testid=queued]")
		first, second, last := rows.Eq(0), rows.Eq(1), rows.Eq(3)
		if cellText(first, "[data-testid=queued-position]") != "1" || cellText(first, "[data-testid=queued-contact]") != "Tre" ||
			cellText(first, "[data-testid=queued-priority]") != "3" || cellText(first, "[data-testid=queued-skillset]") != "Any skillset of the number" {
			t.Errorf("first in queue: %q", cellText(first, "*"))
		}
		if w := cellText(first, "[data-testid=queued-waiting]"); !strings.HasSuffix(w, " s") {
			t.Errorf("c3 waited %q", w)
		}
		if cellText(second, "[data-testid=queued-skillset]") != "Support" || !strings.HasPrefix(cellText(second, "[data-testid=queued-waiting]"), "2 h 0") {
			t.Errorf("second in queue: %q", cellText(second, "*"))
		}
		if got := cellText(last, "[data-testid=queued-contact]"); !strings.HasPrefix(got, "+39333") {
			t.Errorf("a contact without a name shows as %q", got)
		}
		if got := cellText(last, "[data-testid=queued-waiting]"); !strings.HasPrefix(got, "3 min ") {
			t.Errorf("c2 waited %q", got)
		}
		q2 := r.Doc.Find(`[data-testid=queue][data-number-id="` + n2 + `"]`)
		if q2.Find("[data-testid=queued]").Length() != 0 || !strings.Contains(q2.Text(), "No skillset serves this number") {
			t.Errorf("n2: %q", strings.Join(strings.Fields(q2.Text()), " "))
		}
		agent := func(id string) *goquery.Selection {
			return r.Doc.Find(`[data-testid=agent-row][data-agent-id="` + id + `"]`)
		}
		for id, want := range map[string][3]string{
			anna:  {"Available", "1 / 2", "Sales (priority 1)"},
			bruno: {"Away", "0 / 2", "Sales (priority 3)"},
			carla: {"Offline", "0 / 4", "Support (priority 5)"},
		} {
			row := agent(id)
			got := [3]string{cellText(row, "[data-testid=agent-state]"), cellText(row, "[data-testid=agent-load]"), cellText(row, "td:last-child")}
			if got != want {
				t.Errorf("agent %s: %q, want %q", cellText(row, "td"), got, want)
			}
		}
		// The fixture's agent is there too, with the tenant's default capacity.
		if got := cellText(agent(app.F.A.Agent.ID), "[data-testid=agent-load]"); got != "0 / 3" {
			t.Errorf("the fixture agent's load %q", got)
		}
	}
	check(r)
	live := admin.Get("/admin/routing/live")
	if live.Status != http.StatusOK || strings.Contains(live.Body, "<html") || strings.Contains(live.Body, "<script") {
		t.Fatalf("the live part: %d, a whole page: %v", live.Status, strings.Contains(live.Body, "<html"))
	}
	check(live)

	// In Italian.
	it := app.Client(t)
	it.Header.Set("Accept-Language", "it")
	it.MustLogin(app.F.A.Admin.Email, storagetest.Password)
	ri := it.Get("/admin/routing")
	if got := ri.Text("[data-testid=nav-routing]"); got != "Instradamento" {
		t.Errorf("Italian navigation says %q", got)
	}
	if got := ri.Text(`[data-agent-id="` + bruno + `"] [data-testid=agent-state]`); got != "Assente" {
		t.Errorf("Bruno's state in Italian: %q", got)
	}
	if got := ri.Text(`[data-conversation-id="` + c4 + `"] [data-testid=queued-skillset]`); got != "Support" {
		t.Errorf("c4's restriction in Italian: %q", got)
	}
	if got := ri.Text(`[data-testid=queue-count]`); got != "4 in attesa" {
		t.Errorf("count in Italian: %q", got)
	}

	// Another tenant's administrator sees only its own (nothing).
	other := app.Client(t)
	other.MustLogin(app.F.B.Admin.Email, storagetest.Password)
	for _, path := range []string{"/admin/routing", "/admin/routing/live"} {
		rb := other.Get(path)
		if rb.Status != http.StatusOK || rb.Has("[data-testid=queued]") || rb.Has("[data-testid=queue]") ||
			strings.Contains(rb.Body, "Anna") || strings.Contains(rb.Body, c3) {
			t.Errorf("tenant B on %s: %d, sees A: %v", path, rb.Status, rb.Has("[data-testid=queued]"))
		}
	}

	// Agents may not look; without a session the page asks to sign in.
	agent := app.Client(t)
	agent.MustLogin(app.F.A.Agent.Email, storagetest.Password)
	for _, path := range []string{"/admin/routing", "/admin/routing/live"} {
		if r := agent.Get(path); r.Status != http.StatusForbidden {
			t.Errorf("agent on %s: %d", path, r.Status)
		}
	}
	if r := app.Client(t).Get("/admin/routing/live"); r.Status != http.StatusSeeOther || !strings.HasPrefix(r.Location, "/login") {
		t.Errorf("anonymous on the live part: %d %s", r.Status, r.Location)
	}
}

// TestAdminConversationShowsWhyItsAgentHasIt: the router assigns as
// routing.md says; the conversation page explains the current assignment in
// the reader's language, lists the routing history (assigned, transferred,
// closed) and the messages; the list filters by status, newest first;
// another tenant's conversation is 404 and agents get 403.
func TestAdminConversationShowsWhyItsAgentHasIt(t *testing.T) {
	t.Parallel()
	app := servertest.New(t, servertest.Options{RunWorkers: true})
	ctx := context.Background()
	a := newRVTenant(t, app, app.F.A.ID)
	ten := time.Date(2026, 1, 1, 10, 0, 0, 0, time.UTC)
	nine := ten.Add(-time.Hour)
	anna, bruno := a.agent("Anna", 2, &ten), a.agent("Bruno", 2, &nine)
	sales := a.skillset("Sales")
	a.member(sales, anna, 1)
	a.member(sales, bruno, 1)
	n1 := a.number("+39 06 1111")
	a.link(n1, sales, 2)
	a.reload()
	for _, ag := range []string{anna, bruno} {
		if err := app.Routing.SetAvailability(ctx, app.F.A.ID, ag, routing.Available); err != nil {
			t.Fatal(err)
		}
	}
	c1 := a.arrive(n1, a.contact("Giulia", 0))
	a.waitHolder(c1, bruno) // E1: step 6
	c2 := a.arrive(n1, a.contact("Marco", 2))
	a.waitHolder(c2, anna) // E2: step 5
	a.message(c2, "inbound", "text", "Buongiorno, il mio ordine?", time.Now().Add(-time.Minute))
	a.message(c2, "inbound", "image", "", time.Now().Add(-30*time.Second))
	a.message(c2, "outbound", "text", "Arriva domani.", time.Now())

	admin := app.Client(t)
	admin.MustLogin(app.F.A.Admin.Email, storagetest.Password)
	r := admin.Get("/admin/conversations/" + c2)
	if r.Status != http.StatusOK {
		t.Fatalf("conversation page: %d", r.Status)
	}
	if got := r.Text("[data-testid=assignment-explanation]"); got != "Step 5: Anna had 0 conversations, Bruno 1" {
		t.Errorf("explanation %q", got)
	}
	if got := r.Text("[data-testid=agent]"); got != "Anna" {
		t.Errorf("agent %q", got)
	}
	if got := r.Text("[data-testid=contact-priority]"); got != "2" {
		t.Errorf("contact priority %q", got)
	}
	if got := r.Text("[data-testid=number]"); got != "+39 06 1111" {
		t.Errorf("number %q", got)
	}
	if got := cellText(r.Doc.Selection, "[data-testid=contact]"); !strings.HasPrefix(got, "Marco · +39333") {
		t.Errorf("contact %q", got)
	}
	var bodies []string
	r.Doc.Find("[data-testid=message-body]").Each(func(_ int, s *goquery.Selection) {
		bodies = append(bodies, strings.Join(strings.Fields(s.Text()), " "))
	})
	if strings.Join(bodies, "|") != "Buongiorno, il mio ordine?|image|Arriva domani." {
		t.Errorf("messages %q", bodies)
	}
	c1Page := admin.Get("/admin/conversations/" + c1)
	if got := c1Page.Text("[data-testid=assignment-explanation]"); got != "Step 6: Bruno last assigned 09:00 UTC, Anna 10:00 UTC" {
		t.Errorf("c1's explanation %q", got)
	}

	it := app.Client(t)
	it.Header.Set("Accept-Language", "it")
	it.MustLogin(app.F.A.Admin.Email, storagetest.Password)
	if got := it.Get("/admin/conversations/" + c2).Text("[data-testid=assignment-explanation]"); got != "Passo 5: Anna aveva 0 conversazioni, Bruno 1" {
		t.Errorf("Italian explanation %q", got)
	}

	// Bruno's conversation closes; Anna's goes to Bruno by hand.
	if err := app.Routing.Close(ctx, app.F.A.ID, c1, "test"); err != nil {
		t.Fatal(err)
	}
	if err := app.Routing.TransferToAgent(ctx, app.F.A.ID, c2, bruno, "test"); err != nil {
		t.Fatal(err)
	}
	r = admin.Get("/admin/conversations/" + c2)
	if got := r.Text("[data-testid=agent]"); got != "Bruno" {
		t.Errorf("after the transfer the agent is %q", got)
	}
	if got := r.Text("[data-testid=assignment-explanation]"); got != "Transferred to this agent directly." {
		t.Errorf("after the transfer the explanation is %q", got)
	}
	history := func(r *servertest.Response) []string {
		var out []string
		r.Doc.Find("[data-testid=routing-event]").Each(func(_ int, s *goquery.Selection) {
			out = append(out, cells(s, 1))
		})
		return out
	}
	if got, want := history(r), []string{
		"Assigned Anna — Step 5: Anna had 0 conversations, Bruno 1",
		"Transferred Bruno Anna",
	}; strings.Join(got, "|") != strings.Join(want, "|") {
		t.Errorf("c2's history:\n%q\nwant\n%q", got, want)
	}
	if got := history(admin.Get("/admin/conversations/" + c1)); len(got) != 2 || got[1] != "Closed — Bruno" {
		t.Errorf("c1's history: %q", got)
	}

	// The list: newest first, filtered by status, linking to the pages.
	list := admin.Get("/admin/conversations")
	if got := attrs(list, "[data-testid=conversation-row]", "data-conversation-id"); strings.Join(got, ",") != c2+","+c1 {
		t.Errorf("list %v, want c2, c1", got)
	}
	if got := list.Text("[data-testid=nav-conversations]"); got != "Conversations" {
		t.Errorf("navigation says %q", got)
	}
	closed := admin.Get("/admin/conversations?status=closed")
	if got := attrs(closed, "[data-testid=conversation-row]", "data-conversation-id"); strings.Join(got, ",") != c1 {
		t.Errorf("closed ones %v", got)
	}
	if href, _ := closed.Doc.Find("[data-testid=conversation-row] a").Attr("href"); href != "/admin/conversations/"+c1 {
		t.Errorf("the row links to %q", href)
	}
	if !closed.Has("[data-testid=filter-closed].active") {
		t.Error("the closed filter is not marked")
	}
	if got := attrs(admin.Get("/admin/conversations?status=nonsense"), "[data-testid=conversation-row]", "data-conversation-id"); len(got) != 2 {
		t.Errorf("an unknown status lists %v", got)
	}

	// Another tenant: 404 on the page, nothing in its list.
	other := app.Client(t)
	other.MustLogin(app.F.B.Admin.Email, storagetest.Password)
	if r := other.Get("/admin/conversations/" + c2); r.Status != http.StatusNotFound || strings.Contains(r.Body, "Marco") {
		t.Errorf("tenant B on A's conversation: %d", r.Status)
	}
	if r := other.Get("/admin/conversations"); r.Status != http.StatusOK || r.Has("[data-testid=conversation-row]") {
		t.Errorf("tenant B's list: %d with %d rows", r.Status, r.Doc.Find("[data-testid=conversation-row]").Length())
	}
	for _, id := range []string{"not-an-id", "00000000-0000-4000-8000-000000000000"} {
		if r := admin.Get("/admin/conversations/" + id); r.Status != http.StatusNotFound {
			t.Errorf("conversation %s: %d", id, r.Status)
		}
	}

	// Agents may not look.
	agent := app.Client(t)
	agent.MustLogin(app.F.A.Agent.Email, storagetest.Password)
	for _, path := range []string{"/admin/conversations", "/admin/conversations/" + c2} {
		if r := agent.Get(path); r.Status != http.StatusForbidden {
			t.Errorf("agent on %s: %d", path, r.Status)
		}
	}
}
