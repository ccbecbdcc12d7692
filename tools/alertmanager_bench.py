#!/usr/bin/env python3
"""scripts/bench alertmanager: the embedded alert manager under load, next to
a real Alertmanager 0.25 (Debian prometheus-alertmanager) given the same
configuration and the same alerts.

  tools/alertmanager_bench.py                       # 10,000 alerts, 500 groups
  tools/alertmanager_bench.py --alerts 2000 --groups 100

Load: --alerts active alerts in --groups groups (group_by [alertname]; group
g holds alerts g*k .. g*k+k-1, each with its own `instance`), POSTed to
/api/v2/alerts in batches of 64 over one keep-alive connection, as
Prometheus' notifier sends them, without startsAt (the server's "now": an
alert that started longer than group_wait ago flushes its group at once). group_wait is --group-wait (5 s: every
alert is in before the first group flushes), group_interval 1m, and one
webhook receiver: a loopback HTTP sink in this process that records the
arrival time of every notification.

Figures (one server at a time; the machine has 2 cores):
  ingest_alerts_per_s   alerts acknowledged per second over the POST phase
  post_p99_ms           99th percentile of one 64-alert POST
  dispatch_p50_ms/p99   per group: notification arrival - (its first alert's
                        acknowledgement + group_wait): what the dispatcher,
                        the pipeline and the delivery add to group_wait
  all_within_s          last arrival - first POST: everything must arrive
                        within group_wait + one group_interval
  burst_p50_ms/p99      then every group at once: the configuration is
                        reloaded with the receiver renamed, so all groups are
                        rebuilt, flush at once (their alerts are older than
                        group_wait) and are new to the notification log;
                        arrival - the reload request
  burst_notify_per_s    groups / (last arrival - the reload request)

  BENCH alertmanager/<figure> vigil=<n> anchor=<n> unit=<u>

The run fails (exit 1) unless both deliver every group exactly once with all
its alerts within group_wait + group_interval, and vigil does so after the
reload too. vigil writes each POST to its
SQLite database (fsync) before it answers; Alertmanager keeps alerts in
memory only. About 1 minute.
"""
import argparse
import asyncio
import http.client
import json
import os
import shutil
import statistics
import sys
import threading
import time

sys.dont_write_bytecode = True  # no __pycache__ in tools/
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import promql_harness as H  # noqa: E402

GROUP_INTERVAL_S = 60


class Sink:
    """Records (monotonic arrival, group name, alert count) per webhook POST.

    A minimal HTTP/1.1 server on asyncio in its own thread: one event loop,
    no thread per connection, keep-alive honoured, so that it answers new
    connections (vigil) as quickly as reused ones (Alertmanager) and is not
    what limits either."""

    def __init__(self):
        self.lock = threading.Lock()
        self.got = []
        self.loop = asyncio.new_event_loop()
        ready = threading.Event()
        holder = {}

        async def handle(reader, writer):
            try:
                while True:
                    head = await reader.readuntil(b"\r\n\r\n")
                    length = 0
                    for line in head.split(b"\r\n"):
                        if line.lower().startswith(b"content-length:"):
                            length = int(line.split(b":", 1)[1])
                    body = await reader.readexactly(length)
                    t = time.monotonic()
                    try:
                        j = json.loads(body)
                        rec = (t, j["groupLabels"].get("alertname", ""), len(j["alerts"]))
                    except (ValueError, KeyError):
                        rec = (t, "<bad>", 0)
                    with self.lock:
                        self.got.append(rec)
                    writer.write(b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n")
                    await writer.drain()
            except (asyncio.IncompleteReadError, ConnectionError):
                pass
            finally:
                writer.close()

        async def start():
            holder["server"] = await asyncio.start_server(handle, "127.0.0.1", 0, backlog=1024)
            ready.set()

        def run():
            self.loop.run_until_complete(start())
            self.loop.run_forever()

        threading.Thread(target=run, daemon=True).start()
        ready.wait()
        self.server = holder["server"]
        self.url = f"http://127.0.0.1:{self.server.sockets[0].getsockname()[1]}/hook"

    def snapshot(self):
        with self.lock:
            return list(self.got)

    def close(self):
        self.loop.call_soon_threadsafe(self.server.close)
        self.loop.call_soon_threadsafe(self.loop.stop)


def am_config(path, sink_url, group_wait_s, receiver="hook"):
    with open(path, "w") as f:
        f.write(f"""route:
  receiver: {receiver}
  group_by: [alertname]
  group_wait: {group_wait_s}s
  group_interval: {GROUP_INTERVAL_S}s
  repeat_interval: 4h
receivers:
  - name: {receiver}
    webhook_configs: [{{url: "{sink_url}", send_resolved: false}}]
""")


def start_alertmanager(name, cfg, workdir):
    if shutil.which("prometheus-alertmanager") is None:
        raise H.SetupError("prometheus-alertmanager is not installed (scripts/setup)")
    for _ in range(3):
        port = H.free_port()
        cmd = ["prometheus-alertmanager", f"--config.file={cfg}",
               f"--storage.path={os.path.join(workdir, name + '-data')}",
               f"--web.listen-address=127.0.0.1:{port}", "--cluster.listen-address="]
        srv, ok = H._spawn(name, "alertmanager", cmd, "/-/ready", port, workdir, 30)
        if ok:
            return srv
    raise H.SetupError(f"{name} did not start:\n{srv.log_tail()}")


def start_vigil(name, am_cfg, workdir, vigil_bin):
    cfg = os.path.join(workdir, f"{name}.yml")
    with open(cfg, "w") as f:
        f.write(f"global:\n  scrape_interval: 1h\nalertmanager:\n  config_file: {am_cfg}\n")
    for _ in range(3):
        port = H.free_port()
        cmd = [vigil_bin, "run", "--config", cfg, "--storage.path",
               os.path.join(workdir, name + "-data"), "--listen", f"127.0.0.1:{port}"]
        srv, ok = H._spawn(name, "vigil", cmd, "/ready", port, workdir, 30)
        if ok:
            return srv
    raise H.SetupError(f"{name} did not start:\n{srv.log_tail()}")


def pct(xs, p):
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(round(p / 100 * (len(xs) - 1))))]


