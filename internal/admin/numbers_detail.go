package admin

import (
	"context"
	"errors"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/go-chi/chi/v5"

	"switchboard/internal/auth"
	"switchboard/internal/domain"
	"switchboard/internal/hours"
	"switchboard/internal/httpx"
	"switchboard/internal/i18n"
	"switchboard/internal/storage"
	"switchboard/internal/ui"
)

// A managed number's configuration on its page: the skillsets that serve it
// with their priorities (add, remove, reorder), its business hours and
// holidays in its time zone. Every change goes through the store, which
// validates, audits and (for skillsets) reloads the router, as the CLI's.

// numberConfig is what the number page shows of its configuration.
type numberConfig struct {
	Links     []storage.NumberLink // serving order, as the store sorts it
	Unlinked  []storage.Skillset   // skillsets that could be added
	Schedule  storage.Schedule
	OpenNow   bool
	Link      *ui.Form
	Hours     *ui.Form
	Holiday   *ui.Form
	Weekdays  []time.Weekday // Monday first, as people read a week
	ZoneNames []string       // suggestions for the time zone field
}

// numberForms are the number page's forms; the one that failed shows its
// errors and what was typed.
type numberForms struct {
	Token, Link, Hours, Holiday *ui.Form
}

var weekOrder = []time.Weekday{time.Monday, time.Tuesday, time.Wednesday, time.Thursday, time.Friday, time.Saturday, time.Sunday}

// zoneSuggestions are offered in the time zone fields; any IANA name works.
var zoneSuggestions = []string{"Europe/Rome", "Europe/London", "Europe/Paris", "Europe/Berlin", "Europe/Madrid",
	"America/New_York", "America/Sao_Paulo", "Asia/Dubai", "Asia/Kolkata", "Asia/Tokyo", "UTC"}

// numberLinks returns the skillsets linked to a number in serving order,
// and the others.
func numberLinks(all []storage.Skillset, numberID string) ([]storage.NumberLink, []storage.Skillset) {
	var links []storage.NumberLink
	var others []storage.Skillset
	for _, s := range all {
		linked := false
		for _, n := range s.Numbers {
			if n.NumberID == numberID {
				links = append(links, storage.NumberLink{SkillsetID: s.ID, Name: s.Name, Priority: n.Priority})
				linked = true
			}
		}
		if !linked {
			others = append(others, s)
		}
	}
	storage.SortNumberLinks(links)
	return links, others
}

func (d Deps) numberConfig(r *http.Request, n domain.Number, f numberForms) (numberConfig, error) {
	c := numberConfig{Link: f.Link, Hours: f.Hours, Holiday: f.Holiday, Weekdays: weekOrder, ZoneNames: zoneSuggestions}
	all, err := d.Store.ListSkillsets(r.Context(), n.TenantID)
	if err != nil {
		return c, err
	}
	c.Links, c.Unlinked = numberLinks(all, n.ID)
	if c.Schedule, err = d.Store.NumberSchedule(r.Context(), n.TenantID, n.ID); err != nil {
		return c, err
	}
	c.OpenNow = c.Schedule.OpenAt(time.Now())
	if c.Link == nil {
		c.Link = ui.NewForm()
		c.Link.Values["priority"] = "0"
		if len(c.Links) > 0 {
			// Added last by default: below the ones serving now.
			c.Link.Values["priority"] = strconv.Itoa(max(c.Links[len(c.Links)-1].Priority-10, -storage.MaxPriority))
		}
	}
	if c.Hours == nil {
		c.Hours = ui.NewForm()
		c.Hours.Values["time_zone"] = c.Schedule.TimeZone
		for _, wd := range weekOrder {
			c.Hours.Values[hours.DayField(wd)] = hours.FormatDay(wd, c.Schedule.Hours)
		}
	}
	if c.Holiday == nil {
		c.Holiday = ui.NewForm()
	}
	return c, nil
}

// numberDone answers a change on the number page: back to the page with a
// flash, or the page again with the failed form's error beside its field.
func (d Deps) numberDone(w http.ResponseWriter, r *http.Request, n domain.Number, err error, f numberForms, form *ui.Form, okKey, arg string) {
	var fe *domain.FieldError
	switch {
	case errors.As(err, &fe):
		if _, isField := form.Values[fe.Field]; isField {
			form.Fail(fe.Field, fe.Key)
		} else {
			form.Error = fe.Key
		}
		d.renderNumberForms(w, r, http.StatusUnprocessableEntity, n, f)
	case errors.Is(err, storage.ErrNotFound):
		d.NotFound(w, r)
	case err != nil:
		d.Unavailable(w, r, "number configuration", err)
	default:
		ui.SetFlash(w, d.Cookies, "success", okKey, arg)
		http.Redirect(w, r, "/admin/numbers/"+n.ID, http.StatusSeeOther)
	}
}

func actor(r *http.Request) storage.Actor {
	p, _ := auth.FromContext(r.Context())
	return p.Actor(httpx.ClientIP(r))
}

