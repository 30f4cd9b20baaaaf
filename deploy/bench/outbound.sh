#!/usr/bin/env bash
# outbound.sh — benchmark plan B8 (docs/benchmarks.md): outbound pacing. For
# each rate, a fresh database, then `switchboard loadgen outbound`: one
# sandbox number with that throughput, N messages queued at once, the real
# sender delivering them to a fake of Meta on its own port that answers
# 130429 to anything over the same limit in a sliding second. The figures
# are taken at the fake: achieved rate against the limit, the fullest
# one-second window, 130429 answers, duplicates and failures.
#
# Usage: deploy/bench/outbound.sh      (`make bench` runs it)
#
# Needs DATABASE_URL (a role that may create databases), as `make bench`
# exports it, plus go and psql. Each scratch database is dropped afterwards.
# Prints a table and writes docs/benchmarks/<date>-<git-sha>-outbound.json.
#
# Knobs (environment): BENCH_OUTBOUND_MESSAGES (20000) per rate,
# BENCH_OUTBOUND_RATES ("1000 80"), BENCH_OUTBOUND_RECIPIENTS (1000),
# BENCH_OUT (docs/benchmarks) for the JSON.
set -euo pipefail

PROJECT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$PROJECT"
GO="${GO:-go}"
MESSAGES="${BENCH_OUTBOUND_MESSAGES:-20000}"
RATES="${BENCH_OUTBOUND_RATES:-1000 80}"
RECIPIENTS="${BENCH_OUTBOUND_RECIPIENTS:-1000}"
OUT_DIR="${BENCH_OUT:-docs/benchmarks}"

log() { printf 'bench: %s\n' "$*" >&2; }
die() { printf 'bench: error: %s\n' "$*" >&2; exit 1; }
have() { command -v "$1" >/dev/null 2>&1; }

