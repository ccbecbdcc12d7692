#!/usr/bin/env python3
"""scripts/bench tsdb: storage figures next to Prometheus 2.42 (the anchor).

1. Runs build/bin/tsdb_benchmark (append, select+decode, bytes per sample by
   kind, memory per series, recovery) and prints its figures; they have no
   in-process anchor (Prometheus is Go), so they print `anchor=-` and the
   issue's targets are in docs/benchmarks.md.
2. Bytes per sample against Prometheus itself: the same generated
   OpenMetrics data (tests/testdata/gen_openmetrics.py: counters, noisy
   gauges, histogram buckets, 15 s scrapes) is backfilled by
   `vigil tsdb import` and by `promtool tsdb create-blocks-from openmetrics`;
   the figure is the chunk bytes on disk per sample (vigil: chunks/; Prometheus:
   the blocks' chunks/ directories; indexes excluded on both sides).

  BENCH tsdb.<figure> vigil=<n> anchor=<n|-> unit=<unit> advantage=<x|->
"""
import json
import os
import pathlib
import shutil
import subprocess
import sys
import tempfile

ROOT = pathlib.Path(__file__).resolve().parent.parent
BIN = ROOT / "build" / "bin"


def line(name, vigil, anchor, unit, lower_is_better=True):
    def f(v):
        return f"{v:.0f}" if v >= 100 else f"{v:.2f}" if v < 10 else f"{v:.1f}"
    if anchor is None:
        print(f"BENCH tsdb.{name} vigil={f(vigil)} anchor=- unit={unit} advantage=-")
    else:
        adv = anchor / vigil if lower_is_better else vigil / anchor
        print(f"BENCH tsdb.{name} vigil={f(vigil)} anchor={f(anchor)} unit={unit} "
              f"advantage={adv:.2f}x")


def micro():
    out = subprocess.run([str(BIN / "tsdb_benchmark"), "--benchmark_format=json",
                          "--benchmark_min_time=" + os.environ.get("BENCH_MIN_TIME", "0.5")],
                         check=True, capture_output=True, text=True).stdout
    kinds = ["counters", "histogram_buckets", "gauges_noisy", "gauges_2_decimals", "mix"]
    for b in json.loads(out)["benchmarks"]:
        name = b["name"]
        if "AppendHead" in name:
            line("append_head_samples_per_s", b["items_per_second"] / 1e6, None, "M/s")
        elif "AppendWal" in name:
            line("append_wal_samples_per_s", b["items_per_second"] / 1e6, None, "M/s")
        elif "SelectDecode" in name:
            line("select_decode_samples_per_s", b["items_per_second"] / 1e6, None, "M/s")
        elif "ChunkDecode" in name:
            what = "seek_last_20" if name.endswith("seek:1") else "full"
            line(f"chunk_decode_{what}_samples_per_s", b["items_per_second"] / 1e6, None, "M/s")
        elif "BytesPerSample" in name:
            k = int(name.split("/")[1])
            line(f"bytes_per_sample_{kinds[k]}", b["bytes_per_sample"], None, "bytes")
        elif "MemoryPerSeries" in name:
            line("heap_bytes_per_series", b["bytes_per_series"], None, "bytes")
        elif "RecoverWal10M" in name:
            line("recover_10m_samples_wal_s", b["real_time"] / 1e3, None, "s")
        elif "RecoverCheckpoint10M" in name:
            line("recover_10m_samples_checkpoint_s", b["real_time"] / 1e3, None, "s")


def dir_bytes(path, only_chunks):
    total = 0
    for p in pathlib.Path(path).rglob("*"):
        if p.is_file() and (not only_chunks or p.parent.name == "chunks"):
            total += p.stat().st_size
    return total


def backfill_both(om, samples, tmp, figure):
    """Imports `om` with vigil and promtool; prints chunk bytes per sample."""
    subprocess.run([str(BIN / "vigil"), "tsdb", "import", om, "--storage.path",
                    os.path.join(tmp, "vigil")], check=True, stdout=subprocess.DEVNULL)
    subprocess.run(["promtool", "tsdb", "create-blocks-from", "openmetrics", om,
                    os.path.join(tmp, "prom")], check=True, stdout=subprocess.DEVNULL,
                   stderr=subprocess.DEVNULL)
    v = dir_bytes(os.path.join(tmp, "vigil", "chunks"), False) / samples
    p = dir_bytes(os.path.join(tmp, "prom"), True) / samples
    line(figure, v, p, "bytes")


