package storage_test

import (
	"bytes"
	"context"
	"encoding/csv"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"

	"switchboard/internal/storage"
	"switchboard/internal/storage/storagetest"
)

var csvFields = []storage.ContactField{
	{Key: "city", Label: "City", Kind: storage.FieldKindText},
	{Key: "size", Label: "Size", Kind: storage.FieldKindChoice, Choices: []string{"S", "M", "L"}},
	{Key: "since", Label: "Customer since", Kind: storage.FieldKindDate},
}

// issueKeys lists a plan's file issues and each row's issues as
// "line:column:key", for comparing at a glance.
func issueKeys(p storage.ImportPlan) []string {
	var out []string
	for _, i := range p.FileIssues {
		out = append(out, "file:"+i.Column+":"+i.Key)
	}
	for _, r := range p.Rows {
		for _, i := range r.Issues {
			out = append(out, strings.Join([]string{itoa(r.Line), i.Column, i.Key}, ":"))
		}
	}
	return out
}

func itoa(n int) string { return fmt.Sprintf("%02d", n) }

func TestContactsCSVParserNamesEachProblem(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name, file string
		want       []string
	}{
		{"unknown column", "phone,name,colour\n+393331112222,Marta,red\n", []string{"file:colour:admin.contacts.import_column_unknown"}},
		{"no phone column", "name,priority\nMarta,2\n", []string{"file:phone:admin.contacts.import_no_phone"}},
		{"a column twice", "phone,name,name\n+393331112222,a,b\n", []string{"file:name:admin.contacts.import_column_twice"}},
		{"empty", "", []string{"file::admin.contacts.import_empty"}},
		{"header only", "phone,name\n", []string{"file::admin.contacts.import_empty"}},
		{"not UTF-8", "phone,name\n+393331112222,Mar\xe8a\n", []string{"file::admin.contacts.import_not_utf8"}},
		{"bad rows", "phone,name,priority,consent,tags,size,since\n" +
			"+393331112222,Marta,2,granted,vip;retail,M,2024-01-31\n" + // line 2: good
			"333 111 2222,Luca,0,,,,\n" + // 3: no country code
			"+39 333 abc,Luca,0,,,,\n" + // 4: letters
			"+39 333 111 2222,Again,0,,,,\n" + // 5: the same number as line 2
			"+393330000001,Anna,5000,maybe,\"a,b\",XL,31/01/2024\n" + // 6: every cell wrong
			"+393330000002,Bruno\n", // 7: too few cells
			[]string{"03:phone:phone.no_country_code", "04:phone:phone.characters",
				"05:phone:admin.contacts.import_duplicate", "06:priority:routing.priority_range",
				"06:consent:admin.contacts.import_consent_invalid", "06:tags:agent.contact.tag_invalid",
				"06:size:agent.contact.value_choice", "06:since:agent.contact.value_date", "07::admin.contacts.import_cells"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := storage.ParseContactsCSV([]byte(tc.file), csvFields)
			if got := issueKeys(p); strings.Join(got, " ") != strings.Join(tc.want, " ") {
				t.Fatalf("issues\n got %q\nwant %q", got, tc.want)
			}
			if p.OK() {
				t.Fatal("a file with issues is OK")
			}
		})
	}

	// Too large: refused once the reader passes the limit, whatever came
	// before (rows padded with spaces, so bytes run out before rows do).
	var big bytes.Buffer
	big.WriteString("phone\n")
	for i := 0; big.Len() <= storage.MaxImportBytes; i++ {
		fmt.Fprintf(&big, "+3933%08d%400s\n", i, "")
	}
	if got := issueKeys(storage.ParseContactsCSV(big.Bytes(), nil)); len(got) != 1 || got[0] != "file::admin.contacts.import_too_large" {
		t.Fatalf("a file over 32 MB: %.200q", got)
	}
	// Too many rows.
	var many bytes.Buffer
	many.WriteString("phone\n")
	for i := 0; i <= storage.MaxImportRows; i++ {
		fmt.Fprintf(&many, "+3933%08d\n", i)
	}
	if got := issueKeys(storage.ParseContactsCSV(many.Bytes(), nil)); len(got) != 1 || got[0] != "file::admin.contacts.import_too_many" {
		t.Fatalf("100,001 rows: %.200q", got)
	}
	// Italian spreadsheets: semicolons, a byte order mark, 00 for +.
	p := storage.ParseContactsCSV([]byte("\xef\xbb\xbfPhone;Name;Tags\n0039 333 111 2222;Marta;\"vip;retail\"\n"), nil)
	if !p.OK() || len(p.Rows) != 1 || p.Rows[0].WaID != "393331112222" || *p.Rows[0].Name != "Marta" || strings.Join(p.Rows[0].Tags, "|") != "vip|retail" {
		t.Fatalf("semicolon file: %+v", p)
	}
}

