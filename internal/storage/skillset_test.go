package storage_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"switchboard/internal/domain"
	"switchboard/internal/storage"
	"switchboard/internal/storage/storagetest"
)

var admin = storage.Actor{Email: "boss@test"}

// configTrail counts a tenant's reload commands and audit entries, so each
// step of a test can say what one change must have left behind.
type configTrail struct {
	t        *testing.T
	db       *storagetest.DB
	tenantID string
	reloads  int
}

func newTrail(t *testing.T, db *storagetest.DB, tenantID string) *configTrail {
	tr := &configTrail{t: t, db: db, tenantID: tenantID}
	tr.reloads = tr.count()
	return tr
}

func (tr *configTrail) count() int {
	tr.t.Helper()
	var n int
	err := tr.db.Store.InTenant(context.Background(), tr.tenantID, func(tx pgx.Tx) error {
		return tx.QueryRow(context.Background(), `SELECT count(*) FROM routing_commands
			WHERE tenant_id = $1 AND kind = 'reload' AND actor = $2`, tr.tenantID, admin.Email).Scan(&n)
	})
	if err != nil {
		tr.t.Fatal(err)
	}
	return n
}

// changed checks that exactly one reload was queued since the last check and
// returns the newest audit entry, which must be action.
func (tr *configTrail) changed(action string) domain.AuditEntry {
	tr.t.Helper()
	if n := tr.count(); n != tr.reloads+1 {
		tr.t.Fatalf("%s: %d reload commands queued, want 1", action, n-tr.reloads)
	}
	tr.reloads++
	entries, err := tr.db.Store.ListAudit(context.Background(), tr.tenantID, 1)
	if err != nil || len(entries) != 1 || entries[0].Action != action || entries[0].ActorEmail != admin.Email {
		tr.t.Fatalf("%s: newest audit entry %+v %v", action, entries, err)
	}
	return entries[0]
}

// unchanged checks that a refused change queued nothing.
func (tr *configTrail) unchanged(what string) {
	tr.t.Helper()
	if n := tr.count(); n != tr.reloads {
		tr.t.Fatalf("%s: a refused change queued %d reload commands", what, n-tr.reloads)
	}
}

func wantField(t *testing.T, what string, err error, field, key string) {
	t.Helper()
	var fe *domain.FieldError
	if !errors.As(err, &fe) || fe.Field != field || fe.Key != key {
		t.Fatalf("%s: got %v, want a FieldError %s: %s", what, err, field, key)
	}
}

func addAgent(t *testing.T, db *storagetest.DB, tenantID, email string) string {
	t.Helper()
	id, err := db.Store.CreateUser(context.Background(), admin, domain.User{TenantID: tenantID, Email: email, Name: strings.Split(email, "@")[0],
		Role: domain.RoleAgent, PasswordHash: "x"})
	if err != nil {
		t.Fatal(err)
	}
	return id
}

func addNumber(t *testing.T, db *storagetest.DB, tenantID, pnid, display string) string {
	t.Helper()
	var id string
	err := db.Store.InPlatform(context.Background(), func(tx pgx.Tx) error {
		return tx.QueryRow(context.Background(), `INSERT INTO numbers (tenant_id, phone_number_id, display_phone, waba_id, access_token_enc)
			VALUES ($1, $2, $3, '1', 'x') RETURNING id`, tenantID, pnid, display).Scan(&id)
	})
	if err != nil {
		t.Fatal(err)
	}
	return id
}

