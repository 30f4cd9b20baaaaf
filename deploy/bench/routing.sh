#!/usr/bin/env bash
# routing.sh — issue 5 / benchmark plan B3, the router live (docs/benchmarks.md,
# "Router live"): persisted assignments per second against a pgbench
# `FOR UPDATE SKIP LOCKED` dequeue of the same number of rows on the same
# database, and arrival-to-assignment latency at a fixed rate.
#
# Usage: deploy/bench/routing.sh      (`make bench` runs it)
#
# Needs DATABASE_URL (a role that may create databases) and REDIS_URL, as
# `make bench` exports them, plus go, psql and pgbench. One scratch database
# is created and migrated afresh for each run and dropped afterwards. Each
# run (BENCH_ROUTING_RUNS, default 3) does, on that database:
#   1. the baseline: a table in a scratch schema pre-filled with N rows;
#      pgbench dequeues them one per transaction (SELECT … FOR UPDATE SKIP
#      LOCKED, then mark the row taken), first with 1 client (the dispatcher
#      is one writer on one connection per tenant), then with 8 (the
#      machine's best dequeue rate on 2 cores, the spec's B3 denominator);
#   2. `switchboard loadgen routing`: the dispatcher in process; drain (N
#      conversations queued with no agent, then every agent available, timed
#      to the last persisted assignment), stream (N arrivals from 4 writers
#      as fast as they go) and latency (RATE arrivals/s for SECS, commit to
#      the 'assigned' event received on Redis).
# Prints a table with the medians and writes docs/benchmarks/routing.json.
#
# Knobs (environment): BENCH_ROUTING_N (20000), BENCH_ROUTING_AGENTS (100),
# BENCH_ROUTING_RATE (500), BENCH_ROUTING_SECONDS (20), BENCH_ROUTING_RUNS (3),
# BENCH_OUT (docs/benchmarks) for the JSON.
set -euo pipefail

PROJECT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$PROJECT"
GO="${GO:-go}"
N="${BENCH_ROUTING_N:-20000}"
AGENTS="${BENCH_ROUTING_AGENTS:-100}"
RATE="${BENCH_ROUTING_RATE:-500}"
SECS="${BENCH_ROUTING_SECONDS:-20}"
RUNS="${BENCH_ROUTING_RUNS:-3}"
OUT_DIR="${BENCH_OUT:-docs/benchmarks}"
RATIO_GOAL=0.7
P99_GOAL_MS=50

log() { printf 'bench: %s\n' "$*" >&2; }
die() { printf 'bench: error: %s\n' "$*" >&2; exit 1; }
have() { command -v "$1" >/dev/null 2>&1; }

[[ -n ${DATABASE_URL:-} ]] || die "DATABASE_URL is not set: run this through 'make bench' (or export it and REDIS_URL)"
[[ -n ${REDIS_URL:-} ]] || die "REDIS_URL is not set: run this through 'make bench'"
have psql || die "psql not found: on Debian/Ubuntu 'apt-get install postgresql-client'"
PGBENCH=""
if have pgbench; then
  PGBENCH=$(command -v pgbench)
else
  PGBENCH=$(find /usr/lib/postgresql -mindepth 3 -maxdepth 3 -path '*/bin/pgbench' 2>/dev/null | sort -V | tail -n1)
fi
[[ -n $PGBENCH && -x $PGBENCH ]] ||
  die "pgbench not found: on Debian/Ubuntu it comes with the server package ('apt-get install postgresql', or postgresql-contrib on older releases)"
((N >= 8)) || die "BENCH_ROUTING_N must be at least 8"