// defineCSVFields gives a tenant the custom fields of csvFields.
func defineCSVFields(t *testing.T, st *storage.Store, tenantID string) {
	t.Helper()
	for _, f := range csvFields {
		if _, err := st.DefineContactField(context.Background(), tenantID, storage.Actor{Email: "test"}, f); err != nil {
			t.Fatal(err)
		}
	}
}

// contactsDump is every contact of a tenant as CSV, for comparing states.
func contactsDump(t *testing.T, st *storage.Store, tenantID string) string {
	t.Helper()
	ctx := context.Background()
	fields, err := st.ListContactFields(ctx, tenantID)
	if err != nil {
		t.Fatal(err)
	}
	var b bytes.Buffer
	w := csv.NewWriter(&b)
	_ = w.Write(storage.ContactCSVColumns(fields))
	if err := st.EachContact(ctx, tenantID, storage.ContactFilter{}, func(c storage.ContactRow) error {
		return w.Write(storage.ContactCSVRecord(c, fields))
	}); err != nil {
		t.Fatal(err)
	}
	w.Flush()
	return b.String()
}

func TestContactsImportIsAllOrNothing(t *testing.T) {
	t.Parallel()
	db := storagetest.NewDB(t)
	f := storagetest.Seed(t, db)
	ctx := context.Background()
	st, tenantID := db.Store, f.A.ID
	defineCSVFields(t, st, tenantID)
	marta, _ := panelContact(t, db, f.A, "393331112222")
	admin := storage.Actor{UserID: f.A.Admin.ID, Email: f.A.Admin.Email}
	before := contactsDump(t, st, tenantID)

	bad := "phone,name,priority,consent,tags,city,size\n" +
		"+39 333 111 2222,Marta Rossi,7,granted,vip,Roma,M\n" +
		"+39 333 000 0001,Nuovo,1,,,Milano,\n" +
		"+39 333 000 0002,Sbagliato,1,,,,XXL\n"
	p, err := st.ImportContacts(ctx, tenantID, admin, strings.NewReader(bad))
	if !errors.Is(err, storage.ErrImportInvalid) {
		t.Fatalf("a file with a bad row: %v", err)
	}
	if p.BadRows != 1 || p.ID != "" || len(p.Bad) != 1 || p.Bad[0].Line != 4 || p.Bad[0].Issues[0].Column != "size" {
		t.Fatalf("the bad row: %+v", p)
	}
	if after := contactsDump(t, st, tenantID); after != before {
		t.Fatalf("a bad file changed contacts:\n%s\nthen\n%s", before, after)
	}
	auditBefore := lastAudit(t, db, tenantID)

	good := strings.Replace(bad, "XXL", "L", 1)
	p, err = st.StageContactImport(ctx, tenantID, admin, "good.csv", "", strings.NewReader(good))
	if err != nil || !p.OK() || p.Status != storage.ImportReady || p.Rows != 3 || p.Created != 2 || p.Updated != 1 || p.Unchanged != 0 {
		t.Fatalf("check: %+v %v", p, err)
	}
	shown, err := st.ContactImportRows(ctx, tenantID, p.ID, 10)
	if err != nil || len(shown) != 3 || shown[0].Action != storage.ImportUpdate || shown[1].Action != storage.ImportNew {
		t.Fatalf("the kept rows: %+v %v", shown, err)
	}
	if got := strings.Join(shown[0].Changes, ","); got != "name,priority,consent,tags,city,size" {
		t.Fatalf("changes of Marta's row: %s", got)
	}
	if contactsDump(t, st, tenantID) != before {
		t.Fatal("a check changed contacts")
	}
	// Tenant B cannot see, start or apply A's import.
	if _, err := st.ContactImport(ctx, f.B.ID, p.ID); !errors.Is(err, storage.ErrNotFound) {
		t.Fatalf("tenant B reading A's import: %v", err)
	}
	if err := st.StartContactImport(ctx, f.B.ID, p.ID); !errors.Is(err, storage.ErrNotFound) {
		t.Fatalf("tenant B starting A's import: %v", err)
	}
	if err := st.StartContactImport(ctx, tenantID, p.ID); err != nil {
		t.Fatal(err)
	}
	if err := st.StartContactImport(ctx, tenantID, p.ID); !errors.Is(err, storage.ErrImportStarted) {
		t.Fatalf("started twice: %v", err)
	}
	done, err := st.ApplyContactImport(ctx, tenantID, admin, p.ID)
	if err != nil || done.Status != storage.ImportDone || done.Created != 2 || done.Updated != 1 || done.Done != 3 {
		t.Fatalf("apply: %+v %v", done, err)
	}
	if again, err := st.ContactImport(ctx, tenantID, p.ID); err != nil || again.Status != storage.ImportDone || again.Created != 2 || again.Done != 3 {
		t.Fatalf("the import after its job: %+v %v", again, err)
	}
	panel, err := st.ContactPanel(ctx, tenantID, marta, "")
	if err != nil {
		t.Fatal(err)
	}
	if c := panel.Contact; c.Name != "Marta Rossi" || c.Priority != 7 || c.Consent != "granted" || strings.Join(panel.Tags, ",") != "vip" {
		t.Fatalf("Marta after the import: %+v %v", c, panel.Tags)
	}
	if len(panel.Consent) != 1 || panel.Consent[0].Source != "imported" || panel.Consent[0].Actor != f.A.Admin.Email {
		t.Fatalf("consent history: %+v", panel.Consent)
	}
	rows, _, err := st.SearchContacts(ctx, tenantID, storage.ContactFilter{Query: "nuovo"}, 0, 10)
	if err != nil || len(rows) != 1 || rows[0].Phone != "+393330000001" || rows[0].Fields["city"] != "Milano" || rows[0].Priority != 1 {
		t.Fatalf("the new contact: %+v %v", rows, err)
	}
	if e := lastAudit(t, db, tenantID); e.Action != "contact.import" || e.ID == auditBefore.ID {
		t.Fatalf("audit: %+v", e)
	}

	// The router heard of Marta's new priority.
	var reloads int
	if err := st.InTenant(ctx, tenantID, func(tx pgx.Tx) error {
		return tx.QueryRow(ctx, `SELECT count(*) FROM routing_commands WHERE tenant_id = $1 AND kind = 'reload'`, tenantID).Scan(&reloads)
	}); err != nil || reloads == 0 {
		t.Fatalf("no reload command after a priority changed: %d %v", reloads, err)
	}

	// Tenant B saw nothing.
	if other, _, _ := st.SearchContacts(ctx, f.B.ID, storage.ContactFilter{}, 0, 10); len(other) != 0 {
		t.Fatalf("tenant B has contacts: %+v", other)
	}
}

