package storage_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"

	"switchboard/internal/domain"
	"switchboard/internal/storage"
	"switchboard/internal/storage/storagetest"
)

// deskConversation gives a tenant a number, a contact and an open
// conversation, written in platform scope as the webhook processor does.
func deskConversation(t *testing.T, db *storagetest.DB, tenantID, suffix string) string {
	t.Helper()
	ctx := context.Background()
	var convID string
	err := db.Store.InPlatform(ctx, func(tx pgx.Tx) error {
		var numberID, contactID string
		if err := tx.QueryRow(ctx, `INSERT INTO numbers (tenant_id, phone_number_id, display_phone, waba_id, access_token_enc)
			VALUES ($1, $2, '+1 555 0100', '1', 'x') RETURNING id`, tenantID, "20"+suffix).Scan(&numberID); err != nil {
			return err
		}
		if err := tx.QueryRow(ctx, `INSERT INTO contacts (tenant_id, wa_id) VALUES ($1, $2) RETURNING id`, tenantID, "49"+suffix).Scan(&contactID); err != nil {
			return err
		}
		return tx.QueryRow(ctx, `INSERT INTO conversations (tenant_id, number_id, contact_id, status) VALUES ($1, $2, $3, 'queued') RETURNING id`,
			tenantID, numberID, contactID).Scan(&convID)
	})
	if err != nil {
		t.Fatal(err)
	}
	return convID
}

func fieldKey(err error) string {
	var fe *domain.FieldError
	if errors.As(err, &fe) {
		return fe.Field + ":" + fe.Key
	}
	return ""
}

// TestCannedRepliesPerOwner: each agent has its own shortcuts, the tenant
// its shared ones; an agent sees its own and the tenant's (its own winning a
// shared shortcut), never a colleague's or another tenant's; nobody edits or
// deletes a reply that is not theirs; only shared replies are audited.
func TestCannedRepliesPerOwner(t *testing.T) {
	t.Parallel()
	db := storagetest.NewDB(t)
	f := storagetest.Seed(t, db)
	ctx := context.Background()
	st, a := db.Store, f.A.ID
	colleague := domain.User{TenantID: a, Email: "second@alpha.test", Name: "Second", Role: domain.RoleAgent, PasswordHash: "x", Active: true}
	var err error
	if colleague.ID, err = st.CreateUser(ctx, admin, colleague); err != nil {
		t.Fatal(err)
	}
	me := f.A.Agent.ID

	// Validation: shortcut, body; nothing stored.
	for _, c := range []struct{ shortcut, body, want string }{
		{"", "x", "shortcut:agent.canned_shortcut_invalid"},
		{"Has Space", "x", "shortcut:agent.canned_shortcut_invalid"},
		{strings.Repeat("a", 33), "x", "shortcut:agent.canned_shortcut_invalid"},
		{"ok", "   ", "body:form.required"},
		{"ok", strings.Repeat("é", 4097), "body:form.too_long"},
	} {
		if _, err := st.CreateCanned(ctx, a, admin, me, c.shortcut, c.body); fieldKey(err) != c.want {
			t.Errorf("CreateCanned(%q, %d chars) = %v, want %s", c.shortcut, len(c.body), err, c.want)
		}
	}
	if got, _ := st.ListCanned(ctx, a, me); len(got) != 0 {
		t.Fatalf("invalid replies were stored: %+v", got)
	}

	mine, err := st.CreateCanned(ctx, a, admin, me, "/Hello", "Hi {{contact_name}}, mine")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := st.CreateCanned(ctx, a, admin, me, "hello", "again"); fieldKey(err) != "shortcut:agent.canned_taken" {
		t.Fatalf("a shortcut twice for one owner: %v", err)
	}
	if _, err := st.CreateCanned(ctx, a, admin, me, "price", strings.Repeat("é", 4096)); err != nil {
		t.Fatalf("a 4096-character reply: %v", err)
	}
	// The same shortcut for a colleague, and for the tenant, is fine.
	theirs, err := st.CreateCanned(ctx, a, admin, colleague.ID, "hello", "colleague's")
	if err != nil {
		t.Fatal(err)
	}
	audits, _ := st.ListAudit(ctx, a, 100)
	if _, err := st.CreateCanned(ctx, a, admin, "", "hello", "tenant's hello"); err != nil {
		t.Fatal(err)
	}
	if _, err := st.CreateCanned(ctx, a, admin, "", "hello", "twice"); fieldKey(err) != "shortcut:agent.canned_taken" {
		t.Fatalf("a shared shortcut twice: %v", err)
	}
	shared, err := st.CreateCanned(ctx, a, admin, "", "bye", "Goodbye")
	if err != nil {
		t.Fatal(err)
	}
	if after, _ := st.ListAudit(ctx, a, 100); len(after) != len(audits)+2 || after[0].Action != "canned.create" || after[0].Target != "bye" {
		t.Fatalf("shared replies are audited, personal ones not: %d → %d entries", len(audits), len(after))
	}
	// Tenant B has its own "bye".
	if _, err := st.CreateCanned(ctx, f.B.ID, admin, "", "bye", "B's goodbye"); err != nil {
		t.Fatal(err)
	}

	got, err := st.CannedForAgent(ctx, a, me)
	if err != nil {
		t.Fatal(err)
	}
	var seen []string
	for _, c := range got {
		seen = append(seen, c.Shortcut+"="+c.Body[:min(len(c.Body), 14)])
	}
	if want := []string{"bye=Goodbye", "hello=Hi {{contact_n", "price=" + strings.Repeat("é", 7)}; strings.Join(seen, "|") != strings.Join(want, "|") {
		t.Fatalf("agent sees %q, want %q", seen, want)
	}
	if l, _ := st.ListCanned(ctx, a, ""); len(l) != 2 {
		t.Fatalf("tenant-wide list: %+v", l)
	}

	// Not mine: a colleague's, the tenant's (as an agent), another tenant's.
	if err := st.UpdateCanned(ctx, a, admin, me, theirs, "x", "y"); !errors.Is(err, storage.ErrNotFound) {
		t.Fatalf("editing a colleague's reply: %v", err)
	}
	if err := st.DeleteCanned(ctx, a, admin, me, shared); !errors.Is(err, storage.ErrNotFound) {
		t.Fatalf("an agent deleting a shared reply: %v", err)
	}
	if err := st.DeleteCanned(ctx, f.B.ID, admin, "", shared); !errors.Is(err, storage.ErrNotFound) {
		t.Fatalf("tenant B deleting A's reply: %v", err)
	}
	if err := st.UpdateCanned(ctx, a, admin, me, mine, "price", "x"); fieldKey(err) != "shortcut:agent.canned_taken" {
		t.Fatalf("renaming onto a taken shortcut: %v", err)
	}
	if err := st.UpdateCanned(ctx, a, admin, me, mine, "hi", "Ciao {{contact_name}}"); err != nil {
		t.Fatal(err)
	}
	if err := st.DeleteCanned(ctx, a, admin, "", shared); err != nil {
		t.Fatal(err)
	}
	if e, _ := st.ListAudit(ctx, a, 1); len(e) != 1 || e[0].Action != "canned.delete" || e[0].Target != "bye" {
		t.Fatalf("shared delete audited as %+v", e)
	}
	if l, _ := st.ListCanned(ctx, f.B.ID, ""); len(l) != 1 || l[0].Body != "B's goodbye" {
		t.Fatalf("tenant B's replies: %+v", l)
	}
}

