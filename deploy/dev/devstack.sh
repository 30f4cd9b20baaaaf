#!/usr/bin/env bash
# devstack.sh — provide Postgres and Redis (and Chromium) for development and
# tests on Debian/Ubuntu.
#
# Usage:
#   deploy/dev/devstack.sh            ensure Postgres + Redis, print env exports
#   deploy/dev/devstack.sh chromium   ensure a Chromium binary, print its path
#   deploy/dev/devstack.sh stop       stop the private instances under .devstack/
#
# Resolution order for each service:
#   1. DATABASE_URL / REDIS_URL already set      -> used as is
#   2. something answers on 127.0.0.1:5432/6379  -> used (trust auth assumed)
#   3. otherwise a PRIVATE instance under .devstack/ on a free port, installing
#      the distribution package first if needed (root only).
# DEVSTACK_FORCE_PRIVATE=1 skips 1 and 2, so the private path can be exercised
# without touching the shared services on the standard ports.
#
# stdout carries only machine-readable output (export lines / a path); human
# messages go to stderr. The export lines are also written to .devstack/env.
set -euo pipefail

PROJECT="${PROJECT:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}"
STATE="${DEVSTACK_DIR:-$PROJECT/.devstack}"
PG_DIR="$STATE/postgres"       # owned by the postgres user when we run as root
PG_DATA="$PG_DIR/data"
PG_SOCK="$PG_DIR/run"
PG_LOG="$PG_DIR/postgres.log"
REDIS_DIR="$STATE/redis"
REDIS_PIDFILE="$REDIS_DIR/redis.pid"
REDIS_LOG="$REDIS_DIR/redis.log"
PG_PORT_BASE=55432
REDIS_PORT_BASE=56379

log() { printf 'devstack: %s\n' "$*" >&2; }
die() { printf 'devstack: error: %s\n' "$*" >&2; exit 1; }
is_root() { [[ $(id -u) -eq 0 ]]; }
have() { command -v "$1" >/dev/null 2>&1; }

