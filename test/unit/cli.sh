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
# A plain `lspci -xxxx` dump (no "# resource" lines): the view says what it cannot know and shows no
# BAR as 0; the same function's `lspci -vv` text (--sizes) gives the sizes.
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
grep -v '^#' "$data/e1000e.lspci" > "$tmp/plain"
out=$("$tool" view "$tmp/plain") || fail "view of a plain dump"
echo "$out" | grep -q '^NOTE: this dump has no BAR or ROM sizes' || fail "plain dump: no note: $out"
echo "$out" | grep -q 'pcisplit capture 0000:01:00.0 > FILE' || fail "plain dump: no capture command: $out"
echo "$out" | grep -q '^010: .* | 00?00?04?fe?00?00?06?fe?01?c0?' || fail "plain dump: BARs not flagged: $out"
echo "$out" | grep -q 'PCI_BASE_ADDRESS_0 .*\[size unknown\]' || fail "plain dump: BAR0's row: $out"
"$tool" guest-dump "$tmp/plain" > "$tmp/guest" || fail "guest-dump of a plain dump"
head -1 "$tmp/guest" | grep -q '^# NOTE: this dump has no BAR or ROM sizes' || fail "guest-dump: no note"
lspci -F "$tmp/guest" -vv 2>/dev/null | grep -q 'Region 0: Memory at fe040000' || fail "guest-dump: BAR0 not the hardware's"
printf '01:00.0 Ethernet controller: Intel Corporation 82574L\n\tInterrupt: pin A routed to IRQ 22\n%s\n%s\n%s\n%s\n%s\n' \
  '	Region 0: Memory at fe040000 (32-bit, non-prefetchable) [size=128K]' \
  '	Region 1: Memory at fe060000 (32-bit, non-prefetchable) [size=128K]' '	Region 2: I/O ports at c000 [size=32]' \
  '	Region 3: Memory at fe080000 (32-bit, non-prefetchable) [size=16K]' '	Expansion ROM at fe000000 [disabled] [size=256K]' \
  > "$tmp/vv"
out=$("$tool" view "$tmp/plain" --sizes "$tmp/vv") || fail "view --sizes"
echo "$out" | grep -q "BAR/ROM sizes: from $tmp/vv; dom0's IRQ: 22 from $tmp/vv" || fail "--sizes not taken: $out"
if echo "$out" | grep -q NOTE; then fail "--sizes: a note is left: $out"; fi
# The same guest view as the recorded dump's (its resource lines), but for the IRQ (row 30) it lacks.
[ "$("$tool" guest-dump "$tmp/plain" --sizes "$tmp/vv" | grep -v '^30:')" = \
  "$("$tool" guest-dump "$data/e1000e.lspci" | grep -v '^#\|^30:')" ] || fail "--sizes: another guest view"
sed 's/^01:00.0/02:00.0/' "$tmp/vv" > "$tmp/vv2"
msg=$("$tool" view "$tmp/plain" --sizes "$tmp/vv2" 2>&1) && fail "--sizes of another function accepted"
echo "$msg" | grep -q "no lspci -vv lines for 0000:01:00.0 (it has: 0000:02:00.0)" || fail "--sizes mismatch: $msg"
msg=$("$tool" view --sizes "$tmp/vv" "$tmp/plain" 2>&1) && fail "--sizes before a dump accepted"
echo "$msg" | grep -q "must follow the dump file" || fail "--sizes first: $msg"
# One version everywhere: the file VERSION (the modules' modinfo and the packages read it too).
[ "$("$tool" --version)" = "pcisplit $(cat "$data/../../VERSION")" ] || fail "--version: $("$tool" --version)"
echo "cli: all checks passed"
