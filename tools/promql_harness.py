"""Shared pieces of tools/promql_compare.py and tools/promql_bench.py:
importing an OpenMetrics file into Prometheus 2.42 (promtool) and vigil,
starting both servers on free 127.0.0.1 ports, querying the Prometheus HTTP
API (/api/v1/query, /api/v1/query_range, GET or form POST) and comparing two
API answers.

Servers are started by this process and stopped by their PID (TERM, then
KILL after 10 s); nothing listens on anything but 127.0.0.1.
"""
import contextlib
import http.client
import json
import math
import os
import pathlib
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.parse

ROOT = pathlib.Path(__file__).resolve().parent.parent
VIGIL_BIN = ROOT / "build" / "bin" / "vigil"

REL_TOL = 1e-9
ABS_TOL = 1e-12


@contextlib.contextmanager
def workspace(prog, keep):
    """A temporary directory and a list for the servers started in it. On
    exit the servers are stopped and the directory removed (kept, and its
    path printed, with keep)."""
    work = tempfile.mkdtemp(prefix=prog + ".")
    servers = []
    try:
        yield work, servers
    finally:
        for s in servers:
            s.stop()
        if keep:
            print(f"{prog}: kept {work}", file=sys.stderr)
        else:
            shutil.rmtree(work, ignore_errors=True)


class SetupError(Exception):
    pass


def free_port():
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def run_checked(cmd, log_path, what):
    with open(log_path, "wb") as log:
        r = subprocess.run([str(c) for c in cmd], stdout=log, stderr=subprocess.STDOUT)
    if r.returncode != 0:
        tail = pathlib.Path(log_path).read_text(errors="replace")[-2000:]
        raise SetupError(f"{what} failed (exit {r.returncode}): {' '.join(map(str, cmd))}\n{tail}")


def check_tools(vigil_bin=None):
    """SetupError unless prometheus, promtool (and vigil_bin) are there."""
    for tool in ("prometheus", "promtool"):
        if shutil.which(tool) is None:
            raise SetupError(f"{tool} not found (Debian package prometheus, 2.42.0 on bookworm; "
                             "shared/testbed/start-prometheus.sh installs it)")
    if vigil_bin is not None and not os.access(str(vigil_bin), os.X_OK):
        raise SetupError(f"{vigil_bin} is not an executable (build vigil first: scripts/build)")


def import_both(om_file, prom_dirs, vigil_dir, workdir, vigil_bin=VIGIL_BIN):
    """promtool into prom_dirs[0] (copied to the other prom_dirs), and
    `vigil tsdb import` into vigil_dir (skipped when None); both at once."""
    check_tools(vigil_bin if vigil_dir is not None else None)
    procs = []
    plog = open(os.path.join(workdir, "promtool.log"), "wb")
    procs.append(("promtool tsdb create-blocks-from openmetrics",
                  subprocess.Popen(["promtool", "tsdb", "create-blocks-from", "openmetrics",
                                    str(om_file), str(prom_dirs[0])],
                                   stdout=plog, stderr=subprocess.STDOUT), plog))
    if vigil_dir is not None:
        vlog = open(os.path.join(workdir, "vigil-import.log"), "wb")
        procs.append(("vigil tsdb import",
                      subprocess.Popen([str(vigil_bin), "tsdb", "import", str(om_file),
                                        "--storage.path", str(vigil_dir)],
                                       stdout=vlog, stderr=subprocess.STDOUT), vlog))
    errors = []
    for what, p, log in procs:
        rc = p.wait()
        log.close()
        if rc != 0:
            errors.append(f"{what} failed (exit {rc}):\n"
                          + pathlib.Path(log.name).read_text(errors="replace")[-2000:])
    if errors:
        raise SetupError("\n".join(errors))
    for d in prom_dirs[1:]:
        shutil.copytree(prom_dirs[0], d)


