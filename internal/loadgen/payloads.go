package loadgen

import (
	"encoding/base64"
	"fmt"
	"math/rand/v2"
	"strconv"
	"strings"
	"time"

	"switchboard/internal/whatsapp/webhook"
)

// Target is one business number the generated webhooks are addressed to.
type Target struct {
	PhoneNumberID string
	WABAID        string
	DisplayPhone  string
}

// Payload is one webhook POST, signed as Meta signs it.
type Payload struct {
	Body      []byte
	Signature string // the X-Hub-Signature-256 header
	// WAMIDs are the customer messages in Body; statuses refer to outbound
	// messages, which are not listed.
	WAMIDs []string
	// Kind names the content ("text", "image", "status", "batch", …).
	Kind string
	// Duplicate marks a byte-for-byte copy of an earlier payload, as Meta
	// sends when it retries.
	Duplicate bool
	// BadSignature marks a payload signed with the wrong secret: the server
	// must refuse it, so it is never counted as lost.
	BadSignature bool
}

// Sizes of the generator's memory. They bound what duplicates, reactions
// and statuses can refer to, and keep a long run's memory flat.
const (
	recentPayloads = 2048
	recentInbound  = 4096
	openOutbound   = 8192
	customerCount  = 2000
	batchShare     = 0.03 // Meta batches a few updates into one POST now and then
)

// outbound is a business message whose statuses are still to come.
type outbound struct {
	wamid, recipient string
	sent             time.Time
	next             int // the next statusStep
}

// statusStep is a business message's i-th status.
func statusStep(i int) string {
	switch i {
	case 0:
		return webhook.StatusSent
	case 1:
		return webhook.StatusDelivered
	}
	return webhook.StatusRead
}

const statusSteps = 3

// mix produces a realistic, reproducible stream of payloads from one seed.
// It is used by a single goroutine.
type mix struct {
	rng         *rand.Rand
	secret      []byte
	wrongSecret []byte
	targets     []Target
	customers   []webhook.Contact
	dupRatio    float64
	statusShare float64
	badSigRatio float64
	now         func() time.Time

	recent   []Payload // candidates for duplicates (never bad signatures)
	inbound  []string  // recent customer wamids, for reactions
	outbound []outbound
}

func newMix(cfg WebhookConfig) *mix {
	rng := rand.New(rand.NewPCG(cfg.Seed, cfg.Seed^0x9e3779b97f4a7c15))
	m := &mix{
		rng: rng, secret: []byte(cfg.AppSecret), wrongSecret: []byte(cfg.AppSecret + "-not-the-secret"),
		targets: cfg.Targets, dupRatio: cfg.DuplicateRatio,
		statusShare: cfg.StatusRatio / (cfg.StatusRatio + 1), badSigRatio: cfg.BadSignatureRatio,
		now: time.Now,
	}
	first := []string{"Giulia", "Marco", "Sofia", "Luca", "Amina", "Wei", "Olga", "Diego", "Priya", "Kwame", "Emma", "Noah", "Fatima", "Jonas"}
	last := []string{"Rossi", "Bianchi", "García", "Nguyen", "Okafor", "Müller", "Silva", "Kowalski", "Haddad", "Tanaka"}
	for i := range customerCount {
		c := webhook.Contact{WaID: "39" + digits(rng, 10), Name: first[rng.IntN(len(first))] + " " + last[rng.IntN(len(last))]}
		if i%4 == 0 {
			// Since 2026 Meta also sends a business-scoped user id.
			c.UserID = "IT." + digits(rng, 20)
		}
		m.customers = append(m.customers, c)
	}
	return m
}

// next returns the next payload of the stream.
func (m *mix) next() Payload {
	if len(m.recent) > 0 && m.rng.Float64() < m.dupRatio {
		p := m.recent[m.rng.IntN(len(m.recent))]
		p.Duplicate = true
		return p
	}
	var p Payload
	n := 1
	if m.rng.Float64() < batchShare {
		n = 2 + m.rng.IntN(2)
	}
	builders := make([]*webhook.Builder, n)
	for i := range builders {
		t := m.targets[m.rng.IntN(len(m.targets))]
		b := webhook.NewMessagesPayload(t.WABAID, t.PhoneNumberID, t.DisplayPhone)
		if m.rng.Float64() < m.statusShare {
			m.addStatus(b)
			p.Kind = "status"
		} else {
			p.Kind = m.addMessage(b)
			p.WAMIDs = append(p.WAMIDs, b.LastMessageID())
		}
		builders[i] = b
	}
	if n > 1 {
		p.Kind = "batch"
	}
	body, err := webhook.Batch(builders...)
	if err != nil {
		// Everything above is finite and encodable; failing here is a bug.
		panic("loadgen: build payload: " + err.Error())
	}
	p.Body = body
	if m.rng.Float64() < m.badSigRatio {
		p.BadSignature = true
		p.Signature = webhook.Sign(m.wrongSecret, body)
		return p
	}
	p.Signature = webhook.Sign(m.secret, body)
	if len(m.recent) < recentPayloads {
		m.recent = append(m.recent, p)
	} else {
		m.recent[m.rng.IntN(recentPayloads)] = p
	}
	return p
}

