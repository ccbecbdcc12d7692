#!/usr/bin/env bash
# `vigil demo`, the README's main job: within two minutes the seeds' alerts
# fire (latency, error rate, bottleneck, slow extraction, log pattern, SLO
# burn), the anomaly rules flag anomalies, the alerts reach the
# log receiver, the UI answers on the listen address, and SIGTERM stops it
# with exit 0.
set -euo pipefail
source "$(dirname "$0")/lib.sh"

port="$(free_port)"
dir="$E2E_TMP/demo"
mkdir -p "$dir"
"$VIGIL_BIN" demo --listen "127.0.0.1:$port" --dir "$dir" >"$E2E_TMP/demo.out" 2>"$E2E_TMP/demo.err" &
pid=$!
E2E_PIDS+=("$pid")
wait_http "http://127.0.0.1:$port/ready" 20 "$pid" || die "vigil demo did not start: $(tail -5 "$E2E_TMP/demo.err")"
pass "demo serving on 127.0.0.1:$port"
grep -q "UI          http://127.0.0.1:$port/" "$E2E_TMP/demo.out" && pass "prints the UI address" \
  || fail "no UI address printed: $(cat "$E2E_TMP/demo.out")"

want=(HighInferenceLatency HighErrorRate DualEncoderBottleneck SlowFeatureExtraction
      ServiceErrorLogs FramesAvailabilityBudgetBurn)
start=$(date +%s)
firing=""
anomalies=""
while (( $(date +%s) - start < 125 )); do
  alerts="$(curl -fsS "http://127.0.0.1:$port/api/v2/alerts" || true)"
  # Alerts seen so far (an incident's alert resolves when it ends).
  firing="$("$PY" -c 'import json,sys
try: d=json.loads(sys.argv[1])
except Exception: d=[]
seen=set(sys.argv[2].split())
print(" ".join(sorted(seen | {a["labels"]["alertname"] for a in d})))' "$alerts" "$firing")"
  anomalies="$(curl -fsS "http://127.0.0.1:$port/api/v1/query" \
    --data-urlencode 'query=count by (anomaly, severity) (max_over_time(vigil_anomaly[5m]))' || true)"
  missing=0
  for a in "${want[@]}"; do [[ " $firing " == *" $a "* ]] || missing=1; done
  if (( missing == 0 )) && grep -q '"result":\[{' <<<"$anomalies"; then break; fi
  sleep 5
done
elapsed=$(( $(date +%s) - start ))
for a in "${want[@]}"; do
  [[ " $firing " == *" $a "* ]] && pass "$a reached the alert manager (${elapsed}s)" \
    || fail "$a did not fire within ${elapsed}s (seen: $firing)"
done
grep -q '"result":\[{' <<<"$anomalies" && pass "anomalies recorded: $anomalies" \
  || fail "no anomaly: $anomalies"
grep -q 'integration=log receiver=log status=firing' "$E2E_TMP/demo.err" \
  && pass "alerts delivered to the log receiver" || fail "no log receiver delivery in stderr"
page="$(curl -fsS "http://127.0.0.1:$port/" || true)"
grep -qi '<html' <<<"$page" && pass "the UI answers at /" || fail "no UI page at /"
for f in vigil.yml rules/demo.rules.yml slo.yml alertmanager.yml service.log; do
  [[ -s "$dir/$f" ]] || fail "demo file $f missing or empty"
done
out="$("$VIGIL_BIN" check config "$dir/vigil.yml" 2>&1)" \
  && pass "the demo's configuration passes vigil check config" \
  || fail "vigil check config: $out"

out="$("$VIGIL_BIN" query --url "http://127.0.0.1:$port" 'up{job="inference"}' 2>&1)" \
  && grep -q 'up{instance="demo", job="inference"} => 1 @' <<<"$out" \
  && pass "vigil query reads the demo's API" || fail "vigil query: $out"
rc=0
out="$("$VIGIL_BIN" query --url "http://127.0.0.1:$port" 'sum(up' 2>&1)" || rc=$?
[[ "$rc" == 1 ]] && grep -q 'bad_data: .*1:7: parse error' <<<"$out" \
  && pass "vigil query reports the position of a parse error" || fail "bad query: rc=$rc $out"

kill -TERM "$pid"
rc=0
wait "$pid" || rc=$?
[[ "$rc" == 0 ]] && pass "SIGTERM: exit 0" || fail "exit status $rc after SIGTERM"
grep -q 'storage closed' "$E2E_TMP/demo.err" && pass "storage closed on the way out" \
  || fail "no clean storage close logged"
finish
