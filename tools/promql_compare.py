#!/usr/bin/env python3
"""Differential PromQL test: vigil's HTTP API against Prometheus 2.42.

  tools/promql_compare.py                  # import, start both, compare
  tools/promql_compare.py --queries 1500 --seed 7 --keep
  tools/promql_compare.py --self-test      # both sides are Prometheus
  tools/promql_compare.py --vigil-url http://127.0.0.1:9090 \\
      --prom-url http://127.0.0.1:9091     # servers already running (they
                                           # must hold `promql_data.py compare`
                                           # data with the same --start)

What it does:
 1. writes tools/promql_data.py's `compare` data (counters with resets,
    gauges with negatives and zeros, a classic histogram, series with gaps;
    15 s scrapes over 2 h from --start) as one OpenMetrics file;
 2. imports it with `promtool tsdb create-blocks-from openmetrics` and
    `vigil tsdb import`, starts `prometheus` and `vigil run` on free
    127.0.0.1 ports and waits for /-/ready and /ready;
 3. generates queries (a fixed list that covers every feature, then random
    combinations, deterministic for a --seed) and runs each expression as
    instant queries (/api/v1/query at times inside, before and after the
    data) and as a range query (/api/v1/query_range, e.g. 1 h with a 60 s
    step), half of them as GET and half as form POST, times as Unix
    seconds or RFC 3339, steps as seconds or durations;
 4. compares the answers: same resultType, the same label sets (exactly),
    per series the same timestamps and values equal within 1e-9 relative
    (1e-12 absolute near 0), NaN == NaN, +Inf/-Inf exactly; sort() and
    sort_desc() also in order; if both sides answer an error the query
    passes (a different errorType or HTTP status is a note, a failure with
    --strict-errors); if only one side errors it fails.

Output (stdout): one line per failing query
(`FAIL <instant|range> <GET|POST> <params> <query>: <diff>`), then
`promql_compare: N queries, N passed, N failed` (N counts comparisons: one
expression at one instant or over one range); exit 0 if none failed, 1 if
any did, 2 if the setup failed (e.g. vigil does not serve the API yet).
A difference where Prometheus 2.42 has a known, later fixed bug (the KNOWN
table below) prints a `KNOWN ...` line and counts as passed
(--strict-known: as failed). stderr gets notes that are not failures:
values equal within the tolerance but spelled differently, error messages
that differ while both sides refuse the query. --report FILE writes every
failure with both full answers as JSON lines.

--self-test runs the comparator's unit checks and compares two Prometheus
servers on the same blocks (must pass); add --perturb to give the second
one altered data (must fail, on the queries touching it). A default run
(1500 queries) takes about 5 s.
"""
import argparse
import datetime
import json
import os
import random
import re
import sys
import time

sys.dont_write_bytecode = True  # no __pycache__ in tools/
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import promql_data  # noqa: E402
import promql_harness as H  # noqa: E402

START = 1700000000  # default data start (s); the data covers START .. START+2h


# ------------------------------------------------------------------ queries

