#!/usr/bin/env python3
"""Remote write beside Prometheus 2.42 (results in docs/benchmarks.md).

TARGETS loopback targets serve SERIES counters each (tools/soak.py's
targets). Each system -- `vigil run` and Debian's Prometheus -- scrapes all of
them every INTERVAL, once without remote_write and once sending everything to
one VictoriaMetrics (the testbed's) with the same queue_config. Over a
DURATION-second window after WARMUP seconds it measures:

  - the CPU seconds the server process used (utime + stime from /proc);
  - samples appended to its head, and samples the remote acknowledged
    (prometheus_remote_storage_samples_total, the same name in both);
  - the queue's lag at the end: highest timestamp appended minus highest
    sent.

The remote-write cost is CPU(with) - CPU(without) per million samples sent;
the ratio of vigil's to Prometheus' is the figure docs/benchmarks.md keeps.
Configurations run REPEAT times, interleaved; each figure takes the run with
the median CPU time of its configuration.

  tools/remote_write_anchor.py --vigil build/bin/vigil [--targets 20]
      [--series 5000] [--interval 1s] [--warmup 20] [--duration 60] [--repeat 3]

Prints BENCH lines (BENCH remote_write/<figure> vigil=<n> anchor=<n>
unit=<u>; the anchor is Prometheus) and exits 1 when either system failed to send what it
appended (more than two scrape intervals behind at the end).
"""
import argparse
import itertools
import os
import pathlib
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import urllib.request

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))
from soak import Target, serve  # noqa: E402

TESTBED = pathlib.Path(os.environ.get(
    "TESTBED", pathlib.Path(__file__).resolve().parent.parent.parent / "shared" / "testbed"))
QUEUE = "{capacity: 10000, max_samples_per_send: 2000, max_shards: 50, batch_send_deadline: 5s}"
TICK = os.sysconf("SC_CLK_TCK")


def cpu_seconds(pid):
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICK  # utime, stime


def free_port():
    srv = serve(Target(0, 1))
    port = srv.server_address[1]
    srv.shutdown()
    srv.server_close()
    return port


def metric_sum(base, name):
    with urllib.request.urlopen(base + "/metrics", timeout=30) as r:
        text = r.read().decode()
    total, seen = 0.0, False
    for line in text.splitlines():
        m = re.match(rf"^{name}(?:{{[^}}]*}})? (\S+)", line)
        if m:
            total += float(m.group(1))
            seen = True
    return total if seen else None


