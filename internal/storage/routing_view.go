package storage

import (
	"context"
	"encoding/json"
	"time"

	"github.com/jackc/pgx/v5"

	"switchboard/internal/domain"
	"switchboard/internal/router"
)

// What administrators read about routing: the live queues and agents, the
// conversations with their routing history. Read-only; the dispatcher is
// the only writer of routing state.

// LiveQueueLimit is how many waiting conversations the live view lists per
// number; the rest are only counted.
const LiveQueueLimit = 50

// LiveRouting is a tenant's routing at one moment: each number's queue in
// queue order and each active agent's load.
type LiveRouting struct {
	At      time.Time // the database's clock when it was read
	Numbers []LiveNumber
	Agents  []LiveAgent
}

// LiveNumber is a managed number with the skillsets that serve it and its
// queue.
type LiveNumber struct {
	ID, DisplayPhone string
	Skillsets        []LiveLink // best first
	Queue            []LiveQueued
	Waiting          int // all waiting conversations, Queue holds the first LiveQueueLimit
}

// LiveLink is a skillset with a priority: on a number (skillset priority)
// or of an agent in it (agent priority).
type LiveLink struct {
	Name     string
	Priority int
}

// LiveQueued is a waiting conversation.
type LiveQueued struct {
	ConversationID  string
	ContactName     string
	ContactPhone    string
	ContactPriority int
	QueuedAt        time.Time
	Waiting         time.Duration
	TargetSkillset  string // the skillset a transfer restricted it to; "" when any
}

// LiveAgent is an active agent with its load and capacity.
type LiveAgent struct {
	ID, Name, Email string
	Load, Capacity  int
	Skillsets       []LiveLink // its memberships, with its priority in each
}

// contactPhone is the contact's phone as people read it.
const contactPhone = `coalesce(nullif(ct.phone, ''), '+' || ct.wa_id, ct.user_id, '')`

// LiveRouting reads the tenant's queues and agents.
func (s *Store) LiveRouting(ctx context.Context, tenantID string) (LiveRouting, error) {
	var v LiveRouting
	err := s.InTenant(ctx, tenantID, func(tx pgx.Tx) error {
		// Read committed: a change committed between these queries shows
		// half on this refresh and whole on the next, two seconds later.
		if err := tx.QueryRow(ctx, `SELECT now()`).Scan(&v.At); err != nil {
			return err
		}
		if err := liveNumbers(ctx, tx, tenantID, &v); err != nil {
			return err
		}
		if err := liveQueues(ctx, tx, tenantID, &v); err != nil {
			return err
		}
		return liveAgents(ctx, tx, tenantID, &v)
	})
	return v, err
}

func liveNumbers(ctx context.Context, tx pgx.Tx, tenantID string, v *LiveRouting) error {
	rows, err := tx.Query(ctx, `SELECT n.id, n.display_phone, s.name, coalesce(l.priority, 0)
		FROM numbers n
		LEFT JOIN number_skillsets l ON l.tenant_id = n.tenant_id AND l.number_id = n.id
		LEFT JOIN skillsets s ON s.tenant_id = l.tenant_id AND s.id = l.skillset_id
		WHERE n.tenant_id = $1 ORDER BY n.display_phone, n.id, l.priority DESC, lower(s.name)`, tenantID)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var id, phone string
		var skillset *string
		var prio int
		if err := rows.Scan(&id, &phone, &skillset, &prio); err != nil {
			return err
		}
		if n := len(v.Numbers); n == 0 || v.Numbers[n-1].ID != id {
			v.Numbers = append(v.Numbers, LiveNumber{ID: id, DisplayPhone: phone})
		}
		if skillset != nil {
			n := &v.Numbers[len(v.Numbers)-1]
			n.Skillsets = append(n.Skillsets, LiveLink{Name: *skillset, Priority: prio})
		}
	}
	return rows.Err()
}

