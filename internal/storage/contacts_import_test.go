package storage_test

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
	"testing"
	"testing/iotest"
	"time"

	"github.com/jackc/pgx/v5"

	"switchboard/internal/domain"
	"switchboard/internal/storage"
	"switchboard/internal/storage/storagetest"
)

// TestContactsCSVReaderStreams: what only a streaming reader can get wrong
// — a character cut between two reads, a byte order mark, an encoding
// error or broken quotes named by their line far down the file — and
// duplicates naming both lines.
func TestContactsCSVReaderStreams(t *testing.T) {
	t.Parallel()
	// One byte per read: every accented letter is cut across reads.
	file := "\xef\xbb\xbfphone,name\n+393331112222,Niccolò Àlvarez\n+393331112223,Zoë 日本\n"
	ir := storage.ParseContactsCSVReader(iotest.OneByteReader(strings.NewReader(file)), nil)
	if !ir.OK() || len(ir.Rows) != 2 || *ir.Rows[0].Name != "Niccolò Àlvarez" || *ir.Rows[1].Name != "Zoë 日本" || ir.Columns[0] != "phone" {
		t.Fatalf("UTF-8 read a byte at a time: %+v", ir)
	}
	var b strings.Builder
	b.WriteString("phone,name\n")
	for i := range 3000 {
		fmt.Fprintf(&b, "+3933%08d,Name %d\n", i, i)
	}
	head := b.String()
	for _, tc := range []struct {
		name, file, want string
	}{
		// Windows-1252's è on line 2502 (the header is line 1).
		{"Latin-1 far down", head + "+393339999999,Mar\xe8a\n", "file::admin.contacts.import_not_utf8=3002"},
		{"a character cut at the end", head + "+393339999999,Mar\xc3", "file::admin.contacts.import_not_utf8=3002"},
		{"an open quote", head + "+393339999999,\"Marta\n", "file::admin.contacts.import_malformed=3002"},
		{"a quote inside a cell", head + "+393339999999,Mar\"ta\n", "file::admin.contacts.import_malformed=3002"},
		{"the same number thrice", "phone\n+393331112222\n+39 333 111 2223\n0039 333 111 2222\n+39 333-111-2222\n",
			"04:phone:admin.contacts.import_duplicate=2 05:phone:admin.contacts.import_duplicate=2"},
		{"wrong columns", "telefono,nome\n+393331112222,Marta\n",
			"file:telefono:admin.contacts.import_column_unknown=telefono file:nome:admin.contacts.import_column_unknown=nome file:phone:admin.contacts.import_no_phone="},
	} {
		p := storage.ParseContactsCSVReader(bufio.NewReaderSize(strings.NewReader(tc.file), 16), nil)
		var got []string
		for _, i := range p.FileIssues {
			got = append(got, "file:"+i.Column+":"+i.Key+"="+i.Arg)
		}
		for _, r := range p.Rows {
			for _, i := range r.Issues {
				got = append(got, fmt.Sprintf("%02d:%s:%s=%s", r.Line, i.Column, i.Key, i.Arg))
			}
		}
		if strings.Join(got, " ") != tc.want {
			t.Errorf("%s: %q, want %q", tc.name, got, tc.want)
		}
	}
}

// contactRows writes n rows of a contacts file to w as it is read: the
// file never exists whole. Row i is +39 33x xxx xxxx; every tenth grants
// consent, every seventh has a priority; bad, if positive, is the line
// whose number is too short.
func contactRows(n, bad int) io.Reader {
	pr, pw := io.Pipe()
	go func() {
		w := bufio.NewWriter(pw)
		fmt.Fprintln(w, "phone,name,priority,consent,tags,city")
		for i := range n {
			line := i + 2
			phone := fmt.Sprintf("+39 33%d %07d", i%10, i)
			if line == bad {
				phone = "+39 333 12"
			}
			consent, prio := "", ""
			if i%10 == 0 {
				consent = "granted"
			}
			if i%7 == 0 {
				prio = "2"
			}
			fmt.Fprintf(w, "%s,Cliente %d,%s,%s,lead;csv,Città %d\n", phone, i, prio, consent, i%50)
		}
		pw.CloseWithError(w.Flush())
	}()
	return pr
}

