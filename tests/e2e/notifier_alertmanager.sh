#!/usr/bin/env bash
# e2e: notifier::Manager delivers alerts to a real Prometheus Alertmanager
# (Debian prometheus-alertmanager, 0.25 on bookworm) over its API v2.
#
#   * the testbed starts Alertmanager on 127.0.0.1 (a free port);
#   * notifier_test's AlertmanagerIntegrationTest (skipped unless
#     VIGIL_TEST_ALERTMANAGER_URL is set) sends a firing and a resolved
#     alert through a Manager with external labels, waits until both are
#     counted as sent, and reads them back with GET /api/v2/alerts;
#   * this script then checks Alertmanager's own view again with curl: the
#     firing alert is listed, active, with its labels (the external label
#     included) and annotations; the resolved one is not listed.
#
# Environment: NOTIFIER_TEST (default REPO/build/bin/notifier_test) and
# TESTBED (see lib.sh); ctest sets both.
# Exit 0 pass, 1 fail, 77 skip (no curl, no testbed, or Alertmanager could
# not be installed or started).
set -uo pipefail
. "$(dirname "$0")/lib.sh"

NOTIFIER_TEST="${NOTIFIER_TEST:-$REPO/build/bin/notifier_test}"
[ -x "$NOTIFIER_TEST" ] || die "notifier_test not found at $NOTIFIER_TEST (build target notifier_test)"
command -v curl >/dev/null 2>&1 || skip "curl is not installed"
[ -x "$TESTBED/start-alertmanager.sh" ] || skip "testbed not found at $TESTBED"

if ! am_env="$("$TESTBED/start-alertmanager.sh" 2>"$E2E_TMP/start-alertmanager.log")"; then
  tail -n 20 "$E2E_TMP/start-alertmanager.log" >&2
  skip "could not install or start Alertmanager (Debian package prometheus-alertmanager)"
fi
eval "$am_env"
on_exit "$(printf '%q %q %q >/dev/null 2>&1' "$TESTBED/stop.sh" "$ALERTMANAGER_PID" "$ALERTMANAGER_DIR")"
log "Alertmanager $(prometheus-alertmanager --version 2>&1 | head -n 1 | awk '{print $3}') (PID $ALERTMANAGER_PID) on $ALERTMANAGER_URL"

run_id="e2e-$$-$(date +%s)"

# 1. The C++ side: send through notifier::Manager, read back.
if VIGIL_TEST_ALERTMANAGER_URL="$ALERTMANAGER_URL" VIGIL_TEST_RUN_ID="$run_id" \
    "$NOTIFIER_TEST" --gtest_filter='AlertmanagerIntegrationTest.*' \
    >"$E2E_TMP/gtest.log" 2>&1; then
  if grep -q '^\[  SKIPPED \]' "$E2E_TMP/gtest.log" ||
     ! grep -q '^\[  PASSED  \] 1 test' "$E2E_TMP/gtest.log"; then
    fail "AlertmanagerIntegrationTest did not run:"
    cat "$E2E_TMP/gtest.log" >&2
  else
    pass "AlertmanagerIntegrationTest passed (Manager -> Alertmanager -> GET /api/v2/alerts)"
  fi
else
  fail "AlertmanagerIntegrationTest failed:"
  cat "$E2E_TMP/gtest.log" >&2
fi

# 2. Alertmanager's own view, independently of vigil's HTTP client.
code="$(http_code "$ALERTMANAGER_URL/api/v2/alerts" -o "$E2E_TMP/alerts.json" -G \
  --data-urlencode "filter=vigil_run=\"$run_id\"")"
if [ "$code" != 200 ]; then
  fail "GET /api/v2/alerts answered $code"
elif "$PY" - "$E2E_TMP/alerts.json" "$run_id" <<'PY'; then
import json, sys
alerts = json.load(open(sys.argv[1]))
run = sys.argv[2]
errors = []
firing = [a for a in alerts if a["labels"].get("alertname") == "VigilNotifierFiring"]
resolved = [a for a in alerts if a["labels"].get("alertname") == "VigilNotifierResolved"]
if len(firing) != 1:
    errors.append("want exactly one VigilNotifierFiring, got %d" % len(firing))
else:
    a = firing[0]
    want_labels = {"alertname": "VigilNotifierFiring", "cluster": "e2e",
                   "severity": "page", "vigil_run": run}
    if a["labels"] != want_labels:
        errors.append("labels %r, want %r" % (a["labels"], want_labels))
    want_ann = {"summary": "p99 latency above 2s",
                "runbook_url": "http://127.0.0.1/rb"}
    if a["annotations"] != want_ann:
        errors.append("annotations %r, want %r" % (a["annotations"], want_ann))
    if a["status"]["state"] != "active":
        errors.append("state %r, want active" % a["status"]["state"])
    if a.get("generatorURL") != "http://127.0.0.1:9090/graph?g0.expr=up":
        errors.append("generatorURL %r" % a.get("generatorURL"))
if resolved:
    errors.append("the resolved alert is listed: %r" % resolved)
for e in errors:
    print(e, file=sys.stderr)
sys.exit(1 if errors else 0)
PY
  pass "Alertmanager lists the firing alert (labels, annotations, active) and not the resolved one"
else
  fail "Alertmanager's GET /api/v2/alerts does not show what was sent:"
  cat "$E2E_TMP/alerts.json" >&2
  echo >&2
fi

finish
