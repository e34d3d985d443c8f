# SPDX-License-Identifier: GPL-2.0-only
# Boot "hide": dom0 booted with xen-pciback.hide=(0000:00:04.0)(0000:00:06.0). The backend must own
# the NIC at 04.0 from its first load, before any dom0 driver can probe it, and the NIC must be
# assignable. 06.0 is a PCIe root port with an nvme behind it: the function behind the listed bridge
# is seized, the bridge itself stays with dom0's port driver.
BDF=0000:00:04.0
PORT=0000:00:06.0

scenario boot-hide
if ! grep -q "xen-pciback.hide=($BDF)($PORT)" /proc/cmdline; then
  result FAIL "the boot line lacks xen-pciback.hide"
else
  echo "@@HIDE-CMDLINE $(cat /proc/cmdline)"
  echo "@@HIDE-CONFIG $(modprobe -c 2>&1 | grep -iE 'pciback|error|fatal')"
  modprobe xen-pciback  # kmod's modprobe applies xen-pciback.* options from /proc/cmdline
  echo "@@HIDE-PARAM $(cat /sys/module/xen_pciback/parameters/hide 2>&1)"
  modprobe e1000e       # a dom0 driver that would gladly take the NIC
  sleep 1
  drv=$(driver_of "$BDF")
  touched=$(dmesg | grep "e1000e $BDF" || true)
  if [ "$drv" != pciback ]; then
    result FAIL "driver of $BDF is '${drv:-none}', not pciback"
  elif [ -n "$touched" ]; then
    result FAIL "e1000e probed the hidden device: $(echo "$touched" | head -1)"
  elif ! xl pci-assignable-list | grep -q "$BDF"; then
    result FAIL "bound to pciback but not in xl pci-assignable-list"
  else
    LOG=$(guest_log guest)
    start_guest guest basic "$BDF"
    if wait_log "$LOG" "@@GUEST-DRIVER 0000:00:00.0 e1000e" 180; then
      result PASS "pciback owned it from load, e1000e never probed it in dom0, assigned and bound in the guest"
    else
      result FAIL "hidden device did not work in the guest"
    fi
    xl destroy guest
  fi
fi

scenario interrupts-intx
# The guest runs e1000e on INTx (pci=nomsi): its interrupts must count, and dom0's fake handler must
# be installed and acking on the line while the guest has the device enabled, and gone after.
INTXLOG=$(guest_log intx)
start_guest intx intx "$BDF" pci=nomsi
if wait_log "$INTXLOG" "@@GUEST-INTX-DONE" 180; then
  irqs=$(last_number "$INTXLOG" "@@GUEST-IRQCOUNT ")
  during=$(grep "^$BDF:" /sys/bus/pci/drivers/pciback/irq_handlers)
  dom0_irq=$(grep -E 'pciback' /proc/interrupts | tr -s ' ' | tr '\n' ';')
  xl destroy intx
  sleep 2
  after=$(grep "^$BDF:" /sys/bus/pci/drivers/pciback/irq_handlers)
  if grep -q "@@GUEST-CAP.*Enable+" "$INTXLOG"; then
    result FAIL "MSI or MSI-X enabled despite pci=nomsi: $(grep '@@GUEST-CAP' "$INTXLOG" | tr '\n' ' ')"
  elif [ "${irqs:-0}" -le 0 ]; then
    result FAIL "no eth0 interrupts on INTx in the guest"
  elif ! echo "$during" | grep -qE "^$BDF:on:acking:[1-9][0-9]*$"; then
    result FAIL "guest got $irqs INTx interrupts; dom0 irq_handlers while running: '$during'; dom0 /proc/interrupts: $dom0_irq"
  elif ! echo "$after" | grep -qE "^$BDF:off:not acking:[1-9][0-9]*$"; then
    result FAIL "fake handler still installed after the guest died: '$after'"
  else
    result PASS "$irqs eth0 INTx interrupts in the guest; dom0 fake handler '$during' while running, '$after' after"
  fi
else
  result FAIL "the INTx guest did not finish"
  xl destroy intx
fi

