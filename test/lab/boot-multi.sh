# SPDX-License-Identifier: GPL-2.0-only
# Boot "multi": five functions passed through to one PV guest, then unplugged and plugged in an order
# that makes libxl renumber its xenstore entries (it keeps dev-0..dev-N-1 dense: a detach moves every
# later entry down by one):
#   A 0000:00:04.0 e1000e   B 0000:00:05.0 nvme   C 0000:00:06.0 e1000 (82540EM)
#   D 0000:00:07.0 e1000-82544gc and E 0000:00:07.1 e1000-82545em: one two-function slot
# Scenarios: multi-create (pci = [A, D, B, E, C]), detach-first (A), detach-last (C), reattach-first
# (A again), detach-middle (B), frontend-reconnect (the guest closes and unloads its frontend and
# loads it again), unbind-while-assigned (A unbound from pciback while assigned, bound to dom0's
# e1000e, then the guest destroyed: the device must not be touched). After each step see verdict().
# The two functions of slot 07 stay assigned throughout: they share one INTx line, and libxl 4.17's
# pci-detach of one of them takes that line away from the guest (it unmaps the guest's PIRQ and
# revokes its IRQ permission), so the other one's interrupts stop whatever the backend does
# (docs/lab.md).
# libxl's xenstore traffic is recorded all along (xenstored's trace, started by dom0-init.sh for this
# boot, a xenstore-watch log and a snapshot after each step), printed between @@XS-BEGIN and @@XS-END;
# lab.sh keeps it as logs/PAIR-multi-xenstore.log (the in-tree pair's: test/data/libxl-pci-xenstore.log).
A=0000:00:04.0
B=0000:00:05.0
C=0000:00:06.0
D=0000:00:07.0
E=0000:00:07.1
ALL="$A $B $C $D $E"
ORDER="$A $D $B $E $C"  # pci = [...] in this order; first A, middle B, last C
FE_SOFT=""
LOG=$(guest_log guest)
PCIBACK=/sys/bus/pci/drivers/pciback
XSLOG=/tmp/xs-watch.log

# id_of BDF: how the guest's idset shows the function (vendor:device=driver).
id_of() {
  case $1 in
    "$A") echo 8086:10d3=e1000e ;;
    "$B") echo 1b36:0010=nvme ;;
    "$C") echo 8086:100e=e1000 ;;
    "$D") echo 8086:100c=e1000 ;;
    "$E") echo 8086:100f=e1000 ;;
  esac
}
sorted() { printf '%s\n' "$@" | grep . | sort | tr '\n' ' ' | sed 's/ $//'; }
want_set() { sorted $(for b in "$@"; do id_of "$b"; done); }
# nic_keys BDF...: the guest's interrupt keys (vendor:device) of the network functions among BDF...
nic_keys() { for b in "$@"; do [ "$b" = "$B" ] || id_of "$b" | cut -d= -f1; done; }
without() { local x=$1 b; shift; for b in "$@"; do [ "$b" = "$x" ] || echo "$b"; done; }

