// Package template is a message template as an administrator writes it:
// the editor's fields, Meta's limits checked on them (the same rules the
// editor's script checks as one types), the seed's use cases mapped onto
// Meta's categories, and the conversion to and from Meta's components.
// It is pure: no storage, no HTTP.
package template

import (
	"encoding/json"
	"strconv"
	"strings"

	"switchboard/internal/whatsapp/graph"
)

// Meta's limits (whatsapp-cloud-api.md §7.1, §7.3).
const (
	MaxName          = 512
	MaxHeaderText    = 60
	MaxBody          = 1024
	MaxFooter        = 60
	MaxButtons       = 10
	MaxQuickReplies  = 10
	MaxURLButtons    = 2
	MaxPhoneButtons  = 1
	MaxCopyButtons   = 1
	MaxButtonLabel   = 25
	MaxPhone         = 20
	MaxCopyExample   = 15
	MaxURL           = 2000
	MaxExample       = 200 // our bound on a sample value; Meta reviews them by eye
	MaxHandle        = 1000
	MaxCodeExpiry    = 90 // minutes, for authentication templates
	copyCodeLabel    = "Copy code"
	otpLabelFallback = "Copy code"
)

// Header kinds the editor offers.
const (
	HeaderNone     = ""
	HeaderText     = "TEXT"
	HeaderImage    = "IMAGE"
	HeaderVideo    = "VIDEO"
	HeaderDocument = "DOCUMENT"
)

// Button kinds the editor offers.
const (
	QuickReply = "QUICK_REPLY"
	URLButton  = "URL"
	Phone      = "PHONE_NUMBER"
	CopyCode   = "COPY_CODE"
)

// Meta's categories.
const (
	Marketing      = "MARKETING"
	Utility        = "UTILITY"
	Authentication = "AUTHENTICATION"
)

// Categories lists Meta's categories in the order the editor shows them.
func Categories() []string { return []string{Utility, Marketing, Authentication} }

// UseCase is one entry of the seed's list of (Meta's former) categories,
// kept as the template's use case, and the category it maps onto.
type UseCase struct {
	Key      string // account_update, …
	Category string
}

// UseCases is the seed's list, each mapped onto today's category: they
// were all transactional, so UTILITY. Two entries the seed lacks cover
// Meta's other categories: promotions (MARKETING) and one-time passwords
// (AUTHENTICATION).
func UseCases() []UseCase {
	return []UseCase{
		{"account_update", Utility}, {"alert_update", Utility}, {"appointment_update", Utility},
		{"auto_reply", Utility}, {"issue_resolution", Utility}, {"payment_update", Utility},
		{"personal_finance_update", Utility}, {"reservation_update", Utility}, {"shipping_update", Utility},
		{"ticket_update", Utility}, {"transportation_update", Utility},
		{"promotion", Marketing}, {"one_time_password", Authentication},
	}
}

// CategoryOf is the category a use case proposes ("" for an unknown one).
func CategoryOf(useCase string) string {
	for _, u := range UseCases() {
		if u.Key == useCase {
			return u.Category
		}
	}
	return ""
}

// Button is one button of the editor.
type Button struct {
	Kind    string // QUICK_REPLY, URL, PHONE_NUMBER, COPY_CODE
	Text    string // the label (COPY_CODE's is Meta's own)
	URL     string // URL: may end in {{1}}
	Phone   string // PHONE_NUMBER: international form
	Example string // URL with {{1}}: the sample value; COPY_CODE: a sample code
}

// Draft is a template as the editor holds it.
type Draft struct {
	Name, Language, Category, UseCase string

	HeaderKind    string // "", TEXT, IMAGE, VIDEO, DOCUMENT
	HeaderText    string
	HeaderExample string // the sample value of the text header's {{1}}
	HeaderHandle  string // a media header's sample: Meta's upload handle

	Body         string
	BodyExamples []string // one sample per {{n}}, in order

	Footer  string
	Buttons []Button

	// Authentication templates: Meta writes the body, the footer and the
	// button; the administrator chooses these options.
	SecurityNote bool
	CodeExpiry   int    // minutes, 0 for none
	OTPLabel     string // the copy-code button's label
}

// Vars returns the distinct {{…}} names of text in order of first
// appearance (trimmed), and whether every {{ was closed and every }} opened.
func Vars(text string) (vars []string, balanced bool) {
	rest := text
	for {
		i := strings.Index(rest, "{{")
		if i < 0 {
			return vars, !strings.Contains(rest, "}}")
		}
		if strings.Contains(rest[:i], "}}") {
			return vars, false
		}
		rest = rest[i+2:]
		j := strings.Index(rest, "}}")
		if j < 0 {
			return vars, false
		}
		name := strings.TrimSpace(rest[:j])
		if name == "" || strings.ContainsAny(name, "{}") {
			return vars, false
		}
		seen := false
		for _, v := range vars {
			seen = seen || v == name
		}
		if !seen {
			vars = append(vars, name)
		}
		rest = rest[j+2:]
	}
}

