#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# make bench: instructions per config access through the engine (callgrind, collection limited to the
# benchmark loops) and heap allocations per access. Prints figures; asserts nothing.
set -euo pipefail
bin=$1
data=$(cd "$(dirname "$0")/../data" && pwd)
n=20000
command -v valgrind >/dev/null || { echo "valgrind missing (make deps installs it)" >&2; exit 1; }

measure() {  # dump op offset width value -> "instructions/op allocs/op"
  local out fn
  fn=bench_reads
  [ "$2" = write ] && fn=bench_writes
  out=$(valgrind --tool=callgrind --callgrind-out-file=/dev/null --collect-atstart=no \
        --toggle-collect="$fn*" "$bin" "$data/$1" "$2" "$3" "$4" "$5" "$n" 2>&1)
  local ir allocs
  ir=$(echo "$out" | awk '/Collected :/ {print $4}')
  allocs=$(echo "$out" | awk -F'allocs=' '/allocs=/ {split($2, a, " "); print a[1]}')
  awk -v ir="$ir" -v n="$n" -v a="$allocs" 'BEGIN { printf "%8.1f %8.2f", ir / n, a / n }'
}

printf '%-24s %-40s %8s %8s\n' device access instr/op allocs/op
row() { printf '%-24s %-40s %s\n' "$1" "$2" "$(measure "$1" "$3" "$4" "$5" "${6:-0}")"; }
for dev in e1000e.lspci nvme.lspci virtio-net-modern.lspci; do
  row $dev "read  dword BAR0 (emulated)"            read 0x10 4
  row $dev "read  dword command+status (mixed)"     read 0x04 4
  row $dev "read  word  vendor id (hardware, ro)"   read 0x00 2
  row $dev "read  dword extended space (unclaimed)" read 0x100 4
  row $dev "write dword BAR0 sizing"                write 0x10 4 0xffffffff
  row $dev "write byte  cache line (plain rw)"      write 0x0c 1 0x10
  row $dev "write dword unclaimed (denied)"         write 0x100 4 0
done
echo "target: <= 150 instructions for a dword read of an emulated register, 0 allocations per op"
echo
rt=$(dirname "$bin")/bench_roundtrip
echo "frontend core <-> backend core over the simulated page (conf_read of e1000e, 2 threads):"
"$rt" threads 200000 "$data" | sed 's/^/  /'
ir=$(valgrind --tool=callgrind --callgrind-out-file=/dev/null --collect-atstart=no \
      --toggle-collect='pcisplit::Dispatcher::process*' "$rt" sync 20000 "$data" 2>&1 | awk '/Collected :/ {print $4}')
awk -v ir="$ir" 'BEGIN { printf "  backend instructions per op through the whole dispatcher (copy-in, route, engine, reply): %.1f\n", ir / 20000 }' 
