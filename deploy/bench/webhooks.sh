#!/usr/bin/env bash
# webhooks.sh — benchmark plan B0/B1 (docs/benchmarks.md): Postgres's durable
# single-row insert (pgbench, the physical baseline) and Switchboard's webhook
# ingest, in one run on one machine, so ingest is reported as a ratio.
#
# Usage: deploy/bench/webhooks.sh      (`make bench` runs it)
#
# Needs DATABASE_URL (a role that may create databases) and REDIS_URL, as
# `make bench` exports them, plus go, psql and pgbench. It creates two scratch
# databases and drops them afterwards, builds the binary into a temp dir,
# prints a summary table and writes docs/benchmarks/<date>-<git-sha>.json.
#
# Knobs (environment): BENCH_SECONDS (10) per step, BENCH_RATE (2000) for the
# fixed-rate step, BENCH_SAT_RATE (8000) and BENCH_SAT_CONCURRENCY (64) for
# the saturation step, BENCH_OUT (docs/benchmarks) for the JSON,
# BENCH_DB_PARAMS (e.g. pool_max_conns=16) appended to the server's DATABASE_URL.
set -euo pipefail

PROJECT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$PROJECT"
GO="${GO:-go}"
SECS="${BENCH_SECONDS:-10}"
RATE="${BENCH_RATE:-2000}"
SAT_RATE="${BENCH_SAT_RATE:-8000}"
SAT_CONC="${BENCH_SAT_CONCURRENCY:-64}"
OUT_DIR="${BENCH_OUT:-docs/benchmarks}"
P99_GOAL_MS=25
RATIO_GOAL=0.5

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
port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
# GET /readyz answers 200 (bash's /dev/tcp: no curl needed).
ready() {
  (
    exec 3<>"/dev/tcp/127.0.0.1/$1" || exit 1
    printf 'GET /readyz HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n' >&3
    read -r status <&3
    [[ $status == *" 200 "* ]]
  ) 2>/dev/null
}
free_port() {
  local p
  for ((p = 18080; p < 18280; p++)); do port_open "$p" || { echo "$p"; return 0; }; done
  die "no free port in 18080..18280"
}
# Clock ticks of user+system CPU a process has used (fields 14 and 15).
proc_ticks() { awk '{ print $14 + $15 }' "/proc/$1/stat" 2>/dev/null || echo 0; }
# Clock ticks of every postgres process (all databases: the server is
# shared, so this is an upper bound for ours; exited backends are missed).
# cat, not awk, opens the files: a process may exit between the glob and the
# read, which gawk treats as fatal.
postgres_ticks() {
  { cat /proc/[0-9]*/stat 2>/dev/null || true; } | awk '$2 == "(postgres)" { s += $14 + $15 } END { print s + 0 }'
}
# Busy and total jiffies of the whole machine, from /proc/stat.
machine_ticks() { awk '/^cpu / { idle = $5 + $6; total = 0; for (i = 2; i <= NF; i++) total += $i; print total - idle, total }' /proc/stat; }
# Read fields of the loadgen's own JSON (2-space indent, one field a line).
json_num() { sed -n "s/^  \"$2\": \\([-0-9.e+]*\\),\\{0,1\\}\$/\\1/p" "$1" | head -n1; }
json_lat() { sed -n "/\"latency\": {/,/}/s/^ *\"$2\": \\([-0-9.e+]*\\),\\{0,1\\}\$/\\1/p" "$1" | head -n1; }

