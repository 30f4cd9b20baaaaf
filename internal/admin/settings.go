package admin

import (
	"errors"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/go-chi/chi/v5"

	"switchboard/internal/auth"
	"switchboard/internal/domain"
	"switchboard/internal/storage"
	"switchboard/internal/ui"
)

// The tenant's settings (/admin/settings): one page of sections, each its
// own form, each saved through the store function the CLI uses for the same
// setting (SetRoutingSettings for `switchboard tenant routing`,
// SetStopKeywords for `tenant stop-words`), which validates and audits.
// Close outcomes and canned replies stay on /admin/settings/desk and API keys
// on /admin/api-keys; this page links to them.

// settingsForms are the page's forms; the one that failed keeps what was
// typed and shows its errors.
type settingsForms struct {
	Profile, Routing, Stop, Retention *ui.Form
}

func (d Deps) renderSettings(w http.ResponseWriter, r *http.Request, status int, f settingsForms) {
	p, _ := auth.FromContext(r.Context())
	st, err := d.Store.TenantSettings(r.Context(), p.TenantID)
	if err != nil {
		d.Unavailable(w, r, "tenant settings", err)
		return
	}
	if f.Profile == nil {
		f.Profile = ui.NewForm()
		f.Profile.Values["name"], f.Profile.Values["language"], f.Profile.Values["time_zone"] = st.Name, st.Language, st.TimeZone
	}
	if f.Routing == nil {
		f.Routing = ui.NewForm()
		f.Routing.Values["default_capacity"] = strconv.Itoa(st.Routing.DefaultCapacity)
		f.Routing.Values["grace"] = strconv.Itoa(int(st.Routing.RequeueGrace / time.Second))
		if st.Routing.RequeueOnOffline {
			f.Routing.Values["requeue_on_offline"] = "on"
		}
	}
	if f.Stop == nil {
		f.Stop = ui.NewForm()
		f.Stop.Values["stop_words"] = strings.Join(st.StopWords, ", ")
	}
	if f.Retention == nil {
		f.Retention = ui.NewForm()
		f.Retention.Values["retention_days"] = strconv.Itoa(st.RetentionDays)
	}
	d.Render(w, r, status, SettingsPage(d.Shell.Page(w, r, "admin.settings.title", "settings"), st, f, zoneSuggestions))
}

func handleSettings(d Deps) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) { d.renderSettings(w, r, http.StatusOK, settingsForms{}) }
}

// settingsDone redirects back with a flash, or shows the page again with
// the failed form's error.
func (d Deps) settingsDone(w http.ResponseWriter, r *http.Request, err error, f settingsForms, form *ui.Form, okKey string) {
	var fe *domain.FieldError
	switch {
	case errors.As(err, &fe):
		if _, isField := form.Values[fe.Field]; isField {
			form.Fail(fe.Field, fe.Key)
		} else {
			form.Error = fe.Key
		}
		d.renderSettings(w, r, http.StatusUnprocessableEntity, f)
	case errors.Is(err, storage.ErrNotFound):
		d.NotFound(w, r)
	case err != nil:
		d.Unavailable(w, r, "save settings", err)
	default:
		ui.SetFlash(w, d.Cookies, "success", okKey, "")
		http.Redirect(w, r, "/admin/settings", http.StatusSeeOther)
	}
}

func handleSettingsProfile(d Deps) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		p, _ := auth.FromContext(r.Context())
		f := settingsForms{Profile: ui.NewForm()}
		for _, k := range []string{"name", "language", "time_zone"} {
			f.Profile.Values[k] = r.PostFormValue(k)
		}
		err := d.Store.SetTenantProfile(r.Context(), p.TenantID, actor(r), f.Profile.Values["name"], f.Profile.Values["language"], f.Profile.Values["time_zone"])
		d.settingsDone(w, r, err, f, f.Profile, "admin.settings.saved")
	}
}

// atoiField reads a whole number typed in a form; a FieldError when it is
// not one.
func atoiField(f *ui.Form, field, key string) (int, error) {
	v, err := strconv.Atoi(strings.TrimSpace(f.Values[field]))
	if err != nil {
		return 0, &domain.FieldError{Field: field, Key: key}
	}
	return v, nil
}

func handleSettingsRouting(d Deps) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		p, _ := auth.FromContext(r.Context())
		f := settingsForms{Routing: ui.NewForm()}
		for _, k := range []string{"default_capacity", "grace", "requeue_on_offline"} {
			f.Routing.Values[k] = r.PostFormValue(k)
		}
		capacity, err := atoiField(f.Routing, "default_capacity", "routing.capacity_range")
		var grace int
		if err == nil {
			grace, err = atoiField(f.Routing, "grace", "routing.grace_range")
		}
		if err == nil {
			err = d.Store.SetRoutingSettings(r.Context(), p.TenantID, actor(r), capacity, f.Routing.Values["requeue_on_offline"] != "", grace)
		}
		d.settingsDone(w, r, err, f, f.Routing, "admin.settings.saved")
	}
}

func handleSettingsStopWords(d Deps) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		p, _ := auth.FromContext(r.Context())
		f := settingsForms{Stop: ui.NewForm()}
		f.Stop.Values["stop_words"] = r.PostFormValue("stop_words")
		words, err := storage.ParseStopWords(f.Stop.Values["stop_words"])
		if err == nil {
			err = d.Store.SetStopKeywords(r.Context(), actor(r), p.TenantID, words)
		}
		d.settingsDone(w, r, err, f, f.Stop, "admin.settings.saved")
	}
}

func handleSettingsRetention(d Deps) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		p, _ := auth.FromContext(r.Context())
		f := settingsForms{Retention: ui.NewForm()}
		f.Retention.Values["retention_days"] = r.PostFormValue("retention_days")
		days, err := atoiField(f.Retention, "retention_days", "admin.settings.retention_range")
		if err == nil {
			err = d.Store.SetRetentionDays(r.Context(), p.TenantID, actor(r), days)
		}
		d.settingsDone(w, r, err, f, f.Retention, "admin.settings.saved")
	}
}

// settingsRoutes mounts the settings page and its forms.
func settingsRoutes(r chi.Router, d Deps) {
	r.Get("/settings", handleSettings(d))
	r.Post("/settings/profile", handleSettingsProfile(d))
	r.Post("/settings/routing", handleSettingsRouting(d))
	r.Post("/settings/stop-words", handleSettingsStopWords(d))
	r.Post("/settings/retention", handleSettingsRetention(d))
}
