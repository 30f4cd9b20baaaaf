package inbound_test

import (
	"context"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"switchboard/internal/inbound"
	"switchboard/internal/storage"
	"switchboard/internal/whatsapp/webhook"
)

// owner runs sql on the test's database as its owner (triggers, raw checks
// the application role may not make).
func (h *harness) owner(sql string, args ...any) {
	h.t.Helper()
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, h.app.DB.URL)
	if err != nil {
		h.t.Fatal(err)
	}
	defer conn.Close(ctx)
	if _, err := conn.Exec(ctx, sql, args...); err != nil {
		h.t.Fatal(err)
	}
}

// breakMessages makes storing a message whose text is "boom" fail with an
// error Postgres does not call transient, and "flaky" with a serialization
// failure (transient), as a bug or a collision inside one event would.
func (h *harness) breakMessages() {
	h.owner(`CREATE FUNCTION test_break() RETURNS trigger LANGUAGE plpgsql AS $$
		BEGIN
			IF NEW.text = 'boom' THEN RAISE EXCEPTION 'boom'; END IF;
			IF NEW.text = 'flaky' THEN RAISE EXCEPTION 'flaky' USING ERRCODE = '40001'; END IF;
			RETURN NEW;
		END $$;
		CREATE TRIGGER test_break BEFORE INSERT ON messages FOR EACH ROW EXECUTE FUNCTION test_break()`)
}

type eventRow struct {
	id       int64
	state    string
	reason   string
	attempts int
	xmin     string // the transaction that last wrote it
}

// eventRows lists every stored event in id order.
func (h *harness) eventRows() []eventRow {
	h.t.Helper()
	var out []eventRow
	err := h.app.DB.Store.InPlatform(context.Background(), func(tx pgx.Tx) error {
		rows, err := tx.Query(context.Background(), `SELECT id, state, reason, attempts, xmin::text FROM webhook_events ORDER BY id`)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var e eventRow
			if err := rows.Scan(&e.id, &e.state, &e.reason, &e.attempts, &e.xmin); err != nil {
				return err
			}
			out = append(out, e)
		}
		return rows.Err()
	})
	if err != nil {
		h.t.Fatal(err)
	}
	return out
}

func (h *harness) count(sql string, args ...any) int {
	h.t.Helper()
	var n int
	if err := h.app.DB.Store.InPlatform(context.Background(), func(tx pgx.Tx) error {
		return tx.QueryRow(context.Background(), sql, args...).Scan(&n)
	}); err != nil {
		h.t.Fatal(err)
	}
	return n
}

// TestOneBadEventInABatchLeavesTheOthersApplied: good events around one
// that fails with an error and one Meta's payload makes fail with a reason
// are applied once, in one transaction; the erroring one is handled as it
// always was, alone: set aside as failed with the error.
func TestOneBadEventInABatchLeavesTheOthersApplied(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	h.breakMessages()
	h.app.Processor.BatchTime = time.Minute // one batch, however busy the machine
	var good []*webhook.Builder
	for i, text := range []string{"one", "boom", "two", "unknown", "three"} {
		switch text {
		case "boom":
			h.post(h.builder().Text(customer, text).Bytes(), "")
		case "unknown":
			h.post(webhook.NewMessagesPayload("555", "999000111", "15550000000").Text(customer, "to nobody").Bytes(), "")
		default:
			b := h.builder().Text(webhook.Contact{WaID: fmt.Sprint(39333100000 + i), Name: text}, text)
			good = append(good, b)
			h.post(b.Bytes(), "")
		}
	}
	h.process()
	evs := h.eventRows()
	if len(evs) != 5 {
		t.Fatalf("%d events", len(evs))
	}
	for i, e := range evs {
		want := "processed"
		switch i {
		case 1:
			want = "failed"
			if !strings.Contains(e.reason, "processing error") || !strings.Contains(e.reason, "boom") {
				t.Errorf("the erroring event's reason: %q", e.reason)
			}
		case 3:
			want = "failed"
			if !strings.Contains(e.reason, `unknown phone_number_id "999000111"`) {
				t.Errorf("the not-understood event's reason: %q", e.reason)
			}
		}
		if e.state != want || e.attempts != 1 {
			t.Errorf("event %d: %s after %d attempts, want %s after 1", i, e.state, e.attempts, want)
		}
	}
	// The four that did not error committed together; the erroring one was
	// set aside by a transaction of its own.
	if evs[0].xmin != evs[2].xmin || evs[0].xmin != evs[3].xmin || evs[0].xmin != evs[4].xmin || evs[1].xmin == evs[0].xmin {
		t.Errorf("not one batch: %+v", evs)
	}
	for _, b := range good {
		h.message(b.LastMessageID())
	}
	if n := h.count(`SELECT count(*) FROM messages`); n != len(good) {
		t.Fatalf("%d messages stored, want %d", n, len(good))
	}
}

