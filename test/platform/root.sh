#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# A cached Debian root for another release than the host's (today: trixie, Debian 13), built with
# debootstrap from Debian's archive and used as a chroot: the kernel headers and the kernel's own g++
# for `make modules PLATFORM=trixie`. The host's apt configuration is not touched.
# Usage: test/platform/root.sh BUILD PLATFORM            prints the root's path on its last line
#        test/platform/root.sh BUILD PLATFORM run CMD...  runs CMD in the root (cwd /)
#        test/platform/root.sh BUILD PLATFORM lab         installs the lab's packages in the root too
#                                                          (Xen, its tools, the kernel, busybox...)
#        test/platform/root.sh BUILD PLATFORM lab-hvm     and the hvm boot's: QEMU as Xen's device
#                                                          model, its option ROMs, SeaBIOS
#        test/platform/root.sh BUILD PLATFORM release     prints the kernel release of its headers
#        test/platform/root.sh BUILD PLATFORM kernel      prints the path of the kernel image the
#                                                          root's headers are for (downloaded, unpacked
#                                                          beside the root, not installed in it)
# Cached: the root is rebuilt only when missing or unfinished; `PLATFORM_REFRESH=1` upgrades it.
set -euo pipefail
build=$1
platform=$2
# PLATFORM names the root; a "-pkg" root is a separate one of the same release, where the package
# test (test/packaging/deb-test.sh) installs the .debs as an admin would, so its DKMS modules never
# reach the module builds and the lab images made from the plain root.
case $platform in
  trixie|trixie-pkg|bookworm-pkg) suite=${platform%-pkg} ;;
  *) echo "platform: unknown platform '$platform' (known: trixie, trixie-pkg, bookworm-pkg; bookworm is the host itself)" >&2; exit 2 ;;
