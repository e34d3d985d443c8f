#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# The lab's results as a Markdown matrix (docs/lab.md keeps the last `make lab-all`'s):
#   test/lab/table.sh BUILD_DIR PLATFORM...
# For each platform, from BUILD/lab-all-PLATFORM.log (make lab-all's copy of the run's summary) or,
# without one, BUILD/lab.log / BUILD/lab-trixie.log: one row per boot and scenario, one column per
# pair (backend/frontend), each cell the result and its seconds; then each boot's wall-clock
# seconds per pair, from the PAIR-BOOT.stamp files lab.sh writes. A scenario's boot is found in the
# per-boot serial logs (PAIR-BOOT.log, whose @@RESULT lines name it).
set -euo pipefail
build=$1
shift
pairs=(in-tree ours-be ours-fe ours)
# The boots of test/lab/lab.sh's table, in its order.
mapfile -t boots < <(sed -n "/^boot_table='/,/^'/p" "$(dirname "$0")/lab.sh" | awk -F'|' 'NR > 1 && NF > 5 { gsub(/ /, "", $1); print $1 }')
[ ${#boots[@]} -gt 0 ] || { echo "table.sh: no boots found in lab.sh" >&2; exit 1; }
declare -A pair_of=([in-tree/in-tree]=in-tree [ours/in-tree]=ours-be [in-tree/ours]=ours-fe [ours/ours]=ours)

for platform in "$@"; do
  case $platform in
    bookworm) logs=$build/lab/logs; fallback=$build/lab.log ;;
    trixie) logs=$build/lab-trixie/logs; fallback=$build/lab-trixie.log ;;
    *) echo "table.sh: unknown platform '$platform'" >&2; exit 1 ;;
  esac
  summary=$build/lab-all-$platform.log
  [ -f "$summary" ] || summary=$fallback
  [ -f "$summary" ] || { echo "table.sh: no lab log for $platform ($summary)" >&2; exit 1; }

  declare -A cell=() boot_of=()
  order=()
  # The summary's rows: from its header line to the line after the last row ("ours: ...").
  while read -r name be fe result secs _; do
    pair=${pair_of[$be/$fe]:-}
    [ -n "$pair" ] || continue
    boot=${boot_of[$pair/$name]:-}
    # A boot's own rows ("boot:pvh" when it did not finish, "boot-pvh" when it was stopped) name it.
    case $name in boot:* | boot-*) [ -n "$boot" ] || boot=${name#boot?} ;; esac
    if [ -z "$boot" ]; then
      for b in "${boots[@]}"; do
        if grep -aq "^@@RESULT $name " "$logs/$pair-$b.log" 2>/dev/null; then
          boot=$b
          break
        fi
      done
      boot=${boot:-?}
    fi
    key="$boot $name"
    [ -n "${cell[$key/in-tree]+x}${cell[$key/ours-be]+x}${cell[$key/ours-fe]+x}${cell[$key/ours]+x}" ] || order+=("$key")
    cell[$key/$pair]="$result $secs"
  done < <(sed -n '/^scenario  *backend  *frontend/,/^ours: /p' "$summary" | sed '1d;$d')

  echo "**$platform** ($(grep -m1 '^lab: platform' "$summary" | sed 's/^lab: platform [a-z]*: //'))"
  echo
  echo "| boot | scenario | in-tree | ours-be | ours-fe | ours |"
  echo "|---|---|---|---|---|---|"
  for key in "${order[@]}"; do
    row="| ${key%% *} | ${key#* } |"
    for p in "${pairs[@]}"; do
      c=${cell[$key/$p]:-}
      if [ -z "$c" ]; then row="$row - |"
      elif [ "${c#* }" = - ]; then row="$row ${c% *} |"
      else row="$row ${c% *} ${c#* } s |"; fi
    done
    echo "$row"
  done
  echo
  printf 'Boot seconds (wall clock, from PAIR-BOOT.stamp):'
  for b in $(for key in "${order[@]}"; do echo "${key%% *}"; done | awk '!seen[$0]++'); do
    printf ' %s' "$b"
    sep=" "
    for p in "${pairs[@]}"; do
      s=$(cut -d' ' -f2 "$logs/$p-$b.stamp" 2>/dev/null || true)
      printf '%s%s' "$sep" "${s:--}"
      sep=/
    done
    printf ';'
  done
  echo " (in-tree/ours-be/ours-fe/ours)"
  echo
  unset cell boot_of
done