class Server:
    def __init__(self, name, kind, url, proc=None, log=None):
        self.name, self.kind, self.url, self.proc, self.log = name, kind, url, proc, log

    def stop(self):
        if self.proc is None or self.proc.poll() is not None:
            return
        self.proc.terminate()
        try:
            self.proc.wait(10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()

    def log_tail(self, n=2000):
        if not self.log:
            return ""
        try:
            return pathlib.Path(self.log).read_text(errors="replace")[-n:]
        except OSError:
            return ""


def _http_status(url, timeout=2.0):
    u = urllib.parse.urlsplit(url)
    c = http.client.HTTPConnection(u.hostname, u.port, timeout=timeout)
    try:
        c.request("GET", u.path or "/")
        r = c.getresponse()
        r.read()
        return r.status
    finally:
        c.close()


def _spawn(name, kind, cmd, ready_path, port, workdir, timeout):
    log = os.path.join(workdir, f"{name}.log")
    with open(log, "wb") as f:
        proc = subprocess.Popen([str(c) for c in cmd], stdout=f, stderr=subprocess.STDOUT,
                                stdin=subprocess.DEVNULL, cwd=workdir)
    srv = Server(name, kind, f"http://127.0.0.1:{port}", proc, log)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            return srv, False
        try:
            if _http_status(srv.url + ready_path) == 200:
                return srv, True
        except OSError:
            pass
        time.sleep(0.1)
    srv.stop()
    raise SetupError(f"{name} not ready within {timeout} s ({srv.url}{ready_path}):\n"
                     + srv.log_tail())


def start_prometheus(name, data_dir, workdir, extra=(), timeout=60, evaluation_interval="1m",
                     config_extra=""):
    """config_extra: more top-level YAML (rule_files: ...)."""
    check_tools()
    cfg = os.path.join(workdir, f"{name}.yml")
    with open(cfg, "w") as f:
        # Nothing is scraped; evaluation_interval is the default subquery step.
        f.write(f"global:\n  scrape_interval: 1h\n  evaluation_interval: {evaluation_interval}\n"
                "scrape_configs: []\n" + config_extra)
    for _ in range(3):
        port = free_port()
        cmd = ["prometheus", f"--config.file={cfg}", f"--storage.tsdb.path={data_dir}",
               "--storage.tsdb.retention.time=100y",
               f"--web.listen-address=127.0.0.1:{port}", *extra]
        srv, ok = _spawn(name, "prometheus", cmd, "/-/ready", port, workdir, timeout)
        if ok:
            return srv
        if "address already in use" not in srv.log_tail():
            break
    raise SetupError(f"{name} exited with {srv.proc.returncode}:\n{srv.log_tail()}")


def start_vigil(name, storage_dir, workdir, vigil_bin=VIGIL_BIN, timeout=60,
                evaluation_interval="1m", config_extra=""):
    check_tools(vigil_bin)
    cfg = os.path.join(workdir, f"{name}.yml")
    with open(cfg, "w") as f:
        # Retention is relative to the newest sample, and vigil's self-scrape
        # writes "now": keep old imported data.
        f.write(f"global:\n  scrape_interval: 1h\n  evaluation_interval: {evaluation_interval}\n"
                "storage:\n  tsdb:\n    retention:\n      time: 100y\n"
                "scrape_configs: []\n" + config_extra)
    for _ in range(3):
        port = free_port()
        cmd = [vigil_bin, "run", "--config", cfg, "--storage.path", storage_dir,
               "--listen", f"127.0.0.1:{port}"]
        srv, ok = _spawn(name, "vigil", cmd, "/ready", port, workdir, timeout)
        if ok:
            return srv
        if "in use" not in srv.log_tail():
            break
    raise SetupError(f"{name} exited with {srv.proc.returncode}:\n{srv.log_tail()}")


class Answer:
    """One HTTP API answer: status code, parsed JSON (or None) and raw body."""

    def __init__(self, status, body, seconds):
        self.status, self.body, self.seconds = status, body, seconds
        try:
            self.json = json.loads(body)
        except (ValueError, UnicodeDecodeError):
            self.json = None

    @property
    def ok(self):
        return (self.status == 200 and isinstance(self.json, dict)
                and self.json.get("status") == "success")

    def error_text(self):
        if isinstance(self.json, dict) and self.json.get("status") == "error":
            return f"{self.json.get('errorType')}: {self.json.get('error')}"
        return f"HTTP {self.status}: {self.body[:200]!r}"


class Client:
    """keep_alive=False opens one connection per request (as curl does): a
    server that leaves Nagle on answers a second request on a kept-alive
    connection only after the client's delayed ACK (~40 ms on Linux)."""

    def __init__(self, base_url, timeout=120.0, keep_alive=False):
        u = urllib.parse.urlsplit(base_url)
        self.host, self.port, self.timeout = u.hostname, u.port, timeout
        self.keep_alive = keep_alive
        self.conn = None

    def _conn(self):
        if self.conn is None:
            self.conn = http.client.HTTPConnection(self.host, self.port, timeout=self.timeout)
        return self.conn

    def request(self, path, params, method="GET"):
        """path: /api/v1/query or /api/v1/query_range; params: dict."""
        body = urllib.parse.urlencode(params)
        for attempt in range(2):
            c = self._conn()
            t0 = time.perf_counter()
            try:
                if method == "GET":
                    c.request("GET", path + "?" + body)
                else:
                    c.request("POST", path, body=body,
                              headers={"Content-Type": "application/x-www-form-urlencoded"})
                r = c.getresponse()
                data = r.read()
                dt = time.perf_counter() - t0
                if not self.keep_alive or r.getheader("Connection", "").lower() == "close":
                    self.close()
                return Answer(r.status, data, dt)
            except (http.client.HTTPException, OSError) as e:
                # A server that closed an idle keep-alive connection: retry once.
                self.close()
                if attempt:
                    return Answer(0, f"connection failed: {e!r}".encode(),
                                  time.perf_counter() - t0)

    def close(self):
        if self.conn is not None:
            self.conn.close()
            self.conn = None


# ---------------------------------------------------------------- comparison

SPECIAL = {"NaN", "+Inf", "-Inf"}


def _num(s):
    if not isinstance(s, str):
        raise ValueError(f"sample value is not a string: {s!r}")
    return float(s)


def values_equal(a, b):
    """a, b: the API's value strings. NaN == NaN; +Inf/-Inf exactly (text too);
    finite values within REL_TOL relative, or ABS_TOL absolute near 0."""
    if a in SPECIAL or b in SPECIAL:
        return a == b
    x, y = _num(a), _num(b)
    if math.isnan(x) or math.isnan(y) or math.isinf(x) or math.isinf(y):
        return (math.isnan(x) and math.isnan(y)) or x == y
    if x == y:
        return True
    d = abs(x - y)
    return d <= ABS_TOL or d <= REL_TOL * max(abs(x), abs(y))


def _text_category(v1, v2):
    """Notes for equal-enough values whose text differs."""
    if float(v1) == float(v2):
        return "number text (same float64, other spelling)"
    return "value (last digits, within tolerance)"


def _ms(t):
    if isinstance(t, bool) or not isinstance(t, (int, float)):
        raise ValueError(f"timestamp is not a number: {t!r}")
    return round(t * 1000)


def _labels(m):
    return "{" + ", ".join(f'{k}="{v}"' for k, v in sorted(m.items())) + "}"


def _point(p):
    if not isinstance(p, list) or len(p) != 2:
        raise ValueError(f"not a [time, value] pair: {p!r}")
    return _ms(p[0]), p[1]


def _by_metric(result, key):
    out, order = {}, []
    for s in result:
        m = s.get("metric")
        if not isinstance(m, dict):
            raise ValueError(f"series without metric object: {str(s)[:100]}")
        k = tuple(sorted(m.items()))
        if k in out:
            raise ValueError(f"duplicate label set {_labels(m)}")
        out[k] = s.get(key)
        order.append(k)
    return out, order


def compare_data(a, b, ordered=False, notes=None, names=("vigil", "prometheus")):
    """Compares two successful `data` objects. Returns None when they match,
    else a one-line summary of the first differences. `notes` (a list)
    collects (category, detail) of differences that are not failures."""
    ta, tb = a.get("resultType"), b.get("resultType")
    if ta != tb:
        return f"resultType {ta} vs {tb}"
    ra, rb = a.get("result"), b.get("result")
    try:
        if ta in ("scalar", "string"):
            (t1, v1), (t2, v2) = _point(ra), _point(rb)
            if t1 != t2:
                return f"time {t1} vs {t2}"
            same = v1 == v2 if ta == "string" else values_equal(v1, v2)
            if not same:
                return f"value {v1!r} vs {v2!r}"
            if notes is not None and ta == "scalar" and v1 != v2:
                notes.append((_text_category(v1, v2), f"{v1!r} vs {v2!r}"))
            return None
        if ta not in ("vector", "matrix"):
            return f"unknown resultType {ta!r}"
        if not isinstance(ra, list) or not isinstance(rb, list):
            return "result is not a list"
        key = "value" if ta == "vector" else "values"
        ma, oa = _by_metric(ra, key)
        mb, ob = _by_metric(rb, key)
        only_a = [k for k in oa if k not in mb]
        only_b = [k for k in ob if k not in ma]
        if only_a or only_b:
            parts = [f"{len(ra)} vs {len(rb)} series"]
            if only_a:
                parts.append(f"only {names[0]}: {', '.join(_labels(dict(k)) for k in only_a[:3])}"
                             + (f" (+{len(only_a) - 3})" if len(only_a) > 3 else ""))
            if only_b:
                parts.append(f"only {names[1]}: {', '.join(_labels(dict(k)) for k in only_b[:3])}"
                             + (f" (+{len(only_b) - 3})" if len(only_b) > 3 else ""))
            return "; ".join(parts)
        diffs = []
        text_note = None
        for k in oa:
            pa, pb = ma[k], mb[k]
            if ta == "vector":
                pa, pb = [pa], [pb]
            if not isinstance(pa, list) or not isinstance(pb, list):
                return f"{_labels(dict(k))}: malformed points"
            if len(pa) != len(pb):
                ts_a = {_point(p)[0] for p in pa}
                ts_b = {_point(p)[0] for p in pb}
                extra_a = sorted(ts_a - ts_b)[:3]
                extra_b = sorted(ts_b - ts_a)[:3]
                diffs.append(f"{_labels(dict(k))}: {len(pa)} vs {len(pb)} points"
                             f" (only {names[0]} t={extra_a}, only {names[1]} t={extra_b})")
                continue
            for p, q in zip(pa, pb):
                (t1, v1), (t2, v2) = _point(p), _point(q)
                if t1 != t2:
                    diffs.append(f"{_labels(dict(k))}: t {t1} vs {t2}")
                    break
                if not values_equal(v1, v2):
                    diffs.append(f"{_labels(dict(k))} @{t1}: {v1} vs {v2}")
                    break
                if v1 != v2 and text_note is None:
                    text_note = (_text_category(v1, v2), f"{_labels(dict(k))} @{t1}: {v1} vs {v2}")
        if diffs:
            more = f" (+{len(diffs) - 2} more series)" if len(diffs) > 2 else ""
            return "; ".join(diffs[:2]) + more
        if text_note is not None and notes is not None:
            notes.append(text_note)
        if ordered and ta == "vector":
            # sort()/sort_desc(): the order of values must agree (labels of
            # equal values may come in any order).
            sa = [s.get("value", [0, ""])[1] for s in ra]
            sb = [s.get("value", [0, ""])[1] for s in rb]
            for i, (x, y) in enumerate(zip(sa, sb)):
                if not values_equal(x, y):
                    return (f"order differs at position {i}: {_labels(dict(oa[i]))}={x} vs "
                            f"{_labels(dict(ob[i]))}={y}")
        return None
    except (ValueError, TypeError, AttributeError) as e:
        return f"malformed answer: {e}"


def compare_answers(va, pa, ordered=False, strict_errors=False, notes=None,
                    names=("vigil", "prometheus")):
    """va: the vigil-side Answer, pa: Prometheus'. None when equivalent."""
    if not va.ok and not pa.ok:
        if va.json is None:
            return f"both failed, but {names[0]}'s answer is not JSON: {va.error_text()}"
        et_a = va.json.get("errorType")
        et_b = pa.json.get("errorType") if isinstance(pa.json, dict) else None
        if et_a != et_b or va.status != pa.status:
            msg = (f"errorType {et_a} (HTTP {va.status}) vs {et_b} (HTTP {pa.status})")
            if strict_errors:
                return msg
            if notes is not None:
                notes.append(("errorType/status", msg))
        elif notes is not None and va.json.get("error") != pa.json.get("error"):
            notes.append(("error text", f"{va.json.get('error')!r} vs {pa.json.get('error')!r}"))
        return None
    if not va.ok:
        return f"{names[0]} error ({va.error_text()}), {names[1]} succeeded"
    if not pa.ok:
        return f"{names[1]} error ({pa.error_text()}), {names[0]} succeeded"
    return compare_data(va.json.get("data") or {}, pa.json.get("data") or {}, ordered, notes,
                        names)


def check_comparator():
    """Unit checks of the comparison rules; returns a list of failures."""
    def ans(data, status=200):
        return Answer(status, json.dumps({"status": "success", "data": data}).encode(), 0)

    def err(etype, status):
        return Answer(status, json.dumps({"status": "error", "errorType": etype,
                                          "error": "x"}).encode(), 0)

    def vec(*series):
        return {"resultType": "vector",
                "result": [{"metric": m, "value": [t, v]} for m, t, v in series]}

    def mat(*series):
        return {"resultType": "matrix",
                "result": [{"metric": m, "values": pts} for m, pts in series]}

    a = {"job": "a"}
    b = {"job": "b"}
    cases = [  # (name, vigil-side, prometheus, ordered, expect_equal)
        ("same vector", vec((a, 1.5, "1"), (b, 1.5, "2")), vec((b, 1.5, "2"), (a, 1.5, "1")),
         False, True),
        ("1e-12 relative", vec((a, 1, "1.000000000001")), vec((a, 1, "1")), False, True),
        ("1e-6 relative", vec((a, 1, "1.000001")), vec((a, 1, "1")), False, False),
        ("abs near 0", vec((a, 1, "1e-13")), vec((a, 1, "0")), False, True),
        ("not near 0", vec((a, 1, "1e-11")), vec((a, 1, "0")), False, False),
        ("NaN == NaN", vec((a, 1, "NaN")), vec((a, 1, "NaN")), False, True),
        ("NaN vs 0", vec((a, 1, "NaN")), vec((a, 1, "0")), False, False),
        ("+Inf text", vec((a, 1, "Inf")), vec((a, 1, "+Inf")), False, False),
        ("-Inf", vec((a, 1, "-Inf")), vec((a, 1, "-Inf")), False, True),
        ("Inf vs -Inf", vec((a, 1, "+Inf")), vec((a, 1, "-Inf")), False, False),
        ("time", vec((a, 1.001, "1")), vec((a, 1, "1")), False, False),
        ("missing series", vec((a, 1, "1")), vec((a, 1, "1"), (b, 1, "2")), False, False),
        ("extra label", vec(({"job": "a", "x": ""}, 1, "1")), vec((a, 1, "1")), False, False),
        ("__name__ kept", vec(({"__name__": "m", "job": "a"}, 1, "1")), vec((a, 1, "1")),
         False, False),
        ("resultType", {"resultType": "scalar", "result": [1, "1"]}, vec(({}, 1, "1")),
         False, False),
        ("scalar", {"resultType": "scalar", "result": [1, "1"]},
         {"resultType": "scalar", "result": [1, "1.0"]}, False, True),
        ("string", {"resultType": "string", "result": [1, "a"]},
         {"resultType": "string", "result": [1, "b"]}, False, False),
        ("matrix", mat((a, [[1, "1"], [2, "2"]])), mat((a, [[1, "1"], [2, "2"]])), False, True),
        ("matrix point", mat((a, [[1, "1"], [2, "2"]])), mat((a, [[1, "1"]])), False, False),
        ("matrix time", mat((a, [[1, "1"], [3, "2"]])), mat((a, [[1, "1"], [2, "2"]])),
         False, False),
        ("sorted", vec((a, 1, "1"), (b, 1, "2")), vec((b, 1, "2"), (a, 1, "1")), True, False),
        ("sorted ties", vec((a, 1, "1"), (b, 1, "1")), vec((b, 1, "1"), (a, 1, "1")), True, True),
        ("duplicate", vec((a, 1, "1"), (a, 1, "1")), vec((a, 1, "1"), (b, 1, "1")), False, False),
        ("numeric value", vec((a, 1, 1)), vec((a, 1, "1")), False, False),
    ]
    failures = []
    for name, x, y, ordered, want in cases:
        got = compare_answers(ans(x), ans(y), ordered=ordered) is None
        if got != want:
            failures.append(f"{name}: equal={got}, want {want}")
    for name, x, y, strict, want in [
            ("both error", err("bad_data", 400), err("bad_data", 400), True, True),
            ("errorType", err("execution", 422), err("bad_data", 400), False, True),
            ("errorType strict", err("execution", 422), err("bad_data", 400), True, False),
            ("one errors", err("bad_data", 400), ans(vec()), False, False),
            ("other errors", ans(vec()), err("bad_data", 400), False, False),
            ("404 text", Answer(404, b"not found", 0), err("bad_data", 400), False, False)]:
        got = compare_answers(x, y, strict_errors=strict) is None
        if got != want:
            failures.append(f"{name}: equal={got}, want {want}")
    return failures


if __name__ == "__main__":
    import sys
    f = check_comparator()
    for line in f:
        print("comparator check failed:", line)
    print(f"promql_harness: comparator checks {'failed' if f else 'passed'}")
    sys.exit(1 if f else 0)
