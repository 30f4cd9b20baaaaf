package app

import (
	"context"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"

	"switchboard/internal/storage"
	"switchboard/internal/storage/storagetest"
)

// routingTenant makes tenant acme on the Business plan with an
// administrator, three agents, two numbers and one contact.
func routingTenant(t *testing.T) (*cli, *storagetest.DB, string) {
	t.Helper()
	c, db := newCLI(t)
	steps := []struct {
		stdin string
		args  []string
	}{
		{"acme-admin-password\n", []string{"tenant", "create", "--name", "Acme", "--slug", "acme", "--admin-email", "boss@acme.test", "--plan", "Business"}},
		{"agent-password-12\n", []string{"user", "create", "--tenant", "acme", "--email", "anna@acme.test", "--name", "Anna", "--role", "agent"}},
		{"agent-password-12\n", []string{"user", "create", "--tenant", "acme", "--email", "bruno@acme.test", "--name", "Bruno", "--role", "agent"}},
		{"agent-password-12\n", []string{"user", "create", "--tenant", "acme", "--email", "carla@acme.test", "--role", "agent"}},
		{"EAAG-token-1\n", []string{"number", "add", "--tenant", "acme", "--phone-number-id", "1001", "--display-phone", "+39 02 1111 1111", "--waba-id", "1"}},
		{"EAAG-token-2\n", []string{"number", "add", "--tenant", "acme", "--phone-number-id", "1002", "--display-phone", "+39 02 2222 2222", "--waba-id", "1"}},
	}
	for _, s := range steps {
		if code, _, errs := c.run(s.stdin, s.args...); code != 0 {
			t.Fatalf("%v: %d %s", s.args, code, errs)
		}
	}
	tn, err := db.Store.TenantBySlug(context.Background(), "acme")
	if err != nil {
		t.Fatal(err)
	}
	if err := db.Store.InPlatform(context.Background(), func(tx pgx.Tx) error {
		_, err := tx.Exec(context.Background(), `INSERT INTO contacts (tenant_id, wa_id, phone) VALUES ($1, '393331112222', '+393331112222')`, tn.ID)
		return err
	}); err != nil {
		t.Fatal(err)
	}
	return c, db, tn.ID
}

// reloads counts the reload commands the CLI queued for the tenant.
func reloads(t *testing.T, db *storagetest.DB, tenantID string) int {
	t.Helper()
	var n int
	if err := db.Store.InTenant(context.Background(), tenantID, func(tx pgx.Tx) error {
		return tx.QueryRow(context.Background(), `SELECT count(*) FROM routing_commands WHERE tenant_id = $1 AND kind = 'reload' AND actor = 'cli'`,
			tenantID).Scan(&n)
	}); err != nil {
		t.Fatal(err)
	}
	return n
}

