#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# Boots Debian's kernel (the one linux-image-amd64 points at, which the module was built for) under
# QEMU TCG without Xen, insmods our xen-pciback.ko and checks it refuses cleanly: insmod fails, the
# message says why, the module is not left loaded, and the kernel (panic_on_warn=1) prints no WARN/BUG.
# Usage: test/modules/boot-refuse.sh BUILD_DIR MODULE.ko
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
build=$(cd "$1" && pwd)
ko=$2
lab=$build/lab
"$here/../lab/fetch.sh" "$lab" >/dev/null
kver=$(cat "$lab/root/.kver")
work=$build/modules-test
rm -rf "$work"
mkdir -p "$work/root/bin" "$work/root/proc" "$work/root/sys" "$work/root/dev"
cp /bin/busybox "$work/root/bin/busybox"
cp "$ko" "$work/root/xen-pciback.ko"
cat > "$work/root/init" <<'INIT'
#!/bin/busybox sh
/bin/busybox --install -s /bin
mount -t proc proc /proc
mount -t sysfs sys /sys
insmod /xen-pciback.ko
echo "@@INSMOD rc=$?"
echo "@@LOADED $(grep -c '^xen_pciback ' /proc/modules)"
dmesg | grep -E 'pcisplit|WARNING|BUG|Oops' | sed 's/^/@@DMESG /'
echo "@@DONE"
poweroff -f
INIT
chmod +x "$work/root/init"
(cd "$work/root" && find . | cpio -o -H newc 2>/dev/null | gzip -1) > "$work/initrd.gz"
log=$work/serial.log
timeout 120 qemu-system-x86_64 -machine q35,accel=tcg -cpu max -m 512 -smp 1 -display none -vga none \
  -nic none -no-reboot -serial "file:$log" -kernel "$lab/root/boot/vmlinuz-$kver" -initrd "$work/initrd.gz" \
  -append "console=ttyS0 loglevel=7 panic_on_warn=1 panic=-1" > "$work/qemu.err" 2>&1 || true
fail() { echo "module refusal test FAILED: $*"; tr -d '\r' < "$log" | tail -20; exit 1; }
grep -q '@@DONE' "$log" || fail "the test VM did not finish"
grep -q '@@INSMOD rc=0' "$log" && fail "insmod succeeded outside a Xen dom0"
grep -q '@@LOADED 0' "$log" || fail "the module stayed loaded"
grep -q 'not running in a Xen PV initial domain; refusing to load' "$log" || fail "no refusal message"
grep -qE '@@DMESG .*(WARNING|BUG|Oops)' "$log" && fail "the kernel warned"
echo "module refusal test passed: $(tr -d '\r' < "$log" | grep -o 'xen-pciback (pcisplit):.*' | head -1)"
