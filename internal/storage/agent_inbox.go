package storage

import (
	"context"

	"github.com/jackc/pgx/v5"

	"switchboard/internal/domain"
)

// InboxItem is one of an agent's open conversations with whom it is with.
type InboxItem struct {
	domain.Conversation
	ContactName  string
	ContactPhone string
}

// AgentInbox lists the conversations an agent holds now, latest activity
// first (at most 2,000: twice the largest capacity, since a direct
// transfer may go past it).
func (s *Store) AgentInbox(ctx context.Context, tenantID, agentID string) ([]InboxItem, error) {
	var out []InboxItem
	err := s.InTenant(ctx, tenantID, func(tx pgx.Tx) error {
		rows, err := tx.Query(ctx, `SELECT `+conversationColumns+`, ct.name, ct.phone`+conversationFrom+`
			JOIN contacts ct ON ct.tenant_id = v.tenant_id AND ct.id = v.contact_id
			WHERE v.tenant_id = $1 AND v.assigned_agent_id = $2 AND v.status = 'assigned'
			ORDER BY coalesce(v.last_message_at, v.created_at) DESC, v.id LIMIT 2000`, tenantID, agentID)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var it InboxItem
			c, err := scanConversation(rows, &it.ContactName, &it.ContactPhone)
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
