package fakemeta

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"sort"
	"strings"
	"time"
)

// Direction tells who sent a message in a conversation.
type Direction string

const (
	Inbound  Direction = "inbound"  // customer → business
	Outbound Direction = "outbound" // business → customer
)

// Choice kinds. Customers can tap the first three (CustomerChooses); the
// others are shown and opened on the phone without reaching the business.
const (
	ChoiceButton     = "button_reply" // interactive reply button
	ChoiceList       = "list_reply"   // interactive list row
	ChoiceQuickReply = "quick_reply"  // template quick-reply button
	ChoiceURL        = "url"          // template URL button (ID is the URL)
	ChoicePhone      = "phone_number" // template call button (ID is the number)
	ChoiceCopyCode   = "copy_code"    // template copy-code / OTP (ID is the code)
)

// Event is one message in a conversation as the customer's phone shows it.
type Event struct {
	WAMID     string    `json:"wamid"`
	Direction Direction `json:"direction"`
	Type      string    `json:"type"`
	Time      time.Time `json:"time"`
	// Text is what the bubble shows: the body, caption, rendered template,
	// reaction emoji, location name or contact names.
	Text     string      `json:"text,omitempty"`
	Media    *EventMedia `json:"media,omitempty"`
	Choices  []Choice    `json:"choices,omitempty"`
	ReplyTo  string      `json:"reply_to,omitempty"` // quoted or reacted-to wamid
	Template string      `json:"template,omitempty"` // template name, for template sends
	// Status of outbound messages: accepted, sent, delivered, read, failed.
	// Of inbound messages: received, or read once the business marks it.
	Status  string      `json:"status"`
	Error   *EventError `json:"error,omitempty"`
	Updated time.Time   `json:"updated"`
	// Payload is the message as it travelled: the type object of the
	// business's request, or the webhook's message object.
	Payload json.RawMessage `json:"payload,omitempty"`
}

// EventMedia describes an attachment. ID is set for stored media (readable
// with MediaContent), Link for media the business sent by URL.
type EventMedia struct {
	ID       string `json:"id,omitempty"`
	Link     string `json:"link,omitempty"`
	MIMEType string `json:"mime_type,omitempty"`
	Filename string `json:"filename,omitempty"`
	Size     int64  `json:"size,omitempty"`
}

// Choice is a button, list row or template button offered by the business.
type Choice struct {
	Kind        string `json:"kind"`
	ID          string `json:"id"`
	Title       string `json:"title"`
	Description string `json:"description,omitempty"`
}

// EventError is why an outbound message failed.
type EventError struct {
	Code    int    `json:"code"`
	Title   string `json:"title"`
	Details string `json:"details"`
}

// CustomerInfo summarises one customer of a number.
type CustomerInfo struct {
	WaID         string    `json:"wa_id"`
	ProfileName  string    `json:"profile_name,omitempty"`
	UserID       string    `json:"user_id,omitempty"`
	LastInbound  time.Time `json:"last_inbound"`
	LastActivity time.Time `json:"last_activity"`
	WindowOpen   bool      `json:"window_open"` // 24-hour customer service window
}

// maxThreadEvents bounds memory per conversation in long load tests; older
// messages are forgotten (and can no longer be referenced).
const maxThreadEvents = 500

// customerServiceWindow is the 24-hour window of §8.1.
const customerServiceWindow = 24 * time.Hour

type threadKey struct {
	pn       string // phone number id
	customer string // wa_id, or BSUID for a username-only user
}

type thread struct {
	key          threadKey
	profileName  string
	username     string
	userID       string
	lastInbound  time.Time
	lastActivity time.Time
	typingUntil  time.Time
	events       []*Event
	changed      chan struct{}
}

// msgRef indexes a message by wamid, with what its status webhooks need.
type msgRef struct {
	th          *thread
	ev          *Event
	opaque      string // biz_opaque_callback_data
	category    string // pricing category: service, marketing, utility, authentication
	pricingType string // regular or free_customer_service
	convID      string
	billed      bool // pricing already reported on delivered or read
	running     bool // a status sequence is in progress
	readPending bool // CustomerReads came while it was running
}

func (t *thread) notify() {
	close(t.changed)
	t.changed = make(chan struct{})
}

