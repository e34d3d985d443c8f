#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
# Rejects core objects that could not live in a kernel module: constructor, destructor or unwind
# sections (never run or never wanted in the kernel), and undefined symbols outside the small set the
# kernel or our C glue provides. The last argument is all objects linked together (ld -r): only there
# are undefined symbols meaningful; sections are checked in every object.
set -eu
eval "linked=\${$#}"

bad=0
allowed='^(memcpy|memset|memmove|memcmp|__cxa_pure_virtual|__x86_indirect_thunk_[a-z0-9]+|__x86_return_thunk)$'
for o in "$@"; do
  secs=$(objdump -h "$o" | awk '{print $2}' | grep -E '^\.(init_array|ctors|fini_array|dtors|eh_frame|gcc_except_table)' || true)
  if [ -n "$secs" ]; then
    echo "$o: forbidden sections: $secs"
    bad=1
  fi
done
undef=$(nm -u "$linked" | awk '{print $2}' | grep -Ev "$allowed" || true)
if [ -n "$undef" ]; then
  echo "$linked: references symbols the kernel does not provide: $(echo $undef | tr '\n' ' ')"
  bad=1
fi
[ $bad -eq 0 ] && echo "freestanding: $(($# - 1)) core objects clean (no ctor/unwind sections, no foreign symbols)"
exit $bad
