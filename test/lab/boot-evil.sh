# SPDX-License-Identifier: GPL-2.0-only
# Boot "evil" (make lab BOOTS=evil; docs/lab.md): a PV guest whose PCI frontend is test/evil's
# pcisplit-evil -- no frontend module, the program speaks pciif itself over xenstore, a granted page and
# an event channel, and breaks it on purpose -- against this pair's backend (the pair's frontend does not
# matter to it), next to a normal "witness" guest with a second e1000e.
#
# Each scenario runs one pcisplit-evil command in the evil guest (dom0 writes "SEQ COMMAND ARGS" to the
# guest's data/evil-cmd; the program prints its checks and @@EVIL-DONE SEQ), then checks:
#   - the program's own verdict: every answer it must get (refusals of what is out of bounds, ...);
#   - dom0's kernel log since the scenario began: no WARNING/BUG/Oops/Call Trace/hung task/soft lockup;
#   - dom0's config of the evil guest's device (lspci -xxxx) against the dump taken before the guest
#     existed: bytes may differ only where the guest may write, directly or through the interrupt ops:
#       Command and Status (0x04-0x07), Cache Line Size (0x0c), PM Control/Status (PM cap + 4..5),
#       the whole MSI capability after its ID and next pointer (cap + 2..23: Xen programs address and
#       data at the enable op and leaves them), MSI-X Message Control (cap + 2..3), PCIe Device
#       Control/Status (cap + 8..11).
#     Anything else is a failure, and so is MSI or MSI-X left enabled after a scenario (each ends by
#     turning its interrupts off);
#   - the witness guest keeps working: at least two heartbeats during the scenario, its IDs read
#     through its frontend right every time, and eth0's interrupt count going up.
# With the in-tree backend a failure is a LIMIT row carrying the evidence. The evil guest is created
# again (and the restart listed in the row) when a scenario left its backend anywhere but Connected.
# Last, evil-destroy: xl destroy, the device assignable again and equal to its dump from before, and a
# fresh guest with the pair's frontend binds e1000e on it.
EVIL_BDF=0000:00:04.0
WIT_BDF=0000:00:05.0
ELOG=$(guest_log evil)
WLOG=$(guest_log witness)
BASE=/tmp/evil-before.lspci
SEQ=0
RESTARTS=""
WARN_RE='WARNING:|BUG:|Oops|general protection|Call Trace|refcount_t|hung_task|blocked for more than|soft lockup|rcu.*stall'

# pin_of NAME: in a pinned boot (lab_pinned, dom0-lib.sh; dom0 on pCPU 0), each guest's vCPUs get
# pCPUs of their own, so no two domains ever share one.
pin_of() {
  lab_pinned || return 0
  case $1 in
    witness) echo 'cpus = "2"' ;;
    *) echo 'cpus = "3-4"' ;;
  esac
}

# evil_guest NAME MODE BDF VCPUS: a PV guest booted from the evil initramfs (test/lab/evil-guest.sh),
# its console copied to ours once.
evil_guest() {
  cat > "/tmp/$1.cfg" <<CFG
name = "$1"
type = "pv"
kernel = "/lab/domu/vmlinuz"
ramdisk = "/lab/domu/evil.gz"
extra = "console=hvc0 iommu=soft loglevel=4 lab_mode=$2"
memory = 256
vcpus = $4
pci = [ ${3:+'$3'} ]
$(pin_of "$1")
on_crash = "destroy"
CFG
  : > "$(guest_log "$1")"
  if [ ! -e "/tmp/$1.tailed" ]; then  # one copier per name, however often it is created
    : > "/tmp/$1.tailed"
    guest_console "$1"
  fi
  xl create "/tmp/$1.cfg" 2>&1 | sed "s/^/[xl] /"
}

start_evil() {
  evil_guest evil evil "$EVIL_BDF" 2
  wait_log "$ELOG" "@@EVIL-CONNECT" 240
}

# evil_cmd SECONDS COMMAND [ARGS]: one pcisplit-evil command in the evil guest; EVIL_OUT holds its
# console lines afterwards.
evil_cmd() {
  local secs=$1 from dom rc=0
  shift
  SEQ=$((SEQ + 1))
  from=$(lines "$ELOG")
  dom=$(xl domid evil 2>/dev/null)
  xenstore-write "/local/domain/$dom/data/evil-cmd" "$SEQ $*"
  wait_log "$ELOG" "@@EVIL-DONE $SEQ " "$secs" "$from" || rc=1
  EVIL_OUT=$(tail -n "+$((from + 1))" "$ELOG" | tr -d '\r')
  return $rc
}

