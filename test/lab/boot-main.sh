# SPDX-License-Identifier: GPL-2.0-only
# Boot "main": e1000e at 0000:00:04.0. Scenarios assign, config-view, interrupts, hotplug, guest-death.
BDF=0000:00:04.0
LOG=$(guest_log guest)

scenario assign
modprobe xen-pciback
if xl pci-assignable-add "$BDF" && xl pci-assignable-list | grep -q "$BDF"; then
  dump_hw "$BDF" before-guest
  pcisplit capture "$BDF" > /tmp/main-capture.lspci 2> /tmp/main-capture.err
  echo "@@DOM0-DRIVER $(driver_of "$BDF")"
  start_guest guest main "$BDF"
  if wait_log "$LOG" "@@GUEST-DRIVERS-DONE" 180 && grep -q "@@GUEST-DRIVER 0000:00:00.0 e1000e" "$LOG" &&
     grep -q "8086:10d3" "$LOG"; then
    result PASS "guest lists 8086:10d3 at 0000:00:00.0, e1000e bound"
  else
    result FAIL "device or driver missing in the guest"
  fi
else
  result FAIL "xl pci-assignable-add $BDF failed"
fi

scenario config-view
if grep -q "@@GUEST-CONFIG-END" "$LOG"; then
  result HOST "compare the guest's dump with dom0's"
else
  result FAIL "the guest printed no config dump"
fi

scenario interrupts
if wait_log "$LOG" "@@GUEST-IRQ-DONE" 90 && grep -q "@@GUEST-CAP.*MSI-X: Enable+" "$LOG" &&
   [ "$(last_number "$LOG" "@@GUEST-IRQCOUNT ")" -gt 0 ] 2>/dev/null; then
  result PASS "MSI-X enabled, $(last_number "$LOG" "@@GUEST-IRQCOUNT ") eth0 interrupts"
else
  result FAIL "$(grep -E '@@GUEST-CAP|@@GUEST-IRQCOUNT' "$LOG" | tr '\n' ' ')"
fi

scenario status
# pcisplit status (issue 16) with the guest attached, against xl pci-list and what the guest sees.
domid=$(xl domid guest)
rc=0; st=$(pcisplit status "$BDF" 2> /tmp/status.err) || rc=$?
echo "$st" | sed 's/^/@@STATUS /'
pirqs=""
listed=$(xl pci-list guest 2>/dev/null | grep -oE '[0-9a-f]{4}:[0-9a-f]{2}:[0-9a-f]{2}\.[0-7]' | tr '\n' ' ')
gaddr=$(tr -d '\r' < "$LOG" | sed -n 's/.*@@GUEST-DRIVER \(0000:[0-9a-f:.]*\) e1000e.*/\1/p' | tail -1)
bad=""
{ [ "$rc" -eq 0 ] && [ ! -s /tmp/status.err ]; } || bad="$bad rc=$rc stderr=[$(tr '\n' ' ' < /tmp/status.err)]"
case " $listed " in *" $BDF "*) ;; *) bad="$bad xl-pci-list=[$listed]" ;; esac
echo "$st" | grep -qF "  owner:      domain $domid \"guest\", guest address $gaddr (dev-0" || bad="$bad owner(want domain $domid at $gaddr)"
echo "$st" | grep -qE '^  interrupts: MSI-X, [0-9]+ vectors? \(dom0 IRQs? ' || bad="$bad interrupts"
if in_tree_backend; then
  echo "$st" | grep -q "^pciback: Linux's in-tree xen-pciback" || bad="$bad heading"
  echo "$st" | grep -qxF '  denials:    not available (in-tree pciback)' || bad="$bad denials"
