package fakemeta

import (
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"
)

// tmplComponent is a template component as created (§7.3).
type tmplComponent struct {
	Type                      string       `json:"type"`
	Format                    string       `json:"format"`
	Text                      string       `json:"text"`
	Example                   *tmplExample `json:"example"`
	Buttons                   []tmplButton `json:"buttons"`
	AddSecurityRecommendation bool         `json:"add_security_recommendation"`
	CodeExpirationMinutes     int          `json:"code_expiration_minutes"`
}

type tmplExample struct {
	HeaderText            []string       `json:"header_text"`
	HeaderTextNamedParams []namedExample `json:"header_text_named_params"`
	HeaderHandle          []string       `json:"header_handle"`
	BodyText              [][]string     `json:"body_text"`
	BodyTextNamedParams   []namedExample `json:"body_text_named_params"`
}

type namedExample struct {
	ParamName string `json:"param_name"`
	Example   string `json:"example"`
}

type tmplButton struct {
	Type        string          `json:"type"`
	Text        string          `json:"text"`
	URL         string          `json:"url"`
	PhoneNumber string          `json:"phone_number"`
	Example     json.RawMessage `json:"example"`
	OTPType     string          `json:"otp_type"`
}

// validateTemplateCreate applies §7.1/§7.3 to a create (or edited) template.
// Format errors carry the 2388xxx subcodes the contract lists.
func validateTemplateCreate(req createTemplateRequest) (*templateRecord, *apiError) {
	if req.Name == "" {
		return nil, invalid("Param name is required.")
	}
	if len(req.Name) > 512 || !isTemplateName(req.Name) {
		return nil, invalid("Param name must be at most 512 characters of lowercase letters, digits and underscores; got %q.", req.Name)
	}
	cat := strings.ToUpper(req.Category)
	switch cat {
	case "MARKETING", "UTILITY", "AUTHENTICATION":
	case "":
		return nil, invalid("Param category is required.")
	default:
		return nil, invalid("Param category must be MARKETING, UTILITY or AUTHENTICATION; got %q.", req.Category)
	}
	if !isLanguageCode(req.Language) {
		return nil, invalid("Param language must be a language code such as en_US or it; got %q.", req.Language)
	}
	format := strings.ToUpper(req.ParameterFormat)
	switch format {
	case "":
		format = "POSITIONAL"
	case "POSITIONAL", "NAMED":
	default:
		return nil, invalid("Param parameter_format must be named or positional; got %q.", req.ParameterFormat)
	}
	if len(req.Components) == 0 || string(req.Components) == "null" {
		return nil, invalid("Param components is required.")
	}
	var comps []tmplComponent
	if err := json.Unmarshal(req.Components, &comps); err != nil {
		return nil, invalid("Param components must be an array of component objects: %v", err)
	}
	seen := map[string]int{}
	for i := range comps {
		c := &comps[i]
		c.Type = strings.ToUpper(c.Type)
		c.Format = strings.ToUpper(c.Format)
		seen[c.Type]++
		var e *apiError
		switch c.Type {
		case "HEADER":
			e = checkHeader(c, cat, format)
		case "BODY":
			e = checkBody(c, cat, format)
		case "FOOTER":
			e = checkFooter(c)
		case "BUTTONS":
			e = checkButtons(c, cat)
		default:
			e = invalid("Param components[%d]['type'] must be HEADER, BODY, FOOTER or BUTTONS; got %q.", i, c.Type)
		}
		if e != nil {
			return nil, e
		}
	}
	if seen["BODY"] != 1 {
		return nil, invalid("A template needs exactly one BODY component; got %d.", seen["BODY"])
	}
	for _, t := range []string{"HEADER", "FOOTER", "BUTTONS"} {
		if seen[t] > 1 {
			return nil, invalid("A template allows at most one %s component.", t)
		}
	}
	if cat == "AUTHENTICATION" && seen["HEADER"] > 0 {
		return nil, invalid("AUTHENTICATION templates cannot have a header.")
	}
	return &templateRecord{
		Template: Template{
			Name: req.Name, Language: req.Language, Category: cat, ParameterFormat: format,
			Components: req.Components,
		},
		parsed: comps,
	}, nil
}

