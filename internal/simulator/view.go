package simulator

import (
	"net/url"

	"switchboard/internal/domain"
	"switchboard/internal/whatsapp/fakemeta"
)

// View is what the simulator page shows.
type View struct {
	Number    domain.Number
	Customer  string
	Name      string
	Customers []fakemeta.CustomerInfo
	Events    []fakemeta.Event
	Error     string // message key from the last action
	CSRF      string // for the forms inside the thread fragment
}

func (v View) threadURL() string {
	return "/simulator/" + v.Number.ID + "/thread?" + url.Values{"customer": {v.Customer}}.Encode()
}

func (v View) mediaURL(mediaID string) string {
	return "/simulator/" + v.Number.ID + "/media/" + url.PathEscape(mediaID) + "?" + url.Values{"customer": {v.Customer}}.Encode()
}

func (v View) customerURL(waID string) string {
	return "/simulator/" + v.Number.ID + "/?" + url.Values{"customer": {waID}}.Encode()
}

// tick renders a message status the way WhatsApp does.
func tick(status string) string {
	switch status {
	case "sent", "accepted":
		return "✓"
	case "delivered", "received":
		return "✓✓"
	case "read":
		return "✓✓ ·"
	case "failed":
		return "⚠"
	}
	return ""
}

func mediaName(m *fakemeta.EventMedia) string {
	if m.Filename != "" {
		return m.Filename
	}
	return m.MIMEType
}

// reactionEmojis are the quick reactions WhatsApp offers first.
var reactionEmojis = []string{"👍", "❤️", "😂", "😮", "😢", "🙏"}
