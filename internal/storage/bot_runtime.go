package storage

import (
	"context"
	"encoding/json"
	"errors"
	"time"

	"github.com/jackc/pgx/v5"

	"switchboard/internal/domain"
)

// What the softbots read and write while a customer's message is applied
// (inside the inbound processor's transaction) and when the bot sweeper
// moves conversations on by the clock. The administrator's side of the same
// tables is in automation.go and bots.go.

// BotSetup is what a number answers by itself, with its live menu bot.
type BotSetup struct {
	Found           bool // the number has a row; without one nothing is automatic
	TenantLanguage  string
	WelcomeMode     string // off, first, every
	WelcomeText     string
	ClosedMode      string // off, queue, wait
	ClosedText      string
	BusyEnabled     bool
	BusyText        string
	BusyAfter       int // seconds
	HandoffKeywords []string
	BotID           string          // "" when none
	BotVersion      int             // the live version; 0 when never published
	Menu            json.RawMessage // that version's definition
	BotTimeout      int             // seconds
}

// HasBot reports whether new conversations go through a menu bot.
func (b BotSetup) HasBot() bool { return b.BotID != "" && b.BotVersion > 0 && len(b.Menu) > 0 }

// BotSetup reads a number's automatic replies and live bot.
func (t InboundTx) BotSetup(ctx context.Context, tenantID, numberID string) (BotSetup, error) {
	var b BotSetup
	err := t.tx.QueryRow(ctx, `SELECT t.language, a.welcome_mode, a.welcome_text, a.closed_mode, a.closed_text,
			a.busy_enabled, a.busy_text, a.busy_after, a.handoff_keywords, coalesce(a.bot_id::text, ''),
			coalesce(v.version, 0), coalesce(v.definition, 'null'), a.bot_timeout
		FROM number_automation a
		JOIN tenants t ON t.id = a.tenant_id
		LEFT JOIN bots b ON b.tenant_id = a.tenant_id AND b.id = a.bot_id
		LEFT JOIN bot_versions v ON v.tenant_id = a.tenant_id AND v.bot_id = b.id AND v.version = b.live_version
		WHERE a.tenant_id = $1 AND a.number_id = $2`, tenantID, numberID).Scan(
		&b.TenantLanguage, &b.WelcomeMode, &b.WelcomeText, &b.ClosedMode, &b.ClosedText,
		&b.BusyEnabled, &b.BusyText, &b.BusyAfter, &b.HandoffKeywords, &b.BotID, &b.BotVersion, &b.Menu, &b.BotTimeout)
	if err == pgx.ErrNoRows {
		return BotSetup{}, nil
	}
	if string(b.Menu) == "null" {
		b.Menu = nil
	}
	b.Found = err == nil
	return b, err
}

// BotVersionMenu returns a bot version's definition (a run keeps the
// version it started with while the administrator publishes the next).
// A run whose bot was deleted names none ("", the column set to NULL):
// ErrNotFound, as for any bot that is gone, not a uuid Postgres refuses.
func (t InboundTx) BotVersionMenu(ctx context.Context, tenantID, botID string, version int) (json.RawMessage, error) {
	var def json.RawMessage
	if !domain.ValidID(botID) {
		return nil, ErrNotFound
	}
	err := t.tx.QueryRow(ctx, `SELECT definition FROM bot_versions WHERE tenant_id = $1 AND bot_id = $2 AND version = $3`,
		tenantID, botID, version).Scan(&def)
	return def, notFound(err)
}

// RuleToApply is an active keyword rule as the runtime applies it.
type RuleToApply struct {
	ID, Name, Match, Pattern, Language string
	Reply                              json.RawMessage // outbound.Content
	SetTags                            []string
	SetPriority                        *int
	SetSkillset                        string
	Handoff                            bool
	// FileMissing: the file the reply carries is gone (it cannot be sent;
	// writing the message would break its foreign key).
	FileMissing bool
}

