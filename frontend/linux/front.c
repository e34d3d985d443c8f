// SPDX-License-Identifier: GPL-2.0-only
/*
 * xen-pcifront.ko (xen-pcisplit): the xenbus frontend for device type "pci": probe/remove, the host
 * services the frontend core calls (grant page, event channel, bounded wait, AER dispatch) and its
 * xenstore watches. The PCI side (pci_ops, MSI hooks, root buses) is in bus.c.
 *
 * Context and locking (front.h has the lock list):
 * - probe/remove run in the xenbus probe context, watch callbacks in the xenwatch thread; both call
 *   the core under front->lock.
 * - The event channel's handler (hard irq) only schedules the AER work when the backend posted a
 *   request; the work answers it in process context (the guest driver's err_handler may sleep).
 * - Buses are removed before the core tears the page down, so no op runs against a freed page.
 */
#define pr_fmt(fmt) "xen-pcifront: " fmt

#include <linux/interrupt.h>
#include <linux/ktime.h>
#include <linux/module.h>
#include <linux/pci.h>
#include <linux/slab.h>
#include <xen/events.h>
#include <xen/grant_table.h>
#include <xen/page.h>
#include <xen/xen-ops.h>
#include <xen/xenbus.h>
#include <xen/interface/vcpu.h>
#include <asm/xen/hypercall.h>

#include "front.h"

/* --- host services for the core --------------------------------------------------------------- */

static irqreturn_t pcisplit_front_event(int irq, void *data)
{
	struct pcisplit_front *front = data;
	u32 *flags = front->page;  /* the backend writes it: read with READ_ONCE */

	if (flags && (READ_ONCE(*flags) & PCISPLIT_B_ACTIVE))
		schedule_work(&front->aer_work);
	return IRQ_HANDLED;
}

int pcisplit_kfh_setup(struct pcisplit_front *front, u16 backend_domid, void **page,
		       u32 *gref, u32 *port)
{
	void *p = NULL;
	grant_ref_t ref;
	int rc;

	rc = xenbus_setup_ring(front->xdev, GFP_KERNEL, &p, 1, &ref);  /* a zeroed page, granted */
	if (rc)
		return rc;
	rc = xenbus_alloc_evtchn(front->xdev, &front->port);
	if (rc)
		goto fail_ring;
	rc = bind_evtchn_to_irqhandler(front->port, pcisplit_front_event, 0, "pcifront", front);
	if (rc < 0)
		goto fail_evtchn;
	front->irq = rc;
	front->gref = ref;
	front->page = p;
	*page = p;
	*gref = ref;
	*port = front->port;
	return 0;

fail_evtchn:
	xenbus_free_evtchn(front->xdev, front->port);
fail_ring:
	xenbus_teardown_ring(&p, 1, &ref);
	return rc;
}

void pcisplit_kfh_teardown(struct pcisplit_front *front)
{
	unsigned long flags;

	pcisplit_remove_roots(front);
	/*
	 * I6: an op in flight on another CPU holds op_lock and uses the page; taking the lock waits
	 * for it, and the core forgets the page under it, so no later op starts on a freed page.
	 */
	spin_lock_irqsave(&front->op_lock, flags);
	pcisplit_fe_forget_page(front->core);
	spin_unlock_irqrestore(&front->op_lock, flags);
	if (front->irq > 0) {
		unbind_from_irqhandler(front->irq, front);  /* also closes the event channel */
		front->irq = 0;
	}
	if (front->page) {
		/*
		 * Ends the grant; a page the backend still maps is freed only once it is released.
		 */
		xenbus_teardown_ring(&front->page, 1, &front->gref);
		front->page = NULL;
	}
}

void pcisplit_kfh_notify(struct pcisplit_front *front)
{
	if (front->irq > 0)
		notify_remote_via_irq(front->irq);
}

/*
 * Xen's system time minus the guest's raw monotonic clock, as best known so far: only ever raised.
 * The vCPU's pvclock, which gives Xen's time exactly, is not exported to modules; what a module can
 * learn is when this vCPU last started running (its runstate), never later than now and fresh
 * after a poll that blocked. The raw clock of a PV guest runs on that same Xen time, so the largest
 * difference seen is a lower bound of the true offset that tightens with each sample.
 */
static atomic64_t pcisplit_xen_offset = ATOMIC64_INIT(S64_MIN);

