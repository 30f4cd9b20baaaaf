package graph

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
)

// Template is a message template as Graph lists it (§7.1). Components is
// typed enough to count variables and list buttons; RawComponents keeps
// Meta's JSON whole, for what the types do not cover (carousels, flows, OTP
// details).
type Template struct {
	ID              string
	Name            string
	Language        string // en_US, it, pt_BR…
	Category        string // MARKETING, UTILITY, AUTHENTICATION
	SubCategory     string
	Status          string // APPROVED, PENDING, REJECTED, PAUSED, DISABLED, …
	ParameterFormat string // POSITIONAL or NAMED
	RejectedReason  string // NONE unless rejected (INVALID_FORMAT, PROMOTIONAL, …)
	Components      []TemplateComponent
	RawComponents   json.RawMessage
}

// templateWire is Template's JSON; components are decoded in a second step
// so the raw form is kept.
type templateWire struct {
	ID              string          `json:"id"`
	Name            string          `json:"name"`
	Language        string          `json:"language"`
	Category        string          `json:"category"`
	SubCategory     string          `json:"sub_category,omitempty"`
	Status          string          `json:"status"`
	ParameterFormat string          `json:"parameter_format,omitempty"`
	RejectedReason  string          `json:"rejected_reason,omitempty"`
	Components      json.RawMessage `json:"components,omitempty"`
}

func (t *Template) UnmarshalJSON(b []byte) error {
	var w templateWire
	if err := json.Unmarshal(b, &w); err != nil {
		return err
	}
	*t = Template{
		ID: w.ID, Name: w.Name, Language: w.Language, Category: w.Category, SubCategory: w.SubCategory,
		Status: w.Status, ParameterFormat: w.ParameterFormat, RejectedReason: w.RejectedReason,
	}
	if len(w.Components) > 0 && string(w.Components) != "null" {
		t.RawComponents = w.Components
		if err := json.Unmarshal(w.Components, &t.Components); err != nil {
			return fmt.Errorf("graph: template %s components: %w", w.Name, err)
		}
	}
	return nil
}

// MarshalJSON writes Graph's shape, with the raw components when known, so a
// stored Template loads back whole.
func (t Template) MarshalJSON() ([]byte, error) {
	w := templateWire{
		ID: t.ID, Name: t.Name, Language: t.Language, Category: t.Category, SubCategory: t.SubCategory,
		Status: t.Status, ParameterFormat: t.ParameterFormat, RejectedReason: t.RejectedReason,
		Components: t.RawComponents,
	}
	if len(w.Components) == 0 && t.Components != nil {
		b, err := json.Marshal(t.Components)
		if err != nil {
			return nil, err
		}
		w.Components = b
	}
	return json.Marshal(w)
}

// TemplateComponent is a HEADER, BODY, FOOTER or BUTTONS component (§7.3),
// the same shape in list answers and in creation requests.
type TemplateComponent struct {
	Type    string           `json:"type"`             // HEADER, BODY, FOOTER, BUTTONS
	Format  string           `json:"format,omitempty"` // HEADER: TEXT, IMAGE, VIDEO, DOCUMENT, GIF, LOCATION
	Text    string           `json:"text,omitempty"`
	Example *TemplateExample `json:"example,omitempty"`
	Buttons []TemplateButton `json:"buttons,omitempty"`
	// Authentication templates.
	AddSecurityRecommendation bool `json:"add_security_recommendation,omitempty"`
	CodeExpirationMinutes     int  `json:"code_expiration_minutes,omitempty"`
}

// TemplateExample holds the sample values Meta's review requires for every
// variable (and the handle of a sample media header).
type TemplateExample struct {
	HeaderText            []string            `json:"header_text,omitempty"`
	HeaderTextNamedParams []NamedParamExample `json:"header_text_named_params,omitempty"`
	HeaderHandle          []string            `json:"header_handle,omitempty"` // from the Resumable Upload API
	BodyText              [][]string          `json:"body_text,omitempty"`
	BodyTextNamedParams   []NamedParamExample `json:"body_text_named_params,omitempty"`
}