// liveQueues lists each number's waiting conversations in queue order
// (routing.md: contact priority, arrival, id), the first LiveQueueLimit of
// each, with how many wait in all.
func liveQueues(ctx context.Context, tx pgx.Tx, tenantID string, v *LiveRouting) error {
	byNumber := make(map[string]*LiveNumber, len(v.Numbers))
	for i := range v.Numbers {
		byNumber[v.Numbers[i].ID] = &v.Numbers[i]
	}
	rows, err := tx.Query(ctx, `SELECT id, number_id, name, phone, priority, arrived, target, waiting FROM (
			SELECT c.id, c.number_id, ct.name, `+contactPhone+` AS phone, ct.priority + c.priority_bump AS priority,
				coalesce(c.queued_at, c.created_at) AS arrived, coalesce(s.name, '') AS target,
				count(*) OVER w AS waiting,
				row_number() OVER (w ORDER BY ct.priority + c.priority_bump DESC, coalesce(c.queued_at, c.created_at), c.id) AS position
			FROM conversations c
			JOIN contacts ct ON ct.tenant_id = c.tenant_id AND ct.id = c.contact_id
			LEFT JOIN skillsets s ON s.tenant_id = c.tenant_id AND s.id = c.target_skillset_id
			WHERE c.tenant_id = $1 AND c.status = 'queued'
			WINDOW w AS (PARTITION BY c.number_id)
		) q WHERE position <= $2 ORDER BY number_id, position`, tenantID, LiveQueueLimit)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var q LiveQueued
		var numberID string
		var waiting int
		if err := rows.Scan(&q.ConversationID, &numberID, &q.ContactName, &q.ContactPhone, &q.ContactPriority,
			&q.QueuedAt, &q.TargetSkillset, &waiting); err != nil {
			return err
		}
		q.Waiting = max(v.At.Sub(q.QueuedAt), 0)
		if n := byNumber[numberID]; n != nil {
			n.Queue = append(n.Queue, q)
			n.Waiting = waiting
		}
	}
	return rows.Err()
}

func liveAgents(ctx context.Context, tx pgx.Tx, tenantID string, v *LiveRouting) error {
	rows, err := tx.Query(ctx, `SELECT u.id, u.name, u.email, coalesce(u.capacity, t.default_capacity),
			(SELECT count(*) FROM conversations c WHERE c.tenant_id = u.tenant_id AND c.status = 'assigned' AND c.assigned_agent_id = u.id)
		FROM users u JOIN tenants t ON t.id = u.tenant_id
		WHERE u.tenant_id = $1 AND u.role = 'agent' AND u.active
		ORDER BY lower(coalesce(nullif(u.name, ''), u.email)), u.id`, tenantID)
	if err != nil {
		return err
	}
	index := map[string]int{}
	for rows.Next() {
		var a LiveAgent
		if err := rows.Scan(&a.ID, &a.Name, &a.Email, &a.Capacity, &a.Load); err != nil {
			rows.Close()
			return err
		}
		index[a.ID] = len(v.Agents)
		v.Agents = append(v.Agents, a)
	}
	if err := rows.Err(); err != nil {
		return err
	}
	rows, err = tx.Query(ctx, `SELECT m.user_id, s.name, m.priority
		FROM skillset_members m JOIN skillsets s ON s.tenant_id = m.tenant_id AND s.id = m.skillset_id
		WHERE m.tenant_id = $1 ORDER BY m.priority DESC, lower(s.name)`, tenantID)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var user string
		var l LiveLink
		if err := rows.Scan(&user, &l.Name, &l.Priority); err != nil {
			return err
		}
		if i, ok := index[user]; ok {
			v.Agents[i].Skillsets = append(v.Agents[i].Skillsets, l)
		}
	}
	return rows.Err()
}

// ConversationListRow is a conversation as the administrators' list shows it.
type ConversationListRow struct {
	ID, Status    string
	ContactName   string
	ContactPhone  string
	NumberPhone   string
	AgentName     string // of an assigned conversation
	CreatedAt     time.Time
	LastMessageAt *time.Time
}

