#!/usr/bin/env bash
# e2e: `vigil slo generate` compiles tests/testdata/slo/inference.slo.yml to a
# rule file that Debian's promtool 2.42 accepts and whose alerts fire exactly
# as the unit tests there say, with promtool and with vigil's own evaluator.
#
#   * `vigil slo generate FILE -o OUT` and `vigil slo generate FILE` (stdout)
#     write the same text, equal to the checked-in inference.rules.yml (a
#     change to the generator shows up there; regenerate it with
#     `cd tests/testdata/slo && vigil slo generate inference.slo.yml -o
#     inference.rules.yml`);
#   * `promtool check rules` and `vigil check rules` accept it with the same
#     rule count;
#   * every tests/testdata/slo/*.test.yml passes under `promtool test rules`
#     and `vigil test rules`, run on the freshly generated file, with the
#     same report;
#   * not vacuous: with the page factor 14.4 changed to 15, or the 1h rate
#     window to 2h, availability.test.yml fails under both tools;
#   * a broken SLO file is refused with FILE:LINE:COLUMN and exit status 1,
#     and nothing is written.
#
# Exit 0 pass, 1 fail, 77 skip (promtool not installed).
set -uo pipefail
. "$(dirname "$0")/lib.sh"

command -v promtool >/dev/null 2>&1 || skip "promtool is not installed (Debian package prometheus)"
[ -x "$VIGIL_BIN" ] || die "vigil binary not found at $VIGIL_BIN"
DATA="$REPO/tests/testdata/slo"
WORK="$E2E_TMP/work"
mkdir -p "$WORK"

# Generate as the checked-in file was generated: from the data directory,
# so the header names the file the same way.
if (cd "$DATA" && "$VIGIL_BIN" slo generate inference.slo.yml -o "$WORK/inference.rules.yml" \
      >"$E2E_TMP/gen.out" 2>"$E2E_TMP/gen.err"); then
  pass "slo generate -o: $(cat "$E2E_TMP/gen.out")"
else
  cat "$E2E_TMP/gen.err" >&2
  die "vigil slo generate failed"
fi
(cd "$DATA" && "$VIGIL_BIN" slo generate inference.slo.yml >"$E2E_TMP/stdout.yml" 2>"$E2E_TMP/gen.err") ||
  fail "vigil slo generate (to stdout) failed: $(cat "$E2E_TMP/gen.err")"
if cmp -s "$E2E_TMP/stdout.yml" "$WORK/inference.rules.yml"; then
  pass "stdout and -o give the same text"
else
  fail "stdout and -o differ"
fi
if diff -u "$DATA/inference.rules.yml" "$WORK/inference.rules.yml" >"$E2E_TMP/golden.diff"; then
  pass "output equals tests/testdata/slo/inference.rules.yml"
else
  fail "output differs from the checked-in inference.rules.yml (- checked in, + generated):"
  head -n 60 "$E2E_TMP/golden.diff" >&2
fi

# check rules: both accept, same count.
promtool check rules "$WORK/inference.rules.yml" >"$E2E_TMP/pc.out" 2>"$E2E_TMP/pc.err"
prc=$?
"$VIGIL_BIN" check rules "$WORK/inference.rules.yml" >"$E2E_TMP/vc.out" 2>"$E2E_TMP/vc.err"
vrc=$?
pcount="$(grep -o 'SUCCESS: [0-9]* rules found' "$E2E_TMP/pc.out")"
vcount="$(grep -o 'SUCCESS: [0-9]* rules found' "$E2E_TMP/vc.out")"
if [ "$prc" = 0 ] && [ "$vrc" = 0 ] && [ -n "$pcount" ] && [ "$pcount" = "$vcount" ]; then
  pass "check rules: promtool and vigil: $pcount"
else
  fail "check rules: promtool exit $prc \"$pcount\", vigil exit $vrc \"$vcount\""
  cat "$E2E_TMP/pc.err" "$E2E_TMP/vc.err" >&2
