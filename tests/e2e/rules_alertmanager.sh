#!/usr/bin/env bash
# `vigil run` with a rule file and a real Alertmanager 0.25 (Debian
# prometheus-alertmanager, started by the testbed): the recording rule is
# written to storage, the alert goes pending then firing and reaches
# Alertmanager with its templated annotation (seen on Alertmanager's own
# API), /api/v1/rules and /api/v1/alerts show it, POST /-/reload applies a
# changed rule file and refuses a broken one (keeping the running rules),
# and after a restart the alert fires again without re-waiting its `for`.
set -euo pipefail
source "$(dirname "$0")/lib.sh"

[ -x "$TESTBED/start-alertmanager.sh" ] || skip "testbed not found at $TESTBED"
if ! am_env="$("$TESTBED/start-alertmanager.sh" 2>"$E2E_TMP/start-alertmanager.log")"; then
  tail -n 20 "$E2E_TMP/start-alertmanager.log" >&2
  skip "could not start Alertmanager (prometheus-alertmanager not installable here?)"
fi
eval "$am_env"
on_exit "$(printf '%q %q %q >/dev/null 2>&1' "$TESTBED/stop.sh" "$ALERTMANAGER_PID" "$ALERTMANAGER_DIR")"
log "Alertmanager at $ALERTMANAGER_URL"
start_fixed_exporter

rules="$E2E_TMP/rules.yml"
cat >"$rules" <<'YAML'
groups:
  - name: e2e
    interval: 1s
    rules:
      - record: sensor:temperature:min
        expr: min(e2e_temperature_celsius{sensor="plain"})
      - alert: Freezing
        expr: e2e_temperature_celsius{sensor="plain"} < 0
        for: 20s
        labels:
          severity: critical
        annotations:
          summary: "{{ $labels.sensor }} at {{ $value }} C"
YAML
port="$(free_port)"
cfg="$E2E_TMP/vigil.yml"
cat >"$cfg" <<YAML
global:
  scrape_interval: 1s
  scrape_timeout: 900ms
  evaluation_interval: 1s
  external_labels: {cluster: e2e}
rule_files: [rules.yml]
alerting:
  alertmanagers:
    - static_configs: [{targets: ["${ALERTMANAGER_URL#http://}"]}]
scrape_configs:
  - job_name: fixed
    static_configs: [{targets: ["$FIXED_ADDR"]}]
YAML
api="http://127.0.0.1:$port"
start_vigil() {
  "$VIGIL_BIN" run --config "$cfg" --storage.path "$E2E_TMP/data" --listen "127.0.0.1:$port" \
    --duration 100 --rules.alert.resend-delay 1s --rules.alert.for-grace-period 2s \
    >>"$E2E_TMP/vigil.log" 2>&1 &
  pid=$!
  E2E_PIDS+=("$pid")
  wait_http "$api/ready" 20 "$pid" || die "vigil run did not start: $(tail -5 "$E2E_TMP/vigil.log")"
}
# poll SECONDS COMMAND...: run COMMAND every 0.5 s until it succeeds.
poll() {
  local deadline=$(($(date +%s) + $1)); shift
  until "$@" >/dev/null 2>&1; do
    [ "$(date +%s)" -ge "$deadline" ] && return 1
    sleep 0.5
  done
}
alert_state() {  # the state of Freezing on /api/v1/alerts
  curl -fsS "$api/api/v1/alerts" | "$PY" -c '
import json, sys
a = [x for x in json.load(sys.stdin)["data"]["alerts"] if x["labels"]["alertname"] == "Freezing"]
print(a[0]["state"] if a else "none")'
}
is_state() { [ "$(alert_state)" = "$1" ]; }
am_has_freezing() {
  curl -fsS "$ALERTMANAGER_URL/api/v2/alerts" | "$PY" -c '
import json, sys
a = [x for x in json.load(sys.stdin) if x["labels"].get("alertname") == "Freezing"]
assert a, "no Freezing alert"
x = a[0]
assert x["labels"] == {"alertname": "Freezing", "severity": "critical", "sensor": "plain",
                       "job": "fixed", "instance": sys.argv[1], "cluster": "e2e"}, x["labels"]
assert x["annotations"] == {"summary": "plain at -3.25 C"}, x["annotations"]
assert x["status"]["state"] == "active", x["status"]
assert "/graph?g0.expr=" in x["generatorURL"], x["generatorURL"]' "$FIXED_ADDR"
}

start_vigil
poll 15 is_state pending && pass "alert pending" || fail "alert not pending: $(alert_state)"
t0=$(date +%s)
poll 40 is_state firing && pass "alert firing after its for" || fail "alert not firing: $(alert_state)"
[ $(($(date +%s) - t0)) -ge 10 ] && pass "firing waited for 'for'" || fail "fired too early"
poll 20 am_has_freezing && pass "Alertmanager shows the alert with labels and annotations" \
  || fail "Alertmanager did not get the alert: $(curl -sS "$ALERTMANAGER_URL/api/v2/alerts")"
curl -fsS -G "$api/api/v1/query" --data-urlencode 'query=sensor:temperature:min' \
  | grep -q '"-3.25"' && pass "recording rule written" || fail "recording rule missing"

# Without an embedded alert manager, vigil serves the external one's API v2
# (the UI's alerts and silences pages). Reads go through as they are; writes
# (they carry vigil's credentials for Alertmanager) only when vigil's own
# access is authenticated, which a second vigil with a bearer token shows: a
# silence made and expired through it, seen by Alertmanager itself.
curl -fsS "$api/api/v2/status" | grep -q '"versionInfo"' \
  && pass "/api/v2/status is Alertmanager's, through vigil" || fail "/api/v2/status not proxied"
