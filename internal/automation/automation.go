// Package automation runs the softbots live: on each customer message, in
// the inbound processor's transaction, it greets new conversations, answers
// out of hours and by keyword rules, walks customers through the number's
// menu bot and hands them to the router; a sweeper moves held conversations
// on by the clock (bot timeouts, opening time) and tells queued customers
// when every agent is busy. What a bot says goes through the outbound
// pipeline like any message, marked as sent by "bot".
//
// Safety, whatever the configuration: a message older than MaxAge is never
// answered (Meta redelivers after outages); at most MaxReplies automatic
// messages per conversation in ReplyWindow (no loops); nothing is sent
// outside the 24-hour window; once a person holds the conversation nothing
// automatic happens.
package automation

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"switchboard/internal/domain"
	"switchboard/internal/hours"
	"switchboard/internal/outbound"
	"switchboard/internal/softbot"
	"switchboard/internal/storage"
	"switchboard/internal/whatsapp/webhook"
)

const (
	// MaxAge is how old a customer's message may be and still be answered.
	MaxAge = 5 * time.Minute
	// MaxReplies automatic messages per conversation in ReplyWindow.
	MaxReplies  = 12
	ReplyWindow = 10 * time.Minute
)

// Engine is the softbots' runtime.
type Engine struct {
	store  *storage.Store
	logger *slog.Logger
	// Now is the clock (tests set it to a time outside business hours).
	Now func() time.Time
	// OutboundQueued wakes the sender after the sweeper wrote a message.
	OutboundQueued func()
}

// New returns the runtime.
func New(store *storage.Store, logger *slog.Logger) *Engine {
	return &Engine{store: store, logger: logger, Now: time.Now}
}

// Message is the customer's message as the engine sees it.
type Message struct {
	ConversationID string
	Status         string // as the message found it (locked by the processor)
	ContactID      string
	WaID           string
	New            bool // the message opened the conversation
	WAMID          string
	At             time.Time
	Input          softbot.Input
}

// FromWebhook maps a parsed message onto the engine's input.
func FromWebhook(m *webhook.Message) softbot.Input {
	switch {
	case m.Text != nil:
		return softbot.Input{Text: m.Text.Body}
	case m.Interactive != nil && m.Interactive.ButtonReply != nil:
		return softbot.Input{Text: m.Interactive.ButtonReply.Title, Choice: m.Interactive.ButtonReply.ID}
	case m.Interactive != nil && m.Interactive.ListReply != nil:
		return softbot.Input{Text: m.Interactive.ListReply.Title, Choice: m.Interactive.ListReply.ID}
	case m.Button != nil:
		return softbot.Input{Text: m.Button.Text}
	}
	return softbot.Input{Other: true}
}

// Lookups caches what a batch of webhook events reads more than once.
type Lookups struct {
	setups map[string]storage.BotSetup
	rules  map[string]*ruleSet
}

type ruleSet struct {
	compiled *softbot.Rules
	byID     map[string]storage.RuleToApply
}

func (l *Lookups) setup(ctx context.Context, tx storage.InboundTx, n domain.Number) (storage.BotSetup, error) {
	if s, ok := l.setups[n.ID]; ok {
		return s, nil
	}
	s, err := tx.BotSetup(ctx, n.TenantID, n.ID)
	if err != nil {
		return s, err
	}
	if l.setups == nil {
		l.setups = map[string]storage.BotSetup{}
	}
	l.setups[n.ID] = s
	return s, nil
}

func (l *Lookups) ruleSet(ctx context.Context, tx storage.InboundTx, n domain.Number) (*ruleSet, error) {
	if r, ok := l.rules[n.ID]; ok {
		return r, nil
	}
	list, err := tx.RulesToApply(ctx, n.TenantID, n.ID)
	if err != nil {
		return nil, err
	}
	rs := &ruleSet{byID: map[string]storage.RuleToApply{}}
	var rules []softbot.Rule
	for _, r := range list {
		rules = append(rules, softbot.Rule{ID: r.ID, Match: r.Match, Pattern: r.Pattern, Language: r.Language})
		rs.byID[r.ID] = r
	}
	rs.compiled = softbot.Compile(rules)
	if l.rules == nil {
		l.rules = map[string]*ruleSet{}
	}
	l.rules[n.ID] = rs
	return rs, nil
}

