package admin

import (
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"switchboard/internal/auth"
	"switchboard/internal/domain"
	"switchboard/internal/i18n"
	"switchboard/internal/storage"
)

// The audit log (/admin/audit): every administrative change of the tenant,
// searchable by text, action, actor and days, a page at a time, and the same
// selection as CSV (/admin/audit.csv). The log itself is written only by the
// store's audit(), inside each change's transaction; these pages only read.

// auditExportCap bounds one export; the last line says when it was reached.
const auditExportCap = 100000

// maxAuditText bounds the free-text filter (it is matched with ILIKE).
const maxAuditText = 200

// auditList is one page of the log with the filter that made it.
type auditList struct {
	Filter  url.Values // q, action, actor, from, to as typed
	Errors  map[string]string
	Rows    []domain.AuditEntry
	Older   string // the "older" link's cursor, "" on the last page
	Actions []string
	Actors  []string
	Zone    string
}

// parseAuditFilter reads the filter from a query. Days are the tenant's
// (zone); "to" includes its whole day. A bad parameter is reported beside
// its input, by key, and not applied.
func parseAuditFilter(q url.Values, zone *time.Location) (storage.AuditFilter, url.Values, map[string]string) {
	typed := url.Values{}
	errs := map[string]string{}
	for _, k := range []string{"q", "action", "actor", "from", "to", "before"} {
		if v := strings.TrimSpace(q.Get(k)); v != "" {
			typed.Set(k, v)
		}
	}
	f := storage.AuditFilter{}
	if t := typed.Get("q"); t != "" {
		if !utf8.ValidString(t) || utf8.RuneCountInString(t) > maxAuditText || strings.ContainsRune(t, 0) {
			errs["q"] = "admin.audit.text_invalid"
		} else {
			f.Text = t
		}
	}
	// action and actor are compared exactly: any valid text is harmless.
	for _, k := range []string{"action", "actor"} {
		if v := typed.Get(k); v != "" && (!utf8.ValidString(v) || len(v) > 320 || strings.ContainsRune(v, 0)) {
			errs[k] = "admin.audit.text_invalid"
		}
	}
	if errs["action"] == "" {
		f.Action = typed.Get("action")
	}
	if errs["actor"] == "" {
		f.Actor = typed.Get("actor")
	}
	day := func(k string) time.Time {
		v := typed.Get(k)
		if v == "" {
			return time.Time{}
		}
		d, err := time.ParseInLocation("2006-01-02", v, zone)
		if err != nil || d.Year() < 2000 || d.Year() > 9999 {
			errs[k] = "admin.audit.date_invalid"
			return time.Time{}
		}
		return d
	}
	from, to := day("from"), day("to")
	if !from.IsZero() && !to.IsZero() && to.Before(from) {
		errs["to"] = "admin.audit.date_order"
		from, to = time.Time{}, time.Time{}
	}
	f.From = from
	if !to.IsZero() {
		f.To = to.AddDate(0, 0, 1) // the whole of the last day, daylight saving included
	}
	if v := typed.Get("before"); v != "" {
		c, ok := parseAuditCursor(v)
		if ok {
			f.Before = &c
		} else {
			errs["before"] = "admin.audit.cursor_invalid"
		}
	}
	return f, typed, errs
}

// The cursor is the last row's created_at in Unix microseconds (Postgres's
// precision) and its id: "1764150000123456-42".
func auditCursor(e domain.AuditEntry) string {
	return strconv.FormatInt(e.CreatedAt.UnixMicro(), 10) + "-" + strconv.FormatInt(e.ID, 10)
}

func parseAuditCursor(s string) (storage.AuditCursor, bool) {
	at, id, ok := strings.Cut(s, "-")
	if !ok {
		return storage.AuditCursor{}, false
	}
	us, err1 := strconv.ParseInt(at, 10, 64)
	n, err2 := strconv.ParseInt(id, 10, 64)
	if err1 != nil || err2 != nil || us < 0 || n <= 0 {
		return storage.AuditCursor{}, false
	}
	return storage.AuditCursor{At: time.UnixMicro(us).UTC(), ID: n}, true
}

// tenantZone is the tenant's time zone from its settings, else UTC.
func (d Deps) tenantZone(r *http.Request, tenantID string) (*time.Location, error) {
	st, err := d.Store.TenantSettings(r.Context(), tenantID)
	if err != nil {
		return nil, err
	}
	if st.TimeZone != "" {
		if loc, err := time.LoadLocation(st.TimeZone); err == nil {
			return loc, nil
		}
	}
	return time.UTC, nil
}

func handleAudit(d Deps) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		ctx := r.Context()
		p, _ := auth.FromContext(ctx)
		zone, err := d.tenantZone(r, p.TenantID)
		if err != nil {
			d.Unavailable(w, r, "load tenant settings", err)
			return
		}
		f, typed, errs := parseAuditFilter(r.URL.Query(), zone)
		rows, more, err := d.Store.SearchAudit(ctx, p.TenantID, f)
		if err != nil {
			d.Unavailable(w, r, "search audit", err)
			return
		}
		actions, actors, err := d.Store.AuditChoices(ctx, p.TenantID)
		if err != nil {
			d.Unavailable(w, r, "list audit choices", err)
			return
		}
		l := auditList{Filter: typed, Errors: errs, Rows: rows, Actions: actions, Actors: actors, Zone: zone.String()}
		if more {
			l.Older = auditCursor(rows[len(rows)-1])
		}
		d.Render(w, r, http.StatusOK, AuditSearchPage(d.Shell.Page(w, r, "audit.title", "audit"), l))
	}
}

