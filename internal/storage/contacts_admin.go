package storage

import (
	"context"
	"encoding/json"
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

// MaxContactName bounds a contact's name (the import's limits are in
// contacts_import_csv.go).
const MaxContactName = 256

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
// The name (the customer's WhatsApp profile name) and the fields' values
// go through CSVSafe: a spreadsheet must not run what a customer typed.
func ContactCSVRecord(c ContactRow, fields []ContactField) []string {
	rec := []string{"+" + c.WaID, CSVSafe(c.Name), strconv.Itoa(c.Priority), c.Consent, strings.Join(c.Tags, ";")}
	for _, f := range fields {
		rec = append(rec, CSVSafe(formatFieldValue(c.Fields[f.Key])))
	}
	return rec
}

// CSVSafe keeps a spreadsheet from reading a cell (which may hold what
// someone typed) as a formula, with a leading quote; a phone number such
// as +393331112222, or a negative number, is left as it is, since it is a
// number to a spreadsheet. The import takes the quote off (csvUnsafe).
func CSVSafe(s string) string {
	if s == "" || !strings.ContainsRune("=+-@\t\r", rune(s[0])) {
		return s
	}
	if (s[0] == '+' || s[0] == '-') && len(s) > 1 && strings.Trim(s[1:], "0123456789") == "" {
		return s
	}
	return "'" + s
}

// csvUnsafe undoes CSVSafe on a cell read back: an exported file imports
// back unchanged.
func csvUnsafe(s string) string {
	if len(s) > 1 && s[0] == '\'' && CSVSafe(s[1:]) == s {
		return s[1:]
	}
	return s
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
		// file the business also sent to someone else, or a keyword rule
		// still answers with, stays.
		rows, err := tx.Query(ctx, `DELETE FROM media md WHERE md.tenant_id = $1 AND md.id IN (
				SELECT m.media_id FROM messages m JOIN conversations v ON v.tenant_id = m.tenant_id AND v.id = m.conversation_id
				WHERE m.tenant_id = $1 AND v.contact_id = $2 AND m.media_id IS NOT NULL)
			AND NOT EXISTS (SELECT 1 FROM messages o JOIN conversations ov ON ov.tenant_id = o.tenant_id AND ov.id = o.conversation_id
				WHERE o.tenant_id = $1 AND o.media_id = md.id AND ov.contact_id <> $2)
			AND NOT `+ruleMediaInUse+`
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
