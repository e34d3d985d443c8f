# SPDX-License-Identifier: GPL-2.0-only
# Boot "enum" (issue 15, part 4; on request: make lab BOOTS=enum): one PV guest with eight functions,
# created and destroyed lab_enum_runs times (5 unless the dom0 command line says otherwise, e.g.
# LAB_DOM0_ARGS=lab_enum_runs=7), each time timed from `xl create` to every function's driver bound
# in the guest. QEMU's devices: an e1000e (04.0), an nvme (05.0), an e1000 (06.0), a two-function
# slot (07.0 e1000-82544gc, 07.1 e1000-82545em) and a three-function slot of e1000s (08.0-08.2).
# Two figures a run: dom0's, `xl create` to the guest's report (dom0's uptime, the guest log polled
# every 0.2 s), and the guest's own, from its frontend's load to the last driver bound (its uptime,
# sysfs polled every 0.1 s; domu-init.sh's mode enum). The row gives each figure's median and every
# run's; it passes when every run saw all eight functions with drivers and all eight are assignable
# again after each destroy.
ALL="0000:00:04.0 0000:00:05.0 0000:00:06.0 0000:00:07.0 0000:00:07.1 0000:00:08.0 0000:00:08.1 0000:00:08.2"
NFN=8
RUNS=$(sed -n 's/.*lab_enum_runs=\([0-9]*\).*/\1/p' /proc/cmdline)
RUNS=${RUNS:-5}
LOG=$(guest_log enum)
uptime_s() { cut -d' ' -f1 /proc/uptime; }
median() { tr ' ' '\n' | grep . | sort -n | awk '{ v[NR] = $1 } END { if (NR == 0) print "-"; else if (NR % 2) print v[(NR + 1) / 2]; else printf "%.2f\n", (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }

scenario enum-8fn
modprobe xen-pciback
failed_add=""
for b in $ALL; do xl pci-assignable-add "$b" || failed_add="$failed_add $b"; done
if [ -n "$failed_add" ]; then
  result FAIL "xl pci-assignable-add failed for:$failed_add"
  return 0
fi
guest_cfg enum enum "$ALL" "lab_enum=$NFN"
guest_console enum
creates=""
guest_times=""
errs=""
r=1
while [ $r -le "$RUNS" ]; do
  from=$(lines "$LOG")
  t0=$(uptime_s)
  xl create /tmp/enum.cfg 2>&1 | sed "s/^/[xl] /"
  if wait_log "$LOG" "@@GUEST-ENUM " 600 "$from"; then
    t1=$(uptime_s)
    line=$(tail -n "+$((from + 1))" "$LOG" | grep -a "@@GUEST-ENUM " | tail -1 | tr -d '\r')
    echo "@@ENUM-RUN $r create_to_bound=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.2f", b - a }') $line"
    n=$(echo "$line" | sed -n 's/.*functions=\([0-9]*\).*/\1/p')
    bound=$(echo "$line" | sed -n 's/.*bound=\([0-9]*\).*/\1/p')
    fe=$(echo "$line" | sed -n 's/.*fe_loaded=\([0-9.]*\).*/\1/p')
    done_at=$(echo "$line" | sed -n 's/.*done=\([0-9.]*\).*/\1/p')
    if [ "$n" = "$NFN" ] && [ "$bound" = "$NFN" ]; then
      creates="$creates $(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.1f", b - a }')"
      guest_times="$guest_times $(awk -v a="$fe" -v b="$done_at" 'BEGIN { printf "%.2f", b - a }')"
    else
      errs="$errs run$r:functions=$n,bound=$bound"
    fi
  else
    errs="$errs run$r:no-report"
  fi
  xl destroy enum 2>&1 | sed "s/^/[xl] /"
  left=$(xl pci-assignable-list 2>/dev/null | grep -c '^0000:' || true)
  [ "$left" = "$NFN" ] || errs="$errs run$r:assignable=$left"
  r=$((r + 1))
done
detail="create to $NFN drivers bound: median $(echo "$creates" | median) s (runs:$creates); in the guest, frontend load to the last bound: median $(echo "$guest_times" | median) s (runs:$guest_times)"
if [ -z "$errs" ]; then result PASS "$detail"
else result FAIL "$detail; failed:$errs"; fi
