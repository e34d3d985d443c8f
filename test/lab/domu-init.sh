#!/bin/busybox sh
# SPDX-License-Identifier: GPL-2.0-only
# The lab guest's /init. lab_mode= on the kernel command line says what to do; markers go to hvc0,
# which dom0's xenconsoled logs and the scenarios read.
/bin/busybox --install -s /bin
export PATH=/usr/bin:/sbin:/bin
mount -t proc proc /proc
mount -t sysfs sys /sys
mount -t devtmpfs dev /dev
modprobe() { /sbin/modprobe "$@"; }  # kmod's, not busybox's applet
mode=$(sed -n 's/.*lab_mode=\([a-z]*\).*/\1/p' /proc/cmdline)
echo "@@GUEST-UP mode=$mode"
fe_loaded=$(cut -d' ' -f1 /proc/uptime)  # (boot enum: when the frontend starts, by the guest's clock)
modprobe xen-pcifront

wait_devices() {
  i=0
  while [ $i -lt 60 ] && [ -z "$(ls /sys/bus/pci/devices 2>/dev/null)" ]; do sleep 1; i=$((i + 1)); done
}

devs() {
  out=""
  for d in /sys/bus/pci/devices/*; do
    [ -e "$d" ] || continue
    out="$out $(basename "$d"):$(driver_of "$d")"
  done
  echo "${out:- none}"
}

# driver_of DIR: the driver bound to the PCI device at sysfs DIR, empty if none.
driver_of() { basename "$(readlink "$1/driver" 2>/dev/null)" 2>/dev/null; }

# irq_report CAPS: brings eth0 up, then prints the capability lines matching CAPS (MSI, MSI-X, ...)
# and how many interrupts eth0 took.
irq_report() {
  ip link set eth0 up
  sleep 6
  lspci -vvv -s 00:00.0 | grep -E "$1" | sed 's/^/@@GUEST-CAP /'
  grep -E 'eth0|pcifront' /proc/interrupts
  echo "@@GUEST-IRQCOUNT $(awk '/eth0/ {s += $2} END {print s + 0}' /proc/interrupts)"
}

drivers() {
  modprobe e1000e
  modprobe nvme
  sleep 3
  lspci -nnk
  for d in /sys/bus/pci/devices/*; do
    echo "@@GUEST-DRIVER $(basename "$d") $(driver_of "$d")"
  done
  echo "@@GUEST-DRIVERS-DONE"
}

# idset: the functions the guest sees as "vendor:device=driver", sorted, one space between (empty if
# none): the multi boot compares it with the set it expects after each step.
idset() {
  for d in /sys/bus/pci/devices/*; do
    [ -e "$d" ] || continue
    echo "$(sed 's/^0x//' "$d/vendor"):$(sed 's/^0x//' "$d/device")=$(driver_of "$d")"
  done | sort | tr '\n' ' ' | sed 's/ $//'
}

# nic_irqs: per network interface, "vendor:device=N" with N the interrupts taken so far by the lines
# its driver uses (vcpus=1: the count is column 2; e1000e's MSI-X vectors are named ethX-rx-0 etc.; a
# line shared by two functions, e.g. the INTx of a two-function slot, lists "ethX, ethY" and counts
# for both).
nic_irqs() {
  for n in /sys/class/net/eth*; do
    [ -e "$n/device/vendor" ] || continue
    i=${n##*/}
    echo "$(sed 's/^0x//' "$n/device/vendor"):$(sed 's/^0x//' "$n/device/device")=$(awk -v i="$i" '
      { for (k = 3; k <= NF; k++) { f = $k; sub(/,$/, "", f); if (f == i || index(f, i "-") == 1) { s += $2; break } } }
      END {print s + 0}' /proc/interrupts)"
  done | sort | tr '\n' ' ' | sed 's/ $//'
}

ifup_all() { for n in /sys/class/net/eth*; do [ -e "$n" ] && ip link set "${n##*/}" up; done; }