// turn is what one customer message makes the engine do, written at the
// end in one go.
type turn struct {
	e     *Engine
	tx    storage.InboundTx
	n     domain.Number
	m     Message
	setup storage.BotSetup
	lang  string
	out   []outbound.Content
	now   time.Time
}

func (t *turn) say(texts ...string) {
	for _, s := range texts {
		if s = strings.TrimSpace(s); s != "" {
			t.out = append(t.out, outbound.Content{Type: outbound.TypeText, Text: s})
		}
	}
}

func (t *turn) sayBot(outs []softbot.Out) {
	for _, o := range outs {
		if len(o.Buttons) == 0 && len(o.Rows) == 0 {
			t.say(o.Text)
			continue
		}
		it := &outbound.Interactive{Body: o.Text, ListButton: o.ListButton}
		for _, b := range o.Buttons {
			it.Buttons = append(it.Buttons, outbound.Choice{ID: b.ID, Title: b.Title})
		}
		for _, r := range o.Rows {
			it.Rows = append(it.Rows, outbound.Choice{ID: r.ID, Title: r.Title, Description: r.Description})
		}
		t.out = append(t.out, outbound.Content{Type: outbound.TypeInteractive, Interactive: it})
	}
}

// OnMessage applies the softbots to a customer's message just stored. It
// returns whether it queued outbound messages (the sender is woken after
// commit).
func (e *Engine) OnMessage(ctx context.Context, tx storage.InboundTx, l *Lookups, n domain.Number, m Message) (bool, error) {
	setup, err := l.setup(ctx, tx, n)
	if err != nil {
		return false, err
	}
	rules, err := l.ruleSet(ctx, tx, n)
	if err != nil {
		return false, err
	}
	if !setup.Found && len(rules.byID) == 0 {
		return false, nil // nothing automatic on this number
	}
	t := &turn{e: e, tx: tx, n: n, m: m, setup: setup, now: e.Now(), lang: customerLanguage(m.WaID, setup.TenantLanguage)}
	late := t.now.Sub(m.At) > MaxAge
	switch status := m.Status; {
	case m.New && late:
		// Redelivered after an outage: a person reads it, nobody answers now.
		return false, nil
	case m.New:
		err = t.newConversation(ctx, rules)
	case status == "bot":
		err = t.held(ctx, rules, late)
	case status == "queued" && !late:
		err = t.answerRule(ctx, rules)
	default:
		return false, nil // a person holds it: nothing automatic
	}
	if err != nil {
		return false, err
	}
	return t.send(ctx)
}

// newConversation greets, answers a keyword, and starts the menu bot or
// lets the conversation queue (now, or at opening time).
func (t *turn) newConversation(ctx context.Context, rules *ruleSet) error {
	s, tenantID, convID := t.setup, t.n.TenantID, t.m.ConversationID
	if s.WelcomeMode == "every" || s.WelcomeMode == "first" {
		first := true
		if s.WelcomeMode == "first" {
			var err error
			if first, err = t.tx.FirstConversation(ctx, tenantID, t.n.ID, t.m.ContactID, convID); err != nil {
				return err
			}
		}
		if first {
			t.say(s.WelcomeText)
		}
	}
	wake, closed, err := t.closedUntil(ctx)
	if err != nil {
		return err
	}
	if closed && s.ClosedMode != "off" {
		t.say(s.ClosedText)
	}
	wantsPerson := softbot.WantsPerson(t.m.Input.Text, s.HandoffKeywords)
	handoff := wantsPerson || !s.HasBot()
	if !wantsPerson {
		if rule, ok := rules.compiled.First(t.m.Input.Text, t.lang); ok {
			r := rules.byID[rule.ID]
			if err := t.applyRule(ctx, r, true); err != nil {
				return err
			}
			handoff = handoff || r.Handoff
		}
	}
	// No opening time in sight (a closure past NextOpen's look-ahead):
	// nothing would wake a held conversation, so it queues at once.
	wait := closed && wake != nil && s.ClosedMode == "wait"
	if handoff && !wait {
		return nil // it queues as it arrived
	}
	if err := t.tx.HoldForBot(ctx, tenantID, convID); err != nil {
		return err
	}
	run := storage.BotRun{ConversationID: convID, NumberID: t.n.ID}
	if handoff {
		// Only waiting for opening time.
		if err := t.tx.StartBotRun(ctx, tenantID, run); err != nil {
			return err
		}
		return t.tx.EndBotRun(ctx, tenantID, convID, softbot.EndHandoff, "", "closed", wake)
	}
	menu, err := parseMenu(s.Menu)
	if err != nil {
		return err
	}
	o := softbot.Begin(menu, t.lang)
	state, _ := json.Marshal(o.Run)
	run.BotID, run.BotVersion, run.State = s.BotID, s.BotVersion, state
	if wait {
		run.WakeAt = wake
	}
	if err := t.tx.StartBotRun(ctx, tenantID, run); err != nil {
		return err
	}
	t.sayBot(o.Messages)
	return t.finish(ctx, o)
}

