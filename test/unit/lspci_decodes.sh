#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
# Every recorded dump's guest view must be accepted and decoded by the real lspci (pciutils).
set -eu
tool=$1
data=$2
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
n=0
for f in "$data"/*.lspci; do
  "$tool" guest-dump "$f" > "$tmp/guest"
  lspci -F "$tmp/guest" -vv > "$tmp/out" 2> "$tmp/err" || { echo "lspci rejected the guest view of $f"; cat "$tmp/err"; exit 1; }
  # The device line must decode (vendor known or not, lspci prints the slot) and the status line exists.
  grep -q '^[0-9a-f][0-9a-f]:[0-9a-f][0-9a-f]\.[0-7] ' "$tmp/out" || { echo "no device line for $f"; exit 1; }
  grep -q 'Status:' "$tmp/out" || { echo "no Status line for $f"; cat "$tmp/out"; exit 1; }
  n=$((n + 1))
done
[ "$n" -ge 8 ] || { echo "expected at least 8 dumps in $data, found $n"; exit 1; }
echo "lspci decoded $n guest views"
