#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
# The pcisplit guest commands over the simulated transport, and the real transport's refusal outside
# a Xen guest.
set -eu
tool=$1
data=$2
fail() { echo "FAIL: $*"; exit 1; }
out=$("$tool" --sim --data "$data" list)
[ "$(echo "$out" | wc -l)" -eq 3 ] || fail "list: expected 3 functions, got: $out"
echo "$out" | grep -q '^0000:00:00.0 8086:10d3 class 020000$' || fail "list: e1000e missing: $out"
[ "$("$tool" --sim --data "$data" read 00:00.0 0x10 4)" = 0xfe040000 ] || fail "read BAR0"
"$tool" --sim --data "$data" write 00:00.0 0x10 4 0xffffffff || fail "write"
"$tool" --sim --data "$data" msix enable 00:01.0 0,1 | grep -q 'entry 1 -> PIRQ 41' || fail "msix enable"
if "$tool" --sim --data "$data" read 00:07.0 0 4 2>/dev/null; then fail "read of an absent device succeeded"; fi
if "$tool" --sim --data "$data" msix enable 00:01.0 0,0 2>/dev/null; then fail "duplicate MSI-X entries accepted"; fi
"$tool" --sim --data "$data" dump 00:02.0 | lspci -F /dev/stdin >/dev/null 2>&1 || fail "dump not readable by lspci"
if [ ! -e /proc/xen/capabilities ]; then
  msg=$("$tool" --xen list 2>&1) && fail "--xen succeeded outside a Xen guest"
  echo "$msg" | grep -q 'not inside a Xen guest' || fail "--xen message: $msg"
fi
# One version everywhere: the file VERSION (the modules' modinfo and the packages read it too).
[ "$("$tool" --version)" = "pcisplit $(cat "$data/../../VERSION")" ] || fail "--version: $("$tool" --version)"
echo "cli: all checks passed"
