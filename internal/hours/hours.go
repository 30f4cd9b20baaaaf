// Package hours is a number's business hours and holidays: when the business
// is open, in the number's own time zone. It is pure (no I/O), so the admin
// pages, the store's validation and the softbots' out-of-hours replies all
// apply the same rule.
package hours

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"
	// The zone database is embedded so that a time zone valid on a
	// developer's machine is valid in a minimal container too.
	_ "time/tzdata"

	"switchboard/internal/domain"
)

// MinutesPerDay is the end of a day: a range may close at 24:00.
const MinutesPerDay = 24 * 60

// Limits of what an administrator may enter.
const (
	MaxRangesPerDay = 6
	MaxHolidayName  = 100
	MaxZoneLen      = 64
)

// Range is one opening range of a weekday, in minutes from local midnight:
// open from Opens (included) to Closes (excluded). A range never crosses
// midnight: a night shift is two ranges, one on each day.
type Range struct {
	Weekday time.Weekday
	Opens   int
	Closes  int
}

// Holiday is a day the business is closed all day, whatever its hours say.
type Holiday struct {
	ID   string
	Day  string // YYYY-MM-DD, a date in the number's time zone
	Name string
}

// DayLayout is how holidays' dates are written.
const DayLayout = "2006-01-02"

// OpenAt reports whether a business with these hours and holidays is open
// at the instant t, read on the wall clock of tz: the weekday, the date and
// the minute are local, so daylight-saving changes move the opening instant
// with the clock, as people expect. A holiday closes its whole local day.
// No hours at all means never open.
func OpenAt(hours []Range, holidays []Holiday, tz *time.Location, t time.Time) bool {
	if tz == nil {
		tz = time.UTC
	}
	local := t.In(tz)
	day := local.Format(DayLayout)
	for _, h := range holidays {
		if h.Day == day {
			return false
		}
	}
	minute := local.Hour()*60 + local.Minute()
	for _, r := range hours {
		if r.Weekday == local.Weekday() && minute >= r.Opens && minute < r.Closes {
			return true
		}
	}
	return false
}

// LoadZone checks an IANA time zone name ("Europe/Rome") and loads it.
// "Local" is refused: it means whatever machine runs the server.
func LoadZone(name string) (*time.Location, error) {
	name = strings.TrimSpace(name)
	if name == "" || len(name) > MaxZoneLen || name == "Local" {
		return nil, fmt.Errorf("time zone %q: not an IANA name", name)
	}
	return time.LoadLocation(name)
}

// CheckZone is LoadZone as a form error on field.
func CheckZone(field, name string) error {
	if _, err := LoadZone(name); err != nil {
		return &domain.FieldError{Field: field, Key: "admin.hours.tz_invalid"}
	}
	return nil
}

// ParseClock reads "HH:MM" (24-hour; "24:00" is the end of the day) as
// minutes from midnight.
func ParseClock(s string) (int, error) {
	h, m, ok := strings.Cut(strings.TrimSpace(s), ":")
	if !ok || len(h) < 1 || len(h) > 2 || len(m) != 2 {
		return 0, fmt.Errorf("%q is not HH:MM", s)
	}
	hh, err1 := strconv.Atoi(h)
	mm, err2 := strconv.Atoi(m)
	if err1 != nil || err2 != nil || hh < 0 || mm < 0 || mm > 59 || hh > 24 || (hh == 24 && mm != 0) {
		return 0, fmt.Errorf("%q is not HH:MM", s)
	}
	return hh*60 + mm, nil
}

// FormatClock writes minutes from midnight as "HH:MM".
func FormatClock(m int) string { return fmt.Sprintf("%02d:%02d", m/60, m%60) }

// DayField is the form field of a weekday's ranges ("hours_1" is Monday).
func DayField(d time.Weekday) string { return "hours_" + strconv.Itoa(int(d)) }

// ParseDay reads one weekday's ranges as an administrator types them:
// "09:00-13:00, 14:30-18:00"; empty means closed all day. The ranges are
// checked (Validate) and returned in order.
func ParseDay(d time.Weekday, s string) ([]Range, error) {
	field := DayField(d)
	var out []Range
	for part := range strings.SplitSeq(s, ",") {
		part = strings.TrimSpace(part)
		if part == "" {
			continue
		}
		a, b, ok := strings.Cut(part, "-")
		if !ok {
			return nil, &domain.FieldError{Field: field, Key: "admin.hours.hours_format"}
		}
		opens, err1 := ParseClock(a)
		closes, err2 := ParseClock(b)
		if err1 != nil || err2 != nil || opens == MinutesPerDay {
			return nil, &domain.FieldError{Field: field, Key: "admin.hours.hours_format"}
		}
		out = append(out, Range{Weekday: d, Opens: opens, Closes: closes})
	}
	if err := Validate(out); err != nil {
		return nil, err
	}
	return out, nil
}

