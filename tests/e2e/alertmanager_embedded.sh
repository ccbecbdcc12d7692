#!/usr/bin/env bash
# vigil's embedded alert manager against the real things, all on 127.0.0.1:
#  1. webhook: vigil and a real Alertmanager 0.25, fed identical alerts,
#     deliver the same webhook JSON (compared field by field) for firing,
#     partly resolved and resolved groups;
#  2. email: a notification reaches a real SMTP server (Debian aiosmtpd);
#  3. retries: a receiver that is down for a while gets the notification
#     once it is back;
#  4. a real Prometheus 2.42 with vigil as its Alertmanager delivers its
#     alerts, which vigil routes to the webhook;
#  5. restart (SIGKILL): vigil still knows the alerts and silences, does not
#     send again what it sent, and still sends the resolution;
#  plus API v2 answers in Alertmanager's shape, and amtool (Alertmanager's
#  own client) working against vigil.
set -euo pipefail
source "$(dirname "$0")/lib.sh"

[ -x "$TESTBED/start-alertmanager.sh" ] || skip "testbed not found at $TESTBED"
start_testbed() {  # NAME SCRIPT ARGS...: eval the script's output, stop it on exit
  local name="$1" script="$2" env; shift 2
  if ! env="$("$TESTBED/$script" "$@" 2>"$E2E_TMP/start-$name.log")"; then
    tail -n 20 "$E2E_TMP/start-$name.log" >&2
    skip "could not start $name (its Debian package not installable here?)"
  fi
  eval "$env"
}

start_testbed webhook start-webhook-sink.sh
on_exit "$(printf '%q %q %q >/dev/null 2>&1' "$TESTBED/stop.sh" "$WEBHOOK_PID" "$WEBHOOK_DIR")"
start_testbed smtp start-smtp.sh
on_exit "$(printf '%q %q %q >/dev/null 2>&1' "$TESTBED/stop.sh" "$SMTP_PID" "$SMTP_DIR")"

# The same routing for both; only the webhook paths differ.
am_config() {  # WEBHOOK_PATH EXTRA_ROUTES EXTRA_RECEIVERS
  cat <<YAML
global:
  resolve_timeout: 5m
  smtp_smarthost: 127.0.0.1:$SMTP_PORT
  smtp_from: vigil@example.test
  smtp_require_tls: false
route:
  receiver: hook
  group_by: [alertname]
  group_wait: 2s
  group_interval: 2s
  repeat_interval: 1h
  routes:
$2
receivers:
  - name: hook
    webhook_configs: [{url: "$WEBHOOK_URL$1", send_resolved: true}]
$3
YAML
}
am_config /am '    - {receiver: hook, matchers: [channel="none"]}' '' >"$E2E_TMP/am.yml"
start_testbed alertmanager start-alertmanager.sh --config "$E2E_TMP/am.yml"
on_exit "$(printf '%q %q %q >/dev/null 2>&1' "$TESTBED/stop.sh" "$ALERTMANAGER_PID" "$ALERTMANAGER_DIR")"
log "Alertmanager at $ALERTMANAGER_URL, webhook sink at $WEBHOOK_URL, SMTP on $SMTP_PORT"

