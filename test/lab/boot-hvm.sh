# SPDX-License-Identifier: GPL-2.0-only
# Boot "hvm": an HVM guest given dom0's functions (e1000e at 04.0, nvme at 05.0). QEMU runs in dom0 as
# the guest's device model and passes the functions through itself (xen_pt: config space through
# sysfs, BARs and interrupts mapped by Xen); no PCI frontend takes part, whatever the pair. The
# backend only holds the functions for xl, and libxl 4.17 still writes a pci backend directory for
# the guest that no frontend will ever answer: the scenarios look at what each backend does with it,
# with hot-plug and with the guest's destruction, and that the guest's drivers and interrupts work.
# Xen cannot emulate RDTSCP under QEMU's TCG (SVM): without tsc_mode="native" and RDTSCP hidden from
# the guest's CPUID, the guest reboots in a loop at its first RDTSCP.
E1000E=0000:00:04.0
NVME=0000:00:05.0
# Xen's pCPUs: the guest gets pCPU 1 to itself in a pinned boot (lab_pin=1) when there is one.
NR_CPUS=$(xl info 2>/dev/null | sed -n 's/^nr_cpus *: *//p')
echo "@@HVM-PCPUS ${NR_CPUS:=1}"

# dom0's warnings counted from here on (anything before is not this boot's doing).
boot_warnings=$(dom0_warnings | wc -l)
dom0_warnings | sed 's/^/@@HVM-BOOT-WARNING /' | head -4
new_warnings() { dom0_warnings | tail -n "+$((boot_warnings + 1))"; }
# Backend messages in dom0's log after line $1 of dmesg, without their timestamps.
backend_msgs() { dmesg | tail -n "+$(($1 + 1))" | grep -iE 'pciback|pcisplit' | sed 's/^\[[^]]*\] //'; }
# The most repeated of them, "COUNT message" (a backend that loops on the directory nobody answers).
most_repeated() { backend_msgs "$1" | sort | uniq -c | sort -rn | head -1 | sed 's/^ *//'; }

# hvm_cfg NAME BDFS: an HVM guest booting the lab's guest kernel and initramfs directly (QEMU's
# linuxboot ROM), console on its serial port, written by QEMU to the file guest_log reads.
hvm_cfg() {
  local pcis="" b
  for b in $2; do pcis="$pcis${pcis:+, }'$b'"; done
  cat > "/tmp/$1.cfg" <<CFG
name = "$1"
type = "hvm"
kernel = "/lab/domu/vmlinuz"
ramdisk = "/lab/domu/initrd.gz"
cmdline = "console=ttyS0 loglevel=4 edd=off lab_mode=hvm"
memory = 320
vcpus = 1
$(lab_pinned && [ "$NR_CPUS" -gt 1 ] && echo 'cpus = "1"')
vga = "none"
nographic = 1
vnc = 0
serial = "file:$(guest_log "$1")"
tsc_mode = "native"
cpuid = "host,rdtscp=0"
pci = [ $pcis ]
on_reboot = "destroy"
on_crash = "destroy"
CFG
}

# hvm_console NAME: guest_console with dom0's uptime on every line, also kept in LOG.t (where the
# guest's time goes: since reads it).
hvm_console() {
  local log
  log=$(guest_log "$1")
  : > "$log"
  : > "$log.t"
  (tail -F "$log" 2>/dev/null | while IFS= read -r line; do
     read -r up _ < /proc/uptime
     echo "[$1 $up] $line"
     echo "$up $line" >> "$log.t"
   done) &
}

# create_hvm NAME BDFS: xl's answer (verbose) goes to /var/log/xen, printed at the end of the boot;
# its errors now. Returns xl's status.
create_hvm() {
  hvm_cfg "$1" "$2"
  hvm_console "$1"
  xl -vvv create "/tmp/$1.cfg" > "/var/log/xen/xl-create-$1.log" 2>&1
  local rc=$?
  grep -E 'error|rror:|Parsing|warning' "/var/log/xen/xl-create-$1.log" | head -20 | sed "s/^/[xl $1] /"
  return $rc
}

