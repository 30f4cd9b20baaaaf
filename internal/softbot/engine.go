package softbot

import (
	"net/mail"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Run is where a customer is inside a menu, stored between messages.
type Run struct {
	Step   string `json:"step"`
	Reasks int    `json:"reasks,omitempty"` // times the current step was asked again
}

// Input is what the customer sent.
type Input struct {
	// Text is the text typed, or the title of the button or row pressed.
	Text string
	// Choice is the id of the button or row pressed (our option ids are
	// "<step>:<n>"); empty for typed text.
	Choice string
	// Other is set for what is neither (a photo, a sticker, a location…).
	Other bool
}

// Out is one message the bot sends: text, or interactive when it has
// buttons or rows.
type Out struct {
	Text       string   `json:"text"`
	Buttons    []Choice `json:"buttons,omitempty"`
	ListButton string   `json:"list_button,omitempty"`
	Rows       []Choice `json:"rows,omitempty"`
}

// Choice is a reply button or a list row as sent.
type Choice struct {
	ID          string `json:"id"`
	Title       string `json:"title"`
	Description string `json:"description,omitempty"`
}

// Ends of a run.
const (
	EndNone     = ""
	EndHandoff  = "handed_off"
	EndResolved = "resolved"
)

// Outcome is what one step of the bot did: the messages to send, the new
// run, and whether the bot is done (and how).
type Outcome struct {
	Messages []Out  `json:"messages"`
	Run      Run    `json:"run"`
	End      string `json:"end,omitempty"`
	// At hand-off: the skillset and the priority bump chosen, and why the
	// bot gave up when it did ("no_match" after a second unclear answer).
	Skillset     string `json:"skillset,omitempty"`
	PriorityBump int    `json:"priority_bump,omitempty"`
	Reason       string `json:"reason,omitempty"`
	// Values collected by this step: field → value.
	Collected map[string]string `json:"collected,omitempty"`
	// Step is where the run stands, or where it ended.
	Step string `json:"step"`
}

// maxHops bounds the steps one customer message may walk through (answers
// chained one after the other); Validate refuses loops, this is the belt.
const maxHops = 20

// Begin starts a run at the menu's start step.
func Begin(m Menu, lang string) Outcome {
	return m.enter(Outcome{}, m.Start, lang)
}

// Reply moves a run on with the customer's message.
func Reply(m Menu, run Run, in Input, lang string) Outcome {
	s, ok := m.step(run.Step)
	if !ok {
		// The version changed under it, which versions exist to prevent;
		// a person takes over rather than a guess.
		return Outcome{Run: run, End: EndHandoff, Reason: "lost", Step: run.Step}
	}
	out := Outcome{Run: run, Step: s.ID}
	switch s.Kind {
	case KindButtons, KindList:
		if i := s.match(in); i >= 0 {
			return m.enter(out, s.Options[i].Next, lang)
		}
		return m.reask(out, s, phrase(lang, "choose"), lang)
	case KindCollect:
		if in.Other || in.Choice != "" {
			return m.reask(out, s, phrase(lang, "type"), lang)
		}
		v, ok := check(s.Validate, in.Text)
		if !ok {
			return m.reask(out, s, phrase(lang, "invalid_"+s.Validate), lang)
		}
		out.Collected = map[string]string{s.Field: v}
		return m.enter(out, s.Next, lang)
	}
	// Answers and hand-offs do not wait: a run never rests on one.
	return Outcome{Run: run, End: EndHandoff, Reason: "lost", Step: s.ID}
}

// match finds the option the customer chose: the button or row pressed, or
// typed text equal to an option's title or its number ("2").
func (s Step) match(in Input) int {
	if in.Other {
		return -1
	}
	if in.Choice != "" {
		for i := range s.Options {
			if in.Choice == OptionID(s.ID, i) {
				return i
			}
		}
	}
	t := normalize(in.Text)
	for i, o := range s.Options {
		if t != "" && (t == normalize(o.Title) || t == strconv.Itoa(i+1)) {
			return i
		}
	}
	return -1
}

// OptionID is the reply id of a step's option i (0-based).
func OptionID(step string, i int) string { return step + ":" + strconv.Itoa(i+1) }

// reask asks the same step again, once; a second unclear answer goes to a
// person.
func (m Menu) reask(out Outcome, s Step, why, lang string) Outcome {
	if out.Run.Reasks >= 1 {
		out.Messages = append(out.Messages, Out{Text: phrase(lang, "handoff")})
		out.End, out.Reason, out.Step = EndHandoff, "no_match", s.ID
		return out
	}
	out.Run.Reasks++
	out.Messages = append(out.Messages, Out{Text: why})
	out.Messages = append(out.Messages, s.message())
	return out
}

// enter walks into a step and on through answers until a step that waits
// for the customer, a hand-off, or the end.
func (m Menu) enter(out Outcome, id string, lang string) Outcome {
	for hop := 0; hop < maxHops; hop++ {
		s, ok := m.step(id)
		if !ok {
			out.End, out.Reason = EndHandoff, "lost"
			return out
		}
		out.Step = s.ID
		out.Run = Run{Step: s.ID}
		switch s.Kind {
		case KindButtons, KindList, KindCollect:
			out.Messages = append(out.Messages, s.message())
			return out
		case KindAnswer:
			out.Messages = append(out.Messages, Out{Text: s.Text})
			if s.Next == "" {
				out.End = EndResolved
				return out
			}
			id = s.Next
		case KindHandoff:
			if s.Text != "" {
				out.Messages = append(out.Messages, Out{Text: s.Text})
			}
			out.End, out.Skillset, out.PriorityBump = EndHandoff, s.Skillset, s.PriorityBump
			return out
		default:
			out.End, out.Reason = EndHandoff, "lost"
			return out
		}
	}
	out.End, out.Reason = EndHandoff, "loop"
	return out
}

// message is the step's message as WhatsApp shows it.
func (s Step) message() Out {
	o := Out{Text: s.Text}
	for i, opt := range s.Options {
		c := Choice{ID: OptionID(s.ID, i), Title: opt.Title}
		if s.Kind == KindList {
			c.Description = opt.Description
			o.Rows = append(o.Rows, c)
		} else {
			o.Buttons = append(o.Buttons, c)
		}
	}
	if s.Kind == KindList {
		o.ListButton = s.ListButton
	}
	return o
}

// check validates and tidies a collected value.
func check(kind, text string) (string, bool) {
	v := strings.TrimSpace(text)
	if v == "" || utf8.RuneCountInString(v) > 200 {
		return "", false
	}
	switch kind {
	case ValidateEmail:
		a, err := mail.ParseAddress(v)
		if err != nil || a.Address != v || !strings.Contains(v[strings.LastIndexByte(v, '@')+1:], ".") {
			return "", false
		}
		return strings.ToLower(v), true
	case ValidateNumber:
		d := strings.Map(func(r rune) rune {
			if r == ' ' || r == '-' || r == '#' {
				return -1
			}
			return r
		}, v)
		if d == "" || len(d) > 30 || strings.IndexFunc(d, func(r rune) bool { return r < '0' || r > '9' }) >= 0 {
			return "", false
		}
		return d, true
	case ValidateName:
		if utf8.RuneCountInString(v) > 100 || strings.IndexFunc(v, func(r rune) bool {
			return !unicode.IsLetter(r) && r != ' ' && r != '\'' && r != '-' && r != '.' && r != '’'
		}) >= 0 {
			return "", false
		}
		return strings.Join(strings.Fields(v), " "), true
	}
	return v, true
}

// normalize is how customers' words are compared: case, accents of no
// matter, spaces collapsed, trailing punctuation dropped.
func normalize(s string) string {
	s = strings.ToLower(strings.Join(strings.Fields(s), " "))
	s = strings.TrimRight(s, ".!?,;: ")
	return strings.Map(func(r rune) rune {
		if f, ok := folds[r]; ok {
			return f
		}
		return r
	}, s)
}

// folds are the accented letters of the languages we serve.
var folds = map[rune]rune{'à': 'a', 'á': 'a', 'è': 'e', 'é': 'e', 'ì': 'i', 'í': 'i', 'ò': 'o', 'ó': 'o', 'ù': 'u', 'ú': 'u'}