def against_prometheus():
    if shutil.which("promtool") is None:
        print("bench: promtool not installed; skipping the Prometheus anchor", file=sys.stderr)
        return
    with tempfile.TemporaryDirectory(prefix="vigil-bench-") as tmp:
        data = os.path.join(tmp, "data.om")
        with open(data, "w") as f:
            subprocess.run([sys.executable, str(ROOT / "tests/testdata/gen_openmetrics.py"),
                            "--series", "300", "--samples", "720", "--jitter-ms", "0"],
                           check=True, stdout=f)
        samples = sum(1 for l in open(data) if l and not l.startswith("#"))
        backfill_both(data, samples, tmp, "disk_chunk_bytes_per_sample_same_data")


def dump_to_openmetrics(dump, out):
    """`vigil tsdb dump` lines -> OpenMetrics samples with timestamps."""
    import re
    with open(out, "w") as f:
        for line in open(dump):
            labels, rest = line.rstrip("\n").rsplit("} ", 1)
            v, t = rest.split(" ")
            m = re.match(r'\{__name__="([^"]*)"(?:, )?(.*)', labels)
            name, others = m.group(1), m.group(2).replace('", ', '",')
            f.write(f"{name}{{{others}}} {v} {int(t) / 1000:.3f}\n")
        f.write("# EOF\n")


def node_exporter_data():
    """Real data: vigil scrapes node_exporter every second for 150 s; the
    stored samples are then backfilled by both vigil and promtool."""
    start = ROOT.parent / "shared" / "testbed" / "start-node-exporter.sh"
    if not start.exists() or shutil.which("promtool") is None:
        print("bench: no testbed or promtool; skipping node_exporter data", file=sys.stderr)
        return
    with tempfile.TemporaryDirectory(prefix="vigil-bench-node-") as tmp:
        out = subprocess.run([str(start)], check=True, capture_output=True, text=True).stdout
        kv = dict(l.split("=", 1) for l in out.split() if "=" in l)
        pid, pdir = kv["NODE_EXPORTER_PID"].strip("'\""), kv["NODE_EXPORTER_DIR"].strip("'\"")
        port = kv["NODE_EXPORTER_PORT"].strip("'\"")
        try:
            cfg = os.path.join(tmp, "v.yml")
            with open(cfg, "w") as f:
                f.write("global:\n  scrape_interval: 1s\n  scrape_timeout: 900ms\n"
                        "scrape_configs:\n  - job_name: node\n    static_configs:\n"
                        f"      - targets: ['127.0.0.1:{port}']\n")
            subprocess.run([str(BIN / "vigil"), "run", "--config", cfg, "--storage.path",
                            os.path.join(tmp, "live"), "--listen", "127.0.0.1:0",
                            "--duration", "150"], check=True, stderr=subprocess.DEVNULL)
        finally:
            subprocess.run([str(ROOT.parent / "shared" / "testbed" / "stop.sh"), pid, pdir],
                           capture_output=True)
        dump = os.path.join(tmp, "dump")
        with open(dump, "w") as f:
            p = subprocess.run([str(BIN / "vigil"), "tsdb", "dump", "--storage.path",
                                os.path.join(tmp, "live")], check=True, capture_output=True,
                               text=True)
            f.write("".join(l + "\n" for l in p.stdout.splitlines() if 'job="node"' in l))
        om = os.path.join(tmp, "node.om")
        dump_to_openmetrics(dump, om)
        samples = sum(1 for _ in open(dump))
        backfill_both(om, samples, tmp, "disk_chunk_bytes_per_sample_node_exporter")


def main():
    micro()
    against_prometheus()
    if os.environ.get("TSDB_NODE", "1") != "0":
        node_exporter_data()


if __name__ == "__main__":
    main()
