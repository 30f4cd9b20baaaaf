package router

import (
	"cmp"
	"strings"
)

// heap is a binary heap whose items keep their own position, so that an item
// whose key changed is fixed, and any item removed, in O(log n) — which
// container/heap allows too, but only through interface boxing on every push.
// The top is the item for which less holds against all others.
type heap[T any] struct {
	items []T
	less  func(a, b T) bool
	index func(T) *int // where an item keeps its position; -1 when outside
}

func (h *heap[T]) len() int { return len(h.items) }

func (h *heap[T]) top() T { return h.items[0] }

// second is the best item after the top: one of the top's two children.
func (h *heap[T]) second() (T, bool) {
	switch len(h.items) {
	case 0, 1:
		var zero T
		return zero, false
	case 2:
		return h.items[1], true
	}
	if h.less(h.items[2], h.items[1]) {
		return h.items[2], true
	}
	return h.items[1], true
}

func (h *heap[T]) contains(x T) bool { return *h.index(x) >= 0 }

func (h *heap[T]) push(x T) {
	*h.index(x) = len(h.items)
	h.items = append(h.items, x)
	h.up(len(h.items) - 1)
}

func (h *heap[T]) remove(x T) {
	i, last := *h.index(x), len(h.items)-1
	if i != last {
		h.swap(i, last)
	}
	var zero T
	h.items[last] = zero // let the collector have it
	h.items = h.items[:last]
	*h.index(x) = -1
	if i != last {
		h.fix(h.items[i])
	}
}

// fix restores the order after x's key changed.
func (h *heap[T]) fix(x T) {
	i := *h.index(x)
	if !h.down(i) {
		h.up(i)
	}
}

func (h *heap[T]) swap(i, j int) {
	h.items[i], h.items[j] = h.items[j], h.items[i]
	*h.index(h.items[i]) = i
	*h.index(h.items[j]) = j
}

func (h *heap[T]) up(i int) {
	for i > 0 {
		p := (i - 1) / 2
		if !h.less(h.items[i], h.items[p]) {
			return
		}
		h.swap(i, p)
		i = p
	}
}

// down reports whether the item moved.
func (h *heap[T]) down(i int) bool {
	start, n := i, len(h.items)
	for {
		c := 2*i + 1
		if c >= n {
			break
		}
		if r := c + 1; r < n && h.less(h.items[r], h.items[c]) {
			c = r
		}
		if !h.less(h.items[c], h.items[i]) {
			break
		}
		h.swap(i, c)
		i = c
	}
	return i > start
}

// compareQueue is the queue order: contact priority, larger first (step 1);
// arrival, older first (step 2); conversation id, so that the order is total.
// Arrivals are compared by the wall clock (Unix seconds, then nanoseconds),
// as queueHeap's keys are: time.Time.Compare would read the monotonic clocks
// when both times carry one, which stored times never do, and mixing the two
// ways is not a total order.
func compareQueue(a, b *conversation) int {
	if a.priority != b.priority {
		return cmp.Compare(b.priority, a.priority)
	}
	if c := cmp.Compare(a.arrival.Unix(), b.arrival.Unix()); c != 0 {
		return c
	}
	if c := cmp.Compare(a.arrival.Nanosecond(), b.arrival.Nanosecond()); c != 0 {
		return c
	}
	return strings.Compare(a.id, b.id)
}

func queueBefore(a, b *conversation) bool { return compareQueue(a, b) < 0 }

// queueStep is the queue-order criterion at which a and b differ: 1 contact
// priority, 2 arrival, 3 id.
func queueStep(a, b Waiting) int {
	switch {
	case a.ContactPriority != b.ContactPriority:
		return 1
	case !a.ArrivedAt.Equal(b.ArrivedAt):
		return 2
	}
	return 3
}

// group is one queue of waiting conversations that share their candidates:
// those of a number (every skillset linked to it), or those transferred to a
// skillset (its members only). Grouping so means the first conversation of a
// group is the only one of it that can be served next, and "has a candidate"
// is a property of the group, kept up to date by counts, not searched for.
type group struct {
	number   *number   // set for a number's queue
	skillset *skillset // set for a skillset's queue (transfers)
	queue    queueHeap
	idx      int // position in Router.ready, -1 when outside
}

func newGroup(n *number, s *skillset) *group {
	return &group{number: n, skillset: s, idx: -1}
}

// live reports whether some agent is a candidate for the group's conversations.
func (g *group) live() bool {
	if g.number != nil {
		return g.number.live > 0
	}
	return g.skillset.cands.len() > 0
}

// groupBefore orders the servable queues by their first conversations.
func groupBefore(a, b *group) bool { return a.queue.items[0].before(&b.queue.items[0]) }

// refresh puts g in, out of, or back in place in the ready heap after its
// first conversation or its candidates changed.
func (r *Router) refresh(g *group) {
	want := g.queue.len() > 0 && g.live()
	switch in := r.ready.contains(g); {
	case want && in:
		r.ready.fix(g)
	case want:
		r.ready.push(g)
	case in:
		r.ready.remove(g)
	}
}

