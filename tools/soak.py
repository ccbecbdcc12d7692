#!/usr/bin/env python3
"""Soak test of `vigil run` (issue 10; results in docs/benchmarks.md).

TARGETS loopback targets serve SERIES series each (counters that advance on
every scrape, four labels); `vigil run` scrapes all of them every INTERVAL
and evaluates a few recording and alerting rules, while wrk keeps CLIENTS
concurrent connections busy with a rotation of API and UI requests (instant
and range queries -- all-series aggregations through recording rules, raw
series for one target -- series, labels, targets, rules, alerts, /metrics
and the UI page when the binary embeds it) for DURATION seconds. It then reports:

  - wrk's latency percentiles (p50/p90/p99/max) and request rate, and the
    number of socket errors and non-2xx answers (must be 0);
  - vigil's resident memory every 10 s (second and last minute, peak) and
    per stored sample: the head keeps every sample of the run in memory (as
    Prometheus' head does until it cuts a block), so memory grows with the
    samples; "bounded" means bytes per stored sample stay flat;
  - scrape health: every target up for the whole run, the samples stored.

  tools/soak.py --vigil build/bin/vigil [--targets 20] [--series 5000]
                [--interval 1s] [--duration 600] [--clients 50]

Prints BENCH lines (tools/bench_report.py reads them) and exits 1 when any
request failed, a target was ever down, or memory grew without bound (the
last minute's mean more than 1.5x the second minute's).
"""
import argparse
import http.server
import json
import os
import pathlib
import re
import shutil
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
import urllib.request


class Target:
    def __init__(self, idx, n):
        self.prefixes = [
            f'soak_requests_total{{model="m{i % 50}",stage="s{i // 50 % 10}",'
            f'shard="{i}",target="t{idx}"}} '.encode() for i in range(n)]
        self.header = b"# HELP soak_requests_total Requests.\n# TYPE soak_requests_total counter\n"
        self.scrape = 0
        self.lock = threading.Lock()

    def body(self):
        with self.lock:
            self.scrape += 1
            k = self.scrape
        parts = [self.header]
        for i, p in enumerate(self.prefixes):
            parts.append(p + str(k * (i % 7 + 1)).encode() + b"\n")
        return b"".join(parts)


def serve(target):
    class H(http.server.BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_GET(self):
            body = target.body()
            self.send_response(200)
            self.send_header("Content-Type", "text/plain; version=0.0.4")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *a):
            pass

    srv = http.server.ThreadingHTTPServer(("127.0.0.1", 0), H)
    srv.daemon_threads = True
    threading.Thread(target=srv.serve_forever, daemon=True).start()
    return srv


