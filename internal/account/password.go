package account

import (
	"net/http"

	"switchboard/internal/auth"
	"switchboard/internal/httpx"
	"switchboard/internal/ui"
)

func handlePasswordForm(d Deps) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		renderPassword(w, r, d, http.StatusOK, ui.NewForm())
	}
}

func renderPassword(w http.ResponseWriter, r *http.Request, d Deps, status int, f *ui.Form) {
	d.Render(w, r, status, PasswordPage(d.Shell.Page(w, r, "password.title", "account"), f))
}

// handlePasswordChange asks for the current password (re-authentication
// before a sensitive change), applies the policy, and ends every other
// session of the user.
func handlePasswordChange(d Deps) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		ctx := r.Context()
		p, _ := auth.FromContext(ctx)
		f := ui.NewForm()
		current, next, confirm := r.PostFormValue("current_password"), r.PostFormValue("new_password"), r.PostFormValue("confirm_password")
		if current == "" {
			f.Fail("current_password", "form.required")
		}
		if err := auth.CheckPassword(next); err != nil {
			f.Fail("new_password", "password.invalid")
		} else if next != confirm {
			f.Fail("confirm_password", "password.mismatch")
		}
		if !f.OK() {
			renderPassword(w, r, d, http.StatusUnprocessableEntity, f)
			return
		}
		u, err := d.Store.User(ctx, p.TenantID, p.UserID)
		if err != nil {
			d.Unavailable(w, r, "load user", err)
			return
		}
		ok, err := d.Hasher.Verify(ctx, current, u.PasswordHash)
		if err != nil || !ok {
			f.Fail("current_password", "password.current_wrong")
			renderPassword(w, r, d, http.StatusUnprocessableEntity, f)
			return
		}
		hash, err := d.Hasher.Hash(ctx, next)
		if err == nil {
			err = d.Store.SetPassword(ctx, p.Actor(httpx.ClientIP(r)), p.TenantID, p.UserID, hash, p.SessionID)
		}
		if err != nil {
			d.Unavailable(w, r, "change password", err)
			return
		}
		ui.SetFlash(w, d.Cookies, "success", "flash.password_changed", "")
		http.Redirect(w, r, "/account/sessions", http.StatusSeeOther)
	}
}
