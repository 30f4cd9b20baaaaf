package storage

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"switchboard/internal/router"
)

// RoutingChannel is the Postgres NOTIFY channel that wakes a tenant's
// dispatcher; the payload is the tenant's id. A notification is sent on
// commit, so the dispatcher never wakes before the command is visible.
const RoutingChannel = "switchboard_routing"

// Routing command kinds (routing_commands.kind).
const (
	CmdArrive           = "arrive"
	CmdClose            = "close"
	CmdTransferAgent    = "transfer_agent"
	CmdTransferSkillset = "transfer_skillset"
	CmdPresence         = "presence"
	CmdReload           = "reload"
)

// RoutingCommand asks the tenant's dispatcher to do something. The
// dispatcher is the only writer of a conversation's routing state.
type RoutingCommand struct {
	ID             int64
	Kind           string
	ConversationID string
	AgentID        string
	SkillsetID     string
	Actor          string
	CreatedAt      time.Time
	// Filled for arrivals, from the conversation as stored.
	Status          string
	NumberID        string
	ContactPriority int // the contact's, plus what a bot or rule added to the conversation
	QueuedAt        time.Time
	// The skillset a bot's hand-off asked for ("" for the number's).
	TargetSkillset string
	// For closes: when the customer's latest message was stored.
	LastInbound *time.Time
	// For closes: the tenant's outcome the agent chose ("" for none).
	Outcome string
}

// RoutingSettings are the tenant's routing options.
type RoutingSettings struct {
	DefaultCapacity  int
	RequeueOnOffline bool
	RequeueGrace     time.Duration
}

// RoutingState is everything a dispatcher needs to rebuild a tenant's
// router: the configuration and every open conversation.
type RoutingState struct {
	Settings RoutingSettings
	Config   router.Config
	Open     []router.Open
	// Names of agents, skillsets and numbers, for explanations people read.
	Names map[string]string
}

func uuidOrNil(s string) any {
	if s == "" {
		return nil
	}
	return s
}

// EnqueueRouting inserts a command for the tenant's dispatcher and wakes it.
func (s *Store) EnqueueRouting(ctx context.Context, tenantID string, c RoutingCommand) (int64, error) {
	var id int64
	err := s.InTenant(ctx, tenantID, func(tx pgx.Tx) error {
		var err error
		id, err = enqueueRouting(ctx, tx, tenantID, c)
		return err
	})
	return id, err
}

func enqueueRouting(ctx context.Context, tx pgx.Tx, tenantID string, c RoutingCommand) (int64, error) {
	var id int64
	err := tx.QueryRow(ctx, `INSERT INTO routing_commands (tenant_id, kind, conversation_id, agent_id, skillset_id, actor, outcome)
		VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id`,
		tenantID, c.Kind, uuidOrNil(c.ConversationID), uuidOrNil(c.AgentID), uuidOrNil(c.SkillsetID), c.Actor, c.Outcome).Scan(&id)
	if err != nil {
		return 0, err
	}
	_, err = tx.Exec(ctx, `SELECT pg_notify($1, $2)`, RoutingChannel, tenantID)
	return id, err
}

// RoutingCommandResult reports whether a command was applied and, if the
// dispatcher refused it, why.
func (s *Store) RoutingCommandResult(ctx context.Context, tenantID string, id int64) (done bool, refusal string, err error) {
	err = s.InTenant(ctx, tenantID, func(tx pgx.Tx) error {
		return tx.QueryRow(ctx, `SELECT done_at IS NOT NULL, error FROM routing_commands WHERE tenant_id = $1 AND id = $2`,
			tenantID, id).Scan(&done, &refusal)
	})
	return done, refusal, notFound(err)
}

// LoadRouting reads a tenant's routing state in one snapshot.
func (s *Store) LoadRouting(ctx context.Context, tenantID string) (RoutingState, error) {
	st := RoutingState{Names: map[string]string{}}
	err := s.InTenant(ctx, tenantID, func(tx pgx.Tx) error {
		// Read committed is enough: a change committed between these
		// queries comes with a reload or arrival command, which the
		// dispatcher applies after this load.
		var grace int
		if err := tx.QueryRow(ctx, `SELECT default_capacity, requeue_on_offline, requeue_grace_seconds FROM tenants WHERE id = $1`,
			tenantID).Scan(&st.Settings.DefaultCapacity, &st.Settings.RequeueOnOffline, &grace); err != nil {
			return notFound(err)
		}
		st.Settings.RequeueGrace = time.Duration(grace) * time.Second
		st.Config.RequeueOnOffline = st.Settings.RequeueOnOffline
		return loadRoutingConfig(ctx, tx, tenantID, &st)
	})
	return st, err
}