down_port="$(free_port)"  # the "flaky" receiver: nothing listens here yet
am_config /vigil '    - {receiver: mail, matchers: [channel="email"]}
    - {receiver: flaky, matchers: [channel="flaky"]}' \
  "  - name: mail
    email_configs:
      - to: oncall@example.test
        headers: {X-Test: e2e}
        text: '{{ .CommonAnnotations.summary }}'  # Alertmanager sends HTML only by default
  - name: flaky
    webhook_configs: [{url: \"http://127.0.0.1:$down_port/flaky\"}]" >"$E2E_TMP/vigil-am.yml"
port="$(free_port)"
cat >"$E2E_TMP/vigil-rules.yml" <<'YAML'
groups:
  - name: own
    rules:
      - alert: VigilRule
        expr: vector(1)
        labels: {severity: info}
        annotations: {summary: "from vigil's own rules"}
YAML
cat >"$E2E_TMP/vigil.yml" <<YAML
global:
  scrape_interval: 1s
  evaluation_interval: 1s
  external_labels: {cluster: e2e}
rule_files: [vigil-rules.yml]
alertmanager:
  config_file: vigil-am.yml
YAML
api="http://127.0.0.1:$port"
start_vigil() {
  # The external URL is the real Alertmanager's, so that the payloads'
  # externalURL fields can be compared as well.
  "$VIGIL_BIN" run --config "$E2E_TMP/vigil.yml" --storage.path "$E2E_TMP/data" \
    --listen "127.0.0.1:$port" --web.external-url "$ALERTMANAGER_URL" --duration 600 \
    >>"$E2E_TMP/vigil.log" 2>&1 &
  vigil_pid=$!
  E2E_PIDS+=("$vigil_pid")
  wait_http "$api/ready" 20 "$vigil_pid" || die "vigil run did not start: $(tail -5 "$E2E_TMP/vigil.log")"
}
start_vigil
[ -d "$E2E_TMP/data-alertmanager" ] && pass "state kept next to the tsdb (data-alertmanager)" \
  || fail "no data-alertmanager directory"

poll() {  # SECONDS COMMAND...: run COMMAND every 0.25 s until it succeeds
  local deadline=$(($(date +%s) + $1)); shift
  until "$@" >/dev/null 2>&1; do
    [ "$(date +%s)" -ge "$deadline" ] && return 1
    sleep 0.25
  done
}
post() {  # URL JSON
  local code
  code="$(http_code "$1/api/v2/alerts" -X POST -H 'Content-Type: application/json' -d "$2")"
  [ "$code" = 200 ] || die "POST $1/api/v2/alerts answered $code"
}
received() {  # PATH [ALERTNAME]: the JSON bodies the sink got on PATH (for that group)
  curl -fsS "$WEBHOOK_URL/received" | "$PY" -c '
import json, sys
for r in json.load(sys.stdin):
    if r["path"] == sys.argv[1] and (len(sys.argv) < 3 or
                                     r["json"]["groupLabels"].get("alertname") == sys.argv[2]):
        print(json.dumps(r["json"], sort_keys=True))' "$@"
}
count_at_least() { [ "$(received "$1" HighLatency | wc -l)" -ge "$2" ]; }
iso() { date -u -d "@$1" +%Y-%m-%dT%H:%M:%S.000Z; }

# 1. The same alerts to both; the same webhook bodies back. startsAt is
# within group_wait: an older alert would flush its group at once (on both),
# perhaps before the second alert is in.
now=$(date +%s)
started="$(iso $((now - 1)))"
a1='{"alertname":"HighLatency","instance":"10.0.0.1:8000","service":"llm-infer","severity":"page"}'
a2='{"alertname":"HighLatency","instance":"10.0.0.2:8000","service":"llm-infer","severity":"page"}'
ann='{"summary":"p99 latency above 2s","runbook_url":"http://127.0.0.1/runbook"}'
gen='"generatorURL":"http://127.0.0.1:9090/graph?g0.expr=up"'
firing="[{\"labels\":$a1,\"annotations\":$ann,\"startsAt\":\"$started\",$gen},
         {\"labels\":$a2,\"annotations\":$ann,\"startsAt\":\"$started\",$gen}]"
post "$ALERTMANAGER_URL" "$firing"
post "$api" "$firing"
poll 20 count_at_least /am 1 && poll 20 count_at_least /vigil 1 \
  || die "no firing notification: am=$(received /am | wc -l) vigil=$(received /vigil | wc -l)"
ended="$(iso "$(date +%s)")"  # after the first notification: past started
post "$ALERTMANAGER_URL" "[{\"labels\":$a1,\"annotations\":$ann,\"startsAt\":\"$started\",\"endsAt\":\"$ended\",$gen}]"
post "$api" "[{\"labels\":$a1,\"annotations\":$ann,\"startsAt\":\"$started\",\"endsAt\":\"$ended\",$gen}]"
poll 20 count_at_least /am 2 && poll 20 count_at_least /vigil 2 || die "no second notification"
post "$ALERTMANAGER_URL" "[{\"labels\":$a2,\"annotations\":$ann,\"startsAt\":\"$started\",\"endsAt\":\"$ended\",$gen}]"
post "$api" "[{\"labels\":$a2,\"annotations\":$ann,\"startsAt\":\"$started\",\"endsAt\":\"$ended\",$gen}]"
poll 20 count_at_least /am 3 && poll 20 count_at_least /vigil 3 || die "no resolved notification"
sleep 3  # nothing more should come from either
received /am HighLatency >"$E2E_TMP/am.jsonl"
received /vigil HighLatency >"$E2E_TMP/vigil.jsonl"
if "$PY" - "$E2E_TMP/am.jsonl" "$E2E_TMP/vigil.jsonl" <<'PY'
import json, sys
am = [json.loads(l) for l in open(sys.argv[1])]
vg = [json.loads(l) for l in open(sys.argv[2])]
assert len(am) == len(vg) == 3, (len(am), len(vg))
def diff(path, a, b, out):
    if isinstance(a, dict) and isinstance(b, dict):
        for k in sorted(set(a) | set(b)):
            diff(path + "." + k, a.get(k, "<absent>"), b.get(k, "<absent>"), out)
    elif isinstance(a, list) and isinstance(b, list) and len(a) == len(b):
        for i, (x, y) in enumerate(zip(a, b)):
            diff("%s[%d]" % (path, i), x, y, out)
    elif a != b:
        out.append("%s: alertmanager %r, vigil %r" % (path, a, b))
out = []
for i, (a, b) in enumerate(zip(am, vg)):
    diff("notification %d" % i, a, b, out)
print("\n".join(out) or "identical")
assert [n["status"] for n in am] == ["firing", "firing", "resolved"], [n["status"] for n in am]
# Alertmanager drops resolved alerts from the group once notified.
assert [len(n["alerts"]) for n in am] == [2, 2, 1], [len(n["alerts"]) for n in am]
assert not out
PY
then pass "webhook JSON identical to Alertmanager 0.25's (firing, partly resolved, resolved; every field)"
else fail "webhook JSON differs from Alertmanager's"; fi

# API v2 in Alertmanager's shape: the same alert posted to both reads back
# the same apart from updatedAt.
one="[{\"labels\":{\"alertname\":\"Shape\",\"severity\":\"info\"},\"annotations\":$ann,\"startsAt\":\"$started\",$gen}]"
post "$ALERTMANAGER_URL" "$one"
post "$api" "$one"
if "$PY" - "$ALERTMANAGER_URL" "$api" <<'PY'
import json, sys, urllib.request
def get(base, path):
    return json.load(urllib.request.urlopen(base + path, timeout=10))
q = "/api/v2/alerts?filter=alertname%3D%22Shape%22"
a, v = get(sys.argv[1], q), get(sys.argv[2], q)
assert len(a) == len(v) == 1, (a, v)
for x in (a[0], v[0]):
    x.pop("updatedAt"); x.pop("endsAt")  # now-dependent
assert a == v, (a, v)
g = [x for x in get(sys.argv[2], "/api/v2/alerts/groups") if x["labels"] == {"alertname": "Shape"}]
assert g and g[0]["receiver"] == {"name": "hook"}, g
s = get(sys.argv[2], "/api/v2/status")
assert s["cluster"]["status"] == "disabled" and "route:" in s["config"]["original"], s
PY
then pass "GET /api/v2/alerts agrees with Alertmanager's; groups and status answer"
else fail "API v2 answers differ"; fi

# amtool, Alertmanager's own CLI, against vigil: add, query, expire a silence.
if command -v amtool >/dev/null; then
  sid="$(amtool --alertmanager.url="$api" silence add alertname=Shape --duration=1h \
        --comment="e2e" --author=e2e 2>>"$E2E_TMP/amtool.log" || true)"
  if [ -n "$sid" ] && amtool --alertmanager.url="$api" silence query -q 2>>"$E2E_TMP/amtool.log" \
      | grep -qx "$sid"; then
    pass "amtool silence add / query against vigil ($sid)"
  else
    fail "amtool silence add/query: $(cat "$E2E_TMP/amtool.log")"
  fi
  alerts_out="$(amtool --alertmanager.url="$api" alert query -s alertname=Shape 2>&1 || true)"
  grep -q Shape <<<"$alerts_out" && pass "amtool alert query sees the silenced alert" \
    || fail "amtool alert query: $alerts_out"
else
  log "amtool not installed: amtool checks skipped"
fi

# vigil's own rules reach the embedded alert manager in-process, with the
# external labels, as they would reach an Alertmanager.
own_rule() {
  received /vigil | grep '"VigilRule"' | head -1 | "$PY" -c '
import json, sys
a = json.loads(sys.stdin.readline())["alerts"][0]
assert a["labels"] == {"alertname": "VigilRule", "severity": "info", "cluster": "e2e"}, a
assert a["annotations"] == {"summary": "from vigil'"'"'s own rules"}, a'
}
poll 20 own_rule && pass "vigil's rule alerts routed in-process (external labels added)" \
  || fail "rule alert not delivered: $(received /vigil | grep VigilRule | head -1)"

# 2. Email to a real SMTP server.
post "$api" '[{"labels":{"alertname":"ModelDown","channel":"email","model":"yolo"},"annotations":{"summary":"yolo is down"}}]'
mail_file() { ls "$SMTP_MAILDIR"/new/* 2>/dev/null | head -1; }
mail_arrived() { [ -n "$(mail_file)" ]; }
if poll 20 mail_arrived; then
  m="$(cat "$(mail_file)")"
  grep -q '^Subject: \[FIRING:1\] ModelDown' <<<"$m" && grep -q '^To: oncall@example.test' <<<"$m" \
    && grep -q '^X-Test: e2e' <<<"$m" && grep -q 'text/html' <<<"$m" && grep -q 'text/plain' <<<"$m" \
    && grep -q 'yolo is down' <<<"$m" \
    && pass "email delivered over SMTP (subject, To, custom header, text and HTML parts)" \
    || fail "unexpected mail: $(head -30 <<<"$m")"
else
  fail "no mail arrived; vigil log: $(grep -i smtp "$E2E_TMP/vigil.log" | tail -3)"
fi

# 3. A receiver that is down for a while gets the notification when back.
post "$api" '[{"labels":{"alertname":"GpuHot","channel":"flaky","gpu":"0"}}]'
sleep 4  # group_wait passes; delivery attempts fail (connection refused)
failed="$(curl -fsS "$api/metrics" | grep '^vigil_notifications_failed_total{.*receiver="flaky"' || true)"
[ -n "$failed" ] && [ "$(awk '{print $2}' <<<"$failed")" != 0 ] \
  && pass "failed attempts counted: $failed" || fail "no failed attempts counted: $failed"
start_testbed flaky start-webhook-sink.sh --port "$down_port" --prefix FLAKY
on_exit "$(printf '%q %q %q >/dev/null 2>&1' "$TESTBED/stop.sh" "$FLAKY_PID" "$FLAKY_DIR")"
flaky_got() { curl -fsS "$FLAKY_URL/received" | grep -q GpuHot; }
poll 30 flaky_got && pass "receiver back after ~4 s down: notification delivered by the retries" \
  || fail "the receiver never got the notification"

# 4. A real Prometheus 2.42 with vigil as its Alertmanager.
cat >"$E2E_TMP/prom-rules.yml" <<'YAML'
groups:
  - name: prom
    rules:
      - alert: FromPrometheus
        expr: vector(1)
        # Prometheus drops what fires before it has discovered its
        # Alertmanagers and resends only a minute later: fire after that.
        for: 5s
        labels: {severity: warning}
        annotations: {summary: "sent by Prometheus"}
YAML
start_testbed prometheus start-prometheus.sh --alertmanager "127.0.0.1:$port" \
  --rules "$E2E_TMP/prom-rules.yml" --scrape "127.0.0.1:$port"
on_exit "$(printf '%q %q %q >/dev/null 2>&1' "$TESTBED/stop.sh" "$PROMETHEUS_PID" "$PROMETHEUS_DIR")"
from_prom() { received /vigil | grep -q FromPrometheus; }
if poll 60 from_prom; then
  received /vigil | grep FromPrometheus | head -1 | "$PY" -c '
import json, sys
n = json.loads(sys.stdin.readline())
a = n["alerts"][0]
assert n["receiver"] == "hook" and n["status"] == "firing", n
assert a["labels"] == {"alertname": "FromPrometheus", "severity": "warning"}, a["labels"]
assert a["annotations"] == {"summary": "sent by Prometheus"}, a
assert "/graph?g0.expr=vector%281%29" in a["generatorURL"], a["generatorURL"]' \
    && pass "Prometheus 2.42 -> vigil -> webhook, labels, annotations and generatorURL intact" \
    || fail "Prometheus' alert arrived altered: $(received /vigil | grep FromPrometheus | head -1)"
else
  fail "Prometheus' alert never reached the webhook through vigil: $(tail -5 "$PROMETHEUS_LOG")"
fi
"$TESTBED/stop.sh" "$PROMETHEUS_PID" "$PROMETHEUS_DIR" >/dev/null 2>&1 || true

# 5. SIGKILL and restart.
post "$api" "[{\"labels\":{\"alertname\":\"Restart\",\"instance\":\"r1\"},\"startsAt\":\"$started\"}]"
restart_count() { received /vigil | grep -c '"Restart"' || true; }
restart_notified() { [ "$(restart_count)" -ge 1 ]; }
poll 20 restart_notified || die "Restart alert never notified"
sleep 1  # the sink has it; let vigil write its notification log too
sil="$(curl -fsS -X POST -H 'Content-Type: application/json' "$api/api/v2/silences" -d "{
  \"matchers\":[{\"name\":\"alertname\",\"value\":\"Nothing\",\"isRegex\":false}],
  \"startsAt\":\"$(iso "$(date +%s)")\",\"endsAt\":\"$(iso $(($(date +%s) + 3600)))\",
  \"createdBy\":\"e2e\",\"comment\":\"survives restarts\"}" | "$PY" -c 'import json,sys; print(json.load(sys.stdin)["silenceID"])')"
before="$(restart_count)"
kill -KILL "$vigil_pid" 2>/dev/null
{ wait "$vigil_pid"; } 2>/dev/null || true
start_vigil
curl -fsS "$api/api/v2/alerts?filter=alertname%3D%22Restart%22" | grep -q '"r1"' \
  && pass "after SIGKILL the alert is still known (nobody re-sent it)" \
  || fail "alert forgotten after restart"
curl -fsS "$api/api/v2/silence/$sil" | grep -q 'survives restarts' \
  && pass "silence kept across SIGKILL" || fail "silence lost"
post "$api" "[{\"labels\":{\"alertname\":\"Restart\",\"instance\":\"r1\"},\"startsAt\":\"$started\"}]"
sleep 5  # past group_wait and a group_interval
[ "$(restart_count)" = "$before" ] && pass "no re-send after restart ($before notification)" \
  || fail "re-sent after restart: $before before, $(restart_count) after"
post "$api" "[{\"labels\":{\"alertname\":\"Restart\",\"instance\":\"r1\"},\"startsAt\":\"$started\",\"endsAt\":\"$(iso $(($(date +%s) - 1)))\"}]"
resolved_seen() { received /vigil | grep '"Restart"' | grep -q '"status": "resolved"'; }
poll 20 resolved_seen && pass "resolution after restart notified" || fail "resolution not notified"
hist="$(curl -fsS "$api/api/v2/alerts/history?alertname=Restart")"
grep -q '"notified"' <<<"$hist" && grep -q '"resolved"' <<<"$hist" && grep -q '"fired"' <<<"$hist" \
  && pass "history has fired, notified and resolved" || fail "history: $hist"
finish
