#!/usr/bin/env python3
"""Resident memory of `vigil run` next to Prometheus 2.42 scraping the same
target (run by scripts/bench tsdb; docs/benchmarks.md).

A loopback target serves N series (default 100,000: counters that advance
every scrape, four labels each). Prometheus (Debian 2.42, started through
../shared/testbed/start-prometheus.sh) and `vigil run` both scrape it every
INTERVAL for DURATION, one after the other so that they do not compete for
the 2 cores; then each process' VmRSS (and VmHWM, the peak) is read from
/proc. Prints

  BENCH tsdb.rss_<n>_series_mb vigil=<MB> anchor=<MB> unit=MB advantage=<x>
  BENCH tsdb.rss_per_series_bytes vigil=<B> anchor=<B> unit=bytes advantage=<x>
"""
import argparse
import http.server
import os
import pathlib
import shutil
import subprocess
import sys
import tempfile
import threading
import time

ROOT = pathlib.Path(__file__).resolve().parent.parent


class Target:
    def __init__(self, n):
        self.prefixes = [
            f'inference_requests_total{{model="m{i % 100}",stage="s{i // 100 % 10}",'
            f'instance_id="{i // 1000}",shard="{i}"}} '.encode() for i in range(n)]
        self.scrape = 0
        self.lock = threading.Lock()

    def body(self):
        with self.lock:
            self.scrape += 1
            k = self.scrape
        lines = [b"# TYPE inference_requests_total counter\n"]
        for i, p in enumerate(self.prefixes):
            lines.append(p + str(k * (i % 7 + 1)).encode() + b"\n")
        return b"".join(lines)


def serve(target):
    class H(http.server.BaseHTTPRequestHandler):
        def do_GET(self):
            b = target.body()
            self.send_response(200)
            self.send_header("Content-Type", "text/plain; version=0.0.4")
            self.send_header("Content-Length", str(len(b)))
            self.end_headers()
            try:
                self.wfile.write(b)
            except (BrokenPipeError, ConnectionResetError):
                pass  # the scraper gave up (timeout) or is stopping

        def log_message(self, *a):
            pass

    srv = http.server.ThreadingHTTPServer(("127.0.0.1", 0), H)
    threading.Thread(target=srv.serve_forever, daemon=True).start()
    return srv.server_address[1]


def rss(pid):
    out = {}
    for line in open(f"/proc/{pid}/status"):
        k, _, v = line.partition(":")
        if k in ("VmRSS", "VmHWM"):
            out[k] = int(v.split()[0]) * 1024
    return out


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--series", type=int, default=100000)
    ap.add_argument("--interval", default="5s")
    ap.add_argument("--duration", type=float, default=120)
    a = ap.parse_args()
    testbed = ROOT.parent / "shared" / "testbed"
    vigil = ROOT / "build" / "bin" / "vigil"
    if not (testbed / "start-prometheus.sh").exists() or shutil.which("prometheus") is None:
        print("bench: Prometheus or the testbed is missing; skipped", file=sys.stderr)
        return
    port = serve(Target(a.series))
    addr = f"127.0.0.1:{port}"
    results = {}
    with tempfile.TemporaryDirectory(prefix="vigil-mem-") as tmp:
        # Prometheus first.
        env = dict(os.environ)
        out = subprocess.run([str(testbed / "start-prometheus.sh"), "--scrape", addr,
                              "--interval", a.interval], check=True, capture_output=True,
                             text=True, env=env).stdout
        kv = dict(l.split("=", 1) for l in out.split() if "=" in l)
        pid, pdir = kv["PROMETHEUS_PID"].strip("'\""), kv["PROMETHEUS_DIR"].strip("'\"")
        try:
            time.sleep(a.duration)
            results["prometheus"] = rss(pid)
        finally:
            subprocess.run([str(testbed / "stop.sh"), pid, pdir], check=False,
                           capture_output=True)
        cfg = os.path.join(tmp, "vigil.yml")
        with open(cfg, "w") as f:
            f.write(f"global:\n  scrape_interval: {a.interval}\n  scrape_timeout: {a.interval}\n"
                    f"scrape_configs:\n  - job_name: vigil-test\n"
                    f"    static_configs:\n      - targets: ['{addr}']\n")
        p = subprocess.Popen([str(vigil), "run", "--config", cfg, "--storage.path",
                              os.path.join(tmp, "data"), "--listen", "127.0.0.1:0"],
                             stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            time.sleep(a.duration)
            results["vigil"] = rss(p.pid)
        finally:
            p.terminate()
            p.wait(timeout=60)
    v, pr = results["vigil"], results["prometheus"]
    for key, name in (("VmRSS", "rss"), ("VmHWM", "peak_rss")):
        print(f"BENCH tsdb.{name}_{a.series // 1000}k_series_mb vigil={v[key] / 2**20:.0f} "
              f"anchor={pr[key] / 2**20:.0f} unit=MB advantage={pr[key] / v[key]:.2f}x")
    print(f"BENCH tsdb.rss_per_series_bytes vigil={v['VmRSS'] / a.series:.0f} "
          f"anchor={pr['VmRSS'] / a.series:.0f} unit=bytes "
          f"advantage={pr['VmRSS'] / v['VmRSS']:.2f}x")


if __name__ == "__main__":
    main()