func checkHeader(c *tmplComponent, cat, format string) *apiError {
	switch c.Format {
	case "TEXT":
		n := utf8.RuneCountInString(c.Text)
		if n < 1 || n > 60 {
			return templateCreateError(2388040, "Header text is too long", "HEADER text must be 1 to 60 characters; got %d.", n)
		}
		vars, e := componentVars(c.Text, format, "HEADER")
		if e != nil {
			return e
		}
		if len(vars) > 1 {
			return templateCreateError(2388047, "Header format is incorrect", "HEADER text allows at most 1 parameter; got %d.", len(vars))
		}
		if len(vars) == 1 {
			ok := c.Example != nil && (len(c.Example.HeaderText) == 1 ||
				(len(c.Example.HeaderTextNamedParams) == 1 && c.Example.HeaderTextNamedParams[0].ParamName == vars[0]))
			if !ok {
				return invalid("HEADER text with a parameter needs an example (header_text or header_text_named_params).")
			}
		}
	case "IMAGE", "VIDEO", "DOCUMENT", "GIF":
		if c.Example == nil || len(c.Example.HeaderHandle) == 0 || c.Example.HeaderHandle[0] == "" {
			return invalid("A %s header needs an example header_handle (from the Resumable Upload API).", c.Format)
		}
	case "LOCATION":
		if cat != "UTILITY" && cat != "MARKETING" {
			return invalid("LOCATION headers are for UTILITY and MARKETING templates only.")
		}
	default:
		return templateCreateError(2388047, "Header format is incorrect", "HEADER format must be TEXT, IMAGE, VIDEO, DOCUMENT, GIF or LOCATION; got %q.", c.Format)
	}
	return nil
}

func checkBody(c *tmplComponent, cat, format string) *apiError {
	if cat == "AUTHENTICATION" && c.Text == "" {
		// Meta writes authentication bodies itself ("{{1}} is your
		// verification code"); the creator only sets options.
		return nil
	}
	n := utf8.RuneCountInString(c.Text)
	if n == 0 {
		return invalid("BODY text is required.")
	}
	if n > 1024 {
		return templateCreateError(2388040, "Message body is too long", "BODY text must be at most 1024 characters; got %d.", n)
	}
	vars, e := componentVars(c.Text, format, "BODY")
	if e != nil {
		return e
	}
	if len(vars) == 0 {
		return nil
	}
	trimmed := strings.TrimSpace(c.Text)
	if strings.HasPrefix(trimmed, "{{") || strings.HasSuffix(trimmed, "}}") {
		return templateCreateError(2388299, "Variables can't be at the start or end of the template", "BODY text cannot start or end with a parameter.")
	}
	if c.Example == nil {
		return invalid("BODY text with %d parameter(s) needs an example.", len(vars))
	}
	if format == "NAMED" {
		var names []string
		for _, p := range c.Example.BodyTextNamedParams {
			names = append(names, p.ParamName)
		}
		if !sameSet(names, vars) {
			return invalid("body_text_named_params must give one example per named parameter (%s).", strings.Join(vars, ", "))
		}
		return nil
	}
	if len(c.Example.BodyText) == 0 || len(c.Example.BodyText[0]) != len(vars) {
		return invalid("example body_text must give %d value(s), one per parameter.", len(vars))
	}
	return nil
}

func checkFooter(c *tmplComponent) *apiError {
	n := utf8.RuneCountInString(c.Text)
	if n < 1 || n > 60 {
		if c.CodeExpirationMinutes > 0 && n == 0 {
			return nil // authentication footer: Meta writes the text
		}
		return templateCreateError(2388073, "Footer format is incorrect", "FOOTER text must be 1 to 60 characters; got %d.", n)
	}
	if vars, err := templateVars(c.Text); err != nil || len(vars) > 0 {
		return templateCreateError(2388073, "Footer format is incorrect", "FOOTER text cannot have parameters.")
	}
	return nil
}

