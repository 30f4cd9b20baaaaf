package storage

import (
	"context"
	"errors"

	"github.com/jackc/pgx/v5"

	"switchboard/internal/domain"
)

// InboxItem is one of an agent's open conversations with whom it is with.
type InboxItem struct {
	domain.Conversation
	ContactName     string
	ContactPhone    string
	ContactPriority int
	// Unread counts the customer's messages after the last one the holder
	// read (conversations.read_seq).
	Unread int
	// LastText is the latest message's text or caption, for a preview.
	LastText string
}

// AgentInbox lists the conversations an agent holds now, latest activity
// first (at most 2,000: twice the largest capacity, since a direct
// transfer may go past it).
func (s *Store) AgentInbox(ctx context.Context, tenantID, agentID string) ([]InboxItem, error) {
	var out []InboxItem
	err := s.InTenant(ctx, tenantID, func(tx pgx.Tx) error {
		// Unread and the preview are per row: an agent holds at most a few
		// dozen conversations, each read through messages_conversation_time.
		rows, err := tx.Query(ctx, `SELECT `+conversationColumns+`, ct.name, ct.phone, ct.priority,
				(SELECT count(*) FROM messages m WHERE m.tenant_id = v.tenant_id AND m.conversation_id = v.id
				   AND m.direction = 'inbound' AND m.seq > v.read_seq),
				coalesce((SELECT m.text FROM messages m WHERE m.tenant_id = v.tenant_id AND m.conversation_id = v.id
				   ORDER BY m.wa_timestamp DESC, m.seq DESC LIMIT 1), '')`+conversationFrom+`
			JOIN contacts ct ON ct.tenant_id = v.tenant_id AND ct.id = v.contact_id
			WHERE v.tenant_id = $1 AND v.assigned_agent_id = $2 AND v.status = 'assigned'
			ORDER BY coalesce(v.last_message_at, v.created_at) DESC, v.id LIMIT 2000`, tenantID, agentID)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var it InboxItem
			c, err := scanConversation(rows, &it.ContactName, &it.ContactPhone, &it.ContactPriority, &it.Unread, &it.LastText)
			if err != nil {
				return err
			}
			it.Conversation = c
			out = append(out, it)
		}
		return rows.Err()
	})
	return out, err
}

// QueueCount is how many conversations wait for one of an agent's skillsets.
type QueueCount struct {
	SkillsetID, Name string
	Waiting          int
}

// AgentQueues counts, for each skillset the agent belongs to, the queued
// conversations it could receive: those transferred to that skillset, and
// those with no target whose number is linked to it. A conversation may
// count under several of the agent's skillsets.
func (s *Store) AgentQueues(ctx context.Context, tenantID, agentID string) ([]QueueCount, error) {
	var out []QueueCount
	err := s.InTenant(ctx, tenantID, func(tx pgx.Tx) error {
		rows, err := tx.Query(ctx, `SELECT k.id, k.name,
				(SELECT count(*) FROM conversations v
				  WHERE v.tenant_id = k.tenant_id AND v.status = 'queued'
				    AND (v.target_skillset_id = k.id
				         OR (v.target_skillset_id IS NULL AND EXISTS (SELECT 1 FROM number_skillsets ns
				               WHERE ns.tenant_id = v.tenant_id AND ns.number_id = v.number_id AND ns.skillset_id = k.id))))
			FROM skillset_members sm JOIN skillsets k ON k.tenant_id = sm.tenant_id AND k.id = sm.skillset_id
			WHERE sm.tenant_id = $1 AND sm.user_id = $2
			ORDER BY k.name`, tenantID, agentID)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var q QueueCount
			if err := rows.Scan(&q.SkillsetID, &q.Name, &q.Waiting); err != nil {
				return err
			}
			out = append(out, q)
		}
		return rows.Err()
	})
	return out, err
}

// ReadReceipt is what to tell WhatsApp after an agent read a conversation:
// the latest customer messages newly read, on the conversation's number.
// Meta marks a message and every earlier one read; WhatsApp's timestamps
// have one-second resolution, so every message of the newest second is
// named (which of them is last is WhatsApp's to know).
type ReadReceipt struct {
	NumberID string
	WAMIDs   []string
}

// MarkRead records that the conversation's holder has read every message
// it has now. ok is false when nothing was unread (no receipt to send).
func (s *Store) MarkRead(ctx context.Context, tenantID, conversationID string) (r ReadReceipt, ok bool, err error) {
	err = s.InTenant(ctx, tenantID, func(tx pgx.Tx) error {
		var before, top int64
		err := tx.QueryRow(ctx, `SELECT v.number_id, v.read_seq,
				coalesce((SELECT max(m.seq) FROM messages m WHERE m.tenant_id = v.tenant_id AND m.conversation_id = v.id), 0)
			FROM conversations v WHERE v.tenant_id = $1 AND v.id = $2 FOR UPDATE`, tenantID, conversationID).
			Scan(&r.NumberID, &before, &top)
		if errors.Is(err, pgx.ErrNoRows) {
			return ErrNotFound
		} else if err != nil {
			return err
		}
		if top <= before {
			return nil
		}
		if _, err := tx.Exec(ctx, `UPDATE conversations SET read_seq = $3 WHERE tenant_id = $1 AND id = $2`,
			tenantID, conversationID, top); err != nil {
			return err
		}
		rows, err := tx.Query(ctx, `WITH fresh AS (SELECT m.wamid, m.wa_timestamp FROM messages m
				WHERE m.tenant_id = $1 AND m.conversation_id = $2 AND m.direction = 'inbound' AND m.seq > $3 AND m.seq <= $4)
			SELECT wamid FROM fresh WHERE wa_timestamp = (SELECT max(wa_timestamp) FROM fresh) LIMIT 100`,
			tenantID, conversationID, before, top)
		if err != nil {
			return err
		}
		r.WAMIDs, err = pgx.CollectRows(rows, pgx.RowTo[string])
		ok = len(r.WAMIDs) > 0 // none: only our own messages were new
		return err
	})
	return r, ok, err
}
