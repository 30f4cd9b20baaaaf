package agentdesk

// Meta's 24-hour customer-service window in the composer: the countdown's
// data, the picker of approved templates shown once the window has closed,
// and the endpoint that sends the chosen template under the same rules as
// every other send (outbound checks them again; this file only refuses
// early, with words an agent understands).

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/go-chi/chi/v5"

	"switchboard/internal/auth"
	"switchboard/internal/domain"
	"switchboard/internal/i18n"
	"switchboard/internal/outbound"
	"switchboard/internal/storage"
	"switchboard/internal/whatsapp/graph"
)

// WhatsApp's limits on a template send (Meta refuses past them, after the
// message was already queued: better said before).
const (
	maxHeaderText = 60   // a TEXT header, parameters filled in
	maxBodyText   = 1024 // a template body, parameters filled in
	maxURLSuffix  = 2000 // a dynamic URL button's variable part
	maxCouponCode = 15   // a copy-code button's code
)

// windowOpen reports whether the customer can still be answered freely.
func windowOpen(c domain.Conversation, now time.Time) bool {
	return c.WindowExpiresAt != nil && now.Before(*c.WindowExpiresAt)
}

// windowLeft is the time left shown at first paint, hours:minutes rounded
// up (so "0:00" is never shown while the window is still open); window.js
// keeps it current.
func windowLeft(c domain.Conversation, now time.Time) string {
	if !windowOpen(c, now) {
		return "0:00"
	}
	mins := int((c.WindowExpiresAt.Sub(now) + time.Minute - 1) / time.Minute)
	return strconv.Itoa(mins/60) + ":" + twoDigits(mins%60)
}

func twoDigits(n int) string {
	if n < 10 {
		return "0" + strconv.Itoa(n)
	}
	return strconv.Itoa(n)
}

// templateParam is one input of the picker: a {{n}} of the header or body,
// or a dynamic button's value.
type templateParam struct {
	Kind    string // header, body, button
	Var     string // the variable as written between braces ("1")
	Index   int    // the button's position, for Kind button
	SubType string // url or copy_code, for Kind button
	Example string // Meta's sample value, shown as placeholder
	Max     int    // the input's maxlength
}

// Field is the form field the parameter is posted in.
func (p templateParam) Field() string {
	if p.Kind == "button" {
		return "button_" + strconv.Itoa(p.Index)
	}
	return p.Kind + "_" + p.Var
}

// templateButton is a button as the preview shows it.
type templateButton struct {
	Type, Text, URL string
}

// templateChoice is one approved template in one language as the picker
// offers it.
type templateChoice struct {
	Name, Language, Category string
	HeaderFormat             string // TEXT, IMAGE…, "" without a header
	Header, Body, Footer     string // Meta's text, {{n}} unfilled
	Buttons                  []templateButton
	Params                   []templateParam
	// Unsupported is the i18n key saying why the console cannot send it
	// ("" when it can): a media or location header needs a file or a place,
	// named parameters and one-time-password buttons need what the
	// outbound pipeline does not carry yet.
	Unsupported string
}

// Key names the template in the form: a name is [a-z0-9_], so "|" is safe.
func (t templateChoice) Key() string { return t.Name + "|" + t.Language }

// templateGroup is the approved templates of one language.
type templateGroup struct {
	Language  string
	Templates []templateChoice
}

// templatePicker is what the composer shows once the window has closed.
type templatePicker struct {
	Groups []templateGroup
	// NoConsent warns before the agent fills anything: outside the window a
	// message is business-initiated and needs the customer's consent.
	NoConsent bool
}

// approvedTemplates lists the templates of the conversation's number's WABA
// that Meta approved, as the picker offers them.
func approvedTemplates(ctx context.Context, st *storage.Store, c domain.Conversation) ([]templateChoice, error) {
	n, err := st.Number(ctx, c.TenantID, c.NumberID)
	if err != nil {
		return nil, err
	}
	rows, err := st.ListTemplates(ctx, c.TenantID, n.WABAID)
	if err != nil {
		return nil, err
	}
	var out []templateChoice
	for _, row := range rows {
		if row.Status != "APPROVED" {
			continue
		}
		out = append(out, choiceOf(row))
	}
	return out, nil
}

