package server_test

import (
	"context"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"switchboard/internal/domain"
	"switchboard/internal/routing"
	"switchboard/internal/server/servertest"
	"switchboard/internal/storage"
	"switchboard/internal/storage/storagetest"
)

// An administrator transfers a conversation to an agent, sees the router's
// refusal for an offline one, sends one back to a skillset's queue, and
// closes it; an agent cannot; another tenant's conversation is 404.
func TestAdminTransfersAndClosesConversations(t *testing.T) {
	t.Parallel()
	app := servertest.New(t, servertest.Options{RunWorkers: true, RoutingSweep: 100 * time.Millisecond})
	bg := context.Background()
	st, tenantID := app.DB.Store, app.F.A.ID
	actor := storage.Actor{Email: "test"}
	agent := app.F.A.Agent
	bruno, err := st.CreateUser(bg, actor, domain.User{TenantID: tenantID, Email: "bruno@alpha.test", Name: "Bruno",
		Role: domain.RoleAgent, PasswordHash: "x", Active: true})
	if err != nil {
		t.Fatal(err)
	}
	sales, err := st.CreateSkillset(bg, tenantID, actor, "Sales")
	if err != nil {
		t.Fatal(err)
	}
	if err := st.SetSkillsetMember(bg, tenantID, actor, sales, bruno, 1); err != nil {
		t.Fatal(err)
	}
	var conv string
	err = st.InPlatform(bg, func(tx pgx.Tx) error {
		var number, contact string
		if err := tx.QueryRow(bg, `INSERT INTO numbers (tenant_id, phone_number_id, display_phone, waba_id, access_token_enc)
			VALUES ($1, '5550001', '+39 06 5550001', '1', 'x') RETURNING id`, tenantID).Scan(&number); err != nil {
			return err
		}
		if err := tx.QueryRow(bg, `INSERT INTO contacts (tenant_id, wa_id) VALUES ($1, '393330009') RETURNING id`, tenantID).Scan(&contact); err != nil {
			return err
		}
		conv, err = storage.Inbound(tx).OpenConversation(bg, tenantID, number, contact)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := app.Routing.SetAvailability(bg, tenantID, agent.ID, routing.Available); err != nil {
		t.Fatal(err)
	}
	admin := app.Client(t)
	admin.MustLogin(app.F.A.Admin.Email, storagetest.Password)
	page := admin.Get("/admin/conversations/" + conv)
	if !page.Has(`[data-testid=transfer-form] option[value="agent:`+agent.ID+`"]`) || !page.Has(`option[value="skillset:`+sales+`"]`) {
		t.Fatalf("the transfer form lacks the agent or the skillset:\n%s", page.Body)
	}
	holder := func() (string, string) {
		c, err := st.Conversation(bg, tenantID, conv)
		if err != nil {
			t.Fatal(err)
		}
		return c.AssignedAgentID, c.Status
	}
	// To the available agent.
	r := admin.Post("/admin/conversations/"+conv+"/transfer", url.Values{"target": {"agent:" + agent.ID}})
	if r.Status != 303 {
		t.Fatalf("transfer: %d %s", r.Status, r.Body)
	}
	if a, s := holder(); a != agent.ID || s != "assigned" {
		t.Fatalf("after the transfer: %s %s", a, s)
	}
	// To Bruno, who is offline: refused with the router's reason.
	admin.Post("/admin/conversations/"+conv+"/transfer", url.Values{"target": {"agent:" + bruno}})
	if flash := admin.Get("/admin/conversations/" + conv).Text(`[data-testid=flash]`); !strings.Contains(flash, "offline") {
		t.Fatalf("refusal flash %q", flash)
	}
	// In Italian, the router's reason is Italian too.
	it := app.Client(t)
	it.Header.Set("Accept-Language", "it")
	it.MustLogin(app.F.A.Admin.Email, storagetest.Password)
	it.Get("/admin/conversations/" + conv)
	it.Post("/admin/conversations/"+conv+"/transfer", url.Values{"target": {"agent:" + bruno}})
	if flash := it.Get("/admin/conversations/" + conv).Text(`[data-testid=flash]`); flash != "Non eseguito: l'agente non è disponibile." {
		t.Fatalf("refusal flash in Italian %q", flash)
	}
	// Back to the Sales queue: Bruno is its only member, so it waits.
	admin.Post("/admin/conversations/"+conv+"/transfer", url.Values{"target": {"skillset:" + sales}})
	if a, s := holder(); a != "" || s != "queued" {
		t.Fatalf("after the transfer to Sales: %s %s", a, s)
	}
	// Bad targets change nothing.
	for _, bad := range []string{"", "team:x", "skillset:not-a-uuid", "agent:" + app.F.B.Agent.ID} {
		if r := admin.Post("/admin/conversations/"+conv+"/transfer", url.Values{"target": {bad}}); r.Status != 303 {
			t.Errorf("target %q: %d", bad, r.Status)
		}
		if _, s := holder(); s != "queued" {
			t.Fatalf("target %q changed the conversation to %s", bad, s)
		}
	}
	// An agent may not; another tenant's administrator sees nothing.
	ag := app.Client(t)
	ag.MustLogin(agent.Email, storagetest.Password)
	ag.Get("/agent/") // a page with the session's CSRF token
	if r := ag.Post("/admin/conversations/"+conv+"/close", nil); r.Status != 403 {
		t.Fatalf("agent closing through the admin console: %d", r.Status)
	}
	other := app.Client(t)
	other.MustLogin(app.F.B.Admin.Email, storagetest.Password)
	other.Get("/admin/conversations")
	if r := other.Post("/admin/conversations/"+conv+"/close", nil); r.Status != 404 {
		t.Fatalf("another tenant's admin closing: %d", r.Status)
	}
	// Close.
	admin.Post("/admin/conversations/"+conv+"/close", nil)
	if _, s := holder(); s != "closed" {
		t.Fatalf("after close: %s", s)
	}
	if admin.Get("/admin/conversations/" + conv).Has(`[data-testid=conversation-actions]`) {
		t.Fatal("a closed conversation still offers actions")
	}
}