esac
[ "$(id -u)" -eq 0 ] || { echo "platform: building a $platform root needs root (debootstrap, chroot)" >&2; exit 1; }
mirror=${PLATFORM_MIRROR:-http://deb.debian.org/debian}
root=$(realpath -m "$build/platform/$platform/root")
pkgs="linux-headers-amd64 g++ make"
# The lab's dom0 and guests are built from the root (test/lab/build-images.sh): Xen, its tools and
# libraries, the kernel linux-image-amd64 points at (the one the headers are for), and the userland
# the lab's scripts use.
lab_pkgs="xen-hypervisor-4.20-amd64 xen-utils-4.20 xenstore-utils linux-image-amd64 busybox-static kmod
  pciutils util-linux"
# The hvm boot's (test/lab/build-images.sh, LAB_HVM): the paths are those of bookworm's packages.
hvm_pkgs="qemu-system-xen qemu-system-data seabios"

# unmount_all: whatever is still mounted under the root (a run stopped mid-apt, debootstrap's own
# /proc and /sys after a failure), deepest first. Before any rm of the root: rm -rf follows a bind
# mount of /dev into the host's device nodes.
unmount_all() {
  awk -v r="$root/" 'index($2 "/", r) == 1 {print $2}' /proc/mounts | sort -r | while read -r m; do
    umount -l "$m" || true
  done
}

# chroot_run CMD...: CMD in the root with /proc and /dev mounted for the time it runs (apt's
# maintainer scripts want them), unmounted whatever happens (the trap covers an interrupted run).
chroot_run() {
  trap unmount_all EXIT INT TERM
  mount -t proc proc "$root/proc" || return 1
  mount --bind /dev "$root/dev" || { unmount_all; return 1; }
  local rc=0
  chroot "$root" /usr/bin/env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin HOME=/root LC_ALL=C.UTF-8 \
    DEBIAN_FRONTEND=noninteractive "$@" || rc=$?
  unmount_all
  trap - EXIT INT TERM
  return $rc
}

if [ ! -f "$root/.pcisplit-ready" ]; then
  command -v debootstrap >/dev/null || { echo "platform: debootstrap is missing (make installs it)" >&2; exit 1; }
  unmount_all
  rm -rf --one-file-system "$root"
  mkdir -p "$root"
  plain=$(realpath -m "$build/platform/$suite/root")
  if [ "$suite" != "$platform" ] && [ -f "$plain/.pcisplit-ready" ]; then
    # A package-test root starts as a copy of the release's plain root when that exists (make check
    # has made it for the modules): a minute instead of debootstrap and apt's downloads again.
    echo "platform: $platform from a copy of $plain" >&2
    cp -a --one-file-system "$plain/." "$root/"
    rm -f "$root/.pcisplit-ready" "$root/.pcisplit-lab-ready" "$root/.kver"
  else
    echo "platform: debootstrap $suite into $root ($mirror)" >&2
    debootstrap --variant=minbase "$suite" "$root" "$mirror" > "$root.debootstrap.log" 2>&1 ||
      { tail -20 "$root.debootstrap.log" >&2; exit 1; }
  fi
  if [ "$suite" != "$platform" ]; then
    # A package-test root has the suites an admin's system has: the tool's library dependencies
    # come from the point release's security updates (built on a host that has them).
    security=${PLATFORM_SECURITY_MIRROR:-${mirror%/debian}/debian-security}
    printf 'deb %s %s main\ndeb %s %s-updates main\ndeb %s %s-security main\n' \
      "$mirror" "$suite" "$mirror" "$suite" "$security" "$suite" > "$root/etc/apt/sources.list"
    chroot_run sh -c "dpkg --configure -a && apt-get update -qq" > "$root.apt.log" 2>&1 ||
      { tail -20 "$root.apt.log" >&2; exit 1; }
  fi
  chroot_run apt-get install -y -qq --no-install-recommends $pkgs >> "$root.apt.log" 2>&1 ||
    { tail -20 "$root.apt.log" >&2; exit 1; }
  touch "$root/.pcisplit-ready"
elif [ -n "${PLATFORM_REFRESH:-}" ]; then
  chroot_run sh -c "apt-get update -qq && apt-get install -y -qq --no-install-recommends $pkgs && apt-get upgrade -y -qq" \
    > "$root.apt.log" 2>&1 || { tail -20 "$root.apt.log" >&2; exit 1; }
fi
# The kernel release the root's linux-headers-amd64 points at (6.12.117+deb13-amd64); empty if none.
kernel_release() {
  { chroot "$root" dpkg-query -W -f '${Depends}' linux-headers-amd64 2>/dev/null || true; } |
    grep -oE 'linux-headers-[0-9][^ ,]*' | head -1 | sed 's/^linux-headers-//' || true
}

if [ "${3:-}" = run ]; then
  shift 3
  chroot_run "$@"
elif [ "${3:-}" = lab ] || [ "${3:-}" = lab-hvm ]; then
  want=$lab_pkgs stamp=$root/.pcisplit-lab-ready
  [ "$3" = lab ] || { want="$lab_pkgs $hvm_pkgs"; stamp=$root/.pcisplit-lab-hvm-ready; }
  if [ ! -f "$stamp" ]; then
    echo "platform: installing the lab's packages${3#lab} in the $platform root" >&2
    # dpkg --configure -a first: a run stopped in the middle of this install leaves dpkg interrupted.
    chroot_run sh -c "dpkg --configure -a && apt-get install -y -qq --no-install-recommends $(echo $want)" \
      > "$root.lab-apt.log" 2>&1 ||
      { tail -20 "$root.lab-apt.log" >&2; exit 1; }
    touch "$stamp"
    [ "$3" = lab ] || touch "$root/.pcisplit-lab-ready"
  fi
  echo "$root"
elif [ "${3:-}" = release ]; then
  kernel_release
elif [ "${3:-}" = kernel ]; then
  kver=$(kernel_release)
  [ -n "$kver" ] || { echo "platform: no linux-headers-amd64 in the $platform root" >&2; exit 1; }
  kdir=$(dirname "$root")/kernel
  if [ ! -f "$kdir/boot/vmlinuz-$kver" ]; then
    rm -rf "$kdir" "$root/var/cache/pcisplit"
    mkdir -p "$kdir" "$root/var/cache/pcisplit"
    chroot_run sh -c "cd /var/cache/pcisplit && apt-get download linux-image-$kver" > "$root.kernel.log" 2>&1 ||
      { tail -5 "$root.kernel.log" >&2; exit 1; }
    dpkg-deb -x "$root"/var/cache/pcisplit/linux-image-"$kver"_*.deb "$kdir"
    rm -rf "$root/var/cache/pcisplit"
  fi
  echo "$kdir/boot/vmlinuz-$kver"
else
  echo "$root"
fi