scenario op-timeout
# dom0 starved for 6 s (a SCHED_FIFO loop on its only vCPU, RT throttling off, and on Linux 6.12 the
# fair server off too: its deadline server gives ordinary tasks 50 ms a second under any RT load, so
# on Debian 13 the backend kept answering and nothing timed out): the backend's work cannot run, so
# the guest's config reads must fail after the frontend's bound (2 s) with its message, never hang,
# and work again once dom0 runs.
OPLOG=$(guest_log opwait)
if in_tree_frontend; then said="pciback not responding"; else said="pciback did not answer within"; fi
start_guest opwait opwait "$BDF"
if wait_log "$OPLOG" "@@GUEST-READS" 180; then
  warned=$(dom0_warnings | wc -l)
  rt=$(cat /proc/sys/kernel/sched_rt_runtime_us)
  from=$(lines "$OPLOG")
  echo -1 > /proc/sys/kernel/sched_rt_runtime_us
  fair=""
  mount -t debugfs debugfs /sys/kernel/debug 2>/dev/null || true
  for f in /sys/kernel/debug/sched/fair_server/cpu*/runtime; do
    [ -e "$f" ] || continue
    fair="$fair $f=$(cat "$f")"
    echo 0 > "$f"
  done
  echo "@@STALL rt_runtime=$rt fair_server:${fair:- none}"
  chrt -f 99 busybox awk 'BEGIN { t = systime(); while (systime() < t + 6) ; }'
  for e in $fair; do echo "${e#*=}" > "${e%%=*}"; done
  echo "$rt" > /proc/sys/kernel/sched_rt_runtime_us
  if ! wait_log "$OPLOG" "$said" 30 "$from"; then
    result FAIL "no '$said' in the guest after dom0 stalled 6 s"
  else
    at=$(tail -n "+$((from + 1))" "$OPLOG" | grep -n -- "$said" | head -1 | cut -d: -f1)
    if ! wait_log "$OPLOG" "@@GUEST-READS" 60 "$((from + at))"; then
      result FAIL "reads did not resume after the timeout"
    elif [ "$(dom0_warnings | wc -l)" -ne "$warned" ]; then
      result FAIL "dom0 warned: $(dom0_warnings | tail -3 | tr '\n' ' ')"
    else
      # Our frontend counts what timed out where an admin reads it (op_timeouts).
      wait_log "$OPLOG" "@@GUEST-READS-END" 90 || true
      tmo=$(grep -o '@@GUEST-READS-END .*' "$OPLOG" | tail -1 | tr -d '\r' | sed -n 's/.*timeouts=//p')
      if ! in_tree_frontend && ! [ "${tmo:-none}" -ge 1 ] 2>/dev/null; then
        result FAIL "reads timed out and resumed, but the guest's op_timeouts reads '${tmo:-missing}'"
      else
        result PASS "guest: '$(tail -n "+$((from + 1))" "$OPLOG" | grep -o -- "$said.*" | head -1 | tr -d '\r')', then reads resumed; no dom0 warning; op_timeouts=${tmo:-?}"
      fi
    fi
  fi
else
  result FAIL "the reading guest did not start"
fi
wait_log "$OPLOG" "@@GUEST-READS-END" 90 || true
xl destroy opwait

scenario hide-bridge
# the port's directory also holds its PCIe service devices (0000:00:06.0:pcie001): only a BDF is a child
child=$(cd "/sys/bus/pci/devices/$PORT" 2>/dev/null && ls -d 0000:[0-9a-f][0-9a-f]:[0-9a-f][0-9a-f].[0-7] 2>/dev/null | head -1)
cdrv=$(driver_of "$child")
pdrv=$(driver_of "$PORT")
if [ -z "$child" ]; then
  result FAIL "nothing behind the root port $PORT"
elif [ "$cdrv" != pciback ]; then
  result FAIL "$child behind the hidden bridge $PORT: driver '${cdrv:-none}', not pciback"
elif [ "$pdrv" = pciback ]; then
  result FAIL "the bridge $PORT itself went to pciback"
elif ! xl pci-assignable-list | grep -q "$child"; then
  result FAIL "$child bound to pciback but not in xl pci-assignable-list"
else
  result PASS "$child (behind the listed bridge $PORT) seized and assignable; the bridge stays with '${pdrv:-none}'"
fi

scenario assignable-remove
# libxl's path: deassign from quarantine, unbind from pciback, remove_slot; then add it back.
if xl pci-assignable-remove "$BDF" && ! xl pci-assignable-list | grep -q "$BDF" &&
   [ ! -e "/sys/bus/pci/devices/$BDF/driver" ] && ! grep -q "$BDF" /sys/bus/pci/drivers/pciback/slots; then
  if xl pci-assignable-add "$BDF" && xl pci-assignable-list | grep -q "$BDF"; then
    result PASS "xl pci-assignable-remove: unbound, slot gone, not listed; xl pci-assignable-add: bound again"
  else
    result FAIL "xl pci-assignable-add after remove failed"
  fi
else
  result FAIL "after xl pci-assignable-remove: driver=$(driver_of "$BDF") slots='$(tr '\n' ' ' < /sys/bus/pci/drivers/pciback/slots)'"
fi

# Our backend's dom0 control surface, with the real sysfs and module loader (the in-tree driver's
# formats differ in places: docs/xen-pciback.md).
in_tree_backend && return 0
D=/sys/bus/pci/drivers/pciback
# try FILE TEXT: writes TEXT to FILE, prints "ok" or the shell's error (e.g. "Invalid argument").
try() { (echo "$2" > "$1") 2>&1 | sed -n 's/.*: \([A-Z][a-z ]*\)$/\1/p' | grep . || echo ok; }