func TestSkillsetNamesAndRenames(t *testing.T) {
	t.Parallel()
	db := storagetest.NewDB(t)
	f := storagetest.Seed(t, db)
	ctx := context.Background()
	tr := newTrail(t, db, f.A.ID)

	id, err := db.Store.CreateSkillset(ctx, f.A.ID, admin, "  Sales ")
	if err != nil || !domain.ValidID(id) {
		t.Fatalf("create: %q %v", id, err)
	}
	if e := tr.changed("skillset.create"); e.Target != "Sales" {
		t.Fatalf("audit target %q", e.Target)
	}
	for _, bad := range []struct{ name, key string }{
		{"SALES", "routing.skillset_taken"},
		{"   ", "form.required"},
		{strings.Repeat("x", 101), "form.too_long"},
		{"Sales\nTeam", "routing.name_invalid"},
	} {
		_, err := db.Store.CreateSkillset(ctx, f.A.ID, admin, bad.name)
		wantField(t, "create "+bad.name, err, "name", bad.key)
	}
	tr.unchanged("refused creations")
	// 100 characters is the limit, whatever their bytes.
	if _, err := db.Store.CreateSkillset(ctx, f.A.ID, admin, strings.Repeat("è", 100)); err != nil {
		t.Fatalf("100 characters: %v", err)
	}
	tr.changed("skillset.create")
	// Another tenant may use the same name, and does not see ours.
	if _, err := db.Store.CreateSkillset(ctx, f.B.ID, admin, "Sales"); err != nil {
		t.Fatalf("same name in B: %v", err)
	}
	if _, err := db.Store.SkillsetByName(ctx, f.B.ID, "nope"); !errors.Is(err, storage.ErrNotFound) {
		t.Fatalf("unknown name: %v", err)
	}
	ss, err := db.Store.SkillsetByName(ctx, f.A.ID, " sAlEs ")
	if err != nil || ss.ID != id || ss.Name != "Sales" {
		t.Fatalf("by name: %+v %v", ss, err)
	}
	if err := db.Store.RenameSkillset(ctx, f.B.ID, admin, id, "Theirs"); !errors.Is(err, storage.ErrNotFound) {
		t.Fatalf("rename from another tenant: %v", err)
	}

	if err := db.Store.RenameSkillset(ctx, f.A.ID, admin, id, "Vendite"); err != nil {
		t.Fatal(err)
	}
	e := tr.changed("skillset.rename")
	if e.Target != "Vendite" || e.Detail["before"].(map[string]any)["name"] != "Sales" {
		t.Fatalf("rename audit: %+v", e)
	}
	if _, err := db.Store.CreateSkillset(ctx, f.A.ID, admin, "Support"); err != nil {
		t.Fatal(err)
	}
	tr.changed("skillset.create")
	wantField(t, "rename to a taken name", db.Store.RenameSkillset(ctx, f.A.ID, admin, id, "support"), "name", "routing.skillset_taken")
	wantField(t, "rename a bad id", db.Store.RenameSkillset(ctx, f.A.ID, admin, "Sales", "X"), "skillset", "routing.id_invalid")
	tr.unchanged("refused renames")
	// A rename that only changes the case is allowed.
	if err := db.Store.RenameSkillset(ctx, f.A.ID, admin, id, "VENDITE"); err != nil {
		t.Fatalf("case-only rename: %v", err)
	}
	tr.changed("skillset.rename")

	list, err := db.Store.ListSkillsets(ctx, f.A.ID)
	if err != nil || len(list) != 3 || list[0].Name != "Support" || list[1].Name != "VENDITE" || list[2].Name != strings.Repeat("è", 100) {
		t.Fatalf("list: %+v %v", list, err)
	}
}

