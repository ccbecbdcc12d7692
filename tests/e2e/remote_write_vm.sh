#!/usr/bin/env bash
# e2e: remote::WriteStorage (Prometheus remote write 1.0 from the tsdb WAL)
# against a real VictoriaMetrics (Debian victoria-metrics, 1.79 on bookworm).
#
# remote_write_driver (src/remote/remote_write_driver.cc) opens a tsdb,
# appends samples, runs a WriteStorage against VM's /api/v1/write until VM
# has acknowledged the whole WAL, and dumps the tsdb's samples; this script
# reads VM back with /api/v1/export and compares every sample exactly.
#
#   1. basic: 50 series x 200 samples plus an external label, exact;
#   2. outage: samples written at 20 commits/s while VM is stopped for 5 s
#      and started again on the same port and data: nothing lost, retries
#      counted;
#   3. restart: a second driver run on the same tsdb resumes from the
#      progress file (sends only the new samples), and a driver killed with
#      SIGKILL mid-way loses nothing once a new run catches up;
#   4. throughput: 2,000,000 samples already in the WAL, sent with the
#      default queue_config and with 8 shards; samples/s printed (not
#      asserted: it depends on the machine).
#
# Environment: REMOTE_WRITE_DRIVER (ctest sets it) and TESTBED (see lib.sh).
# Exit 0 pass, 1 fail, 77 skip (no curl, no testbed, or VictoriaMetrics could
# not be installed or started).
set -uo pipefail
. "$(dirname "$0")/lib.sh"

DRIVER="${REMOTE_WRITE_DRIVER:-$REPO/build/bin/remote_write_driver}"
[ -x "$DRIVER" ] || die "remote_write_driver not found at $DRIVER"
command -v curl >/dev/null 2>&1 || skip "curl is not installed"
[ -x "$TESTBED/start-victoriametrics.sh" ] || skip "testbed not found at $TESTBED"

VM_DATA="$E2E_TMP/vm"
# Identical (timestamp, value) pairs sent twice (at-least-once delivery
# after an outage) are stored once.
VM_FLAGS=(-- -dedup.minScrapeInterval=1ms)
start_vm() {  # start_vm [PORT]
  local port_args=()
  [ -n "${1:-}" ] && port_args=(--port "$1")
  local env
  if ! env="$("$TESTBED/start-victoriametrics.sh" --dir "$VM_DATA" "${port_args[@]+"${port_args[@]}"}" \
      "${VM_FLAGS[@]}" 2>"$E2E_TMP/start-vm.log")"; then
    tail -n 20 "$E2E_TMP/start-vm.log" >&2
    return 1
  fi
  eval "$env"
  on_exit "$(printf '%q %q >/dev/null 2>&1' "$TESTBED/stop.sh" "$VM_PID")"
}
start_vm || skip "could not install or start VictoriaMetrics (Debian package victoria-metrics)"
on_exit "$(printf '%q %q %q >/dev/null 2>&1' "$TESTBED/stop.sh" "--dir" "$VM_DATA")"
log "VictoriaMetrics (PID $VM_PID) on $VM_URL"
WRITE_URL="$VM_URL/api/v1/write"

now_ms() { echo $(( $(date +%s) * 1000 )); }
kv() { sed -n "s/^$1=//p" "$2" | tail -n 1; }

# compare DUMP METRIC [EXTRA_LABEL]: VM holds exactly the dumped samples.
compare() {
  local dump="$1" metric="$2" extra="${3:-}"
  curl -fsS "$VM_URL/internal/force_flush" >/dev/null 2>&1 || true
  if ! curl -fsS --max-time 60 "$VM_URL/api/v1/export" \
      --data-urlencode "match[]={__name__=\"$metric\"}" >"$E2E_TMP/export-$metric.jsonl"; then
    echo "export failed"
    return 1
  fi
  "$PY" - "$dump" "$E2E_TMP/export-$metric.jsonl" "$extra" <<'PY'
import json, re, sys
dump, export, extra = sys.argv[1:]
want = {}
for line in open(dump):
    labels, t, v = line.rsplit(" ", 2)
    m = re.match(r'(\w+)\{(.*)\}$', labels)
    pairs = dict(re.findall(r'(\w+)="([^"]*)"', m.group(2)))
    pairs["__name__"] = m.group(1)
    if extra:
        k, val = extra.split("=", 1)
        pairs.setdefault(k, val)
    key = tuple(sorted(pairs.items()))
    want.setdefault(key, []).append((int(t), float(v)))
got, dups = {}, 0
for line in open(export):
    o = json.loads(line)
    key = tuple(sorted(o["metric"].items()))
    pts = list(zip(o["timestamps"], o["values"]))
    dups += len(pts) - len(set(pts))
    got.setdefault(key, []).extend(pts)
missing = extra_pts = wrong_series = 0
for key, pts in want.items():
    have = set(got.get(key, []))
    missing += sum(1 for p in pts if p not in have)
for key, pts in got.items():
    if key not in want:
        wrong_series += 1
        continue
    w = set(want[key])
    extra_pts += sum(1 for p in set(pts) if p not in w)
total = sum(len(p) for p in want.values())
print(f"series={len(want)} samples={total} missing={missing} unexpected={extra_pts} "
      f"unknown_series={wrong_series} duplicates={dups}")
sys.exit(0 if total > 0 and missing == 0 and extra_pts == 0 and wrong_series == 0 else 1)
PY
}

