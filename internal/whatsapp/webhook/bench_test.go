package webhook

import (
	"strconv"
	"testing"
	"time"
)

// mixedPayload is a realistic busy POST: one business number, 20 inbound
// messages of the common types from 5 users, 30 statuses of earlier sends.
func mixedPayload() []byte {
	at := time.Unix(1749416383, 0)
	b := NewMessagesPayload(fxWABA, fxPNID, fxDisplay)
	for i := range 20 {
		from := Contact{WaID: "1650555" + strconv.Itoa(1000+i%5), Name: "User " + strconv.Itoa(i%5)}
		m := Message{ID: "wamid.BENCH" + strconv.Itoa(i), Timestamp: at.Add(time.Duration(i) * time.Second)}
		switch i % 5 {
		case 0, 1:
			m.Text = &Text{Body: "Hello, I would like to know whether my order #" + strconv.Itoa(i) + " has shipped yet."}
		case 2:
			m.Image = &Media{ID: "10033834213872" + strconv.Itoa(i), MimeType: "image/jpeg", SHA256: "nTJv6Z1FHbGCqRgQ4o0y4wDkdgJ+1v6aGM36QdHNwK8=", Caption: "this one", URL: lookaside}
		case 3:
			m.Interactive = &Interactive{Type: InteractiveButtonReply, ButtonReply: &Reply{ID: "yes", Title: "Yes"}}
			m.Context = &Context{From: fxDisplay, ID: "wamid.PREV" + strconv.Itoa(i)}
		case 4:
			m.Reaction = &Reaction{MessageID: "wamid.PREV" + strconv.Itoa(i), Emoji: "👍"}
		}
		b.AddMessage(from, m)
	}
	for i := range 30 {
		s := Status{ID: "wamid.OUT" + strconv.Itoa(i), Status: []string{StatusSent, StatusDelivered, StatusRead}[i%3],
			Timestamp: at.Add(time.Duration(i) * time.Second), RecipientID: "1650555" + strconv.Itoa(1000+i%5)}
		if i%3 == 0 {
			s.Conversation = &StatusConversation{ID: "conv" + strconv.Itoa(i), ExpiresAt: at.Add(24 * time.Hour), OriginType: "service"}
			s.Pricing = &Pricing{Billable: ptr(true), PricingModel: "PMP", Type: "regular", Category: "service"}
		}
		b.AddStatus(s)
	}
	return b.Bytes()
}

func BenchmarkParse(b *testing.B) {
	for _, c := range []struct {
		name string
		body []byte
	}{
		{"single_text", NewMessagesPayload(fxWABA, fxPNID, fxDisplay).Text(Contact{WaID: fxUser, Name: fxName}, "Hi, is the blue jacket still in stock?").Bytes()},
		{"mixed_50", mixedPayload()},
	} {
		b.Run(c.name, func(b *testing.B) {
			b.SetBytes(int64(len(c.body)))
			b.ReportAllocs()
			for b.Loop() {
				p, err := Parse(c.body)
				if err != nil || len(p.Problems) != 0 {
					b.Fatal(err, p.Problems)
				}
			}
		})
	}
}
