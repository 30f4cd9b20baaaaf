package router

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestScenarios runs every testdata/*.json through the simulator, and through
// the naive rule as well, and compares with the .out file next to it. The
// .out files were written by hand from routing.md's worked examples (see
// testdata/README.md), not copied from a run.
func TestScenarios(t *testing.T) {
	t.Parallel()
	files, err := filepath.Glob("testdata/*.json")
	if err != nil || len(files) < 7 {
		t.Fatalf("scenario files: %v %v", files, err)
	}
	for _, file := range files {
		t.Run(strings.TrimSuffix(filepath.Base(file), ".json"), func(t *testing.T) {
			t.Parallel()
			in, err := os.ReadFile(file)
			if err != nil {
				t.Fatal(err)
			}
			want, err := os.ReadFile(strings.TrimSuffix(file, ".json") + ".out")
			if err != nil {
				t.Fatal(err)
			}
			var got bytes.Buffer
			if err := Simulate(bytes.NewReader(in), &got); err != nil {
				t.Fatalf("Simulate: %v", err)
			}
			sameLines(t, "router", got.String(), string(want))

			sc, err := parseScenario(in)
			if err != nil {
				t.Fatal(err)
			}
			outcomes, err := sc.run(newNaive(sc.cfg))
			if err != nil {
				t.Fatal(err)
			}
			var naive bytes.Buffer
			if err := writeOutcomes(&naive, outcomes); err != nil {
				t.Fatal(err)
			}
			sameLines(t, "naive rule", naive.String(), string(want))
		})
	}
}

func sameLines(t *testing.T, who, got, want string) {
	t.Helper()
	g, w := strings.Split(strings.TrimSpace(got), "\n"), strings.Split(strings.TrimSpace(want), "\n")
	for i := range max(len(g), len(w)) {
		var gl, wl string
		if i < len(g) {
			gl = g[i]
		}
		if i < len(w) {
			wl = w[i]
		}
		if gl != wl {
			t.Fatalf("%s: output line %d:\n got %s\nwant %s\n\nwhole output:\n%s", who, i+1, gl, wl, got)
		}
	}
}

const base = `{
  "numbers": [{"id": "N1", "skillsets": [{"skillset": "sales", "priority": 2}]}],
  "skillsets": [{"id": "sales", "members": [{"agent": "anna", "priority": 1}]}],
  "agents": [{"id": "anna", "capacity": 1}],
  "events": [
    {"at": "2026-01-01T10:00:00Z", "type": "agent_available", "agent": "anna"},
    EVENT
  ]
}`

func TestScenarioErrors(t *testing.T) {
	t.Parallel()
	event := func(e string) string { return strings.Replace(base, "EVENT", e, 1) }
	plain := event(`{"at": "2026-01-01T10:01:00Z", "type": "agent_away", "agent": "anna"}`)
	const arrive = `{"at": "2026-01-01T10:01:00Z", "type": "conversation_arrives", "conversation": "c1", "number": "N1"}`
	for _, tc := range []struct {
		name, in string
		line     int
		msg      string
	}{
		{"empty", "  \n", 1, "the scenario is empty"},
		{"syntax", "{\n\"numbers\": [\n}", 3, "not valid JSON"},
		{"not an object", "[]", 1, "the scenario: expected an object, not a list"},
		{"null", "null", 1, "the scenario: expected an object, not null"},
		{"unknown top field", "{\n\"agents\": [],\n\"agnets\": []}", 3, `the scenario: unknown field "agnets"`},
		{"duplicate field", "{\n\"agents\": [],\n\"agents\": []}", 3, `field "agents" given twice`},
		{"wrong kind", strings.Replace(plain, `"capacity": 1`, `"capacity": "one"`, 1), 4, `agents[0].capacity: expected an integer, not the string "one"`},
		{"fraction", strings.Replace(plain, `"capacity": 1`, `"capacity": 1.5`, 1), 4, `expected an integer, not the number 1.5`},
		{"missing capacity", strings.Replace(plain, `, "capacity": 1`, ``, 1), 4, `agent "anna": capacity is required`},
		{"negative capacity", strings.Replace(plain, `"capacity": 1`, `"capacity": -1`, 1), 4, `capacity -1 is negative`},
		{"bad last assigned", strings.Replace(plain, `"capacity": 1`, `"capacity": 1, "last_assigned_at": "yesterday"`, 1), 4, `"yesterday" is not an RFC 3339 time`},
		{"unknown member", strings.Replace(plain, `{"agent": "anna", "priority": 1}`, `{"agent": "zed", "priority": 1}`, 1), 3, `skillset "sales": unknown agent "zed"`},
		{"unknown linked skillset", strings.Replace(plain, `"skillset": "sales"`, `"skillset": "billing"`, 1), 2, `number "N1": unknown skillset "billing"`},
		{"duplicate agent", strings.Replace(plain, `[{"id": "anna", "capacity": 1}]`, "[{\"id\": \"anna\", \"capacity\": 1},\n{\"id\": \"anna\", \"capacity\": 1}]", 1), 5, `agent "anna" is listed twice`},
		{"unknown event type", event(`{"at": "2026-01-01T10:01:00Z", "type": "conversation_opens", "conversation": "c1"}`), 7, `unknown event type "conversation_opens"`},
		{"unknown event field", event(`{"at": "2026-01-01T10:01:00Z", "type": "agent_away", "agnet": "anna"}`), 7, `events[1]: unknown field "agnet"`},
		{"field of another type", event(`{"at": "2026-01-01T10:01:00Z", "type": "agent_away", "agent": "anna", "number": "N1"}`), 7, `agent_away takes no number`},
		{"missing field", event(`{"at": "2026-01-01T10:01:00Z", "type": "conversation_arrives", "conversation": "c1"}`), 7, `conversation_arrives needs number`},
		{"unknown agent", event(`{"at": "2026-01-01T10:01:00Z", "type": "agent_away", "agent": "zed"}`), 7, `unknown agent "zed"`},
		{"unknown number", event(`{"at": "2026-01-01T10:01:00Z", "type": "conversation_arrives", "conversation": "c1", "number": "N9"}`), 7, `unknown number "N9"`},
		{"time out of order", event(`{"at": "2026-01-01T09:59:00Z", "type": "agent_away", "agent": "anna"}`), 7, `is earlier than the event before it`},
		{"bad time", event(`{"at": "10:01", "type": "agent_away", "agent": "anna"}`), 7, `"10:01" is not an RFC 3339 time`},
		{"unknown conversation", event(`{"at": "2026-01-01T10:01:00Z", "type": "conversation_closed", "conversation": "c9"}`), 7, `unknown conversation "c9"`},
		{"arrives twice", event(arrive + ",\n" + arrive), 8, `conversation "c1" already arrived on line 7`},
		{"closed twice", event(arrive + ",\n" + `{"at": "2026-01-01T10:02:00Z", "type": "conversation_closed", "conversation": "c1"},` +
			"\n" + `{"at": "2026-01-01T10:03:00Z", "type": "conversation_closed", "conversation": "c1"}`), 9, `conversation "c1" was closed on line 8`},
		{"transfer to offline agent", event(`{"at": "2026-01-01T10:01:00Z", "type": "agent_offline", "agent": "anna"},` + "\n" + arrive + ",\n" +
			`{"at": "2026-01-01T10:02:00Z", "type": "transfer_to_agent", "conversation": "c1", "agent": "anna"}`), 9, `agent is offline`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var out bytes.Buffer
			err := Simulate(strings.NewReader(tc.in), &out)
			var se *ScenarioError
			if !errors.As(err, &se) {
				t.Fatalf("want a ScenarioError, got %v", err)
			}
			if se.Line != tc.line || !strings.Contains(se.Msg, tc.msg) {
				t.Fatalf("got %q, want line %d: …%s…", se.Error(), tc.line, tc.msg)
			}
			if out.Len() != 0 {
				t.Fatalf("a failed scenario printed %q", out.String())
			}
		})
	}
}

func TestClock(t *testing.T) {
	t.Parallel()
	at := func(s string) time.Time {
		tm, err := parseTime(s)
		if err != nil {
			t.Fatal(err)
		}
		return tm
	}
	for _, tc := range []struct{ a, b, want string }{
		{"2026-01-01T10:00:00Z", "2026-01-01T11:00:00Z", "10:00"},
		{"2026-01-01T10:00:00Z", "2026-01-01T10:00:30Z", "10:00:00"},
		{"2026-01-01T10:00:30.25Z", "2026-01-01T10:00:30Z", "10:00:30.25"},
		{"2025-12-31T23:59:00Z", "2026-01-01T00:01:00Z", "2025-12-31 23:59"},
		{"2026-01-01T11:00:00+01:00", "2026-01-01T10:30:00Z", "10:00"},
	} {
		if got := clock(at(tc.a), at(tc.b)); got != tc.want {
			t.Errorf("clock(%s, %s) = %q, want %q", tc.a, tc.b, got, tc.want)
		}
	}
}
