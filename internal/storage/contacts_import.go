package storage

import (
	"context"
	"errors"
	"io"
	"slices"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"switchboard/internal/domain"
	"switchboard/internal/phone"
)

// A contacts import in two steps with the file kept on the server between
// them. The upload streams through the CSV reader into the import's rows
// (COPY into a temporary table, then one INSERT, since COPY cannot write a
// table under row-level security), and is checked as it goes; the Import
// button names the import by id, and a job applies every row in one
// transaction, or none, writing its progress beside it.

// ImportExpiry is how long a checked file waits for its Import button.
const ImportExpiry = time.Hour

// importChunk is how many rows the job applies between progress reports.
const importChunk = 5000

// importStale is how long a running import may go without a heartbeat
// before it is reported as cut short: its transaction is gone with its
// connection, so nothing of it was applied.
const importStale = 2 * time.Minute

// Import statuses.
const (
	ImportReady   = "ready"
	ImportRunning = "running"
	ImportDone    = "done"
	ImportFailed  = "failed"
)

// ContactImport is an uploaded file and what became of it. Before the job
// Created, Updated and Unchanged are what it would do; after, what it did.
type ContactImport struct {
	ID        string
	FileName  string
	Columns   []string
	Status    string
	Rows      int // the file's data rows (all good, or it was not kept)
	Done      int // rows applied so far
	Created   int
	Updated   int
	Unchanged int
	Error     string // an i18n key when failed
	Region    string // the country local numbers were read in, "" none
	CreatedAt time.Time
}

// Expired reports whether a checked file waited too long for Import.
func (c ContactImport) Expired(now time.Time) bool {
	return c.Status == ImportReady && now.Sub(c.CreatedAt) > ImportExpiry
}

// ImportCheck is what an upload found: the import kept (ID set) when the
// file is good, else the file's issues and its rows with errors.
type ImportCheck struct {
	ContactImport
	FileIssues []ImportIssue
	BadRows    int
	Bad        []ImportRow // the first maxBadRows rows with errors
}

// OK reports whether the file may be imported: no issue anywhere.
func (c ImportCheck) OK() bool { return len(c.FileIssues) == 0 && c.BadRows == 0 }

// maxBadRows bounds the rows with errors a check keeps to show.
const maxBadRows = 500

// ErrImportInvalid refuses to keep or import a file with any issue;
// nothing changed.
var ErrImportInvalid = errors.New("storage: the import file has errors")

// Why an import cannot start.
var (
	ErrImportExpired = errors.New("storage: the checked import expired")
	ErrImportStarted = errors.New("storage: the import has already started")
)

// importChangesSQL lists the columns a kept row r would change on the
// stored contact c (which the caller joined, maybe as NULL).
const importChangesSQL = `array_remove(ARRAY[
		CASE WHEN r.name IS NOT NULL AND r.name <> c.name THEN 'name' END,
		CASE WHEN r.priority IS NOT NULL AND r.priority <> c.priority THEN 'priority' END,
		CASE WHEN r.consent <> '' AND r.consent <> c.consent THEN 'consent' END,
		CASE WHEN r.tags IS NOT NULL AND NOT (r.tags @> c.tags AND c.tags @> r.tags) THEN 'tags' END], NULL)
	|| ARRAY(SELECT e.key FROM jsonb_each(r.fields) e WHERE c.fields -> e.key IS DISTINCT FROM e.value ORDER BY e.key)`

const importRowsJoinSQL = ` FROM contact_import_rows r
	LEFT JOIN contacts c ON c.tenant_id = r.tenant_id AND c.wa_id = r.wa_id
	WHERE r.tenant_id = $1 AND r.import_id = $2`

