#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
# Writes the seed corpora in test/fuzz/corpus/TARGET/ (committed; rerun after changing an input format).
# Each seed is a few bytes to a few hundred: a starting point the fuzzer mutates, not a test.
set -eu
cd "$(dirname "$0")/corpus"
rm -rf fuzz_parsers fuzz_engine fuzz_xenbus
mkdir -p fuzz_parsers fuzz_engine fuzz_xenbus

# fuzz_parsers: byte 0 picks the parser (fuzz_parsers.cpp), byte 1 is its argument, then the text.
p() { name=$1; which=$2; arg=$3; shift 3; { printf "\\$(printf %03o "$which")\\$(printf %03o "$arg")"; printf '%s' "$*"; } > "fuzz_parsers/$name"; }
p dev 0 0 "0000:01:00.0"
p vdev 1 0 "0000:00:1f.07"
p root 2 0 "0000:00"
p u32 3 0 "4294967295"
p count 4 16 "16"
p state 5 0 "4"
p magic 6 0 "7"
p opts 7 0 "msitranslate=0,power_mgmt=0,permissive=1,rdm_policy=strict"
p slot 8 0 " 0000:03:1f.* "
p hide 9 8 "(0000:00:02.0)(01:00.1) ( 02:*.* )"
p quirk 10 1 "0000:00:1b.0-44:1:07"
p quirk-0x 10 0 "0000:00:1b.0-0x40:4:0xffff0000"
{ printf '\013\000'; printf '# resource 0 0x00000000fe040000 0x00000000fe05ffff 0x0000000000040200\n# irq 11\n'
  printf '00:03.0 Ethernet controller: Intel Corporation 82540EM Gigabit Ethernet Controller (rev 03)\n'
  for row in 0 1 2 3 4 5 6 7 8 9 a b c d e f; do
    printf '%s0:' "$row"; for i in 0 1 2 3 4 5 6 7 8 9 a b c d e f; do printf ' %s%s' "$row" "$i"; done; printf '\n'
  done; } > fuzz_parsers/dump
# Two functions in one file, the first sized by its lspci -vv lines, the second by resource lines.
{ printf '\014\000'; printf '00:04.0 Ethernet controller\n\tInterrupt: pin A routed to IRQ 22\n'
  printf '\tRegion 0: Memory at fe040000 (32-bit, non-prefetchable) [size=128K]\n\tCapabilities: [c8] PM\n'
  for row in 0 1 2 3 4 5 6 7 8 9 a b c d e f; do printf '%s0: 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00\n' "$row"; done
  printf '\n# resource 0 0x1000 0x1fff 0x200\n# irq 9\n0000:00:05.0 Other\n'
  for row in 0 1 2 3 4 5 6 7 8 9 a b c d e f; do printf '%s0: 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00\n' "$row"; done
} > fuzz_parsers/dumps
p lspci-vv 13 0 "01:00.0 Ethernet controller: Intel Corporation 82574L
	Interrupt: pin A routed to IRQ 22
	Region 0: Memory at fe040000 (32-bit, non-prefetchable) [size=128K]
	Region 2: I/O ports at c000 [size=32]
	Expansion ROM at fe000000 [disabled] [size=256K]
	Capabilities: [160] Single Root I/O Virtualization (SR-IOV)
		Region 0: Memory at 0000004000000000 (64-bit, prefetchable) [size=16K]"
p irq_handlers 14 0 "0000:00:04.0:on:acking:12
0000:00:05.0:off:not acking:0"
p denials 14 1 "0000:00:05.0 40 004:1 010:30 0e0:9 +3"
p resets 14 2 "0000:00:04.0 method=flr last=ok(bind,flr) at=3.250 count=1 DEAD(vendor ID) | pm: No_Soft_Reset set;"
p quirks 14 3 "00:04.0
	8086:10d3:8086:0000
		000000e0:4:0000ffff"
p slots 14 4 "0000:00:04.0
0000:00:05.*
0000:03:*.*"
p pirqs 14 6 "0000:00:04.0 none 0
0000:00:05.0 msix 3 55 56 57"
p xenstore-ls 15 0 '/local/domain/0/backend/pci/1/0/dev-0 = "0000:00:04.0"
/local/domain/0/backend/pci/1/0/domain = "a \"quoted\" \\ name\x21"'

# fuzz_engine: dump index (sorted test/data/*.lspci), policy flags (1 permissive, 2
# allow_interrupt_control, 4 through process(), 8 PIRQs over 16 bits), then ops (fuzz_engine.cpp):
# BAR0 sized with ~0 and read back, command written, MSI on/off, MSI-X with entries 0 and 1 on/off,
# an AER op from the guest, a release and rebind, a read of the capability pointer.
ops='\000\022\020\000 \006\002\020\000 \000\101\004\000\007\004\000\000 \011 \013 \014\002\000\001 \015 \016\006\000\000\000\000\004\000\000\000\000\000\000\000 \017 \006\000\064\000'
ops=$(printf '%s' "$ops" | tr -d ' ')
i=0
while [ $i -lt 18 ]; do
  flags=$(( (i * 5) % 16 ))
  printf "\\$(printf %03o $i)\\$(printf %03o $flags)$ops" > "fuzz_engine/dump-$i"
  i=$((i + 1))
done

# fuzz_xenbus: setup byte (low 2 bits: initial devices; 0x80: passthrough), one byte per device
# (host function index, 0x80 permissive), then steps (fuzz_xenbus.cpp): 0 frontend publishes,
# 1 frontend state, 2/3 frontend follows the backend, 4 hot-plug, 5 detach begin, 6 detach finish
# (libxl's renumbering), 7 guest op, 8/9 raw write/remove, 10 guest gone, 11 backend dir removed,
# 12 stop.
x() { name=$1; shift; printf "$*" > "fuzz_xenbus/$name"; }
x connect '\003\000\001\002\000\000\002\002\007\000\000\000\000\000\000\014'
x detach-renumber-twice '\003\000\001\002\000\000\002\005\001\002\002\002\006\000\005\001\002\002\002\006\000\014'
x hotplug-detach '\001\000\000\000\002\004\003\002\002\002\005\000\002\002\002\006\000\004\001\002\002\002\014'
x passthrough-bridge '\202\004\001\000\000\002\007\000\000\004\000\002\001\014'
x frontend-garbage '\002\000\005\001\005\001\013\000\000\001\016\002\012\014'
x toolstack-garbage '\002\000\001\000\000\002\010\000\300abc\010\002\001\011\003\002\013'
