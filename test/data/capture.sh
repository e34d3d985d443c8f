#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# Re-captures the QEMU-emulated devices' config spaces in test/data/ (see README.md there).
#
# Boots Debian's current kernel (downloaded, never installed) under QEMU TCG with a busybox initramfs
# that prints every PCI function's sysfs config and resource files on the serial port, then converts
# each into an lspci -xxxx dump with "# resource" lines. Needs: qemu-system-x86 busybox-static cpio
# pciutils (apt-get install). Run from the repository root: test/data/capture.sh [BUILD_DIR]
set -euo pipefail
out_dir=$(cd "$(dirname "$0")" && pwd)
work=${1:-build}/capture
mkdir -p "$work"
work=$(cd "$work" && pwd)

kpkg=$(apt-cache depends linux-image-amd64 | awk '/Depends: linux-image-[0-9]/ {print $2; exit}')
[ -n "$kpkg" ] || { echo "cannot find the kernel package linux-image-amd64 depends on" >&2; exit 1; }
kver=${kpkg#linux-image-}
if [ ! -f "$work/vmlinuz-$kver" ]; then
  (cd "$work" && apt-get download "$kpkg" >/dev/null 2>&1)
  dpkg-deb --fsys-tarfile "$work/${kpkg}"_*.deb | tar -x -C "$work" "./boot/vmlinuz-$kver"
  mv "$work/boot/vmlinuz-$kver" "$work/vmlinuz-$kver"
fi

root="$work/initramfs"
rm -rf "$root"
mkdir -p "$root/bin" "$root/proc" "$root/sys" "$root/dev"
cp /bin/busybox "$root/bin/busybox"
cat > "$root/init" <<'INIT'
#!/bin/busybox sh
/bin/busybox --install -s /bin
mount -t proc proc /proc
mount -t sysfs sys /sys
for d in /sys/bus/pci/devices/*; do
  echo "@@DEV $(basename "$d")"
  hexdump -v -C "$d/config"
  echo "@@RES"
  cat "$d/resource"
  echo "@@END"
done
echo "@@DONE"
poweroff -f
INIT
chmod +x "$root/init"
(cd "$root" && find . | cpio -o -H newc 2>/dev/null | gzip -1) > "$work/capture.cpio.gz"

log="$work/serial.log"
rm -f "$log"
# q35 brings the host bridge, the LPC/ISA bridge, ich9-ahci and the SMBus controller; the rest is added.
timeout 300 qemu-system-x86_64 -machine q35,accel=tcg -cpu max -m 512 -smp 1 -display none -vga none \
  -nic none -no-reboot -serial "file:$log" 2>"$work/qemu.err" \
  -device pcie-root-port,id=rp1,chassis=1,slot=1,bus=pcie.0,addr=0x4 \
  -device pcie-root-port,id=rp2,chassis=2,slot=2,bus=pcie.0,addr=0x5 \
  -device pcie-root-port,id=rp3,chassis=3,slot=3,bus=pcie.0,addr=0x6 \
  -device pcie-root-port,id=rp4,chassis=4,slot=4,bus=pcie.0,addr=0x7 \
  -device e1000e,bus=rp1 \
  -device nvme,serial=pcisplit0,bus=rp2 \
  -device virtio-net-pci,disable-legacy=on,bus=rp3 \
  -device qemu-xhci,bus=rp4 \
  -device ich9-intel-hda,bus=pcie.0,addr=0x8 \
  -device e1000,bus=pcie.0,addr=0x9 \
  -device vmxnet3,bus=pcie.0,addr=0xa \
  -device megasas,bus=pcie.0,addr=0xb \
  -kernel "$work/vmlinuz-$kver" -initrd "$work/capture.cpio.gz" \
  -append "console=ttyS0 quiet loglevel=0 panic=-1"
grep -q "@@DONE" "$log" || { cat "$work/qemu.err" >&2; echo "capture did not finish; see $log" >&2; exit 1; }

# name-by-address: which dumps we keep, under which file name.
declare -A names=(
  [0000:00:00.0]=q35-host-bridge [0000:00:04.0]=pcie-root-port [0000:00:08.0]=ich9-intel-hda
  [0000:00:09.0]=e1000 [0000:00:0a.0]=vmxnet3 [0000:00:0b.0]=megasas [0000:00:1f.0]=ich9-lpc
  [0000:00:1f.2]=ich9-ahci [0000:00:1f.3]=ich9-smbus [0000:01:00.0]=e1000e [0000:02:00.0]=nvme
  [0000:03:00.0]=virtio-net-modern [0000:04:00.0]=qemu-xhci
)
tr -d '\r' < "$log" | awk -v dir="$work" '
  /^@@DEV / { dev = $2; file = dir "/raw-" dev; printf "" > file; state = "cfg"; row = 0; next }
  /^@@RES/  { state = "res"; next }
  /^@@END/  { close(file); state = ""; next }
  state == "cfg" && /^[0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f]  / {
    line = sprintf(row < 16 ? "%02x:" : "%03x:", row * 16); row++;
    for (i = 2; i <= 17; i++) line = line " " $i; print line >> file; next }
  state == "res" && /^0x/ { print "# resource " n[dev]++ " " $0 >> file }
'
qemu_ver=$(qemu-system-x86_64 --version | head -1)
for bdf in "${!names[@]}"; do
  raw="$work/raw-$bdf"
  [ -s "$raw" ] || { echo "no capture for $bdf" >&2; exit 1; }
  body=$(grep -v '^#' "$raw")
  title=$(printf '%s %s\n%s\n' "${bdf#0000:}" "x" "$body" | lspci -F /dev/stdin 2>/dev/null | head -1 | cut -d' ' -f2-)
  {
    echo "# ${names[$bdf]}: captured by test/data/capture.sh from $qemu_ver, q35, kernel $kver, sysfs config"
    grep '^# resource' "$raw"
    echo "${bdf#0000:} $title"
    echo "$body"
  } > "$out_dir/${names[$bdf]}.lspci"
  echo "wrote test/data/${names[$bdf]}.lspci ($title)"
done