// RulesToApply lists the active rules for a number (its own and the
// tenant-wide ones) in the administrator's order.
func (t InboundTx) RulesToApply(ctx context.Context, tenantID, numberID string) ([]RuleToApply, error) {
	rows, err := t.tx.Query(ctx, `SELECT k.id, k.name, k.match, k.pattern, k.language, k.reply, k.set_tags, k.set_priority,
			coalesce(k.set_skillset::text, ''), k.handoff,
			`+ruleMediaID+` IS NOT NULL AND NOT EXISTS (SELECT 1 FROM media md WHERE md.tenant_id = k.tenant_id AND md.id = `+ruleMediaID+`)
		FROM keyword_rules k WHERE k.tenant_id = $1 AND k.active AND (k.number_id IS NULL OR k.number_id = $2)
		ORDER BY k.position, k.created_at`, tenantID, numberID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []RuleToApply
	for rows.Next() {
		var r RuleToApply
		if err := rows.Scan(&r.ID, &r.Name, &r.Match, &r.Pattern, &r.Language, &r.Reply, &r.SetTags, &r.SetPriority,
			&r.SetSkillset, &r.Handoff, &r.FileMissing); err != nil {
			return nil, err
		}
		out = append(out, r)
	}
	return out, rows.Err()
}

// ConversationStatus returns an open conversation's status (locked by
// OpenConversation already in the processor's transaction).
func (t InboundTx) ConversationStatus(ctx context.Context, tenantID, conversationID string) (string, error) {
	var status string
	err := t.tx.QueryRow(ctx, `SELECT status FROM conversations WHERE tenant_id = $1 AND id = $2`, tenantID, conversationID).Scan(&status)
	return status, notFound(err)
}

// FirstConversation reports whether the contact never wrote to this number
// before this conversation (the welcome for first conversations).
func (t InboundTx) FirstConversation(ctx context.Context, tenantID, numberID, contactID, conversationID string) (bool, error) {
	var before bool
	err := t.tx.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM conversations WHERE tenant_id = $1 AND number_id = $2
		AND contact_id = $3 AND id <> $4 AND last_inbound_at IS NOT NULL)`, tenantID, numberID, contactID, conversationID).Scan(&before)
	return !before, err
}

// HoldForBot keeps a new conversation out of the queue while a bot talks
// (the arrival command written with it finds it held and does nothing).
func (t InboundTx) HoldForBot(ctx context.Context, tenantID, conversationID string) error {
	_, err := t.tx.Exec(ctx, `UPDATE conversations SET status = 'bot' WHERE tenant_id = $1 AND id = $2 AND status = 'queued'`,
		tenantID, conversationID)
	return err
}

// SetConversationRouting sets, before the router hears of a new
// conversation, the skillset it asks for ("" keeps it) and the priority
// added on top of the contact's (nil keeps it).
func (t InboundTx) SetConversationRouting(ctx context.Context, tenantID, conversationID, skillsetID string, bump *int) error {
	_, err := t.tx.Exec(ctx, `UPDATE conversations SET
			target_skillset_id = coalesce((SELECT id FROM skillsets WHERE tenant_id = $1 AND id = nullif($3, '')::uuid), target_skillset_id),
			priority_bump = coalesce($4, priority_bump)
		WHERE tenant_id = $1 AND id = $2`, tenantID, conversationID, skillsetID, bump)
	return err
}

// HandOff moves a conversation a bot held into the queue, restricted to a
// skillset when one is given, with the bot's priority bump, and keeping its
// arrival time (queued_at, set when the customer first wrote). It reports
// false when the conversation was no longer the bot's.
func (t InboundTx) HandOff(ctx context.Context, tenantID, conversationID, skillsetID string, bump int) (bool, error) {
	tag, err := t.tx.Exec(ctx, `UPDATE conversations SET status = 'queued',
			target_skillset_id = coalesce((SELECT id FROM skillsets WHERE tenant_id = $1 AND id = nullif($3, '')::uuid), target_skillset_id),
			priority_bump = CASE WHEN $4 <> 0 THEN $4 ELSE priority_bump END
		WHERE tenant_id = $1 AND id = $2 AND status = 'bot'`, tenantID, conversationID, skillsetID, bump)
	if err != nil || tag.RowsAffected() == 0 {
		return false, err
	}
	_, err = enqueueRouting(ctx, t.tx, tenantID, RoutingCommand{Kind: CmdArrive, ConversationID: conversationID})
	return err == nil, err
}

// AddContactTags adds tags to a contact (a keyword rule's), keeping at most
// the 20 a contact may have.
func (t InboundTx) AddContactTags(ctx context.Context, tenantID, contactID string, tags []string) error {
	_, err := t.tx.Exec(ctx, `UPDATE contacts SET tags = (SELECT coalesce(array_agg(x ORDER BY first), '{}') FROM (
			SELECT x, min(o) AS first FROM unnest(tags || $3::text[]) WITH ORDINALITY AS u(x, o) GROUP BY x ORDER BY min(o) LIMIT 20) s),
			updated_at = now()
		WHERE tenant_id = $1 AND id = $2`, tenantID, contactID, tags)
	return err
}

// SetContactValue stores a value a bot collected: "name" is the contact's
// name, anything else one of the tenant's custom fields, checked against
// its kind as the contact panel checks it (a number stored as a number, a
// choice only among its choices). A value that does not fit, or a field
// deleted since the bot was published, is not stored: the customer's
// answer stays in the conversation for a person to read.
func (t InboundTx) SetContactValue(ctx context.Context, tenantID, contactID, field, value string) error {
	if field == "name" {
		_, err := t.tx.Exec(ctx, `UPDATE contacts SET name = $3, updated_at = now() WHERE tenant_id = $1 AND id = $2`, tenantID, contactID, value)
		return err
	}
	f, err := contactField(ctx, t.tx, tenantID, field)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil
	} else if err != nil {
		return err
	}
	v, err := NormalizeFieldValue(f, value)
	if err != nil || v == nil {
		return nil
	}
	js, err := json.Marshal(v)
	if err != nil {
		return err
	}
	_, err = t.tx.Exec(ctx, `UPDATE contacts SET fields = jsonb_set(fields, ARRAY[$3::text], $4::jsonb), updated_at = now()
		WHERE tenant_id = $1 AND id = $2`, tenantID, contactID, field, string(js))
	return err
}

// BotRepliesSince counts the automatic messages of a conversation since a
// time (the loop guard).
func (t InboundTx) BotRepliesSince(ctx context.Context, tenantID, conversationID string, since time.Time) (int, error) {
	var n int
	err := t.tx.QueryRow(ctx, `SELECT count(*) FROM messages WHERE tenant_id = $1 AND conversation_id = $2
		AND direction = 'outbound' AND sender = 'bot' AND created_at >= $3`, tenantID, conversationID, since).Scan(&n)
	return n, err
}

// BotRun is a conversation's run through the bot layer.
type BotRun struct {
	ConversationID string
	NumberID       string
	BotID          string // "" when only automatic replies held it
	BotVersion     int
	State          json.RawMessage // softbot.Run
	WakeAt         *time.Time
	Ended          bool
	Outcome        string
}

// BotRunFor returns a conversation's run, locked; found is false when the
// bot layer never held it.
func (t InboundTx) BotRunFor(ctx context.Context, tenantID, conversationID string) (BotRun, bool, error) {
	r := BotRun{ConversationID: conversationID}
	err := t.tx.QueryRow(ctx, `SELECT number_id, coalesce(bot_id::text, ''), coalesce(bot_version, 0), state, wake_at,
			ended_at IS NOT NULL, outcome
		FROM bot_runs WHERE tenant_id = $1 AND conversation_id = $2 FOR UPDATE`, tenantID, conversationID).Scan(
		&r.NumberID, &r.BotID, &r.BotVersion, &r.State, &r.WakeAt, &r.Ended, &r.Outcome)
	if err == pgx.ErrNoRows {
		return r, false, nil
	}
	return r, err == nil, err
}

// StartBotRun records that the bot layer holds a conversation.
func (t InboundTx) StartBotRun(ctx context.Context, tenantID string, r BotRun) error {
	if len(r.State) == 0 {
		r.State = json.RawMessage("{}")
	}
	_, err := t.tx.Exec(ctx, `INSERT INTO bot_runs (tenant_id, conversation_id, number_id, bot_id, bot_version, state, wake_at)
		VALUES ($1, $2, $3, nullif($4, '')::uuid, nullif($5, 0), $6, $7)`,
		tenantID, r.ConversationID, r.NumberID, r.BotID, r.BotVersion, r.State, r.WakeAt)
	return err
}

// SaveBotRun stores where the customer is in the menu.
func (t InboundTx) SaveBotRun(ctx context.Context, tenantID, conversationID string, state json.RawMessage) error {
	_, err := t.tx.Exec(ctx, `UPDATE bot_runs SET state = $3, updated_at = now() WHERE tenant_id = $1 AND conversation_id = $2`,
		tenantID, conversationID, state)
	return err
}

// EndBotRun records how a run ended (once: a later end does not overwrite
// the first) and, for a conversation that waits for opening time, when to
// queue it.
func (t InboundTx) EndBotRun(ctx context.Context, tenantID, conversationID, outcome, step, reason string, wakeAt *time.Time) error {
	_, err := t.tx.Exec(ctx, `UPDATE bot_runs SET
			outcome = CASE WHEN ended_at IS NULL THEN $3 ELSE outcome END,
			ended_step = CASE WHEN ended_at IS NULL THEN $4 ELSE ended_step END,
			reason = CASE WHEN ended_at IS NULL THEN $5 ELSE reason END,
			ended_at = coalesce(ended_at, now()), wake_at = $6, updated_at = now()
		WHERE tenant_id = $1 AND conversation_id = $2`, tenantID, conversationID, outcome, step, reason, wakeAt)
	return err
}

// DueBot is a conversation the clock moves on: a run timed out, opening
// time came, or the bot lost it to a person.
type DueBot struct {
	TenantID, ConversationID, NumberID, Status string
	Ended                                      bool
	WakeAt                                     *time.Time
}

// DueBots lists, across tenants, held conversations whose time came: runs
// silent past their number's timeout, waits past their opening time, and
// open runs whose conversation someone else moved (taken, closed).
func (s *Store) DueBots(ctx context.Context, now time.Time, limit int) ([]DueBot, error) {
	var out []DueBot
	err := s.InPlatform(ctx, func(tx pgx.Tx) error {
		rows, err := tx.Query(ctx, `SELECT r.tenant_id, r.conversation_id, r.number_id, c.status, r.ended_at IS NOT NULL, r.wake_at
			FROM bot_runs r
			JOIN conversations c ON c.tenant_id = r.tenant_id AND c.id = r.conversation_id
			LEFT JOIN number_automation a ON a.tenant_id = r.tenant_id AND a.number_id = r.number_id
			WHERE (r.ended_at IS NULL AND (c.status <> 'bot'
					OR r.updated_at < $1::timestamptz - make_interval(secs => coalesce(a.bot_timeout, 600))))
				OR (c.status = 'bot' AND r.wake_at IS NOT NULL AND r.wake_at <= $1)
			ORDER BY r.updated_at LIMIT $2`, now, limit)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var d DueBot
			if err := rows.Scan(&d.TenantID, &d.ConversationID, &d.NumberID, &d.Status, &d.Ended, &d.WakeAt); err != nil {
				return err
			}
			out = append(out, d)
		}
		return rows.Err()
	})
	return out, err
}

// BusyWait is a queued conversation owed the "every agent is busy" reply.
type BusyWait struct {
	TenantID, ConversationID, NumberID, ContactID, Text, Language string
}

// BusyWaits lists, across tenants, conversations waiting in the queue past
// their number's busy delay that were not told yet, whose 24-hour window is
// open.
func (s *Store) BusyWaits(ctx context.Context, now time.Time, limit int) ([]BusyWait, error) {
	var out []BusyWait
	err := s.InPlatform(ctx, func(tx pgx.Tx) error {
		rows, err := tx.Query(ctx, `SELECT c.tenant_id, c.id, c.number_id, c.contact_id, a.busy_text, t.language
			FROM conversations c
			JOIN number_automation a ON a.tenant_id = c.tenant_id AND a.number_id = c.number_id AND a.busy_enabled AND a.busy_text <> ''
			JOIN tenants t ON t.id = c.tenant_id
			LEFT JOIN bot_runs r ON r.tenant_id = c.tenant_id AND r.conversation_id = c.id
			WHERE c.status = 'queued' AND c.busy_replied_at IS NULL AND c.window_expires_at > $1
				AND greatest(coalesce(c.queued_at, c.created_at), coalesce(r.ended_at, c.created_at)) <= $1::timestamptz - make_interval(secs => a.busy_after)
			ORDER BY c.queued_at LIMIT $2`, now, limit)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var b BusyWait
			if err := rows.Scan(&b.TenantID, &b.ConversationID, &b.NumberID, &b.ContactID, &b.Text, &b.Language); err != nil {
				return err
			}
			out = append(out, b)
		}
		return rows.Err()
	})
	return out, err
}

// ClaimBusyReply marks a conversation told that every agent is busy, if it
// still waits and was not told (one instance wins), and returns its place
// in its number's queue (1 is next) and the median wait of the number's
// conversations assigned in the last two hours (0 when none).
func (t InboundTx) ClaimBusyReply(ctx context.Context, tenantID, conversationID string) (claimed bool, position int, wait time.Duration, err error) {
	var numberID string
	var prio int
	var arrived time.Time
	err = t.tx.QueryRow(ctx, `UPDATE conversations c SET busy_replied_at = now()
		FROM contacts ct WHERE c.tenant_id = $1 AND c.id = $2 AND ct.tenant_id = $1 AND ct.id = c.contact_id
			AND c.status = 'queued' AND c.busy_replied_at IS NULL
		RETURNING c.number_id, ct.priority + c.priority_bump, coalesce(c.queued_at, c.created_at)`, tenantID, conversationID).Scan(&numberID, &prio, &arrived)
	if err == pgx.ErrNoRows {
		return false, 0, 0, nil
	}
	if err != nil {
		return false, 0, 0, err
	}
	if err = t.tx.QueryRow(ctx, `SELECT count(*) + 1 FROM conversations c JOIN contacts ct ON ct.tenant_id = c.tenant_id AND ct.id = c.contact_id
		WHERE c.tenant_id = $1 AND c.number_id = $2 AND c.status = 'queued' AND c.id <> $3
			AND (ct.priority + c.priority_bump > $4 OR (ct.priority + c.priority_bump = $4 AND coalesce(c.queued_at, c.created_at) < $5))`,
		tenantID, numberID, conversationID, prio, arrived).Scan(&position); err != nil {
		return false, 0, 0, err
	}
	var secs *float64
	if err = t.tx.QueryRow(ctx, `SELECT percentile_cont(0.5) WITHIN GROUP (ORDER BY extract(epoch FROM assigned_at - queued_at))
		FROM conversations WHERE tenant_id = $1 AND number_id = $2 AND assigned_at > now() - interval '2 hours'
			AND queued_at IS NOT NULL AND assigned_at >= queued_at`, tenantID, numberID).Scan(&secs); err != nil {
		return false, 0, 0, err
	}
	if secs != nil {
		wait = time.Duration(*secs * float64(time.Second))
	}
	return true, position, wait, nil
}

// Schedule is NumberSchedule inside the processor's transaction.
func (t InboundTx) Schedule(ctx context.Context, tenantID, numberID string) (Schedule, error) {
	return readSchedule(ctx, t.tx, tenantID, numberID, false)
}