// held moves a conversation the bot holds on with the customer's message.
func (t *turn) held(ctx context.Context, rules *ruleSet, late bool) error {
	tenantID, convID := t.n.TenantID, t.m.ConversationID
	run, found, err := t.tx.BotRunFor(ctx, tenantID, convID)
	if err != nil || !found {
		return err
	}
	if run.Ended {
		// Waiting for opening time: keyword answers only.
		if late {
			return nil
		}
		return t.answerRule(ctx, rules)
	}
	switch {
	case late:
		return t.handOff(ctx, softbot.Outcome{End: softbot.EndHandoff, Reason: "late", Step: stepOf(run)})
	case softbot.WantsPerson(t.m.Input.Text, t.setup.HandoffKeywords):
		t.say(softbot.Phrase(t.lang, "handoff"))
		return t.handOff(ctx, softbot.Outcome{End: softbot.EndHandoff, Reason: "asked", Step: stepOf(run)})
	}
	def, err := t.tx.BotVersionMenu(ctx, tenantID, run.BotID, run.BotVersion)
	if errors.Is(err, storage.ErrNotFound) {
		// The bot was deleted under the run: a person takes over.
		return t.handOff(ctx, softbot.Outcome{End: softbot.EndHandoff, Reason: "lost", Step: stepOf(run)})
	}
	if err != nil {
		return err
	}
	menu, err := parseMenu(def)
	if err != nil {
		return err
	}
	var state softbot.Run
	if err := json.Unmarshal(run.State, &state); err != nil {
		return fmt.Errorf("bot run %s: %w", convID, err)
	}
	o := softbot.Reply(menu, state, t.m.Input, t.lang)
	for field, value := range o.Collected {
		if err := t.tx.SetContactValue(ctx, tenantID, t.m.ContactID, field, value); err != nil {
			return err
		}
	}
	t.sayBot(o.Messages)
	next, _ := json.Marshal(o.Run)
	if err := t.tx.SaveBotRun(ctx, tenantID, convID, next); err != nil {
		return err
	}
	return t.finish(ctx, o)
}

// answerRule answers keyword rules while the conversation waits for opening
// time or for an agent.
func (t *turn) answerRule(ctx context.Context, rules *ruleSet) error {
	rule, ok := rules.compiled.First(t.m.Input.Text, t.lang)
	if !ok {
		return nil
	}
	return t.applyRule(ctx, rules.byID[rule.ID], false)
}

// applyRule answers with a rule and applies what it sets. Priority and
// skillset are the router's to know: they are set only on a conversation
// it has not heard of yet.
func (t *turn) applyRule(ctx context.Context, r storage.RuleToApply, routable bool) error {
	var c outbound.Content
	if err := json.Unmarshal(r.Reply, &c); err != nil || c.Validate() != nil || r.FileMissing {
		t.e.logger.Warn("keyword rule with an unusable reply", "rule_id", r.ID, "error", err, "file_missing", r.FileMissing)
	} else {
		t.out = append(t.out, c)
	}
	if len(r.SetTags) > 0 {
		if err := t.tx.AddContactTags(ctx, t.n.TenantID, t.m.ContactID, r.SetTags); err != nil {
			return err
		}
	}
	if routable && (r.SetSkillset != "" || r.SetPriority != nil) {
		return t.tx.SetConversationRouting(ctx, t.n.TenantID, t.m.ConversationID, r.SetSkillset, r.SetPriority)
	}
	return nil
}

// finish acts on how a step ended.
func (t *turn) finish(ctx context.Context, o softbot.Outcome) error {
	switch o.End {
	case softbot.EndNone:
		return nil
	case softbot.EndResolved:
		// The bot has nothing more to do: a person sees the conversation
		// (and may close it); reports count it as resolved by the bot.
		return t.handOffAs(ctx, o, "resolved")
	}
	return t.handOff(ctx, o)
}

