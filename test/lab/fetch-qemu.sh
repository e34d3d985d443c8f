#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# fetch-qemu.sh DIR: downloads (never installs) the QEMU the lab boots Xen in, from Debian 12's
# backports (QEMU 10), unpacks it under DIR/root and prints the path of DIR/qemu-system-x86_64, a
# wrapper that runs it with its own modules and firmware. The host's apt sources are left alone: the
# package lists come from DIR/apt, with Debian's archive key.
#
# Why not the host's QEMU 7.2: with multi-threaded TCG it segfaults in memory_region_dispatch_read
# (a vCPU's MMIO access racing the memory map change of a BAR move) every few dozen hot-plug cycles,
# and CI's runs lost boots to it (docs/lab.md, "Harness facts"). Not seen under QEMU 10 so far.
# Its libraries are Debian 12's, the ones the host's qemu-system-x86 (make lab-deps) already pulled in.
#
# Cached: a run whose package versions match DIR/root/.fetched downloads nothing. Without the
# archive (no network), a cached copy is used as it is.
set -euo pipefail
dir=$(mkdir -p "$1" && cd "$1" && pwd)
suite=bookworm-backports
keyring=/usr/share/keyrings/debian-archive-keyring.gpg
pkgs=(qemu-system-x86 qemu-system-common qemu-system-data seabios qemu-system-gui
  qemu-system-modules-opengl qemu-system-modules-spice qemu-block-extra)
mkdir -p "$dir/apt/lists/partial" "$dir/apt/cache/archives/partial" "$dir/apt/etc/preferences.d" \
  "$dir/apt/etc/sources.list.d"
echo "deb [signed-by=$keyring] http://deb.debian.org/debian $suite main" > "$dir/apt/etc/sources.list"
apt_opts=(-o "Dir::Etc=$dir/apt/etc" -o "Dir::Etc::sourcelist=$dir/apt/etc/sources.list"
  -o "Dir::Etc::sourceparts=$dir/apt/etc/sources.list.d" -o "Dir::State::Lists=$dir/apt/lists"
  -o "Dir::Cache=$dir/apt/cache" -o "Dir::State::status=/var/lib/dpkg/status")
stamp=$dir/root/.fetched
if ! apt-get "${apt_opts[@]}" update -qq >"$dir/apt/update.err" 2>&1; then
  if [ -x "$dir/root/usr/bin/qemu-system-x86_64" ] && [ -f "$stamp" ]; then
    echo "lab: cannot reach $suite; using the QEMU fetched before ($(head -1 "$stamp"))" >&2
    echo "$dir/qemu-system-x86_64"
    exit 0
  fi
  cat "$dir/apt/update.err" >&2
  echo "lab: cannot fetch QEMU from $suite (LAB_QEMU=host uses the host's qemu-system-x86_64)" >&2
  exit 1
fi
want=""
for p in "${pkgs[@]}"; do
  v=$(apt-cache "${apt_opts[@]}" madison "$p" | awk -v s="$suite" '$0 ~ s {print $3; exit}')
  [ -n "$v" ] || { echo "lab: $suite has no $p" >&2; exit 1; }
  want+="$p=$v"$'\n'
done
if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "${want%$'\n'}" ]; then
  echo "lab: QEMU cached ($(head -1 "$stamp"))" >&2
else
  rm -rf "$dir/root" "$dir/debs"
  mkdir -p "$dir/root" "$dir/debs"
  (cd "$dir/debs" && apt-get "${apt_opts[@]}" download "${pkgs[@]/%//$suite}" \
     >/dev/null 2>"$dir/debs/download.err") || { cat "$dir/debs/download.err" >&2; exit 1; }
  for deb in "$dir"/debs/*.deb; do dpkg-deb -x "$deb" "$dir/root"; done
  # Its PipeWire audio module needs a library Debian 12 does not have; nothing here uses audio, and
  # QEMU only warns when it cannot open it, but the warning would be noise in every boot's log.
  rm -f "$dir"/root/usr/lib/x86_64-linux-gnu/qemu/audio-pipewire.so
  echo "${want%$'\n'}" > "$stamp"
  echo "lab: fetched and unpacked $(head -1 "$stamp") from $suite" >&2
fi
# QEMU looks for modules in QEMU_MODULE_DIR first and then in /usr/lib/x86_64-linux-gnu/qemu, where the
# host's QEMU keeps its own (a module from another build aborts QEMU: every module is fetched above so
# none is looked up there); firmware and option ROMs in the -L directories first.
cat > "$dir/qemu-system-x86_64" <<EOF
#!/bin/sh
# Written by test/lab/fetch-qemu.sh: QEMU from $suite with its own modules and firmware.
QEMU_MODULE_DIR=$dir/root/usr/lib/x86_64-linux-gnu/qemu
export QEMU_MODULE_DIR
exec $dir/root/usr/bin/qemu-system-x86_64 -L $dir/root/usr/share/qemu -L $dir/root/usr/share/seabios "\$@"
EOF
chmod +x "$dir/qemu-system-x86_64"
echo "$dir/qemu-system-x86_64"
