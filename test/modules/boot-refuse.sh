#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# Boots Debian's kernel (the one linux-image-amd64 points at, which the module was built for) under
# QEMU TCG without Xen, insmods our xen-pciback.ko and xen-pcifront.ko and checks each refuses
# cleanly: insmod fails, the message says why, the module is not left loaded, and the kernel
# (panic_on_warn=1) prints no WARN/BUG. Usage: test/modules/boot-refuse.sh BUILD_DIR KBUILD_DIR [KERNEL]
# KERNEL: the image to boot (another platform's, test/platform/root.sh); by default the host release's
# kernel from the lab's packages.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
build=$(cd "$1" && pwd)
kodir=$2
kernel=${3:-}
if [ -z "$kernel" ]; then
  lab=$build/lab
  "$here/../lab/fetch.sh" "$lab" >/dev/null
  kernel=$lab/root/boot/vmlinuz-$(cat "$lab/root/.kver")
fi
work=$build/modules-test
rm -rf "$work"
mkdir -p "$work/root/bin" "$work/root/proc" "$work/root/sys" "$work/root/dev"
cp /bin/busybox "$work/root/bin/busybox"
cp "$kodir/xen-pciback.ko" "$kodir/xen-pcifront.ko" "$work/root/"
cat > "$work/root/init" <<'INIT'
#!/bin/busybox sh
/bin/busybox --install -s /bin
mount -t proc proc /proc
mount -t sysfs sys /sys
for m in xen-pciback xen-pcifront; do
  insmod /$m.ko
  echo "@@INSMOD $m rc=$?"
done
echo "@@LOADED $(grep -cE '^xen_pci(back|front) ' /proc/modules)"
dmesg | grep -E 'xen-pci(back|front):|WARNING|BUG|Oops' | sed 's/^/@@DMESG /'
echo "@@DONE"
poweroff -f
INIT
chmod +x "$work/root/init"
(cd "$work/root" && find . | cpio -o -H newc 2>/dev/null | gzip -1) > "$work/initrd.gz"
log=$work/serial.log
timeout 120 qemu-system-x86_64 -machine q35,accel=tcg -cpu max -m 512 -smp 1 -display none -vga none \
  -nic none -no-reboot -serial "file:$log" -kernel "$kernel" -initrd "$work/initrd.gz" \
  -append "console=ttyS0 loglevel=7 panic_on_warn=1 panic=-1" > "$work/qemu.err" 2>&1 || true
fail() { echo "module refusal test FAILED: $*"; tr -d '\r' < "$log" | tail -20; exit 1; }
grep -q '@@DONE' "$log" || fail "the test VM did not finish"
grep -q '@@INSMOD xen-pciback rc=0' "$log" && fail "xen-pciback loaded outside a Xen dom0"
grep -q '@@INSMOD xen-pcifront rc=0' "$log" && fail "xen-pcifront loaded outside a Xen guest"
grep -q '@@LOADED 0' "$log" || fail "a module stayed loaded"
grep -q 'xen-pciback: not running in a Xen initial domain (dom0); refusing to load' "$log" ||
  fail "no refusal message from xen-pciback"
grep -q 'xen-pcifront: not running in a Xen PV guest; refusing to load' "$log" ||
  fail "no refusal message from xen-pcifront"
grep -qE '@@DMESG .*(WARNING|BUG|Oops)' "$log" && fail "the kernel warned"
echo "module refusal test passed ($(basename "$kernel")): $(tr -d '\r' < "$log" | grep -oE 'xen-pci(back|front): .*' | sort -u | tr '\n' ' ')"
