package outbound

import (
	"context"
	"errors"
	"io"
	"net"

	"switchboard/internal/domain"
	"switchboard/internal/whatsapp/graph"
)

// GraphTransport sends through the Cloud API client: Meta's Graph API for
// live numbers, the sandbox's for sandbox numbers.
type GraphTransport struct {
	// Client picks the Graph API for a number.
	Client func(domain.Number) *graph.Client
}

// Deliver sends one message and returns Meta's wamid.
func (t GraphTransport) Deliver(ctx context.Context, n domain.Number, token string, d Delivery) (string, error) {
	res, err := t.Client(n).Send(ctx, token, n.PhoneNumberID, toGraph(d))
	if err != nil {
		return "", classify(err)
	}
	return res.WAMID, nil
}

// Upload sends a file to Meta for one number and returns Meta's media id.
func (t GraphTransport) Upload(ctx context.Context, n domain.Number, token, filename, mimeType string, r io.Reader) (string, error) {
	id, err := t.Client(n).Upload(ctx, token, n.PhoneNumberID, filename, mimeType, r)
	if err != nil {
		return "", classify(err)
	}
	return id, nil
}

// toGraph maps our content onto Meta's request body.
func toGraph(d Delivery) graph.OutgoingMessage {
	c := d.Content
	m := graph.OutgoingMessage{To: d.Recipient, BizOpaqueCallbackData: d.Reference}
	if c.ReplyTo != "" {
		m.Context = &graph.MessageContext{MessageID: c.ReplyTo}
	}
	media := &graph.MediaObject{ID: d.MetaMediaID}
	switch c.Type {
	case TypeText:
		m.Text = &graph.Text{Body: c.Text, PreviewURL: c.PreviewURL}
	case TypeImage:
		media.Caption, m.Image = c.Text, media
	case TypeVideo:
		media.Caption, m.Video = c.Text, media
	case TypeAudio:
		m.Audio = media
	case TypeDocument:
		media.Caption, media.Filename, m.Document = c.Text, c.Filename, media
	case TypeSticker:
		m.Sticker = media
	case TypeLocation:
		m.Location = &graph.Location{Latitude: c.Location.Latitude, Longitude: c.Location.Longitude, Name: c.Location.Name, Address: c.Location.Address}
	case TypeReaction:
		m.Reaction = &graph.Reaction{MessageID: c.ReactTo, Emoji: c.Emoji}
	case TypeContacts:
		for _, sc := range c.Contacts {
			card := graph.Contact{Name: graph.ContactName{FormattedName: sc.Name}}
			for _, p := range sc.Phones {
				card.Phones = append(card.Phones, graph.ContactPhone{Phone: p, Type: "CELL"})
			}
			m.Contacts = append(m.Contacts, card)
		}
	case TypeInteractive:
		it := c.Interactive
		if len(it.Buttons) > 0 {
			buttons := make([]graph.ReplyButton, 0, len(it.Buttons))
			for _, b := range it.Buttons {
				buttons = append(buttons, graph.ReplyButton{ID: b.ID, Title: b.Title})
			}
			m.Interactive = graph.ReplyButtons(it.Body, buttons...)
			if it.HeaderMediaID != "" {
				h := &graph.InteractiveHeader{Type: it.HeaderKind}
				hm := &graph.MediaObject{ID: d.MetaMediaID}
				switch it.HeaderKind {
				case TypeImage:
					h.Image = hm
				case TypeVideo:
					h.Video = hm
				case TypeDocument:
					hm.Filename = it.HeaderFilename
					h.Document = hm
				}
				m.Interactive.Header = h
			}
		} else {
			rows := make([]graph.ListRow, 0, len(it.Rows))
			for _, r := range it.Rows {
				rows = append(rows, graph.ListRow{ID: r.ID, Title: r.Title, Description: r.Description})
			}
			m.Interactive = graph.ListMessage(it.Body, it.ListButton, graph.ListSection{Rows: rows})
		}
	case TypeTemplate:
		t := c.Template
		tm := &graph.TemplateMessage{Name: t.Name, Language: graph.TemplateLanguage{Code: t.Language}}
		switch {
		case t.HeaderMediaID != "":
			hm := graph.MediaObject{ID: d.MetaMediaID}
			param := map[string]func(graph.MediaObject) graph.TemplateParameter{
				"image": graph.ImageParam, "video": graph.VideoParam, "document": graph.DocumentParam}[t.HeaderKind]
			tm.Components = append(tm.Components, graph.HeaderComponent(param(hm)))
		case len(t.HeaderParams) > 0:
			tm.Components = append(tm.Components, graph.HeaderComponent(textParams(t.HeaderParams)...))
		}
		if len(t.BodyParams) > 0 {
			tm.Components = append(tm.Components, graph.BodyComponent(textParams(t.BodyParams)...))
		}
		for _, b := range t.Buttons {
			switch b.SubType {
			case "quick_reply":
				tm.Components = append(tm.Components, graph.QuickReplyButton(b.Index, b.Value))
			case "url":
				tm.Components = append(tm.Components, graph.URLButton(b.Index, b.Value))
			case "copy_code":
				tm.Components = append(tm.Components, graph.CopyCodeButton(b.Index, b.Value))
			}
		}
		m.Template = tm
	}
	return m
}

func textParams(values []string) []graph.TemplateParameter {
	out := make([]graph.TemplateParameter, 0, len(values))
	for _, v := range values {
		out = append(out, graph.TextParam(v))
	}
	return out
}

// classify turns the client's errors into the sender's decisions.
func classify(err error) error {
	var ge *graph.Error
	switch {
	case errors.Is(err, graph.ErrInvalidMessage):
		return &SendError{Title: "invalid message", Details: err.Error()}
	case errors.As(err, &ge):
	case neverSent(err):
		return &SendError{Title: "could not reach the Graph API", Details: err.Error(), Retryable: true}
	default:
		// A timeout or a connection lost after the request went out: Meta
		// may have accepted it, and the Cloud API has no idempotency key.
		// Sending again could send twice, so the row is marked uncertain
		// (a status webhook carrying our reference settles it).
		return &SendError{Title: "no answer from the Graph API", Details: err.Error(), Uncertain: true}
	}
	se := &SendError{Title: ge.Title, Details: ge.Details, Retryable: graph.Retryable(err), TokenInvalid: graph.IsTokenInvalid(err),
		TooFast: ge.Code == 130429, PairLimited: ge.Code == 131056}
	if ge.Code != 0 {
		code := ge.Code
		se.Code = &code
	}
	if se.Title == "" {
		se.Title = ge.Message
	}
	return se
}

// neverSent reports whether the request certainly did not reach Meta: the
// connection could not even be opened.
func neverSent(err error) bool {
	var op *net.OpError
	if errors.As(err, &op) && op.Op == "dial" {
		return true
	}
	var dns *net.DNSError
	return errors.As(err, &dns)
}
