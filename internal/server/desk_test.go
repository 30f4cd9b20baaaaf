package server_test

import (
	"context"
	"encoding/json"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/PuerkitoBio/goquery"
	"github.com/jackc/pgx/v5"

	"switchboard/internal/domain"
	"switchboard/internal/routing"
	"switchboard/internal/server/servertest"
	"switchboard/internal/storage"
	"switchboard/internal/storage/storagetest"
	"switchboard/internal/tenant"
)

// deskAnswer decodes a desk action's JSON answer.
func deskAnswer(t *testing.T, r *servertest.Response) map[string]any {
	t.Helper()
	var v map[string]any
	if err := json.Unmarshal([]byte(r.Body), &v); err != nil {
		t.Fatalf("answer %d is not JSON: %s", r.Status, r.Body)
	}
	return v
}

// TestDeskHandlers walks the agent's tools through HTTP: canned replies
// (validated, per owner, the tenant's managed by the administrator and
// audited), notes (validated, CSRF, only by the holder), close (an outcome
// required when the tenant has some, one of them) and transfer (refusals in
// words, the note kept only when the transfer went through); the next holder
// sees the notes, the administrator the outcome and the notes.
func TestDeskHandlers(t *testing.T) {
	t.Parallel()
	app := servertest.New(t, servertest.Options{RunWorkers: true, RoutingSweep: 100 * time.Millisecond})
	bg := context.Background()
	st, tenantID, anna := app.DB.Store, app.F.A.ID, app.F.A.Agent
	actor := storage.Actor{Email: "test"}
	bruno, err := app.Tenants.CreateUser(bg, actor, tenant.NewUserInput{TenantID: tenantID, Email: "bruno@alpha.test", Name: "Bruno",
		Password: storagetest.Password, Role: domain.RoleAgent})
	if err != nil {
		t.Fatal(err)
	}
	sales, err := st.CreateSkillset(bg, tenantID, actor, "Sales")
	if err != nil {
		t.Fatal(err)
	}
	var conv string
	err = st.InPlatform(bg, func(tx pgx.Tx) error {
		var number, contact string
		if err := tx.QueryRow(bg, `INSERT INTO numbers (tenant_id, phone_number_id, display_phone, waba_id, access_token_enc)
			VALUES ($1, '5550002', '+39 06 5550002', '1', 'x') RETURNING id`, tenantID).Scan(&number); err != nil {
			return err
		}
		if err := tx.QueryRow(bg, `INSERT INTO contacts (tenant_id, wa_id, name) VALUES ($1, '393330010', 'Marta') RETURNING id`, tenantID).Scan(&contact); err != nil {
			return err
		}
		conv, err = storage.Inbound(tx).OpenConversation(bg, tenantID, number, contact)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := app.Routing.SetAvailability(bg, tenantID, anna.ID, routing.Available); err != nil {
		t.Fatal(err)
	}
	if err := app.Routing.TransferToAgent(bg, tenantID, conv, anna.ID, "test"); err != nil {
		t.Fatal(err)
	}
	base := "/agent/conversations/" + conv

	a := app.Client(t)
	a.MustLogin(anna.Email, storagetest.Password)
	page := a.Get(base)
	if page.Status != 200 || !page.Has(`#conversation-actions #desk-actions`) || !page.Has(`#conversation-side [data-testid=notes] [data-testid=note-form]`) ||
		!strings.Contains(page.Body, "desk.js") {
		t.Fatalf("the conversation page lacks the desk tools: %d\n%s", page.Status, page.Body)
	}
	bar := a.Get(base + "/desk")
	if !bar.Has(`[data-testid=close-form]`) || bar.Has(`[data-testid=close-outcome]`) ||
		!bar.Has(`[data-testid=transfer-target] option[value="agent:`+bruno+`"][data-state=offline]`) ||
		!bar.Has(`option[value="skillset:`+sales+`"]`) || bar.Has(`option[value="agent:`+anna.ID+`"]`) {
		t.Fatalf("actions bar: %s", bar.Body)
	}

	// Canned replies: the agent's own page, validated.
	a.Get("/agent/canned")
	r := a.Post("/agent/canned", url.Values{"shortcut": {"Not Valid!"}, "body": {"x"}})
	if r.Status != 422 || !r.Has(`[data-testid=error-shortcut]`) {
		t.Fatalf("invalid shortcut: %d %s", r.Status, r.Text(`[data-testid=error-shortcut]`))
	}
	r = a.Post("/agent/canned", url.Values{"shortcut": {"hi"}, "body": {""}})
	if r.Status != 422 || !r.Has(`[data-testid=error-body]`) {
		t.Fatalf("empty text: %d", r.Status)
	}
	if r = a.Post("/agent/canned", url.Values{"shortcut": {"hi"}, "body": {"Ciao {{contact_name}}, come posso aiutarla?"}}); r.Status != 303 {
		t.Fatalf("add canned: %d %s", r.Status, r.Body)
	}
	a.Get("/agent/canned")
	if r = a.Post("/agent/canned", url.Values{"shortcut": {"hi"}, "body": {"again"}}); r.Status != 422 || !r.Has(`[data-testid=error-shortcut]`) {
		t.Fatalf("a shortcut twice: %d", r.Status)
	}
	if r = a.PostRaw("/agent/canned", url.Values{"shortcut": {"nocsrf"}, "body": {"x"}}); r.Status != 403 {
		t.Fatalf("canned without CSRF: %d", r.Status)
	}

	// The administrator's shared replies and outcomes, audited.
	admin := app.Client(t)
	admin.MustLogin(app.F.A.Admin.Email, storagetest.Password)
	admin.Get("/admin/settings/desk")
	if r = admin.Post("/admin/settings/desk/canned", url.Values{"shortcut": {"bye"}, "body": {"Arrivederci {{contact_name}}!"}}); r.Status != 303 {
		t.Fatalf("shared canned: %d %s", r.Status, r.Body)
	}
	if r = admin.Post("/admin/settings/desk/outcomes", url.Values{"name": {"Sale"}}); r.Status != 303 {
		t.Fatalf("outcome: %d", r.Status)
	}
	admin.Get("/admin/settings/desk")
	if r = admin.Post("/admin/settings/desk/outcomes", url.Values{"name": {"sale"}}); r.Status != 422 || !r.Has(`[data-testid=error-name]`) {
		t.Fatalf("an outcome twice: %d", r.Status)
	}
	if r = admin.Post("/admin/settings/desk/outcomes", url.Values{"name": {"No answer"}}); r.Status != 303 {
		t.Fatalf("outcome: %d", r.Status)
	}
	settings := admin.Get("/admin/settings/desk")
	if settings.Doc.Find(`[data-testid=outcome-row]`).Length() != 2 || !settings.Has(`[data-testid=canned-row][data-shortcut=bye]`) {
		t.Fatalf("settings page: %s", settings.Body)
	}
	audit, _ := st.ListAudit(bg, tenantID, 10)
	actions := map[string]bool{}
	for _, e := range audit {
		actions[e.Action+" "+e.Target] = true
	}
	if !actions["canned.create bye"] || !actions["outcome.create Sale"] || !actions["outcome.create No answer"] || actions["canned.create hi"] {
		t.Fatalf("audit: %v", actions)
	}
	// An agent cannot reach the settings, nor touch a shared reply.
	if r = a.Get("/admin/settings/desk"); r.Status != 403 {
		t.Fatalf("agent on the desk settings: %d", r.Status)
	}
	shared, _ := st.ListCanned(bg, tenantID, "")
	a.Get("/agent/canned")
	if r = a.Post("/agent/canned/"+shared[0].ID+"/delete", url.Values{}); r.Status != 404 {
		t.Fatalf("agent deleting a shared reply: %d", r.Status)
	}

	// What the composer inserts: both, the contact's name filled in.
	r = a.Get(base + "/canned")
	var items []struct{ Shortcut, Text string }
	if err := json.Unmarshal([]byte(r.Body), &items); err != nil || len(items) != 2 ||
		items[0].Text != "Arrivederci Marta!" || items[1].Text != "Ciao Marta, come posso aiutarla?" {
		t.Fatalf("canned for the composer: %s %v", r.Body, err)
	}

	// Notes: validated, CSRF, then kept.
	a.Get(base)
	if r = a.Post(base+"/notes", url.Values{"body": {"   "}}); r.Status != 400 || deskAnswer(t, r)["error"] == "" {
		t.Fatalf("empty note: %d %s", r.Status, r.Body)
	}
	if r = a.Post(base+"/notes", url.Values{"body": {strings.Repeat("n", 4097)}}); r.Status != 400 {
		t.Fatalf("long note: %d", r.Status)
	}
	if r = a.PostRaw(base+"/notes", url.Values{"body": {"forged"}}); r.Status != 403 {
		t.Fatalf("note without CSRF: %d", r.Status)
	}
	if r = a.Post(base+"/notes", url.Values{"body": {"Wants the blue model"}}); r.Status != 200 {
		t.Fatalf("note: %d %s", r.Status, r.Body)
	}
	if notes, _ := st.ListNotes(bg, tenantID, conv); len(notes) != 1 {
		t.Fatalf("notes stored: %+v", notes)
	}

	// Not hers: Bruno, and tenant B's agent.
	b := app.Client(t)
	b.MustLogin("bruno@alpha.test", storagetest.Password)
	b.Get("/agent/")
	for _, path := range []string{"/notes", "/close", "/transfer"} {
		if r = b.Post(base+path, url.Values{"body": {"x"}, "outcome": {"Sale"}, "target": {"agent:" + bruno}}); r.Status != 403 {
			t.Fatalf("Bruno posting %s: %d %s", path, r.Status, r.Body)
		}
	}
	if r = b.Get(base + "/notes"); r.Status != 403 {
		t.Fatalf("Bruno reading the notes: %d", r.Status)
	}
	other := app.Client(t)
	other.MustLogin(app.F.B.Agent.Email, storagetest.Password)
	other.Get("/agent/")
	if r = other.Post(base+"/notes", url.Values{"body": {"x"}}); r.Status != 404 {
		t.Fatalf("tenant B's agent: %d", r.Status)
	}

	// Close: the outcome is required, and must be the tenant's.
	a.Get(base)
	if r = a.Post(base+"/close", url.Values{}); r.Status != 400 || !strings.Contains(deskAnswer(t, r)["error"].(string), "outcome") {
		t.Fatalf("close without outcome: %d %s", r.Status, r.Body)
	}
	if r = a.Post(base+"/close", url.Values{"outcome": {"Won the lottery"}}); r.Status != 400 {
		t.Fatalf("close with an unknown outcome: %d", r.Status)
	}

	// Transfer: to herself, to nobody, to Bruno while offline (refused in
	// words, the note not kept), then to Bruno available.
	if r = a.Post(base+"/transfer", url.Values{"target": {"agent:" + anna.ID}}); r.Status != 400 {
		t.Fatalf("transfer to herself: %d", r.Status)
	}
	if r = a.Post(base+"/transfer", url.Values{"target": {""}}); r.Status != 400 {
		t.Fatalf("transfer to nobody: %d", r.Status)
	}
	r = a.Post(base+"/transfer", url.Values{"target": {"agent:" + bruno}, "note": {"not kept"}})
	if r.Status != 409 || !strings.Contains(deskAnswer(t, r)["error"].(string), "offline") {
		t.Fatalf("transfer to offline Bruno: %d %s", r.Status, r.Body)
	}
	if notes, _ := st.ListNotes(bg, tenantID, conv); len(notes) != 1 {
		t.Fatalf("a refused transfer kept its note: %+v", notes)
	}
	if err := app.Routing.SetAvailability(bg, tenantID, bruno, routing.Available); err != nil {
		t.Fatal(err)
	}
	if r = a.Post(base+"/transfer", url.Values{"target": {"agent:" + bruno}, "note": {"VIP: call back before 6"}}); r.Status != 200 {
		t.Fatalf("transfer: %d %s", r.Status, r.Body)
	}
	if c, _ := st.Conversation(bg, tenantID, conv); c.AssignedAgentID != bruno {
		t.Fatalf("after the transfer the holder is %s", c.AssignedAgentID)
	}
	if r = a.Get(base + "/desk"); r.Status != 403 {
		t.Fatalf("Anna's actions after the transfer: %d", r.Status)
	}

	// Bruno sees both notes and closes it with an outcome.
	notes := b.Get(base + "/notes")
	var bodies []string
	notes.Doc.Find(`[data-testid=note-body]`).Each(func(_ int, s *goquery.Selection) { bodies = append(bodies, s.Text()) })
	if strings.Join(bodies, "|") != "Wants the blue model|VIP: call back before 6" || notes.Text(`[data-testid=note-author]`) != anna.Name {
		t.Fatalf("Bruno's notes: %q\n%s", bodies, notes.Body)
	}
	b.Get(base)
	if r = b.Post(base+"/close", url.Values{"outcome": {"Sale"}}); r.Status != 200 {
		t.Fatalf("close: %d %s", r.Status, r.Body)
	}
	if c, _ := st.Conversation(bg, tenantID, conv); c.Status != "closed" || c.CloseOutcome != "Sale" {
		t.Fatalf("closed as %s with %q", c.Status, c.CloseOutcome)
	}

	// The administrator sees the outcome and the notes, and adds one.
	view := admin.Get("/admin/conversations/" + conv)
	if view.Text(`[data-testid=close-outcome]`) != "Sale" || view.Doc.Find(`[data-testid=notes] [data-testid=note]`).Length() != 2 {
		t.Fatalf("admin view: %s", view.Body)
	}
	if r = admin.Post("/admin/conversations/"+conv+"/notes", url.Values{"body": {"Checked."}}); r.Status != 303 {
		t.Fatalf("admin note: %d", r.Status)
	}
	if n, _ := st.ListNotes(bg, tenantID, conv); len(n) != 3 || n[2].AuthorID != app.F.A.Admin.ID {
		t.Fatalf("admin's note: %+v", n)
	}
	if r = admin.PostRaw("/admin/conversations/"+conv+"/notes", url.Values{"body": {"forged"}}); r.Status != 403 {
		t.Fatalf("admin note without CSRF: %d", r.Status)
	}
}
