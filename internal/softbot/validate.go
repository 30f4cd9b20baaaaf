package softbot

import (
	"fmt"
	"regexp"
	"unicode/utf8"
)

// WhatsApp's limits for interactive messages (Cloud API, §5 of our spec).
const (
	MaxButtons        = 3
	MaxButtonTitle    = 20
	MaxRows           = 10
	MaxRowTitle       = 24
	MaxRowDescription = 72
	MaxListButton     = 20
	MaxBody           = 1024
	MaxText           = 4096
	MaxSteps          = 100
	MaxPriorityBump   = 100
)

// Problem is one reason a menu is refused, addressed to the step (and
// option) it concerns, with a message key and its arguments so the editor
// can say it in the administrator's language.
type Problem struct {
	Step   string // "" for the menu as a whole
	Option int    // 1-based; 0 when not about an option
	Key    string // i18n key, e.g. "bot.err.dangling"
	Args   []any
}

func (p Problem) String() string {
	return fmt.Sprintf("%s/%d: %s %v", p.Step, p.Option, p.Key, p.Args)
}

var stepIDRE = regexp.MustCompile(`^[a-z0-9][a-z0-9_-]{0,31}$`)

// Validate checks a menu against WhatsApp's limits and for a shape a
// customer can always get out of: every reference names a step, every step
// can be reached from the start, and from every step some path ends (an
// answer with no next step, or a hand-off). skillsetKnown says whether a
// hand-off's skillset exists in the tenant.
func (m Menu) Validate(skillsetKnown func(id string) bool) []Problem {
	var ps []Problem
	add := func(step string, opt int, key string, args ...any) {
		ps = append(ps, Problem{Step: step, Option: opt, Key: key, Args: args})
	}
	if len(m.Steps) == 0 {
		add("", 0, "bot.err.no_steps")
		return ps
	}
	if len(m.Steps) > MaxSteps {
		add("", 0, "bot.err.too_many_steps", MaxSteps)
	}
	seen := map[string]bool{}
	for _, s := range m.Steps {
		if !stepIDRE.MatchString(s.ID) {
			add(s.ID, 0, "bot.err.step_id")
		} else if seen[s.ID] {
			add(s.ID, 0, "bot.err.duplicate_step")
		}
		seen[s.ID] = true
	}
	if _, ok := m.step(m.Start); !ok {
		add("", 0, "bot.err.no_start")
	}
	ref := func(step string, opt int, next string) {
		if next == "" {
			add(step, opt, "bot.err.no_next")
		} else if !seen[next] {
			add(step, opt, "bot.err.dangling", next)
		}
	}
	for _, s := range m.Steps {
		n := utf8.RuneCountInString(s.Text)
		switch s.Kind {
		case KindButtons, KindList:
			if n == 0 {
				add(s.ID, 0, "bot.err.text_required")
			} else if n > MaxBody {
				add(s.ID, 0, "bot.err.text_long", MaxBody)
			}
			maxOpts, maxTitle := MaxButtons, MaxButtonTitle
			if s.Kind == KindList {
				maxOpts, maxTitle = MaxRows, MaxRowTitle
				if l := utf8.RuneCountInString(s.ListButton); l == 0 || l > MaxListButton {
					add(s.ID, 0, "bot.err.list_button", MaxListButton)
				}
			}
			if len(s.Options) == 0 {
				add(s.ID, 0, "bot.err.no_options")
			} else if len(s.Options) > maxOpts {
				add(s.ID, 0, "bot.err.too_many_options", maxOpts)
			}
			titles := map[string]bool{}
			for i, o := range s.Options {
				t := utf8.RuneCountInString(o.Title)
				switch {
				case t == 0:
					add(s.ID, i+1, "bot.err.option_title")
				case t > maxTitle:
					add(s.ID, i+1, "bot.err.option_title_long", maxTitle)
				case titles[normalize(o.Title)]:
					add(s.ID, i+1, "bot.err.option_duplicate")
				}
				titles[normalize(o.Title)] = true
				if s.Kind == KindButtons && o.Description != "" {
					add(s.ID, i+1, "bot.err.button_description")
				}
				if utf8.RuneCountInString(o.Description) > MaxRowDescription {
					add(s.ID, i+1, "bot.err.description_long", MaxRowDescription)
				}
				ref(s.ID, i+1, o.Next)
			}
		case KindAnswer:
			if n == 0 {
				add(s.ID, 0, "bot.err.text_required")
			} else if n > MaxText {
				add(s.ID, 0, "bot.err.text_long", MaxText)
			}
			if s.Next != "" && !seen[s.Next] {
				add(s.ID, 0, "bot.err.dangling", s.Next)
			}
		case KindCollect:
			if n == 0 {
				add(s.ID, 0, "bot.err.text_required")
			} else if n > MaxText {
				add(s.ID, 0, "bot.err.text_long", MaxText)
			}
			if !fieldRE.MatchString(s.Field) {
				add(s.ID, 0, "bot.err.field")
			}
			switch s.Validate {
			case ValidateText, ValidateEmail, ValidateNumber, ValidateName:
			default:
				add(s.ID, 0, "bot.err.validate")
			}
			ref(s.ID, 0, s.Next)
		case KindHandoff:
			if n > MaxText {
				add(s.ID, 0, "bot.err.text_long", MaxText)
			}
			if s.Skillset != "" && (skillsetKnown == nil || !skillsetKnown(s.Skillset)) {
				add(s.ID, 0, "bot.err.skillset")
			}
			if s.PriorityBump < 0 || s.PriorityBump > MaxPriorityBump {
				add(s.ID, 0, "bot.err.priority", MaxPriorityBump)
			}
		default:
			add(s.ID, 0, "bot.err.kind")
		}
	}
	if len(ps) > 0 {
		return ps // the graph checks need sound references
	}
	return append(ps, m.graphProblems()...)
}

