# SPDX-License-Identifier: GPL-2.0-only
# Boot "resets": functions with and without a reset, as passthrough users meet them. QEMU's e1000e at
# 04.0 (root bus; PM without No_Soft_Reset: the kernel's pm), an nvme at 05.0 (FLR), pci-testdev at
# 06.0 (conventional PCI on the root bus, no PM: nothing at all), a two-function pci-testdev slot
# below the root port at 07.0 (the kernel resets neither function alone, though it lists its bus
# reset for the first, found before its sibling: pciback's secondary bus reset once both are bound
# to it) and an e1000e alone below the root port at 08.0. Scenarios: the method of each function
# against the kernel's reset_method and the rules, a PV guest's create/destroy through libxl's do_flr
# (no "doesn't support reset" for a function we can reset), do_flr's answers. For Linux's pciback
# the same steps show the baseline: no report, and libxl's fallback message.
NIC=0000:00:04.0
NVME=0000:00:05.0
TESTDEV=0000:00:06.0
D=/sys/bus/pci/drivers/pciback
child_of() {  # PORT FN: the function FN below the root port PORT
  (cd "/sys/bus/pci/devices/$1" 2>/dev/null && ls -d 0000:[0-9a-f][0-9a-f]:00."$2" 2>/dev/null | head -1)
}
MF0=$(child_of 0000:00:07.0 0)
MF1=$(child_of 0000:00:07.0 1)
ALONE=$(child_of 0000:00:08.0 0)
ALL="$NIC $NVME $TESTDEV $MF0 $MF1 $ALONE"
kernel_methods() { cat "/sys/bus/pci/devices/$1/reset_method" 2>/dev/null || echo "(none)"; }
method_of() { sed -n "s/^$1 method=\([a-z_]*\) .*/\1/p" $D/resets; }
# try FILE TEXT: writes TEXT to FILE, prints "ok" or the shell's error text.
try() { (echo "$2" > "$1") 2>&1 | sed -n 's/.*: \([A-Z][a-z ]*\)$/\1/p' | grep . || echo ok; }

scenario reset-methods
modprobe xen-pciback
bad=""
for b in $ALL; do xl pci-assignable-add "$b" || bad="$bad $b"; done
for b in $ALL; do echo "@@RESET-KERNEL $b $(kernel_methods "$b")"; done
dmesg | grep -E 'reset method|no reset' | sed 's/^/@@RESET-BIND /'
if [ -z "$MF0" ] || [ -z "$MF1" ] || [ -z "$ALONE" ]; then
  result FAIL "the functions below the root ports are missing: '$MF0' '$MF1' '$ALONE'"
elif [ -n "$bad" ]; then
  result FAIL "xl pci-assignable-add failed for$bad"
elif in_tree_backend; then
  result LIMIT "in-tree pciback has no per-function reset report; the kernel's reset_method: $(for b in $ALL; do printf '%s=%s ' "$b" "$(kernel_methods "$b" | tr ' ' ,)"; done)"
else
  sed 's/^/@@RESETS /' $D/resets
  errs=""
  for b in $ALL; do
    want=$(kernel_methods "$b" | cut -d' ' -f1)
    # the slot's functions: the kernel's bus reset (listed for .0) refuses a shared bus
    case $b in $MF0|$MF1) case $want in "(none)"|bus) want=secondary_bus ;; esac ;; esac
    [ "$want" = "(none)" ] && want=none
    got=$(method_of "$b")
    [ "$got" = "$want" ] || errs="$errs $b:$got(want:$want)"
  done
  grep -q "^$TESTDEV method=none .*| flr: not PCI Express; .*pm: no power management capability; .*secondary_bus: on a root bus" $D/resets ||
    errs="$errs testdev-reasons"
  if [ -n "$errs" ]; then
    result FAIL "method differs from the rules:$errs"
  else
    result PASS "$(for b in $ALL; do printf '%s=%s ' "$b" "$(method_of "$b")"; done)(the kernel's first reset_method, pciback's secondary bus reset for the two-function slot)"
  fi
fi

