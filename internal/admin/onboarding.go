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
	"switchboard/internal/i18n"
	"switchboard/internal/onboarding"
	"switchboard/internal/storage"
	"switchboard/internal/ui"
)

// The onboarding page (/admin/onboarding): where the tenant's application
// stands, its timeline, the questionnaire (editable until the number is
// connected) and the sandbox number to try everything meanwhile.

func onboardingRoutes(r chi.Router, d Deps) {
	r.Get("/onboarding", handleOnboarding(d))
	r.Post("/onboarding", handleOnboardingSave(d))
	r.Post("/onboarding/sandbox", handleOnboardingSandbox(d))
}

// onboardingView is what the page shows.
type onboardingView struct {
	App     storage.Application
	Events  []storage.ApplicationEvent
	Sandbox *domain.Number // nil until the tenant has one
	Found   bool           // false: the operator created the tenant, no application
}

func (d Deps) onboardingView(r *http.Request, tenantID string) (onboardingView, error) {
	var v onboardingView
	a, events, err := d.Store.TenantApplication(r.Context(), tenantID)
	if errors.Is(err, storage.ErrNotFound) {
		return v, nil
	} else if err != nil {
		return v, err
	}
	v.App, v.Events, v.Found = a, events, true
	ns, err := d.Store.ListNumbers(r.Context(), tenantID)
	if err != nil {
		return v, err
	}
	for _, n := range ns {
		if n.Sandbox {
			v.Sandbox = &n
			break
		}
	}
	return v, nil
}

func (d Deps) renderOnboarding(w http.ResponseWriter, r *http.Request, status int, f *ui.Form) {
	p, _ := auth.FromContext(r.Context())
	v, err := d.onboardingView(r, p.TenantID)
	if err != nil {
		d.Unavailable(w, r, "load application", err)
		return
	}
	if f == nil {
		f = questionnaireForm(v.App.Questionnaire)
	}
	d.Render(w, r, status, OnboardingPage(d.Shell.Page(w, r, "onboarding.title", "onboarding"), v, f))
}

// questionnaireForm fills the form with the answers on record.
func questionnaireForm(q storage.Questionnaire) *ui.Form {
	f := ui.NewForm()
	f.Values = map[string]string{"company_name": q.CompanyName, "vat_number": q.VATNumber, "meta_business_id": q.MetaBusinessID,
		"phone": q.Phone, "monthly_conversations": strconv.Itoa(q.MonthlyConversations), "use_cases": strings.Join(q.UseCases, ",")}
	return f
}

func handleOnboarding(d Deps) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) { d.renderOnboarding(w, r, http.StatusOK, nil) }
}

func handleOnboardingSave(d Deps) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		ctx := r.Context()
		p, _ := auth.FromContext(ctx)
		q, typed, errs := onboarding.ParseQuestionnaire(r.PostForm)
		f := ui.FormOf(typed, errs)
		if !f.OK() {
			d.renderOnboarding(w, r, http.StatusUnprocessableEntity, f)
			return
		}
		err := d.Store.UpdateQuestionnaire(ctx, p.TenantID, p.Actor(httpx.ClientIP(r)), q)
		switch {
		case errors.Is(err, storage.ErrNotFound):
			d.NotFound(w, r)
			return
		case errors.Is(err, storage.ErrApplicationFinal):
			f.Error = "onboarding.final"
			d.renderOnboarding(w, r, http.StatusConflict, f)
			return
		case err != nil:
			d.Unavailable(w, r, "update questionnaire", err)
			return
		}
		ui.SetFlash(w, d.Cookies, "success", "onboarding.saved", "")
		http.Redirect(w, r, "/admin/onboarding", http.StatusSeeOther)
	}
}

// handleOnboardingSandbox gives the tenant its sandbox number when sign-up
// could not (the page offers it only then); a second press changes nothing.
func handleOnboardingSandbox(d Deps) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		ctx := r.Context()
		p, _ := auth.FromContext(ctx)
		svc := onboarding.NewService(d.Store, nil, d.Numbers, d.NumberAdded)
		_, err := svc.EnsureSandbox(ctx, p.Actor(httpx.ClientIP(r)), p.TenantID, i18n.T(ctx, "onboarding.default_skillset"))
		var fe *domain.FieldError
		switch {
		case errors.As(err, &fe):
			ui.SetFlash(w, d.Cookies, "error", fe.Key, "")
		case err != nil:
			d.Unavailable(w, r, "sandbox number", err)
			return
		default:
			ui.SetFlash(w, d.Cookies, "success", "onboarding.sandbox_ready", "")
		}
		http.Redirect(w, r, "/admin/onboarding", http.StatusSeeOther)
	}
}

// journey is the path of an application shown as steps.
func journey() []string {
	return []string{storage.AppSubmitted, storage.AppInReview, storage.AppWaitingForMeta, storage.AppNumberConnected}
}

// stepClass says whether a step of the journey is done, the current one,
// or still to come, for an application in state.
func stepClass(state, step string) string {
	cur, at := -1, -1
	for i, s := range journey() {
		if s == state {
			cur = i
		}
		if s == step {
			at = i
		}
	}
	switch {
	case state == storage.AppNumberConnected || at < cur:
		return "step-done"
	case at == cur:
		return "step-current"
	}
	return "step-todo"
}
