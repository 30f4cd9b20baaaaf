package storage_test

import (
	"context"
	"encoding/json"
	"errors"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"switchboard/internal/domain"
	"switchboard/internal/hours"
	"switchboard/internal/storage"
	"switchboard/internal/storage/storagetest"
)

// hsKey is a FieldError as "field key", or the error's text.
func hsKey(err error) string {
	var fe *domain.FieldError
	if errors.As(err, &fe) {
		return fe.Field + " " + fe.Key
	}
	if err == nil {
		return ""
	}
	return err.Error()
}

// hsLastAudit is the tenant's newest audit entry.
func hsLastAudit(t *testing.T, st *storage.Store, tenantID string) domain.AuditEntry {
	t.Helper()
	e, err := st.ListAudit(context.Background(), tenantID, 1)
	if err != nil || len(e) != 1 {
		t.Fatalf("audit: %v %v", e, err)
	}
	return e[0]
}

func detailJSON(t *testing.T, e domain.AuditEntry) string {
	t.Helper()
	b, err := json.Marshal(e.Detail)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func TestNumberHoursAndHolidays(t *testing.T) {
	t.Parallel()
	db := storagetest.NewDB(t)
	f := storagetest.Seed(t, db)
	st, ctx := db.Store, context.Background()
	var numberID string
	if err := st.InPlatform(ctx, func(tx pgx.Tx) error {
		return tx.QueryRow(ctx, `INSERT INTO numbers (tenant_id, phone_number_id, display_phone, waba_id, access_token_enc)
			VALUES ($1, '777', '+39 06 777', '1', 'x') RETURNING id`, f.A.ID).Scan(&numberID)
	}); err != nil {
		t.Fatal(err)
	}
	sc, err := st.NumberSchedule(ctx, f.A.ID, numberID)
	if err != nil || sc.TimeZone != "" || sc.Zone() != "Europe/Rome" || len(sc.Hours) != 0 {
		t.Fatalf("a new number: %+v %v", sc, err)
	}
	week := []hours.Range{{Weekday: time.Monday, Opens: 540, Closes: 780}, {Weekday: time.Monday, Opens: 840, Closes: 1080},
		{Weekday: time.Saturday, Opens: 540, Closes: 720}}
	if err := st.SetNumberHours(ctx, f.A.ID, admin, numberID, "America/New_York", week); err != nil {
		t.Fatal(err)
	}
	sc, _ = st.NumberSchedule(ctx, f.A.ID, numberID)
	if sc.Zone() != "America/New_York" || hours.FormatDay(time.Monday, sc.Hours) != "09:00-13:00, 14:00-18:00" || len(sc.Hours) != 3 {
		t.Fatalf("stored: %+v", sc)
	}
	// Monday 10:00 in New York (EST, UTC-5) is 15:00 UTC.
	if !sc.OpenAt(time.Date(2026, 1, 12, 15, 0, 0, 0, time.UTC)) || sc.OpenAt(time.Date(2026, 1, 12, 9, 0, 0, 0, time.UTC)) {
		t.Error("OpenAt does not read the number's zone")
	}
	if e := hsLastAudit(t, st, f.A.ID); e.Action != "hours.set" || e.Target != "+39 06 777" ||
		!strings.Contains(detailJSON(t, e), `"after":{"hours":{"Monday":"09:00-13:00, 14:00-18:00","Saturday":"09:00-12:00"},"time_zone":"America/New_York"}`) ||
		!strings.Contains(detailJSON(t, e), `"before":{"hours":{},"time_zone":""}`) {
		t.Errorf("audit: %s %s", e.Action, detailJSON(t, e))
	}

	// Bad input changes nothing.
	before, _ := st.ListAudit(ctx, f.A.ID, 100)
	for name, c := range map[string]struct {
		tz   string
		week []hours.Range
		want string
	}{
		"bad zone":  {"Europe/Roma", nil, "time_zone admin.hours.tz_invalid"},
		"Local":     {"Local", nil, "time_zone admin.hours.tz_invalid"},
		"inverted":  {"", []hours.Range{{Weekday: time.Tuesday, Opens: 1080, Closes: 540}}, "hours_2 admin.hours.hours_inverted"},
		"overlap":   {"", []hours.Range{{Weekday: time.Friday, Opens: 540, Closes: 780}, {Weekday: time.Friday, Opens: 700, Closes: 900}}, "hours_5 admin.hours.hours_overlap"},
		"past 24h":  {"", []hours.Range{{Weekday: time.Friday, Opens: 540, Closes: 1500}}, "hours_5 admin.hours.hours_format"},
		"bad day":   {"", []hours.Range{{Weekday: 9, Opens: 540, Closes: 600}}, "hours admin.hours.hours_format"},
		"empty day": {"", []hours.Range{{Weekday: time.Friday, Opens: 600, Closes: 600}}, "hours_5 admin.hours.hours_inverted"},
	} {
		if got := hsKey(st.SetNumberHours(ctx, f.A.ID, admin, numberID, c.tz, c.week)); got != c.want {
			t.Errorf("%s: %q, want %q", name, got, c.want)
		}
	}
	if after, _ := st.ListAudit(ctx, f.A.ID, 100); len(after) != len(before) {
		t.Error("a refused change was audited")
	}
	if sc2, _ := st.NumberSchedule(ctx, f.A.ID, numberID); len(sc2.Hours) != 3 || sc2.TimeZone != "America/New_York" {
		t.Errorf("a refused change changed the hours: %+v", sc2)
	}

	// Holidays: a real date, once per day.
	id, err := st.AddHoliday(ctx, f.A.ID, admin, numberID, "2026-12-25", " Natale ")
	if err != nil {
		t.Fatal(err)
	}
	if e := hsLastAudit(t, st, f.A.ID); e.Action != "hours.holiday_add" || !strings.Contains(detailJSON(t, e), `"after":{"day":"2026-12-25","name":"Natale"}`) {
		t.Errorf("audit: %s %s", e.Action, detailJSON(t, e))
	}
	for _, c := range [][3]string{
		{"2026-12-25", "Again", "day admin.hours.holiday_taken"},
		{"2026-02-30", "Nope", "day admin.hours.holiday_day_invalid"},
		{"25/12/2026", "Nope", "day admin.hours.holiday_day_invalid"},
		{"2026-12-26", "", "name form.required"},
	} {
		if _, err := st.AddHoliday(ctx, f.A.ID, admin, numberID, c[0], c[1]); hsKey(err) != c[2] {
			t.Errorf("holiday %q %q: %q, want %q", c[0], c[1], hsKey(err), c[2])
		}
	}
	sc, _ = st.NumberSchedule(ctx, f.A.ID, numberID)
	if len(sc.Holidays) != 1 || sc.Holidays[0].Name != "Natale" || sc.Holidays[0].Day != "2026-12-25" {
		t.Fatalf("holidays: %+v", sc.Holidays)
	}
	// Christmas 2026 is a Friday; the number is closed on Fridays anyway,
	// so check with a Monday holiday.
	if _, err := st.AddHoliday(ctx, f.A.ID, admin, numberID, "2026-01-12", "Chiusura"); err != nil {
		t.Fatal(err)
	}
	if sc, _ = st.NumberSchedule(ctx, f.A.ID, numberID); sc.OpenAt(time.Date(2026, 1, 12, 15, 0, 0, 0, time.UTC)) {
		t.Error("open on a holiday")
	}

	// Tenant B sees and changes nothing of A's number.
	if _, err := st.NumberSchedule(ctx, f.B.ID, numberID); !errors.Is(err, storage.ErrNotFound) {
		t.Errorf("B reads A's hours: %v", err)
	}
	if err := st.SetNumberHours(ctx, f.B.ID, admin, numberID, "", nil); !errors.Is(err, storage.ErrNotFound) {
		t.Errorf("B sets A's hours: %v", err)
	}
	if _, err := st.AddHoliday(ctx, f.B.ID, admin, numberID, "2026-05-01", "x"); !errors.Is(err, storage.ErrNotFound) {
		t.Errorf("B adds a holiday to A's number: %v", err)
	}
	if err := st.DeleteHoliday(ctx, f.B.ID, admin, numberID, id); !errors.Is(err, storage.ErrNotFound) {
		t.Errorf("B deletes A's holiday: %v", err)
	}
	if err := st.DeleteHoliday(ctx, f.A.ID, admin, numberID, id); err != nil {
		t.Fatal(err)
	}
	if e := hsLastAudit(t, st, f.A.ID); e.Action != "hours.holiday_delete" || !strings.Contains(detailJSON(t, e), `"before":{"day":"2026-12-25","name":"Natale"}`) {
		t.Errorf("audit: %s %s", e.Action, detailJSON(t, e))
	}
	// Back to the tenant's zone, closed all week.
	if err := st.SetNumberHours(ctx, f.A.ID, admin, numberID, "", nil); err != nil {
		t.Fatal(err)
	}
	if sc, _ = st.NumberSchedule(ctx, f.A.ID, numberID); sc.Zone() != "Europe/Rome" || len(sc.Hours) != 0 {
		t.Errorf("cleared: %+v", sc)
	}
}

func TestTenantSettings(t *testing.T) {
	t.Parallel()
	db := storagetest.NewDB(t)
	f := storagetest.Seed(t, db)
	st, ctx := db.Store, context.Background()
	s, err := st.TenantSettings(ctx, f.A.ID)
	if err != nil || s.Name != "Alpha Srl" || s.Language != "en" || s.TimeZone != "Europe/Rome" || s.RetentionDays != 0 ||
		len(s.StopWords) == 0 || s.Routing.DefaultCapacity != 3 {
		t.Fatalf("defaults: %+v %v", s, err)
	}
	if err := st.SetTenantProfile(ctx, f.A.ID, admin, "  Alpha Italia Srl ", "it", "Europe/London"); err != nil {
		t.Fatal(err)
	}
	if e := hsLastAudit(t, st, f.A.ID); e.Action != "settings.profile" ||
		detailJSON(t, e) != `{"after":{"language":"it","name":"Alpha Italia Srl","time_zone":"Europe/London"},"before":{"language":"en","name":"Alpha Srl","time_zone":"Europe/Rome"}}` {
		t.Errorf("audit: %s %s", e.Action, detailJSON(t, e))
	}
	for _, c := range [][4]string{
		{"", "en", "UTC", "name form.required"},
		{strings.Repeat("x", 201), "en", "UTC", "name form.too_long"},
		{"A\nB", "en", "UTC", "name admin.settings.name_invalid"},
		{"Alpha", "de", "UTC", "language admin.settings.language_invalid"},
		{"Alpha", "en", "Mars/Base", "time_zone admin.hours.tz_invalid"},
		{"Alpha", "en", "", "time_zone admin.hours.tz_invalid"},
	} {
		if got := hsKey(st.SetTenantProfile(ctx, f.A.ID, admin, c[0], c[1], c[2])); got != c[3] {
			t.Errorf("profile %q: %q, want %q", c[:3], got, c[3])
		}
	}
	for _, bad := range []int{-1, 3651} {
		if got := hsKey(st.SetRetentionDays(ctx, f.A.ID, admin, bad)); got != "retention_days admin.settings.retention_range" {
			t.Errorf("retention %d: %q", bad, got)
		}
	}
	for _, ok := range []int{0, 1, 3650, 30} {
		if err := st.SetRetentionDays(ctx, f.A.ID, admin, ok); err != nil {
			t.Errorf("retention %d: %v", ok, err)
		}
	}
	if e := hsLastAudit(t, st, f.A.ID); e.Action != "settings.retention" || detailJSON(t, e) != `{"after":{"retention_days":30},"before":{"retention_days":3650}}` {
		t.Errorf("audit: %s %s", e.Action, detailJSON(t, e))
	}
	words, err := storage.ParseStopWords(" stop, Basta ,STOP,arrêt")
	if err != nil || strings.Join(words, ",") != "STOP,BASTA,ARRÊT" {
		t.Fatalf("parse: %v %v", words, err)
	}
	for _, bad := range []string{"", " , ", "two words", strings.Repeat("A", 41), "TAB\tBED"} {
		if _, err := storage.ParseStopWords(bad); err == nil {
			t.Errorf("stop words %q accepted", bad)
		}
	}
	many := make([]string, 51)
	for i := range many {
		many[i] = "W" + strconv.Itoa(i)
	}
	if _, err := storage.ParseStopWords(strings.Join(many, ",")); hsKey(err) != "stop_words admin.settings.stop_words_count" {
		t.Errorf("51 words: %v", err)
	}
	if err := st.SetStopKeywords(ctx, admin, f.A.ID, words); err != nil {
		t.Fatal(err)
	}
	if e := hsLastAudit(t, st, f.A.ID); e.Action != "tenant.stop_words" || !strings.Contains(detailJSON(t, e), `"after":{"words":["STOP","BASTA","ARRÊT"]}`) ||
		!strings.Contains(detailJSON(t, e), `"before":{"words":["STOP","STOPALL"`) {
		t.Errorf("audit: %s %s", e.Action, detailJSON(t, e))
	}
	if err := st.SetStopKeywords(ctx, admin, f.A.ID, []string{"two words"}); err == nil {
		t.Error("the store took a stop word with a space")
	}
	s, _ = st.TenantSettings(ctx, f.A.ID)
	if s.Name != "Alpha Italia Srl" || s.Language != "it" || s.TimeZone != "Europe/London" || s.RetentionDays != 30 || strings.Join(s.StopWords, ",") != "STOP,BASTA,ARRÊT" {
		t.Errorf("after: %+v", s)
	}
	// Tenant B is untouched.
	if b, _ := st.TenantSettings(ctx, f.B.ID); b.Name != "Beta SpA" || b.Language != "en" || b.RetentionDays != 0 {
		t.Errorf("tenant B changed: %+v", b)
	}
}
