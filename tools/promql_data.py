#!/usr/bin/env python3
"""Deterministic OpenMetrics data (with timestamps) for the PromQL harnesses
tools/promql_compare.py and tools/promql_bench.py.

  promql_data.py compare [--seed 1] [--start 1700000000] > compare.om
  promql_data.py bench [--jobs 10] [--instances 1000] [--hist-sets 900] > bench.om

Both files are read unchanged by `vigil tsdb import` and by
`promtool tsdb create-blocks-from openmetrics`.

Timestamps are written as seconds with 3 decimals and chosen so that both
parsers land on the intended millisecond: Go's textparse computes
int64(float(ts) * 1000), which truncates, so a millisecond whose decimal
text would truncate to ms-1 is moved by one (see `ts_text`).

`compare` data (the differential test), 15 s scrapes over 2 h (481 scrapes
per target; the data starts at --start and crosses a 2 h block boundary):
  targets: job api (3 instances), web (2), batch (2); every target has its
  own scrape phase (0-15 s) and +-3 ms jitter, as real scrapes do.
  http_requests_total{job,instance,method,code}   counters, 0-2 resets each;
      code="404" never moves (value 0), code="500" is slow (many zero windows)
  process_cpu_seconds_total{job,instance}         fractional counter
  errors_total{job,instance}                      0 for a while, then grows
  temperature_celsius{job,instance,sensor}        random walk, negatives
  queue_depth{job,instance}                       small integers, many 0
  memory_usage_bytes{job,instance}                ~1e9 integers
  target_up{job,instance}                         0/1
  build_info{job,instance,version}                constant 1 (for group_left)
  request_duration_seconds (classic histogram)    api+web targets x handler
      (10 label sets, 11 finite buckets + +Inf, _sum, _count); one set resets
  flaky_gauge{kind} / flaky_requests_total{kind}  job="batch": kind="gap20m"
      (a 20 min hole), "gaps" (3 min and 6 min holes), "late" (starts after
      1 h), "early" (ends at 1 h 30 m): staleness-like gaps without markers

`bench` data (the benchmark), 15 s scrapes over --minutes (default 60, 241
scrapes), all targets aligned (no phase, no jitter):
  x{job,instance}            counter (type gauge so the name stays `x`):
                             --jobs x --instances series (10 x 1000 = 10k)
  x_info{job,instance,version}  constant 1, one per x series (join side)
  h_bucket{job,instance,le}, h_sum, h_count: --hist-sets label sets
                             (default 900: 10 jobs x 90 instances) x 11
                             buckets (10 finite + +Inf) = 9900 bucket series
"""
import argparse
import math
import random
import sys

STEP_MS = 15000


def fmt(v):
    if math.isnan(v):
        return "NaN"
    if math.isinf(v):
        return "+Inf" if v > 0 else "-Inf"
    if v == int(v) and abs(v) < 1e15:
        return str(int(v))
    return repr(float(v))


def ts_text(ms):
    """Seconds text for millisecond `ms` that Go's int64(f*1000) maps back to
    `ms` (returns (text, ms_actually_used))."""
    for cand in (ms, ms + 1, ms - 1, ms + 2):
        s = f"{cand // 1000}.{cand % 1000:03d}"
        if int(float(s) * 1000) == cand:
            return s, cand
    raise ValueError(f"no exact timestamp near {ms}")


class Target:
    def __init__(self, job, instance, rnd, n, start_ms, jitter=True):
        self.job, self.instance = job, instance
        phase = rnd.randrange(0, STEP_MS) if jitter else 0
        self.times = []  # (text, ms)
        for i in range(n):
            j = rnd.randint(-3, 3) if jitter and i > 0 else 0
            self.times.append(ts_text(start_ms + phase + i * STEP_MS + j))

    def lab(self, **extra):
        parts = [f'job="{self.job}"', f'instance="{self.instance}"']
        parts += [f'{k}="{v}"' for k, v in extra.items()]
        return "{" + ",".join(parts) + "}"


def write_series(out, name, labels, times, values):
    """values: list aligned with times; None = no sample (a gap)."""
    buf = []
    for (ts, _), v in zip(times, values):
        if v is not None:
            buf.append(f"{name}{labels} {fmt(v)} {ts}\n")
    out.write("".join(buf))


def counter_values(rnd, n, rate, resets=0, frac=False, zero_until=0):
    vals, v = [], 0.0
    reset_at = set(rnd.sample(range(20, n - 20), resets)) if resets else set()
    for i in range(n):
        if i in reset_at:
            v = float(rnd.randint(0, 3))
        elif i >= zero_until and i > 0:
            inc = max(0.0, rnd.gauss(rate * 15, rate * 3))
            v += inc if frac else round(inc)
        vals.append(v)
    return vals


