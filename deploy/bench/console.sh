#!/usr/bin/env bash
# console.sh — issue 6, the agent console's realtime channel (docs/benchmarks.md,
# "Agent console (realtime)"):
#   a) idle memory per authenticated agent socket at 1,000, 5,000 and 10,000
#      sockets: `switchboard serve`'s RSS and Go heap + stacks growth per
#      socket, beside a bare gorilla/websocket echo server measured the same
#      way in the same run (goal: <= 20 KiB per socket and <= 1.2x the echo);
#   b) webhook-to-agent-screen latency: 1,000 agents connected, each holding
#      3 conversations, 500 signed inbound webhooks/s for 20 s, each timed from
#      its intended POST time to the "message" event frame on its agent's
#      socket (goal: p99 < 200 ms).
#
# Usage: deploy/bench/console.sh      (`make bench` runs it)
#
# Needs DATABASE_URL (a role that may create databases) and REDIS_URL, as
# `make bench` exports them, plus go and psql. A scratch database is created,
# migrated, and dropped afterwards; serve and the echo server run from a
# fresh build on loopback ports; the load comes from `switchboard loadgen
# console` on the same machine. The machine's load average is recorded next
# to every figure (the machine may be shared).
#
# Open files: serve holds one descriptor per socket, the generator one per
# socket as well, so the script raises its soft limit (ulimit -n) to the hard
# limit, and stops if that is below what the largest step needs.
#
# Knobs (environment): BENCH_CONSOLE_STEPS (1000,5000,10000),
# BENCH_CONSOLE_AGENTS (1000), BENCH_CONSOLE_RATE (500), BENCH_CONSOLE_SECONDS
# (20), BENCH_CONSOLE_PHASES (memory,latency), BENCH_OUT (docs/benchmarks).
set -euo pipefail

PROJECT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$PROJECT"
GO="${GO:-go}"
STEPS="${BENCH_CONSOLE_STEPS:-1000,5000,10000}"
AGENTS="${BENCH_CONSOLE_AGENTS:-1000}"
RATE="${BENCH_CONSOLE_RATE:-500}"
SECS="${BENCH_CONSOLE_SECONDS:-20}"
PHASES="${BENCH_CONSOLE_PHASES:-memory,latency}"
OUT_DIR="${BENCH_OUT:-docs/benchmarks}"
KIB_GOAL=20
RATIO_GOAL=1.2
P99_GOAL_MS=200

log() { printf 'bench: %s\n' "$*" >&2; }
die() { printf 'bench: error: %s\n' "$*" >&2; exit 1; }
have() { command -v "$1" >/dev/null 2>&1; }

[[ -n ${DATABASE_URL:-} ]] || die "DATABASE_URL is not set: run this through 'make bench' (or export it and REDIS_URL)"
[[ -n ${REDIS_URL:-} ]] || die "REDIS_URL is not set: run this through 'make bench'"
have psql || die "psql not found: on Debian/Ubuntu 'apt-get install postgresql-client'"

# One descriptor per socket in serve and in the generator, plus the echo
# server's; the same limit is inherited by all three (started from here).
MAX_STEP=$(tr ',' '\n' <<<"$STEPS" | sort -n | tail -n1)
NEED=$((MAX_STEP + AGENTS + 2048))
HARD=$(ulimit -Hn)
if [[ $HARD == unlimited ]] || ((HARD >= 1048576)); then ulimit -Sn 1048576; else ulimit -Sn "$HARD"; fi
NOFILE=$(ulimit -Sn)
((NOFILE >= NEED)) || die "open files: the hard limit is $HARD, this run needs $NEED (raise it: ulimit -Hn as root, or LimitNOFILE)"
log "open-file limit raised to $NOFILE (ulimit -n) for serve, the echo server and the generator"