func countRows(t *testing.T, st *storage.Store, tenantID, query string) int {
	t.Helper()
	var n int
	if err := st.InTenant(context.Background(), tenantID, func(tx pgx.Tx) error {
		return tx.QueryRow(context.Background(), query).Scan(&n)
	}); err != nil {
		t.Fatal(err)
	}
	return n
}

// TestContactsImport100000Rows streams 100,000 generated rows through the
// check and the job, then the same file with one bad row in the middle,
// which changes nothing. Times are logged, not asserted.
func TestContactsImport100000Rows(t *testing.T) {
	t.Parallel()
	db := storagetest.NewDB(t)
	f := storagetest.Seed(t, db)
	ctx := context.Background()
	st, tenantID := db.Store, f.A.ID
	if _, err := st.DefineContactField(ctx, tenantID, storage.Actor{Email: "test"}, storage.ContactField{Key: "city", Label: "City", Kind: storage.FieldKindText}); err != nil {
		t.Fatal(err)
	}
	admin := storage.Actor{UserID: f.A.Admin.ID, Email: f.A.Admin.Email}
	// 1,000 of the file's contacts exist already: rows 0, 100, 200…
	var seed strings.Builder
	seed.WriteString("phone,name\n")
	for i := 0; i < 100000; i += 100 {
		fmt.Fprintf(&seed, "+39 33%d %07d,Old %d\n", i%10, i, i)
	}
	if _, err := st.ImportContacts(ctx, tenantID, admin, strings.NewReader(seed.String())); err != nil {
		t.Fatal(err)
	}
	before := countRows(t, st, tenantID, `SELECT count(*) FROM contacts`)

	// One bad row among 100,000: nothing is kept, nothing changes.
	start := time.Now()
	c, err := st.StageContactImport(ctx, tenantID, admin, "bad.csv", "", contactRows(100000, 73457))
	t.Logf("checked 100,000 rows with one bad in %v", time.Since(start).Round(time.Millisecond))
	if !errors.Is(err, storage.ErrImportInvalid) || c.ID != "" || c.BadRows != 1 || len(c.Bad) != 1 || c.Bad[0].Line != 73457 ||
		c.Bad[0].Issues[0].Key != "phone.too_short" {
		t.Fatalf("a file with one bad row: %v %+v %+v", err, c.ContactImport, c.Bad)
	}
	if n := countRows(t, st, tenantID, `SELECT count(*) FROM contacts`); n != before {
		t.Fatalf("contacts after the bad file: %d, before %d", n, before)
	}
	if n := countRows(t, st, tenantID, `SELECT (SELECT count(*) FROM contact_import_rows) + (SELECT count(*) FROM contact_imports WHERE status = 'ready')`); n != 0 {
		t.Fatalf("the bad file left %d rows behind", n)
	}

	start = time.Now()
	c, err = st.StageContactImport(ctx, tenantID, admin, "good.csv", "", contactRows(100000, 0))
	checked := time.Since(start)
	if err != nil || c.Rows != 100000 || c.Created != 99000 || c.Updated != 1000 || c.Unchanged != 0 {
		t.Fatalf("the check: %v %+v", err, c.ContactImport)
	}
	if err := st.StartContactImport(ctx, tenantID, c.ID); err != nil {
		t.Fatal(err)
	}
	// The job's progress is readable while it runs, from outside its transaction.
	seen := make(chan int, 1)
	go func() {
		most := 0
		for range 200 {
			if got, err := st.ContactImport(ctx, tenantID, c.ID); err == nil {
				most = max(most, got.Done)
				if got.Status == storage.ImportDone {
					break
				}
			}
			time.Sleep(20 * time.Millisecond)
		}
		seen <- most
	}()
	start = time.Now()
	done, err := st.ApplyContactImport(ctx, tenantID, admin, c.ID)
	applied := time.Since(start)
	t.Logf("100,000 rows: checked in %v, applied in %v", checked.Round(time.Millisecond), applied.Round(time.Millisecond))
	if err != nil || done.Status != storage.ImportDone || done.Created != 99000 || done.Updated != 1000 || done.Done != 100000 {
		t.Fatalf("the job: %v %+v", err, done)
	}
	if most := <-seen; most == 0 {
		t.Fatal("no progress was seen")
	}
	if n := countRows(t, st, tenantID, `SELECT count(*) FROM contacts`); n != 100000 {
		t.Fatalf("contacts after the import: %d", n)
	}
	if n := countRows(t, st, tenantID, `SELECT count(*) FROM contacts WHERE name LIKE 'Cliente %' AND fields ->> 'city' LIKE 'Città %'
		AND tags = '{lead,csv}'`); n != 100000 {
		t.Fatalf("contacts with the file's name, city and tags: %d", n)
	}
	if n := countRows(t, st, tenantID, `SELECT count(*) FROM consent_events WHERE source = 'imported'`); n != 10000 {
		t.Fatalf("consent events: %d", n)
	}
	if n := countRows(t, st, tenantID, `SELECT count(*) FROM contacts WHERE priority = 2`); n != 14286 {
		t.Fatalf("contacts with priority 2: %d", n)
	}
	if n := countRows(t, st, tenantID, `SELECT count(*) FROM contact_import_rows`); n != 0 {
		t.Fatalf("rows kept after the import: %d", n)
	}
	if n := countRows(t, st, f.B.ID, `SELECT count(*) FROM contacts`); n != 0 {
		t.Fatalf("tenant B's contacts: %d", n)
	}
}

