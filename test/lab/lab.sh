#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# The lab: real Xen + Debian's kernel as PV dom0 and PV guest, nested in QEMU (TCG), scenario by
# scenario, for every backend/frontend pair the tree can build. Usage: lab.sh BUILD_DIR [BOOT...]
# LAB_PLATFORM: bookworm (the default: Debian 12, Xen 4.17, Linux 6.1; BUILD/lab, our modules from
# BUILD/modules) or trixie (Debian 13, Xen 4.20, Linux 6.12, all from test/platform/root.sh's root;
# BUILD/lab-trixie, our modules from BUILD/modules-trixie).
# Prints a summary table and "N passed, N failed"; exits non-zero on any failure.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
build=$(mkdir -p "$1" && cd "$1" && pwd)
shift
boots=("$@")
# "bench" (make lab-bench) and "cycles" (make lab-cycles) only on request: cycles runs TCG
# single-threaded for 5-10 minutes and, on a loaded host, slows until the guest's 2 s op bound trips.
# "evil" runs by default for pair ours only (the in-tree backend's answers are LIMIT rows there,
# known and recorded in docs/lab.md); BOOTS=evil runs it for every pair.
# "multi" (libxl's real sequences with five functions, boot-multi.sh) only on request too:
# `make lab BOOTS=multi` (every pair). In CI's run of 22bd194 it failed once for
# ours-be (the guest stopped answering for half a minute after its create, a boot that had passed on
# this machine), and with one idle boot run twice that make check took 55.7 of its 60 minutes
# (docs/lab.md, "Budget").
# Without named boots the lab runs make check's cells, chosen to keep make check within its hour on 2
# cores (docs/lab.md, "Budget"): on bookworm, Linux's pair and ours-be (our backend, Linux's
# frontend) in boot main, ours on both sides in main, hide, aer and evil (since 2026-12-01 make check
# also builds the packages and tests them in Debian roots: ours-be's hide, aer and evil moved to
# lab-all to pay for it), and ours in hvmcheck (an HVM guest: the hvm boot without its hot-plug and
# second guest; about 6 minutes); on trixie, in-tree, ours-be and ours in main. Named boots run for every pair; `make lab-all` runs the whole matrix on both platforms.
default_boots=""
[ ${#boots[@]} -gt 0 ] || { boots=(main hide aer evil hvmcheck); default_boots=1; }
# in_check PAIR BOOT: whether make check's cells include it (only consulted without named boots).
in_check() {
  case ${LAB_PLATFORM:-bookworm}/$1/$2 in
    bookworm/*/hvmcheck) [ "$1" = ours ] ;;
    bookworm/in-tree/main | bookworm/ours-be/main | bookworm/ours/*) return 0 ;;
    trixie/in-tree/main | trixie/ours-be/main | trixie/ours/main) return 0 ;;
    *) return 1 ;;
  esac
}
# The boots, one row each: wall-clock limit in s (a hung dom0 or guest must not hang CI; about three
# times a normal run) | QEMU's CPUs | TCG threading | extra Xen options | extra dom0 options | the
# devices QEMU emulates. "-" is none. Why some rows differ:
# - cycles and multi run TCG single-threaded: with one host thread per vCPU, QEMU 7.2 crashed in
#   memory_region_dispatch_read on a NULL region (an MMIO read racing the BAR remapping of an unplug/
#   plug cycle) after 40-90 cycles, for every pair; multi's first unplug (an e1000e with its driver
#   bound, next to four other devices) ended in the same segfault once (docs/lab.md). The lab runs
#   QEMU 10 since 2026-12-02 (fetch-qemu.sh), where each passed multi-threaded once; these two rows
#   keep the threading they were measured with until more runs agree.
# - multi pins dom0 to pCPU 0 and its guest to pCPU 1 (lab_pin=1, dom0-lib.sh's guest_cfg): Linux's
#   pcifront spins in hypercalls while it waits for an answer; unpinned, on single-threaded TCG, dom0
#   went without CPU for 20 s to 3 minutes at a time in one run of two, pinned never (docs/lab.md).
# - hide boots dom0 with the in-tree hide= syntax on the command line.
# - bench pins as multi, so that every loop it measures has the same placement: unpinned, Xen may
#   run dom0's backend and the guest on one pCPU or on two, and a round trip costs differently in
#   each. Its limit covers LAB_BENCH_RUNS (7) loops of LAB_BENCH_READS (20) reads; with
#   LAB_BENCH_ICOUNT it runs single-threaded with QEMU's -icount (run_boot).
# - resets (on request: BOOTS=resets, every pair) has a function of each reset kind (boot-resets.sh):
#   none on the root bus, the kernel's, and a two-function slot without one below a root port.
# - enum (on request: BOOTS=enum, a measurement like bench, so not in lab-all) creates one guest with
#   eight functions lab_enum_runs times (5) and times each create to every driver bound
#   (boot-enum.sh); pinned as bench, for the same reason.
# - pvh (platform trixie, on request: BOOTS=pvh) boots dom0 as a PVH domain (Xen 4.20's dom0=pvh).
# - evil (default for our backend's pairs, BOOTS=evil for all: a guest whose frontend is pcisplit-evil,
#   next to a witness guest with the second e1000e, boot-evil.sh) has five CPUs and every domain on
#   CPUs of its own (dom0 on 0, the witness on 2, the evil guest on 3-4): with three busy PV domains
#   sharing QEMU's two CPUs, busybox crashed in every domain at two TLS loads, whatever the backend,
#   even with no PCI device and no pcisplit-evil in the busy guest (the control run, docs/lab.md);
#   pinned so, the same control had no crash in 300 s.
# - hvm (on request: BOOTS=hvm, every pair, both platforms) starts HVM guests: QEMU in dom0 is their
#   device model and passes the functions through (no PCI frontend), so dom0 carries QEMU, hvmloader
#   and SeaBIOS in this boot's runs only (fetch.sh LAB hvm or root.sh's lab-hvm, build-images.sh's
#   LAB_HVM). Pinned as
#   multi: dom0 (running QEMU) on pCPU 0, the guest on pCPU 1. Slow: every I/O of the guest to QEMU
#   crosses pCPUs, and the guest's kernel took 4 to 9 minutes to boot (Xen spinning on locks and in
#   cross-CPU calls under TCG). With one CPU (LAB_QEMU_SMP=1) it took 1.5, but the domains then share
#   it, and user-space programs crashed in the guest and in dom0 as in the evil boot's control runs.
boot_table='
main   |  420 | 2 | multi  | -              | -                                          | -device e1000e,addr=04.0 -device nvme,serial=lab0,addr=05.0
hide   |  360 | 2 | multi  | -              | xen-pciback.hide=(0000:00:04.0)(0000:00:06.0) | -device e1000e,addr=04.0 -device pcie-root-port,id=rp6,chassis=6,slot=6,addr=06.0 -device nvme,serial=lab1,bus=rp6
aer    |  300 | 2 | multi  | -              | -                                          | -device pcie-root-port,id=rp1,chassis=1,slot=1,addr=04.0 -device e1000e,id=nic0,bus=rp1
bench  | 1200 | 2 | multi  | dom0_vcpus_pin | lab_pin=1                                  | -device e1000e,addr=04.0
cycles |  900 | 2 | single | -              | -                                          | -device e1000e,addr=04.0
multi  | 1200 | 2 | single | dom0_vcpus_pin | lab_pin=1                                  | -device e1000e,addr=04.0 -device nvme,serial=lab2,addr=05.0 -device e1000,addr=06.0 -device e1000-82544gc,addr=07.0,multifunction=on -device e1000-82545em,addr=07.1
evil   |  720 | 5 | multi  | dom0_vcpus_pin | lab_pin=1                                  | -device e1000e,addr=04.0 -device e1000e,addr=05.0
pvh    |  420 | 2 | multi  | dom0=pvh       | -                                          | -device e1000e,addr=04.0
resets |  480 | 2 | multi  | -              | -                                          | -device e1000e,addr=04.0 -device nvme,serial=lab4,addr=05.0 -device pci-testdev,addr=06.0 -device pcie-root-port,id=rp7,chassis=7,slot=7,addr=07.0 -device pci-testdev,bus=rp7,addr=00.0,multifunction=on -device pci-testdev,bus=rp7,addr=00.1 -device pcie-root-port,id=rp8,chassis=8,slot=8,addr=08.0 -device e1000e,bus=rp8
hvm    | 3300 | 2 | multi  | dom0_vcpus_pin | lab_pin=1                                  | -device e1000e,addr=04.0 -device nvme,serial=lab3,addr=05.0
hvmcheck | 1200 | 2 | multi | dom0_vcpus_pin | lab_pin=1                                 | -device e1000e,addr=04.0 -device nvme,serial=lab3,addr=05.0
enum   | 2400 | 2 | multi  | dom0_vcpus_pin | lab_pin=1                                  | -device e1000e,addr=04.0 -device nvme,serial=lab5,addr=05.0 -device e1000,addr=06.0 -device e1000-82544gc,addr=07.0,multifunction=on -device e1000-82545em,addr=07.1 -device e1000,addr=08.0,multifunction=on -device e1000,addr=08.1 -device e1000,addr=08.2
'
declare -A boot_timeout=() qemu_smp=() tcg_thread=() xen_args=() dom0_args=() qemu_devices=()
# CPU features QEMU hides for one boot. pvh: a PVH dom0 runs in an HVM container, and Xen cannot
# emulate RDTSCP under TCG's SVM ("SVM Insn len emulation failed ... 0f 01 f9"): dom0 crashed at its
# first RDTSCP (the same instruction that made HVM guests reboot, docs/lab.md).
declare -A qemu_cpu_extra=([pvh]=",-rdtscp")
field() {  # one cell, trimmed; "-" is empty
  local v=$1
  v=${v#"${v%%[![:space:]]*}"}
  v=${v%"${v##*[![:space:]]}"}
  [ "$v" = - ] && v=""
  printf '%s' "$v"
}
while IFS='|' read -r name limit smp thread xen dom0 devices; do
  name=$(field "$name")
  [ -n "$name" ] || continue
  boot_timeout[$name]=$(field "$limit")
  qemu_smp[$name]=$(field "$smp")
  tcg_thread[$name]=$(field "$thread")
  xen_args[$name]=$(field "$xen")
  dom0_args[$name]=$(field "$dom0")
  qemu_devices[$name]=$(field "$devices")
done <<< "$boot_table"
for b in "${boots[@]}"; do
  [ -n "${boot_timeout[$b]:-}" ] || { echo "lab: no boot named '$b' (the table in $0 lists them)" >&2; echo "0 passed, 1 failed"; exit 1; }
done

platform=${LAB_PLATFORM:-bookworm}
case $platform in
  bookworm) lab=$build/lab; mods=$build/modules ;;
  trixie) lab=$build/lab-trixie; mods=$build/modules-trixie ;;
  *) echo "lab: unknown platform '$platform' (bookworm, trixie)" >&2; echo "0 passed, 1 failed"; exit 1 ;;
esac
export LAB_PLATFORM=$platform
mkdir -p "$lab/logs"

command -v qemu-system-x86_64 >/dev/null || {
  echo "LAB CANNOT RUN: qemu-system-x86_64 is not installed (make deps installs qemu-system-x86)" >&2
  echo "0 passed, 1 failed"
  exit 1
}
# The QEMU the machines run in: Debian 12's backports (QEMU 10, fetched by fetch-qemu.sh into
# BUILD/lab-qemu, for both platforms), since the host's QEMU 7.2 crashes under multi-threaded TCG
# (docs/lab.md, "Harness facts"). Its CPUs are without x2APIC (-x2apic below), as QEMU 7.2's TCG ones
# were: QEMU 10's TCG has it, Xen 4.17 then switches to x2apic_mixed, and the nvme guest's MSI-X
# interrupts arrived at a CPU without their vector ("No irq handler for vector 81"), every run.
# The boots with a domain in an SVM container (hvm and hvmcheck: the HVM guest; pvh: dom0) keep the
# host's QEMU 7.2: under QEMU 10's TCG the HVM guest stopped after SeaBIOS's "Booting from ROM" and
# never reached its kernel. LAB_QEMU=host runs the host's qemu-system-x86_64 for every boot,
# LAB_QEMU=PATH that binary.
# svm_boot BOOT: whether the boot has a domain in an SVM container (it keeps the host's QEMU).
svm_boot() { case $1 in hvm | hvmcheck | pvh) return 0 ;; *) return 1 ;; esac; }
qemu_new=""
if [ -z "${LAB_QEMU:-}" ]; then
  for b in "${boots[@]}"; do
    svm_boot "$b" && continue
    qemu_new=$("$here/fetch-qemu.sh" "$build/lab-qemu") || { echo "0 passed, 1 failed"; exit 1; }
    break
  done
fi
# boot_qemu BOOT: the QEMU binary the boot runs in.
boot_qemu() {
  if [ "${LAB_QEMU:-}" = host ] || { [ -z "${LAB_QEMU:-}" ] && svm_boot "$1"; }; then
    echo qemu-system-x86_64
  else
    echo "${LAB_QEMU:-$qemu_new}"
  fi
}
# Each boot's QEMU version, printed once here and part of its cells' stamps (cell_stamp).
declare -A qemu_version=()
for b in "${boots[@]}"; do
  qemu_version[$b]=$("$(boot_qemu "$b")" -version | head -1)
  echo "lab: QEMU for boot $b: ${qemu_version[$b]}"
done
# HVM guests need QEMU and their firmware in dom0 (hvm_boot: a boot that starts them runs for PAIR).
hvm_boot() { case $2 in hvm) return 0 ;; hvmcheck) [ -z "$default_boots" ] || in_check "$1" hvmcheck ;; *) return 1 ;; esac; }
hvm=""
for b in "${boots[@]}"; do
  for p in in-tree ours-be ours-fe ours; do hvm_boot "$p" "$b" && hvm=hvm; done
done
if [ "$platform" = bookworm ]; then
  "$here/fetch.sh" "$lab" $hvm
else  # the platform's root with the lab's packages installed; the kernel its headers are for
  proot=$("$here/../platform/root.sh" "$build" "$platform" "lab${hvm:+-hvm}" | tail -1)
  ln -sfn "$proot" "$lab/root"
  "$here/../platform/root.sh" "$build" "$platform" release > "$proot/.kver"
fi
echo "lab: platform $platform: $(basename "$(ls "$lab"/root/boot/xen-4.*-amd64.gz | tail -1)" .gz), Linux $(cat "$lab/root/.kver")"
# dom0 carries the pcisplit tool (the main boot's status and capture scenarios): built here,
# copied by build-images.sh (LAB_PCISPLIT_BIN).
{ cmake -S "$here/../.." -B "$build/release" -G "Unix Makefiles" -DCMAKE_BUILD_TYPE=Release -DCMAKE_CXX_COMPILER=g++-12 &&
  cmake --build "$build/release" --target pcisplit -j 2; } > "$lab/logs/pcisplit-build.log" 2>&1 ||
  { cat "$lab/logs/pcisplit-build.log" >&2; echo "lab: cannot build pcisplit" >&2; exit 1; }
export LAB_PCISPLIT_BIN=$build/release/pcisplit
# The evil boot's guest runs test/evil's pcisplit-evil: built here, put in an image of its own by
# build-images.sh (LAB_EVIL_BIN).
if printf '%s\n' "${boots[@]}" | grep -qx evil; then
  { cmake -S "$here/../.." -B "$build/release" -G "Unix Makefiles" -DCMAKE_BUILD_TYPE=Release -DCMAKE_CXX_COMPILER=g++-12 &&
    cmake --build "$build/release" --target pcisplit-evil -j 2; } > "$lab/logs/evil-build.log" 2>&1 ||
    { cat "$lab/logs/evil-build.log" >&2; echo "lab: cannot build pcisplit-evil" >&2; exit 1; }
  export LAB_EVIL_BIN=$build/release/test/pcisplit-evil
fi

# Pairs (backend/frontend): the in-tree drivers always; our backend with the in-tree frontend once
# $mods/xen-pciback.ko exists; once xen-pcifront.ko exists too, our frontend with the
# in-tree backend and ours on both sides.
# LAB_PAIRS="..." restricts the run to some of them.
pairs=(in-tree)
declare -A pair_be=([in-tree]=in-tree [ours-be]=ours [ours-fe]=in-tree [ours]=ours)
declare -A pair_fe=([in-tree]=in-tree [ours-be]=in-tree [ours-fe]=ours [ours]=ours)
ours_note="ours: not built (no $mods/xen-pciback.ko yet)"
if [ -f "$mods/xen-pciback.ko" ]; then
  pairs+=(ours-be)
  ours_note="ours: $mods (backend only: no xen-pcifront.ko yet)"
  if [ -f "$mods/xen-pcifront.ko" ]; then
    pairs+=(ours-fe ours)
    ours_note="ours: $mods"
  fi
fi
if [ -n "${LAB_PAIRS:-}" ]; then
  read -r -a pairs <<< "$LAB_PAIRS"
fi

# run_boot PAIR BOOT: one QEMU run; the serial log is the only output. At the boot's time limit the
# vCPUs' state is saved from QEMU's monitor (PAIR-BOOT.hang: where Xen or dom0 was stuck) before
# QEMU is stopped; returns 2 then, 0 otherwise.
run_boot() {  # PAIR BOOT; TCG threading: LAB_TCG_THREAD, or the boot table's
  local pair=$1 boot=$2 img=$lab/images/$1
  local log=$lab/logs/$pair-$boot.log sock=$lab/logs/$pair-$boot.monitor
  local limit=${boot_timeout[$boot]} thread=${LAB_TCG_THREAD:-${tcg_thread[$boot]}} extra=() bench_args=""
  rm -f "$log" "$sock" "$lab/logs/$pair-$boot.hang"
  [ "$boot" != bench ] || bench_args="lab_bench_runs=${LAB_BENCH_RUNS:-7} lab_bench_reads=${LAB_BENCH_READS:-20} lab_bench_trace=${LAB_BENCH_TRACE:-0}"
  if [ "$boot" = bench ] || [ "$boot" = enum ]; then
    # LAB_BENCH_ICOUNT=1 (the measuring boots, bench and enum): QEMU's virtual clock counts
    # instructions (2^3 ns each) instead of following the host's, so the timings do not depend on
    # what else the host runs; sleep=off lets idle time pass at once. Any other value is -icount's
    # options as they are (e.g. shift=auto). icount needs single-threaded TCG.
    case ${LAB_BENCH_ICOUNT:-0} in
      0) ;;
      1) thread=single; extra=(-icount "shift=3,sleep=off") ;;
      *) thread=single; extra=(-icount "$LAB_BENCH_ICOUNT") ;;
    esac
  fi
  # shellcheck disable=SC2086
  timeout "$((limit + 60))" "$(boot_qemu "$boot")" -machine q35 -accel "tcg,thread=$thread" "${extra[@]}" -cpu "${LAB_QEMU_CPU:-max,-smap,-smep,-pku,-la57,-x2apic}${qemu_cpu_extra[$boot]:-}" -smp "${LAB_QEMU_SMP:-${qemu_smp[$boot]}}" -m 2048 \
    -display none -vga none -nic none -no-reboot -serial "file:$log" \
    -monitor "unix:$sock,server,nowait" \
    -device intel-iommu,intremap=on,caching-mode=on ${qemu_devices[$boot]} \
    -kernel "$img/xen" \
    -append "console=com1 com1=115200,8n1 loglvl=all guest_loglvl=all dom0_mem=1024M,max:1024M dom0_max_vcpus=1 iommu=verbose smap=0 smep=0 bootscrub=0 ${xen_args[$boot]} ${LAB_XEN_ARGS:-}" \
    -initrd "$img/vmlinuz console=hvc0 earlyprintk=xen loglevel=5 lab_boot=$boot ${dom0_args[$boot]} $bench_args ${LAB_DOM0_ARGS:-},$img/dom0.cpio.gz" \
    > "$lab/logs/$pair-$boot.qemu.err" 2>&1 &
  local qpid=$! injected=0 t0 hung=0 silent_since="" last_size=0 silent_limit=${LAB_SILENT_LIMIT:-300}
  t0=$(date +%s)
  while kill -0 "$qpid" 2>/dev/null; do
    if [ $injected -eq 0 ] && grep -q '@@HOST-INJECT-AER' "$log" 2>/dev/null; then
      # An uncorrectable error (data link protocol, fatal by default severity) at the endpoint.
      echo "@@HOST-INJECTING" >> "$lab/logs/$pair-$boot.host"
      echo "pcie_aer_inject_error nic0 DLP" | socat - "UNIX-CONNECT:$sock" \
        >> "$lab/logs/$pair-$boot.host" 2>&1 || true
      injected=1
    fi
    # The whole machine idle for good: nothing on the serial line for $silent_limit s and every vCPU
    # halted in Xen's idle loop. Seen twice (once with Linux's backend, before any guest existed, once
    # with ours right after xl pci-assignable-add): dom0 stopped waking from a plain sleep while Xen's
    # own timer kept ticking. Nothing in the lab is silent that long on purpose, so it is a hang.
    if [ -z "$silent_since" ] || [ "$(stat -c %s "$log" 2>/dev/null || echo 0)" != "$last_size" ]; then
      last_size=$(stat -c %s "$log" 2>/dev/null || echo 0)
      silent_since=$(date +%s)
    elif [ $(( $(date +%s) - silent_since )) -ge "$silent_limit" ] &&
         [ "$(printf 'info registers -a\n' | socat -t 3 - "UNIX-CONNECT:$sock" 2>/dev/null | grep -c 'HLT=1')" -ge 2 ]; then
      echo "@@LAB-IDLE nothing on the serial line for $silent_limit s, every vCPU halted" >> "$log"
      hung=1
    fi
    if [ $hung -eq 1 ] || [ $(( $(date +%s) - t0 )) -ge "$limit" ]; then
      hung=1
      printf 'info status\ninfo cpus\ninfo registers -a\ncpu 0\ninfo lapic\ncpu 1\ninfo lapic\ninfo pic\n' | socat -t 5 - "UNIX-CONNECT:$sock" \
        > "$lab/logs/$pair-$boot.hang" 2>&1 || true
      kill "$qpid" 2>/dev/null || true
      break
    fi
    sleep 1
  done
  local rc=0
  wait "$qpid" || rc=$?
  # Every scenario ran (@@DOM0-DONE) but the machine did not power off: with Linux's backend in a
  # PVH dom0 (boot pvh) its worker dies in a kernel BUG and dom0's shutdown then waits for ever. The
  # results stand; the boot is a LIMIT row of that backend, not run again. With our backend a dom0
  # that cannot power off stays a failure.
  if [ $hung -eq 1 ] && [ "${pair_be[$pair]}" = in-tree ] && grep -aq '^@@DOM0-DONE' "$log"; then
    echo "@@RESULT boot-$boot LIMIT $(( $(date +%s) - t0 )) dom0 ran every scenario but did not power off: Linux's backend left it stuck (vCPU state: $pair-$boot.hang)" >> "$log"
    return 0
  fi
  if [ $hung -eq 1 ] || [ $rc -eq 124 ]; then
    echo "@@RESULT boot-$boot FAIL $limit stopped after $(( $(date +%s) - t0 )) s: time limit or idle machine (vCPU state: $pair-$boot.hang)" >> "$log"
    echo "@@QEMU-EXIT $rc" >> "$log"
    return 2
  fi
  [ $rc -ne 0 ] && echo "@@QEMU-EXIT $rc" >> "$log"
  # QEMU itself killed by a signal (139: SIGSEGV, 134: SIGABRT): the emulator's crash, not the
  # guest's (the host's QEMU 7.2 crashed in memory_region_dispatch_read during BAR remapping, with
  # Linux's drivers as with ours; LAB_QEMU=host still runs it): the caller runs the boot once more.
  [ $rc -gt 128 ] && return 3
  return 0
}

# run_again PAIR BOOT: a run after one that did not count. When its QEMU crashes as well, once more
# (a crash is QEMU's own, not the machine's: see run_boot); the crashed run's log is kept as
# PAIR-BOOT.crashed-run[N].log. Every crash of a rerun is listed in the summary. (Until 2026-12-02 the
# run after a crash was single-threaded: on CI's machine that made a main boot miss its time limit.)
run_again() {
  local r=0 what kept n=1
  run_boot "$1" "$2" || r=$?
  [ $r -eq 3 ] || return $r
  what="$(tr -d '\r' < "$lab/logs/$1-$2.log" | grep -oE '^@@QEMU-EXIT [0-9]+' | tail -1 || true) in $(
    tr -d '\r' < "$lab/logs/$1-$2.log" | grep '^@@SCENARIO' | tail -1 || true)"
  kept=$lab/logs/$1-$2.crashed-run.log
  while [ -e "$kept" ]; do n=$((n + 1)); kept=$lab/logs/$1-$2.crashed-run$n.log; done
  mv "$lab/logs/$1-$2.log" "$kept"
  crashed_runs+=("$1/$2: the rerun crashed QEMU: $what (log: ${kept##*/}); ran once more")
  echo "lab: $1 / boot $2 QEMU crashed in the rerun; running it once more"
  r=0
  run_boot "$1" "$2" || r=$?
  [ $r -ne 3 ] || crashed_runs+=("$1/$2: its third run crashed QEMU too")
  return $r
}

