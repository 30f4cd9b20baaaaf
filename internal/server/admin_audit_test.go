package server_test

import (
	"context"
	"encoding/csv"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/PuerkitoBio/goquery"
	"github.com/chromedp/chromedp"
	"github.com/jackc/pgx/v5"

	"switchboard/internal/server/browsertest"
	"switchboard/internal/server/servertest"
	"switchboard/internal/storage"
	"switchboard/internal/storage/storagetest"
)

// TestAdminAuditSearchAndExport reads tenant A's audit log through the
// pages: a filter by action, a bad date refused beside its input, the CSV
// with the same filter; an agent reaches neither, tenant B sees none of A's.
func TestAdminAuditSearchAndExport(t *testing.T) {
	t.Parallel()
	app := servertest.New(t)
	seedContacts(t, app)
	ctx := context.Background()
	marta, _ := contactByPhone(t, app, app.F.A.ID, "3331112222")
	actor := storage.Actor{UserID: app.F.A.Admin.ID, Email: app.F.A.Admin.Email, IP: "203.0.113.9"}
	if _, err := app.DB.Store.SetContactName(ctx, app.F.A.ID, actor, marta.ID, "Marta Rossi"); err != nil {
		t.Fatal(err)
	}
	if err := app.DB.Store.SetContactPriority(ctx, app.F.A.ID, actor, marta.ID, 7); err != nil {
		t.Fatal(err)
	}

	agent := app.Client(t)
	agent.MustLogin(app.F.A.Agent.Email, storagetest.Password)
	for _, path := range []string{"/admin/audit", "/admin/audit.csv", "/admin/audit?action=contact.name"} {
		if r := agent.Get(path); r.Status != http.StatusForbidden {
			t.Fatalf("an agent opening %s: %d", path, r.Status)
		}
	}

	admin := app.Client(t)
	admin.MustLogin(app.F.A.Admin.Email, storagetest.Password)
	r := admin.Get("/admin/audit?action=contact.name")
	rows := r.Doc.Find(`[data-testid=audit-row]`)
	if r.Status != http.StatusOK || rows.Length() != 1 || r.Text(`[data-testid=audit-action]`) != "contact.name" ||
		r.Text(`[data-testid=audit-ip]`) != "203.0.113.9" || r.Text(`[data-testid=audit-actor]`) != app.F.A.Admin.Email {
		t.Fatalf("filtered by action: %d, %d rows\n%s", r.Status, rows.Length(), r.Text(`[data-testid=audit]`))
	}
	// The detail is shown as its keys and values, not as JSON.
	detail := r.Text(`[data-testid=audit-detail]`)
	if !strings.Contains(detail, "after") || !strings.Contains(detail, "Marta Rossi") || strings.Contains(detail, "{") {
		t.Fatalf("detail: %q", detail)
	}
	if !r.Has(`[data-testid=filter-action] option[value="contact.name"][selected]`) ||
		!strings.Contains(r.Doc.Find(`[data-testid=audit-export]`).AttrOr("href", ""), "action=contact.name") {
		t.Fatalf("the filter is not kept in the form and the export link")
	}

	// A bad date: said beside its input, in the reader's language, and not
	// applied; the rest of the filter still is.
	r = admin.Get("/admin/audit?action=contact.name&from=2026-02-31")
	if r.Status != http.StatusOK || !strings.Contains(r.Text(`[data-testid=error-from]`), "YYYY-MM-DD") ||
		r.Doc.Find(`[data-testid=audit-row]`).Length() != 1 {
		t.Fatalf("bad date: %d %q", r.Status, r.Text(`[data-testid=error-from]`))
	}
	admin.Header.Set("Accept-Language", "it")
	r = admin.Get("/admin/audit?to=yesterday")
	admin.Header.Del("Accept-Language")
	if !strings.Contains(r.Text(`[data-testid=error-to]`), "AAAA-MM-GG") {
		t.Fatalf("bad date in Italian: %q", r.Text(`[data-testid=error-to]`))
	}
	if r := admin.Get("/admin/audit?from=2026-05-02&to=2026-05-01"); !r.Has(`[data-testid=error-to]`) {
		t.Fatal("an end before the start is not refused")
	}
	if r := admin.Get("/admin/audit.csv?from=tomorrow"); r.Status != http.StatusBadRequest || strings.Contains(r.Body, "contact.name") {
		t.Fatalf("export with a bad date: %d %q", r.Status, r.Body)
	}
	// Days: today (the tenant's zone) includes both changes; a day long
	// past includes neither.
	today := time.Now().UTC().Format("2006-01-02")
	if r := admin.Get("/admin/audit?from=" + today + "&to=" + today + "&q=marta"); r.Doc.Find(`[data-testid=audit-row]`).Length() < 1 {
		t.Fatalf("today's entries: %s", r.Text(`[data-testid=audit-log]`))
	}
	if r := admin.Get("/admin/audit?to=2001-01-01"); !r.Has(`[data-testid=audit-none]`) {
		t.Fatalf("entries before 2001: %s", r.Text(`[data-testid=audit]`))
	}

	// The export: the columns, the filter applied, compact JSON detail.
	r = admin.Get("/admin/audit.csv?action=routing.contact_priority")
	if r.Status != http.StatusOK || !strings.HasPrefix(r.Header.Get("Content-Type"), "text/csv") {
		t.Fatalf("export: %d %s", r.Status, r.Header.Get("Content-Type"))
	}
	recs, err := csv.NewReader(strings.NewReader(r.Body)).ReadAll()
	if err != nil || len(recs) != 2 || strings.Join(recs[0], ",") != "time,actor,action,target,ip,detail" {
		t.Fatalf("export: %v %q", err, r.Body)
	}
	rec := recs[1]
	when, err := time.Parse(time.RFC3339, rec[0])
	var d map[string]any
	if err != nil || time.Since(when) > time.Hour || rec[1] != app.F.A.Admin.Email || rec[2] != "routing.contact_priority" || rec[3] != "+393331112222" ||
		rec[4] != "203.0.113.9" || json.Unmarshal([]byte(rec[5]), &d) != nil || strings.Contains(rec[5], " ") {
		t.Fatalf("export row: %q", rec)
	}
	if r := admin.Get("/admin/audit.csv"); !strings.Contains(r.Body, "contact.name") || !strings.Contains(r.Body, "contact.import") {
		t.Fatalf("unfiltered export: %q", r.Body)
	}

	// Tenant B: none of A's entries, on the page or in the file.
	other := app.Client(t)
	other.MustLogin(app.F.B.Admin.Email, storagetest.Password)
	if r := other.Get("/admin/audit"); r.Status != http.StatusOK || strings.Contains(r.Body, "contact.name") || strings.Contains(r.Body, "203.0.113.9") {
		t.Fatalf("tenant B's page shows A's entries")
	}
	if r := other.Get("/admin/audit.csv?q=marta"); r.Status != http.StatusOK || strings.Count(strings.TrimSpace(r.Body), "\n") != 0 {
		t.Fatalf("tenant B's export: %q", r.Body)
	}
}

