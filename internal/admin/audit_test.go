package admin

import (
	"io"
	"net/url"
	"strings"
	"testing"
	"time"

	"switchboard/internal/domain"
	"switchboard/internal/storage"
)

func TestAuditFilterParsing(t *testing.T) {
	rome, err := time.LoadLocation("Europe/Rome")
	if err != nil {
		t.Skip("no time zone data")
	}
	// "to" takes its whole day, on the tenant's clock, across the change to
	// summer time (a 23-hour day).
	f, typed, errs := parseAuditFilter(url.Values{"from": {"2026-03-29"}, "to": {" 2026-03-29 "}, "action": {"contact.name"}, "q": {"50%"}}, rome)
	if len(errs) != 0 || f.Action != "contact.name" || f.Text != "50%" || typed.Get("to") != "2026-03-29" ||
		!f.From.Equal(time.Date(2026, 3, 28, 23, 0, 0, 0, time.UTC)) || f.To.Sub(f.From) != 23*time.Hour {
		t.Fatalf("filter: %+v %v", f, errs)
	}
	for q, field := range map[string]string{
		"from=2026-02-30":               "from",
		"to=26-01-01":                   "to",
		"from=2026-05-02&to=2026-05-01": "to",
		"before=12-x":                   "before",
		"before=-1-3":                   "before",
	} {
		v, _ := url.ParseQuery(q)
		f, _, errs := parseAuditFilter(v, time.UTC)
		if errs[field] == "" || !f.From.IsZero() || !f.To.IsZero() || f.Before != nil {
			t.Errorf("%s: %v %+v", q, errs, f)
		}
	}
	long := make([]byte, 201)
	for i := range long {
		long[i] = 'a'
	}
	if _, _, errs := parseAuditFilter(url.Values{"q": {string(long)}}, time.UTC); errs["q"] == "" {
		t.Error("a 201-character search is accepted")
	}

	e := domain.AuditEntry{ID: 42, CreatedAt: time.Date(2026, 11, 26, 10, 0, 0, 123456000, time.UTC)}
	c, ok := parseAuditCursor(auditCursor(e))
	if !ok || c.ID != 42 || !c.At.Equal(e.CreatedAt) {
		t.Fatalf("cursor: %+v %v", c, ok)
	}
}

func TestAuditDetailAndCSV(t *testing.T) {
	lines := auditDetail(map[string]any{"before": map[string]any{"name": "A", "tags": []any{"x", "y"}}, "after": "", "n": float64(3)})
	want := []auditDetailLine{{"after", "—"}, {"before", "name: A; tags: x, y"}, {"n", "3"}}
	if len(lines) != len(want) {
		t.Fatalf("%v", lines)
	}
	for i := range want {
		if lines[i] != want[i] {
			t.Fatalf("line %d: %v, want %v", i, lines[i], want[i])
		}
	}
	for in, out := range map[string]string{"+393331112222": "+393331112222", "=HYPERLINK(1)": "'=HYPERLINK(1)", "-1+2": "'-1+2", "sales": "sales", "@x": "'@x"} {
		if got := storage.CSVSafe(in); got != out {
			t.Errorf("CSVSafe(%q) = %q, want %q", in, got, out)
		}
	}
}

func TestAuditCSVCap(t *testing.T) {
	var buf strings.Builder
	started := 0
	a := &auditCSV{Cap: 2, Start: func() io.Writer { started++; return &buf }}
	at := time.Date(2026, 11, 26, 10, 0, 0, 0, time.FixedZone("CET", 3600))
	for i := 1; i <= 3; i++ {
		if err := a.Row(domain.AuditEntry{ID: int64(i), ActorEmail: "a@x.test", Action: "contact.name", Target: "t", IP: "192.0.2.1",
			Detail: map[string]any{"after": "B"}, CreatedAt: at}); err != nil {
			t.Fatal(err)
		}
	}
	a.Finish()
	want := "time,actor,action,target,ip,detail\n" +
		"2026-11-26T09:00:00Z,a@x.test,contact.name,t,192.0.2.1,\"{\"\"after\"\":\"\"B\"\"}\"\n" +
		"2026-11-26T09:00:00Z,a@x.test,contact.name,t,192.0.2.1,\"{\"\"after\"\":\"\"B\"\"}\"\n" +
		"# capped at 2 rows: narrow the filter to export the rest\n"
	if buf.String() != want || started != 1 {
		t.Fatalf("capped export (%d starts):\n%s", started, buf.String())
	}

	// At the cap exactly, no note; an empty export is its header.
	buf.Reset()
	a = &auditCSV{Cap: 1, Start: func() io.Writer { return &buf }}
	_ = a.Row(domain.AuditEntry{CreatedAt: at})
	a.Finish()
	if strings.Contains(buf.String(), "capped") {
		t.Fatalf("a note at the cap exactly: %s", buf.String())
	}
	buf.Reset()
	a = &auditCSV{Cap: 1, Start: func() io.Writer { return &buf }}
	a.Finish()
	if buf.String() != "time,actor,action,target,ip,detail\n" {
		t.Fatalf("empty export: %q", buf.String())
	}
}