# --- the recording: xenstore-watch on /local/domain, kept for the backend's pci directory, the
# guest's device/pci and our step labels (written to /local/domain/0/lab-step, so they arrive in order
# with the events). A watch event carries only the path: the value is read when the event arrives,
# so it can be later than the write that fired it ("(gone)": removed by then).
xs_watch_start() {
  : > "$XSLOG"
  xenstore-watch /local/domain 2>&1 | while IFS= read -r p; do
    case $p in
      /local/domain/0/lab-step) echo "# ---- $(xenstore-read "$p" 2>/dev/null)" ;;
      /local/domain/0/backend/pci*|/local/domain/*/device/pci*)
        if v=$(xenstore-read "$p" 2>/dev/null); then echo "$p = \"$v\""; else echo "$p (gone)"; fi ;;
    esac
  done >> "$XSLOG" &
}
xs_step() { xenstore-write /local/domain/0/lab-step "$1"; }
xs_snapshot() {
  local domid
  domid=$(xl domid guest 2>/dev/null)
  echo "@@XS-BEGIN snapshot after $1"
  xenstore-ls -f /local/domain/0/backend/pci 2>&1
  [ -n "$domid" ] && xenstore-ls -f "/local/domain/$domid/device/pci" 2>&1
  echo "@@XS-END"
}

# xs_trace FILE: xenstored's trace (requests "IN CONN DATE TIME OP (ARGS)" and answers "OUT ...") cut
# down to the writes, removals and mkdirs under the guest's pci backend (BE) and frontend (FE)
# directories and our step labels, each with its writer: "backend" (the connection that wrote
# root-N or root_num: libxl moves vdev-N too when it renumbers), "frontend" (the one that wrote FE/pci-op-ref, event-channel or magic), "libxl"
# (every other; a connection is told from a later one at the same address by xenstored's "CREATE
# connection" lines). A transaction's requests are shown at its commit (they take effect there), or as not
# applied when it failed (EAGAIN: libxl retries it). The trace does not carry transaction ids: a
# connection with two open transactions at once (the kernel's, rarely) would be merged.
xs_trace() {
  awk '
    # and frontend directories, per writer, transactions shown at their commit.
    function rel(p) {
      if (sub(/^(\/local\/domain\/0\/)?backend\/pci\/[0-9]+\/0/, "BE", p)) return p
      if (sub(/^(\/local\/domain\/[0-9]+\/)?device\/pci\/0/, "FE", p)) return p
      if (p ~ /^(\/local\/domain\/0\/)?backend\/pci(\/[0-9]+)?$/) return p
      if (p ~ /^(\/local\/domain\/[0-9]+\/)?device\/pci$/) return p
      if (p == "/local/domain/0/lab-step") return "STEP"
      return ""
    }
    function args(s) { s = $0; sub(/^[^(]*\(/, "", s); sub(/ ?\)$/, "", s); return s }
    function show(c, a, intx,   p, v, who) {
      p = a; sub(/ .*/, "", p); v = a
      if (index(a, " ")) sub(/^[^ ]* /, "", v); else v = ""
      p = rel(p)
      if (p == "") return ""
      if (p == "STEP") return "# ---- " v
      who = intx ? "  " : sprintf("%-8s ", role[c])
      if ($5 == "WRITE") return sprintf("%s%s = \"%s\"", who, p, v)
      return sprintf("%s%s %s", who, $5, p)
    }
    $1 == "CREATE" && $2 == "connection" { gen[$3]++; next }
    ($1 == "IN" || $1 == "OUT") { $2 = $2 "#" gen[$2] }
    NR == FNR {
      if ($1 != "IN" || $5 != "WRITE") next
      a = args(); p = a; sub(/ .*/, "", p); p = rel(p)
      if (p ~ /^BE\/root/) role[$2] = "backend"
      else if (p ~ /^FE\/(pci-op-ref|event-channel|magic)/) role[$2] = "frontend"
      else if (p == "STEP") role[$2] = "lab"
      next
    }
    FNR == 1 { for (c in gen) delete gen[c] }
    $1 == "IN" && !($2 in role) { role[$2] = "libxl" }
    $1 == "IN" && $5 == "TRANSACTION_START" { tx[$2] = 1; buf[$2] = ""; next }
    $1 == "IN" && $5 == "TRANSACTION_END" {
      tx[$2] = 0
      if (args() ~ /^T/ && buf[$2] != "") pend[$2] = buf[$2]
      buf[$2] = ""
      next
    }
    $1 == "OUT" && ($5 == "TRANSACTION_END" || $5 == "ERROR") && ($2 in pend) && pend[$2] != "" {
      if ($5 == "TRANSACTION_END") printf "%-8s transaction {\n%s}\n", role[$2], pend[$2]
      else if ($5 == "ERROR") printf "%-8s transaction failed (%s), not applied:\n%s", role[$2], args(), pend[$2]
      pend[$2] = ""
      next
    }
    $1 == "IN" && ($5 == "WRITE" || $5 == "RM" || $5 == "MKDIR") {
      l = show($2, args(), tx[$2])
      if (l == "") next
      if (tx[$2]) buf[$2] = buf[$2] l "\n"; else print l
    }
  ' "$1" "$1"
}

# cfgsig BDF: the function's command register and MSI/MSI-X message control as the hardware holds
# them (dom0 reads the real config space). The reset check: the guest's drivers set Memory Space and
# Bus Master (and, for e1000e with its interface up, MSI-X Enable) at probe and never write them again
# while they run. A function reset (FLR, PM or bus reset) clears all of them, and a backend's release
# path (disable, reset, restore the config saved at bind time) puts back the bind-time values, with
# Bus Master off. So a still-assigned function that got reset or released during a step changes its
# signature. A reset whose caller saves and restores the config around it (pci_reset_function) would
# leave the signature as it was: the interrupt check below catches that one (a reset device has its
# interrupt mask cleared, and the driver's watchdog interrupts stop).
cfgsig() {
  echo "cmd=$(setpci -s "$1" COMMAND) msix=$(setpci -s "$1" CAP_MSIX+2.w 2>/dev/null || echo -)" \
    "msi=$(setpci -s "$1" CAP_MSI+2.w 2>/dev/null || echo -)"
}
sigs() { local b; for b in "$@"; do echo "$b $(cfgsig "$b")"; done; }

