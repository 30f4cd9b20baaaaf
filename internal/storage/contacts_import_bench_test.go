package storage_test

import (
	"context"
	"fmt"
	"testing"

	"github.com/jackc/pgx/v5"

	"switchboard/internal/storage"
	"switchboard/internal/storage/storagetest"
)

// The contacts import against its floor, in the same command: the
// benchmark streams a 10,000-row file through the check (CSV, every cell,
// the phone numbering plans, COPY into the kept rows, the counts) and the
// job (inserts by chunk with progress, the update, consent history, audit);
// the baseline is a bare pgx CopyFrom of the same rows, already parsed,
// straight into contacts as the owner. docs/benchmarks.md reports the ratio.

const benchImportRows = 10000

// benchImport gives a fresh database's tenant A a city field; each
// iteration starts from no contacts (emptied outside the timer).
func benchImport(b *testing.B) (*storagetest.DB, string, *pgx.Conn) {
	b.Helper()
	db := storagetest.NewDB(b)
	f := storagetest.Seed(b, db)
	ctx := context.Background()
	if _, err := db.Store.DefineContactField(ctx, f.A.ID, storage.Actor{Email: "bench"}, storage.ContactField{Key: "city", Label: "City", Kind: storage.FieldKindText}); err != nil {
		b.Fatal(err)
	}
	owner, err := pgx.Connect(ctx, db.URL)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { owner.Close(context.Background()) })
	return db, f.A.ID, owner
}

func emptyContacts(b *testing.B, owner *pgx.Conn, tenantID string) {
	b.Helper()
	if _, err := owner.Exec(context.Background(), `DELETE FROM contacts WHERE tenant_id = $1`, tenantID); err != nil {
		b.Fatal(err)
	}
}

func BenchmarkContactImport(b *testing.B) {
	db, tenantID, owner := benchImport(b)
	ctx := context.Background()
	actor := storage.Actor{Email: "bench"}
	b.ReportAllocs()
	for b.Loop() {
		b.StopTimer()
		emptyContacts(b, owner, tenantID)
		file := contactRows(benchImportRows, 0)
		b.StartTimer()
		c, err := db.Store.ImportContacts(ctx, tenantID, actor, file)
		if err != nil || c.Created != benchImportRows {
			b.Fatalf("%v %+v", err, c.ContactImport)
		}
	}
	b.ReportMetric(float64(benchImportRows*b.N)/b.Elapsed().Seconds(), "rows/s")
}

func BenchmarkContactImportBaselineCopy(b *testing.B) {
	_, tenantID, owner := benchImport(b)
	ctx := context.Background()
	rows := make([][]any, benchImportRows)
	for i := range rows {
		waID := fmt.Sprintf("3933%d%07d", i%10, i)
		rows[i] = []any{tenantID, waID, "+" + waID, fmt.Sprintf("Cliente %d", i), []string{"lead", "csv"},
			map[string]any{"city": fmt.Sprintf("Città %d", i%50)}}
	}
	b.ReportAllocs()
	for b.Loop() {
		b.StopTimer()
		emptyContacts(b, owner, tenantID)
		b.StartTimer()
		n, err := owner.CopyFrom(ctx, pgx.Identifier{"contacts"}, []string{"tenant_id", "wa_id", "phone", "name", "tags", "fields"},
			pgx.CopyFromRows(rows))
		if err != nil || n != benchImportRows {
			b.Fatalf("%v %d", err, n)
		}
	}
	b.ReportMetric(float64(benchImportRows*b.N)/b.Elapsed().Seconds(), "rows/s")
}
