# shellcheck shell=bash
# Shared helpers for the e2e tests in this directory. Source it; do not run it.
#
# Environment (ctest sets all three; the defaults suit a checkout built in
# build/ with the testbed at ../shared/testbed, as in CI):
#   VIGIL_BIN       the vigil binary             (default REPO/build/bin/vigil)
#   FIXED_EXPORTER  tests/e2e/fixed_exporter.cc  (default REPO/build/bin/fixed_exporter)
#   TESTBED         the testbed scripts          (default REPO/../shared/testbed)
#
# Everything listens on and talks to 127.0.0.1 only. Background servers write
# their output to files under E2E_TMP (never to the test's stdout/stderr, which
# ctest would otherwise keep waiting on) and are stopped by PID on exit.

E2E_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO="$(cd "$E2E_DIR/../.." && pwd)"
VIGIL_BIN="${VIGIL_BIN:-$REPO/build/bin/vigil}"
FIXED_EXPORTER="${FIXED_EXPORTER:-$REPO/build/bin/fixed_exporter}"
TESTBED="${TESTBED:-$REPO/../shared/testbed}"
PY=/usr/bin/python3
[ -x "$PY" ] || PY="$(command -v python3)"

E2E_NAME="$(basename "$0" .sh)"
E2E_TMP="$(mktemp -d "${TMPDIR:-/tmp}/vigil-e2e-$E2E_NAME.XXXXXX")"
E2E_FAILS=0
E2E_PIDS=()       # our own children, stopped (TERM, then KILL) on exit
E2E_CLEANUP=()    # commands run on exit (eval'd), e.g. testbed stop.sh; see on_exit

log() { printf '[%s] %s\n' "$E2E_NAME" "$*" >&2; }
pass() { printf '[%s] ok: %s\n' "$E2E_NAME" "$*" >&2; }
fail() {
  printf '[%s] FAIL: %s\n' "$E2E_NAME" "$*" >&2
  E2E_FAILS=$((E2E_FAILS + 1))
}
die() {
  printf '[%s] FAIL: %s\n' "$E2E_NAME" "$*" >&2
  exit 1
}
skip() {
  printf '[%s] SKIP: %s\n' "$E2E_NAME" "$*" >&2
  exit 77
}
# Exit status for the end of a test: 1 if anything failed.
finish() {
  if [ "$E2E_FAILS" -gt 0 ]; then
    log "$E2E_FAILS check(s) failed"
    exit 1
  fi
  log "all checks passed"
  exit 0
}

_e2e_alive() {
  local st
  st="$(ps -o stat= -p "$1" 2>/dev/null)" || return 1
  [ -n "$st" ] && [[ "$st" != Z* ]]
}

# Stop one of our children: TERM, then KILL after 5 s; reap it.
stop_pid() {
  local pid="$1" i=0
  _e2e_alive "$pid" || { wait "$pid" 2>/dev/null || true; return 0; }
  kill -TERM "$pid" 2>/dev/null || true
  while _e2e_alive "$pid" && [ "$i" -lt 50 ]; do sleep 0.1; i=$((i + 1)); done
  if _e2e_alive "$pid"; then
    log "PID $pid ignored SIGTERM; killing it"
    kill -KILL "$pid" 2>/dev/null || true
  fi
  wait "$pid" 2>/dev/null || true
}