# guest_irqs TAG: each guest interface's interrupt count ("vendor:device=N ..."), asked on its console.
guest_irqs() {
  local from
  from=$(lines "$LOG")
  guest_cmd guest "irqs $1"
  wait_log "$LOG" "@@GUEST-IRQS $1 " 30 "$from" >/dev/null || { echo "no-answer"; return; }
  tail -n "+$((from + 1))" "$LOG" | grep -o "@@GUEST-IRQS $1 .*@@" | head -1 | sed "s/@@GUEST-IRQS $1 //; s/ *@@$//"
}
# stalled SAMPLE1 SAMPLE2 KEY...: the keys whose count did not grow from SAMPLE1 to SAMPLE2 ("KEY:A->B"),
# or that have no interface in the guest ("KEY:absent"). e1000 and e1000e raise an interrupt from their
# watchdog every 2 s while the interface is up.
stalled() {
  local s1=" $1 " s2=" $2 " k a b out=""
  shift 2
  for k in "$@"; do
    a=$(echo "$s1" | sed -n "s/.* $k=\([0-9]*\) .*/\1/p")
    b=$(echo "$s2" | sed -n "s/.* $k=\([0-9]*\) .*/\1/p")
    if [ -z "$a" ] || [ -z "$b" ]; then out="$out $k:absent"
    elif [ "$b" -le "$a" ]; then out="$out $k:$a->$b"; fi
  done
  echo "$out"
}

# records BDF...: dom0's records against the functions that must be assigned: xl pci-list, the
# backend directory (libxl's dev-N, and vdev-N, which the backend writes when it exports dev-N), and
# pciback's slots and bindings (all five stay assignable throughout). Prints each disagreement.
records() {
  local want got domid be n i d missing="" out=""
  want=$(sorted "$@")
  got=$(sorted $(xl pci-list guest 2>/dev/null | grep -oE '[0-9a-f]{4}:[0-9a-f]{2}:[0-9a-f]{2}\.[0-7]'))
  [ "$got" = "$want" ] || out="$out xl-pci-list=[$got]"
  domid=$(xl domid guest)
  be=/local/domain/0/backend/pci/$domid/0
  n=$(xenstore-read "$be/num_devs" 2>/dev/null)
  got=""
  i=0
  while [ "$i" -lt "${n:-0}" ]; do
    d=$(xenstore-read "$be/dev-$i" 2>/dev/null)
    got="$got $d"
    xenstore-read "$be/vdev-$i" >/dev/null 2>&1 ||
      missing="$missing dev-$i=$d(state-$i=$(xenstore-read "$be/state-$i" 2>/dev/null))"
    i=$((i + 1))
  done
  got=$(sorted $got)
  [ "$got" = "$want" ] || out="$out backend-dev-N=[$got]"
  [ -z "$missing" ] || out="$out not-exported(no-vdev-N):$missing"
  for d in $ALL; do
    grep -qx "$d" "$PCIBACK/slots" || out="$out $d-not-in-slots"
    [ "$(driver_of "$d")" = pciback ] || out="$out $d-driver=$(driver_of "$d")"
  done
  # an owner view of our backend, if it has one (none in its documented attributes today)
  for f in "$PCIBACK"/*owner* "$PCIBACK"/assigned*; do
    [ -r "$f" ] && echo "@@OWNER-VIEW $f: $(tr '\n' ' ' < "$f")" >&2
  done
  echo "$out"
}

# begin NAME: a scenario starts; its name also goes to dom0's kernel log, so that the messages of
# this scenario can be told from earlier ones.
begin() {
  scenario "$1"
  echo "lab: scenario $1 begins" > /dev/kmsg
}
dmesg_since_begin() { dmesg | sed -n "/lab: scenario $SCENARIO begins/,\$p"; }

# disabled_lines: the legacy lines of our functions that dom0 disabled ("Disabling IRQ #N") during
# this scenario, " N" each (a line disabled earlier, e.g. a detached function's in a LIMIT row, says
# nothing of a stall now)
disabled_lines() {
  local b irq
  for b in $ALL; do
    irq=$(cat "/sys/bus/pci/devices/$b/irq" 2>/dev/null)
    [ -n "$irq" ] && dmesg_since_begin | grep -q "Disabling IRQ #$irq\$" && echo " $irq"
  done | sort -u | tr -d '\n'
}
# dom0_irqs_info: each function's legacy line in dom0 and what dom0's /proc/interrupts counts on them.
dom0_irqs_info() {
  local b lines=""
  for b in $ALL; do lines="$lines $(cat "/sys/bus/pci/devices/$b/irq" 2>/dev/null)"; done
  echo "@@DOM0-LINES $(for b in $ALL; do printf '%s:%s ' "${b#0000:}" "$(cat "/sys/bus/pci/devices/$b/irq")"; done)" \
    "$(awk -v l="$lines" 'BEGIN { n = split(l, a, " "); for (i = 1; i <= n; i++) w[a[i] ":"] = 1 }
      ($1 in w) { printf "[%s]", $0 }' /proc/interrupts | tr -s ' ')"
}
bdf_of_key() { local b; for b in $ALL; do [ "$(id_of "$b" | cut -d= -f1)" = "$1" ] && echo "$b"; done; }

# xenbus_counters: the backend's event channel as Linux's lateeoi keeps it (XSA-332), one line per
# backend device: "NAME events=N spurious=N delayed_jiffies=N" (events delivered, reported spurious,
# jiffies their EOIs were delayed by; in the device's xenbus/ group).
xenbus_counters() {
  local d
  for d in /sys/bus/xen-backend/devices/pci-*/xenbus; do
    [ -e "$d/events" ] &&
      echo "$(basename "${d%/xenbus}") events=$(cat "$d/events") spurious=$(cat "$d/spurious_events") delayed_jiffies=$(cat "$d/jiffies_eoi_delayed")"
  done
}

