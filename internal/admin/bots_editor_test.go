package admin

import (
	"encoding/json"
	"net/url"
	"strings"
	"testing"

	"switchboard/internal/outbound"
	"switchboard/internal/softbot"
	"switchboard/internal/storage"
)

// editorForm is a menu as the editor posts it: a list question whose rows
// lead to a value to collect and to a hand-off.
func editorForm() url.Values {
	return url.Values{
		"start":          {"start"},
		"s0_id":          {" start "},
		"s0_kind":        {"list"},
		"s0_text":        {"What do you need?"},
		"s0_list_button": {"Choose"},
		"s0_o0_title":    {"My order"},
		"s0_o0_desc":     {"Where is it?"},
		"s0_o0_next":     {"order"},
		"s0_o1_title":    {"Billing"},
		"s0_o1_next":     {"billing"},
		"s0_field":       {"left over from another kind"},
		"s1_id":          {"order"},
		"s1_kind":        {"collect"},
		"s1_text":        {"Your order number?"},
		"s1_field":       {"order_number"},
		"s1_validate":    {"number"},
		"s1_next":        {"billing"},
		"s1_o0_title":    {"ignored: a collect step has no options"},
		"s2_id":          {"billing"},
		"s2_kind":        {"handoff"},
		"s2_text":        {""},
		"s2_skillset":    {"0b7d5f3e-8a0e-4e55-9d1c-2a1f2b3c4d5e"},
		"s2_bump":        {"7"},
	}
}

// TestParseMenuForm reads the editor's fields by kind: what belongs to
// another kind is dropped, values are trimmed, a priority that is not a
// number is a problem of its step.
func TestParseMenuForm(t *testing.T) {
	m, ps := parseMenuForm(editorForm())
	if len(ps) != 0 || m.Start != "start" || len(m.Steps) != 3 {
		t.Fatalf("parsed %+v %v", m, ps)
	}
	s0, s1, s2 := m.Steps[0], m.Steps[1], m.Steps[2]
	if s0.ID != "start" || s0.ListButton != "Choose" || len(s0.Options) != 2 || s0.Options[0].Description != "Where is it?" || s0.Field != "" {
		t.Errorf("list step: %+v", s0)
	}
	if s1.Field != "order_number" || s1.Validate != softbot.ValidateNumber || s1.Next != "billing" || len(s1.Options) != 0 {
		t.Errorf("collect step: %+v", s1)
	}
	if s2.Skillset == "" || s2.PriorityBump != 7 {
		t.Errorf("hand-off step: %+v", s2)
	}
	// The skillset is the tenant's: the menu is sound.
	if ps := m.Validate(func(id string) bool { return id == s2.Skillset }); len(ps) != 0 {
		t.Errorf("problems: %v", ps)
	}
	f := editorForm()
	f.Set("s2_bump", "lots")
	if _, ps := parseMenuForm(f); len(ps) != 1 || ps[0].Step != "billing" || ps[0].Key != "bot.err.priority" {
		t.Errorf("a bad priority: %v", ps)
	}
	// Buttons carry no descriptions or list label.
	f = editorForm()
	f.Set("s0_kind", "buttons")
	if m, _ := parseMenuForm(f); m.Steps[0].ListButton != "" || m.Steps[0].Options[0].Description != "" {
		t.Errorf("buttons kept a list's fields: %+v", m.Steps[0])
	}
}

// TestApplyShape adds and removes steps and options as the editor's
// buttons ask; a removed step leaves its references dangling for Validate
// to name.
func TestApplyShape(t *testing.T) {
	m, _ := parseMenuForm(editorForm())
	if ok, at := applyShape(&m, "add_step"); !ok || at != 3 || m.Steps[3].ID != "step-4" || m.Steps[3].Kind != softbot.KindAnswer {
		t.Errorf("add step: %v %d %+v", ok, at, m.Steps)
	}
	if ok, _ := applyShape(&m, "add_option:0"); !ok || len(m.Steps[0].Options) != 3 {
		t.Errorf("add option: %+v", m.Steps[0])
	}
	if ok, _ := applyShape(&m, "remove_option:0:2"); !ok || len(m.Steps[0].Options) != 2 {
		t.Errorf("remove option: %+v", m.Steps[0])
	}
	if ok, _ := applyShape(&m, "remove_step:1"); !ok || len(m.Steps) != 3 || m.Steps[1].ID != "billing" {
		t.Errorf("remove step: %+v", m.Steps)
	}
	ps := m.Validate(func(string) bool { return true })
	found := false
	for _, p := range ps {
		found = found || (p.Step == "start" && p.Option == 1 && p.Key == "bot.err.dangling" && p.Args[0] == "order")
	}
	if !found {
		t.Errorf("the dangling option is not named: %v", ps)
	}
	for _, bad := range []string{"remove_step:99", "remove_option:0:9", "add_option:x", "remove_step:-1"} {
		before := len(m.Steps)
		if ok, _ := applyShape(&m, bad); !ok || len(m.Steps) != before {
			t.Errorf("%s changed the menu", bad)
		}
	}
	if ok, _ := applyShape(&m, "save"); ok {
		t.Error("save is not a change of shape")
	}
}

// TestRuleReplyIsOutboundContent: what a rule stores is a message the
// outbound pipeline accepts as it is (text, or reply buttons).
func TestRuleReplyIsOutboundContent(t *testing.T) {
	for _, r := range []storage.RuleReply{{Text: "Open 9-18"}, {Text: "Open 9-18", Buttons: []string{"Thanks", "Talk to us"}}} {
		var c outbound.Content
		if err := json.Unmarshal(r.JSON(), &c); err != nil {
			t.Fatal(err)
		}
		if err := c.Validate(); err != nil {
			t.Errorf("%s: %v", r.JSON(), err)
		}
		if len(r.Buttons) > 0 && (c.Type != outbound.TypeInteractive || c.Interactive.Buttons[1].ID != storage.RuleButtonID(1)) {
			t.Errorf("buttons: %s", r.JSON())
		}
	}
}

// TestTryRules: the try box uses the runtime's matcher, skips inactive
// rules and another number's, and lists every match in order.
func TestTryRules(t *testing.T) {
	rules := []storage.KeywordRule{
		{ID: "1", Name: "Off", Match: softbot.MatchContains, Pattern: "price"},
		{ID: "2", Name: "Other number", Match: softbot.MatchContains, Pattern: "price", NumberID: "n2", Active: true},
		{ID: "3", Name: "Italian", Match: softbot.MatchContains, Pattern: "prezzo", Language: "it", Active: true},
		{ID: "4", Name: "Regex", Match: softbot.MatchRegex, Pattern: `pri(ce|zes)`, Active: true},
		{ID: "5", Name: "Words", Match: softbot.MatchContains, Pattern: "the price", Active: true},
	}
	names := func(r *tryResult) string {
		var s []string
		for _, m := range r.Matches {
			s = append(s, m.Name)
		}
		return strings.Join(s, ",")
	}
	if got := names(tryRules(rules, "What's the price?", "en", "n1")); got != "Regex,Words" {
		t.Errorf("n1: %s", got)
	}
	if got := names(tryRules(rules, "What's the price?", "en", "n2")); got != "Other number,Regex,Words" {
		t.Errorf("n2: %s", got)
	}
	if got := names(tryRules(rules, "il prezzo?", "en", "")); got != "" {
		t.Errorf("an Italian rule for an English customer: %s", got)
	}
}
