package router

import (
	"errors"
	"testing"
	"time"
)

// A bot's hand-off asks for one skillset: only its members are candidates,
// even when another skillset of the number ranks higher and has someone free.
func TestArriveForOneSkillset(t *testing.T) {
	t.Parallel()
	at := time.Date(2026, 1, 1, 10, 0, 0, 0, time.UTC)
	r, err := New(Config{
		Numbers: []Number{{ID: "N1", Skillsets: []Link{{Skillset: "sales", Priority: 9}, {Skillset: "billing", Priority: 1}}}},
		Skillsets: []Skillset{
			{ID: "sales", Members: []Member{{Agent: "anna"}}},
			{ID: "billing", Members: []Member{{Agent: "bruno"}}},
		},
		Agents: []Agent{{ID: "anna", Capacity: 2}, {ID: "bruno", Capacity: 1}},
	})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := r.AgentsAvailable(at, []string{"anna", "bruno"}); err != nil {
		t.Fatal(err)
	}
	out, err := r.ArriveFor(at, at.Add(-time.Minute), "c1", "N1", "billing", 0)
	if err != nil || len(out) != 1 || out[0].Agent != "bruno" {
		t.Fatalf("billing hand-off: %v %+v", err, out)
	}
	// Bruno is full: the next billing conversation waits, though Anna is free.
	out, err = r.ArriveFor(at, at, "c2", "N1", "billing", 0)
	if err != nil || len(out) != 1 || out[0].Kind != Queued {
		t.Fatalf("second billing: %v %+v", err, out)
	}
	if _, err := r.ArriveFor(at, at, "c3", "N1", "nope", 0); !errors.Is(err, ErrUnknownSkillset) {
		t.Fatalf("unknown skillset: %v", err)
	}
	// Without a skillset, the number's best: Anna.
	if out, err := r.ArriveFor(at, at, "c4", "N1", "", 0); err != nil || out[0].Agent != "anna" {
		t.Fatalf("no skillset: %v %+v", err, out)
	}
}
