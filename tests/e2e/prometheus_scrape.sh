#!/usr/bin/env bash
# e2e: a real Prometheus server (2.42, from the testbed) scrapes
# fixed_exporter every second, and PromQL sees exactly the values the
# exporter holds (see the table in tests/e2e/fixed_exporter.cc).
#
# Prometheus 2.42 asks for OpenMetrics first, so this exercises vigil's
# OpenMetrics encoder through Prometheus' own parser. Checks, after polling
# (at most 30 s) until e2e_requests_total{model="a"} is 42:
#   * the target is up with no scrape error;
#   * e2e_requests_total{model="b"} == 7.5;
#   * e2e_temperature_celsius: exactly the four sensor label values, among them
#     one holding a quote, a backslash and a newline, and one in UTF-8, each
#     round-tripped byte for byte and selectable by an exact PromQL matcher;
#     values -3.25, +Inf, 1 and 2;
#   * histogram_quantile(0.5, e2e_latency_seconds_bucket) == 0.35 and
#     histogram_quantile(0.9, ...) == 1 (PromQL's linear interpolation over
#     buckets 1/3/7/9/10 at le 0.1/0.2/0.5/1/+Inf), |error| <= 1e-9;
#     _count == 10, _sum == 5.25;
#   * e2e_payload_bytes (summary): count 5, sum 1500, quantile 0.5 within
#     1/256 of 300 (the documented sketch error).
#
# Exit 0 pass, 1 fail, 77 skip (prometheus, promtool or the testbed missing).
set -uo pipefail
. "$(dirname "$0")/lib.sh"

command -v prometheus >/dev/null 2>&1 || skip "prometheus is not installed (Debian package \"prometheus\")"
command -v promtool >/dev/null 2>&1 || skip "promtool is not installed (Debian package \"prometheus\")"
command -v curl >/dev/null 2>&1 || skip "curl is not installed"
[ -x "$TESTBED/start-prometheus.sh" ] || skip "testbed not found at $TESTBED (set TESTBED)"

start_fixed_exporter

# The testbed must not install anything from inside a test. fd 8 (the
# exporter's stdin FIFO) must not leak into the long-lived server.
prom_env="$(TESTBED_NO_INSTALL=1 "$TESTBED/start-prometheus.sh" \
  --scrape "$FIXED_ADDR" --interval 1s --timeout 30 8>&-)" \
  || die "start-prometheus.sh failed (its log is above)"
eval "$prom_env"
if [ -z "${PROMETHEUS_PID:-}" ] || [ -z "${PROMETHEUS_URL:-}" ] || [ -z "${PROMETHEUS_DIR:-}" ]; then
  die "start-prometheus.sh printed no PROMETHEUS_PID/URL/DIR"
fi
on_exit "$(printf '%q ' "$TESTBED/stop.sh" "$PROMETHEUS_PID" "$PROMETHEUS_DIR") >&2"
log "Prometheus (PID $PROMETHEUS_PID) on $PROMETHEUS_URL scraping $FIXED_ADDR every 1s"

PROMETHEUS_URL="$PROMETHEUS_URL" "$PY" - 8>&- <<'PY'
import json
import math
import os
import sys
import time
import urllib.parse
import urllib.request

BASE = os.environ["PROMETHEUS_URL"]
NAME = "prometheus_scrape"
fails = 0


def log(msg):
    print(f"[{NAME}] {msg}", file=sys.stderr, flush=True)


def ok(msg):
    log(f"ok: {msg}")


def bad(msg):
    global fails
    fails += 1
    log(f"FAIL: {msg}")


def get(path, **params):
    url = BASE + path + ("?" + urllib.parse.urlencode(params) if params else "")
    with urllib.request.urlopen(url, timeout=5) as r:
        return json.load(r)


def query(expr):
    """Instant query; returns the list of (labels, value) with float values."""
    doc = get("/api/v1/query", query=expr)
    if doc.get("status") != "success" or doc["data"]["resultType"] != "vector":
        raise RuntimeError(f"query {expr!r}: {doc}")
    return [(s["metric"], float(s["value"][1])) for s in doc["data"]["result"]]


def one(expr):
    """The value of an expression that must return exactly one sample."""
    res = query(expr)
    if len(res) != 1:
        raise RuntimeError(f"{expr} returned {len(res)} samples, want 1: {res}")
    return res[0][1]


def expect(expr, want, tol=1e-9):
    try:
        got = one(expr)
    except Exception as e:  # noqa: BLE001 - reported as a failed check
        bad(str(e))
        return
    if math.isinf(want):
        good = got == want
    else:
        good = abs(got - want) <= tol
    if good:
        ok(f"{expr} = {got!r}")
    else:
        bad(f"{expr} = {got!r}, want {want!r} (tolerance {tol})")