func checkButtons(c *tmplComponent, cat string) *apiError {
	bs := c.Buttons
	if len(bs) < 1 || len(bs) > 10 {
		return invalid("BUTTONS must have 1 to 10 buttons; got %d.", len(bs))
	}
	count := map[string]int{}
	var qrBlocks int
	for i := range bs {
		b := &bs[i]
		b.Type = strings.ToUpper(b.Type)
		count[b.Type]++
		if b.Type == "QUICK_REPLY" && (i == 0 || bs[i-1].Type != "QUICK_REPLY") {
			qrBlocks++
		}
		label := utf8.RuneCountInString(b.Text)
		switch b.Type {
		case "QUICK_REPLY", "URL", "PHONE_NUMBER":
			if label < 1 || label > 25 {
				return invalid("buttons[%d] text must be 1 to 25 characters; got %d.", i, label)
			}
		}
		switch b.Type {
		case "QUICK_REPLY":
		case "URL":
			if !strings.HasPrefix(b.URL, "https://") && !strings.HasPrefix(b.URL, "http://") {
				return invalid("buttons[%d] url must be an http(s) URL.", i)
			}
			vars, err := templateVars(b.URL)
			if err != nil || len(vars) > 1 || (len(vars) == 1 && (vars[0] != "1" || !strings.HasSuffix(b.URL, "}}"))) {
				return invalid("buttons[%d] url may have one parameter, {{1}}, at its end.", i)
			}
			if len(vars) == 1 && len(exampleStrings(b.Example)) == 0 {
				return invalid("buttons[%d] url with a parameter needs an example.", i)
			}
		case "PHONE_NUMBER":
			if n := len(b.PhoneNumber); n < 1 || n > 20 {
				return invalid("buttons[%d] phone_number must be 1 to 20 characters.", i)
			}
		case "COPY_CODE":
			ex := exampleStrings(b.Example)
			if len(ex) == 0 || utf8.RuneCountInString(ex[0]) > 15 {
				return invalid("buttons[%d] COPY_CODE needs an example of at most 15 characters.", i)
			}
		case "OTP":
			switch strings.ToUpper(b.OTPType) {
			case "COPY_CODE", "ONE_TAP", "ZERO_TAP":
			default:
				return invalid("buttons[%d] otp_type must be COPY_CODE, ONE_TAP or ZERO_TAP.", i)
			}
		case "VOICE_CALL", "MPM", "SPM", "FLOW", "CATALOG":
		default:
			return invalid("buttons[%d] type %q is not a template button type.", i, b.Type)
		}
		if (b.Type == "OTP") != (cat == "AUTHENTICATION") {
			return invalid("OTP buttons are for, and the only buttons of, AUTHENTICATION templates.")
		}
	}
	switch {
	case count["QUICK_REPLY"] > 10:
		return invalid("At most 10 QUICK_REPLY buttons.")
	case count["URL"] > 2:
		return invalid("At most 2 URL buttons.")
	case count["PHONE_NUMBER"] > 1:
		return invalid("At most 1 PHONE_NUMBER button.")
	case count["COPY_CODE"] > 1:
		return invalid("At most 1 COPY_CODE button.")
	case qrBlocks > 1:
		return invalid("QUICK_REPLY buttons must be grouped together, not mixed with other button types.")
	}
	return nil
}

// componentVars extracts and checks a component's parameters for the
// template's parameter_format.
func componentVars(text, format, where string) ([]string, *apiError) {
	vars, err := templateVars(text)
	if err != nil {
		return nil, templateCreateError(2388072, "Message body format is incorrect", "%s: %v", where, err)
	}
	if format == "NAMED" {
		for _, v := range vars {
			if !isParamName(v) {
				return nil, invalid("%s parameter {{%s}} is not a valid named parameter (lowercase letters, digits, underscores).", where, v)
			}
		}
		return vars, nil
	}
	for _, v := range vars {
		// Positional parameters must be {{1}} … {{n}} with no gaps.
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > len(vars) {
			return nil, invalid("%s parameters must be sequential {{1}}, {{2}}, …; found {{%s}}.", where, v)
		}
	}
	return vars, nil
}

