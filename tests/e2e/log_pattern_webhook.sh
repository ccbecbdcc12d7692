#!/usr/bin/env bash
# Log-pattern alerts end to end: `vigil run` tails a file; error lines
# written to it (some before and some after a rotation) raise an alert that
# the embedded alert manager delivers to a webhook receiver on loopback (the
# testbed's sink). Also: the match counter on /metrics, the JSON log file
# with ECS fields, the SLO file's generated rules loaded by `vigil run`, and
# a restart that resumes the tailed file from its saved offset.
set -euo pipefail
source "$(dirname "$0")/lib.sh"

[ -x "$TESTBED/start-webhook-sink.sh" ] || skip "testbed not found at $TESTBED"
if ! env="$("$TESTBED/start-webhook-sink.sh" 2>"$E2E_TMP/start-webhook.log")"; then
  tail -n 20 "$E2E_TMP/start-webhook.log" >&2
  skip "could not start the webhook sink"
fi
eval "$env"
on_exit "$(printf '%q %q %q >/dev/null 2>&1' "$TESTBED/stop.sh" "$WEBHOOK_PID" "$WEBHOOK_DIR")"

SRC="$(cd "$(dirname "$0")/../.." && pwd)"
mkdir -p "$E2E_TMP/app"
app_log="$E2E_TMP/app/app.log"
echo '{"level":"info","msg":"model loaded"}' >"$app_log"
cp "$SRC/tests/testdata/slo/inference.slo.yml" "$E2E_TMP/inference.slo.yml"
cat >"$E2E_TMP/am.yml" <<YAML
route:
  receiver: hook
  group_by: [alertname]
  group_wait: 1s
  group_interval: 1s
  repeat_interval: 1h
receivers:
  - name: hook
    webhook_configs: [{url: "$WEBHOOK_URL/logs", send_resolved: true}]
YAML
port="$(free_port)"
cat >"$E2E_TMP/vigil.yml" <<YAML
global:
  scrape_interval: 1s
  evaluation_interval: 1s
alertmanager:
  config_file: am.yml
logging:
  level: info
  console: none
  file: {path: logs/vigil.log, max_size: 1MB, max_files: 2}
log_patterns:
  - name: InferenceErrors
    pattern: 'ERROR|FATAL|CUDA error'
    severity: critical
    threshold: 3
    window: 1m
    files: [app/app.log]
    labels: {team: ml}
slo_files: [inference.slo.yml]
YAML
api="http://127.0.0.1:$port"
start_vigil() {
  "$VIGIL_BIN" run --config "$E2E_TMP/vigil.yml" --storage.path "$E2E_TMP/data" \
    --listen "127.0.0.1:$port" --duration 300 >>"$E2E_TMP/vigil.out" 2>&1 &
  vigil_pid=$!
  E2E_PIDS+=("$vigil_pid")
  wait_http "$api/ready" 20 "$vigil_pid" || die "vigil run did not start: $(tail -5 "$E2E_TMP/vigil.out")"
}
start_vigil
sleep 1.5  # the tailer has opened the file (new lines only, as tail -F)

echo 'ERROR inference failed: request 1' >>"$app_log"
echo 'WARN slow batch' >>"$app_log"
echo 'ERROR inference failed: request 2' >>"$app_log"
mv "$app_log" "$app_log.1"                     # rotation
echo 'FATAL CUDA error: device lost' >>"$app_log.1"  # late write to the old file
echo '{"level":"info","msg":"reopened"}' >"$app_log"

deadline=$(($(date +%s) + 30))
body=""
while [ "$(date +%s)" -lt "$deadline" ]; do
  body="$(curl -sS --max-time 5 "$WEBHOOK_URL/received" || true)"
  if printf '%s' "$body" | grep -q '"InferenceErrors"'; then break; fi
  sleep 0.5
done
printf '%s' "$body" >"$E2E_TMP/received.json"
if "$PY" - "$E2E_TMP/received.json" "$app_log" <<'PY'; then
import json, sys
text = open(sys.argv[1]).read().strip()
items = json.loads(text) if text.startswith("[") else [json.loads(l) for l in text.splitlines() if l.strip()]
alerts = []
for it in items:
    body = it.get("body", it)
    if isinstance(body, str):
        body = json.loads(body)
    alerts += body.get("alerts", [])
fire = [a for a in alerts if a["labels"].get("alertname") == "InferenceErrors" and a["status"] == "firing"]
assert fire, "no firing InferenceErrors alert"
a = fire[0]
assert a["labels"]["severity"] == "critical", a
assert a["labels"]["team"] == "ml", a
assert a["annotations"]["last_line"] == "FATAL CUDA error: device lost", a
assert a["annotations"]["source"] == sys.argv[2], a
assert "3 log lines matched" in a["annotations"]["summary"], a
PY
  pass "3 error lines in a tailed file (across a rotation) -> alert -> webhook on loopback"
else
  fail "webhook payload wrong: $(head -c 2000 "$E2E_TMP/received.json")"
fi

metrics="$(curl -sS --max-time 5 "$api/metrics" || true)"
printf '%s\n' "$metrics" | grep -q '^vigil_log_pattern_matches_total{pattern="InferenceErrors",severity="critical"} 3' \
  && pass "vigil_log_pattern_matches_total counts the 3 matches" \
  || fail "match counter: $(printf '%s\n' "$metrics" | grep vigil_log_pattern || true)"

rules="$(curl -sS --max-time 5 "$api/api/v1/rules" || true)"
printf '%s' "$rules" | grep -q 'slo:sli_error:ratio_rate5m' \
  && printf '%s' "$rules" | grep -q 'InferenceAvailabilityBudgetBurnFast' \
  && pass "slo_files: the generated recording and burn-rate rules run in vigil" \
  || fail "SLO rules missing from /api/v1/rules: $(printf '%s' "$rules" | head -c 500)"

# vigil's own log: ECS JSON lines in the rotating file.
"$PY" - "$E2E_TMP/logs/vigil.log" <<'PY' && pass "vigil's log file is ECS JSON" || fail "vigil.log is not ECS JSON"
import json, sys
lines = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
assert lines, "empty log"
for l in lines:
    for k in ("@timestamp", "log.level", "message", "service.name", "log.logger", "ecs.version"):
        assert k in l, (k, l)
assert any("listening on" in l["message"] for l in lines)
PY

# Restart: the saved offset means old lines are not counted again.
kill -TERM "$vigil_pid"; wait "$vigil_pid" 2>/dev/null || true
[ -s "$E2E_TMP/data-logtail/offsets" ] || fail "no tailer state saved at data-logtail/offsets"
start_vigil
echo 'ERROR after restart' >>"$app_log"
deadline=$(($(date +%s) + 15))
count=""
while [ "$(date +%s)" -lt "$deadline" ]; do
  count="$(curl -sS --max-time 5 "$api/metrics" | sed -n 's/^vigil_log_pattern_matches_total{pattern="InferenceErrors",severity="critical"} //p')"
  [ "$count" = 1 ] && break
  sleep 0.5
done
[ "$count" = 1 ] && pass "after a restart only the new line is counted (offsets kept)" \
  || fail "after restart the counter is '$count', want 1"
kill -TERM "$vigil_pid"; wait "$vigil_pid" 2>/dev/null || true
finish
