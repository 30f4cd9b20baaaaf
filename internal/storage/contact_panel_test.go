package storage_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"

	"switchboard/internal/domain"
	"switchboard/internal/storage"
	"switchboard/internal/storage/storagetest"
)

// panelContact makes a contact of a tenant with two conversations on one
// number: an older closed one held by the tenant's agent and an open one;
// it returns the contact and the open conversation.
func panelContact(t *testing.T, db *storagetest.DB, tn storagetest.Tenant, waID string) (contactID, openID string) {
	t.Helper()
	ctx := context.Background()
	err := db.Store.InPlatform(ctx, func(tx pgx.Tx) error {
		var numberID string
		if err := tx.QueryRow(ctx, `INSERT INTO numbers (tenant_id, phone_number_id, display_phone, waba_id, access_token_enc)
			VALUES ($1, $2, '+1 555 0100', '1', 'x') RETURNING id`, tn.ID, "10"+waID).Scan(&numberID); err != nil {
			return err
		}
		if err := tx.QueryRow(ctx, `INSERT INTO contacts (tenant_id, wa_id, phone, name) VALUES ($1, $2, '+'||$2, 'Marta') RETURNING id`,
			tn.ID, waID).Scan(&contactID); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `INSERT INTO conversations (tenant_id, number_id, contact_id, status, assigned_agent_id, created_at, closed_at)
			VALUES ($1, $2, $3, 'closed', $4, now() - interval '3 days', now() - interval '2 days')`, tn.ID, numberID, contactID, tn.Agent.ID); err != nil {
			return err
		}
		return tx.QueryRow(ctx, `INSERT INTO conversations (tenant_id, number_id, contact_id, status, assigned_agent_id)
			VALUES ($1, $2, $3, 'assigned', $4) RETURNING id`, tn.ID, numberID, contactID, tn.Agent.ID).Scan(&openID)
	})
	if err != nil {
		t.Fatal(err)
	}
	return contactID, openID
}

// fieldErrorKey returns the message key of a validation error, or "".
func fieldErrorKey(err error) string {
	var fe *domain.FieldError
	if errors.As(err, &fe) {
		return fe.Key
	}
	return ""
}

// lastAudit returns the tenant's newest audit entry.
func lastAudit(t *testing.T, db *storagetest.DB, tenantID string) domain.AuditEntry {
	t.Helper()
	entries, err := db.Store.ListAudit(context.Background(), tenantID, 1)
	if err != nil || len(entries) != 1 {
		t.Fatalf("audit: %v %v", entries, err)
	}
	return entries[0]
}

