// Package softbot is what answers a customer before a person does: menu
// bots (a tree of steps with WhatsApp reply buttons and lists, answers,
// values to collect, and hand-off to a skillset), keyword rules and the
// hand-off words. It is pure: the inbound processor feeds it the customer's
// message and the run's stored state and sends what it returns; the admin
// console's test panel runs the very same steps without WhatsApp.
package softbot

// Step kinds.
const (
	KindButtons = "buttons" // a message with up to 3 reply buttons
	KindList    = "list"    // a message with a list of up to 10 rows
	KindAnswer  = "answer"  // a text; then the next step, or the end (resolved)
	KindCollect = "collect" // asks for a value and saves it in the contact's fields
	KindHandoff = "handoff" // to a person: the queue, optionally one skillset, with a priority bump
)

// Validations of a collected value.
const (
	ValidateText   = "text"   // any non-empty text up to 200 characters
	ValidateEmail  = "email"  // an e-mail address
	ValidateNumber = "number" // digits (an order number, a customer code)
	ValidateName   = "name"   // a person's name: letters, spaces, apostrophes, dashes
)

// Menu is a menu bot's definition, as the editor saves it and as a bot
// version stores it (JSON).
type Menu struct {
	Start string `json:"start"`
	Steps []Step `json:"steps"`
}

// Step is one node of the tree.
type Step struct {
	ID   string `json:"id"`   // the administrator's name for it: "start", "billing"
	Kind string `json:"kind"` // Kind*
	Text string `json:"text"` // the message: body of buttons and lists, the answer, the question, the hand-off notice
	// Lists: the label of the button that opens the list.
	ListButton string   `json:"list_button,omitempty"`
	Options    []Option `json:"options,omitempty"` // buttons and lists
	// Collect: where the value goes (a contact field key, or "name" for the
	// contact's name) and how it is checked.
	Field    string `json:"field,omitempty"`
	Validate string `json:"validate,omitempty"`
	// Answer and collect: the step after ("" after an answer ends the bot:
	// the customer was served by it).
	Next string `json:"next,omitempty"`
	// Hand-off: the skillset to queue for ("" any of the number's) and the
	// priority added on top of the contact's.
	Skillset     string `json:"skillset,omitempty"`
	PriorityBump int    `json:"priority_bump,omitempty"`
}

// Option is a reply button or a list row and where it leads.
type Option struct {
	Title       string `json:"title"`
	Description string `json:"description,omitempty"` // list rows only
	Next        string `json:"next"`
}

// step finds a step by id.
func (m Menu) step(id string) (Step, bool) {
	for _, s := range m.Steps {
		if s.ID == id {
			return s, true
		}
	}
	return Step{}, false
}

// waits reports whether a step waits for the customer.
func (s Step) waits() bool {
	return s.Kind == KindButtons || s.Kind == KindList || s.Kind == KindCollect
}
