package outbound

import "sync"

// uploadLocks lets one upload of a file through a number run at a time in
// this instance: a burst of answers carrying the same file (a keyword
// rule's picture, a campaign's header) waits for the first upload and
// reuses it, instead of sending the same megabytes to Meta once per
// worker. Instances do not share it; at worst each uploads once.
type uploadLocks struct {
	mu    sync.Mutex
	locks map[string]*uploadLock
}

type uploadLock struct {
	sync.Mutex
	users int // holders and waiters: the entry goes with the last
}

// lock takes key's lock and returns its release.
func (u *uploadLocks) lock(key string) (unlock func()) {
	u.mu.Lock()
	if u.locks == nil {
		u.locks = map[string]*uploadLock{}
	}
	l := u.locks[key]
	if l == nil {
		l = &uploadLock{}
		u.locks[key] = l
	}
	l.users++
	u.mu.Unlock()
	l.Lock()
	return func() {
		l.Unlock()
		u.mu.Lock()
		if l.users--; l.users == 0 {
			delete(u.locks, key)
		}
		u.mu.Unlock()
	}
}
