package router

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"reflect"
	"testing"
	"time"
)

// TestRouterMatchesNaiveRule runs thousands of random scenarios (seeded, so a
// failure names a seed that reproduces it) through the Router and through the
// naive rule, and wants the same outcomes, decisions and explanations. The
// scenarios are small and crowded so that ties, saturation, requeues and
// transfers happen often; a few larger ones stress the heaps.
func TestRouterMatchesNaiveRule(t *testing.T) {
	t.Parallel()
	seen := map[string]int{}
	const small, large = 3000, 100
	for seed := range uint64(small + large) {
		rng := rand.New(rand.NewPCG(seed, 0x5eed))
		f := randomScenario(rng, seed >= small)
		file := func() []byte {
			data, err := json.MarshalIndent(f, "", " ")
			if err != nil {
				t.Fatal(err)
			}
			return data
		}
		// Every tenth scenario goes through the file format; the others
		// skip the JSON, which would cost most of the test's time.
		var sc *scenario
		var err error
		if seed%10 == 0 {
			sc, err = parseScenario(file())
		} else {
			sc, err = f.check(newPositions(nil))
		}
		if err != nil {
			t.Fatalf("seed %d: the generator made a bad scenario: %v\n%s", seed, err, file())
		}
		r, err := New(sc.cfg)
		if err != nil {
			t.Fatal(err)
		}
		fast, err := sc.run(r)
		if err != nil {
			t.Fatalf("seed %d: router: %v", seed, err)
		}
		slow, err := sc.run(newNaive(sc.cfg))
		if err != nil {
			t.Fatalf("seed %d: naive: %v", seed, err)
		}
		if !reflect.DeepEqual(fast, slow) {
			var f, s bytes.Buffer
			_ = writeOutcomes(&f, fast)
			_ = writeOutcomes(&s, slow)
			if f.String() == s.String() { // the difference is in a field the output does not show
				for i := range min(len(fast), len(slow)) {
					if !reflect.DeepEqual(fast[i], slow[i]) {
						t.Fatalf("seed %d: outcome %d differs:\nrouter %+v\nnaive  %+v", seed, i, *fast[i].Decision, *slow[i].Decision)
					}
				}
			}
			t.Errorf("seed %d: the router and the naive rule differ; scenario:\n%s", seed, file())
			sameLines(t, "router vs naive", f.String(), s.String())
		}
		for _, o := range fast {
			seen[string(o.Kind)]++
			if d := o.Decision; d != nil {
				seen[fmt.Sprintf("step %d", d.Step)]++
				seen[fmt.Sprintf("queue step %d", d.QueueStep)]++
				if d.Skillset != "" {
					seen["transferred to a skillset"]++
				}
			}
		}
	}
	// The comparison means little if the scenarios never reach a case.
	for _, want := range []string{"assigned", "queued", "requeued", "transferred", "step 0", "step 3", "step 4",
		"step 5", "step 6", "step 7", "queue step 0", "queue step 1", "queue step 2", "queue step 3", "transferred to a skillset"} {
		if seen[want] < 20 {
			t.Errorf("the random scenarios reached %q only %d times", want, seen[want])
		}
	}
	t.Logf("reached: %v", seen)
}