def core_queries(S):
    """Fixed queries covering every required feature; S = data start (s)."""
    mid = S + 3600
    q = [
        # sanity: the data is there
        'count(http_requests_total)',
        'count by (__name__) ({__name__=~"http_requests_total|temperature_celsius|'
        'request_duration_seconds_bucket|flaky_gauge"})',
        # rate family over several ranges
        'rate(http_requests_total[1m])',
        'rate(http_requests_total[5m])',
        'rate(http_requests_total{job="api"}[30m])',
        'rate(process_cpu_seconds_total[10m])',
        'irate(http_requests_total[1m])',
        'irate(process_cpu_seconds_total[5m])',
        'increase(http_requests_total[1h])',
        'increase(errors_total[5m])',
        'increase(http_requests_total{code="404"}[10m])',
        'resets(http_requests_total[1h])',
        'delta(temperature_celsius[5m])',
        'delta(queue_depth[10m])',
        'idelta(temperature_celsius[2m])',
        'deriv(temperature_celsius[10m])',
        'deriv(memory_usage_bytes[30m])',
        'predict_linear(temperature_celsius[15m], 600)',
        'holt_winters(temperature_celsius[10m], 0.3, 0.7)',
        'changes(queue_depth[10m])',
        'changes(target_up[1h])',
        'rate(flaky_requests_total[5m])',
        'increase(flaky_requests_total[30m])',
        # *_over_time
        'avg_over_time(temperature_celsius[10m])',
        'min_over_time(temperature_celsius[5m])',
        'max_over_time(memory_usage_bytes[30m])',
        'sum_over_time(queue_depth[2m])',
        'count_over_time(flaky_gauge[10m])',
        'stddev_over_time(temperature_celsius[30m])',
        'stdvar_over_time(queue_depth[10m])',
        'last_over_time(flaky_gauge[10m])',
        'present_over_time(flaky_gauge[5m])',
        'quantile_over_time(0.9, temperature_celsius[15m])',
        'quantile_over_time(0, queue_depth[5m])',
        'absent_over_time(flaky_gauge{kind="gap20m"}[5m])',
        'absent_over_time(nonexistent_metric{job="a"}[5m])',
        # aggregations
        'sum(rate(http_requests_total[5m]))',
        'sum by (job) (rate(http_requests_total[5m]))',
        'sum without (instance, method) (rate(http_requests_total[5m]))',
        'avg by (job) (temperature_celsius)',
        'min by (sensor) (temperature_celsius)',
        'max without (sensor) (temperature_celsius)',
        'count by (code) (http_requests_total)',
        'count without (instance) (queue_depth > 0)',
        'stddev by (job) (temperature_celsius)',
        'stdvar(queue_depth)',
        'group by (job, code) (http_requests_total)',
        'topk(3, temperature_celsius)',
        'topk by (job) (1, temperature_celsius)',
        'bottomk(2, memory_usage_bytes)',
        'bottomk by (sensor) (2, temperature_celsius)',
        'topk(100, flaky_gauge)',
        'quantile(0.5, temperature_celsius)',
        'quantile by (job) (0.9, rate(http_requests_total[5m]))',
        'quantile(-1, temperature_celsius)',
        'quantile(2, queue_depth)',
        'count_values("value", queue_depth)',
        'count_values by (job) ("up", target_up)',
        'count_values("t", round(temperature_celsius))',
        'count_values("x", temperature_celsius / 7)',
        'count_values("big", memory_usage_bytes * 1e12)',
        'count_values("small", temperature_celsius * 1e-9)',
        'sum by (job) (count_values without (instance) ("depth", queue_depth))',
        # histograms
        'histogram_quantile(0.9, sum by (le) (rate(request_duration_seconds_bucket[5m])))',
        'histogram_quantile(0.5, sum by (job, le) (rate(request_duration_seconds_bucket[10m])))',
        'histogram_quantile(0.99, rate(request_duration_seconds_bucket[5m]))',
        'histogram_quantile(0, sum by (le) (rate(request_duration_seconds_bucket[5m])))',
        'histogram_quantile(1, sum by (le, handler) (rate(request_duration_seconds_bucket[5m])))',
        'histogram_quantile(1.5, sum by (le) (rate(request_duration_seconds_bucket[5m])))',
        'histogram_quantile(-0.5, sum by (le) (rate(request_duration_seconds_bucket[5m])))',
        'histogram_quantile(0.75, sum by (le, handler) '
        '(increase(request_duration_seconds_bucket[1h])))',
        'histogram_quantile(0.9, request_duration_seconds_bucket)',
        'sum(rate(request_duration_seconds_sum[5m])) / sum(rate(request_duration_seconds_count[5m]))',
        # binary operators: scalar / vector
        'temperature_celsius * 2',
        '2 - temperature_celsius',
        'temperature_celsius / 0',
        '-queue_depth / 0',
        'queue_depth / queue_depth',
        'temperature_celsius % 7',
        '-7.5 % temperature_celsius',
        'temperature_celsius ^ 2',
        '2 ^ queue_depth',
        'temperature_celsius atan2 10',
        '-temperature_celsius',
        'temperature_celsius - temperature_celsius',
        'memory_usage_bytes / 1024 / 1024',
        'memory_usage_bytes * 1e15',
        'temperature_celsius * 1e-9',
        'temperature_celsius * 0',
        # vector-vector matching
        'rate(http_requests_total{code="500"}[5m]) / ignoring(code) '
        'rate(http_requests_total{code="200"}[5m])',
        'sum by (job, instance) (rate(http_requests_total[5m])) * on(job, instance) '
        'group_left(version) build_info',
        'build_info * on(job, instance) group_right(version) rate(http_requests_total[5m])',
        'temperature_celsius - on(job, instance) group_left queue_depth',
        'sum by (job) (rate(http_requests_total[5m])) / sum by (job) (rate(errors_total[5m]))',
        'rate(errors_total[5m]) / on(job, instance) sum by (job, instance) '
        '(rate(http_requests_total[5m]))',
        'vector(1) + on() group_right temperature_celsius',
        'http_requests_total - http_requests_total offset 1h',
        'http_requests_total + on(job) http_requests_total',
        # comparisons, with and without bool
        'temperature_celsius > 20',
        'temperature_celsius > bool 20',
        '10 < temperature_celsius',
        'queue_depth == 0',
        'queue_depth != bool 0',
        'target_up >= bool 1',
        'temperature_celsius > on(job, instance) group_left queue_depth',
        'temperature_celsius <= bool on(job, instance) group_left queue_depth',
        'rate(http_requests_total[5m]) > 0',
        # set operators
        'temperature_celsius > 30 or temperature_celsius < 0',
        'queue_depth and on(job) (target_up == 0)',
        'temperature_celsius unless on(job, instance) (target_up == 0)',
        'target_up == 1 unless queue_depth > 5',
        'temperature_celsius{sensor="a"} or temperature_celsius{sensor="b"} * 2',
        'flaky_gauge and flaky_gauge offset 10m',
        'sum by (job) (queue_depth) or vector(0)',
        # subqueries
        'max_over_time(rate(http_requests_total[5m])[30m:1m])',
        'avg_over_time(temperature_celsius[10m:])',
        'min_over_time(sum by (job) (rate(http_requests_total[1m]))[1h:5m] offset 10m)',
        f'max_over_time(deriv(temperature_celsius[5m])[15m:30s] @ {mid})',
        'rate(http_requests_total[10m:30s])',
        'quantile_over_time(0.5, temperature_celsius[20m:2m])',
        'max_over_time(avg_over_time(temperature_celsius[5m:1m])[20m:5m])',
        'count_over_time(flaky_gauge[30m:1m])',
        # offsets and @
        'temperature_celsius offset 5m',
        'temperature_celsius offset -5m',
        'rate(http_requests_total[5m] offset 30m)',
        'rate(http_requests_total[5m] offset -30m)',
        'sum(temperature_celsius offset 1h30m)',
        f'temperature_celsius @ {mid}',
        f'rate(http_requests_total[5m] @ {mid}.5)',
        'temperature_celsius @ start()',
        'temperature_celsius @ end()',
        'sum by (job) (rate(http_requests_total[5m] @ end()))',
        f'temperature_celsius @ {mid} offset 10m',
        f'timestamp(temperature_celsius @ {mid + 7})',
        f'predict_linear(temperature_celsius[10m] @ {mid}, 600)',
        # label functions
        'label_replace(temperature_celsius, "host", "$1", "instance", "(.*):.*")',
        'label_replace(temperature_celsius, "foo", "bar", "nonexistent", "")',
        'label_replace(rate(http_requests_total[5m]), "class", "${1}xx", "code", "(.).*")',
        'label_replace(temperature_celsius, "job", "", "job", ".*")',
        'label_join(temperature_celsius, "id", "/", "job", "instance", "sensor")',
        'label_replace(temperature_celsius, "1bad", "x", "job", ".*")',
        'label_replace(temperature_celsius, "sensor", "x", "sensor", ".*")',
        # math
        'abs(temperature_celsius)',
        'ceil(temperature_celsius)',
        'floor(temperature_celsius)',
        'round(temperature_celsius)',
        'round(temperature_celsius, 0.25)',
        'clamp(temperature_celsius, -5, 5)',
        'clamp(temperature_celsius, 5, -5)',
        'clamp_min(temperature_celsius, 0)',
        'clamp_max(queue_depth, 3)',
        'sqrt(temperature_celsius)',
        'exp(temperature_celsius)',
        'exp(memory_usage_bytes)',
        'ln(temperature_celsius)',
        'log2(queue_depth)',
        'log10(memory_usage_bytes)',
        'sgn(temperature_celsius)',
        'sin(temperature_celsius) + cos(temperature_celsius)',
        'deg(atan(temperature_celsius))',
        'scalar(sum(queue_depth))',
        'scalar(temperature_celsius)',
        'temperature_celsius * scalar(count(target_up))',
        'vector(scalar(count(target_up)))',
        # time
        'time()',
        'vector(time())',
        'timestamp(temperature_celsius)',
        'time() - timestamp(temperature_celsius)',
        'timestamp(rate(http_requests_total[5m]))',
        'hour(timestamp(temperature_celsius))',
        'minute(timestamp(queue_depth))',
        'day_of_week()',
        'day_of_month(vector(1700000000))',
        'days_in_month(timestamp(target_up))',
        'month()',
        'year(vector(time() + 86400 * 60))',
        'day_of_year()',
        # absent
        'absent(nonexistent_metric)',
        'absent(nonexistent_metric{job="x", instance=~"y"})',
        'absent(temperature_celsius)',
        'absent(sum(nonexistent_metric))',
        'absent(flaky_gauge{kind="late"})',
        # sort (ordered)
        'sort(temperature_celsius)',
        'sort_desc(sum by (job, instance) (rate(http_requests_total[5m])))',
        # scalars and strings
        '1',
        '1 + 2 * 3 - 4 / 5',
        '2 ^ 3 ^ 2',
        '-2 ^ 2',
        '5 % -3',
        '1 == bool 1',
        'NaN',
        '-Inf',
        '"a string"',
        # raw range vectors (instant queries return matrices)
        'temperature_celsius{sensor="a", job="api"}[2m]',
        'http_requests_total{code="200", method="GET"}[1m] offset 1h',
        'flaky_gauge[20m]',
        # errors: parse, type, execution
        'sum(',
        'rate(temperature_celsius)',
        'temperature_celsius[5m] + 1',
        'http_requests_total{',
        'nonexistent_function(temperature_celsius)',
        '1 > 2',
    ]
    return q