// templateVars returns the distinct {{…}} parameters of text, in order of
// first appearance.
func templateVars(text string) ([]string, error) {
	var vars []string
	rest := text
	for {
		i := strings.Index(rest, "{{")
		if i < 0 {
			if strings.Contains(rest, "}}") {
				return nil, errors.New("unbalanced }}")
			}
			return vars, nil
		}
		if strings.Contains(rest[:i], "}}") {
			return nil, errors.New("unbalanced }}")
		}
		rest = rest[i+2:]
		j := strings.Index(rest, "}}")
		if j < 0 {
			return nil, errors.New("unclosed {{")
		}
		name := strings.TrimSpace(rest[:j])
		if name == "" || strings.ContainsAny(name, "{}") {
			return nil, fmt.Errorf("malformed parameter {{%s}}", rest[:j])
		}
		if !slices.Contains(vars, name) {
			vars = append(vars, name)
		}
		rest = rest[j+2:]
	}
}

// fillVars replaces each {{name}} in text with values[name].
func fillVars(text string, values map[string]string) string {
	var b strings.Builder
	rest := text
	for {
		i := strings.Index(rest, "{{")
		j := strings.Index(rest, "}}")
		if i < 0 || j < i {
			b.WriteString(rest)
			return b.String()
		}
		b.WriteString(rest[:i])
		b.WriteString(values[strings.TrimSpace(rest[i+2:j])])
		rest = rest[j+2:]
	}
}

// sendTemplate is the "template" object of a send (§4.2).
type sendTemplate struct {
	Name     string `json:"name"`
	Language *struct {
		Code   string `json:"code"`
		Policy string `json:"policy"`
	} `json:"language"`
	Components []sendTemplateComponent `json:"components"`
}

type sendTemplateComponent struct {
	Type       string              `json:"type"`
	SubType    string              `json:"sub_type"`
	Index      *flexIndex          `json:"index"`
	Parameters []sendTemplateParam `json:"parameters"`
}

// flexIndex accepts the button index as "0" (what SDKs send) or 0.
type flexIndex int

func (f *flexIndex) UnmarshalJSON(b []byte) error {
	s := strings.Trim(string(b), `"`)
	n, err := strconv.Atoi(s)
	if err != nil || n < 0 {
		return fmt.Errorf("index must be a non-negative integer, got %s", b)
	}
	*f = flexIndex(n)
	return nil
}

type sendTemplateParam struct {
	Type          string        `json:"type"`
	ParameterName string        `json:"parameter_name"`
	Text          *string       `json:"text"`
	Payload       *string       `json:"payload"`
	CouponCode    *string       `json:"coupon_code"`
	Currency      *currency     `json:"currency"`
	DateTime      *dateTime     `json:"date_time"`
	Image         *sendMedia    `json:"image"`
	Video         *sendMedia    `json:"video"`
	Document      *sendMedia    `json:"document"`
	Location      *sendLocation `json:"location"`
}

type currency struct {
	FallbackValue string `json:"fallback_value"`
	Code          string `json:"code"`
	Amount1000    *int64 `json:"amount_1000"`
}

type dateTime struct {
	FallbackValue string `json:"fallback_value"`
}

// renderedTemplate is what a template send shows the customer.
type renderedTemplate struct {
	text    string
	media   *EventMedia
	uses    []mediaUse
	choices []Choice
}

