package router

import (
	"fmt"
	"math/rand/v2"
	"strconv"
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

func benchConfig(rng *rand.Rand) Config { return benchConfigN(rng, benchAgents) }

// benchConfigN is benchConfig with the given number of agents (the same 20
// skillsets and 10 numbers).
func benchConfigN(rng *rand.Rand, agents int) Config {
	var cfg Config
	members := make([][]Member, benchSkillsets)
	for i := range agents {
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

// BenchmarkDecision measures the Router alone, one decision per op, with
// 10^3 to 10^6 conversations waiting and 10^2 or 10^4 agents (the
// configuration of BenchmarkDecide with that many agents). One op is as in
// BenchmarkDecide: the agent that has held its conversation longest closes it,
// which frees one slot; the router gives that agent the first conversation in
// queue order it can take (the decision); a new conversation arrives and
// waits, so that n stays constant. The state is built once per sub-benchmark,
// before b.Loop, so only the ops are timed (10^6 waiting and 10^4 agents build
// in a few seconds). The naive rule is left out: at these sizes each of its
// decisions scans every waiting conversation against every agent, and
// BenchmarkDecide already compares the two.
func BenchmarkDecision(b *testing.B) {
	for _, waiting := range []int{1_000, 10_000, 100_000, 1_000_000} {
		for _, agents := range []int{100, 10_000} {
			b.Run(fmt.Sprintf("waiting=%d/agents=%d", waiting, agents), func(b *testing.B) {
				benchDecision(b, waiting, agents)
			})
		}
	}
}

func benchDecision(b *testing.B, waiting, agents int) {
	s := newDecisionBench(b, waiting, agents)
	decisions, ops := 0, 0
	for b.Loop() {
		decisions += s.op(b)
		ops++
	}
	b.ReportMetric(float64(decisions)/float64(ops), "decisions/op")
}

// decisionBench is a Router at saturation: every agent full, waiting
// conversations queued, and what it takes to run one op on it.
type decisionBench struct {
	r       *Router
	rng     *rand.Rand
	numbers []string
	at      time.Time
	held    []string // assigned conversations, oldest first; held[next] closes next
	next    int
	seq     int
	buf     []byte
}

func newDecisionBench(b *testing.B, waiting, agents int) *decisionBench {
	rng := rand.New(rand.NewPCG(1, 2))
	cfg := benchConfigN(rng, agents)
	r, err := New(cfg)
	if err != nil {
		b.Fatal(err)
	}
	s := &decisionBench{r: r, rng: rng, at: time.Date(2026, 1, 1, 9, 0, 0, 0, time.UTC), buf: make([]byte, 0, 16)}
	for _, n := range cfg.Numbers {
		s.numbers = append(s.numbers, n.ID)
	}
	for _, a := range cfg.Agents {
		must(b)(r.AgentAvailable(s.at, a.ID))
	}
	// The agents fill up first, then the queue.
	for w := 0; w < waiting; {
		s.at = s.at.Add(time.Microsecond)
		id := s.newID()
		out := must(b)(r.Arrive(s.at, id, s.numbers[rng.IntN(len(s.numbers))], rng.IntN(3)))
		if out[0].Kind == Assigned {
			s.held = append(s.held, id)
		} else {
			w++
		}
	}
	return s
}

func (s *decisionBench) newID() string {
	s.buf = strconv.AppendInt(append(s.buf[:0], 'c'), int64(s.seq), 10)
	s.seq++
	return string(s.buf)
}

// op closes the oldest held conversation and lets a new one arrive; it
// returns the number of assignments made (1 at saturation).
func (s *decisionBench) op(b *testing.B) int {
	decisions := 0
	s.at = s.at.Add(time.Microsecond)
	out := must(b)(s.r.Close(s.at, s.held[s.next]))
	s.next++
	for _, o := range out {
		decisions++
		s.held = append(s.held, o.Conversation)
	}
	// Where agents outnumber what arrives on their numbers, those queues run
	// dry and the freed agent takes the next arrival at once: that is the
	// op's decision then.
	out = must(b)(s.r.Arrive(s.at, s.newID(), s.numbers[s.rng.IntN(len(s.numbers))], s.rng.IntN(3)))
	for _, o := range out {
		if o.Kind == Assigned {
			decisions++
			s.held = append(s.held, o.Conversation)
		}
	}
	if s.next > len(s.held)/2 { // drop the closed ones now and then, not on every op
		s.held = append(s.held[:0], s.held[s.next:]...)
		s.next = 0
	}
	return decisions
}