func TestContactFieldsDefinedAndValidated(t *testing.T) {
	t.Parallel()
	db := storagetest.NewDB(t)
	f := storagetest.Seed(t, db)
	ctx := context.Background()
	st, tenantID := db.Store, f.A.ID
	contactID, openID := panelContact(t, db, f.A, "393331112222")
	agent := storage.Actor{UserID: f.A.Agent.ID, Email: f.A.Agent.Email}

	// Definitions: bad ones are refused naming the input.
	for _, bad := range []struct {
		def  storage.ContactField
		want string
	}{
		{storage.ContactField{Key: "Size", Label: "Size", Kind: "number"}, "agent.contact.field_key_invalid"},
		{storage.ContactField{Key: strings.Repeat("k", 33), Label: "Size", Kind: "number"}, "agent.contact.field_key_invalid"},
		{storage.ContactField{Key: "size", Label: " ", Kind: "number"}, "agent.contact.field_label_invalid"},
		{storage.ContactField{Key: "size", Label: "Size", Kind: "money"}, "agent.contact.field_kind_invalid"},
		{storage.ContactField{Key: "plan", Label: "Plan", Kind: "choice"}, "agent.contact.field_choices_invalid"},
		{storage.ContactField{Key: "plan", Label: "Plan", Kind: "text", Choices: []string{"a"}}, "agent.contact.field_choices_invalid"},
		{storage.ContactField{Key: "plan", Label: "Plan", Kind: "choice", Choices: []string{"a", "a"}}, "agent.contact.field_choices_invalid"},
		{storage.ContactField{Key: "size", Label: "Size", Kind: "number", Position: 1001}, "agent.contact.field_position_invalid"},
	} {
		if _, err := st.DefineContactField(ctx, tenantID, admin, bad.def); fieldErrorKey(err) != bad.want {
			t.Errorf("define %+v: %v, want %s", bad.def, err, bad.want)
		}
	}
	defs := []storage.ContactField{
		{Key: "shoe_size", Label: "Shoe size", Kind: "number", Position: 2},
		{Key: "birthday", Label: "Birthday", Kind: "date", Position: 1},
		{Key: "plan", Label: "Plan", Kind: "choice", Choices: []string{"Gold", " Silver ", ""}, Position: 3},
		{Key: "notes", Label: "Notes", Kind: "text", Position: 3},
	}
	for _, d := range defs {
		created, err := st.DefineContactField(ctx, tenantID, admin, d)
		if err != nil || !created {
			t.Fatalf("define %s: %v %v", d.Key, created, err)
		}
		if a := lastAudit(t, db, tenantID); a.Action != "contact.field_define" || a.Target != d.Key {
			t.Fatalf("define %s: audit %+v", d.Key, a)
		}
	}
	list, err := st.ListContactFields(ctx, tenantID)
	if err != nil {
		t.Fatal(err)
	}
	var order []string
	for _, d := range list {
		order = append(order, d.Key)
	}
	if got := strings.Join(order, ","); got != "birthday,shoe_size,notes,plan" {
		t.Fatalf("fields in order %s", got)
	}
	if got := strings.Join(list[3].Choices, "|"); got != "Gold|Silver" {
		t.Fatalf("choices kept as %q", got)
	}

	// Values: each kind checked; a bad value changes nothing.
	set := func(key, value string) error {
		_, err := st.SetContactField(ctx, tenantID, agent, contactID, key, value)
		return err
	}
	for key, value := range map[string]string{"shoe_size": "42", "birthday": "1990-05-17", "plan": "Gold", "notes": "  likes espresso "} {
		if err := set(key, value); err != nil {
			t.Fatalf("set %s=%q: %v", key, value, err)
		}
	}
	if a := lastAudit(t, db, tenantID); a.Action != "contact.field_set" || a.ActorEmail != agent.Email {
		t.Fatalf("field set: audit %+v", a)
	}
	for _, bad := range []struct{ key, value, want string }{
		{"shoe_size", "forty", "agent.contact.value_number"},
		{"shoe_size", "1.000,5", "agent.contact.value_number"},
		{"shoe_size", "Inf", "agent.contact.value_number"},
		{"birthday", "17/05/1990", "agent.contact.value_date"},
		{"birthday", "1990-02-30", "agent.contact.value_date"},
		{"plan", "Platinum", "agent.contact.value_choice"},
		{"notes", strings.Repeat("x", 501), "agent.contact.value_too_long"},
		{"nope", "1", "agent.contact.field_unknown"},
	} {
		if err := set(bad.key, bad.value); fieldErrorKey(err) != bad.want {
			t.Errorf("set %s=%q: %v, want %s", bad.key, bad.value, err, bad.want)
		}
	}
	// An Italian decimal comma is a decimal point.
	if err := set("shoe_size", "42,5"); err != nil {
		t.Fatal(err)
	}
	p, err := st.ContactPanel(ctx, tenantID, contactID, openID)
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]string{}
	for _, v := range p.Fields {
		got[v.Key] = v.Value
	}
	want := map[string]string{"shoe_size": "42.5", "birthday": "1990-05-17", "plan": "Gold", "notes": "likes espresso"}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("values %v, want %v", got, want)
	}
	// Numbers are stored as JSON numbers, for audiences to compare.
	var typ string
	if err := st.InTenant(ctx, tenantID, func(tx pgx.Tx) error {
		return tx.QueryRow(ctx, `SELECT jsonb_typeof(fields -> 'shoe_size') FROM contacts WHERE id = $1`, contactID).Scan(&typ)
	}); err != nil || typ != "number" {
		t.Fatalf("shoe_size stored as %s (%v)", typ, err)
	}
	// A blank value clears the field; the same value again changes nothing.
	if changed, err := st.SetContactField(ctx, tenantID, agent, contactID, "notes", " "); err != nil || !changed {
		t.Fatalf("clear: %v %v", changed, err)
	}
	if changed, err := st.SetContactField(ctx, tenantID, agent, contactID, "plan", "Gold"); err != nil || changed {
		t.Fatalf("same value: %v %v", changed, err)
	}

	// A definition that stored values would not fit is refused; one they fit is fine.
	if _, err := st.DefineContactField(ctx, tenantID, admin, storage.ContactField{Key: "shoe_size", Label: "Size", Kind: "text"}); !errors.Is(err, storage.ErrFieldInUse) {
		t.Fatalf("kind change with values: %v", err)
	}
	if _, err := st.DefineContactField(ctx, tenantID, admin, storage.ContactField{Key: "plan", Label: "Plan", Kind: "choice", Choices: []string{"Silver"}}); !errors.Is(err, storage.ErrFieldInUse) {
		t.Fatalf("choice taken away with values: %v", err)
	}
	if created, err := st.DefineContactField(ctx, tenantID, admin, storage.ContactField{Key: "notes", Label: "Remarks", Kind: "number", Position: 9}); err != nil || created {
		t.Fatalf("redefine an empty field: %v %v", created, err)
	}
	// Deleting a field clears its values.
	if n, err := st.DeleteContactField(ctx, tenantID, admin, "shoe_size"); err != nil || n != 1 {
		t.Fatalf("delete: %d %v", n, err)
	}
	if _, err := st.DeleteContactField(ctx, tenantID, admin, "shoe_size"); !errors.Is(err, storage.ErrNotFound) {
		t.Fatalf("delete again: %v", err)
	}
	var left bool
	if err := st.InTenant(ctx, tenantID, func(tx pgx.Tx) error {
		return tx.QueryRow(ctx, `SELECT fields ? 'shoe_size' FROM contacts WHERE id = $1`, contactID).Scan(&left)
	}); err != nil || left {
		t.Fatalf("value left after delete: %v %v", left, err)
	}
}