// TestContactsImportFailsWhole: a job that fails half-way (its context ends
// after the first chunk) leaves every contact as it was and says so; an
// import left ready past its expiry does not start.
func TestContactsImportFailsWhole(t *testing.T) {
	t.Parallel()
	db := storagetest.NewDB(t)
	f := storagetest.Seed(t, db)
	ctx := context.Background()
	st, tenantID := db.Store, f.A.ID
	admin := storage.Actor{UserID: f.A.Admin.ID, Email: f.A.Admin.Email}
	if _, err := st.DefineContactField(ctx, tenantID, admin, storage.ContactField{Key: "city", Label: "City", Kind: storage.FieldKindText}); err != nil {
		t.Fatal(err)
	}
	c, err := st.StageContactImport(ctx, tenantID, admin, "x.csv", "", contactRows(50000, 0))
	if err != nil {
		t.Fatal(err)
	}
	if err := st.StartContactImport(ctx, tenantID, c.ID); err != nil {
		t.Fatal(err)
	}
	jctx, cancel := context.WithCancel(ctx)
	go func() { // end the job once its first chunk is reported
		defer cancel()
		for range 500 {
			if got, _ := st.ContactImport(ctx, tenantID, c.ID); got.Done > 0 {
				return
			}
			time.Sleep(2 * time.Millisecond)
		}
	}()
	got, err := st.ApplyContactImport(jctx, tenantID, admin, c.ID)
	if err == nil || got.Status != storage.ImportFailed {
		t.Fatalf("a job cut short: %v %+v", err, got)
	}
	if n := countRows(t, st, tenantID, `SELECT count(*) FROM contacts`); n != 0 {
		t.Fatalf("a failed job left %d contacts", n)
	}
	if again, err := st.ContactImport(ctx, tenantID, c.ID); err != nil || again.Status != storage.ImportFailed || again.Error != "admin.contacts.import_failed" {
		t.Fatalf("the failed import: %+v %v", again, err)
	}

	c, err = st.StageContactImport(ctx, tenantID, admin, "y.csv", "", strings.NewReader("phone\n+393331112222\n"))
	if err != nil {
		t.Fatal(err)
	}
	if err := db.Store.InPlatform(ctx, func(tx pgx.Tx) error {
		_, err := tx.Exec(ctx, `UPDATE contact_imports SET created_at = now() - interval '2 hours' WHERE id = $1`, c.ID)
		return err
	}); err != nil {
		t.Fatal(err)
	}
	if err := st.StartContactImport(ctx, tenantID, c.ID); !errors.Is(err, storage.ErrImportExpired) {
		t.Fatalf("an expired import started: %v", err)
	}
}

