package router

import "hash/maphash"

// convIndex finds the open conversations by id: open addressing with linear
// probing over a power-of-two table of (hash, conversation) slots, at most
// three quarters full; a deletion moves back the entries after the hole, so
// that no probe sequence has a gap and no tombstone is left.
//
// Why not map[string]*conversation: at 10^6 open conversations,
// BenchmarkDecision spent a third of each decision in the two lookups by id
// (the conversation that closes, the one that arrives), waiting for memory.
// A Go map reaches an entry through its table, the group's control word and
// the slot, then compares the key it points to: three or four cache misses
// before the conversation itself. Here the slot holds the whole hash and the
// conversation, so a lookup reads one slot (four to a cache line) and the
// conversation it needed anyway, whose id it compares. The collector gains
// too: the slots point only into the conversations' blocks (newConversation).
type convIndex struct {
	seed  maphash.Seed
	slots []convSlot
	n     int
}

type convSlot struct {
	hash uint64
	c    *conversation // nil: empty
}

func newConvIndex() convIndex {
	return convIndex{seed: maphash.MakeSeed(), slots: make([]convSlot, 16)}
}

func (x *convIndex) len() int { return x.n }

// get returns the open conversation with this id, or nil.
func (x *convIndex) get(id string) *conversation {
	h := maphash.String(x.seed, id)
	mask := uint64(len(x.slots) - 1)
	for i := h & mask; ; i = (i + 1) & mask {
		s := &x.slots[i]
		if s.c == nil {
			return nil
		}
		if s.hash == h && s.c.id == id {
			return s.c
		}
	}
}

// put adds c, whose id must not be in x yet.
func (x *convIndex) put(c *conversation) {
	if 4*(x.n+1) > 3*len(x.slots) {
		x.grow()
	}
	x.insert(maphash.String(x.seed, c.id), c)
	x.n++
}

func (x *convIndex) insert(h uint64, c *conversation) {
	mask := uint64(len(x.slots) - 1)
	i := h & mask
	for x.slots[i].c != nil {
		i = (i + 1) & mask
	}
	x.slots[i] = convSlot{h, c}
}

func (x *convIndex) grow() {
	old := x.slots
	x.slots = make([]convSlot, 2*len(old))
	for _, s := range old {
		if s.c != nil {
			x.insert(s.hash, s.c)
		}
	}
}

// del removes c, which must be in x.
func (x *convIndex) del(c *conversation) {
	mask := uint64(len(x.slots) - 1)
	i := maphash.String(x.seed, c.id) & mask
	for x.slots[i].c != c {
		i = (i + 1) & mask
	}
	x.n--
	// Close the hole at i: move back the first later entry of the run that
	// may live there (its home is not cyclically within (i, j]), and repeat
	// with the hole it leaves, until the run ends.
	for j := i; ; {
		x.slots[i] = convSlot{}
		for {
			j = (j + 1) & mask
			if x.slots[j].c == nil {
				return
			}
			home := x.slots[j].hash & mask
			if (j-home)&mask >= (j-i)&mask {
				break
			}
		}
		x.slots[i] = x.slots[j]
		i = j
	}
}
