package template

import (
	"net/url"
	"strconv"
	"strings"
	"unicode/utf8"

	"switchboard/internal/domain"
)

// Check applies Meta's rules for creating a template (§7.1, §7.3, and the
// refusals Meta answers with 2388xxx) to a draft and returns every problem,
// each addressed to the editor's field (a message key the catalog
// translates). Nothing is returned for a draft Meta would accept as far as
// its rules are written down; its review may still reject it.
func Check(d Draft) []domain.FieldError {
	var c checker
	c.name(d.Name)
	c.language(d.Language)
	switch d.Category {
	case Marketing, Utility, Authentication:
	case "":
		c.fail("category", "admin.tpl.err.category_required")
	default:
		c.fail("category", "admin.tpl.err.category")
	}
	if d.UseCase != "" && CategoryOf(d.UseCase) == "" {
		c.fail("use_case", "admin.tpl.err.use_case")
	}
	if d.Category == Authentication {
		c.authentication(d)
		return c.out
	}
	c.header(d)
	c.body(d)
	c.footer(d.Footer)
	c.buttons(d.Buttons)
	return c.out
}

type checker struct{ out []domain.FieldError }

func (c *checker) fail(field, key string) {
	c.out = append(c.out, domain.FieldError{Field: field, Key: key})
}

func runes(s string) int { return utf8.RuneCountInString(s) }

func (c *checker) name(name string) {
	switch {
	case name == "":
		c.fail("name", "admin.tpl.err.name_required")
	case len(name) > MaxName:
		c.fail("name", "admin.tpl.err.name_long")
	default:
		for _, r := range name {
			if !(r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '_') {
				c.fail("name", "admin.tpl.err.name_chars")
				return
			}
		}
	}
}

// language accepts Meta's codes: "it", "en_US", "pt_BR", "zh_HK".
func (c *checker) language(code string) {
	if !ValidLanguage(code) {
		c.fail("language", "admin.tpl.err.language")
	}
}

// ValidLanguage reports whether code is written as Meta's language codes
// are: two or three lower-case letters, then optionally _ and a region.
func ValidLanguage(code string) bool {
	base, region, hasRegion := strings.Cut(code, "_")
	if len(base) < 2 || len(base) > 3 || strings.ToLower(base) != base || !letters(base) {
		return false
	}
	if !hasRegion {
		return true
	}
	return len(region) >= 2 && len(region) <= 4 && alnum(region)
}

func letters(s string) bool {
	for _, r := range s {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z') {
			return false
		}
	}
	return true
}

func alnum(s string) bool {
	for _, r := range s {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9') {
			return false
		}
	}
	return true
}

// positional checks that text's variables are {{1}}, {{2}}, … first used in
// that order, and returns how many there are (-1 after a problem).
func (c *checker) positional(field, text string) int {
	vars, balanced := Vars(text)
	if !balanced {
		c.fail(field, "admin.tpl.err.braces")
		return -1
	}
	for i, v := range vars {
		n, err := strconv.Atoi(v)
		if err != nil {
			c.fail(field, "admin.tpl.err.var_name")
			return -1
		}
		if n != i+1 {
			c.fail(field, "admin.tpl.err.var_order")
			return -1
		}
	}
	return len(vars)
}

// example checks one sample value.
func (c *checker) example(field, v string) {
	switch {
	case strings.TrimSpace(v) == "":
		c.fail(field, "admin.tpl.err.example_required")
	case runes(v) > MaxExample:
		c.fail(field, "admin.tpl.err.example_long")
	case strings.ContainsAny(v, "\n\r\t"):
		c.fail(field, "admin.tpl.err.example_line")
	}
}

func (c *checker) header(d Draft) {
	switch d.HeaderKind {
	case HeaderNone:
	case HeaderText:
		n := runes(d.HeaderText)
		switch {
		case strings.TrimSpace(d.HeaderText) == "":
			c.fail("header_text", "admin.tpl.err.header_required")
			return
		case n > MaxHeaderText:
			c.fail("header_text", "admin.tpl.err.header_long")
			return
		case strings.ContainsAny(d.HeaderText, "\n\r"):
			c.fail("header_text", "admin.tpl.err.header_line")
			return
		}
		switch vars := c.positional("header_text", d.HeaderText); {
		case vars > 1:
			c.fail("header_text", "admin.tpl.err.header_vars")
		case vars == 1:
			c.example("header_example", d.HeaderExample)
		}
	case HeaderImage, HeaderVideo, HeaderDocument:
		switch h := strings.TrimSpace(d.HeaderHandle); {
		case h == "":
			c.fail("header_handle", "admin.tpl.err.handle_required")
		case len(h) > MaxHandle || strings.ContainsAny(h, " \n\r\t"):
			c.fail("header_handle", "admin.tpl.err.handle")
		}
	default:
		c.fail("header_kind", "admin.tpl.err.header_kind")
	}
}

func (c *checker) body(d Draft) {
	n := runes(d.Body)
	switch {
	case strings.TrimSpace(d.Body) == "":
		c.fail("body", "admin.tpl.err.body_required")
		return
	case n > MaxBody:
		c.fail("body", "admin.tpl.err.body_long")
		return
	}
	vars := c.positional("body", d.Body)
	if vars <= 0 {
		return
	}
	// Meta refuses a body that starts or ends with a variable (2388299).
	trimmed := strings.TrimSpace(d.Body)
	if strings.HasPrefix(trimmed, "{{") || strings.HasSuffix(trimmed, "}}") {
		c.fail("body", "admin.tpl.err.var_edge")
	}
	for i := range vars {
		v := ""
		if i < len(d.BodyExamples) {
			v = d.BodyExamples[i]
		}
		c.example("body_example_"+strconv.Itoa(i+1), v)
	}
}

