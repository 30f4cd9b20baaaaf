package storage_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"switchboard/internal/domain"
	"switchboard/internal/storage"
	"switchboard/internal/storage/storagetest"
)

// TestInboxUnreadHistoryAndQueues: unread counts follow the customer's
// messages and MarkRead (whose receipt names the newest customer message),
// the history pages back without gaps or repeats, a re-render from the
// oldest shown message keeps it, and queue counts follow skillsets.
func TestInboxUnreadHistoryAndQueues(t *testing.T) {
	ctx := context.Background()
	db := storagetest.NewDB(t)
	f := storagetest.Seed(t, db)
	st, tenantID, agent := db.Store, f.A.ID, f.A.Agent
	var number, contact, conv string
	insert := func(direction string, i int, at time.Time) {
		t.Helper()
		err := st.InPlatform(ctx, func(tx pgx.Tx) error {
			_, err := storage.Inbound(tx).InsertMessage(ctx, domain.Message{TenantID: tenantID, ConversationID: conv,
				WAMID: fmt.Sprintf("wamid.%s.%d", direction, i), Direction: direction, Type: "text", Text: fmt.Sprintf("m%02d", i),
				Timestamp: at}, nil)
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	err := st.InPlatform(ctx, func(tx pgx.Tx) error {
		if err := tx.QueryRow(ctx, `INSERT INTO numbers (tenant_id, phone_number_id, display_phone, waba_id, access_token_enc)
			VALUES ($1, '5550002', '+39 06 5550002', '1', 'x') RETURNING id`, tenantID).Scan(&number); err != nil {
			return err
		}
		if err := tx.QueryRow(ctx, `INSERT INTO contacts (tenant_id, wa_id, name, priority) VALUES ($1, '393330010', 'Marta', 2) RETURNING id`,
			tenantID).Scan(&contact); err != nil {
			return err
		}
		var err error
		conv, err = storage.Inbound(tx).OpenConversation(ctx, tenantID, number, contact)
		if err != nil {
			return err
		}
		_, err = tx.Exec(ctx, `UPDATE conversations SET status = 'assigned', assigned_agent_id = $2 WHERE id = $1`, conv, agent.ID)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	// 60 customer messages one second apart, the last two stored out of
	// WhatsApp's order (a late delivery), then one reply of ours.
	base := time.Now().Add(-time.Hour).Truncate(time.Second)
	for i := 0; i < 58; i++ {
		insert("inbound", i, base.Add(time.Duration(i)*time.Second))
	}
	insert("inbound", 59, base.Add(59*time.Second))
	insert("inbound", 58, base.Add(58*time.Second))

	inbox, err := st.AgentInbox(ctx, tenantID, agent.ID)
	if err != nil || len(inbox) != 1 {
		t.Fatalf("inbox %+v, %v", inbox, err)
	}
	if it := inbox[0]; it.Unread != 60 || it.ContactPriority != 2 || it.ContactName != "Marta" || it.LastText != "m59" {
		t.Fatalf("inbox row: unread %d priority %d name %q last %q", it.Unread, it.ContactPriority, it.ContactName, it.LastText)
	}

	r, ok, err := st.MarkRead(ctx, tenantID, conv)
	if err != nil || !ok || len(r.WAMIDs) != 1 || r.WAMIDs[0] != "wamid.inbound.59" || r.NumberID != number {
		t.Fatalf("MarkRead = %+v %v %v, want the newest customer message in WhatsApp's order", r, ok, err)
	}
	if _, ok, err := st.MarkRead(ctx, tenantID, conv); err != nil || ok {
		t.Fatalf("a second MarkRead with nothing new = %v, %v; want no receipt", ok, err)
	}
	insert("outbound", 60, base.Add(60*time.Second))
	if _, ok, err := st.MarkRead(ctx, tenantID, conv); err != nil || ok {
		t.Fatalf("MarkRead after only our own message = %v, %v; want no receipt", ok, err)
	}
	insert("inbound", 61, base.Add(61*time.Second))
	if inbox, _ := st.AgentInbox(ctx, tenantID, agent.ID); inbox[0].Unread != 1 {
		t.Fatalf("unread after one more customer message = %d, want 1", inbox[0].Unread)
	}

	// History: the newest 50, then the rest, in order, each once.
	page1, more, err := st.RecentMessages(ctx, tenantID, conv, "", 50)
	if err != nil || !more || len(page1) != 50 || page1[49].Text != "m61" || page1[0].Text != "m12" {
		t.Fatalf("newest page: %d messages, more %v, first %q last %q, %v", len(page1), more, first(page1), last(page1), err)
	}
	page2, more, err := st.RecentMessages(ctx, tenantID, conv, page1[0].ID, 50)
	if err != nil || more || len(page2) != 12 || page2[0].Text != "m00" || page2[11].Text != "m11" {
		t.Fatalf("older page: %d messages, more %v, first %q last %q, %v", len(page2), more, first(page2), last(page2), err)
	}
	from, err := st.MessagesFrom(ctx, tenantID, conv, page2[5].ID, 2000)
	if err != nil || len(from) != 57 || from[0].Text != "m05" || from[56].Text != "m61" {
		t.Fatalf("from m05: %d messages, first %q last %q, %v", len(from), first(from), last(from), err)
	}
	if other, _ := st.MessagesFrom(ctx, f.B.ID, conv, page2[5].ID, 2000); len(other) != 0 {
		t.Fatalf("tenant B read %d of tenant A's messages", len(other))
	}

	// Queues: a queued conversation on a number linked to the agent's
	// skillset counts there.
	actor := storage.Actor{Email: "test"}
	sales, err := st.CreateSkillset(ctx, tenantID, actor, "Sales")
	if err != nil {
		t.Fatal(err)
	}
	if err := st.SetSkillsetMember(ctx, tenantID, actor, sales, agent.ID, 0); err != nil {
		t.Fatal(err)
	}
	if err := st.LinkNumberSkillset(ctx, tenantID, actor, number, sales, 0); err != nil {
		t.Fatal(err)
	}
	err = st.InPlatform(ctx, func(tx pgx.Tx) error {
		var other string
		if err := tx.QueryRow(ctx, `INSERT INTO contacts (tenant_id, wa_id) VALUES ($1, '393330011') RETURNING id`, tenantID).Scan(&other); err != nil {
			return err
		}
		_, err := storage.Inbound(tx).OpenConversation(ctx, tenantID, number, other)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	queues, err := st.AgentQueues(ctx, tenantID, agent.ID)
	if err != nil || len(queues) != 1 || queues[0].Name != "Sales" || queues[0].Waiting != 1 {
		t.Fatalf("queues %+v, %v; want Sales: 1", queues, err)
	}
}

func first(ms []domain.Message) string {
	if len(ms) == 0 {
		return ""
	}
	return ms[0].Text
}

func last(ms []domain.Message) string {
	if len(ms) == 0 {
		return ""
	}
	return ms[len(ms)-1].Text
}
