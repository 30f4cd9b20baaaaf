package agentdesk

import (
	"context"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"

	"switchboard/internal/domain"
	"switchboard/internal/i18n"
)

// What MessageList needs from a message beyond its columns: the fields
// inbound and outbound keep in details (see inbound.toMessage and
// outbound.Service.Send), read defensively since details are JSON.

// byWAMID indexes the messages shown by WhatsApp id, so a reply can quote
// the message it answers when that message is on the page.
func byWAMID(msgs []domain.Message) map[string]domain.Message {
	out := make(map[string]domain.Message, len(msgs))
	for _, m := range msgs {
		if m.WAMID != "" {
			out[m.WAMID] = m
		}
	}
	return out
}

// ourReactions are the business's own reactions (sent through the API), by
// the wamid they react to: the latest wins and an empty one removes it, as
// on WhatsApp. (A customer's reaction is kept on its message by inbound.)
func ourReactions(msgs []domain.Message) map[string]string {
	out := map[string]string{}
	for _, m := range msgs {
		if m.Type == "reaction" && m.Direction == "outbound" && m.ContextWAMID != "" && m.Status != "failed" {
			out[m.ContextWAMID] = m.Text
		}
	}
	return out
}

// shown reports whether a message has its own place in the list: a
// reaction is shown on the message it reacts to instead (messages.reaction).
func shown(m domain.Message) bool { return m.Type != "reaction" }

// quotes reports whether m answers another message (context.id); a
// reaction's context is the message it reacts to, not a quote.
func quotes(m domain.Message) bool { return m.ContextWAMID != "" && m.Type != "reaction" }

// automatic reports whether Switchboard itself sent the message (a softbot,
// an automatic reply, the answer to STOP) rather than a person: agents see
// the bot's exchange marked as such when the conversation reaches them.
func automatic(m domain.Message) bool {
	return m.Direction == "outbound" && (m.Sender == "bot" || m.Sender == "system")
}

// quotable reports whether the agent can reply to m: WhatsApp quotes by
// wamid, which a message has once Meta took it.
func quotable(m domain.Message) bool { return m.WAMID != "" && shown(m) }

// kindWord names a message's kind for a person: "photo", "voice note"…
func kindWord(ctx context.Context, m domain.Message) string {
	kind := m.Type
	if kind == "audio" && detailBool(m, "voice") {
		kind = "voice"
	}
	return i18n.T(ctx, "agent.media.kind."+kind)
}

// mediaState is the state of a message's file: stored, pending, failed, or
// "" when it has none.
func mediaState(m domain.Message) string {
	if m.Media == nil {
		return ""
	}
	return m.Media.State
}

func mediaURL(m domain.Message) string { return "/media/" + m.Media.ID }

// fileName is a document's name as sent, else a neutral one.
func fileName(ctx context.Context, m domain.Message) string {
	if m.Media != nil && m.Media.Filename != "" {
		return m.Media.Filename
	}
	return kindWord(ctx, m)
}

// fileSize is a file's size as people read it ("" when unknown).
func fileSize(m domain.Message) string {
	if m.Media == nil || m.Media.Size == nil {
		return ""
	}
	return humanBytes(*m.Media.Size)
}

// excerpt is a short line standing for a quoted message.
func excerpt(ctx context.Context, m domain.Message) string {
	s := strings.Join(strings.Fields(m.Text), " ")
	if s == "" && m.Media != nil && m.Media.Filename != "" {
		s = m.Media.Filename // a document without a caption
	}
	if s == "" {
		return "[" + kindWord(ctx, m) + "]"
	}
	if utf8.RuneCountInString(s) > 80 {
		r := []rune(s)
		s = string(r[:79]) + "…"
	}
	return s
}

func detailString(m domain.Message, key string) string {
	s, _ := m.Details[key].(string)
	return s
}

func detailBool(m domain.Message, key string) bool {
	b, _ := m.Details[key].(bool)
	return b
}

// place is a shared location.
type place struct {
	Lat, Lon      float64
	Name, Address string
}

func (p place) Coordinates() string {
	return strconv.FormatFloat(p.Lat, 'f', 6, 64) + ", " + strconv.FormatFloat(p.Lon, 'f', 6, 64)
}

// MapURL shows the place on OpenStreetMap.
func (p place) MapURL() string {
	lat, lon := strconv.FormatFloat(p.Lat, 'f', 6, 64), strconv.FormatFloat(p.Lon, 'f', 6, 64)
	return "https://www.openstreetmap.org/?mlat=" + lat + "&mlon=" + lon + "#map=16/" + lat + "/" + lon
}