curl -fsS -G "$api/api/v2/alerts" --data-urlencode 'filter=alertname="Freezing"' | grep -q '"Freezing"' \
  && pass "/api/v2/alerts with a filter, through vigil" || fail "/api/v2/alerts not proxied"
code="$(http_code "$api/api/v2/silences" -XPOST -H 'Content-Type: application/json' -d '{}')"
[ "$code" = 403 ] && pass "writes through an unauthenticated vigil refused (403)" \
  || fail "unauthenticated POST /api/v2/silences answered $code"
echo "e2e-token" >"$E2E_TMP/tokens.txt"
printf 'bearer_tokens_file: tokens.txt\n' >"$E2E_TMP/web.yml"
port2="$(free_port)"
cat >"$E2E_TMP/vigil2.yml" <<YAML
web: {config_file: web.yml}
alerting:
  alertmanagers:
    - static_configs: [{targets: ["${ALERTMANAGER_URL#http://}"]}]
YAML
"$VIGIL_BIN" run --config "$E2E_TMP/vigil2.yml" --storage.path "$E2E_TMP/data2" \
  --listen "127.0.0.1:$port2" >>"$E2E_TMP/vigil2.log" 2>&1 &
pid2=$!
E2E_PIDS+=("$pid2")
auth=(-H "Authorization: Bearer e2e-token")
poll 20 curl -fsS "${auth[@]}" "http://127.0.0.1:$port2/ready" || die "second vigil did not start"
now="$(date -u +%Y-%m-%dT%H:%M:%SZ)" later="$(date -u -d '+1 hour' +%Y-%m-%dT%H:%M:%SZ)"
sid="$(curl -fsS -XPOST "${auth[@]}" -H 'Content-Type: application/json' \
  "http://127.0.0.1:$port2/api/v2/silences" -d \
  "{\"matchers\":[{\"name\":\"alertname\",\"value\":\"Freezing\",\"isRegex\":false,\"isEqual\":true}],
    \"startsAt\":\"$now\",\"endsAt\":\"$later\",\"createdBy\":\"e2e\",\"comment\":\"through vigil\"}" \
  | "$PY" -c 'import json,sys; print(json.load(sys.stdin)["silenceID"])')" || sid=""
if [ -n "$sid" ] && curl -fsS "$ALERTMANAGER_URL/api/v2/silence/$sid" | grep -q '"state":"active"'; then
  pass "a silence posted through an authenticated vigil is active in Alertmanager"
else
  fail "silence through vigil: '$sid'"
fi
curl -fsS -XDELETE "${auth[@]}" "http://127.0.0.1:$port2/api/v2/silence/$sid" >/dev/null \
  && curl -fsS "$ALERTMANAGER_URL/api/v2/silence/$sid" | grep -q '"state":"expired"' \
  && pass "expired through vigil" || fail "silence not expired through vigil"
stop_pid "$pid2"
rules_json="$(curl -fsS "$api/api/v1/rules")"
echo "$rules_json" | "$PY" -c '
import json, sys
g = json.load(sys.stdin)["data"]["groups"]
assert len(g) == 1 and g[0]["name"] == "e2e" and g[0]["interval"] == 1, g
r = g[0]["rules"]
assert [x["type"] for x in r] == ["recording", "alerting"], r
assert r[1]["state"] == "firing" and r[1]["duration"] == 20 and r[1]["health"] == "ok", r[1]
assert r[1]["alerts"][0]["annotations"]["summary"] == "plain at -3.25 C", r[1]
assert r[0]["query"] == "min(e2e_temperature_celsius{sensor=\"plain\"})", r[0]' \
  && pass "/api/v1/rules in Prometheus' shape" || fail "/api/v1/rules: $rules_json"
grep -q '"Freezing"' <<<"$(curl -fsS "$api/api/v1/rules?type=record")" \
  && fail "type=record lists alerting rules" || pass "type=record filters"

# Reload: a broken rule file is refused, the running rules stay.
cp "$rules" "$rules.good"
printf 'groups:\n  - name: e2e\n    rules:\n      - record: x\n        expr: sum(\n' >"$rules"
code="$(http_code "$api/-/reload" -X POST)"
[ "$code" = 500 ] && pass "bad rule file: reload refused (500)" || fail "bad reload answered $code"
# The log is written by an asynchronous back end: allow it a moment.
for _ in $(seq 1 20); do grep -q 'rules.yml:5:15' "$E2E_TMP/vigil.log" && break; sleep 0.1; done
grep -q 'rules.yml:5:15' "$E2E_TMP/vigil.log" && pass "reload error names file:line:column" \
  || fail "reload error lacks the position: $(grep reload "$E2E_TMP/vigil.log" | tail -2)"
is_state firing && pass "alert still firing after the refused reload" || fail "state lost"
# A good change (a new rule) applies and keeps the alert's state.
cp "$rules.good" "$rules"
printf '      - record: sensor:temperature:max\n        expr: max(e2e_temperature_celsius{sensor="plain"})\n' >>"$rules"
code="$(http_code "$api/-/reload" -X POST)"
[ "$code" = 200 ] && pass "reload applied" || fail "reload answered $code"
is_state firing && pass "alert kept firing across the reload" || fail "reload reset the alert"
poll 10 bash -c "curl -fsS -G '$api/api/v1/query' --data-urlencode 'query=sensor:temperature:max' | grep -- '-3.25' >/dev/null" \
  && pass "new rule evaluated after reload" || fail "new rule not evaluated"

# Restart: the alert fires again well before a fresh 20 s `for`.
stop_pid "$pid"
t1=$(date +%s)
start_vigil
poll 15 is_state firing && pass "firing again after restart within $(($(date +%s) - t1)) s (for is 20 s)" \
  || fail "restart re-waited the for: $(alert_state)"
finish
