#!/usr/bin/env bash
# Prometheus' own client against vigil's HTTP API: `promtool query instant`,
# `query range`, `query series` and `query labels` (Debian's prometheus
# package, the Go client Grafana also uses: form POST first) run against
# `vigil run` and print the answers vigil's API computed; a bad query fails
# with bad_data. The same server's /api/v1/targets and /api/v1/metadata
# describe a live scrape target.
set -euo pipefail
source "$(dirname "$0")/lib.sh"

command -v promtool >/dev/null || skip "promtool not installed (Debian package prometheus)"

"$PY" "$REPO/tests/testdata/gen_openmetrics.py" --series 6 --samples 240 >"$E2E_TMP/data.om"
"$VIGIL_BIN" tsdb import "$E2E_TMP/data.om" --storage.path "$E2E_TMP/data" >&2 \
  || die "vigil tsdb import failed"

start_fixed_exporter
port="$(free_port)"
cat >"$E2E_TMP/vigil.yml" <<YAML
global:
  scrape_interval: 1s
  scrape_timeout: 900ms
scrape_configs:
  - job_name: fixed
    static_configs:
      - targets: ["$FIXED_ADDR"]
YAML
"$VIGIL_BIN" run --config "$E2E_TMP/vigil.yml" --storage.path "$E2E_TMP/data" \
  --listen "127.0.0.1:$port" --duration 100 >"$E2E_TMP/vigil.log" 2>&1 &
pid=$!
E2E_PIDS+=("$pid")
url="http://127.0.0.1:$port"
wait_http "$url/ready" 20 "$pid" || die "vigil run did not come up: $(tail -5 "$E2E_TMP/vigil.log")"

# The generator's data start at 1700000000 with 15 s between samples.
t=1700002400
start=1700000600
end=1700003000

# Formats the API's JSON answer the way promtool prints it, so the two can be
# compared line by line: `{labels} => value @[time]` for vectors, and
# `{labels} =>` followed by `value @[time]` lines for matrices.
api_as_promtool() {
  "$PY" - "$1" <<'PYEOF'
import json, sys
d = json.load(open(sys.argv[1]))
assert d["status"] == "success", d
def lbl(m):
    return "{" + ", ".join(f'{k}="{v}"' for k, v in m.items()) + "}"
def val(v):
    return v
def ts(t):
    s = f"{t:.3f}".rstrip("0").rstrip(".")
    return s
r = d["data"]["result"]
if d["data"]["resultType"] == "vector":
    for s in r:
        print(f'{lbl(s["metric"])} => {val(s["value"][1])} @[{ts(s["value"][0])}]')
else:
    for s in r:
        print(f'{lbl(s["metric"])} =>')
        for t, v in s["values"]:
            print(f"{val(v)} @[{ts(t)}]")
PYEOF
}

check_instant() {
  local q="$1" name="$2"
  promtool query instant "$url" "$q" --time="$t" >"$E2E_TMP/$name.promtool" 2>"$E2E_TMP/$name.err" \
    || { fail "promtool query instant '$q': $(cat "$E2E_TMP/$name.err")"; return; }
  curl -fsS --max-time 10 "$url/api/v1/query" --data-urlencode "query=$q" --data-urlencode "time=$t" \
    -o "$E2E_TMP/$name.json" || { fail "API query '$q' failed"; return; }
  api_as_promtool "$E2E_TMP/$name.json" >"$E2E_TMP/$name.api"
  local n; n=$(wc -l <"$E2E_TMP/$name.api")
  if [ "$n" -gt 0 ] && diff <(sort "$E2E_TMP/$name.promtool") <(sort "$E2E_TMP/$name.api") >/dev/null; then
    pass "promtool query instant '$q': $n series, as vigil computed"
  else
    fail "promtool query instant '$q' differs from the API (or is empty)"
    diff <(sort "$E2E_TMP/$name.promtool") <(sort "$E2E_TMP/$name.api") >&2 || true
  fi
}

check_instant 'sum by (path) (rate(requests_total[5m]))' rate
check_instant 'histogram_quantile(0.9, sum by (le) (rate(latency_seconds_bucket[5m])))' hq
check_instant 'requests_total / on(path, code) group_left requests_total' join

q='sum by (code) (increase(requests_total[10m]))'
promtool query range "$url" "$q" --start="$start" --end="$end" --step=5m \
  >"$E2E_TMP/range.promtool" 2>"$E2E_TMP/range.err" \
  || fail "promtool query range: $(cat "$E2E_TMP/range.err")"
