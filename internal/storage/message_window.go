package storage

import (
	"context"
	"slices"

	"github.com/jackc/pgx/v5"

	"switchboard/internal/domain"
)

// RecentMessages returns up to limit messages of a conversation, in
// WhatsApp's order, that come before the message beforeID ("" for the
// newest ones): the agent console shows the latest first and loads older
// ones as the agent scrolls back. more says whether older ones remain.
func (s *Store) RecentMessages(ctx context.Context, tenantID, conversationID, beforeID string, limit int) (out []domain.Message, more bool, err error) {
	err = s.InTenant(ctx, tenantID, func(tx pgx.Tx) error {
		rows, err := tx.Query(ctx, `SELECT `+messageColumns+messageFrom+`
			WHERE m.tenant_id = $1 AND m.conversation_id = $2
			  AND ($3::uuid IS NULL OR (m.wa_timestamp, m.seq) <
			       (SELECT c.wa_timestamp, c.seq FROM messages c WHERE c.tenant_id = $1 AND c.id = $3::uuid AND c.conversation_id = $2))
			ORDER BY m.wa_timestamp DESC, m.seq DESC LIMIT $4`, tenantID, conversationID, nullUUID(beforeID), limit+1)
		if err != nil {
			return err
		}
		out, err = collectMessages(rows)
		return err
	})
	if err != nil {
		return nil, false, err
	}
	if len(out) > limit {
		out, more = out[:limit], true
	}
	slices.Reverse(out)
	return out, more, nil
}

// MessagesFrom returns a conversation's messages from the message fromID
// (included) to the newest, at most limit: what a console that already
// shows history back to fromID re-renders when something changed, so the
// history it loaded stays on screen. A fromID not in the conversation
// reads as "" (the newest limit messages).
func (s *Store) MessagesFrom(ctx context.Context, tenantID, conversationID, fromID string, limit int) ([]domain.Message, error) {
	var out []domain.Message
	err := s.InTenant(ctx, tenantID, func(tx pgx.Tx) error {
		rows, err := tx.Query(ctx, `SELECT `+messageColumns+messageFrom+`
			WHERE m.tenant_id = $1 AND m.conversation_id = $2
			  AND (m.wa_timestamp, m.seq) >= coalesce(
			       (SELECT (c.wa_timestamp, c.seq) FROM messages c WHERE c.tenant_id = $1 AND c.id = $3::uuid AND c.conversation_id = $2),
			       ('-infinity'::timestamptz, 0::bigint))
			ORDER BY m.wa_timestamp DESC, m.seq DESC LIMIT $4`, tenantID, conversationID, nullUUID(fromID), limit)
		if err != nil {
			return err
		}
		out, err = collectMessages(rows)
		return err
	})
	slices.Reverse(out)
	return out, err
}

// collectMessages scans rows of messageColumns.
func collectMessages(rows pgx.Rows) ([]domain.Message, error) {
	defer rows.Close()
	var out []domain.Message
	for rows.Next() {
		m, err := scanMessage(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, m)
	}
	return out, rows.Err()
}
