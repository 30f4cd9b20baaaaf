package template

import (
	"encoding/json"
	"reflect"
	"strings"
	"testing"
)

// good is a draft Meta accepts; each case below breaks one rule.
func good() Draft {
	return Draft{
		Name: "order_shipped", Language: "en_US", Category: Utility, UseCase: "shipping_update",
		HeaderKind: HeaderText, HeaderText: "Order {{1}}", HeaderExample: "A-1001",
		Body: "Hello {{1}}, your order {{2}} left our warehouse.", BodyExamples: []string{"Maria", "A-1001"},
		Footer: "Reply STOP to opt out",
		Buttons: []Button{
			{Kind: QuickReply, Text: "Thanks"}, {Kind: QuickReply, Text: "Where is it?"},
			{Kind: URLButton, Text: "Track", URL: "https://example.com/track/{{1}}", Example: "A-1001"},
			{Kind: Phone, Text: "Call us", Phone: "+390212345678"},
			{Kind: CopyCode, Example: "SAVE10"},
		},
	}
}

func TestCheck(t *testing.T) {
	cases := []struct {
		name   string
		change func(*Draft)
		want   map[string]string // field → key; empty means valid
	}{
		{"valid", func(*Draft) {}, nil},
		{"no header, no footer, no buttons", func(d *Draft) { d.HeaderKind, d.Footer, d.Buttons = "", "", nil }, nil},
		{"media header with a handle", func(d *Draft) { d.HeaderKind, d.HeaderHandle = HeaderImage, "4::aW1hZ2U=:ARb" }, nil},
		{"name with capitals", func(d *Draft) { d.Name = "Order_Shipped" }, map[string]string{"name": "admin.tpl.err.name_chars"}},
		{"name missing", func(d *Draft) { d.Name = "" }, map[string]string{"name": "admin.tpl.err.name_required"}},
		{"name too long", func(d *Draft) { d.Name = strings.Repeat("a", 513) }, map[string]string{"name": "admin.tpl.err.name_long"}},
		{"language", func(d *Draft) { d.Language = "english" }, map[string]string{"language": "admin.tpl.err.language"}},
		{"language region", func(d *Draft) { d.Language = "pt_BR" }, nil},
		{"category", func(d *Draft) { d.Category = "ALERT_UPDATE" }, map[string]string{"category": "admin.tpl.err.category"}},
		{"use case", func(d *Draft) { d.UseCase = "gossip" }, map[string]string{"use_case": "admin.tpl.err.use_case"}},
		{"header too long", func(d *Draft) { d.HeaderText = strings.Repeat("x", 61) }, map[string]string{"header_text": "admin.tpl.err.header_long"}},
		{"header two variables", func(d *Draft) { d.HeaderText = "{{1}} and {{2}}" }, map[string]string{"header_text": "admin.tpl.err.header_vars"}},
		{"header variable not 1", func(d *Draft) { d.HeaderText = "Order {{2}}" }, map[string]string{"header_text": "admin.tpl.err.var_order"}},
		{"header example missing", func(d *Draft) { d.HeaderExample = " " }, map[string]string{"header_example": "admin.tpl.err.example_required"}},
		{"media header without handle", func(d *Draft) { d.HeaderKind = HeaderVideo }, map[string]string{"header_handle": "admin.tpl.err.handle_required"}},
		{"header kind", func(d *Draft) { d.HeaderKind = "LOCATION" }, map[string]string{"header_kind": "admin.tpl.err.header_kind"}},
		{"body missing", func(d *Draft) { d.Body = "  " }, map[string]string{"body": "admin.tpl.err.body_required"}},
		{"body too long", func(d *Draft) { d.Body = strings.Repeat("é", 1025) }, map[string]string{"body": "admin.tpl.err.body_long"}},
		{"body 1024 runes", func(d *Draft) { d.Body, d.BodyExamples = strings.Repeat("é", 1024), nil }, nil},
		{"variables out of order", func(d *Draft) { d.Body = "Hi {{2}}, order {{1}} left." }, map[string]string{"body": "admin.tpl.err.var_order"}},
		{"variable gap", func(d *Draft) { d.Body = "Hi {{1}}, order {{3}} left." }, map[string]string{"body": "admin.tpl.err.var_order"}},
		{"named variable", func(d *Draft) { d.Body = "Hi {{name}}, welcome." }, map[string]string{"body": "admin.tpl.err.var_name"}},
		{"unclosed braces", func(d *Draft) { d.Body = "Hi {{1}, welcome." }, map[string]string{"body": "admin.tpl.err.braces"}},
		{"repeated variable is one", func(d *Draft) { d.Body, d.BodyExamples = "Hi {{1}}, yes {{1}} again.", []string{"Maria"} }, nil},
		{"variable at the start", func(d *Draft) { d.Body = "{{1}}, your order {{2}} left." }, map[string]string{"body": "admin.tpl.err.var_edge"}},
		{"variable at the end", func(d *Draft) { d.Body = "Hello {{1}}, your order is {{2}}" }, map[string]string{"body": "admin.tpl.err.var_edge"}},
		{"example missing", func(d *Draft) { d.BodyExamples = []string{"Maria"} }, map[string]string{"body_example_2": "admin.tpl.err.example_required"}},
		{"example with a line break", func(d *Draft) { d.BodyExamples[0] = "Ma\nria" }, map[string]string{"body_example_1": "admin.tpl.err.example_line"}},
		{"footer too long", func(d *Draft) { d.Footer = strings.Repeat("f", 61) }, map[string]string{"footer": "admin.tpl.err.footer_long"}},
		{"footer variable", func(d *Draft) { d.Footer = "Bye {{1}}" }, map[string]string{"footer": "admin.tpl.err.footer_vars"}},
		{"eleven buttons", func(d *Draft) {
			d.Buttons = nil
			for range 11 {
				d.Buttons = append(d.Buttons, Button{Kind: QuickReply, Text: "ok"})
			}
		}, map[string]string{"buttons": "admin.tpl.err.buttons_many"}},
		{"quick replies split", func(d *Draft) {
			d.Buttons = []Button{{Kind: QuickReply, Text: "a"}, {Kind: Phone, Text: "Call", Phone: "+390212345678"}, {Kind: QuickReply, Text: "b"}}
		}, map[string]string{"buttons": "admin.tpl.err.quick_group"}},
		{"three URL buttons", func(d *Draft) {
			b := Button{Kind: URLButton, Text: "Go", URL: "https://example.com"}
			d.Buttons = []Button{b, b, b}
		}, map[string]string{"buttons": "admin.tpl.err.url_many"}},
		{"two phone buttons", func(d *Draft) {
			b := Button{Kind: Phone, Text: "Call", Phone: "+390212345678"}
			d.Buttons = []Button{b, b}
		}, map[string]string{"buttons": "admin.tpl.err.phone_many"}},
		{"two copy codes", func(d *Draft) { d.Buttons = []Button{{Kind: CopyCode, Example: "A"}, {Kind: CopyCode, Example: "B"}} },
			map[string]string{"buttons": "admin.tpl.err.copy_many"}},
		{"label too long", func(d *Draft) { d.Buttons[0].Text = strings.Repeat("l", 26) }, map[string]string{"button_text_1": "admin.tpl.err.label_long"}},
		{"label missing", func(d *Draft) { d.Buttons[1].Text = "" }, map[string]string{"button_text_2": "admin.tpl.err.label_required"}},
		{"url variable in the middle", func(d *Draft) { d.Buttons[2].URL = "https://example.com/{{1}}/track" },
			map[string]string{"button_url_3": "admin.tpl.err.url_var"}},
		{"url not http", func(d *Draft) { d.Buttons[2].URL = "ftp://example.com/{{1}}" }, map[string]string{"button_url_3": "admin.tpl.err.url"}},
		{"url example missing", func(d *Draft) { d.Buttons[2].Example = "" }, map[string]string{"button_example_3": "admin.tpl.err.example_required"}},
		{"static url needs no example", func(d *Draft) { d.Buttons[2].URL, d.Buttons[2].Example = "https://example.com/help", "" }, nil},
		{"phone not international", func(d *Draft) { d.Buttons[3].Phone = "0212345678" }, map[string]string{"button_phone_4": "admin.tpl.err.phone"}},
		{"phone too long", func(d *Draft) { d.Buttons[3].Phone = "+1234567890123456789" }, map[string]string{"button_phone_4": "admin.tpl.err.phone"}},
		{"copy code too long", func(d *Draft) { d.Buttons[4].Example = strings.Repeat("C", 16) }, map[string]string{"button_example_5": "admin.tpl.err.code_long"}},
		{"unknown button", func(d *Draft) { d.Buttons[4].Kind = "FLOW" }, map[string]string{"button_kind_5": "admin.tpl.err.button_kind"}},
		{"authentication", func(d *Draft) {
			*d = Draft{Name: "login_code", Language: "it", Category: Authentication, UseCase: "one_time_password", SecurityNote: true, CodeExpiry: 10}
		}, nil},
		{"authentication with content", func(d *Draft) { d.Category = Authentication }, map[string]string{"category": "admin.tpl.err.auth_content"}},
		{"authentication expiry", func(d *Draft) { *d = Draft{Name: "c", Language: "it", Category: Authentication, CodeExpiry: 91} },
			map[string]string{"code_expiry": "admin.tpl.err.code_expiry"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			d := good()
			tc.change(&d)
			got := map[string]string{}
			for _, e := range Check(d) {
				got[e.Field] = e.Key
			}
			want := tc.want
			if want == nil {
				want = map[string]string{}
			}
			if !reflect.DeepEqual(got, want) {
				t.Errorf("Check = %v, want %v", got, want)
			}
		})
	}
}