func (s *Server) threadLocked(pn, customer string) *thread {
	k := threadKey{pn, customer}
	th := s.threads[k]
	if th == nil {
		th = &thread{key: k, changed: make(chan struct{})}
		s.threads[k] = th
	}
	return th
}

func (s *Server) addEventLocked(th *thread, ev *Event, ref *msgRef) {
	ev.Updated = ev.Time
	th.events = append(th.events, ev)
	th.lastActivity = ev.Time
	if len(th.events) > maxThreadEvents {
		old := th.events[0]
		th.events = th.events[1:]
		delete(s.messages, old.WAMID)
	}
	s.messages[ev.WAMID] = ref
	th.notify()
}

func statusRank(s string) int {
	switch s {
	case "accepted", "received":
		return 0
	case "sent":
		return 1
	case "delivered":
		return 2
	case "read", "played":
		return 3
	}
	return 4 // failed: final
}

// setStatusLocked moves the status forward only, so out-of-order or repeated
// webhooks (StatusSequence) do not make ticks go backwards on the phone.
func (s *Server) setStatusLocked(ref *msgRef, status string, now time.Time, fail *apiError) {
	ev := ref.ev
	if status == "failed" && fail != nil {
		ev.Error = &EventError{Code: fail.code, Title: fail.title, Details: fail.details}
	}
	if statusRank(status) > statusRank(ev.Status) && ev.Status != "failed" {
		ev.Status = status
		ev.Updated = now
		ref.th.notify()
	}
}

// Conversation returns the messages between a number and a customer (wa_id,
// or BSUID for a username-only customer), oldest first, with their current
// statuses. Failed business messages are included with Status "failed" (the
// real phone would not show them; the simulator decides).
func (s *Server) Conversation(phoneNumberID, customer string) []Event {
	s.mu.Lock()
	defer s.mu.Unlock()
	th := s.threads[threadKey{phoneNumberID, customer}]
	if th == nil {
		return nil
	}
	out := make([]Event, len(th.events))
	for i, ev := range th.events {
		out[i] = *ev
	}
	return out
}

// Changed returns a channel closed at the next change to the conversation
// (a message either way, a status, a read mark, typing). Take the channel
// before reading Conversation so no change is missed:
//
//	for {
//		ch := s.Changed(pn, wa)
//		render(s.Conversation(pn, wa))
//		select { case <-ch: case <-ctx.Done(): return }
//	}
func (s *Server) Changed(phoneNumberID, customer string) <-chan struct{} {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.threadLocked(phoneNumberID, customer).changed
}

// Typing reports whether the business's typing indicator is showing (§4.3:
// it lasts 25 s or until the business replies).
func (s *Server) Typing(phoneNumberID, customer string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	th := s.threads[threadKey{phoneNumberID, customer}]
	return th != nil && s.now().Before(th.typingUntil)
}

// Customers lists the customers a number has a conversation with, most
// recent activity first.
func (s *Server) Customers(phoneNumberID string) []CustomerInfo {
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.now()
	var out []CustomerInfo
	for k, th := range s.threads {
		if k.pn != phoneNumberID || len(th.events) == 0 {
			continue
		}
		out = append(out, CustomerInfo{
			WaID: k.customer, ProfileName: th.profileName, UserID: th.userID,
			LastInbound: th.lastInbound, LastActivity: th.lastActivity,
			WindowOpen: windowOpen(th, now),
		})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].LastActivity.After(out[j].LastActivity) })
	return out
}

func windowOpen(th *thread, now time.Time) bool {
	return th != nil && !th.lastInbound.IsZero() && now.Sub(th.lastInbound) < customerServiceWindow
}

// FailRecipient makes every later send to waID fail asynchronously with code
// (e.g. 131026 undeliverable, 131049 ecosystem limit, 131050 marketing
// opt-out, 130472 experiment), as Meta reports delivery-time failures: 200
// and a wamid, then a "failed" status webhook. Code 0 clears it.
func (s *Server) FailRecipient(waID string, code int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if code == 0 {
		delete(s.failures, waID)
		return
	}
	s.failures[waID] = code
}

