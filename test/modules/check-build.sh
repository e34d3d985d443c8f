#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# The module build gate: no compiler, objtool or modpost warning in the log; no constructor, destructor
# or unwind section in a C++ object; and no return site listed twice in .return_sites (inline functions
# emitted as COMDAT copies in several objects end up as one function with two entries, and the kernel
# then WARNs "missing return thunk" at load time: seen here with a header-defined virtual function);
# no function of a C++ object in a COMDAT section (an inline or header-defined function emitted out
# of line: the cause of the duplicate return sites, and on kernels with call padding, 6.12, of one
# __patchable_function_entries section per such function); and no allocated section name twice in
# the .ko (the loader lists each in /sys/module/M/sections and refuses the module on a repeat:
# "sysfs: cannot create duplicate filename", insmod: File exists).
# Usage: test/modules/check-build.sh KBUILD_DIR BUILD_LOG MODULE.ko
set -euo pipefail
dir=$1
log=$2
ko=$3
bad=0
# section_rows FILE: readelf's section table, one row per section without its "[ N]" index (Name Type
# Address Off Size ES Flg ...), so the columns line up for every index.
section_rows() { readelf -SW "$1" | sed -n 's/^ *\[ *[0-9]*\] //p'; }
if grep -iE 'warning' "$log"; then
  echo "module build: warnings above"
  bad=1
fi
while read -r cpp; do
  o="$dir/${cpp%.cpp}.o"
  [ -f "$o" ] || continue  # not part of this module
  secs=$(objdump -h "$o" | awk '{print $2}' | grep -E '^\.(init_array|ctors|fini_array|dtors|eh_frame|gcc_except_table)' || true)
  if [ -n "$secs" ]; then
    echo "module build: $o has forbidden sections: $secs"
    bad=1
  fi
  comdat=$(section_rows "$o" | awk '$1 ~ /^\.text\./ && $7 ~ /G/ && $7 ~ /X/ {print $1}' |
    sed 's/^\.text\.//' | c++filt | head -3)
  if [ -n "$comdat" ]; then
    echo "module build: $o has functions in COMDAT sections (define them in a .cpp, not in a header): $(echo "$comdat" | tr '\n' ' ')"
    bad=1
  fi
done < <(cd "$dir" && find . -name '*.cpp' | sed 's|^\./||')
twice=$(section_rows "$ko" | awk '$7 ~ /A/ {print $1}' | sort | uniq -d)
if [ -n "$twice" ]; then
  echo "module build: sections the module loader would refuse as duplicates: $(echo "$twice" | tr '\n' ' ')"
  bad=1
fi
dups=$(readelf -rW "$ko" | awk '/Relocation section .\.rela\.return_sites/ {f = 1; next} /Relocation section/ {f = 0}
                                f && NF >= 7 {print $5, $7}' | sort | uniq -d)
if [ -n "$dups" ]; then
  echo "module build: return sites listed twice (COMDAT copies): $dups"
  bad=1
fi
[ $bad -eq 0 ] && echo "module build: $(basename "$ko") clean (no warnings, no ctor/unwind or COMDAT function sections, no duplicate return sites or section names)"
exit $bad
