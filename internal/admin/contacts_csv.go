package admin

import (
	"encoding/csv"
	"errors"
	"io"
	"net/http"
	"strconv"
	"time"

	"switchboard/internal/auth"
	"switchboard/internal/httpx"
	"switchboard/internal/storage"
	"switchboard/internal/ui"
)

// CSV import and export of contacts. An import is two steps: the upload
// shows what each row would do (new, update, unchanged, or its errors by
// column); the Import button posts the same file back and the store checks
// it all again and applies every row in one transaction, or nothing.

// importView is the preview of an uploaded file.
type importView struct {
	Plan     storage.ImportPlan
	Data     string // the file, posted back by the Import button
	FileName string
	Shown    []storage.ImportRow // the rows listed (errors first)
	Hidden   int                 // rows not listed
}

// maxRowsShown bounds the preview: every row with an error is listed, and
// the others up to this many.
const maxRowsShown = 500

func newImportView(p storage.ImportPlan, data []byte, name string) importView {
	v := importView{Plan: p, Data: string(data), FileName: name}
	for _, r := range p.Rows {
		if r.Action == storage.ImportError {
			v.Shown = append(v.Shown, r)
		}
	}
	for _, r := range p.Rows {
		if r.Action == storage.ImportError {
			continue
		}
		if len(v.Shown) >= maxRowsShown {
			v.Hidden++
			continue
		}
		v.Shown = append(v.Shown, r)
	}
	return v
}

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

// readUpload returns the uploaded file's bytes, at most one more than the
// import's limit (the parser reports the size in words).
func readUpload(r *http.Request) ([]byte, string, error) {
	// The CSRF check parsed the multipart body already; this only reads it.
	if err := r.ParseMultipartForm(8 << 20); err != nil {
		return nil, "", err
	}
	file, header, err := r.FormFile("file")
	if err != nil {
		return nil, "", err
	}
	defer file.Close()
	data, err := io.ReadAll(io.LimitReader(file, storage.MaxImportBytes+1))
	return data, header.Filename, err
}

func handleContactsImportPreview(d Deps) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		p, _ := auth.FromContext(r.Context())
		data, name, err := readUpload(r)
		if err != nil {
			ui.SetFlash(w, d.Cookies, "error", "admin.contacts.import_no_file", "")
			http.Redirect(w, r, "/admin/contacts/import", http.StatusSeeOther)
			return
		}
		defer r.MultipartForm.RemoveAll()
		plan, err := d.Store.PreviewContactImport(r.Context(), p.TenantID, data)
		if err != nil {
			d.Unavailable(w, r, "preview import", err)
			return
		}
		d.renderImportPreview(w, r, http.StatusOK, newImportView(plan, data, name))
	}
}

func (d Deps) renderImportPreview(w http.ResponseWriter, r *http.Request, status int, v importView) {
	d.Render(w, r, status, ContactsImportPreviewPage(d.Shell.Page(w, r, "admin.contacts.import_preview", "contacts"), v))
}

// handleContactsImportApply imports the file the preview posted back; the
// store checks it again against what is stored now, so a stale or altered
// preview imports nothing it would not accept.
func handleContactsImportApply(d Deps) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		p, _ := auth.FromContext(r.Context())
		if r.MultipartForm != nil {
			defer r.MultipartForm.RemoveAll()
		}
		data := []byte(r.PostFormValue("csv"))
		plan, err := d.Store.ImportContacts(r.Context(), p.TenantID, p.Actor(httpx.ClientIP(r)), data)
		switch {
		case errors.Is(err, storage.ErrImportInvalid):
			d.renderImportPreview(w, r, http.StatusUnprocessableEntity, newImportView(plan, data, r.PostFormValue("file_name")))
		case err != nil:
			d.Unavailable(w, r, "import contacts", err)
		default:
			ui.SetFlash(w, d.Cookies, "success", "admin.contacts.imported",
				strconv.Itoa(plan.New)+" / "+strconv.Itoa(plan.Updated)+" / "+strconv.Itoa(plan.Unchanged))
			http.Redirect(w, r, "/admin/contacts", http.StatusSeeOther)
		}
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