func TestContactTags(t *testing.T) {
	t.Parallel()
	db := storagetest.NewDB(t)
	f := storagetest.Seed(t, db)
	ctx := context.Background()
	st, tenantID := db.Store, f.A.ID
	contactID, openID := panelContact(t, db, f.A, "393331112222")
	agent := storage.Actor{UserID: f.A.Agent.ID, Email: f.A.Agent.Email}

	if added, err := st.AddContactTag(ctx, tenantID, agent, contactID, "  VIP   Customer "); err != nil || !added {
		t.Fatalf("add: %v %v", added, err)
	}
	if a := lastAudit(t, db, tenantID); a.Action != "contact.tag_add" || a.ActorEmail != agent.Email || a.Detail["tag"] != "vip customer" {
		t.Fatalf("audit %+v", a)
	}
	if added, err := st.AddContactTag(ctx, tenantID, agent, contactID, "vip customer"); err != nil || added {
		t.Fatalf("add again: %v %v", added, err)
	}
	for _, bad := range []struct{ tag, want string }{
		{"", "agent.contact.tag_required"},
		{"a,b", "agent.contact.tag_invalid"},
		{strings.Repeat("t", 33), "agent.contact.tag_invalid"},
	} {
		if _, err := st.AddContactTag(ctx, tenantID, agent, contactID, bad.tag); fieldErrorKey(err) != bad.want {
			t.Errorf("add %q: %v, want %s", bad.tag, err, bad.want)
		}
	}
	for i := 1; i < storage.MaxTags; i++ {
		if _, err := st.AddContactTag(ctx, tenantID, agent, contactID, fmt.Sprintf("tag-%d", i)); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := st.AddContactTag(ctx, tenantID, agent, contactID, "one-too-many"); fieldErrorKey(err) != "agent.contact.tags_full" {
		t.Fatalf("21st tag: %v", err)
	}
	if removed, err := st.RemoveContactTag(ctx, tenantID, agent, contactID, "VIP customer"); err != nil || !removed {
		t.Fatalf("remove: %v %v", removed, err)
	}
	if removed, err := st.RemoveContactTag(ctx, tenantID, agent, contactID, "vip customer"); err != nil || removed {
		t.Fatalf("remove again: %v %v", removed, err)
	}
	p, err := st.ContactPanel(ctx, tenantID, contactID, openID)
	if err != nil {
		t.Fatal(err)
	}
	if len(p.Tags) != storage.MaxTags-1 || p.Tags[0] != "tag-1" {
		t.Fatalf("tags %v", p.Tags)
	}
}

func TestContactPanelConsentAndPastConversations(t *testing.T) {
	t.Parallel()
	db := storagetest.NewDB(t)
	f := storagetest.Seed(t, db)
	ctx := context.Background()
	st, tenantID := db.Store, f.A.ID
	contactID, openID := panelContact(t, db, f.A, "393331112222")
	agent := storage.Actor{UserID: f.A.Agent.ID, Email: f.A.Agent.Email}

	if _, err := st.RecordAgentConsent(ctx, tenantID, agent, contactID, "granted", "  "); fieldErrorKey(err) != "agent.contact.consent_note_required" {
		t.Fatalf("no note: %v", err)
	}
	if _, err := st.RecordAgentConsent(ctx, tenantID, agent, contactID, "maybe", "said so"); fieldErrorKey(err) != "agent.contact.consent_invalid" {
		t.Fatalf("bad consent: %v", err)
	}
	if _, err := st.RecordAgentConsent(ctx, tenantID, agent, contactID, "granted", strings.Repeat("n", 501)); fieldErrorKey(err) != "agent.contact.consent_note_too_long" {
		t.Fatalf("long note: %v", err)
	}
	p, err := st.ContactPanel(ctx, tenantID, contactID, openID)
	if err != nil || p.Contact.Consent != "unknown" || len(p.Consent) != 0 {
		t.Fatalf("before: %+v %v", p, err)
	}
	if changed, err := st.RecordAgentConsent(ctx, tenantID, agent, contactID, "granted", "wrote: yes, send me offers"); err != nil || !changed {
		t.Fatalf("record: %v %v", changed, err)
	}
	if a := lastAudit(t, db, tenantID); a.Action != "contact.consent" || a.ActorEmail != agent.Email || a.Target != "+393331112222" {
		t.Fatalf("audit %+v", a)
	}
	if changed, err := st.RecordAgentConsent(ctx, tenantID, agent, contactID, "granted", "again"); err != nil || changed {
		t.Fatalf("same consent: %v %v", changed, err)
	}
	p, err = st.ContactPanel(ctx, tenantID, contactID, openID)
	if err != nil {
		t.Fatal(err)
	}
	if p.Contact.Consent != "granted" || p.ConsentSource != "agent" || p.ConsentBy != f.A.Agent.Name || p.ConsentAt == nil {
		t.Fatalf("consent %s %s %q %v", p.Contact.Consent, p.ConsentSource, p.ConsentBy, p.ConsentAt)
	}
	if len(p.Consent) != 1 || p.Consent[0].Source != "agent" || p.Consent[0].ActorName != f.A.Agent.Name ||
		p.Consent[0].Actor != f.A.Agent.Email || p.Consent[0].Note != "wrote: yes, send me offers" {
		t.Fatalf("history %+v", p.Consent)
	}
	// The same history through the consent storage every sender obeys.
	if h, err := st.ConsentHistory(ctx, tenantID, contactID); err != nil || len(h) != 1 || h[0].Consent != "granted" {
		t.Fatalf("ConsentHistory %+v %v", h, err)
	}
	if len(p.Past) != 1 || p.Past[0].Status != "closed" || p.Past[0].AgentName != f.A.Agent.Name || p.Past[0].ClosedAt == nil || p.Past[0].ID == openID {
		t.Fatalf("past %+v", p.Past)
	}
	if p.Contact.Name != "Marta" || p.Contact.Phone != "+393331112222" || p.Contact.Priority != 0 {
		t.Fatalf("contact %+v", p.Contact)
	}
}

// TestContactPanelTenantIsolation: tenant B reaches none of A's contact,
// fields or values through the store, and its own definitions stay its own.
func TestContactPanelTenantIsolation(t *testing.T) {
	t.Parallel()
	db := storagetest.NewDB(t)
	f := storagetest.Seed(t, db)
	ctx := context.Background()
	st := db.Store
	aContact, aOpen := panelContact(t, db, f.A, "393331112222")
	bContact, _ := panelContact(t, db, f.B, "393339998888")
	if _, err := st.DefineContactField(ctx, f.A.ID, admin, storage.ContactField{Key: "vat", Label: "VAT", Kind: "text"}); err != nil {
		t.Fatal(err)
	}
	bAgent := storage.Actor{UserID: f.B.Agent.ID, Email: f.B.Agent.Email}

	if _, err := st.ContactPanel(ctx, f.B.ID, aContact, aOpen); !errors.Is(err, storage.ErrNotFound) {
		t.Fatalf("B reads A's panel: %v", err)
	}
	if _, err := st.AddContactTag(ctx, f.B.ID, bAgent, aContact, "mine"); !errors.Is(err, storage.ErrNotFound) {
		t.Fatalf("B tags A's contact: %v", err)
	}
	if _, err := st.RecordAgentConsent(ctx, f.B.ID, bAgent, aContact, "granted", "x"); !errors.Is(err, storage.ErrNotFound) {
		t.Fatalf("B records A's consent: %v", err)
	}
	if _, err := st.SetContactField(ctx, f.B.ID, bAgent, bContact, "vat", "IT1"); fieldErrorKey(err) != "agent.contact.field_unknown" {
		t.Fatalf("B uses A's field: %v", err)
	}
	if list, err := st.ListContactFields(ctx, f.B.ID); err != nil || len(list) != 0 {
		t.Fatalf("B lists A's fields: %v %v", list, err)
	}
	if _, err := st.DeleteContactField(ctx, f.B.ID, admin, "vat"); !errors.Is(err, storage.ErrNotFound) {
		t.Fatalf("B deletes A's field: %v", err)
	}
	// B may define the same key for itself.
	if created, err := st.DefineContactField(ctx, f.B.ID, admin, storage.ContactField{Key: "vat", Label: "Partita IVA", Kind: "text"}); err != nil || !created {
		t.Fatalf("B defines vat: %v %v", created, err)
	}
	// Raw SQL as the application role with A set sees none of B's definitions.
	var n int
	if err := st.InTenant(ctx, f.A.ID, func(tx pgx.Tx) error {
		return tx.QueryRow(ctx, `SELECT count(*) FROM contact_fields WHERE tenant_id <> $1`, f.A.ID).Scan(&n)
	}); err != nil || n != 0 {
		t.Fatalf("A sees %d of B's definitions (%v)", n, err)
	}
}
