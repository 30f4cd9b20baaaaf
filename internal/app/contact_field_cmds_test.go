package app

import (
	"context"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"

	"switchboard/internal/storage"
)

// TestContactFieldCommands defines, lists, changes and deletes custom
// contact fields from the command line, with each refusal on one line
// naming its flag, and an audit entry for each change.
func TestContactFieldCommands(t *testing.T) {
	t.Parallel()
	c, db, tenantID := routingTenant(t)
	ctx := context.Background()
	ok := func(want string, args ...string) string {
		t.Helper()
		code, out, errs := c.run("", args...)
		if code != 0 || !strings.Contains(out, want) || errs != "" {
			t.Fatalf("%v: %d %q %q, want %q", args, code, out, errs, want)
		}
		return out
	}
	field := func(args ...string) []string {
		return append([]string{"contact", "field", args[0], "--tenant", "acme"}, args[1:]...)
	}
	ok("no contact fields", field("list")...)
	ok("field shoe_size defined", field("define", "--key", "shoe_size", "--label", "Shoe size", "--kind", "number", "--position", "2")...)
	ok("field plan defined", field("define", "--key", "plan", "--label", "Plan", "--kind", "choice", "--choices", "Gold, Silver")...)
	ok("field plan changed", field("define", "--key", "plan", "--label", "Plan", "--kind", "choice", "--choices", "Gold,Silver,Bronze", "--position", "1")...)
	out := ok("shoe_size", field("list")...)
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if len(lines) != 3 || !strings.Contains(lines[1], "plan") || !strings.Contains(lines[1], "Gold, Silver, Bronze") || !strings.Contains(lines[2], "shoe_size") || !strings.Contains(lines[2], "number") {
		t.Fatalf("list:\n%s", out)
	}
	entries, err := db.Store.ListAudit(ctx, tenantID, 1)
	if err != nil || len(entries) != 1 || entries[0].Action != "contact.field_define" || entries[0].ActorEmail != "cli" || entries[0].Target != "plan" {
		t.Fatalf("audit %+v %v", entries, err)
	}

	// A contact with a value: the field cannot change kind under it.
	var contactID string
	if err := db.Store.InTenant(ctx, tenantID, func(tx pgx.Tx) error {
		return tx.QueryRow(ctx, `SELECT id FROM contacts WHERE tenant_id = $1`, tenantID).Scan(&contactID)
	}); err != nil {
		t.Fatal(err)
	}
	if _, err := db.Store.SetContactField(ctx, tenantID, storage.Actor{Email: "test"}, contactID, "shoe_size", "42"); err != nil {
		t.Fatal(err)
	}

	bad := []struct {
		code int
		want string
		args []string
	}{
		{2, "--key: A key is 1 to 32 lowercase letters, digits or _.", field("define", "--key", "Shoe Size", "--label", "x", "--kind", "text")},
		{2, "--kind: The kind is text, number, date or choice.", field("define", "--key", "x", "--label", "x", "--kind", "money")},
		{2, "--choices: A choice field needs 1 to 50 different choices", field("define", "--key", "x", "--label", "x", "--kind", "choice")},
		{2, "--label is required", field("define", "--key", "x", "--kind", "text")},
		{2, "--position: The position is a whole number from -1000 to 1000.", field("define", "--key", "x", "--label", "x", "--kind", "text", "--position", "5000")},
		{1, "Some contacts have values the new definition would not accept", field("define", "--key", "shoe_size", "--label", "Size", "--kind", "text")},
		{2, `--key: no contact field "nope" in tenant acme`, field("delete", "--key", "nope")},
		{2, `unknown action "rename"`, []string{"contact", "field", "rename"}},
	}
	for _, b := range bad {
		code, out, errs := c.run("", b.args...)
		if code != b.code || !strings.Contains(errs, b.want) || out != "" || strings.Count(strings.TrimSpace(errs), "\n") != 0 {
			t.Errorf("%v: %d %q %q, want status %d and %q on one line", b.args, code, out, errs, b.code, b.want)
		}
	}
	ok("field shoe_size deleted (1 values cleared)", field("delete", "--key", "shoe_size")...)
	out = ok("plan", field("list")...)
	if strings.Contains(out, "shoe_size") {
		t.Fatalf("deleted field still listed:\n%s", out)
	}
	for _, args := range [][]string{{"contact", "field", "--help"}, {"contact", "field", "define", "--help"}, {"contact", "field", "list", "-h"}, {"contact", "field", "delete", "--help"}} {
		if code, _, errs := c.run("", args...); code != 0 || !strings.Contains(errs, "Usage") {
			t.Errorf("%v: %d %q", args, code, errs)
		}
	}
	if code, _, errs := c.run("", "contact", "--help"); code != 0 || !strings.Contains(errs, "field") {
		t.Errorf("contact --help does not name field: %q", errs)
	}
}