def wait_for(sink, n, deadline):
    while time.monotonic() < deadline and len(sink.snapshot()) < n:
        time.sleep(0.05)
    time.sleep(1)  # anything extra (a second notification) shows up here
    return sink.snapshot()


def burst(srv, sink, cfg, n_alerts, n_groups, group_wait_s):
    """Every group due at once: the configuration is reloaded with a new
    receiver name, so that the rebuilt groups (their alerts older than
    group_wait) flush at once and the notification log has nothing for
    them. Returns (ok, dispatch p50/p99 ms from the reload, notifications/s)."""
    per = n_alerts // n_groups
    am_config(cfg, sink.url, group_wait_s, receiver="hook2")
    mark = len(sink.snapshot())
    host, port = srv.url.removeprefix("http://").split(":")
    conn = http.client.HTTPConnection(host, int(port), timeout=30)
    t0 = time.monotonic()
    conn.request("POST", "/-/reload")
    r = conn.getresponse()
    r.read()
    conn.close()
    if r.status != 200:
        raise H.SetupError(f"{srv.name}: reload answered {r.status}")
    got = wait_for(sink, mark + n_groups, t0 + GROUP_INTERVAL_S)[mark:]
    names = {name for _, name, _ in got}
    # Every group once, with all its alerts. (Alertmanager flushes a group
    # as soon as its first alert is back in after a reload, so some groups
    # come twice, split; that is reported, not failed.)
    ok = len(got) == n_groups and len(names) == n_groups and all(n == per for _, _, n in got)
    lat = [(t - t0) * 1000 for t, _, _ in got]
    last = max(lat) / 1000 if lat else float("nan")
    print(f"alertmanager_bench: {srv.name}: reload: {len(got)} notifications for {len(names)} "
          f"groups in {last:.2f} s", file=sys.stderr)
    return ok, (pct(lat, 50) if lat else float("nan"), pct(lat, 99) if lat else float("nan"),
                len(got) / last if lat else float("nan"))


