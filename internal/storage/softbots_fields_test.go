package storage_test

import (
	"context"
	"testing"

	"github.com/jackc/pgx/v5"

	"switchboard/internal/softbot"
	"switchboard/internal/storage"
	"switchboard/internal/storage/storagetest"
)

// TestBotCollectsOnlyIntoDefinedFields: a menu bot's collect step saves
// into the contact's name or one of the tenant's contact fields. A key the
// tenant never defined is a problem of the menu (publication and the test
// panel refuse it); a defined one publishes, and the value a customer gives
// is stored as the field's kind wants it (a number as a number), while a
// value that does not fit the field (a choice it does not offer) is not
// stored.
func TestBotCollectsOnlyIntoDefinedFields(t *testing.T) {
	t.Parallel()
	db := storagetest.NewDB(t)
	f := storagetest.Seed(t, db)
	ctx := context.Background()
	st := db.Store
	menu := softbot.Menu{Start: "ask", Steps: []softbot.Step{
		{ID: "ask", Kind: softbot.KindCollect, Text: "Your order number?", Field: "order_number", Validate: softbot.ValidateNumber, Next: "done"},
		{ID: "done", Kind: softbot.KindAnswer, Text: "Thanks!"},
	}}
	id, err := st.CreateBot(ctx, f.A.ID, admin, "Orders", menu)
	if err != nil {
		t.Fatal(err)
	}
	unknown := func(ps []softbot.Problem) bool {
		return len(ps) == 1 && ps[0].Step == "ask" && ps[0].Key == "bot.err.field_unknown" && ps[0].Args[0] == "order_number"
	}
	if v, ps, err := st.PublishBot(ctx, f.A.ID, admin, id, menu); err != nil || v != 0 || !unknown(ps) {
		t.Fatalf("published into an undefined field: version %d, problems %v, %v", v, ps, err)
	}
	if ps, err := st.ValidateBotMenu(ctx, f.A.ID, menu); err != nil || !unknown(ps) {
		t.Fatalf("the test panel's check: %v %v", ps, err)
	}
	// Tenant B's field of that key does not count for tenant A.
	if _, err := st.DefineContactField(ctx, f.B.ID, admin, storage.ContactField{Key: "order_number", Label: "Order", Kind: storage.FieldKindNumber}); err != nil {
		t.Fatal(err)
	}
	if ps, err := st.ValidateBotMenu(ctx, f.A.ID, menu); err != nil || !unknown(ps) {
		t.Fatalf("another tenant's field counted: %v %v", ps, err)
	}
	if _, err := st.DefineContactField(ctx, f.A.ID, admin, storage.ContactField{Key: "order_number", Label: "Order", Kind: storage.FieldKindNumber}); err != nil {
		t.Fatal(err)
	}
	if _, err := st.DefineContactField(ctx, f.A.ID, admin, storage.ContactField{Key: "plan", Label: "Plan", Kind: storage.FieldKindChoice, Choices: []string{"Basic", "Pro"}}); err != nil {
		t.Fatal(err)
	}
	if v, ps, err := st.PublishBot(ctx, f.A.ID, admin, id, menu); err != nil || v != 1 || len(ps) != 0 {
		t.Fatalf("publish into a defined field: version %d, problems %v, %v", v, ps, err)
	}
	named := menu
	named.Steps = append([]softbot.Step(nil), menu.Steps...)
	named.Steps[0].Field, named.Steps[0].Validate = "name", softbot.ValidateName
	if ps, err := st.ValidateBotMenu(ctx, f.A.ID, named); err != nil || len(ps) != 0 {
		t.Fatalf("saving into the name: %v %v", ps, err)
	}

	var fields map[string]any
	err = st.InTenant(ctx, f.A.ID, func(ptx pgx.Tx) error {
		var contactID string
		if err := ptx.QueryRow(ctx, `INSERT INTO contacts (tenant_id, wa_id, phone) VALUES ($1, '393331112222', '+393331112222') RETURNING id`,
			f.A.ID).Scan(&contactID); err != nil {
			return err
		}
		tx := storage.Inbound(ptx)
		for _, v := range [][2]string{{"order_number", "4512"}, {"plan", "Gold"}, {"never_defined", "x"}} {
			if err := tx.SetContactValue(ctx, f.A.ID, contactID, v[0], v[1]); err != nil {
				return err
			}
		}
		return ptx.QueryRow(ctx, `SELECT fields FROM contacts WHERE tenant_id = $1 AND id = $2`, f.A.ID, contactID).Scan(&fields)
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(fields) != 1 || fields["order_number"] != float64(4512) {
		t.Errorf("the contact's fields after the bot collected: %#v (want only order_number as the number 4512)", fields)
	}
}