# Path for messages: relative to the project when inside it.
pretty() { local p=$1; [[ $p == "$PROJECT/"* ]] && p=${p#"$PROJECT/"}; printf '%s' "$p"; }

# Single-quote a value so the export lines are safe to `source` or `eval`.
shquote() { local s=${1//\'/\'\\\'\'}; printf "'%s'" "$s"; }

# TCP probe without external tools; connection refused on loopback is instant,
# `timeout` only guards against a firewall silently dropping packets.
port_open() {
  local port=$1
  if have timeout; then
    timeout 1 bash -c "exec 3<>/dev/tcp/127.0.0.1/$port" 2>/dev/null
  else
    (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null
  fi
}

# First port >= $1 on which nothing listens.
free_port() {
  local port=$1 last=$(($1 + 200))
  while ((port < last)); do
    port_open "$port" || { echo "$port"; return 0; }
    port=$((port + 1))
  done
  die "no free port in $1..$last"
}

pg_answers() {
  if have pg_isready; then
    pg_isready -q -h 127.0.0.1 -p "$1" -t 2
  else
    port_open "$1"
  fi
}

redis_answers() {
  if have redis-cli; then
    [[ $(redis-cli -h 127.0.0.1 -p "$1" ping 2>/dev/null) == PONG ]]
  else
    port_open "$1"
  fi
}

pid_alive() { [[ -n ${1:-} ]] && kill -0 "$1" 2>/dev/null; }

# --- apt ---------------------------------------------------------------------

# Another apt/dpkg run (e.g. a background Chromium install) holds the locks;
# wait for it instead of failing. DPkg::Lock::Timeout covers the remaining race.
wait_for_apt() {
  local waited=0
  have pgrep || return 0
  while pgrep -x apt-get >/dev/null || pgrep -x apt >/dev/null ||
    pgrep -x dpkg >/dev/null || pgrep -x unattended-upgr >/dev/null; do
    ((waited == 0)) && log "waiting for another apt/dpkg process to finish..."
    ((waited >= 900)) && die "apt/dpkg still busy after ${waited}s"
    sleep 3
    waited=$((waited + 3))
  done
}

apt_install() {
  have apt-get || die "no apt-get: install $* with your package manager"
  wait_for_apt
  log "installing $* (apt-get)..."
  local opts=(-o DPkg::Lock::Timeout=600 -q)
  apt-get "${opts[@]}" update >&2
  DEBIAN_FRONTEND=noninteractive apt-get "${opts[@]}" install -y "$@" >&2
}

# --- Postgres ----------------------------------------------------------------

# Directory holding initdb/pg_ctl: the version of an existing cluster if any,
# else the newest /usr/lib/postgresql/*/bin, else PATH.
pg_bindir() {
  local ver d
  if [[ -r $PG_DATA/PG_VERSION ]]; then
    ver=$(<"$PG_DATA/PG_VERSION")
    [[ -x /usr/lib/postgresql/$ver/bin/pg_ctl ]] && { echo "/usr/lib/postgresql/$ver/bin"; return 0; }
  fi
  d=$(find /usr/lib/postgresql -mindepth 3 -maxdepth 3 -path '*/bin/initdb' 2>/dev/null | sort -V | tail -n1)
  [[ -n $d ]] && { dirname "$d"; return 0; }
  if have initdb && have pg_ctl; then
    dirname "$(command -v pg_ctl)"
    return 0
  fi
  return 1
}

# initdb and postgres refuse to run as root: use the postgres system user.
# cd / so the postgres user never inherits an unreadable working directory.
as_pg() {
  if is_root; then
    (cd / && runuser -u postgres -- "$@")
  else
    "$@"
  fi
}

# Port of our private postmaster if it is running and answering, else fails.
pg_private_port() {
  local pidfile=$PG_DATA/postmaster.pid pid port
  [[ -r $pidfile ]] || return 1
  { read -r pid; read -r _; read -r _; read -r port; } <"$pidfile" || return 1
  pid_alive "$pid" && pg_answers "$port" && echo "$port"
}

pg_private() {
  local bin port installed=""
  if port=$(pg_private_port); then
    log "using the private Postgres on port $port under $(pretty "$PG_DIR")/ (already running)"
    PG_URL="postgres://postgres@127.0.0.1:$port/postgres?sslmode=disable"
    return 0
  fi

  if ! bin=$(pg_bindir); then
    is_root || die "Postgres is not running and not installed: run 'sudo apt-get install -y postgresql' (or set DATABASE_URL)"
    apt_install postgresql
    installed="installed postgresql and "
    bin=$(pg_bindir) || die "postgresql installed but initdb not found"
  fi

  mkdir -p "$STATE"
  if is_root; then
    getent passwd postgres >/dev/null || die "no 'postgres' system user to run initdb as (apt-get install postgresql creates it)"
    mkdir -p "$PG_DIR"
    chown postgres: "$PG_DIR"
    as_pg test -w "$PG_DIR" ||
      die "the postgres user cannot write $PG_DIR (a parent directory is not traversable); set DEVSTACK_DIR to e.g. /tmp/switchboard-devstack"
  fi
  as_pg mkdir -p "$PG_SOCK"

  if [[ ! -s $PG_DATA/PG_VERSION ]]; then
    log "initialising a private cluster in $(pretty "$PG_DATA")..."
    as_pg rm -rf "$PG_DATA"
    as_pg "$bin/initdb" -D "$PG_DATA" --auth=trust -U postgres -E UTF8 --locale=C.UTF-8 >"$STATE/initdb.log" 2>&1 ||
      as_pg "$bin/initdb" -D "$PG_DATA" --auth=trust -U postgres -E UTF8 --no-locale >"$STATE/initdb.log" 2>&1 ||
      die "initdb failed, see $(pretty "$STATE")/initdb.log"
    # Unix socket paths are limited to 107 bytes; fall back to TCP only.
    local sockdir=$PG_SOCK
    ((${#PG_SOCK} > 90)) && sockdir=""
    # Dev/test only: durability off for speed, loopback only.
    cat >>"$PG_DATA/postgresql.conf" <<EOF

# --- devstack.sh (private development instance) ---
listen_addresses = '127.0.0.1'
unix_socket_directories = '$sockdir'
fsync = off
synchronous_commit = off
full_page_writes = off
max_connections = 200
EOF
  fi

  # Keep the previous port when it is still free, so URLs stay stable.
  port=""
  [[ -r $PG_DIR/port ]] && port=$(<"$PG_DIR/port")
  if [[ -z $port ]] || port_open "$port"; then
    port=$(free_port "$PG_PORT_BASE")
  fi
  # After a crash the old backends may take a moment to exit and release the
  # data directory, so retry a couple of times before giving up.
  local attempt
  for attempt in 1 2 3; do
    as_pg "$bin/pg_ctl" -D "$PG_DATA" -l "$PG_LOG" -w -t 60 -o "-p $port" start >/dev/null && break
    ((attempt == 3)) && die "Postgres failed to start, see $(pretty "$PG_LOG")"
    sleep 2
  done
  echo "$port" >"$PG_DIR/port"
  log "${installed}started a private Postgres on port $port under $(pretty "$PG_DIR")/"
  PG_URL="postgres://postgres@127.0.0.1:$port/postgres?sslmode=disable"
}

pg_stop() {
  local bin
  # pg_ctl status also catches a stale postmaster.pid left by a crash/reboot.
  if [[ -r $PG_DATA/PG_VERSION ]] && bin=$(pg_bindir) &&
    as_pg "$bin/pg_ctl" -D "$PG_DATA" status >/dev/null 2>&1; then
    as_pg "$bin/pg_ctl" -D "$PG_DATA" -m fast -w -t 30 stop >/dev/null
    log "stopped the private Postgres under $(pretty "$PG_DIR")/"
  else
    log "private Postgres not running"
  fi
}

# --- Redis -------------------------------------------------------------------

redis_private_port() {
  local pid port
  [[ -r $REDIS_PIDFILE && -r $REDIS_DIR/port ]] || return 1
  pid=$(<"$REDIS_PIDFILE")
  port=$(<"$REDIS_DIR/port")
  pid_alive "$pid" && redis_answers "$port" && echo "$port"
}

redis_private() {
  local port installed="" i
  if port=$(redis_private_port); then
    log "using the private Redis on port $port under $(pretty "$REDIS_DIR")/ (already running)"
    REDIS_URL_OUT="redis://127.0.0.1:$port/0"
    return 0
  fi

  if ! have redis-server; then
    is_root || die "Redis is not running and not installed: run 'sudo apt-get install -y redis-server' (or set REDIS_URL)"
    apt_install redis-server
    installed="installed redis-server and "
    have redis-server || die "redis-server installed but not on PATH"
  fi

  mkdir -p "$REDIS_DIR"
  port=""
  [[ -r $REDIS_DIR/port ]] && port=$(<"$REDIS_DIR/port")
  if [[ -z $port ]] || port_open "$port"; then
    port=$(free_port "$REDIS_PORT_BASE")
  fi
  rm -f "$REDIS_PIDFILE"
  # Pure cache for dev/tests: no persistence, loopback only.
  redis-server --port "$port" --bind 127.0.0.1 --daemonize yes \
    --save "" --appendonly no --dir "$REDIS_DIR" \
    --logfile "$REDIS_LOG" --pidfile "$REDIS_PIDFILE" >/dev/null ||
    die "redis-server failed to start, see $(pretty "$REDIS_LOG")"
  for ((i = 0; i < 50; i++)); do
    redis_answers "$port" && break
    sleep 0.1
  done
  redis_answers "$port" || die "Redis did not come up on port $port, see $(pretty "$REDIS_LOG")"
  echo "$port" >"$REDIS_DIR/port"
  log "${installed}started a private Redis on port $port under $(pretty "$REDIS_DIR")/"
  REDIS_URL_OUT="redis://127.0.0.1:$port/0"
}

redis_stop() {
  local pid="" i
  [[ -r $REDIS_PIDFILE ]] && pid=$(<"$REDIS_PIDFILE")
  if pid_alive "$pid"; then
    # Only the pid recorded under .devstack/, never anything else.
    kill "$pid"
    for ((i = 0; i < 50; i++)); do pid_alive "$pid" || break; sleep 0.1; done
    pid_alive "$pid" && die "Redis (pid $pid) did not stop"
    log "stopped the private Redis under $(pretty "$REDIS_DIR")/"
  else
    log "private Redis not running"
  fi
  rm -f "$REDIS_PIDFILE"
}

# --- commands ----------------------------------------------------------------

cmd_up() {
  local force=${DEVSTACK_FORCE_PRIVATE:-0}
  PG_URL="" REDIS_URL_OUT=""
  if [[ $force != 1 && -n ${DATABASE_URL:-} ]]; then
    PG_URL=$DATABASE_URL
    log "using DATABASE_URL from the environment"
  elif [[ $force != 1 ]] && pg_answers 5432; then
    PG_URL="postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable"
    log "using Postgres at 127.0.0.1:5432"
  else
    pg_private
  fi

  if [[ $force != 1 && -n ${REDIS_URL:-} ]]; then
    REDIS_URL_OUT=$REDIS_URL
    log "using REDIS_URL from the environment"
  elif [[ $force != 1 ]] && redis_answers 6379; then
    REDIS_URL_OUT="redis://127.0.0.1:6379/0"
    log "using Redis at 127.0.0.1:6379"
  else
    redis_private
  fi

  local out
  out="export DATABASE_URL=$(shquote "$PG_URL")
export REDIS_URL=$(shquote "$REDIS_URL_OUT")"
  mkdir -p "$STATE"
  # Atomic replace so a concurrent reader never sees half a file.
  printf '%s\n' "$out" >"$STATE/env.tmp.$$"
  mv -f "$STATE/env.tmp.$$" "$STATE/env"
  printf '%s\n' "$out"
}

cmd_stop() {
  pg_stop
  redis_stop
  rm -f "$STATE/env"  # it would point at stopped instances
}

cmd_chromium() {
  local c
  if [[ -n ${CHROMIUM_PATH:-} && -x $CHROMIUM_PATH ]]; then
    echo "$CHROMIUM_PATH"
    return 0
  fi
  wait_chromium_install
  for c in chromium /usr/bin/chromium chromium-browser google-chrome-stable google-chrome; do
    if have "$c"; then command -v "$c"; return 0; fi
  done
  if is_root && [[ -r /etc/debian_version ]]; then
    apt_install chromium
    have chromium && { command -v chromium; return 0; }
    die "apt-get install chromium finished but no chromium binary found"
  fi
  die "Chromium not found: run 'sudo apt-get install -y chromium' (or set CHROMIUM_PATH)"
}

# A background apt run may be installing Chromium right now; if one is in
# progress, let it finish before deciding the binary is missing.
wait_chromium_install() {
  have chromium && return 0
  have pgrep || return 0
  if pgrep -x apt-get >/dev/null || pgrep -x dpkg >/dev/null || pgrep -x apt >/dev/null; then
    wait_for_apt
  fi
}

main() {
  local cmd=${1:-up}
  case $cmd in
    up | "") ;;
    chromium) cmd_chromium; return ;;
    stop) ;;
    -h | --help | help) awk 'NR > 1 && !/^#/ { exit } NR > 1 { sub(/^# ?/, ""); print }' "${BASH_SOURCE[0]}"; return ;;
    *) die "unknown command '$cmd' (expected: up, chromium, stop)" ;;
  esac

  # Serialise concurrent runs (two `make test` at once) around initdb/start.
  # Re-exec under `flock -o`: the lock fd must not leak into the daemons we
  # start (postgres, redis-server), or they would hold the lock forever.
  mkdir -p "$STATE"
  if [[ -z ${DEVSTACK_LOCKED:-} ]] && have flock; then
    exec env DEVSTACK_LOCKED=1 flock -o "$STATE/lock" bash "${BASH_SOURCE[0]}" "$@"
  fi
  if [[ $cmd == stop ]]; then cmd_stop; else cmd_up; fi
}

main "$@"
