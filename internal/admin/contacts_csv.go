package admin

import (
	"context"
	"encoding/csv"
	"errors"
	"net/http"
	"strconv"
	"time"

	"github.com/go-chi/chi/v5"

	"switchboard/internal/auth"
	"switchboard/internal/domain"
	"switchboard/internal/httpx"
	"switchboard/internal/storage"
	"switchboard/internal/ui"
)

// CSV import and export of contacts. An import is two steps: the upload
// streams through the store's checks and is kept on the server (its rows,
// not the file), and the page shows what it would do, or its errors; the
// Import button names the kept import by id and a job applies it in one
// transaction while the page shows its progress, then what it did.

// importView is an import's page: a refused check, or a kept import with
// its first rows, its progress or its result.
type importView struct {
	storage.ImportCheck
	Shown   []storage.ImportRow // rows listed: errors, or the first rows with their action
	Hidden  int                 // rows not listed
	Expired bool
}

// rowsShown bounds the rows a kept import lists.
const rowsShown = 100

// importJobTimeout bounds a job; 100,000 rows take seconds.
const importJobTimeout = 15 * time.Minute

func handleContactsImportForm(d Deps) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		p, _ := auth.FromContext(r.Context())
		fields, err := d.Store.ListContactFields(r.Context(), p.TenantID)
		if err != nil {
			d.Unavailable(w, r, "list contact fields", err)
			return
		}
		d.Render(w, r, http.StatusOK, ContactsImportPage(d.Shell.Page(w, r, "admin.contacts.import_title", "contacts"),
			storage.ContactCSVColumns(fields)))
	}
}

// handleContactsImportCheck reads the upload as it streams (the CSRF check
// parsed the multipart body: at most 8 MB of it in memory, the rest in a
// temporary file) into the store's checks. A good file is kept and its
// page shown by redirect; a bad one is shown at once with its errors.
func handleContactsImportCheck(d Deps) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		p, _ := auth.FromContext(r.Context())
		if r.MultipartForm != nil {
			defer r.MultipartForm.RemoveAll()
		}
		file, header, err := r.FormFile("file")
		if err != nil {
			ui.SetFlash(w, d.Cookies, "error", "admin.contacts.import_no_file", "")
			http.Redirect(w, r, "/admin/contacts/import", http.StatusSeeOther)
			return
		}
		defer file.Close()
		if header.Size > storage.MaxImportBytes {
			// Known from the parsed form: refused before reading a row (the
			// store's reader stops at the limit too, for bodies of unknown size).
			v := importView{ImportCheck: storage.ImportCheck{FileIssues: []storage.ImportIssue{
				{Key: "admin.contacts.import_too_large", Arg: strconv.Itoa(storage.MaxImportBytes >> 20)}}}}
			d.renderImport(w, r, http.StatusUnprocessableEntity, v)
			return
		}
		region := r.PostFormValue("region")
		c, err := d.Store.StageContactImport(r.Context(), p.TenantID, p.Actor(httpx.ClientIP(r)), header.Filename, region, file)
		var fe *domain.FieldError
		switch {
		case errors.As(err, &fe):
			c.FileIssues = []storage.ImportIssue{{Key: fe.Key}}
			d.renderImport(w, r, http.StatusUnprocessableEntity, importView{ImportCheck: c})
		case errors.Is(err, storage.ErrImportInvalid):
			v := importView{ImportCheck: c, Shown: c.Bad}
			v.Hidden = c.BadRows - len(c.Bad)
			d.renderImport(w, r, http.StatusUnprocessableEntity, v)
		case err != nil:
			d.Unavailable(w, r, "check import", err)
		default:
			http.Redirect(w, r, "/admin/contacts/import/"+c.ID, http.StatusSeeOther)
		}
	}
}

func (d Deps) renderImport(w http.ResponseWriter, r *http.Request, status int, v importView) {
	d.Render(w, r, status, ContactsImportPreviewPage(d.Shell.Page(w, r, "admin.contacts.import_preview", "contacts"), v))
}

