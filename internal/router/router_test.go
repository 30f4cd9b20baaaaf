package router

import (
	"errors"
	"testing"
	"time"
)

// These tests use the Router's API directly, as the live dispatcher will:
// errors name what is wrong and change nothing.

func testRouter(t *testing.T) *Router {
	t.Helper()
	r, err := New(Config{
		Numbers:   []Number{{ID: "N1", Skillsets: []Link{{Skillset: "sales", Priority: 1}}}},
		Skillsets: []Skillset{{ID: "sales", Members: []Member{{Agent: "anna"}, {Agent: "bruno"}}}},
		Agents:    []Agent{{ID: "anna", Capacity: 1}, {ID: "bruno", Capacity: 1}},
	})
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func TestEventErrors(t *testing.T) {
	t.Parallel()
	at := time.Date(2026, 1, 1, 10, 0, 0, 0, time.UTC)
	r := testRouter(t)
	if _, err := r.AgentAvailable(at, "anna"); err != nil {
		t.Fatal(err)
	}
	if out, err := r.Arrive(at, "c1", "N1", 0); err != nil || len(out) != 1 || out[0].Agent != "anna" {
		t.Fatalf("arrive: %v %+v", err, out)
	}
	for _, tc := range []struct {
		name string
		do   func() ([]Outcome, error)
		want error
	}{
		{"unknown agent", func() ([]Outcome, error) { return r.AgentAway(at, "zed") }, ErrUnknownAgent},
		{"unknown number", func() ([]Outcome, error) { return r.Arrive(at, "c2", "N9", 0) }, ErrUnknownNumber},
		{"same conversation twice", func() ([]Outcome, error) { return r.Arrive(at, "c1", "N1", 0) }, ErrDuplicate},
		{"unknown conversation", func() ([]Outcome, error) { return r.Close(at, "c9") }, ErrUnknownConversation},
		{"unknown skillset", func() ([]Outcome, error) { return r.TransferToSkillset(at, "c1", "billing") }, ErrUnknownSkillset},
		{"offline agent", func() ([]Outcome, error) { return r.TransferToAgent(at, "c1", "bruno") }, ErrAgentOffline},
		{"negative capacity", func() ([]Outcome, error) { return r.SetCapacity(at, "anna", -1) }, ErrNegativeCapacity},
	} {
		if out, err := tc.do(); !errors.Is(err, tc.want) || out != nil {
			t.Errorf("%s: got %v %v, want %v", tc.name, out, err, tc.want)
		}
	}
	// Nothing changed: anna still holds c1, and closing it frees her.
	if out, err := r.Arrive(at, "c2", "N1", 0); err != nil || len(out) != 1 || out[0].Kind != Queued {
		t.Fatalf("c2: %v %+v", err, out)
	}
	if out, err := r.Close(at, "c1"); err != nil || len(out) != 1 || out[0].Conversation != "c2" || out[0].Agent != "anna" {
		t.Fatalf("close c1: %v %+v", err, out)
	}
	if _, err := r.Close(at, "c1"); !errors.Is(err, ErrUnknownConversation) {
		t.Fatalf("closing twice: %v", err)
	}
}

func TestConfigErrors(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		cfg  Config
		path string
	}{
		{Config{Agents: []Agent{{ID: ""}}}, "agents[0].id"},
		{Config{Agents: []Agent{{ID: "a"}, {ID: "a"}}}, "agents[1].id"},
		{Config{Agents: []Agent{{ID: "a", Capacity: -2}}}, "agents[0].capacity"},
		{Config{Skillsets: []Skillset{{ID: "s", Members: []Member{{Agent: "zed"}}}}}, "skillsets[0].members[0].agent"},
		{Config{Agents: []Agent{{ID: "a"}}, Skillsets: []Skillset{{ID: "s", Members: []Member{{Agent: "a"}, {Agent: "a"}}}}}, "skillsets[0].members[1].agent"},
		{Config{Skillsets: []Skillset{{ID: "s"}, {ID: "s"}}}, "skillsets[1].id"},
		{Config{Numbers: []Number{{ID: "N", Skillsets: []Link{{Skillset: "s"}}}}}, "numbers[0].skillsets[0].skillset"},
		{Config{Skillsets: []Skillset{{ID: "s"}}, Numbers: []Number{{ID: "N", Skillsets: []Link{{Skillset: "s"}, {Skillset: "s"}}}}}, "numbers[0].skillsets[1].skillset"},
		{Config{Numbers: []Number{{ID: "N"}, {ID: "N"}}}, "numbers[1].id"},
	} {
		_, err := New(tc.cfg)
		var ce *ConfigError
		if !errors.As(err, &ce) || ce.Path != tc.path {
			t.Errorf("%+v: got %v, want an error at %s", tc.cfg, err, tc.path)
		}
	}
}
