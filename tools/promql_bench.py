#!/usr/bin/env python3
"""scripts/bench promql: PromQL query latency over HTTP, vigil next to
Prometheus 2.42 on the same data.

  tools/promql_bench.py                    # defaults below
  tools/promql_bench.py --reps 20 --step 15
  tools/promql_bench.py --self-test        # both sides are Prometheus

Data (tools/promql_data.py `bench`, 15 s scrapes over 1 h = 241 samples per
series, all targets aligned, ~7.6 M samples):
  x{job,instance}              counter, 10 jobs x 1000 instances = 10 000 series
  x_info{job,instance,version} constant 1, one per x series (10 000 series)
  h_bucket{job,instance,le}    classic histogram, 900 label sets (10 jobs x 90
                               instances) x 11 buckets = 9 900 series, plus
                               900 h_sum and 900 h_count
The file is backfilled by `promtool tsdb create-blocks-from openmetrics`
and `vigil tsdb import` (both at once), then `prometheus` and `vigil run`
are started on free 127.0.0.1 ports and stay up together.

Queries (each as an instant query at the end of the data and as a range
query over the whole hour, step --step seconds, default 60 = 61 points):
  sum_rate            sum by (job) (rate(x[5m]))
  histogram_quantile  histogram_quantile(0.99, sum by (le) (rate(h_bucket[5m])))
  join                rate(x[5m]) * on(job, instance) group_left(version) x_info
                      (10 000 series out: includes encoding a large answer)

Method: before timing, each query is sent once to both servers and the
answers are compared (tools/promql_harness.py rules: same label sets, values
within 1e-9); then --warmup requests per server, then --reps rounds, each
round one request to vigil then one to Prometheus. Requests are sequential,
so each server runs its query while the other one is idle (both processes
stay up; neither scrapes anything but vigil's own metrics once an hour).
The time is the client's wall clock from sending the request to having read
the whole body (JSON not parsed), one fresh TCP connection per request
(--keep-alive reuses one). Output, one line per query and kind:

  BENCH promql/<name>/<instant|range> vigil_ms=<median> prometheus_ms=<median>
      ratio=<vigil/prometheus> vigil_p90_ms=.. prometheus_p90_ms=.. series=N equal=yes|no

(one line each; ratio < 1 means vigil is faster). Exit 1 if any answers
differ, 2 if the setup failed.
"""
import argparse
import os
import statistics
import sys
import time

sys.dont_write_bytecode = True  # no __pycache__ in tools/
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import promql_data  # noqa: E402
import promql_harness as H  # noqa: E402

START = 1700000000

QUERIES = [
    ("sum_rate", "sum by (job) (rate(x[5m]))"),
    ("histogram_quantile", "histogram_quantile(0.99, sum by (le) (rate(h_bucket[5m])))"),
    ("join", "rate(x[5m]) * on(job, instance) group_left(version) x_info"),
]


def pct(xs, p):
    """Nearest-rank percentile."""
    s = sorted(xs)
    k = max(0, min(len(s) - 1, int(round(p / 100.0 * len(s) + 0.5)) - 1))
    return s[k]


def series_count(ans):
    if not ans.ok:
        return -1
    r = ans.json.get("data", {}).get("result")
    return len(r) if isinstance(r, list) else -1