// choiceOf reads a stored template's components (Meta's JSON, kept whole)
// with the Graph client's types, which already know where the variables are.
func choiceOf(row storage.TemplateRow) templateChoice {
	t := templateChoice{Name: row.Name, Language: row.Language, Category: row.Category}
	gt := graph.Template{Name: row.Name, Language: row.Language, Category: row.Category}
	if err := json.Unmarshal(row.Components, &gt.Components); err != nil {
		t.Unsupported = "agent.template.unreadable"
		return t
	}
	for _, c := range gt.Components {
		switch strings.ToUpper(c.Type) {
		case "HEADER":
			t.HeaderFormat, t.Header = strings.ToUpper(c.Format), c.Text
		case "BODY":
			t.Body = c.Text
			if t.Body == "" && strings.EqualFold(row.Category, "AUTHENTICATION") {
				t.Body = "{{1}} is your verification code." // Meta writes it (as the fake does)
			}
		case "FOOTER":
			t.Footer = c.Text
		}
	}
	var headerEx []string
	var bodyEx []string
	for _, c := range gt.Components {
		if c.Example == nil {
			continue
		}
		if strings.EqualFold(c.Type, "HEADER") {
			headerEx = c.Example.HeaderText
		}
		if strings.EqualFold(c.Type, "BODY") && len(c.Example.BodyText) > 0 {
			bodyEx = c.Example.BodyText[0]
		}
	}
	switch t.HeaderFormat {
	case "", "TEXT":
	default:
		t.Unsupported = "agent.template.media_header"
	}
	// Positional parameter i fills {{i+1}} wherever it appears (Meta's
	// rule), so the inputs go in the variables' numeric order.
	positional := func(vars []string) ([]string, bool) {
		nums := make([]int, 0, len(vars))
		for _, v := range vars {
			n, err := strconv.Atoi(v)
			if err != nil || n < 1 {
				return nil, false
			}
			nums = append(nums, n)
		}
		slices.Sort(nums)
		out := make([]string, len(nums))
		for i, n := range nums {
			if n != i+1 {
				return nil, false
			}
			out[i] = strconv.Itoa(n)
		}
		return out, true
	}
	hv, okH := positional(gt.HeaderVariables())
	bv, okB := positional(gt.BodyVariables())
	if !okH || !okB {
		if t.Unsupported == "" {
			t.Unsupported = "agent.template.named"
		}
	}
	for i, v := range hv {
		t.Params = append(t.Params, templateParam{Kind: "header", Var: v, Example: at(headerEx, i), Max: maxHeaderText})
	}
	for i, v := range bv {
		t.Params = append(t.Params, templateParam{Kind: "body", Var: v, Example: at(bodyEx, i), Max: maxBodyText})
	}
	for i, b := range gt.Buttons() {
		t.Buttons = append(t.Buttons, templateButton{Type: strings.ToUpper(b.Type), Text: b.Text, URL: b.URL})
		switch strings.ToUpper(b.Type) {
		case "QUICK_REPLY", "PHONE_NUMBER":
		case "URL":
			if len(b.Variables()) > 0 {
				t.Params = append(t.Params, templateParam{Kind: "button", Var: b.Variables()[0], Index: i, SubType: "url",
					Example: buttonExample(b.Example), Max: maxURLSuffix})
			}
		case "COPY_CODE":
			t.Params = append(t.Params, templateParam{Kind: "button", Var: "code", Index: i, SubType: "copy_code",
				Example: buttonExample(b.Example), Max: maxCouponCode})
		default: // OTP, FLOW, CATALOG…: not sendable from the console yet
			if t.Unsupported == "" {
				t.Unsupported = "agent.template.button_kind"
			}
		}
	}
	return t
}

func at(list []string, i int) string {
	if i < len(list) {
		return list[i]
	}
	return ""
}