// TestATransientErrorInABatchIsRetriedAloneAndSetAsideAfterFive: an event
// that keeps colliding is retried alone with backoff, counted, and set
// aside after five attempts, while everything else, before and after it,
// is applied at once.
func TestATransientErrorInABatchIsRetriedAloneAndSetAsideAfterFive(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	h.breakMessages()
	before := h.builder().Text(webhook.Contact{WaID: "393331000001"}, "before")
	h.post(before.Bytes(), "")
	h.post(h.builder().Text(customer, "flaky").Bytes(), "")
	after := h.builder().Text(webhook.Contact{WaID: "393331000002"}, "after")
	h.post(after.Bytes(), "")
	h.process()
	evs := h.eventRows()
	if len(evs) != 3 || evs[0].state != "processed" || evs[2].state != "processed" {
		t.Fatalf("events: %+v", evs)
	}
	if evs[1].state != "failed" || evs[1].attempts < 5 || !strings.Contains(evs[1].reason, "flaky") {
		t.Fatalf("the colliding event: %+v", evs[1])
	}
	h.message(before.LastMessageID())
	h.message(after.LastMessageID())
}

// TestTwoProcessorsApplyEveryEventOnce: two processors, as in two
// instances, drain the same 1,000 events (a tenth of them Meta's
// redeliveries, 40 customers, so their batches touch the same contacts and
// conversations, and now and then deadlock) at once.
func TestTwoProcessorsApplyEveryEventOnce(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	ctx := context.Background()
	const events, customers = 1000, 40
	var bodies [][]byte
	for i, k := 0, 0; len(bodies) < events; i++ {
		if i%10 == 9 {
			bodies = append(bodies, bodies[len(bodies)-3]) // a redelivery
			continue
		}
		c := webhook.Contact{WaID: fmt.Sprint(393330000000 + k%customers), Name: fmt.Sprint("customer ", k%customers)}
		bodies = append(bodies, h.builder().Text(c, fmt.Sprint("message ", i)).Bytes())
		k++
	}
	for _, b := range bodies {
		if err := h.app.DB.Store.InsertWebhookEvent(ctx, "", false, b); err != nil {
			t.Fatal(err)
		}
	}
	distinct := map[string]bool{}
	for _, b := range bodies {
		distinct[string(b)] = true
	}
	second := inbound.NewProcessor(h.app.DB.Store, slog.New(slog.DiscardHandler))
	var wg sync.WaitGroup
	start := time.Now()
	wg.Go(func() { h.app.Processor.Drain(ctx) })
	wg.Go(func() { second.Drain(ctx) })
	wg.Wait()
	// A processor stops when it finds nothing unclaimed; one more pass
	// picks up anything the other left pending after an error.
	h.process()
	t.Logf("%d events applied by two processors in %v", events, time.Since(start))
	for _, e := range h.eventRows() {
		if e.state != "processed" {
			t.Fatalf("event %d %s: %s", e.id, e.state, e.reason)
		}
	}
	if n := h.count(`SELECT count(*) FROM messages`); n != len(distinct) {
		t.Fatalf("%d messages stored from %d distinct messages", n, len(distinct))
	}
	if n := h.count(`SELECT count(*) FROM (SELECT wamid FROM messages GROUP BY wamid HAVING count(*) > 1) d`); n != 0 {
		t.Fatalf("%d messages stored twice", n)
	}
	if n := h.count(`SELECT count(*) FROM contacts`); n != customers {
		t.Fatalf("%d contacts, want %d", n, customers)
	}
	if n := h.count(`SELECT count(*) FROM conversations`); n != customers {
		t.Fatalf("%d conversations, want %d", n, customers)
	}
}