/* A lower bound of Xen's system time now (ns), or 0 while none is known. */
static u64 pcisplit_xen_now(void)
{
	struct vcpu_runstate_info rs;
	int cpu = get_cpu();
	int rc = HYPERVISOR_vcpu_op(VCPUOP_get_runstate_info, xen_vcpu_nr(cpu), &rs);
	s64 raw, seen, best;

	put_cpu();
	raw = ktime_get_raw_ns();
	best = atomic64_read(&pcisplit_xen_offset);
	if (!rc) {
		seen = (s64)(rs.state_entry_time & ~XEN_RUNSTATE_UPDATE) - raw;
		while (seen > best) {
			s64 old = atomic64_cmpxchg(&pcisplit_xen_offset, best, seen);

			if (old == best) {
				best = seen;
				break;
			}
			best = old;
		}
	}
	return best == S64_MIN || raw + best <= 0 ? 0 : raw + best;
}

/*
 * SCHEDOP_poll's timeout is an absolute Xen system time. Linux's pcifront passes jiffies there,
 * which Xen reads as a time long past: its poll returns at once and the guest's vCPU spins in
 * hypercalls for the whole wait, taking the CPU from dom0, where the backend must run to answer
 * (docs/lab.md: the op timeouts during detaches). Here the vCPU blocks until the backend's event
 * or the time left.
 */
int pcisplit_kfh_wait_clear(struct pcisplit_front *front, volatile u32 *flags, u32 flag,
			    u32 timeout_ms)
{
	u64 deadline = ktime_get_ns() + (u64)timeout_ms * NSEC_PER_MSEC;
	unsigned long polls = 0;

	xen_clear_irq_pending(front->irq);
	while (READ_ONCE(*flags) & flag) {
		u64 now = ktime_get_ns();
		u64 xen_now = pcisplit_xen_now();

		/* Without Xen's time, 1 (long past): the poll returns at once, as Linux's does. */
		xen_poll_irq_timeout(front->irq,
				     xen_now ? xen_now + (deadline > now ? deadline - now : 0) : 1);
		polls++;
		xen_clear_irq_pending(front->irq);
		if (ktime_get_ns() > deadline) {
			dev_err(&front->xdev->dev,
				"pciback did not answer within %u ms (%lu polls)\n", timeout_ms,
				polls);
			return 0;
		}
	}
	return 1;
}

void pcisplit_kfh_log(struct pcisplit_front *front, const char *msg)
{
	dev_info(&front->xdev->dev, "%s\n", msg);
}

s32 pcisplit_kfh_aer(struct pcisplit_front *front, u32 cmd, u16 domain, u8 bus, u8 devfn, s32 state)
{
	pci_ers_result_t result = PCI_ERS_RESULT_NONE;
	const struct pci_error_handlers *eh = NULL;
	struct pci_dev *dev = pci_get_domain_bus_and_slot(domain, bus, devfn);

	if (!dev)
		return PCI_ERS_RESULT_NONE;
	device_lock(&dev->dev);
	if (dev->driver)
		eh = dev->driver->err_handler;
	if (eh) {
		switch (cmd) {
		case PCISPLIT_OP_AER_DETECTED:
			if (eh->error_detected)
				result = eh->error_detected(dev, (pci_channel_state_t)state);
			break;
		case PCISPLIT_OP_AER_MMIO:
			if (eh->mmio_enabled)
				result = eh->mmio_enabled(dev);
			break;
		case PCISPLIT_OP_AER_SLOTRESET:
			if (eh->slot_reset)
				result = eh->slot_reset(dev);
			break;
		case PCISPLIT_OP_AER_RESUME:
			if (eh->resume)
				eh->resume(dev);
			result = PCI_ERS_RESULT_RECOVERED;
			break;
		}
	}
	device_unlock(&dev->dev);
	dev_info(&dev->dev, "pcifront: AER request %u answered %u\n", cmd, (unsigned int)result);
	pci_dev_put(dev);
	return (s32)result;
}

static void pcisplit_aer_work(struct work_struct *work)
{
	struct pcisplit_front *front = container_of(work, struct pcisplit_front, aer_work);

	mutex_lock(&front->lock);
	if (!front->stopping)
		pcisplit_fe_event(front->core);
	mutex_unlock(&front->lock);
}

/*
 * The core writes "state" itself; the xenbus device's own copy must follow (the module loader waits
 * in xenbus_register_frontend until every device's copy says Connected). Under front->lock.
 */
static void pcisplit_sync_state(struct pcisplit_front *front)
{
	front->xdev->state = pcisplit_fe_state(front->core);
}

/* --- watches for the core --------------------------------------------------------------------- */