// checkTemplateSend matches a send's parameters with the approved template:
// counts (132000), types (132012), text rules (131008, 132018).
func checkTemplateSend(t *templateRecord, st *sendTemplate) (*renderedTemplate, *apiError) {
	var header, body *sendTemplateComponent
	buttons := map[int]*sendTemplateComponent{}
	for i := range st.Components {
		c := &st.Components[i]
		switch strings.ToLower(c.Type) {
		case "header":
			if header != nil {
				return nil, errorf(CodeTemplateParamCount, "The send has more than one header component.")
			}
			header = c
		case "body":
			if body != nil {
				return nil, errorf(CodeTemplateParamCount, "The send has more than one body component.")
			}
			body = c
		case "button":
			idx := int(*c.Index)
			if buttons[idx] != nil {
				return nil, invalid("Two button components have index %d.", idx)
			}
			buttons[idx] = c
		}
	}
	out := &renderedTemplate{}
	var parts []string
	var tmplButtons []tmplButton
	var footer string
	headerSeen := false
	for i := range t.parsed {
		c := &t.parsed[i]
		switch c.Type {
		case "HEADER":
			headerSeen = true
			txt, e := checkTemplateHeader(c, header, t.ParameterFormat, out)
			if e != nil {
				return nil, e
			}
			if txt != "" {
				parts = append(parts, txt)
			}
		case "BODY":
			text := c.Text
			if text == "" {
				text = "{{1}} is your verification code."
				if c.AddSecurityRecommendation {
					text += " For your security, do not share this code."
				}
			}
			vars, _ := templateVars(text)
			values, e := matchParams("body", vars, paramsOf(body), t.ParameterFormat, []string{"text", "currency", "date_time"})
			if e != nil {
				return nil, e
			}
			parts = append(parts, fillVars(text, values))
		case "FOOTER":
			footer = c.Text
			if footer == "" && c.CodeExpirationMinutes > 0 {
				footer = fmt.Sprintf("This code expires in %d minutes.", c.CodeExpirationMinutes)
			}
		case "BUTTONS":
			tmplButtons = c.Buttons
		}
	}
	if !headerSeen && header != nil && len(header.Parameters) > 0 {
		return nil, errorf(CodeTemplateParamCount, "The template has no header but the send gives header parameters.")
	}
	if footer != "" {
		parts = append(parts, footer)
	}
	for idx := range buttons {
		if idx >= len(tmplButtons) {
			return nil, errorf(CodeTemplateParamCount, "The send has a button component with index %d but the template has %d button(s).", idx, len(tmplButtons))
		}
	}
	for i, b := range tmplButtons {
		ch, e := checkTemplateButton(i, b, buttons[i])
		if e != nil {
			return nil, e
		}
		if ch != nil {
			out.choices = append(out.choices, *ch)
		}
	}
	out.text = strings.Join(parts, "\n")
	return out, nil
}

func paramsOf(c *sendTemplateComponent) []sendTemplateParam {
	if c == nil {
		return nil
	}
	return c.Parameters
}

func checkTemplateHeader(c *tmplComponent, send *sendTemplateComponent, format string, out *renderedTemplate) (string, *apiError) {
	params := paramsOf(send)
	switch c.Format {
	case "TEXT":
		vars, _ := templateVars(c.Text)
		values, e := matchParams("header", vars, params, format, []string{"text"})
		if e != nil {
			return "", e
		}
		return fillVars(c.Text, values), nil
	case "IMAGE", "VIDEO", "DOCUMENT", "GIF":
		if len(params) != 1 {
			return "", errorf(CodeTemplateParamCount, "The template's %s header expects 1 parameter; got %d.", c.Format, len(params))
		}
		p := params[0]
		want := strings.ToLower(c.Format)
		var m *sendMedia
		switch {
		case p.Type == want && want == "image":
			m = p.Image
		case p.Type == want && want == "document":
			m = p.Document
		case p.Type == "video" && (want == "video" || want == "gif"):
			m = p.Video
		default:
			return "", errorf(CodeTemplateParamFormat, "The template's header is %s; the parameter is %q.", c.Format, p.Type)
		}
		kind := p.Type
		em, use, e := checkMediaObject(m, kind, "template header "+kind)
		if e != nil {
			return "", e
		}
		out.media = em
		if use != nil {
			out.uses = append(out.uses, *use)
		}
		return "", nil
	case "LOCATION":
		if len(params) != 1 {
			return "", errorf(CodeTemplateParamCount, "The template's LOCATION header expects 1 parameter; got %d.", len(params))
		}
		p := params[0]
		if p.Type != "location" {
			return "", errorf(CodeTemplateParamFormat, "The template's header is LOCATION; the parameter is %q.", p.Type)
		}
		if p.Location == nil || p.Location.Latitude == nil || p.Location.Longitude == nil {
			return "", invalid("The location header parameter needs latitude and longitude.")
		}
		return strings.Join(nonEmpty(p.Location.Name, p.Location.Address), "\n"), nil
	}
	return "", nil
}