# The guest's lines arrive in dom0's file a character at a time (its serial port): a report counts
# once its closing " @@" is there.
SET_LINE='@@GUEST-SET .* @@'
IRQ_LINE='@@GUEST-IRQS .* @@'
# wait_long LOG PATTERN SECONDS [FROM]: wait_log for the guest's long silences (its kernel boots for
# minutes without a line): dom0 says every minute that it is still waiting, so the lab's check for a
# machine gone silent never mistakes this for a hang.
wait_long() {
  local t=0
  while [ "$t" -lt "$3" ]; do
    tail -n "+$((${4:-0} + 1))" "$1" 2>/dev/null | grep -q -- "$2" && return 0
    sleep 1
    t=$((t + 1))
    [ $((t % 60)) -eq 0 ] && echo "@@HVM-WAITING $t s for '$2'"
  done
  echo "@@TIMEOUT waiting for '$2' in $1"
  return 1
}
# wait_set LOG ID SECONDS [FROM]: 0 once the guest reports a set with ID bound (after line FROM).
wait_set() { wait_long "$1" "@@GUEST-SET .*$2.* @@" "$3" "${4:-0}"; }
# last_set LOG [FROM]: the guest's last complete set (after line FROM).
last_set() { tail -n "+$((${2:-0} + 1))" "$1" | tr -d '\r' | sed -n 's/.*@@GUEST-SET \(.*\) @@.*/\1/p' | tail -1; }
first_set() { tr -d '\r' < "$1" | sed -n 's/.*@@GUEST-SET \(.*\) @@.*/\1/p' | head -1; }
# since LOG T0 PATTERN: seconds from T0 (dom0's uptime) to the guest's first line matching PATTERN.
since() { grep -- "$3" "$1.t" | head -1 | awk -v t="$2" '{printf "%d", $1 - t}'; }

# wait_gone LOG ID SECONDS FROM: 0 once the guest reports a set without ID after line FROM.
wait_gone() {
  local i=0
  while [ "$i" -lt "$(($3 * 2))" ]; do
    tail -n "+$(($4 + 1))" "$1" | grep "$SET_LINE" | grep -qv "$2" && return 0
    sleep 0.5
    i=$((i + 1))
  done
  echo "@@TIMEOUT waiting for a set without $2 in $1"
  return 1
}

# irqs_of LOG ID [FROM]: ID's interrupt count in the guest's last report (after line FROM).
irqs_of() {
  tail -n "+$((${3:-0} + 1))" "$1" | tr -d '\r' | grep "$IRQ_LINE" | tail -1 | sed -n "s/.* $2=\([0-9]*\).*/\1/p"
}

# irq_reports LOG FROM: how many interrupt reports came after line FROM.
irq_reports() { tail -n "+$(($2 + 1))" "$1" | grep -c "$IRQ_LINE" || true; }

# wait_irq_reports LOG N SECONDS FROM: N reports after line FROM.
wait_irq_reports() {
  local i=0
  while [ "$i" -lt "$3" ]; do
    [ "$(irq_reports "$1" "$4")" -ge "$2" ] && return 0
    sleep 1
    i=$((i + 1))
  done
  return 1
}

# guest_bdf LOG DRIVER: where the guest has the function DRIVER drives (its first @@GUEST-DRIVER line).
guest_bdf() { tr -d '\r' < "$1" | sed -n "s/.*@@GUEST-DRIVER \([0-9a-f:.]*\) $2\$/\1/p" | head -1; }

# pair_sysfs: pciback's driver attributes that say who holds what (Linux's and ours have slots and
# irq_handlers; denials is ours only).
pair_sysfs() {
  local a
  for a in slots irq_handlers denials; do
    [ -e "/sys/bus/pci/drivers/pciback/$a" ] || continue
    echo "@@HVM-SYSFS $a: $(tr '\n' ' ' < "/sys/bus/pci/drivers/pciback/$a")"
  done
}

GUEST=hvm
LOG=$(guest_log "$GUEST")
devs=""
nvme_note=""

scenario hvm-create
modprobe xen-pciback
create_t0=0
if ! xl pci-assignable-add "$E1000E"; then
  result FAIL "xl pci-assignable-add $E1000E failed"
