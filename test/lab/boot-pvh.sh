# SPDX-License-Identifier: GPL-2.0-only
# Boot "pvh" (platform trixie only: Xen 4.20 with dom0=pvh, Linux 6.12 as a PVH dom0). What the
# backend must do there, as Linux 6.12's pciback does: load, take a function with
# `xl pci-assignable-add` (resetting it and telling Xen, setting up its GSI), list it, give it back.
# Then what Xen 4.20 itself does with a PV guest given that function from a PVH dom0 (passthrough
# from a PVH dom0 arrives with Xen 4.21): the answer is recorded, dom0 must stay healthy.
BDF=0000:00:04.0

# dom0's warnings counted from here: under TCG a PVH dom0 warns once at boot about XSAVE's sizes
# (CPUID leaf 0xd as Xen's HVM policy presents QEMU's CPU), before anything of ours runs.
boot_warnings=$(dom0_warnings | wc -l)
dom0_warnings | sed 's/^/@@PVH-BOOT-WARNING /' | head -4
new_warnings() { dom0_warnings | tail -n "+$((boot_warnings + 1))"; }

scenario pvh-dom0
mode=$(dmesg | grep -oE 'Booting kernel on Xen PVH|Booting kernel on Xen|Booting paravirtualized kernel on Xen' | head -1)
echo "@@PVH-DOM0 ${mode:-unknown} $(cat /sys/hypervisor/guest_type 2>/dev/null)"
if [ "$(cat /sys/hypervisor/guest_type 2>/dev/null)" = PVH ]; then
  result PASS "dom0 is a PVH domain (/sys/hypervisor/guest_type: PVH; '$mode')"
else
  result FAIL "dom0 is not PVH: guest_type '$(cat /sys/hypervisor/guest_type 2>/dev/null)', '$mode'"
fi

scenario pvh-assignable
modprobe e1000e
sleep 1
# dom0's own driver for it before (in the lab's PVH dom0 e1000e's probe fails, -ENOENT, before any
# backend is loaded): remove -r gives the function back to that, or to none.
before=$(driver_of "$BDF")
echo "@@PVH-BEFORE driver=$before irq=$(cat "/sys/bus/pci/devices/$BDF/irq")"
[ -n "$before" ] || echo "@@PVH-E1000E $(dmesg | grep "e1000e $BDF" | tail -1)"
if ! modprobe xen-pciback; then
  result FAIL "modprobe xen-pciback failed: $(dmesg | grep -i pciback | tail -2 | tr '\n' ' ')"
else
  add=$(xl pci-assignable-add "$BDF" 2>&1; echo "rc=$?")
  listed=$(xl pci-assignable-list 2>&1)
  drv=$(driver_of "$BDF")
  dmesg | grep -iE "pciback|$BDF" | tail -8 | sed 's/^/@@PVH-DMESG /'
  remove=$(xl pci-assignable-remove -r "$BDF" 2>&1; echo "rc=$?")
  sleep 1
  back=$(driver_of "$BDF")
  warn=$(new_warnings)
  detail="dom0's driver before '$before'; add: [$(echo "$add" | tr '\n' ' ')] driver then '$drv'; list: [$(echo "$listed" | tr '\n' ' ')]; remove -r: [$(echo "$remove" | tr '\n' ' ')] driver after '$back'"
  if [ -n "$warn" ]; then
    result FAIL "dom0 warned: $(echo "$warn" | head -2 | tr '\n' ' '); $detail"
  elif [ "$drv" = pciback ] && echo "$listed" | grep -q "$BDF" && [ "$back" = "$before" ]; then
    result PASS "$detail"
  else
    result FAIL "$detail"
  fi
fi

scenario pvh-guest
# A PV guest given the function: Xen 4.20 refuses passthrough from a PVH dom0 (or something on the
# way does); recorded as it happens. PASS when the answer is a clean refusal or a working guest, dom0
# has not warned, and the function can be given back to dom0 after.
xl pci-assignable-add "$BDF" >/dev/null 2>&1
LOG=$(guest_log guest)
# start_guest's steps, with xl's answer kept for the verdict.
guest_cfg guest basic "$BDF"
guest_console guest
out=$(xl create /tmp/guest.cfg 2>&1)
echo "$out" | sed 's/^/[xl] /'
if wait_log "$LOG" "@@GUEST-DRIVER 0000:00:00.0 e1000e" 60 >/dev/null; then
  what="the guest was created and bound e1000e to the function"
elif xl list guest >/dev/null 2>&1; then
  what="the guest runs without the function: $(tail -3 "$LOG" | tr '\n' ' ')"
else
  what="refused: $(echo "$out" | grep -iE 'error|fail|refus|not supported' | head -3 | tr '\n' ' ')"
fi
xl destroy guest >/dev/null 2>&1
sleep 2
xl pci-assignable-remove -r "$BDF" >/dev/null 2>&1
sleep 1
warn=$(new_warnings)
# Linux 6.12's pciback disables the device with its fake INTx handler still on the line, and in a
# PVH dom0 that frees the IRQ under it; it also asks xen_pirq_from_irq() for the PIRQ of a native
# MSI-X vector, which BUGs (our backend removes its handler first and refuses MSI/MSI-X without
# PIRQs): LIMIT rows for it, with the message.
leak=$(dmesg | grep -oE "remove_proc_entry: removing non-empty directory 'irq/[0-9]+', leaking at least 'xen-pciback\[$BDF\]'|kernel BUG at drivers/xen/events/events_base.c:[0-9]+" | head -2 | tr '\n' ' ')
if [ -n "$warn" ] && [ -n "$leak" ] && in_tree_backend; then
  result LIMIT "$what; in-tree backend: $leak (a WARN in dom0)"
elif [ -n "$warn" ]; then
  result FAIL "$what; dom0 warned: $(echo "$warn" | head -2 | tr '\n' ' ')"
elif [ "$(driver_of "$BDF")" != "$before" ]; then
  result FAIL "$what; the function did not go back to '$before' (driver '$(driver_of "$BDF")')"
else
  result PASS "$what; dom0 healthy, the function back with '${before:-no driver}'"
fi