# 1. Wait (bounded) for the first scrape to land.
deadline = time.monotonic() + 30
last = None
parent = os.getppid()
while True:
    if os.getppid() != parent:  # the test script was killed: stop polling
        sys.exit(1)
    try:
        last = query('e2e_requests_total{model="a"}')
        if len(last) == 1 and last[0][1] == 42:
            break
    except Exception as e:  # noqa: BLE001 - Prometheus still starting
        last = e
    if time.monotonic() > deadline:
        log(f"FAIL: e2e_requests_total{{model=\"a\"}} did not become 42 within 30 s; last answer: {last}")
        try:
            for t in get("/api/v1/targets")["data"]["activeTargets"]:
                log(f"target {t.get('scrapeUrl')}: health={t.get('health')} lastError={t.get('lastError')!r}")
        except Exception as e:  # noqa: BLE001
            log(f"(could not read /api/v1/targets: {e})")
        sys.exit(1)
    time.sleep(0.25)
ok(f'e2e_requests_total{{model="a"}} = 42 after {30 - (deadline - time.monotonic()):.1f} s')

# 2. The target itself.
targets = get("/api/v1/targets")["data"]["activeTargets"]
if len(targets) == 1 and targets[0]["health"] == "up" and not targets[0]["lastError"]:
    ok(f"target {targets[0]['scrapeUrl']} is up, no scrape error")
else:
    bad(f"targets: {[(t['scrapeUrl'], t['health'], t['lastError']) for t in targets]}")
expect('up{job="vigil-test"}', 1)
# Which exposition format Prometheus negotiated (informational): OpenMetrics
# names the counter family "e2e_requests", the text format "e2e_requests_total".
try:
    meta = get("/api/v1/targets/metadata", match_target='{job="vigil-test"}')["data"]
    names = sorted(m["metric"] for m in meta if m["metric"].startswith("e2e_requests"))
    fmt = "OpenMetrics" if "e2e_requests" in names else "text 0.0.4"
    log(f"scrape format: {fmt} (counter metadata under {names})")
except Exception as e:  # noqa: BLE001
    log(f"(could not read target metadata: {e})")

# 3. Counter.
expect('e2e_requests_total{model="b"}', 7.5)

# 4. Gauge with awkward label values.
ESCAPED = 'quote"back\\slash\nnewline'
UTF8 = "caf\u00e9 \u2713"
want = {"plain": -3.25, "inf": math.inf, ESCAPED: 1.0, UTF8: 2.0}
try:
    got = {m.get("sensor"): v for m, v in query("e2e_temperature_celsius")}
    if got == want:
        ok(f"e2e_temperature_celsius sensors round-trip exactly: {sorted(got, key=repr)!r}")
    else:
        bad(f"e2e_temperature_celsius: got {got!r}, want {want!r}")
except Exception as e:  # noqa: BLE001
    bad(str(e))


def promql_string(s):
    return json.dumps(s, ensure_ascii=False)  # PromQL takes Go/JSON escapes


expect(f"e2e_temperature_celsius{{sensor={promql_string(ESCAPED)}}}", 1)
expect(f"e2e_temperature_celsius{{sensor={promql_string(UTF8)}}}", 2)
expect('e2e_temperature_celsius{sensor="inf"}', math.inf)
expect('e2e_temperature_celsius{sensor="plain"}', -3.25)

# 5. Histogram: buckets le 0.1/0.2/0.5/1/+Inf hold 1/3/7/9/10 observations.
#    q=0.5: rank 5 falls in (0.2, 0.5] (ranks 4..7): 0.2 + 0.3 * (5-3)/(7-3) = 0.35
#    q=0.9: rank 9 falls in (0.5, 1]   (ranks 8..9): 0.5 + 0.5 * (9-7)/(9-7) = 1
expect("histogram_quantile(0.5, e2e_latency_seconds_bucket)", 0.35)
expect("histogram_quantile(0.9, e2e_latency_seconds_bucket)", 1.0)
expect('e2e_latency_seconds_bucket{le="0.2"}', 3)
expect("e2e_latency_seconds_count", 10)
expect("e2e_latency_seconds_sum", 5.25)

# 6. Summary.
expect("e2e_payload_bytes_count", 5)
expect("e2e_payload_bytes_sum", 1500)
expect('e2e_payload_bytes{quantile="0.5"}', 300, tol=300 / 256)

sys.exit(1 if fails else 0)
PY
rc=$?
[ "$rc" -eq 0 ] || fail "PromQL checks failed (see above)"
finish
