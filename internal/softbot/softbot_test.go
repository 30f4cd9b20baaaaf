package softbot

import (
	"slices"
	"strings"
	"testing"
)

// twoLevels is the menu of the test: a first menu, a list under
// "Billing", an answer, a value to collect and a hand-off.
func twoLevels() Menu {
	return Menu{Start: "start", Steps: []Step{
		{ID: "start", Kind: KindButtons, Text: "How can we help?", Options: []Option{
			{Title: "Billing", Next: "billing"}, {Title: "Opening hours", Next: "hours"}, {Title: "Order status", Next: "order"}}},
		{ID: "billing", Kind: KindList, Text: "What about billing?", ListButton: "Choose", Options: []Option{
			{Title: "Wrong invoice", Description: "An amount is not right", Next: "to_billing"},
			{Title: "Pay by card", Next: "card"}}},
		{ID: "hours", Kind: KindAnswer, Text: "We are open 9-18."},
		{ID: "card", Kind: KindAnswer, Text: "You can pay by card online.", Next: "start"},
		{ID: "order", Kind: KindCollect, Text: "Your order number?", Field: "order_number", Validate: ValidateNumber, Next: "to_orders"},
		{ID: "to_billing", Kind: KindHandoff, Text: "Passing you to billing.", Skillset: "sk-billing", PriorityBump: 5},
		{ID: "to_orders", Kind: KindHandoff, Skillset: "sk-orders"},
	}}
}

func known(id string) bool { return strings.HasPrefix(id, "sk-") }

func keys(ps []Problem) []string {
	var out []string
	for _, p := range ps {
		out = append(out, p.Step+":"+p.Key)
	}
	return out
}

func TestValidMenuHasNoProblems(t *testing.T) {
	if ps := twoLevels().Validate(known); len(ps) != 0 {
		t.Fatalf("problems in a sound menu: %v", ps)
	}
}

func TestValidateRefusesWhatWhatsAppOrCustomersCannotLiveWith(t *testing.T) {
	cases := []struct {
		name   string
		change func(*Menu)
		want   string
	}{
		{"dangling step", func(m *Menu) { m.Steps[0].Options[0].Next = "nowhere" }, "start:bot.err.dangling"},
		{"four buttons", func(m *Menu) {
			m.Steps[0].Options = append(m.Steps[0].Options, Option{Title: "More", Next: "hours"})
		}, "start:bot.err.too_many_options"},
		{"button title too long", func(m *Menu) { m.Steps[0].Options[1].Title = "Opening hours and holidays" }, "start:bot.err.option_title_long"},
		{"same title twice", func(m *Menu) { m.Steps[0].Options[1].Title = "billing" }, "start:bot.err.option_duplicate"},
		{"list without button label", func(m *Menu) { m.Steps[1].ListButton = "" }, "billing:bot.err.list_button"},
		{"row description too long", func(m *Menu) { m.Steps[1].Options[0].Description = strings.Repeat("x", 73) }, "billing:bot.err.description_long"},
		{"unknown skillset", func(m *Menu) { m.Steps[5].Skillset = "gone" }, "to_billing:bot.err.skillset"},
		{"no start", func(m *Menu) { m.Start = "begin" }, ":bot.err.no_start"},
		{"bad collect validation", func(m *Menu) { m.Steps[4].Validate = "zip" }, "order:bot.err.validate"},
		{"collect without next", func(m *Menu) { m.Steps[4].Next = "" }, "order:bot.err.no_next"},
		{"unreachable step", func(m *Menu) {
			m.Steps = append(m.Steps, Step{ID: "orphan", Kind: KindAnswer, Text: "hi"})
		}, "orphan:bot.err.unreachable"},
		{"cycle without exit", func(m *Menu) {
			m.Steps = append(m.Steps,
				Step{ID: "a", Kind: KindButtons, Text: "A?", Options: []Option{{Title: "to b", Next: "b"}}},
				Step{ID: "b", Kind: KindButtons, Text: "B?", Options: []Option{{Title: "to a", Next: "a"}}})
			m.Steps[0].Options[2].Next = "a"
		}, "a:bot.err.no_exit"},
		{"answers in a circle", func(m *Menu) {
			m.Steps = append(m.Steps, Step{ID: "x", Kind: KindAnswer, Text: "x", Next: "y"}, Step{ID: "y", Kind: KindAnswer, Text: "y", Next: "x"})
			m.Steps[0].Options[1].Next = "x"
		}, "x:bot.err.answer_loop"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			m := twoLevels()
			m.Steps = slices.Clone(m.Steps)
			for i := range m.Steps {
				m.Steps[i].Options = slices.Clone(m.Steps[i].Options)
			}
			c.change(&m)
			got := keys(m.Validate(known))
			if !slices.Contains(got, c.want) {
				t.Fatalf("want %s among %v", c.want, got)
			}
		})
	}
}

func TestTwoLevelMenuEndsInHandoffToTheChosenSkillset(t *testing.T) {
	m := twoLevels()
	o := Begin(m, "en")
	if o.End != "" || len(o.Messages) != 1 || len(o.Messages[0].Buttons) != 3 || o.Run.Step != "start" {
		t.Fatalf("begin: %+v", o)
	}
	o = Reply(m, o.Run, Input{Text: "Billing", Choice: o.Messages[0].Buttons[0].ID}, "en")
	if o.Run.Step != "billing" || len(o.Messages[0].Rows) != 2 || o.Messages[0].ListButton != "Choose" {
		t.Fatalf("billing: %+v", o)
	}
	o = Reply(m, o.Run, Input{Text: "Wrong invoice", Choice: "billing:1"}, "en")
	if o.End != EndHandoff || o.Skillset != "sk-billing" || o.PriorityBump != 5 || o.Step != "to_billing" {
		t.Fatalf("hand-off: %+v", o)
	}
	if len(o.Messages) != 1 || o.Messages[0].Text != "Passing you to billing." {
		t.Fatalf("hand-off notice: %+v", o.Messages)
	}
}