else
  devs=$E1000E
  if xl pci-assignable-add "$NVME"; then
    devs="$E1000E $NVME"
  else
    nvme_note="xl pci-assignable-add $NVME failed"
  fi
  dmesg_create=$(dmesg | wc -l)
  resets_before=$(reset_count "$E1000E")
  create_t0=$(date +%s)
  read -r up0 _ < /proc/uptime
  created=0
  if create_hvm "$GUEST" "$devs"; then
    created=1
  elif [ "$devs" != "$E1000E" ]; then
    # The nvme may be what QEMU or Xen refuses: the e1000e alone, so the other scenarios still run.
    nvme_note="xl create with both functions failed: $(grep -E 'rror' "/var/log/xen/xl-create-$GUEST.log" | head -3 | tr '\n' ' ')"
    xl destroy "$GUEST" >/dev/null 2>&1
    sleep 2
    GUEST=hvm-e1000e
    LOG=$(guest_log "$GUEST")
    devs=$E1000E
    create_t0=$(date +%s)
    read -r up0 _ < /proc/uptime
    create_hvm "$GUEST" "$devs" && created=1
  fi
  if [ $created -eq 0 ]; then
    result FAIL "xl create of the HVM guest failed: $(grep -E 'rror' "/var/log/xen/xl-create-$GUEST.log" | head -3 | tr '\n' ' ')"
  elif ! wait_long "$LOG" "@@GUEST-DRIVERS-DONE" 720; then
    result FAIL "the guest did not list its drivers within 720 s of xl create: $(tr -d '\r' < "$LOG" | tail -5 | tr '\n' ' ' | cut -c1-300)"
  else
    secs=$(($(date +%s) - create_t0))  # xl create to the guest's drivers bound
    if ! wait_log "$LOG" "$SET_LINE" 60; then
      result FAIL "the guest listed its drivers but reported no set: $(tr -d '\r' < "$LOG" | grep '@@GUEST-DRIVER ' | tr '\n' ' ' | cut -c1-300)"
    elif ! first_set "$LOG" | grep -q "8086:10d3=e1000e"; then
      result FAIL "e1000e not bound in the guest: $(tr -d '\r' < "$LOG" | grep -E '@@GUEST-(DRIVER|SET) ' | tr '\n' ' ' | cut -c1-300)"
    else
      sleep 1  # the console copier's stamped file lags the guest's log a little
      phases="SeaBIOS at $(since "$LOG" "$up0" 'SeaBIOS') s, the kernel's init at $(since "$LOG" "$up0" '@@GUEST-UP') s"
      result PASS "e1000e bound at the guest's $(guest_bdf "$LOG" e1000e) $secs s after xl create ($phases); the guest's set: $(first_set "$LOG")"
    fi
  fi
fi

scenario hvm-nvme
# The nvme in the same guest; nothing else depends on it.
if [ -z "$devs" ] || ! grep -q '@@GUEST-DRIVERS-DONE' "$LOG"; then
  result FAIL "no guest to look in"
elif [ "$devs" = "$E1000E" ]; then
  result LIMIT "the nvme could not be given to an HVM guest here: $nvme_note"
else
  wait_irq_reports "$LOG" 1 30 0
  n=$(irqs_of "$LOG" nvme)
  cap=$(tr -d '\r' < "$LOG" | grep "@@GUEST-CAP $(guest_bdf "$LOG" nvme) .*MSI-X" | sed 's/.*MSI-X: //' | head -1)
  if first_set "$LOG" | grep -q '1b36:0010=nvme' && [ "${n:-0}" -gt 0 ]; then
    result PASS "nvme bound at the guest's $(guest_bdf "$LOG" nvme), $n interrupts, MSI-X: ${cap:-?}"
  else
    # Whatever the guest, QEMU and xl said about it: evidence for a limitation or a failure.
    ev="guest: $(tr -d '\r' < "$LOG" | grep -iE 'nvme' | grep -v '@@GUEST-IRQS' | head -4 | tr '\n' ' ' | cut -c1-300); qemu: $(grep -iE 'nvme|xen_pt|05\.0' "/var/log/xen/qemu-dm-$GUEST.log" 2>/dev/null | head -4 | tr '\n' ' ' | cut -c1-300)"
    result LIMIT "the nvme passed to the HVM guest did not work (set: $(first_set "$LOG"), interrupts ${n:-none}): $ev"
  fi
fi

scenario hvm-irqs
# e1000e's watchdog raises an interrupt every 2 s while its interface is up: two of the guest's
# reports (one every 10 of its seconds, 20-25 s of dom0's with two pCPUs) must differ.
if ! first_set "$LOG" | grep -q '8086:10d3=e1000e'; then
  result FAIL "no e1000e in the guest"
