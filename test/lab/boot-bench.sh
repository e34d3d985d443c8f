# SPDX-License-Identifier: GPL-2.0-only
# Boot "bench" (make lab-bench, not part of pass/fail): config-read round trips from a guest.
BDF=0000:00:04.0
LOG=$(guest_log guest)
scenario bench
modprobe xen-pciback
xl pci-assignable-add "$BDF"
start_guest guest bench "$BDF"
if wait_log "$LOG" "@@BENCH-DONE" 600; then
  result BENCH "$(grep -o '@@BENCH .*' "$LOG" | tail -1 | sed 's/@@BENCH //')"
else
  result FAIL "the benchmark did not finish"
fi
xl destroy guest
