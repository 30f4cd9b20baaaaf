package router

import (
	"cmp"
	"strings"
)

// Each skillset keeps its candidates (available members below capacity) in a
// heap ordered by steps 4 to 7. Step 3 is the same for every member of one
// skillset on one number, so the best candidate for a number is the best of
// the heap tops of its linked skillsets, weighed by the links' priorities:
// O(links) peeks, and O(memberships · log agents) to re-file an agent whose
// load changed. An agent in several linked skillsets shows up once per
// skillset; the entry through its best skillset is the one that wins, which is
// exactly the rule's "the best one counts".

// compareMembers orders two members of one skillset: agent priority there,
// larger first (step 4); load, fewer first (5); last assigned, longest ago
// first, never before any time (6); agent id (7).
func compareMembers(a, b *membership) int {
	if a.priority != b.priority {
		return cmp.Compare(b.priority, a.priority)
	}
	x, y := a.agent, b.agent
	if x.load != y.load {
		return cmp.Compare(x.load, y.load)
	}
	if c := x.last.Compare(y.last); c != 0 {
		return c
	}
	return strings.Compare(x.id, y.id)
}

func memberBefore(a, b *membership) bool { return compareMembers(a, b) < 0 }

// entry is a candidate seen through one skillset, with that skillset's
// priority on the conversation's number (0 for a transfer to a skillset).
type entry struct {
	m            *membership
	linkPriority int
}

// compareEntries orders candidates by steps 3 to 7. Two entries tie only when
// they are one agent through two skillsets with equal link and agent
// priorities; the skillset id then picks the one to name, so that the
// explanation is deterministic.
func compareEntries(a, b entry) int {
	if a.linkPriority != b.linkPriority {
		return cmp.Compare(b.linkPriority, a.linkPriority)
	}
	if c := compareMembers(a.m, b.m); c != 0 {
		return c
	}
	return strings.Compare(a.m.skillset.id, b.m.skillset.id)
}

// agentStep is the first criterion at which w beats r (3 to 7).
func agentStep(w, r entry) int {
	switch {
	case w.linkPriority != r.linkPriority:
		return 3
	case w.m.priority != r.m.priority:
		return 4
	case w.m.agent.load != r.m.agent.load:
		return 5
	case !w.m.agent.last.Equal(r.m.agent.last):
		return 6
	}
	return 7
}

func (e entry) candidate() Candidate {
	a := e.m.agent
	return Candidate{Agent: a.id, Skillset: e.m.skillset.id, SkillsetPriority: e.linkPriority,
		AgentPriority: e.m.priority, Load: a.load, LastAssignedAt: a.last}
}

// choose returns the best candidate for g's conversations and the best other
// agent (runner.m nil when there is none). g must be live.
func (g *group) choose() (best, runner entry) {
	if s := g.skillset; s != nil {
		// Transferred to s: only its members qualify, all through s.
		best = entry{m: s.cands.top()}
		if m, ok := s.cands.second(); ok {
			runner = entry{m: m}
		}
		return best, runner
	}
	consider := func(e entry, into *entry) {
		if into.m == nil || compareEntries(e, *into) < 0 {
			*into = e
		}
	}
	links := g.number.links
	for _, l := range links {
		if l.skillset.cands.len() > 0 {
			consider(entry{l.skillset.cands.top(), l.priority}, &best)
		}
	}
	// The runner-up is another agent: per skillset, the top unless that is
	// the winner, then the one after it. The best of those is the runner-up's
	// entry through its own best skillset.
	for _, l := range links {
		if l.skillset.cands.len() == 0 {
			continue
		}
		m := l.skillset.cands.top()
		if m.agent == best.m.agent {
			var ok bool
			if m, ok = l.skillset.cands.second(); !ok {
				continue
			}
		}
		consider(entry{m, l.priority}, &runner)
	}
	return best, runner
}

// update re-files an agent after its status, capacity, load or last
// assigned time changed: in or out of its skillsets' candidate heaps, or to
// its new place in them.
func (r *Router) update(a *agent) {
	want := a.status == available && a.load < a.capacity
	switch {
	case want && a.candidate:
		for i := range a.memberships {
			m := &a.memberships[i]
			m.skillset.cands.fix(m)
		}
	case want:
		for i := range a.memberships {
			m := &a.memberships[i]
			m.skillset.cands.push(m)
			if m.skillset.cands.len() == 1 {
				r.liveChanged(m.skillset, +1)
			}
		}
	case a.candidate:
		for i := range a.memberships {
			m := &a.memberships[i]
			m.skillset.cands.remove(m)
			if m.skillset.cands.len() == 0 {
				r.liveChanged(m.skillset, -1)
			}
		}
	}
	a.candidate = want
}

// liveChanged tells the queues served by s that s gained its first candidate
// (d = +1) or lost its last one (d = -1).
func (r *Router) liveChanged(s *skillset, d int) {
	for _, l := range s.links {
		l.number.live += d
		r.refresh(l.number.group)
	}
	r.refresh(s.group)
}
