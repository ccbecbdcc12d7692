#!/usr/bin/env bash
# e2e: exporter::Pushgateway and ml::JobTracker against a real Prometheus
# Pushgateway (Debian prometheus-pushgateway, 1.5 on bookworm).
#
#   * the testbed starts the Pushgateway on 127.0.0.1 (a free port);
#   * pushgateway_integration_test (skipped unless VIGIL_TEST_PUSHGATEWAY_URL
#     is set) pushes a JobTracker's metrics at job end, checks PUT/POST/DELETE
#     semantics, base64 grouping values and a refused inconsistent push, each
#     read back from the gateway's /metrics;
#   * this script then runs examples/job_tracker.cc (a completed job, then a
#     failed one, then --delete) and reads the gateway with curl.
#
# Environment: PUSHGATEWAY_TEST, EXAMPLE_JOB_TRACKER (ctest sets both) and
# TESTBED (see lib.sh).
# Exit 0 pass, 1 fail, 77 skip (no curl, no testbed, or the Pushgateway could
# not be installed or started).
set -uo pipefail
. "$(dirname "$0")/lib.sh"

PUSHGATEWAY_TEST="${PUSHGATEWAY_TEST:-$REPO/build/bin/pushgateway_integration_test}"
EXAMPLE_JOB_TRACKER="${EXAMPLE_JOB_TRACKER:-$REPO/build/bin/example_job_tracker}"
[ -x "$PUSHGATEWAY_TEST" ] || die "pushgateway_integration_test not found at $PUSHGATEWAY_TEST"
[ -x "$EXAMPLE_JOB_TRACKER" ] || die "example_job_tracker not found at $EXAMPLE_JOB_TRACKER"
command -v curl >/dev/null 2>&1 || skip "curl is not installed"
[ -x "$TESTBED/start-pushgateway.sh" ] || skip "testbed not found at $TESTBED"

if ! pg_env="$("$TESTBED/start-pushgateway.sh" 2>"$E2E_TMP/start-pushgateway.log")"; then
  tail -n 20 "$E2E_TMP/start-pushgateway.log" >&2
  skip "could not install or start the Pushgateway (Debian package prometheus-pushgateway)"
fi
eval "$pg_env"
on_exit "$(printf '%q %q %q >/dev/null 2>&1' "$TESTBED/stop.sh" "$PUSHGATEWAY_PID" "$PUSHGATEWAY_DIR")"
log "Pushgateway (PID $PUSHGATEWAY_PID) on $PUSHGATEWAY_URL"

run_id="$$_$(date +%s)"

# 1. The C++ side.
if VIGIL_TEST_PUSHGATEWAY_URL="$PUSHGATEWAY_URL" VIGIL_TEST_RUN_ID="$run_id" \
    "$PUSHGATEWAY_TEST" >"$E2E_TMP/gtest.log" 2>&1; then
  if grep -q '^\[  SKIPPED \]' "$E2E_TMP/gtest.log" ||
     ! grep -q '^\[  PASSED  \] 4 tests' "$E2E_TMP/gtest.log"; then
    fail "pushgateway_integration_test did not run all 4 tests:"
    cat "$E2E_TMP/gtest.log" >&2
  else
    pass "pushgateway_integration_test: 4 tests passed against the real gateway"
  fi
else
  fail "pushgateway_integration_test failed:"
  cat "$E2E_TMP/gtest.log" >&2
fi

# 2. The example program, checked with curl.
job="example_$run_id"
scrape() { curl -fsS "$PUSHGATEWAY_URL/metrics" >"$E2E_TMP/metrics.txt" 2>"$E2E_TMP/curl.log"; }
sample() {  # sample NAME LABEL_SUBSTRING...: prints the value of the first matching line
  local name="$1"; shift
  "$PY" - "$E2E_TMP/metrics.txt" "$name" "$@" <<'PY'
import sys
path, name, *subs = sys.argv[1:]
for line in open(path):
    if line.startswith("#") or not line.startswith(name + "{"):
        continue
    if all(s in line for s in subs):
        print(line.rsplit(" ", 1)[1].strip())
        break
PY
}

if "$EXAMPLE_JOB_TRACKER" --pushgateway "$PUSHGATEWAY_URL" --job "$job" --instance w1 \
    --records 10000 --chunk 2500 >"$E2E_TMP/example1.log" 2>&1; then
  scrape || die "GET /metrics failed: $(cat "$E2E_TMP/curl.log")"
  v="$(sample batch_jobs_total "job=\"$job\"" 'instance="w1"' 'status="completed"')"
  r="$(sample batch_job_records_processed_total "job=\"$job\"")"
  c="$(sample batch_job_chunk_duration_seconds_count "job=\"$job\"" 'size="medium"')"
  if [ "$v" = 1 ] && [ "$r" = 10000 ] && [ "$c" = 4 ]; then
    pass "example job: jobs_total{status=completed} 1, 10000 records, 4 medium chunks on the gateway"
  else
    fail "example job: jobs_total=$v records=$r chunks=$c (want 1, 10000, 4)"
    grep "$job" "$E2E_TMP/metrics.txt" >&2
  fi
else
  fail "example_job_tracker failed: $(cat "$E2E_TMP/example1.log")"
fi

# A failed run replaces the group (PUT): only the failed outcome remains.
if "$EXAMPLE_JOB_TRACKER" --pushgateway "$PUSHGATEWAY_URL" --job "$job" --instance w1 \
    --records 100 --chunk 100 --fail >"$E2E_TMP/example2.log" 2>&1; then
  scrape || die "GET /metrics failed"
  f="$(sample batch_jobs_total "job=\"$job\"" 'status="failed"')"
  c="$(sample batch_jobs_total "job=\"$job\"" 'status="completed"')"
  if [ "$f" = 1 ] && [ -z "$c" ]; then
    pass "failed run: jobs_total{status=failed} 1 and the completed series replaced (PUT)"
  else
    fail "failed run: failed=$f completed=$c (want 1 and none)"
  fi
else
  fail "example_job_tracker --fail: $(cat "$E2E_TMP/example2.log")"
fi

if "$EXAMPLE_JOB_TRACKER" --pushgateway "$PUSHGATEWAY_URL" --job "$job" --instance w1 \
    --delete >"$E2E_TMP/example3.log" 2>&1; then
  scrape || die "GET /metrics failed"
  if grep -q "job=\"$job\"" "$E2E_TMP/metrics.txt"; then
    fail "--delete left the group on the gateway"
  else
    pass "--delete removed the group"
  fi
else
  fail "example_job_tracker --delete: $(cat "$E2E_TMP/example3.log")"
fi

# An unreachable gateway: the push fails after its retries, and says so.
if "$EXAMPLE_JOB_TRACKER" --pushgateway "http://127.0.0.1:1" --job "$job" --records 10 \
    >"$E2E_TMP/example4.log" 2>&1; then
  fail "a push to a closed port reported success"
elif grep -q "attempt 3 of 3" "$E2E_TMP/example4.log"; then
  pass "unreachable gateway: exit 1 after 3 attempts"
else
  fail "unreachable gateway: unexpected output: $(cat "$E2E_TMP/example4.log")"
fi

finish
