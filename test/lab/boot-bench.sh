# SPDX-License-Identifier: GPL-2.0-only
# Boot "bench" (make lab-bench, not part of pass/fail): config-read round trips from a guest, the
# same loop measured several times in one boot (lab.sh prints each pair's median and spread).
# dom0's command line carries lab_bench_runs= and lab_bench_reads= (lab.sh, from LAB_BENCH_RUNS and
# LAB_BENCH_READS); the guest gets them on its own.
BDF=0000:00:04.0
LOG=$(guest_log guest)
runs=$(sed -n 's/.*lab_bench_runs=\([0-9]*\).*/\1/p' /proc/cmdline)
reads=$(sed -n 's/.*lab_bench_reads=\([0-9]*\).*/\1/p' /proc/cmdline)
runs=${runs:-7}
reads=${reads:-20}
scenario bench
modprobe xen-pciback
xl pci-assignable-add "$BDF"
start_guest guest bench "$BDF" "lab_bench_runs=$runs lab_bench_reads=$reads"
# Polled every 2 s, not wait_log's 0.2 s: each poll starts processes in dom0, whose vCPU also runs
# the backend being measured. The bound is generous: lab.sh's time limit for the boot is the one
# that counts.
done=""
i=0
while [ $i -lt $((120 + runs * 120)) ]; do
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
  result BENCH "$start $figures"
else
  result FAIL "the benchmark did not finish"
fi
xl destroy guest
