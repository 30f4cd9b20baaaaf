package storage

import (
	"bufio"
	"bytes"
	"encoding/csv"
	"errors"
	"io"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"

	"switchboard/internal/domain"
	"switchboard/internal/phone"
)

// Reading a contacts CSV as it streams: the file is never held whole. A
// reader checks its size and its encoding on the way through, the csv
// package cuts records, and each record is checked with the pages' rules.

// Limits of a CSV import: 100,000 rows of phone, name, priority, consent,
// tags and a few fields fit well within the bytes.
const (
	MaxImportBytes = 32 << 20
	MaxImportRows  = 100000
)

// The columns a contacts CSV may have besides one per custom field key.
const (
	ColPhone    = "phone"
	ColName     = "name"
	ColPriority = "priority"
	ColConsent  = "consent"
	ColTags     = "tags"
)

var baseColumns = []string{ColPhone, ColName, ColPriority, ColConsent, ColTags}

// ImportIssue is what is wrong with a file, a row or one of its cells: a
// message key with its argument.
type ImportIssue struct {
	Column string // "" for the whole row or file
	Key    string
	Arg    string
}

// Import row outcomes.
const (
	ImportNew       = "new"
	ImportUpdate    = "update"
	ImportUnchanged = "unchanged"
	ImportError     = "error"
)

// ImportRow is one data row of a file: what it says (nil or empty for
// "keep what is stored") and what importing it would do.
type ImportRow struct {
	Line     int // the file's line, counting the header as 1
	Phone    string
	WaID     string
	Name     *string
	Priority *int
	Consent  string   // granted | revoked | "" (keep)
	Tags     []string // nil: keep
	Fields   map[string]any
	Action   string
	Changes  []string // the columns that would change
	Issues   []ImportIssue
}

// ImportPlan is a whole file parsed in memory, for small files and tests;
// the import itself streams (StageContactImport).
type ImportPlan struct {
	Columns    []string
	FileIssues []ImportIssue
	Rows       []ImportRow
	BadRows    int
}

// OK reports whether the file may be imported: no issue anywhere.
func (p ImportPlan) OK() bool { return len(p.FileIssues) == 0 && p.BadRows == 0 }

// NormalizeWhatsAppPhone turns a phone number written in international form
// (+39 333 123 4567, 0039…) into WhatsApp's id: E.164's digits, checked
// against the country's numbering plan (internal/phone). A number without
// its country code is read in region (ISO 3166, chosen by the person
// importing the file: tenants have no country of their own, and a tenant in
// Rome may well import Swiss customers), and refused when region is "".
func NormalizeWhatsAppPhone(s, region string) (string, error) {
	waID, err := phone.WaID(s, region)
	var pe *phone.Error
	if errors.As(err, &pe) {
		return "", fieldError(ColPhone, pe.Key)
	}
	return waID, err
}

// importReader yields a file's rows one at a time. A problem with the whole
// file (size, encoding, header, quotes, too many rows) stops it and is in
// fileIssues; a row's problems are on the row.
type importReader struct {
	src        *checkedReader
	csv        *csv.Reader
	columns    []string
	fields     map[string]ContactField
	region     string         // where numbers without a country code are (NormalizeWhatsAppPhone)
	seen       map[string]int // wa_id → the line that had it first
	rows       int
	fileIssues []ImportIssue
}

// newImportReader reads the header; a bad header is in fileIssues and the
// reader yields no rows. Numbers without a country code are read in region
// ("" refuses them).
func newImportReader(r io.Reader, fields []ContactField, region string) *importReader {
	src := &checkedReader{r: r, limit: MaxImportBytes, line: 1}
	ir := &importReader{src: src, fields: map[string]ContactField{}, region: region, seen: map[string]int{}}
	for _, f := range fields {
		ir.fields[f.Key] = f
	}
	br := bufio.NewReaderSize(src, 64<<10)
	if bom, _ := br.Peek(3); bytes.Equal(bom, []byte("\xef\xbb\xbf")) {
		_, _ = br.Discard(3)
	}
	ir.csv = csv.NewReader(br)
	ir.csv.FieldsPerRecord = -1
	ir.csv.ReuseRecord = true
	// Spreadsheets set to Italian save with semicolons: a header with no
	// comma but a semicolon says so.
	head, _ := br.Peek(64 << 10)
	if first, _, _ := bytes.Cut(head, []byte("\n")); !bytes.Contains(first, []byte(",")) && bytes.Contains(first, []byte(";")) {
		ir.csv.Comma = ';'
	}
	header, err := ir.csv.Read()
	if err != nil {
		if !ir.fileError(err, 1) {
			ir.fileIssues = append(ir.fileIssues, ImportIssue{Key: "admin.contacts.import_empty"})
		}
		return ir
	}
	for _, h := range header {
		h = strings.ToLower(strings.TrimSpace(h))
		_, isField := ir.fields[h]
		switch {
		case slices.Contains(ir.columns, h):
			ir.fileIssues = append(ir.fileIssues, ImportIssue{Column: h, Key: "admin.contacts.import_column_twice", Arg: h})
		case !slices.Contains(baseColumns, h) && !isField:
			ir.fileIssues = append(ir.fileIssues, ImportIssue{Column: h, Key: "admin.contacts.import_column_unknown", Arg: h})
		}
		ir.columns = append(ir.columns, h)
	}
	if !slices.Contains(ir.columns, ColPhone) {
		ir.fileIssues = append(ir.fileIssues, ImportIssue{Column: ColPhone, Key: "admin.contacts.import_no_phone"})
	}
	return ir
}

