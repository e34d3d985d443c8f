# SPDX-License-Identifier: GPL-2.0-only
# Boot "hvmcheck": make check's HVM cell. The hvm boot's guest, its drivers and interrupts, what the
# backend does with the directory no frontend answers, and the destroy with its resets; without the
# hot-plug and the second guest, which take as long again (boot-hvm.sh).
HVM_QUICK=1
. /lab/boot-hvm.sh
