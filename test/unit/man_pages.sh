#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
# Each docs/*.md that starts as a man page ("# name(S) -- ...") converts with docs/md2man.sh and renders
# with the real man(1)/groff: the title, every section and every sysfs attribute the page lists appear.
set -eu
root=$1
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
pages=0
for md in "$root"/docs/*.md; do
  head -1 "$md" | grep -Eq '^# [^ (]+\([0-9]\) -- ' || continue
  name=$(head -1 "$md" | sed 's/^# \([^(]*\)(\([0-9]\)).*/\1.\2/')
  "$root/docs/md2man.sh" "$md" > "$out/$name"
  MANWIDTH=100 man -l "$out/$name" > "$out/$name.txt" 2> "$out/$name.err" || { cat "$out/$name.err"; exit 1; }
  grep -Ev 'cannot adjust line' "$out/$name.err" | grep . && { echo "$name: groff complained"; exit 1; }
  for section in $(grep '^## ' "$md" | sed 's/^## //' | tr ' ' '_'); do
    section=$(echo "$section" | tr '_' ' ')
    grep -q "^$section" "$out/$name.txt" || { echo "$name: section '$section' missing"; exit 1; }
  done
  # A term is a line starting with `word` followed by a ": definition" line.
  for term in $(awk '/^: / && prev ~ /^`[a-z_]+`/ { t = prev; sub(/^`/, "", t); sub(/`.*/, "", t); print t } { prev = $0 }' "$md"); do
    grep -Eq "^ +$term( |$)" "$out/$name.txt" || { echo "$name: '$term' not rendered as a term"; exit 1; }
  done
  pages=$((pages + 1))
  echo "$name: OK"
done
[ "$pages" -gt 0 ] || { echo "no man page sources found"; exit 1; }