RUN_ID="$(od -An -N4 -tx1 /dev/urandom | tr -d ' \n')"
PG_DB="sbbench_pg_$RUN_ID"
SB_DB="sbbench_sb_$RUN_ID"
TMP="$(mktemp -d)"
SERVER_PID=""
cleanup() {
  local rc=$?
  # Only the server this script started, by its pid: SIGTERM drains it;
  # SIGKILL if it is still there after 20 s.
  if [[ -n $SERVER_PID ]] && kill -0 "$SERVER_PID" 2>/dev/null; then
    kill "$SERVER_PID" 2>/dev/null || true
    for ((i = 0; i < 200; i++)); do kill -0 "$SERVER_PID" 2>/dev/null || break; sleep 0.1; done
    kill -9 "$SERVER_PID" 2>/dev/null || true
    wait "$SERVER_PID" 2>/dev/null || true
  fi
  psql -q -X "$DATABASE_URL" -c "DROP DATABASE IF EXISTS $PG_DB WITH (FORCE)" -c "DROP DATABASE IF EXISTS $SB_DB WITH (FORCE)" >/dev/null 2>&1 || true
  if have redis-cli; then
    redis-cli -u "$REDIS_URL" --scan --pattern "sbbench:$RUN_ID:*" 2>/dev/null | xargs -r redis-cli -u "$REDIS_URL" DEL >/dev/null 2>&1 || true
  fi
  ((rc == 0)) || log "failed; server log: $TMP/server.log (kept)"
  ((rc != 0)) || rm -rf "$TMP"
}
trap cleanup EXIT

CLK_TCK=$(getconf CLK_TCK)
NPROC=$(nproc)
PG_VERSION=$(psql -X -At "$DATABASE_URL" -c "SHOW server_version" | awk '{ print $1 }')
FSYNC=$(psql -X -At "$DATABASE_URL" -c "SHOW fsync")
[[ $FSYNC == on ]] || log "WARNING: this Postgres runs with fsync=$FSYNC: the figures are not durable ones and do not compare with other runs"

# --- B0: pgbench, 1 row per transaction, unique(wamid), ~1 KB jsonb ----------
log "B0: pgbench durable insert, 16 clients, ${SECS}s (synchronous_commit=on)"
psql -q -X "$DATABASE_URL" -c "CREATE DATABASE $PG_DB" >/dev/null
PG_URL=$(with_db "$DATABASE_URL" "$PG_DB")
psql -q -X "$PG_URL" -c "CREATE TABLE bench_webhooks (
  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  wamid text NOT NULL UNIQUE,
  body jsonb NOT NULL,
  received_at timestamptz NOT NULL DEFAULT now())" >/dev/null
# The shape of a stored webhook: a ~1 KB JSON document under a wamid that is
# (almost always) new, so each transaction checks the unique index and writes.
cat >"$TMP/insert.sql" <<'EOF'
\set r random(1, 1000000000)
INSERT INTO bench_webhooks (wamid, body)
VALUES ('wamid.' || :client_id || '.' || :r,
        jsonb_build_object('object', 'whatsapp', 'entry', jsonb_build_array(jsonb_build_object(
          'id', '102290129340398', 'changes', jsonb_build_array(jsonb_build_object('field', 'messages',
          'value', jsonb_build_object('wamid', :r, 'text', repeat('x', 900))))))))
ON CONFLICT (wamid) DO NOTHING;
EOF
PGOPTIONS="-c synchronous_commit=on" "$PGBENCH" -n -c 16 -j "$NPROC" -T "$SECS" -f "$TMP/insert.sql" "$PG_URL" >"$TMP/pgbench.txt" 2>&1 ||
  { cat "$TMP/pgbench.txt" >&2; die "pgbench failed"; }
PG_TPS=$(sed -n 's/^tps = \([0-9.]*\) .*/\1/p' "$TMP/pgbench.txt" | head -n1)
PG_LAT=$(sed -n 's/^latency average = \([0-9.]*\) ms/\1/p' "$TMP/pgbench.txt" | head -n1)
[[ -n $PG_TPS ]] || { cat "$TMP/pgbench.txt" >&2; die "no tps in pgbench's output"; }
log "pgbench: $PG_TPS tps, average latency $PG_LAT ms"
psql -q -X "$DATABASE_URL" -c "DROP DATABASE IF EXISTS $PG_DB WITH (FORCE)" >/dev/null

