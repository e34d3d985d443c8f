#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# `make modules PLATFORM=P`: the modules built inside P's cached root (test/platform/root.sh) against
# the kernel headers linux-headers-amd64 points at there, with that root's compiler. The Kbuild tree
# lives inside the root (so the build sees it at /pcisplit/kbuild) and BUILD/kbuild-P points at it.
# Usage: test/platform/modules.sh BUILD PLATFORM SOURCE...   (SOURCE: what Kbuild compiles, the
# Makefile's KBUILD_SRCS; the gate, check-build.sh, is the caller's)
set -euo pipefail
build=$1
platform=$2
shift 2
here=$(dirname "$(realpath "$0")")
src=$(realpath "$here/../..")
root=$("$here/root.sh" "$build" "$platform" | tail -1)
kb=$root/pcisplit/kbuild
rm -rf "$kb" "$build/kbuild-$platform"
mkdir -p "$kb"
(cd "$src" && cp -r "$@" "$kb/")
ln -s "$kb" "$build/kbuild-$platform"
hdr=linux-headers-$("$here/root.sh" "$build" "$platform" release)
[ "$hdr" != linux-headers- ] || { echo "modules: no linux-headers-amd64 in the $platform root" >&2; exit 1; }
echo "  KBUILD $platform /usr/src/$hdr"
"$here/root.sh" "$build" "$platform" run make -C "/usr/src/$hdr" M=/pcisplit/kbuild modules \
  > "$kb/build.log" 2>&1 || { cat "$kb/build.log"; exit 1; }