else
  wait_irq_reports "$LOG" 1 60 0
  from=$(lines "$LOG")
  a=$(irqs_of "$LOG" 8086:10d3)
  ta=$(date +%s)
  wait_irq_reports "$LOG" 2 120 "$from"
  b=$(irqs_of "$LOG" 8086:10d3)
  tb=$(date +%s)
  bdf=$(guest_bdf "$LOG" e1000e)
  cap=$(tr -d '\r' < "$LOG" | grep "@@GUEST-CAP $bdf .*MSI-X" | sed 's/.*MSI-X: //' | head -1)
  chip=$(tr -d '\r' < "$LOG" | grep -E '^ *[0-9]+: .*eth0' | head -1 | sed 's/  */ /g')
  if [ "${a:-0}" -gt 0 ] && [ "${b:-0}" -gt "${a:-0}" ]; then
    result PASS "e1000e's interrupts $a -> $b in $((tb - ta)) s; MSI-X: ${cap:-?}; /proc/interrupts: ${chip:-?}"
  else
    result FAIL "e1000e's interrupts did not count: ${a:-none} -> ${b:-none} in $((tb - ta)) s; MSI-X: ${cap:-?}; /proc/interrupts: ${chip:-?}"
  fi
fi

scenario hvm-backend
# dom0's side while the guest runs: the backend directory libxl wrote, which no frontend answers.
domid=$(xl domid "$GUEST" 2>/dev/null)
if [ -z "$domid" ]; then
  result FAIL "no guest"
else
  be=/local/domain/0/backend/pci/$domid/0
  xenstore-ls -f "/local/domain/0/backend/pci/$domid" 2>&1 | sed 's/^/@@HVM-XS /'
  xenstore-ls -f "/local/domain/$domid/device/pci" 2>&1 | sed 's/^/@@HVM-XS-FE /'
  pair_sysfs
  backend_msgs "$dmesg_create" | sed 's/^/@@HVM-BE-MSG /'
  state=$(xenstore-read "$be/state" 2>/dev/null)
  fe_state=$(xenstore-read "/local/domain/$domid/device/pci/0/state" 2>/dev/null)
  dev0=$(xenstore-read "$be/dev-0" 2>/dev/null)
  rep=$(most_repeated "$dmesg_create")
  warn=$(new_warnings)
  drivers=""
  not_held=""
  for b in $devs; do
    drivers="$drivers $b:$(driver_of "$b")"
    [ "$(driver_of "$b")" = pciback ] || not_held="$not_held $b"
  done
  sysfs=$(pair_sysfs | sed 's/^@@HVM-SYSFS //' | tr '\n' ';')
  detail="backend state=${state:-none}, frontend state=${fe_state:-none}, dev-0=${dev0:-none}; dom0 drivers:$drivers; $sysfs most repeated backend message: ${rep:-none}"
  if [ -n "$warn" ]; then
    result FAIL "dom0 warned: $(echo "$warn" | head -2 | tr '\n' ' '); $detail"
  elif [ "${rep%% *}" -gt 3 ] 2>/dev/null; then
    result FAIL "a backend message repeats: $detail"
  elif [ "$state" != 2 ] && [ "$state" != 3 ]; then
    result FAIL "the backend is not waiting for a frontend (InitWait 2 or Initialised 3): $detail"
  elif [ "$dev0" != "$E1000E" ] || [ -n "$not_held" ]; then
    result FAIL "the directory or the bindings are not what xl asked for: $detail"
  else
    result PASS "$detail"
  fi
fi

# The hvmcheck boot (make check's HVM cell, HVM_QUICK) skips the hot-plug and the second guest.
if [ -z "${HVM_QUICK:-}" ]; then
scenario hvm-detach
detach_t=0
if [ -z "$domid" ]; then
  result FAIL "no guest"