// ListConversationRows lists a tenant's conversations, newest first,
// optionally with one status, up to limit after the conversation before
// (the last one of the previous page; "" for the first page).
func (s *Store) ListConversationRows(ctx context.Context, tenantID, status, before string, limit int) ([]ConversationListRow, error) {
	var out []ConversationListRow
	err := s.InTenant(ctx, tenantID, func(tx pgx.Tx) error {
		rows, err := tx.Query(ctx, `SELECT v.id, v.status, ct.name, `+contactPhone+`, n.display_phone,
				CASE WHEN v.status = 'assigned' THEN coalesce(nullif(u.name, ''), u.email, '') ELSE '' END,
				v.created_at, v.last_message_at
			FROM conversations v
			JOIN contacts ct ON ct.tenant_id = v.tenant_id AND ct.id = v.contact_id
			JOIN numbers n ON n.tenant_id = v.tenant_id AND n.id = v.number_id
			LEFT JOIN users u ON u.tenant_id = v.tenant_id AND u.id = v.assigned_agent_id
			WHERE v.tenant_id = $1 AND ($2 = '' OR v.status = $2)
			  AND ($3::uuid IS NULL OR (v.created_at, v.id) <
			       (SELECT b.created_at, b.id FROM conversations b WHERE b.tenant_id = $1 AND b.id = $3::uuid))
			ORDER BY v.created_at DESC, v.id DESC LIMIT $4`, tenantID, status, nullUUID(before), limit)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var c ConversationListRow
			if err := rows.Scan(&c.ID, &c.Status, &c.ContactName, &c.ContactPhone, &c.NumberPhone, &c.AgentName,
				&c.CreatedAt, &c.LastMessageAt); err != nil {
				return err
			}
			out = append(out, c)
		}
		return rows.Err()
	})
	return out, err
}

// ConversationDetail is one conversation as administrators see it: who,
// where, its state, why its agent holds it, and its routing history.
type ConversationDetail struct {
	domain.Conversation
	ContactName     string
	ContactPhone    string
	ContactPriority int
	NumberPhone     string
	AgentName       string // of an assigned conversation
	TargetSkillset  string // name of the skillset a transfer restricted it to
	// Decision is the current assignment's explanation as the router made
	// it (nil for a transfer to an agent or when not assigned).
	Decision *router.Decision
	History  []RoutingHistoryEvent // oldest first
	// Names of the agents, skillsets and numbers the decisions mention, by id.
	Names map[string]string
}

// RoutingHistoryEvent is one entry of a conversation's routing history.
type RoutingHistoryEvent struct {
	ID            int64
	Kind          string // queued, assigned, requeued, transferred, closed
	AgentName     string
	FromAgentName string
	SkillsetName  string
	Step          *int
	Reason        string // in English, as the dispatcher wrote it
	Decision      *router.Decision
	At            time.Time
}

// ConversationDetail returns one of a tenant's conversations with its
// routing history; another tenant's is ErrNotFound.
func (s *Store) ConversationDetail(ctx context.Context, tenantID, id string) (ConversationDetail, error) {
	var c ConversationDetail
	err := s.InTenant(ctx, tenantID, func(tx pgx.Tx) error {
		var kind, agent, reason *string
		var step *int
		var at *time.Time
		var decision []byte
		err := tx.QueryRow(ctx, `SELECT v.id, v.tenant_id, v.number_id, v.contact_id, v.status, coalesce(v.assigned_agent_id::text, ''),
				v.last_inbound_at, v.window_expires_at, v.last_message_at, v.created_at, v.closed_at, v.queued_at,
				coalesce(v.target_skillset_id::text, ''), ae.kind, coalesce(ae.agent_id::text, ''), ae.step, ae.reason, ae.at, ae.decision, v.close_outcome,
				ct.name, `+contactPhone+`, ct.priority, n.display_phone,
				CASE WHEN v.status = 'assigned' THEN coalesce(nullif(u.name, ''), u.email, '') ELSE '' END, coalesce(s.name, '')
			FROM conversations v
			JOIN contacts ct ON ct.tenant_id = v.tenant_id AND ct.id = v.contact_id
			JOIN numbers n ON n.tenant_id = v.tenant_id AND n.id = v.number_id
			LEFT JOIN users u ON u.tenant_id = v.tenant_id AND u.id = v.assigned_agent_id
			LEFT JOIN skillsets s ON s.tenant_id = v.tenant_id AND s.id = v.target_skillset_id
			LEFT JOIN routing_events ae ON ae.tenant_id = v.tenant_id AND ae.id = v.assignment_event_id
			WHERE v.tenant_id = $1 AND v.id = $2`, tenantID, id).Scan(
			&c.ID, &c.TenantID, &c.NumberID, &c.ContactID, &c.Status, &c.AssignedAgentID,
			&c.LastInboundAt, &c.WindowExpiresAt, &c.LastMessageAt, &c.CreatedAt, &c.ClosedAt, &c.QueuedAt,
			&c.TargetSkillsetID, &kind, &agent, &step, &reason, &at, &decision, &c.CloseOutcome,
			&c.ContactName, &c.ContactPhone, &c.ContactPriority, &c.NumberPhone, &c.AgentName, &c.TargetSkillset)
		if err != nil {
			return notFound(err)
		}
		if kind != nil && c.Status == domain.ConversationAssigned {
			c.Assignment = &domain.Assignment{Kind: *kind, AgentID: *agent, Reason: *reason, At: *at}
			if step != nil {
				c.Assignment.Step = *step
			}
			c.Decision = parseDecision(decision)
		}
		if c.History, err = routingHistory(ctx, tx, tenantID, id); err != nil {
			return err
		}
		c.Names, err = decisionNames(ctx, tx, tenantID, c.Decision, c.History)
		return err
	})
	return c, err
}