// buttonExample reads a button's example, a list of strings for URL buttons
// and a string for copy-code ones.
func buttonExample(raw json.RawMessage) string {
	var list []string
	if json.Unmarshal(raw, &list) == nil && len(list) > 0 {
		return list[0]
	}
	var s string
	_ = json.Unmarshal(raw, &s)
	return s
}

// groupByLanguage keeps the templates' order (name) within each language,
// and the languages in alphabetical order.
func groupByLanguage(ts []templateChoice) []templateGroup {
	var groups []templateGroup
	for _, t := range ts {
		i := slices.IndexFunc(groups, func(g templateGroup) bool { return g.Language == t.Language })
		if i < 0 {
			groups = append(groups, templateGroup{Language: t.Language})
			i = len(groups) - 1
		}
		groups[i].Templates = append(groups[i].Templates, t)
	}
	slices.SortFunc(groups, func(a, b templateGroup) int { return strings.Compare(a.Language, b.Language) })
	return groups
}

// fill puts values (by variable) into text, as WhatsApp shows the message.
func fill(text string, values map[string]string) string {
	for v, val := range values {
		text = strings.ReplaceAll(text, "{{"+v+"}}", val)
	}
	return text
}

// handleWindow renders the window's box from Postgres: the countdown, and
// the template picker when the window has closed. window.js asks for it at
// load when closed, when its countdown reaches zero, and when the customer
// writes (which reopens the window).
func handleWindow(d Deps) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		c, ok := mine(d, w, r)
		if !ok {
			return
		}
		now := time.Now()
		var picker *templatePicker
		if !windowOpen(c, now) {
			ts, err := approvedTemplates(r.Context(), d.Store, c)
			if err != nil {
				d.Unavailable(w, r, "load templates", err)
				return
			}
			contact, err := d.Store.Contact(r.Context(), c.TenantID, c.ContactID)
			if err != nil {
				d.Unavailable(w, r, "load contact", err)
				return
			}
			picker = &templatePicker{Groups: groupByLanguage(ts), NoConsent: contact.Consent != "granted"}
		}
		w.Header().Set("Cache-Control", "no-store")
		d.Render(w, r, http.StatusOK, WindowFragment(c, now, picker))
	}
}

// handleSendTemplate sends the approved template the agent chose, its
// parameters filled; JSON for window.js like handleSend's: {"ok":true} or
// {"error": a message for the agent}.
func handleSendTemplate(d Deps) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		ctx := r.Context()
		answer := func(status int, v any) {
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(status)
			_ = json.NewEncoder(w).Encode(v)
		}
		fail := func(status int, key string, args ...any) {
			answer(status, map[string]string{"error": i18n.T(ctx, key, args...)})
		}
		p, _ := auth.FromContext(ctx)
		id := chi.URLParam(r, "id")
		if !domain.ValidID(id) {
			fail(http.StatusNotFound, "agent.send.unknown")
			return
		}
		c, err := d.Store.Conversation(ctx, p.TenantID, id)
		if errors.Is(err, storage.ErrNotFound) {
			fail(http.StatusNotFound, "agent.send.unknown")
			return
		} else if err != nil {
			d.Logger.ErrorContext(ctx, "load conversation", "error", err)
			fail(http.StatusServiceUnavailable, "agent.send.retry")
			return
		}
		if !heldBy(c, p.UserID) {
			fail(http.StatusForbidden, "agent.send.not_yours")
			return
		}
		name, lang, _ := strings.Cut(r.PostFormValue("template"), "|")
		if name == "" || lang == "" {
			fail(http.StatusBadRequest, "agent.template.choose")
			return
		}
		ts, err := approvedTemplates(ctx, d.Store, c)
		if err != nil {
			d.Logger.ErrorContext(ctx, "load templates", "error", err)
			fail(http.StatusServiceUnavailable, "agent.send.retry")
			return
		}
		i := slices.IndexFunc(ts, func(t templateChoice) bool { return t.Name == name && t.Language == lang })
		if i < 0 {
			// Unknown, of another number, or no longer approved: the same
			// answer, since the agent can only choose again.
			fail(http.StatusUnprocessableEntity, "agent.template.unknown")
			return
		}
		t := ts[i]
		if t.Unsupported != "" {
			fail(http.StatusUnprocessableEntity, "agent.template.unsupported", i18n.T(ctx, t.Unsupported))
			return
		}
		tmpl, values, msg := templateValues(t, r)
		if msg != "" {
			answer(http.StatusBadRequest, map[string]string{"error": msg})
			return
		}
		if t.Header != "" && utf8.RuneCountInString(fill(t.Header, values["header"])) > maxHeaderText {
			fail(http.StatusBadRequest, "agent.template.header_too_long", maxHeaderText)
			return
		}
		if utf8.RuneCountInString(fill(t.Body, values["body"])) > maxBodyText {
			fail(http.StatusBadRequest, "agent.template.body_too_long", maxBodyText)
			return
		}
		m, err := d.Outbound.Reply(ctx, p.TenantID, p.UserID, c.ID,
			outbound.Content{Type: outbound.TypeTemplate, Template: tmpl}, r.PostFormValue("idempotency_key"))
		var refused *outbound.Error
		if errors.As(err, &refused) {
			answer(http.StatusUnprocessableEntity, map[string]string{"error": refusalText(ctx, refused), "code": refused.Code})
			return
		} else if err != nil {
			d.Logger.ErrorContext(ctx, "agent template", "error", err)
			fail(http.StatusServiceUnavailable, "agent.send.retry")
			return
		}
		answer(http.StatusOK, map[string]any{"ok": true, "message_id": m.ID})
	}
}

