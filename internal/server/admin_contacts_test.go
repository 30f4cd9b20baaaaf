package server_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/jackc/pgx/v5"

	"switchboard/internal/server/browsertest"
	"switchboard/internal/server/servertest"
	"switchboard/internal/storage"
	"switchboard/internal/storage/storagetest"
)

// seedContacts gives tenant A a custom field "city" and two contacts.
func seedContacts(t *testing.T, app *servertest.App) {
	t.Helper()
	ctx := context.Background()
	st, actor := app.DB.Store, storage.Actor{Email: "test"}
	if _, err := st.DefineContactField(ctx, app.F.A.ID, actor, storage.ContactField{Key: "city", Label: "City", Kind: storage.FieldKindText}); err != nil {
		t.Fatal(err)
	}
	if _, err := st.ImportContacts(ctx, app.F.A.ID, actor, strings.NewReader("phone,name,priority,city\n+393331112222,Marta,0,Roma\n+393334445555,Luca,1,\n")); err != nil {
		t.Fatal(err)
	}
}

func contactByPhone(t *testing.T, app *servertest.App, tenantID, q string) (storage.ContactRow, bool) {
	t.Helper()
	rows, _, err := app.DB.Store.SearchContacts(context.Background(), tenantID, storage.ContactFilter{Query: q}, 0, 2)
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != 1 {
		return storage.ContactRow{}, false
	}
	return rows[0], true
}

