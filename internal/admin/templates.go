package admin

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"slices"
	"strconv"
	"time"

	"github.com/go-chi/chi/v5"

	"switchboard/internal/auth"
	"switchboard/internal/domain"
	"switchboard/internal/storage"
	"switchboard/internal/template"
	"switchboard/internal/ui"
)

// Templates (/admin/templates): the administrator writes a template, checks
// it against Meta's rules (as typed, by template_editor.js, and again here
// with the same rules), and submits it; the operator forwards it to Meta
// (operator/review.go); Meta's webhooks, through the catalog sync, decide.
// The lifecycle lives in storage/templates_admin.go.

// templateRoutes mounts the list, the editor and the lifecycle's actions.
func templateRoutes(r chi.Router, d Deps) {
	r.Get("/templates", handleTemplates(d))
	r.Get("/templates/new", handleTemplateNew(d))
	r.Post("/templates", handleTemplateSave(d))
	r.Get("/templates/{id}", handleTemplate(d))
	r.Post("/templates/{id}", handleTemplateSave(d))
	r.Post("/templates/{id}/submit", handleTemplateSubmit(d))
	r.Post("/templates/{id}/delete", handleTemplateDelete(d))
	r.Post("/templates/{id}/discard", handleTemplateDiscard(d))
}

// templateList is the list page: the rows of the chosen state.
type templateList struct {
	Rows   []storage.AdminTemplate
	State  string // the filter, "" for every state
	Counts map[string]int
	Usage  storage.TemplateUsage
}

func handleTemplates(d Deps) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		p, _ := auth.FromContext(r.Context())
		state := r.URL.Query().Get("state")
		if state != "" && !slices.Contains(storage.TemplateStates(), state) {
			state = ""
		}
		all, err := d.Store.ListAdminTemplates(r.Context(), p.TenantID)
		if err != nil {
			d.Unavailable(w, r, "list templates", err)
			return
		}
		usage, err := d.Store.TemplateUsage(r.Context(), p.TenantID)
		if err != nil {
			d.Unavailable(w, r, "template usage", err)
			return
		}
		l := templateList{State: state, Counts: map[string]int{}, Usage: usage}
		for _, t := range all {
			l.Counts[t.State()]++
			if state == "" || t.State() == state {
				l.Rows = append(l.Rows, t)
			}
		}
		d.Render(w, r, http.StatusOK, TemplatesPage(d.Shell.Page(w, r, "admin.tpl.title", "templates"), l))
	}
}

// tplEditor is what the editor page needs.
type tplEditor struct {
	Form    *ui.Form
	T       *storage.AdminTemplate // nil for a new template
	Numbers []domain.Number
	Usage   storage.TemplateUsage
}

// Action is where the form posts.
func (v tplEditor) Action() string {
	if v.T == nil {
		return "/admin/templates"
	}
	return "/admin/templates/" + v.T.ID
}

// Editable reports whether the form may be saved.
func (v tplEditor) Editable() bool { return v.T == nil || v.T.Editable() }

// Fixed reports whether name, language and number are Meta's now.
func (v tplEditor) Fixed() bool { return v.T != nil && v.T.MetaID != "" }

func (d Deps) renderTemplateEditor(w http.ResponseWriter, r *http.Request, status int, v tplEditor) {
	p, _ := auth.FromContext(r.Context())
	var err error
	if v.Numbers, err = d.Store.ListNumbers(r.Context(), p.TenantID); err != nil {
		d.Unavailable(w, r, "list numbers", err)
		return
	}
	if v.Usage, err = d.Store.TemplateUsage(r.Context(), p.TenantID); err != nil {
		d.Unavailable(w, r, "template usage", err)
		return
	}
	title := "admin.tpl.new"
	if v.T != nil {
		title = "admin.tpl.edit"
	}
	d.Render(w, r, status, TemplateEditorPage(d.Shell.Page(w, r, title, "templates"), v))
}

func handleTemplateNew(d Deps) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		f := ui.NewForm()
		f.Values["use_case"], f.Values["category"] = "account_update", template.Utility
		d.renderTemplateEditor(w, r, http.StatusOK, tplEditor{Form: f})
	}
}

// loadTemplate finds the tenant's template named by the URL; anything else
// (another tenant's, not an id) is 404.
func (d Deps) loadTemplate(w http.ResponseWriter, r *http.Request) (storage.AdminTemplate, bool) {
	p, _ := auth.FromContext(r.Context())
	id := chi.URLParam(r, "id")
	if !domain.ValidID(id) {
		d.NotFound(w, r)
		return storage.AdminTemplate{}, false
	}
	t, err := d.Store.AdminTemplateByID(r.Context(), p.TenantID, id)
	if errors.Is(err, storage.ErrNotFound) {
		d.NotFound(w, r)
		return t, false
	} else if err != nil {
		d.Unavailable(w, r, "load template", err)
		return t, false
	}
	return t, true
}

