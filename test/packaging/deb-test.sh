#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# make deb-test PLATFORM...: the packages of `make deb` installed as an admin installs them (README,
# "Install"), in a Debian root of each release made with debootstrap (test/platform/root.sh, the
# "-pkg" roots: the lab and module builds never see these modules):
#   apt-get install linux-headers-amd64
#   apt-get install ./xen-pcisplit-dkms_VERSION_all.deb ./pcisplit_VERSION_amd64.deb
# then: DKMS built and installed for the root's kernel, `modinfo -n` names the DKMS copy of both
# modules with our version, `dkms status` says installed, pcisplit --version; a second kernel's
# headers (when the archive has another) get their build too; removing the package brings the
# kernel's own modules back. The DKMS-built modules for the lab's kernel are kept in
# BUILD/dkms-modules/PLATFORM/ (the lab's "ours" images use them). Prints "N passed, N failed".
# DEB_TEST_QUICK=1 (what `make lab` runs when its DKMS modules are out of date): the install, the
# DKMS build, modinfo, dkms status and the removal only, without the kernel image, the initramfs
# and the second kernel. DEB_SECOND_KERNEL=0 leaves out the second kernel only.
set -uo pipefail
build=$(realpath -m "$1")
shift
here=$(cd "$(dirname "$0")/../.." && pwd)
version=$(cat "$here/VERSION")
passed=0
failed=0
check() {  # NAME CONDITION-RESULT(0/1) DETAIL
  if [ "$2" -eq 0 ]; then echo "PASS $1: $3"; passed=$((passed + 1))
  else echo "FAIL $1: $3"; failed=$((failed + 1)); fi
}
for platform in "$@"; do
  pkgroot=$platform-pkg
  root=$("$here/test/platform/root.sh" "$build" "$pkgroot" | tail -1) ||
    { check "$platform/root" 1 "cannot make the $pkgroot root"; continue; }
  run() { "$here/test/platform/root.sh" "$build" "$pkgroot" run "$@"; }
  kver=$("$here/test/platform/root.sh" "$build" "$pkgroot" release)
  log=$build/deb/deb-test-$platform.log
  : > "$log"
  quick=${DEB_TEST_QUICK:-}
  # The dom0 being set up: its kernel (with the kernel's own xen-pciback) and initramfs-tools.
  own=""
  if [ -z "$quick" ] && ! run dpkg -s "linux-image-$kver" > /dev/null 2>&1; then
    run apt-get install -y --no-install-recommends initramfs-tools "linux-image-$kver" >> "$log" 2>&1 ||
      { check "$platform/kernel" 1 "cannot install linux-image-$kver in the root (log $log)"; continue; }
  fi
  [ -n "$quick" ] || own=$(run modinfo -k "$kver" -n xen-pciback 2>&1)
  rm -rf "$root/tmp/pcisplit-debs"
  mkdir -p "$root/tmp/pcisplit-debs"
  cp "$build/deb/xen-pcisplit-dkms_${version}_all.deb" "$build/deb/pcisplit_${version}_amd64.deb" "$root/tmp/pcisplit-debs/"
  # What README's Install section says, verbatim, from the directory holding the .debs.
  run sh -c "cd /tmp/pcisplit-debs && apt-get install -y linux-headers-amd64 &&
    apt-get install -y ./xen-pcisplit-dkms_${version}_all.deb ./pcisplit_${version}_amd64.deb" >> "$log" 2>&1
  check "$platform/install" $? "apt-get install of both .debs (Linux $kver; log $log)"
  ok=0; detail=""
  for m in xen-pciback xen-pcifront; do
    path=$(run modinfo -k "$kver" -n "$m" 2>&1)
    ver=$(run modinfo -k "$kver" -F version "$m" 2>&1)
    detail="$detail $m=$path ($ver)"
    case $path in "/lib/modules/$kver/updates/dkms/$m.ko"*) ;; *) ok=1 ;; esac
    [ "$ver" = "$version" ] || ok=1
  done
  check "$platform/modinfo" $ok "$detail"
  status=$(run dkms status 2>&1)
  echo "$status" | grep -q "^xen-pcisplit/$version, $kver, x86_64: installed" ; check "$platform/dkms-status" $? "$(echo "$status" | tr '\n' ';')"
  tool=$(run pcisplit --version 2>&1)
  man=$(run sh -c 'ls /usr/share/man/man8/xen-pciback.8.gz /usr/share/man/man4/xen-pcifront.4.gz /usr/share/man/man1/pcisplit.1.gz' 2>&1)
  [ "$tool" = "pcisplit $version" ] && [ "$(echo "$man" | grep -c '^/usr/share/man/')" -eq 3 ]
  check "$platform/tool" $? "pcisplit --version: $tool; man pages: $(echo "$man" | tr '\n' ' ')"
  # README: the module in the initramfs, for xen-pciback.hide= to act before other drivers bind.
  [ -n "$quick" ] || {
  run sh -c "echo xen-pciback >> /etc/initramfs-tools/modules && update-initramfs -u -k $kver" >> "$log" 2>&1
  inird=$(run sh -c "lsinitramfs /boot/initrd.img-$kver | grep 'xen-pciback.ko'" 2>&1)
  case $inird in *updates/dkms/xen-pciback.ko*) true ;; *) false ;; esac
  check "$platform/initramfs" $? "update-initramfs -u: ${inird:-no xen-pciback in the initramfs}"
  }
  # The lab's "ours" images take the DKMS build for the lab's kernel (decompressed when DKMS
  # compressed them as the kernel's): its headers are installed beside the root's when they differ,
  # and DKMS builds for them as for any kernel upgrade.
  labk=""
  [ "$platform" = trixie ] && labk=$("$here/test/platform/root.sh" "$build" trixie release 2>/dev/null)
  [ "$platform" = bookworm ] && labk=$(apt-cache depends linux-headers-amd64 2>/dev/null |
    awk '/Depends: linux-headers-[0-9]/ {sub("linux-headers-", "", $2); print $2; exit}')
  labk=${labk:-$kver}
  if [ "$labk" != "$kver" ]; then
    run apt-get install -y "linux-headers-$labk" >> "$log" 2>&1
    check "$platform/lab-kernel" $? "DKMS for the lab's kernel $labk: $(run dkms status 2>&1 | grep "$labk" | tr '\n' ';')"
  fi
  mkdir -p "$build/dkms-modules/$platform"
  rm -f "$build/dkms-modules/$platform"/*.ko
  for m in xen-pciback xen-pcifront; do
    f=$(ls "$root/lib/modules/$labk/updates/dkms/$m.ko"* 2>/dev/null | head -1)
    case $f in
      *.ko) cp "$f" "$build/dkms-modules/$platform/" ;;
      *.ko.xz) xz -dc "$f" > "$build/dkms-modules/$platform/$m.ko" ;;
      *.ko.zst) zstd -dqc "$f" > "$build/dkms-modules/$platform/$m.ko" ;;
    esac
  done
  echo "$labk" > "$build/dkms-modules/$platform/kver"
  # Another kernel's headers in the archive: DKMS builds for them too (the kernel-upgrade case).
  other=$(run apt-cache search --names-only '^linux-headers-[0-9][0-9.]*(-[0-9]+)?(\+deb[0-9]+)?-amd64$' 2>/dev/null |
    awk '{print $1}' | sed 's/^linux-headers-//' | grep -vx "$kver" | sort -V | tail -1)
  skip=""
  [ -z "$quick" ] && [ "${DEB_SECOND_KERNEL:-1}" != 0 ] || skip=1
  if [ -n "$skip" ]; then
    echo "NOTE $platform/second-kernel: not run (DEB_SECOND_KERNEL=0 or DEB_TEST_QUICK=1)"
    other=""
  elif [ -n "$other" ]; then
    run apt-get install -y "linux-headers-$other" >> "$log" 2>&1
    status=$(run dkms status 2>&1)
    echo "$status" | grep -q "^xen-pcisplit/$version, $other, x86_64: installed"
    check "$platform/second-kernel" $? "headers of $other installed beside $kver: $(echo "$status" | tr '\n' ';')"
  else
    echo "NOTE $platform/second-kernel: the archive has no other linux-headers-*-amd64 than $kver"
  fi
  # README, going back to the in-tree driver.
  if [ -n "$quick" ]; then
    run apt-get remove -y xen-pcisplit-dkms >> "$log" 2>&1
    check "$platform/remove" $? "apt-get remove xen-pcisplit-dkms; updates/dkms: $(ls "$root/lib/modules/$kver/updates/dkms/" 2>/dev/null | tr '\n' ' ')"
    run apt-get purge -y pcisplit >> "$log" 2>&1
    continue
  fi
  run sh -c "apt-get remove -y xen-pcisplit-dkms && update-initramfs -u -k $kver" >> "$log" 2>&1
  check "$platform/remove" $? "apt-get remove xen-pcisplit-dkms, update-initramfs -u"
  path=$(run modinfo -k "$kver" -n xen-pciback 2>&1)
  left=$(ls "$root/lib/modules/$kver/updates/dkms/" 2>/dev/null | tr '\n' ' ')
  inird=$(run sh -c "lsinitramfs /boot/initrd.img-$kver | grep 'xen-pciback.ko'" 2>&1)
  case $path in "$own") [ -z "$left" ] && case $inird in *kernel/drivers/xen*) true ;; *) false ;; esac ;; *) false ;; esac
  check "$platform/kernel-module-back" $? "modinfo -n xen-pciback: $path (before the install: $own); updates/dkms: ${left:-empty}; initramfs: $inird"
  run sed -i '/^xen-pciback$/d' /etc/initramfs-tools/modules
  run apt-get purge -y pcisplit >> "$log" 2>&1
  [ -n "$other" ] && run apt-get purge -y "linux-headers-$other" >> "$log" 2>&1
done
echo "deb-test: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