# verdict FROM WAIT STAYED SIGS [NICS]: after a step, with $CUR the functions that must now be
# assigned. The guest (after its log line FROM) must report exactly their set with drivers bound within
# WAIT s; dom0's records must agree; each function in STAYED (assigned before and after the step) must
# keep its config signature (SIGS: "BDF signature" lines from before the step); the network functions
# among NICS (default STAYED) must keep taking interrupts (two samples 5 s apart after the step); dom0
# must not warn.
# One failure is told apart: an interface whose interrupts stopped because dom0 disabled its legacy
# line ("irq N: nobody cared", then "Disabling IRQ #N": the backend's fake handler on a line shared by
# two passed-through functions did not claim the interrupts). With the in-tree backend that is a LIMIT
# row with dom0's messages as evidence, when nothing else is wrong.
verdict() {
  local from=$1 wait=$2 stayed=$3 before=$4 nics=${5:-$3} want hard="" soft="" r b was now i1 i2 st gw
  local item k irq new warn off n note
  want=$(want_set $CUR)
  if ! wait_log "$LOG" "@@GUEST-SET ${want:-none} @@" "$wait" "$from" >/dev/null; then
    hard="guest sees [$(tail -n "+$((from + 1))" "$LOG" | grep -o '@@GUEST-SET .* @@' | tail -1 |
      sed 's/@@GUEST-SET //; s/ @@//')], expected [$want];"
  fi
  echo "@@T $(cut -d' ' -f1 /proc/uptime) $SCENARIO: the guest's set"
  xenbus_counters | sed "s/^/@@EOI $SCENARIO /"
  r=$(records $CUR)
  if [ -n "$r" ]; then  # once more after 2 s: a transient read (or a crashed reader) is not a record
    echo "@@RECORDS-FIRST-READ$r"
    sleep 2
    r=$(records $CUR)
  fi
  [ -z "$r" ] || hard="$hard records:$r;"
  for b in $stayed; do
    was=$(echo "$before" | sed -n "s/^$b //p")
    now=$(cfgsig "$b")
    [ "$now" = "$was" ] || hard="$hard $b config changed [$was] -> [$now];"
  done
  echo "@@T $(cut -d' ' -f1 /proc/uptime) $SCENARIO: records and config checked"
  i1=$(guest_irqs "$SCENARIO-1")
  sleep 5
  i2=$(guest_irqs "$SCENARIO-2")
  echo "@@MULTI-IRQS $SCENARIO [$i1] -> [$i2]"
  dom0_irqs_info
  st=$(stalled "$i1" "$i2" $(nic_keys $nics))
  # a guest that did not answer says nothing of its interfaces: told as such, not as missing ones
  if [ "$i1" = no-answer ] || [ "$i2" = no-answer ]; then
    hard="$hard the guest did not answer 'irqs' within 30 s (samples [$i1] -> [$i2]);"
    st=""
  fi
  for item in $st; do
    k=$(echo "$item" | cut -d: -f1-2)
    case $item in *:absent) hard="$hard no interface of $k in the guest;"; continue ;; esac
    b=$(bdf_of_key "$k")
    irq=$(cat "/sys/bus/pci/devices/$b/irq" 2>/dev/null)
    off=$(disabled_lines)
    if [ -n "$irq" ] && dmesg | grep -q "Disabling IRQ #$irq\$"; then
      soft="$soft $b ($k) interrupts stopped (${item#*:*:}): dom0 disabled its INTx line $irq [$(dmesg |
        grep -E "Turning ISR off|irq $irq: nobody cared|Disabling IRQ #$irq\$" | sed 's/^\[ *[0-9.]*\] //' |
        tr '\n' ' ')];"
    elif [ -n "$off" ]; then
      soft="$soft $b ($k) interrupts stopped (${item#*:*:}) on its own line $irq, still enabled in dom0, after dom0 disabled line(s)$off of other passed-through functions;"
    else
      hard="$hard interrupts stopped: $item;"
    fi
  done
  gw=$(tail -n "+$((from + 1))" "$LOG" | grep -E 'WARNING:|BUG:|Oops|general protection' | head -2 | tr '\n' ' ')
  [ -z "$gw" ] || hard="$hard the guest warned: $gw;"
  # ops the backend did not answer within the frontend's bound (2 s) failed in the guest: reported in
  # the detail, not judged alone (the in-tree pair had two when a second lab ran on this 2-core
  # machine); what they break (a device missing from the guest's set) fails the step
  n=$(tail -n "+$((from + 1))" "$LOG" | grep -cE 'pciback not responding|pciback did not answer within')
  note=""
  [ "$n" -eq 0 ] || note=" [$n op(s) timed out in the guest: $(tail -n "+$((from + 1))" "$LOG" |
    grep -oE 'pciback not responding!*|pciback did not answer within [0-9]+ ms' | head -1)]"
  # The function this step detached ($DETACHED), if dom0 disabled its line: libxl 4.17 unmaps its
  # pirq and revokes its BARs before the guest's driver lets go (docs/lab.md), so a function left
  # with its interrupt on asserts the level-triggered line with no guest to ack it. Our backend masks
  # it at the function (pcisplit_intx); Linux's has no such guard (its handler stops acking after
  # 1000): with Linux's backend a LIMIT row, dom0's messages as evidence; with ours a failure.
  if [ -n "${DETACHED:-}" ]; then
    irq=$(cat "/sys/bus/pci/devices/$DETACHED/irq" 2>/dev/null)
    if [ -n "$irq" ] && dmesg_since_begin | grep -q "Disabling IRQ #$irq\$"; then
      soft="$soft $DETACHED (just detached) asserted INTx line $irq with no guest listening and dom0 disabled the line [$(
        dmesg_since_begin | grep -E "Turning ISR off|irq $irq: nobody cared|Disabling IRQ #$irq\$|^\[ *[0-9.]*\] \[<" |
        sed 's/^\[ *[0-9.]*\] //' | tr '\n' ' ')];"
    fi
  fi
  new=$(dmesg_since_begin)
  # a user-space fault in dom0 (a busybox process of these scripts: "traps: ... general protection
  # fault ... in busybox", seen twice under TCG on a loaded host) is reported, not taken as the kernel's
  echo "$new" | grep 'traps: ' | sed 's/^/@@DOM0-USER-FAULT /'
  warn=$(echo "$new" | grep -v 'traps: ' | grep -E 'WARNING:|BUG:|Oops|general protection|Call Trace|refcount_t')
  if [ -n "$warn" ]; then
    if [ -n "$soft" ] && ! echo "$warn" | grep -qv 'Call Trace' &&
       [ "$(echo "$warn" | grep -c 'Call Trace')" -eq "$(echo "$new" | grep -c 'nobody cared')" ]; then
      soft="$soft dom0's stack traces are those of 'nobody cared';"
    else
      hard="$hard dom0 warned: $(echo "$warn" | tail -2 | tr '\n' ' ');"
    fi
  fi
  xs_snapshot "$SCENARIO"
  # FE_SOFT (set by the caller): a limitation of Linux's frontend seen before this verdict
  if [ -z "$hard$soft$FE_SOFT" ]; then
    result PASS "guest: [$want]; xl pci-list, backend dev-N/vdev-N, pciback slots agree;" \
      "config unchanged on the $(echo $stayed | wc -w) that stayed; interrupts counting: $(nic_keys $nics | tr '\n' ' ')$note"
  elif [ -z "$hard" ] && { [ -z "$soft" ] || in_tree_backend; } && { [ -z "$FE_SOFT" ] || in_tree_frontend; }; then
    result LIMIT "${soft:+in-tree backend:$soft }${FE_SOFT:+in-tree frontend: $FE_SOFT }otherwise as expected" \
      "(guest [$want], records agree, config unchanged)$note"
  else
    diag "$(xl domid guest)" | grep -v '^@@DIAG' | sed 's/^/@@DIAG /'
    result FAIL "$hard$soft${FE_SOFT:+ $FE_SOFT}$note"
  fi
}