var fieldRE = regexp.MustCompile(`^[a-z][a-z0-9_]{0,39}$`)

// graphProblems finds steps the start never reaches, steps from which no
// path ends (a cycle without an exit), and loops of answers that would send
// message after message without waiting for the customer.
func (m Menu) graphProblems() []Problem {
	var ps []Problem
	next := func(s Step) []string {
		var out []string
		for _, o := range s.Options {
			out = append(out, o.Next)
		}
		if s.Next != "" {
			out = append(out, s.Next)
		}
		return out
	}
	// Reachable from the start.
	reached := map[string]bool{m.Start: true}
	stack := []string{m.Start}
	for len(stack) > 0 {
		id := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		s, _ := m.step(id)
		for _, n := range next(s) {
			if !reached[n] {
				reached[n] = true
				stack = append(stack, n)
			}
		}
	}
	// Can end: a fixed point from the exits backwards.
	ends := map[string]bool{}
	for changed := true; changed; {
		changed = false
		for _, s := range m.Steps {
			if ends[s.ID] {
				continue
			}
			ok := s.Kind == KindHandoff || (s.Kind == KindAnswer && s.Next == "")
			for _, n := range next(s) {
				ok = ok || ends[n]
			}
			if ok {
				ends[s.ID] = true
				changed = true
			}
		}
	}
	for _, s := range m.Steps {
		switch {
		case !reached[s.ID]:
			ps = append(ps, Problem{Step: s.ID, Key: "bot.err.unreachable"})
		case !ends[s.ID]:
			ps = append(ps, Problem{Step: s.ID, Key: "bot.err.no_exit"})
		}
	}
	// Answers chained in a circle never wait for anyone.
	for _, s := range m.Steps {
		if s.Kind != KindAnswer {
			continue
		}
		seen := map[string]bool{s.ID: true}
		for cur := s; cur.Kind == KindAnswer && cur.Next != ""; {
			if seen[cur.Next] {
				if cur.Next == s.ID {
					ps = append(ps, Problem{Step: s.ID, Key: "bot.err.answer_loop"})
				}
				break
			}
			seen[cur.Next] = true
			cur, _ = m.step(cur.Next)
		}
	}
	return ps
}