# ensure_evil: the evil guest exists, serves, and its backend is Connected; otherwise a new one.
ensure_evil() {
  local dom st=""
  dom=$(xl domid evil 2>/dev/null)
  [ -n "$dom" ] && st=$(xenstore-read "/local/domain/0/backend/pci/$dom/0/state" 2>/dev/null)
  if [ -n "$dom" ] && [ "$st" = 4 ] && ! grep -q "@@EVIL-SERVE-EXIT" "$ELOG"; then return 0; fi
  echo "@@EVIL-RESTART before $SCENARIO: domain '$dom', backend state '$st'"
  RESTARTS="$RESTARTS $SCENARIO(backend state '$st')"
  RESTARTED_NOW="the evil guest was re-created first (its backend was in state '$st')"
  [ -n "$dom" ] && xl destroy evil
  sleep 2
  start_evil
}

# cfg_diff BEFORE AFTER: differing bytes "OFF:was->now" (a trailing ! where the guest may not write,
# by the rules above, taken from BEFORE's capabilities), then a line "msi_enable=N msix_enable=N" of AFTER.
cfg_diff() {
  awk '
    function hex(s,   n, k, c) {
      n = 0; s = tolower(s)
      for (k = 1; k <= length(s); k++) { c = index("0123456789abcdef", substr(s, k, 1)); if (!c) return -1; n = n * 16 + c - 1 }
      return n
    }
    FNR == 1 { f++ }
    /^[0-9a-f]+: / { base = hex(substr($1, 1, length($1) - 1)); for (i = 2; i <= 17; i++) b[f "," (base + i - 2)] = $i }
    END {
      allow[4] = allow[5] = allow[6] = allow[7] = allow[12] = 1
      p = hex(b["1,52"]); p = p - p % 4; n = 0; msi = 0; msix = 0
      while (p >= 64 && p < 256 && n < 48) {
        id = hex(b["1," p]); nx = hex(b["1," (p + 1)])
        if (id == 1) { allow[p + 4] = 1; allow[p + 5] = 1 }
        if (id == 5) { for (k = 2; k < 24; k++) allow[p + k] = 1; msi = p }
        if (id == 17) { allow[p + 2] = 1; allow[p + 3] = 1; msix = p }
        if (id == 16) { for (k = 8; k < 12; k++) allow[p + k] = 1 }
        p = nx - nx % 4; n++
      }
      out = ""
      for (o = 0; o < 4096; o++) {
        k1 = "1," o; k2 = "2," o
        if (!(k1 in b) || !(k2 in b)) continue
        if (b[k1] != b[k2]) out = out sprintf("%03x:%s->%s%s ", o, b[k1], b[k2], (o in allow) ? "" : "!")
      }
      print out
      en = ""
      if (msi) en = en sprintf("msi_enable=%d ", hex(b["2," (msi + 2)]) % 2)
      if (msix) en = en sprintf("msix_enable=%d", hex(b["2," (msix + 3)]) >= 128)
      print en
    }' "$1" "$2"
}

# begin NAME: a scenario; marks dom0's log and where the witness's console is.
begin() {
  scenario "$1"
  echo "evil-mark $1" > /dev/kmsg
  WFROM=$(lines "$WLOG")
  W0=$(grep -o '@@WITNESS [0-9]* .*irqs=[0-9]*' "$WLOG" | tail -1 | sed 's/.*irqs=//')
  PROBLEMS=""
  NOTES=""
  RESTARTED_NOW=""
  DENIALS0=$(denials_of "$EVIL_BDF")
}

# denials_of BDF: the engine's count of the guest's denied writes (our backend's `denials` attribute).
denials_of() {
  in_tree_backend || awk -v b="$1" '$1 == b { print $2 }' /sys/bus/pci/drivers/pciback/denials
}

