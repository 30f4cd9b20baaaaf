package router

import (
	"math/rand/v2"
	"strconv"
	"testing"
)

// TestConvIndexMatchesMap puts and deletes random ids, many of them while
// the table is small and crowded (so that runs wrap around its end and
// deletions move entries back), and checks every id against a Go map.
func TestConvIndexMatchesMap(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 11))
	x := newConvIndex()
	want := map[string]*conversation{}
	var open []string
	for step := range 20000 {
		if len(open) > 0 && rng.IntN(100) < 45+len(open)/40 {
			k := rng.IntN(len(open))
			id := open[k]
			open[k] = open[len(open)-1]
			open = open[:len(open)-1]
			x.del(want[id])
			delete(want, id)
		} else {
			id := "c" + strconv.Itoa(step)
			c := &conversation{id: id}
			x.put(c)
			want[id] = c
			open = append(open, id)
		}
		if x.len() != len(want) {
			t.Fatalf("step %d: len %d, want %d", step, x.len(), len(want))
		}
		if step%97 == 0 || len(want) < 40 {
			for id, c := range want {
				if got := x.get(id); got != c {
					t.Fatalf("step %d: get(%q) = %p, want %p", step, id, got, c)
				}
			}
			if x.get("c"+strconv.Itoa(step+1)) != nil {
				t.Fatalf("step %d: found an id never put", step)
			}
		}
	}
	for id := range want {
		x.del(want[id])
		if x.get(id) != nil {
			t.Fatalf("%q still there after del", id)
		}
	}
	if x.len() != 0 {
		t.Fatalf("len %d after deleting everything", x.len())
	}
	for _, s := range x.slots {
		if s.c != nil {
			t.Fatal("a slot still holds a conversation")
		}
	}
}