// StageContactImport reads an uploaded file as it streams and keeps its
// rows for Import, counting what they would do against the contacts stored
// now. A file with any issue keeps nothing: the check comes back with
// ErrImportInvalid, its issues and its first rows with errors. Numbers
// written without a country code are read in region, one of
// phone.Regions() ("" refuses them).
func (s *Store) StageContactImport(ctx context.Context, tenantID string, actor Actor, fileName, region string, file io.Reader) (ImportCheck, error) {
	var c ImportCheck
	c.FileName = trimFileName(fileName)
	if region != "" && !slices.Contains(phone.Regions(), region) {
		return c, &domain.FieldError{Field: "region", Key: "admin.contacts.import_region"}
	}
	c.Region = region
	err := s.InTenant(ctx, tenantID, func(tx pgx.Tx) error {
		if err := expireImports(ctx, tx, tenantID); err != nil {
			return err
		}
		defs, err := listContactFields(ctx, tx, tenantID)
		if err != nil {
			return err
		}
		ir := newImportReader(file, defs, region)
		c.Columns = ir.columns
		if len(ir.fileIssues) > 0 {
			c.FileIssues = ir.fileIssues
			return ErrImportInvalid
		}
		if err := tx.QueryRow(ctx, `INSERT INTO contact_imports (tenant_id, created_by, file_name, columns, region)
			VALUES ($1, $2, $3, $4, $5) RETURNING id, created_at`, tenantID, actor.Email, c.FileName, c.Columns, region).Scan(&c.ID, &c.CreatedAt); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `CREATE TEMPORARY TABLE import_upload (
				n integer, line integer, phone text, wa_id text, name text, priority integer,
				consent text, tags text[], fields jsonb) ON COMMIT DROP`); err != nil {
			return err
		}
		src := &stageSource{ir: ir, check: &c}
		if _, err := tx.CopyFrom(ctx, pgx.Identifier{"import_upload"},
			[]string{"n", "line", "phone", "wa_id", "name", "priority", "consent", "tags", "fields"}, src); err != nil {
			return err
		}
		c.FileIssues = ir.fileIssues
		if !c.OK() {
			return ErrImportInvalid
		}
		c.Rows = src.n
		if err := bulkJoins(ctx, tx); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `INSERT INTO contact_import_rows (tenant_id, import_id, n, line, phone, wa_id, name, priority, consent, tags, fields)
			SELECT $1, $2, n, line, phone, wa_id, name, priority, consent, tags, fields FROM import_upload`, tenantID, c.ID); err != nil {
			return err
		}
		if err := countImport(ctx, tx, tenantID, c.ID, &c.ContactImport); err != nil {
			return err
		}
		_, err = tx.Exec(ctx, `UPDATE contact_imports SET rows = $3, created = $4, updated = $5, unchanged = $6
			WHERE tenant_id = $1 AND id = $2`, tenantID, c.ID, c.Rows, c.Created, c.Updated, c.Unchanged)
		c.Status = ImportReady
		return err
	})
	if err != nil {
		c.ID, c.Status = "", ""
	}
	return c, err
}

func trimFileName(name string) string {
	name = strings.ToValidUTF8(strings.TrimSpace(name), "")
	if r := []rune(name); len(r) > 255 {
		name = string(r[:255])
	}
	return name
}

// stageSource feeds COPY the file's good rows as the reader yields them,
// keeping the first rows with errors aside.
type stageSource struct {
	ir    *importReader
	check *ImportCheck
	row   ImportRow
	n     int
}

func (s *stageSource) Next() bool {
	for {
		row, ok := s.ir.next()
		if !ok {
			return false
		}
		if len(row.Issues) > 0 {
			s.check.BadRows++
			if len(s.check.Bad) < maxBadRows {
				s.check.Bad = append(s.check.Bad, row)
			}
			continue
		}
		if s.check.BadRows > 0 {
			continue // nothing will be kept: only the errors matter now
		}
		s.n++
		s.row = row
		return true
	}
}

func (s *stageSource) Values() ([]any, error) {
	r := s.row
	fields := r.Fields
	if fields == nil {
		fields = map[string]any{}
	}
	return []any{s.n, r.Line, r.Phone, r.WaID, r.Name, r.Priority, r.Consent, r.Tags, fields}, nil
}

func (s *stageSource) Err() error { return nil }

