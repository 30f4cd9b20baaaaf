#!/usr/bin/env bash
# presence.sh — benchmark plan B7, agents' presence in Redis (docs/benchmarks.md,
# "Presence"): the heartbeat (GET + EXPIRE in one round trip), a state change
# (SET … GET with a TTL) and the router's read of 50 agents (MGET), from the
# Go benchmarks in internal/routing (10,000 agents, 50 goroutines), beside
# two denominators measured in the same command on the same Redis:
# `redis-benchmark -t set,get -P 1 -c 50` (the plan's baseline) and bare
# SET/GET through the same go-redis client and parallelism.
#
# Usage: deploy/bench/presence.sh      (`make bench` runs it)
#
# Needs REDIS_URL (as `make bench` exports it), go and redis-benchmark
# (Debian: apt-get install redis-tools). Runs BENCH_PRESENCE_RUNS (3) rounds,
# each redis-benchmark then the Go benchmarks, and prints the medians and
# each figure's ratio to redis-benchmark's SET or GET.
set -euo pipefail

PROJECT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$PROJECT"
GO="${GO:-go}"
RUNS="${BENCH_PRESENCE_RUNS:-3}"

die() { printf 'bench: error: %s\n' "$*" >&2; exit 1; }
[[ -n ${REDIS_URL:-} ]] || die "REDIS_URL is not set: run this through 'make bench'"
command -v redis-benchmark >/dev/null || die "redis-benchmark not found: on Debian/Ubuntu 'apt-get install redis-tools'"

tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
for ((i = 1; i <= RUNS; i++)); do
	printf 'bench: round %d of %d (load average %s)\n' "$i" "$RUNS" "$(cut -d' ' -f1-3 /proc/loadavg)" >&2
	# -u takes REDIS_URL whole: user, password, database and all.
	redis-benchmark -u "$REDIS_URL" -t set,get -P 1 -c 50 -n 200000 -q --csv >>"$tmp/redis.csv"
	"$GO" test -run '^$' -bench 'Presence|BaselineRedis' -benchtime 3s -count 1 ./internal/routing/ >>"$tmp/go.txt"
done

median() { sort -n | awk '{v[NR] = $1} END {print v[int((NR + 1) / 2)]}'; }
ops() { # median ops/s of a Go benchmark
	grep -E "^Benchmark$1(-[0-9]+)?[[:space:]]" "$tmp/go.txt" | awk '{print 1e9 / $3}' | median
}
rb() { # median ops/s of a redis-benchmark test
	grep "^\"$1\"" "$tmp/redis.csv" | cut -d, -f2 | tr -d '"' | median
}
set_rb=$(rb SET)
get_rb=$(rb GET)
printf '\n%-40s %14s %22s\n' "what" "ops/s (median)" "ratio to redis-benchmark"
row() { printf '%-40s %14.0f %22.2f\n' "$1" "$2" "$(awk -v a="$2" -v b="$3" 'BEGIN {print a / b}')"; }
row "redis-benchmark SET -c 50" "$set_rb" "$set_rb"
row "redis-benchmark GET -c 50" "$get_rb" "$get_rb"
row "go-redis SET (same client, 50 goroutines)" "$(ops BaselineRedisSet)" "$set_rb"
row "go-redis GET (same client, 50 goroutines)" "$(ops BaselineRedisGet)" "$get_rb"
row "heartbeat (Refresh: GET+EXPIRE)" "$(ops PresenceHeartbeat)" "$set_rb"
row "state change (Set: SET … GET, TTL)" "$(ops PresenceSet)" "$set_rb"
row "50 agents' states (States: MGET), per agent" "$(awk -v o="$(ops PresenceStates50)" 'BEGIN {print o * 50}')" "$get_rb"
