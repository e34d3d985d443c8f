# SPDX-License-Identifier: GPL-2.0-only
# Boot "bench" (make lab-bench, not part of pass/fail): config-read round trips from a guest, the
# same loop measured several times in one boot (lab.sh prints each pair's median and spread).
# dom0's command line carries lab_bench_runs= and lab_bench_reads= (lab.sh, from LAB_BENCH_RUNS and
# LAB_BENCH_READS); the guest gets them on its own.
BDF=0000:00:04.0
LOG=$(guest_log guest)
runs=$(sed -n 's/.*lab_bench_runs=\([0-9]*\).*/\1/p' /proc/cmdline)
reads=$(sed -n 's/.*lab_bench_reads=\([0-9]*\).*/\1/p' /proc/cmdline)
trace=$(sed -n 's/.*lab_bench_trace=\([0-9]*\).*/\1/p' /proc/cmdline)
runs=${runs:-7}
reads=${reads:-20}
trace=${trace:-0}
scenario bench
modprobe xen-pciback
xl pci-assignable-add "$BDF"
start_guest guest bench "$BDF" "lab_bench_runs=$runs lab_bench_reads=$reads lab_bench_trace=$trace"
# Polled every 2 s, not wait_log's 0.2 s: each poll starts processes in dom0, whose vCPU also runs
# the backend being measured. The bound is generous: lab.sh's time limit for the boot is the one
# that counts.
# LAB_BENCH_TRACE=1: dom0's share of each round trip, traced from the guest's first measured loop
# (trace-split.sh): seg1 from the backend's event channel interrupt to its work item's start (the
# workqueue hop), seg2 the work item (the op served, the answer's notify and lateeoi), seg3 from its
# end to the next op's interrupt (the guest and Xen). Linux's backend and ours alike: an event
# handler that schedules a work item.
traced=""
[ "$trace" != 1 ] || . /lab/trace-split.sh
done=""
i=0
while [ $i -lt $((120 + runs * 120)) ]; do
  if [ "$trace" = 1 ] && [ -z "$traced" ] && grep -q '@@BENCH-START' "$LOG" 2>/dev/null; then
    traced=1
    trace_on irq/irq_handler_entry workqueue/workqueue_execute_start workqueue/workqueue_execute_end ||
      { echo "bench: dom0 cannot trace"; traced=0; }
  fi
  grep -q '@@BENCH-DONE' "$LOG" 2>/dev/null && { done=1; break; }
  sleep 2
  i=$((i + 2))
done
if [ -n "$done" ]; then
  # "rt_per_s=A,B,... irqs_per_op=X,Y,..." in run order: round trips per second and frontend
  # interrupts per round trip, one figure per measured loop.
  figures=$(tr -d '\r' < "$LOG" | awk '
    /@@BENCH-RUN / {
      for (k = 1; k <= NF; k++) { split($k, kv, "="); v[kv[1]] = kv[2] }
      if (v["ns"] > 0 && v["ops"] > 0) {
        rt = rt sep sprintf("%.1f", v["ops"] * 1e9 / v["ns"])
        ir = ir sep sprintf("%.5f", v["irqs"] / v["ops"])
        sep = ","; n++
      }
    }
    END { printf "measured=%d rt_per_s=%s irqs_per_op=%s", n, rt, ir }')
  start=$(tr -d '\r' < "$LOG" | grep -o '@@BENCH-START .*' | tail -1 | sed 's/@@BENCH-START //')
  if [ "$traced" = 1 ]; then
    fn='function (pcisplit_work|xen_pcibk_do_op)'
    d=$(trace_split dom0 ' name=(pcisplit-be|xen-pciback|pciback)' "workqueue_execute_start: .*$fn" \
      "workqueue_execute_end: .*$fn")
    g=$(tr -d '\r' < "$LOG" | grep -o '@@BENCH-TRACE guest .*' | tail -1)
    echo "bench: $d"
    echo "bench: $g"
    # " trace_dom0=CYCLES:SEG1/SEG2/SEG3 trace_guest=CYCLES:SEG1/SEG2" (microseconds, medians)
    figures="$figures $(echo "$d" | awk '{ for (k = 1; k <= NF; k++) { split($k, kv, "="); v[kv[1]] = kv[2] }
      printf "trace_dom0=%s:%s/%s/%s", v["cycles"], v["seg1"], v["seg2"], v["seg3"] }')"
    figures="$figures $(echo "$g" | awk '{ for (k = 1; k <= NF; k++) { split($k, kv, "="); v[kv[1]] = kv[2] }
      printf "trace_guest=%s:%s/%s", v["cycles"], v["seg1"], v["seg2"] }')"
  fi
  result BENCH "$start $figures"
else
  result FAIL "the benchmark did not finish"
fi
xl destroy guest
