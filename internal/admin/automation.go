package admin

import (
	"errors"
	"net/http"
	"strconv"
	"strings"

	"switchboard/internal/domain"
	"switchboard/internal/storage"
	"switchboard/internal/ui"
)

// A managed number's automatic replies (/admin/numbers/{id}/automation):
// the welcome, the out-of-hours reply, the busy reply, the hand-off words
// and the menu bot new conversations go through. The store validates and
// audits; the inbound runtime reads the same row.

// automationView is what the page shows besides the form.
type automationView struct {
	Number   domain.Number
	HasHours bool // the number has business hours: without them it is never closed
	Bots     []storage.Bot
	Form     *ui.Form
}

// automationForm fills the form from what is saved (or the defaults).
func automationForm(a storage.Automation) *ui.Form {
	f := ui.NewForm()
	f.Values["welcome_mode"], f.Values["welcome_text"] = a.WelcomeMode, a.WelcomeText
	f.Values["closed_mode"], f.Values["closed_text"] = a.ClosedMode, a.ClosedText
	if a.BusyEnabled {
		f.Values["busy_enabled"] = "on"
	}
	f.Values["busy_text"], f.Values["busy_after"] = a.BusyText, strconv.Itoa(a.BusyAfter)
	f.Values["handoff_keywords"] = strings.Join(a.HandoffKeywords, ", ")
	f.Values["bot_id"] = a.BotID
	f.Values["bot_timeout"] = strconv.Itoa(a.BotTimeout / 60)
	return f
}

func (d Deps) renderAutomation(w http.ResponseWriter, r *http.Request, status int, n domain.Number, f *ui.Form) {
	ctx := r.Context()
	v := automationView{Number: n, Form: f}
	sc, err := d.Store.NumberSchedule(ctx, n.TenantID, n.ID)
	if err != nil {
		d.Unavailable(w, r, "number schedule", err)
		return
	}
	v.HasHours = len(sc.Hours) > 0
	bots, err := d.Store.ListBots(ctx, n.TenantID)
	if err != nil {
		d.Unavailable(w, r, "list bots", err)
		return
	}
	for _, b := range bots {
		if b.LiveVersion > 0 {
			v.Bots = append(v.Bots, b)
		}
	}
	if v.Form == nil {
		a, err := d.Store.NumberAutomation(ctx, n.TenantID, n.ID)
		if err != nil {
			d.Unavailable(w, r, "number automation", err)
			return
		}
		v.Form = automationForm(a)
	}
	d.Render(w, r, status, AutomationPage(d.Shell.Page(w, r, "auto.title", "numbers"), v))
}

func handleAutomation(d Deps) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if n, ok := d.loadNumber(w, r); ok {
			d.renderAutomation(w, r, http.StatusOK, n, nil)
		}
	}
}

// handleAutomationSave reads the form; a refused value is shown beside its
// field with everything typed kept.
func handleAutomationSave(d Deps) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		n, ok := d.loadNumber(w, r)
		if !ok {
			return
		}
		f := ui.NewForm()
		for _, k := range []string{"welcome_mode", "welcome_text", "closed_mode", "closed_text", "busy_enabled", "busy_text",
			"busy_after", "handoff_keywords", "bot_id", "bot_timeout"} {
			f.Values[k] = r.PostFormValue(k)
		}
		a := storage.Automation{NumberID: n.ID, WelcomeMode: f.Values["welcome_mode"], WelcomeText: f.Values["welcome_text"],
			ClosedMode: f.Values["closed_mode"], ClosedText: f.Values["closed_text"], BusyEnabled: f.Values["busy_enabled"] != "",
			BusyText: f.Values["busy_text"], BotID: f.Values["bot_id"]}
		busyAfter, err := atoiField(f, "busy_after", "auto.err.busy_after")
		var minutes int
		if err == nil {
			minutes, err = atoiField(f, "bot_timeout", "auto.err.bot_timeout")
		}
		if err == nil {
			a.BusyAfter, a.BotTimeout = busyAfter, minutes*60
			a.HandoffKeywords, err = storage.ParseHandoffKeywords(f.Values["handoff_keywords"])
		}
		if err == nil {
			err = d.Store.SetNumberAutomation(r.Context(), n.TenantID, actor(r), a)
		}
		var fe *domain.FieldError
		switch {
		case errors.As(err, &fe):
			f.Fail(fe.Field, fe.Key)
			d.renderAutomation(w, r, http.StatusUnprocessableEntity, n, f)
		case errors.Is(err, storage.ErrNotFound):
			d.NotFound(w, r)
		case err != nil:
			d.Unavailable(w, r, "save automation", err)
		default:
			ui.SetFlash(w, d.Cookies, "success", "auto.saved", "")
			http.Redirect(w, r, "/admin/numbers/"+n.ID+"/automation", http.StatusSeeOther)
		}
	}
}