func loadRoutingConfig(ctx context.Context, tx pgx.Tx, tenantID string, st *RoutingState) error {
	// Administrators are in the router so that they can take conversations
	// over (a direct transfer), but never members: the queue is for agents.
	rows, err := tx.Query(ctx, `SELECT id, CASE WHEN name <> '' THEN name ELSE email END, coalesce(capacity, $2), last_assigned_at,
			role = 'agent'
		FROM users WHERE tenant_id = $1 AND role IN ('agent', 'admin') AND active ORDER BY id`, tenantID, st.Settings.DefaultCapacity)
	if err != nil {
		return err
	}
	agents := map[string]bool{} // active agents: who may be a skillset member
	for rows.Next() {
		var a router.Agent
		var name string
		var last *time.Time
		var isAgent bool
		if err := rows.Scan(&a.ID, &name, &a.Capacity, &last, &isAgent); err != nil {
			return err
		}
		if isAgent {
			agents[a.ID] = true
		}
		if last != nil {
			a.LastAssignedAt = *last
		}
		st.Config.Agents = append(st.Config.Agents, a)
		st.Names[a.ID] = name
	}
	if err := rows.Err(); err != nil {
		return err
	}

	rows, err = tx.Query(ctx, `SELECT s.id, s.name, m.user_id, coalesce(m.priority, 0)
		FROM skillsets s LEFT JOIN skillset_members m ON m.skillset_id = s.id AND m.tenant_id = s.tenant_id
		WHERE s.tenant_id = $1 ORDER BY s.id, m.user_id`, tenantID)
	if err != nil {
		return err
	}
	for rows.Next() {
		var id, name string
		var user *string
		var prio int
		if err := rows.Scan(&id, &name, &user, &prio); err != nil {
			return err
		}
		if n := len(st.Config.Skillsets); n == 0 || st.Config.Skillsets[n-1].ID != id {
			st.Config.Skillsets = append(st.Config.Skillsets, router.Skillset{ID: id})
			st.Names[id] = name
		}
		// Members who are not active agents (deactivated, or admins) are
		// not routed to; their membership stays for when they return.
		if user != nil && agents[*user] {
			ss := &st.Config.Skillsets[len(st.Config.Skillsets)-1]
			ss.Members = append(ss.Members, router.Member{Agent: *user, Priority: prio})
		}
	}
	if err := rows.Err(); err != nil {
		return err
	}

	rows, err = tx.Query(ctx, `SELECT n.id, n.display_phone, l.skillset_id, coalesce(l.priority, 0)
		FROM numbers n LEFT JOIN number_skillsets l ON l.number_id = n.id AND l.tenant_id = n.tenant_id
		WHERE n.tenant_id = $1 ORDER BY n.id, l.priority DESC, l.skillset_id`, tenantID)
	if err != nil {
		return err
	}
	for rows.Next() {
		var id, phone string
		var skillset *string
		var prio int
		if err := rows.Scan(&id, &phone, &skillset, &prio); err != nil {
			return err
		}
		if n := len(st.Config.Numbers); n == 0 || st.Config.Numbers[n-1].ID != id {
			st.Config.Numbers = append(st.Config.Numbers, router.Number{ID: id})
			st.Names[id] = phone
		}
		if skillset != nil {
			nn := &st.Config.Numbers[len(st.Config.Numbers)-1]
			nn.Skillsets = append(nn.Skillsets, router.Link{Skillset: *skillset, Priority: prio})
		}
	}
	if err := rows.Err(); err != nil {
		return err
	}

	rows, err = tx.Query(ctx, `SELECT c.id, c.number_id, coalesce(c.target_skillset_id::text, ''),
			CASE WHEN c.status = 'assigned' THEN coalesce(c.assigned_agent_id::text, '') ELSE '' END,
			ct.priority + c.priority_bump, coalesce(c.queued_at, c.created_at)
		FROM conversations c JOIN contacts ct ON ct.id = c.contact_id
		WHERE c.tenant_id = $1 AND c.status IN ('queued', 'assigned')`, tenantID)
	if err != nil {
		return err
	}
	for rows.Next() {
		var o router.Open
		if err := rows.Scan(&o.ID, &o.Number, &o.Skillset, &o.Agent, &o.ContactPriority, &o.ArrivedAt); err != nil {
			return err
		}
		st.Open = append(st.Open, o)
	}
	return rows.Err()
}

