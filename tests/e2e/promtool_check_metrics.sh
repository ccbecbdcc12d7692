#!/usr/bin/env bash
# e2e: vigil's /metrics output is valid for Prometheus' own checker, and the
# exporter's HTTP behaviour matches its contract.
#
# For fixed_exporter (tests/e2e/fixed_exporter.cc) and `vigil demo`:
#   * GET /metrics (text 0.0.4): 200, text/plain; version=0.0.4, and
#     `promtool check metrics` reports no problem at all (no parse error, no
#     lint finding), exit status 0;
#   * GET /metrics with Accept: application/openmetrics-text;version=1.0.0:
#     200, Content-Type application/openmetrics-text; version=1.0.0, body
#     ending in the "# EOF" line;
#   * POST /metrics: 405 with Allow: GET;
#   * POST /metrics with twice the body limit (64 KiB for the exporter,
#     16 MiB for the demo's daemon): 413;
#   * the exporter still serves after all that.
# For fixed_exporter also: the text body carries the known values verbatim.
#
# Exit 0 pass, 1 fail, 77 skip (promtool not installed; the HTTP checks
# still run first and still fail the test if they fail).
set -uo pipefail
. "$(dirname "$0")/lib.sh"

command -v curl >/dev/null 2>&1 || skip "curl is not installed"
have_promtool=1
command -v promtool >/dev/null 2>&1 || have_promtool=0

# check_endpoint NAME BASE_URL [BODY_LIMIT_BYTES [LINT_ALLOWED_REGEX]]
check_endpoint() {
  local name="$1" url="$2" f="$E2E_TMP/$1" code ctype
  local limit="${3:-65536}" allowed="${4:-}"

  # Prometheus text format 0.0.4.
  code="$(http_code "$url/metrics" -D "$f.text.headers" -o "$f.text")"
  if [ "$code" != 200 ]; then
    fail "$name: GET /metrics answered $code, want 200"
    return
  fi
  ctype="$(grep -i '^content-type:' "$f.text.headers" | tr -d '\r' | cut -d: -f2- | sed 's/^ *//')"
  case "$ctype" in
    "text/plain; version=0.0.4"*) pass "$name: text Content-Type $ctype" ;;
    *) fail "$name: text Content-Type is \"$ctype\", want text/plain; version=0.0.4" ;;
  esac
  [ -s "$f.text" ] || fail "$name: empty /metrics body"
  if [ "$have_promtool" = 1 ]; then
    local out rc
    out="$(promtool check metrics <"$f.text" 2>&1)"
    rc=$?
    if [ -n "$allowed" ] && [ "$rc" -eq 3 ]; then
      # Lint findings on names kept for compatibility (exit 3: lint only).
      out="$(printf '%s\n' "$out" | grep -v -E "$allowed" | sed '/^$/d')"
      [ -z "$out" ] && rc=0
    fi
    if [ "$rc" -eq 0 ] && [ -z "$out" ]; then
      pass "$name: promtool check metrics: no problems ($(grep -vc '^#' "$f.text") samples)"
    else
      fail "$name: promtool check metrics exited $rc and reported:"
      printf '%s\n' "$out" | sed 's/^/    /' >&2
    fi
  fi

  # OpenMetrics 1.0.0 negotiation.
  code="$(http_code "$url/metrics" -D "$f.om.headers" -o "$f.om" \
    -H 'Accept: application/openmetrics-text;version=1.0.0')"
  if [ "$code" != 200 ]; then
    fail "$name: OpenMetrics GET /metrics answered $code, want 200"
  else
    ctype="$(grep -i '^content-type:' "$f.om.headers" | tr -d '\r' | cut -d: -f2- | sed 's/^ *//')"
    case "$ctype" in
      application/openmetrics-text*) pass "$name: OpenMetrics Content-Type $ctype" ;;
      *) fail "$name: OpenMetrics Content-Type is \"$ctype\", want application/openmetrics-text" ;;
    esac
    # The body must end with the "# EOF" line (optionally followed by one LF)
    # and hold it exactly once.
    if "$PY" - "$f.om" <<'PY'; then
import sys
b = open(sys.argv[1], "rb").read()
if b.endswith(b"\n"):
    b = b[:-1]
lines = b.split(b"\n")
ok = lines[-1] == b"# EOF" and lines.count(b"# EOF") == 1
sys.exit(0 if ok else 1)
PY
      pass "$name: OpenMetrics body ends with # EOF"
    else
      fail "$name: OpenMetrics body does not end with a single \"# EOF\" line; its tail:"
      tail -c 200 "$f.om" | od -c | tail -n 5 >&2
    fi
  fi

  # Wrong method.
  code="$(http_code "$url/metrics" -D "$f.post.headers" -X POST --data 'x=1')"
  if [ "$code" = 405 ]; then
    if grep -qi '^allow:.*GET' "$f.post.headers"; then
      pass "$name: POST /metrics -> 405, Allow: GET"
    else
      fail "$name: POST /metrics -> 405 without an Allow header naming GET"
    fi
  else
    fail "$name: POST /metrics answered $code, want 405"
  fi

  # Oversized body (twice the limit). "Expect:" keeps curl from waiting for
  # 100-continue; the server must answer either way.
  head -c $((2 * limit)) /dev/zero | tr '\0' 'x' >"$E2E_TMP/big.body"
  code="$(http_code "$url/metrics" -X POST -H 'Expect:' -H 'Content-Type: text/plain' \
    --data-binary "@$E2E_TMP/big.body")"
  if [ "$code" = 413 ]; then
    pass "$name: $((2 * limit / 1024)) KiB POST body -> 413"
  else
    fail "$name: $((2 * limit / 1024)) KiB POST body answered $code, want 413"
  fi

  # Still serving.
  code="$(http_code "$url/metrics")"
  if [ "$code" = 200 ]; then
    pass "$name: still serving after the bad requests"
  else
    fail "$name: GET /metrics after the bad requests answered $code"
  fi
}

start_fixed_exporter
check_endpoint fixed_exporter "$FIXED_URL"

# The fixed values, exactly as the text format must carry them.
expect_line() {
  if grep -qxF -- "$1" "$E2E_TMP/fixed_exporter.text"; then
    pass "fixed_exporter: has line: $1"
  else
    fail "fixed_exporter: missing line: $1"
  fi
}
expect_line 'e2e_requests_total{model="a"} 42'
expect_line 'e2e_requests_total{model="b"} 7.5'
expect_line 'e2e_temperature_celsius{sensor="quote\"back\\slash\nnewline"} 1'
expect_line 'e2e_temperature_celsius{sensor="inf"} +Inf'
expect_line 'e2e_latency_seconds_bucket{le="0.5"} 7'
expect_line 'e2e_latency_seconds_bucket{le="+Inf"} 10'
expect_line 'e2e_latency_seconds_count 10'

start_vigil_demo
sleep 1  # let the simulated workers fill the families
# The demo serves vigil's own registry: the daemon's 16 MiB request limit, and
# node_exporter's memory names (node_memory_MemTotal_bytes, ...), which
# promtool's linter calls camelCase but which dashboards expect verbatim.
check_endpoint vigil_demo "$DEMO_URL" $((16 << 20)) \
  "^node_memory_(MemTotal|MemFree|MemAvailable|Buffers|Cached)_bytes metric names should be written in 'snake_case' not 'camelCase'$"

if [ "$E2E_FAILS" -eq 0 ] && [ "$have_promtool" = 0 ]; then
  skip "promtool is not installed (Debian package \"prometheus\"); HTTP checks passed, exposition not validated"
fi
finish