def gen_compare(out, seed, start_s, n=481):
    rnd = random.Random(seed)
    start_ms = int(start_s * 1000)
    targets = []
    for job, count, net in (("api", 3, 0), ("web", 2, 1), ("batch", 2, 2)):
        for i in range(count):
            targets.append(Target(job, f"10.0.{net}.{i + 1}:9100", rnd, n, start_ms))

    out.write("# TYPE http_requests counter\n# HELP http_requests Requests served.\n")
    for t in targets:
        for method in ("GET", "POST"):
            for code in ("200", "404", "500"):
                if code == "200":
                    vals = counter_values(rnd, n, rnd.uniform(0.5, 30), resets=rnd.randint(0, 2))
                elif code == "404":
                    vals = [0.0] * n
                else:
                    vals = counter_values(rnd, n, rnd.uniform(0.0, 0.08), resets=rnd.randint(0, 1))
                write_series(out, "http_requests_total", t.lab(method=method, code=code),
                             t.times, vals)
    out.write("# TYPE process_cpu_seconds counter\n")
    for t in targets:
        vals = counter_values(rnd, n, rnd.uniform(0.01, 1.5), resets=rnd.randint(0, 1), frac=True)
        write_series(out, "process_cpu_seconds_total", t.lab(), t.times, vals)
    out.write("# TYPE errors counter\n")
    for t in targets:
        vals = counter_values(rnd, n, rnd.uniform(0.05, 2), zero_until=rnd.randint(0, 300))
        write_series(out, "errors_total", t.lab(), t.times, vals)

    out.write("# TYPE temperature_celsius gauge\n")
    for t in targets:
        for sensor in ("a", "b"):
            v = rnd.uniform(-10, 40)
            vals = []
            for _ in range(n):
                v += rnd.gauss(0, 0.7)
                vals.append(v)
            write_series(out, "temperature_celsius", t.lab(sensor=sensor), t.times, vals)
    out.write("# TYPE queue_depth gauge\n")
    for t in targets:
        vals = [float(max(0, int(rnd.gauss(2, 5)))) for _ in range(n)]
        write_series(out, "queue_depth", t.lab(), t.times, vals)
    out.write("# TYPE memory_usage_bytes gauge\n")
    for t in targets:
        v = rnd.uniform(2e8, 4e9)
        vals = []
        for _ in range(n):
            v = max(0.0, v + round(rnd.gauss(0, 3e6)))
            vals.append(float(round(v)))
        write_series(out, "memory_usage_bytes", t.lab(), t.times, vals)
    out.write("# TYPE target_up gauge\n")
    for t in targets:
        down = set()
        for _ in range(rnd.randint(0, 2)):
            s = rnd.randrange(0, n - 30)
            down.update(range(s, s + rnd.randint(2, 30)))
        write_series(out, "target_up", t.lab(), t.times,
                     [0.0 if i in down else 1.0 for i in range(n)])
    out.write("# TYPE build_info gauge\n")
    for k, t in enumerate(targets):
        write_series(out, "build_info", t.lab(version=f"1.{k % 3}.0"), t.times, [1.0] * n)

    out.write("# TYPE request_duration_seconds histogram\n")
    bounds = ["0.005", "0.01", "0.025", "0.05", "0.1", "0.25", "0.5", "1", "2.5", "5", "10",
              "+Inf"]
    sets = [(t, h) for t in targets if t.job in ("api", "web") for h in ("/query", "/write")]
    for idx, (t, handler) in enumerate(sets):
        scale = rnd.uniform(0.01, 0.5)
        counts = [0] * len(bounds)
        total = 0.0
        reset_at = n // 2 if idx == 3 else -1
        lines = []
        for i, (ts, _) in enumerate(t.times):
            if i == reset_at:
                counts = [0] * len(bounds)
                total = 0.0
            for _ in range(rnd.randint(0, 40) if i > 0 else 0):
                x = rnd.expovariate(1 / scale)
                total += x
                for b, le in enumerate(bounds):
                    if le == "+Inf" or x <= float(le):
                        counts[b] += 1
            for b, le in enumerate(bounds):
                lines.append(f"request_duration_seconds_bucket"
                             f"{t.lab(handler=handler, le=le)} {counts[b]} {ts}\n")
            lines.append(f"request_duration_seconds_sum{t.lab(handler=handler)} "
                         f"{fmt(round(total, 6))} {ts}\n")
            lines.append(f"request_duration_seconds_count{t.lab(handler=handler)} "
                         f"{counts[-1]} {ts}\n")
        out.write("".join(lines))

    batch = [t for t in targets if t.job == "batch"][0]

    def present(kind, i):
        if kind == "gap20m":
            return not 200 <= i < 280
        if kind == "gaps":
            return not (100 <= i < 112 or 300 <= i < 324)
        if kind == "late":
            return i >= 240
        return i <= 360  # early

    kinds = ("gap20m", "gaps", "late", "early")
    out.write("# TYPE flaky_gauge gauge\n")
    for kind in kinds:
        v = rnd.uniform(-5, 5)
        vals = []
        for i in range(n):
            v += rnd.gauss(0, 1)
            vals.append(v if present(kind, i) else None)
        write_series(out, "flaky_gauge", batch.lab(kind=kind), batch.times, vals)
    out.write("# TYPE flaky_requests counter\n")
    for kind in kinds:
        vals = counter_values(rnd, n, rnd.uniform(1, 5))
        vals = [v if present(kind, i) else None for i, v in enumerate(vals)]
        write_series(out, "flaky_requests_total", batch.lab(kind=kind), batch.times, vals)
    out.write("# EOF\n")
    return {"start_ms": start_ms, "end_ms": start_ms + (n - 1) * STEP_MS + STEP_MS,
            "targets": len(targets)}


