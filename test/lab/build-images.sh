#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# Builds the lab's boot images for one backend/frontend pair:
#   $LAB/images/$PAIR/{xen,vmlinuz,dom0.cpio.gz}, the domU kernel and initramfs inside dom0's.
# PAIR "in-tree" uses the kernel's own xen-pciback / xen-pcifront. PAIR "ours-be" puts MODULES_DIR's
# xen-pciback.ko in place of the in-tree one, "ours-fe" its xen-pcifront.ko, "ours" both; the
# replaced in-tree files are deleted, so they cannot be loaded in a boot that tests ours.
# LAB/root holds Xen, its tools and the kernel. LAB_PLATFORM=bookworm (the default): LAB/root is
# unpacked .debs (fetch.sh) and the rest of the userland (busybox, kmod, lspci, chrt) is the host's, of
# the same release. LAB_PLATFORM=trixie: LAB/root is a whole Debian 13 root (test/platform/root.sh) and
# everything comes from it, its shared libraries as its own ldd lists them.
set -euo pipefail
lab=$1
pair=$2
ours=${3:-}
here=$(cd "$(dirname "$0")" && pwd)
src=$lab/root
kver=$(cat "$src/.kver")
out=$lab/images/$pair
libpath="$src/usr/lib/x86_64-linux-gnu:$src/lib/x86_64-linux-gnu"
platform=${LAB_PLATFORM:-bookworm}
sys=""                            # where the userland comes from: the host ...
[ "$platform" = bookworm ] || sys=$src  # ... or the platform's root
xenver=$(basename "$(ls "$src"/boot/xen-4.*-amd64.gz | tail -1)" | sed 's/^xen-\(4\.[0-9]*\)-amd64\.gz$/\1/')