// randomScenario builds a valid scenario file: events only name
// conversations that are open and transfer only to agents that are online.
func randomScenario(rng *rand.Rand, large bool) *scenarioFile {
	nAgents, nSkillsets, nNumbers, nEvents := 1+rng.IntN(6), 1+rng.IntN(4), 1+rng.IntN(3), 10+rng.IntN(80)
	if large {
		nAgents, nSkillsets, nNumbers, nEvents = 10+rng.IntN(30), 2+rng.IntN(6), 1+rng.IntN(5), 200+rng.IntN(400)
	}
	t0 := time.Date(2026, 1, 1, 9, 0, 0, 0, time.UTC)
	stamp := func(t time.Time) string { return t.Format(time.RFC3339Nano) }
	pick := func(prefix string, n int) string { return fmt.Sprintf("%s%d", prefix, rng.IntN(n)) }
	f := &scenarioFile{}
	for i := range nAgents {
		a := fileAgent{ID: fmt.Sprintf("a%d", i), Capacity: new(rng.IntN(4))}
		if rng.IntN(2) == 0 { // few distinct times, so that step 6 ties and 7 decides
			a.LastAssignedAt = stamp(t0.Add(-time.Duration(rng.IntN(3)) * time.Hour))
		}
		f.Agents = append(f.Agents, a)
	}
	for i := range nSkillsets {
		s := fileSkillset{ID: fmt.Sprintf("s%d", i)}
		for j := range nAgents {
			if rng.IntN(2) == 0 {
				s.Members = append(s.Members, fileMember{Agent: fmt.Sprintf("a%d", j), Priority: rng.IntN(4) - 1})
			}
		}
		// Listed in any order: nothing may depend on the order of the file.
		rng.Shuffle(len(s.Members), func(i, j int) { s.Members[i], s.Members[j] = s.Members[j], s.Members[i] })
		f.Skillsets = append(f.Skillsets, s)
	}
	for i := range nNumbers {
		n := fileNumber{ID: fmt.Sprintf("n%d", i)}
		for j := range nSkillsets {
			if rng.IntN(5) < 3 {
				n.Skillsets = append(n.Skillsets, fileLink{Skillset: fmt.Sprintf("s%d", j), Priority: rng.IntN(3)})
			}
		}
		rng.Shuffle(len(n.Skillsets), func(i, j int) { n.Skillsets[i], n.Skillsets[j] = n.Skillsets[j], n.Skillsets[i] })
		f.Numbers = append(f.Numbers, n)
	}
	for i, p := range []int{-1, 0, 2, 5} {
		f.Contacts = append(f.Contacts, fileContact{ID: fmt.Sprintf("k%d", i), Priority: p})
	}
	switch rng.IntN(3) {
	case 0:
		f.Options.RequeueOnOffline = new(false)
	case 1:
		f.Options.RequeueOnOffline = new(true)
	} // else the default, on

	now := t0
	online := map[string]bool{} // available or away: may be transferred to
	var open []string
	next := 0
	for len(f.Events) < nEvents {
		switch rng.IntN(6) { // often the same time, sometimes seconds or a fraction apart
		case 0:
			now = now.Add(time.Duration(1+rng.IntN(120)) * time.Second)
		case 1:
			now = now.Add(time.Minute)
		case 2:
			now = now.Add(250 * time.Millisecond)
		}
		ev := fileEvent{At: stamp(now)}
		agent := pick("a", nAgents)
		switch k := rng.IntN(100); {
		case k < 30 || len(open) == 0:
			ev.Type, ev.Conversation, ev.Number = "conversation_arrives", fmt.Sprintf("c%d", next), pick("n", nNumbers)
			switch rng.IntN(5) {
			case 0: // no contact: priority 0
			case 1:
				ev.Contact = "stranger" // not listed: priority 0
			default:
				ev.Contact = pick("k", 4)
			}
			open = append(open, ev.Conversation)
			next++
		case k < 45:
			i := rng.IntN(len(open))
			ev.Type, ev.Conversation = "conversation_closed", open[i]
			open = append(open[:i], open[i+1:]...)
		case k < 60:
			ev.Type, ev.Agent = "agent_available", agent
			online[agent] = true
		case k < 65:
			ev.Type, ev.Agent = "agent_away", agent
			online[agent] = true
		case k < 72:
			ev.Type, ev.Agent = "agent_offline", agent
			delete(online, agent)
		case k < 79:
			ev.Type, ev.Agent, ev.Capacity = "set_capacity", agent, new(rng.IntN(4))
		case k < 90:
			ev.Type, ev.Conversation, ev.Skillset = "transfer_to_skillset", open[rng.IntN(len(open))], pick("s", nSkillsets)
		default:
			if !online[agent] {
				continue
			}
			ev.Type, ev.Conversation, ev.Agent = "transfer_to_agent", open[rng.IntN(len(open))], agent
		}
		f.Events = append(f.Events, ev)
	}
	return f
}