def main():
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--reps", type=int, default=10, help="timed rounds per query (default 10)")
    ap.add_argument("--warmup", type=int, default=2, help="untimed requests per server first")
    ap.add_argument("--step", type=int, default=60, help="range query step, seconds")
    ap.add_argument("--jobs", type=int, default=10)
    ap.add_argument("--instances", type=int, default=1000, help="x series per job")
    ap.add_argument("--hist-sets", type=int, default=900, help="histogram label sets")
    ap.add_argument("--minutes", type=int, default=60)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--vigil-bin", default=str(H.VIGIL_BIN), type=os.path.abspath)
    ap.add_argument("--vigil-url", help="use this running server (holding the same data)")
    ap.add_argument("--prom-url", help="use this running Prometheus")
    ap.add_argument("--self-test", action="store_true",
                    help="a second Prometheus plays vigil's part (checks the harness)")
    ap.add_argument("--keep-alive", action="store_true",
                    help="reuse one connection per server (default: one per request)")
    ap.add_argument("--only", help="comma-separated query names to run")
    ap.add_argument("--keep", action="store_true", help="keep the temporary directory")
    a = ap.parse_args()

    vname = "prometheus#2" if a.self_test else "vigil"
    end = START + a.minutes * 60
    with H.workspace("promql_bench", a.keep) as (work, servers):
        try:
            if not (a.vigil_url and a.prom_url):
                t0 = time.monotonic()
                om = os.path.join(work, "bench.om")
                with open(om, "w", buffering=1 << 20) as f:
                    info = promql_data.gen_bench(f, a.seed, START, a.jobs, a.instances,
                                                 a.hist_sets, a.minutes)
                print(f"promql_bench: generated {info['series']} series, {info['samples']} samples "
                      f"({os.path.getsize(om) >> 20} MiB) in {time.monotonic() - t0:.1f} s",
                      file=sys.stderr)
                t0 = time.monotonic()
                prom_dirs = [os.path.join(work, "prom")]
                vdir = None
                if not a.vigil_url:
                    if a.self_test:
                        prom_dirs.append(os.path.join(work, "prom2"))
                    else:
                        vdir = os.path.join(work, "vigil")
                H.import_both(om, prom_dirs, vdir, work, a.vigil_bin)
                print(f"promql_bench: imported in {time.monotonic() - t0:.1f} s", file=sys.stderr)
                os.unlink(om)
            # No compaction of the imported 2 h blocks while timing.
            pflags = ["--storage.tsdb.min-block-duration=2h", "--storage.tsdb.max-block-duration=2h"]
            if a.prom_url:
                prom_url = a.prom_url
            else:
                srv = H.start_prometheus("prometheus", prom_dirs[0], work, pflags, timeout=300)
                servers.append(srv)
                prom_url = srv.url
            if a.vigil_url:
                vigil_url = a.vigil_url
            elif a.self_test:
                srv = H.start_prometheus("prometheus2", prom_dirs[1], work, pflags, timeout=300)
                servers.append(srv)
                vigil_url = srv.url
            else:
                srv = H.start_vigil("vigil", vdir, work, a.vigil_bin, timeout=300)
                servers.append(srv)
                vigil_url = srv.url
            vc = H.Client(vigil_url, keep_alive=a.keep_alive)
            pc = H.Client(prom_url, keep_alive=a.keep_alive)
            pre = vc.request("/api/v1/query", {"query": "1", "time": str(end)})
            if pre.json is None or "status" not in pre.json:
                print(f"promql_bench: {vname} at {vigil_url} does not serve /api/v1/query "
                      f"(HTTP {pre.status})", file=sys.stderr)
                return 2

            only = set(a.only.split(",")) if a.only else None
            differ = 0
            for name, q in QUERIES:
                if only and name not in only:
                    continue
                for kind in ("instant", "range"):
                    if kind == "instant":
                        path, params = "/api/v1/query", {"query": q, "time": str(end)}
                    else:
                        path, params = "/api/v1/query_range", {
                            "query": q, "start": str(START), "end": str(end), "step": str(a.step)}
                    va = vc.request(path, params)
                    pa = pc.request(path, params)
                    diff = H.compare_answers(va, pa, names=(vname, "prometheus"))
                    nv, np_ = series_count(va), series_count(pa)
                    if diff is not None or not pa.ok:
                        differ += 1
                        print(f"promql_bench: {name}/{kind}: answers differ ({nv} vs {np_} "
                              f"series): {diff or pa.error_text()}", file=sys.stderr)
                    for _ in range(a.warmup):
                        vc.request(path, params)
                        pc.request(path, params)
                    tv, tp = [], []
                    for _ in range(a.reps):
                        r = vc.request(path, params)
                        tv.append(r.seconds * 1000)
                        r = pc.request(path, params)
                        tp.append(r.seconds * 1000)
                    mv, mp = statistics.median(tv), statistics.median(tp)
                    print(f"BENCH promql/{name}/{kind} vigil_ms={mv:.2f} prometheus_ms={mp:.2f} "
                          f"ratio={mv / mp:.2f} vigil_p90_ms={pct(tv, 90):.2f} "
                          f"prometheus_p90_ms={pct(tp, 90):.2f} series={np_} "
                          f"equal={'yes' if diff is None and pa.ok else 'no'}", flush=True)
            return 1 if differ else 0
        except H.SetupError as e:
            print(f"promql_bench: setup failed: {e}", file=sys.stderr)
            return 2


if __name__ == "__main__":
    sys.exit(main())
