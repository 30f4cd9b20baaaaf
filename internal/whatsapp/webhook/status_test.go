package webhook

import "testing"

func TestStatusRank(t *testing.T) {
	for s, want := range map[string]int{
		StatusSent: 1, StatusDelivered: 2, StatusRead: 3, StatusPlayed: 4,
		StatusFailed: 0, "": 0, "bogus": 0, "READ": 0,
	} {
		if got := StatusRank(s); got != want {
			t.Errorf("StatusRank(%q) = %d, want %d", s, got, want)
		}
	}
}

func TestStatusAdvances(t *testing.T) {
	all := []string{"", StatusSent, StatusDelivered, StatusRead, StatusPlayed, StatusFailed, "bogus"}
	// want[current][next]; anything not listed is false.
	want := map[string]map[string]bool{
		"":              {StatusSent: true, StatusDelivered: true, StatusRead: true, StatusPlayed: true, StatusFailed: true},
		StatusSent:      {StatusDelivered: true, StatusRead: true, StatusPlayed: true, StatusFailed: true},
		StatusDelivered: {StatusRead: true, StatusPlayed: true},
		StatusRead:      {StatusPlayed: true},
		StatusPlayed:    {},
		StatusFailed:    {StatusDelivered: true, StatusRead: true, StatusPlayed: true},
		// An unknown stored value is replaced by any known one except a
		// failure, so a bad row can heal but a failure cannot overwrite it
		// blindly.
		"bogus": {StatusSent: true, StatusDelivered: true, StatusRead: true, StatusPlayed: true},
	}
	for _, cur := range all {
		for _, next := range all {
			if got := StatusAdvances(cur, next); got != want[cur][next] {
				t.Errorf("StatusAdvances(%q, %q) = %v, want %v", cur, next, got, want[cur][next])
			}
		}
	}
}

// Applying any permutation of the same statuses ends in the same state,
// which is what at-least-once, out-of-order delivery needs.
func TestStatusAdvancesIsOrderIndependent(t *testing.T) {
	seqs := [][]string{
		{StatusSent, StatusDelivered, StatusRead},
		{StatusSent, StatusRead},
		{StatusSent, StatusFailed},
		{StatusSent, StatusDelivered, StatusRead, StatusPlayed},
		{StatusFailed, StatusDelivered},
	}
	finals := []string{StatusRead, StatusRead, StatusFailed, StatusPlayed, StatusDelivered}
	for i, seq := range seqs {
		permute(seq, func(order []string) {
			cur := ""
			for _, s := range append(order, order...) { // duplicates too
				if StatusAdvances(cur, s) {
					cur = s
				}
			}
			if cur != finals[i] {
				t.Errorf("order %v ends in %q, want %q", order, cur, finals[i])
			}
		})
	}
}

func permute(s []string, fn func([]string)) {
	var rec func(int)
	rec = func(k int) {
		if k == len(s) {
			fn(append([]string(nil), s...))
			return
		}
		for i := k; i < len(s); i++ {
			s[k], s[i] = s[i], s[k]
			rec(k + 1)
			s[k], s[i] = s[i], s[k]
		}
	}
	rec(0)
}