func TestContactsExportThenImportChangesNothing(t *testing.T) {
	t.Parallel()
	db := storagetest.NewDB(t)
	f := storagetest.Seed(t, db)
	ctx := context.Background()
	st, tenantID := db.Store, f.A.ID
	defineCSVFields(t, st, tenantID)
	admin := storage.Actor{UserID: f.A.Admin.ID, Email: f.A.Admin.Email}
	if _, err := st.ImportContacts(ctx, tenantID, admin, strings.NewReader("phone,name,priority,consent,tags,city,size,since\n"+
		"+393331112222,\"Rossi, Marta\",7,granted,vip;retail,\"Roma \"\"centro\"\"\",M,2024-01-31\n"+
		"+12025550100,,-3,revoked,,,,\n"+
		"+447911123456,Ann,0,,,,,\n")); err != nil {
		t.Fatal(err)
	}
	exported := contactsDump(t, st, tenantID)
	p, err := st.StageContactImport(ctx, tenantID, admin, "export.csv", "", strings.NewReader(exported))
	if err != nil || !p.OK() || p.Unchanged != 3 || p.Created+p.Updated != 0 {
		t.Fatalf("the export read back: %+v %v\n%s", p, err, exported)
	}
	if _, err := st.ImportContacts(ctx, tenantID, admin, strings.NewReader(exported)); err != nil {
		t.Fatal(err)
	}
	if again := contactsDump(t, st, tenantID); again != exported {
		t.Fatalf("export, import, export differ:\n%s\n%s", exported, again)
	}
	// Filters narrow the export the same way as the list.
	granted, _, _ := st.SearchContacts(ctx, tenantID, storage.ContactFilter{Consent: "granted"}, 0, 10)
	low := -1
	negative, _, _ := st.SearchContacts(ctx, tenantID, storage.ContactFilter{PriorityMax: &low}, 0, 10)
	tagged, _, _ := st.SearchContacts(ctx, tenantID, storage.ContactFilter{Tag: "VIP"}, 0, 10)
	byPhone, _, _ := st.SearchContacts(ctx, tenantID, storage.ContactFilter{Query: "+1 202"}, 0, 10)
	if len(granted) != 1 || len(negative) != 1 || negative[0].Phone != "+12025550100" || len(tagged) != 1 || len(byPhone) != 1 {
		t.Fatalf("filters: %d %d %d %d", len(granted), len(negative), len(tagged), len(byPhone))
	}
}

