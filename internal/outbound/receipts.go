package outbound

import (
	"context"
	"fmt"

	"switchboard/internal/domain"
	"switchboard/internal/storage"
	"switchboard/internal/whatsapp/graph"
)

// Receipts tells WhatsApp that an agent has read a customer's messages (the
// customer sees blue ticks). It is a courtesy, not a message: it does not go
// through the outbox, and a failure is only logged by the caller — the
// next read sends a newer receipt, which covers every earlier message.
type Receipts struct {
	Store  *storage.Store
	Client func(domain.Number) *graph.Client
	Token  func(domain.Number) (string, error)
}

// MarkRead marks the messages (and every earlier message of the chat) read.
func (r Receipts) MarkRead(ctx context.Context, tenantID, numberID string, wamids []string) error {
	if r.Client == nil {
		return nil // not wired (a tool without a Graph API)
	}
	n, err := r.Store.Number(ctx, tenantID, numberID)
	if err != nil {
		return fmt.Errorf("read receipt: number: %w", err)
	}
	token, err := r.Token(n)
	if err != nil {
		return fmt.Errorf("read receipt: token: %w", err)
	}
	for _, wamid := range wamids {
		if err := r.Client(n).MarkRead(ctx, token, n.PhoneNumberID, wamid, false); err != nil {
			return fmt.Errorf("read receipt: %w", err)
		}
	}
	return nil
}
