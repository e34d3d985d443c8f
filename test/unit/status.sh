#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
# pcisplit capture and status against fake sysfs trees built here (--root), and a saved xenstore
# listing (--xenstore-ls): our module with an owned and an assignable function, the in-tree module,
# no module, and the broken inputs each must name.
set -eu
tool=$1
data=$2
version=$(cat "$data/../../VERSION")
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail() { echo "FAIL: $*"; exit 1; }
# has TEXT LINE: TEXT has LINE exactly (fixed string, whole line).
has() { printf '%s\n' "$1" | grep -qxF -- "$2" || fail "expected the line '$2' in:
$1"; }
# contains TEXT PART: some line of TEXT contains PART.
contains() { printf '%s\n' "$1" | grep -qF -- "$2" || fail "expected '$2' in:
$1"; }

# fake_function ROOT BDF DUMP DRIVER: a function's sysfs directory made from a recorded dump: config
# (the rows as bytes), resource (its "# resource" lines), irq 20, its ids, and its driver link.
fake_function() {
  d=$1/sys/bus/pci/devices/$2
  mkdir -p "$d" "$1/sys/bus/pci/drivers/$4"
  perl -ne 'print pack("H*", join "", (split)[1..16]) if /^[0-9a-f]{2,3}: /' "$3" > "$d/config"
  sed -n 's/^# resource [0-9]* //p' "$3" > "$d/resource"
  echo 20 > "$d/irq"
  perl -e 'open F, "<", "$ARGV[0]/config" or die; binmode F; read F, $b, 12;
           my ($v, $dv) = unpack("v v", $b);
           for (["vendor", sprintf("0x%04x", $v)], ["device", sprintf("0x%04x", $dv)],
                ["class", sprintf("0x%06x", unpack("V", substr($b, 8, 4)) >> 8)]) {
             open O, ">", "$ARGV[0]/$_->[0]" or die; print O "$_->[1]\n"; close O;
           }' "$d"
  ln -s "../../../../bus/pci/drivers/$4" "$d/driver"
  ln -s "../../devices/$2" "$1/sys/bus/pci/drivers/$4/$2"
}

# ---- capture: the dump it writes is what view reads, bytes, sizes and IRQ
r=$tmp/cap
fake_function "$r" 0000:01:00.0 "$data/e1000e.lspci" e1000e
out=$("$tool" capture --root "$r" 01:00.0) || fail "capture: $out"
printf '%s\n' "$out" > "$tmp/cap.lspci"
has "$out" "# driver e1000e"
has "$out" "# irq 20"
has "$out" "0000:01:00.0 Device 8086:10d3 (class 020000)"
[ "$(grep -E '^[0-9a-f]{2,3}: ' "$tmp/cap.lspci")" = "$(grep -E '^[0-9a-f]{2,3}: ' "$data/e1000e.lspci")" ] ||
  fail "capture: the rows differ from the dump the fake function was made of"
[ "$(grep '^# resource' "$tmp/cap.lspci")" = "$(grep '^# resource' "$data/e1000e.lspci")" ] || fail "capture: resource lines"
view=$("$tool" view "$tmp/cap.lspci") || fail "view of a capture: $view"
contains "$view" "BAR/ROM sizes: from the \"# resource\" lines; dom0's IRQ: 20 from the \"# irq\" line"
if printf '%s\n' "$view" | grep -q NOTE; then fail "a complete capture still has a NOTE: $view"; fi
lspci -F "$tmp/cap.lspci" >/dev/null 2>&1 || fail "lspci -F does not read a capture"
# Several functions: one file, each read back.
fake_function "$r" 0000:00:05.0 "$data/nvme.lspci" nvme
"$tool" capture --root "$r" 0000:01:00.0 0000:00:05.0 > "$tmp/two.lspci" || fail "capture of two functions"
[ "$("$tool" view "$tmp/two.lspci" | grep -c '^==== ')" -eq 2 ] || fail "view of a two-function capture"
# What capture refuses, by name.
head -c 64 "$r/sys/bus/pci/devices/0000:01:00.0/config" > "$tmp/short" && cp "$tmp/short" "$r/sys/bus/pci/devices/0000:00:05.0/config"
err=$("$tool" capture --root "$r" 00:05.0 2>&1) && fail "capture of a 64-byte config succeeded"
contains "$err" "0000:00:05.0/config: 64 bytes (need root for the whole space)"
rm "$r/sys/bus/pci/devices/0000:01:00.0/resource"
err=$("$tool" capture --root "$r" 01:00.0 2>&1) && fail "capture without a resource file succeeded"
contains "$err" "0000:01:00.0/resource: cannot open"
err=$("$tool" capture --root "$r" 01:00.1 2>&1) && fail "capture of an absent function succeeded"
contains "$err" "0000:01:00.1: no such function"
rc=0
err=$("$tool" capture 01:00 2>&1) || rc=$?
[ "$rc" -eq 2 ] || fail "capture of a bad address: rc $rc"
contains "$err" '"01:00" is not a PCI address'

# ---- status: not loaded
err=$("$tool" status --root "$tmp/empty" --no-xenstore 2>&1) && fail "status without pciback succeeded"
contains "$err" "pciback is not loaded: $tmp/empty/sys/bus/pci/drivers/pciback does not exist"

# ---- status: our module, e1000e owned by domain 1 (MSI-X on), nvme assignable (INTx handler on)
r=$tmp/ours
fake_function "$r" 0000:00:04.0 "$data/e1000e.lspci" pciback
fake_function "$r" 0000:00:05.0 "$data/nvme.lspci" pciback
pb=$r/sys/bus/pci/drivers/pciback
mkdir -p "$r/sys/module/xen_pciback/parameters" "$r/sys/bus/pci/devices/0000:00:04.0/msi_irqs"
echo "$version" > "$r/sys/module/xen_pciback/version"
echo N > "$r/sys/module/xen_pciback/parameters/passthrough"
echo N > "$r/sys/module/xen_pciback/parameters/permissive"
for i in 40 41 42; do echo msix > "$r/sys/bus/pci/devices/0000:00:04.0/msi_irqs/$i"; done
printf '0000:00:04.0\n0000:00:05.*\n' > "$pb/slots"
printf '0000:00:04.0\n' > "$pb/permissive"
: > "$pb/allow_interrupt_control"
printf '00:04.0\n\t8086:10d3:8086:0000\n\t\t000000e0:4:0000ffff\n' > "$pb/quirks"
printf '0000:00:04.0:off:acking:0\n0000:00:05.0:on:acking:17\n' > "$pb/irq_handlers"
printf '0000:00:04.0 3 010:2 0e0:1\n0000:00:05.0 0\n' > "$pb/denials"
printf '0000:00:04.0 msix 3 55 56 57\n0000:00:05.0 none 0\n' > "$pb/pirqs"
printf '%s\n' '0000:00:04.0 method=flr last=ok(release,flr) at=12.345 count=2 | pm: No_Soft_Reset clear; bus: not alone on its bus;' \
  '0000:00:05.0 method=secondary_bus last=never count=0 |' > "$pb/resets"
cat > "$tmp/xs" <<'EOF'
/local/domain/0/backend/pci/1/0/state = "4"
/local/domain/0/backend/pci/1/0/domain = "guest"
/local/domain/0/backend/pci/1/0/num_devs = "1"
/local/domain/0/backend/pci/1/0/dev-0 = "0000:00:04.0"
/local/domain/0/backend/pci/1/0/state-0 = "3"
/local/domain/0/backend/pci/1/0/vdev-0 = "0000:00:00.00"
/local/domain/0/backend/pci/1/0/opts-0 = "msitranslate=0,power_mgmt=0,permissive=0,rdm_policy=strict"
/local/domain/1/name = "guest"
EOF
out=$("$tool" status --root "$r" --xenstore-ls "$tmp/xs") || fail "status: $out"
has "$out" "pciback: xen-pcisplit's xen-pciback $version"
has "$out" "mode:    vpci (guests see one virtual bus); module-wide permissive: no"
has "$out" "slots:   0000:00:04.0 0000:00:05.*"
has "$out" "0000:00:04.0 8086:10d3 class 020000"
has "$out" "  owner:      domain 1 \"guest\", guest address 0000:00:00.0 (dev-0 Initialised, backend Connected)"
has "$out" "  flags:      permissive yes; allow_interrupt_control no; quirks 000000e0:4:0000ffff (REG:SIZE:MASK)"
has "$out" "  interrupts: MSI-X, 3 vectors (dom0 IRQs 40 41 42); the guest's MSI-X PIRQs 55 56 57"
has "$out" "  INTx:       pin A, dom0 IRQ 20; fake handler off, acking, 0 handled"
has "$out" "  denials:    3 refused guest writes since the last export, by register (OFF:COUNT): 010:2 0e0:1"
has "$out" "  reset:      method flr; last ok (release, flr) at 12.345 s after boot; 2 succeeded"
has "$out" "              not used: pm: No_Soft_Reset clear; bus: not alone on its bus;"
has "$out" "  owner:      none: no guest's backend directory lists it (assignable)"
has "$out" "  interrupts: INTx (pciback's fake handler on); no MSI/MSI-X PIRQs given to a guest"
has "$out" "  reset:      method secondary_bus; last never; 0 succeeded"
# One function asked for; one that pciback does not hold.
[ "$("$tool" status --root "$r" --no-xenstore 0000:00:05.0 | grep -c '^0000:')" -eq 1 ] || fail "status BDF shows one"
err=$("$tool" status --root "$r" --no-xenstore 01:00.0 2>&1) && fail "status of a function pciback does not hold succeeded"
contains "$err" "0000:01:00.0: not bound to pciback (no driver)"
out=$("$tool" status --root "$r" --no-xenstore) || fail "status --no-xenstore: $out"
has "$out" "  owner:      not looked up (--no-xenstore)"
# The guest's domain is gone, its backend directory left behind (as libxl does on destroy).
grep -v '^/local/domain/1/' "$tmp/xs" > "$tmp/xs-gone"
out=$("$tool" status --root "$r" --xenstore-ls "$tmp/xs-gone") || fail "status, gone domain: $out"
has "$out" "  owner:      domain 1 \"guest\" is gone; its backend directory (dev-0) is left behind"
# Another module version says so.
echo 9.9.9 > "$r/sys/module/xen_pciback/version"
out=$("$tool" status --root "$r" --no-xenstore) || fail "status, other version: $out"
contains "$out" "xen-pciback 9.9.9 (this pcisplit is $version: the formats read here may differ)"
echo "$version" > "$r/sys/module/xen_pciback/version"
# Broken inputs are named, and the rest is still shown.
printf '0000:00:04.0 x\n' > "$pb/denials"
err=$("$tool" status --root "$r" --no-xenstore 2>&1 >/dev/null) && fail "status with a malformed denials succeeded"
contains "$err" "$pb/denials: line 1: expected DDDD:BB:DD.F TOTAL [OFF:COUNT]... [+N]: \"0000:00:04.0 x\""
printf '0000:00:04.0 0\n0000:00:05.0 0\n' > "$pb/denials"
rm "$r/sys/bus/pci/devices/0000:00:05.0/vendor"
err=$("$tool" status --root "$r" --no-xenstore 2>&1 >/dev/null) && fail "status with a missing vendor file succeeded"
contains "$err" "0000:00:05.0/vendor: cannot read"
echo 0x1b36 > "$r/sys/bus/pci/devices/0000:00:05.0/vendor"
printf '/local/domain/0/backend/pci/1/0/num_devs = 1\n' > "$tmp/xs-bad"
err=$("$tool" status --root "$r" --xenstore-ls "$tmp/xs-bad" 2>&1 >/dev/null) && fail "a malformed listing was taken"
contains "$err" "$tmp/xs-bad: line 1: expected \`/path = \"value\"\` (xenstore-ls -f output)"
sed 's/"0000:00:00.00"/"00:00.0"/' "$tmp/xs" > "$tmp/xs-vdev"
err=$("$tool" status --root "$r" --xenstore-ls "$tmp/xs-vdev" 2>&1 >/dev/null) && fail "a malformed vdev-0 was taken"
contains "$err" "xenstore /local/domain/0/backend/pci/1/0/vdev-0: \"00:00.0\""

# More PIRQs than the module lists: the rest counted. A count the list does not add up to is named.
printf '0000:00:04.0 msix 20 %s +4\n0000:00:05.0 none 0\n' "$(seq -s ' ' 100 115)" > "$pb/pirqs"
out=$("$tool" status --root "$r" --no-xenstore) || fail "status, 20 PIRQs: $out"
has "$out" "  interrupts: MSI-X, 3 vectors (dom0 IRQs 40 41 42); the guest's MSI-X PIRQs $(seq -s ' ' 100 115) and 4 more"
printf '0000:00:04.0 msix 3 55\n' > "$pb/pirqs"
err=$("$tool" status --root "$r" --no-xenstore 2>&1 >/dev/null) && fail "status with a short pirqs line succeeded"
contains "$err" "$pb/pirqs: line 1: the PIRQs listed and +N do not add up to COUNT"
# Our module from before the pirqs attribute: said per function, not an error.
rm "$pb/pirqs"
out=$("$tool" status --root "$r" --no-xenstore) || fail "status without pirqs: $out"
has "$out" "  interrupts: MSI-X, 3 vectors (dom0 IRQs 40 41 42); the guest's PIRQs: not reported by this version of the module"

# Our module from before the reset work (no resets): said per function, not an error.
mv "$pb/resets" "$tmp/resets"
out=$("$tool" status --root "$r" --no-xenstore) || fail "status without resets: $out"
has "$out" "  reset:      not reported by this version of the module"
mv "$tmp/resets" "$pb/resets"

# ---- status: Linux's in-tree module (no denials, no resets): what it has, and what it has not
rm "$pb/denials" "$pb/resets" "$r/sys/module/xen_pciback/version"
out=$("$tool" status --root "$r" --no-xenstore) || fail "status, in-tree: $out"
has "$out" "pciback: Linux's in-tree xen-pciback: it has slots, permissive, allow_interrupt_control, quirks and"
has "$out" "  denials:    not available (in-tree pciback)"
has "$out" "  INTx:       pin A, dom0 IRQ 20; fake handler on, acking, 17 handled"
has "$out" "  interrupts: MSI-X, 3 vectors (dom0 IRQs 40 41 42); the guest's PIRQs: not exposed by the in-tree pciback"
echo "status: all checks passed"