fi

# run_both DIR FILE: `test rules` with both tools in DIR; leaves
# $E2E_TMP/{vigil,promtool}.{out,err,rc}.
run_both() {
  local dir="$1" file="$2" tool
  for tool in vigil promtool; do
    local cmd=("$VIGIL_BIN" test rules)
    [ "$tool" = promtool ] && cmd=(promtool test rules)
    (cd "$dir" && timeout 100 "${cmd[@]}" "$file" >"$E2E_TMP/$tool.out" 2>"$E2E_TMP/$tool.err")
    echo $? >"$E2E_TMP/$tool.rc"
  done
}

cp "$DATA"/*.test.yml "$WORK/"
ntests=0
for f in "$WORK"/*.test.yml; do
  name="$(basename "$f")"
  ntests=$((ntests + 1))
  run_both "$WORK" "$name"
  vrc="$(cat "$E2E_TMP/vigil.rc")" prc="$(cat "$E2E_TMP/promtool.rc")"
  if [ "$prc" != 0 ] || [ "$vrc" != 0 ]; then
    fail "$name: promtool exits $prc, vigil $vrc (want 0 and 0)"
    cat "$E2E_TMP/promtool.err" "$E2E_TMP/vigil.err" >&2
  elif ! diff -u "$E2E_TMP/promtool.out" "$E2E_TMP/vigil.out" >&2; then
    fail "$name: both pass but the reports differ (- promtool, + vigil)"
  else
    pass "$name: passes under promtool and vigil"
  fi
done
[ "$ntests" -ge 2 ] || fail "expected at least 2 unit-test files in $DATA, found $ntests"

# Not vacuous: the tests notice a wrong factor and a wrong window.
mutate() {
  local what="$1" sed_expr="$2" dir="$E2E_TMP/mutant"
  rm -rf "$dir" && mkdir -p "$dir"
  cp "$WORK"/*.test.yml "$dir/"
  sed -E "$sed_expr" "$WORK/inference.rules.yml" >"$dir/inference.rules.yml"
  if cmp -s "$dir/inference.rules.yml" "$WORK/inference.rules.yml"; then
    fail "mutant ($what): the substitution changed nothing"
    return
  fi
  run_both "$dir" availability.test.yml
  vrc="$(cat "$E2E_TMP/vigil.rc")" prc="$(cat "$E2E_TMP/promtool.rc")"
  if [ "$prc" = 1 ] && [ "$vrc" = 1 ]; then
    pass "mutant ($what): availability.test.yml fails under both tools"
  else
    fail "mutant ($what): promtool exits $prc, vigil $vrc (want 1 and 1)"
  fi
}
mutate "page factor 14.4 -> 15" 's/\(14\.4 \* /(15 * /g'
mutate "1h window -> 2h" 's/\[1h\]/[2h]/g'

# A broken SLO file: refused with its position, nothing written.
cat >"$WORK/broken.slo.yml" <<'YAML'
service: inference-api
slos:
  - name: availability
    objective: 100
    sli:
      error_ratio:
        errors: sum(rate(errors_total[{{.window}}]))
        total: sum(rate(requests_total[{{.window}}]))
YAML
(cd "$WORK" && "$VIGIL_BIN" slo generate broken.slo.yml -o broken.rules.yml \
   >"$E2E_TMP/bad.out" 2>"$E2E_TMP/bad.err")
brc=$?
if [ "$brc" = 1 ] && grep -q 'broken.slo.yml:4:16: objective: must be a percentage in (0, 100)' "$E2E_TMP/bad.err" &&
   [ ! -e "$WORK/broken.rules.yml" ]; then
  pass "broken SLO file: exit 1, $(cat "$E2E_TMP/bad.err")"
else
  fail "broken SLO file: exit $brc, stderr: $(cat "$E2E_TMP/bad.err")"
fi
finish