func TestTypedTitleOrNumberChoosesAndAnswersChain(t *testing.T) {
	m := twoLevels()
	o := Reply(m, Run{Step: "start"}, Input{Text: " opening HOURS! "}, "en")
	if o.End != EndResolved || o.Messages[0].Text != "We are open 9-18." {
		t.Fatalf("typed title: %+v", o)
	}
	o = Reply(m, Run{Step: "billing"}, Input{Text: "2"}, "en")
	// The card answer leads back to the first menu, which waits.
	if o.End != "" || len(o.Messages) != 2 || o.Run.Step != "start" {
		t.Fatalf("answer then menu: %+v", o)
	}
}

func TestFreeTextIsAskedAgainOnceThenAPersonTakesOver(t *testing.T) {
	m := twoLevels()
	o := Reply(m, Run{Step: "start"}, Input{Text: "my parcel is late"}, "it")
	if o.End != "" || o.Run.Reasks != 1 || len(o.Messages) != 2 || !strings.Contains(o.Messages[0].Text, "non ho capito") {
		t.Fatalf("first unclear: %+v", o)
	}
	o = Reply(m, o.Run, Input{Other: true}, "it")
	if o.End != EndHandoff || o.Reason != "no_match" || o.Skillset != "" || o.Step != "start" {
		t.Fatalf("second unclear: %+v", o)
	}
}

func TestCollectValidatesAndKeepsTheValue(t *testing.T) {
	m := twoLevels()
	o := Reply(m, Run{Step: "order"}, Input{Text: "abc"}, "en")
	if o.End != "" || o.Run.Reasks != 1 || o.Collected != nil {
		t.Fatalf("invalid value: %+v", o)
	}
	o = Reply(m, o.Run, Input{Text: "# 12-345"}, "en")
	if o.End != EndHandoff || o.Collected["order_number"] != "12345" || o.Skillset != "sk-orders" {
		t.Fatalf("valid value: %+v", o)
	}
	for _, c := range []struct {
		kind, in string
		ok       bool
	}{
		{ValidateEmail, "anna@example.com", true}, {ValidateEmail, "anna@example", false}, {ValidateEmail, "Anna <a@b.it>", false},
		{ValidateName, "Anna Maria D'Amico", true}, {ValidateName, "R2D2", false}, {ValidateText, "  ", false},
	} {
		if _, ok := check(c.kind, c.in); ok != c.ok {
			t.Errorf("check(%s, %q) = %v", c.kind, c.in, ok)
		}
	}
}

func TestRulesFirstMatchWinsInOrder(t *testing.T) {
	rs := Compile([]Rule{
		{ID: "r1", Match: MatchExact, Pattern: "Orari"},
		{ID: "r2", Match: MatchContains, Pattern: "price", Language: "en"},
		{ID: "r3", Match: MatchRegex, Pattern: `order\s*#?\d{4,}`},
		{ID: "r4", Match: MatchContains, Pattern: "order"},
	})
	for _, c := range []struct {
		text, lang, want string
	}{
		{"orari", "it", "r1"}, {"orari?", "en", "r1"}, {"what's the price?", "en", "r2"}, {"the price", "it", ""},
		{"priceless", "en", ""}, {"where is ORDER #12345", "en", "r3"}, {"my order", "it", "r4"}, {"hello", "en", ""},
	} {
		r, ok := rs.First(c.text, c.lang)
		if got := map[bool]string{true: r.ID}[ok]; got != c.want {
			t.Errorf("%q (%s): got %q, want %q", c.text, c.lang, got, c.want)
		}
	}
	if all := rs.All("order #12345", "en"); len(all) != 2 || all[0].ID != "r3" || all[1].ID != "r4" {
		t.Errorf("all matches: %+v", all)
	}
}

func TestPatternsThatCouldRunAwayAreRefused(t *testing.T) {
	for _, c := range []struct{ kind, p, want string }{
		{MatchRegex, "(unclosed", "rule.err.regex"},
		{MatchRegex, `\w{1,900}\d{1,900}\s{1,900}`, "rule.err.regex_big"},
		{MatchRegex, strings.Repeat("x", 201), "rule.err.pattern_long"},
		{MatchExact, " ", "rule.err.pattern_required"},
		{"like", "x", "rule.err.match"},
		{MatchRegex, `^(hi|hello)\b`, ""},
	} {
		if got := CheckPattern(c.kind, c.p); got != c.want {
			t.Errorf("CheckPattern(%s, %q) = %q, want %q", c.kind, c.p, got, c.want)
		}
	}
}

func TestWantsPerson(t *testing.T) {
	words := []string{"agent", "operatore", "human"}
	for text, want := range map[string]bool{
		"Operatore": true, "operatore per favore": true, "AGENT!": true, "I want a human": true,
		"agents of shield": false, "billing": false, strings.Repeat("agent ", 20): false,
	} {
		if WantsPerson(text, words) != want {
			t.Errorf("WantsPerson(%q) != %v", text, want)
		}
	}
}