type NamedParamExample struct {
	ParamName string `json:"param_name"`
	Example   string `json:"example"`
}

// TemplateButton is one button of a BUTTONS component. Example is raw
// because its shape varies: a list for URL buttons, a string for COPY_CODE.
type TemplateButton struct {
	Type        string          `json:"type"` // QUICK_REPLY, URL, PHONE_NUMBER, COPY_CODE, OTP, FLOW, …
	Text        string          `json:"text,omitempty"`
	URL         string          `json:"url,omitempty"`
	PhoneNumber string          `json:"phone_number,omitempty"`
	OTPType     string          `json:"otp_type,omitempty"`
	Example     json.RawMessage `json:"example,omitempty"`
}

// Variables are the button's {{…}} variables: a dynamic URL button has one,
// filled at send time with URLButton.
func (b TemplateButton) Variables() []string { return templateVars(b.URL) }

// component returns the first component of type typ (upper-case), or nil.
func (t Template) component(typ string) *TemplateComponent {
	for i := range t.Components {
		if strings.EqualFold(t.Components[i].Type, typ) {
			return &t.Components[i]
		}
	}
	return nil
}

// HeaderFormat is TEXT, IMAGE, VIDEO, DOCUMENT, GIF or LOCATION, or "" when
// the template has no header. A non-TEXT header takes exactly one parameter
// of that kind at send time.
func (t Template) HeaderFormat() string {
	if h := t.component("HEADER"); h != nil {
		return strings.ToUpper(h.Format)
	}
	return ""
}

// HeaderVariables are the {{…}} variables of a TEXT header, in order of first
// appearance: "1" for positional templates, names for NAMED ones.
func (t Template) HeaderVariables() []string {
	if h := t.component("HEADER"); h != nil && strings.EqualFold(h.Format, "TEXT") {
		return templateVars(h.Text)
	}
	return nil
}

// BodyVariables are the body's distinct {{…}} variables in order of first
// appearance; a send gives one body parameter per variable. Authentication
// templates, whose body Meta writes, take one: the code.
func (t Template) BodyVariables() []string {
	b := t.component("BODY")
	if b == nil {
		return nil
	}
	if b.Text == "" && strings.EqualFold(t.Category, "AUTHENTICATION") {
		return []string{"1"}
	}
	return templateVars(b.Text)
}

// Buttons are the template's buttons in order; a button's index in a send is
// its position here.
func (t Template) Buttons() []TemplateButton {
	if b := t.component("BUTTONS"); b != nil {
		return b.Buttons
	}
	return nil
}

// templateVars returns the distinct {{…}} names of text in order of first
// appearance.
func templateVars(text string) []string {
	var vars []string
	rest := text
	for {
		i := strings.Index(rest, "{{")
		if i < 0 {
			return vars
		}
		rest = rest[i+2:]
		j := strings.Index(rest, "}}")
		if j < 0 {
			return vars
		}
		if name := strings.TrimSpace(rest[:j]); name != "" && !slices.Contains(vars, name) {
			vars = append(vars, name)
		}
		rest = rest[j+2:]
	}
}

// defaultPageSize is the limit asked per template page: Graph's default is
// 25, and fewer pages spare the WABA's hourly call quota (§8.5).
const defaultPageSize = 100

// maxTemplatePages stops a paging loop that never ends (6,000 templates, the
// most a WABA can have, is 60 pages).
const maxTemplatePages = 1000

// templateFields are the fields asked of list answers (§7.1).
const templateFields = "id,name,language,status,category,sub_category,parameter_format,components,rejected_reason"

