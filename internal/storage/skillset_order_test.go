package storage_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"testing"

	"switchboard/internal/storage"
	"switchboard/internal/storage/storagetest"
)

// servingOrder is a number's links as the router's configuration holds
// them, first served first: "Name=priority" each.
func servingOrder(t *testing.T, db *storagetest.DB, tenantID, numberID string) []string {
	t.Helper()
	all, err := db.Store.ListSkillsets(context.Background(), tenantID)
	if err != nil {
		t.Fatal(err)
	}
	var links []storage.NumberLink
	for _, s := range all {
		for _, n := range s.Numbers {
			if n.NumberID == numberID {
				links = append(links, storage.NumberLink{SkillsetID: s.ID, Name: s.Name, Priority: n.Priority})
			}
		}
	}
	storage.SortNumberLinks(links)
	out := make([]string, len(links))
	for i, l := range links {
		out[i] = fmt.Sprintf("%s=%d", l.Name, l.Priority)
	}
	return out
}

// TestMoveNumberSkillset moves links up and down: each move is one
// transaction with one audit entry (the order before and after) and one
// router reload; ties are renumbered 10 apart, different priorities swap;
// the ends, unknown links and other tenants change nothing.
func TestMoveNumberSkillset(t *testing.T) {
	t.Parallel()
	db := storagetest.NewDB(t)
	f := storagetest.Seed(t, db)
	ctx := context.Background()
	n1 := addNumber(t, db, f.A.ID, "3001", "+39 02 3333")
	n2 := addNumber(t, db, f.A.ID, "3002", "+39 02 4444")
	nb := addNumber(t, db, f.B.ID, "3003", "+1 555 0300")
	ids := map[string]string{}
	for _, name := range []string{"Sales", "Support", "Billing"} {
		id, err := db.Store.CreateSkillset(ctx, f.A.ID, admin, name)
		if err != nil {
			t.Fatal(err)
		}
		ids[name] = id
	}
	for _, l := range []struct {
		number, skillset string
		prio             int
	}{{n1, "Sales", 5}, {n1, "Support", 5}, {n1, "Billing", 1}, {n2, "Sales", 7}} {
		if err := db.Store.LinkNumberSkillset(ctx, f.A.ID, admin, l.number, ids[l.skillset], l.prio); err != nil {
			t.Fatal(err)
		}
	}
	tr := newTrail(t, db, f.A.ID)
	if got := servingOrder(t, db, f.A.ID, n1); !slices.Equal(got, []string{"Sales=5", "Support=5", "Billing=1"}) {
		t.Fatalf("before: %v", got)
	}

	// Sales and Support tie: moving Sales down renumbers the whole list.
	if moved, err := db.Store.MoveNumberSkillset(ctx, f.A.ID, admin, n1, ids["Sales"], false); err != nil || !moved {
		t.Fatalf("move Sales down: %v %v", moved, err)
	}
	e := tr.changed("skillset.number_reorder")
	if e.Target != "+39 02 3333" || e.Detail["skillset"] != "Sales" || e.Detail["direction"] != "down" ||
		fmt.Sprint(e.Detail["before"]) != "[map[priority:5 skillset:Sales] map[priority:5 skillset:Support] map[priority:1 skillset:Billing]]" ||
		fmt.Sprint(e.Detail["after"]) != "[map[priority:30 skillset:Support] map[priority:20 skillset:Sales] map[priority:10 skillset:Billing]]" {
		t.Fatalf("reorder audit: %+v", e)
	}
	if got := servingOrder(t, db, f.A.ID, n1); !slices.Equal(got, []string{"Support=30", "Sales=20", "Billing=10"}) {
		t.Fatalf("after moving Sales down: %v", got)
	}
	// Different priorities swap, and only those two links change.
	if moved, err := db.Store.MoveNumberSkillset(ctx, f.A.ID, admin, n1, ids["Billing"], true); err != nil || !moved {
		t.Fatalf("move Billing up: %v %v", moved, err)
	}
	tr.changed("skillset.number_reorder")
	if got := servingOrder(t, db, f.A.ID, n1); !slices.Equal(got, []string{"Support=30", "Billing=20", "Sales=10"}) {
		t.Fatalf("after moving Billing up: %v", got)
	}
	// The router reads the new order.
	st, err := db.Store.LoadRouting(ctx, f.A.ID)
	if err != nil {
		t.Fatal(err)
	}
	for _, n := range st.Config.Numbers {
		if n.ID != n1 {
			continue
		}
		got := map[string]int{}
		for _, l := range n.Skillsets {
			got[l.Skillset] = l.Priority
		}
		if got[ids["Support"]] != 30 || got[ids["Billing"]] != 20 || got[ids["Sales"]] != 10 {
			t.Fatalf("the router's view of the number: %+v", n.Skillsets)
		}
	}

	// The ends, a skillset that does not serve the number, another
	// tenant's number and ids that are not ids change nothing.
	if moved, err := db.Store.MoveNumberSkillset(ctx, f.A.ID, admin, n1, ids["Support"], true); err != nil || moved {
		t.Fatalf("move the first up: %v %v", moved, err)
	}
	if moved, err := db.Store.MoveNumberSkillset(ctx, f.A.ID, admin, n1, ids["Sales"], false); err != nil || moved {
		t.Fatalf("move the last down: %v %v", moved, err)
	}
	if _, err := db.Store.MoveNumberSkillset(ctx, f.A.ID, admin, n2, ids["Billing"], true); !errors.Is(err, storage.ErrNotFound) {
		t.Fatalf("a skillset that does not serve the number: %v", err)
	}
	if _, err := db.Store.MoveNumberSkillset(ctx, f.B.ID, admin, n1, ids["Billing"], true); !errors.Is(err, storage.ErrNotFound) {
		t.Fatalf("tenant B moving A's link: %v", err)
	}
	if _, err := db.Store.MoveNumberSkillset(ctx, f.A.ID, admin, nb, ids["Billing"], true); !errors.Is(err, storage.ErrNotFound) {
		t.Fatalf("tenant B's number: %v", err)
	}
	_, err = db.Store.MoveNumberSkillset(ctx, f.A.ID, admin, "+39 02 3333", ids["Sales"], true)
	wantField(t, "bad number id", err, "number", "routing.id_invalid")
	_, err = db.Store.MoveNumberSkillset(ctx, f.A.ID, admin, n1, "Sales", true)
	wantField(t, "bad skillset id", err, "skillset", "routing.id_invalid")
	tr.unchanged("moves that changed nothing")
	if got := servingOrder(t, db, f.A.ID, n2); !slices.Equal(got, []string{"Sales=7"}) {
		t.Fatalf("the other number's links changed: %v", got)
	}
}

