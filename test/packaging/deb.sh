#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# make deb: the two packages, built with Debian's own tools from a copy of the tree:
#   BUILD/deb/xen-pcisplit-dkms_VERSION_all.deb   the module sources and dkms.conf
#   BUILD/deb/pcisplit_VERSION_amd64.deb          the tool and the man pages
# then lintian on both: an error fails, and so does a warning docs/packaging.md does not list with
# its reason. One version: the file VERSION, which debian/changelog must carry too.
set -euo pipefail
build=$(realpath -m "$1")
here=$(cd "$(dirname "$0")/../.." && pwd)
version=$(cat "$here/VERSION")
changelog=$(cd "$here" && dpkg-parsechangelog -S Version)
[ "$changelog" = "$version" ] || {
  echo "deb: debian/changelog is at $changelog, VERSION says $version: add a changelog entry" >&2
  exit 1
}
out=$build/deb
src=$out/src/xen-pcisplit-$version
rm -rf "$out"
mkdir -p "$src"
# The tree as git knows it (tracked and new files, not build output); a tree without git (an
# unpacked archive): everything but the build directory.
if git -C "$here" rev-parse --is-inside-work-tree > /dev/null 2>&1; then
  (cd "$here" && git ls-files -z --cached --others --exclude-standard | xargs -0 cp --parents -t "$src")
else
  tar -C "$here" --exclude=./build --exclude="./$(realpath --relative-to="$here" "$build" 2>/dev/null || echo build)" \
    -cf - . | tar -C "$src" -xf -
fi
echo "deb: building $version in $src"
(cd "$src" && DEB_BUILD_OPTIONS=noautodbgsym dpkg-buildpackage -us -uc -b -j2) > "$out/build.log" 2>&1 ||
  { tail -30 "$out/build.log" >&2; echo "deb: dpkg-buildpackage failed (log: $out/build.log)" >&2; exit 1; }
mv "$out"/src/*.deb "$out"/src/*.changes "$out"/src/*.buildinfo "$out/"
for deb in xen-pcisplit-dkms_${version}_all.deb pcisplit_${version}_amd64.deb; do
  [ -f "$out/$deb" ] || { echo "deb: $deb was not built" >&2; exit 1; }
  echo "deb: $out/$deb"
done
# lintian as root says "running with root privileges is not recommended" on stderr: not a finding.
lintian --no-tag-display-limit "$out"/xen-pcisplit_"${version}"_amd64.changes > "$out/lintian.log" 2>/dev/null || true
errors=$(grep -c '^E: ' "$out/lintian.log" || true)
unlisted=""
while read -r tag; do
  grep -q "\`$tag\`" "$here/docs/packaging.md" || unlisted="$unlisted $tag"
done < <(sed -n 's/^W: [^:]*: \([a-z0-9-]*\).*/\1/p' "$out/lintian.log" | sort -u)
echo "deb: lintian: $errors error(s), warnings: $(sed -n 's/^W: [^:]*: \([a-z0-9-]*\).*/\1/p' "$out/lintian.log" | sort -u | tr '\n' ' ')"
if [ "$errors" -ne 0 ] || [ -n "$unlisted" ]; then
  cat "$out/lintian.log" >&2
  [ -z "$unlisted" ] || echo "deb: lintian warnings without a reason in docs/packaging.md:$unlisted" >&2
  exit 1
fi