// ErrLeaseLost is returned by InRouting when this dispatcher no longer holds
// the tenant's lease: another instance took over, and this one must stop.
var ErrLeaseLost = errors.New("routing lease lost")

// RoutingTx is the dispatcher's transaction: it holds the tenant's lease
// row (FOR SHARE) for its whole life, so a takeover waits for it to end and
// a stale dispatcher can never write.
type RoutingTx struct {
	tx       pgx.Tx
	tenantID string
}

// InRouting runs fn in a tenant transaction fenced by the lease (holder, epoch).
func (s *Store) InRouting(ctx context.Context, tenantID, holder string, epoch int64, fn func(RoutingTx) error) error {
	return s.InTenant(ctx, tenantID, func(tx pgx.Tx) error {
		var ok bool
		err := tx.QueryRow(ctx, `SELECT true FROM routing_leases WHERE tenant_id = $1 AND holder = $2 AND epoch = $3
			AND expires_at > now() FOR SHARE`, tenantID, holder, epoch).Scan(&ok)
		if errors.Is(err, pgx.ErrNoRows) {
			return ErrLeaseLost
		}
		if err != nil {
			return err
		}
		return fn(RoutingTx{tx: tx, tenantID: tenantID})
	})
}

// Pending returns the commands not yet applied, oldest first, with what an
// arrival needs from its conversation.
//
// Rows are joined by primary key alone; row-level security keeps them in the
// tenant. A tenant_id equality in the join would let the planner, believing
// a new or fast-growing tenant has next to no rows (statistics lag behind),
// reach them through the tenant's index and filter by id: one scan of all
// the tenant's conversations and contacts per command. LoadRouting and
// Apply avoid it for the same reason.
func (t RoutingTx) Pending(ctx context.Context, limit int) ([]RoutingCommand, error) {
	rows, err := t.tx.Query(ctx, `SELECT r.id, r.kind, coalesce(r.conversation_id::text, ''), coalesce(r.agent_id::text, ''),
			coalesce(r.skillset_id::text, ''), r.actor, r.created_at,
			coalesce(c.status, ''), coalesce(c.number_id::text, ''), coalesce(ct.priority + c.priority_bump, 0), coalesce(c.queued_at, c.created_at, r.created_at),
			coalesce(c.target_skillset_id::text, ''),
			CASE WHEN r.kind = 'close' THEN (SELECT max(m.created_at) FROM messages m WHERE m.tenant_id = r.tenant_id
				AND m.conversation_id = r.conversation_id AND m.direction = 'inbound') END, r.outcome
		FROM routing_commands r
		LEFT JOIN conversations c ON c.id = r.conversation_id
		LEFT JOIN contacts ct ON ct.id = c.contact_id
		WHERE r.tenant_id = $1 AND r.done_at IS NULL ORDER BY r.id LIMIT $2`, t.tenantID, limit)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []RoutingCommand
	for rows.Next() {
		var c RoutingCommand
		if err := rows.Scan(&c.ID, &c.Kind, &c.ConversationID, &c.AgentID, &c.SkillsetID, &c.Actor, &c.CreatedAt,
			&c.Status, &c.NumberID, &c.ContactPriority, &c.QueuedAt, &c.TargetSkillset, &c.LastInbound, &c.Outcome); err != nil {
			return nil, err
		}
		out = append(out, c)
	}
	return out, rows.Err()
}

// RoutingWrite is one change the dispatcher made, as it is stored.
type RoutingWrite struct {
	Kind           router.Kind // or "closed"
	ConversationID string
	AgentID        string
	FromAgentID    string
	SkillsetID     string // the skillset a transfer restricted the queue to
	Step           *int
	Reason         string
	Decision       *router.Decision
	At             time.Time
	Outcome        string // of a close: the tenant's outcome, stored on the conversation
}

// Closed is the routing event of a conversation that was closed.
const Closed router.Kind = "closed"

