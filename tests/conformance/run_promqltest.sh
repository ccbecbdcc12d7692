#!/usr/bin/env bash
# Runs `vigil promqltest` over PromQL test scripts for ctest (label
# "conformance"). Each argument after the binary is a .test file or a
# directory of them. Exits 77, which ctest reports as skipped, when one is
# missing: Prometheus' conformance files live outside the repository
# (../shared/conformance/promql) and may not be checked out.
#
#   run_promqltest.sh VIGIL_BIN FILE_OR_DIR...
set -u
bin=$1
shift
files=()
for p in "$@"; do
  if [ -d "$p" ]; then
    for f in "$p"/*.test; do
      [ -e "$f" ] && files+=("$f")
    done
  elif [ -f "$p" ]; then
    files+=("$p")
  else
    echo "SKIP: $p does not exist (the PromQL conformance files are expected in" \
      "../shared/conformance/promql next to the repository)"
    exit 77
  fi
done
if [ ${#files[@]} -eq 0 ]; then
  echo "SKIP: no .test files in $*"
  exit 77
fi
exec "$bin" promqltest "${files[@]}"
