package storage

import (
	"context"
	"time"

	"github.com/jackc/pgx/v5"
)

// AgentEvent is one thing an agent's console must learn, numbered per agent
// without gaps (agent_events). Consoles get them live as hints and, after a
// reconnect, read what they missed from here.
type AgentEvent struct {
	TenantID       string    `json:"-"`
	AgentID        string    `json:"-"`
	Seq            int64     `json:"seq"`
	Kind           string    `json:"kind"`
	ConversationID string    `json:"conversation_id"`
	MessageID      string    `json:"message_id,omitempty"`
	At             time.Time `json:"at"`
}

// Agent event kinds.
const (
	AgentMessage        = "message"         // a message was added to one of its conversations
	AgentStatus         = "status"          // a message's delivery status or reaction changed
	AgentAssigned       = "assigned"        // the router gave it a conversation
	AgentTransferredIn  = "transferred_in"  // someone gave it a conversation directly
	AgentTransferredOut = "transferred_out" // a conversation it held went to another agent
	AgentRequeued       = "requeued"        // a conversation it held went back to the queue
	AgentClosed         = "closed"          // a conversation it held was closed
	AgentNote           = "note"            // someone else added a private note to a conversation it holds
)

// tellSQL numbers an event for an agent: the UPDATE takes the agent's next
// number and locks its row until commit, so numbers commit in order.
const tellSQL = `WITH s AS (UPDATE users SET event_seq = event_seq + 1 WHERE tenant_id = $1 AND id = $2 RETURNING event_seq)
	INSERT INTO agent_events (tenant_id, agent_id, seq, kind, conversation_id, message_id)
	SELECT $1, $2, s.event_seq, $3, $4, nullif($5, '')::uuid FROM s RETURNING seq, at`

func tellAgent(ctx context.Context, q interface {
	QueryRow(context.Context, string, ...any) pgx.Row
}, e AgentEvent) (AgentEvent, error) {
	err := q.QueryRow(ctx, tellSQL, e.TenantID, e.AgentID, e.Kind, e.ConversationID, e.MessageID).Scan(&e.Seq, &e.At)
	return e, err
}

// tellAboutMessage tells the agent holding a message's conversation that
// the message was added or changed; nobody is told while the conversation
// waits (its agent reads the history when it gets it).
func (t InboundTx) tellAboutMessage(ctx context.Context, tenantID, wamid, kind string) error {
	var e AgentEvent
	var agent *string
	// The conversation's status is tested here, not in the WHERE: with it
	// there, the generic plan Postgres settles on after a few runs can walk
	// the partial index conversations_open_agent over all the tenant's
	// assigned conversations instead of joining the one by its key.
	err := t.tx.QueryRow(ctx, `SELECT CASE WHEN c.status = 'assigned' THEN c.assigned_agent_id::text END, m.conversation_id, m.id
		FROM messages m JOIN conversations c ON c.tenant_id = m.tenant_id AND c.id = m.conversation_id
		WHERE m.tenant_id = $1 AND m.wamid = $2`,
		tenantID, wamid).Scan(&agent, &e.ConversationID, &e.MessageID)
	if err == pgx.ErrNoRows {
		return nil
	}
	if err != nil {
		return err
	}
	if agent == nil {
		return nil
	}
	e.AgentID = *agent
	e.TenantID, e.Kind = tenantID, kind
	if e, err = tellAgent(ctx, t.tx, e); err != nil {
		return err
	}
	if t.told != nil {
		*t.told = append(*t.told, e)
	}
	return nil
}

// Told returns the agent events this transaction wrote, to be published
// once it has committed.
func (t InboundTx) Told() []AgentEvent {
	if t.told == nil {
		return nil
	}
	return *t.told
}

// AgentEventsSince returns an agent's events after seq, oldest first, at most limit.
func (s *Store) AgentEventsSince(ctx context.Context, tenantID, agentID string, after int64, limit int) ([]AgentEvent, error) {
	var out []AgentEvent
	err := s.InTenant(ctx, tenantID, func(tx pgx.Tx) error {
		rows, err := tx.Query(ctx, `SELECT seq, kind, conversation_id, coalesce(message_id::text, ''), at FROM agent_events
			WHERE tenant_id = $1 AND agent_id = $2 AND seq > $3 ORDER BY seq LIMIT $4`, tenantID, agentID, after, limit)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			e := AgentEvent{TenantID: tenantID, AgentID: agentID}
			if err := rows.Scan(&e.Seq, &e.Kind, &e.ConversationID, &e.MessageID, &e.At); err != nil {
				return err
			}
			out = append(out, e)
		}
		return rows.Err()
	})
	return out, err
}

