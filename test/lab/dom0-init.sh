#!/bin/busybox sh
# SPDX-License-Identifier: GPL-2.0-only
# dom0's /init in the lab: start Xen's daemons, run the boot's scenarios (lab_boot=NAME), power off.
/bin/busybox --install -s /bin
# Xen's tools live in /usr/lib/xen-VERSION/bin (4.17 on Debian 12, 4.20 on Debian 13): one is in the image.
export PATH=$(echo /usr/lib/xen-4.*/bin | tr ' ' ':'):/usr/bin:/sbin:/bin
mount -t proc proc /proc
mount -t sysfs sys /sys
mount -t devtmpfs dev /dev
mkdir -p /dev/pts /run/xen /run/xenstored /run/lock
mount -t devpts devpts /dev/pts
ln -s /run /var/run
echo "@@DOM0-UP pair=$(cat /lab/pair) xl=$(command -v xl) kernel=$(uname -r)"
# A task blocked for 40 s prints its stack on the console (a dom0 deadlock leaves Xen idle and the log
# silent otherwise); dom0_warnings then sees its "Call Trace".
echo 40 > /proc/sys/kernel/hung_task_timeout_secs 2>/dev/null || echo "@@DOM0-ERROR no hung task detector"
for m in xen-evtchn xen-gntdev xen-gntalloc xen-privcmd xenfs; do /sbin/modprobe "$m" || echo "@@DOM0-ERROR modprobe $m"; done
mount -t xenfs xenfs /proc/xen
boot=$(sed -n 's/.*lab_boot=\([a-z0-9]*\).*/\1/p' /proc/cmdline)
# The multi boot records every xenstore request (xenstored's trace: requests with their values and
# the connection that sent them) as a reference of libxl's sequences.
trace=""
[ "$boot" = multi ] && trace="--trace-file=/tmp/xenstored.trace"
xenstored --pid-file=/run/xenstored.pid $trace
xen-init-dom0 >/dev/null
xenconsoled --log=guest --log-dir=/var/log/xen/console
echo "@@DOM0-READY boot=$boot"
. /lab/dom0-lib.sh
. "/lab/boot-$boot.sh"
echo "@@DOM0-DONE"
sync
poweroff -f
