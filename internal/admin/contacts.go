package admin

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/go-chi/chi/v5"

	"switchboard/internal/auth"
	"switchboard/internal/domain"
	"switchboard/internal/httpx"
	"switchboard/internal/i18n"
	"switchboard/internal/storage"
	"switchboard/internal/ui"
)

// The contact pages (/admin/contacts): the list with its filters, and a
// contact with its edits. Every rule is the store's, shared with the agent's
// contact panel (tags, fields, consent history), the CLI and the router
// (priority); the handlers only read forms and show what the store said.

const contactsPageSize = 50

// contactList is one page of the list with the filter that made it.
type contactList struct {
	Filter  url.Values // q, tag, consent, pmin, pmax as typed
	Errors  map[string]string
	Rows    []storage.ContactRow
	Page    int
	More    bool
	Consent []ui.Option
}

// parseContactFilter reads the list's filter from a query; a bad priority
// bound is reported beside its input and not applied.
func parseContactFilter(q url.Values) (storage.ContactFilter, url.Values, map[string]string) {
	typed := url.Values{}
	errs := map[string]string{}
	for _, k := range []string{"q", "tag", "consent", "pmin", "pmax"} {
		if v := strings.TrimSpace(q.Get(k)); v != "" {
			typed.Set(k, v)
		}
	}
	f := storage.ContactFilter{Query: typed.Get("q"), Tag: typed.Get("tag")}
	switch c := typed.Get("consent"); c {
	case "", "unknown", "granted", "revoked":
		f.Consent = c
	default:
		errs["consent"] = "agent.contact.consent_invalid"
	}
	bound := func(k string) *int {
		v := typed.Get(k)
		if v == "" {
			return nil
		}
		n, err := strconv.Atoi(v)
		if err != nil || n < -storage.MaxPriority || n > storage.MaxPriority {
			errs[k] = "routing.priority_range"
			return nil
		}
		return &n
	}
	f.PriorityMin, f.PriorityMax = bound("pmin"), bound("pmax")
	return f, typed, errs
}

func consentOptions(ctx context.Context, any bool) []ui.Option {
	var out []ui.Option
	if any {
		out = append(out, ui.Option{Value: "", Label: i18n.T(ctx, "admin.contacts.consent_any")})
	}
	for _, c := range []string{"granted", "revoked", "unknown"} {
		out = append(out, ui.Option{Value: c, Label: i18n.T(ctx, "agent.contact.consent."+c)})
	}
	return out
}

// contactsURL is the list (or its CSV) with a filter and a page.
func contactsURL(path string, filter url.Values, page int) string {
	q := url.Values{}
	for k, v := range filter {
		q[k] = v
	}
	if page > 0 {
		q.Set("page", strconv.Itoa(page))
	}
	if len(q) == 0 {
		return path
	}
	return path + "?" + q.Encode()
}

func handleContacts(d Deps) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		ctx := r.Context()
		p, _ := auth.FromContext(ctx)
		f, typed, errs := parseContactFilter(r.URL.Query())
		page, _ := strconv.Atoi(r.URL.Query().Get("page"))
		if page < 0 || page > 100000 {
			page = 0
		}
		rows, more, err := d.Store.SearchContacts(ctx, p.TenantID, f, page*contactsPageSize, contactsPageSize)
		if err != nil {
			d.Unavailable(w, r, "search contacts", err)
			return
		}
		l := contactList{Filter: typed, Errors: errs, Rows: rows, Page: page, More: more, Consent: consentOptions(ctx, true)}
		d.Render(w, r, http.StatusOK, ContactsPage(d.Shell.Page(w, r, "admin.contacts.title", "contacts"), l))
	}
}

// contactView is a contact's page: the panel's data and the forms, the one
// that failed showing what was typed and its error.
type contactView struct {
	storage.ContactPanel
	Form    *ui.Form
	Failed  string // which form failed: profile, consent, tag, fields, erase
	Sources []ui.Option
	Consent []ui.Option
}

// typed is what a form shows: what was typed if that form failed, else the
// stored value.
func (v contactView) typed(form, name, stored string) string {
	if v.Failed == form {
		return v.Form.Get(name)
	}
	return stored
}

func (v contactView) err(form, name string) string {
	if v.Failed != form {
		return ""
	}
	return v.Form.Errors[name]
}