// bulkJoins tells the planner of this transaction that its joins are of
// thousands of rows. Without it, a table just filled (or growing within
// the transaction, as contacts do while a job runs) looks nearly empty to
// the planner, which picks nested loops over a tenant's every contact for
// each row: minutes instead of a second. The application role may not
// ANALYZE (it owns nothing), but it may set this for its own transaction.
func bulkJoins(ctx context.Context, tx pgx.Tx) error {
	_, err := tx.Exec(ctx, `SET LOCAL enable_nestloop = off`)
	return err
}

// countImport counts what a kept import's rows would do now.
func countImport(ctx context.Context, tx pgx.Tx, tenantID, importID string, c *ContactImport) error {
	return tx.QueryRow(ctx, `SELECT count(*) FILTER (WHERE id IS NULL),
			count(*) FILTER (WHERE id IS NOT NULL AND cardinality(ch) > 0),
			count(*) FILTER (WHERE id IS NOT NULL AND cardinality(ch) = 0)
		FROM (SELECT c.id, `+importChangesSQL+` AS ch`+importRowsJoinSQL+`) d`, tenantID, importID).
		Scan(&c.Created, &c.Updated, &c.Unchanged)
}

// expireImports forgets what no one will import: the rows of imports that
// ended or waited past their expiry, and imports older than a week.
func expireImports(ctx context.Context, tx pgx.Tx, tenantID string) error {
	if _, err := tx.Exec(ctx, `DELETE FROM contact_import_rows WHERE tenant_id = $1 AND import_id IN (
			SELECT id FROM contact_imports WHERE tenant_id = $1
			AND (status IN ('done', 'failed') OR (status = 'ready' AND created_at < now() - make_interval(secs => $2))))`,
		tenantID, ImportExpiry.Seconds()); err != nil {
		return err
	}
	_, err := tx.Exec(ctx, `DELETE FROM contact_imports WHERE tenant_id = $1 AND created_at < now() - interval '7 days'
		AND status <> 'running'`, tenantID)
	return err
}

const contactImportColumns = `id, file_name, columns, status, rows, done, created, updated, unchanged, error, region, created_at,
	status = 'running' AND heartbeat < now() - make_interval(secs => $3)`

// ContactImport reads an import; one whose job stopped writing its
// heartbeat is reported failed (its transaction died with it).
func (s *Store) ContactImport(ctx context.Context, tenantID, importID string) (ContactImport, error) {
	var c ContactImport
	err := s.InTenant(ctx, tenantID, func(tx pgx.Tx) error {
		var stale bool
		err := tx.QueryRow(ctx, `SELECT `+contactImportColumns+` FROM contact_imports WHERE tenant_id = $1 AND id = $2`,
			tenantID, importID, importStale.Seconds()).
			Scan(&c.ID, &c.FileName, &c.Columns, &c.Status, &c.Rows, &c.Done, &c.Created, &c.Updated, &c.Unchanged, &c.Error, &c.Region,
				&c.CreatedAt, &stale)
		if stale {
			c.Status, c.Error = ImportFailed, "admin.contacts.import_interrupted"
		}
		return notFound(err)
	})
	return c, err
}

// ContactImportRows lists up to limit of a ready import's rows in file
// order with what each would do now.
func (s *Store) ContactImportRows(ctx context.Context, tenantID, importID string, limit int) ([]ImportRow, error) {
	var out []ImportRow
	err := s.InTenant(ctx, tenantID, func(tx pgx.Tx) error {
		rows, err := tx.Query(ctx, `SELECT r.line, r.phone, r.wa_id, c.id IS NULL, `+importChangesSQL+importRowsJoinSQL+`
			ORDER BY r.n LIMIT $3`, tenantID, importID, limit)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var r ImportRow
			var isNew bool
			if err := rows.Scan(&r.Line, &r.Phone, &r.WaID, &isNew, &r.Changes); err != nil {
				return err
			}
			switch {
			case isNew:
				r.Action, r.Changes = ImportNew, nil
			case len(r.Changes) > 0:
				r.Action = ImportUpdate
			default:
				r.Action = ImportUnchanged
			}
			out = append(out, r)
		}
		return rows.Err()
	})
	return out, err
}

