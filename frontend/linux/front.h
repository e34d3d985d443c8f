/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * xen-pcifront.ko (xen-pcisplit): what front.c (xenbus side) and bus.c (PCI side) share. Kernel
 * headers only; the C++ core is reached through glue.h.
 *
 * Locks:
 *   front->lock     mutex: every xenstore-side call into the core (probe, watches, remove, AER
 *                   work) and the root-bus list; process context.
 *   front->op_lock  spinlock, irqsave: every op (config access and MSI hooks). Config accesses
 *                   come with the PCI core's pci_lock held (atomic), so an op never sleeps: it
 *                   posts, notifies, then polls the event channel and gives up after the core's
 *                   bound (2 s) with an error, never hanging.
 * Never take front->lock while holding op_lock.
 */
#ifndef PCISPLIT_LINUX_FRONT_H
#define PCISPLIT_LINUX_FRONT_H

#include <linux/list.h>
#include <linux/mutex.h>
#include <linux/pci.h>
#include <linux/spinlock.h>
#include <linux/workqueue.h>
#include <xen/grant_table.h>
#include <xen/interface/event_channel.h>
#include <xen/xenbus.h>
#include <asm/xen/pci.h>

#include "glue.h"
#include "../../protocol/linux/xs.h"
/* the wire's names: PCISPLIT_B_ACTIVE, PCISPLIT_OP_*, PCISPLIT_ERR_* */
#include "../../protocol/pciif.h"

struct pcisplit_root {
	struct list_head node;
	struct pci_sysdata sd;  /* the bus's sysdata: x86 PCI code reads it as struct pci_sysdata */
	struct pci_bus *bus;
};

struct pcisplit_front {
	struct xenbus_device *xdev;
	struct pcisplit_fe *core;
	struct mutex lock;            /* xenstore side: watches, connect, roots, the core's state */
	spinlock_t op_lock;           /* one op in flight: pci_ops, MSI hooks (irqsave) */
	struct work_struct aer_work;
	struct list_head roots;       /* under lock */
	void *page;
	grant_ref_t gref;
	evtchn_port_t port;
	int irq;
	bool scanned;                 /* roots created for the current connection */
	bool stopping;
	struct pcisplit_xs_watch watches[2];
};

/* bus.c */
extern struct xen_pci_frontend_ops pcisplit_msi_ops;
/* -EBUSY if another one serves the buses */
int pcisplit_bus_set_front(struct pcisplit_front *front);
void pcisplit_bus_clear_front(void);
void pcisplit_scan_roots(struct pcisplit_front *front);     /* under front->lock */
void pcisplit_remove_roots(struct pcisplit_front *front);   /* under front->lock */

/* front.c */
int pcisplit_front_init(void);
void pcisplit_front_exit(void);

#endif
