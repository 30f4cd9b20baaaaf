package hours

import (
	"errors"
	"testing"
	"time"

	"switchboard/internal/domain"
)

func TestOpenAt(t *testing.T) {
	t.Parallel()
	rome, err := LoadZone("Europe/Rome")
	if err != nil {
		t.Fatal(err)
	}
	ny, err := LoadZone("America/New_York")
	if err != nil {
		t.Fatal(err)
	}
	// Monday to Friday 09:00-13:00 and 14:00-18:00; Saturday 09:00-12:00;
	// Sunday 02:00-04:00 (to cross the night of a clock change) and a
	// Friday night shift 22:00-24:00 that goes on Saturday 00:00-02:00.
	var week []Range
	for d := time.Monday; d <= time.Friday; d++ {
		week = append(week, Range{d, 9 * 60, 13 * 60}, Range{d, 14 * 60, 18 * 60})
	}
	week = append(week, Range{time.Saturday, 9 * 60, 12 * 60}, Range{time.Sunday, 2 * 60, 4 * 60},
		Range{time.Friday, 22 * 60, MinutesPerDay}, Range{time.Saturday, 0, 2 * 60})
	christmas := []Holiday{{Day: "2026-12-25", Name: "Natale"}}
	utc := func(s string) time.Time {
		t.Helper()
		v, err := time.Parse(time.RFC3339, s)
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	cases := []struct {
		name string
		tz   *time.Location
		at   time.Time
		want bool
	}{
		{"winter Monday 09:00 in Rome is 08:00 UTC", rome, utc("2026-01-12T08:00:00Z"), true},
		{"winter Monday 08:59 in Rome", rome, utc("2026-01-12T07:59:00Z"), false},
		{"lunch break 13:00 (closes excluded)", rome, utc("2026-01-12T12:00:00Z"), false},
		{"after lunch 14:00", rome, utc("2026-01-12T13:00:00Z"), true},
		{"17:59 open", rome, utc("2026-01-12T16:59:00Z"), true},
		{"18:00 closed", rome, utc("2026-01-12T17:00:00Z"), false},
		// Summer time: 09:00 in Rome is 07:00 UTC, so 08:00 UTC is 10:00.
		{"summer Monday 07:00 UTC is 09:00 in Rome", rome, utc("2026-07-13T07:00:00Z"), true},
		{"summer Monday 16:30 UTC is 18:30 in Rome", rome, utc("2026-07-13T16:30:00Z"), false},
		{"the same instant in winter is 17:30", rome, utc("2026-01-12T16:30:00Z"), true},
		// 29 March 2026: Rome's clocks jump from 02:00 to 03:00. Sunday's
		// 02:00-04:00 then lasts one real hour, 01:00-02:00 UTC.
		{"spring forward: 00:59 UTC is 01:59 CET", rome, utc("2026-03-29T00:59:00Z"), false},
		{"spring forward: 01:00 UTC is 03:00 CEST", rome, utc("2026-03-29T01:00:00Z"), true},
		{"spring forward: 01:59 UTC is 03:59 CEST", rome, utc("2026-03-29T01:59:00Z"), true},
		{"spring forward: 02:00 UTC is 04:00 CEST", rome, utc("2026-03-29T02:00:00Z"), false},
		// 25 October 2026: 03:00 CEST goes back to 02:00 CET, so the
		// 02:00-04:00 range lasts three real hours, 00:00-03:00 UTC.
		{"fall back: 00:00 UTC is 02:00 CEST", rome, utc("2026-10-25T00:00:00Z"), true},
		{"fall back: 01:30 UTC is 02:30 CET (second time)", rome, utc("2026-10-25T01:30:00Z"), true},
		{"fall back: 02:59 UTC is 03:59 CET", rome, utc("2026-10-25T02:59:00Z"), true},
		{"fall back: 03:00 UTC is 04:00 CET", rome, utc("2026-10-25T03:00:00Z"), false},
		// The same hours read in New York, which changed its clocks on 8 March.
		{"New York in summer time before Europe: Monday 13:00 UTC is 09:00 EDT", ny, utc("2026-03-16T13:00:00Z"), true},
		{"New York: Monday 12:59 UTC is 08:59 EDT", ny, utc("2026-03-16T12:59:00Z"), false},
		// The weekday is the local one: Saturday 01:00 in Rome is still
		// Friday in UTC.
		{"night shift: Friday 23:30 in Rome", rome, utc("2026-01-16T22:30:00Z"), true},
		{"night shift: Saturday 01:30 in Rome is Friday 00:30 UTC", rome, utc("2026-01-17T00:30:00Z"), true},
		{"night shift over: Saturday 02:00 in Rome", rome, utc("2026-01-17T01:00:00Z"), false},
		{"Sunday 10:00 closed", rome, utc("2026-01-18T09:00:00Z"), false},
		// Christmas 2026 is a Friday: closed all day, local date.
		{"Christmas morning", rome, utc("2026-12-25T09:00:00Z"), false},
		{"Christmas night shift", rome, utc("2026-12-25T21:30:00Z"), false},
		{"Christmas Eve 10:00", rome, utc("2026-12-24T09:00:00Z"), true},
		// 23:30 UTC on the 24th is already the 25th in Rome.
		{"the holiday follows the local date", rome, utc("2026-12-24T23:30:00Z"), false},
		{"Saturday 26th 00:30 in Rome: no longer the holiday, the night range is open", rome, utc("2026-12-25T23:30:00Z"), true},
	}
	for _, c := range cases {
		if got := OpenAt(week, christmas, c.tz, c.at); got != c.want {
			t.Errorf("%s (%s): open = %v, want %v", c.name, c.at.In(c.tz).Format("Mon 2006-01-02 15:04 MST"), got, c.want)
		}
	}
	if OpenAt(nil, nil, rome, utc("2026-01-12T10:00:00Z")) {
		t.Error("no hours: open")
	}
	if OpenAt(week, nil, nil, utc("2026-01-12T10:00:00Z")) != true {
		t.Error("nil zone is read as UTC: Monday 10:00 UTC is open")
	}
}

func TestValidateAndParse(t *testing.T) {
	t.Parallel()
	key := func(err error) string {
		var fe *domain.FieldError
		if errors.As(err, &fe) {
			return fe.Field + " " + fe.Key
		}
		if err != nil {
			return err.Error()
		}
		return ""
	}
	cases := []struct {
		in   string
		want string
	}{
		{"", ""},
		{"09:00-13:00, 14:00-18:00", ""},
		{"14:00-18:00,09:00-13:00", ""},
		{"09:00-13:00, 13:00-18:00", ""}, // touching is fine
		{"00:00-24:00", ""},
		{"9:00-12:00", ""},
		{"18:00-09:00", "hours_1 admin.hours.hours_inverted"},
		{"09:00-09:00", "hours_1 admin.hours.hours_inverted"},
		{"09:00-13:00, 12:00-18:00", "hours_1 admin.hours.hours_overlap"},
		{"09:00-18:00, 10:00-11:00", "hours_1 admin.hours.hours_overlap"},
		{"25:00-26:00", "hours_1 admin.hours.hours_format"},
		{"24:00-24:00", "hours_1 admin.hours.hours_format"},
		{"09:60-10:00", "hours_1 admin.hours.hours_format"},
		{"nine to five", "hours_1 admin.hours.hours_format"},
		{"09:00", "hours_1 admin.hours.hours_format"},
		{"1-2,3-4", "hours_1 admin.hours.hours_format"},
		{"01:00-02:00,03:00-04:00,05:00-06:00,07:00-08:00,09:00-10:00,11:00-12:00,13:00-14:00", "hours_1 admin.hours.hours_too_many"},
	}
	for _, c := range cases {
		rs, err := ParseDay(time.Monday, c.in)
		if got := key(err); got != c.want {
			t.Errorf("ParseDay(%q) = %q, want %q", c.in, got, c.want)
		}
		if err == nil && c.in != "" && c.in != "9:00-12:00" {
			if back, _ := ParseDay(time.Monday, FormatDay(time.Monday, rs)); len(back) != len(rs) {
				t.Errorf("round trip of %q", c.in)
			}
		}
	}
	if got := FormatDay(time.Monday, mustParse(t, "14:00-18:00, 09:00-13:00")); got != "09:00-13:00, 14:00-18:00" {
		t.Errorf("FormatDay sorts: %q", got)
	}
	// A whole week: overlaps are per day only.
	week := []Range{{time.Tuesday, 600, 700}, {time.Monday, 600, 700}, {time.Monday, 650, 800}}
	if got := key(Validate(week)); got != "hours_1 admin.hours.hours_overlap" {
		t.Errorf("week: %q", got)
	}
	if got := key(Validate([]Range{{time.Tuesday, 600, 700}, {time.Monday, 650, 800}})); got != "" {
		t.Errorf("different days: %q", got)
	}
	if got := key(Validate([]Range{{time.Weekday(7), 600, 700}})); got != "hours admin.hours.hours_format" {
		t.Errorf("weekday 7: %q", got)
	}
}

func mustParse(t *testing.T, s string) []Range {
	t.Helper()
	rs, err := ParseDay(time.Monday, s)
	if err != nil {
		t.Fatal(err)
	}
	return rs
}

func TestZonesAndHolidays(t *testing.T) {
	t.Parallel()
	for _, ok := range []string{"Europe/Rome", "UTC", "America/Argentina/Buenos_Aires", " Asia/Tokyo "} {
		if err := CheckZone("tz", ok); err != nil {
			t.Errorf("%q refused: %v", ok, err)
		}
	}
	for _, bad := range []string{"", "Local", "Europe/Roma", "Mars/Olympus", "../../etc/passwd", "+01:00", "CET\x00"} {
		if err := CheckZone("tz", bad); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
	if h, err := CheckHoliday(" 2026-12-25 ", " Natale "); err != nil || h.Day != "2026-12-25" || h.Name != "Natale" {
		t.Errorf("good holiday: %+v %v", h, err)
	}
	for _, bad := range [][2]string{{"2026-02-30", "x"}, {"25/12/2026", "x"}, {"", "x"}, {"1999-12-31", "x"}, {"2026-12-25", ""},
		{"2026-12-25", string(make([]rune, 101))}, {"2026-12-25", "a\nb"}} {
		if _, err := CheckHoliday(bad[0], bad[1]); err == nil {
			t.Errorf("holiday %q accepted", bad)
		}
	}
}

func TestNextOpen(t *testing.T) {
	rome, _ := LoadZone("Europe/Rome")
	week := []Range{{Weekday: time.Monday, Opens: 9 * 60, Closes: 18 * 60}, {Weekday: time.Tuesday, Opens: 9 * 60, Closes: 18 * 60}}
	// Monday 20:00 in Rome: Tuesday 09:00.
	mon := time.Date(2026, 11, 23, 20, 0, 0, 0, rome)
	got, ok := NextOpen(week, nil, rome, mon)
	if want := time.Date(2026, 11, 24, 9, 0, 0, 0, rome); !ok || !got.Equal(want) {
		t.Fatalf("after Monday's close: %v %v, want %v", got, ok, want)
	}
	// Open now: now.
	at := time.Date(2026, 11, 23, 10, 0, 0, 0, rome)
	if got, ok := NextOpen(week, nil, rome, at); !ok || !got.Equal(at) {
		t.Fatalf("open now: %v %v", got, ok)
	}
	// Tuesday a holiday: next Monday.
	hol := []Holiday{{Day: "2026-11-24", Name: "Closed"}}
	if got, ok := NextOpen(week, hol, rome, mon); !ok || !got.Equal(time.Date(2026, 11, 30, 9, 0, 0, 0, rome)) {
		t.Fatalf("over a holiday: %v %v", got, ok)
	}
	if _, ok := NextOpen(nil, nil, rome, mon); ok {
		t.Fatal("no hours: never opens")
	}
}