# DATABASE_URL with its database replaced (query string kept), and with extra
# query parameters appended.
with_db() {
  local url=$1 db=$2
  [[ $url =~ ^(postgres(ql)?://[^/?]*)(/[^?]*)?(\?.*)?$ ]] || die "DATABASE_URL is not a postgres:// URL"
  printf '%s/%s%s' "${BASH_REMATCH[1]}" "$db" "${BASH_REMATCH[4]}"
}
with_param() {
  local url=$1 kv=$2
  if [[ $url == *\?* ]]; then printf '%s&%s' "$url" "$kv"; else printf '%s?%s' "$url" "$kv"; fi
}
# Busy and total jiffies of the whole machine, from /proc/stat.
machine_ticks() { awk '/^cpu / { idle = $5 + $6; total = 0; for (i = 2; i <= NF; i++) total += $i; print total - idle, total }' /proc/stat; }
# A top-level number of the loadgen's JSON (2-space indent, one field a line).
json_field() { sed -n "s/^  \"$2\": \\([^,]*\\),\\{0,1\\}\$/\\1/p" "$1" | head -n1; }
# The median of the arguments (numbers).
median() { printf '%s\n' "$@" | sort -g | awk '{ v[NR] = $1 } END { if (NR % 2) print v[(NR + 1) / 2]; else print (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
# "lo–hi" of the arguments, with $1 the printf format of each (e.g. %.0f).
minmax() { local f=$1; shift; printf '%s\n' "$@" | sort -g | awk -v f="$f" 'NR == 1 { lo = $1 } { hi = $1 } END { printf f "–" f, lo, hi }'; }
div() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", (b > 0 ? a / b : 0) }'; }

RUN_ID="$(od -An -N4 -tx1 /dev/urandom | tr -d ' \n')"
DB="sbbench_rt_$RUN_ID"
TMP="$(mktemp -d)"
LG_PID=""
cleanup() {
  local rc=$?
  # Only the process this script started, by its pid.
  [[ -z $LG_PID ]] || kill "$LG_PID" 2>/dev/null || true
  psql -q -X "$DATABASE_URL" -c "DROP DATABASE IF EXISTS $DB WITH (FORCE)" >/dev/null 2>&1 || true
  if have redis-cli; then
    redis-cli -u "$REDIS_URL" --scan --pattern "sbbench:$RUN_ID:*" 2>/dev/null | xargs -r redis-cli -u "$REDIS_URL" DEL >/dev/null 2>&1 || true
  fi
  ((rc == 0)) || log "failed; outputs kept in $TMP"
  ((rc != 0)) || rm -rf "$TMP"
}
trap cleanup EXIT

NPROC=$(nproc)
PG_VERSION=$(psql -X -At "$DATABASE_URL" -c "SHOW server_version" | awk '{ print $1 }')
FSYNC=$(psql -X -At "$DATABASE_URL" -c "SHOW fsync")
AUTOVACUUM=$(psql -X -At "$DATABASE_URL" -c "SHOW autovacuum")
[[ $FSYNC == on ]] || log "WARNING: this Postgres runs with fsync=$FSYNC: the figures do not compare with other runs"

log "building switchboard"
# The tree as built (others may commit while the runs go on).
SHA=$(git rev-parse --short HEAD 2>/dev/null || echo nogit)
git diff --quiet HEAD 2>/dev/null || SHA="$SHA-dirty"
CGO_ENABLED=0 "$GO" build -o "$TMP/switchboard" ./cmd/switchboard
# synchronous_commit=on on both sides, as a run-time parameter (pgx passes
# unknown URL parameters to the server; pgbench gets it through PGOPTIONS).
URL=$(with_param "$(with_db "$DATABASE_URL" "$DB")" "synchronous_commit=on")
PG_URL=$(with_db "$DATABASE_URL" "$DB")
SB_ENV=(APP_ENV=development SECRET_KEY="bench-secret-key-$RUN_ID-0123456789abcdef" LOG_LEVEL=warn
  DATABASE_URL="$URL" REDIS_URL="$REDIS_URL" REDIS_PREFIX="sbbench:$RUN_ID:")

# A fresh, migrated database for each run (this server may run without
# autovacuum, and every run leaves tens of thousands of updated rows), with
# the baseline's queue in a scratch schema of it: one row per transaction,
# the oldest waiting row, skipping rows another client holds, marked taken.
fresh_db() {
  psql -q -X "$DATABASE_URL" -c "SET client_min_messages = warning" -c "DROP DATABASE IF EXISTS $DB WITH (FORCE)" \
    -c "CREATE DATABASE $DB" >/dev/null
  env "${SB_ENV[@]}" DATABASE_URL="$PG_URL" "$TMP/switchboard" migrate up >/dev/null
  psql -q -X "$PG_URL" -c "CREATE SCHEMA bench_dequeue" -c "CREATE TABLE bench_dequeue.queue (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    payload jsonb NOT NULL,
    taken_at timestamptz,
    taken_by integer)" -c "CREATE INDEX queue_waiting ON bench_dequeue.queue (id) WHERE taken_at IS NULL" >/dev/null
}
cat >"$TMP/dequeue.sql" <<'EOF'
WITH next AS (
  SELECT id FROM bench_dequeue.queue WHERE taken_at IS NULL ORDER BY id LIMIT 1 FOR UPDATE SKIP LOCKED)
UPDATE bench_dequeue.queue q SET taken_at = now(), taken_by = :client_id
FROM next WHERE q.id = next.id RETURNING q.id;
EOF
# Sets PG_TPS (rows dequeued per second) for $1 clients: each client runs
# N/clients transactions, so exactly that many rows are taken, none twice.
dequeue() {
  local clients=$1 per taken
  per=$((N / clients))
  psql -q -X "$PG_URL" -c "TRUNCATE bench_dequeue.queue" -c "INSERT INTO bench_dequeue.queue (payload)
    SELECT jsonb_build_object('conversation', gen_random_uuid(), 'priority', g % 10) FROM generate_series(1, $N) g" \
    -c "VACUUM ANALYZE bench_dequeue.queue" >/dev/null
  PGOPTIONS="-c synchronous_commit=on" "$PGBENCH" -n -c "$clients" -j "$((clients < NPROC ? clients : NPROC))" -t "$per" \
    -f "$TMP/dequeue.sql" "$PG_URL" >"$TMP/pgbench-$clients.txt" 2>&1 ||
    { cat "$TMP/pgbench-$clients.txt" >&2; die "pgbench failed"; }
  PG_TPS=$(sed -n 's/^tps = \([0-9.]*\) .*/\1/p' "$TMP/pgbench-$clients.txt" | head -n1)
  [[ -n $PG_TPS ]] || { cat "$TMP/pgbench-$clients.txt" >&2; die "no tps in pgbench's output"; }
  taken=$(psql -X -At "$PG_URL" -c "SELECT count(*) FROM bench_dequeue.queue WHERE taken_at IS NOT NULL")
  ((taken == clients * per)) || die "pgbench took $taken rows, expected $((clients * per))"
}

ACHIEVED=() C1=() C8=() DRAIN=() STREAM=() ARRIVE=() P50=() P95=() P99=() PMAX=() CP99=() BUSY=() LGCPU=() RUNS_JSON=""
for ((run = 1; run <= RUNS; run++)); do
  fresh_db
  log "run $run/$RUNS: pgbench SKIP LOCKED dequeue of $N rows, 1 client"
  dequeue 1
  c1=$PG_TPS
  log "run $run/$RUNS: pgbench SKIP LOCKED dequeue of $N rows, 8 clients"
  dequeue 8
  c8=$PG_TPS
  psql -q -X "$PG_URL" -c "SET client_min_messages = warning" -c "DROP SCHEMA bench_dequeue CASCADE" >/dev/null
  log "run $run/$RUNS: pgbench $c1 rows/s (c=1), $c8 rows/s (c=8); switchboard loadgen routing"
  read -r m0 t0 < <(machine_ticks)
  TIMEFORMAT='%U %S'
  # --keep: the scratch database is dropped, which is far quicker than
  # deleting the tenants' rows one by one.
  lgtime=$( { time env "${SB_ENV[@]}" "$TMP/switchboard" loadgen routing --conversations "$N" --agents "$AGENTS" \
    --rate "$RATE" --duration "${SECS}s" --keep --json "$TMP/lg-$run.json" >"$TMP/lg-$run.txt" 2>"$TMP/lg-$run.err"; } 2>&1 ) ||
    die "loadgen routing failed: $(tail -n 5 "$TMP/lg-$run.err")"
  read -r m1 t1 < <(machine_ticks)
  busy=$(awk -v b0="$m0" -v b1="$m1" -v t0="$t0" -v t1="$t1" 'BEGIN { printf "%.0f", 100 * (b1 - b0) / (t1 - t0) }')
  lgcpu=$(awk -v l="$lgtime" 'BEGIN { split(l, x, " "); printf "%.1f", x[1] + x[2] }')
  sed 's/^/    /' "$TMP/lg-$run.txt" >&2
  f="$TMP/lg-$run.json"
  [[ $(json_field "$f" duplicates) == 0 ]] || die "the dispatcher assigned a conversation twice: see $TMP/lg-$run.txt"
  C1+=("$c1") C8+=("$c8") DRAIN+=("$(json_field "$f" drain_assignments_per_s)") STREAM+=("$(json_field "$f" stream_assignments_per_s)")
  ARRIVE+=("$(json_field "$f" stream_arrivals_per_s)") P50+=("$(json_field "$f" latency_p50_ms)") P95+=("$(json_field "$f" latency_p95_ms)")
  ACHIEVED+=("$(json_field "$f" latency_arrivals_per_s)") P99+=("$(json_field "$f" latency_p99_ms)") PMAX+=("$(json_field "$f" latency_max_ms)") CP99+=("$(json_field "$f" latency_commit_p99_ms)")
  BUSY+=("$busy") LGCPU+=("$lgcpu")
  RUNS_JSON+="${RUNS_JSON:+,}
    {\"pgbench_c1_tps\": $c1, \"pgbench_c8_tps\": $c8, \"ratio_drain_to_c8\": $(div "${DRAIN[-1]}" "$c8"),
     \"ratio_drain_to_c1\": $(div "${DRAIN[-1]}" "$c1"), \"loadgen_cpu_s\": $lgcpu, \"machine_busy_pct\": $busy,
     \"loadgen\": $(cat "$f")}"
done

MC1=$(median "${C1[@]}") MC8=$(median "${C8[@]}") MDRAIN=$(median "${DRAIN[@]}") MSTREAM=$(median "${STREAM[@]}")
MARRIVE=$(median "${ARRIVE[@]}") MP50=$(median "${P50[@]}") MP95=$(median "${P95[@]}") MP99=$(median "${P99[@]}")
MPMAX=$(median "${PMAX[@]}") MCP99=$(median "${CP99[@]}") MACH=$(median "${ACHIEVED[@]}")
R8=() R1=() RS=()
for ((i = 0; i < RUNS; i++)); do
  R8+=("$(div "${DRAIN[i]}" "${C8[i]}")") R1+=("$(div "${DRAIN[i]}" "${C1[i]}")") RS+=("$(div "${STREAM[i]}" "${C8[i]}")")
done
MR8=$(median "${R8[@]}") MR1=$(median "${R1[@]}") MRS=$(median "${RS[@]}")
RATIO_MET=$(awk -v r="$MR8" -v g="$RATIO_GOAL" 'BEGIN { print (r >= g ? "yes" : "no") }')
# Met only if the arrivals kept the rate (98 %): a generator that fell
# behind measured a lighter load than the goal's.
P99_MET=$(awk -v p="$MP99" -v g="$P99_GOAL_MS" -v a="$MACH" -v r="$RATE" 'BEGIN { print (a < 0.98 * r ? "not at the rate" : (p < g ? "yes" : "no")) }')

printf '\n%s\n' "Router live (B3): $N rows/conversations, $AGENTS agents, $RUNS runs (median, range); $(date -u +%FT%TZ), $NPROC CPUs, PostgreSQL $PG_VERSION, fsync=$FSYNC, autovacuum=$AUTOVACUUM"
printf '%-52s %10.0f /s   (%s)\n' "pgbench SKIP LOCKED dequeue, 1 row/txn, c=1" "$MC1" "$(minmax %.0f "${C1[@]}")"
printf '%-52s %10.0f /s   (%s)\n' "pgbench SKIP LOCKED dequeue, 1 row/txn, c=8" "$MC8" "$(minmax %.0f "${C8[@]}")"
printf '%-52s %10.0f /s   (%s)\n' "drain: persisted assignments" "$MDRAIN" "$(minmax %.0f "${DRAIN[@]}")"
printf '%-52s %10.2f      (%s; goal >= %s: %s)\n' "ratio drain / pgbench c=8" "$MR8" "$(minmax %.2f "${R8[@]}")" "$RATIO_GOAL" "$RATIO_MET"
printf '%-52s %10.2f      (%s)\n' "ratio drain / pgbench c=1" "$MR1" "$(minmax %.2f "${R1[@]}")"
printf '%-52s %10.0f /s   (%s; arrivals %.0f/s; ratio to c=8 %.2f)\n' "stream: assignments while 4 writers insert" "$MSTREAM" "$(minmax %.0f "${STREAM[@]}")" "$MARRIVE" "$MRS"
printf '%-52s %.1f/s\n' "latency phase: arrivals achieved (asked $RATE/s)" "$MACH"
printf '%-52s p50 %.1f ms, p95 %.1f ms, p99 %.1f ms, max %.1f ms  (p99 %s; goal < %s ms: %s)\n' \
  "latency at $RATE/s, commit → 'assigned' on Redis" "$MP50" "$MP95" "$MP99" "$MPMAX" "$(minmax %.1f "${P99[@]}")" "$P99_GOAL_MS" "$P99_MET"
printf '%-52s p99 %.1f ms\n' "latency at $RATE/s, commit → assignment commit" "$MCP99"
printf '%-52s %.0f%% busy; loadgen (dispatcher + generator) %.1f CPU-s per run; load average %s at the end\n\n' \
  "machine during the loadgen" "$(median "${BUSY[@]}")" "$(median "${LGCPU[@]}")" "$(cut -d' ' -f1-3 /proc/loadavg)"

mkdir -p "$OUT_DIR"
OUT="$OUT_DIR/routing.json"
cat >"$OUT" <<EOF
{
  "scenario": "B3 router live: persisted assignments vs pgbench SKIP LOCKED dequeue; arrival-to-assignment latency",
  "date": "$(date -u +%FT%TZ)",
  "git": "$SHA",
  "environment": {"nproc": $NPROC, "kernel": "$(uname -r)", "postgres": "$PG_VERSION", "fsync": "$FSYNC", "autovacuum": "$AUTOVACUUM", "synchronous_commit": "on", "go": "$("$GO" env GOVERSION)", "loadavg_at_end": "$(cut -d' ' -f1-3 /proc/loadavg)"},
  "conversations": $N,
  "agents": $AGENTS,
  "runs": $RUNS,
  "median": {
    "pgbench_dequeue_c1_tps": $MC1,
    "pgbench_dequeue_c8_tps": $MC8,
    "drain_assignments_per_s": $MDRAIN,
    "ratio_drain_to_pgbench_c8": $MR8,
    "ratio_drain_to_pgbench_c1": $MR1,
    "stream_assignments_per_s": $MSTREAM,
    "stream_arrivals_per_s": $MARRIVE,
    "ratio_stream_to_pgbench_c8": $MRS,
    "latency_rate": $RATE,
    "latency_seconds": $SECS,
    "latency_arrivals_per_s": $MACH,
    "latency_p50_ms": $MP50,
    "latency_p95_ms": $MP95,
    "latency_p99_ms": $MP99,
    "latency_max_ms": $MPMAX,
    "latency_commit_p99_ms": $MCP99
  },
  "goals": {"drain_ge_0_7_pgbench_c8": "$RATIO_MET", "p99_lt_50ms_at_${RATE}": "$P99_MET"},
  "each_run": [$RUNS_JSON
  ]
}
EOF
log "wrote $OUT"