def gen_bench(out, seed, start_s, jobs=10, instances=1000, hist_sets=900, minutes=60):
    rnd = random.Random(seed)
    n = minutes * 60 * 1000 // STEP_MS + 1
    start_ms = int(start_s * 1000)
    times = [ts_text(start_ms + i * STEP_MS)[0] for i in range(n)]
    series = 0

    out.write("# TYPE x gauge\n")
    for j in range(jobs):
        for i in range(instances):
            lab = f'{{job="job-{j}",instance="host-{j}-{i:04d}:9100"}}'
            rate = rnd.uniform(0.1, 100)
            v = 0
            buf = []
            for ts in times:
                v += int(rate * 15 * (0.5 + rnd.random()))
                buf.append(f"x{lab} {v} {ts}\n")
            out.write("".join(buf))
            series += 1
    out.write("# TYPE x_info gauge\n")
    for j in range(jobs):
        for i in range(instances):
            lab = (f'{{job="job-{j}",instance="host-{j}-{i:04d}:9100",'
                   f'version="v{(i * 7 + j) % 5}.{i % 3}"}}')
            out.write("".join(f"x_info{lab} 1 {ts}\n" for ts in times))
            series += 1

    out.write("# TYPE h histogram\n")
    bounds = ["0.005", "0.01", "0.025", "0.05", "0.1", "0.25", "0.5", "1", "2.5", "5", "+Inf"]
    fb = [float(b) for b in bounds]
    for s in range(hist_sets):
        j, i = s % jobs, s // jobs
        base = f'job="job-{j}",instance="host-{j}-{i:04d}:9100"'
        scale = rnd.uniform(0.02, 1.0)
        # Cumulative bucket fractions of an exponential distribution.
        frac = [1.0 - math.exp(-b / scale) if b != math.inf else 1.0 for b in fb]
        counts = [0] * len(bounds)
        total = 0.0
        bufs = [[] for _ in bounds]
        sums, cnts = [], []
        for k, ts in enumerate(times):
            if k > 0:
                m = rnd.randint(50, 150)
                for b in range(len(bounds)):
                    counts[b] += int(m * frac[b])
                total += m * scale
            for b in range(len(bounds)):
                bufs[b].append(f'h_bucket{{{base},le="{bounds[b]}"}} {counts[b]} {ts}\n')
            sums.append(f"h_sum{{{base}}} {fmt(round(total, 3))} {ts}\n")
            cnts.append(f"h_count{{{base}}} {counts[-1]} {ts}\n")
        # One series after the other (each in time order).
        for b in bufs:
            out.write("".join(b))
        out.write("".join(sums))
        out.write("".join(cnts))
        series += len(bounds) + 2
    out.write("# EOF\n")
    return {"start_ms": start_ms, "end_ms": start_ms + (n - 1) * STEP_MS, "series": series,
            "samples": series * n}


def main():
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("kind", choices=["compare", "bench"])
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--start", type=float, default=1700000000.0)
    ap.add_argument("--jobs", type=int, default=10)
    ap.add_argument("--instances", type=int, default=1000)
    ap.add_argument("--hist-sets", type=int, default=900)
    ap.add_argument("--minutes", type=int, default=60)
    a = ap.parse_args()
    if a.kind == "compare":
        info = gen_compare(sys.stdout, a.seed, a.start)
    else:
        info = gen_bench(sys.stdout, a.seed, a.start, a.jobs, a.instances, a.hist_sets,
                         a.minutes)
    print(info, file=sys.stderr)


if __name__ == "__main__":
    main()
