#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
# make lint: the kernel C glue through the kernel's own scripts/checkpatch.pl --no-tree --strict.
# Debian ships checkpatch.pl only inside linux-source-X.Y (not in the headers package), so the script
# downloads that package once (apt-get download, no install) and keeps the three files checkpatch
# reads in CACHE. A finding fails the run unless it is listed below; docs/kernel-style.md says why
# each listed one stays. Prints "lint: N passed, N failed" (one item: the whole glue).
set -eu
root=$1
cache=$2
mkdir -p "$cache"
cp="$cache/scripts/checkpatch.pl"
if [ ! -f "$cp" ]; then
  pkg=$(apt-cache depends linux-source 2>/dev/null | sed -n 's/^ *Depends: \(linux-source-[0-9.]*\)$/\1/p' | head -1)
  if [ -z "$pkg" ]; then apt-get update -qq; pkg=$(apt-cache depends linux-source | sed -n 's/^ *Depends: \(linux-source-[0-9.]*\)$/\1/p' | head -1); fi
  [ -n "$pkg" ] || { echo "lint: cannot find Debian's linux-source package"; echo "lint: 0 passed, 1 failed"; exit 1; }
  echo "lint: fetching checkpatch.pl from $pkg"
  (cd "$cache" && rm -f ./*.deb && { apt-get download "$pkg" >/dev/null 2>&1 || { apt-get update -qq && apt-get download "$pkg" >/dev/null 2>&1; }; })
  deb=$(ls "$cache"/*.deb 2>/dev/null | head -1)
  [ -n "$deb" ] || { echo "lint: apt-get download $pkg failed"; echo "lint: 0 passed, 1 failed"; exit 1; }
  dpkg-deb --fsys-tarfile "$deb" | tar -x -O --wildcards './usr/src/linux-source-*.tar.xz' |
    tar -xJ -C "$cache" --strip-components=1 --wildcards '*/scripts/checkpatch.pl' '*/scripts/spelling.txt' \
      '*/scripts/const_structs.checkpatch'
  rm -f "$deb"
fi

# "file TYPE": findings kept on purpose (docs/kernel-style.md).
exempt='backend/linux/glue.h PREFER_KERNEL_TYPES
frontend/linux/glue.h PREFER_KERNEL_TYPES
protocol/linux/store_glue.h PREFER_KERNEL_TYPES
protocol/pciif.h PREFER_KERNEL_TYPES
protocol/pciif.h BIT_MACRO
frontend/linux/glue.h VOLATILE
frontend/linux/front.c VOLATILE
frontend/linux/front.c CAMELCASE
backend/linux/export.c ENOSYS
protocol/linux/runtime.c CAMELCASE
protocol/linux/runtime.c AVOID_BUG'

cd "$root"
files=$(ls backend/linux/*.c backend/linux/*.h frontend/linux/*.c frontend/linux/*.h protocol/linux/*.c \
  protocol/linux/*.h protocol/pciif.h)
bad=0 kept=0 n=0
for f in $files; do
  n=$((n + 1))
  out=$(perl "$cp" --no-tree --strict --terse --show-types --no-summary -f "$f" 2>&1 || true)
  [ -n "$out" ] || continue
  while IFS= read -r line; do
    type=$(echo "$line" | sed -n 's/^[^:]*:[0-9]*: [A-Z]*:\([A-Z_]*\):.*/\1/p')
    if [ -n "$type" ] && printf '%s\n' "$exempt" | grep -qx "$f $type"; then
      kept=$((kept + 1))
    else
      echo "$line"
      bad=$((bad + 1))
    fi
  done <<LINES
$out
LINES
done
echo "lint: $n glue files, $bad finding(s), $kept kept on purpose (docs/kernel-style.md)"
if [ "$bad" -eq 0 ]; then echo "lint: 1 passed, 0 failed"; else echo "lint: 0 passed, 1 failed"; exit 1; fi
