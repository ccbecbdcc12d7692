#!/usr/bin/env python3
"""scripts/bench rules: rule evaluation time per round, vigil next to
Prometheus 2.42 running the same rule files on the same data.

  tools/rules_bench.py                 # 1,000 and 10,000 rules
  tools/rules_bench.py --sizes 1000 --rounds 3

Data (tools/promql_data.py `bench`, 15 s samples over the hour up to the
start of the run; 10 jobs x 1000 instances = 10,000 counter series
x{job,instance}, plus x_info and a histogram): imported by `promtool tsdb
create-blocks-from openmetrics` and `vigil tsdb import`, so both hold
identical samples. (Data reaching into the future would make Prometheus
refuse the rules' own samples: its head accepts nothing older than its
newest block.) The windows are 2 hours: every evaluation during the run,
which starts after the data ends, sees all of a series' samples, so both
servers compute the same rates whatever instants they evaluate at.

Rules (one file per size, groups of 100 rules, interval --interval): rule k
works on instance k of the 10,000, alternating
  record: instance:x:rate2h    expr: rate(x{instance="..."}[2h])
  alert:  XRateHigh            expr: rate(x{instance="..."}[2h]) > 25, for: 5m
so every rule selects one series from the 10k and decodes its 241 samples,
the same work on both sides; about half of the alerts go pending.

Method: one server at a time (the machine has 2 cores; the other server is
stopped), started with the rule file. After --warmup evaluation rounds, the
groups' `evaluationTime` (the duration of their last evaluation, which both
report on /api/v1/rules) is read once per interval for --rounds rounds; a
round's time is the sum over the groups, and the median round is reported.
After timing, the servers' results are compared: the number of recorded
series, their sum (to 1e-9 relative) and the number of pending/firing
alerts must be equal.

  BENCH rules/<N> vigil_ms=<median round> prometheus_ms=<..> ratio=<vigil/prometheus>
        groups=G recorded=R alerts=A equal=yes|no

Exit 1 if the counts differ, 2 if the setup failed. About 6 minutes.
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


def rule_file(path, n, per_group, jobs, instances):
    with open(path, "w") as f:
        f.write("groups:\n")
        for k in range(n):
            if k % per_group == 0:
                f.write(f"  - name: g{k // per_group:04d}\n    rules:\n")
            j, i = k % jobs, (k // jobs) % instances
            sel = f'x{{instance="host-{j}-{i:04d}:9100"}}'
            if k % 2 == 0:
                f.write(f"      - record: instance:x:rate2h\n        expr: rate({sel}[2h])\n")
            else:
                f.write(f"      - alert: XRateHigh\n        expr: rate({sel}[2h]) > 25\n"
                        f"        for: 5m\n        labels: {{severity: warning}}\n"
                        f"        annotations: {{summary: 'rate {{{{ $value }}}}'}}\n")


def group_times(client):
    """{group name: (lastEvaluation, evaluationTime s)} from /api/v1/rules."""
    a = client.request("/api/v1/rules", {})
    if not a.ok:
        raise H.SetupError("GET /api/v1/rules: " + a.error_text())
    return {g["name"]: (g["lastEvaluation"], g["evaluationTime"]) for g in a.json["data"]["groups"]}


def count(client, query):
    a = client.request("/api/v1/query", {"query": query})
    if not a.ok:
        raise H.SetupError(f"query {query}: " + a.error_text())
    r = a.json["data"]["result"]
    return int(float(r[0]["value"][1])) if r else 0


def value(client, query):
    a = client.request("/api/v1/query", {"query": query})
    if not a.ok:
        raise H.SetupError(f"query {query}: " + a.error_text())
    r = a.json["data"]["result"]
    return float(r[0]["value"][1]) if r else 0.0


def measure(srv, groups, interval_s, warmup, rounds):
    c = H.Client(srv.url)
    # Wait until every group has evaluated `warmup` times (new lastEvaluation).
    seen = {}
    deadline = time.monotonic() + interval_s * (warmup + 4) + 60
    while time.monotonic() < deadline:
        t = group_times(c)
        for g, (last, _) in t.items():
            if last.startswith("0001-"):
                continue
            seen.setdefault(g, set()).add(last)
        if len(seen) == groups and all(len(v) >= warmup for v in seen.values()):
            break
        time.sleep(1)
    else:
        raise H.SetupError(f"{srv.name}: groups did not evaluate {warmup} times in time")
    totals = []
    for _ in range(rounds):
        time.sleep(interval_s)
        t = group_times(c)
        totals.append(sum(et for _, et in t.values()) * 1000)
    recorded = count(c, "count(instance:x:rate2h)")
    total = value(c, "sum(instance:x:rate2h)")
    alerts = count(c, 'count(ALERTS{alertname="XRateHigh"})')
    return statistics.median(totals), recorded, alerts, total


def main():
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--sizes", default="1000,10000", help="rule counts (comma-separated)")
    ap.add_argument("--per-group", type=int, default=100)
    ap.add_argument("--interval", type=int, default=15, help="evaluation interval, seconds")
    ap.add_argument("--warmup", type=int, default=2)
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--vigil-bin", default=str(H.VIGIL_BIN), type=os.path.abspath)
    ap.add_argument("--keep", action="store_true", help="keep the temporary directory")
    a = ap.parse_args()
    jobs, instances, minutes = 10, 1000, 60
    rc = 0
    with H.workspace("rules_bench", a.keep) as (work, servers):
        try:
            # Rules evaluate at "now": the data is the hour up to now.
            start = int(time.time()) // 15 * 15 - minutes * 60
            om = os.path.join(work, "bench.om")
            with open(om, "w", buffering=1 << 20) as f:
                info = promql_data.gen_bench(f, 1, start, jobs, instances, 90, minutes)
            print(f"rules_bench: {info['series']} series, {info['samples']} samples",
                  file=sys.stderr)
            prom_dir, vdir = os.path.join(work, "prom"), os.path.join(work, "vigil")
            H.import_both(om, [prom_dir], vdir, work, a.vigil_bin)
            for n in [int(x) for x in a.sizes.split(",")]:
                rules = os.path.join(work, f"rules_{n}.yml")
                rule_file(rules, n, a.per_group, jobs, instances)
                groups = (n + a.per_group - 1) // a.per_group
                extra = f"rule_files: [{rules}]\n"
                iv = f"{a.interval}s"
                res = {}
                for kind in ("vigil", "prometheus"):
                    if kind == "vigil":
                        srv = H.start_vigil(f"vigil_{n}", vdir, work, a.vigil_bin,
                                            evaluation_interval=iv, config_extra=extra)
                    else:
                        srv = H.start_prometheus(f"prom_{n}", prom_dir, work,
                                                 evaluation_interval=iv, config_extra=extra)
                    servers.append(srv)
                    try:
                        res[kind] = measure(srv, groups, a.interval, a.warmup, a.rounds)
                    finally:
                        srv.stop()
                (vms, vrec, val, vsum), (pms, prec, pal, psum) = res["vigil"], res["prometheus"]
                equal = (vrec == prec and val == pal
                         and abs(vsum - psum) <= 1e-9 * max(abs(vsum), abs(psum)))
                if not equal:
                    rc = 1
                print(f"BENCH rules/{n} vigil_ms={vms:.2f} prometheus_ms={pms:.2f} "
                      f"ratio={vms / pms:.2f} groups={groups} recorded={vrec}/{prec} "
                      f"alerts={val}/{pal} equal={'yes' if equal else 'no'}", flush=True)
        except H.SetupError as e:
            print(f"rules_bench: {e}", file=sys.stderr)
            return 2
    return rc


if __name__ == "__main__":
    sys.exit(main())