[[ -n ${DATABASE_URL:-} ]] || die "DATABASE_URL is not set: run this through 'make bench' (or export it)"
have psql || die "psql not found: on Debian/Ubuntu 'apt-get install postgresql-client'"

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
# "pg|lg pid ticks" for every postgres process (all databases: an upper
# bound for ours) and for the loadgen, pid $1. cat, not awk, opens the files:
# a process may exit in between.
cpu_snapshot() {
  { cat /proc/[0-9]*/stat 2>/dev/null || true; } |
    awk -v lg="$1" '$2 == "(postgres)" { print "pg", $1, $14 + $15 } $1 == lg { print "lg", $1, $14 + $15 }'
}
# The loadgen's backends exit with it, taking their counters along, so the
# processes are sampled every 0.5 s while it sends, and each one's growth
# since the first snapshot is summed (at most 0.5 s of a process's work is
# missed). The busy share of the whole machine comes from /proc/stat.
SAMPLER=""
cpu_sample_start() {
  cpu_snapshot "$1" >"$TMP/cpu0"
  : >"$TMP/cpu"
  (while :; do cpu_snapshot "$1" >>"$TMP/cpu"; sleep 0.5; done) &
  SAMPLER=$!
  read -r M0 T0 < <(machine_ticks)
}
# Sets PG_CPU and LG_CPU (CPU-seconds) and BUSY (% of the machine).
cpu_sample_stop() {
  kill "$SAMPLER" 2>/dev/null || true
  wait "$SAMPLER" 2>/dev/null || true
  SAMPLER=""
  read -r M1 T1 < <(machine_ticks)
  BUSY=$(awk -v b0="$M0" -v b1="$M1" -v t0="$T0" -v t1="$T1" 'BEGIN { printf "%.0f", 100 * (b1 - b0) / (t1 - t0) }')
  read -r PG_CPU LG_CPU < <(awk -v hz="$CLK_TCK" 'FNR == NR { base[$1 " " $2] = $3; next }
    { k = $1 " " $2; if ($3 > last[k]) last[k] = $3 }
    END { for (k in last) { split(k, a, " "); s[a[1]] += last[k] - base[k] } printf "%.1f %.1f\n", s["pg"] / hz, s["lg"] / hz }' "$TMP/cpu0" "$TMP/cpu")
}
# Busy and total jiffies of the whole machine, from /proc/stat.
machine_ticks() { awk '/^cpu / { idle = $5 + $6; total = 0; for (i = 2; i <= NF; i++) total += $i; print total - idle, total }' /proc/stat; }
# A top-level field of the loadgen's JSON (2-space indent, one field a line).
json_field() { sed -n "s/^  \"$2\": \\([^,]*\\),\\{0,1\\}\$/\\1/p" "$1" | head -n1; }

RUN_ID="$(od -An -N4 -tx1 /dev/urandom | tr -d ' \n')"
TMP="$(mktemp -d)"
DBS=()
LG_PID=""
cleanup() {
  local rc=$?
  local db
  # Only the processes this script started, by their pids.
  [[ -z $SAMPLER ]] || kill "$SAMPLER" 2>/dev/null || true
  [[ -z $LG_PID ]] || kill "$LG_PID" 2>/dev/null || true
  for db in "${DBS[@]}"; do
    psql -q -X "$DATABASE_URL" -c "DROP DATABASE IF EXISTS $db WITH (FORCE)" >/dev/null 2>&1 || true
  done
  ((rc == 0)) || log "failed; outputs kept in $TMP"
  ((rc != 0)) || rm -rf "$TMP"
}
trap cleanup EXIT

CLK_TCK=$(getconf CLK_TCK)
NPROC=$(nproc)
PG_VERSION=$(psql -X -At "$DATABASE_URL" -c "SHOW server_version" | awk '{ print $1 }')
FSYNC=$(psql -X -At "$DATABASE_URL" -c "SHOW fsync")
[[ $FSYNC == on ]] || log "WARNING: this Postgres runs with fsync=$FSYNC: the figures do not compare with other runs"

log "building switchboard"
CGO_ENABLED=0 "$GO" build -o "$TMP/switchboard" ./cmd/switchboard

SB_ENV=(APP_ENV=development SECRET_KEY="bench-secret-key-$RUN_ID-0123456789abcdef" LOG_LEVEL=warn)
ROWS=()
RUNS_JSON=""
for rate in $RATES; do
  db="sbbench_out_${RUN_ID}_$rate"
  DBS+=("$db")
  psql -q -X "$DATABASE_URL" -c "CREATE DATABASE $db" >/dev/null
  # synchronous_commit=on as a run-time parameter (pgx passes unknown URL
  # parameters to the server): every outbox commit is durable, as in serve.
  url=$(with_param "$(with_db "$DATABASE_URL" "$db")" "synchronous_commit=on")
  env "${SB_ENV[@]}" DATABASE_URL="$(with_db "$DATABASE_URL" "$db")" "$TMP/switchboard" migrate up >/dev/null
  log "B8: $MESSAGES messages at $rate/s (about $((MESSAGES / rate)) s at best), fresh database $db"
  # env execs the binary, so $! is the loadgen's own pid (for /proc).
  env "${SB_ENV[@]}" DATABASE_URL="$url" "$TMP/switchboard" loadgen outbound --messages "$MESSAGES" \
    --rate "$rate" --recipients "$RECIPIENTS" --json "$TMP/b8-$rate.json" >"$TMP/b8-$rate.txt" 2>"$TMP/b8-$rate.err" &
  LG_PID=$!
  # CPU is counted while sending only, not while the messages are queued.
  until grep -q '; sending$' "$TMP/b8-$rate.err" 2>/dev/null; do
    kill -0 "$LG_PID" 2>/dev/null || break
    sleep 0.1
  done
  cpu_sample_start "$LG_PID"
  rc=0
  wait "$LG_PID" || rc=$?
  LG_PID=""
  cpu_sample_stop
  ((rc == 0)) || die "loadgen outbound at $rate/s failed: $(tail -n 5 "$TMP/b8-$rate.err")"
  sed 's/^/    /' "$TMP/b8-$rate.txt" >&2
  pg_cpu=$PG_CPU lg_cpu=$LG_CPU busy=$BUSY
  f="$TMP/b8-$rate.json"
  ROWS+=("$(printf '%6s %9.2f %7.2f%% %7s %8s %7s %6s %6s %9s %8s %4s%%  %s/%s/%s' "$rate" "$(json_field "$f" achieved_rate)" \
    "$(awk -v r="$(json_field "$f" ratio_to_limit)" 'BEGIN { printf "%.2f", 100 * r }')" \
    "$(json_field "$f" max_1s_window)" "$(json_field "$f" too_fast_130429)" "$(json_field "$f" duplicates)" \
    "$(($(json_field "$f" failed) + $(json_field "$f" uncertain) + $(json_field "$f" unsettled)))" \
    "$(json_field "$f" elapsed_s | awk '{ printf "%.1f", $1 }')" "$lg_cpu" "$pg_cpu" "$busy" \
    "$(json_field "$f" goal_within_2pct)" "$(json_field "$f" goal_none_over)" "$(json_field "$f" goal_every_message_once)")")
  RUNS_JSON+="${RUNS_JSON:+,}
    {\"rate\": $rate, \"sending_cpu_s\": {\"loadgen\": $lg_cpu, \"postgres_all\": $pg_cpu}, \"sending_machine_busy_pct\": $busy, \"result\": $(cat "$f")}"
  psql -q -X "$DATABASE_URL" -c "DROP DATABASE IF EXISTS $db WITH (FORCE)" >/dev/null 2>&1 || true
done

printf '\n%s\n' "Outbound pacing (B8): $MESSAGES messages per rate to $RECIPIENTS recipients; $(date -u +%FT%TZ), $NPROC CPUs, PostgreSQL $PG_VERSION, fsync=$FSYNC"
printf '%6s %9s %8s %7s %8s %7s %6s %6s %9s %8s %5s  %s\n' "limit" "achieved" "of limit" "max 1s" "130429" "dups" "fail" "secs" "cpu:lg" "cpu:pg" "busy" "goals: within 2%/none over/each once"
for row in "${ROWS[@]}"; do printf '%s\n' "$row"; done
printf '\n'

SHA=$(git rev-parse --short HEAD 2>/dev/null || echo nogit)
git diff --quiet HEAD 2>/dev/null || SHA="$SHA-dirty"
mkdir -p "$OUT_DIR"
OUT="$OUT_DIR/$(date -u +%F)-$SHA-outbound.json"
cat >"$OUT" <<EOF
{
  "scenario": "B8 outbound pacing",
  "date": "$(date -u +%FT%TZ)",
  "git": "$SHA",
  "environment": {"nproc": $NPROC, "kernel": "$(uname -r)", "postgres": "$PG_VERSION", "fsync": "$FSYNC", "synchronous_commit": "on", "go": "$("$GO" env GOVERSION)"},
  "messages": $MESSAGES,
  "recipients": $RECIPIENTS,
  "runs": [$RUNS_JSON
  ]
}
EOF
log "wrote $OUT"
