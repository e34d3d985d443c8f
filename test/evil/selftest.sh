#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
# pcisplit-evil without Xen: its own logic (arguments, the op's layout on the page, the bounds rule),
# its refusal of bad command lines, its refusal outside a Xen guest, and the dom0 probe.
set -eu
evil=$1
fail() { echo "FAIL: $*"; exit 1; }
"$evil" selftest | grep -q '^selftest: ok' || fail "selftest: $("$evil" selftest)"
for bad in "" "nonsense" "storm lots" "storm 0" "ops extra" "--op-timeout-ms 0 ops" "probe" "double-fetch 1 2"; do
  # shellcheck disable=SC2086
  if "$evil" $bad >/dev/null 2>&1; then fail "accepted: pcisplit-evil $bad"; fi
  # shellcheck disable=SC2086
  rc=0; "$evil" $bad >/dev/null 2>&1 || rc=$?
  [ "$rc" -eq 2 ] || fail "pcisplit-evil $bad: exit $rc, expected 2 (usage)"
done
if [ ! -e /proc/xen/capabilities ]; then
  rc=0; msg=$("$evil" ops 2>&1) || rc=$?
  [ "$rc" -eq 1 ] || fail "ops outside Xen: exit $rc"
  echo "$msg" | grep -q 'not inside a Xen guest' || fail "ops outside Xen: $msg"
fi
"$evil" probe 1 | grep -Eq '^probe: samples=[0-9]+ period_ms=10 worst_delay_ms=[0-9.]+ ' || fail "probe output"
echo "evil: all checks passed"