func (c *checker) footer(text string) {
	if text == "" {
		return
	}
	switch vars, balanced := Vars(text); {
	case runes(text) > MaxFooter:
		c.fail("footer", "admin.tpl.err.footer_long")
	case strings.ContainsAny(text, "\n\r"):
		c.fail("footer", "admin.tpl.err.footer_line")
	case len(vars) > 0 || !balanced:
		c.fail("footer", "admin.tpl.err.footer_vars")
	}
}

func (c *checker) buttons(bs []Button) {
	if len(bs) > MaxButtons {
		c.fail("buttons", "admin.tpl.err.buttons_many")
		return
	}
	count := map[string]int{}
	groups := 0
	for i, b := range bs {
		f := func(what string) string { return "button_" + what + "_" + strconv.Itoa(i+1) }
		count[b.Kind]++
		if b.Kind == QuickReply && (i == 0 || bs[i-1].Kind != QuickReply) {
			groups++
		}
		switch b.Kind {
		case QuickReply, URLButton, Phone:
			switch {
			case strings.TrimSpace(b.Text) == "":
				c.fail(f("text"), "admin.tpl.err.label_required")
			case runes(b.Text) > MaxButtonLabel:
				c.fail(f("text"), "admin.tpl.err.label_long")
			case strings.ContainsAny(b.Text, "\n\r") || strings.Contains(b.Text, "{{"):
				c.fail(f("text"), "admin.tpl.err.label_plain")
			}
		}
		switch b.Kind {
		case QuickReply:
		case URLButton:
			c.url(f("url"), f("example"), b)
		case Phone:
			if !phoneNumber(b.Phone) {
				c.fail(f("phone"), "admin.tpl.err.phone")
			}
		case CopyCode:
			switch {
			case strings.TrimSpace(b.Example) == "":
				c.fail(f("example"), "admin.tpl.err.code_required")
			case runes(b.Example) > MaxCopyExample:
				c.fail(f("example"), "admin.tpl.err.code_long")
			case strings.ContainsAny(b.Example, " \n\r\t"):
				c.fail(f("example"), "admin.tpl.err.code_plain")
			}
		default:
			c.fail(f("kind"), "admin.tpl.err.button_kind")
		}
	}
	switch {
	case count[QuickReply] > MaxQuickReplies:
		c.fail("buttons", "admin.tpl.err.quick_many")
	case count[URLButton] > MaxURLButtons:
		c.fail("buttons", "admin.tpl.err.url_many")
	case count[Phone] > MaxPhoneButtons:
		c.fail("buttons", "admin.tpl.err.phone_many")
	case count[CopyCode] > MaxCopyButtons:
		c.fail("buttons", "admin.tpl.err.copy_many")
	case groups > 1:
		c.fail("buttons", "admin.tpl.err.quick_group")
	}
}

// url checks a URL button: http(s), at most one variable, {{1}}, at the
// very end, with a sample value.
func (c *checker) url(field, exampleField string, b Button) {
	raw := strings.TrimSpace(b.URL)
	vars, balanced := Vars(raw)
	base := strings.TrimSuffix(raw, "{{1}}")
	u, err := url.Parse(base)
	switch {
	case raw == "":
		c.fail(field, "admin.tpl.err.url_required")
	case len(raw) > MaxURL:
		c.fail(field, "admin.tpl.err.url_long")
	case err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" || strings.ContainsAny(raw, " \n\t"):
		c.fail(field, "admin.tpl.err.url")
	case !balanced || len(vars) > 1 || (len(vars) == 1 && (vars[0] != "1" || !strings.HasSuffix(raw, "{{1}}"))) || strings.Contains(base, "{{"):
		c.fail(field, "admin.tpl.err.url_var")
	case len(vars) == 1:
		c.example(exampleField, b.Example)
	}
}

// phoneNumber is the international form WhatsApp dials: +, then 7 to 15
// digits (E.164), within Meta's 20 characters.
func phoneNumber(s string) bool {
	if len(s) > MaxPhone || !strings.HasPrefix(s, "+") {
		return false
	}
	digits := s[1:]
	if len(digits) < 7 || len(digits) > 15 || digits[0] == '0' {
		return false
	}
	for _, r := range digits {
		if r < '0' || r > '9' {
			return false
		}
	}
	return true
}

// authentication: Meta writes the text of authentication templates (the
// code, the optional security note and expiry); no header, media, links or
// other buttons are allowed (§7.2).
func (c *checker) authentication(d Draft) {
	if d.HeaderKind != HeaderNone || strings.TrimSpace(d.Body) != "" || d.Footer != "" || len(d.Buttons) > 0 {
		c.fail("category", "admin.tpl.err.auth_content")
	}
	if d.CodeExpiry < 0 || d.CodeExpiry > MaxCodeExpiry {
		c.fail("code_expiry", "admin.tpl.err.code_expiry")
	}
	switch {
	case runes(d.OTPLabel) > MaxButtonLabel:
		c.fail("otp_label", "admin.tpl.err.label_long")
	case strings.ContainsAny(d.OTPLabel, "\n\r{}"):
		c.fail("otp_label", "admin.tpl.err.label_plain")
	}
}
