#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# Downloads (never installs) Xen 4.17, its tools and libraries, and the kernel linux-image-amd64 points
# at, and unpacks them under $1/root. Cached: a second run with the same package versions does nothing.
set -euo pipefail
lab=$1
mkdir -p "$lab/debs"
# A machine whose package lists were never downloaded knows no candidates: fetch them once.
apt-cache policy linux-image-amd64 2>/dev/null | grep -q 'Candidate: [0-9]' || apt-get update -qq
kpkg=$(apt-cache depends linux-image-amd64 | awk '/Depends: linux-image-[0-9]/ {print $2; exit}')
[ -n "$kpkg" ] || { echo "lab: cannot find the kernel package linux-image-amd64 depends on (apt-get update?)" >&2; exit 1; }
pkgs="$kpkg xen-hypervisor-4.17-amd64 xen-utils-4.17 xen-utils-common libxencall1 libxenevtchn1
  libxenforeignmemory1 libxengnttab1 libxenmisc4.17 libxenstore4 libxentoollog1 libyajl2 libxendevicemodel1
  libxenhypfs1 libxentoolcore1 xenstore-utils"
stamp="$lab/root/.fetched"
want=$(for p in $pkgs; do apt-cache policy "$p" | awk -v p="$p" '/Candidate:/ {print p "=" $2}'; done)
if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ]; then
  echo "lab: packages cached ($kpkg)"
  exit 0
fi
rm -rf "$lab/root" "$lab/debs"/*
mkdir -p "$lab/root"
(cd "$lab/debs" && apt-get download $pkgs >/dev/null 2>"$lab/debs/download.err") ||
  { cat "$lab/debs/download.err" >&2; exit 1; }
for deb in "$lab/debs"/*.deb; do dpkg-deb -x "$deb" "$lab/root"; done
kver=${kpkg#linux-image-}
depmod -b "$lab/root" "$kver"
echo "$kver" > "$lab/root/.kver"
echo "$want" > "$stamp"
echo "lab: fetched and unpacked $kpkg and Xen 4.17"