// TestBrowserAdminContacts plays an administrator in Chromium: finds a
// contact, raises its priority and tags it, uploads a CSV with one bad row
// (the preview names it and nothing is imported), fixes it and imports, and
// exports the list.
func TestBrowserAdminContacts(t *testing.T) {
	t.Parallel()
	app := servertest.New(t)
	seedContacts(t, app)
	ctx := browsertest.New(t)
	do, eval := browserSteps(t, app, ctx)
	do("sign in and open the contacts",
		chromedp.Navigate(app.URL+"/login"),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid=login]`)),
		chromedp.SendKeys(chromedp.CSS(`#f-email`), app.F.A.Admin.Email),
		chromedp.SendKeys(chromedp.CSS(`#f-password`), storagetest.Password),
		chromedp.Click(chromedp.CSS(`[data-testid=login-submit]`)),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid=admin-home]`)),
		chromedp.Click(chromedp.CSS(`[data-testid=nav-contacts]`)),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid=contacts-table]`)))
	if n := eval(`document.querySelectorAll("[data-testid=contact-row]").length + ""`); n != "2" {
		t.Fatalf("rows before searching: %s", n)
	}

	do("search by part of the phone number",
		chromedp.SendKeys(chromedp.CSS(`[data-testid=filter-q]`), "111 22"),
		chromedp.Click(chromedp.CSS(`[data-testid=filter-submit]`)),
		// The value attribute is the server's: it is there once the filtered page is.
		chromedp.WaitVisible(chromedp.CSS(`[data-testid=filter-q][value="111 22"]`)),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid=contact-row][data-phone="+393331112222"]`)))
	if n := eval(`document.querySelectorAll("[data-testid=contact-row]").length + ""`); n != "1" {
		t.Fatalf("rows found for 111 22: %s", n)
	}

	do("open Marta, raise her priority",
		chromedp.Click(chromedp.CSS(`[data-testid=contact-link]`)),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid=profile-form]`)),
		chromedp.SetValue(chromedp.CSS(`[data-testid=profile-priority]`), "9"),
		chromedp.Click(chromedp.CSS(`[data-testid=profile-save]`)),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid=flash]`)))
	do("a priority out of range is refused beside its input",
		chromedp.SetValue(chromedp.CSS(`[data-testid=profile-priority]`), "5000"),
		chromedp.Click(chromedp.CSS(`[data-testid=profile-save]`)),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid=error-priority]`)))
	do("tag her",
		chromedp.SendKeys(chromedp.CSS(`[data-testid=tag-tag]`), "VIP"),
		chromedp.Click(chromedp.CSS(`[data-testid=tag-add]`)),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid=tag][data-tag=vip]`)))
	marta, _ := contactByPhone(t, app, app.F.A.ID, "3331112222")
	if marta.Priority != 9 || strings.Join(marta.Tags, ",") != "vip" {
		t.Fatalf("Marta after the edits: priority %d, tags %v", marta.Priority, marta.Tags)
	}
	audit, err := app.DB.Store.ListAudit(context.Background(), app.F.A.ID, 5)
	if err != nil || audit[0].Action != "contact.tag_add" || audit[1].Action != "routing.contact_priority" {
		t.Fatalf("audit after the edits: %+v %v", audit, err)
	}

	// A CSV with one bad row: the preview names it; Import is not offered.
	dir := t.TempDir()
	bad := filepath.Join(dir, "bad.csv")
	good := filepath.Join(dir, "good.csv")
	const file = "phone,name,priority,tags,city\n+39 333 777 8888,Giulia,3,new;retail,Milano\n%s,Paolo,0,,\n"
	if err := os.WriteFile(bad, []byte(strings.Replace(file, "%s", "333 999 0000", 1)), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(good, []byte(strings.Replace(file, "%s", "+39 333 999 0000", 1)), 0o600); err != nil {
		t.Fatal(err)
	}
	do("upload a file with a bad row",
		chromedp.Navigate(app.URL+"/admin/contacts"),
		chromedp.Click(chromedp.CSS(`[data-testid=contacts-import]`)),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid=import-upload]`)),
		chromedp.SetUploadFiles(chromedp.CSS(`[data-testid=import-file]`), []string{bad}),
		chromedp.Click(chromedp.CSS(`[data-testid=import-preview]`)),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid=import-preview-page][data-ok=false]`)),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid=import-row][data-line="3"][data-action=error] [data-testid=row-issue][data-column=phone]`)))
	if got := eval(`document.querySelectorAll('[data-testid=import-apply]').length + ""`); got != "0" {
		t.Fatal("Import is offered for a file with errors")
	}
	if _, found := contactByPhone(t, app, app.F.A.ID, "Giulia"); found {
		t.Fatal("a file with a bad row imported something")
	}

	if got := eval(`document.querySelector("[data-testid=import-row][data-line='3'] [data-testid=row-issue]").textContent`); !strings.Contains(got, "country code") {
		t.Fatalf("the local number's error reads %q", got)
	}
	// Local numbers are Italian: say so, and the same file goes through.
	do("read local numbers as Italian",
		chromedp.SetUploadFiles(chromedp.CSS(`[data-testid=import-file]`), []string{bad}),
		chromedp.SetValue(chromedp.CSS(`[data-testid=import-region]`), "IT"),
		chromedp.Click(chromedp.CSS(`[data-testid=import-preview]`)),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid=import-preview-page][data-status=ready]`)),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid=import-row][data-line="3"][data-action=new]`)))
	if got := eval(`document.querySelector("[data-testid=import-row][data-line='3']").textContent`); !strings.Contains(got, "393339990000") {
		t.Fatalf("the local number's row reads %q", got)
	}
	if got := eval(`document.querySelector("[data-testid=import-region-used]").textContent`); !strings.Contains(got, "Italy (+39)") {
		t.Fatalf("the page says local numbers are read as %q", got)
	}
	do("or upload the fixed file and import it",
		chromedp.SetUploadFiles(chromedp.CSS(`[data-testid=import-file]`), []string{good}),
		chromedp.Click(chromedp.CSS(`[data-testid=import-preview]`)),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid=import-preview-page][data-status=ready]`)),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid=import-row][data-line="2"][data-action=new]`)),
		chromedp.Click(chromedp.CSS(`[data-testid=import-apply]`)),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid=import-done][data-created="2"]`)),
		chromedp.Click(chromedp.CSS(`[data-testid=import-contacts]`)),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid=contacts-table]`)))
	giulia, found := contactByPhone(t, app, app.F.A.ID, "Giulia")
	if !found || giulia.Phone != "+393337778888" || giulia.Priority != 3 || strings.Join(giulia.Tags, ",") != "new,retail" || giulia.Fields["city"] != "Milano" {
		t.Fatalf("Giulia after the import: %+v", giulia)
	}
	if n := eval(`document.querySelectorAll("[data-testid=contact-row]").length + ""`); n != "4" {
		t.Fatalf("rows after the import: %s", n)
	}

	// Export what a filter shows: the tag vip is Marta alone.
	do("filter by tag",
		chromedp.SendKeys(chromedp.CSS(`[data-testid=filter-tag]`), "vip"),
		chromedp.Click(chromedp.CSS(`[data-testid=filter-submit]`)),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid=filter-tag][value=vip]`)),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid=contact-row][data-phone="+393331112222"]`)))
	if n := eval(`document.querySelectorAll("[data-testid=contact-row]").length + ""`); n != "1" {
		t.Fatalf("rows tagged vip: %s", n)
	}
	csvText := eval(`fetch(document.querySelector('[data-testid=contacts-export]').href).then(r => r.text())`)
	if want := "phone,name,priority,consent,tags,city\n+393331112222,Marta,9,unknown,vip,Roma\n"; csvText != want {
		t.Fatalf("export:\n%q\nwant\n%q", csvText, want)
	}
}