else
  from=$(lines "$LOG")
  dmesg_step=$(dmesg | wc -l)
  t=$(date +%s)
  out=$(xl pci-detach "$GUEST" "$E1000E" 2>&1)
  rc=$?
  detach_t=$(date +%s)
  [ -z "$out" ] || echo "$out" | sed "s/^/[xl] /"
  secs=$((detach_t - t))
  if wait_gone "$LOG" 8086:10d3 120 "$from"; then gone=yes; else gone=no; fi
  listed=$(xl pci-list "$GUEST" 2>&1 | tr '\n' ' ')
  xenstore-ls -f "/local/domain/0/backend/pci/$domid" 2>&1 | sed 's/^/@@HVM-XS /'
  backend_msgs "$dmesg_step" | sed 's/^/@@HVM-BE-MSG /'
  pair_sysfs
  detail="xl pci-detach rc=$rc in $secs s; the guest's set after: $(last_set "$LOG" "$from"); xl pci-list: $listed; dom0 driver $(driver_of "$E1000E"); backend state $(xenstore-read "/local/domain/0/backend/pci/$domid/0/state" 2>/dev/null || echo gone)"
  warn=$(new_warnings)
  if [ -n "$warn" ]; then
    result FAIL "dom0 warned: $(echo "$warn" | head -2 | tr '\n' ' '); $detail"
  elif [ $rc -eq 0 ] && [ $gone = yes ] && ! echo "$listed" | grep -q "${E1000E#0000:}"; then
    result PASS "$detail"
  else
    result FAIL "the guest did not lose the function (gone=$gone): $detail"
  fi
fi

scenario hvm-attach
if [ -z "$domid" ]; then
  result FAIL "no guest"
else
  from=$(lines "$LOG")
  dmesg_step=$(dmesg | wc -l)
  t=$(date +%s)
  out=$(xl pci-attach "$GUEST" "$E1000E" 2>&1)
  rc=$?
  [ -z "$out" ] || echo "$out" | sed "s/^/[xl] /"
  if [ $rc -ne 0 ]; then
    result FAIL "xl pci-attach failed (rc=$rc): $(echo "$out" | tail -3 | tr '\n' ' ')"
  elif ! wait_set "$LOG" 8086:10d3=e1000e 180 "$from"; then
    result FAIL "e1000e did not come back in the guest within 180 s: $(last_set "$LOG" "$from")"
  else
    secs=$(($(date +%s) - t))
    # Interrupts again, and still a minute after the detach: our backend takes back a function the
    # frontend has not let go of 60 s after libxl asked, and an HVM guest has no frontend to ask.
    settle=$((detach_t + 70 - $(date +%s)))
    [ "$settle" -gt 0 ] && sleep "$settle"
    from2=$(lines "$LOG")
    wait_irq_reports "$LOG" 1 60 "$from2"
    a=$(irqs_of "$LOG" 8086:10d3 "$from2")
    wait_irq_reports "$LOG" 3 120 "$from2"
    b=$(irqs_of "$LOG" 8086:10d3 "$from2")
    xenstore-ls -f "/local/domain/0/backend/pci/$domid" 2>&1 | sed 's/^/@@HVM-XS /'
    backend_msgs "$dmesg_step" | sed 's/^/@@HVM-BE-MSG /'
    pair_sysfs
    warn=$(new_warnings)
    detail="e1000e bound again in the guest $secs s after xl pci-attach; $(($(date +%s) - detach_t)) s after the detach its interrupts ${a:-none} -> ${b:-none}; backend state $(xenstore-read "/local/domain/0/backend/pci/$domid/0/state" 2>/dev/null || echo gone)"
    if [ -n "$warn" ]; then
      result FAIL "dom0 warned: $(echo "$warn" | head -2 | tr '\n' ' '); $detail"
    elif [ "${b:-0}" -gt "${a:-0}" ]; then
      result PASS "$detail"
    else
      result FAIL "no interrupts after the re-attach: $detail"
    fi
  fi
fi

fi  # HVM_QUICK

scenario hvm-destroy
if [ -z "$domid" ]; then
  result FAIL "no guest"