# be_sampler (only with lab_sampler on dom0's command line: LAB_DOM0_ARGS=lab_sampler; each round
# forks a few dozen processes, and this nested machine crashes busybox now and then when it forks
# while PV domains share its CPUs): every 2 s while the guest runs, one @@BE line: the backend channel's counters as Linux's
# event core keeps them (events delivered, reported spurious, jiffies of delayed EOIs), its interrupt
# count, and every task in uninterruptible sleep with its wait channel; a task's stack the first time
# it is seen. Evidence for the op timeouts of docs/lab.md: do events stop, or does a lock hold them?
be_sampler() {
  local t ch irq dt p seen=" "
  while [ -e /run/lab-sampler ]; do
    t=$(cut -d' ' -f1 /proc/uptime)
    ch=$(xenbus_counters | tr '\n' ' ')
    irq=$(awk '/pcisplit-be/ { s = 0; for (i = 2; i <= NF && $i ~ /^[0-9]+$/; i++) s += $i; print s }' /proc/interrupts)
    dt=""
    for p in /proc/[0-9]*; do
      [ "$(awk '{ print $3 }' "$p/stat" 2>/dev/null)" = D ] || continue
      dt="$dt $(cat "$p/comm" 2>/dev/null):${p#/proc/}:$(cat "$p/wchan" 2>/dev/null)"
      case "$seen" in *" ${p#/proc/} "*) ;; *)
        seen="$seen${p#/proc/} "
        sed "s/^/@@DSTACK ${p#/proc/} /" "$p/stack" 2>/dev/null ;;
      esac
    done
    echo "@@BE $t ${ch:-no-backend }irq=${irq:--} D=[${dt# }]"
    sleep 2
  done
}