// handleNumberLink links a skillset to the number with a priority (or sets
// the priority of a link).
func handleNumberLink(d Deps) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		n, ok := d.loadNumber(w, r)
		if !ok {
			return
		}
		f := numberForms{Link: ui.NewForm()}
		f.Link.Values["skillset"] = r.PostFormValue("skillset")
		f.Link.Values["priority"] = strings.TrimSpace(r.PostFormValue("priority"))
		priority, err := strconv.Atoi(f.Link.Values["priority"])
		if err != nil {
			err = &domain.FieldError{Field: "priority", Key: "routing.priority_range"}
		} else if !domain.ValidID(f.Link.Values["skillset"]) {
			err = &domain.FieldError{Field: "skillset", Key: "admin.numbers.skillset_choose"}
		} else {
			err = d.Store.LinkNumberSkillset(r.Context(), n.TenantID, actor(r), n.ID, f.Link.Values["skillset"], priority)
			if errors.Is(err, storage.ErrNotFound) {
				// The skillset was deleted meanwhile (the number exists).
				err = &domain.FieldError{Field: "skillset", Key: "admin.numbers.skillset_choose"}
			}
		}
		d.numberDone(w, r, n, err, f, f.Link, "admin.numbers.number_linked", "")
	}
}

func handleNumberUnlink(d Deps) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		n, ok := d.loadNumber(w, r)
		if !ok {
			return
		}
		sid := chi.URLParam(r, "sid")
		if !domain.ValidID(sid) {
			d.NotFound(w, r)
			return
		}
		err := d.Store.UnlinkNumberSkillset(r.Context(), n.TenantID, actor(r), n.ID, sid)
		d.numberDone(w, r, n, err, numberForms{}, ui.NewForm(), "admin.numbers.number_unlinked", "")
	}
}

// handleNumberMove moves a linked skillset one place up or down in the
// number's serving order. The store does it in one transaction (new
// priorities, one audit entry, one router reload): see MoveNumberSkillset
// for how priorities follow the order.
func handleNumberMove(d Deps) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		n, ok := d.loadNumber(w, r)
		if !ok {
			return
		}
		sid, dir := chi.URLParam(r, "sid"), r.PostFormValue("dir")
		if !domain.ValidID(sid) || (dir != "up" && dir != "down") {
			d.NotFound(w, r) // the page's arrows send nothing else
			return
		}
		moved, err := d.Store.MoveNumberSkillset(r.Context(), n.TenantID, actor(r), n.ID, sid, dir == "up")
		if err == nil && !moved {
			http.Redirect(w, r, "/admin/numbers/"+n.ID, http.StatusSeeOther) // already first or last
			return
		}
		d.numberDone(w, r, n, err, numberForms{}, ui.NewForm(), "admin.numbers.number_reordered", "")
	}
}

// handleNumberHours replaces the number's time zone and weekly hours.
func handleNumberHours(d Deps) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		n, ok := d.loadNumber(w, r)
		if !ok {
			return
		}
		f := numberForms{Hours: ui.NewForm()}
		f.Hours.Values["time_zone"] = strings.TrimSpace(r.PostFormValue("time_zone"))
		var week []hours.Range
		var err error
		for _, wd := range weekOrder {
			field := hours.DayField(wd)
			f.Hours.Values[field] = strings.TrimSpace(r.PostFormValue(field))
			day, derr := hours.ParseDay(wd, f.Hours.Values[field])
			if derr != nil && err == nil {
				err = derr
			}
			week = append(week, day...)
		}
		if err == nil {
			err = d.Store.SetNumberHours(r.Context(), n.TenantID, actor(r), n.ID, f.Hours.Values["time_zone"], week)
		}
		d.numberDone(w, r, n, err, f, f.Hours, "admin.numbers.hours_saved", "")
	}
}

func handleHolidayAdd(d Deps) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		n, ok := d.loadNumber(w, r)
		if !ok {
			return
		}
		f := numberForms{Holiday: ui.NewForm()}
		f.Holiday.Values["day"] = r.PostFormValue("day")
		f.Holiday.Values["name"] = r.PostFormValue("name")
		_, err := d.Store.AddHoliday(r.Context(), n.TenantID, actor(r), n.ID, f.Holiday.Values["day"], f.Holiday.Values["name"])
		d.numberDone(w, r, n, err, f, f.Holiday, "admin.numbers.holiday_added", "")
	}
}

func handleHolidayDelete(d Deps) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		n, ok := d.loadNumber(w, r)
		if !ok {
			return
		}
		err := d.Store.DeleteHoliday(r.Context(), n.TenantID, actor(r), n.ID, chi.URLParam(r, "hid"))
		d.numberDone(w, r, n, err, numberForms{}, ui.NewForm(), "admin.numbers.holiday_deleted", "")
	}
}

// numberRoutes are the number page's configuration forms.
func numberRoutes(r chi.Router, d Deps) {
	r.Post("/numbers/{id}/skillsets", handleNumberLink(d))
	r.Post("/numbers/{id}/skillsets/{sid}/unlink", handleNumberUnlink(d))
	r.Post("/numbers/{id}/skillsets/{sid}/move", handleNumberMove(d))
	r.Post("/numbers/{id}/hours", handleNumberHours(d))
	r.Post("/numbers/{id}/holidays", handleHolidayAdd(d))
	r.Post("/numbers/{id}/holidays/{hid}/delete", handleHolidayDelete(d))
}

// linkOptions are the skillsets that can still be linked.
func linkOptions(ctx context.Context, c numberConfig) []ui.Option {
	out := []ui.Option{{Value: "", Label: i18n.T(ctx, "admin.numbers.skillset_choose_short")}}
	for _, s := range c.Unlinked {
		out = append(out, ui.Option{Value: s.ID, Label: s.Name})
	}
	return out
}

// weekdayKeys name the days, by time.Weekday.
var weekdayKeys = [7]string{"admin.numbers.weekday_0", "admin.numbers.weekday_1", "admin.numbers.weekday_2", "admin.numbers.weekday_3",
	"admin.numbers.weekday_4", "admin.numbers.weekday_5", "admin.numbers.weekday_6"}
