package operator

import (
	"errors"
	"net/http"

	"switchboard/internal/auth"
	"switchboard/internal/domain"
	"switchboard/internal/httpx"
	"switchboard/internal/number"
	"switchboard/internal/ui"
)

// numberFields are the connect form's inputs, kept when it is refused
// (except the access token: a secret is never sent back to the page).
var numberFields = []string{"display_phone", "phone_number_id", "waba_id", "app", "mode"}

// handleNumberConnect connects a number to the tenant from the tenant's
// page: the operator has checked its Meta ids with Meta (administrators may
// add sandbox numbers only). number.Service validates and applies the
// plan's limit, as for every other door; the number then appears on the
// tenant's own numbers page.
func handleNumberConnect(d Deps) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		t, ok := d.loadTenant(w, r)
		if !ok {
			return
		}
		ctx := r.Context()
		p, _ := auth.FromContext(ctx)
		f := ui.NewForm()
		for _, k := range numberFields {
			f.Values[k] = r.PostFormValue(k)
		}
		refuse := func(status int) { d.renderTenant(w, r, status, t, tenantForms{Number: f}) }
		if f.Values["mode"] != "live" && f.Values["mode"] != "sandbox" {
			f.Fail("mode", "operator.numbers.mode_invalid")
			refuse(http.StatusUnprocessableEntity)
			return
		}
		if f.Values["mode"] == "sandbox" && f.Values["app"] != "" {
			// The sandbox posts its own webhooks; a number's events are
			// accepted only from its own app.
			f.Fail("app", "operator.numbers.sandbox_no_app")
			refuse(http.StatusUnprocessableEntity)
			return
		}
		in := number.AddInput{TenantID: t.ID, PhoneNumberID: f.Values["phone_number_id"], DisplayPhone: f.Values["display_phone"],
			WABAID: f.Values["waba_id"], AppSlug: f.Values["app"], AccessToken: r.PostFormValue("access_token"),
			Sandbox: f.Values["mode"] == "sandbox"}
		n, err := d.Numbers.Add(ctx, p.Actor(httpx.ClientIP(r)), in)
		var fe *domain.FieldError
		switch {
		case errors.As(err, &fe) && fe.Key == "number.plan_limit":
			// Said to the operator, who can change the plan right here.
			plan, perr := d.Store.Plan(ctx, t.PlanID)
			if perr != nil {
				d.Unavailable(w, r, "load plan", perr)
				return
			}
			f.Error, f.Arg = "operator.numbers.plan_limit", plan.Name
			refuse(http.StatusConflict)
			return
		case errors.As(err, &fe):
			f.Fail(fe.Field, fe.Key)
			status := http.StatusUnprocessableEntity
			if fe.Key == "number.taken" {
				status = http.StatusConflict
			}
			refuse(status)
			return
		case err != nil:
			d.Unavailable(w, r, "connect number", err)
			return
		}
		if d.NumberAdded != nil {
			d.NumberAdded(n)
		}
		ui.SetFlash(w, d.Cookies, "success", "flash.number_added", n.DisplayPhone)
		http.Redirect(w, r, "/operator/tenants/"+t.ID, http.StatusSeeOther)
	}
}