func TestSkillsetMembers(t *testing.T) {
	t.Parallel()
	db := storagetest.NewDB(t)
	f := storagetest.Seed(t, db)
	ctx := context.Background()
	sales, err := db.Store.CreateSkillset(ctx, f.A.ID, admin, "Sales")
	if err != nil {
		t.Fatal(err)
	}
	tr := newTrail(t, db, f.A.ID)
	bruno := addAgent(t, db, f.A.ID, "bruno@alpha.test")

	if err := db.Store.SetSkillsetMember(ctx, f.A.ID, admin, sales, f.A.Agent.ID, 1); err != nil {
		t.Fatal(err)
	}
	if e := tr.changed("skillset.member_set"); e.Target != "Sales" || e.Detail["agent"] != f.A.Agent.Email || e.Detail["before"] != nil {
		t.Fatalf("member audit: %+v", e)
	}
	if err := db.Store.SetSkillsetMember(ctx, f.A.ID, admin, sales, bruno, -3); err != nil {
		t.Fatal(err)
	}
	tr.changed("skillset.member_set")
	// The same member again changes its priority.
	if err := db.Store.SetSkillsetMember(ctx, f.A.ID, admin, sales, f.A.Agent.ID, 7); err != nil {
		t.Fatal(err)
	}
	e := tr.changed("skillset.member_set")
	if e.Detail["before"].(map[string]any)["priority"] != float64(1) || e.Detail["after"].(map[string]any)["priority"] != float64(7) {
		t.Fatalf("priority change audit: %+v", e.Detail)
	}

	// Refusals: an administrator, a deactivated agent, another tenant's
	// agent, priorities out of range, ids that are not ids.
	if err := db.Store.InPlatform(ctx, func(tx pgx.Tx) error {
		_, err := tx.Exec(ctx, `UPDATE users SET active = false WHERE id = $1`, bruno)
		return err
	}); err != nil {
		t.Fatal(err)
	}
	wantField(t, "administrator", db.Store.SetSkillsetMember(ctx, f.A.ID, admin, sales, f.A.Admin.ID, 0), "agent", "routing.not_agent")
	wantField(t, "deactivated", db.Store.SetSkillsetMember(ctx, f.A.ID, admin, sales, bruno, 0), "agent", "routing.agent_inactive")
	wantField(t, "other tenant", db.Store.SetSkillsetMember(ctx, f.A.ID, admin, sales, f.B.Agent.ID, 0), "agent", "routing.not_agent")
	wantField(t, "priority", db.Store.SetSkillsetMember(ctx, f.A.ID, admin, sales, f.A.Agent.ID, 1001), "priority", "routing.priority_range")
	wantField(t, "priority", db.Store.SetSkillsetMember(ctx, f.A.ID, admin, sales, f.A.Agent.ID, -1001), "priority", "routing.priority_range")
	wantField(t, "bad agent id", db.Store.SetSkillsetMember(ctx, f.A.ID, admin, sales, "anna", 0), "agent", "routing.id_invalid")
	wantField(t, "bad skillset id", db.Store.SetSkillsetMember(ctx, f.A.ID, admin, strings.ToUpper(sales), f.A.Agent.ID, 0), "skillset", "routing.id_invalid")
	if err := db.Store.SetSkillsetMember(ctx, f.B.ID, admin, sales, f.B.Agent.ID, 0); !errors.Is(err, storage.ErrNotFound) {
		t.Fatalf("another tenant's skillset: %v", err)
	}
	tr.unchanged("refused members")

	list, err := db.Store.ListSkillsets(ctx, f.A.ID)
	if err != nil || len(list) != 1 || len(list[0].Members) != 2 {
		t.Fatalf("list: %+v %v", list, err)
	}
	m := list[0].Members
	if m[0].UserID != f.A.Agent.ID || m[0].Priority != 7 || !m[0].Routed || m[0].Email != f.A.Agent.Email ||
		m[1].UserID != bruno || m[1].Priority != -3 || m[1].Routed {
		t.Fatalf("members (priority first; a deactivated one is kept, not routed): %+v", m)
	}
	agents, err := db.Store.ListRoutingAgents(ctx, f.A.ID)
	if err != nil || len(agents) != 2 || agents[0].Email != f.A.Agent.Email || agents[1].Active ||
		len(agents[0].Skillsets) != 1 || agents[0].Skillsets[0].Name != "Sales" || agents[0].Skillsets[0].Priority != 7 {
		t.Fatalf("agents: %+v %v", agents, err)
	}

	if err := db.Store.RemoveSkillsetMember(ctx, f.A.ID, admin, sales, bruno); err != nil {
		t.Fatal(err)
	}
	if e := tr.changed("skillset.member_remove"); e.Detail["agent"] != "bruno@alpha.test" {
		t.Fatalf("remove audit: %+v", e)
	}
	if err := db.Store.RemoveSkillsetMember(ctx, f.A.ID, admin, sales, bruno); !errors.Is(err, storage.ErrNotFound) {
		t.Fatalf("remove twice: %v", err)
	}
	tr.unchanged("removing a non-member")
}

