#!/usr/bin/env bash
# e2e: `vigil test rules` and `vigil check rules` give Debian promtool 2.42's
# verdicts on the same files.
#
#   * every tests/testdata/rules/*.test.yml (the seeds' alerts with input
#     series of ours, templates, group order, evaluation errors; passing and
#     deliberately failing files) and the testbed's example test files: the
#     exit status, stdout and stderr of `vigil test rules` equal promtool's
#     byte for byte (both run in the file's directory, as promtool resolves
#     rule_files there);
#   * tests/testdata/rules/malformed/*.test.yml (bad YAML, unknown fields,
#     bad series notation, bad values, a rule file that does not parse):
#     both fail; vigil's message names the file with line and column;
#   * every *.rules.yml there and in the testbed: `vigil check rules` and
#     `promtool check rules` agree on the verdict and the rule count;
#   * guards against a vacuous pass: the passing files pass and the failing
#     ones fail under vigil.
#
# A test file without group_eval_order whose rule files hold several groups
# leaves promtool 2.42's group order to Go's map iteration (random per run;
# the testbed's inference-slo example passes or fails by chance). Such files
# are compared on copies pinned to file order (vigil's order) and, again, to
# the reverse order, so both tools see the same order each time.
#
# Exit 0 pass, 1 fail, 77 skip (promtool not installed).
set -uo pipefail
. "$(dirname "$0")/lib.sh"

command -v promtool >/dev/null 2>&1 || skip "promtool is not installed (Debian package prometheus)"
[ -x "$VIGIL_BIN" ] || die "vigil binary not found at $VIGIL_BIN"
DATA="$REPO/tests/testdata/rules"

# run_both DIR FILE: runs `test rules` with both tools in DIR; leaves
# $E2E_TMP/{vigil,promtool}.{out,err,rc}.
run_both() {
  local dir="$1" file="$2" tool
  for tool in vigil promtool; do
    local cmd=("$VIGIL_BIN" test rules)
    [ "$tool" = promtool ] && cmd=(promtool test rules)
    (cd "$dir" && timeout 60 "${cmd[@]}" "$file" >"$E2E_TMP/$tool.out" 2>"$E2E_TMP/$tool.err")
    echo $? >"$E2E_TMP/$tool.rc"
    # Prometheus lists the two clashing series of a many-to-many error in
    # the order its Go map iteration loaded them, which varies from run to
    # run; compare the message without that list.
    sed -i -E 's/(hand-side of the operation): \[.*\];/\1: [...];/' "$E2E_TMP/$tool.err"
  done
}

# group_names TESTFILE: the rule groups of TESTFILE's rule_files in file
# order, one per line (a group entry is the only "- name:" in a rule file).
group_names() {
  "$PY" - "$1" <<'PYEOF'
import glob, os, re, sys
test = sys.argv[1]
text = open(test).read()
block = re.search(r'^rule_files:\s*\n((?:\s+-\s.*\n)+)', text, re.M)
flow = re.search(r'^rule_files:\s*\[([^\]]*)\]', text, re.M)
if block:
    files = re.findall(r'^\s+-\s+["\']?([^"\'#\n]+?)["\']?\s*$', block.group(1), re.M)
else:
    files = [f.strip().strip('"\'') for f in flow.group(1).split(',')] if flow else []
for pattern in files:
    for path in sorted(glob.glob(os.path.join(os.path.dirname(test), pattern))):
        for name in re.findall(r'^\s*-\s+name:\s*["\']?([^"\'#\n]+?)["\']?\s*$',
                               open(path).read(), re.M):
            print(name)
PYEOF
}

# pin_order FILE ORDER...: copies FILE's directory to $E2E_TMP/pinned and
# appends group_eval_order ORDER to the copy of FILE; prints the copy's dir.
pin_order() {
  local file="$1"; shift
  local dir="$E2E_TMP/pinned" g list=""
  rm -rf "$dir" && cp -r "$(dirname "$file")" "$dir" && chmod -R u+w "$dir"
  for g in "$@"; do list+="${list:+, }\"$g\""; done
  printf '\ngroup_eval_order: [%s]\n' "$list" >>"$dir/$(basename "$file")"
  echo "$dir"
}

# compare DIR NAME LABEL: runs both tools and records the verdict; sets vrc.
compare() {
  local dir="$1" name="$2" label="$3" prc
  run_both "$dir" "$name"
  vrc="$(cat "$E2E_TMP/vigil.rc")" prc="$(cat "$E2E_TMP/promtool.rc")"
  if [ "$vrc" != "$prc" ]; then
    fail "$label: vigil exits $vrc, promtool $prc"
    cat "$E2E_TMP/vigil.out" "$E2E_TMP/vigil.err" >&2
    return 1
  fi
  if ! diff -u "$E2E_TMP/promtool.out" "$E2E_TMP/vigil.out" >"$E2E_TMP/diff.out" ||
     ! diff -u "$E2E_TMP/promtool.err" "$E2E_TMP/vigil.err" >"$E2E_TMP/diff.err"; then
    fail "$label: same verdict ($vrc) but the report differs (- promtool, + vigil):"
    cat "$E2E_TMP/diff.out" "$E2E_TMP/diff.err" >&2
    return 1
  fi
  pass "$label: exit $vrc, identical report"
}

