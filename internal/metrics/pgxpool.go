package metrics

import "time"

// PoolStat is the subset of *pgxpool.Stat that RegisterPgxPool reads.
//
// It is an interface rather than *pgxpool.Stat so that this package does not
// import pgxpool (and through it puddle): metrics stays dependency-light and
// its tests can use a fake, since a populated pgxpool.Stat cannot be built
// outside pgxpool.
type PoolStat interface {
	TotalConns() int32
	IdleConns() int32
	AcquiredConns() int32
	ConstructingConns() int32
	MaxConns() int32
	AcquireCount() int64
	AcquireDuration() time.Duration
	EmptyAcquireCount() int64
	CanceledAcquireCount() int64
}

// RegisterPgxPool exports a connection pool's statistics, read at scrape
// time. Pass the pool's method value directly:
//
//	metrics.RegisterPgxPool(reg, pool.Stat)
//
// (S is inferred as *pgxpool.Stat.) stat is called once per scrape so all
// values come from one consistent snapshot.
func RegisterPgxPool[S PoolStat](reg *Registry, stat func() S) {
	reg.NewCollectorFunc(func(w *Writer) {
		s := stat()
		w.Gauge("switchboard_db_pool_total_conns",
			"Connections currently open in the pool, including ones being established.",
			float64(s.TotalConns()))
		w.Gauge("switchboard_db_pool_idle_conns",
			"Open connections not in use.",
			float64(s.IdleConns()))
		w.Gauge("switchboard_db_pool_acquired_conns",
			"Connections currently checked out by the application.",
			float64(s.AcquiredConns()))
		w.Gauge("switchboard_db_pool_constructing_conns",
			"Connections currently being established.",
			float64(s.ConstructingConns()))
		w.Gauge("switchboard_db_pool_max_conns",
			"Configured maximum pool size.",
			float64(s.MaxConns()))
		w.Counter("switchboard_db_pool_acquire_total",
			"Successful connection acquires from the pool.",
			float64(s.AcquireCount()))
		w.Counter("switchboard_db_pool_acquire_wait_seconds_total",
			"Total time spent in successful acquires; divide by acquire_total for the mean.",
			s.AcquireDuration().Seconds())
		w.Counter("switchboard_db_pool_empty_acquire_total",
			"Successful acquires that had to wait because no idle connection was available; a rising rate means the pool is saturated.",
			float64(s.EmptyAcquireCount()))
		w.Counter("switchboard_db_pool_canceled_acquire_total",
			"Acquires abandoned because their context was canceled.",
			float64(s.CanceledAcquireCount()))
	})
}
