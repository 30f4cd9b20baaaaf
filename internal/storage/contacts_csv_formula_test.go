package storage_test

import (
	"bytes"
	"encoding/csv"
	"testing"

	"switchboard/internal/domain"
	"switchboard/internal/storage"
)

// TestContactsCSVNeverExportsFormulas: a contact's name is the customer's
// WhatsApp profile name, which anyone can set to "=HYPERLINK(…)"; opened in
// a spreadsheet, the exported file must show it as text, not run it (as
// the audit log's export does). A phone number and a negative priority stay
// as they are, and the exported file still imports back unchanged.
func TestContactsCSVNeverExportsFormulas(t *testing.T) {
	t.Parallel()
	fields := []storage.ContactField{{Key: "note", Label: "Note", Kind: storage.FieldKindText}}
	c := storage.ContactRow{Contact: domain.Contact{WaID: "393331112222", Name: `=HYPERLINK("http://evil.test","Click")`, Priority: -5},
		Fields: map[string]any{"note": "@SUM(1+1)"}}
	rec := storage.ContactCSVRecord(c, fields)
	if rec[0] != "+393331112222" || rec[2] != "-5" {
		t.Errorf("phone or priority changed: %q", rec)
	}
	for _, cell := range []string{rec[1], rec[5]} {
		if cell == "" || cell[0] != '\'' {
			t.Errorf("a cell a spreadsheet reads as a formula: %q", cell)
		}
	}
	var buf bytes.Buffer
	w := csv.NewWriter(&buf)
	_ = w.Write(storage.ContactCSVColumns(fields))
	_ = w.Write(rec)
	w.Flush()
	p := storage.ParseContactsCSV(buf.Bytes(), fields)
	if !p.OK() || len(p.Rows) != 1 {
		t.Fatalf("the export does not import back: %+v", p)
	}
	r := p.Rows[0]
	if r.Name == nil || *r.Name != c.Name || r.Fields["note"] != "@SUM(1+1)" {
		t.Errorf("imported back as %v %v", r.Name, r.Fields)
	}
}
