#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# make bench: instructions per config access through the engine and through the whole dispatcher
# (callgrind, collection toggled on the measured function only), heap allocations per access (a
# counting operator new in the drivers), op round trips per second between the two cores, and the
# simulator at scale: 64 guests x 8 functions, the backend's bytes per exported function and the
# aggregate round trips with one frontend thread per guest.
# Prints figures, with the goals (issue 15) next to the rows they are about; asserts nothing.
# docs/performance.md says what each figure covers and keeps the before/after record.
set -euo pipefail
bin=$1
dir=$(dirname "$bin")
data=$(cd "$(dirname "$0")/../data" && pwd)
n=20000
command -v valgrind >/dev/null || { echo "valgrind missing (make deps installs it)" >&2; exit 1; }

# callgrind's output for a run that collects inside function $1 only: "Collected : N" and the driver's line.
collect() {
  local fn=$1
  shift
  valgrind --tool=callgrind --callgrind-out-file=/dev/null --collect-atstart=no --toggle-collect="$fn" "$@" 2>&1
}
per_op() { awk -v n="$n" '/Collected :/ {printf "%8.1f", $4 / n}'; }
allocs_per_op() { awk -v n="$n" -F'allocs=' '/allocs=/ {split($2, a, " "); printf "%8.2f", a[1] / n}'; }

# The engine alone: DeviceView::read / write on a recorded device (test/bench/engine.cpp).
engine() {  # dump op offset width value -> "instructions/op allocs/op"
  local fn=bench_reads out
  [ "$2" = write ] && fn=bench_writes
  out=$(collect "$fn*" "$dir/bench_engine" "$data/$1" "$2" "$3" "$4" "$5" "$n")
  echo "$(echo "$out" | per_op) $(echo "$out" | allocs_per_op)"
}

echo "engine: DeviceView::read and ::write (test/bench/engine.cpp)"
printf '%-24s %-40s %8s %8s\n' device access instr/op allocs/op
row() { printf '%-24s %-40s %s%s\n' "$1" "$2" "$(engine "$1" "$3" "$4" "$5" "${6:-0}")" "${7:+   goal: $7}"; }
for dev in e1000e.lspci nvme.lspci virtio-net-modern.lspci; do
  row $dev "read  dword BAR0 (emulated)"            read 0x10 4 0 "<= 90, 0"
  row $dev "read  dword command+status (mixed)"     read 0x04 4
  row $dev "read  word  vendor id (hardware, ro)"   read 0x00 2
  row $dev "read  dword extended space (unclaimed)" read 0x100 4
  row $dev "write dword BAR0 sizing"                write 0x10 4 0xffffffff
  row $dev "write byte  cache line (plain rw)"      write 0x0c 1 0x10
  row $dev "write dword unclaimed (denied)"         write 0x100 4 0
done
echo

# The whole dispatcher: the op copied from the page, validated, looked up in the topology, the engine,
# the answer written back (test/bench/dispatch.cpp). The engine column is the part of the same op
# spent in DeviceView::read; the device is exported FUNCTIONS times and addressed at the last one.
echo "dispatcher: conf_read through Dispatcher::process, of which the engine (test/bench/dispatch.cpp)"
printf '%-24s %-40s %10s %8s %9s\n' device access dispatch engine allocs/op
drow() {  # dump label offset width functions [goal]
  local out all eng
  out=$(collect 'pcisplit::Dispatcher::process(*' "$dir/bench_dispatch" "$data/$1" "$3" "$4" "$5" "$n")
  all=$(echo "$out" | per_op)
  eng=$(collect 'pcisplit::DeviceView::read(*' "$dir/bench_dispatch" "$data/$1" "$3" "$4" "$5" "$n" | per_op)
  printf '%-24s %-40s %10s %8s %9s%s\n' "$1" "$2" "$all" "$eng" "$(echo "$out" | allocs_per_op)" "${6:+   goal: $6}"
}
for dev in e1000e.lspci nvme.lspci virtio-net-modern.lspci; do
  drow $dev "dword BAR0 (emulated), 1 function"       0x10 4 1 "<= 150, <= 90, 0"
  drow $dev "dword BAR0 (emulated), 32nd of 32"      0x10 4 32 "<= 150, <= 90, 0"
  drow $dev "word  vendor id (hardware, ro)"         0x00 2 1
  drow $dev "dword command+status (mixed)"           0x04 4 1
  drow $dev "dword, the header's 64 in turn"         sweep 4 1
done
echo "goals: <= 150 instructions per conf_read of an emulated dword through the dispatcher, <= 90 of them"
echo "in the engine, 0 allocations per op (hardware reads here are MemoryConfig's, an array)"
echo

echo "frontend core <-> backend core over the simulated page (conf_read of e1000e, 2 threads):"
"$dir/bench_roundtrip" threads 200000 "$data" | sed 's/^/  /'
echo

# 64 guests x 8 functions in one process (test/bench/scale.cpp): about 5 s (3 s of threaded reads).
"$dir/bench_scale" "$data" 3