// TestMoveNumberSkillsetConcurrent moves links of one number from several
// goroutines at once. Moves among different priorities only swap them, so
// if each move starts from the order the previous one left, the priorities
// stay the same four values; a move computed from a stale order would
// duplicate one and lose another.
func TestMoveNumberSkillsetConcurrent(t *testing.T) {
	t.Parallel()
	db := storagetest.NewDB(t)
	f := storagetest.Seed(t, db)
	ctx := context.Background()
	n := addNumber(t, db, f.A.ID, "3101", "+39 02 5555")
	var ids []string
	for i, name := range []string{"A", "B", "C", "D"} {
		id, err := db.Store.CreateSkillset(ctx, f.A.ID, admin, name)
		if err != nil {
			t.Fatal(err)
		}
		if err := db.Store.LinkNumberSkillset(ctx, f.A.ID, admin, n, id, 40-10*i); err != nil {
			t.Fatal(err)
		}
		ids = append(ids, id)
	}
	tr := newTrail(t, db, f.A.ID)
	var wg sync.WaitGroup
	var mu sync.Mutex
	moves := 0
	for g := range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for k := range 6 {
				moved, err := db.Store.MoveNumberSkillset(ctx, f.A.ID, admin, n, ids[(g+k)%4], (g+k)%2 == 0)
				if err != nil {
					t.Errorf("move: %v", err)
					return
				}
				if moved {
					mu.Lock()
					moves++
					mu.Unlock()
				}
			}
		}()
	}
	wg.Wait()
	if got := tr.count() - tr.reloads; got != moves {
		t.Errorf("%d moves, %d reloads", moves, got)
	}
	var prios []int
	for _, l := range servingOrder(t, db, f.A.ID, n) {
		var name string
		var p int
		if _, err := fmt.Sscanf(l, "%1s=%d", &name, &p); err != nil {
			t.Fatal(err)
		}
		prios = append(prios, p)
	}
	if !slices.Equal(prios, []int{40, 30, 20, 10}) {
		t.Fatalf("after %d concurrent moves the priorities are %v", moves, prios)
	}
}

// TestReorderedPriorities: the priorities a wanted order gets.
func TestReorderedPriorities(t *testing.T) {
	t.Parallel()
	cases := []struct {
		order []storage.NumberLink
		want  map[string]int
	}{
		// Two different priorities swap.
		{[]storage.NumberLink{{SkillsetID: "b", Name: "B", Priority: 1}, {SkillsetID: "a", Name: "A", Priority: 2}},
			map[string]int{"b": 2, "a": 1}},
		// A tie where the name would put them the other way: renumbered.
		{[]storage.NumberLink{{SkillsetID: "b", Name: "B", Priority: 5}, {SkillsetID: "a", Name: "a", Priority: 5}},
			map[string]int{"b": 20, "a": 10}},
		// A tie the names already order as wanted is kept.
		{[]storage.NumberLink{{SkillsetID: "a", Name: "A", Priority: 5}, {SkillsetID: "b", Name: "B", Priority: 5}},
			map[string]int{"a": 5, "b": 5}},
		// Handing out 5, 5, 3 again would leave C tied with A and before
		// it by name: renumbered instead.
		{[]storage.NumberLink{{SkillsetID: "x", Name: "X", Priority: 5}, {SkillsetID: "c", Name: "C", Priority: 3}, {SkillsetID: "y", Name: "Y", Priority: 5}},
			map[string]int{"x": 30, "c": 20, "y": 10}},
		// Negative priorities swap as well.
		{[]storage.NumberLink{{SkillsetID: "a", Name: "A", Priority: -7}, {SkillsetID: "b", Name: "B", Priority: 0}},
			map[string]int{"a": 0, "b": -7}},
	}
	for _, c := range cases {
		got := storage.ReorderedPriorities(c.order)
		if fmt.Sprint(got) != fmt.Sprint(c.want) {
			t.Errorf("%+v: got %v, want %v", c.order, got, c.want)
		}
	}
}