func routingHistory(ctx context.Context, tx pgx.Tx, tenantID, conversationID string) ([]RoutingHistoryEvent, error) {
	rows, err := tx.Query(ctx, `SELECT e.id, e.kind, coalesce(nullif(a.name, ''), a.email, ''), coalesce(nullif(f.name, ''), f.email, ''),
			coalesce(s.name, ''), e.step, e.reason, e.decision, e.at
		FROM routing_events e
		LEFT JOIN users a ON a.tenant_id = e.tenant_id AND a.id = e.agent_id
		LEFT JOIN users f ON f.tenant_id = e.tenant_id AND f.id = e.from_agent_id
		LEFT JOIN skillsets s ON s.tenant_id = e.tenant_id AND s.id = e.skillset_id
		WHERE e.tenant_id = $1 AND e.conversation_id = $2 ORDER BY e.id`, tenantID, conversationID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []RoutingHistoryEvent
	for rows.Next() {
		var e RoutingHistoryEvent
		var decision []byte
		if err := rows.Scan(&e.ID, &e.Kind, &e.AgentName, &e.FromAgentName, &e.SkillsetName, &e.Step, &e.Reason,
			&decision, &e.At); err != nil {
			return nil, err
		}
		e.Decision = parseDecision(decision)
		out = append(out, e)
	}
	return out, rows.Err()
}

// parseDecision reads a stored decision; one that does not parse is
// treated as absent (its English reason is still there).
func parseDecision(b []byte) *router.Decision {
	if len(b) == 0 {
		return nil
	}
	var d router.Decision
	if err := json.Unmarshal(b, &d); err != nil {
		return nil
	}
	return &d
}

// decisionNames looks up the names of the agents, skillsets and numbers the
// decisions mention, as the dispatcher names them in its explanations.
func decisionNames(ctx context.Context, tx pgx.Tx, tenantID string, current *router.Decision, history []RoutingHistoryEvent) (map[string]string, error) {
	seen := map[string]bool{}
	var ids []string
	add := func(id string) {
		if domain.ValidID(id) && !seen[id] {
			seen[id] = true
			ids = append(ids, id)
		}
	}
	collect := func(d *router.Decision) {
		if d == nil {
			return
		}
		add(d.Number)
		add(d.Skillset)
		add(d.Chosen.Agent)
		add(d.Chosen.Skillset)
		if d.RunnerUp != nil {
			add(d.RunnerUp.Agent)
			add(d.RunnerUp.Skillset)
		}
	}
	collect(current)
	for _, e := range history {
		collect(e.Decision)
	}
	names := make(map[string]string, len(ids))
	if len(ids) == 0 {
		return names, nil
	}
	rows, err := tx.Query(ctx, `SELECT id::text, coalesce(nullif(name, ''), email) FROM users WHERE tenant_id = $1 AND id = ANY($2::uuid[])
		UNION ALL SELECT id::text, name FROM skillsets WHERE tenant_id = $1 AND id = ANY($2::uuid[])
		UNION ALL SELECT id::text, display_phone FROM numbers WHERE tenant_id = $1 AND id = ANY($2::uuid[])`, tenantID, ids)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	for rows.Next() {
		var id, name string
		if err := rows.Scan(&id, &name); err != nil {
			return nil, err
		}
		names[id] = name
	}
	return names, rows.Err()
}
