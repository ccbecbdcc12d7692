#!/usr/bin/env bash
# The web UI end to end in a real browser: `vigil run` scrapes a small
# exporter written below (an inference service's frames, failures, latency
# histogram, queue and GPU utilisation, moving with time), evaluates rules
# (an alert that fires, one that stays pending, an anomaly rule), an SLO
# file and a log pattern, and runs the embedded alert manager. Then
# web/tests/ui.spec.mjs drives Debian's headless Chromium through
# playwright-core over every page: no console errors, no failed requests,
# a query draws a uPlot chart and a table, a parse error shows its
# position, a silence made on the alerts page is in GET /api/v2/silences
# and can be expired on the silences page. Screenshots of every page go to
# $VIGIL_ARTIFACTS (default: <build>/test-artifacts/ui); the path is
# printed at the end.
#
# Needs: node >= 18 (playwright-core 1.61's minimum; Debian bookworm has 18), /usr/bin/chromium,
# web/node_modules (npm ci --prefix web). Without them the test is skipped
# (77).
set -euo pipefail
source "$(dirname "$0")/lib.sh"

CHROMIUM="${CHROMIUM:-/usr/bin/chromium}"
NODE="$(command -v node || true)"
[ -n "$NODE" ] || skip "node is not installed (apt-get install nodejs)"
node_major="$("$NODE" -p 'process.versions.node.split(".")[0]' 2>/dev/null || echo 0)"
[ "$node_major" -ge 18 ] || skip "node $("$NODE" --version 2>/dev/null) is too old: playwright-core needs node >= 18"
log "node $("$NODE" --version), $("$CHROMIUM" --version 2>/dev/null | head -1)"
[ -x "$CHROMIUM" ] || skip "$CHROMIUM not found (apt-get install chromium)"
[ -f "$REPO/web/node_modules/playwright-core/package.json" ] ||
  skip "web/node_modules/playwright-core missing (run scripts/setup or npm ci --prefix web)"
[ -x "$VIGIL_BIN" ] || die "vigil binary not found at $VIGIL_BIN (build target vigil)"