else
  dmesg_step=$(dmesg | wc -l)
  xl -vvv destroy "$GUEST" > "/var/log/xen/xl-destroy-$GUEST.log" 2>&1
  grep -E 'rror|reset|flr' "/var/log/xen/xl-destroy-$GUEST.log" | head -20 | sed 's/^/[xl] /'
  # Our backend gives the functions back when libxl removes the directory (or the guest's home).
  i=0
  while [ $i -lt 30 ]; do
    xl pci-assignable-list 2>/dev/null | grep -q "$E1000E" && break
    sleep 1
    i=$((i + 1))
  done
  sleep 3
  assignable=$(xl pci-assignable-list 2>&1 | tr '\n' ' ')
  xenstore-ls -f "/local/domain/0/backend/pci/$domid" 2>&1 | sed 's/^/@@HVM-XS-AFTER /'
  left=$(xenstore-ls "/local/domain/0/backend/pci/$domid" >/dev/null 2>&1 && echo "left behind" || echo removed)
  backend_msgs "$dmesg_step" | sed 's/^/@@HVM-BE-MSG /'
  pair_sysfs
  warn=$(new_warnings)
  missing=""
  for b in $devs; do
    echo "$assignable" | grep -q "$b" || missing="$missing $b"
    [ "$(driver_of "$b")" = pciback ] || missing="$missing $b(driver $(driver_of "$b"))"
  done
  detail="assignable: $assignable; the guest's backend directory $left"
  # Resets (issue 13): libxl resets each function through pciback's do_flr at create and destroy,
  # and logs "The kernel doesn't support reset from sysfs" where pciback has no do_flr (Linux's).
  nosupport=$(cat "/var/log/xen/xl-create-$GUEST.log" "/var/log/xen/xl-destroy-$GUEST.log" |
              grep -c "doesn't support reset")
  if in_tree_backend; then
    detail="$detail; libxl: \"doesn't support reset\" $nosupport times (Linux's pciback has no do_flr)"
  else
    resets_after=$(reset_count "$E1000E")
    echo "@@HVM-RESETS $(grep "^$E1000E " /sys/bus/pci/drivers/pciback/resets)"
    if [ "$nosupport" -ne 0 ] || [ -z "$resets_before" ] || [ -z "$resets_after" ] ||
       [ "$resets_after" -lt $((resets_before + 2)) ]; then
      missing="$missing resets(e1000e $resets_before -> $resets_after, libxl's \"doesn't support reset\" $nosupport)"
    else
      detail="$detail; e1000e reset $((resets_after - resets_before)) times by the guest's create and destroy (libxl's do_flr and the release), no \"doesn't support reset\""
    fi
  fi
  if [ -n "$warn" ]; then
    result FAIL "dom0 warned: $(echo "$warn" | head -2 | tr '\n' ' '); $detail"
  elif [ -n "$missing" ]; then
    result FAIL "not assignable again:$missing; $detail"
  else
    result PASS "$detail"
  fi
fi

if [ -z "${HVM_QUICK:-}" ]; then
scenario hvm-reassign
# The e1000e alone to a second HVM guest, after the first one's destruction: its driver must bind.
# (A guest without a kernel, booting the function's own iPXE ROM, would be quicker, but without
# QEMU's direct kernel boot there is no fw_cfg, so SeaBIOS does not mirror its screen to the serial
# port and nothing of iPXE's output can be read.)
LOG2=$(guest_log hvm2)
dmesg_step=$(dmesg | wc -l)
t=$(date +%s)
read -r up0 _ < /proc/uptime
if ! create_hvm hvm2 "$E1000E"; then
  result FAIL "xl create of the second HVM guest failed: $(grep -E 'rror' /var/log/xen/xl-create-hvm2.log | head -3 | tr '\n' ' ')"
elif ! wait_set "$LOG2" 8086:10d3=e1000e 720; then
  result FAIL "e1000e not bound in the second guest within 720 s: $(tr -d '\r' < "$LOG2" | grep -E '@@GUEST-(DRIVER|SET) ' | tr '\n' ' ' | cut -c1-300)"
  xl destroy hvm2 >/dev/null 2>&1
else
  secs=$(($(date +%s) - t))
  sleep 1
  phases="the kernel's init at $(since "$LOG2" "$up0" '@@GUEST-UP') s"
  xl destroy hvm2 2>&1 | sed 's/^/[xl] /'
  sleep 5
  backend_msgs "$dmesg_step" | sed 's/^/@@HVM-BE-MSG /'
  warn=$(new_warnings)
  if [ -n "$warn" ]; then
    result FAIL "dom0 warned: $(echo "$warn" | head -2 | tr '\n' ' ')"
  elif ! xl pci-assignable-list | grep -q "$E1000E"; then
    result FAIL "e1000e bound in the second guest ($secs s), but not assignable after its destroy"
  else
    result PASS "e1000e bound in a second HVM guest $secs s after xl create ($phases); assignable again after its destroy"
  fi
fi
fi  # HVM_QUICK

# libxl's and QEMU's logs for every guest of the boot (xl's verbose create, the device model's
# output), so that a failure can be read from the boot's log alone.
for f in /var/log/xen/*.log; do
  [ -e "$f" ] || continue
  echo "@@XENLOG-BEGIN $f ($(wc -l < "$f") lines)"
  tail -n 400 "$f" | sed "s|^|@@XENLOG $(basename "$f") |"
  echo "@@XENLOG-END $f"
done