else
  echo "$st" | grep -qxF "pciback: xen-pcisplit's xen-pciback $(cat /sys/module/xen_pciback/version)" || bad="$bad heading"
  echo "$st" | grep -qE '^  denials:    [0-9]+ refused guest writes' || bad="$bad denials"
  echo "$st" | grep -q '^  reset:      method ' || bad="$bad reset"
  # The guest's MSI-X PIRQs, as Xen's 'i' debug key lists them for its domain ("dD:  P(...)").
  pirqs=$(echo "$st" | sed -n "s/.*the guest's MSI-X PIRQs\{0,1\} \([0-9 ]*\)\( and .*\)\{0,1\}$/\1/p")
  xl debug-keys i && xl dmesg > /tmp/xen-irqs.txt
  [ -n "$pirqs" ] || bad="$bad pirqs(none listed)"
  for p in $pirqs; do
    grep -qE "d$domid: *$p\(" /tmp/xen-irqs.txt || bad="$bad pirq-$p(not in Xen's 'i' for d$domid)"
  done
  echo "@@PIRQS status [$pirqs] Xen [$(grep -oE "d$domid: *[0-9]+\(" /tmp/xen-irqs.txt | sort -u | tr '\n' ' ')]"
fi
if [ -z "$bad" ]; then result PASS "pcisplit status: domain $domid \"guest\" at $gaddr as xl pci-list and the guest say; MSI-X${pirqs:+, PIRQs $pirqs as Xen lists them}"
else result FAIL "pcisplit status:$bad"; fi

scenario capture
# pcisplit capture (taken before the guest started) reads back into view with sizes and IRQ; with our
# backend, the engine's view of it is what the guest read (BARs, subsystem, ROM, interrupt line).
if [ -s /tmp/main-capture.lspci ] && [ ! -s /tmp/main-capture.err ] &&
   pcisplit view /tmp/main-capture.lspci > /tmp/main-view.txt 2>&1 &&
   grep -q "BAR/ROM sizes: from the \"# resource\" lines; dom0's IRQ: $(cat "/sys/bus/pci/devices/$BDF/irq") from" /tmp/main-view.txt &&
   ! grep -q NOTE /tmp/main-view.txt; then
  bad=""
  if ! in_tree_backend; then
    want=$(pcisplit guest-dump /tmp/main-capture.lspci | grep -E '^(10|20|30): ')
    got=$(tr -d '\r' < "$LOG" | sed -n '/@@GUEST-CONFIG-BEGIN/,/@@GUEST-CONFIG-END/p' | grep -E '^(10|20|30): ')
    [ "$want" = "$got" ] || bad="guest-dump rows 10-30 [$want] != the guest's [$got]"
  fi
  if [ -z "$bad" ]; then result PASS "pcisplit capture: read back by view with sizes and IRQ, no note"
  else result FAIL "pcisplit capture: $bad"; fi
else
  result FAIL "pcisplit capture: $(head -c 300 /tmp/main-capture.err) $(grep -E 'sizes|NOTE' /tmp/main-view.txt 2>/dev/null | head -3 | tr '\n' ' ')"
fi

scenario hotplug
from=$(lines "$LOG")
if xl pci-detach guest "$BDF" && wait_log "$LOG" "@@GUEST-DEVS none" 90 "$from"; then
  from=$(lines "$LOG")
  if xl pci-attach guest "$BDF" && wait_log "$LOG" "@@GUEST-DEVS 0000:00:00.0:e1000e" 90 "$from"; then
    result PASS "detached (guest saw none), attached again (e1000e rebound)"
  else
    diag "$(xl domid guest)"
    result FAIL "re-attach: device or driver did not come back"
  fi
else
  diag "$(xl domid guest)"
  result FAIL "detach: the device did not disappear from the guest"
fi

scenario guest-death
xl destroy guest
LOOPLOG=$(guest_log loop)
start_guest loop loop "$BDF"
if wait_log "$LOOPLOG" "@@GUEST-LOOPING" 180; then
  sleep 5
  xl destroy loop
  sleep 2
  warn=$(dom0_warnings)
  if [ -n "$warn" ]; then
    result FAIL "dom0 warned: $(echo "$warn" | head -3 | tr '\n' ' ')"
  elif ! xl pci-assignable-list | grep -q "$BDF"; then
    result FAIL "device not assignable after the guest died"
  else
    AGAINLOG=$(guest_log again)
    start_guest again basic "$BDF"
    if wait_log "$AGAINLOG" "@@GUEST-DRIVER 0000:00:00.0 e1000e" 180; then
      result PASS "destroyed while reading config: no dom0 warning, assigned again and e1000e bound"
    else
      result FAIL "re-assignment after the guest's death did not work"
    fi
    xl destroy again
  fi
else
  result FAIL "the looping guest did not start"
fi

scenario interrupts-nvme
NVME=0000:00:05.0
NVMELOG=$(guest_log nvme)
if xl pci-assignable-add "$NVME"; then
  start_guest nvme nvme "$NVME"
  if wait_log "$NVMELOG" "@@GUEST-NVME-DONE" 180; then
    msix=$(grep -c "@@GUEST-CAP.*MSI-X: Enable+" "$NVMELOG" || true)
    irqs=$(last_number "$NVMELOG" "@@GUEST-NVME-MSIX-IRQS ")
    if [ "$msix" -ge 1 ] && [ "${irqs:-0}" -gt 0 ]; then
      result PASS "nvme: MSI-X enabled, $irqs MSI-X interrupts"
    elif in_tree_backend && grep -qE "enable msix get err|enable MSI-X failed" "$NVMELOG"; then
      result LIMIT "in-tree backend: nvme's second MSI-X enable fails ($(grep -oE 'enable msix get err [0-9a-f]*|enable MSI-X failed \([-0-9]*\)' "$NVMELOG" | head -1)), it falls back to INTx"
    else
      result FAIL "nvme: MSI-X enabled=$msix, MSI-X interrupts=${irqs:-0}"
    fi
  else
    result FAIL "the nvme guest did not finish"
  fi
  xl destroy nvme
else
  result FAIL "xl pci-assignable-add $NVME failed"
fi

scenario passthrough
# passthrough=1: the guest sees the function at dom0's address (root bus 0000:00 from root-0), not at
# a virtual slot. The module is reloaded with the option; the devices leave pciback through xl first.
xl pci-assignable-remove "$BDF"
xl pci-assignable-remove "$NVME"
if ! modprobe -r xen-pciback; then
  result FAIL "modprobe -r xen-pciback: $(lsmod | grep -i pciback)"
elif ! modprobe xen-pciback passthrough=1 || [ "$(cat /sys/module/xen_pciback/parameters/passthrough)" != Y ]; then
  result FAIL "reload with passthrough=1: parameter reads '$(cat /sys/module/xen_pciback/parameters/passthrough 2>&1)'"
elif ! xl pci-assignable-add "$BDF"; then
  result FAIL "xl pci-assignable-add $BDF after the reload failed"
else
  PTLOG=$(guest_log pt)
  start_guest pt basic "$BDF"
  if wait_log "$PTLOG" "@@GUEST-DRIVER $BDF e1000e" 180; then
    result PASS "the guest sees $BDF (dom0's address) with e1000e bound; backend root-0=$(xenstore-read "/local/domain/0/backend/pci/$(xl domid pt)/0/root-0" 2>&1)"
  else
    diag "$(xl domid pt)"
    result FAIL "the guest did not see $BDF with e1000e: $(grep '@@GUEST-DRIVER ' "$PTLOG" | tr '\n' ' ')"
  fi
  xl destroy pt
fi