// TestBrowserAdminAuditSearch plays an administrator in Chromium: two
// changes to a contact, then the audit log filtered by one action shows only
// that change, and offers the filtered export.
func TestBrowserAdminAuditSearch(t *testing.T) {
	t.Parallel()
	app := servertest.New(t)
	seedContacts(t, app)
	marta, _ := contactByPhone(t, app, app.F.A.ID, "3331112222")
	ctx := browsertest.New(t)
	do, eval := browserSteps(t, app, ctx)
	do("sign in and open Marta",
		chromedp.Navigate(app.URL+"/login"),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid=login]`)),
		chromedp.SendKeys(chromedp.CSS(`#f-email`), app.F.A.Admin.Email),
		chromedp.SendKeys(chromedp.CSS(`#f-password`), storagetest.Password),
		chromedp.Click(chromedp.CSS(`[data-testid=login-submit]`)),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid=admin-home]`)),
		chromedp.Navigate(app.URL+"/admin/contacts/"+marta.ID),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid=profile-form]`)))
	do("raise her priority",
		chromedp.SetValue(chromedp.CSS(`[data-testid=profile-priority]`), "9"),
		chromedp.Click(chromedp.CSS(`[data-testid=profile-save]`)),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid=flash]`)))
	do("tag her",
		chromedp.SendKeys(chromedp.CSS(`[data-testid=tag-tag]`), "VIP"),
		chromedp.Click(chromedp.CSS(`[data-testid=tag-add]`)),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid=tag][data-tag=vip]`)))

	do("open the audit log and filter by the tag's action",
		chromedp.Click(chromedp.CSS(`[data-testid=nav-audit]`)),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid=audit-row][data-action="routing.contact_priority"]`)),
		chromedp.SetValue(chromedp.CSS(`[data-testid=filter-action]`), "contact.tag_add"),
		chromedp.Click(chromedp.CSS(`[data-testid=filter-submit]`)),
		// The export link carries the server's filter: it is there once the filtered page is.
		chromedp.WaitVisible(chromedp.CSS(`[data-testid=audit-export][href="/admin/audit.csv?action=contact.tag_add"]`)))
	rows := eval(`[...document.querySelectorAll("[data-testid=audit-row]")].map(r => r.dataset.action + " " + r.querySelector("[data-testid=audit-detail]").textContent.replace(/\s+/g, " ").trim()).join("|")`)
	if !strings.HasPrefix(rows, "contact.tag_add ") || strings.Contains(rows, "|") || !strings.Contains(rows, "vip") {
		t.Fatalf("rows filtered by contact.tag_add: %q", rows)
	}
	if href := eval(`document.querySelector("[data-testid=audit-export]").getAttribute("href")`); href != "/admin/audit.csv?action=contact.tag_add" {
		t.Fatalf("export link: %q", href)
	}
}

// TestAdminAuditOlderPages follows the "older" link through 150 entries:
// 100, then the rest, none twice, the filter kept.
func TestAdminAuditOlderPages(t *testing.T) {
	t.Parallel()
	app := servertest.New(t)
	err := app.DB.Store.InTenant(context.Background(), app.F.A.ID, func(tx pgx.Tx) error {
		_, err := tx.Exec(context.Background(), `INSERT INTO audit_log (tenant_id, actor_email, action, target, created_at)
			SELECT $1, 'bulk@alpha.test', 'bulk.change', 'item-' || g, now() - (g / 2) * interval '1 minute'
			FROM generate_series(1, 150) g`, app.F.A.ID)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	admin := app.Client(t)
	admin.MustLogin(app.F.A.Admin.Email, storagetest.Password)
	seen := map[string]bool{}
	path, pages := "/admin/audit?action=bulk.change", 0
	for path != "" {
		r := admin.Get(path)
		pages++
		r.Doc.Find(`[data-testid=audit-target]`).Each(func(_ int, s *goquery.Selection) {
			if seen[s.Text()] {
				t.Fatalf("%s twice", s.Text())
			}
			seen[s.Text()] = true
		})
		path = r.Doc.Find(`[data-testid=audit-older]`).AttrOr("href", "")
		if path != "" && !strings.Contains(path, "action=bulk.change") {
			t.Fatalf("the older link drops the filter: %s", path)
		}
		if pages > 3 {
			t.Fatal("more pages than entries")
		}
	}
	if len(seen) != 150 || pages != 2 {
		t.Fatalf("%d entries on %d pages", len(seen), pages)
	}
	if r := admin.Get("/admin/audit?before=nonsense"); !r.Has(`[data-testid=error-before]`) || r.Doc.Find(`[data-testid=audit-row]`).Length() == 0 {
		t.Fatal("a bad cursor is not reported, or hides the newest entries")
	}
}
