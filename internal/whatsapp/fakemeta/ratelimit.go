package fakemeta

import "time"

// rateWindow enforces "at most limit messages in any one-second window"
// exactly, with a ring of the last limit timestamps: a message is allowed
// when the oldest of them is at least a second old. A fixed per-second
// counter would let twice the limit through across a second boundary, which
// a pacing benchmark (B8) would mistake for headroom.
type rateWindow struct {
	times []time.Time
	next  int // index of the oldest entry once the ring is full
}

func (w *rateWindow) allow(now time.Time, limit int) bool {
	if limit < 0 || len(w.times) < limit {
		return true
	}
	return now.Sub(w.times[w.next]) >= time.Second
}

func (w *rateWindow) record(now time.Time, limit int) {
	if limit < 0 {
		return
	}
	if len(w.times) < limit {
		w.times = append(w.times, now)
		return
	}
	w.times[w.next] = now
	w.next = (w.next + 1) % limit
}

// pairAllow is a GCRA check for one (number, recipient) pair: tat is the
// theoretical arrival time of the next message. With burst 1 this is a plain
// minimum gap of interval; a larger burst lets messages borrow from future
// quota as Meta describes (§8.4).
func pairAllow(tat, now time.Time, interval time.Duration, burst int) bool {
	if interval <= 0 || !tat.After(now) {
		return true
	}
	return tat.Sub(now) <= time.Duration(burst-1)*interval
}

func pairNext(tat, now time.Time, interval time.Duration) time.Time {
	if tat.Before(now) {
		tat = now
	}
	return tat.Add(interval)
}