func (d Deps) renderContact(w http.ResponseWriter, r *http.Request, status int, id string, form *ui.Form, failed string) {
	ctx := r.Context()
	p, _ := auth.FromContext(ctx)
	if !domain.ValidID(id) {
		d.NotFound(w, r)
		return
	}
	panel, err := d.Store.ContactPanel(ctx, p.TenantID, id, "")
	if errors.Is(err, storage.ErrNotFound) {
		d.NotFound(w, r)
		return
	} else if err != nil {
		d.Unavailable(w, r, "load contact", err)
		return
	}
	if form == nil {
		form = ui.NewForm()
	}
	var sources []ui.Option
	for _, s := range storage.AdminConsentSources {
		sources = append(sources, ui.Option{Value: s, Label: sourceLabel(ctx, s)})
	}
	v := contactView{ContactPanel: panel, Form: form, Failed: failed, Sources: sources, Consent: consentOptions(ctx, false)[:2]}
	d.Render(w, r, status, ContactPage(d.Shell.Page(w, r, "admin.contacts.detail", "contacts"), v))
}

func handleContact(d Deps) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		d.renderContact(w, r, http.StatusOK, chi.URLParam(r, "id"), nil, "")
	}
}

// contactDone redirects back to the contact with a flash, or shows the page
// again with the error beside the field of the form that failed.
func (d Deps) contactDone(w http.ResponseWriter, r *http.Request, err error, form *ui.Form, failed, okKey string) {
	id := chi.URLParam(r, "id")
	var fe *domain.FieldError
	switch {
	case errors.As(err, &fe):
		form.Fail(fe.Field, fe.Key)
		d.renderContact(w, r, http.StatusUnprocessableEntity, id, form, failed)
	case errors.Is(err, storage.ErrNotFound):
		d.NotFound(w, r)
	case err != nil:
		d.Unavailable(w, r, "change contact", err)
	default:
		ui.SetFlash(w, d.Cookies, "success", okKey, "")
		http.Redirect(w, r, "/admin/contacts/"+id, http.StatusSeeOther)
	}
}

// contactTarget checks the id in the path and returns the viewer and its
// audit actor; false when the answer (404) was given.
func (d Deps) contactTarget(w http.ResponseWriter, r *http.Request) (auth.Principal, storage.Actor, string, bool) {
	p, _ := auth.FromContext(r.Context())
	id := chi.URLParam(r, "id")
	if !domain.ValidID(id) {
		d.NotFound(w, r)
		return p, storage.Actor{}, "", false
	}
	return p, p.Actor(httpx.ClientIP(r)), id, true
}

// handleContactProfile saves the name and the priority; the priority goes
// through the router's own rule and reaches waiting conversations at once.
func handleContactProfile(d Deps) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		p, actor, id, ok := d.contactTarget(w, r)
		if !ok {
			return
		}
		form := ui.NewForm()
		form.Values["name"], form.Values["priority"] = r.PostFormValue("name"), strings.TrimSpace(r.PostFormValue("priority"))
		prio, err := strconv.Atoi(form.Values["priority"])
		if err != nil {
			d.contactDone(w, r, &domain.FieldError{Field: "priority", Key: "routing.priority_range"}, form, "profile", "")
			return
		}
		// The name is checked first, so a bad one leaves the priority as it was.
		if _, err := storage.CheckContactName(form.Values["name"]); err != nil {
			d.contactDone(w, r, err, form, "profile", "")
			return
		}
		c, err := d.Store.Contact(r.Context(), p.TenantID, id)
		if err != nil {
			d.contactDone(w, r, err, form, "profile", "")
			return
		}
		if prio != c.Priority {
			if err := d.Store.SetContactPriority(r.Context(), p.TenantID, actor, id, prio); err != nil {
				d.contactDone(w, r, err, form, "profile", "")
				return
			}
		}
		_, err = d.Store.SetContactName(r.Context(), p.TenantID, actor, id, form.Values["name"])
		d.contactDone(w, r, err, form, "profile", "admin.contacts.saved")
	}
}

func handleContactConsentAdmin(d Deps) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		p, actor, id, ok := d.contactTarget(w, r)
		if !ok {
			return
		}
		form := ui.NewForm()
		for _, k := range []string{"consent", "source", "note"} {
			form.Values[k] = r.PostFormValue(k)
		}
		changed, err := d.Store.RecordAdminConsent(r.Context(), p.TenantID, actor, id, form.Values["consent"], form.Values["source"], form.Values["note"])
		key := "agent.contact.consent_recorded"
		if err == nil && !changed {
			key = "agent.contact.consent_same"
		}
		d.contactDone(w, r, err, form, "consent", key)
	}
}