curl -fsS --max-time 10 "$url/api/v1/query_range" --data-urlencode "query=$q" \
  --data-urlencode "start=$start" --data-urlencode "end=$end" --data-urlencode "step=300" \
  -o "$E2E_TMP/range.json" || fail "API query_range failed"
api_as_promtool "$E2E_TMP/range.json" >"$E2E_TMP/range.api"
points=$(grep -c '@\[' "$E2E_TMP/range.api" || true)
if [ "$points" -gt 0 ] && diff "$E2E_TMP/range.promtool" "$E2E_TMP/range.api" >/dev/null; then
  pass "promtool query range: $points points, as vigil computed"
else
  fail "promtool query range differs from the API (or is empty)"
  diff "$E2E_TMP/range.promtool" "$E2E_TMP/range.api" >&2 || true
fi

promtool query series "$url" --match='requests_total{path="/api/1"}' --start="$start" --end="$end" \
  >"$E2E_TMP/series.out" 2>&1 || fail "promtool query series: $(cat "$E2E_TMP/series.out")"
[ "$(grep -c 'path="/api/1"' "$E2E_TMP/series.out")" -gt 0 ] \
  && ! grep -vq 'path="/api/1"' "$E2E_TMP/series.out" \
  && pass "promtool query series: $(wc -l <"$E2E_TMP/series.out") series, all matching" \
  || fail "promtool query series: $(cat "$E2E_TMP/series.out")"
promtool query labels "$url" path --start="$start" --end="$end" >"$E2E_TMP/labels.out" 2>&1 \
  || fail "promtool query labels: $(cat "$E2E_TMP/labels.out")"
grep -qx '/api/0' "$E2E_TMP/labels.out" && pass "promtool query labels lists the values of path" \
  || fail "promtool query labels: $(cat "$E2E_TMP/labels.out")"

# A query that does not parse: promtool reports vigil's bad_data error.
if promtool query instant "$url" 'sum(rate(x[5m])' >"$E2E_TMP/bad.out" 2>&1; then
  fail "a bad query succeeded"
elif grep -q 'bad_data' "$E2E_TMP/bad.out" && grep -q 'parse error' "$E2E_TMP/bad.out"; then
  pass "bad query: $(head -1 "$E2E_TMP/bad.out")"
else
  fail "bad query error unclear: $(cat "$E2E_TMP/bad.out")"
fi

# Targets and metadata of the live scrape (wait for its first scrape).
for _ in $(seq 1 50); do
  curl -fsS "$url/api/v1/targets" -o "$E2E_TMP/targets.json" \
    && [ "$(grep -o '"health":"up"' "$E2E_TMP/targets.json" | wc -l)" -ge 2 ] && break
  sleep 0.2
done
curl -fsS "$url/api/v1/metadata" -o "$E2E_TMP/metadata.json" || fail "GET /api/v1/metadata"
"$PY" - "$E2E_TMP/targets.json" "$E2E_TMP/metadata.json" "$FIXED_ADDR" <<'PYEOF' || fail "targets/metadata"
import json, sys
targets = json.load(open(sys.argv[1]))["data"]["activeTargets"]
# The scraped target, and vigil's own registry collected in-process.
assert sorted(x["scrapePool"] for x in targets) == ["fixed", "vigil"], targets
own = [x for x in targets if x["scrapePool"] == "vigil"][0]
assert own["scrapeUrl"] == "in-process://vigil" and own["health"] == "up", own
t = [x for x in targets if x["scrapePool"] == "fixed"][0]
assert t["scrapePool"] == "fixed" and t["health"] == "up", t
assert t["labels"] == {"instance": sys.argv[3], "job": "fixed"}, t["labels"]
assert t["scrapeUrl"] == f"http://{sys.argv[3]}/metrics", t["scrapeUrl"]
assert t["scrapeInterval"] == "1s" and t["scrapeTimeout"] == "900ms", t
assert t["lastError"] == "" and t["lastScrape"].endswith("Z"), t
m = json.load(open(sys.argv[2]))["data"]
assert m["e2e_latency_seconds"] == [
    {"type": "histogram", "help": "Latency with hand-checkable buckets.", "unit": ""}], m
counter = m.get("e2e_requests") or m.get("e2e_requests_total")
assert counter and counter[0]["type"] == "counter", m
assert m["e2e_payload_bytes"][0]["type"] == "summary", m
PYEOF
[ "$E2E_FAILS" -eq 0 ] && pass "/api/v1/targets and /api/v1/metadata describe the live target"

finish