// handleAuditExport writes the filtered log as CSV, newest first, row by row
// as Postgres returns them. A bad filter is refused rather than exported
// unfiltered: a file is not a page that shows its error.
func handleAuditExport(d Deps) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		ctx := r.Context()
		p, _ := auth.FromContext(ctx)
		zone, err := d.tenantZone(r, p.TenantID)
		if err != nil {
			d.Unavailable(w, r, "load tenant settings", err)
			return
		}
		f, _, errs := parseAuditFilter(r.URL.Query(), zone)
		if len(errs) > 0 {
			keys := make([]string, 0, len(errs))
			for _, k := range errs {
				keys = append(keys, i18n.T(ctx, k))
			}
			sort.Strings(keys)
			http.Error(w, strings.Join(keys, " "), http.StatusBadRequest)
			return
		}
		// Nothing is sent until the first row, so a failure before it is
		// still an error page.
		out := &auditCSV{Cap: auditExportCap, Start: func() io.Writer {
			w.Header().Set("Content-Type", "text/csv; charset=utf-8")
			w.Header().Set("Content-Disposition", `attachment; filename="audit-`+time.Now().UTC().Format("20060102-150405")+`.csv"`)
			return w
		}}
		err = d.Store.EachAudit(ctx, p.TenantID, f, auditExportCap+1, out.Row)
		if err != nil && !out.Started() {
			d.Unavailable(w, r, "export audit", err)
			return
		} else if err != nil {
			d.Logger.ErrorContext(ctx, "export audit", "error", err) // the file is cut short
			return
		}
		out.Finish()
	}
}

// auditCSV writes audit entries as CSV as they come, opening the file
// (Start) at the first one; past Cap rows it writes none and Finish ends
// the file with a line that says so.
type auditCSV struct {
	Cap   int
	Start func() io.Writer
	cw    *csv.Writer
	n     int
}

func (a *auditCSV) Started() bool { return a.cw != nil }

func (a *auditCSV) open() {
	if a.cw == nil {
		a.cw = csv.NewWriter(a.Start())
		_ = a.cw.Write([]string{"time", "actor", "action", "target", "ip", "detail"})
	}
}

// Row writes one entry: time in UTC (RFC 3339), actor, action, target,
// address and the detail as compact JSON.
func (a *auditCSV) Row(e domain.AuditEntry) error {
	a.open()
	a.n++
	if a.n > a.Cap {
		return nil // a row past the cap only tells that there are more
	}
	detail, err := json.Marshal(e.Detail)
	if err != nil {
		return err
	}
	return a.cw.Write([]string{e.CreatedAt.UTC().Format(time.RFC3339), e.ActorEmail, e.Action, storage.CSVSafe(e.Target), e.IP, string(detail)})
}

// Finish writes the header of an empty file and the cap's note, and flushes.
func (a *auditCSV) Finish() {
	a.open()
	if a.n > a.Cap {
		_ = a.cw.Write([]string{fmt.Sprintf("# capped at %d rows: narrow the filter to export the rest", a.Cap)})
	}
	a.cw.Flush()
}

// auditDetailLine is one key of an entry's detail as the page shows it.
type auditDetailLine struct {
	Key   string
	Value string
}

// auditDetail renders an entry's detail readably: one line per key, a
// nested object (before, after) as "key: value" pairs, lists joined.
func auditDetail(detail map[string]any) []auditDetailLine {
	keys := make([]string, 0, len(detail))
	for k := range detail {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	out := make([]auditDetailLine, 0, len(keys))
	for _, k := range keys {
		out = append(out, auditDetailLine{Key: k, Value: auditValue(detail[k], true)})
	}
	return out
}

func auditValue(v any, top bool) string {
	switch x := v.(type) {
	case nil:
		return "—"
	case string:
		if x == "" {
			return "—"
		}
		return x
	case bool, float64, json.Number:
		return fmt.Sprint(x)
	case []any:
		parts := make([]string, len(x))
		for i, e := range x {
			parts[i] = auditValue(e, false)
		}
		if len(parts) == 0 {
			return "—"
		}
		return strings.Join(parts, ", ")
	case map[string]any:
		if !top {
			b, _ := json.Marshal(x)
			return string(b)
		}
		keys := make([]string, 0, len(x))
		for k := range x {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		parts := make([]string, len(keys))
		for i, k := range keys {
			parts[i] = k + ": " + auditValue(x[k], false)
		}
		if len(parts) == 0 {
			return "—"
		}
		return strings.Join(parts, "; ")
	default:
		b, _ := json.Marshal(x)
		return string(b)
	}
}

// auditURL is the page's (or export's) URL with the filter and a cursor.
func auditURL(path string, filter url.Values, before string) string {
	q := url.Values{}
	for _, k := range []string{"q", "action", "actor", "from", "to"} {
		if v := filter.Get(k); v != "" {
			q.Set(k, v)
		}
	}
	if before != "" {
		q.Set("before", before)
	}
	if len(q) == 0 {
		return path
	}
	return path + "?" + q.Encode()
}
