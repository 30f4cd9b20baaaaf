package admin

import (
	"errors"
	"net/http"
	"strconv"
	"strings"

	"github.com/go-chi/chi/v5"

	"switchboard/internal/auth"
	"switchboard/internal/domain"
	"switchboard/internal/httpx"
	"switchboard/internal/number"
	"switchboard/internal/storage"
	"switchboard/internal/ui"
)

// numberRow is a number as the list and detail pages show it: the token
// masked, never in full.
type numberRow struct {
	domain.Number
	MaskedToken string
}

func (d Deps) rows(ns []domain.Number) []numberRow {
	out := make([]numberRow, 0, len(ns))
	for _, n := range ns {
		out = append(out, numberRow{Number: n, MaskedToken: d.Numbers.MaskedToken(n)})
	}
	return out
}

func handleNumbers(d Deps) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		p, _ := auth.FromContext(r.Context())
		ns, err := d.Store.ListNumbers(r.Context(), p.TenantID)
		if err != nil {
			d.Unavailable(w, r, "list numbers", err)
			return
		}
		d.Render(w, r, http.StatusOK, NumbersPage(d.Shell.Page(w, r, "numbers.title", "numbers"), d.rows(ns)))
	}
}

func handleNumberForm(d Deps) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		f := ui.NewForm()
		f.Values["throughput"] = "80"
		d.Render(w, r, http.StatusOK, NumberFormPage(d.Shell.Page(w, r, "numbers.new", "numbers"), f))
	}
}

func handleNumberCreate(d Deps) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		ctx := r.Context()
		p, _ := auth.FromContext(ctx)
		f := ui.NewForm()
		f.Values["throughput"] = strings.TrimSpace(r.PostFormValue("throughput"))
		// Administrators connect sandbox numbers only, with ids the sandbox
		// makes up: a live number's Meta ids are connected by the platform
		// operator, who checked them with Meta — otherwise a tenant could
		// claim another business's number and receive its customers.
		in := number.AddInput{TenantID: p.TenantID, Sandbox: true}
		var err error
		if in.Throughput, err = strconv.Atoi(f.Values["throughput"]); err != nil {
			f.Fail("throughput", "number.throughput_invalid")
			d.Render(w, r, http.StatusUnprocessableEntity, NumberFormPage(d.Shell.Page(w, r, "numbers.new", "numbers"), f))
			return
		}
		n, err := d.Numbers.Add(ctx, p.Actor(httpx.ClientIP(r)), in)
		var fe *domain.FieldError
		switch {
		case errors.As(err, &fe):
			if fe.Field == "throughput" {
				f.Fail(fe.Field, fe.Key)
			} else {
				f.Error = fe.Key // not a field of this form: said above it
			}
			status := http.StatusUnprocessableEntity
			if fe.Key == "number.taken" || fe.Key == "number.plan_limit" {
				status = http.StatusConflict
			}
			d.Render(w, r, status, NumberFormPage(d.Shell.Page(w, r, "numbers.new", "numbers"), f))
			return
		case err != nil:
			d.Unavailable(w, r, "add number", err)
			return
		}
		if d.NumberAdded != nil {
			d.NumberAdded(n)
		}
		ui.SetFlash(w, d.Cookies, "success", "flash.number_added", n.DisplayPhone)
		http.Redirect(w, r, "/admin/numbers/"+n.ID, http.StatusSeeOther)
	}
}

func (d Deps) loadNumber(w http.ResponseWriter, r *http.Request) (domain.Number, bool) {
	p, _ := auth.FromContext(r.Context())
	id := chi.URLParam(r, "id")
	if !domain.ValidID(id) {
		d.NotFound(w, r)
		return domain.Number{}, false
	}
	n, err := d.Store.Number(r.Context(), p.TenantID, id)
	if errors.Is(err, storage.ErrNotFound) {
		d.NotFound(w, r)
		return n, false
	} else if err != nil {
		d.Unavailable(w, r, "load number", err)
		return n, false
	}
	return n, true
}

func handleNumber(d Deps) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		n, ok := d.loadNumber(w, r)
		if !ok {
			return
		}
		d.renderNumber(w, r, http.StatusOK, n, ui.NewForm())
	}
}

func (d Deps) renderNumber(w http.ResponseWriter, r *http.Request, status int, n domain.Number, f *ui.Form) {
	d.renderNumberForms(w, r, status, n, numberForms{Token: f})
}

// renderNumberForms shows the number page with its forms (numbers_detail.go
// for the skillsets, hours and holidays).
func (d Deps) renderNumberForms(w http.ResponseWriter, r *http.Request, status int, n domain.Number, forms numberForms) {
	f := forms.Token
	if f == nil {
		f = ui.NewForm()
	}
	cfg, err := d.numberConfig(r, n, forms)
	if err != nil {
		d.Unavailable(w, r, "number configuration", err)
		return
	}
	events, err := d.Store.ListNumberEvents(r.Context(), n.TenantID, n.ID, 50)
	if err != nil {
		d.Unavailable(w, r, "number events", err)
		return
	}
	templateEvents, err := d.Store.ListTemplateEvents(r.Context(), n.TenantID, n.WABAID, 50)
	if err != nil {
		d.Unavailable(w, r, "template events", err)
		return
	}
	templates, err := d.Store.ListTemplates(r.Context(), n.TenantID, n.WABAID)
	if err != nil {
		d.Unavailable(w, r, "templates", err)
		return
	}
	d.Render(w, r, status, NumberPage(d.Shell.Page(w, r, "numbers.detail", "numbers"), d.rows([]domain.Number{n})[0], events, templateEvents, templates, f, cfg))
}

// handleNumberToken replaces the access token; the old one is never shown.
func handleNumberToken(d Deps) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		n, ok := d.loadNumber(w, r)
		if !ok {
			return
		}
		p, _ := auth.FromContext(r.Context())
		err := d.Numbers.ReplaceToken(r.Context(), p.Actor(httpx.ClientIP(r)), n.TenantID, n.ID, r.PostFormValue("access_token"))
		var fe *domain.FieldError
		if errors.As(err, &fe) {
			f := ui.NewForm()
			f.Fail(fe.Field, fe.Key)
			d.renderNumber(w, r, http.StatusUnprocessableEntity, n, f)
			return
		} else if err != nil {
			d.Unavailable(w, r, "replace token", err)
			return
		}
		ui.SetFlash(w, d.Cookies, "success", "flash.token_replaced", "")
		http.Redirect(w, r, "/admin/numbers/"+n.ID, http.StatusSeeOther)
	}
}

// handleTemplatesSync refreshes the number's templates from Meta now.
func handleTemplatesSync(d Deps) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		n, ok := d.loadNumber(w, r)
		if !ok {
			return
		}
		count, err := d.Catalog.Sync(r.Context(), n)
		if err != nil {
			d.Logger.WarnContext(r.Context(), "template sync", "error", err)
			ui.SetFlash(w, d.Cookies, "error", "flash.templates_sync_failed", "")
		} else {
			ui.SetFlash(w, d.Cookies, "success", "flash.templates_synced", strconv.Itoa(count))
		}
		http.Redirect(w, r, "/admin/numbers/"+n.ID, http.StatusSeeOther)
	}
}