# step NAME ACTION BDF: xl pci-ACTION (attach|detach) guest BDF on the running guest, then verdict.
step() {
  local name=$1 action=$2 bdf=$3 stayed before from out
  begin "$name"
  stayed=$(without "$bdf" $CUR)
  before=$(sigs $stayed)
  echo "$before" | sed 's/^/@@CFG-BEFORE /'
  from=$(lines "$LOG")
  xs_step "$name: xl pci-$action guest $bdf"
  echo "@@T $(cut -d' ' -f1 /proc/uptime) $name: xl pci-$action"
  # xl's own debug log, each line stamped with dom0's uptime when it was read: where the time of a
  # slow step goes (docs/lab.md, the op timeouts during detaches).
  out=$( { xl -vvv "pci-$action" guest "$bdf" 2>&1; echo "@@XL-RC $?"; } |
    while IFS= read -r l; do read -r up _ < /proc/uptime; echo "$up $l"; done)
  echo "$out" | grep -q "@@XL-RC 0\$" || echo "@@XL-FAILED pci-$action $bdf"
  echo "@@T $(cut -d' ' -f1 /proc/uptime) $name: xl done"
  echo "$out" | grep -v "@@XL-RC" | sed 's/^/[xl] /'
  dmesg_since_begin | grep -v "lab: scenario" | sed 's/^/@@DMESG /'
  if [ "$action" = detach ]; then CUR=$(without "$bdf" $CUR | tr '\n' ' '); else CUR="$CUR $bdf"; fi
  DETACHED=""
  [ "$action" != detach ] || DETACHED=$bdf
  verdict "$from" 90 "$stayed" "$before"
  DETACHED=""
}

# --- multi-create ---------------------------------------------------------------------------------
begin multi-create
# The idle hang (docs/lab.md) stops dom0 between here and xl create's first line, every vCPU
# halted: if the guest is not created 150 s from now, dom0's blocked tasks go to the console (sysrq
# prints them whatever the console's level) to show what everybody waits for.
(sleep 150; [ -e /run/lab-created ] || {
  echo "@@STALL no guest after 150 s: processes, then blocked tasks"
  ps | sed 's/^/@@STALL-PS /'
  echo w > /proc/sysrq-trigger
}) &
modprobe xen-pciback
echo "@@PCIBACK-ATTRS $(ls "$PCIBACK" | tr '\n' ' ')"
failed_add=""
for b in $ALL; do xl pci-assignable-add "$b" || failed_add="$failed_add $b"; done
if [ -n "$failed_add" ]; then
  result FAIL "xl pci-assignable-add failed for:$failed_add"
  return 0
fi
xs_watch_start
sleep 1
xs_step "multi-create: xl create guest with pci = [ $(echo $ORDER | sed "s/\([^ ]*\)/'\1'/g; s/ /, /g") ]"
GUEST_LOGLEVEL=6 start_guest guest multi "$ORDER"
touch /run/lab-created
CUR=$ORDER
# Where each domain's vCPU runs (lab_pin=1 keeps dom0 and the guest on pCPUs of their own).
xl vcpu-list 2>&1 | awk 'NR > 1 { l = l (l == "" ? "" : "; ") $1 " vcpu " $3 " on cpu " $4 " affinity " $7 }
  END { print "@@VCPUS " l }'
