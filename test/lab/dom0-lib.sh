# SPDX-License-Identifier: GPL-2.0-only
# Helpers for the lab's dom0 scenarios. Results are marker lines the host parses:
#   @@SCENARIO NAME            a scenario starts
#   @@RESULT NAME PASS|FAIL|LIMIT|N/A|HOST SECONDS DETAIL   (HOST: the host decides from dumps in the
#   log; LIMIT: a known limitation of the in-tree drivers; N/A: the scenario cannot run with this pair)

# busybox-static's shell prefers its own applets (a modprobe without /proc/cmdline options, -c or
# dependency handling): always run kmod's.
modprobe() { /sbin/modprobe "$@"; }

scenario() {
  SCENARIO=$1
  SCEN_T0=$(date +%s)
  echo "@@SCENARIO $1"
}

result() {
  local status=$1
  shift
  echo "@@RESULT $SCENARIO $status $(( $(date +%s) - SCEN_T0 )) $*"
}

# wait_log FILE PATTERN SECONDS [FROM_LINE]: 0 once PATTERN appears in FILE (after line FROM_LINE).
wait_log() {
  local i=0 from=${4:-0}
  while [ "$i" -lt "$(($3 * 5))" ]; do
    tail -n "+$((from + 1))" "$1" 2>/dev/null | grep -q -- "$2" && return 0
    sleep 0.2
    i=$((i + 1))
  done
  echo "@@TIMEOUT waiting for '$2' in $1"
  return 1
}

# in_tree_backend: true when this boot's dom0 runs Linux's own xen-pciback (pairs in-tree, ours-fe).
in_tree_backend() { case $(cat /lab/pair) in in-tree|ours-fe) return 0 ;; *) return 1 ;; esac; }
# reset_count BDF: how many resets of BDF our pciback counted (its resets attribute); empty with
# Linux's, which has none.
reset_count() { sed -n "s/^$1 .* count=\([0-9]*\).*/\1/p" /sys/bus/pci/drivers/pciback/resets 2>/dev/null; }
# in_tree_frontend: true when this boot's guests run Linux's own xen-pcifront (pairs in-tree, ours-be).
in_tree_frontend() { case $(cat /lab/pair) in in-tree|ours-be) return 0 ;; *) return 1 ;; esac; }

guest_log() { echo "/var/log/xen/console/guest-$1.log"; }

# driver_of BDF: the name of the dom0 driver bound to BDF, empty if none.
driver_of() { basename "$(readlink "/sys/bus/pci/devices/$1/driver" 2>/dev/null)" 2>/dev/null; }

# last_number FILE PREFIX: the number right after the last PREFIX in FILE (e.g. "@@GUEST-IRQCOUNT ").
last_number() { sed -n "s/.*$2\([0-9]*\).*/\1/p" "$1" | tail -1; }

# lines FILE: how many lines FILE has now (to wait only for what comes after).
lines() { wc -l < "$1" 2>/dev/null || echo 0; }

# lab_pinned: dom0 booted with lab_pin=1 (the boot pins dom0 to pCPU 0 with dom0_vcpus_pin, and each
# guest gets pCPUs of its own; lab.sh's boot table).
lab_pinned() { grep -q 'lab_pin=1' /proc/cmdline; }

# guest_cfg NAME MODE BDFS [ARGS]: a PV guest with the passed-through devices BDFS (one BDF, or several
# separated by spaces, in that order in pci=[...]); MODE goes to the guest's /init, ARGS (optional) to
# its kernel command line. In a pinned boot (lab_pinned) the guest gets pCPU 1 to itself.
guest_cfg() {
  local pcis="" b
  for b in $3; do pcis="$pcis${pcis:+, }'$b'"; done
  cat > "/tmp/$1.cfg" <<CFG
name = "$1"
type = "pv"
kernel = "/lab/domu/vmlinuz"
ramdisk = "/lab/domu/initrd.gz"
extra = "console=hvc0 iommu=soft loglevel=${GUEST_LOGLEVEL:-4} lab_mode=$2${4:+ $4}"
memory = 256
vcpus = 1
pci = [ $pcis ]
$(lab_pinned && echo 'cpus = "1"')
on_crash = "destroy"
CFG
}

# guest_console NAME: from now on the guest's console is copied to ours, prefixed with its name (in
# the background: never inside a $(...), which would wait for it forever).
guest_console() {
  : > "$(guest_log "$1")"
  (tail -F "$(guest_log "$1")" 2>/dev/null | while IFS= read -r line; do echo "[$1] $line"; done) &
}

# start_guest NAME MODE BDFS [ARGS]: create it and copy its console to ours, prefixed with its name.
start_guest() {
  guest_cfg "$1" "$2" "$3" "${4:-}"
  guest_console "$1"
  xl create "/tmp/$1.cfg" 2>&1 | sed "s/^/[xl] /"
}

# guest_cmd NAME LINE: types LINE on the guest's console (xenconsoled's pty for it); the guest's /init
# reads commands there in the modes that take them (multi).
guest_cmd() {
  local tty
  tty=$(xenstore-read "/local/domain/$(xl domid "$1")/console/tty" 2>/dev/null)
  [ -n "$tty" ] && [ -c "$tty" ] && printf '%s\n' "$2" > "$tty"
}

# Kernel complaints that must never appear in dom0.
dom0_warnings() { dmesg | grep -E 'WARNING:|BUG:|Oops|general protection|Call Trace|refcount_t' || true; }

dump_hw() {  # BDF LABEL: the device as dom0 sees it (with its resource sizes), between markers
  echo "@@HW-CONFIG-BEGIN $2"
  i=0
  while read -r line; do
    echo "# resource $i $line"
    i=$((i + 1))
  done < "/sys/bus/pci/devices/$1/resource"
  echo "# irq $(cat "/sys/bus/pci/devices/$1/irq")"
  lspci -xxxx -s "$1"
  echo "@@HW-CONFIG-END $2"
}

# diag DOMID: what the backend and frontend say in xenstore, and dom0's backend messages (on failure).
diag() {
  echo "@@DIAG-BEGIN"
  xenstore-ls -f "/local/domain/0/backend/pci/$1" 2>&1 | head -40
  xenstore-ls -f "/local/domain/$1/device/pci" 2>&1 | grep -E '/state|/magic|/pci-op-ref|/event-channel' | head
  dmesg | grep -iE 'pciback|pcisplit|xen_pciback' | tail -30
  echo "@@DIAG-END"
}