# checks: everything listed at the top, after the scenario's command; fills PROBLEMS and NOTES.
checks() {
  local sum unexp w d forbidden en beats n bad last
  sleep 4  # a late warning, and two witness heartbeats
  # 1. the evil program
  if ! echo "$EVIL_OUT" | grep -q '@@EVIL-DONE'; then
    PROBLEMS="$PROBLEMS; the evil program did not finish: $(echo "$EVIL_OUT" | tail -3 | tr '\n' '|')"
  else
    sum=$(echo "$EVIL_OUT" | grep -o '@@EVIL-SUMMARY.*' | tail -1 | sed 's/@@EVIL-SUMMARY [^ ]* //')
    NOTES="$NOTES ${sum:-no summary}"
    unexp=$(echo "$sum" | sed -n 's/.*unexpected=\([0-9]*\).*/\1/p')
    if [ "${unexp:-1}" != 0 ]; then
      PROBLEMS="$PROBLEMS; answers: $(echo "$EVIL_OUT" | grep -- '-> UNEXPECTED' | head -4 | sed 's/^.*evil: [^:]*: //; s/ -> UNEXPECTED//' | tr '\n' '|')"
    fi
  fi
  # 2. dom0's kernel, and dom0's programs: a segfault is what memory corruption looks like from there
  w=$(dmesg | awk -v m="evil-mark $SCENARIO" 'index($0, m) { p = 1; next } p' | grep -E "$WARN_RE" | head -3)
  [ -z "$w" ] || PROBLEMS="$PROBLEMS; dom0: $(echo "$w" | tr '\n' '|')"
  w=$(dmesg | awk -v m="evil-mark $SCENARIO" 'index($0, m) { p = 1; next } p' | grep -E 'segfault|traps:')
  if [ -n "$w" ]; then
    echo "$w" | sed 's/^/@@DOM0-SEGFAULT /'
    PROBLEMS="$PROBLEMS; dom0 programs crashed $(echo "$w" | grep -c .) time(s): $(echo "$w" | head -2 | tr '\n' '|')"
  fi
  # 3. the device's config in dom0
  lspci -xxxx -s "$EVIL_BDF" > "/tmp/evil-after-$SCENARIO.lspci"
  d=$(cfg_diff "$BASE" "/tmp/evil-after-$SCENARIO.lspci")
  forbidden=$(echo "$d" | head -1 | tr ' ' '\n' | grep '!$' | tr '\n' ' ')
  en=$(echo "$d" | tail -1)
  NOTES="$NOTES; config vs before: $(echo "$d" | head -1 | sed 's/ *$//')"
  [ -n "$(echo "$d" | head -1 | tr -d ' ')" ] || NOTES="${NOTES}none"
  [ -z "$forbidden" ] || PROBLEMS="$PROBLEMS; config changed where the guest may not write: $forbidden"
  case " $en" in *"_enable=1"*) PROBLEMS="$PROBLEMS; interrupts left on in hardware: $en" ;; esac
  # 4. the witness
  beats=$(tail -n "+$((WFROM + 1))" "$WLOG" | tr -d '\r' | grep -o '@@WITNESS .*')
  n=$(echo "$beats" | grep -c 'WITNESS ')
  bad=$(echo "$beats" | grep 'WITNESS ' | grep -vc 'id=10d38086 .*driver=e1000e')
  w=$(tail -n "+$((WFROM + 1))" "$WLOG" | tr -d '\r' | grep -o '@@WITNESS-KMSG .*' | sed 's/@@WITNESS-KMSG //')
  [ -z "$w" ] || PROBLEMS="$PROBLEMS; witness kernel: $(echo "$w" | head -2 | tr '\n' '|')"
  last=$(echo "$beats" | tail -1 | sed -n 's/.*irqs=\([0-9]*\).*/\1/p')
  NOTES="$NOTES; witness: $n heartbeats, eth0 irqs ${W0:-?}->${last:-?}"
  in_tree_backend || NOTES="$NOTES; denied writes ${DENIALS0:-?}->$(denials_of "$EVIL_BDF")"
  if [ "$n" -lt 2 ] || [ "$bad" -ne 0 ] || [ -z "$last" ] || [ -z "$W0" ] || [ "$last" -le "$W0" ]; then
    PROBLEMS="$PROBLEMS; witness: $n heartbeats, $bad wrong, irqs ${W0:-?}->${last:-?}: $(echo "$beats" | tail -1)"
  fi
}

# verdict: the row. A failure with the in-tree backend is a LIMIT carrying the evidence.
verdict() {
  if [ -z "$PROBLEMS" ]; then
    result PASS "${NOTES# }${RESTARTED_NOW:+; $RESTARTED_NOW}"
  elif in_tree_backend; then
    result LIMIT "in-tree backend:${PROBLEMS#;}; ${NOTES# }${RESTARTED_NOW:+; $RESTARTED_NOW}"
  else
    result FAIL "${PROBLEMS#; }; ${NOTES# }${RESTARTED_NOW:+; $RESTARTED_NOW}"
  fi
}

# evil_scenario NAME SECONDS COMMAND [ARGS]
evil_scenario() {
  local name=$1 secs=$2
  shift 2
  begin "$name"
  ensure_evil
  evil_cmd "$secs" "$@" || diag "$(xl domid evil 2>/dev/null)"
  checks
  verdict
}