func TestNumberLinksAndSkillsetDeletion(t *testing.T) {
	t.Parallel()
	db := storagetest.NewDB(t)
	f := storagetest.Seed(t, db)
	ctx := context.Background()
	n1 := addNumber(t, db, f.A.ID, "1001", "+39 02 1111")
	n2 := addNumber(t, db, f.A.ID, "1002", "+39 02 2222")
	nb := addNumber(t, db, f.B.ID, "2001", "+1 555 0100")
	sales, _ := db.Store.CreateSkillset(ctx, f.A.ID, admin, "Sales")
	support, _ := db.Store.CreateSkillset(ctx, f.A.ID, admin, "Support")
	if err := db.Store.SetSkillsetMember(ctx, f.A.ID, admin, sales, f.A.Agent.ID, 1); err != nil {
		t.Fatal(err)
	}
	tr := newTrail(t, db, f.A.ID)

	for _, l := range []struct {
		number, skillset string
		prio             int
	}{{n1, sales, 2}, {n1, support, 1}, {n2, sales, 0}} {
		if err := db.Store.LinkNumberSkillset(ctx, f.A.ID, admin, l.number, l.skillset, l.prio); err != nil {
			t.Fatal(err)
		}
		tr.changed("skillset.number_link")
	}
	// Linking again changes the priority.
	if err := db.Store.LinkNumberSkillset(ctx, f.A.ID, admin, n2, sales, 5); err != nil {
		t.Fatal(err)
	}
	if e := tr.changed("skillset.number_link"); e.Detail["number"] != "+39 02 2222" ||
		e.Detail["before"].(map[string]any)["priority"] != float64(0) || e.Detail["after"].(map[string]any)["priority"] != float64(5) {
		t.Fatalf("link audit: %+v", e)
	}
	wantField(t, "priority", db.Store.LinkNumberSkillset(ctx, f.A.ID, admin, n1, sales, 5000), "priority", "routing.priority_range")
	wantField(t, "bad number id", db.Store.LinkNumberSkillset(ctx, f.A.ID, admin, "+39 02 1111", sales, 0), "number", "routing.id_invalid")
	if err := db.Store.LinkNumberSkillset(ctx, f.A.ID, admin, nb, sales, 0); !errors.Is(err, storage.ErrNotFound) {
		t.Fatalf("another tenant's number: %v", err)
	}
	tr.unchanged("refused links")

	list, err := db.Store.ListSkillsets(ctx, f.A.ID)
	if err != nil || len(list) != 2 || len(list[0].Numbers) != 2 || len(list[1].Numbers) != 1 {
		t.Fatalf("list: %+v %v", list, err)
	}
	if n := list[0].Numbers; n[0].NumberID != n2 || n[0].Priority != 5 || n[0].PhoneNumberID != "1002" || n[1].DisplayPhone != "+39 02 1111" || n[1].Priority != 2 {
		t.Fatalf("Sales numbers (priority first): %+v", n)
	}
	// The router reads the same configuration.
	st, err := db.Store.LoadRouting(ctx, f.A.ID)
	if err != nil {
		t.Fatal(err)
	}
	seen := false
	for _, n := range st.Config.Numbers {
		if n.ID == n1 {
			seen = true
			if len(n.Skillsets) != 2 || n.Skillsets[0].Skillset != sales || n.Skillsets[0].Priority != 2 || n.Skillsets[1].Skillset != support {
				t.Fatalf("the router's view of N1: %+v", n)
			}
		}
	}
	for _, ss := range st.Config.Skillsets {
		if ss.ID == sales && (len(ss.Members) != 1 || ss.Members[0].Agent != f.A.Agent.ID || ss.Members[0].Priority != 1) {
			t.Fatalf("the router's view of Sales: %+v", ss)
		}
	}
	if !seen {
		t.Fatalf("the router does not see N1: %+v", st.Config.Numbers)
	}

	// A linked skillset cannot be deleted; the error names its numbers.
	err = db.Store.DeleteSkillset(ctx, f.A.ID, admin, sales)
	var inUse *storage.SkillsetInUseError
	if !errors.As(err, &inUse) || inUse.Skillset != "Sales" || strings.Join(inUse.Numbers, "|") != "+39 02 1111|+39 02 2222" ||
		!strings.Contains(err.Error(), "+39 02 1111, +39 02 2222") {
		t.Fatalf("delete a linked skillset: %v", err)
	}
	tr.unchanged("refused deletion")

	for _, n := range []string{n1, n2} {
		if err := db.Store.UnlinkNumberSkillset(ctx, f.A.ID, admin, n, sales); err != nil {
			t.Fatal(err)
		}
		tr.changed("skillset.number_unlink")
	}
	if err := db.Store.UnlinkNumberSkillset(ctx, f.A.ID, admin, n1, sales); !errors.Is(err, storage.ErrNotFound) {
		t.Fatalf("unlink twice: %v", err)
	}
	if err := db.Store.DeleteSkillset(ctx, f.B.ID, admin, sales); !errors.Is(err, storage.ErrNotFound) {
		t.Fatalf("delete from another tenant: %v", err)
	}
	tr.unchanged("refused unlink and deletion")
	if err := db.Store.DeleteSkillset(ctx, f.A.ID, admin, sales); err != nil {
		t.Fatal(err)
	}
	if e := tr.changed("skillset.delete"); e.Target != "Sales" || e.Detail["members"] != float64(1) {
		t.Fatalf("delete audit: %+v", e)
	}
	agents, _ := db.Store.ListRoutingAgents(ctx, f.A.ID)
	if len(agents) != 1 || len(agents[0].Skillsets) != 0 {
		t.Fatalf("memberships outlived their skillset: %+v", agents)
	}
	if err := db.Store.DeleteSkillset(ctx, f.A.ID, admin, sales); !errors.Is(err, storage.ErrNotFound) {
		t.Fatalf("delete twice: %v", err)
	}
}