def run_one(system, binary, work, addrs, interval, vm_url, warmup, duration):
    """Returns (cpu_s, appended, sent, lag_s) over the window."""
    tag = f"{system}-{'rw' if vm_url else 'plain'}"
    d = work / tag
    d.mkdir(parents=True)
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    rw = ""
    if vm_url:
        rw = f"remote_write:\n  - url: {vm_url}/api/v1/write\n    queue_config: {QUEUE}\n"
    scrape = (f"global: {{scrape_interval: {interval}, scrape_timeout: {interval}}}\n"
              f"scrape_configs:\n  - job_name: anchor\n    static_configs: [{{targets: [{addrs}]}}]\n")
    log = open(d / "server.log", "w")
    if system == "vigil":
        (d / "vigil.yml").write_text(
            scrape + rw + f"storage: {{tsdb: {{path: {d / 'data'}}}}}\n"
            "collectors: {node: false, gpu: false}\n"
            "logging: {console: stderr, level: warn}\n")
        cmd = [binary, "run", "--config", str(d / "vigil.yml"), "--listen", f"127.0.0.1:{port}"]
        appended_name = "vigil_tsdb_head_samples_appended_total"
    else:
        (d / "prometheus.yml").write_text(scrape + rw)
        cmd = [binary, f"--config.file={d / 'prometheus.yml'}",
               f"--storage.tsdb.path={d / 'data'}", f"--web.listen-address=127.0.0.1:{port}"]
        appended_name = "prometheus_tsdb_head_samples_appended_total"
    proc = subprocess.Popen(cmd, stdout=log, stderr=log)
    try:
        for _ in range(150):
            try:
                with urllib.request.urlopen(base + "/-/ready", timeout=2) as r:
                    if r.status == 200:
                        break
            except Exception:
                time.sleep(0.2)
        time.sleep(warmup)
        c0, a0 = cpu_seconds(proc.pid), metric_sum(base, appended_name)
        s0 = metric_sum(base, "prometheus_remote_storage_samples_total") or 0.0
        time.sleep(duration)
        c1, a1 = cpu_seconds(proc.pid), metric_sum(base, appended_name)
        s1 = metric_sum(base, "prometheus_remote_storage_samples_total") or 0.0
        lag = 0.0
        if vm_url:
            hi = metric_sum(base, "prometheus_remote_storage_highest_timestamp_in_seconds") or 0.0
            sent = metric_sum(base, "prometheus_remote_storage_queue_highest_sent_timestamp_seconds") or 0.0
            lag = hi - sent
        return c1 - c0, (a1 or 0.0) - (a0 or 0.0), s1 - s0, lag
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=60)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        log.close()


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--vigil", default="build/bin/vigil")
    ap.add_argument("--prometheus", default=shutil.which("prometheus") or "/usr/bin/prometheus")
    ap.add_argument("--targets", type=int, default=20)
    ap.add_argument("--series", type=int, default=5000)
    ap.add_argument("--interval", default="1s")
    ap.add_argument("--warmup", type=int, default=20)
    ap.add_argument("--duration", type=int, default=60)
    ap.add_argument("--repeat", type=int, default=3,
                    help="runs of each configuration, interleaved; medians are reported")
    ap.add_argument("--keep", action="store_true", help="keep the work directory")
    a = ap.parse_args()
    if not os.access(a.prometheus, os.X_OK):
        print("remote_write_anchor: prometheus is not installed (Debian package prometheus)",
              file=sys.stderr)
        return 77
    work = pathlib.Path(tempfile.mkdtemp(prefix="vigil-rw-anchor-"))
    vm = {}
    out = subprocess.run([str(TESTBED / "start-victoriametrics.sh")], check=True,
                         capture_output=True, text=True).stdout
    for line in out.splitlines():
        k, _, v = line.partition("=")
        vm[k] = v.strip("'\"")
    targets = [serve(Target(i, a.series)) for i in range(a.targets)]
    addrs = ", ".join(f'"127.0.0.1:{t.server_address[1]}"' for t in targets)
    runs = {}
    failed = False
    try:
        systems = (("vigil", a.vigil), ("prometheus", a.prometheus))
        for rep, (system, binary), vm_url in itertools.product(
                range(a.repeat), systems, (None, vm["VM_URL"])):
            cpu, appended, sent, lag = run_one(system, binary, work / f"r{rep}", addrs,
                                               a.interval, vm_url, a.warmup, a.duration)
            runs.setdefault((system, vm_url is not None), []).append((cpu, appended, sent, lag))
            print(f"remote_write_anchor: {system} {'with' if vm_url else 'without'} "
                  f"remote_write: {cpu:.1f} CPU s, {appended / a.duration:,.0f} samples/s "
                  f"appended, {sent / a.duration:,.0f} samples/s sent, lag {lag:.1f} s",
                  file=sys.stderr)
            if vm_url and lag > 2 * float(a.interval.rstrip("s")):
                print(f"remote_write_anchor: {system} fell behind ({lag:.1f} s)",
                      file=sys.stderr)
                failed = True
        # Per configuration, the run with the median CPU time.
        results = {k: sorted(v)[len(v) // 2] for k, v in runs.items()}
        fig = {}
        for system in ("vigil", "prometheus"):
            cpu_rw, _, sent, lag = results[(system, True)]
            cpu_plain, appended, _, _ = results[(system, False)]
            fig[system] = {
                "cpu_s_per_million_sent":
                    (cpu_rw - cpu_plain) / (sent / 1e6) if sent else float("nan"),
                "scrape_cpu_s_per_million_appended": cpu_plain / (appended / 1e6),
                "sent_per_s": sent / a.duration,
                "lag_s": lag,
            }
        for name, unit in (("cpu_s_per_million_sent", "cpu_s"),
                           ("scrape_cpu_s_per_million_appended", "cpu_s"),
                           ("sent_per_s", "samples/s"), ("lag_s", "s")):
            v, p = fig["vigil"][name], fig["prometheus"][name]
            print(f"BENCH remote_write/{name} vigil={v:.3f} anchor={p:.3f} unit={unit} "
                  f"targets={a.targets} series={a.series}", flush=True)
    finally:
        for t in targets:
            t.shutdown()
        subprocess.run([str(TESTBED / "stop.sh"), vm["VM_PID"], vm["VM_DIR"]],
                       capture_output=True)
        if not a.keep:
            shutil.rmtree(work, ignore_errors=True)
        else:
            print(f"remote_write_anchor: kept {work}", file=sys.stderr)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