static void pcisplit_front_fired(void *owner, const char *path, const char *token)
{
	struct pcisplit_front *front = owner;

	mutex_lock(&front->lock);
	if (!front->stopping) {
		pcisplit_fe_watch_fired(front->core, path, token);
		pcisplit_sync_state(front);
		if (front->xdev->state == XenbusStateConnected && !front->scanned && front->page)
			pcisplit_scan_roots(front);
	}
	mutex_unlock(&front->lock);
}

int pcisplit_kxs_watch(void *owner, const char *path, const char *token)
{
	struct pcisplit_front *front = owner;

	return pcisplit_xs_watch_add(front->watches, ARRAY_SIZE(front->watches), front, path, token,
				     pcisplit_front_fired);
}

int pcisplit_kxs_unwatch(void *owner, const char *path, const char *token)
{
	struct pcisplit_front *front = owner;

	pcisplit_xs_watch_del(front->watches, ARRAY_SIZE(front->watches), token);
	return 0;
}

/* --- the xenbus driver ------------------------------------------------------------------------ */

static int pcisplit_front_probe(struct xenbus_device *xdev, const struct xenbus_device_id *id)
{
	struct pcisplit_front *front;
	int rc;

	front = kzalloc(sizeof(*front), GFP_KERNEL);
	if (!front)
		return -ENOMEM;
	mutex_init(&front->lock);
	spin_lock_init(&front->op_lock);
	INIT_WORK(&front->aer_work, pcisplit_aer_work);
	INIT_LIST_HEAD(&front->roots);
	front->xdev = xdev;
	front->core = pcisplit_fe_alloc(front, xdev->nodename);
	if (!front->core) {
		kfree(front);
		return -ENOMEM;
	}
	if (pcisplit_bus_set_front(front)) {
		dev_err(&xdev->dev, "a second PCI frontend device is not supported\n");
		pcisplit_fe_free(front->core);
		kfree(front);
		return -EBUSY;
	}
	dev_set_drvdata(&xdev->dev, front);

	mutex_lock(&front->lock);
	rc = pcisplit_fe_start(front->core);
	pcisplit_sync_state(front);
	mutex_unlock(&front->lock);
	if (rc)
		xenbus_dev_fatal(xdev, rc, "pcifront could not start");
	else
		dev_info(&xdev->dev, "published, waiting for the backend\n");
	return 0;
}

static void pcisplit_front_remove(struct xenbus_device *xdev)
{
	struct pcisplit_front *front = dev_get_drvdata(&xdev->dev);

	if (!front)
		return;
	pcisplit_xs_watch_del(front->watches, ARRAY_SIZE(front->watches), NULL);
	mutex_lock(&front->lock);
	front->stopping = true;
	pcisplit_remove_roots(front);
	pcisplit_fe_stop(front->core);  /* tears the page and channel down */
	mutex_unlock(&front->lock);
	cancel_work_sync(&front->aer_work);
	pcisplit_bus_clear_front();
	dev_set_drvdata(&xdev->dev, NULL);
	pcisplit_fe_free(front->core);
	kfree(front);
}

/*
 * op_timeouts (r): guest ops the backend left unanswered past the core's deadline, since the probe.
 */
static ssize_t op_timeouts_show(struct device *d, struct device_attribute *attr, char *buf)
{
	struct pcisplit_front *front = dev_get_drvdata(d);
	u64 n = 0;

	/* A relaxed atomic in the core: no op_lock, which a stalled op holds for up to 2 s. */
	if (front)
		n = pcisplit_fe_timeouts(front->core);
	return sysfs_emit(buf, "%llu\n", (unsigned long long)n);
}
static DEVICE_ATTR_RO(op_timeouts);

static struct attribute *pcisplit_front_attrs[] = {
	&dev_attr_op_timeouts.attr,
	NULL,
};
ATTRIBUTE_GROUPS(pcisplit_front);

static const struct xenbus_device_id pcisplit_front_ids[] = {
	{ "pci" },
	{ "" },
};

static struct xenbus_driver pcisplit_front_driver = {
	.name = "pcifront",
	.ids = pcisplit_front_ids,
	.probe = pcisplit_front_probe,
	.remove = pcisplit_front_remove,
	.driver = {
		.dev_groups = pcisplit_front_groups,  /* added after probe, removed before remove */
	},
};

int pcisplit_front_init(void)
{
	return xenbus_register_frontend(&pcisplit_front_driver);
}

void pcisplit_front_exit(void)
{
	xenbus_unregister_driver(&pcisplit_front_driver);
}