// fileError records a reading error that is the file's fault (too large,
// not UTF-8, broken quotes at line); false when err is none of them.
func (ir *importReader) fileError(err error, line int) bool {
	var tooLarge *errTooLarge
	var notUTF8 *errNotUTF8
	var pe *csv.ParseError
	switch {
	case errors.As(err, &tooLarge):
		ir.fileIssues = append(ir.fileIssues, ImportIssue{Key: "admin.contacts.import_too_large", Arg: strconv.Itoa(MaxImportBytes >> 20)})
	case errors.As(err, &notUTF8):
		ir.fileIssues = append(ir.fileIssues, ImportIssue{Key: "admin.contacts.import_not_utf8", Arg: strconv.Itoa(notUTF8.line)})
	case errors.As(err, &pe):
		ir.fileIssues = append(ir.fileIssues, ImportIssue{Key: "admin.contacts.import_malformed", Arg: strconv.Itoa(pe.StartLine)})
	case err != nil && err != io.EOF:
		ir.fileIssues = append(ir.fileIssues, ImportIssue{Key: "admin.contacts.import_malformed", Arg: strconv.Itoa(line)})
	default:
		return false
	}
	return true
}

// next returns the next data row with its issues; false at the end of the
// file or when the file itself is wrong (fileIssues says so).
func (ir *importReader) next() (ImportRow, bool) {
	if len(ir.fileIssues) > 0 {
		return ImportRow{}, false
	}
	for {
		rec, err := ir.csv.Read()
		if err == io.EOF {
			if ir.rows == 0 {
				ir.fileIssues = append(ir.fileIssues, ImportIssue{Key: "admin.contacts.import_empty"})
			}
			return ImportRow{}, false
		}
		if err != nil {
			ir.fileError(err, ir.src.line)
			return ImportRow{}, false
		}
		if len(rec) == 1 && strings.TrimSpace(rec[0]) == "" {
			continue // a blank line
		}
		line, _ := ir.csv.FieldPos(0)
		if ir.rows == MaxImportRows {
			ir.fileIssues = append(ir.fileIssues, ImportIssue{Key: "admin.contacts.import_too_many", Arg: strconv.Itoa(MaxImportRows)})
			return ImportRow{}, false
		}
		ir.rows++
		row := parseImportRow(line, ir.columns, rec, ir.fields, ir.region)
		if row.WaID != "" {
			if first, dup := ir.seen[row.WaID]; dup {
				row.Issues = append(row.Issues, ImportIssue{Column: ColPhone, Key: "admin.contacts.import_duplicate", Arg: strconv.Itoa(first)})
				row.Action = ImportError
			} else {
				ir.seen[row.WaID] = line
			}
		}
		return row, true
	}
}

// ParseContactsCSV reads a whole contacts file (UTF-8, comma- or
// semicolon-separated, a header row naming its columns) against the
// tenant's custom fields. It never fails: what is wrong is in the plan's
// issues.
func ParseContactsCSV(data []byte, fields []ContactField) ImportPlan {
	return ParseContactsCSVReader(bytes.NewReader(data), fields)
}

// ParseContactsCSVReader is ParseContactsCSV reading from r.
func ParseContactsCSVReader(r io.Reader, fields []ContactField) ImportPlan {
	ir := newImportReader(r, fields, "")
	p := ImportPlan{Columns: ir.columns}
	for {
		row, ok := ir.next()
		if !ok {
			break
		}
		if len(row.Issues) > 0 {
			p.BadRows++
		}
		p.Rows = append(p.Rows, row)
	}
	p.FileIssues = ir.fileIssues
	return p
}

// errTooLarge and errNotUTF8 are the file's faults found while reading.
type errTooLarge struct{}

func (*errTooLarge) Error() string { return "storage: the import file is too large" }

type errNotUTF8 struct{ line int }