LABEL_SETS = ["job", "instance", "job, instance", "code", "sensor", "method, code", ""]
COUNTERS = ['http_requests_total', 'http_requests_total{job="api"}',
            'http_requests_total{code=~"5.."}', 'http_requests_total{method!="GET",code="200"}',
            'process_cpu_seconds_total', 'errors_total', 'request_duration_seconds_count',
            'request_duration_seconds_sum', 'flaky_requests_total',
            'http_requests_total{code="404"}']
GAUGES = ['temperature_celsius', 'temperature_celsius{sensor="a"}', 'queue_depth',
          'memory_usage_bytes', 'flaky_gauge', 'target_up',
          'temperature_celsius{job=~"api|web"}']
# Inputs whose values are (almost surely) all different: safe for topk/bottomk.
DISTINCT = ['temperature_celsius', 'memory_usage_bytes', 'flaky_gauge',
            'rate(process_cpu_seconds_total[5m])', 'deriv(temperature_celsius[10m])']
RANGES = ["1m", "2m", "5m", "10m", "30m", "1h"]
COUNTER_FNS = ["rate", "irate", "increase", "resets"]
GAUGE_FNS = ["delta", "idelta", "deriv", "changes", "avg_over_time", "min_over_time",
             "max_over_time", "sum_over_time", "count_over_time", "stddev_over_time",
             "stdvar_over_time", "last_over_time", "present_over_time"]