if grep -qw lab_sampler /proc/cmdline; then
  touch /run/lab-sampler
  be_sampler &
fi
verdict 0 240 "" "" "$CUR"

step detach-first detach "$A"
step detach-last detach "$C"
step reattach-first attach "$A"
step detach-middle detach "$B"
rm -f /run/lab-sampler

# --- frontend-reconnect ---------------------------------------------------------------------------
# The guest unbinds its frontend from the device (its devices go away, the frontend closes), unloads
# it and loads it again: the same devices must come back, with their drivers, and the guest must not
# warn on the way (Linux 6.1's xen-pcifront does, at close: a LIMIT row for the in-tree frontend).
begin frontend-reconnect
from=$(lines "$LOG")
xs_step "frontend-reconnect: in the guest pci-0 unbound from pcifront, rmmod xen-pcifront, modprobe xen-pcifront"
guest_cmd guest reconnect
if ! wait_log "$LOG" "@@GUEST-RMMOD" 90 "$from"; then
  result FAIL "the guest did not report its rmmod"
elif tail -n "+$((from + 1))" "$LOG" | grep -q "@@GUEST-RMMOD failed"; then
  why=$(tail -n "+$((from + 1))" "$LOG" | grep -o "@@GUEST-RMMOD failed.*@@" | head -1)
  if in_tree_frontend; then result N/A "Linux's xen-pcifront cannot be unloaded: $why"
  else result FAIL "$why"; fi
else
  at=$(tail -n "+$((from + 1))" "$LOG" | grep -n "@@GUEST-RMMOD" | head -1 | cut -d: -f1)
  want=$(want_set $CUR)
  gw=$(tail -n "+$((from + 1))" "$LOG" | head -n "$at" | grep -E 'WARNING:|BUG:|Oops|general protection|sysfs group' |
    sed 's/^.*\] //' | head -3 | tr '\n' ' ')
  [ -z "$gw" ] || echo "@@GUEST-WARNED-AT-CLOSE $gw"
  FE_SOFT=""
  if [ -n "$gw" ]; then FE_SOFT="the guest warned when the frontend closed: $gw;"; fi
  # wait up to 90 s for the set; give up after 15 s of both ends Closed (6) once the frontend is back
  domid=$(xl domid guest)
  i=0
  closed=0
  back=""
  while [ $i -lt 90 ] && [ $closed -lt 15 ]; do
    tail -n "+$((from + at + 1))" "$LOG" | grep -q -- "@@GUEST-SET ${want:-none} @@" && { back=1; break; }
    if tail -n "+$((from + 1))" "$LOG" | grep -q "@@GUEST-MODPROBE" &&
       [ "$(xenstore-read "/local/domain/0/backend/pci/$domid/0/state" 2>/dev/null)" = 6 ] &&
       [ "$(xenstore-read "/local/domain/$domid/device/pci/0/state" 2>/dev/null)" = 6 ]; then
      closed=$((closed + 1))
    else
      closed=0
    fi
    sleep 1
    i=$((i + 1))
  done
  if [ -n "$back" ]; then
    verdict "$((from + at))" 10 "" "" "$CUR"
  else
    bstate=$(xenstore-read "/local/domain/0/backend/pci/$domid/0/state" 2>/dev/null)
    fstate=$(xenstore-read "/local/domain/$domid/device/pci/0/state" 2>/dev/null)
    seen=$(tail -n "+$((from + at))" "$LOG" | grep -o '@@GUEST-SET .* @@' | tail -1 | sed 's/@@GUEST-SET //; s/ @@//')
    xs_snapshot frontend-reconnect
    if in_tree_backend && [ "$bstate" = 6 ] && { [ -z "$FE_SOFT" ] || in_tree_frontend; }; then
      result LIMIT "in-tree backend: no reconnect; after the frontend came back and closed again (state" \
        "$fstate) the backend stays Closed (state 6; it sets a guest up only from its own Initialised state)," \
        "the guest sees [$seen]${FE_SOFT:+; in-tree frontend: $FE_SOFT}"
    else
      diag "$domid" | grep -v '^@@DIAG' | sed 's/^/@@DIAG /'
      result FAIL "devices did not come back: guest sees [$seen], backend state $bstate, frontend state $fstate${FE_SOFT:+; $FE_SOFT}"
    fi
  fi
  FE_SOFT=""
fi