func TestRoutingConfigurationSession(t *testing.T) {
	t.Parallel()
	c, db, tenantID := routingTenant(t)
	ctx := context.Background()
	changes := 0
	ok := func(want string, args ...string) string {
		t.Helper()
		code, out, errs := c.run("", args...)
		if code != 0 || !strings.Contains(out, want) || errs != "" {
			t.Fatalf("%v: %d %q %q, want %q", args, code, out, errs, want)
		}
		return out
	}
	change := func(want string, args ...string) string {
		t.Helper()
		out := ok(want, args...)
		changes++
		if n := reloads(t, db, tenantID); n != changes {
			t.Fatalf("%v: %d reload commands after %d changes", args, n, changes)
		}
		return out
	}

	// The spec's base setup: N1 links Sales (2) and Support (1); Sales =
	// {Anna 1, Bruno 1}, Support = {Carla 5}; capacity 2 for everyone.
	if out := ok("no skillsets in tenant acme", "skillset", "list", "--tenant", "acme"); !strings.Contains(out, "no skillset serves +39 02 1111 1111, +39 02 2222 2222") {
		t.Fatalf("empty list: %q", out)
	}
	out := change("", "skillset", "create", "--tenant", "acme", "--name", "Sales")
	if !uuidLine.MatchString(out) {
		t.Fatalf("create prints the id: %q", out)
	}
	change("", "skillset", "create", "--tenant", "acme", "--name", "Support")
	change(`anna@acme.test is in "Sales" with priority 1`, "skillset", "member", "--tenant", "acme", "--skillset", "sales", "--agent", "Anna@Acme.test", "--priority", "1")
	change(`bruno@acme.test is in "Sales" with priority 1`, "skillset", "member", "--tenant", "acme", "--skillset", "Sales", "--agent", "bruno@acme.test", "--priority", "1")
	change(`carla@acme.test is in "Support" with priority 5`, "skillset", "member", "--tenant", "acme", "--skillset", "Support", "--agent", "carla@acme.test", "--priority", "5")
	change(`"Sales" serves +39 02 1111 1111 with priority 2`, "skillset", "link", "--tenant", "acme", "--skillset", "Sales", "--number", "+390211111111", "--priority", "2")
	change(`"Support" serves +39 02 1111 1111 with priority 1`, "skillset", "link", "--tenant", "acme", "--skillset", "Support", "--phone-number-id", "1001", "--priority", "1")
	change(`"Support" serves +39 02 2222 2222 with priority 0`, "skillset", "link", "--tenant", "acme", "--skillset", "Support", "--number", "+39 02 2222 2222")
	for _, a := range []string{"anna@acme.test", "bruno@acme.test", "carla@acme.test"} {
		change(a+": capacity 2", "agent", "capacity", "--tenant", "acme", "--agent", a, "--capacity", "2")
	}
	want := `Sales
  agent   anna@acme.test     priority 1
  agent   bruno@acme.test    priority 1
  number  +39 02 1111 1111   priority 2
Support
  agent   carla@acme.test    priority 5
  number  +39 02 1111 1111   priority 1
  number  +39 02 2222 2222   priority 0
`
	if out := ok("", "skillset", "list", "--tenant", "acme"); out != want {
		t.Fatalf("list:\n%s\nwant:\n%s", out, want)
	}

	// Capacity back to the default, and the tenant's routing options.
	change("bruno@acme.test: capacity 3 (the tenant's default)", "agent", "capacity", "--tenant", "acme", "--agent", "bruno@acme.test", "--capacity", "default")
	out = ok("", "agent", "list", "--tenant", "acme")
	for _, line := range []string{
		"AGENT            NAME   STATUS  CAPACITY     SKILLSETS\n",
		"anna@acme.test   Anna   active  2            Sales (1)\n",
		"bruno@acme.test  Bruno  active  3 (default)  Sales (1)\n",
		"carla@acme.test  -      active  2            Support (5)\n",
	} {
		if !strings.Contains(out, line) {
			t.Fatalf("agent list lacks %q:\n%s", line, out)
		}
	}
	if out := ok("", "tenant", "routing", "--tenant", "acme"); out != "default-capacity    3\nrequeue-on-offline  true\ngrace               60s\n" {
		t.Fatalf("tenant routing: %q", out)
	}
	if reloads(t, db, tenantID) != changes {
		t.Fatal("printing the settings queued a reload")
	}
	out = change("", "tenant", "routing", "--tenant", "acme", "--default-capacity", "4", "--requeue-on-offline=false", "--grace", "2m")
	if out != "default-capacity    4\nrequeue-on-offline  false\ngrace               120s\n" {
		t.Fatalf("tenant routing after a change: %q", out)
	}
	out = change("", "tenant", "routing", "--tenant", "acme", "--grace", "90")
	if out != "default-capacity    4\nrequeue-on-offline  false\ngrace               90s\n" {
		t.Fatalf("a change keeps the other options: %q", out)
	}
	change("+393331112222: priority 3", "contact", "priority", "--tenant", "acme", "--phone", "+39 333 111 2222", "--priority", "3")
	if cs, err := db.Store.ListContacts(ctx, tenantID, "393331112222", storage.Page{Limit: 1}); err != nil || len(cs) != 1 || cs[0].Priority != 3 {
		t.Fatalf("contact: %+v %v", cs, err)
	}

	// Rename, and a deletion refused while numbers link the skillset.
	change(`skillset "Support" is now "Assistenza"`, "skillset", "rename", "--tenant", "acme", "--skillset", "support", "--name", "Assistenza")
	code, _, errs := c.run("", "skillset", "delete", "--tenant", "acme", "--skillset", "Assistenza")
	if code != 1 || errs != "switchboard skillset delete: skillset \"Assistenza\" serves +39 02 1111 1111, +39 02 2222 2222: unlink it from these numbers first\n" {
		t.Fatalf("delete a linked skillset: %d %q", code, errs)
	}
	change(`"Assistenza" no longer serves +39 02 1111 1111`, "skillset", "unlink", "--tenant", "acme", "--skillset", "Assistenza", "--phone-number-id", "1001")
	change(`"Assistenza" no longer serves +39 02 2222 2222`, "skillset", "unlink", "--tenant", "acme", "--skillset", "Assistenza", "--number", "+39 02 2222 2222")
	change(`skillset "Assistenza" deleted`, "skillset", "delete", "--tenant", "acme", "--skillset", "Assistenza")
	change(`bruno@acme.test is no longer in "Sales"`, "skillset", "unmember", "--tenant", "acme", "--skillset", "Sales", "--agent", "bruno@acme.test")
	out = ok("", "skillset", "list", "--tenant", "acme")
	if want := "Sales\n  agent   anna@acme.test     priority 1\n  number  +39 02 1111 1111   priority 2\nno skillset serves +39 02 2222 2222: conversations there wait in the queue\n"; out != want {
		t.Fatalf("final list:\n%s\nwant:\n%s", out, want)
	}
	if out := ok("", "agent", "list", "--tenant", "acme"); !strings.Contains(out, "none: takes no conversations") {
		t.Fatalf("an agent in no skillset: %q", out)
	}

	entries, err := db.Store.ListAudit(ctx, tenantID, 100)
	if err != nil {
		t.Fatal(err)
	}
	audited := 0
	for _, e := range entries {
		if e.ActorEmail == "cli" && (strings.HasPrefix(e.Action, "skillset.") || strings.HasPrefix(e.Action, "routing.")) {
			audited++
		}
	}
	if audited != changes {
		t.Fatalf("%d audit entries for %d changes", audited, changes)
	}
}