// TestAgentEventsArePublishedAfterCommitInOrder: the agent events batches
// write are published only once committed (readable from another
// connection when Told is called), in the order they were numbered, and
// every agent's numbers run from 1 without a gap; two goroutines share the
// processor, as in serve.
func TestAgentEventsArePublishedAfterCommitInOrder(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	ctx := context.Background()
	tenantID := h.n.TenantID
	agents := []string{h.app.F.A.Agent.ID, h.app.F.A.Admin.ID}
	// Six customers, each with a conversation assigned to one of the two.
	var contacts []webhook.Contact
	for i := range 6 {
		c := webhook.Contact{WaID: fmt.Sprint(393332000000 + i), Name: fmt.Sprint("customer ", i)}
		contacts = append(contacts, c)
		h.post(h.builder().Text(c, "hello").Bytes(), "")
	}
	h.process()
	err := h.app.DB.Store.InTenant(ctx, tenantID, func(tx pgx.Tx) error {
		_, err := tx.Exec(ctx, `UPDATE conversations c SET status = 'assigned',
				assigned_agent_id = CASE WHEN right(k.wa_id, 1)::int % 2 = 0 THEN $2::uuid ELSE $3::uuid END
			FROM contacts k WHERE k.tenant_id = c.tenant_id AND k.id = c.contact_id AND c.tenant_id = $1`, tenantID, agents[0], agents[1])
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	const messages = 300
	for i := range messages {
		if err := h.app.DB.Store.InsertWebhookEvent(ctx, "", false, h.builder().Text(contacts[i%len(contacts)], fmt.Sprint("m", i)).Bytes()); err != nil {
			t.Fatal(err)
		}
	}
	var mu sync.Mutex
	got := map[string][]int64{} // agent → seqs, in the order published
	tells := 0
	h.app.Processor.Told = func(ctx context.Context, evs []storage.AgentEvent) {
		for _, e := range evs {
			// Committed: another connection reads it.
			stored, err := h.app.DB.Store.AgentEventsSince(ctx, tenantID, e.AgentID, e.Seq-1, 1)
			if err != nil || len(stored) != 1 || stored[0].Seq != e.Seq {
				t.Errorf("agent event %d published before it was committed: %v %v", e.Seq, stored, err)
			}
		}
		mu.Lock()
		defer mu.Unlock()
		tells++
		for _, e := range evs {
			got[e.AgentID] = append(got[e.AgentID], e.Seq)
		}
	}
	var wg sync.WaitGroup
	wg.Go(func() { h.app.Processor.Drain(ctx) })
	wg.Go(func() { h.app.Processor.Drain(ctx) })
	wg.Wait()
	h.process()
	total := 0
	for _, a := range agents {
		// Two goroutines may publish their batches in either order once
		// both committed (the hub fills such a gap from Postgres); the
		// numbers themselves have none.
		seqs := slices.Clone(got[a])
		slices.Sort(seqs)
		for i, s := range seqs {
			if s != int64(i+1) {
				t.Fatalf("agent %s: numbers %v are not 1…%d without gaps", a, seqs, len(seqs))
			}
		}
		total += len(seqs)
	}
	if total != messages {
		t.Fatalf("%d agent events published for %d messages", total, messages)
	}
	if tells >= messages {
		t.Errorf("%d publications for %d events: not batched", tells, messages)
	}
}