// TestContactsImportLocalNumbers: a file of local numbers (an Italian
// address book's export) is refused while no country is chosen, and read
// in Italy's plan once it is; numbers with + or 00 keep their own country,
// and a local number Italy's plan does not have is still refused. A country not
// offered is refused before the file is read.
func TestContactsImportLocalNumbers(t *testing.T) {
	t.Parallel()
	db := storagetest.NewDB(t)
	f := storagetest.Seed(t, db)
	ctx := context.Background()
	st, tenantID := db.Store, f.A.ID
	admin := storage.Actor{UserID: f.A.Admin.ID, Email: f.A.Admin.Email}
	file := "phone,name\n333 111 2222,Marta\n(06) 6988 1234,Ufficio\n+41 79 123 45 67,Hans\n0044 7911 123456,Jane\n"

	c, err := st.StageContactImport(ctx, tenantID, admin, "rubrica.csv", "", strings.NewReader(file))
	if !errors.Is(err, storage.ErrImportInvalid) || c.BadRows != 2 || c.Bad[0].Issues[0].Key != "phone.no_country_code" {
		t.Fatalf("local numbers without a country: %v %+v", err, c.Bad)
	}
	c, err = st.StageContactImport(ctx, tenantID, admin, "rubrica.csv", "IT", strings.NewReader(file))
	if err != nil || c.Rows != 4 || c.Created != 4 {
		t.Fatalf("read as Italian: %v %+v %+v", err, c.ContactImport, c.Bad)
	}
	if err := st.StartContactImport(ctx, tenantID, c.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := st.ApplyContactImport(ctx, tenantID, admin, c.ID); err != nil {
		t.Fatal(err)
	}
	if kept, _ := st.ContactImport(ctx, tenantID, c.ID); kept.Region != "IT" {
		t.Fatalf("the import keeps its country as %q", kept.Region)
	}
	if e, _ := st.ListAudit(ctx, tenantID, 1); len(e) != 1 || e[0].Action != "contact.import" || !strings.Contains(string(mustMarshal(e[0].Detail)), `"local_numbers_in":"IT"`) {
		t.Fatalf("the import's audit entry: %+v", e)
	}
	got := countRows(t, st, tenantID, `SELECT count(*) FROM contacts WHERE wa_id IN ('393331112222', '390669881234', '41791234567', '447911123456')`)
	if got != 4 {
		t.Fatalf("%d of the four contacts stored with their international numbers", got)
	}
	c, err = st.StageContactImport(ctx, tenantID, admin, "other.csv", "IT", strings.NewReader("phone\n999 123 4567\n"))
	if !errors.Is(err, storage.ErrImportInvalid) || c.BadRows != 1 {
		t.Fatalf("a number Italy's plan does not have: %v %+v", err, c.Bad)
	}
	var fe *domain.FieldError
	if _, err := st.StageContactImport(ctx, tenantID, admin, "x.csv", "XX", strings.NewReader(file)); !errors.As(err, &fe) || fe.Field != "region" {
		t.Fatalf("an unknown country: %v", err)
	}
}

func mustMarshal(v any) []byte {
	b, _ := json.Marshal(v)
	return b
}