AGGS = ["sum", "avg", "min", "max", "count", "stddev", "stdvar", "group"]
MATH = ["abs", "ceil", "floor", "round", "sgn", "sqrt", "ln", "exp", "log2"]


def rand_modifier(rnd, S):
    r = rnd.random()
    if r < 0.6:
        return ""
    return rnd.choice([" offset 5m", " offset 30m", " offset -10m", " offset 1h",
                       f" @ {S + rnd.randrange(600, 7200, 60)}", " @ end()", " @ start()",
                       f" @ {S + 3000} offset 15m"])


def rand_leaf(rnd, S):
    r = rnd.random()
    rng = rnd.choice(RANGES)
    if r < 0.4:
        return f"{rnd.choice(COUNTER_FNS)}({rnd.choice(COUNTERS)}[{rng}]{rand_modifier(rnd, S)})"
    if r < 0.7:
        fn = rnd.choice(GAUGE_FNS + ["quantile_over_time", "predict_linear", "holt_winters"])
        sel = f"{rnd.choice(GAUGES)}[{rng}]{rand_modifier(rnd, S)}"
        if fn == "quantile_over_time":
            return f"quantile_over_time({rnd.choice(['0.1', '0.5', '0.99'])}, {sel})"
        if fn == "predict_linear":
            return f"predict_linear({sel}, {rnd.choice(['60', '3600', '-300'])})"
        if fn == "holt_winters":
            return f"holt_winters({sel}, {rnd.choice(['0.1', '0.5'])}, {rnd.choice(['0.2', '0.9'])})"
        return f"{fn}({sel})"
    return f"{rnd.choice(GAUGES)}{rand_modifier(rnd, S)}"