// The components written for Meta read back into the same draft.
func TestComponentsRoundTrip(t *testing.T) {
	for _, d := range []Draft{good(), {Name: "login_code", Language: "it", Category: Authentication, SecurityNote: true, CodeExpiry: 5, OTPLabel: "Copia"}} {
		raw, err := json.Marshal(d.Components())
		if err != nil {
			t.Fatal(err)
		}
		back := Draft{Name: d.Name, Language: d.Language, Category: d.Category, UseCase: d.UseCase}
		if err := FromComponents(raw, &back); err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(back, d) {
			t.Errorf("round trip:\n got %+v\nwant %+v\njson %s", back, d, raw)
		}
	}
}

func TestCategoryOfUseCases(t *testing.T) {
	if len(UseCases()) != 13 || CategoryOf("shipping_update") != Utility || CategoryOf("promotion") != Marketing ||
		CategoryOf("one_time_password") != Authentication || CategoryOf("nope") != "" {
		t.Errorf("use cases: %v", UseCases())
	}
}

func TestFill(t *testing.T) {
	if got := Fill("Hi {{1}}, order {{2}} and {{3}}", []string{"Maria", "A-1"}); got != "Hi Maria, order A-1 and {{3}}" {
		t.Errorf("Fill = %q", got)
	}
}