def rss_mb(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024.0
    return float("nan")


def get(url, timeout=30):
    with urllib.request.urlopen(url, timeout=timeout) as r:
        return r.status, r.read()


def query(base, expr):
    _, body = get(base + "/api/v1/query?" + urllib.parse.urlencode({"query": expr}))
    return json.loads(body)["data"]["result"]


LUA = r"""
local paths = {%s}
local i = 0
request = function()
  i = i + 1
  return wrk.format("GET", paths[(i %% #paths) + 1])
end
done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format("SOAK requests=%%d duration_us=%%d p50_us=%%d p90_us=%%d p99_us=%%d max_us=%%d "
    .. "connect=%%d read=%%d write=%%d status=%%d timeout=%%d\n",
    summary.requests, summary.duration, latency:percentile(50), latency:percentile(90),
    latency:percentile(99), latency.max, e.connect, e.read, e.write, e.status, e.timeout))
end
"""


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--vigil", default="build/bin/vigil")
    ap.add_argument("--targets", type=int, default=20)
    ap.add_argument("--series", type=int, default=5000)
    ap.add_argument("--interval", default="1s")
    ap.add_argument("--duration", type=int, default=600)
    ap.add_argument("--clients", type=int, default=50)
    ap.add_argument("--keep", action="store_true", help="keep the work directory")
    a = ap.parse_args()
    if shutil.which("wrk") is None:
        print("soak: wrk is not installed (apt-get install wrk)", file=sys.stderr)
        return 77
    work = pathlib.Path(tempfile.mkdtemp(prefix="vigil-soak-"))
    targets = [serve(Target(i, a.series)) for i in range(a.targets)]
    addrs = ", ".join(f'"127.0.0.1:{t.server_address[1]}"' for t in targets)
    (work / "rules.yml").write_text(
        "groups:\n- name: soak\n  rules:\n"
        "  - record: model:soak_requests:rate1m\n"
        "    expr: sum by (model) (rate(soak_requests_total[1m]))\n"
        "  - record: target:soak_requests:rate1m\n"
        "    expr: sum by (target) (rate(soak_requests_total[1m]))\n"
        "  - alert: SoakTargetDown\n    expr: up == 0\n    for: 10s\n")
    (work / "vigil.yml").write_text(
        f"global: {{scrape_interval: {a.interval}, scrape_timeout: {a.interval}, "
        f"evaluation_interval: 5s}}\n"
        f"storage: {{tsdb: {{path: {work / 'data'}}}}}\n"
        "rule_files: [rules.yml]\n"
        "logging: {console: stderr, level: warn}\n"
        f"scrape_configs:\n  - job_name: soak\n    static_configs: [{{targets: [{addrs}]}}]\n")
    port_probe = serve(Target(0, 1))
    port = port_probe.server_address[1]
    port_probe.shutdown()
    port_probe.server_close()
    base = f"http://127.0.0.1:{port}"
    log = open(work / "vigil.log", "w")
    vigil = subprocess.Popen([a.vigil, "run", "--config", str(work / "vigil.yml"),
                              "--listen", f"127.0.0.1:{port}"], stdout=log, stderr=log)
    failures = []
    try:
        for _ in range(100):
            try:
                if get(base + "/ready")[0] == 200:
                    break
            except Exception:
                time.sleep(0.2)
        time.sleep(15)  # a few scrapes and a rule evaluation before the load
        up = query(base, 'count(up{job="soak"} == 1)')
        print(f"soak: {up[0]['value'][1] if up else 0} of {a.targets} targets up before the load",
              file=sys.stderr)
        # A dashboard's mix: aggregations over all 100k series go through the
        # recording rules (as they would on Prometheus); raw-series queries are
        # selective (one target: 5k series; one model of one target: 100).
        paths = [
            "/api/v1/query?query=" + urllib.parse.quote('model:soak_requests:rate1m'),
            "/api/v1/query?query=" + urllib.parse.quote('sum(target:soak_requests:rate1m)'),
            "/api/v1/query?query=" + urllib.parse.quote('sum by (model) (rate(soak_requests_total{target="t3"}[1m]))'),
            "/api/v1/query?query=" + urllib.parse.quote('topk(5, soak_requests_total{target="t3"})'),
            "/api/v1/query_range?query=" + urllib.parse.quote('model:soak_requests:rate1m')
            + "&start=%d&end=%d&step=15" % (time.time() - 300, time.time() + a.duration),
            "/api/v1/query_range?query=" + urllib.parse.quote('sum(rate(soak_requests_total{target="t3",model="m7"}[1m]))')
            + "&start=%d&end=%d&step=15" % (time.time() - 300, time.time() + a.duration),
            "/api/v1/series?" + urllib.parse.urlencode({"match[]": 'soak_requests_total{shard="42"}'}),
            "/api/v1/labels",
            "/api/v1/label/model/values",
            "/api/v1/targets",
            "/api/v1/rules",
            "/api/v1/alerts",
            "/metrics",
        ]
        try:
            if get(base + "/")[0] == 200:
                paths.append("/")
        except Exception:
            pass
        lua = work / "soak.lua"
        lua.write_text(LUA % ", ".join(json.dumps(p) for p in paths))
        rss = []
        stop = threading.Event()

        def sample():
            while not stop.is_set():
                rss.append(rss_mb(vigil.pid))
                stop.wait(10)

        sampler = threading.Thread(target=sample, daemon=True)
        sampler.start()
        started = time.time()
        wrk = subprocess.run(["wrk", "-t2", f"-c{a.clients}", f"-d{a.duration}s", "--timeout", "10s",
                              "-s", str(lua), base], capture_output=True, text=True)
        elapsed = time.time() - started
        stop.set()
        sampler.join()
        m = re.search(r"SOAK (.*)", wrk.stdout)
        if not m:
            print(wrk.stdout, wrk.stderr, file=sys.stderr)
            return 1
        r = dict(kv.split("=") for kv in m.group(1).split())
        r = {k: int(v) for k, v in r.items()}
        errors = r["connect"] + r["read"] + r["write"] + r["status"] + r["timeout"]
        window = f"{int(elapsed) + 20}s"
        min_up = query(base, f'min(min_over_time(up{{job="soak"}}[{window}]))')
        samples = query(base, f'sum(sum_over_time(scrape_samples_scraped{{job="soak"}}[{window}]))')
        scrapes = query(base, f'sum(count_over_time(up{{job="soak"}}[{window}]))')
        min_up_v = float(min_up[0]["value"][1]) if min_up else 0
        per_min = max(1, len(rss) // max(1, a.duration // 60))
        first = rss[per_min:2 * per_min] or rss[:1]
        last = rss[-per_min:]
        mean = lambda xs: sum(xs) / len(xs)
        print(f"soak: {a.targets} targets x {a.series} series every {a.interval} for {a.duration} s, "
              f"{a.clients} clients over {len(paths)} endpoints", file=sys.stderr)
        print(f"soak: {r['requests']} requests ({r['requests'] / elapsed:.0f}/s), errors {errors} "
              f"(connect {r['connect']}, read {r['read']}, write {r['write']}, non-2xx {r['status']}, "
              f"timeout {r['timeout']})", file=sys.stderr)
        print(f"soak: latency p50 {r['p50_us'] / 1000:.2f} ms, p90 {r['p90_us'] / 1000:.2f} ms, "
              f"p99 {r['p99_us'] / 1000:.2f} ms, max {r['max_us'] / 1000:.1f} ms", file=sys.stderr)
        print(f"soak: scrapes {float(scrapes[0]['value'][1]) if scrapes else 0:.0f}, samples "
              f"{float(samples[0]['value'][1]) if samples else 0:.0f}, min(up) {min_up_v:g}",
              file=sys.stderr)
        print(f"soak: RSS MB second minute {mean(first):.0f}, last minute {mean(last):.0f}, "
              f"peak {max(rss):.0f}", file=sys.stderr)
        print(f"BENCH soak.api_p99_ms vigil={r['p99_us'] / 1000:.3f} unit=ms")
        print(f"BENCH soak.api_p50_ms vigil={r['p50_us'] / 1000:.3f} unit=ms")
        print(f"BENCH soak.requests_per_second vigil={r['requests'] / elapsed:.0f} unit=req/s")
        print(f"BENCH soak.rss_peak_mb vigil={max(rss):.0f} unit=MB")
        if errors:
            failures.append(f"{errors} failed requests")
        if min_up_v < 1:
            failures.append("a target was down during the run")
        # Growth beyond the data: more than 16 bytes of RSS per stored sample
        # between the second and the last minute (XOR chunks take about 1-2).
        n_samples = float(samples[0]["value"][1]) if samples else 0
        if len(rss) >= 12 and n_samples > 0:
            per_sample = (mean(last) - mean(first)) * 1e6 / (n_samples * (1 - 2 / max(3, a.duration / 60)))
            print(f"soak: RSS growth per stored sample {per_sample:.1f} bytes", file=sys.stderr)
            print(f"BENCH soak.rss_growth_bytes_per_sample vigil={per_sample:.2f} unit=bytes")
            if per_sample > 16:
                failures.append("resident memory grew faster than the stored samples")
    finally:
        vigil.terminate()
        rc = vigil.wait(timeout=60)
        if rc != 0:
            failures.append(f"vigil run exited {rc} after SIGTERM")
        log.close()
        for t in targets:
            t.shutdown()
        if not a.keep:
            shutil.rmtree(work, ignore_errors=True)
        else:
            print(f"soak: files in {work}", file=sys.stderr)
    for f in failures:
        print("soak: FAIL: " + f, file=sys.stderr)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