def rand_expr(rnd, S, depth=0):
    leaf = rand_leaf(rnd, S)
    if depth >= 2:
        return leaf
    r = rnd.random()
    if r < 0.25:
        op = rnd.choice(AGGS)
        ls = rnd.choice(LABEL_SETS)
        grouping = rnd.choice(["by", "without"]) + f" ({ls}) " if ls else ""
        return f"{op} {grouping}({rand_expr(rnd, S, depth + 1)})"
    if r < 0.35:
        k = rnd.choice(["1", "2", "5"])
        ls = rnd.choice(["", "by (job) ", "without (instance) "])
        return f"{rnd.choice(['topk', 'bottomk'])} {ls}({k}, {rnd.choice(DISTINCT)})"
    if r < 0.45:
        return f"{rnd.choice(MATH)}({rand_expr(rnd, S, depth + 1)})"
    if r < 0.6:
        op = rnd.choice(["+", "-", "*", "/", "%", "^", ">", "<", ">=", "== bool", "> bool"])
        n = rnd.choice(["0", "1", "2.5", "-3", "100"])
        e = rand_expr(rnd, S, depth + 1)
        return f"{e} {op} {n}" if rnd.random() < 0.7 else f"{n} {op} ({e})"
    if r < 0.75:
        inner = rand_expr(rnd, S, depth + 1)
        fn = rnd.choice(["max_over_time", "min_over_time", "avg_over_time", "sum_over_time",
                         "count_over_time", "last_over_time", "stddev_over_time"])
        rng, step = rnd.choice([("30m", "1m"), ("10m", ""), ("1h", "5m"), ("5m", "30s"),
                                ("20m", "2m")])
        return f"{fn}(({inner})[{rng}:{step}]{rand_modifier(rnd, S)})"
    if r < 0.85:
        op = rnd.choice(["+", "/", "-", ">", "and", "or", "unless"])
        a = f"sum by (job, instance) ({rand_leaf(rnd, S)})"
        b = f"sum by (job, instance) ({rand_leaf(rnd, S)})"
        match = rnd.choice(["", " on(job, instance)", " ignoring(instance)", " on(job)"])
        if match == " on(job)" and op not in ("and", "or", "unless"):
            # many-to-one: make the right side one per job
            b = f"sum by (job) ({rand_leaf(rnd, S)})"
            match += " group_left"
        if match == " ignoring(instance)" and op not in ("and", "or", "unless"):
            a = f"sum by (job) ({rand_leaf(rnd, S)})"
            b = f"sum by (job) ({rand_leaf(rnd, S)})"
        return f"{a} {op}{match} {b}"
    if r < 0.92:
        return (f'histogram_quantile({rnd.choice(["0.5", "0.9", "0.99", "1"])}, sum by '
                f'({rnd.choice(["le", "le, job", "le, handler", "job, instance, le"])}) '
                f'({rnd.choice(["rate", "increase", "irate"])}'
                f'(request_duration_seconds_bucket[{rnd.choice(RANGES)}])))')
    return leaf