# libs_of FILE: the shared libraries FILE loads, as paths on this machine.
libs_of() {
  if [ -z "$sys" ]; then  # the host's ldd, the fetched Xen libraries first
    LD_LIBRARY_PATH=$libpath ldd "$1" 2>/dev/null | awk '/=> \// {print $3} /^\t\/lib/ {print $1}'
  else                    # the root's own ldd (its glibc is newer than the host's)
    local f=${1#"$sys"}
    if [ "$f" = "$1" ]; then  # a host binary (pcisplit-evil): resolved against the root's libraries
      f=/tmp/lab-libs-of.$$
      cp "$1" "$sys$f"
    fi
    chroot "$sys" ldd "$f" 2>/dev/null | awk -v r="$sys" '/=> \// {print r $3} /^\t\/lib/ {print r $1}'
    [ "$f" = "${1#"$sys"}" ] || rm -f "$sys$f"
  fi
}

# copy_libs ROOT FILE: the shared libraries of FILE.
copy_libs() {
  local root=$1 lib
  for lib in $(libs_of "$2"); do
    local ldest=${lib#"$src"}
    [ -e "$root$ldest" ] && continue
    mkdir -p "$root$(dirname "$ldest")"
    cp -L "$lib" "$root$ldest"
  done
}

# copy_bin ROOT FILE...: each binary plus its shared libraries.
copy_bin() {
  local root=$1 f
  shift
  for f in "$@"; do
    local dest=${f#"$src"}
    mkdir -p "$root$(dirname "$dest")"
    cp -L "$f" "$root$dest"
    copy_libs "$root" "$f"
  done
}

# copy_modules ROOT MODULE...: the modules with their dependencies, then depmod for kmod's modprobe.
copy_modules() {
  local root=$1 ko
  shift
  for ko in $(modprobe -d "$src" -S "$kver" -a --show-depends "$@" | awk '$1 == "insmod" {print $2}'); do
    local dest=${ko#"$src"}
    mkdir -p "$root$(dirname "$dest")"
    cp "$ko" "$root$dest"
  done
  cp "$src/lib/modules/$kver"/modules.{order,builtin,builtin.modinfo} "$root/lib/modules/$kver/" 2>/dev/null || true
  local m replaced=""
  case $pair in
    ours-be) replaced="xen-pciback" ;;
    ours-fe) replaced="xen-pcifront" ;;
    ours) replaced="xen-pciback xen-pcifront" ;;
  esac
  if [ -n "$replaced" ]; then
    for m in $replaced; do
      find "$root/lib/modules/$kver" -name "$m.ko*" -delete  # the in-tree one must not be loadable
      if printf '%s\n' "$@" | grep -qx "$m"; then
        mkdir -p "$root/lib/modules/$kver/extra"
        cp "$ours/$m.ko" "$root/lib/modules/$kver/extra/"
      fi
    done
  fi
  depmod -b "$root" "$kver"
}

base_root() {
  local root=$1
  rm -rf "$root"
  mkdir -p "$root"/{bin,sbin,proc,sys,dev,run,tmp,etc,usr/share/misc,lab}
  cp -L "$sys/bin/busybox" "$root/bin/busybox"
  copy_bin "$root" "$sys/bin/kmod"
  for t in modprobe insmod rmmod lsmod modinfo depmod; do ln -sf /bin/kmod "$root/sbin/$t"; done
  copy_bin "$root" "$sys/usr/bin/lspci" "$sys/usr/bin/setpci"
  cp "$sys/usr/share/misc/pci.ids" "$root/usr/share/misc/pci.ids"
  ln -sf /run "$root/var" 2>/dev/null || true
}

rm -rf "$out"
mkdir -p "$out"
zcat "$src/boot/xen-$xenver-amd64.gz" > "$out/xen"
cp "$src/boot/vmlinuz-$kver" "$out/vmlinuz"

# --- domU: busybox, kmod, lspci, the frontend and the device drivers --------------------------------
domu=$out/domu-root
base_root "$domu"
rm -f "$domu/var"
copy_modules "$domu" xen-pcifront e1000e nvme e1000  # e1000: the multi boot's e1000 family devices
cp "$here/domu-init.sh" "$domu/init"
cp "$here/trace-split.sh" "$domu/trace-split.sh"  # boot bench, LAB_BENCH_TRACE=1
chmod +x "$domu/init"
(cd "$domu" && find . | cpio -o -H newc 2>/dev/null | gzip -1) > "$out/domu.cpio.gz"

# --- the evil boot's guests (LAB_EVIL_BIN, set by lab.sh for BOOTS=evil) ---------------------------
# No PCI frontend is loaded in the evil guest: test/evil's pcisplit-evil is its frontend, over
# xen-evtchn, xen-gntalloc and xenfs; the witness guest loads the pair's frontend and e1000e.
if [ -n "${LAB_EVIL_BIN:-}" ]; then
  evil=$out/evil-root
  base_root "$evil"
  rm -f "$evil/var"
  copy_modules "$evil" xen-evtchn xen-gntalloc xenfs xen-pcifront e1000e
  mkdir -p "$evil/usr/bin"
  cp "$LAB_EVIL_BIN" "$evil/usr/bin/pcisplit-evil"
  copy_libs "$evil" "$LAB_EVIL_BIN"
  cp "$here/evil-guest.sh" "$evil/init"
  chmod +x "$evil/init"
  (cd "$evil" && find . | cpio -o -H newc 2>/dev/null | gzip -1) > "$out/evil.cpio.gz"
  rm -rf "$evil"
fi

# --- dom0: Xen's tools, the backend, the scenarios, and the domU images ----------------------------
dom0=$out/dom0-root
base_root "$dom0"
rm -f "$dom0/var"
mkdir -p "$dom0"/{var/lib/xen,var/log/xen/console,var/lib/xenstored,etc/xen,lab/domu}
: > "$dom0/etc/xen/xl.conf"  # defaults are right; an absent file only makes xl complain
copy_bin "$dom0" "$src/usr/lib/xen-$xenver/bin/xl" "$src/usr/lib/xen-$xenver/bin/xenstored" \
  "$src/usr/lib/xen-$xenver/bin/xenconsoled" "$src/usr/lib/xen-$xenver/bin/xen-init-dom0" "$src/usr/bin/xenstore"
copy_bin "$dom0" "$sys/usr/bin/chrt"  # the op-timeout scenario starves dom0 with a SCHED_FIFO loop
for t in read write ls list rm exists watch chmod; do ln -sf /usr/bin/xenstore "$dom0/usr/bin/xenstore-$t"; done
# xl create aborts at exit without it ("libgcc_s.so.1 must be installed for pthread_cancel to work").
cp -L "$sys/lib/x86_64-linux-gnu/libgcc_s.so.1" "$dom0/lib/x86_64-linux-gnu/"
copy_modules "$dom0" xen-evtchn xen-gntdev xen-gntalloc xen-privcmd xenfs xen-pciback e1000e nvme aer_inject
# The hvm boot (LAB_HVM, set by lab.sh when BOOTS names it; fetch.sh LAB hvm unpacked these): QEMU as
# the device model libxl starts in dom0 for an HVM guest, at the path libxl 4.17 has built in, and
# what the guest boots with: hvmloader, the SeaBIOS libxl hands it, and the option ROMs of QEMU's
# direct kernel boot. QEMU and its libraries are tens of MB: only in the images of runs that name it.
if [ -n "${LAB_HVM:-}" ]; then
  copy_bin "$dom0" "$src/usr/libexec/xen-qemu-system-i386"
  for f in "usr/lib/xen-$xenver/boot/hvmloader" usr/share/seabios/bios-256k.bin usr/share/qemu/linuxboot.bin \
           usr/share/qemu/linuxboot_dma.bin usr/share/qemu/kvmvapic.bin usr/share/qemu/keymaps/en-us; do
    mkdir -p "$dom0/$(dirname "$f")"
    cp -L "$src/$f" "$dom0/$f"
  done
fi
cp "$here"/dom0-init.sh "$dom0/init"
cp "$here"/dom0-lib.sh "$here"/boot-*.sh "$here"/trace-split.sh "$dom0/lab/"
chmod +x "$dom0/init" "$dom0"/lab/*.sh
cp "$out/vmlinuz" "$dom0/lab/domu/vmlinuz"
cp "$out/domu.cpio.gz" "$dom0/lab/domu/initrd.gz"
if [ -n "${LAB_EVIL_BIN:-}" ]; then  # the evil guests' image, and the program for dom0's probe
  cp "$out/evil.cpio.gz" "$dom0/lab/domu/evil.gz"
  cp "$LAB_EVIL_BIN" "$dom0/usr/bin/pcisplit-evil"
  copy_libs "$dom0" "$LAB_EVIL_BIN"
fi
if [ -n "${LAB_PCISPLIT_BIN:-}" ]; then  # the admin's inspector (boot-main.sh: status, capture)
  cp "$LAB_PCISPLIT_BIN" "$dom0/usr/bin/pcisplit"
  copy_libs "$dom0" "$LAB_PCISPLIT_BIN"
fi
echo "$pair" > "$dom0/lab/pair"
(cd "$dom0" && find . | cpio -o -H newc 2>/dev/null | gzip -1) > "$out/dom0.cpio.gz"
rm -rf "$dom0" "$domu"
echo "lab: images for $pair: $(du -h "$out/dom0.cpio.gz" | cut -f1) dom0 initramfs"