func handleTemplate(d Deps) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		t, ok := d.loadTemplate(w, r)
		if !ok {
			return
		}
		draft := template.Draft{Name: t.Name, Language: t.Language, Category: t.Category, UseCase: t.UseCase}
		if err := template.FromComponents(t.Source(), &draft); err != nil {
			d.Logger.WarnContext(r.Context(), "template components unreadable", "template", t.ID, "error", err)
		}
		d.renderTemplateEditor(w, r, http.StatusOK, tplEditor{Form: tplFormOfDraft(t.NumberID, draft), T: &t})
	}
}

// handleTemplateSave creates a draft (POST /admin/templates) or saves an
// editable one (POST /admin/templates/{id}) after Meta's rules.
func handleTemplateSave(d Deps) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		p, _ := auth.FromContext(r.Context())
		v := tplEditor{}
		if chi.URLParam(r, "id") != "" {
			t, ok := d.loadTemplate(w, r)
			if !ok {
				return
			}
			v.T = &t
		}
		if r.MultipartForm != nil {
			// The sample file, past 8 MB, waits on disk until now.
			defer func() { _ = r.MultipartForm.RemoveAll() }()
		}
		_ = r.ParseForm()
		v.Form = tplFormOf(r.PostForm)
		f := v.Form
		if v.Fixed() {
			// Meta keeps a template's name and language; the form shows
			// them read-only and ignores what is posted.
			f.Values["name"], f.Values["language"] = v.T.Name, v.T.Language
		}
		if v.T != nil && v.T.CategoryFixed() {
			f.Values["category"] = v.T.Category // nor an approved one's category
		}
		draft, rows := tplDraftOf(f)
		sample, problem := readTemplateSample(r, draft.HeaderKind)
		if sample != nil {
			defer func() { _ = sample.file.Close() }()
		}
		tplFail(f, tplSampleProblems(template.Check(draft), sample != nil || problem != ""), rows)
		if problem != "" {
			f.Fail("header_sample", problem)
		}
		if !domain.ValidID(f.Values["number_id"]) {
			f.Fail("number_id", "admin.tpl.err.number")
		}
		if !v.Editable() {
			f.Error = "admin.tpl.locked"
		}
		if f.OK() && sample != nil {
			// Last, so a form refused for anything else uploads nothing.
			handle, err := d.uploadTemplateSample(r.Context(), p.TenantID, f, sample)
			if err != nil {
				d.Unavailable(w, r, "upload template sample", err)
				return
			}
			draft.HeaderHandle, f.Values["header_handle"] = handle, handle
		}
		if !f.OK() {
			d.renderTemplateEditor(w, r, http.StatusUnprocessableEntity, v)
			return
		}
		comps, err := json.Marshal(draft.Components())
		if err != nil {
			d.Unavailable(w, r, "encode template", err)
			return
		}
		in := storage.TemplateInput{NumberID: f.Values["number_id"], Name: draft.Name, Language: draft.Language,
			Category: draft.Category, UseCase: draft.UseCase, Components: comps}
		if v.T != nil {
			in.ID = v.T.ID
		}
		id, err := d.Store.SaveTemplateDraft(r.Context(), p.TenantID, actor(r), in)
		var limit *storage.PlanLimitError
		switch {
		case errors.As(err, &limit):
			f.Error, f.Arg = "admin.tpl.plan_limit", strconv.Itoa(limit.Limit)
		case errors.Is(err, storage.ErrConflict):
			f.Fail("name", "admin.tpl.err.name_taken")
		case errors.Is(err, storage.ErrNotFound):
			f.Fail("number_id", "admin.tpl.err.number")
		case errors.Is(err, storage.ErrTemplateLocked):
			f.Error = "admin.tpl.locked"
		case err != nil:
			d.Unavailable(w, r, "save template", err)
			return
		default:
			ui.SetFlash(w, d.Cookies, "success", "admin.tpl.saved", "")
			http.Redirect(w, r, "/admin/templates/"+id, http.StatusSeeOther)
			return
		}
		d.renderTemplateEditor(w, r, http.StatusUnprocessableEntity, v)
	}
}

// handleTemplateSubmit hands a draft to the operator.
func handleTemplateSubmit(d Deps) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		p, _ := auth.FromContext(r.Context())
		t, ok := d.loadTemplate(w, r)
		if !ok {
			return
		}
		err := d.Store.SubmitTemplate(r.Context(), p.TenantID, actor(r), t.ID)
		var limit *storage.PlanLimitError
		switch {
		case errors.As(err, &limit):
			ui.SetFlash(w, d.Cookies, "error", "admin.tpl.plan_limit", strconv.Itoa(limit.Limit))
		case errors.Is(err, storage.ErrTemplateLocked):
			ui.SetFlash(w, d.Cookies, "error", "admin.tpl.not_submittable", "")
		case errors.Is(err, storage.ErrNotFound):
			d.NotFound(w, r)
			return
		case err != nil:
			d.Unavailable(w, r, "submit template", err)
			return
		default:
			ui.SetFlash(w, d.Cookies, "success", "admin.tpl.submitted", "")
		}
		http.Redirect(w, r, "/admin/templates/"+t.ID, http.StatusSeeOther)
	}
}