// InboundMessage is what a customer does on their phone. Type may be left
// empty: it is inferred from the field that is set.
type InboundMessage struct {
	// From is the customer's phone number (wa_id); + and spaces are ignored.
	From        string `json:"from"`
	ProfileName string `json:"profile_name,omitempty"`
	Username    string `json:"username,omitempty"`
	// UserID is the business-scoped user id (BSUID, §2.2), e.g.
	// "US.13491208655302741918". With OmitWaID the webhook carries only the
	// BSUID, as for a user who adopted a username; the conversation is then
	// keyed by UserID.
	UserID   string `json:"user_id,omitempty"`
	OmitWaID bool   `json:"omit_wa_id,omitempty"`

	// Type is text, image, video, audio, document, sticker, location,
	// contacts, interactive, button or reaction.
	Type string `json:"type,omitempty"`
	// Text is the body of a text message, or the caption of an image, video
	// or document.
	Text        string        `json:"text,omitempty"`
	Media       *InboundMedia `json:"media,omitempty"`
	Location    *Location     `json:"location,omitempty"`
	Contacts    []Contact     `json:"contacts,omitempty"`
	ButtonReply *Reply        `json:"button_reply,omitempty"` // interactive reply button tapped
	ListReply   *Reply        `json:"list_reply,omitempty"`   // interactive list row chosen
	Button      *ButtonPress  `json:"button,omitempty"`       // template quick-reply tapped
	Reaction    *Reaction     `json:"reaction,omitempty"`

	// ReplyTo is the wamid the customer quotes (context). For replies and
	// button presses it may be left empty: the latest business message
	// offering that choice is used.
	ReplyTo             string `json:"reply_to,omitempty"`
	Forwarded           bool   `json:"forwarded,omitempty"`
	FrequentlyForwarded bool   `json:"frequently_forwarded,omitempty"`
}

// InboundMedia is a file the customer sends. Its bytes go into the fake's
// media store, so Switchboard downloads them as from Meta.
type InboundMedia struct {
	Data     []byte `json:"data"`
	MIMEType string `json:"mime_type,omitempty"` // sniffed when empty
	Filename string `json:"filename,omitempty"`  // documents
	Voice    bool   `json:"voice,omitempty"`     // audio recorded as a voice note
	Animated bool   `json:"animated,omitempty"`  // stickers
}

// Reply identifies a button or list row; Title and Description are filled
// from the business's message when left empty.
type Reply struct {
	ID          string `json:"id"`
	Title       string `json:"title,omitempty"`
	Description string `json:"description,omitempty"`
}

// ButtonPress is a template quick-reply press: the payload the business set
// (or the label when it set none) and the label.
type ButtonPress struct {
	Payload string `json:"payload,omitempty"`
	Text    string `json:"text,omitempty"`
}

// Reaction reacts to a message; an empty Emoji removes the reaction.
type Reaction struct {
	MessageID string `json:"message_id"`
	Emoji     string `json:"emoji,omitempty"`
}

func inferType(m *InboundMessage) string {
	switch {
	case m.Type != "":
		return m.Type
	case m.Reaction != nil:
		return "reaction"
	case m.ButtonReply != nil || m.ListReply != nil:
		return "interactive"
	case m.Button != nil:
		return "button"
	case m.Location != nil:
		return "location"
	case len(m.Contacts) > 0:
		return "contacts"
	case m.Media != nil:
		mt := m.Media.MIMEType
		if mt == "" {
			mt = http.DetectContentType(m.Media.Data)
		}
		switch {
		case strings.HasPrefix(mt, "image/webp"):
			return "sticker"
		case strings.HasPrefix(mt, "image/"):
			return "image"
		case strings.HasPrefix(mt, "video/"):
			return "video"
		case strings.HasPrefix(mt, "audio/"):
			return "audio"
		}
		return "document"
	}
	return "text"
}

// CustomerSends delivers a customer's message to the business: it opens (or
// renews) the 24-hour window, counts towards the number's throughput, records
// the message in the conversation and posts the signed "messages" webhook.
// It returns once the webhook is queued (ctx bounds waiting for queue space).
func (s *Server) CustomerSends(ctx context.Context, phoneNumberID string, msg InboundMessage) (string, error) {
	env, wamid, err := s.prepareInbound(phoneNumberID, msg)
	if err != nil {
		return "", err
	}
	if _, err := s.emit(ctx, env); err != nil {
		return "", fmt.Errorf("fakemeta: queueing the webhook: %w", err)
	}
	return wamid, nil
}