// handleContactsImport shows a kept import: what it would do with its
// Import button, its progress while the job runs, or how it ended.
func handleContactsImport(d Deps) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		ctx := r.Context()
		p, _ := auth.FromContext(ctx)
		id := chi.URLParam(r, "id")
		if !domain.ValidID(id) {
			d.NotFound(w, r)
			return
		}
		c, err := d.Store.ContactImport(ctx, p.TenantID, id)
		if errors.Is(err, storage.ErrNotFound) {
			d.NotFound(w, r)
			return
		} else if err != nil {
			d.Unavailable(w, r, "load import", err)
			return
		}
		v := importView{ImportCheck: storage.ImportCheck{ContactImport: c}, Expired: c.Expired(time.Now())}
		if c.Status == storage.ImportReady && !v.Expired {
			if v.Shown, err = d.Store.ContactImportRows(ctx, p.TenantID, id, rowsShown); err != nil {
				d.Unavailable(w, r, "list import rows", err)
				return
			}
			v.Hidden = c.Rows - len(v.Shown)
		}
		d.renderImport(w, r, http.StatusOK, v)
	}
}

// handleContactsImportApply starts the job of a kept import and shows its
// page, where its progress is. The job outlives the request (its own
// context, bounded); an instance that stops mid-job leaves nothing applied
// and the page says the import was cut short.
func handleContactsImportApply(d Deps) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		ctx := r.Context()
		p, _ := auth.FromContext(ctx)
		id := chi.URLParam(r, "id")
		if !domain.ValidID(id) {
			d.NotFound(w, r)
			return
		}
		page := "/admin/contacts/import/" + id
		err := d.Store.StartContactImport(ctx, p.TenantID, id)
		switch {
		case errors.Is(err, storage.ErrNotFound):
			d.NotFound(w, r)
			return
		case errors.Is(err, storage.ErrImportExpired):
			ui.SetFlash(w, d.Cookies, "error", "admin.contacts.import_expired", "")
			http.Redirect(w, r, "/admin/contacts/import", http.StatusSeeOther)
			return
		case errors.Is(err, storage.ErrImportStarted): // a second click: the first one's page
		case err != nil:
			d.Unavailable(w, r, "start import", err)
			return
		default:
			actor := p.Actor(httpx.ClientIP(r))
			jctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), importJobTimeout)
			go func() {
				defer cancel()
				if _, err := d.Store.ApplyContactImport(jctx, p.TenantID, actor, id); err != nil {
					d.Logger.ErrorContext(jctx, "import contacts", "import", id, "error", err)
				}
			}()
		}
		http.Redirect(w, r, page, http.StatusSeeOther)
	}
}

// handleContactsExport writes the filtered list as CSV with the import's
// columns, so an exported file imports back changing nothing.
func handleContactsExport(d Deps) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		ctx := r.Context()
		p, _ := auth.FromContext(ctx)
		f, _, _ := parseContactFilter(r.URL.Query())
		fields, err := d.Store.ListContactFields(ctx, p.TenantID)
		if err != nil {
			d.Unavailable(w, r, "list contact fields", err)
			return
		}
		// Rows are written as they are read: nothing is sent until the
		// first one, so a failure before it is still an error page.
		var cw *csv.Writer
		start := func() {
			w.Header().Set("Content-Type", "text/csv; charset=utf-8")
			w.Header().Set("Content-Disposition", `attachment; filename="contacts-`+time.Now().UTC().Format("20060102-150405")+`.csv"`)
			cw = csv.NewWriter(w)
			_ = cw.Write(storage.ContactCSVColumns(fields))
		}
		err = d.Store.EachContact(ctx, p.TenantID, f, func(c storage.ContactRow) error {
			if cw == nil {
				start()
			}
			return cw.Write(storage.ContactCSVRecord(c, fields))
		})
		if err != nil && cw == nil {
			d.Unavailable(w, r, "export contacts", err)
			return
		} else if err != nil {
			d.Logger.ErrorContext(ctx, "export contacts", "error", err) // the file is cut short
			return
		}
		if cw == nil {
			start()
		}
		cw.Flush()
	}
}