func TestRoutingConfigurationErrors(t *testing.T) {
	t.Parallel()
	c, db, tenantID := routingTenant(t)
	for _, args := range [][]string{
		{"skillset", "create", "--tenant", "acme", "--name", "Sales"},
		{"skillset", "member", "--tenant", "acme", "--skillset", "Sales", "--agent", "anna@acme.test"},
		{"skillset", "link", "--tenant", "acme", "--skillset", "Sales", "--phone-number-id", "1001"},
	} {
		if code, _, errs := c.run("", args...); code != 0 {
			t.Fatalf("%v: %s", args, errs)
		}
	}
	before := reloads(t, db, tenantID)
	bad := []struct {
		code int
		want string
		args []string
	}{
		{2, `switchboard skillset member: --skillset: no skillset named "Nope" in tenant acme`, []string{"skillset", "member", "--tenant", "acme", "--skillset", "Nope", "--agent", "anna@acme.test"}},
		{2, "switchboard skillset member: --agent: no user zoe@acme.test in tenant acme", []string{"skillset", "member", "--tenant", "acme", "--skillset", "Sales", "--agent", "zoe@acme.test"}},
		{2, "--agent: Only agents take conversations", []string{"skillset", "member", "--tenant", "acme", "--skillset", "Sales", "--agent", "boss@acme.test"}},
		{2, "--priority: Enter a whole number from -1000 to 1000", []string{"skillset", "member", "--tenant", "acme", "--skillset", "Sales", "--agent", "anna@acme.test", "--priority", "5000"}},
		{2, "--priority", []string{"skillset", "member", "--tenant", "acme", "--skillset", "Sales", "--agent", "anna@acme.test", "--priority", "high"}},
		{2, "--name: Another skillset already has this name.", []string{"skillset", "create", "--tenant", "acme", "--name", "SALES"}},
		{2, "--name is required", []string{"skillset", "create", "--tenant", "acme"}},
		{2, "--name: This is too long.", []string{"skillset", "create", "--tenant", "acme", "--name", strings.Repeat("x", 101)}},
		{2, "--tenant is required", []string{"skillset", "list"}},
		{2, `--tenant: no tenant with slug "nope"`, []string{"skillset", "list", "--tenant", "nope"}},
		{2, `unexpected argument "extra"`, []string{"skillset", "list", "--tenant", "acme", "extra"}},
		{2, `switchboard skillset: unknown action "destroy" (expected: create, rename, delete, list, member, unmember, link, unlink)`, []string{"skillset", "destroy"}},
		{2, "--number: no number +39 02 9999 in tenant acme", []string{"skillset", "link", "--tenant", "acme", "--skillset", "Sales", "--number", "+39 02 9999"}},
		{2, "--phone-number-id: no number with phone number id 42 in tenant acme", []string{"skillset", "link", "--tenant", "acme", "--skillset", "Sales", "--phone-number-id", "42"}},
		{2, "give exactly one of --number or --phone-number-id", []string{"skillset", "link", "--tenant", "acme", "--skillset", "Sales", "--number", "+39 02 1111 1111", "--phone-number-id", "1001"}},
		{2, "give exactly one of --number or --phone-number-id", []string{"skillset", "unlink", "--tenant", "acme", "--skillset", "Sales"}},
		{1, `switchboard skillset unlink: "Sales" does not serve +39 02 2222 2222`, []string{"skillset", "unlink", "--tenant", "acme", "--skillset", "Sales", "--phone-number-id", "1002"}},
		{1, `switchboard skillset unmember: bruno@acme.test is not a member of "Sales"`, []string{"skillset", "unmember", "--tenant", "acme", "--skillset", "Sales", "--agent", "bruno@acme.test"}},
		{1, `skillset "Sales" serves +39 02 1111 1111: unlink it from this number first`, []string{"skillset", "delete", "--tenant", "acme", "--skillset", "Sales"}},
		{2, `--capacity: "lots" is neither a whole number nor default`, []string{"agent", "capacity", "--tenant", "acme", "--agent", "anna@acme.test", "--capacity", "lots"}},
		{2, "--capacity: Enter a whole number of conversations from 0 to 1000.", []string{"agent", "capacity", "--tenant", "acme", "--agent", "anna@acme.test", "--capacity", "2000"}},
		{2, "--capacity is required", []string{"agent", "capacity", "--tenant", "acme", "--agent", "anna@acme.test"}},
		{2, "--agent: Only agents take conversations", []string{"agent", "capacity", "--tenant", "acme", "--agent", "boss@acme.test", "--capacity", "1"}},
		{2, `unknown action "fire"`, []string{"agent", "fire"}},
		{2, `--grace: "1.5s" is not a whole number of seconds`, []string{"tenant", "routing", "--tenant", "acme", "--grace", "1.5s"}},
		{2, "--grace: Enter a duration from 0s to 24h", []string{"tenant", "routing", "--tenant", "acme", "--grace", "25h"}},
		{2, "--grace: Enter a duration from 0s to 24h", []string{"tenant", "routing", "--tenant", "acme", "--grace", "-1"}},
		{2, "--default-capacity: Enter a whole number of conversations from 0 to 1000.", []string{"tenant", "routing", "--tenant", "acme", "--default-capacity", "-1"}},
		{2, "--requeue-on-offline", []string{"tenant", "routing", "--tenant", "acme", "--requeue-on-offline=maybe"}},
		{2, "--phone: no contact +15550001 in tenant acme", []string{"contact", "priority", "--tenant", "acme", "--phone", "+1 555 0001", "--priority", "1"}},
		{2, "--priority is required", []string{"contact", "priority", "--tenant", "acme", "--phone", "+393331112222"}},
		{2, "--priority: Enter a whole number from -1000 to 1000", []string{"contact", "priority", "--tenant", "acme", "--phone", "+393331112222", "--priority", "1001"}},
		{2, `--phone: "none" has no digits`, []string{"contact", "priority", "--tenant", "acme", "--phone", "none", "--priority", "1"}},
	}
	for _, b := range bad {
		code, out, errs := c.run("", b.args...)
		if code != b.code || !strings.Contains(errs, b.want) || out != "" {
			t.Errorf("%v: %d %q %q, want status %d and %q", b.args, code, out, errs, b.code, b.want)
		}
		if b.code == 2 && !strings.Contains(b.want, "--priority") && !strings.Contains(b.want, "--requeue") && strings.Count(strings.TrimSpace(errs), "\n") != 0 {
			t.Errorf("%v: more than one line: %q", b.args, errs)
		}
	}
	if n := reloads(t, db, tenantID); n != before {
		t.Fatalf("refused changes queued %d reloads", n-before)
	}
	// Every command and action explains itself.
	for _, args := range [][]string{
		{"skillset", "--help"}, {"skillset", "create", "--help"}, {"skillset", "link", "--help"}, {"skillset", "list", "-h"},
		{"agent", "--help"}, {"agent", "capacity", "--help"}, {"agent", "list", "--help"},
		{"contact", "--help"}, {"contact", "priority", "--help"}, {"tenant", "routing", "--help"},
	} {
		if code, _, errs := c.run("", args...); code != 0 || !strings.Contains(errs, "Usage") {
			t.Errorf("%v: %d %q", args, code, errs)
		}
	}
	for _, args := range [][]string{{"skillset"}, {"agent"}, {"contact"}} {
		if code, _, errs := c.run("", args...); code != 2 || !strings.Contains(errs, "Usage") {
			t.Errorf("%v: %d %q", args, code, errs)
		}
	}
}