// TestAdminContactEraseAndExport erases a person through the pages: refused
// while a conversation is open and with a wrong number, then gone from
// Postgres and the blob store, with an audit entry naming the contact's id
// only. Tenant B's administrator and an agent reach none of it.
func TestAdminContactEraseAndExport(t *testing.T) {
	t.Parallel()
	app := servertest.New(t)
	seedContacts(t, app)
	ctx := context.Background()
	marta, _ := contactByPhone(t, app, app.F.A.ID, "Marta")
	if _, err := app.Blobs.Put(ctx, "test/marta-photo", bytes.NewReader([]byte("jpeg"))); err != nil {
		t.Fatal(err)
	}
	var conv string
	err := app.DB.Store.InPlatform(ctx, func(tx pgx.Tx) error {
		var numberID, mediaID string
		if err := tx.QueryRow(ctx, `INSERT INTO numbers (tenant_id, phone_number_id, display_phone, waba_id, access_token_enc)
			VALUES ($1, '99001', '+1 555 0100', '1', 'x') RETURNING id`, app.F.A.ID).Scan(&numberID); err != nil {
			return err
		}
		if err := tx.QueryRow(ctx, `INSERT INTO conversations (tenant_id, number_id, contact_id, status) VALUES ($1, $2, $3, 'queued') RETURNING id`,
			app.F.A.ID, numberID, marta.ID).Scan(&conv); err != nil {
			return err
		}
		if err := tx.QueryRow(ctx, `INSERT INTO media (tenant_id, number_id, meta_media_id, mime_type, blob_key, state)
			VALUES ($1, $2, 'm1', 'image/jpeg', 'test/marta-photo', 'stored') RETURNING id`, app.F.A.ID, numberID).Scan(&mediaID); err != nil {
			return err
		}
		_, err := tx.Exec(ctx, `INSERT INTO messages (tenant_id, conversation_id, wamid, direction, type, text, media_id, wa_timestamp)
			VALUES ($1, $2, 'wamid.m1', 'inbound', 'image', 'here is my ID card', $3, now())`, app.F.A.ID, conv, mediaID)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	page := "/admin/contacts/" + marta.ID

	// Others reach nothing: an agent is refused, tenant B sees no such contact.
	agent := app.Client(t)
	agent.MustLogin(app.F.A.Agent.Email, storagetest.Password)
	for _, path := range []string{page, page + "/export.json", "/admin/contacts", "/admin/contacts/import", "/admin/contacts/export.csv"} {
		if r := agent.Get(path); r.Status != http.StatusForbidden {
			t.Fatalf("an agent opening %s: %d", path, r.Status)
		}
	}
	other := app.Client(t)
	other.MustLogin(app.F.B.Admin.Email, storagetest.Password)
	other.Get("/admin/contacts")
	if r := other.Get(page); r.Status != http.StatusNotFound {
		t.Fatalf("tenant B opening A's contact: %d", r.Status)
	}
	if r := other.Get(page + "/export.json"); r.Status != http.StatusNotFound {
		t.Fatalf("tenant B exporting A's contact: %d", r.Status)
	}
	if r := other.Get("/admin/contacts/export.csv"); r.Status != http.StatusOK || strings.Contains(r.Body, "3331112222") {
		t.Fatalf("tenant B's export: %d %q", r.Status, r.Body)
	}
	if r := other.Post(page+"/erase", url.Values{"confirm": {"+393331112222"}}); r.Status != http.StatusNotFound {
		t.Fatalf("tenant B erasing A's contact: %d", r.Status)
	}

	admin := app.Client(t)
	admin.MustLogin(app.F.A.Admin.Email, storagetest.Password)
	r := admin.Get(page + "/export.json")
	var exp storage.PersonExport
	if r.Status != http.StatusOK || json.Unmarshal([]byte(r.Body), &exp) != nil || len(exp.Conversations) != 1 ||
		exp.Conversations[0].Messages[0].Text != "here is my ID card" || exp.Contact.Fields["city"] != "Roma" {
		t.Fatalf("export: %d %s", r.Status, r.Body)
	}

	admin.Get(page)
	r = admin.Post(page+"/erase", url.Values{"confirm": {"+39 333 111 2222"}})
	if r.Status != http.StatusUnprocessableEntity || !strings.Contains(r.Text(`[data-testid=error-confirm]`), "close it first") {
		t.Fatalf("erase with an open conversation: %d %q", r.Status, r.Text(`[data-testid=error-confirm]`))
	}
	if _, err := app.DB.Store.Contact(ctx, app.F.A.ID, marta.ID); err != nil {
		t.Fatalf("refused, yet the contact is gone: %v", err)
	}
	if err := app.DB.Store.InTenant(ctx, app.F.A.ID, func(tx pgx.Tx) error {
		_, err := tx.Exec(ctx, `UPDATE conversations SET status = 'closed', closed_at = now() WHERE tenant_id = $1 AND id = $2`, app.F.A.ID, conv)
		return err
	}); err != nil {
		t.Fatal(err)
	}
	r = admin.Post(page+"/erase", url.Values{"confirm": {"+39 333 111 0000"}})
	if r.Status != http.StatusUnprocessableEntity || r.Text(`[data-testid=error-confirm]`) == "" {
		t.Fatalf("erase with the wrong number: %d", r.Status)
	}
	r = admin.Post(page+"/erase", url.Values{"confirm": {"+39 333 111 2222"}})
	if r.Status != http.StatusSeeOther || r.Location != "/admin/contacts" {
		t.Fatalf("erase: %d %s", r.Status, r.Location)
	}
	if r := admin.Get(page); r.Status != http.StatusNotFound {
		t.Fatalf("the erased contact's page: %d", r.Status)
	}
	if _, err := app.Blobs.Open(ctx, "test/marta-photo"); err == nil {
		t.Fatal("the photo is still in the blob store")
	}
	var left int
	if err := app.DB.Store.InTenant(ctx, app.F.A.ID, func(tx pgx.Tx) error {
		return tx.QueryRow(ctx, `SELECT (SELECT count(*) FROM messages) + (SELECT count(*) FROM media) + (SELECT count(*) FROM conversations)`).Scan(&left)
	}); err != nil || left != 0 {
		t.Fatalf("rows left after the erase: %d %v", left, err)
	}
	entries, err := app.DB.Store.ListAudit(ctx, app.F.A.ID, 1)
	if err != nil || entries[0].Action != "contact.erase" || entries[0].Target != marta.ID {
		t.Fatalf("audit: %+v %v", entries, err)
	}
	if detail, _ := json.Marshal(entries[0].Detail); strings.Contains(string(detail), "3331112222") || strings.Contains(string(detail), "ID card") {
		t.Fatalf("the audit entry keeps content: %s", detail)
	}
	// Luca is still there.
	if _, found := contactByPhone(t, app, app.F.A.ID, "Luca"); !found {
		t.Fatal("another contact went too")
	}
}

// TestAdminContactsImportKeptOnServer: a file over the limit is named as
// such; a good file is kept and named by id, so Import posts nothing back;
// the import is its tenant's administrators' alone, starts once, and its
// page ends with what it did.
func TestAdminContactsImportKeptOnServer(t *testing.T) {
	t.Parallel()
	app := servertest.New(t)
	admin := app.Client(t)
	admin.MustLogin(app.F.A.Admin.Email, storagetest.Password)
	admin.Get("/admin/contacts/import")

	// Rows padded with spaces (cells are trimmed): bytes run out before rows.
	var big bytes.Buffer
	big.WriteString("phone\n")
	for i := 0; big.Len() <= storage.MaxImportBytes; i++ {
		fmt.Fprintf(&big, "+3933%08d%400s\n", i, "")
	}
	r := admin.PostFile("/admin/contacts/import", nil, "file", "big.csv", "text/csv", big.Bytes())
	if r.Status != http.StatusUnprocessableEntity || !strings.Contains(r.Text(`[data-testid=file-issue]`), "32 MB") || r.Has(`[data-testid=import-apply]`) {
		t.Fatalf("a file over 32 MB: %d %q", r.Status, r.Text(`[data-testid=file-issue]`))
	}
	r = admin.PostFile("/admin/contacts/import", nil, "file", "x.csv", "text/csv", []byte("phone,name\n+393331112222,Marta\n+39 333 111 2223,Luca\n"))
	if r.Status != http.StatusSeeOther || !strings.HasPrefix(r.Location, "/admin/contacts/import/") {
		t.Fatalf("a good file: %d %s", r.Status, r.Location)
	}
	page := r.Location
	r = admin.Get(page)
	if r.Status != http.StatusOK || importAttr(r, `[data-testid=import-preview-page]`, "data-status") != "ready" || r.Doc.Find(`[data-testid=import-row][data-action=new]`).Length() != 2 {
		t.Fatalf("the kept import: %d %q", r.Status, r.Text(`[data-testid=import-preview-page]`))
	}
	if rows, _, _ := app.DB.Store.SearchContacts(context.Background(), app.F.A.ID, storage.ContactFilter{}, 0, 5); len(rows) != 0 {
		t.Fatalf("a check imported %d contacts", len(rows))
	}

	// Others reach nothing of it.
	agent := app.Client(t)
	agent.MustLogin(app.F.A.Agent.Email, storagetest.Password)
	if r := agent.Get(page); r.Status != http.StatusForbidden {
		t.Fatalf("an agent opening the import: %d", r.Status)
	}
	other := app.Client(t)
	other.MustLogin(app.F.B.Admin.Email, storagetest.Password)
	other.Get("/admin/contacts")
	if r := other.Get(page); r.Status != http.StatusNotFound {
		t.Fatalf("tenant B opening A's import: %d", r.Status)
	}
	if r := other.Post(page+"/apply", nil); r.Status != http.StatusNotFound {
		t.Fatalf("tenant B applying A's import: %d", r.Status)
	}
	// Without the CSRF token nothing happens.
	if r := admin.PostRaw(page+"/apply", nil); r.Status != http.StatusForbidden {
		t.Fatalf("import without a CSRF token: %d", r.Status)
	}

	r = admin.Post(page+"/apply", nil)
	if r.Status != http.StatusSeeOther || r.Location != page {
		t.Fatalf("apply: %d %s", r.Status, r.Location)
	}
	// The job runs on its own; a reload shows where it is.
	deadline := time.Now().Add(15 * time.Second)
	for {
		r = admin.Get(page)
		if importAttr(r, `[data-testid=import-preview-page]`, "data-status") == "done" || time.Now().After(deadline) {
			break
		}
		time.Sleep(50 * time.Millisecond)
	}
	if importAttr(r, `[data-testid=import-done]`, "data-created") != "2" {
		t.Fatalf("the import's end: %q", r.Text(`[data-testid=import-preview-page]`))
	}
	// A second click starts nothing: it shows the same page.
	if r := admin.Post(page+"/apply", nil); r.Status != http.StatusSeeOther || r.Location != page {
		t.Fatalf("apply again: %d %s", r.Status, r.Location)
	}
	if rows, _, _ := app.DB.Store.SearchContacts(context.Background(), app.F.A.ID, storage.ContactFilter{}, 0, 5); len(rows) != 2 {
		t.Fatalf("contacts after the import: %d", len(rows))
	}
	if entries, err := app.DB.Store.ListAudit(context.Background(), app.F.A.ID, 1); err != nil || entries[0].Action != "contact.import" || entries[0].Target != "x.csv" {
		t.Fatalf("audit: %+v %v", entries, err)
	}
}

func importAttr(r *servertest.Response, sel, attr string) string {
	v, _ := r.Doc.Find(sel).First().Attr(attr)
	return v
}

// TestBrowserContactsImportProgress plays an administrator importing 12,000
// rows in Chromium: the first file has a number too short and a number
// twice, both named by line; the fixed file is checked, imported, and its
// page follows the job without a reload, showing the rows applied while
// nothing is visible yet (one transaction), then the counts.
func TestBrowserContactsImportProgress(t *testing.T) {
	t.Parallel()
	app := servertest.New(t)
	seedContacts(t, app)
	ctx := browsertest.New(t)
	do, eval := browserSteps(t, app, ctx, stepTimeout(30*time.Second))
	const rows = 12000
	write := func(name string, bad bool) string {
		var b bytes.Buffer
		b.WriteString("phone,name,city\n+39 333 111 2222,Marta Rossi,Roma\n") // Marta exists: an update
		for i := 1; i < rows; i++ {
			phone := fmt.Sprintf("+39 347 %07d", i)
			switch {
			case bad && i == 3: // line 5
				phone = "+39 347 12"
			case bad && i == 7: // line 9: the number of line 3
				phone = "+39 347 0000001"
			}
			fmt.Fprintf(&b, "%s,Cliente %d,Milano\n", phone, i)
		}
		path := filepath.Join(t.TempDir(), name)
		if err := os.WriteFile(path, b.Bytes(), 0o600); err != nil {
			t.Fatal(err)
		}
		return path
	}
	badFile, goodFile := write("bad.csv", true), write("good.csv", false)

	do("sign in and upload the file with two bad rows",
		chromedp.Navigate(app.URL+"/login"),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid=login]`)),
		chromedp.SendKeys(chromedp.CSS(`#f-email`), app.F.A.Admin.Email),
		chromedp.SendKeys(chromedp.CSS(`#f-password`), storagetest.Password),
		chromedp.Click(chromedp.CSS(`[data-testid=login-submit]`)),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid=admin-home]`)),
		chromedp.Navigate(app.URL+"/admin/contacts/import"),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid=import-upload]`)),
		chromedp.SetUploadFiles(chromedp.CSS(`[data-testid=import-file]`), []string{badFile}),
		chromedp.Click(chromedp.CSS(`[data-testid=import-preview]`)),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid=import-preview-page][data-ok=false]`)))
	short := eval(`document.querySelector('[data-testid=import-row][data-line="5"] [data-testid=row-issue][data-column=phone]').textContent`)
	twice := eval(`document.querySelector('[data-testid=import-row][data-line="9"] [data-testid=row-issue][data-column=phone]').textContent`)
	if !strings.Contains(short, "Too short") || !strings.Contains(twice, "line 3") {
		t.Fatalf("the errors: line 5 %q, line 9 %q", short, twice)
	}
	if n := eval(`document.querySelectorAll('[data-testid=import-row]').length + " " + document.querySelectorAll('[data-testid=import-apply]').length`); n != "2 0" {
		t.Fatalf("rows listed and Import buttons: %s", n)
	}
	if n := eval(`document.querySelector('[data-testid=import-refused]').textContent`); !strings.Contains(n, "2 rows") {
		t.Fatalf("the refusal: %q", n)
	}

	do("upload the fixed file",
		chromedp.SetUploadFiles(chromedp.CSS(`[data-testid=import-file]`), []string{goodFile}),
		chromedp.Click(chromedp.CSS(`[data-testid=import-preview]`)),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid=import-preview-page][data-status=ready]`)),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid=import-row][data-line="2"][data-action=update]`)))
	if s := eval(`document.querySelector('[data-testid=import-summary]').textContent`); !strings.Contains(s, "New: 11999") || !strings.Contains(s, "to update: 1") {
		t.Fatalf("the summary: %q", s)
	}

	// Hold Marta's row, as a customer writing at that moment might: the job
	// inserts every new contact, reports it, then waits on her row.
	dbctx := context.Background()
	conn, err := pgx.Connect(dbctx, app.DB.URL)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(dbctx)
	hold, err := conn.Begin(dbctx)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := hold.Exec(dbctx, `SELECT 1 FROM contacts WHERE wa_id = '393331112222' FOR UPDATE`); err != nil {
		t.Fatal(err)
	}
	do("import, and watch the rows go in",
		chromedp.Click(chromedp.CSS(`[data-testid=import-apply]`)),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid=import-preview-page][data-status=running]`)),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid=import-progress][data-done="12000"]`)))
	if got := eval(`document.querySelector('[data-testid=import-progress]').textContent`); !strings.Contains(got, "12000 of 12000") {
		t.Fatalf("the progress: %q", got)
	}
	if seen, _, err := app.DB.Store.SearchContacts(dbctx, app.F.A.ID, storage.ContactFilter{}, 0, 5); err != nil || len(seen) != 2 {
		t.Fatalf("contacts visible before the import's transaction ended: %d %v", len(seen), err)
	}
	if err := hold.Rollback(dbctx); err != nil {
		t.Fatal(err)
	}
	do("the page ends with the counts",
		chromedp.WaitVisible(chromedp.CSS(`[data-testid=import-done][data-created="11999"][data-updated="1"]`)),
		chromedp.Click(chromedp.CSS(`[data-testid=import-contacts]`)),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid=contacts-table]`)))
	if marta, _ := contactByPhone(t, app, app.F.A.ID, "3331112222"); marta.Name != "Marta Rossi" {
		t.Fatalf("Marta after the import: %+v", marta)
	}
	if _, found := contactByPhone(t, app, app.F.A.ID, "Cliente 11999"); !found {
		t.Fatal("the last row was not imported")
	}
}