// matchParams pairs parameters with variables: by position, or by
// parameter_name for NAMED templates.
func matchParams(where string, vars []string, params []sendTemplateParam, format string, types []string) (map[string]string, *apiError) {
	if len(params) != len(vars) {
		return nil, errorf(CodeTemplateParamCount, "The template's %s expects %d parameter(s); got %d.", where, len(vars), len(params))
	}
	values := map[string]string{}
	for i, p := range params {
		if !slices.Contains(types, p.Type) {
			return nil, errorf(CodeTemplateParamFormat, "%s parameter %d has type %q; expected one of %s.", where, i+1, p.Type, strings.Join(types, ", "))
		}
		// Positional parameter i fills {{i+1}}, wherever it appears.
		name := strconv.Itoa(i + 1)
		if format == "NAMED" {
			if p.ParameterName == "" || !slices.Contains(vars, p.ParameterName) {
				return nil, errorf(CodeTemplateParamCount, "%s parameter %d must have parameter_name, one of %s.", where, i+1, strings.Join(vars, ", "))
			}
			name = p.ParameterName
			if _, dup := values[name]; dup {
				return nil, errorf(CodeTemplateParamCount, "%s parameter %q is given twice.", where, name)
			}
		}
		var v string
		switch p.Type {
		case "text":
			if p.Text == nil || *p.Text == "" {
				return nil, errorf(CodeMissingParameter, "%s parameter %d has no text.", where, i+1)
			}
			v = *p.Text
			if strings.ContainsAny(v, "\n\t") || strings.Contains(v, "     ") {
				return nil, newError(CodeTemplateParamText, "")
			}
		case "currency":
			if p.Currency == nil || p.Currency.FallbackValue == "" || p.Currency.Code == "" || p.Currency.Amount1000 == nil {
				return nil, errorf(CodeMissingParameter, "%s currency parameter %d needs fallback_value, code and amount_1000.", where, i+1)
			}
			v = p.Currency.FallbackValue
		case "date_time":
			if p.DateTime == nil || p.DateTime.FallbackValue == "" {
				return nil, errorf(CodeMissingParameter, "%s date_time parameter %d needs fallback_value.", where, i+1)
			}
			v = p.DateTime.FallbackValue
		}
		values[name] = v
	}
	return values, nil
}