exact_files=("$DATA"/*.test.yml)
for f in "$TESTBED"/examples/*.test.yml; do [ -f "$f" ] && exact_files+=("$f"); done
passed=0 failed=0
for f in "${exact_files[@]}"; do
  name="$(basename "$f")"
  mapfile -t groups < <(group_names "$f")
  if grep -qE '^group_eval_order:' "$f" || [ "${#groups[@]}" -lt 2 ]; then
    compare "$(dirname "$f")" "$name" "$name" || continue
  else
    reversed=()
    for ((i = ${#groups[@]} - 1; i >= 0; i--)); do reversed+=("${groups[i]}"); done
    compare "$(pin_order "$f" "${reversed[@]}")" "$name" \
      "$name (groups pinned to reverse file order)" || continue
    # Last, so that the counts below take vigil's own order.
    compare "$(pin_order "$f" "${groups[@]}")" "$name" \
      "$name (groups pinned to file order: ${groups[*]})" || continue
    # vigil's default (no group_eval_order) is file order.
    (cd "$(dirname "$f")" && "$VIGIL_BIN" test rules "$name" >"$E2E_TMP/vd.out" 2>&1)
    drc=$?
    [ "$drc" = "$vrc" ] ||
      fail "$name: vigil without group_eval_order exits $drc, pinned to file order $vrc"
  fi
  [ "$vrc" = 0 ] && passed=$((passed + 1)) || failed=$((failed + 1))
done

# Not vacuous: known passing and failing files go the expected way.
for f in pizza_spatial rxvision templates order order.reversed; do
  (cd "$DATA" && "$VIGIL_BIN" test rules "$f.test.yml" >/dev/null 2>&1) ||
    fail "$f.test.yml should pass under vigil"
done
for f in pizza_spatial.failing rxvision.failing eval_error missing_alertname; do
  (cd "$DATA" && "$VIGIL_BIN" test rules "$f.test.yml" >/dev/null 2>&1) &&
    fail "$f.test.yml should fail under vigil"
done
[ "$passed" -ge 5 ] && [ "$failed" -ge 4 ] ||
  fail "expected at least 5 passing and 4 failing files, got $passed and $failed"

for f in "$DATA"/malformed/*.test.yml; do
  name="$(basename "$f")"
  run_both "$(dirname "$f")" "$name"
  vrc="$(cat "$E2E_TMP/vigil.rc")" prc="$(cat "$E2E_TMP/promtool.rc")"
  if [ "$vrc" != 1 ] || [ "$prc" != 1 ]; then
    fail "malformed/$name: vigil exits $vrc, promtool $prc, want 1 and 1"
  elif ! grep -qE '[a-z_]+\.(test|rules)\.yml:[0-9]+:[0-9]+: ' "$E2E_TMP/vigil.err"; then
    fail "malformed/$name: vigil's error names no FILE:LINE:COLUMN:"
    cat "$E2E_TMP/vigil.err" >&2
  else
    pass "malformed/$name: both fail; vigil says $(sed -n 2p "$E2E_TMP/vigil.err")"
  fi
done

rule_files=("$DATA"/*.rules.yml "$DATA"/malformed/*.rules.yml)
for f in "$TESTBED"/examples/*.yml; do
  [ -f "$f" ] && ! grep -qE '^rule_files:' "$f" && rule_files+=("$f")
done
for f in "${rule_files[@]}"; do
  name="$(basename "$f")"
  "$VIGIL_BIN" check rules "$f" >"$E2E_TMP/vc.out" 2>"$E2E_TMP/vc.err"
  vrc=$?
  promtool check rules "$f" >"$E2E_TMP/pc.out" 2>"$E2E_TMP/pc.err"
  prc=$?
  vcount="$(grep -o 'SUCCESS: [0-9]* rules found' "$E2E_TMP/vc.out")"
  pcount="$(grep -o 'SUCCESS: [0-9]* rules found' "$E2E_TMP/pc.out")"
  if [ "$vrc" != "$prc" ] || [ "$vcount" != "$pcount" ]; then
    fail "check rules $name: vigil exit $vrc \"$vcount\", promtool exit $prc \"$pcount\""
    cat "$E2E_TMP/vc.err" "$E2E_TMP/pc.err" >&2
  else
    pass "check rules $name: exit $vrc ${vcount:-(failed)}"
  fi
done
finish