func TestCapacitySettingsAndContactPriority(t *testing.T) {
	t.Parallel()
	db := storagetest.NewDB(t)
	f := storagetest.Seed(t, db)
	ctx := context.Background()
	tr := newTrail(t, db, f.A.ID)
	trB := newTrail(t, db, f.B.ID)

	three := 3
	if err := db.Store.SetAgentCapacity(ctx, f.A.ID, admin, f.A.Agent.ID, &three); err != nil {
		t.Fatal(err)
	}
	if e := tr.changed("routing.agent_capacity"); e.Target != f.A.Agent.Email || e.Detail["before"].(map[string]any)["capacity"] != nil ||
		e.Detail["after"].(map[string]any)["capacity"] != float64(3) {
		t.Fatalf("capacity audit: %+v", e)
	}
	agents, _ := db.Store.ListRoutingAgents(ctx, f.A.ID)
	if len(agents) != 1 || agents[0].Capacity == nil || *agents[0].Capacity != 3 {
		t.Fatalf("capacity: %+v", agents)
	}
	if err := db.Store.SetAgentCapacity(ctx, f.A.ID, admin, f.A.Agent.ID, nil); err != nil {
		t.Fatal(err)
	}
	tr.changed("routing.agent_capacity")
	if agents, _ := db.Store.ListRoutingAgents(ctx, f.A.ID); agents[0].Capacity != nil {
		t.Fatalf("back to the default: %+v", agents[0])
	}
	for _, c := range []int{-1, 1001} {
		wantField(t, "capacity", db.Store.SetAgentCapacity(ctx, f.A.ID, admin, f.A.Agent.ID, &c), "capacity", "routing.capacity_range")
	}
	wantField(t, "administrator", db.Store.SetAgentCapacity(ctx, f.A.ID, admin, f.A.Admin.ID, &three), "agent", "routing.not_agent")
	wantField(t, "other tenant", db.Store.SetAgentCapacity(ctx, f.A.ID, admin, f.B.Agent.ID, &three), "agent", "routing.not_agent")
	tr.unchanged("refused capacities")

	st, err := db.Store.TenantRoutingSettings(ctx, f.A.ID)
	if err != nil || st != (storage.RoutingSettings{DefaultCapacity: 3, RequeueOnOffline: true, RequeueGrace: time.Minute}) {
		t.Fatalf("defaults: %+v %v", st, err)
	}
	if err := db.Store.SetRoutingSettings(ctx, f.A.ID, admin, 5, false, 0); err != nil {
		t.Fatal(err)
	}
	e := tr.changed("routing.settings")
	if e.Target != "alpha" || e.TenantID != f.A.ID || e.Detail["after"].(map[string]any)["requeue_on_offline"] != false ||
		e.Detail["before"].(map[string]any)["default_capacity"] != float64(3) {
		t.Fatalf("settings audit: %+v", e)
	}
	if st, _ := db.Store.TenantRoutingSettings(ctx, f.A.ID); st != (storage.RoutingSettings{DefaultCapacity: 5}) {
		t.Fatalf("after: %+v", st)
	}
	if st, _ := db.Store.TenantRoutingSettings(ctx, f.B.ID); st.DefaultCapacity != 3 || !st.RequeueOnOffline {
		t.Fatalf("B changed too: %+v", st)
	}
	wantField(t, "default capacity", db.Store.SetRoutingSettings(ctx, f.A.ID, admin, 1001, true, 60), "default_capacity", "routing.capacity_range")
	wantField(t, "grace", db.Store.SetRoutingSettings(ctx, f.A.ID, admin, 3, true, 86401), "grace", "routing.grace_range")
	wantField(t, "grace", db.Store.SetRoutingSettings(ctx, f.A.ID, admin, 3, true, -1), "grace", "routing.grace_range")
	tr.unchanged("refused settings")
	trB.unchanged("A's settings")
	if err := db.Store.SetRoutingSettings(ctx, f.A.ID, admin, 0, true, 86400); err != nil {
		t.Fatalf("the limits themselves: %v", err)
	}
	tr.changed("routing.settings")

	var contact, contactB string
	if err := db.Store.InPlatform(ctx, func(tx pgx.Tx) error {
		if err := tx.QueryRow(ctx, `INSERT INTO contacts (tenant_id, wa_id, phone) VALUES ($1, '393331112222', '+393331112222') RETURNING id`,
			f.A.ID).Scan(&contact); err != nil {
			return err
		}
		return tx.QueryRow(ctx, `INSERT INTO contacts (tenant_id, wa_id) VALUES ($1, '15550001') RETURNING id`, f.B.ID).Scan(&contactB)
	}); err != nil {
		t.Fatal(err)
	}
	if err := db.Store.SetContactPriority(ctx, f.A.ID, admin, contact, 3); err != nil {
		t.Fatal(err)
	}
	if e := tr.changed("routing.contact_priority"); e.Target != "+393331112222" || e.Detail["after"].(map[string]any)["priority"] != float64(3) {
		t.Fatalf("contact audit: %+v", e)
	}
	if c, _ := db.Store.Contact(ctx, f.A.ID, contact); c.Priority != 3 {
		t.Fatalf("contact priority %d", c.Priority)
	}
	wantField(t, "priority", db.Store.SetContactPriority(ctx, f.A.ID, admin, contact, 1001), "priority", "routing.priority_range")
	wantField(t, "bad id", db.Store.SetContactPriority(ctx, f.A.ID, admin, "+393331112222", 1), "contact", "routing.id_invalid")
	if err := db.Store.SetContactPriority(ctx, f.A.ID, admin, contactB, 1); !errors.Is(err, storage.ErrNotFound) {
		t.Fatalf("another tenant's contact: %v", err)
	}
	tr.unchanged("refused priorities")
	trB.unchanged("A's contact priority")
}