// checkTemplateButton checks the send's parameters for template button i and
// returns what the customer can tap or open.
func checkTemplateButton(i int, b tmplButton, send *sendTemplateComponent) (*Choice, *apiError) {
	params := paramsOf(send)
	sub := ""
	if send != nil {
		sub = strings.ToLower(send.SubType)
	}
	wantSub := map[string]string{"QUICK_REPLY": "quick_reply", "URL": "url", "COPY_CODE": "copy_code", "OTP": "url"}[b.Type]
	if send != nil && wantSub != "" && sub != wantSub {
		return nil, errorf(CodeTemplateParamFormat, "Button %d is %s; the send's sub_type is %q.", i, b.Type, send.SubType)
	}
	one := func(typ string) (*sendTemplateParam, *apiError) {
		if len(params) != 1 {
			return nil, errorf(CodeTemplateParamCount, "Button %d (%s) expects 1 parameter; got %d.", i, b.Type, len(params))
		}
		if params[0].Type != typ {
			return nil, errorf(CodeTemplateParamFormat, "Button %d (%s) expects a %s parameter; got %q.", i, b.Type, typ, params[0].Type)
		}
		return &params[0], nil
	}
	switch b.Type {
	case "QUICK_REPLY":
		ch := &Choice{Kind: ChoiceQuickReply, ID: b.Text, Title: b.Text}
		if len(params) > 0 {
			p, e := one("payload")
			if e != nil {
				return nil, e
			}
			if p.Payload != nil && *p.Payload != "" {
				ch.ID = *p.Payload
			}
		}
		return ch, nil
	case "URL":
		vars, _ := templateVars(b.URL)
		if len(vars) == 0 {
			if len(params) > 0 {
				return nil, errorf(CodeTemplateParamCount, "Button %d has a static URL and takes no parameters.", i)
			}
			return &Choice{Kind: ChoiceURL, ID: b.URL, Title: b.Text}, nil
		}
		p, e := one("text")
		if e != nil {
			return nil, e
		}
		if p.Text == nil || *p.Text == "" {
			return nil, errorf(CodeMissingParameter, "Button %d URL parameter has no text.", i)
		}
		return &Choice{Kind: ChoiceURL, ID: fillVars(b.URL, map[string]string{"1": *p.Text}), Title: b.Text}, nil
	case "COPY_CODE":
		p, e := one("coupon_code")
		if e != nil {
			return nil, e
		}
		if p.CouponCode == nil || *p.CouponCode == "" {
			return nil, errorf(CodeMissingParameter, "Button %d needs coupon_code.", i)
		}
		return &Choice{Kind: ChoiceCopyCode, ID: *p.CouponCode, Title: "Copy code"}, nil
	case "OTP":
		p, e := one("text")
		if e != nil {
			return nil, e
		}
		if p.Text == nil || *p.Text == "" {
			return nil, errorf(CodeMissingParameter, "Button %d needs the one-time code as text.", i)
		}
		return &Choice{Kind: ChoiceCopyCode, ID: *p.Text, Title: "Copy code"}, nil
	case "PHONE_NUMBER":
		if len(params) > 0 {
			return nil, errorf(CodeTemplateParamCount, "Button %d (PHONE_NUMBER) takes no parameters.", i)
		}
		return &Choice{Kind: ChoicePhone, ID: b.PhoneNumber, Title: b.Text}, nil
	}
	return nil, nil
}

func exampleStrings(raw json.RawMessage) []string {
	var list []string
	if json.Unmarshal(raw, &list) == nil {
		return list
	}
	var one string
	if json.Unmarshal(raw, &one) == nil && one != "" {
		return []string{one}
	}
	return nil
}

func isTemplateName(s string) bool {
	for _, c := range s {
		if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '_') {
			return false
		}
	}
	return s != ""
}

func isParamName(s string) bool {
	return s != "" && s[0] >= 'a' && s[0] <= 'z' && isTemplateName(s)
}

// isLanguageCode accepts Meta's codes: "it", "en_US", "pt_BR", "zh_HK",
// and the en-US spelling seen in webhooks.
func isLanguageCode(s string) bool {
	base, region, hasRegion := strings.Cut(strings.ReplaceAll(s, "-", "_"), "_")
	if len(base) < 2 || len(base) > 3 {
		return false
	}
	for _, c := range base {
		if c < 'a' || c > 'z' {
			return false
		}
	}
	if !hasRegion {
		return true
	}
	if len(region) < 2 || len(region) > 4 {
		return false
	}
	for _, c := range region {
		if !(c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' || c >= '0' && c <= '9') {
			return false
		}
	}
	return true
}

func sameSet(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	for _, x := range a {
		if !slices.Contains(b, x) {
			return false
		}
	}
	return true
}