func TestContactErasedWithEverythingButTheFact(t *testing.T) {
	t.Parallel()
	db := storagetest.NewDB(t)
	f := storagetest.Seed(t, db)
	ctx := context.Background()
	st, tenantID := db.Store, f.A.ID
	admin := storage.Actor{UserID: f.A.Admin.ID, Email: f.A.Admin.Email}
	marta, open := panelContact(t, db, f.A, "393331112222")
	other, _ := panelContact(t, db, f.B, "393331119999") // tenant B's customer, untouched
	if _, err := st.RecordAdminConsent(ctx, tenantID, admin, marta, "granted", "written", "signed form"); err != nil {
		t.Fatal(err)
	}
	if _, err := st.AddContactTag(ctx, tenantID, admin, marta, "pregnant"); err != nil {
		t.Fatal(err)
	}
	if err := st.SetContactPriority(ctx, tenantID, admin, marta, 5); err != nil {
		t.Fatal(err)
	}
	// Tenant B's entry about its own contact stays as it is.
	if _, err := st.AddContactTag(ctx, f.B.ID, admin, other, "pregnant"); err != nil {
		t.Fatal(err)
	}
	// A photo in Marta's closed conversation.
	err := st.InTenant(ctx, tenantID, func(tx pgx.Tx) error {
		var closed, numberID, mediaID string
		if err := tx.QueryRow(ctx, `SELECT id, number_id FROM conversations WHERE tenant_id = $1 AND contact_id = $2 AND status = 'closed'`,
			tenantID, marta).Scan(&closed, &numberID); err != nil {
			return err
		}
		if err := tx.QueryRow(ctx, `INSERT INTO media (tenant_id, number_id, meta_media_id, mime_type, blob_key, state)
			VALUES ($1, $2, 'm1', 'image/jpeg', 'a/photo1', 'stored') RETURNING id`, tenantID, numberID).Scan(&mediaID); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `INSERT INTO messages (tenant_id, conversation_id, wamid, direction, type, text, media_id, wa_timestamp)
			VALUES ($1, $2, 'wamid.1', 'inbound', 'image', 'my address is Via Roma 1', $3, now())`, tenantID, closed, mediaID); err != nil {
			return err
		}
		_, err := tx.Exec(ctx, `INSERT INTO message_statuses (tenant_id, wamid, status, wa_timestamp, raw)
			VALUES ($1, 'wamid.1', 'read', now(), '{"recipient_id": "393331112222"}')`, tenantID)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}

	// The export has it all.
	exp, err := st.ExportPerson(ctx, tenantID, admin, marta)
	if err != nil || exp.Contact.Phone != "+393331112222" || len(exp.Conversations) != 2 || len(exp.ConsentHistory) != 1 {
		t.Fatalf("export: %+v %v", exp, err)
	}
	var texts []string
	for _, c := range exp.Conversations {
		for _, m := range c.Messages {
			texts = append(texts, m.Text)
		}
	}
	if strings.Join(texts, "|") != "my address is Via Roma 1" {
		t.Fatalf("exported messages: %q", texts)
	}

	// Refused: a wrong confirmation, then an open conversation.
	if _, err := st.EraseContact(ctx, tenantID, admin, marta, "+39 333 111 0000"); !errors.Is(err, storage.ErrEraseConfirm) {
		t.Fatalf("wrong confirmation: %v", err)
	}
	if _, err := st.EraseContact(ctx, tenantID, admin, marta, "+39 333 111 2222"); !errors.Is(err, storage.ErrContactOpen) {
		t.Fatalf("open conversation: %v", err)
	}
	if err := st.InTenant(ctx, tenantID, func(tx pgx.Tx) error {
		_, err := tx.Exec(ctx, `UPDATE conversations SET status = 'closed', closed_at = now() WHERE tenant_id = $1 AND id = $2`, tenantID, open)
		return err
	}); err != nil {
		t.Fatal(err)
	}
	// Tenant B's administrator cannot erase A's contact.
	if _, err := st.EraseContact(ctx, f.B.ID, admin, marta, "+39 333 111 2222"); !errors.Is(err, storage.ErrNotFound) {
		t.Fatalf("another tenant's erase: %v", err)
	}
	erased, err := st.EraseContact(ctx, tenantID, admin, marta, "+39 333 111 2222")
	if err != nil || erased.Conversations != 2 || erased.Messages != 1 || strings.Join(erased.BlobKeys, ",") != "a/photo1" {
		t.Fatalf("erase: %+v %v", erased, err)
	}

	// Gone from every table, as the owner sees them (no row-level security).
	admin2, err := pgx.Connect(ctx, db.URL)
	if err != nil {
		t.Fatal(err)
	}
	defer admin2.Close(ctx)
	for table, q := range map[string]string{
		"contacts":          `SELECT count(*) FROM contacts WHERE tenant_id = $1`,
		"conversations":     `SELECT count(*) FROM conversations WHERE tenant_id = $1`,
		"messages":          `SELECT count(*) FROM messages WHERE tenant_id = $1`,
		"media":             `SELECT count(*) FROM media WHERE tenant_id = $1`,
		"message_statuses":  `SELECT count(*) FROM message_statuses WHERE tenant_id = $1`,
		"consent_events":    `SELECT count(*) FROM consent_events WHERE tenant_id = $1`,
		"audit with phone":  `SELECT count(*) FROM audit_log WHERE tenant_id = $1 AND (target LIKE '%3331112222%' OR detail::text LIKE '%3331112222%' OR detail::text LIKE '%Roma%' OR detail::text LIKE '%pregnant%' OR detail::text LIKE '%signed form%')`,
		"audit kept":        `SELECT 3 - count(*) FROM audit_log WHERE tenant_id = $1 AND target = '` + marta + `' AND detail = '{"erased": true}' AND action IN ('contact.consent', 'contact.tag_add', 'routing.contact_priority')`,
		"tenant B audit":    `SELECT count(*) - 1 FROM audit_log WHERE tenant_id = '` + f.B.ID + `' AND target = '+393331119999' AND detail->>'tag' = 'pregnant' AND $1::uuid IS NOT NULL`,
		"tenant B contacts": `SELECT count(*) - 1 FROM contacts WHERE tenant_id = '` + f.B.ID + `' AND id = '` + other + `' AND $1::uuid IS NOT NULL`,
	} {
		var n int
		if err := admin2.QueryRow(ctx, q, tenantID).Scan(&n); err != nil {
			t.Fatalf("%s: %v", table, err)
		}
		if n != 0 {
			t.Errorf("%s: %d rows left", table, n)
		}
	}
	e := lastAudit(t, db, tenantID)
	if e.Action != "contact.erase" || e.Target != marta || e.ActorEmail != f.A.Admin.Email {
		t.Fatalf("audit: %+v", e)
	}
}