// Apply writes the changes in order, in one round trip, and returns each
// event's id. A conversation changed behind the dispatcher's back cannot
// happen: the dispatcher is the only writer of these columns.
func (t RoutingTx) Apply(ctx context.Context, writes []RoutingWrite) ([]int64, error) {
	if len(writes) == 0 {
		return nil, nil
	}
	b := &pgx.Batch{}
	// Each assigned agent's "last assigned at" is written once, after the
	// events, with the value of its last assignment in the batch: the
	// state the per-assignment updates would leave. Updating one users row
	// once per assignment made each transaction quadratic (a row updated k
	// times in a transaction is reached through a chain of k versions, by
	// the update and by every foreign-key check on it).
	var lastIDs []string
	var lastAts []time.Time
	lastAt := map[string]int{}
	// runs[i] is how many writes the i-th statement of the batch covers:
	// a run of assignments (consecutive, each of another conversation) is
	// one statement; anything else one statement per write.
	var runs []int
	for i := 0; i < len(writes); {
		w := writes[i]
		if w.Kind == router.Assigned || w.Kind == router.Transferred {
			n, err := t.queueAssignments(b, writes[i:])
			if err != nil {
				return nil, err
			}
			for _, a := range writes[i : i+n] {
				if j, ok := lastAt[a.AgentID]; ok {
					lastAts[j] = a.At
				} else {
					lastAt[a.AgentID] = len(lastIDs)
					lastIDs, lastAts = append(lastIDs, a.AgentID), append(lastAts, a.At)
				}
			}
			runs = append(runs, n)
			i += n
			continue
		}
		decision, err := decisionJSON(w)
		if err != nil {
			return nil, err
		}
		const event = `INSERT INTO routing_events (tenant_id, conversation_id, kind, agent_id, from_agent_id, skillset_id, step, reason, decision, at)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) RETURNING id`
		args := []any{t.tenantID, w.ConversationID, string(w.Kind), uuidOrNil(w.AgentID), uuidOrNil(w.FromAgentID),
			uuidOrNil(w.SkillsetID), w.Step, w.Reason, decision, w.At}
		switch w.Kind {
		case router.Requeued:
			b.Queue(`WITH e AS (`+event+`)
				UPDATE conversations SET status = 'queued', assigned_agent_id = NULL, assigned_at = NULL,
					target_skillset_id = coalesce($6, target_skillset_id), queued_at = coalesce(queued_at, created_at)
				FROM e WHERE conversations.tenant_id = $1 AND conversations.id = $2 RETURNING e.id`, args...)
		case Closed:
			b.Queue(`WITH e AS (`+event+`)
				UPDATE conversations SET status = 'closed', closed_at = $10, close_outcome = $11
				FROM e WHERE conversations.tenant_id = $1 AND conversations.id = $2 RETURNING e.id`, append(args, w.Outcome)...)
		default: // queued: the conversation is already queued
			b.Queue(event, args...)
		}
		runs = append(runs, 1)
		i++
	}
	if len(lastIDs) > 0 {
		b.Queue(`UPDATE users u SET last_assigned_at = x.at FROM unnest($2::uuid[], $3::timestamptz[]) AS x(id, at)
			WHERE u.tenant_id = $1 AND u.id = x.id`, t.tenantID, lastIDs, lastAts)
	}
	res := t.tx.SendBatch(ctx, b)
	defer res.Close()
	ids := make([]int64, 0, len(writes))
	for _, n := range runs {
		if n == 1 && writes[len(ids)].Kind != router.Assigned && writes[len(ids)].Kind != router.Transferred {
			var id int64
			if err := res.QueryRow().Scan(&id); err != nil {
				return nil, err
			}
			ids = append(ids, id)
			continue
		}
		// The run's event ids by conversation (each once in a run).
		run := writes[len(ids) : len(ids)+n]
		rows, err := res.Query()
		if err != nil {
			return nil, err
		}
		byConv := make(map[string]int64, n)
		for rows.Next() {
			var id int64
			var conv string
			if err := rows.Scan(&id, &conv); err != nil {
				rows.Close()
				return nil, err
			}
			byConv[conv] = id
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return nil, err
		}
		for _, w := range run {
			id, ok := byConv[w.ConversationID]
			if !ok {
				return nil, fmt.Errorf("storage: assign conversation %s: %w", w.ConversationID, pgx.ErrNoRows)
			}
			ids = append(ids, id)
		}
	}
	if len(lastIDs) > 0 {
		if _, err := res.Exec(); err != nil {
			return nil, err
		}
	}
	return ids, res.Close()
}

