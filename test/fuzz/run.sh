#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
# Runs each libFuzzer target on a fresh copy of its seed corpus (test/fuzz/corpus/TARGET, plus the
# recorded reproducers test/fuzz/findings/TARGET-*, so a bug found once is checked on every run) and prints
#   fuzz: TARGET execs=N findings=N time=Ns processes=P
# per target, then "fuzz: P passed, F failed" (a target passes with no finding and a clean exit).
# Findings: the first input breaking each invariant (FUZZ_FINDINGS_DIR, see fuzz_support.hpp) and
# libFuzzer's crash-/leak-/timeout-/oom- artifacts, all in BUILD_FUZZ/run/TARGET/findings.
#
# usage: run.sh BUILD_FUZZ "TARGET..." LIBFUZZER_OPTION...   (e.g. -runs=10000000, -max_total_time=20)
# FUZZ_PARALLEL=P runs P processes per target on one shared corpus (libFuzzer reloads what the others
# found); -runs=N is then split between them and execs is their sum. Default 1.
set -u
dir=$1
targets=$2
shift 2
par=${FUZZ_PARALLEL:-1}
case $par in ''|*[!0-9]*|0) echo "run.sh: FUZZ_PARALLEL must be a positive number, not '$par'" >&2; exit 2;; esac
opts=""
for a in "$@"; do
  case $a in
    -runs=*) n=${a#-runs=}; opts="$opts -runs=$(( (n + par - 1) / par ))";;
    *) opts="$opts $a";;
  esac
done
here=$(cd "$(dirname "$0")" && pwd)
passed=0
failed=0
for t in $targets; do
  out=$dir/run/$t
  rm -rf "$out"
  mkdir -p "$out/corpus" "$out/findings"
  cp "$here/corpus/$t/"* "$out/corpus/"
  for f in "$here/findings/$t-"*; do [ -f "$f" ] && cp "$f" "$out/corpus/finding-${f##*/}"; done
  start=$(date +%s)
  pids=""
  for w in $(seq 1 "$par"); do
    log=$out/log
    [ "$par" -eq 1 ] || log=$out/log.$w
    # shellcheck disable=SC2086  # $opts is a list of options
    FUZZ_FINDINGS_DIR=$out/findings "$dir/$t" $opts -timeout=10 -print_final_stats=1 \
      -artifact_prefix="$out/findings/" "$out/corpus" > "$log" 2>&1 &
    pids="$pids $!"
  done
  rc=0
  for p in $pids; do wait "$p" || rc=$?; done
  [ "$par" -eq 1 ] || cat "$out"/log.* > "$out/log"
  secs=$(( $(date +%s) - start ))
  execs=0
  for log in "$out"/log*; do
    [ "$par" -eq 1 ] || [ "$log" != "$out/log" ] || continue  # the concatenation, counted per process
    n=$(sed -n 's/^stat::number_of_executed_units: *\([0-9]*\)$/\1/p' "$log" | tail -1)
    [ -n "$n" ] || n=$(sed -n 's/^#\([0-9]*\).*/\1/p' "$log" | tail -1)
    execs=$(( execs + ${n:-0} ))
  done
  findings=$(find "$out/findings" -type f | wc -l)
  echo "fuzz: $t execs=$execs findings=$findings time=${secs}s processes=$par"
  if [ "$findings" -ne 0 ] || [ $rc -ne 0 ]; then
    grep -h '==FUZZ==\|^SUMMARY\|ERROR: libFuzzer\|runtime error' "$out/log" | head -20 | sed 's/^/  /'
    [ "$findings" -ne 0 ] || echo "  exit status $rc, see $out/log"
    ls "$out/findings" | sed "s|^|  finding: $out/findings/|"
    failed=$((failed + 1))
  else
    passed=$((passed + 1))
  fi
done
echo "fuzz: $passed passed, $failed failed"
[ $failed -eq 0 ]