// ListTemplates returns every template of the WABA, following Graph's
// paging.next cursors until the last page.
//
// The next URL is not fetched as given: its query (cursor, fields, limit) is
// applied to our own base URL. Graph's next URLs carry the access token in the
// query and name Graph's host, which a sandbox proxy path would lose; the
// token stays in the header and goes only where BaseURL points.
func (c *Client) ListTemplates(ctx context.Context, token, wabaID string) ([]Template, error) {
	size := c.pageSize
	if size <= 0 {
		size = defaultPageSize
	}
	q := url.Values{"fields": {templateFields}, "limit": {strconv.Itoa(size)}}
	base := c.endpoint(wabaID, "message_templates")
	var out []Template
	seen := map[string]bool{}
	for range maxTemplatePages {
		var page struct {
			Data   []Template `json:"data"`
			Paging struct {
				Cursors struct {
					After string `json:"after"`
				} `json:"cursors"`
				Next string `json:"next"`
			} `json:"paging"`
		}
		if err := c.callJSON(ctx, http.MethodGet, base+"?"+q.Encode(), token, nil, &page); err != nil {
			return nil, err
		}
		out = append(out, page.Data...)
		if page.Paging.Next == "" || len(page.Data) == 0 {
			return out, nil
		}
		next, err := url.Parse(page.Paging.Next)
		if err != nil {
			return nil, fmt.Errorf("graph: template paging: bad next URL: %w", err)
		}
		nq := next.Query()
		nq.Del("access_token")
		if nq.Get("after") == "" {
			nq.Set("after", page.Paging.Cursors.After)
		}
		after := nq.Get("after")
		if after == "" || seen[after] {
			return nil, errors.New("graph: template paging does not advance")
		}
		seen[after] = true
		q = nq
	}
	return nil, fmt.Errorf("graph: template paging exceeds %d pages", maxTemplatePages)
}

// TemplateDraft is a template to submit for review (§7.1, §7.3). Name is
// lowercase letters, digits and underscores; Language a code such as en_US;
// Category MARKETING, UTILITY or AUTHENTICATION; ParameterFormat "named" or
// "positional" (Meta's default when empty). Every variable needs an example.
// RawComponents, when set, is sent instead of Components, for component
// kinds the types do not cover.
type TemplateDraft struct {
	Name            string
	Language        string
	Category        string
	ParameterFormat string
	Components      []TemplateComponent
	RawComponents   json.RawMessage
}

// CreateTemplate submits a template for review. Meta answers at once with
// its id and status (usually PENDING; APPROVED or REJECTED can be immediate);
// the decision comes later as a message_template_status_update webhook.
// Creation errors are code 100 with a 2388xxx Subcode and a UserMessage
// worth showing; 2388019 (top-level code or subcode) is the template limit.
func (c *Client) CreateTemplate(ctx context.Context, token, wabaID string, d TemplateDraft) (id, status string, err error) {
	if d.Name == "" || d.Language == "" || d.Category == "" {
		return "", "", fmt.Errorf("graph: a template needs name, language and category")
	}
	comps := d.RawComponents
	if len(comps) == 0 {
		if comps, err = json.Marshal(d.Components); err != nil {
			return "", "", err
		}
	}
	body := struct {
		Name            string          `json:"name"`
		Language        string          `json:"language"`
		Category        string          `json:"category"`
		ParameterFormat string          `json:"parameter_format,omitempty"`
		Components      json.RawMessage `json:"components"`
	}{d.Name, d.Language, d.Category, d.ParameterFormat, comps}
	var ans struct {
		ID     string `json:"id"`
		Status string `json:"status"`
	}
	if err := c.callJSON(ctx, http.MethodPost, c.endpoint(wabaID, "message_templates"), token, body, &ans); err != nil {
		return "", "", err
	}
	if ans.ID == "" {
		return "", "", errors.New("graph: template creation answer without an id")
	}
	return ans.ID, ans.Status, nil
}

// DeleteTemplate deletes a template. With hsmID (the template id) only that
// language version goes; without, every language of name does (§7.1). A
// deleted approved name cannot be reused for 30 days.
func (c *Client) DeleteTemplate(ctx context.Context, token, wabaID, name, hsmID string) error {
	if name == "" {
		return errors.New("graph: deleting a template needs its name")
	}
	q := url.Values{"name": {name}}
	if hsmID != "" {
		q.Set("hsm_id", hsmID)
	}
	return c.callSuccess(ctx, http.MethodDelete, c.endpoint(wabaID, "message_templates")+"?"+q.Encode(), token, nil)
}