# 1. Basic: exact samples, external label added.
t0=$(( $(now_ms) - 3 * 3600 * 1000 ))
if "$DRIVER" --data "$E2E_TMP/basic" --url "$WRITE_URL" --metric rw_basic \
    --series 50 --samples 200 --t0 "$t0" --step-ms 1000 --external-label env=e2e \
    --dump "$E2E_TMP/basic.dump" >"$E2E_TMP/basic.out" 2>"$E2E_TMP/basic.log"; then
  if r="$(compare "$E2E_TMP/basic.dump" rw_basic env=e2e)"; then
    pass "basic: VM holds exactly the 10000 samples written ($r)"
  else
    fail "basic: $r"
  fi
else
  fail "basic: driver failed: $(cat "$E2E_TMP/basic.out" "$E2E_TMP/basic.log" | tail -n 5)"
fi

# 2. Outage: VM stopped for 5 s while samples keep coming.
t0=$(( $(now_ms) - 2 * 3600 * 1000 ))
"$DRIVER" --data "$E2E_TMP/outage" --url "$WRITE_URL" --metric rw_outage \
  --series 100 --samples 300 --rate-hz 20 --t0 "$t0" --step-ms 1000 --wait-s 120 \
  --batch-send-deadline-ms 500 --dump "$E2E_TMP/outage.dump" \
  >"$E2E_TMP/outage.out" 2>"$E2E_TMP/outage.log" &
driver_pid=$!
E2E_PIDS+=("$driver_pid")
sleep 3
vm_port="$VM_PORT"
"$TESTBED/stop.sh" "$VM_PID" >/dev/null 2>&1 || fail "could not stop VictoriaMetrics"
log "VictoriaMetrics stopped; restarting in 5 s"
sleep 5
start_vm "$vm_port" || die "could not restart VictoriaMetrics on port $vm_port"
log "VictoriaMetrics (PID $VM_PID) back on $VM_URL"
if wait "$driver_pid"; then
  retried="$(kv retried "$E2E_TMP/outage.out")"
  if r="$(compare "$E2E_TMP/outage.dump" rw_outage)"; then
    if [ "${retried:-0}" -gt 0 ]; then
      pass "outage: nothing lost across a 5 s VM outage, $retried samples retried ($r)"
    else
      fail "outage: no retries were counted, so the outage was not seen ($r)"
    fi
  else
    fail "outage: $r"
  fi
else
  fail "outage: driver failed: $(cat "$E2E_TMP/outage.out" "$E2E_TMP/outage.log" | tail -n 8)"
fi

# 3a. Restart: the second run resumes from the progress file.
t0=$(( $(now_ms) - 4 * 3600 * 1000 ))
run1_ok=0
"$DRIVER" --data "$E2E_TMP/resume" --url "$WRITE_URL" --metric rw_resume \
  --series 20 --samples 100 --t0 "$t0" --step-ms 1000 --batch-send-deadline-ms 200 \
  >"$E2E_TMP/resume1.out" 2>"$E2E_TMP/resume1.log" && run1_ok=1
if [ "$run1_ok" = 1 ] && "$DRIVER" --data "$E2E_TMP/resume" --url "$WRITE_URL" \
    --metric rw_resume --series 20 --samples 100 --t0 $((t0 + 100 * 1000)) --step-ms 1000 \
    --batch-send-deadline-ms 200 --dump "$E2E_TMP/resume.dump" \
    >"$E2E_TMP/resume2.out" 2>"$E2E_TMP/resume2.log"; then
  sent2="$(kv sent "$E2E_TMP/resume2.out")"
  if r="$(compare "$E2E_TMP/resume.dump" rw_resume)"; then
    if [ "$sent2" = 2000 ]; then
      pass "restart: the second run sent only its 2000 new samples; VM has all 4000 ($r)"
    else
      fail "restart: the second run sent $sent2 samples, want 2000 ($r)"
    fi
  else
    fail "restart: $r"
  fi