// templateValues reads and checks the parameters posted for t; msg is the
// translated reason when one is missing or not as WhatsApp accepts it.
// values are by kind, then variable, for the length checks.
func templateValues(t templateChoice, r *http.Request) (*outbound.Template, map[string]map[string]string, string) {
	ctx := r.Context()
	tmpl := &outbound.Template{Name: t.Name, Language: t.Language}
	values := map[string]map[string]string{"header": {}, "body": {}}
	for _, p := range t.Params {
		v := strings.TrimSpace(r.PostFormValue(p.Field()))
		label := "{{" + p.Var + "}}"
		if p.Kind == "button" {
			label = t.Buttons[p.Index].Text
		}
		switch {
		case v == "":
			return nil, nil, i18n.T(ctx, "agent.template.missing", label)
		case strings.ContainsAny(v, "\n\t") || strings.Contains(v, "     "):
			// Meta refuses these in parameters (error 132018).
			return nil, nil, i18n.T(ctx, "agent.template.bad_text", label)
		case utf8.RuneCountInString(v) > p.Max:
			return nil, nil, i18n.T(ctx, "agent.template.param_too_long", label, p.Max)
		}
		switch p.Kind {
		case "header":
			tmpl.HeaderParams = append(tmpl.HeaderParams, v)
			values["header"][p.Var] = v
		case "body":
			tmpl.BodyParams = append(tmpl.BodyParams, v)
			values["body"][p.Var] = v
		case "button":
			tmpl.Buttons = append(tmpl.Buttons, outbound.TemplateButton{Index: p.Index, SubType: p.SubType, Value: v})
		}
	}
	return tmpl, values, ""
}

// refusalText says which of Meta's rules refused a send, in the agent's
// language (outbound's own message is English, for the API's readers).
func refusalText(ctx context.Context, e *outbound.Error) string {
	switch e.Code {
	case "window_closed":
		return i18n.T(ctx, "agent.window.refused")
	case "no_consent":
		return i18n.T(ctx, "agent.template.no_consent")
	case "template_not_found", "template_not_approved":
		return i18n.T(ctx, "agent.template.unknown")
	case "template_params":
		return i18n.T(ctx, "agent.template.params")
	case "number_disconnected":
		return i18n.T(ctx, "agent.template.number_disconnected")
	}
	return i18n.T(ctx, "agent.send.refused", e.Message)
}