// location reads details.location (both directions store it alike).
func location(m domain.Message) (place, bool) {
	l, ok := m.Details["location"].(map[string]any)
	if !ok {
		return place{}, false
	}
	lat, ok1 := l["latitude"].(float64)
	lon, ok2 := l["longitude"].(float64)
	if !ok1 || !ok2 {
		return place{}, false
	}
	name, _ := l["name"].(string)
	addr, _ := l["address"].(string)
	return place{Lat: lat, Lon: lon, Name: name, Address: addr}, true
}

// contactCard is a shared contact: a name and its phones.
type contactCard struct {
	Name   string
	Phones []string
}

// contactCards reads details.contacts: a customer's cards are stored as
// the parser's model (Name.FormattedName, Phones[].Phone), ours as
// outbound.SharedContact (name, phones).
func contactCards(m domain.Message) []contactCard {
	list, _ := m.Details["contacts"].([]any)
	out := make([]contactCard, 0, len(list))
	for _, item := range list {
		c, ok := item.(map[string]any)
		if !ok {
			continue
		}
		var card contactCard
		switch n := firstOf(c, "Name", "name").(type) {
		case string:
			card.Name = n
		case map[string]any:
			card.Name, _ = firstOf(n, "FormattedName", "formatted_name").(string)
			if card.Name == "" {
				first, _ := firstOf(n, "FirstName", "first_name").(string)
				last, _ := firstOf(n, "LastName", "last_name").(string)
				card.Name = strings.TrimSpace(first + " " + last)
			}
		}
		phones, _ := firstOf(c, "Phones", "phones").([]any)
		for _, p := range phones {
			switch p := p.(type) {
			case string:
				card.Phones = append(card.Phones, p)
			case map[string]any:
				if s, _ := firstOf(p, "Phone", "phone").(string); s != "" {
					card.Phones = append(card.Phones, s)
				}
			}
		}
		out = append(out, card)
	}
	return out
}

func firstOf(m map[string]any, keys ...string) any {
	for _, k := range keys {
		if v, ok := m[k]; ok {
			return v
		}
	}
	return nil
}

// choiceTitles are the buttons or rows of an interactive message we sent.
func choiceTitles(m domain.Message) []string {
	it, _ := m.Details["interactive"].(map[string]any)
	var out []string
	for _, key := range []string{"buttons", "rows"} {
		list, _ := it[key].([]any)
		for _, c := range list {
			if c, ok := c.(map[string]any); ok {
				if t, _ := c["title"].(string); t != "" {
					out = append(out, t)
				}
			}
		}
	}
	return out
}

// headerKind is the kind of file heading a message we sent with buttons or
// from a template (image, video, document), "" for none.
func headerKind(m domain.Message) string {
	if m.Media == nil {
		return ""
	}
	for _, key := range []string{"interactive", "template"} {
		if d, ok := m.Details[key].(map[string]any); ok {
			if k, _ := d["header_kind"].(string); k != "" {
				return k
			}
		}
	}
	return ""
}

// chosenReply reports whether m is the customer's answer to buttons or a
// list (interactive button_reply or list_reply, or a template's quick-reply
// button): its text is the title chosen.
func chosenReply(m domain.Message) bool {
	if m.Type == "button" {
		return true
	}
	t := detailString(m, "interactive_type")
	return m.Type == "interactive" && (t == "button_reply" || t == "list_reply")
}

// referralHeadline is the ad a Click-to-WhatsApp conversation came from.
func referralHeadline(m domain.Message) string {
	r, _ := m.Details["referral"].(map[string]any)
	if r == nil {
		return ""
	}
	for _, k := range []string{"Headline", "Body", "SourceURL"} {
		if s, _ := r[k].(string); s != "" {
			return s
		}
	}
	return "—"
}

// unsupportedWhy is Meta's explanation of a message it could not show.
func unsupportedWhy(m domain.Message) string {
	var parts []string
	if m.ErrorCode != nil {
		parts = append(parts, strconv.Itoa(*m.ErrorCode))
	}
	for _, s := range []string{m.ErrorTitle, m.ErrorDetails} {
		if s != "" && !slices.Contains(parts, s) {
			parts = append(parts, s)
		}
	}
	return strings.Join(parts, " · ")
}