// handleTemplateDelete deletes a draft Meta never had, or a template Meta
// has, at Meta first (this language only) through its number: Meta's
// refusal comes back to the administrator in Meta's words and nothing
// changes.
func handleTemplateDelete(d Deps) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		ctx := r.Context()
		p, _ := auth.FromContext(ctx)
		t, ok := d.loadTemplate(w, r)
		if !ok {
			return
		}
		var refused string
		var err error
		atMeta := r.PostFormValue("at_meta") != "" // the "Delete at Meta…" form, not the draft's button
		if !atMeta {
			// The draft's button: never more than a draft, whatever the
			// template became since the page was shown.
			err = d.Store.DeleteTemplateDraft(ctx, p.TenantID, actor(r), t.ID)
		} else {
			// Once Meta is asked, the answer is recorded even if the
			// browser gives up: the row must say what Meta did.
			wctx := context.WithoutCancel(ctx)
			err = d.Store.DeleteTemplateAtMeta(wctx, p.TenantID, actor(r), t.ID, func(t storage.AdminTemplate) error {
				n, err := d.templateNumber(wctx, t)
				if err != nil {
					return err
				}
				cctx, cancel := context.WithTimeout(wctx, 30*time.Second)
				defer cancel()
				if refused, err = d.Catalog.Delete(cctx, n, t); err == nil && refused != "" {
					return errRefusedByMeta
				}
				return err
			})
		}
		back := "/admin/templates/" + t.ID
		switch {
		case errors.Is(err, errRefusedByMeta):
			ui.SetFlash(w, d.Cookies, "error", "admin.tpl.delete_refused", refused)
		case errors.Is(err, storage.ErrTemplateLocked) && !atMeta:
			ui.SetFlash(w, d.Cookies, "error", "admin.tpl.not_a_draft", "")
		case errors.Is(err, storage.ErrTemplateLocked):
			ui.SetFlash(w, d.Cookies, "error", "admin.tpl.not_deletable", "")
		case errors.Is(err, storage.ErrNotFound):
			d.NotFound(w, r)
			return
		case errors.Is(err, errNoTemplateNumber):
			ui.SetFlash(w, d.Cookies, "error", "admin.tpl.delete_no_number", "")
		case err != nil:
			d.Logger.WarnContext(ctx, "delete template", "template", t.ID, "error", err)
			ui.SetFlash(w, d.Cookies, "error", "admin.tpl.delete_failed", "")
		case atMeta:
			ui.SetFlash(w, d.Cookies, "success", "admin.tpl.deleted_at_meta", "")
		default:
			ui.SetFlash(w, d.Cookies, "success", "admin.tpl.deleted", "")
			back = "/admin/templates"
		}
		http.Redirect(w, r, back, http.StatusSeeOther)
	}
}

// handleTemplateDiscard drops an edit of a template Meta has, going back to
// Meta's version.
func handleTemplateDiscard(d Deps) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		p, _ := auth.FromContext(r.Context())
		t, ok := d.loadTemplate(w, r)
		if !ok {
			return
		}
		switch err := d.Store.DiscardTemplateEdit(r.Context(), p.TenantID, actor(r), t.ID); {
		case errors.Is(err, storage.ErrTemplateLocked):
			ui.SetFlash(w, d.Cookies, "error", "admin.tpl.not_discardable", "")
		case errors.Is(err, storage.ErrNotFound):
			d.NotFound(w, r)
			return
		case err != nil:
			d.Unavailable(w, r, "discard template edit", err)
			return
		default:
			ui.SetFlash(w, d.Cookies, "success", "admin.tpl.discarded", "")
		}
		http.Redirect(w, r, "/admin/templates/"+t.ID, http.StatusSeeOther)
	}
}

// errRefusedByMeta stops a deletion Meta refused (its words are the flash).
var errRefusedByMeta = errors.New("meta refused the deletion")

// errNoTemplateNumber is a template whose WhatsApp account none of the
// tenant's numbers belongs to any more.
var errNoTemplateNumber = errors.New("no number of the template's WhatsApp account")

// templateNumber is the number Meta is reached through for a template: its
// own, or for one found at Meta (synced) a number of its WhatsApp account.
func (d Deps) templateNumber(ctx context.Context, t storage.AdminTemplate) (domain.Number, error) {
	if t.NumberID != "" {
		n, err := d.Store.Number(ctx, t.TenantID, t.NumberID)
		if errors.Is(err, storage.ErrNotFound) {
			return n, errNoTemplateNumber
		}
		return n, err
	}
	numbers, err := d.Store.ListNumbers(ctx, t.TenantID)
	if err != nil {
		return domain.Number{}, err
	}
	for _, n := range numbers {
		if n.WABAID == t.WABAID {
			return n, nil
		}
	}
	return domain.Number{}, errNoTemplateNumber
}
