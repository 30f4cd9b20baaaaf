package storage_test

import (
	"context"
	"errors"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"switchboard/internal/auth"
	"switchboard/internal/storage"
	"switchboard/internal/storage/storagetest"
)

// tenantTables lists every table that holds a tenant's rows, and the column
// naming the tenant. A new tenant table must be added here.
var tenantTables = map[string]string{
	"tenants":            "id",
	"users":              "tenant_id",
	"sessions":           "tenant_id",
	"audit_log":          "tenant_id",
	"numbers":            "tenant_id",
	"contacts":           "tenant_id",
	"conversations":      "tenant_id",
	"media":              "tenant_id",
	"media_uploads":      "tenant_id",
	"messages":           "tenant_id",
	"message_statuses":   "tenant_id",
	"number_events":      "tenant_id",
	"template_events":    "tenant_id",
	"api_keys":           "tenant_id",
	"consent_events":     "tenant_id",
	"templates":          "tenant_id",
	"outbox":             "tenant_id",
	"skillsets":          "tenant_id",
	"skillset_members":   "tenant_id",
	"number_skillsets":   "tenant_id",
	"routing_events":     "tenant_id",
	"routing_commands":   "tenant_id",
	"routing_leases":     "tenant_id",
	"agent_events":       "tenant_id",
	"canned_replies":     "tenant_id",
	"close_outcomes":     "tenant_id",
	"conversation_notes": "tenant_id",
	"contact_fields":     "tenant_id",
	"invitations":        "tenant_id",
	"business_hours":     "tenant_id",
	"holidays":           "tenant_id",
	"retention_runs":     "tenant_id",
	"applications":       "tenant_id",
	"application_events": "tenant_id",

	// contacts imports (migration 000016)
	"contact_imports":     "tenant_id",
	"contact_import_rows": "tenant_id",

	// softbots (migration 000017)
	"bots":              "tenant_id",
	"bot_versions":      "tenant_id",
	"number_automation": "tenant_id",
	"keyword_rules":     "tenant_id",
	"bot_runs":          "tenant_id",
}