func (s *Server) prepareInbound(pn string, msg InboundMessage) (hookEnvelope, string, error) {
	var none hookEnvelope
	typ := inferType(&msg)
	waID := ""
	if msg.From != "" {
		d, ok := normalizePhone(msg.From)
		if !ok {
			return none, "", fmt.Errorf("fakemeta: customer phone %q is not a phone number", msg.From)
		}
		waID = d
	}
	customer := waID
	if msg.OmitWaID || waID == "" {
		if msg.UserID == "" {
			return none, "", errors.New("fakemeta: a customer message needs From (wa_id) or UserID")
		}
		customer, waID = msg.UserID, ""
	}
	if msg.Media != nil && len(msg.Media.Data) > maxInboundMedia {
		// Meta turns these into a 131052 error webhook; the simulator
		// refuses them up front instead.
		return none, "", errors.New("fakemeta: inbound media is limited to 100 MB")
	}

	now := s.now()
	s.mu.Lock()
	defer s.mu.Unlock()
	n := s.numbers[pn]
	if n == nil {
		return none, "", ErrUnknownNumber
	}
	th := s.threadLocked(pn, customer)
	hm := hookMessage{ID: newWAMID(), Timestamp: unixString(now), Type: typ, From: waID, FromUserID: msg.UserID}
	ev := &Event{WAMID: hm.ID, Direction: Inbound, Type: typ, Time: now, Status: "received", ReplyTo: msg.ReplyTo}
	if msg.Forwarded || msg.FrequentlyForwarded {
		hm.Context = &hookContext{Forwarded: msg.Forwarded && !msg.FrequentlyForwarded, FrequentlyForwarded: msg.FrequentlyForwarded}
	}
	quote := func(id string) error {
		ref := s.messages[id]
		if ref == nil || ref.th != th {
			return fmt.Errorf("%w: %s is not in this conversation", ErrUnknownMessage, id)
		}
		from := waID
		if ref.ev.Direction == Outbound {
			from, _ = normalizePhone(n.DisplayPhoneNumber)
		}
		if hm.Context == nil {
			hm.Context = &hookContext{}
		}
		hm.Context.From, hm.Context.ID = from, id
		ev.ReplyTo = id
		return nil
	}

	switch typ {
	case "text":
		if strings.TrimSpace(msg.Text) == "" {
			return none, "", errors.New("fakemeta: a text message needs Text")
		}
		hm.Text = &hookText{Body: msg.Text}
		ev.Text = msg.Text
	case "image", "video", "audio", "document", "sticker":
		if msg.Media == nil || len(msg.Media.Data) == 0 {
			return none, "", fmt.Errorf("fakemeta: a %s message needs Media with data", typ)
		}
		mt := msg.Media.MIMEType
		if mt == "" {
			mt = http.DetectContentType(msg.Media.Data)
		}
		m := s.storeMediaLocked(n.Number, mt, typ, msg.Media.Filename, msg.Media.Data, webhookMediaTTL)
		sum := sha256.Sum256(msg.Media.Data)
		obj := &hookMedia{MimeType: mt, SHA256: base64.StdEncoding.EncodeToString(sum[:]), ID: m.id, URL: s.mediaURLLocked(m, "webhook")}
		switch typ {
		case "image", "video":
			obj.Caption = msg.Text
		case "document":
			obj.Caption, obj.Filename = msg.Text, msg.Media.Filename
		case "audio":
			obj.Voice = &msg.Media.Voice
		case "sticker":
			obj.Animated = &msg.Media.Animated
		}
		switch typ {
		case "image":
			hm.Image = obj
		case "video":
			hm.Video = obj
		case "audio":
			hm.Audio = obj
		case "document":
			hm.Document = obj
		default:
			hm.Sticker = obj
		}
		ev.Text = msg.Text
		ev.Media = &EventMedia{ID: m.id, MIMEType: mt, Filename: msg.Media.Filename, Size: int64(len(msg.Media.Data))}
	case "location":
		if msg.Location == nil {
			return none, "", errors.New("fakemeta: a location message needs Location")
		}
		loc := *msg.Location
		hm.Location = &loc
		ev.Text = strings.Join(nonEmpty(loc.Name, loc.Address), "\n")
		if ev.Text == "" {
			ev.Text = fmt.Sprintf("%g, %g", loc.Latitude, loc.Longitude)
		}
	case "contacts":
		if len(msg.Contacts) == 0 {
			return none, "", errors.New("fakemeta: a contacts message needs Contacts")
		}
		hm.Contacts = msg.Contacts
		var names []string
		for _, c := range msg.Contacts {
			names = append(names, c.Name.FormattedName)
		}
		ev.Text = strings.Join(names, ", ")
	case "interactive":
		r, kind := msg.ButtonReply, ChoiceButton
		if r == nil {
			r, kind = msg.ListReply, ChoiceList
		}
		if r == nil || r.ID == "" || (msg.ButtonReply != nil && msg.ListReply != nil) {
			return none, "", errors.New("fakemeta: an interactive reply needs exactly one of ButtonReply or ListReply, with an ID")
		}
		target, ch, err := s.findChoiceLocked(th, msg.ReplyTo, kind, r.ID)
		if err != nil {
			return none, "", err
		}
		reply := &hookReplyID{ID: r.ID, Title: firstNonEmpty(r.Title, ch.Title), Description: firstNonEmpty(r.Description, ch.Description)}
		hm.Interactive = &hookInteractive{Type: kind}
		if kind == ChoiceButton {
			reply.Description = ""
			hm.Interactive.ButtonReply = reply
		} else {
			hm.Interactive.ListReply = reply
		}
		if err := quote(target); err != nil {
			return none, "", err
		}
		ev.Text = reply.Title
	case "button":
		if msg.Button == nil {
			return none, "", errors.New("fakemeta: a button message needs Button")
		}
		id := firstNonEmpty(msg.Button.Payload, msg.Button.Text)
		target, ch, err := s.findChoiceLocked(th, msg.ReplyTo, ChoiceQuickReply, id)
		if err != nil {
			return none, "", err
		}
		hm.Button = &hookButton{Payload: firstNonEmpty(msg.Button.Payload, ch.ID), Text: firstNonEmpty(msg.Button.Text, ch.Title)}
		if err := quote(target); err != nil {
			return none, "", err
		}
		ev.Text = hm.Button.Text
	case "reaction":
		if msg.Reaction == nil || msg.Reaction.MessageID == "" {
			return none, "", errors.New("fakemeta: a reaction needs Reaction.MessageID")
		}
		if ref := s.messages[msg.Reaction.MessageID]; ref == nil || ref.th != th {
			return none, "", fmt.Errorf("%w: %s is not in this conversation", ErrUnknownMessage, msg.Reaction.MessageID)
		}
		hm.Reaction = &hookReaction{MessageID: msg.Reaction.MessageID, Emoji: msg.Reaction.Emoji}
		ev.Text, ev.ReplyTo = msg.Reaction.Emoji, msg.Reaction.MessageID
	default:
		return none, "", fmt.Errorf("fakemeta: unsupported customer message type %q", typ)
	}
	if msg.ReplyTo != "" && typ != "interactive" && typ != "button" && typ != "reaction" {
		if err := quote(msg.ReplyTo); err != nil {
			return none, "", err
		}
	}

	// The customer's identity persists across messages, as on a phone.
	th.profileName = firstNonEmpty(msg.ProfileName, th.profileName)
	th.username = firstNonEmpty(msg.Username, th.username)
	th.userID = firstNonEmpty(msg.UserID, th.userID)
	th.lastInbound = now
	if !s.cfg.ThroughputIgnoresInbound {
		n.tput.record(now, s.cfg.Throughput)
	}
	ev.Payload, _ = json.Marshal(hm)
	s.addEventLocked(th, ev, &msgRef{th: th, ev: ev})

	contact := hookContact{Profile: hookProfile{Name: th.profileName, Username: th.username}, WaID: waID, UserID: th.userID}
	env := messagesEnvelope(n.Number, messagesValue{Contacts: []hookContact{contact}, Messages: []hookMessage{hm}})
	return env, hm.ID, nil
}