def load(srv, sink, n_alerts, n_groups, group_wait_s):
    per = n_alerts // n_groups
    host, port = srv.url.removeprefix("http://").split(":")
    conn = http.client.HTTPConnection(host, int(port), timeout=30)
    alerts = [{"labels": {"alertname": f"Load{g:04d}", "instance": f"host-{i:03d}:9100",
                          "severity": "warning", "job": "bench"},
               "annotations": {"summary": f"load alert {g}/{i}"},
               "generatorURL": "http://127.0.0.1:9090/graph?g0.expr=up"}
              for g in range(n_groups) for i in range(per)]
    first_ack = {}
    post_ms = []
    t_start = time.monotonic()
    for b in range(0, len(alerts), 64):
        batch = alerts[b:b + 64]
        body = json.dumps(batch)
        t0 = time.monotonic()
        conn.request("POST", "/api/v2/alerts", body, {"Content-Type": "application/json"})
        r = conn.getresponse()
        r.read()
        t1 = time.monotonic()
        if r.status != 200:
            raise H.SetupError(f"{srv.name}: POST answered {r.status}")
        post_ms.append((t1 - t0) * 1000)
        for a in batch:
            first_ack.setdefault(a["labels"]["alertname"], t1)
    t_posted = time.monotonic()
    conn.close()
    got = wait_for(sink, n_groups, t_start + group_wait_s + GROUP_INTERVAL_S + 5)
    by_group = {}
    for t, name, n in got:
        by_group.setdefault(name, []).append((t, n))
    complete = (len(by_group) == n_groups and
                all(len(v) == 1 and v[0][1] == per for v in by_group.values()))
    arrivals = [v[0][0] for v in by_group.values()]
    lat = [(by_group[g][0][0] - (first_ack[g] + group_wait_s)) * 1000
           for g in by_group if g in first_ack]
    res = {
        "ingest_alerts_per_s": len(alerts) / (t_posted - t_start),
        "post_p99_ms": pct(post_ms, 99),
        "dispatch_p50_ms": pct(lat, 50) if lat else float("nan"),
        "dispatch_p99_ms": pct(lat, 99) if lat else float("nan"),
        "all_within_s": (max(arrivals) - t_start) if arrivals else float("nan"),
    }
    ok = complete and res["all_within_s"] <= group_wait_s + GROUP_INTERVAL_S
    print(f"alertmanager_bench: {srv.name}: {len(got)} notifications for {len(by_group)} groups "
          f"(complete={complete}), posted in {t_posted - t_start:.2f} s", file=sys.stderr)
    return res, ok


def main():
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--alerts", type=int, default=10000)
    ap.add_argument("--groups", type=int, default=500)
    ap.add_argument("--group-wait", type=int, default=5, help="seconds")
    ap.add_argument("--vigil-bin", default=str(H.VIGIL_BIN), type=os.path.abspath)
    ap.add_argument("--keep", action="store_true", help="keep the temporary directory")
    a = ap.parse_args()
    results, oks = {}, []
    with H.workspace("alertmanager_bench", a.keep) as (work, servers):
        try:
            for kind in ("vigil", "alertmanager"):
                sink = Sink()
                cfg = os.path.join(work, f"{kind}-am.yml")
                am_config(cfg, sink.url, a.group_wait)
                srv = (start_vigil("vigil", cfg, work, a.vigil_bin) if kind == "vigil"
                       else start_alertmanager("alertmanager", cfg, work))
                servers.append(srv)
                try:
                    results[kind], ok = load(srv, sink, a.alerts, a.groups, a.group_wait)
                    oks.append(ok)
                    ok, (p50, p99, rate) = burst(srv, sink, cfg, a.alerts, a.groups,
                                                 a.group_wait)
                    if kind == "vigil":
                        oks.append(ok)
                    results[kind].update({"burst_p50_ms": p50, "burst_p99_ms": p99,
                                          "burst_notify_per_s": rate})
                finally:
                    srv.stop()
                    sink.close()
        except H.SetupError as e:
            print(f"alertmanager_bench: {e}", file=sys.stderr)
            return 2
    units = {"ingest_alerts_per_s": "alerts/s", "post_p99_ms": "ms", "dispatch_p50_ms": "ms",
             "dispatch_p99_ms": "ms", "all_within_s": "s", "burst_p50_ms": "ms",
             "burst_p99_ms": "ms", "burst_notify_per_s": "notifications/s"}
    for fig, unit in units.items():
        v, p = results["vigil"][fig], results["alertmanager"][fig]
        print(f"BENCH alertmanager/{fig} vigil={v:.2f} anchor={p:.2f} unit={unit} "
              f"alerts={a.alerts} groups={a.groups}", flush=True)
    return 0 if all(oks) else 1


if __name__ == "__main__":
    sys.exit(main())