func (e *errNotUTF8) Error() string {
	return "storage: the import file is not UTF-8 at line " + strconv.Itoa(e.line)
}

// checkedReader passes a file through, failing once it is larger than
// limit or has a byte sequence that is not UTF-8 (a Windows-1252 or
// Latin-1 file's accented letters are): converting would be a guess at
// the encoding, so the file is refused naming the line, and the page says
// how to save it as UTF-8.
type checkedReader struct {
	r     io.Reader
	limit int64
	n     int64
	line  int    // the line the next byte is on
	carry []byte // the start of a character cut by the previous read
	err   error
}

func (c *checkedReader) Read(p []byte) (int, error) {
	if c.err != nil {
		return 0, c.err
	}
	n, err := c.r.Read(p)
	c.n += int64(n)
	if c.n > c.limit {
		c.err = &errTooLarge{}
		return 0, c.err
	}
	buf := p[:n]
	if len(c.carry) > 0 {
		buf = append(c.carry, p[:n]...)
		c.carry = nil
	}
	for i := 0; i < len(buf); {
		b := buf[i]
		if b < utf8.RuneSelf {
			if b == '\n' {
				c.line++
			}
			i++
			continue
		}
		if !utf8.FullRune(buf[i:]) && err == nil {
			c.carry = slices.Clone(buf[i:]) // the rest comes with the next read
			break
		}
		r, size := utf8.DecodeRune(buf[i:])
		if r == utf8.RuneError && size <= 1 {
			c.err = &errNotUTF8{line: c.line}
			return 0, c.err
		}
		i += size
	}
	if err == io.EOF && len(c.carry) > 0 {
		c.err = &errNotUTF8{line: c.line}
		return 0, c.err
	}
	return n, err
}

// parseImportRow checks each cell with the rules the pages use.
func parseImportRow(line int, cols, rec []string, fields map[string]ContactField, region string) ImportRow {
	row := ImportRow{Line: line}
	fail := func(col string, err error) {
		var fe *domain.FieldError
		key := "admin.contacts.import_cell_invalid"
		if errors.As(err, &fe) {
			key = fe.Key
		}
		row.Issues = append(row.Issues, ImportIssue{Column: col, Key: key})
	}
	if len(rec) != len(cols) {
		row.Issues = append(row.Issues, ImportIssue{Key: "admin.contacts.import_cells", Arg: strconv.Itoa(len(cols))})
		if i := slices.Index(cols, ColPhone); i >= 0 && i < len(rec) {
			row.Phone = strings.TrimSpace(rec[i])
		}
		row.Action = ImportError
		return row
	}
	for i, col := range cols {
		v := strings.TrimSpace(rec[i])
		if col != ColPhone {
			v = csvUnsafe(v) // a cell our export quoted against formulas
		}
		switch col {
		case ColPhone:
			row.Phone = v
			waID, err := NormalizeWhatsAppPhone(v, region)
			if err != nil {
				fail(col, err)
			}
			row.WaID = waID
		case ColName:
			if v == "" {
				continue
			}
			name, err := CheckContactName(v)
			if err != nil {
				fail(col, err)
				continue
			}
			row.Name = &name
		case ColPriority:
			if v == "" {
				continue
			}
			n, err := strconv.Atoi(v)
			if err != nil {
				fail(col, fieldError(col, "admin.contacts.priority_invalid"))
				continue
			}
			if err := checkPriority(col, n); err != nil {
				fail(col, err)
				continue
			}
			row.Priority = &n
		case ColConsent:
			switch strings.ToLower(v) {
			case "", "unknown":
			case "granted", "revoked":
				row.Consent = strings.ToLower(v)
			default:
				fail(col, fieldError(col, "admin.contacts.import_consent_invalid"))
			}
		case ColTags:
			if v == "" {
				continue
			}
			tags := []string{}
			for _, t := range strings.Split(v, ";") {
				if strings.TrimSpace(t) == "" {
					continue
				}
				nt, err := NormalizeTag(t)
				if err != nil {
					fail(col, err)
					tags = nil
					break
				}
				if !slices.Contains(tags, nt) {
					tags = append(tags, nt)
				}
			}
			if tags != nil && len(tags) > MaxTags {
				fail(col, fieldError(col, "agent.contact.tags_full"))
				tags = nil
			}
			row.Tags = tags
		default:
			if v == "" {
				continue
			}
			val, err := NormalizeFieldValue(fields[col], v)
			if err != nil {
				fail(col, err)
				continue
			}
			if row.Fields == nil {
				row.Fields = map[string]any{}
			}
			row.Fields[col] = val
		}
	}
	if len(row.Issues) > 0 {
		row.Action = ImportError
	}
	return row
}