# --- B1: switchboard serve on a fresh database ---------------------------------
log "building switchboard"
CGO_ENABLED=0 "$GO" build -o "$TMP/switchboard" ./cmd/switchboard
psql -q -X "$DATABASE_URL" -c "CREATE DATABASE $SB_DB" >/dev/null
PORT=$(free_port)
APP_SECRET="bench-app-secret-$(od -An -N8 -tx1 /dev/urandom | tr -d ' \n')"
export APP_ENV=development
# synchronous_commit=on is passed as a run-time parameter (pgx sends unknown
# URL parameters to the server), so both sides of the ratio are durable.
# Pool settings in BENCH_DB_PARAMS are for the server only (the migrator
# would pass them to Postgres), so serve skips its own migration.
DATABASE_URL_SB=$(with_param "$(with_db "$DATABASE_URL" "$SB_DB")" "synchronous_commit=on")
SERVE_URL=$DATABASE_URL_SB
[[ -z ${BENCH_DB_PARAMS:-} ]] || SERVE_URL=$(with_param "$SERVE_URL" "$BENCH_DB_PARAMS")
# Media downloads go to a closed local port: nothing leaves the machine.
SB_ENV=(DATABASE_URL="$DATABASE_URL_SB" REDIS_URL="$REDIS_URL" REDIS_PREFIX="sbbench:$RUN_ID:"
  HTTP_ADDR="127.0.0.1:$PORT" META_APP_SECRET="$APP_SECRET" SECRET_KEY="bench-secret-key-$RUN_ID-0123456789abcdef"
  BLOB_DIR="$TMP/blobs" GRAPH_BASE_URL="http://127.0.0.1:9" LOG_LEVEL=warn)
run_sb() { env "${SB_ENV[@]}" "$TMP/switchboard" "$@"; }
run_sb migrate up >/dev/null
echo "bench-admin-password" | run_sb tenant create --name "Bench" --slug bench --admin-email bench@bench.test >/dev/null
echo "EAAG-bench-token" | run_sb number add --tenant bench --phone-number-id 106540352242922 \
  --display-phone "+1 555 078 3881" --waba-id 102290129340398 >/dev/null
# env execs the binary, so $! is the server's own pid (for /proc and kill).
env "${SB_ENV[@]}" DATABASE_URL="$SERVE_URL" MIGRATE=false "$TMP/switchboard" serve >"$TMP/server.log" 2>&1 &
SERVER_PID=$!
for ((i = 0; i < 300; i++)); do
  ready "$PORT" && break
  kill -0 "$SERVER_PID" 2>/dev/null || { cat "$TMP/server.log" >&2; die "switchboard serve exited"; }
  sleep 0.1
done
ready "$PORT" || die "switchboard serve not ready on port $PORT after 30s"
URL="http://127.0.0.1:$PORT/webhooks/whatsapp"

pending() { psql -X -At "$(with_db "$DATABASE_URL" "$SB_DB")" -c "SELECT count(*) FROM webhook_events WHERE state = 'pending'"; }