// enqueue puts a conversation in its target queue, keeping its arrival time.
func (r *Router) enqueue(c *conversation) {
	c.target.queue.push(c)
	r.refresh(c.target)
}

// dequeue takes a waiting conversation out of its queue.
func (r *Router) dequeue(c *conversation) {
	c.target.queue.remove(c)
	r.refresh(c.target)
}

// next is the conversation that would be served after the top one if agents
// allowed: the better of the top group's second conversation and the next
// group's first. O(1), for the explanation only.
func (r *Router) next() *conversation {
	var best *conversation
	if c, ok := r.ready.top().queue.second(); ok {
		best = c
	}
	if g, ok := r.ready.second(); ok {
		if c := g.queue.top(); best == nil || queueBefore(c, best) {
			best = c
		}
	}
	return best
}

func (c *conversation) waiting() Waiting {
	return Waiting{ID: c.id, ContactPriority: c.priority, ArrivedAt: c.arrival}
}

// queueHeap is one group's waiting conversations in queue order: an
// arity-ary heap whose entries carry a copy of their conversation's
// queue-order keys.
//
// Why not heap[*conversation] like the others: BenchmarkDecision, at 10^6
// waiting conversations (10^5 in each number's queue), spent nearly a third
// of each decision taking the first conversation out of its queue, almost
// all of it waiting for memory: each of the ~17 levels of that sift compared
// two children by reading their conversations, scattered over the process's
// heap, two cache misses per level. With the keys (contact priority,
// arrival) in the heap's own array, a comparison reads the array only, where
// siblings sit side by side; a conversation is read only to break a tie on
// its id, and written to record its new position. Eight children per node
// cut the levels to log8 n (~6), each reading four cache lines in a row. The
// cost is the same O(log n), with a smaller constant (see docs/benchmarks.md,
// "Router: cost per decision").
type queueHeap struct {
	items []queued
}

// arity is the number of children of a queueHeap node.
const arity = 8

// queued is a waiting conversation with its queue-order keys, the arrival
// as compareQueue reads it (Unix seconds, then nanoseconds: any time, the
// zero one included).
type queued struct {
	priority int
	sec      int64
	nsec     int32
	c        *conversation
}

// before is compareQueue(a.c, b.c) < 0 without reading a.c or b.c unless
// priority and arrival tie.
func (a *queued) before(b *queued) bool {
	switch {
	case a.priority != b.priority:
		return a.priority > b.priority
	case a.sec != b.sec:
		return a.sec < b.sec
	case a.nsec != b.nsec:
		return a.nsec < b.nsec
	}
	return a.c.id < b.c.id
}

func (h *queueHeap) len() int { return len(h.items) }

func (h *queueHeap) top() *conversation { return h.items[0].c }

// second is the best conversation after the top: one of the top's children.
func (h *queueHeap) second() (*conversation, bool) {
	n := len(h.items)
	if n < 2 {
		return nil, false
	}
	best := 1
	for j := 2; j <= arity && j < n; j++ {
		if h.items[j].before(&h.items[best]) {
			best = j
		}
	}
	return h.items[best].c, true
}

func (h *queueHeap) push(c *conversation) {
	h.items = append(h.items, queued{priority: c.priority, sec: c.arrival.Unix(), nsec: int32(c.arrival.Nanosecond()), c: c})
	h.up(len(h.items) - 1)
}

// remove takes out c, which must be in h: the last entry fills its place
// and moves up or down from there.
func (h *queueHeap) remove(c *conversation) {
	i, last := c.idx, len(h.items)-1
	c.idx = -1
	h.items[i] = h.items[last]
	h.items[last] = queued{} // let the collector have it
	h.items = h.items[:last]
	if i == last {
		return
	}
	if i > 0 && h.items[i].before(&h.items[(i-1)/arity]) {
		h.up(i)
	} else {
		h.down(i)
	}
}

// up moves the entry at i towards the root while it goes before its
// parent. Entries move into the hole instead of swapping, so each level
// writes one position.
func (h *queueHeap) up(i int) {
	x := h.items[i]
	for i > 0 {
		p := (i - 1) / arity
		if !x.before(&h.items[p]) {
			break
		}
		h.items[i] = h.items[p]
		h.items[i].c.idx = i
		i = p
	}
	h.items[i] = x
	x.c.idx = i
}

// down moves the entry at i towards the leaves while a child goes before it.
func (h *queueHeap) down(i int) {
	n := len(h.items)
	x := h.items[i]
	for {
		first := arity*i + 1
		if first >= n {
			break
		}
		best := first
		for j := first + 1; j < first+arity && j < n; j++ {
			if h.items[j].before(&h.items[best]) {
				best = j
			}
		}
		if !h.items[best].before(&x) {
			break
		}
		h.items[i] = h.items[best]
		h.items[i].c.idx = i
		i = best
	}
	h.items[i] = x
	x.c.idx = i
}
