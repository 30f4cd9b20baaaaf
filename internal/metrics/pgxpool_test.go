package metrics

import (
	"testing"
	"time"
)

// fakeStat stands in for *pgxpool.Stat, which cannot be populated outside
// pgxpool. (That *pgxpool.Stat satisfies PoolStat is checked where the pool
// is wired up, by RegisterPgxPool(reg, pool.Stat) compiling.)
type fakeStat struct{}

func (f fakeStat) TotalConns() int32              { return 7 }
func (f fakeStat) IdleConns() int32               { return 3 }
func (f fakeStat) AcquiredConns() int32           { return 4 }
func (f fakeStat) ConstructingConns() int32       { return 1 }
func (f fakeStat) MaxConns() int32                { return 10 }
func (f fakeStat) AcquireCount() int64            { return 123 }
func (f fakeStat) AcquireDuration() time.Duration { return 1500 * time.Millisecond }
func (f fakeStat) EmptyAcquireCount() int64       { return 5 }
func (f fakeStat) CanceledAcquireCount() int64    { return 2 }

func TestRegisterPgxPool(t *testing.T) {
	reg := NewRegistry()
	calls := 0
	RegisterPgxPool(reg, func() fakeStat { calls++; return fakeStat{} })
	fams := parseExposition(t, scrape(t, reg))
	if calls != 1 {
		t.Errorf("stat called %d times per scrape, want 1 (one consistent snapshot)", calls)
	}
	want := []struct {
		name, typ string
		v         float64
	}{
		{"switchboard_db_pool_total_conns", "gauge", 7},
		{"switchboard_db_pool_idle_conns", "gauge", 3},
		{"switchboard_db_pool_acquired_conns", "gauge", 4},
		{"switchboard_db_pool_constructing_conns", "gauge", 1},
		{"switchboard_db_pool_max_conns", "gauge", 10},
		{"switchboard_db_pool_acquire_total", "counter", 123},
		{"switchboard_db_pool_acquire_wait_seconds_total", "counter", 1.5},
		{"switchboard_db_pool_empty_acquire_total", "counter", 5},
		{"switchboard_db_pool_canceled_acquire_total", "counter", 2},
	}
	for _, w := range want {
		if f := findFamily(t, fams, w.name); f.typ != w.typ || f.help == "" {
			t.Errorf("%s: type %q help %q", w.name, f.typ, f.help)
		}
		if got := value(t, fams, w.name); got != w.v {
			t.Errorf("%s = %v, want %v", w.name, got, w.v)
		}
	}
	if len(fams) != len(want) {
		t.Errorf("got %d families, want %d", len(fams), len(want))
	}
}
