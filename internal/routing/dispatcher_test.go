package routing_test

import (
	"context"
	"strings"
	"testing"
	"time"
)

// The base setup of routing.md's worked examples: N1 links Sales (2) and
// Support (1); Sales = Anna (1), Bruno (1); Support = Carla (5); capacity 2.
type base struct {
	*env
	n1, sales, support string
	anna, bruno, carla string
}

func newBase(t *testing.T) *base {
	e := newEnv(t, 0)
	ten := time.Date(2026, 1, 1, 10, 0, 0, 0, time.UTC)
	nine := ten.Add(-time.Hour)
	b := &base{env: e}
	b.anna, b.bruno, b.carla = e.agent("Anna", 2, &ten), e.agent("Bruno", 2, &nine), e.agent("Carla", 2, nil)
	b.sales, b.support = e.skillset("Sales"), e.skillset("Support")
	e.member(b.sales, b.anna, 1)
	e.member(b.sales, b.bruno, 1)
	e.member(b.support, b.carla, 5)
	b.n1 = e.number()
	e.link(b.n1, b.sales, 2)
	e.link(b.n1, b.support, 1)
	return b
}

func TestAssignsAtOnceAndExplains(t *testing.T) {
	t.Parallel()
	b := newBase(t)
	b.dispatcher(0)
	for _, a := range []string{b.anna, b.bruno, b.carla} {
		b.available(a)
	}
	c1 := b.arrive(b.n1, 0)
	b.waitHolder(c1, b.bruno) // E1: step 6, Bruno idle longer
	conv, err := b.db.Store.Conversation(context.Background(), b.tenantID, c1)
	if err != nil {
		t.Fatal(err)
	}
	if a := conv.Assignment; a == nil || a.Step != 6 || !strings.Contains(a.Reason, "Bruno last assigned 09:00, Anna 10:00") {
		t.Fatalf("assignment explanation = %+v", conv.Assignment)
	}
	c2 := b.arrive(b.n1, 0)
	b.waitHolder(c2, b.anna) // E2: step 5, load
	conv, _ = b.db.Store.Conversation(context.Background(), b.tenantID, c2)
	if a := conv.Assignment; a == nil || a.Step != 5 || !strings.Contains(a.Reason, "Anna had 0 conversations, Bruno 1") {
		t.Fatalf("assignment explanation = %+v", conv.Assignment)
	}
}

func TestCloseAndTransfers(t *testing.T) {
	t.Parallel()
	b := newBase(t)
	b.dispatcher(0)
	ctx := context.Background()
	b.available(b.anna)
	c1, c2, c3 := b.arrive(b.n1, 0), b.arrive(b.n1, 0), b.arrive(b.n1, 0)
	b.waitHolder(c1, b.anna)
	b.waitHolder(c2, b.anna)
	if got, st := b.holder(c3); got != "" || st != "queued" {
		t.Fatalf("c3 with Anna full: %q %s, want queued", got, st)
	}
	// Closing frees capacity: c3 goes to Anna. The outcome is stored as
	// the dispatcher closes it.
	if err := b.svc.CloseWithOutcome(ctx, b.tenantID, c1, "Sale", "test"); err != nil {
		t.Fatal(err)
	}
	if _, st := b.holder(c1); st != "closed" {
		t.Fatalf("c1 status %s after close", st)
	}
	if n := b.count(`SELECT count(*) FROM conversations WHERE id = $1 AND close_outcome = 'Sale'`, c1); n != 1 {
		t.Fatal("c1 closed without its outcome")
	}
	b.waitHolder(c3, b.anna)
	if err := b.svc.Close(ctx, b.tenantID, c1, "test"); err == nil {
		t.Fatal("closing a closed conversation succeeded")
	}
	// A transfer to an offline agent is refused and changes nothing.
	err := b.svc.TransferToAgent(ctx, b.tenantID, c2, b.carla, "test")
	if err == nil || !strings.Contains(err.Error(), "offline") {
		t.Fatalf("transfer to offline Carla: %v", err)
	}
	b.waitHolder(c2, b.anna)
	// A transfer to a skillset requeues, restricted to its members: Carla
	// (Support) gets it when she becomes available, though Bruno (Sales)
	// is free.
	b.available(b.bruno)
	if err := b.svc.TransferToSkillset(ctx, b.tenantID, c2, b.support, "test"); err != nil {
		t.Fatal(err)
	}
	if got, st := b.holder(c2); got != "" || st != "queued" {
		t.Fatalf("c2 after transfer to Support: %q %s", got, st)
	}
	b.available(b.carla)
	b.waitHolder(c2, b.carla)
	// A transfer to an agent goes past capacity.
	b.exec(`UPDATE users SET capacity = 0 WHERE id = $1`, b.bruno)
	b.reload()
	if err := b.svc.TransferToAgent(ctx, b.tenantID, c2, b.bruno, "test"); err != nil {
		t.Fatal(err)
	}
	b.waitHolder(c2, b.bruno)
	if n := b.count(`SELECT count(*) FROM routing_events WHERE conversation_id = $1 AND kind = 'transferred'`, c2); n != 1 {
		t.Fatalf("transferred events = %d", n)
	}
}