// Components is the draft in Meta's shape, as a creation request sends it.
func (d Draft) Components() []graph.TemplateComponent {
	if d.Category == Authentication {
		body := graph.TemplateComponent{Type: "BODY", AddSecurityRecommendation: d.SecurityNote}
		out := []graph.TemplateComponent{body}
		if d.CodeExpiry > 0 {
			out = append(out, graph.TemplateComponent{Type: "FOOTER", CodeExpirationMinutes: d.CodeExpiry})
		}
		label := d.OTPLabel
		if label == "" {
			label = otpLabelFallback
		}
		return append(out, graph.TemplateComponent{Type: "BUTTONS", Buttons: []graph.TemplateButton{{Type: "OTP", OTPType: "COPY_CODE", Text: label}}})
	}
	var out []graph.TemplateComponent
	switch d.HeaderKind {
	case HeaderText:
		h := graph.TemplateComponent{Type: "HEADER", Format: HeaderText, Text: d.HeaderText}
		if vars, _ := Vars(d.HeaderText); len(vars) > 0 {
			h.Example = &graph.TemplateExample{HeaderText: []string{d.HeaderExample}}
		}
		out = append(out, h)
	case HeaderImage, HeaderVideo, HeaderDocument:
		out = append(out, graph.TemplateComponent{Type: "HEADER", Format: d.HeaderKind,
			Example: &graph.TemplateExample{HeaderHandle: []string{d.HeaderHandle}}})
	}
	body := graph.TemplateComponent{Type: "BODY", Text: d.Body}
	if len(d.BodyExamples) > 0 {
		body.Example = &graph.TemplateExample{BodyText: [][]string{d.BodyExamples}}
	}
	out = append(out, body)
	if d.Footer != "" {
		out = append(out, graph.TemplateComponent{Type: "FOOTER", Text: d.Footer})
	}
	if len(d.Buttons) > 0 {
		bs := make([]graph.TemplateButton, 0, len(d.Buttons))
		for _, b := range d.Buttons {
			gb := graph.TemplateButton{Type: b.Kind, Text: b.Text}
			switch b.Kind {
			case URLButton:
				gb.URL = b.URL
				if vars, _ := Vars(b.URL); len(vars) > 0 {
					gb.Example, _ = json.Marshal([]string{b.Example})
				}
			case Phone:
				gb.PhoneNumber = b.Phone
			case CopyCode:
				gb.Text = copyCodeLabel
				gb.Example, _ = json.Marshal(b.Example)
			}
			bs = append(bs, gb)
		}
		out = append(out, graph.TemplateComponent{Type: "BUTTONS", Buttons: bs})
	}
	return out
}

// FromComponents reads Meta's components (a stored draft, or a template
// Meta returned) back into the editor's fields; name, language, category
// and use case are the caller's.
func FromComponents(raw json.RawMessage, d *Draft) error {
	var comps []graph.TemplateComponent
	if len(raw) > 0 {
		if err := json.Unmarshal(raw, &comps); err != nil {
			return err
		}
	}
	for _, c := range comps {
		switch strings.ToUpper(c.Type) {
		case "HEADER":
			d.HeaderKind = strings.ToUpper(c.Format)
			d.HeaderText = c.Text
			if c.Example != nil {
				if len(c.Example.HeaderText) > 0 {
					d.HeaderExample = c.Example.HeaderText[0]
				}
				if len(c.Example.HeaderHandle) > 0 {
					d.HeaderHandle = c.Example.HeaderHandle[0]
				}
			}
		case "BODY":
			d.Body = c.Text
			d.SecurityNote = c.AddSecurityRecommendation
			if c.Example != nil && len(c.Example.BodyText) > 0 {
				d.BodyExamples = append([]string(nil), c.Example.BodyText[0]...)
			}
		case "FOOTER":
			d.Footer = c.Text
			d.CodeExpiry = c.CodeExpirationMinutes
		case "BUTTONS":
			for _, b := range c.Buttons {
				if strings.ToUpper(b.Type) == "OTP" {
					d.OTPLabel = b.Text
					continue
				}
				eb := Button{Kind: strings.ToUpper(b.Type), Text: b.Text, URL: b.URL, Phone: b.PhoneNumber, Example: exampleOf(b.Example)}
				if eb.Kind == CopyCode {
					eb.Text = ""
				}
				d.Buttons = append(d.Buttons, eb)
			}
		}
	}
	return nil
}

// exampleOf reads a button's example: a list (URL) or a string (COPY_CODE).
func exampleOf(raw json.RawMessage) string {
	var list []string
	if json.Unmarshal(raw, &list) == nil && len(list) > 0 {
		return list[0]
	}
	var one string
	_ = json.Unmarshal(raw, &one)
	return one
}

// Fill replaces {{n}} in text with values[n-1] (the preview's rule; a
// variable without a value stays as written).
func Fill(text string, values []string) string {
	var b strings.Builder
	rest := text
	for {
		i := strings.Index(rest, "{{")
		if i < 0 {
			b.WriteString(rest)
			return b.String()
		}
		j := strings.Index(rest[i:], "}}")
		if j < 0 {
			b.WriteString(rest)
			return b.String()
		}
		b.WriteString(rest[:i])
		name := strings.TrimSpace(rest[i+2 : i+j])
		if n, err := strconv.Atoi(name); err == nil && n >= 1 && n <= len(values) && values[n-1] != "" {
			b.WriteString(values[n-1])
		} else {
			b.WriteString(rest[i : i+j+2])
		}
		rest = rest[i+j+2:]
	}
}