scenario evil-setup
modprobe xen-pciback
xl pci-assignable-add "$EVIL_BDF"
xl pci-assignable-add "$WIT_BDF"
lspci -xxxx -s "$EVIL_BDF" > "$BASE"
dump_hw "$EVIL_BDF" before-guest
evil_guest witness witness "$WIT_BDF" 1
if ! wait_log "$WLOG" "@@WITNESS 2 " 240; then
  result FAIL "the witness guest did not come up: $(tail -3 "$WLOG" | tr '\n' '|')"
elif grep -q 'lab_evil_control=1' /proc/cmdline; then
  result PASS "control run: no pcisplit-evil; witness: $(grep -o '@@WITNESS 2 .*' "$WLOG" | tr -d '\r')"
elif ! start_evil || ! grep -q "@@EVIL-CONNECTED" "$ELOG"; then
  diag "$(xl domid evil 2>/dev/null)"
  result FAIL "pcisplit-evil did not connect: $(grep -E '@@EVIL|@@GUEST' "$ELOG" | tr -d '\r' | tail -4 | tr '\n' '|')"
elif grep -q "@@EVIL-GUEST-ERROR" "$ELOG"; then
  result FAIL "$(grep '@@EVIL-GUEST-ERROR' "$ELOG" | tr -d '\r' | tr '\n' '|')"
else
  result PASS "$(grep -o '@@EVIL-CONNECTED.*' "$ELOG" | tr -d '\r' | sed 's/@@EVIL-CONNECTED //'); no PCI frontend module in the evil guest; witness: $(grep -o '@@WITNESS 2 .*' "$WLOG" | tr -d '\r')"
fi

# The control run (LAB_DOM0_ARGS=lab_evil_control=1, docs/lab.md): instead of pcisplit-evil, a guest
# with no PCI device burning both its vCPUs, next to the witness, while dom0 runs its usual checks for
# five minutes. Whatever crashes then is this nested machine's, not the backend's.
if grep -q 'lab_evil_control=1' /proc/cmdline; then
  scenario evil-control
  echo "evil-mark evil-control" > /dev/kmsg
  WFROM=$(lines "$WLOG")
  evil_guest evil burn "" 2
  wait_log "$ELOG" "@@BURN-UP" 240
  end=$(( $(date +%s) + 300 ))
  n=0
  while [ "$(date +%s)" -lt "$end" ]; do
    lspci -xxxx -s "$EVIL_BDF" > /tmp/control.lspci
    xenstore-ls -f /local/domain/0/backend > /dev/null 2>&1
    dmesg | awk '/evil-mark evil-control/ { p = 1; next } p' | grep -cE 'segfault|traps:' > /dev/null
    n=$((n + 1))
    sleep 1
  done
  # Counted from each domain's own kernel log (dom0's dmesg; the guests' consoles, where their shells
  # also say "Segmentation fault"), so a crash of this very check is counted too.
  nd=$(dmesg | awk '/evil-mark evil-control/ { p = 1; next } p' | grep -cE 'segfault|traps:')
  nw=$(tail -n "+$((WFROM + 1))" "$WLOG" | grep -c 'Segmentation fault')
  ne=$(grep -c 'Segmentation fault' "$ELOG")
  beats=$(tail -n "+$((WFROM + 1))" "$WLOG" | grep -c '@@WITNESS .*id=10d38086 .*driver=e1000e')
  detail="$n rounds of dom0 checks in 300 s; crashed programs: dom0 ${nd:-?}, witness ${nw:-?}, burning guest ${ne:-?}; witness heartbeats: ${beats:-?}"
  if [ "${nd:-1}${nw:-1}${ne:-1}" = 000 ]; then result PASS "$detail"; else result FAIL "$detail"; fi
  xl destroy evil
  return 0
fi

evil_scenario evil-ops 300 ops
evil_scenario evil-msi 300 msi
evil_scenario evil-double-fetch 400 double-fetch 1500

