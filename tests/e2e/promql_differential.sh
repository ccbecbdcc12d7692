#!/usr/bin/env bash
# Differential PromQL test against a real Prometheus 2.42: both import one
# OpenMetrics file (promtool tsdb create-blocks-from openmetrics / vigil tsdb
# import), then 1500 generated instant and range queries (rates,
# aggregations, histogram_quantile, binary operators with matching,
# subqueries, offsets, @, functions; GET and form POST) must return the same
# label sets and values within 1e-9 relative from both HTTP APIs. See
# tools/promql_compare.py.
set -euo pipefail
source "$(dirname "$0")/lib.sh"

command -v promtool >/dev/null || skip "promtool not installed (Debian package prometheus)"
command -v prometheus >/dev/null || skip "prometheus not installed (Debian package prometheus)"

rc=0
"$PY" "$REPO/tools/promql_compare.py" --vigil-bin "$VIGIL_BIN" --queries 1500 \
  --report "$E2E_TMP/failures.jsonl" >"$E2E_TMP/compare.out" 2>"$E2E_TMP/compare.err" || rc=$?
grep -v '^  ' "$E2E_TMP/compare.err" >&2 || true
cat "$E2E_TMP/compare.out" >&2
case "$rc" in
  0) pass "$(tail -1 "$E2E_TMP/compare.out")" ;;
  1) fail "vigil and Prometheus disagree (FAIL lines above)" ;;
  *) die "setup failed (exit $rc)" ;;
esac
finish