scenario reset-guest
# A PV guest with the slot, the e1000e below the other port and pci-testdev on the root bus (no
# method): libxl resets each before the create and after the destroy, through do_flr when the
# backend has it.
RGLOG=$(guest_log rg)
guest_cfg rg basic "$MF0 $MF1 $ALONE $TESTDEV"
guest_console rg
before=""
in_tree_backend || before=$(for b in $MF0 $MF1 $ALONE; do printf '%s ' "$(reset_count "$b")"; done)
created=$(xl create /tmp/rg.cfg 2>&1)
echo "$created" | sed 's/^/[xl] /'
if wait_log "$RGLOG" "@@GUEST-DRIVERS-DONE" 180; then
  bound=$(grep -c "@@GUEST-DRIVER " "$RGLOG" || true)
  destroyed=$(xl destroy rg 2>&1)
  echo "$destroyed" | sed 's/^/[xl] /'
  sleep 3
  nosup=$(printf '%s\n%s\n' "$created" "$destroyed" | grep "doesn't support reset" | grep -oE '[0-9a-f]{4}:[0-9a-f]{2}:[0-9a-f]{2}\.[0-7]' | sort -u | tr '\n' ' ')
  warn=$(dom0_warnings)
  if [ "$bound" -lt 4 ] || ! grep -q "@@GUEST-DRIVER .* e1000e" "$RGLOG"; then
    result FAIL "the guest lists $bound of 4 functions: $(grep '@@GUEST-DRIVER ' "$RGLOG" | tr '\n' ' ')"
  elif [ -n "$warn" ]; then
    result FAIL "dom0 warned: $(echo "$warn" | head -3 | tr '\n' ' ')"
  elif in_tree_backend; then
    result LIMIT "in-tree pciback: libxl logged \"doesn't support reset from sysfs\" for: ${nosup:-nothing}"
  else
    sed 's/^/@@RESETS /' $D/resets
    after=$(for b in $MF0 $MF1 $ALONE; do printf '%s ' "$(reset_count "$b")"; done)
    dead=$(grep -c DEAD $D/resets || true)
    case " $nosup " in
      *" $MF0 "*|*" $MF1 "*|*" $ALONE "*) result FAIL "libxl still says \"doesn't support reset\" for: $nosup" ;;
      *)
        if [ "$dead" -ne 0 ]; then
          result FAIL "a function did not come back: $(grep DEAD $D/resets | tr '\n' ' ')"
        elif [ "$after" = "$before" ]; then
          result FAIL "no reset counted for the guest's functions: before '$before', after '$after'"
        else
          result PASS "4 functions in the guest (e1000e bound); resets counted $before-> $after (do_flr and release); libxl's \"doesn't support reset\" only for: ${nosup:-nothing} (no method)"
        fi ;;
    esac
  fi
else
  xl destroy rg
  result FAIL "the guest did not list its drivers"
fi

scenario reset-do-flr
if in_tree_backend; then
  if [ -e $D/do_flr ]; then result FAIL "the in-tree driver has do_flr?"
  else result LIMIT "in-tree pciback has no do_flr (libxl falls back to /sys/bus/pci/devices/BDF/reset)"; fi
else
  errs=""
  c=$(reset_count "$MF0")
  [ "$(try $D/do_flr "$MF0")" = ok ] || errs="$errs mf0"
  [ "$(reset_count "$MF0")" = $((c + 1)) ] || errs="$errs mf0-count:$c->$(reset_count "$MF0")"
  c=$(reset_count "$ALONE")
  [ "$(try $D/do_flr "$ALONE")" = ok ] || errs="$errs alone"
  [ "$(reset_count "$ALONE")" = $((c + 1)) ] || errs="$errs alone-count"
  r=$(try $D/do_flr "$TESTDEV")
  case $r in Inappropriate*) ;; *) errs="$errs testdev:'$r'" ;; esac
  grep -q "^$TESTDEV .*last=none(do_flr,none)" $D/resets || errs="$errs testdev-last"
  c=$(reset_count "$NIC")
  [ "$(try $D/do_flr "$NIC")" = ok ] && [ "$(reset_count "$NIC")" = $((c + 1)) ] || errs="$errs nic-pm"
  [ "$(try $D/do_flr 0000:00:1f.3)" = "No such device" ] || errs="$errs unbound"
  [ "$(try $D/do_flr 0000:00:04.*)" = "Invalid argument" ] || errs="$errs wildcard"
  [ "$(try $D/do_flr garbage)" = "Invalid argument" ] || errs="$errs garbage"
  [ "$(driver_of "$MF0")" = pciback ] && [ -n "$(lspci -s "$MF0")" ] || errs="$errs mf0-gone"
  sed 's/^/@@RESETS /' $D/resets
  if [ -n "$errs" ]; then result FAIL "$errs"
  else result PASS "do_flr resets (counted), no method is 'Inappropriate ioctl for device', bad writes refused; the functions answer"; fi
fi