# --- unbind-while-assigned ------------------------------------------------------------------------
# A (e1000e, assigned) is unbound from pciback and bound to dom0's e1000e; then the guest is
# destroyed. Whatever the backend does at the unbind (the in-tree one releases the device under the
# guest, ours shuts the guest down first), once dom0's driver owns the device the guest's destruction
# must not touch it: its config signature (command register with the Bus Master dom0's e1000e set,
# MSI/MSI-X control, BAR0) and its binding are compared before and after the destroy. A backend that
# released the device again would disable it and restore its bind-time config (Bus Master off).
# Not judged, only reported: the interface's state and interrupts. Xen still has the function assigned
# (to the guest, then to quarantine), so dom0 gets no MSI/MSI-X for it ("xen map irq failed", e1000e
# falls back to INTx) and no DMA: with the interface up, e1000e's transmit timeouts reset the adapter
# every few seconds. So the interface stays down here. libxl itself resets a dying PV guest's
# functions through /sys/bus/pci/devices/BDF/reset, which saves and restores the config around the
# reset: that does not change the signature.
begin unbind-while-assigned
modprobe e1000e
xs_step "unbind-while-assigned: $A unbound from pciback while assigned"
echo "$A" > "$PCIBACK/unbind" || echo "@@UNBIND-FAILED"
sleep 3
# the guest's state 3 s after the unbind (xl list's flags; ours shuts it down at the unbind)
alive_after_unbind=$(xl list guest 2>/dev/null | awk 'NR == 2 {print "state " $5}')
alive_after_unbind=${alive_after_unbind:-gone}
dmesg | grep -iE "pciback|pcisplit" | tail -5 | sed 's/^/@@UNBIND-DMESG /'
echo "$A" > /sys/bus/pci/drivers/e1000e/bind || echo "@@BIND-E1000E-FAILED"
sleep 3
ifc=$(ls "/sys/bus/pci/devices/$A/net" 2>/dev/null | head -1)
state_of() { echo "$(cfgsig "$A") bar0=$(setpci -s "$A" BASE_ADDRESS_0) driver=$(driver_of "$A")"; }
info_of() {
  echo "$ifc $(cat "/sys/class/net/$ifc/operstate" 2>/dev/null), interrupts on line $(cat "/sys/bus/pci/devices/$A/irq"):" \
    "$(awk -v l="$(cat "/sys/bus/pci/devices/$A/irq"):" '$1 == l {print $2}' /proc/interrupts)"
}
if [ -z "$ifc" ]; then
  result FAIL "dom0's e1000e did not take $A after the unbind (driver '$(driver_of "$A")'); guest $alive_after_unbind"
else
  before=$(state_of)
  info0=$(info_of)
  xs_step "unbind-while-assigned: xl destroy guest"
  if xl domid guest >/dev/null 2>&1; then xl destroy guest 2>&1 | sed 's/^/[xl] /'; fi
  sleep 5
  after=$(state_of)
  info1=$(info_of)
  echo "@@UNBIND before [$before] [$info0] after [$after] [$info1]"
  if xl domid guest >/dev/null 2>&1; then
    result FAIL "the guest is still there after xl destroy"
  elif [ "$before" != "$after" ]; then
    result FAIL "the device changed under dom0's e1000e: [$before] -> [$after]"
  elif ! echo "$before" | grep -qE 'cmd=0*[0-9a-f]*[4-7cdef]( |$)'; then
    result FAIL "dom0's e1000e did not enable Bus Master, the check proves nothing: [$before]"
  elif dmesg_since_begin | grep -v 'traps: ' | grep -qE 'WARNING:|BUG:|Oops|general protection|Call Trace|refcount_t'; then
    result FAIL "dom0 warned: $(dmesg_since_begin | grep -v 'traps: ' | grep -E 'WARNING:|BUG:|Oops|Call Trace' | tail -2 | tr '\n' ' ')"
  else
    result PASS "guest 3 s after the unbind: $alive_after_unbind; $A with dom0's e1000e unchanged across the" \
      "destroy [$after] (info: [$info0] -> [$info1])"
  fi
fi
xs_snapshot unbind-while-assigned

# the watch log's reader reads each value as it goes: let it catch up (at most 30 s)
i=0
while [ $i -lt 15 ]; do
  n=$(wc -l < "$XSLOG")
  sleep 2
  [ "$(wc -l < "$XSLOG")" = "$n" ] && break
  i=$((i + 1))
done
echo "@@XS-BEGIN watch log"
cat "$XSLOG"
echo "@@XS-END"
echo "@@XS-BEGIN xenstored trace"
xs_trace /tmp/xenstored.trace
echo "@@XS-END"