with_db() {
  local url=$1 db=$2
  [[ $url =~ ^(postgres(ql)?://[^/?]*)(/[^?]*)?(\?.*)?$ ]] || die "DATABASE_URL is not a postgres:// URL"
  printf '%s/%s%s' "${BASH_REMATCH[1]}" "$db" "${BASH_REMATCH[4]}"
}
# A free loopback port: one nothing answers on.
free_port() {
  local p
  for _ in $(seq 50); do
    p=$((20000 + RANDOM % 20000))
    (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null || { echo "$p"; return; }
  done
  die "no free port found"
}
json_num() { sed -n "s/^ *\"$2\": \\([-0-9.e+]*\\),\\{0,1\\}\$/\\1/p" "$1" | head -n1; }

RUN_ID="$(od -An -N4 -tx1 /dev/urandom | tr -d ' \n')"
DB="sbbench_console_$RUN_ID"
TMP="$(mktemp -d)"
SERVE_PID="" ECHO_PID=""
cleanup() {
  local rc=$?
  # Only the processes this script started, by their pids.
  [[ -z $SERVE_PID ]] || kill "$SERVE_PID" 2>/dev/null || true
  [[ -z $ECHO_PID ]] || kill "$ECHO_PID" 2>/dev/null || true
  [[ -z $SERVE_PID ]] || wait "$SERVE_PID" 2>/dev/null || true
  psql -q -X "$DATABASE_URL" -c "DROP DATABASE IF EXISTS $DB WITH (FORCE)" >/dev/null 2>&1 || true
  if have redis-cli; then
    redis-cli -u "$REDIS_URL" --scan --pattern "sbbench:$RUN_ID:*" 2>/dev/null | xargs -r redis-cli -u "$REDIS_URL" DEL >/dev/null 2>&1 || true
  fi
  ((rc == 0)) || log "failed; outputs kept in $TMP"
  ((rc != 0)) || rm -rf "$TMP"
}
trap cleanup EXIT

NPROC=$(nproc)
log "building switchboard"
SHA=$(git rev-parse --short HEAD 2>/dev/null || echo nogit)
git diff --quiet HEAD 2>/dev/null || SHA="$SHA-dirty"
CGO_ENABLED=0 "$GO" build -o "$TMP/switchboard" ./cmd/switchboard
PG_URL=$(with_db "$DATABASE_URL" "$DB")
PORT=$(free_port)
BASE="http://127.0.0.1:$PORT"
SB_ENV=(APP_ENV=development SECRET_KEY="bench-secret-key-$RUN_ID-0123456789abcdef" META_APP_SECRET="bench-meta-secret-$RUN_ID"
  LOG_LEVEL=warn DATABASE_URL="$PG_URL" REDIS_URL="$REDIS_URL" REDIS_PREFIX="sbbench:$RUN_ID:"
  HTTP_ADDR="127.0.0.1:$PORT" BASE_URL="$BASE" MIGRATE=false SENDER=false GRAPH_BASE_URL="http://127.0.0.1:9" BLOB_DIR="$TMP/blobs")

psql -q -X "$DATABASE_URL" -c "SET client_min_messages = warning" -c "DROP DATABASE IF EXISTS $DB WITH (FORCE)" -c "CREATE DATABASE $DB" >/dev/null
env "${SB_ENV[@]}" "$TMP/switchboard" migrate up >/dev/null

log "starting serve on $BASE and the echo server"
env "${SB_ENV[@]}" "$TMP/switchboard" serve >"$TMP/serve.log" 2>&1 &
SERVE_PID=$!
"$TMP/switchboard" loadgen echo-server --addr 127.0.0.1:0 >"$TMP/echo.out" 2>&1 &
ECHO_PID=$!
for _ in $(seq 100); do
  curl -fsS "$BASE/readyz" >/dev/null 2>&1 && grep -q '^listening ' "$TMP/echo.out" && break
  kill -0 "$SERVE_PID" 2>/dev/null || { cat "$TMP/serve.log" >&2; die "serve stopped"; }
  sleep 0.2
done
curl -fsS "$BASE/readyz" >/dev/null || { cat "$TMP/serve.log" >&2; die "serve is not ready"; }
ECHO_ADDR=$(sed -n 's/^listening //p' "$TMP/echo.out")
[[ -n $ECHO_ADDR ]] || die "the echo server did not start: $(cat "$TMP/echo.out")"

LOAD_START=$(cut -d' ' -f1-3 /proc/loadavg)
log "switchboard loadgen console --phases $PHASES --steps $STEPS --agents $AGENTS --rate $RATE --duration ${SECS}s (load average $LOAD_START)"
env "${SB_ENV[@]}" "$TMP/switchboard" loadgen console --url "$BASE" --phases "$PHASES" --steps "$STEPS" \
  --server-pid "$SERVE_PID" --echo-url "http://$ECHO_ADDR" --echo-pid "$ECHO_PID" \
  --agents "$AGENTS" --rate "$RATE" --duration "${SECS}s" --json "$TMP/console.json" >"$TMP/lg.txt" 2> >(tee "$TMP/lg.err" >&2) ||
  { cat "$TMP/lg.txt" >&2; tail -n 20 "$TMP/serve.log" >&2; die "loadgen console failed"; }
LOAD_END=$(cut -d' ' -f1-3 /proc/loadavg)
kill -0 "$SERVE_PID" 2>/dev/null || { tail -n 20 "$TMP/serve.log" >&2; die "serve died during the run"; }

# The table: per step, serve and echo, with the goals.
F="$TMP/console.json"
printf '\n%s\n' "Agent console (realtime): $(date -u +%FT%TZ), $NPROC CPUs, git $SHA, load average $LOAD_START at the start, $LOAD_END at the end"
sed 's/^/  /' "$TMP/lg.txt"
GOALS=""
if [[ $PHASES == *memory* ]]; then
  # serve's and echo's readings of the largest step: per-socket RSS.
  read -r S_RSS E_RSS < <(awk '
    /"server_memory"/ { s = 1; e = 0 } /"echo_memory"/ { e = 1; s = 0 }
    /"rss_per_conn_bytes"/ { gsub(/[^0-9.e+-]/, "", $2); if (s) sr = $2; if (e) er = $2 }
    END { print sr, er }' "$F")
  KIB=$(awk -v b="$S_RSS" 'BEGIN { printf "%.1f", b / 1024 }')
  RATIO=$(awk -v s="$S_RSS" -v e="$E_RSS" 'BEGIN { printf "%.2f", (e > 0 ? s / e : 0) }')
  KIB_MET=$(awk -v k="$KIB" -v g="$KIB_GOAL" 'BEGIN { print (k <= g ? "yes" : "no") }')
  RATIO_MET=$(awk -v r="$RATIO" -v g="$RATIO_GOAL" 'BEGIN { print (r <= g ? "yes" : "no") }')
  printf '%-58s %s KiB/socket (goal <= %s: %s); %sx the echo server (goal <= %s: %s)\n' \
    "idle memory at $MAX_STEP sockets, serve RSS growth" "$KIB" "$KIB_GOAL" "$KIB_MET" "$RATIO" "$RATIO_GOAL" "$RATIO_MET"
  GOALS+="\"rss_per_socket_le_${KIB_GOAL}KiB\": \"$KIB_MET\", \"rss_le_${RATIO_GOAL}x_echo\": \"$RATIO_MET\""
fi
if [[ $PHASES == *latency* ]]; then
  P99=$(awk '/"webhook_to_socket_ms"/ { f = 1 } f && /"p99_ms"/ { gsub(/[^0-9.e+-]/, "", $2); print $2; exit }' "$F")
  ACH=$(json_num "$F" achieved_per_s)
  MISSING=$(json_num "$F" events_not_arrived)
  P99_MET=$(awk -v p="$P99" -v g="$P99_GOAL_MS" -v a="$ACH" -v r="$RATE" -v m="$MISSING" \
    'BEGIN { print (a < 0.98 * r ? "not at the rate" : (m > 0 ? "no: events not arrived within 30 s" : (p < g ? "yes" : "no"))) }')
  printf '%-58s p99 %.1f ms at %.1f/s (goal < %s ms: %s)\n' "webhook POST → event on the agent's socket" "$P99" "$ACH" "$P99_GOAL_MS" "$P99_MET"
  GOALS+="${GOALS:+, }\"p99_lt_${P99_GOAL_MS}ms\": \"$P99_MET\""
fi
echo

mkdir -p "$OUT_DIR"
OUT="$OUT_DIR/console.json"
cat >"$OUT" <<EOF
{
  "scenario": "agent console realtime: idle memory per authenticated socket beside a bare gorilla echo server; webhook-to-socket latency",
  "date": "$(date -u +%FT%TZ)",
  "git": "$SHA",
  "environment": {"nproc": $NPROC, "kernel": "$(uname -r)", "go": "$("$GO" env GOVERSION)", "open_files_limit": $NOFILE,
    "loadavg_start": "$LOAD_START", "loadavg_end": "$LOAD_END"},
  "command": "deploy/bench/console.sh (BENCH_CONSOLE_STEPS=$STEPS BENCH_CONSOLE_AGENTS=$AGENTS BENCH_CONSOLE_RATE=$RATE BENCH_CONSOLE_SECONDS=$SECS)",
  "goals": {$GOALS},
  "loadgen": $(cat "$F")
}
EOF
log "wrote $OUT"