// StartContactImport claims a ready import for the job: once, and only
// within its expiry.
func (s *Store) StartContactImport(ctx context.Context, tenantID, importID string) error {
	return s.InTenant(ctx, tenantID, func(tx pgx.Tx) error {
		var status string
		var expired bool
		if err := tx.QueryRow(ctx, `SELECT status, created_at < now() - make_interval(secs => $3) FROM contact_imports
			WHERE tenant_id = $1 AND id = $2 FOR UPDATE`, tenantID, importID, ImportExpiry.Seconds()).Scan(&status, &expired); err != nil {
			return notFound(err)
		}
		switch {
		case status != ImportReady:
			return ErrImportStarted
		case expired:
			return ErrImportExpired
		}
		_, err := tx.Exec(ctx, `UPDATE contact_imports SET status = 'running', heartbeat = now() WHERE tenant_id = $1 AND id = $2`,
			tenantID, importID)
		return err
	})
}

// ApplyContactImport is the job: every row of a started import in one
// transaction: new contacts inserted a chunk at a time with the progress
// written beside (outside the transaction, so the page sees it), the
// others updated, consent through its history (source "imported"), one
// audit entry, and the router told when a priority moved. On any error
// nothing was applied and the import is marked failed.
func (s *Store) ApplyContactImport(ctx context.Context, tenantID string, actor Actor, importID string) (ContactImport, error) {
	var c ContactImport
	err := s.InTenant(ctx, tenantID, func(tx pgx.Tx) error {
		var kept int
		if err := tx.QueryRow(ctx, `SELECT id, file_name, columns, status, rows, region, created_at,
				(SELECT count(*) FROM contact_import_rows r WHERE r.tenant_id = $1 AND r.import_id = $2)
			FROM contact_imports WHERE tenant_id = $1 AND id = $2`, tenantID, importID).
			Scan(&c.ID, &c.FileName, &c.Columns, &c.Status, &c.Rows, &c.Region, &c.CreatedAt, &kept); err != nil {
			return notFound(err)
		}
		if c.Status != ImportRunning {
			return ErrImportStarted
		}
		if err := bulkJoins(ctx, tx); err != nil {
			return err
		}
		if kept != c.Rows {
			return ErrImportExpired // the rows went (a crash empties the unlogged table)
		}
		if err := countImport(ctx, tx, tenantID, importID, &c); err != nil {
			return err
		}
		var priorityMoved bool
		if err := tx.QueryRow(ctx, `SELECT EXISTS (SELECT 1`+strings.Replace(importRowsJoinSQL, "LEFT JOIN", "JOIN", 1)+`
			AND r.priority IS NOT NULL AND r.priority <> c.priority)`, tenantID, importID).Scan(&priorityMoved); err != nil {
			return err
		}
		// New contacts a chunk at a time, reporting progress; a contact that
		// exists (or that a customer's message created meanwhile) is left to
		// the one update that follows, which finds the rows that differ in a
		// single join however many chunks there were.
		for lo := 0; lo < c.Rows; lo += importChunk {
			hi := min(lo+importChunk, c.Rows)
			if _, err := tx.Exec(ctx, `INSERT INTO contacts (tenant_id, wa_id, phone, name, priority, tags, fields)
				SELECT r.tenant_id, r.wa_id, '+' || r.wa_id, coalesce(r.name, ''), coalesce(r.priority, 0), coalesce(r.tags, '{}'), r.fields
				FROM contact_import_rows r WHERE r.tenant_id = $1 AND r.import_id = $2 AND r.n > $3 AND r.n <= $4
				ORDER BY r.n
				ON CONFLICT (tenant_id, wa_id) DO NOTHING`, tenantID, importID, lo, hi); err != nil {
				return err
			}
			if err := s.importProgress(ctx, tenantID, importID, hi); err != nil {
				return err
			}
		}
		if _, err := tx.Exec(ctx, `UPDATE contacts c SET name = coalesce(r.name, c.name), priority = coalesce(r.priority, c.priority),
				tags = coalesce(r.tags, c.tags), fields = c.fields || r.fields, updated_at = now()
			FROM contact_import_rows r
			WHERE r.tenant_id = $1 AND r.import_id = $2 AND c.tenant_id = $1 AND c.wa_id = r.wa_id
			  AND ((r.name IS NOT NULL AND r.name <> c.name) OR (r.priority IS NOT NULL AND r.priority <> c.priority)
			    OR (r.tags IS NOT NULL AND NOT (r.tags @> c.tags AND c.tags @> r.tags)) OR NOT (c.fields @> r.fields))`,
			tenantID, importID); err != nil {
			return err
		}
		// Consent as SetConsent writes it, for every contact whose consent
		// the file changes (a new contact's is unknown until now).
		if _, err := tx.Exec(ctx, `WITH changed AS (
				UPDATE contacts c SET consent = r.consent, consent_at = now(), consent_source = 'imported', consent_by = $3, updated_at = now()
				FROM contact_import_rows r
				WHERE r.tenant_id = $1 AND r.import_id = $2 AND c.tenant_id = $1 AND c.wa_id = r.wa_id
				  AND r.consent <> '' AND r.consent <> c.consent
				RETURNING c.id, r.consent)
			INSERT INTO consent_events (tenant_id, contact_id, consent, source, actor, note)
			SELECT $1, id, consent, 'imported', $3, 'CSV import' FROM changed`, tenantID, importID, actor.Email); err != nil {
			return err
		}
		if err := audit(ctx, tx, tenantID, actor, "contact.import", c.FileName, map[string]any{
			"rows": c.Rows, "created": c.Created, "updated": c.Updated, "unchanged": c.Unchanged, "local_numbers_in": c.Region}); err != nil {
			return err
		}
		if priorityMoved {
			if err := configReload(ctx, tx, tenantID, actor); err != nil {
				return err
			}
		}
		if _, err := tx.Exec(ctx, `DELETE FROM contact_import_rows WHERE tenant_id = $1 AND import_id = $2`, tenantID, importID); err != nil {
			return err
		}
		c.Status, c.Done = ImportDone, c.Rows
		_, err := tx.Exec(ctx, `UPDATE contact_imports SET status = 'done', done = rows, created = $3, updated = $4, unchanged = $5,
			finished_at = now(), heartbeat = now() WHERE tenant_id = $1 AND id = $2`, tenantID, importID, c.Created, c.Updated, c.Unchanged)
		return err
	})
	if err != nil && !errors.Is(err, ErrNotFound) && !errors.Is(err, ErrImportStarted) {
		key := "admin.contacts.import_failed"
		if errors.Is(err, ErrImportExpired) {
			key = "admin.contacts.import_expired"
		}
		// The job's own context may be what ended; the mark must still land.
		mctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
		defer cancel()
		if merr := s.InTenant(mctx, tenantID, func(tx pgx.Tx) error {
			_, err := tx.Exec(mctx, `UPDATE contact_imports SET status = 'failed', error = $3, done = 0, finished_at = now()
				WHERE tenant_id = $1 AND id = $2 AND status = 'running'`, tenantID, importID, key)
			return err
		}); merr != nil {
			err = errors.Join(err, merr)
		}
		c.Status, c.Error = ImportFailed, key
	}
	return c, err
}

// importProgress writes how many rows the job has applied, in its own
// transaction: the job's is not visible until it commits.
func (s *Store) importProgress(ctx context.Context, tenantID, importID string, done int) error {
	return s.InTenant(ctx, tenantID, func(tx pgx.Tx) error {
		_, err := tx.Exec(ctx, `UPDATE contact_imports SET done = $3, heartbeat = now() WHERE tenant_id = $1 AND id = $2`,
			tenantID, importID, done)
		return err
	})
}

// ImportContacts checks and applies a whole file at once, for the CLI,
// the demo and tests; the pages go through the job.
func (s *Store) ImportContacts(ctx context.Context, tenantID string, actor Actor, file io.Reader) (ImportCheck, error) {
	c, err := s.StageContactImport(ctx, tenantID, actor, "", "", file)
	if err != nil {
		return c, err
	}
	if err := s.StartContactImport(ctx, tenantID, c.ID); err != nil {
		return c, err
	}
	c.ContactImport, err = s.ApplyContactImport(ctx, tenantID, actor, c.ID)
	return c, err
}