# The storm: dom0's probe measures how late a 10 ms sleep wakes up, idle first, then during the storm.
begin evil-storm
ensure_evil
pcisplit-evil probe 5 > /tmp/probe-idle.out 2>&1
rm -f /tmp/probe.stop
pcisplit-evil probe 900 /tmp/probe.stop > /tmp/probe-storm.out 2>&1 &
probe_pid=$!
evil_cmd 600 storm 200000 || diag "$(xl domid evil 2>/dev/null)"
: > /tmp/probe.stop
wait "$probe_pid"
echo "@@EVIL-PROBE idle: $(cat /tmp/probe-idle.out)"
echo "@@EVIL-PROBE storm: $(cat /tmp/probe-storm.out)"
idle=$(sed -n 's/.*worst_delay_ms=\([0-9.]*\).*/\1/p' /tmp/probe-idle.out)
worst=$(sed -n 's/.*worst_delay_ms=\([0-9.]*\).*/\1/p' /tmp/probe-storm.out)
checks
NOTES="dom0 probe: worst scheduling delay ${worst:-?} ms during the storm (idle ${idle:-?} ms), $(sed -n 's/.*\(samples=[0-9]*\).*\(over50ms=[0-9]*\).*/\1 \2/p' /tmp/probe-storm.out); $(echo "$EVIL_OUT" | grep -o 'notifications[^>]*' | sed 's/ *$//' | tr '\n' ';')$NOTES"
# Responsive: no 10 ms sleep more than a second late while the guest storms.
if [ -z "$worst" ] || awk -v w="$worst" 'BEGIN { exit !(w > 1000) }'; then
  PROBLEMS="$PROBLEMS; dom0 unresponsive during the storm: worst delay ${worst:-unknown} ms"
fi
verdict

evil_scenario evil-close-reconnect 400 close-reconnect 6
evil_scenario evil-xs-garbage 400 xs-garbage

# The end: the evil guest destroyed, its device assignable, as before, and working in a fresh guest.
scenario evil-destroy
RESTARTED_NOW=""
echo "evil-mark evil-destroy" > /dev/kmsg
WFROM=$(lines "$WLOG")
edom=$(xl domid evil 2>/dev/null)
echo "@@EVIL-BEFORE-DESTROY backend state $(xenstore-read "/local/domain/0/backend/pci/$edom/0/state" 2>&1), frontend state $(xenstore-read "/local/domain/$edom/device/pci/0/state" 2>&1)"
xl destroy evil
sleep 5
dmesg | awk '/evil-mark evil-destroy/ { p = 1; next } p' | grep -iE 'pciback|pcisplit' | tail -20 | sed 's/^/@@DOM0-AT-DESTROY /'
lspci -xxxx -s "$EVIL_BDF" > /tmp/evil-after-destroy.lspci
d=$(cfg_diff "$BASE" /tmp/evil-after-destroy.lspci)
w=$(dmesg | awk '/evil-mark evil-destroy/ { p = 1; next } p' | grep -E "$WARN_RE" | head -3)
PROBLEMS=""
[ -z "$w" ] || PROBLEMS="$PROBLEMS; dom0: $(echo "$w" | tr '\n' '|')"
xl pci-assignable-list | grep -q "$EVIL_BDF" || PROBLEMS="$PROBLEMS; $EVIL_BDF not assignable after the destroy"
forbidden=$(echo "$d" | head -1 | tr ' ' '\n' | grep '!$' | tr '\n' ' ')
[ -z "$forbidden" ] || PROBLEMS="$PROBLEMS; config after the destroy differs where the guest may not write: $forbidden"
case " $(echo "$d" | tail -1)" in *"_enable=1"*) PROBLEMS="$PROBLEMS; interrupts on after the destroy: $(echo "$d" | tail -1)" ;; esac
AGAINLOG=$(guest_log again)
start_guest again basic "$EVIL_BDF"
if ! wait_log "$AGAINLOG" "@@GUEST-DRIVERS-DONE" 180 || ! grep -q "@@GUEST-DRIVER 0000:00:00.0 e1000e" "$AGAINLOG"; then
  diag "$(xl domid again 2>/dev/null)"
  PROBLEMS="$PROBLEMS; a fresh guest did not bind e1000e on $EVIL_BDF: $(grep '@@GUEST' "$AGAINLOG" | tr -d '\r' | tail -3 | tr '\n' '|')"
fi
xl destroy again
beats=$(tail -n "+$((WFROM + 1))" "$WLOG" | grep -c '@@WITNESS .*id=10d38086 .*driver=e1000e')
[ "$beats" -ge 2 ] || PROBLEMS="$PROBLEMS; the witness stopped ($beats heartbeats during this scenario)"
NOTES="destroyed; assignable; config vs before: $(echo "$d" | head -1 | sed 's/ *$//')"
[ -n "$(echo "$d" | head -1 | tr -d ' ')" ] || NOTES="${NOTES}none"
grep -q "@@GUEST-DRIVER 0000:00:00.0 e1000e" "$AGAINLOG" && NOTES="$NOTES; a fresh guest bound e1000e"
NOTES="$NOTES; witness: $beats heartbeats"
[ -z "$RESTARTS" ] || NOTES="$NOTES; evil guest re-created before:$RESTARTS"
verdict