def build_queries(seed, S, n_comparisons):
    """The evaluation plan: (kind, expr, params, method), n_comparisons long."""
    rnd = random.Random(seed)
    instant_times = [S + 300, S + 1800, S + 2233.5, S + 3600, S + 4321.123, S + 6000,
                     S + 7200, S + 7230, S + 7440, S + 7800, S - 60]
    ranges = [(S + 600, S + 4200, 60), (S, S + 7200, 120), (S + 3600, S + 5400, 15),
              (S + 1207, S + 3000, 37), (S + 6600, S + 8400, 30), (S + 1800.5, S + 2400.5, 10)]
    exprs = core_queries(S)
    seen = set(exprs)
    plan = []
    i = 0
    misses = 0
    while len(plan) < n_comparisons:
        if i < len(exprs):
            e = exprs[i]
        else:
            e = rand_expr(rnd, S)
            if e in seen and misses < 1000:
                misses += 1
                continue
            seen.add(e)
            exprs.append(e)
        for kind in ("instant", "range", "instant"):
            if kind == "instant":
                t = rnd.choice(instant_times)
                params = {"query": e, "time": fmt_time(t, rnd)}
            else:
                start, end, step = rnd.choice(ranges)
                params = {"query": e, "start": fmt_time(start, rnd), "end": fmt_time(end, rnd),
                          "step": fmt_step(step, rnd)}
            plan.append((kind, e, params, "GET" if len(plan) % 2 == 0 else "POST"))
        i += 1
    # The 0.5 s step over 2 h (14401 points) must be refused by both.
    if n_comparisons >= 50:
        plan[-1] = ("range", "temperature_celsius",
                    {"query": "temperature_celsius", "start": str(S), "end": str(S + 7200),
                     "step": "0.5"}, "GET")
    return plan[:n_comparisons], len(set(p[1] for p in plan[:n_comparisons]))


def fmt_time(t, rnd):
    if rnd.random() < 0.25:
        d = datetime.datetime.fromtimestamp(t, datetime.timezone.utc)
        return d.strftime("%Y-%m-%dT%H:%M:%S") + (f".{d.microsecond // 1000:03d}"
                                                    if d.microsecond else "") + "Z"
    return f"{t:.3f}".rstrip("0").rstrip(".")


def fmt_step(step, rnd):
    if rnd.random() < 0.3 and step % 60 == 0:
        return f"{step // 60}m"
    if rnd.random() < 0.2:
        return f"{step}s"
    return str(step)


def perturb(src, dst):
    """Copies the OpenMetrics file, changing one temperature sample and dropping
    one queue_depth series (for --self-test --perturb)."""
    changed = False
    with open(src) as f, open(dst, "w") as out:
        for line in f:
            if line.startswith('queue_depth{job="web",instance="10.0.1.2:9100"}'):
                continue
            if (not changed and line.startswith('temperature_celsius{job="api",'
                                                'instance="10.0.0.1:9100",sensor="a"}')
                    and line.rsplit(" ", 1)[1].startswith("17000036")):
                name, v, ts = line.rsplit(" ", 2)
                line = f"{name} {float(v) + 0.001!r} {ts}"
                changed = True
            out.write(line)