// seedInbound gives a tenant one row in every inbound table, written in
// platform scope as the webhook processor does.
func seedInbound(t *testing.T, db *storagetest.DB, tenantID, suffix string) {
	t.Helper()
	ctx := context.Background()
	err := db.Store.InPlatform(ctx, func(tx pgx.Tx) error {
		var numberID, contactID, convID, mediaID string
		steps := []struct {
			sql  string
			args []any
			dest *string
		}{
			{`INSERT INTO numbers (tenant_id, phone_number_id, display_phone, waba_id, access_token_enc) VALUES ($1, $2, '+1 555 0100', '1', 'x') RETURNING id`, []any{tenantID, "10" + suffix}, &numberID},
			{`INSERT INTO contacts (tenant_id, wa_id) VALUES ($1, $2) RETURNING id`, []any{tenantID, "39" + suffix}, &contactID},
		}
		for _, st := range steps {
			if err := tx.QueryRow(ctx, st.sql, st.args...).Scan(st.dest); err != nil {
				return err
			}
		}
		if err := tx.QueryRow(ctx, `INSERT INTO conversations (tenant_id, number_id, contact_id, status) VALUES ($1, $2, $3, 'queued') RETURNING id`,
			tenantID, numberID, contactID).Scan(&convID); err != nil {
			return err
		}
		if err := tx.QueryRow(ctx, `INSERT INTO media (tenant_id, number_id, meta_media_id) VALUES ($1, $2, $3) RETURNING id`,
			tenantID, numberID, "m"+suffix).Scan(&mediaID); err != nil {
			return err
		}
		for _, q := range []string{
			`INSERT INTO messages (tenant_id, conversation_id, wamid, direction, type, media_id, wa_timestamp) VALUES ($1, '` + convID + `', 'wamid.` + suffix + `', 'inbound', 'image', '` + mediaID + `', now())`,
			`INSERT INTO message_statuses (tenant_id, wamid, status, wa_timestamp) VALUES ($1, 'wamid.` + suffix + `', 'sent', now())`,
			`INSERT INTO number_events (tenant_id, number_id, field, dedupe_key) VALUES ($1, '` + numberID + `', 'phone_number_quality_update', 'k')`,
			`INSERT INTO template_events (tenant_id, waba_id, template_id, event, dedupe_key) VALUES ($1, '1', '1', 'APPROVED', 'k')`,
			`INSERT INTO api_keys (tenant_id, name, prefix, key_hash) VALUES ($1, 'k', 'sbk_', decode(md5($1::uuid::text), 'hex'))`,
			`INSERT INTO consent_events (tenant_id, contact_id, consent, source) VALUES ($1, '` + contactID + `', 'granted', 'verbal')`,
			`INSERT INTO templates (tenant_id, waba_id, name, language) VALUES ($1, '1', 'welcome', 'en')`,
			`INSERT INTO outbox (tenant_id, message_id, number_id, recipient, payload) SELECT $1, id, '` + numberID + `', '1', '{}' FROM messages WHERE tenant_id = $1`,
			`INSERT INTO skillsets (tenant_id, name) VALUES ($1, 'Sales')`,
			`INSERT INTO skillset_members (tenant_id, skillset_id, user_id) SELECT $1, s.id, u.id FROM skillsets s, users u WHERE s.tenant_id = $1 AND u.tenant_id = $1`,
			`INSERT INTO number_skillsets (tenant_id, number_id, skillset_id) SELECT $1, '` + numberID + `', id FROM skillsets WHERE tenant_id = $1`,
			`INSERT INTO routing_events (tenant_id, conversation_id, kind) VALUES ($1, '` + convID + `', 'queued')`,
			`INSERT INTO routing_commands (tenant_id, kind, conversation_id) VALUES ($1, 'arrive', '` + convID + `')`,
			`INSERT INTO routing_leases (tenant_id, holder, epoch, expires_at) VALUES ($1, 'test', 1, now())`,
			`INSERT INTO agent_events (tenant_id, agent_id, seq, kind, conversation_id) SELECT $1, u.id, 1, 'assigned', '` + convID + `' FROM users u WHERE u.tenant_id = $1 LIMIT 1`,
			`INSERT INTO canned_replies (tenant_id, shortcut, body) VALUES ($1, 'hello', 'Hello')`,
			`INSERT INTO close_outcomes (tenant_id, name) VALUES ($1, 'Resolved')`,
			`INSERT INTO conversation_notes (tenant_id, conversation_id, body) VALUES ($1, '` + convID + `', 'note')`,
			`INSERT INTO contact_fields (tenant_id, key, label, kind) VALUES ($1, 'vat', 'VAT', 'text')`,
			`INSERT INTO invitations (tenant_id, user_id, token_hash, expires_at) SELECT $1, u.id, sha256(u.id::text::bytea), now() FROM users u WHERE u.tenant_id = $1 LIMIT 1`,
			`INSERT INTO business_hours (tenant_id, number_id, weekday, opens, closes) VALUES ($1, '` + numberID + `', 1, 540, 1080)`,
			`INSERT INTO holidays (tenant_id, number_id, day, name) VALUES ($1, '` + numberID + `', '2026-12-25', 'Natale')`,
			`INSERT INTO retention_runs (tenant_id, ran_at) VALUES ($1, now())`,
			`INSERT INTO contact_imports (tenant_id, file_name) VALUES ($1, 'contacts.csv')`,
			`INSERT INTO contact_import_rows (tenant_id, import_id, n, line, phone, wa_id) SELECT $1, id, 1, 2, '+39 333 111 2222', '393331112222' FROM contact_imports WHERE tenant_id = $1`,
			`INSERT INTO applications (tenant_id, plan_id, company_name, vat_number, meta_business_id, phone, monthly_conversations, use_cases) SELECT $1, plan_id, name, 'IT00743110157', '123456789', '+390212345678', 100, '{shipping_update}' FROM tenants WHERE id = $1`,
			`INSERT INTO application_events (tenant_id, application_id, to_state) SELECT $1, id, 'submitted' FROM applications WHERE tenant_id = $1`,
			`INSERT INTO bots (tenant_id, name) VALUES ($1, 'Front desk')`,
			`INSERT INTO bot_versions (tenant_id, bot_id, version, definition) SELECT $1, id, 1, '{}' FROM bots WHERE tenant_id = $1`,
			`INSERT INTO number_automation (number_id, tenant_id) VALUES ('` + numberID + `', $1)`,
			`INSERT INTO keyword_rules (tenant_id, position, name, match, pattern, reply) VALUES ($1, 1, 'Hi', 'exact', 'hi', '{"type": "text", "text": "Hello"}')`,
			`INSERT INTO bot_runs (conversation_id, tenant_id, number_id) VALUES ('` + convID + `', $1, '` + numberID + `')`,
			`INSERT INTO media_uploads (tenant_id, media_id, number_id, meta_media_id) VALUES ($1, '` + mediaID + `', '` + numberID + `', 'up` + suffix + `')`,
		} {
			if _, err := tx.Exec(ctx, q, tenantID); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatalf("seed inbound rows: %v", err)
	}
}

// TestEveryTenantTableIsCovered keeps tenantTables honest: every table with
// a tenant_id column is in it, and has row-level security forced.
func TestEveryTenantTableIsCovered(t *testing.T) {
	t.Parallel()
	db := storagetest.NewDB(t)
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, db.URL)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	rows, err := conn.Query(ctx, `SELECT c.relname, c.relrowsecurity, c.relforcerowsecurity FROM pg_class c
		JOIN pg_namespace n ON n.oid = c.relnamespace
		WHERE n.nspname = 'public' AND c.relkind = 'r'
		  AND EXISTS (SELECT 1 FROM information_schema.columns col WHERE col.table_schema = 'public'
		              AND col.table_name = c.relname AND col.column_name = 'tenant_id')`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	for rows.Next() {
		var name string
		var rls, force bool
		if err := rows.Scan(&name, &rls, &force); err != nil {
			t.Fatal(err)
		}
		if _, ok := tenantTables[name]; !ok {
			t.Errorf("table %s has tenant_id but is not in tenantTables (and so not checked)", name)
		}
		if !rls || !force {
			t.Errorf("table %s: row-level security enabled=%v forced=%v", name, rls, force)
		}
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	// The platform's own tables are invisible to a tenant's transaction.
	f := storagetest.Seed(t, db)
	if err := db.Store.InsertWebhookEvent(ctx, "", false, []byte("{}")); err != nil {
		t.Fatal(err)
	}
	err = db.Store.InTenant(ctx, f.A.ID, func(tx pgx.Tx) error {
		var n int
		if err := tx.QueryRow(ctx, `SELECT count(*) FROM webhook_events`).Scan(&n); err != nil {
			return err
		}
		if n != 0 {
			t.Errorf("a tenant's transaction sees %d webhook events", n)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

// TestRowLevelSecurityHidesOtherTenants runs raw SQL as the application role
// with tenant A set — no WHERE clause at all — and finds none of B's rows in
// any tenant table.
func TestRowLevelSecurityHidesOtherTenants(t *testing.T) {
	t.Parallel()
	db := storagetest.NewDB(t)
	f := storagetest.Seed(t, db)
	ctx := context.Background()
	seedInbound(t, db, f.A.ID, "1")
	seedInbound(t, db, f.B.ID, "2")
	// A session in each tenant, so the sessions table has rows to hide.
	sessions := auth.NewSessions(db.Store, timeNow)
	for _, u := range []storagetest.Tenant{f.A, f.B} {
		if _, _, err := sessions.Start(ctx, u.Agent, "127.0.0.1", "test"); err != nil {
			t.Fatal(err)
		}
	}
	for table, col := range tenantTables {
		err := db.Store.InTenant(ctx, f.A.ID, func(tx pgx.Tx) error {
			var total, foreign int
			err := tx.QueryRow(ctx, `SELECT count(*), count(*) FILTER (WHERE `+col+` IS DISTINCT FROM $1::uuid) FROM `+table, f.A.ID).Scan(&total, &foreign)
			if err != nil {
				return err
			}
			if total == 0 {
				t.Errorf("%s: tenant A sees none of its own rows", table)
			}
			if foreign != 0 {
				t.Errorf("%s: tenant A sees %d rows of other tenants", table, foreign)
			}
			return nil
		})
		if err != nil {
			t.Fatalf("%s: %v", table, err)
		}
	}
	// Writing into B while A is set is refused by the policy's WITH CHECK.
	err := db.Store.InTenant(ctx, f.A.ID, func(tx pgx.Tx) error {
		_, err := tx.Exec(ctx, `INSERT INTO users (tenant_id, email, role, password_hash) VALUES ($1, 'x@beta.test', 'agent', 'x')`, f.B.ID)
		return err
	})
	var pgErr *pgconn.PgError
	if !errors.As(err, &pgErr) || pgErr.Code != "42501" {
		t.Fatalf("insert into tenant B as A: got %v, want insufficient_privilege (42501)", err)
	}
	// With no tenant set at all, nothing is visible.
	err = pgx.BeginFunc(ctx, db.Pool, func(tx pgx.Tx) error {
		var n int
		if err := tx.QueryRow(ctx, `SELECT count(*) FROM users`).Scan(&n); err != nil {
			return err
		}
		if n != 0 {
			t.Errorf("no tenant set: %d users visible, want 0", n)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

// TestApplicationRoleCannotEscape checks the role the product runs as: it is
// not the owner, cannot bypass RLS and cannot change the audit log. (Only
// SQL written to do so could RESET ROLE to a superuser that DATABASE_URL
// names; production connects as a login role that is merely a member of
// switchboard_app — docs/operations.md.)
func TestApplicationRoleCannotEscape(t *testing.T) {
	t.Parallel()
	db := storagetest.NewDB(t)
	f := storagetest.Seed(t, db)
	ctx := context.Background()
	var role string
	var bypass, super bool
	if err := db.Pool.QueryRow(ctx, `SELECT current_user, rolbypassrls, rolsuper FROM pg_roles WHERE rolname = current_user`).Scan(&role, &bypass, &super); err != nil {
		t.Fatal(err)
	}
	if role != storage.AppRole || bypass || super {
		t.Fatalf("connections run as %s (bypassrls=%v, super=%v), want %s without either", role, bypass, super, storage.AppRole)
	}
	err := db.Store.InTenant(ctx, f.A.ID, func(tx pgx.Tx) error {
		_, err := tx.Exec(ctx, `UPDATE audit_log SET action = 'forged'`)
		return err
	})
	var pgErr *pgconn.PgError
	if !errors.As(err, &pgErr) || pgErr.Code != "42501" {
		t.Fatalf("update audit_log: got %v, want permission denied", err)
	}
}

// TestStoreMethodsStayInTheirTenant goes through the Store, as handlers do.
func TestStoreMethodsStayInTheirTenant(t *testing.T) {
	t.Parallel()
	db := storagetest.NewDB(t)
	f := storagetest.Seed(t, db)
	ctx := context.Background()
	if _, err := db.Store.User(ctx, f.A.ID, f.B.Agent.ID); !errors.Is(err, storage.ErrNotFound) {
		t.Fatalf("User(A, B's agent) = %v, want ErrNotFound", err)
	}
	users, err := db.Store.ListUsers(ctx, f.A.ID)
	if err != nil {
		t.Fatal(err)
	}
	if len(users) != 2 {
		t.Fatalf("ListUsers(A) returned %d users, want A's 2", len(users))
	}
	for _, u := range users {
		if u.TenantID != f.A.ID {
			t.Fatalf("ListUsers(A) returned %s of another tenant", u.Email)
		}
	}
	if _, err := db.Store.Tenant(ctx, f.A.ID); err != nil {
		t.Fatal(err)
	}
	entries, err := db.Store.ListAudit(ctx, f.B.ID, 100)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		if e.TenantID != f.B.ID {
			t.Fatalf("ListAudit(B) returned an entry of tenant %q", e.TenantID)
		}
	}
	if err := db.Store.DeleteSession(ctx, f.A.ID, f.B.Agent.ID, f.B.Agent.ID); !errors.Is(err, storage.ErrNotFound) {
		t.Fatalf("DeleteSession across tenants = %v, want ErrNotFound", err)
	}
}
