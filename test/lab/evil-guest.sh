#!/bin/busybox sh
# SPDX-License-Identifier: GPL-2.0-only
# /init of the evil boot's guests (test/lab/boot-evil.sh, docs/lab.md). Their initramfs holds
# test/evil's pcisplit-evil with its libraries, busybox, and the modules below.
#   lab_mode=evil     no PCI frontend module is loaded: pcisplit-evil is the frontend of device/pci/0
#                     (xen-evtchn, xen-gntalloc and xenfs give it the event channel, the grant and
#                     xenstore); dom0 writes "SEQ COMMAND ARGS" to data/evil-cmd, it prints @@EVIL-DONE SEQ.
#   lab_mode=burn     no device: both vCPUs busy (the control run, lab_evil_control=1 on dom0's line).
#   lab_mode=witness  the pair's PCI frontend and e1000e: a second guest whose device must keep working
#                     while the evil one misbehaves; a heartbeat every 2 s with its IDs read through the
#                     frontend and eth0's interrupt count.
/bin/busybox --install -s /bin
export PATH=/usr/bin:/sbin:/bin
mount -t proc proc /proc
mount -t sysfs sys /sys
mount -t devtmpfs dev /dev
modprobe() { /sbin/modprobe "$@"; }  # kmod's, not busybox's applet
mode=$(sed -n 's/.*lab_mode=\([a-z]*\).*/\1/p' /proc/cmdline)
echo "@@GUEST-UP mode=$mode"
case $mode in
  evil)
    for m in xen-evtchn xen-gntalloc xenfs; do modprobe "$m" || echo "@@EVIL-GUEST-ERROR modprobe $m"; done
    mkdir -p /proc/xen
    mount -t xenfs xenfs /proc/xen
    if grep -q pcifront /proc/modules; then echo "@@EVIL-GUEST-ERROR a PCI frontend module is loaded"; fi
    echo "@@EVIL-GUEST-READY $(ls /dev/xen | tr '\n' ' ')"
    pcisplit-evil serve data/evil-cmd
    echo "@@EVIL-SERVE-EXIT $?"
    ;;
  burn)
    # The control for the evil boot's own noise (docs/lab.md): a guest with no PCI device at all,
    # both vCPUs busy, many short-lived processes, as pcisplit-evil's guest is busy.
    echo "@@BURN-UP"
    (while :; do :; done) &
    while :; do for k in 1 2 3 4 5 6 7 8; do cat /proc/interrupts | grep -c . > /dev/null; done; done
    ;;
  witness)
    modprobe xen-pcifront
    modprobe e1000e
    d=/sys/bus/pci/devices/0000:00:00.0
    i=0
    while [ $i -lt 60 ] && [ ! -e "$d/driver" ]; do sleep 1; i=$((i + 1)); done
    ip link set eth0 up
    sleep 3
    n=0
    while :; do
      n=$((n + 1))
      id=$(dd if="$d/config" bs=4 count=1 2>/dev/null | od -An -tx4 | tr -d ' ')
      irqs=$(awk '/eth0/ {s += $2} END {print s + 0}' /proc/interrupts)
      echo "@@WITNESS $n id=$id irqs=$irqs driver=$(basename "$(readlink "$d/driver" 2>/dev/null)" 2>/dev/null)"
      # The kernel's own account of anything that went wrong here (a segfault's address and program).
      dmesg | grep -E 'segfault|traps:|general protection|BUG|WARNING|Oops' > /tmp/k.now
      tail -n "+$(($(wc -l < /tmp/k.seen 2>/dev/null || echo 0) + 1))" /tmp/k.now | sed 's/^/@@WITNESS-KMSG /'
      mv /tmp/k.now /tmp/k.seen
      sleep 2
    done
    ;;
esac
while :; do sleep 3600; done