scenario sysfs-slots
errs=""
# (assignable-remove/-add above moved the NIC's slot to the end: compare as a set)
[ "$(sort $D/slots | tr '\n' ' ')" = "$BDF $PORT " ] || errs="$errs slots='$(cat $D/slots | tr '\n' ' ')'"
[ "$(try $D/new_slot 0000:00:1f.*)" = ok ] || errs="$errs new_slot-wildcard"
[ "$(try $D/new_slot 00:1f.*)" = ok ] || errs="$errs new_slot-again"
# listed function by function, each once, as the in-tree driver lists them (libxl parses the lines)
[ "$(grep -c '^0000:00:1f\.[0-7]$' $D/slots)" = 8 ] || errs="$errs not-expanded-once"
grep -q '\*' $D/slots && errs="$errs wildcard-line"
# libxl's pci-assignable-remove of one function a wildcard brought in: that one goes, the rest stay
[ "$(try $D/remove_slot 0000:00:1f.3)" = ok ] || errs="$errs remove-one-of-wildcard"
{ grep -q '^0000:00:1f\.3$' $D/slots || [ "$(grep -c '^0000:00:1f\.' $D/slots)" != 7 ]; } && errs="$errs remove-one='$(grep 1f $D/slots | tr '\n' ' ')'"
before=$(cat $D/slots)
[ "$(try $D/new_slot 0000:00:20.0)" = "Invalid argument" ] || errs="$errs slot-20-accepted"
[ "$(try $D/new_slot garbage)" = "Invalid argument" ] || errs="$errs garbage-accepted"
[ "$(try $D/remove_slot 0000:00:1e.0)" = "No such file or directory" ] || errs="$errs remove-absent"
[ "$(cat $D/slots)" = "$before" ] || errs="$errs changed-by-bad-writes"
[ "$(try $D/remove_slot 0000:00:1f.*)" = ok ] || errs="$errs remove"
grep -q '1f' $D/slots && errs="$errs still-listed"
if [ -z "$errs" ]; then result PASS "slots/new_slot/remove_slot formats, wildcards listed function by function, one function removed from a wildcard, no duplicates, bad writes refused unchanged"
else result FAIL "$errs"; fi

scenario sysfs-flags
errs=""
[ "$(try $D/permissive $BDF)" = ok ] || errs="$errs permissive"
[ "$(cat $D/permissive)" = "$BDF" ] || errs="$errs permissive-list='$(cat $D/permissive)'"
[ "$(try $D/permissive 0000:00:1f.3)" = "No such device" ] || errs="$errs permissive-unbound"
[ "$(try $D/permissive 0000:00:04.*)" = "Invalid argument" ] || errs="$errs permissive-wildcard"
[ "$(try $D/allow_interrupt_control $BDF)" = ok ] || errs="$errs irqctl"
[ "$(cat $D/allow_interrupt_control)" = "$BDF" ] || errs="$errs irqctl-list"
[ "$(grep "^$BDF:" $D/irq_handlers)" = "$BDF:off:not acking:0" ] || errs="$errs irq_handlers='$(cat $D/irq_handlers | tr '\n' ' ')'"
[ "$(try $D/irq_handler_state $BDF)" = ok ] || errs="$errs irq_handler_state"
dn=$(grep "^$BDF " $D/denials)
echo "$dn" | grep -qE "^$BDF [0-9]+( [0-9a-f]{3}:[1-9][0-9]*)*( \+[0-9]+)?$" || errs="$errs denials='$dn'"
[ "$(try $D/quirks "$BDF-0040:4:0000ffff")" = ok ] || errs="$errs quirk"
[ "$(try $D/quirks "$BDF-0040:4:0000ffff")" = ok ] || errs="$errs quirk-again"
# the in-tree driver's other form: no domain, 0x on the numbers (the same quirk again)
[ "$(try $D/quirks "${BDF#0000:}-0x40:4:0xffff")" = ok ] || errs="$errs quirk-short-form"
[ "$(try $D/quirks "$BDF-0042:2:00ff")" = "File exists" ] || errs="$errs quirk-overlap"
[ "$(try $D/quirks "$BDF-0041:4:0")" = "Invalid argument" ] || errs="$errs quirk-unaligned"
q=$(cat $D/quirks | tr '\t\n' '|;')
[ "$q" = "00:04.0;|8086:10d3:8086:0000;||00000040:4:0000ffff;" ] || errs="$errs quirks-read='$q'"
echo 0 > /sys/module/xen_pciback/parameters/permissive
if [ -z "$errs" ]; then result PASS "permissive, allow_interrupt_control, irq_handlers, irq_handler_state, quirks, denials ('$dn'): formats and errors"
else result FAIL "$errs"; fi

scenario hide-syntax
modprobe -r xen-pciback
ko=$(find /lib/modules -name xen-pciback.ko | head -1)
out=$(insmod "$ko" 'hide=(0000:00:04.0)(0000:00:zz.0)' 2>&1)
msg=$(dmesg | grep 'error parsing hide' | tail -1)
if [ -d /sys/module/xen_pciback ]; then
  result FAIL "loaded despite a bad hide= ($out)"
elif [ -z "$msg" ]; then
  result FAIL "no message naming the bad token ($out)"
else
  result PASS "load refused: ${msg#*] }"
fi