func (t *turn) handOff(ctx context.Context, o softbot.Outcome) error {
	return t.handOffAs(ctx, o, "handed_off")
}

// handOffAs ends the run and queues the conversation, or leaves it waiting
// for opening time when the number is closed and told to wait.
func (t *turn) handOffAs(ctx context.Context, o softbot.Outcome, outcome string) error {
	tenantID, convID := t.n.TenantID, t.m.ConversationID
	wake, closed, err := t.closedUntil(ctx)
	if err != nil {
		return err
	}
	if closed && wake != nil && t.setup.ClosedMode == "wait" { // no wake: see newConversation
		if o.Skillset != "" || o.PriorityBump != 0 {
			bump := o.PriorityBump
			if err := t.tx.SetConversationRouting(ctx, tenantID, convID, o.Skillset, &bump); err != nil {
				return err
			}
		}
		return t.tx.EndBotRun(ctx, tenantID, convID, outcome, o.Step, o.Reason, wake)
	}
	if err := t.tx.EndBotRun(ctx, tenantID, convID, outcome, o.Step, o.Reason, nil); err != nil {
		return err
	}
	_, err = t.tx.HandOff(ctx, tenantID, convID, o.Skillset, o.PriorityBump)
	return err
}

// closedUntil reports whether the number is closed now by its business
// hours, and when it opens. A number without hours is never "closed": the
// out-of-hours reply needs hours to be out of.
func (t *turn) closedUntil(ctx context.Context) (*time.Time, bool, error) {
	if t.setup.ClosedMode == "off" || !t.setup.Found {
		return nil, false, nil
	}
	sc, err := t.tx.Schedule(ctx, t.n.TenantID, t.n.ID)
	if err != nil || len(sc.Hours) == 0 || sc.OpenAt(t.now) {
		return nil, false, err
	}
	at, ok := hours.NextOpen(sc.Hours, sc.Holidays, sc.Location(), t.now)
	if !ok {
		return nil, true, nil
	}
	return &at, true, nil
}

// send writes the turn's messages under the loop guard.
func (t *turn) send(ctx context.Context) (bool, error) {
	if len(t.out) == 0 {
		return false, nil
	}
	sent, err := t.tx.BotRepliesSince(ctx, t.n.TenantID, t.m.ConversationID, t.now.Add(-ReplyWindow))
	if err != nil {
		return false, err
	}
	if sent+len(t.out) > MaxReplies {
		t.e.logger.Warn("softbot loop guard: not answering", "conversation_id", t.m.ConversationID, "sent", sent)
		status, err := t.tx.ConversationStatus(ctx, t.n.TenantID, t.m.ConversationID)
		if err == nil && status == "bot" {
			err = t.handOff(ctx, softbot.Outcome{End: softbot.EndHandoff, Reason: "loop"})
		}
		return false, err
	}
	for i, c := range t.out {
		o := c.Outgoing(t.n.TenantID, t.n.ID, t.m.ContactID, "", "bot", fmt.Sprintf("bot:%s:%d", t.m.WAMID, i))
		if _, _, err := t.tx.EnqueueOutbound(ctx, o); err != nil {
			return false, err
		}
	}
	return true, nil
}

func parseMenu(def json.RawMessage) (softbot.Menu, error) {
	var m softbot.Menu
	if err := json.Unmarshal(def, &m); err != nil {
		return m, fmt.Errorf("bot definition: %w", err)
	}
	return m, nil
}

func stepOf(r storage.BotRun) string {
	var s softbot.Run
	_ = json.Unmarshal(r.State, &s)
	return s.Step
}

// customerLanguage guesses the language to answer in: Italian for Italian
// numbers, English for the main English-speaking country codes, the
// tenant's language otherwise (WhatsApp does not tell a customer's
// language).
func customerLanguage(waID, tenantLanguage string) string {
	switch {
	case strings.HasPrefix(waID, "39"):
		return "it"
	case strings.HasPrefix(waID, "44"), strings.HasPrefix(waID, "1"), strings.HasPrefix(waID, "353"),
		strings.HasPrefix(waID, "61"), strings.HasPrefix(waID, "64"):
		return "en"
	case tenantLanguage == "it":
		return "it"
	}
	return "en"
}