ARTIFACTS="${VIGIL_ARTIFACTS:-$(cd "$(dirname "$VIGIL_BIN")/.." && pwd)/test-artifacts/ui}"
mkdir -p "$ARTIFACTS"
rm -f "$ARTIFACTS"/*.png "$ARTIFACTS"/*.json

# The scrape target: an inference service's metrics as the ML metric set
# names them (namespace "vision"), moving with time, plus a GPU gauge.
cat >"$E2E_TMP/exporter.py" <<'PY'
import http.server, math, sys, time
T0 = time.time()
BUCKETS = [(0.01, 0.02), (0.025, 0.1), (0.05, 0.35), (0.1, 0.7), (0.25, 0.9), (0.5, 0.97), (1.0, 0.995)]
def body():
    t = time.time() - T0
    out = []
    def m(name, labels, v):
        out.append("%s{%s} %s" % (name, ",".join('%s="%s"' % kv for kv in labels), repr(float(v))))
    out.append("# TYPE vision_frames_processed_total counter")
    for model, fps in (("owlv2", 24.0), ("yolov8", 31.0)):
        m("vision_frames_processed_total", [("model", model), ("status", "success")], fps * t)
        m("vision_frames_processed_total", [("model", model), ("status", "failure")], 0.03 * fps * t)
    out.append("# TYPE vision_detection_latency_seconds histogram")
    n = 55.0 * t
    for le, frac in BUCKETS:
        m("vision_detection_latency_seconds_bucket", [("model", "owlv2"), ("stage", "inference"), ("le", repr(le))], int(n * frac))
    m("vision_detection_latency_seconds_bucket", [("model", "owlv2"), ("stage", "inference"), ("le", "+Inf")], int(n))
    m("vision_detection_latency_seconds_sum", [("model", "owlv2"), ("stage", "inference")], 0.09 * n)
    m("vision_detection_latency_seconds_count", [("model", "owlv2"), ("stage", "inference")], int(n))
    out.append("# TYPE vision_queue_size gauge")
    spike = 40 if int(t) % 30 >= 25 else 0
    m("vision_queue_size", [("queue_type", "frames")], 3 + 2 * math.sin(t) + spike)
    out.append("# TYPE nvidia_gpu_utilization_percent gauge")
    m("nvidia_gpu_utilization_percent", [("gpu", "0"), ("name", "Fake GPU")], 60 + 20 * math.sin(t / 10))
    return ("\n".join(out) + "\n").encode()
class H(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        b = body() if self.path.startswith("/metrics") else b"ok\n"
        self.send_response(200)
        self.send_header("Content-Type", "text/plain; version=0.0.4")
        self.send_header("Content-Length", str(len(b)))
        self.end_headers()
        self.wfile.write(b)
    def log_message(self, *a):
        pass
http.server.ThreadingHTTPServer(("127.0.0.1", int(sys.argv[1])), H).serve_forever()
PY
target_port="$(free_port)"
"$PY" "$E2E_TMP/exporter.py" "$target_port" </dev/null >"$E2E_TMP/exporter.log" 2>&1 8>&- &
exporter_pid=$!
E2E_PIDS+=("$exporter_pid")
printf 'kill -TERM %s 2>/dev/null\n' "$exporter_pid" >>"$E2E_TMP/on-abort.sh"
wait_http "http://127.0.0.1:$target_port/metrics" 10 "$exporter_pid" || die "the test exporter did not start"

mkdir -p "$E2E_TMP/app"
app_log="$E2E_TMP/app/app.log"
echo 'model loaded' >"$app_log"
cat >"$E2E_TMP/rules.yml" <<'YAML'
groups:
  - name: ui-e2e
    interval: 1s
    rules:
      - record: model:frames_processed:rate1m
        expr: sum by (model) (rate(vision_frames_processed_total[1m]))
      - alert: FramesFlowing
        expr: sum(rate(vision_frames_processed_total[30s])) > 0
        labels:
          severity: warning
        annotations:
          summary: "{{ $value }} frames/s"
      - alert: AlwaysPending
        expr: vector(1)
        for: 1h
        labels:
          severity: info
        annotations:
          summary: pending for an hour before it fires
  - name: ui-e2e-anomalies
    interval: 1s
    rules:
      - anomaly: queue
        expr: vision_queue_size
        detector: robust_z
        params: {min_points: 5}
        severity: {high: 0.8, critical: 0.95}
        labels: {team: ml}
YAML
cat >"$E2E_TMP/vision.slo.yml" <<'YAML'
service: vision
slos:
  - name: frames-availability
    description: Frames processed without a failure.
    objective: 99
    window: 1d
    sli:
      error_ratio:
        errors: sum(rate(vision_frames_processed_total{status="failure"}[{{.window}}]))
        total: sum(rate(vision_frames_processed_total[{{.window}}]))
    alerting:
      name: FramesBudgetBurn
YAML
cat >"$E2E_TMP/am.yml" <<'YAML'
route:
  receiver: blackhole
  group_by: [alertname]
  group_wait: 1s
  group_interval: 1s
  repeat_interval: 1h
receivers:
  - name: blackhole
YAML
port="$(free_port)"
cat >"$E2E_TMP/vigil.yml" <<YAML
global:
  scrape_interval: 1s
  scrape_timeout: 900ms
  evaluation_interval: 1s
rule_files: [rules.yml]
slo_files: [vision.slo.yml]
alertmanager:
  config_file: am.yml
log_patterns:
  - name: AppErrors
    pattern: 'ERROR|CUDA error'
    severity: critical
    threshold: 3
    window: 5m
    files: [app/app.log]
    labels: {team: ml}
scrape_configs:
  - job_name: vision
    static_configs: [{targets: ["127.0.0.1:$target_port"]}]
YAML
api="http://127.0.0.1:$port"
"$VIGIL_BIN" run --config "$E2E_TMP/vigil.yml" --storage.path "$E2E_TMP/data" \
  --listen "127.0.0.1:$port" --duration 110 --rules.alert.resend-delay 1s \
  </dev/null >"$E2E_TMP/vigil.log" 2>&1 8>&- &
vigil_pid=$!
E2E_PIDS+=("$vigil_pid")
printf 'kill -TERM %s 2>/dev/null\n' "$vigil_pid" >>"$E2E_TMP/on-abort.sh"
wait_http "$api/ready" 20 "$vigil_pid" || die "vigil run did not start: $(tail -5 "$E2E_TMP/vigil.log")"
log "vigil run (PID $vigil_pid) serving on $api"

case "$(http_code "$api/")" in
  200) ;;
  503) die "vigil was built without the UI's assets: run scripts/setup (npm ci --prefix web), reconfigure and rebuild" ;;
  404) die "vigil run does not serve the UI at / (daemon::RegisterUi not called)" ;;
  *) die "GET / answered $(http_code "$api/")" ;;
esac

sleep 1.5  # the tailer has opened the file: lines from now on count
for i in 1 2 3; do echo "ERROR inference failed: request $i" >>"$app_log"; done
echo 'FATAL CUDA error: device lost' >>"$app_log"

# Data the pages show: a few scrapes, the alert firing.
deadline=$(($(date +%s) + 30))
until curl -fsS "$api/api/v1/alerts" 2>/dev/null | grep -q '"state":"firing"'; do
  [ "$(date +%s)" -ge "$deadline" ] && die "FramesFlowing did not fire within 30 s"
  sleep 0.5
done
pass "vigil is up with data; FramesFlowing is firing"

if VIGIL_URL="$api" ARTIFACTS="$ARTIFACTS" CHROMIUM="$CHROMIUM" \
    "$NODE" "$REPO/web/tests/ui.spec.mjs" 2>&1 | tee "$E2E_TMP/ui-spec.out" >&2; then
  pass "browser checks (web/tests/ui.spec.mjs)"
else
  fail "browser checks failed (see above)"
fi
log "screenshots: $ARTIFACTS"
ls "$ARTIFACTS" >&2 || true
finish