// findChoiceLocked finds the business message offering choice id of kind:
// replyTo if given, else the latest one in the thread.
func (s *Server) findChoiceLocked(th *thread, replyTo, kind, id string) (string, Choice, error) {
	match := func(ev *Event) (Choice, bool) {
		if ev.Direction != Outbound || ev.Status == "failed" {
			return Choice{}, false
		}
		for _, c := range ev.Choices {
			if c.Kind == kind && (c.ID == id || (kind == ChoiceQuickReply && c.Title == id)) {
				return c, true
			}
		}
		return Choice{}, false
	}
	if replyTo != "" {
		ref := s.messages[replyTo]
		if ref == nil || ref.th != th {
			return "", Choice{}, fmt.Errorf("%w: %s is not in this conversation", ErrUnknownMessage, replyTo)
		}
		c, ok := match(ref.ev)
		if !ok {
			return "", Choice{}, fmt.Errorf("fakemeta: message %s offers no %s %q", replyTo, kind, id)
		}
		return replyTo, c, nil
	}
	for i := len(th.events) - 1; i >= 0; i-- {
		if c, ok := match(th.events[i]); ok {
			return th.events[i].WAMID, c, nil
		}
	}
	return "", Choice{}, fmt.Errorf("fakemeta: no business message in this conversation offers %s %q", kind, id)
}

