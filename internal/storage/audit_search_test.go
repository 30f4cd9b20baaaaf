package storage_test

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"switchboard/internal/domain"
	"switchboard/internal/storage"
	"switchboard/internal/storage/storagetest"
)

// auditRow is one entry written straight into audit_log, at a chosen time,
// so the test controls ties and days.
type auditRow struct {
	actor, action, target string
	detail                map[string]any
	at                    time.Time
}

func insertAudit(t *testing.T, st *storage.Store, tenantID string, rows []auditRow) {
	t.Helper()
	err := st.InTenant(context.Background(), tenantID, func(tx pgx.Tx) error {
		for _, r := range rows {
			if _, err := tx.Exec(context.Background(), `INSERT INTO audit_log (tenant_id, actor_email, action, target, detail, ip, created_at)
				VALUES ($1, $2, $3, $4, coalesce($5, '{}'::jsonb), '192.0.2.7', $6)`, tenantID, r.actor, r.action, r.target, r.detail, r.at); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

// allAudit pages through a filter to its end, failing on a repeated entry
// or an order that is not newest first.
func allAudit(t *testing.T, st *storage.Store, tenantID string, f storage.AuditFilter, between func(page int)) []domain.AuditEntry {
	t.Helper()
	var out []domain.AuditEntry
	seen := map[int64]bool{}
	for page := 0; ; page++ {
		rows, more, err := st.SearchAudit(context.Background(), tenantID, f)
		if err != nil {
			t.Fatal(err)
		}
		if more && len(rows) != storage.AuditPageSize {
			t.Fatalf("page %d: %d rows with more to come", page, len(rows))
		}
		for _, e := range rows {
			if seen[e.ID] {
				t.Fatalf("entry %d twice", e.ID)
			}
			seen[e.ID] = true
			if n := len(out); n > 0 {
				p := out[n-1]
				if e.CreatedAt.After(p.CreatedAt) || (e.CreatedAt.Equal(p.CreatedAt) && e.ID > p.ID) {
					t.Fatalf("entry %d after %d is not older", e.ID, p.ID)
				}
			}
			out = append(out, e)
		}
		if !more {
			return out
		}
		last := rows[len(rows)-1]
		f.Before = &storage.AuditCursor{At: last.CreatedAt, ID: last.ID}
		if between != nil {
			between(page)
		}
	}
}

func TestAuditSearch(t *testing.T) {
	db := storagetest.NewDB(t)
	f := storagetest.Seed(t, db)
	st := db.Store
	ctx := context.Background()
	base := time.Date(2026, 3, 10, 8, 0, 0, 0, time.UTC)

	// 250 entries in A, three at a time sharing one instant (ties that only
	// the id orders), over five days; and a few in B that would match too.
	var rows []auditRow
	for i := 0; i < 250; i++ {
		action, actor := "number.add", "alice@alpha.test"
		if i%2 == 1 {
			action = "skillset.rename"
		}
		if i%5 == 0 {
			actor = "bob@alpha.test"
		}
		rows = append(rows, auditRow{actor: actor, action: action, target: fmt.Sprintf("t-%03d", i),
			detail: map[string]any{"before": map[string]any{"name": fmt.Sprintf("old-%03d", i)}, "after": map[string]any{"name": fmt.Sprintf("new-%03d", i)}},
			at:     base.Add(time.Duration(i/3) * 29 * time.Minute)})
	}
	insertAudit(t, st, f.A.ID, rows)
	insertAudit(t, st, f.B.ID, []auditRow{
		{actor: "alice@alpha.test", action: "number.add", target: "t-001", detail: map[string]any{"after": map[string]any{"name": "new-001"}}, at: base},
		{actor: "eve@beta.test", action: "tenant.secret", target: "t-b", at: base},
	})

	// Everything of A, page by page, while someone keeps changing things:
	// entries written meanwhile do not shift the pages.
	var added int
	got := allAudit(t, st, f.A.ID, storage.AuditFilter{}, func(int) {
		added++
		insertAudit(t, st, f.A.ID, []auditRow{{actor: "alice@alpha.test", action: "number.add", target: "meanwhile", at: time.Now()}})
	})
	// The fixtures' own entries (tenant and users created) come first in
	// the oldest-last order; count only ours.
	ours := 0
	for _, e := range got {
		if e.TenantID != f.A.ID {
			t.Fatalf("an entry of another tenant: %+v", e)
		}
		if e.Target == "meanwhile" {
			t.Fatalf("an entry written after the first page appeared in a later one")
		}
		if strings.HasPrefix(e.Target, "t-") {
			ours++
		}
	}
	if ours != 250 || added != 2 {
		t.Fatalf("paged %d of 250 entries (%d pages after the first)", ours, added)
	}

	// Filters combine: action, actor (any case), text in the detail, days.
	from := base.Add(24 * time.Hour)
	flt := storage.AuditFilter{Action: "number.add", Actor: "BOB@alpha.test", Text: "new-1", From: from, To: from.Add(24 * time.Hour)}
	var want []string
	for i := 249; i >= 0; i-- {
		r := rows[i]
		if r.action == "number.add" && r.actor == "bob@alpha.test" && strings.Contains(fmt.Sprint(r.detail), "new-1") &&
			!r.at.Before(flt.From) && r.at.Before(flt.To) {
			want = append(want, r.target)
		}
	}
	var gotT []string
	for _, e := range allAudit(t, st, f.A.ID, flt, nil) {
		gotT = append(gotT, e.Target)
	}
	if len(want) == 0 || strings.Join(gotT, ",") != strings.Join(want, ",") {
		t.Fatalf("combined filter: got %v, want %v", gotT, want)
	}

	// Text matches the action, the target and the actor too; LIKE's
	// wildcards are plain characters.
	for text, n := range map[string]int{"skillset.ren": 125, "t-00": 10, "bob@": 50, "%": 0, "_": 0} {
		c := 0
		for _, e := range allAudit(t, st, f.A.ID, storage.AuditFilter{Text: text}, nil) {
			if strings.HasPrefix(e.Target, "t-") {
				c++
			}
		}
		if c != n {
			t.Fatalf("text %q: %d entries, want %d", text, c, n)
		}
	}

	// Tenant B sees its own two, never A's.
	b := allAudit(t, st, f.B.ID, storage.AuditFilter{Text: "t-"}, nil)
	if len(b) != 2 {
		t.Fatalf("tenant B: %+v", b)
	}
	actions, actors, err := st.AuditChoices(ctx, f.B.ID)
	if err != nil || strings.Join(actions, ",") == "" || strings.Contains(strings.Join(actions, ","), "skillset.rename") ||
		strings.Contains(strings.Join(actors, ","), "bob@") {
		t.Fatalf("tenant B's choices: %v %v %v", actions, actors, err)
	}
	actions, _, _ = st.AuditChoices(ctx, f.A.ID)
	if !slices.Contains(actions, "number.add") || !slices.Contains(actions, "skillset.rename") || slices.Contains(actions, "tenant.secret") {
		t.Fatalf("tenant A's actions: %v", actions)
	}
}