else
  fail "restart: driver failed: $(cat "$E2E_TMP"/resume*.out "$E2E_TMP"/resume*.log | tail -n 8)"
fi

# 3b. SIGKILL mid-way, then a run that only catches up.
t0=$(( $(now_ms) - 5 * 3600 * 1000 ))
"$DRIVER" --data "$E2E_TMP/kill" --url "$WRITE_URL" --metric rw_kill \
  --series 50 --samples 2000 --rate-hz 200 --t0 "$t0" --step-ms 1000 \
  >"$E2E_TMP/kill1.out" 2>"$E2E_TMP/kill1.log" &
kill_pid=$!
sleep 3
kill -KILL "$kill_pid" 2>/dev/null
wait "$kill_pid" 2>/dev/null
if "$DRIVER" --data "$E2E_TMP/kill" --url "$WRITE_URL" --metric rw_kill \
    --series 50 --samples 0 --send-existing --batch-send-deadline-ms 200 --dump "$E2E_TMP/kill.dump" \
    >"$E2E_TMP/kill2.out" 2>"$E2E_TMP/kill2.log"; then
  if r="$(compare "$E2E_TMP/kill.dump" rw_kill)"; then
    pass "SIGKILL: after a restart VM holds every sample the tsdb kept ($r)"
  else
    fail "SIGKILL: $r"
  fi
else
  fail "SIGKILL: catch-up run failed: $(cat "$E2E_TMP/kill2.out" "$E2E_TMP/kill2.log" | tail -n 8)"
fi

# 4. Throughput: 2000 series x 1000 samples already in the WAL.
for shards in 1 8; do
  t0=$(( $(now_ms) - (6 + shards) * 3600 * 1000 ))
  if "$DRIVER" --data "$E2E_TMP/bench$shards" --url "$WRITE_URL" --metric "rw_bench$shards" \
      --series 2000 --samples 1000 --t0 "$t0" --step-ms 1000 --start-after-write \
      --send-existing --min-shards "$shards" --wait-s 240 \
      >"$E2E_TMP/bench$shards.out" 2>"$E2E_TMP/bench$shards.log"; then
    log "throughput (min_shards $shards, max_samples_per_send 2000): $(kv sent "$E2E_TMP/bench$shards.out") samples acknowledged by VM in $(kv seconds_to_ack "$E2E_TMP/bench$shards.out") s: $(kv samples_per_second "$E2E_TMP/bench$shards.out") samples/s overall, $(kv samples_per_second_95 "$E2E_TMP/bench$shards.out") samples/s sustained (first 95%), $(kv shards "$E2E_TMP/bench$shards.out") shards at the end"
  else
    fail "throughput run (min_shards $shards) failed: $(tail -n 5 "$E2E_TMP/bench$shards.out")"
  fi
done

# 6. The daemon: `vigil run` with a remote_write section sends its own
# self-scraped series to VM; SIGTERM drains the queue before exiting 0.
if [ -n "${VIGIL_BIN:-}" ] && [ -x "$VIGIL_BIN" ]; then
  vport="$(free_port)"
  cat >"$E2E_TMP/vigil-rw.yml" <<YAML
global:
  scrape_interval: 1s
  external_labels: {cluster: e2e}
storage: {tsdb: {path: $E2E_TMP/vigil-rw-data}}
collectors: {node: false, gpu: false}
remote_write:
  - url: $WRITE_URL
    queue_config: {batch_send_deadline: 1s}
YAML
  "$VIGIL_BIN" run --config "$E2E_TMP/vigil-rw.yml" --listen "127.0.0.1:$vport" \
    >"$E2E_TMP/vigil-rw.log" 2>&1 &
  vpid=$!
  E2E_PIDS+=("$vpid")
  sleep 6
  kill -TERM "$vpid"
  rc=0
  wait "$vpid" || rc=$?
  [ "$rc" = 0 ] && pass "vigil run with remote_write: SIGTERM exit 0" \
    || fail "vigil run exited $rc: $(tail -n 5 "$E2E_TMP/vigil-rw.log")"
  curl -fsS "$VM_URL/internal/force_flush" >/dev/null 2>&1 || true
  sleep 1
  n="$(curl -fsS "$VM_URL/api/v1/export" \
        --data-urlencode 'match[]=vigil_tsdb_head_series{job="vigil",cluster="e2e"}' |
       "$PY" -c 'import json,sys; print(sum(len(json.loads(l)["values"]) for l in sys.stdin if l.strip()))')"
  [ "${n:-0}" -ge 4 ] && pass "vigil run's self-scraped series reached VM with the external label ($n samples)" \
    || fail "VM has ${n:-0} samples of vigil_tsdb_head_series from vigil run"
else
  log "VIGIL_BIN not set: the daemon section is skipped"
fi

finish