// FormatDay writes one weekday's ranges as ParseDay reads them.
func FormatDay(d time.Weekday, rs []Range) string {
	var parts []string
	for _, r := range rs {
		if r.Weekday == d {
			parts = append(parts, FormatClock(r.Opens)+"-"+FormatClock(r.Closes))
		}
	}
	return strings.Join(parts, ", ")
}

// Validate checks a week of ranges: each inside its day and opening before
// it closes, at most MaxRangesPerDay a day, none overlapping another of the
// same day (touching is fine: 09:00-13:00 and 13:00-18:00). It sorts rs by
// weekday and opening. The error is a FieldError on the weekday's field.
func Validate(rs []Range) error {
	slices.SortFunc(rs, func(a, b Range) int {
		if a.Weekday != b.Weekday {
			return int(a.Weekday) - int(b.Weekday)
		}
		return a.Opens - b.Opens
	})
	perDay := map[time.Weekday]int{}
	for i, r := range rs {
		field := DayField(r.Weekday)
		switch {
		case r.Weekday < time.Sunday || r.Weekday > time.Saturday:
			return &domain.FieldError{Field: "hours", Key: "admin.hours.hours_format"}
		case r.Opens < 0 || r.Closes > MinutesPerDay || r.Opens >= MinutesPerDay:
			return &domain.FieldError{Field: field, Key: "admin.hours.hours_format"}
		case r.Opens >= r.Closes:
			return &domain.FieldError{Field: field, Key: "admin.hours.hours_inverted"}
		case i > 0 && rs[i-1].Weekday == r.Weekday && rs[i-1].Closes > r.Opens:
			return &domain.FieldError{Field: field, Key: "admin.hours.hours_overlap"}
		}
		perDay[r.Weekday]++
		if perDay[r.Weekday] > MaxRangesPerDay {
			return &domain.FieldError{Field: field, Key: "admin.hours.hours_too_many"}
		}
	}
	return nil
}

// CheckHoliday trims and checks a holiday's date (YYYY-MM-DD, a real date
// between 2000 and 2100) and name (1 to MaxHolidayName characters).
func CheckHoliday(day, name string) (Holiday, error) {
	day, name = strings.TrimSpace(day), strings.TrimSpace(name)
	d, err := time.Parse(DayLayout, day)
	if err != nil || d.Year() < 2000 || d.Year() > 2100 {
		return Holiday{}, &domain.FieldError{Field: "day", Key: "admin.hours.holiday_day_invalid"}
	}
	switch {
	case name == "":
		return Holiday{}, &domain.FieldError{Field: "name", Key: "form.required"}
	case len([]rune(name)) > MaxHolidayName:
		return Holiday{}, &domain.FieldError{Field: "name", Key: "form.too_long"}
	case strings.ContainsFunc(name, func(r rune) bool { return r < 0x20 || r == 0x7f }):
		return Holiday{}, &domain.FieldError{Field: "name", Key: "admin.hours.holiday_name_invalid"}
	}
	return Holiday{Day: d.Format(DayLayout), Name: name}, nil
}

// NextOpen returns the first instant at or after t when the business opens,
// looking up to two weeks ahead (holidays included), and false when it does
// not open in that time (no hours at all, or a long closure). The
// out-of-hours reply uses it to queue a conversation at opening time.
func NextOpen(hours []Range, holidays []Holiday, tz *time.Location, t time.Time) (time.Time, bool) {
	if tz == nil {
		tz = time.UTC
	}
	if OpenAt(hours, holidays, tz, t) {
		return t, true
	}
	local := t.In(tz)
	midnight := time.Date(local.Year(), local.Month(), local.Day(), 0, 0, 0, 0, tz)
	for d := 0; d <= 14; d++ {
		day := midnight.AddDate(0, 0, d)
		for _, r := range hours {
			if r.Weekday != day.Weekday() {
				continue
			}
			// Built from the wall clock, so a daylight-saving day opens at
			// its local hour.
			at := time.Date(day.Year(), day.Month(), day.Day(), r.Opens/60, r.Opens%60, 0, 0, tz)
			if at.After(t) && OpenAt(hours, holidays, tz, at) {
				return at, true
			}
		}
	}
	return time.Time{}, false
}