// CustomerChooses taps choice choiceID of business message messageID (a
// reply button, list row or template quick reply) and sends the resulting
// interactive or button message, as the phone would.
func (s *Server) CustomerChooses(ctx context.Context, phoneNumberID, customer, messageID, choiceID string) (string, error) {
	s.mu.Lock()
	ref := s.messages[messageID]
	if ref == nil || ref.th.key != (threadKey{phoneNumberID, customer}) {
		s.mu.Unlock()
		return "", fmt.Errorf("%w: %s", ErrUnknownMessage, messageID)
	}
	var chosen *Choice
	for _, c := range ref.ev.Choices {
		if c.ID == choiceID {
			chosen = &c
			break
		}
	}
	th := ref.th
	msg := InboundMessage{ProfileName: th.profileName, UserID: th.userID, ReplyTo: messageID}
	if th.userID != "" && th.userID == customer {
		msg.OmitWaID = true
	} else {
		msg.From = customer
	}
	s.mu.Unlock()
	if chosen == nil {
		return "", fmt.Errorf("fakemeta: message %s has no choice %q", messageID, choiceID)
	}
	switch chosen.Kind {
	case ChoiceButton:
		msg.ButtonReply = &Reply{ID: chosen.ID, Title: chosen.Title}
	case ChoiceList:
		msg.ListReply = &Reply{ID: chosen.ID, Title: chosen.Title, Description: chosen.Description}
	case ChoiceQuickReply:
		msg.Button = &ButtonPress{Payload: chosen.ID, Text: chosen.Title}
	default:
		return "", fmt.Errorf("fakemeta: a %s button does not send a message", chosen.Kind)
	}
	return s.CustomerSends(ctx, phoneNumberID, msg)
}

// CustomerReads has the customer open the chat: business messages that are
// sent or delivered become read, with a "read" status webhook each. Use it
// when StatusSequence leaves "read" out.
func (s *Server) CustomerReads(phoneNumberID, customer string) error {
	s.mu.Lock()
	th := s.threads[threadKey{phoneNumberID, customer}]
	if th == nil {
		s.mu.Unlock()
		return fmt.Errorf("%w: no conversation with %s", ErrUnknownMessage, customer)
	}
	var start []string
	for _, ev := range th.events {
		if ev.Direction != Outbound || ev.Status == "read" || ev.Status == "failed" {
			continue
		}
		ref := s.messages[ev.WAMID]
		if ref == nil {
			continue
		}
		if ref.running {
			ref.readPending = true
			continue
		}
		ref.running = true
		start = append(start, ev.WAMID)
	}
	s.mu.Unlock()
	for _, id := range start {
		if !s.goBackground(func() { s.runStatuses(id, []string{"read"}, nil) }) {
			return ErrClosed
		}
	}
	return nil
}

func firstNonEmpty(ss ...string) string {
	for _, s := range ss {
		if s != "" {
			return s
		}
	}
	return ""
}
