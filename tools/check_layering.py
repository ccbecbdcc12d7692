#!/usr/bin/env python3
"""Fails when a module includes a module it may not (../shared/STYLE.md, section 1.3).

Every `#include "<module>/..."` in src/<module>/ must name the module itself or one of its
allowed dependencies below. Public headers (`vigil/...`) are the installed API and allowed
everywhere; they must themselves include only `vigil/...` headers.
"""
import pathlib
import re
import sys

ALLOWED = {
    "base": set(),
    "metrics": {"base"},
    "model": {"base"},
    "logging": {"base"},
    "exposition": {"metrics", "model", "base"},
    "http": {"base", "logging"},
    # The YAML reader of Prometheus' HTTP client config (http/client_config.h).
    "httpconfig": {"http", "model", "base"},
    "storage": {"model", "base"},
    "tsdb": {"storage", "model", "base", "logging", "metrics"},
    "promql": {"storage", "model", "base", "logging", "metrics"},
    # Go text/template subset shared by rules (labels, annotations) and the
    # alert manager (notification text): below both (docs/adr/0004).
    "templating": {"model", "base"},
    "rules": {"promql", "storage", "model", "base", "logging", "metrics",
              "templating"},
    "alertmanager": {"model", "http", "base", "logging", "metrics",
                     "templating"},
    # Delivery of rule alerts to Alertmanagers over their v2 API (Prometheus'
    # notifier package); the daemon wires rules to it (docs/adr/0004).
    "notifier": {"model", "http", "base", "logging", "metrics"},
    "anomaly": {"storage", "model", "base", "metrics"},
    "collectors": {"metrics", "base", "logging"},
    "ml": {"metrics", "base", "logging"},
    "slo": {"promql", "model", "base"},
    "exporter": {"http", "exposition", "metrics", "base"},
    "scrape": {"storage", "exposition", "model", "http", "base", "logging",
               "metrics"},
    # Prometheus remote write from the tsdb WAL (remote/write_storage.h):
    # reads tsdb/wal and tsdb/record, sends over http.
    "remote": {"tsdb", "storage", "model", "http", "httpconfig", "base", "logging",
               "metrics"},
    "daemon": None,  # everything
    "cli": None,     # the vigil binary's commands: everything below daemon
}
INCLUDE = re.compile(r'^\s*#\s*include\s+"([^"]+)"', re.M)


def main() -> int:
    root = pathlib.Path(__file__).resolve().parent.parent
    errors = []
    for path in sorted((root / "src").rglob("*")):
        if path.suffix not in (".h", ".cc"):
            continue
        module = path.relative_to(root / "src").parts[0]
        if module not in ALLOWED:
            errors.append(f"{path.relative_to(root)}: module '{module}' is not in the layering table")
            continue
        allowed = ALLOWED[module]
        text = path.read_text(encoding="utf-8")
        for m in INCLUDE.finditer(text):
            inc = m.group(1)
            top = inc.split("/")[0]
            if top == "vigil" or top == module or "/" not in inc:
                continue
            if allowed is None or top in allowed:
                continue
            line = text[: m.start()].count("\n") + 1
            errors.append(f"{path.relative_to(root)}:{line}: module '{module}' may not include '{inc}'")
    for path in sorted((root / "include").rglob("*.h")):
        text = path.read_text(encoding="utf-8")
        for m in INCLUDE.finditer(text):
            if not m.group(1).startswith("vigil/"):
                line = text[: m.start()].count("\n") + 1
                errors.append(f"{path.relative_to(root)}:{line}: public header includes non-public '{m.group(1)}'")
    for e in errors:
        print(e, file=sys.stderr)
    if errors:
        print(f"check_layering: {len(errors)} violation(s)", file=sys.stderr)
        return 1
    print("check_layering: ok")
    return 0


if __name__ == "__main__":
    sys.exit(main())
