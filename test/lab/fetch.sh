#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# Downloads (never installs) Xen 4.17, its tools and libraries, and the kernel linux-image-amd64 points
# at, and unpacks them under $1/root. Cached: a second run with the same package versions does nothing.
# fetch.sh LAB hvm: also QEMU as Xen's device model and the firmware an HVM guest boots with (the hvm
# boot only: they are not needed by any other boot, and QEMU with its libraries is large).
set -euo pipefail
lab=$(mkdir -p "$1" && cd "$1" && pwd)  # absolute: the downloads run in a subdirectory
mkdir -p "$lab/debs"
# A machine whose package lists were never downloaded knows no candidates: fetch them once.
apt-cache policy linux-image-amd64 2>/dev/null | grep -q 'Candidate: [0-9]' || apt-get update -qq
kpkg=$(apt-cache depends linux-image-amd64 | awk '/Depends: linux-image-[0-9]/ {print $2; exit}')
[ -n "$kpkg" ] || { echo "lab: cannot find the kernel package linux-image-amd64 depends on (apt-get update?)" >&2; exit 1; }
pkgs="$kpkg xen-hypervisor-4.17-amd64 xen-utils-4.17 xen-utils-common libxencall1 libxenevtchn1
  libxenforeignmemory1 libxengnttab1 libxenmisc4.17 libxenstore4 libxentoollog1 libyajl2 libxendevicemodel1
  libxenhypfs1 libxentoolcore1 xenstore-utils"
# versions PKG...: "name=candidate" per package, what a stamp records.
versions() { for p in "$@"; do apt-cache policy "$p" | awk -v p="$p" '/Candidate:/ {print p "=" $2}'; done; }
# unpack DIR PKG...: downloads the packages into DIR and unpacks them into the root.
unpack() {
  local dir=$1
  shift
  rm -rf "$dir"
  mkdir -p "$dir"
  (cd "$dir" && apt-get download "$@" >/dev/null 2>"$dir/download.err") ||
    { cat "$dir/download.err" >&2; exit 1; }
  local deb
  for deb in "$dir"/*.deb; do dpkg-deb -x "$deb" "$lab/root"; done
}
stamp="$lab/root/.fetched"
# shellcheck disable=SC2086
want=$(versions $pkgs)
if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ]; then
  echo "lab: packages cached ($kpkg)"
else
  rm -rf "$lab/root"  # the HVM extras' stamp goes with it
  mkdir -p "$lab/root"
  # shellcheck disable=SC2086
  unpack "$lab/debs" $pkgs
  kver=${kpkg#linux-image-}
  depmod -b "$lab/root" "$kver"
  echo "$kver" > "$lab/root/.kver"
  echo "$want" > "$stamp"
  echo "lab: fetched and unpacked $kpkg and Xen 4.17"
fi
[ "${2:-}" = hvm ] || exit 0
# qemu-system-xen: /usr/libexec/xen-qemu-system-i386, the device model libxl 4.17 starts for an HVM
# guest; qemu-system-data: linuxboot_dma.bin, the option ROM of QEMU's direct kernel boot; seabios:
# bios-256k.bin, the BIOS libxl hands hvmloader. hvmloader itself comes with xen-utils-4.17.
hvm_pkgs="qemu-system-xen qemu-system-data seabios"
hvm_stamp="$lab/root/.fetched-hvm"
# shellcheck disable=SC2086
hvm_want=$(versions $hvm_pkgs)
if [ -f "$hvm_stamp" ] && [ "$(cat "$hvm_stamp")" = "$hvm_want" ]; then
  echo "lab: HVM packages cached"
else
  # shellcheck disable=SC2086
  unpack "$lab/debs-hvm" $hvm_pkgs
  echo "$hvm_want" > "$hvm_stamp"
  echo "lab: fetched and unpacked QEMU's device model, its data and SeaBIOS"
fi
