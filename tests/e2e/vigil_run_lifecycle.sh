#!/usr/bin/env bash
# `vigil run` as a process: serves /metrics and /health, self-scrapes into
# its storage, reloads on SIGHUP (a bad file keeps the running config), stops
# cleanly on SIGTERM (exit 0), refuses a bad config naming file:line:column,
# and keeps its data across a restart.
set -euo pipefail
source "$(dirname "$0")/lib.sh"

start_fixed_exporter
port="$(free_port)"
cfg="$E2E_TMP/vigil.yml"
cat >"$cfg" <<YAML
global:
  scrape_interval: 1s
  scrape_timeout: 900ms
scrape_configs: []
YAML
"$VIGIL_BIN" run --config "$cfg" --storage.path "$E2E_TMP/data" --listen "127.0.0.1:$port" \
  --duration 100 >"$E2E_TMP/vigil.log" 2>&1 &
pid=$!
E2E_PIDS+=("$pid")
wait_http "http://127.0.0.1:$port/health" 20 "$pid" || die "vigil run did not serve /health: $(tail -5 "$E2E_TMP/vigil.log")"
pass "/health answers"
# (Read the body first: `curl | grep -q` fails under pipefail when grep
# stops reading early and curl gets SIGPIPE.)
metrics="$(curl -fsS "http://127.0.0.1:$port/metrics")" || metrics=""
grep -q '^vigil_tsdb_head_series' <<<"$metrics" \
  && pass "/metrics exposes vigil_tsdb_* series" || fail "/metrics lacks vigil_tsdb_head_series"

# A broken file on SIGHUP keeps the running configuration.
printf 'global:\n  scrape_interval: 1s\n  bogus: 1\n' >"$cfg"
kill -HUP "$pid"
sleep 1
grep -q 'reload failed' "$E2E_TMP/vigil.log" && grep -q 'vigil.yml:3:3' "$E2E_TMP/vigil.log" \
  && pass "bad reload refused with file:line:column" \
  || fail "bad reload not reported: $(tail -3 "$E2E_TMP/vigil.log")"
# A good one adds the fixed exporter.
cat >"$cfg" <<YAML
global:
  scrape_interval: 1s
  scrape_timeout: 900ms
scrape_configs:
  - job_name: fixed
    static_configs:
      - targets: ["$FIXED_ADDR"]
YAML
kill -HUP "$pid"
sleep 3
kill -TERM "$pid"
rc=0
wait "$pid" || rc=$?
[ "$rc" -eq 0 ] && pass "SIGTERM: clean exit" || fail "SIGTERM: exit status $rc"

"$VIGIL_BIN" tsdb dump --storage.path "$E2E_TMP/data" >"$E2E_TMP/dump"
grep -q '^{__name__="up", instance="'"$FIXED_ADDR"'", job="fixed"} 1 ' "$E2E_TMP/dump" \
  && pass "after reload the new target was scraped and stored" || fail "no up series for the reloaded target"
grep -q '^{__name__="vigil_tsdb_head_series", instance="127.0.0.1:'"$port"'", job="vigil"}' "$E2E_TMP/dump" \
  && pass "self-scrape stored vigil's own metrics" || fail "no self-scraped series"

printf 'global:\n  scrape_interval: 1s\nscrape_configs:\n  - job_name: x\n    scrape_timeout: 5s\n' >"$E2E_TMP/bad.yml"
if "$VIGIL_BIN" run --config "$E2E_TMP/bad.yml" --storage.path "$E2E_TMP/bad" --listen 127.0.0.1:0 \
    --duration 5 \
    >"$E2E_TMP/bad.log" 2>&1; then
  fail "a bad config was accepted"
else
  grep -q 'bad.yml:5:' "$E2E_TMP/bad.log" && pass "bad config refused: $(head -1 "$E2E_TMP/bad.log")" \
    || fail "bad config error lacks file:line: $(cat "$E2E_TMP/bad.log")"
fi
finish
