package router

import (
	"fmt"
	"math/rand/v2"
	"testing"
	"time"
)

// BenchmarkDecide measures one decision with 10,000 conversations waiting
// and 1,000 agents (capacity 1 to 8, in 1 to 3 of 20 skillsets, 10 numbers),
// all of them full. One op is: an agent closes a conversation, which frees
// one slot; the router gives that agent the first conversation it can take
// (the decision); then one new conversation arrives and is queued, so that
// 10,000 keep waiting. The same ops run on the Router and on the naive rule;
// the ratio of their ns/op is what the heaps buy.
func BenchmarkDecide(b *testing.B) {
	b.Run("router", func(b *testing.B) { benchDecide(b, false) })
	b.Run("naive", func(b *testing.B) { benchDecide(b, true) })
}

const (
	benchAgents    = 1000
	benchSkillsets = 20
	benchNumbers   = 10
	benchWaiting   = 10000
)

func benchConfig(rng *rand.Rand) Config {
	var cfg Config
	members := make([][]Member, benchSkillsets)
	for i := range benchAgents {
		id := fmt.Sprintf("agent%04d", i)
		cfg.Agents = append(cfg.Agents, Agent{ID: id, Capacity: 1 + rng.IntN(8)})
		for _, s := range rng.Perm(benchSkillsets)[:1+rng.IntN(3)] {
			members[s] = append(members[s], Member{Agent: id, Priority: rng.IntN(3)})
		}
	}
	for i, m := range members {
		cfg.Skillsets = append(cfg.Skillsets, Skillset{ID: fmt.Sprintf("skillset%02d", i), Members: m})
	}
	for i := range benchNumbers {
		// Two skillsets of its own, so that every skillset serves a number, and one shared.
		links := []Link{{fmt.Sprintf("skillset%02d", 2*i), 2}, {fmt.Sprintf("skillset%02d", 2*i+1), 1}}
		if shared := fmt.Sprintf("skillset%02d", rng.IntN(benchSkillsets)); shared != links[0].Skillset && shared != links[1].Skillset {
			links = append(links, Link{shared, rng.IntN(3)})
		}
		cfg.Numbers = append(cfg.Numbers, Number{ID: fmt.Sprintf("N%d", i), Skillsets: links})
	}
	cfg.RequeueOnOffline = true
	return cfg
}

func benchDecide(b *testing.B, slow bool) {
	rng := rand.New(rand.NewPCG(1, 2))
	cfg := benchConfig(rng)
	r, err := New(cfg)
	if err != nil {
		b.Fatal(err)
	}
	at := time.Date(2026, 1, 1, 9, 0, 0, 0, time.UTC)
	for _, a := range cfg.Agents {
		must(b)(r.AgentAvailable(at, a.ID))
	}
	// Fill the agents, then the queue, on the Router. The naive rule is put
	// straight into the state the Router reached: arriving one by one, each
	// of its dispatches would scan the growing queue against every agent, for
	// hours, to decide what the randomized test shows the Router decides.
	var held []string // assigned conversations, oldest first: the ones to close
	n := newNaive(cfg)
	for _, a := range n.agents {
		a.status = available
	}
	waiting, seq := 0, 0
	for waiting < benchWaiting {
		at = at.Add(time.Millisecond)
		id, num, prio := fmt.Sprintf("c%06d", seq), fmt.Sprintf("N%d", rng.IntN(benchNumbers)), rng.IntN(3)
		seq++
		out := must(b)(r.Arrive(at, id, num, prio))
		c := &nConv{id: id, number: num, priority: prio, arrival: at}
		n.convs[id] = c
		if out[0].Kind == Assigned {
			held = append(held, id)
			n.give(c, out[0].Agent, at)
		} else {
			waiting++
		}
	}
	var m model = r
	if slow {
		m = n
	}
	decisions, ops := 0, 0
	for b.Loop() {
		at = at.Add(time.Millisecond)
		out := must(b)(m.Close(at, held[0]))
		held = held[1:]
		for _, o := range out {
			decisions++
			held = append(held, o.Conversation)
		}
		id := fmt.Sprintf("c%06d", seq)
		seq++
		out = must(b)(m.Arrive(at, id, fmt.Sprintf("N%d", rng.IntN(benchNumbers)), rng.IntN(3)))
		for _, o := range out {
			if o.Kind == Assigned {
				held = append(held, o.Conversation)
			}
		}
		ops++
	}
	b.ReportMetric(float64(decisions)/float64(ops), "decisions/op")
}

func must(b *testing.B) func([]Outcome, error) []Outcome {
	return func(out []Outcome, err error) []Outcome {
		if err != nil {
			b.Fatal(err)
		}
		return out
	}
}