# Differences where Prometheus 2.42 itself is wrong and later releases fixed
# it: reported as KNOWN, not failures (--strict-known makes them failures).
KNOWN = [
    # A range selector pinned with @ inside predict_linear (the only
    # @-unsafe function taking a range) slides with the step in range
    # queries and subqueries of 2.42, emptying the range:
    # prometheus/prometheus#11708, fixed in 2.50 (#13559).
    (re.compile(r"predict_linear\([^()]*\[[^\]]*\][^(),]*@"),
     "prometheus/prometheus#11708 (predict_linear with @ in range queries)"),
]


def known_divergence(expr):
    for rx, why in KNOWN:
        if rx.search(expr):
            return why
    return None


# --------------------------------------------------------------------- main

def main():
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--queries", type=int, default=1500,
                    help="number of query comparisons (each expression runs as instant, "
                         "range, instant; default 1500)")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--start", type=int, default=START, help="data start, Unix seconds")
    ap.add_argument("--vigil-url", help="use this running server as the vigil side")
    ap.add_argument("--prom-url", help="use this running Prometheus")
    ap.add_argument("--vigil-bin", default=str(H.VIGIL_BIN), type=os.path.abspath)
    ap.add_argument("--self-test", action="store_true",
                    help="start a second Prometheus (on a copy of its blocks) as the vigil "
                         "side: checks the harness itself")
    ap.add_argument("--perturb", action="store_true",
                    help="with --self-test: give the second Prometheus altered data (one "
                         "temperature sample +0.001, one queue_depth series dropped), to "
                         "see the harness catch differences")
    ap.add_argument("--keep-alive", action="store_true",
                    help="reuse HTTP connections (default: one connection per request)")
    ap.add_argument("--keep", action="store_true", help="keep the temporary directory")
    ap.add_argument("--report", help="write each failure with both answers (JSON lines)")
    ap.add_argument("--strict-errors", action="store_true",
                    help="fail when both sides error but errorType or HTTP status differ")
    ap.add_argument("--strict-known", action="store_true",
                    help="count differences at known Prometheus 2.42 bugs as failures")
    ap.add_argument("--list", action="store_true", help="print the plan and exit")
    ap.add_argument("-v", "--verbose", action="store_true")
    a = ap.parse_args()

    if a.perturb and not a.self_test:
        ap.error("--perturb needs --self-test")
    if a.self_test:
        bad = H.check_comparator()
        for line in bad:
            print(f"promql_compare: comparator check failed: {line}", file=sys.stderr)
        if bad:
            return 2
    plan, n_exprs = build_queries(a.seed, a.start, a.queries)
    if a.list:
        for kind, e, params, method in plan:
            print(kind, method, json.dumps(params))
        return 0

    t0 = time.monotonic()
    vname = "prometheus#2" if a.self_test else "vigil"
    with H.workspace("promql_compare", a.keep) as (work, servers):
        try:
            need_data = not (a.vigil_url and a.prom_url)
            if need_data:
                om = os.path.join(work, "data.om")
                with open(om, "w") as f:
                    promql_data.gen_compare(f, a.seed, a.start)
                prom_dirs = [os.path.join(work, "prom")] if not a.prom_url else []
                vdir = None
                if not a.vigil_url:
                    if a.self_test:
                        prom_dirs.append(os.path.join(work, "prom2"))
                    else:
                        vdir = os.path.join(work, "vigil")
                if not prom_dirs:
                    prom_dirs = [os.path.join(work, "prom")]
                if a.perturb:
                    # The second Prometheus gets slightly different data.
                    om2 = os.path.join(work, "data2.om")
                    perturb(om, om2)
                    H.import_both(om, prom_dirs[:1], vdir, work, a.vigil_bin)
                    H.run_checked(["promtool", "tsdb", "create-blocks-from", "openmetrics", om2,
                                   prom_dirs[1]], os.path.join(work, "promtool2.log"), "promtool")
                else:
                    H.import_both(om, prom_dirs, vdir, work, a.vigil_bin)
            if a.prom_url:
                prom_url = a.prom_url
            else:
                srv = H.start_prometheus("prometheus", os.path.join(work, "prom"), work)
                servers.append(srv)
                prom_url = srv.url
            if a.vigil_url:
                vigil_url = a.vigil_url
            elif a.self_test:
                srv = H.start_prometheus("prometheus2", prom_dirs[-1], work)
                servers.append(srv)
                vigil_url = srv.url
            else:
                srv = H.start_vigil("vigil", vdir, work, a.vigil_bin)
                servers.append(srv)
                vigil_url = srv.url
            setup_s = time.monotonic() - t0
            vc = H.Client(vigil_url, keep_alive=a.keep_alive)
            pc = H.Client(prom_url, keep_alive=a.keep_alive)

            # Preflight: does the vigil side serve the query API at all?
            pre = vc.request("/api/v1/query", {"query": "1", "time": str(a.start)})
            if pre.json is None or "status" not in pre.json:
                print(f"promql_compare: {vname} at {vigil_url} does not serve /api/v1/query "
                      f"(HTTP {pre.status}: {pre.body[:120]!r})", file=sys.stderr)
                return 2

            failed, n_known, notes = 0, 0, []
            report = open(a.report, "w") if a.report else None
            t1 = time.monotonic()
            for kind, e, params, method in plan:
                path = "/api/v1/query" if kind == "instant" else "/api/v1/query_range"
                va = vc.request(path, params, method)
                pa = pc.request(path, params, method)
                dead = [s for s in servers if s.proc.poll() is not None]
                if dead:
                    print(f"FAIL {kind} {method} {e}: {dead[0].name} exited with "
                          f"{dead[0].proc.returncode} during the run:\n{dead[0].log_tail()}")
                    failed += 1
                    break
                ordered = kind == "instant" and e.startswith("sort")
                qnotes = []
                diff = H.compare_answers(va, pa, ordered=ordered, strict_errors=a.strict_errors,
                                         notes=qnotes, names=(vname, "prometheus"))
                notes += [(cat, f"{kind} {e}: {detail}") for cat, detail in qnotes]
                where = (f"time={params['time']}" if kind == "instant" else
                         f"start={params['start']} end={params['end']} step={params['step']}")
                known = known_divergence(e) if diff is not None and not a.strict_known else None
                if known:
                    n_known += 1
                    print(f"KNOWN {kind} {method} {where} {e}: {known}: {diff}")
                elif diff is not None:
                    failed += 1
                    print(f"FAIL {kind} {method} {where} {e}: {diff}")
                    if report:
                        report.write(json.dumps({
                            "kind": kind, "method": method, "params": params, "diff": diff,
                            vname: {"status": va.status, "body": va.body.decode(errors="replace")},
                            "prometheus": {"status": pa.status,
                                           "body": pa.body.decode(errors="replace")}}) + "\n")
                elif a.verbose:
                    res = (pa.json or {}).get("data", {}).get("result") if pa.ok else None
                    size = len(res) if isinstance(res, list) else "-"
                    print(f"ok   {kind} {where} {e} ({'error' if not pa.ok else size})")
            if report:
                report.close()
            # Differences that are not failures: finite values whose text differs
            # (equal within the tolerance), both-error answers whose errorType,
            # HTTP status (unless --strict-errors) or message differ.
            for cat in sorted({c for c, _ in notes}):
                items = [d for c, d in notes if c == cat]
                print(f"promql_compare: note: {len(items)} queries with different {cat}",
                      file=sys.stderr)
                for d in items if a.verbose else items[:3]:
                    print(f"  {d[:300]}", file=sys.stderr)
            print(f"promql_compare: {len(plan)} queries ({n_exprs} expressions), setup "
                  f"{setup_s:.1f} s, queries {time.monotonic() - t1:.1f} s", file=sys.stderr)
            if n_known:
                print(f"promql_compare: {n_known} queries differ where Prometheus 2.42 has a known "
                      f"bug (KNOWN lines; counted as passed)", file=sys.stderr)
            print(f"promql_compare: {len(plan)} queries, {len(plan) - failed} passed, "
                  f"{failed} failed")
            return 1 if failed else 0
        except H.SetupError as e:
            print(f"promql_compare: setup failed: {e}", file=sys.stderr)
            return 2


if __name__ == "__main__":
    sys.exit(main())
