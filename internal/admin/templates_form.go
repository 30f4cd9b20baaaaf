package admin

import (
	"net/url"
	"strconv"
	"strings"

	"switchboard/internal/domain"
	"switchboard/internal/template"
	"switchboard/internal/ui"
)

// The template editor's form: its fields to and from template.Draft. The
// page always carries tplButtonRows button rows (the script shows the used
// ones and one more); a row whose kind is empty is no button.

const tplButtonRows = template.MaxButtons

// tplFields are the editor's single-valued fields.
var tplFields = []string{"number_id", "name", "language", "use_case", "category", "header_kind", "header_text",
	"header_example", "header_handle", "body", "footer", "security_note", "code_expiry", "otp_label"}

// tplButtonFields are each button row's fields, suffixed _1 … _10.
var tplButtonFields = []string{"kind", "text", "url", "phone", "example"}

// tplFormOf keeps everything posted, so a refused form shows what was
// typed.
func tplFormOf(post url.Values) *ui.Form {
	f := ui.NewForm()
	for _, k := range tplFields {
		f.Values[k] = post.Get(k)
	}
	for i := 1; i <= tplButtonRows; i++ {
		for _, k := range tplButtonFields {
			name := "button_" + k + "_" + strconv.Itoa(i)
			f.Values[name] = post.Get(name)
		}
	}
	for k, v := range post {
		if strings.HasPrefix(k, "body_example_") && len(v) > 0 {
			f.Values[k] = v[0]
		}
	}
	return f
}

// tplDraftOf reads the form into a draft, and the form row of each of the
// draft's buttons (rows left empty are skipped). The category defaults to
// the use case's. Authentication templates take only their options (Meta
// writes their text), whatever the hidden fields still hold.
func tplDraftOf(f *ui.Form) (template.Draft, []int) {
	v := f.Values
	d := template.Draft{
		Name: strings.TrimSpace(v["name"]), Language: strings.TrimSpace(v["language"]),
		Category: v["category"], UseCase: v["use_case"],
	}
	if d.Category == "" {
		d.Category = template.CategoryOf(d.UseCase)
	}
	if d.Category == template.Authentication {
		d.SecurityNote = v["security_note"] != ""
		d.OTPLabel = strings.TrimSpace(v["otp_label"])
		if s := strings.TrimSpace(v["code_expiry"]); s != "" {
			n, err := strconv.Atoi(s)
			if err != nil {
				n = -1 // refused by the check as out of range
			}
			d.CodeExpiry = n
		}
		return d, nil
	}
	d.HeaderKind = v["header_kind"]
	switch d.HeaderKind {
	case template.HeaderText:
		d.HeaderText = v["header_text"]
		if vars, _ := template.Vars(d.HeaderText); len(vars) > 0 {
			d.HeaderExample = v["header_example"]
		}
	case template.HeaderImage, template.HeaderVideo, template.HeaderDocument:
		d.HeaderHandle = strings.TrimSpace(v["header_handle"])
	}
	d.Body = strings.TrimRight(strings.ReplaceAll(v["body"], "\r\n", "\n"), "\n ")
	vars, _ := template.Vars(d.Body)
	for i := range vars {
		d.BodyExamples = append(d.BodyExamples, v["body_example_"+strconv.Itoa(i+1)])
	}
	d.Footer = strings.TrimSpace(v["footer"])
	var rows []int
	for i := 1; i <= tplButtonRows; i++ {
		s := strconv.Itoa(i)
		kind := v["button_kind_"+s]
		if kind == "" {
			continue
		}
		b := template.Button{Kind: kind, Text: strings.TrimSpace(v["button_text_"+s])}
		switch kind {
		case template.URLButton:
			b.URL = strings.TrimSpace(v["button_url_"+s])
			if vars, _ := template.Vars(b.URL); len(vars) > 0 {
				b.Example = strings.TrimSpace(v["button_example_"+s])
			}
		case template.Phone:
			b.Phone = strings.ReplaceAll(strings.TrimSpace(v["button_phone_"+s]), " ", "")
		case template.CopyCode:
			b.Text = ""
			b.Example = strings.TrimSpace(v["button_example_"+s])
		}
		d.Buttons = append(d.Buttons, b)
		rows = append(rows, i)
	}
	return d, rows
}

// tplFail puts the check's problems beside their fields, a button's on its
// form row.
func tplFail(f *ui.Form, problems []domain.FieldError, rows []int) {
	for _, p := range problems {
		field := p.Field
		if rest, ok := strings.CutPrefix(field, "button_"); ok {
			if what, idx, ok := strings.Cut(rest, "_"); ok {
				if n, err := strconv.Atoi(idx); err == nil && n >= 1 && n <= len(rows) {
					field = "button_" + what + "_" + strconv.Itoa(rows[n-1])
				}
			}
		}
		if _, taken := f.Errors[field]; !taken {
			f.Fail(field, p.Key)
		}
	}
}

// tplFormOfDraft fills the editor from a stored draft.
func tplFormOfDraft(numberID string, d template.Draft) *ui.Form {
	f := ui.NewForm()
	v := f.Values
	v["number_id"], v["name"], v["language"], v["use_case"], v["category"] = numberID, d.Name, d.Language, d.UseCase, d.Category
	v["header_kind"], v["header_text"], v["header_example"], v["header_handle"] = d.HeaderKind, d.HeaderText, d.HeaderExample, d.HeaderHandle
	v["body"], v["footer"], v["otp_label"] = d.Body, d.Footer, d.OTPLabel
	if d.SecurityNote {
		v["security_note"] = "on"
	}
	if d.CodeExpiry > 0 {
		v["code_expiry"] = strconv.Itoa(d.CodeExpiry)
	}
	for i, e := range d.BodyExamples {
		v["body_example_"+strconv.Itoa(i+1)] = e
	}
	for i, b := range d.Buttons {
		if i >= tplButtonRows {
			break
		}
		s := strconv.Itoa(i + 1)
		v["button_kind_"+s], v["button_text_"+s], v["button_url_"+s], v["button_phone_"+s], v["button_example_"+s] = b.Kind, b.Text, b.URL, b.Phone, b.Example
	}
	return f
}

// tplExampleCount is how many example inputs the body needs now.
func tplExampleCount(f *ui.Form) int {
	vars, _ := template.Vars(f.Values["body"])
	return len(vars)
}
