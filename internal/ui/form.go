package ui

import "switchboard/internal/domain"

// Form carries what a submitted form needs to be shown again: the values the
// user typed and an error message key beside each field that was wrong.
type Form struct {
	Values map[string]string
	Errors map[string]string // field → message key
	Error  string            // message key for the whole form
	Arg    string            // argument for Error's message
}

// NewForm returns an empty form.
func NewForm() *Form { return &Form{Values: map[string]string{}, Errors: map[string]string{}} }

// FormOf is a refused form shown again: the values as typed, and beside
// each field the first of its errors (a parser that checks every field
// reports them all, the page shows one each).
func FormOf(typed map[string]string, errs []*domain.FieldError) *Form {
	f := NewForm()
	f.Values = typed
	for _, e := range errs {
		if f.Errors[e.Field] == "" {
			f.Fail(e.Field, e.Key)
		}
	}
	return f
}

// Get returns a field's value.
func (f *Form) Get(name string) string { return f.Values[name] }

// Fail records an error beside a field.
func (f *Form) Fail(field, key string) { f.Errors[field] = key }

// OK reports whether no error was recorded.
func (f *Form) OK() bool { return len(f.Errors) == 0 && f.Error == "" }

// Field describes one input.
type Field struct {
	Name         string
	LabelKey     string
	Type         string // text, email, password, number…
	Autocomplete string
	Required     bool
	MaxLength    int
	HintKey      string
}

// Option is one choice of a Select.
type Option struct {
	Value, Label string
}
