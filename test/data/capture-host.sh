#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# Records this machine's own PCI functions (as root: the whole config space) as test/data/host-*.lspci.
# Usage: test/data/capture-host.sh BDF NAME [BDF NAME ...]   e.g. 0000:00:03.0 virtio-net
set -euo pipefail
out_dir=$(cd "$(dirname "$0")" && pwd)
while [ $# -ge 2 ]; do
  bdf=$1 name=$2
  shift 2
  dev=/sys/bus/pci/devices/$bdf
  size=$(stat -c %s "$dev/config")
  [ "$size" -eq 256 ] || [ "$size" -eq 4096 ] || { echo "$dev/config: $size bytes (run as root)" >&2; exit 1; }
  {
    echo "# host-$name: captured by test/data/capture-host.sh from $dev on $(uname -r), sysfs config"
    awk '{print "# resource " NR - 1 " " $0}' "$dev/resource"
    title=$(lspci -s "$bdf" 2>/dev/null)
    echo "$title"
    od -An -v -tx1 -w16 "$dev/config" | awk '{ printf(NR <= 16 ? "%02x:" : "%03x:", (NR - 1) * 16); for (i = 1; i <= 16; i++) printf(" %s", $i); printf("\n") }'
  } > "$out_dir/host-$name.lspci"
  echo "wrote test/data/host-$name.lspci"
done
