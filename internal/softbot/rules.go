package softbot

import (
	"regexp"
	"regexp/syntax"
	"strings"
	"unicode/utf8"
)

// Match kinds of a keyword rule.
const (
	MatchExact    = "exact"
	MatchContains = "contains"
	MatchRegex    = "regex"
)

// Limits that keep a rule cheap on every message: Go's regular expressions
// run in time linear in the input (no backtracking), so bounding the
// pattern, its compiled program and the text tried bounds the time.
const (
	MaxPattern     = 200
	MaxProgram     = 2000 // instructions of the compiled pattern
	MaxMatchedText = 4096 // characters of a message a rule looks at
)

// Rule is a keyword rule as the matcher needs it; what it answers and sets
// stay with the caller, keyed by ID.
type Rule struct {
	ID       string
	Match    string // Match*
	Pattern  string
	Language string // "" any, "en", "it"
}

// CheckPattern says why a pattern cannot be a rule ("" when it can): an
// i18n key.
func CheckPattern(kind, pattern string) string {
	p := strings.TrimSpace(pattern)
	switch {
	case p == "":
		return "rule.err.pattern_required"
	case utf8.RuneCountInString(p) > MaxPattern:
		return "rule.err.pattern_long"
	}
	switch kind {
	case MatchExact, MatchContains:
		return ""
	case MatchRegex:
		re, err := syntax.Parse("(?i)"+p, syntax.Perl)
		if err != nil {
			return "rule.err.regex"
		}
		prog, err := syntax.Compile(re.Simplify())
		if err != nil || len(prog.Inst) > MaxProgram {
			return "rule.err.regex_big"
		}
		return ""
	}
	return "rule.err.match"
}

// Rules is an ordered, compiled list of rules.
type Rules struct {
	list []compiled
}

type compiled struct {
	Rule
	norm string
	re   *regexp.Regexp
}

// Compile prepares rules in the order given (the administrator's order);
// a rule whose pattern no longer passes CheckPattern is left out.
func Compile(rules []Rule) *Rules {
	out := &Rules{}
	for _, r := range rules {
		if CheckPattern(r.Match, r.Pattern) != "" {
			continue
		}
		c := compiled{Rule: r, norm: normalize(r.Pattern)}
		if r.Match == MatchRegex {
			c.re = regexp.MustCompile("(?i)" + strings.TrimSpace(r.Pattern))
		}
		out.list = append(out.list, c)
	}
	return out
}

// First returns the first rule matching the text for a customer speaking
// lang, and whether one did. Earlier rules win: the order is explicit.
func (rs *Rules) First(text, lang string) (Rule, bool) {
	if rs == nil {
		return Rule{}, false
	}
	if utf8.RuneCountInString(text) > MaxMatchedText {
		text = string([]rune(text)[:MaxMatchedText])
	}
	norm := normalize(text)
	for _, c := range rs.list {
		if c.Language != "" && c.Language != lang {
			continue
		}
		if c.matches(text, norm) {
			return c.Rule, true
		}
	}
	return Rule{}, false
}

// All returns every rule that matches, in order (the editor shows which
// rules a sample message hits and which one wins).
func (rs *Rules) All(text, lang string) []Rule {
	var out []Rule
	if rs == nil {
		return out
	}
	norm := normalize(text)
	for _, c := range rs.list {
		if (c.Language == "" || c.Language == lang) && c.matches(text, norm) {
			out = append(out, c.Rule)
		}
	}
	return out
}

func (c compiled) matches(text, norm string) bool {
	switch c.Match {
	case MatchExact:
		return norm == c.norm
	case MatchContains:
		return containsWord(norm, c.norm)
	case MatchRegex:
		return c.re.MatchString(text)
	}
	return false
}

// containsWord finds needle in text at word boundaries ("price" matches
// "what's the price?" but not "priceless").
func containsWord(text, needle string) bool {
	if needle == "" {
		return false
	}
	for i := 0; ; {
		j := strings.Index(text[i:], needle)
		if j < 0 {
			return false
		}
		start, end := i+j, i+j+len(needle)
		if boundary(text, start-1) && boundary(text, end) {
			return true
		}
		i = start + 1
	}
}

func boundary(s string, i int) bool {
	if i < 0 || i >= len(s) {
		return true
	}
	c := s[i]
	return !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c >= 0x80)
}

// WantsPerson reports whether a message asks for a person with one of the
// hand-off words: the whole message is the word, or the word stands in a
// short message ("operatore per favore").
func WantsPerson(text string, words []string) bool {
	norm := normalize(text)
	if norm == "" || len(norm) > 60 {
		return false
	}
	for _, w := range words {
		w = normalize(w)
		if w != "" && (norm == w || containsWord(norm, w)) {
			return true
		}
	}
	return false
}
