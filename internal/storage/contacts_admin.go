package storage

import (
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"errors"
	"io"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/jackc/pgx/v5"

	"switchboard/internal/domain"
)

// The administrator's contact pages: search, edits, CSV import and export,
// and a person's data exported or erased on request. Edits reuse the contact
// panel's and the router's rules (tags, custom fields, consent history,
// priority); what is new here is what only administrators do.

// Limits of a CSV import and of a contact's name.
const (
	MaxImportBytes = 5 << 20
	MaxImportRows  = 50000
	MaxContactName = 256
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

// ContactFilter narrows the contact list; zero fields do not filter.
type ContactFilter struct {
	Query       string // a substring of the name or of the phone number
	Tag         string
	Consent     string // unknown | granted | revoked
	PriorityMin *int
	PriorityMax *int
}

// ContactRow is a contact as the list, the CSV and the export show it.
type ContactRow struct {
	domain.Contact
	Tags          []string
	Fields        map[string]any
	ConsentAt     *time.Time
	ConsentSource string
}

// likeEscape makes s match itself inside a LIKE pattern.
func likeEscape(s string) string {
	return strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`).Replace(s)
}

// contactFilterSQL is the WHERE clause of a filter over contacts c, with
// its arguments from $2 on ($1 is the tenant).
func contactFilterSQL(f ContactFilter) (string, []any) {
	q := strings.TrimSpace(f.Query)
	digits := domain.Digits(q)
	// A query with letters is a name; digits alone may also be a phone.
	if strings.IndexFunc(q, unicode.IsLetter) >= 0 {
		digits = ""
	}
	tag := strings.ToLower(strings.Join(strings.Fields(f.Tag), " "))
	where := ` WHERE c.tenant_id = $1
		AND ($2 = '' OR c.name ILIKE '%' || $2 || '%' OR ($3 <> '' AND coalesce(c.wa_id, '') LIKE '%' || $3 || '%'))
		AND ($4 = '' OR $4 = ANY (c.tags))
		AND ($5 = '' OR c.consent = $5)
		AND ($6::int IS NULL OR c.priority >= $6::int)
		AND ($7::int IS NULL OR c.priority <= $7::int)`
	return where, []any{likeEscape(q), digits, tag, f.Consent, f.PriorityMin, f.PriorityMax}
}

const contactRowColumns = contactColumns + `, c.tags, c.fields, c.consent_at, c.consent_source`

func scanContactRow(row pgx.Row) (ContactRow, error) {
	var c ContactRow
	err := row.Scan(&c.ID, &c.TenantID, &c.WaID, &c.UserID, &c.Name, &c.Phone, &c.Priority, &c.Consent, &c.CreatedAt,
		&c.Tags, &c.Fields, &c.ConsentAt, &c.ConsentSource)
	return c, err
}

// SearchContacts lists a tenant's contacts matching f, newest first, from
// offset; more reports whether rows follow.
func (s *Store) SearchContacts(ctx context.Context, tenantID string, f ContactFilter, offset, limit int) (out []ContactRow, more bool, err error) {
	where, args := contactFilterSQL(f)
	err = s.InTenant(ctx, tenantID, func(tx pgx.Tx) error {
		rows, err := tx.Query(ctx, `SELECT `+contactRowColumns+` FROM contacts c`+where+`
			ORDER BY c.created_at DESC, c.id DESC OFFSET $8 LIMIT $9`, append([]any{tenantID}, append(args, offset, limit+1)...)...)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			c, err := scanContactRow(rows)
			if err != nil {
				return err
			}
			out = append(out, c)
		}
		return rows.Err()
	})
	if len(out) > limit {
		out, more = out[:limit], true
	}
	return out, more, err
}

// EachContact calls fn for every contact matching f that has a phone
// number (the CSV names contacts by it), oldest first, inside one snapshot.
func (s *Store) EachContact(ctx context.Context, tenantID string, f ContactFilter, fn func(ContactRow) error) error {
	where, args := contactFilterSQL(f)
	return s.InTenant(ctx, tenantID, func(tx pgx.Tx) error {
		rows, err := tx.Query(ctx, `SELECT `+contactRowColumns+` FROM contacts c`+where+` AND c.wa_id IS NOT NULL
			ORDER BY c.created_at, c.id`, append([]any{tenantID}, args...)...)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			c, err := scanContactRow(rows)
			if err != nil {
				return err
			}
			if err := fn(c); err != nil {
				return err
			}
		}
		return rows.Err()
	})
}

// CheckContactName trims a name and refuses one too long or with control
// characters (a name travels into CSV files and templates).
func CheckContactName(name string) (string, error) {
	name = strings.TrimSpace(name)
	if utf8.RuneCountInString(name) > MaxContactName || strings.IndexFunc(name, unicode.IsControl) >= 0 {
		return "", fieldError("name", "admin.contacts.name_invalid")
	}
	return name, nil
}

// SetContactName changes a contact's name (blank clears it) and audits it;
// the same name changes nothing and reports false. The customer's WhatsApp
// profile name replaces it when they next write, as it does today.
func (s *Store) SetContactName(ctx context.Context, tenantID string, actor Actor, contactID, name string) (bool, error) {
	name, err := CheckContactName(name)
	if err != nil {
		return false, err
	}
	var changed bool
	err = s.InTenant(ctx, tenantID, func(tx pgx.Tx) error {
		who, err := lockContact(ctx, tx, tenantID, contactID)
		if err != nil {
			return err
		}
		var before string
		if err := tx.QueryRow(ctx, `SELECT name FROM contacts WHERE tenant_id = $1 AND id = $2`, tenantID, contactID).Scan(&before); err != nil {
			return err
		}
		if before == name {
			return nil
		}
		if _, err := tx.Exec(ctx, `UPDATE contacts SET name = $3, updated_at = now() WHERE tenant_id = $1 AND id = $2`,
			tenantID, contactID, name); err != nil {
			return err
		}
		changed = true
		return audit(ctx, tx, tenantID, actor, "contact.name", who, map[string]any{"before": before, "after": name})
	})
	return changed, err
}

// AdminConsentSources are how an administrator may say consent was given
// or withdrawn (the API's sources, less its own).
var AdminConsentSources = []string{"web_form", "written", "verbal"}

// RecordAdminConsent records consent through the consent history (source
// web_form, written or verbal, by the administrator's e-mail) and audits it.
// Consent the contact already has changes nothing and reports false.
func (s *Store) RecordAdminConsent(ctx context.Context, tenantID string, actor Actor, contactID, consent, source, note string) (bool, error) {
	note = strings.TrimSpace(note)
	switch {
	case consent != "granted" && consent != "revoked":
		return false, fieldError("consent", "agent.contact.consent_invalid")
	case !slices.Contains(AdminConsentSources, source):
		return false, fieldError("source", "admin.contacts.source_invalid")
	case utf8.RuneCountInString(note) > MaxConsentNote:
		return false, fieldError("note", "agent.contact.consent_note_too_long")
	}
	var changed bool
	err := s.InTenant(ctx, tenantID, func(tx pgx.Tx) error {
		who, err := lockContact(ctx, tx, tenantID, contactID)
		if err != nil {
			return err
		}
		changed, err = Inbound(tx).SetConsent(ctx, tenantID, contactID, consent, source, actor.Email, note)
		if err != nil || !changed {
			return err
		}
		return audit(ctx, tx, tenantID, actor, "contact.consent", who, map[string]any{"consent": consent, "source": source, "note": note})
	})
	return changed, err
}

// --- CSV ---

// ContactCSVColumns are the columns of an exported file, in order: the
// base columns, then one per custom field key.
func ContactCSVColumns(fields []ContactField) []string {
	cols := slices.Clone(baseColumns)
	for _, f := range fields {
		cols = append(cols, f.Key)
	}
	return cols
}

// ContactCSVRecord is one contact as a CSV record of ContactCSVColumns.
func ContactCSVRecord(c ContactRow, fields []ContactField) []string {
	rec := []string{"+" + c.WaID, c.Name, strconv.Itoa(c.Priority), c.Consent, strings.Join(c.Tags, ";")}
	for _, f := range fields {
		rec = append(rec, formatFieldValue(c.Fields[f.Key]))
	}
	return rec
}

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

// ImportPlan is a parsed file with each row's outcome.
type ImportPlan struct {
	Columns                          []string
	FileIssues                       []ImportIssue
	Rows                             []ImportRow
	New, Updated, Unchanged, BadRows int
}

// OK reports whether the file may be imported: no issue anywhere.
func (p ImportPlan) OK() bool { return len(p.FileIssues) == 0 && p.BadRows == 0 }

// ErrImportInvalid refuses to import a file with any issue; nothing changed.
var ErrImportInvalid = errors.New("storage: the import file has errors")

var phoneCharsRE = regexp.MustCompile(`^\+?[0-9 ().\-]+$`)

// NormalizeWhatsAppPhone turns a phone number written in international form
// (+39 333 123 4567, 0039…) into WhatsApp's id: its digits with the country
// code, 7 to 15 of them (E.164), not starting with 0. A number without a
// country code is refused rather than guessed.
func NormalizeWhatsAppPhone(s string) (string, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return "", fieldError(ColPhone, "admin.contacts.phone_required")
	}
	if !phoneCharsRE.MatchString(s) {
		return "", fieldError(ColPhone, "admin.contacts.phone_invalid")
	}
	d := domain.Digits(s)
	switch {
	case strings.HasPrefix(s, "+"):
	case strings.HasPrefix(d, "00"):
		d = d[2:]
	default:
		return "", fieldError(ColPhone, "admin.contacts.phone_country")
	}
	if len(d) < 7 || len(d) > 15 || d[0] == '0' {
		return "", fieldError(ColPhone, "admin.contacts.phone_invalid")
	}
	return d, nil
}

// ParseContactsCSV reads a contacts file (UTF-8, comma- or semicolon-
// separated, a header row naming its columns) against the tenant's custom
// fields. It never fails: what is wrong is in the plan's issues. Actions
// are left for the store to decide against what is stored.
func ParseContactsCSV(data []byte, fields []ContactField) ImportPlan {
	var p ImportPlan
	if len(data) > MaxImportBytes {
		p.FileIssues = append(p.FileIssues, ImportIssue{Key: "admin.contacts.import_too_large", Arg: strconv.Itoa(MaxImportBytes >> 20)})
		return p
	}
	data = bytes.TrimPrefix(data, []byte("\xef\xbb\xbf"))
	if !utf8.Valid(data) {
		line := 1 + bytes.Count(data[:firstInvalidUTF8(data)], []byte("\n"))
		p.FileIssues = append(p.FileIssues, ImportIssue{Key: "admin.contacts.import_not_utf8", Arg: strconv.Itoa(line)})
		return p
	}
	r := csv.NewReader(bytes.NewReader(data))
	r.FieldsPerRecord = -1
	// Spreadsheets set to Italian save with semicolons: a header with no
	// comma but a semicolon says so.
	if first, _, _ := bytes.Cut(data, []byte("\n")); !bytes.Contains(first, []byte(",")) && bytes.Contains(first, []byte(";")) {
		r.Comma = ';'
	}
	header, err := r.Read()
	if err != nil {
		p.FileIssues = append(p.FileIssues, ImportIssue{Key: "admin.contacts.import_empty"})
		return p
	}
	byKey := map[string]ContactField{}
	for _, f := range fields {
		byKey[f.Key] = f
	}
	for _, h := range header {
		h = strings.ToLower(strings.TrimSpace(h))
		_, isField := byKey[h]
		switch {
		case slices.Contains(p.Columns, h):
			p.FileIssues = append(p.FileIssues, ImportIssue{Column: h, Key: "admin.contacts.import_column_twice", Arg: h})
		case !slices.Contains(baseColumns, h) && !isField:
			p.FileIssues = append(p.FileIssues, ImportIssue{Column: h, Key: "admin.contacts.import_column_unknown", Arg: h})
		}
		p.Columns = append(p.Columns, h)
	}
	if !slices.Contains(p.Columns, ColPhone) {
		p.FileIssues = append(p.FileIssues, ImportIssue{Column: ColPhone, Key: "admin.contacts.import_no_phone"})
	}
	if len(p.FileIssues) > 0 {
		return p
	}
	seen := map[string]int{} // wa_id → line
	for {
		line, _ := r.FieldPos(0)
		rec, err := r.Read()
		if err == io.EOF {
			break
		}
		if err != nil {
			var pe *csv.ParseError
			if errors.As(err, &pe) {
				line = pe.Line
			}
			p.FileIssues = append(p.FileIssues, ImportIssue{Key: "admin.contacts.import_malformed", Arg: strconv.Itoa(line)})
			return p
		}
		line, _ = r.FieldPos(0)
		if len(rec) == 1 && strings.TrimSpace(rec[0]) == "" {
			continue // a blank line
		}
		if len(p.Rows) == MaxImportRows {
			p.FileIssues = append(p.FileIssues, ImportIssue{Key: "admin.contacts.import_too_many", Arg: strconv.Itoa(MaxImportRows)})
			return p
		}
		row := parseImportRow(line, p.Columns, rec, byKey)
		if row.WaID != "" {
			if first, dup := seen[row.WaID]; dup {
				row.Issues = append(row.Issues, ImportIssue{Column: ColPhone, Key: "admin.contacts.import_duplicate", Arg: strconv.Itoa(first)})
			} else {
				seen[row.WaID] = line
			}
		}
		if len(row.Issues) > 0 {
			p.BadRows++
		}
		p.Rows = append(p.Rows, row)
	}
	if len(p.Rows) == 0 {
		p.FileIssues = append(p.FileIssues, ImportIssue{Key: "admin.contacts.import_empty"})
	}
	return p
}

func firstInvalidUTF8(b []byte) int {
	for i := 0; i < len(b); {
		r, n := utf8.DecodeRune(b[i:])
		if r == utf8.RuneError && n <= 1 {
			return i
		}
		i += n
	}
	return len(b)
}

// parseImportRow checks each cell with the rules the pages use.
func parseImportRow(line int, cols, rec []string, fields map[string]ContactField) ImportRow {
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
		return row
	}
	for i, col := range cols {
		v := strings.TrimSpace(rec[i])
		switch col {
		case ColPhone:
			row.Phone = v
			waID, err := NormalizeWhatsAppPhone(v)
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

// storedContact is what an import compares a row with.
type storedContact struct {
	id, name, consent string
	priority          int
	tags              []string
	fields            map[string]any
}

// planImport parses data and decides each row against the stored contacts
// (locked when the plan is to be applied).
func planImport(ctx context.Context, tx pgx.Tx, tenantID string, data []byte, lock bool) (ImportPlan, map[string]storedContact, error) {
	defs, err := listContactFields(ctx, tx, tenantID)
	if err != nil {
		return ImportPlan{}, nil, err
	}
	p := ParseContactsCSV(data, defs)
	if len(p.FileIssues) > 0 {
		return p, nil, nil
	}
	waIDs := make([]string, 0, len(p.Rows))
	for _, r := range p.Rows {
		if r.WaID != "" {
			waIDs = append(waIDs, r.WaID)
		}
	}
	q := `SELECT wa_id, id, name, consent, priority, tags, fields FROM contacts WHERE tenant_id = $1 AND wa_id = ANY ($2)`
	if lock {
		q += ` ORDER BY id FOR UPDATE`
	}
	rows, err := tx.Query(ctx, q, tenantID, waIDs)
	if err != nil {
		return p, nil, err
	}
	stored := map[string]storedContact{}
	for rows.Next() {
		var waID string
		var c storedContact
		if err := rows.Scan(&waID, &c.id, &c.name, &c.consent, &c.priority, &c.tags, &c.fields); err != nil {
			rows.Close()
			return p, nil, err
		}
		stored[waID] = c
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return p, nil, err
	}
	for i := range p.Rows {
		r := &p.Rows[i]
		if len(r.Issues) > 0 {
			r.Action = ImportError // counted by the parser
			continue
		}
		c, ok := stored[r.WaID]
		if !ok {
			r.Action = ImportNew
			p.New++
			continue
		}
		if r.Name != nil && *r.Name != c.name {
			r.Changes = append(r.Changes, ColName)
		}
		if r.Priority != nil && *r.Priority != c.priority {
			r.Changes = append(r.Changes, ColPriority)
		}
		if r.Consent != "" && r.Consent != c.consent {
			r.Changes = append(r.Changes, ColConsent)
		}
		if r.Tags != nil && !sameTags(r.Tags, c.tags) {
			r.Changes = append(r.Changes, ColTags)
		}
		for _, col := range p.Columns {
			if v, set := r.Fields[col]; set && formatFieldValue(v) != formatFieldValue(c.fields[col]) {
				r.Changes = append(r.Changes, col)
			}
		}
		if len(r.Changes) == 0 {
			r.Action = ImportUnchanged
			p.Unchanged++
		} else {
			r.Action = ImportUpdate
			p.Updated++
		}
	}
	return p, stored, nil
}

func sameTags(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	for _, t := range a {
		if !slices.Contains(b, t) {
			return false
		}
	}
	return true
}

// PreviewContactImport says what importing data would do, changing nothing.
func (s *Store) PreviewContactImport(ctx context.Context, tenantID string, data []byte) (ImportPlan, error) {
	var p ImportPlan
	err := s.InTenant(ctx, tenantID, func(tx pgx.Tx) error {
		var err error
		p, _, err = planImport(ctx, tx, tenantID, data, false)
		return err
	})
	return p, err
}

// ImportContacts applies a whole file in one transaction, or nothing: the
// file is parsed and checked again against what is stored now (a preview
// may be stale), and any issue returns the plan with ErrImportInvalid.
// Consent goes through the consent history (source "imported"); priority
// changes reach the router; one audit entry counts what changed.
func (s *Store) ImportContacts(ctx context.Context, tenantID string, actor Actor, data []byte) (ImportPlan, error) {
	var p ImportPlan
	err := s.InTenant(ctx, tenantID, func(tx pgx.Tx) error {
		var stored map[string]storedContact
		var err error
		p, stored, err = planImport(ctx, tx, tenantID, data, true)
		if err != nil {
			return err
		}
		if !p.OK() {
			return ErrImportInvalid
		}
		batch := &pgx.Batch{}
		priorityMoved := false
		var consents []ImportRow   // applied once every contact has its id
		ids := map[string]string{} // wa_id → contact id
		for waID, c := range stored {
			ids[waID] = c.id
		}
		for _, r := range p.Rows {
			switch r.Action {
			case ImportNew:
				prio := 0
				if r.Priority != nil {
					prio = *r.Priority
				}
				name := ""
				if r.Name != nil {
					name = *r.Name
				}
				tags := r.Tags
				if tags == nil {
					tags = []string{}
				}
				fields := r.Fields
				if fields == nil {
					fields = map[string]any{}
				}
				waID := r.WaID
				batch.Queue(`INSERT INTO contacts (tenant_id, wa_id, phone, name, priority, tags, fields)
					VALUES ($1, $2, '+' || $2, $3, $4, $5, $6) RETURNING id`, tenantID, r.WaID, name, prio, tags, fields).
					QueryRow(func(row pgx.Row) error {
						var id string
						err := row.Scan(&id)
						ids[waID] = id
						return err
					})
			case ImportUpdate:
				c := stored[r.WaID]
				if r.Priority != nil && *r.Priority != c.priority {
					priorityMoved = true
				}
				fields := c.fields
				if fields == nil {
					fields = map[string]any{}
				}
				for k, v := range r.Fields {
					fields[k] = v
				}
				batch.Queue(`UPDATE contacts SET name = coalesce($3, name), priority = coalesce($4, priority),
						tags = coalesce($5, tags), fields = $6, updated_at = now()
					WHERE tenant_id = $1 AND id = $2`, tenantID, c.id, r.Name, r.Priority, r.Tags, fields)
			}
			if r.Consent != "" && (r.Action == ImportNew || slices.Contains(r.Changes, ColConsent)) {
				consents = append(consents, r)
			}
		}
		if batch.Len() > 0 {
			if err := tx.SendBatch(ctx, batch).Close(); isUniqueViolation(err) {
				// A customer wrote meanwhile and became a contact that this
				// file calls new: nothing was imported, and a new preview
				// shows the row as an update.
				p.FileIssues = append(p.FileIssues, ImportIssue{Key: "admin.contacts.import_conflict"})
				return ErrImportInvalid
			} else if err != nil {
				return err
			}
		}
		// Every contact here is locked (or new) and its consent differs, so
		// the change is queued as SetConsent would write it.
		if len(consents) > 0 {
			cb := &pgx.Batch{}
			for _, r := range consents {
				queueConsentChange(cb, tenantID, ids[r.WaID], r.Consent, "imported", actor.Email, "CSV import")
			}
			if err := tx.SendBatch(ctx, cb).Close(); err != nil {
				return err
			}
		}
		if err := audit(ctx, tx, tenantID, actor, "contact.import", "", map[string]any{
			"rows": len(p.Rows), "created": p.New, "updated": p.Updated, "unchanged": p.Unchanged}); err != nil {
			return err
		}
		if priorityMoved {
			return configReload(ctx, tx, tenantID, actor)
		}
		return nil
	})
	return p, err
}

// --- A person's data ---

// PersonExport is everything Switchboard keeps about one contact, as the
// JSON an administrator hands to the person who asked.
type PersonExport struct {
	ExportedAt     time.Time            `json:"exported_at"`
	Contact        PersonContact        `json:"contact"`
	ConsentHistory []PersonConsent      `json:"consent_history"`
	Conversations  []PersonConversation `json:"conversations"`
}

// PersonContact is the contact's own record.
type PersonContact struct {
	ID            string         `json:"id"`
	Phone         string         `json:"phone"`
	WhatsAppID    string         `json:"whatsapp_id,omitempty"`
	UserID        string         `json:"user_id,omitempty"`
	Name          string         `json:"name"`
	Priority      int            `json:"priority"`
	Consent       string         `json:"consent"`
	ConsentAt     *time.Time     `json:"consent_at,omitempty"`
	ConsentSource string         `json:"consent_source,omitempty"`
	Tags          []string       `json:"tags"`
	Fields        map[string]any `json:"fields"`
	CreatedAt     time.Time      `json:"created_at"`
}

// PersonConsent is one change of consent.
type PersonConsent struct {
	Consent string    `json:"consent"`
	Source  string    `json:"source"`
	Note    string    `json:"note,omitempty"`
	At      time.Time `json:"at"`
}

// PersonConversation is one conversation with its messages and notes.
type PersonConversation struct {
	ID        string          `json:"id"`
	Number    string          `json:"business_number"`
	Status    string          `json:"status"`
	Outcome   string          `json:"close_outcome,omitempty"`
	CreatedAt time.Time       `json:"created_at"`
	ClosedAt  *time.Time      `json:"closed_at,omitempty"`
	Messages  []PersonMessage `json:"messages"`
	Notes     []PersonNote    `json:"notes"`
}

// PersonMessage is one message; media are described, not included.
type PersonMessage struct {
	ID        string          `json:"id"`
	Direction string          `json:"direction"`
	Type      string          `json:"type"`
	Text      string          `json:"text,omitempty"`
	Details   json.RawMessage `json:"details,omitempty"`
	Status    string          `json:"status,omitempty"`
	At        time.Time       `json:"at"`
	Media     *PersonMedia    `json:"media,omitempty"`
}

// PersonMedia describes a file of a message.
type PersonMedia struct {
	MimeType string `json:"mime_type"`
	Filename string `json:"filename,omitempty"`
	Size     *int64 `json:"size,omitempty"`
}

// PersonNote is a private note of the business about a conversation; the
// author is left out (another person's data).
type PersonNote struct {
	Body string    `json:"body"`
	At   time.Time `json:"at"`
}

// ExportPerson collects a contact's data in one snapshot and audits that it
// was exported.
func (s *Store) ExportPerson(ctx context.Context, tenantID string, actor Actor, contactID string) (PersonExport, error) {
	var e PersonExport
	err := s.InTenant(ctx, tenantID, func(tx pgx.Tx) error {
		c := &e.Contact
		var ts ContactRow
		err := tx.QueryRow(ctx, `SELECT `+contactRowColumns+`, now() FROM contacts c WHERE c.tenant_id = $1 AND c.id = $2`, tenantID, contactID).
			Scan(&ts.ID, &ts.TenantID, &ts.WaID, &ts.UserID, &ts.Name, &ts.Phone, &ts.Priority, &ts.Consent, &ts.CreatedAt,
				&ts.Tags, &ts.Fields, &ts.ConsentAt, &ts.ConsentSource, &e.ExportedAt)
		if err != nil {
			return notFound(err)
		}
		*c = PersonContact{ID: ts.ID, Phone: ts.Phone, WhatsAppID: ts.WaID, UserID: ts.UserID, Name: ts.Name, Priority: ts.Priority,
			Consent: ts.Consent, ConsentAt: ts.ConsentAt, ConsentSource: ts.ConsentSource, Tags: ts.Tags, Fields: ts.Fields, CreatedAt: ts.CreatedAt}
		if c.Fields == nil {
			c.Fields = map[string]any{}
		}
		e.ConsentHistory = []PersonConsent{}
		rows, err := tx.Query(ctx, `SELECT consent, source, note, created_at FROM consent_events
			WHERE tenant_id = $1 AND contact_id = $2 ORDER BY created_at, id`, tenantID, contactID)
		if err != nil {
			return err
		}
		for rows.Next() {
			var pc PersonConsent
			if err := rows.Scan(&pc.Consent, &pc.Source, &pc.Note, &pc.At); err != nil {
				rows.Close()
				return err
			}
			e.ConsentHistory = append(e.ConsentHistory, pc)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
		e.Conversations = []PersonConversation{}
		rows, err = tx.Query(ctx, `SELECT v.id, n.display_phone, v.status, v.close_outcome, v.created_at, v.closed_at
			FROM conversations v JOIN numbers n ON n.tenant_id = v.tenant_id AND n.id = v.number_id
			WHERE v.tenant_id = $1 AND v.contact_id = $2 ORDER BY v.created_at, v.id`, tenantID, contactID)
		if err != nil {
			return err
		}
		for rows.Next() {
			var pc PersonConversation
			if err := rows.Scan(&pc.ID, &pc.Number, &pc.Status, &pc.Outcome, &pc.CreatedAt, &pc.ClosedAt); err != nil {
				rows.Close()
				return err
			}
			pc.Messages, pc.Notes = []PersonMessage{}, []PersonNote{}
			e.Conversations = append(e.Conversations, pc)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
		for i := range e.Conversations {
			pc := &e.Conversations[i]
			rows, err := tx.Query(ctx, `SELECT m.id, m.direction, m.type, m.text, m.details, m.status, m.wa_timestamp,
					md.mime_type, md.filename, md.size
				FROM messages m LEFT JOIN media md ON md.tenant_id = m.tenant_id AND md.id = m.media_id
				WHERE m.tenant_id = $1 AND m.conversation_id = $2 ORDER BY m.wa_timestamp, m.seq`, tenantID, pc.ID)
			if err != nil {
				return err
			}
			for rows.Next() {
				var m PersonMessage
				var details []byte
				var mime, filename *string
				var size *int64
				if err := rows.Scan(&m.ID, &m.Direction, &m.Type, &m.Text, &details, &m.Status, &m.At, &mime, &filename, &size); err != nil {
					rows.Close()
					return err
				}
				if len(details) > 0 && string(details) != "{}" {
					m.Details = details
				}
				if mime != nil {
					m.Media = &PersonMedia{MimeType: *mime, Filename: *filename, Size: size}
				}
				pc.Messages = append(pc.Messages, m)
			}
			rows.Close()
			if err := rows.Err(); err != nil {
				return err
			}
			rows, err = tx.Query(ctx, `SELECT body, created_at FROM conversation_notes
				WHERE tenant_id = $1 AND conversation_id = $2 ORDER BY created_at, id`, tenantID, pc.ID)
			if err != nil {
				return err
			}
			for rows.Next() {
				var n PersonNote
				if err := rows.Scan(&n.Body, &n.At); err != nil {
					rows.Close()
					return err
				}
				pc.Notes = append(pc.Notes, n)
			}
			rows.Close()
			if err := rows.Err(); err != nil {
				return err
			}
		}
		return audit(ctx, tx, tenantID, actor, "contact.export", contactID, nil)
	})
	return e, err
}

// ErrContactOpen refuses to erase a contact while one of its conversations
// is open: an agent may be answering it.
var ErrContactOpen = &domain.FieldError{Field: "confirm", Key: "admin.contacts.erase_open"}

// ErrEraseConfirm refuses an erasure whose confirmation is not the
// contact's phone number.
var ErrEraseConfirm = &domain.FieldError{Field: "confirm", Key: "admin.contacts.erase_confirm_wrong"}

// Erased is what an erasure removed; BlobKeys are the files the caller
// deletes from the blob store now that their rows are gone.
type Erased struct {
	Conversations, Messages int
	BlobKeys                []string
}

// EraseContact deletes a contact with its conversations, messages, their
// statuses, notes, consent history and media rows, in one transaction, once
// confirm is the contact's phone number (or, for a contact known only by
// Meta's user id, that id). The audit entry names the contact by id and
// keeps counts only, never content; earlier entries about the contact are
// rewritten the same way.
func (s *Store) EraseContact(ctx context.Context, tenantID string, actor Actor, contactID, confirm string) (Erased, error) {
	var out Erased
	err := s.InTenant(ctx, tenantID, func(tx pgx.Tx) error {
		var waID, userID, who string
		if err := tx.QueryRow(ctx, `SELECT coalesce(wa_id, ''), coalesce(user_id, ''), coalesce(nullif(phone, ''), wa_id, user_id, '')
			FROM contacts WHERE tenant_id = $1 AND id = $2 FOR UPDATE`, tenantID, contactID).Scan(&waID, &userID, &who); err != nil {
			return notFound(err)
		}
		confirm = strings.TrimSpace(confirm)
		if (waID != "" && domain.Digits(confirm) != waID) || (waID == "" && confirm != userID) {
			return ErrEraseConfirm
		}
		var open int
		if err := tx.QueryRow(ctx, `SELECT count(*) FROM conversations WHERE tenant_id = $1 AND contact_id = $2 AND status <> 'closed'`,
			tenantID, contactID).Scan(&open); err != nil {
			return err
		}
		if open > 0 {
			return ErrContactOpen
		}
		// Files sent only in this contact's conversations go with them; a
		// file the business also sent to someone else stays.
		rows, err := tx.Query(ctx, `DELETE FROM media md WHERE md.tenant_id = $1 AND md.id IN (
				SELECT m.media_id FROM messages m JOIN conversations v ON v.tenant_id = m.tenant_id AND v.id = m.conversation_id
				WHERE m.tenant_id = $1 AND v.contact_id = $2 AND m.media_id IS NOT NULL)
			AND NOT EXISTS (SELECT 1 FROM messages o JOIN conversations ov ON ov.tenant_id = o.tenant_id AND ov.id = o.conversation_id
				WHERE o.tenant_id = $1 AND o.media_id = md.id AND ov.contact_id <> $2)
			RETURNING md.blob_key`, tenantID, contactID)
		if err != nil {
			return err
		}
		for rows.Next() {
			var key string
			if err := rows.Scan(&key); err != nil {
				rows.Close()
				return err
			}
			if key != "" {
				out.BlobKeys = append(out.BlobKeys, key)
			}
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
		// Statuses are kept by wamid, not by message: they carry the
		// recipient's number.
		if _, err := tx.Exec(ctx, `DELETE FROM message_statuses s WHERE s.tenant_id = $1 AND s.wamid IN (
				SELECT m.wamid FROM messages m JOIN conversations v ON v.tenant_id = m.tenant_id AND v.id = m.conversation_id
				WHERE m.tenant_id = $1 AND v.contact_id = $2)`, tenantID, contactID); err != nil {
			return err
		}
		if err := tx.QueryRow(ctx, `SELECT count(DISTINCT v.id), count(m.id) FROM conversations v
				LEFT JOIN messages m ON m.tenant_id = v.tenant_id AND m.conversation_id = v.id
			WHERE v.tenant_id = $1 AND v.contact_id = $2`, tenantID, contactID).Scan(&out.Conversations, &out.Messages); err != nil {
			return err
		}
		// Conversations, messages, their outbox rows, notes, routing and
		// agent events and the consent history go by ON DELETE CASCADE.
		if _, err := tx.Exec(ctx, `DELETE FROM contacts WHERE tenant_id = $1 AND id = $2`, tenantID, contactID); err != nil {
			return err
		}
		// Earlier entries about the contact named it by its phone number and
		// kept what changed: they now name its id and keep only the fact
		// (migration 000012 says why this is a function).
		var scrubbed int
		if err := tx.QueryRow(ctx, `SELECT erase_contact_audit($1, $2)`, contactID, who).Scan(&scrubbed); err != nil {
			return err
		}
		return audit(ctx, tx, tenantID, actor, "contact.erase", contactID, map[string]any{
			"conversations": out.Conversations, "messages": out.Messages, "files": len(out.BlobKeys), "audit_entries_scrubbed": scrubbed})
	})
	return out, err
}
