/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * xen-pciback.ko (xen-pcisplit): what the C glue files share. Kernel headers only; the C++ core is
 * reached through glue.h.
 *
 * Locks, outermost first (never taken in the other order):
 *   backend->aer_lock   one AER recovery call at a time per guest (aer.c), under the AER core's
 *                       device lock; only aer.c takes it
 *   backend->lock       one guest's backend: every call into its C++ instance (watches, AER,
 *                       teardown) except the guest's ops
 *   backend->op_lock    the guest's ops (the work item), the core's short sections that change
 *                       what an op reads (page, channel, the functions exported) and an admin's
 *                       change of a live view (sysfs.c, L6): never held across xenstore I/O or a
 *                       reset, so ops are answered while the backend talks to xenstore (a
 *                       frontend spinning on its answer, as Linux's does, would take the CPU
 *                       that xenstored needs). One exception, on failure only: Linux's ring
 *                       map/unmap helpers write the error to xenstore themselves (connect
 *                       with a bad grant, disconnect); no op is pending then.
 *   pcisplit_devs_lock  the list of functions bound to pciback, the seize list, each record's
 *                       owner, admin flags and quirk list; never held across a reset,
 *                       request_irq or a core call that takes a lock (reading the core's
 *                       counters, which are atomics, is fine)
 *   dev->op_lock        one function's hardware: config access, effects, MSI/MSI-X, INTx
 *                       handler, and the teardown when the function leaves pciback (it then
 *                       marks it gone)
 *   dev->reset_lock     a spinlock: the reset report, `dead` and assigned_domid (reset.c),
 *                       innermost
 *   dev->pirq_lock      a spinlock: the PIRQs the guest was given (irq.c), innermost
 * The first four are mutexes: process context only. The only interrupt-context code is the
 * event-channel handler (schedules the backend's work) and the INTx fake handler (atomics only).
 */
#ifndef PCISPLIT_LINUX_PCIBACK_H
#define PCISPLIT_LINUX_PCIBACK_H

#include <linux/kref.h>
#include <linux/list.h>
#include <linux/mutex.h>
#include <linux/ratelimit.h>
#include <linux/pci.h>
#include <linux/workqueue.h>
#include <xen/xenbus.h>

#include "glue.h"
#include "../../protocol/pciif.h"
#include "../../protocol/linux/xs.h"

#define PCISPLIT_NAME "pciback"
#define PCISPLIT_MSIX_MAX 128
#define PCISPLIT_MSI_MAX 32          /* MSI's Multiple Message Enable: at most 32 vectors */
#define PCISPLIT_PIRQS_KEPT 16        /* PIRQs kept per function for `pirqs`; the rest counted */
#define PCISPLIT_RELEASE_TRIES 50    /* 20 ms apart: a release waits 1 s for the device lock */

struct pcisplit_quirk {
	u16 reg;
	u8 size;
	u32 mask;
};

/* A function bound to the pciback driver. */
struct pcisplit_dev {
	struct list_head node;        /* pcisplit_devs, under pcisplit_devs_lock */
	struct list_head owner_node;  /* owner->exported, under pcisplit_devs_lock */
	struct kref ref;              /* the list holds one, an export holds one */
	struct pci_dev *pdev;         /* pci_dev_get'd */
	struct pcisplit_fn *fn;       /* the core's view and platform adapter */
	struct pci_saved_state *saved; /* config at bind time, restored on release */
	struct mutex op_lock;

	/* under pcisplit_devs_lock */
	struct pcisplit_backend *owner;
	u16 owner_domid;
	bool permissive;
	/* the guest config's opts-N permissive=1, for this assignment */
	bool guest_permissive;
	bool allow_interrupt_control;
	/* last pcisplit_apply_permissive_all() pass that updated the view */
	unsigned int policy_gen;
	unsigned int nquirks;
	struct pcisplit_quirk quirks[PCISPLIT_MAX_QUIRKS];
	/* resets (reset.c): the last one, and whether the function came back; under reset_lock */
	spinlock_t reset_lock;      /* innermost: under any lock above, held briefly */
	const char *reset_occasion; /* "bind", "release", "do_flr", "remove"; NULL: never */
	int reset_method;           /* enum pcisplit_reset_method of the last reset */
	int reset_last_rc;          /* 0, -ENOTTY (no method) or the method's error */
	unsigned int reset_count;   /* resets that succeeded */
	u64 reset_last_ns;          /* boot time of the last reset */
	bool dead;                  /* did not come back: exported to no guest until bound again */
	/*
	 * Released by a guest without the reset it has (the device lock stayed busy, export.c):
	 * exported to no guest until a reset succeeds (libxl's do_flr) or it is bound again.
	 */
	bool unreset;
	/*
	 * owner_domid while assigned, -1 when not: what pciback's secondary bus reset checks on
	 * the functions it reaches, under reset_lock alone (the reset may run under an op_lock,
	 * which pcisplit_devs_lock must not nest in). Written with owner, under both locks.
	 */
	int assigned_domid;
	char dead_why[96];

	/*
	 * The PIRQs the guest was given for MSI or MSI-X (irq.c), for the pirqs attribute: set by
	 * the enable that gave them, cleared by the disable or the release; under pirq_lock
	 */
	spinlock_t pirq_lock;       /* innermost, held briefly */
	u8 pirq_kind;               /* enum pcisplit_pirq_kind */
	u16 npirqs;                 /* vectors enabled; the first PCISPLIT_PIRQS_KEPT are kept */
	u32 pirqs[PCISPLIT_PIRQS_KEPT];

	/* under op_lock */
	bool gone;       /* left pciback while exported: hardware is no longer ours */
	bool enabled;    /* pci_enable_device done on the guest's behalf */
	bool isr_on;     /* INTx fake handler installed */
	bool isr_failed; /* request_irq failed this assignment: not retried, warned once (L7) */
	int irq;         /* routed legacy IRQ, taken when enabled (bind, guest enable); 0 if none */
	int gsi;         /* PVH dom0: the GSI set up at bind (compat.h); -1 otherwise. Set once. */
	char irq_name[32];
	u32 bind_hdr[16];  /* header at bind, what the restore after a reset must bring back */
	struct msix_entry msix[PCISPLIT_MSIX_MAX];

	/* INTx fake handler (hard irq) */
	atomic_t ack_intr;
	atomic_long_t handled;
	/* INTx disabled at the function by the handler (no guest listening) */
	atomic_t intx_masked;
	/*
	 * What the handler has said this assignment (bit 0: fake handler off, bit 1: masked): once
	 * each, however often the guest starts its driver again.
	 */
	atomic_t intx_said;
};

/* One guest's backend device (backend/pci/<domid>/0). */
struct pcisplit_backend {
	struct xenbus_device *xdev;
	struct pcisplit_be *core;
	struct kref ref;              /* the xenbus device holds one; an AER report holds one */
	struct mutex lock;
	struct mutex op_lock;         /* the guest's ops; see the lock list above */
	struct mutex aer_lock;        /* one AER recovery call at a time (aer.c) */
	struct work_struct work;      /* processes the posted op (process context, op_lock) */
	struct delayed_work timer;    /* the core's timer (a detach the frontend ignores) */
	int irq;                      /* event channel's irq, 0 when not bound */
	void *page;                   /* the frontend's page, mapped */
	bool stopping;
	struct list_head exported;    /* pcisplit_dev.owner_node, under pcisplit_devs_lock */
	/* this guest's share of dom0's log (lines its writes can cause) */
	struct ratelimit_state log_rs;
	/* frontend state, backend directory, @releaseDomain */
	struct pcisplit_xs_watch watches[3];
};

extern struct mutex pcisplit_devs_lock;
extern bool pcisplit_permissive;
extern bool pcisplit_passthrough;
extern int pcisplit_verbose;

/*
 * pci.c: the functions bound to pciback, under pcisplit_devs_lock (as is the seize list, hide=
 * plus new_slot, which the core keeps: glue.h, pcisplit_seize_*)
 */
extern struct list_head pcisplit_devs;
int pcisplit_pci_init(const char *hide);
void pcisplit_pci_exit(void);
void pcisplit_dev_put(struct pcisplit_dev *dev);
struct pcisplit_dev *pcisplit_find(u16 domain, u8 bus, u8 devfn);
bool pcisplit_is_ours(struct pci_dev *pdev);  /* bound to this pci_driver (a snapshot) */

/* reset.c: under the function's device lock */
int pcisplit_reset_dev(struct pcisplit_dev *dev, const char *occasion, bool op_locked);
void pcisplit_reset_bind(struct pcisplit_dev *dev);
bool pcisplit_reset_verify(struct pcisplit_dev *dev, bool in_recovery);
extern const struct attribute_group pcisplit_reset_group;

/* irq.c: under the function's op_lock */
enum pcisplit_pirq_kind { PCISPLIT_PIRQ_NONE, PCISPLIT_PIRQ_MSI, PCISPLIT_PIRQ_MSIX };
void pcisplit_pirqs_clear(struct pcisplit_dev *dev);
void pcisplit_intx_update(struct pcisplit_dev *dev);
void pcisplit_hw_msi_off(struct pci_dev *pdev);

/* export.c: under the function's op_lock (msix_prepare: at probe and remove) */
void pcisplit_quiesce(struct pcisplit_dev *dev);
void pcisplit_restore(struct pcisplit_dev *dev);
void pcisplit_msix_prepare(struct pci_dev *pdev, bool prepare);

/* aer.c */
extern const struct pci_error_handlers pcisplit_err_handlers;

/*
 * The permissive policy a function gets: the module's, the admin's per function, or the guest
 * config's for this assignment (kept, so an admin's later sysfs write does not drop it: I2).
 */
static inline bool pcisplit_effective_permissive(const struct pcisplit_dev *dev)
{
	return pcisplit_permissive || dev->permissive || dev->guest_permissive;
}

/* sysfs.c: the driver's attributes (policy and seize list); status.c: its status attributes */
extern const struct attribute_group *pcisplit_drv_groups[];
extern const struct attribute_group pcisplit_status_group;
int pcisplit_lookup_write(const char *buf, size_t count, struct pcisplit_dev **out);
void pcisplit_apply_permissive_all(void);

/* xenbus.c */
int pcisplit_xenbus_init(void);
void pcisplit_xenbus_exit(void);
void pcisplit_backend_get(struct pcisplit_backend *be);
void pcisplit_backend_put(struct pcisplit_backend *be);
int pcisplit_kill_domain(u16 domid);

#endif