# Byte differences between two sets of lspci -xxxx rows: "OFF:was->now ...".
row_diffs() {
  paste -d'|' <(echo "$1") <(echo "$2") | awk -F'|' '
    { split($1, h, " "); split($2, g, " "); base = hexnum(h[1]);
      for (i = 2; i <= 17; i++) if (h[i] != g[i]) printf "%03x:%s->%s ", base + i - 2, h[i], g[i] }
    function hexnum(s,   n, k) { sub(":", "", s); n = 0;
      for (k = 1; k <= length(s); k++) n = n * 16 + index("0123456789abcdef", substr(s, k, 1)) - 1
      return n }'
}

# The guest's own writes to registers our backend emulates are allowed to differ from the prediction
# (made before the guest ran): PCIe DEVCTL's four error-reporting enables (docs/conf_space.md, L3; the
# guest's kernel sets them at boot since Linux 6.0). Drops "OFF:was->now" entries at DEVCTL's low byte
# that differ only in bits 0-3. $1: diffs, $2: the dump whose capability list locates DEVCTL.
emulated_only() {
  local devctl
  devctl=$(grep -E '^[0-9a-f]{2,3}: ' "$2" | awk '
    function hexnum(s,   n, k) { sub(":", "", s); n = 0;
      for (k = 1; k <= length(s); k++) n = n * 16 + index("0123456789abcdef", substr(s, k, 1)) - 1
      return n }
    { base = hexnum($1); for (i = 2; i <= 17; i++) b[base + i - 2] = hexnum($i) }
    END { p = b[52]; n = 0; while (p >= 64 && n++ < 48) { if (b[p] == 16) { printf "%03x", p + 8; exit } p = b[p + 1] } }')
  local e out=""
  for e in $1; do
    if [ -n "$devctl" ] && [ "${e%%:*}" = "$devctl" ]; then
      local was=${e#*:} now
      now=${was#*->}; was=${was%%->*}
      [ $(( (0x$was ^ 0x$now) & ~0x0f )) -eq 0 ] && continue
    fi
    out="$out$e "
  done
  echo "$out"
}

# What our backend will show the guest: pcisplit guest-dump of dom0's dump (with resource sizes).
# Its complaint, if any, goes to the file $2 (judge_config_view shows it in the row).
predicted_rows() {
  local tool
  tool=$(ls -t "$build/release/pcisplit" "$build/asan/pcisplit" 2>/dev/null | head -1)  # the newest build
  if [ -z "$tool" ]; then echo "pcisplit is not built (make build)" > "$2"; return; fi
  "$tool" guest-dump "$1" 2> "$2" | grep -E '^[0-9a-f]{2,3}: '
}

# config-view is decided here: the guest's dump against dom0's, byte by byte.
judge_config_view() {
  local log=$1 pair=$2
  local hwdump=$lab/logs/$pair-hw-config.lspci hw guest expected
  # Only dump_hw's own lines: Xen's and the guests' console lines share the serial line and can land
  # between them (CI's run of 428e096 had no prediction once), and the dump's reader refuses those.
  tr -d '\r' < "$log" | sed -n '/@@HW-CONFIG-BEGIN before-guest/,/@@HW-CONFIG-END/p' |
    grep -E '^(# resource |# irq |[0-9a-f]{2}:[0-9a-f]{2}\.[0-7] |[0-9a-f]{2,3}: |$)' > "$hwdump" || true
  hw=$(grep -E '^[0-9a-f]{2,3}: ' "$hwdump")
  guest=$(tr -d '\r' < "$log" | sed -n '/@@GUEST-CONFIG-BEGIN/,/@@GUEST-CONFIG-END/p' | sed 's/^\[guest\] //' |
          grep -E '^[0-9a-f]{2,3}: ')
  if [ -z "$hw" ] || [ -z "$guest" ]; then
    echo "FAIL missing dumps"
    return
  fi
  expected=$(predicted_rows "$hwdump" "$hwdump.err")
  if [ "${pair_be[$pair]}" = ours ]; then  # our backend's view is predicted exactly
    local d
    d=$(emulated_only "$(row_diffs "$expected" "$guest")" "$hwdump")
    if [ -z "$expected" ]; then echo "FAIL no prediction: $(head -1 "$hwdump.err")"
    elif [ -z "${d// /}" ]; then echo "PASS the guest sees exactly pcisplit's predicted view (but the DEVCTL reporting enables it set)"
    else echo "FAIL differs from pcisplit's prediction at: $d"; fi
    return
  fi
  # The in-tree backend's view is recorded, not predicted: identification and BARs must match.
  local diffs ids_ok=1 off
  diffs=$(row_diffs "$hw" "$guest")
  for off in 000 001 002 003 008 009 00a 00b 010 011 012 013 02c 02d 02e 02f; do
    case " $diffs" in *" $off:"*) ids_ok=0 ;; esac
  done
  local ours_note=""
  if [ -n "$expected" ]; then
    local od
    od=$(row_diffs "$guest" "$expected")
    ours_note="; pcisplit's prediction for our backend differs from it at: ${od:-nothing}"
  fi
  if [ $ids_ok -eq 1 ]; then
    echo "PASS ids/class/BAR0 equal; differs from dom0 at: ${diffs:-nothing}${ours_note}"
  else
    echo "FAIL identification differs: $diffs"
  fi
}

# bench_summary: the bench boot's figures, one row per pair: the median of its measured loops, their
# range and spread ((max - min) / median), and the median over in-tree's median in the same run
# (the pairs ran one after another on the same host, so the ratio is the figure to compare).
bench_summary() {
  local clock="the guest's clock, which under TCG follows the host's: wall-clock time"
  [ "${LAB_BENCH_ICOUNT:-0}" = 0 ] ||
    clock="QEMU's -icount clock (LAB_BENCH_ICOUNT=$LAB_BENCH_ICOUNT): instructions, not wall-clock"
  echo "config-read round trips (boot bench): per pair, LOOPS measured loops in one guest, a loop"
  echo "  one cat of its device's config file READS times: OPS dword round trips (frontend to backend)"
  echo "  time: $clock"
  printf '%s\n' "${benches[@]}" | awk '
    function stats(list, p,   a, n, i, j, t, med) {  # the median, range and spread of list, as p
      n = split(list, a, ",")
      for (i = 2; i <= n; i++)
        for (j = i; j > 1 && a[j - 1] + 0 > a[j] + 0; j--) {
          t = a[j]; a[j] = a[j - 1]; a[j - 1] = t
        }
      med = n % 2 ? a[(n + 1) / 2] : (a[n / 2] + a[n / 2 + 1]) / 2
      med_of[p] = med
      range_of[p] = a[1] ".." a[n]
      spread_of[p] = med > 0 ? sprintf("%.1f%%", (a[n] - a[1]) * 100 / med) : "n/a"
    }
    function ratio(x, base) { return base > 0 ? sprintf("%.3f", x / base) : "n/a" }
    {
      pair[NR] = $1
      for (k = 2; k <= NF; k++) { split($k, kv, "="); f[NR, kv[1]] = kv[2] }
      stats(f[NR, "rt_per_s"], "rt" NR)
      stats(f[NR, "irqs_per_op"], "ir" NR)
      if ($1 == "in-tree") { base_rt = med_of["rt" NR]; base_ir = med_of["ir" NR] }
    }
    END {
      fmt = "  %-8s %5s %5s %6s | %-32s %7s %8s | %-28s %7s %8s\n"
      printf fmt, "pair", "loops", "reads", "ops", "round trips/s: median (min..max)", "spread",
        "/in-tree", "irqs/op: median (min..max)", "spread", "/in-tree"
      for (i = 1; i <= NR; i++)
        printf fmt, pair[i], f[i, "measured"], f[i, "reads"], f[i, "ops"],
          sprintf("%.1f (%s)", med_of["rt" i], range_of["rt" i]), spread_of["rt" i],
          ratio(med_of["rt" i], base_rt),
          sprintf("%.5f (%s)", med_of["ir" i], range_of["ir" i]), spread_of["ir" i],
          ratio(med_of["ir" i], base_ir)
      traced = 0
      for (i = 1; i <= NR; i++) if (f[i, "trace_dom0"] != "" || f[i, "trace_guest"] != "") traced = 1
      if (!traced) exit
      print "  where a round trip goes (LAB_BENCH_TRACE=1, boot-bench.sh): medians over the traced round"
      print "  trips, microseconds, each domain on its own clock; the tracing itself slows the loops above"
      fmt = "  %-8s | %6s %9s %9s %9s | %6s %9s %9s\n"
      printf fmt, "pair", "dom0", "irq>work", "work", "answer>", "guest", "in read", "between"
      for (i = 1; i <= NR; i++) {
        split(f[i, "trace_dom0"], d, "[:/]"); split(f[i, "trace_guest"], g, "[:/]")
        printf fmt, pair[i], d[1], d[2], d[3], d[4], g[1], g[2], g[3]
      }
    }'
}

# The summary table: one row per scenario (or per boot that failed as a whole).
row_format='%-16s %-9s %-9s %-5s %5s  %s'
summary=()
add_row() {  # NAME PAIR STATUS SECONDS DETAIL
  summary+=("$(printf "$row_format" "$1" "${pair_be[$2]}" "${pair_fe[$2]}" "$3" "$4" "$5")")
}
hung_runs=()
crashed_runs=()
# LAB_RESUME=1 (make lab-all LAB_RESUME=1): a boot whose log from an earlier run in this build
# directory is complete (@@DOM0-DONE) and whose stamp matches is not run again; its log is read as
# if it had just run. The stamp (PAIR-BOOT.stamp: the hash, the seconds the boot took, when) covers
# what decides a boot's result: the platform and its Xen and kernel, the pair, the boot, the lab's
# scripts, our modules (pairs with one of ours), the pcisplit and pcisplit-evil binaries and the
# LAB_* settings that change a boot. So an interrupted full matrix continues where it stopped, and
# any change to the tree runs every boot again.
cell_stamp() {
  {
    echo "$platform $1 $2 $(cat "$lab/root/.kver" 2>/dev/null) $(ls "$lab"/root/boot/xen-4.*-amd64.gz 2>/dev/null | tail -1)"
    echo "${LAB_QEMU_SMP:-} ${LAB_QEMU_CPU:-} ${LAB_XEN_ARGS:-} ${LAB_DOM0_ARGS:-} ${LAB_BENCH_ICOUNT:-}"
    echo "${qemu_version[$2]}"
    cat "$here"/*.sh "$LAB_PCISPLIT_BIN" ${LAB_EVIL_BIN:+"$LAB_EVIL_BIN"}
    [ "$1" = in-tree ] || cat "$mods"/*.ko
  } | sha256sum | cut -c1-16
}
kept_boots=0
# failed_rows PAIR LOG: the boot's failed rows, one a line ("NAME STATUS[: why]"), and a line for a
# boot with no scenario or no end; nothing for a boot that passed. config-view is judged as below.
# (grep reads the file itself: a `tr | grep -q` that stops early would fail the pipe under pipefail.)
failed_rows() {
  local log=$2 name status rest v
  grep -aq '^@@DOM0-DONE' "$log" 2>/dev/null || echo "boot no-@@DOM0-DONE"
  grep -aq '^@@RESULT' "$log" 2>/dev/null || { echo "boot no-results"; return 0; }
  while read -r _ name status rest; do
    case $status in
      PASS | BENCH | LIMIT | N/A) ;;
      HOST)
        if [ "$name" = config-view ]; then
          v=$(judge_config_view "$log" "$1")
          [ "${v%% *}" = PASS ] || echo "$name ${v%% *}: ${v#* }"
        else echo "$name HOST"; fi ;;
      *) echo "$name $status" ;;
    esac
  done < <(tr -d '\r' < "$log" | grep -a '^@@RESULT')
}
boot_failed() { [ -n "$(failed_rows "$1" "$2")" ]; }
# LAB_RERUN_FAILED=0 turns this off: a boot with a failed row that has not already run twice runs once
# more, and the second run's rows count. The nested machine (Xen under QEMU's TCG on 2 host cores)
# now and then stalls a guest for tens of seconds (docs/lab.md); a bug fails both runs. The first
# run's failed rows are listed at the end of the summary (never silently dropped) and its log kept as
# PAIR-BOOT.failed-run.log.
reruns=()
passed=0
failed=0
limits=0
notapplicable=0
benches=()
for pair in "${pairs[@]}"; do
  if [ -n "$default_boots" ]; then  # a pair with none of make check's cells: no images, no boots
    any=""
    for boot in "${boots[@]}"; do in_check "$pair" "$boot" && any=1; done
    [ -n "$any" ] || continue
  fi
  # build-images.sh puts QEMU and the HVM firmware in dom0's image only for a pair that boots HVM guests.
  pair_hvm=""
  for boot in "${boots[@]}"; do hvm_boot "$pair" "$boot" && pair_hvm=1; done
  LAB_HVM=$pair_hvm "$here/build-images.sh" "$lab" "$pair" "$mods"
  for boot in "${boots[@]}"; do
    # The 100-cycle leak check is about our frontend; one pair (ours on both sides) carries it.
    [ "$boot" = cycles ] && [ "$pair" != ours ] && [ -z "${LAB_CYCLES_ALL:-}" ] && continue
    [ -n "$default_boots" ] && ! in_check "$pair" "$boot" && continue
    t0=$(date +%s)
    log=$lab/logs/$pair-$boot.log
    stampf=$lab/logs/$pair-$boot.stamp
    stamp=$(cell_stamp "$pair" "$boot")
    if [ -n "${LAB_RESUME:-}" ] && [ -f "$stampf" ] && [ "$(cut -d' ' -f1 "$stampf")" = "$stamp" ] &&
       grep -aq '^@@DOM0-DONE' "$log" 2>/dev/null; then
      echo "lab: $pair / boot $boot kept from the run of $(cut -d' ' -f3 "$stampf") (LAB_RESUME; same stamp $stamp)"
      echo "lab: $pair / boot $boot took $(cut -d' ' -f2 "$stampf") s"
      kept_boots=$((kept_boots + 1))
      brc=kept
    else
      rm -f "$stampf"
      echo "lab: $pair / boot $boot ..."
      brc=0
      run_boot "$pair" "$boot" || brc=$?
    fi
    if [ "$brc" != kept ] && [ "$brc" -ne 0 ]; then
      # A boot that hit its limit, or whose QEMU crashed, runs once more; the first run's logs are
      # kept and listed at the end, and its scenarios' results are not counted (the second run's are).
      for f in "$log" "$lab/logs/$pair-$boot.hang"; do
        if [ -e "$f" ]; then mv "$f" "${f%.*}.hung-run.${f##*.}"; fi
      done
      what="hit its limit or went idle"
      [ $brc -eq 3 ] && what="QEMU crashed ($(tr -d '\r' < "$lab/logs/$pair-$boot.hung-run.log" | grep -oE '^@@QEMU-EXIT [0-9]+' | tail -1 || true))"
      hung_runs+=("$pair/$boot $what after $(( $(date +%s) - t0 )) s: $(tr -d '\r' < "$lab/logs/$pair-$boot.hung-run.log" |
        grep '^@@SCENARIO' | tail -1 || true) (logs: $pair-$boot.hung-run.log, $pair-$boot.hung-run.hang)")
      echo "lab: $pair / boot $boot $what; running it once more"
      t0=$(date +%s)
      run_again "$pair" "$boot" || true
    fi
    first=""
    [ "$brc" != 0 ] || [ "${LAB_RERUN_FAILED:-1}" = 0 ] || first=$(failed_rows "$pair" "$log" | paste -sd';' -)
    if [ -n "$first" ]; then
      mv "$log" "$lab/logs/$pair-$boot.failed-run.log"
      echo "lab: $pair / boot $boot failed ($first) after $(( $(date +%s) - t0 )) s; running it once more"
      echo "---- last lines of its log"; tail -25 "$lab/logs/$pair-$boot.failed-run.log" | tr -d '\r'
      t0=$(date +%s)
      run_again "$pair" "$boot" || true
      if boot_failed "$pair" "$log"; then again="failed again"; else again="passed"; fi
      reruns+=("$pair/$boot: first run $first; the second run $again (log: $pair-$boot.failed-run.log)")
    fi
    if [ "$brc" != kept ]; then
      echo "lab: $pair / boot $boot took $(( $(date +%s) - t0 )) s"
      echo "$stamp $(( $(date +%s) - t0 )) $(date -u +%Y-%m-%dT%H:%M:%SZ)" > "$stampf"
    fi
    # One log per scenario as well: the lines from its @@SCENARIO marker to the next.
    tr -d '\r' < "$log" | awk -v dir="$lab/logs" -v p="$pair" '
      /^@@SCENARIO / { f = dir "/" p "-scenario-" $2 ".log" } f { print > f }'
    # The xenstore recording (boot multi): the blocks between @@XS-BEGIN and @@XS-END, without the
    # guests' console lines that dom0's console interleaves.
    if tr -d '\r' < "$log" | grep -q '^@@XS-BEGIN'; then
      tr -d '\r' < "$log" | sed -n '/^@@XS-BEGIN/,/^@@XS-END/p' | grep -v '^\[' > "$lab/logs/$pair-$boot-xenstore.log"
    fi
    results=$(tr -d '\r' < "$log" | grep '^@@RESULT' || true)
    if [ -z "$results" ]; then
      add_row "boot:$boot" "$pair" FAIL - "no scenario ran (dom0 did not come up?)"
      failed=$((failed + 1))
      echo "---- last lines of $log"; tr -d '\r' < "$log" | tail -25
      continue
    fi
    while read -r _ name status secs detail; do
      if [ "$status" = HOST ] && [ "$name" = config-view ]; then
        verdict=$(judge_config_view "$log" "$pair")
        status=${verdict%% *}
        detail=${verdict#* }
      fi
      add_row "$name" "$pair" "$status" "$secs" "$detail"
      case $status in
        PASS) passed=$((passed + 1)) ;;
        BENCH) benches+=("$pair $detail") ;;
        LIMIT) limits=$((limits + 1)) ;;  # a known limitation of the in-tree driver, evidence in detail
        N/A) notapplicable=$((notapplicable + 1)) ;;  # the scenario cannot run with this pair (why in detail)
        *) failed=$((failed + 1)) ;;
      esac
    done <<< "$results"
    # A boot that did not reach its end (QEMU crashed, dom0 hung, the timeout hit) fails even when the
    # scenarios it got through passed: the ones after never ran.
    if ! tr -d '\r' < "$log" | grep -q '^@@DOM0-DONE'; then
      why=$(tr -d '\r' < "$log" | grep -oE '^@@QEMU-EXIT [0-9]+' | tail -1 || true)
      add_row "boot:$boot" "$pair" FAIL - "the boot did not finish (${why:-no @@DOM0-DONE}); scenarios after the last result never ran"
      failed=$((failed + 1))
      results="$results FAIL"
    fi
    if echo "$results" | grep -q ' FAIL'; then
      echo "---- last lines of $log"; tr -d '\r' < "$log" | tail -25
    fi
  done
done

echo
printf "$row_format\n" scenario backend frontend result s detail
printf '%s\n' "${summary[@]}"
echo "$ours_note"
if [ ${#benches[@]} -gt 0 ]; then
  bench_summary
fi
echo "logs: $lab/logs"
if [ ${#hung_runs[@]} -gt 0 ]; then
  echo "lab: ${#hung_runs[@]} boot(s) hit their time limit or crashed QEMU and ran again (the rows above are the second run's):"
  printf '  %s\n' "${hung_runs[@]}"
fi
if [ ${#crashed_runs[@]} -gt 0 ]; then
  echo "lab: ${#crashed_runs[@]} rerun(s) crashed QEMU:"
  printf '  %s\n' "${crashed_runs[@]}"
fi
if [ ${#reruns[@]} -gt 0 ]; then
  echo "lab: ${#reruns[@]} boot(s) had a failed row and ran again (the rows above are the second run's):"
  printf '  %s\n' "${reruns[@]}"
fi
[ "$kept_boots" -eq 0 ] || echo "lab: $kept_boots boot(s) kept from an earlier run with the same stamp (LAB_RESUME), not run again"
echo "lab: $limits known limitation(s) of the in-tree drivers (LIMIT rows), not counted as failures"
[ "$notapplicable" -eq 0 ] || echo "lab: $notapplicable scenario(s) not applicable to their pair (N/A rows), not counted"
# CI keeps only the head and the tail of a long log: repeat the failed rows where the tail shows them.
if [ $failed -gt 0 ]; then
  echo "lab: the failed rows:"
  printf '%s\n' "${summary[@]}" | awk '$4 !~ /^(PASS|BENCH|LIMIT|N\/A)$/' | sed 's/^/  /'
fi
echo "lab: $passed passed, $failed failed"
[ $failed -eq 0 ]
