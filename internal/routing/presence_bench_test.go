package routing_test

import (
	"context"
	"fmt"
	"runtime"
	"sync/atomic"
	"testing"
	"time"

	"switchboard/internal/routing"
	"switchboard/internal/storage/storagetest"
)

// Presence against Redis (benchmark plan B7): an agent's heartbeat
// (Refresh: GET and EXPIRE in one round trip), a state change (Set: SET …
// GET with a TTL) and the router's read of 50 agents' states (States: one
// MGET), each beside bare SET and GET on the same client, pool and
// parallelism in the same run, the denominators (docs/benchmarks.md,
// "Presence"). 10,000 agents, 50 goroutines as redis-benchmark's -c 50.

const benchAgents = 10000

func benchPresence(b *testing.B) (*routing.Presence, []string) {
	rdb, prefix := storagetest.NewRedis(b)
	p := routing.NewPresence(rdb, prefix, time.Minute)
	agents := make([]string, benchAgents)
	ctx := context.Background()
	for i := range agents {
		agents[i] = fmt.Sprintf("00000000-0000-4000-8000-%012d", i)
		if _, err := p.Set(ctx, "bench-tenant", agents[i], routing.Available); err != nil {
			b.Fatal(err)
		}
	}
	b.SetParallelism(fiftyGoroutines())
	b.ResetTimer()
	return p, agents
}

// fiftyGoroutines is the parallelism that makes RunParallel run 50
// goroutines (redis-benchmark's -c 50) at this GOMAXPROCS.
func fiftyGoroutines() int { return max(1, 50/runtime.GOMAXPROCS(0)) }

func BenchmarkPresenceHeartbeat(b *testing.B) {
	p, agents := benchPresence(b)
	var next atomic.Int64
	b.RunParallel(func(pb *testing.PB) {
		ctx := context.Background()
		for pb.Next() {
			a := agents[next.Add(1)%benchAgents]
			if _, err := p.Refresh(ctx, "bench-tenant", a); err != nil {
				b.Error(err)
				return
			}
		}
	})
}

func BenchmarkPresenceSet(b *testing.B) {
	p, agents := benchPresence(b)
	var next atomic.Int64
	b.RunParallel(func(pb *testing.PB) {
		ctx := context.Background()
		states := []string{routing.Available, routing.Away}
		for pb.Next() {
			n := next.Add(1)
			if _, err := p.Set(ctx, "bench-tenant", agents[n%benchAgents], states[n%2]); err != nil {
				b.Error(err)
				return
			}
		}
	})
}

func BenchmarkPresenceStates50(b *testing.B) {
	p, agents := benchPresence(b)
	var next atomic.Int64
	b.RunParallel(func(pb *testing.PB) {
		ctx := context.Background()
		for pb.Next() {
			i := int(next.Add(50) % (benchAgents - 50))
			if _, err := p.States(ctx, "bench-tenant", agents[i:i+50]); err != nil {
				b.Error(err)
				return
			}
		}
	})
}

// The denominators: one SET, one GET, on the same kind of client.
func BenchmarkBaselineRedisSet(b *testing.B) {
	rdb, prefix := storagetest.NewRedis(b)
	b.SetParallelism(fiftyGoroutines())
	var next atomic.Int64
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		ctx := context.Background()
		for pb.Next() {
			if err := rdb.Set(ctx, fmt.Sprintf("%sk%d", prefix, next.Add(1)%benchAgents), "available", time.Minute).Err(); err != nil {
				b.Error(err)
				return
			}
		}
	})
}

func BenchmarkBaselineRedisGet(b *testing.B) {
	rdb, prefix := storagetest.NewRedis(b)
	ctx := context.Background()
	for i := range benchAgents {
		if err := rdb.Set(ctx, fmt.Sprintf("%sk%d", prefix, i), "available", time.Minute).Err(); err != nil {
			b.Fatal(err)
		}
	}
	b.SetParallelism(fiftyGoroutines())
	var next atomic.Int64
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		ctx := context.Background()
		for pb.Next() {
			if err := rdb.Get(ctx, fmt.Sprintf("%sk%d", prefix, next.Add(1)%benchAgents)).Err(); err != nil {
				b.Error(err)
				return
			}
		}
	})
}