// TestCloseOutcomesAndNotes: outcomes unique per tenant in any case and
// audited; notes only on the tenant's own conversations, listed with their
// authors, oldest first.
func TestCloseOutcomesAndNotes(t *testing.T) {
	t.Parallel()
	db := storagetest.NewDB(t)
	f := storagetest.Seed(t, db)
	ctx := context.Background()
	st, a := db.Store, f.A.ID

	if _, err := st.CreateOutcome(ctx, a, admin, " "); fieldKey(err) != "name:form.required" {
		t.Fatalf("empty outcome: %v", err)
	}
	if _, err := st.CreateOutcome(ctx, a, admin, strings.Repeat("x", 65)); fieldKey(err) != "name:form.too_long" {
		t.Fatalf("long outcome: %v", err)
	}
	id, err := st.CreateOutcome(ctx, a, admin, "Resolved")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := st.CreateOutcome(ctx, a, admin, "resolved"); fieldKey(err) != "name:agent.outcome_taken" {
		t.Fatalf("same outcome in another case: %v", err)
	}
	if _, err := st.CreateOutcome(ctx, f.B.ID, admin, "Resolved"); err != nil {
		t.Fatalf("tenant B's own Resolved: %v", err)
	}
	if _, err := st.CreateOutcome(ctx, a, admin, "No answer"); err != nil {
		t.Fatal(err)
	}
	if l, _ := st.ListOutcomes(ctx, a); len(l) != 2 || l[0].Name != "No answer" || l[1].Name != "Resolved" {
		t.Fatalf("outcomes: %+v", l)
	}
	if err := st.DeleteOutcome(ctx, f.B.ID, admin, id); !errors.Is(err, storage.ErrNotFound) {
		t.Fatalf("tenant B deleting A's outcome: %v", err)
	}
	if err := st.DeleteOutcome(ctx, a, admin, id); err != nil {
		t.Fatal(err)
	}
	if e, _ := st.ListAudit(ctx, a, 1); len(e) != 1 || e[0].Action != "outcome.delete" || e[0].Target != "Resolved" {
		t.Fatalf("delete audited as %+v", e)
	}

	convA := deskConversation(t, db, a, "1")
	convB := deskConversation(t, db, f.B.ID, "2")
	if _, _, err := st.AddNote(ctx, a, convA, f.A.Agent.ID, "  "); fieldKey(err) != "body:form.required" {
		t.Fatalf("empty note: %v", err)
	}
	if _, _, err := st.AddNote(ctx, a, convA, f.A.Agent.ID, strings.Repeat("n", 4097)); fieldKey(err) != "body:form.too_long" {
		t.Fatalf("long note: %v", err)
	}
	if _, _, err := st.AddNote(ctx, a, convB, f.A.Agent.ID, "into B"); !errors.Is(err, storage.ErrNotFound) {
		t.Fatalf("a note on another tenant's conversation: %v", err)
	}
	if _, _, err := st.AddNote(ctx, a, convA, f.A.Agent.ID, "Customer wants a discount"); err != nil {
		t.Fatal(err)
	}
	if _, _, err := st.AddNote(ctx, a, convA, f.A.Admin.ID, "Approved: 10%"); err != nil {
		t.Fatal(err)
	}
	notes, err := st.ListNotes(ctx, a, convA)
	if err != nil {
		t.Fatal(err)
	}
	if len(notes) != 2 || notes[0].Body != "Customer wants a discount" || notes[0].AuthorName != f.A.Agent.Name ||
		notes[1].AuthorName != f.A.Admin.Name {
		t.Fatalf("notes: %+v", notes)
	}
	if l, _ := st.ListNotes(ctx, f.B.ID, convA); len(l) != 0 {
		t.Fatalf("tenant B reads A's notes: %+v", l)
	}
	if l, _ := st.ListNotes(ctx, f.B.ID, convB); len(l) != 0 {
		t.Fatalf("B's conversation got a note: %+v", l)
	}
}