wait_devices
case "$mode" in
  cycles)
    last=""
    changes=0
    while :; do
      now=$(devs)
      if [ "$now" != "$last" ]; then
        echo "@@GUEST-DEVS$now"
        echo "@@GUEST-MEM sunreclaim=$(awk '/^SUnreclaim:/ {print $2}' /proc/meminfo)"
        changes=$((changes + 1))
        # slab caches by active objects after cycles 10 and 100 (20 and 200 changes + the first)
        if [ $changes -eq 21 ] || [ $changes -eq 201 ]; then
          echo "@@GUEST-SLAB $changes $(awk 'NR > 2 {printf "%s=%s ", $1, $2}' /proc/slabinfo)"
        fi
      fi
      last=$now
      sleep 0.2
    done
    ;;
  main|basic)
    echo "@@GUEST-CONFIG-BEGIN"
    lspci -xxxx -s 00:00.0
    echo "@@GUEST-CONFIG-END"
    drivers
    if [ "$mode" = main ]; then
      irq_report 'MSI-X:|MSI:'
      echo "@@GUEST-IRQ-DONE"
      last=""
      while :; do
        now=$(devs)
        if [ "$now" != "$last" ]; then
          echo "@@GUEST-DEVS$now"
          # unreclaimable slab in kB: the attach-cycles scenario watches it for leaks
          echo "@@GUEST-MEM sunreclaim=$(awk '/^SUnreclaim:/ {print $2}' /proc/meminfo)"
        fi
        last=$now
        sleep 0.2
      done
    fi
    ;;
  enum)
    # Boot enum: how long until every passed-through function has its driver. lab_enum=N functions are
    # expected; the guest polls sysfs every 0.1 s and reports, by its own uptime, when the frontend's
    # load began and when the last of the N had its driver.
    modprobe e1000e
    modprobe e1000
    modprobe nvme
    want=$(sed -n 's/.*lab_enum=\([0-9]*\).*/\1/p' /proc/cmdline)
    i=0
    while [ $i -lt 3000 ]; do
      n=0
      b=0
      for d in /sys/bus/pci/devices/*; do
        [ -e "$d" ] || continue
        n=$((n + 1))
        [ -z "$(driver_of "$d")" ] || b=$((b + 1))
      done
      [ "$n" -ge "${want:-1}" ] && [ "$b" -eq "$n" ] && break
      sleep 0.1
      i=$((i + 1))
    done
    echo "@@GUEST-ENUM functions=$n bound=$b fe_loaded=$fe_loaded done=$(cut -d' ' -f1 /proc/uptime)"
    ;;
  intx)
    # booted with pci=nomsi: e1000e must fall back to its legacy interrupt (dom0 shares the line)
    drivers
    irq_report 'MSI-X:|MSI:|Interrupt:'
    echo "@@GUEST-INTX-DONE"
    ;;
  opwait)
    # small config reads for 40 s, a count every 50 (the op-timeout scenario stalls dom0 meanwhile);
    # then idle, so the guest is not destroyed mid-read (QEMU 7.2 has crashed on that: docs/lab.md)
    f=/sys/bus/pci/devices/0000:00:00.0/config
    i=0
    end=$(($(date +%s) + 40))
    while [ "$(date +%s)" -lt $end ]; do
      dd if=$f of=/dev/null bs=64 count=1 2>/dev/null
      i=$((i + 1))
      if [ $((i % 50)) -eq 0 ]; then echo "@@GUEST-READS $i"; fi
    done
    # our frontend counts the ops the backend left unanswered (its op_timeouts attribute)
    echo "@@GUEST-READS-END $i timeouts=$(cat /sys/bus/xen/devices/pci-0/op_timeouts 2>/dev/null || echo none)"
    ;;
  loop)
    modprobe e1000e
    echo "@@GUEST-LOOPING"
    while :; do cat /sys/bus/pci/devices/*/config > /dev/null 2>&1; done
    ;;
  bench)
    # lab_bench_runs= measured loops, each one cat of lab_bench_reads= copies of the device's config
    # file (4 KiB: 1024 dword round trips through the frontend and the backend each), so a loop pays
    # for one process start, not one per read. One unmeasured loop first: it translates the whole
    # path in QEMU's TCG and faults cat in, which the first measured loop would otherwise pay for.
    # Time from /proc/timer_list's "now" (ns; /proc/uptime has 10 ms steps); interrupts are the
    # frontend's event channel ("pcifront", the last field: not the "xen-pirq -pcifront" MSI lines).
    runs=$(sed -n 's/.*lab_bench_runs=\([0-9]*\).*/\1/p' /proc/cmdline)
    reads=$(sed -n 's/.*lab_bench_reads=\([0-9]*\).*/\1/p' /proc/cmdline)
    f=/sys/bus/pci/devices/0000:00:00.0/config
    now_ns() {
      awk '/^now at / {print $3; exit}' /proc/timer_list 2>/dev/null | grep . ||
        awk '{printf "%.0f\n", $1 * 1e9}' /proc/uptime
    }
    pcifront_irqs() { awk '$NF == "pcifront" {s += $2} END {print s + 0}' /proc/interrupts; }
    set --
    i=0
    while [ $i -lt "${reads:-20}" ]; do set -- "$@" "$f"; i=$((i + 1)); done
    ops=$(($(cat "$@" | wc -c) / 4))
    # lab_bench_trace=1 (LAB_BENCH_TRACE=1): the measured loops are also traced, a kprobe at the
    # entry and the return of pci_user_read_config_dword (sysfs's read of each dword, whichever
    # frontend serves it), and the guest's share of a round trip printed after them (trace-split.sh).
    trace=$(sed -n 's/.*lab_bench_trace=\([0-9]*\).*/\1/p' /proc/cmdline)
    if [ "${trace:-0}" = 1 ]; then
      . /trace-split.sh
      trace_on 'p:pcisplit_rd pci_user_read_config_dword' 'r:pcisplit_rd_ret pci_user_read_config_dword' ||
        { echo "@@BENCH-TRACE guest unavailable"; trace=0; }
    fi
    clock=uptime
    [ -n "$(awk '/^now at / {print $3; exit}' /proc/timer_list 2>/dev/null)" ] && clock=timer_list
    echo "@@BENCH-START runs=${runs:-7} reads=${reads:-20} ops=$ops clock=$clock"
    r=1
    while [ $r -le "${runs:-7}" ]; do
      irq0=$(pcifront_irqs)
      t0=$(now_ns)
      cat "$@" > /dev/null
      t1=$(now_ns)
      irq1=$(pcifront_irqs)
      echo "@@BENCH-RUN $r ops=$ops ns=$((t1 - t0)) irqs=$((irq1 - irq0))"
      r=$((r + 1))
    done
    # seg1: inside the read (the frontend's op, the wait for the backend's answer included); seg2:
    # from its return to the next read's entry (sysfs, cat's read(), the next dword's setup).
    [ "${trace:-0}" != 1 ] || trace_split guest ' pcisplit_rd: ' ' pcisplit_rd_ret: '
    echo "@@BENCH-DONE"
    ;;
  nvme)
    modprobe nvme
    sleep 6
    dmesg | grep -iE 'msi|pcifront|nvme' | tail -8
    lspci -vvv -s 00:00.0 | grep -E 'MSI-X:|MSI:' | sed 's/^/@@GUEST-CAP /'
    grep -E 'nvme|pcifront' /proc/interrupts
    echo "@@GUEST-NVME-MSIX-IRQS $(awk '/nvme/ && /msi/ {s += $2} END {print s + 0}' /proc/interrupts)"
    echo "@@GUEST-NVME-DONE"
    ;;
  multi)
    # Several devices, hot-plugged and unplugged by dom0: every change of the set is reported once the
    # drivers have bound and the interfaces are up (e1000/e1000e then take a watchdog interrupt every
    # 2 s). Commands typed on the console by dom0 (guest_cmd): "irqs TAG" prints each interface's
    # interrupt count, "reconnect" closes and unloads the frontend and loads it again.
    modprobe e1000e
    modprobe nvme
    modprobe e1000
    sleep 2
    lspci -nnk
    last="-"
    while :; do
      now=$(idset)
      if [ "$now" != "$last" ]; then
        sleep 3
        ifup_all
        sleep 1
        now=$(idset)
        echo "@@GUEST-SET ${now:-none} @@ at $(ls /sys/bus/pci/devices | tr '\n' ' ')"
        last=$now
      fi
      if read -r -t 1 cmd arg; then
        case $cmd in
          irqs) echo "@@GUEST-IRQS $arg $(nic_irqs) @@" ;;
          reconnect)
            # xenbus holds a reference on a frontend driver's module while it drives a device, so the
            # device (pci-0) is unbound from the driver first: the frontend closes, then unloads.
            echo "@@GUEST-RECONNECT-BEGIN $(idset) @@"
            echo pci-0 > /sys/bus/xen/drivers/pcifront/unbind 2>/tmp/unbind.err ||
              echo "@@GUEST-XENBUS-UNBIND failed: $(cat /tmp/unbind.err)"
            if rmmod xen-pcifront 2>/tmp/rmmod.err; then
              echo "@@GUEST-RMMOD ok, the guest now sees: $(idset) @@"
              sleep 2
              if modprobe xen-pcifront; then echo "@@GUEST-MODPROBE ok"; else echo "@@GUEST-MODPROBE failed"; fi
            else
              echo "@@GUEST-RMMOD failed: $(cat /tmp/rmmod.err); refcnt $(cat /sys/module/xen_pcifront/refcnt 2>&1)," \
                "holders [$(ls /sys/module/xen_pcifront/holders 2>&1 | tr '\n' ' ')] @@"
            fi
            last="-"  # report the set again, whatever it is
            ;;
        esac
      fi
      sleep 0.2
    done
    ;;
  hvm)
    # An HVM guest (boot hvm, console on its serial port): the functions come through QEMU's xen_pt
    # on the emulated bus, next to QEMU's own devices, with no PCI frontend (xen-pcifront refuses to
    # load outside a PV guest). The serial port is written to a file in dom0, so nothing can be typed
    # to this guest: it reports by itself. Every change of the set of passed-through functions (ACPI
    # hot-plug adds and removes them) once their drivers have bound and their interfaces are up, and
    # every 10 s the interrupts each has taken, for dom0 to sample. Terse: in the lab every character
    # on the emulated serial port is a round trip through Xen to QEMU in dom0, about a second a line.
    ptset() {  # the passed-through functions (e1000e, nvme) as "vendor:device=driver", sorted
      for d in /sys/bus/pci/devices/*; do
        case $(cat "$d/vendor" 2>/dev/null):$(cat "$d/device" 2>/dev/null) in  # (one may be going)
          0x8086:0x10d3) echo "8086:10d3=$(driver_of "$d")" ;;
          0x1b36:0x0010) echo "1b36:0010=$(driver_of "$d")" ;;
        esac
      done | sort | tr '\n' ' ' | sed 's/ $//'
    }
    new_dmesg() {  # the guest's kernel messages about them since the last call (read and cleared)
      dmesg -c | grep -E 'e1000e [0-9]|nvme nvme|acpiphp|pciehp' | grep -v 'Copyright' | tail -6 |
        sed 's/^/@@GUEST-DMESG /'
    }
    modprobe e1000e
    modprobe nvme
    sleep 3
    for d in /sys/bus/pci/devices/*; do
      case $(cat "$d/vendor"):$(cat "$d/device") in
        0x8086:0x10d3|0x1b36:0x0010) echo "@@GUEST-DRIVER $(basename "$d") $(driver_of "$d")" ;;
      esac
    done
    echo "@@GUEST-DRIVERS-DONE"
    ifup_all
    sleep 2
    for d in /sys/bus/pci/devices/*; do
      case $(cat "$d/vendor"):$(cat "$d/device") in
        0x8086:0x10d3|0x1b36:0x0010) lspci -vv -s "$(basename "$d")" | grep -E 'MSI-X:' | sed "s/^/@@GUEST-CAP $(basename "$d") /" ;;
      esac
    done
    grep -E 'eth0-rx|nvme0q0' /proc/interrupts | sed 's/  */ /g'
    last=""
    tick=0  # not n: ifup_all's loop variable is n
    while :; do
      now=$(ptset)
      if [ "$now" != "$last" ]; then
        if [ -n "$last" ]; then
          sleep 3
          ifup_all
          sleep 1
          now=$(ptset)
        fi
        new_dmesg
        echo "@@GUEST-SET ${now:-none} @@"
        last=$now
      fi
      if [ $((tick % 10)) -eq 0 ]; then
        echo "@@GUEST-IRQS $tick $(nic_irqs) nvme=$(awk '/nvme/ {s += $2} END {print s + 0}' /proc/interrupts) @@"
      fi
      tick=$((tick + 1))
      sleep 1
    done
    ;;
  aer)
    echo "@@GUEST-AER-READY $(devs)"
    ;;
  aerdrv)
    drivers
    ip link set eth0 up
    echo "@@GUEST-AER-READY $(devs)"
    i=0
    while :; do  # alive and still driving the NIC
      sleep 2
      i=$((i + 1))
      echo "@@GUEST-ALIVE $i $(devs) $(cat /sys/class/net/eth0/operstate 2>/dev/null)"
    done
    ;;
esac
while :; do sleep 3600; done
