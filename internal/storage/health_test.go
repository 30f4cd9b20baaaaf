package storage_test

import (
	"context"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"switchboard/internal/storage/storagetest"
)

// TestHealthFigures seeds an old pending webhook event, a failed one, a
// processed one from yesterday and a queued outbox message, and reads the
// operator's health figures back.
func TestHealthFigures(t *testing.T) {
	db := storagetest.NewDB(t)
	f := storagetest.Seed(t, db)
	ctx := context.Background()
	now := time.Now()
	convID := deskConversation(t, db, f.A.ID, "71")
	err := db.Store.InPlatform(ctx, func(tx pgx.Tx) error {
		// Yesterday's event is outside the hour; the pending one waits 5 minutes.
		for _, ev := range []struct {
			state string
			at    time.Time
		}{{"processed", now.Add(-25 * time.Hour)}, {"pending", now.Add(-5 * time.Minute)}, {"failed", now.Add(-10 * time.Second)}, {"processed", now.Add(-5 * time.Second)}} {
			if _, err := tx.Exec(ctx, `INSERT INTO webhook_events (body, received_at, state) VALUES ('{}', $1, $2)`, ev.at, ev.state); err != nil {
				return err
			}
		}
		var msgID, numberID string
		if err := tx.QueryRow(ctx, `SELECT number_id FROM conversations WHERE id = $1`, convID).Scan(&numberID); err != nil {
			return err
		}
		if err := tx.QueryRow(ctx, `INSERT INTO messages (tenant_id, conversation_id, wamid, direction, type, text, wa_timestamp)
			VALUES ($1, $2, 'wamid.health1', 'outbound', 'text', 'hi', now()) RETURNING id`, f.A.ID, convID).Scan(&msgID); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `INSERT INTO outbox (tenant_id, message_id, number_id, recipient, payload, created_at)
			VALUES ($1, $2, $3, '4971', '{}', $4)`, f.A.ID, msgID, numberID, now.Add(-2*time.Minute)); err != nil {
			return err
		}
		_, err := tx.Exec(ctx, `INSERT INTO routing_commands (tenant_id, kind, created_at) VALUES ($1, 'reload', $2)`, f.A.ID, now.Add(-time.Minute))
		return err
	})
	if err != nil {
		t.Fatal(err)
	}

	wh, err := db.Store.WebhookHealth(ctx, now)
	if err != nil {
		t.Fatal(err)
	}
	if wh.Pending != 1 || wh.FailedHour != 1 || wh.ProcessedHour != 1 || wh.AllHour != 3 || wh.LastMinute != 2 {
		t.Errorf("webhooks: %+v; want 1 pending, 1 failed, 1 processed, 3 in the hour, 2 in the minute", wh)
	}
	if age := now.Sub(wh.OldestPending); age < 4*time.Minute || age > 6*time.Minute {
		t.Errorf("oldest pending webhook is %s old; want 5m", age)
	}
	ob, err := db.Store.OutboxHealth(ctx, now)
	if err != nil {
		t.Fatal(err)
	}
	if ob.Pending != 1 || ob.Sending != 0 || ob.SentHour != 0 || ob.FailedHour != 0 {
		t.Errorf("outbox: %+v; want 1 pending", ob)
	}
	if age := now.Sub(ob.OldestQueued); age < time.Minute || age > 3*time.Minute {
		t.Errorf("oldest queued message is %s old; want 2m", age)
	}
	rt, err := db.Store.RoutingHealth(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if rt.Waiting < 1 || rt.OldestWaiting.IsZero() {
		t.Errorf("routing: %+v; want the reload waiting", rt)
	}
	md, err := db.Store.MediaHealth(ctx)
	if err != nil || md.Pending != 0 || md.Failed != 0 {
		t.Errorf("media: %+v, %v; want nothing", md, err)
	}

	// An hour with no event at all: the bisection finds nothing recent.
	wh, err = db.Store.WebhookHealth(ctx, now.Add(3*time.Hour))
	if err != nil || wh.AllHour != 0 || wh.Pending != 1 {
		t.Errorf("three hours on: %+v, %v; want only the pending one", wh, err)
	}
}
