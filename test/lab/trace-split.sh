# SPDX-License-Identifier: GPL-2.0-only
# Sourced by dom0's boot-bench.sh and the guest's /init (boot bench with LAB_BENCH_TRACE=1): where a
# config-read round trip's time goes, from the kernel's own trace events (tracefs), measured in each
# domain on its own clock.
#
# trace_on EVENT...: clears the trace and enables EVENT (as under tracefs's events/, or a kprobe
# definition "p:NAME SYMBOL" / "r:NAME SYMBOL") with a buffer big enough for a bench run.
# trace_split NAME PATTERN...: reads the trace (tracing stopped first) and, taking the PATTERNs as
# the marks of one cycle in order (mark 1, mark 2, ..., then mark 1 of the next cycle), prints
#   @@BENCH-TRACE NAME cycles=N dropped=D seg1=MEDIAN seg2=MEDIAN ... segN=MEDIAN
# where segK is the median time in microseconds from mark K to mark K+1 (the last from mark N to the
# next cycle's mark 1). A mark seen out of order ends the cycle it is in (counted in dropped); lines
# matching no expected mark are skipped. Medians: a cycle stretched by a timer tick or a process
# start between loops moves them little.
T=/sys/kernel/tracing

trace_on() {
  [ -d "$T/events" ] || mount -t tracefs nodev "$T" || return 1
  echo 0 > "$T/tracing_on"
  echo 32768 > "$T/buffer_size_kb" || echo 8192 > "$T/buffer_size_kb"
  echo > "$T/trace"
  for ev in "$@"; do
    case $ev in
      p:* | r:*)
        echo "$ev" >> "$T/kprobe_events" || return 1
        name=${ev%% *}
        echo 1 > "$T/events/kprobes/${name#?:}/enable" || return 1
        ;;
      *) echo 1 > "$T/events/$ev/enable" || return 1 ;;
    esac
  done
  echo 1 > "$T/tracing_on"
}

trace_split() {
  name=$1
  shift
  echo 0 > "$T/tracing_on"
  n=$#
  marks=""
  for m in "$@"; do marks="$marks$m
"; done
  awk -v n="$n" -v marks="$marks" '
    BEGIN { split(marks, m, "\n"); s = 0; cycles = 0; dropped = 0 }
    function ts(   i) {
      for (i = 1; i <= NF; i++)
        if ($i ~ /^[0-9]+\.[0-9]+:$/) return substr($i, 1, length($i) - 1) * 1e6
      return -1
    }
    /^#/ { next }
    {
      if ($0 ~ m[1]) {
        t = ts()
        if (t < 0) next
        if (s == n) {
          for (k = 1; k < n; k++) printf "seg%d %d\n", k, at[k + 1] - at[k] + 0.5
          printf "seg%d %d\n", n, t - at[n] + 0.5
          cycles++
        } else if (s > 0) dropped++
        at[1] = t; s = 1
        next
      }
      if (s > 0 && s < n && $0 ~ m[s + 1]) {
        t = ts()
        if (t >= 0) { s++; at[s] = t }
      }
    }
    END { print "cycles", cycles; print "dropped", dropped }
  ' "$T/trace" | sort -k1,1 -k2,2n | awk -v name="$name" '
    $1 == "cycles" || $1 == "dropped" { extra[$1] = $2; next }
    { v[$1, ++c[$1]] = $2; if (!($1 in seen)) { seen[$1] = 1; order[++k] = $1 } }
    END {
      line = "@@BENCH-TRACE " name " cycles=" extra["cycles"] + 0 " dropped=" extra["dropped"] + 0
      for (i = 1; i <= k; i++) {
        s = order[i]; n = c[s]
        med = n % 2 ? v[s, (n + 1) / 2] : (v[s, n / 2] + v[s, n / 2 + 1]) / 2
        line = line sprintf(" %s=%.1f", s, med)
      }
      print line
    }'
}