// AgentEventBounds returns the oldest kept and the latest event number of an
// agent (0, 0 when it has none kept): a console asking for events before
// the oldest kept must reload its state instead.
func (s *Store) AgentEventBounds(ctx context.Context, tenantID, agentID string) (oldest, latest int64, err error) {
	err = s.InTenant(ctx, tenantID, func(tx pgx.Tx) error {
		return tx.QueryRow(ctx, `SELECT coalesce((SELECT min(seq) FROM agent_events WHERE tenant_id = $1 AND agent_id = $2), 0),
			(SELECT event_seq FROM users WHERE tenant_id = $1 AND id = $2)`, tenantID, agentID).Scan(&oldest, &latest)
	})
	return oldest, latest, notFound(err)
}

// PruneAgentEvents deletes events older than age across tenants; a console
// away longer than that reloads its state.
func (s *Store) PruneAgentEvents(ctx context.Context, age time.Duration) (int64, error) {
	var n int64
	err := s.InPlatform(ctx, func(tx pgx.Tx) error {
		tag, err := tx.Exec(ctx, `DELETE FROM agent_events WHERE at < now() - make_interval(secs => $1)`, age.Seconds())
		n = tag.RowsAffected()
		return err
	})
	return n, err
}

// TellAgent records one event for an agent in its own transaction (the
// console's own actions, tests); most events are written by the
// transactions that cause them.
func (s *Store) TellAgent(ctx context.Context, e AgentEvent) (AgentEvent, error) {
	err := s.InTenant(ctx, e.TenantID, func(tx pgx.Tx) error {
		var err error
		e, err = tellAgent(ctx, tx, e)
		return err
	})
	return e, err
}

// TellAgents records events for agents in the dispatcher's transaction and
// returns them numbered. Each agent's counter is moved once for all its
// events of the step (one row updated k times in a transaction would be
// reached through a chain of k versions: quadratic in a large step).
func (t RoutingTx) TellAgents(ctx context.Context, events []AgentEvent) ([]AgentEvent, error) {
	if len(events) == 0 {
		return nil, nil
	}
	counts := map[string]int64{}
	var agents []string
	for _, e := range events {
		if counts[e.AgentID] == 0 {
			agents = append(agents, e.AgentID)
		}
		counts[e.AgentID]++
	}
	b := &pgx.Batch{}
	for _, a := range agents {
		b.Queue(`UPDATE users SET event_seq = event_seq + $3 WHERE tenant_id = $1 AND id = $2 RETURNING event_seq`, t.tenantID, a, counts[a])
	}
	res := t.tx.SendBatch(ctx, b)
	next := make(map[string]int64, len(agents))
	for _, a := range agents {
		var end int64
		if err := res.QueryRow().Scan(&end); err != nil {
			res.Close()
			return nil, err
		}
		next[a] = end - counts[a] + 1
	}
	if err := res.Close(); err != nil {
		return nil, err
	}
	b = &pgx.Batch{}
	out := make([]AgentEvent, len(events))
	for i, e := range events {
		e.TenantID, e.Seq = t.tenantID, next[e.AgentID]
		next[e.AgentID]++
		out[i] = e
		b.Queue(`INSERT INTO agent_events (tenant_id, agent_id, seq, kind, conversation_id, message_id)
			VALUES ($1, $2, $3, $4, $5, nullif($6, '')::uuid) RETURNING at`, t.tenantID, e.AgentID, e.Seq, e.Kind, e.ConversationID, e.MessageID)
	}
	res = t.tx.SendBatch(ctx, b)
	defer res.Close()
	for i := range out {
		if err := res.QueryRow().Scan(&out[i].At); err != nil {
			return nil, err
		}
	}
	return out, res.Close()
}