func decisionJSON(w RoutingWrite) ([]byte, error) {
	if w.Decision == nil {
		return nil, nil
	}
	return json.Marshal(w.Decision)
}

// queueAssignments queues, as one statement, the longest run at the start
// of writes of assignments and transfers to an agent (each of a conversation
// not already in the run), and returns its length. The events are inserted
// in the run's order, so their ids keep the order of the writes, and each
// conversation is updated to point at its event, as the statement per
// write did; a set instead of a statement per assignment saves most of the
// cost of a large batch (a presence change can assign thousands).
func (t RoutingTx) queueAssignments(b *pgx.Batch, writes []RoutingWrite) (int, error) {
	seen := map[string]bool{}
	var convs, kinds, agents, froms, skillsets, reasons []string
	var steps []*int32
	var decisions []*string
	var ats []time.Time
	n := 0
	for _, w := range writes {
		if (w.Kind != router.Assigned && w.Kind != router.Transferred) || seen[w.ConversationID] {
			break
		}
		seen[w.ConversationID] = true
		decision, err := decisionJSON(w)
		if err != nil {
			return 0, err
		}
		var d *string
		if decision != nil {
			s := string(decision)
			d = &s
		}
		var step *int32
		if w.Step != nil {
			v := int32(*w.Step)
			step = &v
		}
		convs, kinds, agents = append(convs, w.ConversationID), append(kinds, string(w.Kind)), append(agents, w.AgentID)
		froms, skillsets, reasons = append(froms, w.FromAgentID), append(skillsets, w.SkillsetID), append(reasons, w.Reason)
		steps, decisions, ats = append(steps, step), append(decisions, d), append(ats, w.At)
		n++
	}
	b.Queue(`WITH x AS (
			SELECT * FROM unnest($2::uuid[], $3::text[], $4::text[], $5::text[], $6::text[], $7::int[], $8::text[], $9::text[], $10::timestamptz[])
				WITH ORDINALITY AS x(conversation_id, kind, agent_id, from_agent_id, skillset_id, step, reason, decision, at, ord)
		), e AS (
			INSERT INTO routing_events (tenant_id, conversation_id, kind, agent_id, from_agent_id, skillset_id, step, reason, decision, at)
			SELECT $1, conversation_id, kind, nullif(agent_id, '')::uuid, nullif(from_agent_id, '')::uuid, nullif(skillset_id, '')::uuid,
				step, reason, decision::jsonb, at
			FROM x ORDER BY ord
			RETURNING id, conversation_id, agent_id, at
		)
		UPDATE conversations SET status = 'assigned', assigned_agent_id = e.agent_id, assigned_at = e.at, assignment_event_id = e.id
		FROM e WHERE conversations.id = e.conversation_id RETURNING e.id, e.conversation_id::text`,
		t.tenantID, convs, kinds, agents, froms, skillsets, steps, reasons, decisions, ats)
	return n, nil
}

// Finish marks commands applied; refusals keep the dispatcher's reason for
// whoever waits on the command.
func (t RoutingTx) Finish(ctx context.Context, ids []int64, refusals map[int64]string) error {
	if len(ids) == 0 {
		return nil
	}
	errs := make([]string, len(ids))
	for i, id := range ids {
		errs[i] = refusals[id]
	}
	_, err := t.tx.Exec(ctx, `UPDATE routing_commands r SET done_at = now(), error = x.err
		FROM unnest($2::bigint[], $3::text[]) AS x(id, err) WHERE r.tenant_id = $1 AND r.id = x.id`, t.tenantID, ids, errs)
	return err
}

// PruneRoutingCommands deletes applied commands older than age, across
// tenants: their callers have long had their answer.
func (s *Store) PruneRoutingCommands(ctx context.Context, age time.Duration) error {
	return s.InPlatform(ctx, func(tx pgx.Tx) error {
		_, err := tx.Exec(ctx, `DELETE FROM routing_commands WHERE done_at < now() - make_interval(secs => $1)`, age.Seconds())
		return err
	})
}