# One loadgen step; the generator gets one core (GOMAXPROCS=1) so that it
# does not take the server's. Sets the STEP_* CPU figures for the caller.
step() {
  local name=$1 rate=$2 conc=$3 secs=$4
  local s0 s1 p0 p1 m0 m1 t0 t1 l
  s0=$(proc_ticks "$SERVER_PID")
  p0=$(postgres_ticks)
  read -r m0 t0 < <(machine_ticks)
  TIMEFORMAT='%U %S'
  l=$( { time GOMAXPROCS=1 META_APP_SECRET="$APP_SECRET" "$TMP/switchboard" loadgen webhooks --url "$URL" \
    --rate "$rate" --duration "${secs}s" --concurrency "$conc" --duplicates 0.05 --bad-signatures 0.01 \
    --seed 1 --json "$TMP/$name.json" >"$TMP/$name.txt" 2>"$TMP/$name.err"; } 2>&1 ) ||
    die "loadgen ($name) failed: $(cat "$TMP/$name.err")"
  s1=$(proc_ticks "$SERVER_PID")
  p1=$(postgres_ticks)
  read -r m1 t1 < <(machine_ticks)
  STEP_POSTGRES_CPU=$(awk -v a="$p0" -v b="$p1" -v hz="$CLK_TCK" 'BEGIN { printf "%.2f", (b - a) / hz }')
  STEP_SERVER_CPU=$(awk -v a="$s0" -v b="$s1" -v hz="$CLK_TCK" 'BEGIN { printf "%.2f", (b - a) / hz }')
  STEP_LOADGEN_CPU=$(awk -v l="$l" 'BEGIN { split(l, x, " "); printf "%.2f", x[1] + x[2] }')
  STEP_MACHINE_BUSY=$(awk -v b0="$m0" -v b1="$m1" -v t0="$t0" -v t1="$t1" 'BEGIN { printf "%.0f", 100 * (b1 - b0) / (t1 - t0) }')
  sed 's/^/    /' "$TMP/$name.txt" >&2
}

log "warm-up: 500/s for 2s (not recorded)"
GOMAXPROCS=1 META_APP_SECRET="$APP_SECRET" "$TMP/switchboard" loadgen webhooks --url "$URL" --rate 500 --duration 2s >/dev/null ||
  die "the warm-up failed (is the server answering on $URL?)"

log "B1 fixed rate: $RATE/s for ${SECS}s"
step fixed "$RATE" 64 "$SECS"
FIXED_SERVER_CPU=$STEP_SERVER_CPU FIXED_LOADGEN_CPU=$STEP_LOADGEN_CPU FIXED_PG_CPU=$STEP_POSTGRES_CPU FIXED_BUSY=$STEP_MACHINE_BUSY

# The processor applies events behind the 200s; let it catch up so the
# saturation step starts from an empty queue, and time how fast it does.
BACKLOG=$(pending)
DRAIN_START=$(date +%s.%N)
for ((i = 0; i < 1200; i++)); do
  [[ $(pending) == 0 ]] && break
  sleep 0.1
