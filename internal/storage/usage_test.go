package storage_test

import (
	"context"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"switchboard/internal/storage"
	"switchboard/internal/storage/storagetest"
)

// TestTenantUsage counts what a tenant uses of its plan: numbers, templates
// as the plan counts them (each language; rejected ones not), this month's
// business-initiated conversations (templates outside the customer's
// window, one per 24 hours per customer and number, failed ones and last
// month's not counted), active agents and contacts; another tenant's rows
// never count.
func TestTenantUsage(t *testing.T) {
	db := storagetest.NewDB(t)
	f := storagetest.Seed(t, db)
	ctx := context.Background()
	conv := deskConversation(t, db, f.A.ID, "81")
	deskConversation(t, db, f.B.ID, "82") // B's number and contact

	rome, err := time.LoadLocation("Europe/Rome") // the tenants' default time zone
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now().In(rome)
	month := time.Date(now.Year(), now.Month(), 1, 0, 0, 0, 0, rome)
	base := month.Add(time.Hour)
	err = db.Store.InPlatform(ctx, func(tx pgx.Tx) error {
		for _, tp := range [][3]string{{"welcome", "en", "APPROVED"}, {"welcome", "it", "PENDING"}, {"reminder", "en", "APPROVED"}, {"promo", "en", "REJECTED"}} {
			if _, err := tx.Exec(ctx, `INSERT INTO templates (tenant_id, waba_id, name, language, status) VALUES ($1, '1', $2, $3, $4)`,
				f.A.ID, tp[0], tp[1], tp[2]); err != nil {
				return err
			}
		}
		for i, m := range []struct {
			direction, typ, status string
			at                     time.Time
		}{
			{"outbound", "template", "delivered", base},                   // opens a conversation: 1
			{"outbound", "template", "read", base.Add(2 * time.Hour)},     // the same conversation
			{"inbound", "text", "", base.Add(30 * time.Hour)},             // the customer writes
			{"outbound", "template", "sent", base.Add(31 * time.Hour)},    // inside the customer's window
			{"outbound", "template", "sent", base.Add(80 * time.Hour)},    // a new one: 2
			{"outbound", "template", "failed", base.Add(100 * time.Hour)}, // never reached the customer
			{"outbound", "text", "sent", base.Add(101 * time.Hour)},       // not a template
			{"outbound", "template", "sent", month.Add(-48 * time.Hour)},  // last month
		} {
			if _, err := tx.Exec(ctx, `INSERT INTO messages (tenant_id, conversation_id, wamid, direction, type, status, wa_timestamp, created_at)
				VALUES ($1, $2, $3, $4, $5, $6, $7, $7)`, f.A.ID, conv, "wamid.usage"+string(rune('a'+i)), m.direction, m.typ, m.status, m.at); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	a, err := db.Store.TenantUsage(ctx, f.A.ID)
	if err != nil {
		t.Fatal(err)
	}
	want := storage.Usage{Numbers: 1, Templates: 3, BusinessConversations: 2, Agents: 1, Contacts: 1}
	if a != want {
		t.Errorf("A's usage %+v; want %+v", a, want)
	}
	all, err := db.Store.ListTenantUsage(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if all[f.A.ID] != a {
		t.Errorf("listed usage of A %+v; alone %+v", all[f.A.ID], a)
	}
	if b := all[f.B.ID]; b != (storage.Usage{Numbers: 1, Agents: 1, Contacts: 1}) {
		t.Errorf("B's usage %+v", b)
	}
}

// TestSetTenantPlan moves a tenant to another plan, audited with the plan
// before and after; an unknown tenant or plan is ErrNotFound.
func TestSetTenantPlan(t *testing.T) {
	db := storagetest.NewDB(t)
	f := storagetest.Seed(t, db)
	ctx := context.Background()
	business, err := db.Store.PlanByName(ctx, "Business")
	if err != nil {
		t.Fatal(err)
	}
	actor := storage.Actor{Email: "op@switchboard.test", IP: "192.0.2.7"}
	if err := db.Store.SetTenantPlan(ctx, actor, f.A.ID, business.ID); err != nil {
		t.Fatal(err)
	}
	tn, err := db.Store.Tenant(ctx, f.A.ID)
	if err != nil || tn.PlanID != business.ID {
		t.Fatalf("tenant after the change: %+v %v", tn, err)
	}
	entries, err := db.Store.ListAudit(ctx, f.A.ID, 5)
	if err != nil || len(entries) == 0 || entries[0].Action != "tenant.plan" || entries[0].IP != "192.0.2.7" {
		t.Fatalf("audit: %+v %v", entries, err)
	}
	before, _ := entries[0].Detail["before"].(map[string]any)
	after, _ := entries[0].Detail["after"].(map[string]any)
	if before["plan"] != "Starter" || after["plan"] != "Business" {
		t.Errorf("audit detail %+v", entries[0].Detail)
	}
	for _, c := range [][2]string{{f.A.ID, "00000000-0000-0000-0000-000000000000"}, {"00000000-0000-0000-0000-000000000000", business.ID}} {
		if err := db.Store.SetTenantPlan(ctx, actor, c[0], c[1]); err != storage.ErrNotFound {
			t.Errorf("%v: %v; want ErrNotFound", c, err)
		}
	}
}