func handleContactTagAddAdmin(d Deps) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		p, actor, id, ok := d.contactTarget(w, r)
		if !ok {
			return
		}
		form := ui.NewForm()
		form.Values["tag"] = r.PostFormValue("tag")
		_, err := d.Store.AddContactTag(r.Context(), p.TenantID, actor, id, form.Values["tag"])
		d.contactDone(w, r, err, form, "tag", "agent.contact.tag_added")
	}
}

func handleContactTagRemoveAdmin(d Deps) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		p, actor, id, ok := d.contactTarget(w, r)
		if !ok {
			return
		}
		_, err := d.Store.RemoveContactTag(r.Context(), p.TenantID, actor, id, r.PostFormValue("tag"))
		d.contactDone(w, r, err, ui.NewForm(), "tag", "agent.contact.tag_removed")
	}
}

// handleContactFieldsAdmin saves every custom field of the form; all values
// are checked before any is stored, so one bad value changes nothing.
func handleContactFieldsAdmin(d Deps) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		p, actor, id, ok := d.contactTarget(w, r)
		if !ok {
			return
		}
		defs, err := d.Store.ListContactFields(r.Context(), p.TenantID)
		if err != nil {
			d.Unavailable(w, r, "list contact fields", err)
			return
		}
		form := ui.NewForm()
		for _, f := range defs {
			form.Values[f.Key] = r.PostFormValue("field_" + f.Key)
			if _, err := storage.NormalizeFieldValue(f, form.Values[f.Key]); err != nil {
				form.Fail(f.Key, fieldKey(err))
			}
		}
		if !form.OK() {
			d.renderContact(w, r, http.StatusUnprocessableEntity, id, form, "fields")
			return
		}
		for _, f := range defs {
			if _, err := d.Store.SetContactField(r.Context(), p.TenantID, actor, id, f.Key, form.Values[f.Key]); err != nil {
				d.contactDone(w, r, err, form, "fields", "")
				return
			}
		}
		d.contactDone(w, r, nil, form, "fields", "agent.contact.field_saved")
	}
}

// fieldKey is a validation error's message key.
func fieldKey(err error) string {
	var fe *domain.FieldError
	if errors.As(err, &fe) {
		return fe.Key
	}
	return "error.unavailable"
}

// sourceLabel names how consent was given, in the reader's language.
func sourceLabel(ctx context.Context, source string) string {
	key := "agent.contact.source." + source
	if !i18n.Has(key) {
		return source
	}
	return i18n.T(ctx, key)
}

// contactPhone is the contact's phone as WhatsApp gave it, else its
// WhatsApp id written as a number.
func contactPhone(c domain.Contact) string {
	switch {
	case c.Phone != "":
		return c.Phone
	case c.WaID != "":
		return "+" + c.WaID
	}
	return c.UserID
}

// joinColumns lists column names for a sentence.
func joinColumns(cols []string) string { return strings.Join(cols, ", ") }

// fieldInputType is the input for a custom field's kind (choices are a
// select). Numbers stay text: Italians type a decimal comma, which the
// store accepts and a number input would refuse.
func fieldInputType(kind string) string {
	if kind == storage.FieldKindDate {
		return "date"
	}
	return "text"
}

// contactsRoutes mounts the contact pages under /admin.
func contactsRoutes(r chi.Router, d Deps) {
	r.Get("/contacts", handleContacts(d))
	r.Get("/contacts/export.csv", handleContactsExport(d))
	r.Get("/contacts/import", handleContactsImportForm(d))
	r.Post("/contacts/import", handleContactsImportCheck(d))
	r.Get("/contacts/import/{id}", handleContactsImport(d))
	r.Post("/contacts/import/{id}/apply", handleContactsImportApply(d))
	r.Get("/contacts/{id}", handleContact(d))
	r.Post("/contacts/{id}/profile", handleContactProfile(d))
	r.Post("/contacts/{id}/consent", handleContactConsentAdmin(d))
	r.Post("/contacts/{id}/tags", handleContactTagAddAdmin(d))
	r.Post("/contacts/{id}/tags/remove", handleContactTagRemoveAdmin(d))
	r.Post("/contacts/{id}/fields", handleContactFieldsAdmin(d))
	r.Get("/contacts/{id}/export.json", handlePersonExport(d))
	r.Post("/contacts/{id}/erase", handlePersonErase(d))
}