done
LEFT=$(pending)
DRAIN_SECS=$(awk -v a="$DRAIN_START" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f", b - a }')
APPLY_RATE=$(awk -v n="$BACKLOG" -v l="$LEFT" -v s="$DRAIN_SECS" 'BEGIN { printf "%.0f", (s > 0 ? (n - l) / s : 0) }')
log "processor: $BACKLOG events pending after the fixed-rate step, $LEFT left after ${DRAIN_SECS}s (~$APPLY_RATE events/s applied)"

log "B1 saturation: $SAT_RATE/s, concurrency $SAT_CONC, for ${SECS}s"
step saturation "$SAT_RATE" "$SAT_CONC" "$SECS"
SAT_SERVER_CPU=$STEP_SERVER_CPU SAT_LOADGEN_CPU=$STEP_LOADGEN_CPU SAT_PG_CPU=$STEP_POSTGRES_CPU SAT_BUSY=$STEP_MACHINE_BUSY

# --- summary -------------------------------------------------------------------
F=$TMP/fixed.json S=$TMP/saturation.json
FIXED_ACC=$(json_num "$F" accepted_rate) SAT_ACC=$(json_num "$S" accepted_rate)
P50=$(json_lat "$F" p50_ms) P99=$(json_lat "$F" p99_ms) P999=$(json_lat "$F" p99_9_ms) PMAX=$(json_lat "$F" max_ms)
RATIO=$(awk -v a="$SAT_ACC" -v b="$PG_TPS" 'BEGIN { printf "%.2f", a / b }')
RATIO_MET=$(awk -v r="$RATIO" -v g="$RATIO_GOAL" 'BEGIN { print (r >= g ? "yes" : "no") }')
P99_MET=$(awk -v p="$P99" -v g="$P99_GOAL_MS" -v s="$(json_num "$F" skipped)" 'BEGIN { print (p < g && s == 0 ? "yes" : "no") }')

printf '\n%-44s %s\n' "Webhook ingest (B0/B1)" "$(date -u +%FT%TZ), $NPROC CPUs, PostgreSQL $PG_VERSION, fsync=$FSYNC"
printf '%-44s %10.0f tps  (avg %.2f ms)\n' "pgbench insert, c=16, sync commit on" "$PG_TPS" "$PG_LAT"
printf '%-44s %10.0f /s\n' "ingest accepted at saturation ($SAT_RATE/s, c=$SAT_CONC)" "$SAT_ACC"
printf '%-44s %10s      (goal >= %s: %s)\n' "ratio ingest / pgbench" "$RATIO" "$RATIO_GOAL" "$RATIO_MET"
printf '%-44s %10.0f /s\n' "ingest accepted at $RATE/s" "$FIXED_ACC"
printf '%-44s p50 %.2f ms, p99 %.2f ms, p99.9 %.2f ms, max %.2f ms  (p99 goal < %s ms: %s)\n' "latency at $RATE/s" "$P50" "$P99" "$P999" "$PMAX" "$P99_GOAL_MS" "$P99_MET"
printf '%-44s server %ss, postgres %ss, loadgen %ss; machine %s%% busy\n' "CPU seconds, fixed rate (${SECS}s x $NPROC CPUs)" \
  "$FIXED_SERVER_CPU" "$FIXED_PG_CPU" "$FIXED_LOADGEN_CPU" "$FIXED_BUSY"
printf '%-44s server %ss, postgres %ss, loadgen %ss; machine %s%% busy\n' "CPU seconds, saturation" \
  "$SAT_SERVER_CPU" "$SAT_PG_CPU" "$SAT_LOADGEN_CPU" "$SAT_BUSY"
printf '%-44s %s events/s (backlog %s drained in %ss)\n\n' "processor (applies stored events)" "$APPLY_RATE" "$BACKLOG" "$DRAIN_SECS"

SHA=$(git rev-parse --short HEAD 2>/dev/null || echo nogit)
git diff --quiet HEAD 2>/dev/null || SHA="$SHA-dirty"
mkdir -p "$OUT_DIR"
OUT="$OUT_DIR/$(date -u +%F)-$SHA.json"
cat >"$OUT" <<EOF
{
  "scenario": "B0/B1 webhook ingest",
  "date": "$(date -u +%FT%TZ)",
  "git": "$SHA",
  "environment": {"nproc": $NPROC, "db_params": "${BENCH_DB_PARAMS:-}", "kernel": "$(uname -r)", "postgres": "$PG_VERSION", "fsync": "$FSYNC", "synchronous_commit": "on", "go": "$("$GO" env GOVERSION)"},
  "pgbench": {"clients": 16, "seconds": $SECS, "tps": $PG_TPS, "latency_avg_ms": $PG_LAT},
  "fixed": {"rate": $RATE, "cpu_s": {"server": $FIXED_SERVER_CPU, "postgres_all": $FIXED_PG_CPU, "loadgen": $FIXED_LOADGEN_CPU}, "machine_busy_pct": $FIXED_BUSY, "loadgen": $(cat "$F")},
  "processor": {"backlog": $BACKLOG, "left": $LEFT, "seconds": $DRAIN_SECS, "events_per_s": $APPLY_RATE},
  "saturation": {"rate": $SAT_RATE, "concurrency": $SAT_CONC, "cpu_s": {"server": $SAT_SERVER_CPU, "postgres_all": $SAT_PG_CPU, "loadgen": $SAT_LOADGEN_CPU}, "machine_busy_pct": $SAT_BUSY, "loadgen": $(cat "$S")},
  "ratio_ingest_to_pgbench": $RATIO,
  "goals": {"ratio_ge_0_5": "$RATIO_MET", "p99_lt_25ms_at_${RATE}": "$P99_MET"}
}
EOF
log "wrote $OUT"