// addMessage appends one customer message and says which kind it was; the
// weights follow what a support number receives: mostly text, then media
// and replies to the business's buttons and lists.
func (m *mix) addMessage(b *webhook.Builder) string {
	from := m.customers[m.rng.IntN(len(m.customers))]
	at := m.now().Add(-time.Duration(m.rng.IntN(3000)) * time.Millisecond)
	msg := webhook.Message{Timestamp: at}
	kind := ""
	switch r := m.rng.IntN(100); {
	case r < 50:
		kind = webhook.TypeText
		texts := [...]string{
			"Hi, is my order %d on its way?",
			"Buongiorno, vorrei cambiare l'indirizzo di consegna per l'ordine %d",
			"Can I return the shoes from order %d? They are too small.",
			"Thanks! 🙏",
			"The tracking link for %d doesn't work",
			"Do you have the blue one in size M?",
			"I was charged twice for order %d, please check",
			"What are your opening hours on Sunday?",
			"ok",
			"Hola, necesito ayuda con mi pedido %d",
		}
		body := texts[m.rng.IntN(len(texts))]
		if strings.Contains(body, "%d") {
			body = fmt.Sprintf(body, 100000+m.rng.IntN(900000))
		}
		msg.Text = &webhook.Text{Body: body}
	case r < 65:
		kind = webhook.TypeImage
		msg.Image = &webhook.Media{ID: digits(m.rng, 16), MimeType: "image/jpeg", SHA256: m.sha256()}
		if m.rng.IntN(3) == 0 {
			msg.Image.Caption = "photo of the damaged box"
		}
	case r < 70:
		kind = webhook.TypeLocation
		msg.Location = &webhook.Location{Latitude: 45.46 + m.rng.Float64()/10, Longitude: 9.18 + m.rng.Float64()/10}
		if m.rng.IntN(2) == 0 {
			msg.Location.Name, msg.Location.Address = "Duomo di Milano", "Piazza del Duomo, 20122 Milano MI"
		}
	case r < 80:
		kind = webhook.TypeReaction
		msg.Reaction = &webhook.Reaction{MessageID: m.earlierWAMID(), Emoji: []string{"👍", "❤️", "😂", "🙏"}[m.rng.IntN(4)]}
	case r < 92:
		kind = "button_reply"
		msg.Interactive = &webhook.Interactive{Type: webhook.InteractiveButtonReply,
			ButtonReply: &webhook.Reply{ID: "btn-" + strconv.Itoa(m.rng.IntN(3)), Title: []string{"Yes", "No", "Talk to an agent"}[m.rng.IntN(3)]}}
		msg.Context = &webhook.Context{ID: m.earlierWAMID()}
	default:
		kind = "list_reply"
		msg.Interactive = &webhook.Interactive{Type: webhook.InteractiveListReply,
			ListReply: &webhook.Reply{ID: "row-" + strconv.Itoa(m.rng.IntN(5)), Title: "Delivery", Description: "Where is my parcel?"}}
		msg.Context = &webhook.Context{ID: m.earlierWAMID()}
	}
	b.AddMessage(from, msg)
	id := b.LastMessageID()
	if len(m.inbound) < recentInbound {
		m.inbound = append(m.inbound, id)
	} else {
		m.inbound[m.rng.IntN(recentInbound)] = id
	}
	return kind
}

// earlierWAMID is a message the customer can react or reply to: a business
// message when there is one, else an earlier customer message.
func (m *mix) earlierWAMID() string {
	switch {
	case len(m.outbound) > 0 && m.rng.IntN(2) == 0:
		return m.outbound[m.rng.IntN(len(m.outbound))].wamid
	case len(m.inbound) > 0:
		return m.inbound[m.rng.IntN(len(m.inbound))]
	}
	return webhook.NewWAMID()
}

// addStatus appends the next status of some business message: each one
// goes sent → delivered → read, in order and with plausible delays, so the
// stream references earlier wamids the way Meta's does.
func (m *mix) addStatus(b *webhook.Builder) {
	// A third of statuses start a new message, which keeps the number open
	// steady: each message yields three statuses.
	if len(m.outbound) == 0 || (len(m.outbound) < openOutbound && m.rng.IntN(3) == 0) {
		to := m.customers[m.rng.IntN(len(m.customers))]
		m.outbound = append(m.outbound, outbound{wamid: webhook.NewWAMID(), recipient: to.WaID, sent: m.now()})
	}
	i := m.rng.IntN(len(m.outbound))
	if len(m.outbound) >= openOutbound {
		i = 0 // the oldest: keeps memory bounded on long runs
	}
	o := &m.outbound[i]
	s := webhook.Status{ID: o.wamid, Status: statusStep(o.next), RecipientID: o.recipient,
		Timestamp: o.sent.Add(time.Duration(o.next) * 1500 * time.Millisecond)}
	if o.next < 2 {
		billable := true
		s.Pricing = &webhook.Pricing{Billable: &billable, PricingModel: "PMP", Type: "regular", Category: "utility"}
	}
	b.AddStatus(s)
	o.next++
	if o.next == statusSteps {
		m.outbound[i] = m.outbound[len(m.outbound)-1]
		m.outbound = m.outbound[:len(m.outbound)-1]
	}
}

// sha256 is shaped like Meta's media hash (base64 of 32 bytes).
func (m *mix) sha256() string {
	var b [32]byte
	for i := range b {
		b[i] = byte(m.rng.Uint32())
	}
	return base64.StdEncoding.EncodeToString(b[:])
}

func digits(rng *rand.Rand, n int) string {
	b := make([]byte, n)
	b[0] = byte('1' + rng.IntN(9))
	for i := 1; i < n; i++ {
		b[i] = byte('0' + rng.IntN(10))
	}
	return string(b)
}
