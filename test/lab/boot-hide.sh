# SPDX-License-Identifier: GPL-2.0-only
# Boot "hide": dom0 booted with xen-pciback.hide=(0000:00:04.0). The backend must own the device from
# its first load, before any dom0 driver can probe it, and the device must be assignable.
BDF=0000:00:04.0

scenario boot-hide
if ! grep -q "xen-pciback.hide=($BDF)" /proc/cmdline; then
  result FAIL "the boot line lacks xen-pciback.hide"
else
  echo "@@HIDE-CMDLINE $(cat /proc/cmdline)"
  echo "@@HIDE-CONFIG $(modprobe -c 2>&1 | grep -iE 'pciback|error|fatal')"
  modprobe xen-pciback  # kmod's modprobe applies xen-pciback.* options from /proc/cmdline
  echo "@@HIDE-PARAM $(cat /sys/module/xen_pciback/parameters/hide 2>&1)"
  modprobe e1000e       # a dom0 driver that would gladly take the NIC
  sleep 1
  drv=$(basename "$(readlink "/sys/bus/pci/devices/$BDF/driver" 2>/dev/null)" 2>/dev/null)
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
