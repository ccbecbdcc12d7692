#!/usr/bin/env python3
"""Pairs vigil's micro benchmarks with their prometheus-cpp anchors.

Reads Google Benchmark JSON (files named on the command line, or stdin) from
build/bin/metrics_benchmark and prints one line per figure:

  BENCH <group>.<figure> vigil=<number> anchor=<number> unit=<ns|bytes> advantage=<x>

Benchmarks are named BM_<Group>_<Figure>_<vigil|anchor>; <group>.<figure> is
the snake_case form (BM_Metrics_CounterInc2T_vigil -> metrics.counter_inc_2t).
Values, per side:
  - a `bytes_per_series` counter (memory figures): that value, unit=bytes;
  - a `bytes_per_second` rate (scanning figures): MB/s, unit=MB/s, and
    advantage = vigil / anchor (higher is better);
  - otherwise ns per item = 1e9 / items_per_second, unit=ns. The benchmarks
    run with UseRealTime() and count items summed over all threads, so a
    multi-threaded figure is aggregate wall time per operation (exposition
    figures count one item per series: ns per series).
Latency figures also carry `p50_ns` and `p99_ns` counters (each call timed
on its own); they print as two more figures, <figure>_p50 and <figure>_p99.
When repetitions were run, the median aggregate is used; otherwise the mean
of the runs. advantage = anchor / vigil (higher is better for vigil); a figure
without an anchor prints `anchor=- advantage=-`. `--anchor FIGURE=VALUE`
(repeatable) supplies the anchor of a figure measured outside the binary, in
the figure's unit (scripts/bench collectors: node_exporter's own collection
time, in ns). Only BENCH lines go to
stdout; problems go to stderr and make the exit status 1.
"""

import json
import re
import signal
import sys
from collections import OrderedDict

NAME_RE = re.compile(r"^BM_([A-Za-z0-9]+)_([A-Za-z0-9]+)_(vigil|anchor)$")


def snake(camel):
    """CounterInc2T -> counter_inc_2t, Expose10kCounters -> expose_10k_counters."""
    return re.sub(r"(?<=[a-z])(?=[A-Z0-9])", "_", camel).lower()


def fmt_number(v):
    if v >= 100:
        return f"{v:.0f}"
    if v >= 10:
        return f"{v:.1f}"
    return f"{v:.2f}"


def fmt_advantage(x):
    return f"{x:.1f}x" if x >= 1 else f"{x:.2f}x"


def value_of(run, suffix=""):
    """(value, unit) of one benchmark entry, or (None, reason)."""
    if run.get("error_occurred"):
        return None, run.get("error_message", "error")
    if suffix:
        counter = suffix.lstrip("_") + "_ns"
        if counter in run:
            return float(run[counter]), "ns"
        return None, f"no {counter} counter"
    if "bytes_per_second" in run:
        return float(run["bytes_per_second"]) / 1e6, "MB/s"
    if "bytes_per_series" in run:
        return float(run["bytes_per_series"]), "bytes"
    ips = run.get("items_per_second")
    if ips:
        return 1e9 / float(ips), "ns"
    return None, "no items_per_second or bytes_per_series"


def load(streams):
    runs = []
    for s in streams:
        try:
            runs.extend(json.load(s).get("benchmarks", []))
        except json.JSONDecodeError as e:
            name = getattr(s, "name", "input")
            raise SystemExit(f"bench_report: {name} is not benchmark JSON: {e}")
    return runs


def main(argv):
    signal.signal(signal.SIGPIPE, signal.SIG_DFL)  # quiet under `| head`
    external = {}
    paths = []
    args = argv[1:]
    while args:
        a = args.pop(0)
        if a == "--anchor" or a.startswith("--anchor="):
            spec = a.split("=", 1)[1] if "=" in a else (args.pop(0) if args else "")
            figure, _, value = spec.partition("=")
            try:
                external[figure] = float(value)
            except ValueError:
                raise SystemExit(f"bench_report: --anchor wants FIGURE=NUMBER, got {spec!r}")
        else:
            paths.append(a)
    if paths:
        streams = [open(p) for p in paths]
    else:
        streams = [sys.stdin]
    runs = load(streams)
    if not runs:
        print("bench_report: no benchmarks in the input", file=sys.stderr)
        return 1

    # figure -> side -> {"median": [...], "plain": [...]}; insertion order is
    # the binary's registration order.
    figures = OrderedDict()
    problems = 0
    for run in runs:
        base = run.get("run_name", run["name"]).split("/")[0]
        m = NAME_RE.match(base)
        if not m:
            print(f"bench_report: ignoring {run['name']}", file=sys.stderr)
            continue
        group, figure, side = m.groups()
        key = f"{snake(group)}.{snake(figure)}"
        slot = figures.setdefault(key, {}).setdefault(side, {"median": [], "plain": []})
        kind = run.get("run_type", "iteration")
        if kind == "aggregate":
            if run.get("aggregate_name") == "median":
                slot["median"].append(run)
        else:
            slot["plain"].append(run)

    expanded = []
    for key, sides in figures.items():
        expanded.append((key, sides, ""))
        some = next(iter(sides.values()))
        runs_of_side = some["median"] or some["plain"]
        if runs_of_side and "p50_ns" in runs_of_side[0]:
            expanded.append((key + "_p50", sides, "_p50"))
            expanded.append((key + "_p99", sides, "_p99"))
    for key, sides, suffix in expanded:
        values = {}
        unit = None
        for side in ("vigil", "anchor"):
            slot = sides.get(side)
            if slot is None:
                continue
            chosen = slot["median"] or slot["plain"]
            got = [value_of(r, suffix) for r in chosen]
            good = [v for v, _ in got if v is not None]
            if not good:
                reason = got[0][1] if got else "no runs"
                print(f"bench_report: {key} {side}: {reason}", file=sys.stderr)
                problems += 1
                continue
            values[side] = sum(good) / len(good)
            unit = next(u for v, u in got if v is not None)
        if "anchor" not in values and key in external:
            values["anchor"] = external[key]
        vigil = values.get("vigil")
        anchor = values.get("anchor")
        v_txt = fmt_number(vigil) if vigil is not None else "-"
        a_txt = fmt_number(anchor) if anchor is not None else "-"
        adv = "-"
        if vigil is not None and anchor is not None and vigil > 0 and anchor > 0:
            adv = fmt_advantage(vigil / anchor if unit == "MB/s" else anchor / vigil)
        print(f"BENCH {key} vigil={v_txt} anchor={a_txt} unit={unit or '-'} advantage={adv}")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