_e2e_cleanup() {
  local rc=$? c pid
  trap - EXIT INT TERM
  for c in "${E2E_CLEANUP[@]+"${E2E_CLEANUP[@]}"}"; do eval "$c" || true; done
  for pid in "${E2E_PIDS[@]+"${E2E_PIDS[@]}"}"; do stop_pid "$pid"; done
  if [ "$rc" -ne 0 ] && [ "$rc" -ne 77 ]; then
    # Show what the servers said before the evidence goes away.
    local f
    for f in "$E2E_TMP"/*.log; do
      [ -s "$f" ] || continue
      log "--- last lines of $(basename "$f") ---"
      tail -n 20 "$f" >&2
    done
  fi
  if [ "${E2E_KEEP:-0}" = 1 ]; then
    log "kept $E2E_TMP"
  else
    rm -rf -- "$E2E_TMP"
  fi
  exit "$rc"
}
trap _e2e_cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# on_exit CMD: run CMD (a shell command line) when the test ends, and also if
# it is killed outright (SIGKILL from a ctest timeout): a watchdog process
# polls this shell once a second and runs the same commands when it is gone.
on_exit() {
  E2E_CLEANUP+=("$1")
  printf '%s\n' "$1" >>"$E2E_TMP/on-abort.sh"
}
(
  trap - EXIT INT TERM
  exec 8>&-
  while kill -0 "$$" 2>/dev/null; do sleep 1; done
  [ -f "$E2E_TMP/on-abort.sh" ] && bash "$E2E_TMP/on-abort.sh"
  [ "${E2E_KEEP:-0}" = 1 ] || rm -rf -- "$E2E_TMP"
) </dev/null >/dev/null 2>&1 &
E2E_PIDS+=("$!")

# A free TCP port on 127.0.0.1 (the kernel's pick for port 0).
free_port() {
  "$PY" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()'
}

# http_code URL [curl args...]: print the HTTP status ("000" if none); the
# body goes to /dev/null unless the args hold "-o FILE".
http_code() {
  local url="$1" a out=/dev/null; shift
  local args=()
  while [ "$#" -gt 0 ]; do
    a="$1"; shift
    if [ "$a" = -o ]; then out="$1"; shift; else args+=("$a"); fi
  done
  curl -sS -o "$out" -w '%{http_code}' --max-time 10 "${args[@]+"${args[@]}"}" "$url" 2>/dev/null || true
}

# wait_http URL TIMEOUT_S PID: wait until URL answers 200 while PID lives.
wait_http() {
  local url="$1" timeout="$2" pid="$3"
  local deadline=$(($(date +%s) + timeout))
  while :; do
    _e2e_alive "$pid" || return 1
    [ "$(http_code "$url")" = 200 ] && return 0
    [ "$(date +%s)" -ge "$deadline" ] && return 1
    sleep 0.1
  done
}

# start_fixed_exporter: start fixed_exporter on a free port. Sets
# FIXED_PID, FIXED_ADDR (host:port), FIXED_URL. Its stdin is a FIFO that only
# this shell holds open (fd 8), so if the test dies however it dies, the
# exporter sees end of file and exits; --duration is a second backstop.
start_fixed_exporter() {
  [ -x "$FIXED_EXPORTER" ] || die "fixed_exporter not found at $FIXED_EXPORTER (build target fixed_exporter)"
  local fifo="$E2E_TMP/fixed_exporter.stdin" attempt port
  [ -p "$fifo" ] || mkfifo "$fifo"
  exec 8<>"$fifo"
  for attempt in 1 2 3; do
    port="$(free_port)"
    "$FIXED_EXPORTER" --listen "127.0.0.1:$port" --duration 110 \
      <"$fifo" >"$E2E_TMP/fixed_exporter.log" 2>&1 8>&- &
    FIXED_PID=$!
    E2E_PIDS+=("$FIXED_PID")
    printf 'kill -TERM %s 2>/dev/null\n' "$FIXED_PID" >>"$E2E_TMP/on-abort.sh"
    if wait_http "http://127.0.0.1:$port/ready" 10 "$FIXED_PID"; then
      FIXED_ADDR="127.0.0.1:$port"
      FIXED_URL="http://$FIXED_ADDR"
      log "fixed_exporter (PID $FIXED_PID) serving on $FIXED_URL"
      return 0
    fi
    log "fixed_exporter did not come up on port $port (attempt $attempt):"
    cat "$E2E_TMP/fixed_exporter.log" >&2
    stop_pid "$FIXED_PID"
  done
  die "could not start fixed_exporter"
}

# start_vigil_demo: start `vigil demo` on a free port. Sets DEMO_PID, DEMO_URL.
start_vigil_demo() {
  [ -x "$VIGIL_BIN" ] || die "vigil binary not found at $VIGIL_BIN (build target vigil)"
  local attempt port
  for attempt in 1 2 3; do
    port="$(free_port)"
    "$VIGIL_BIN" demo --listen "127.0.0.1:$port" --duration 110 \
      </dev/null >"$E2E_TMP/vigil_demo.log" 2>&1 8>&- &
    DEMO_PID=$!
    E2E_PIDS+=("$DEMO_PID")
    printf 'kill -TERM %s 2>/dev/null\n' "$DEMO_PID" >>"$E2E_TMP/on-abort.sh"
    if wait_http "http://127.0.0.1:$port/ready" 10 "$DEMO_PID"; then
      DEMO_URL="http://127.0.0.1:$port"
      log "vigil demo (PID $DEMO_PID) serving on $DEMO_URL"
      return 0
    fi
    log "vigil demo did not come up on port $port (attempt $attempt):"
    cat "$E2E_TMP/vigil_demo.log" >&2
    stop_pid "$DEMO_PID"
  done
  die "could not start vigil demo"
}
