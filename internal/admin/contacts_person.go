package admin

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"

	"switchboard/internal/domain"
	"switchboard/internal/storage"
	"switchboard/internal/ui"
)

// A person's data on request: everything kept about a contact as JSON, or
// all of it erased. Erasure is typed out (the phone number) and waits until
// no conversation of the contact is open.

func handlePersonExport(d Deps) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		p, actor, id, ok := d.contactTarget(w, r)
		if !ok {
			return
		}
		e, err := d.Store.ExportPerson(r.Context(), p.TenantID, actor, id)
		if errors.Is(err, storage.ErrNotFound) {
			d.NotFound(w, r)
			return
		} else if err != nil {
			d.Unavailable(w, r, "export person", err)
			return
		}
		body, err := json.MarshalIndent(e, "", "  ")
		if err != nil {
			d.Unavailable(w, r, "export person", err)
			return
		}
		w.Header().Set("Content-Type", "application/json; charset=utf-8")
		w.Header().Set("Content-Disposition", `attachment; filename="contact-`+id+`.json"`)
		_, _ = w.Write(body)
	}
}

// handlePersonErase erases a contact once the phone number typed matches,
// then deletes its files from the blob store (their rows are gone already,
// so a file that fails to go is unreachable; it is logged to be removed).
func handlePersonErase(d Deps) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		p, actor, id, ok := d.contactTarget(w, r)
		if !ok {
			return
		}
		form := ui.NewForm()
		form.Values["confirm"] = r.PostFormValue("confirm")
		erased, err := d.Store.EraseContact(r.Context(), p.TenantID, actor, id, form.Values["confirm"])
		var fe *domain.FieldError
		switch {
		case errors.As(err, &fe):
			form.Fail(fe.Field, fe.Key)
			d.renderContact(w, r, http.StatusUnprocessableEntity, id, form, "erase")
			return
		case errors.Is(err, storage.ErrNotFound):
			d.NotFound(w, r)
			return
		case err != nil:
			d.Unavailable(w, r, "erase contact", err)
			return
		}
		for _, key := range erased.BlobKeys {
			if err := d.Blobs.Delete(context.WithoutCancel(r.Context()), key); err != nil {
				d.Logger.ErrorContext(r.Context(), "erase contact: delete file", "contact", id, "blob", key, "error", err)
			}
		}
		ui.SetFlash(w, d.Cookies, "success", "admin.contacts.erased", "")
		http.Redirect(w, r, "/admin/contacts", http.StatusSeeOther)
	}
}
