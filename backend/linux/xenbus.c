// SPDX-License-Identifier: GPL-2.0-only
/*
 * xen-pciback.ko (xen-pcisplit): the xenbus backend for device type "pci", xenstore for the core,
 * and the channel (the frontend's granted page and its event channel).
 *
 * Context and locking (see pciback.h for the order):
 * - probe/remove run in the xenwatch thread (or at driver (un)registration). Watch callbacks run in
 *   the xenwatch thread. Each takes backend->lock around every call into the C++ instance.
 * - The event channel is bound with the lateeoi variant (XSA-332): its handler only schedules the
 *   backend's work; the work processes the posted op under backend->op_lock (not backend->lock: a
 *   watch callback waiting on xenstored never delays an answer) in process context, then EOIs,
 *   flagging the event spurious when nothing was posted, so Xen throttles a storm. One op is in
 *   flight per guest by construction (one work item, one page). The core takes op_lock around
 *   what an op reads and a watch changes (BackendHost::lock_ops).
 * - remove() unregisters the watches before taking backend->lock (a callback may be waiting for
 *   it), then stops the instance (releasing every function), then waits for the work and the core's
 *   timer (a delayed work that takes backend->lock and does nothing once stopping) to finish.
 */
#define pr_fmt(fmt) "xen-pciback: " fmt

#include <linux/module.h>
#include <linux/ratelimit.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <xen/events.h>
#include <xen/grant_table.h>
#include <xen/xenbus.h>
#include <xen/interface/sched.h>
#include <asm/xen/hypercall.h>

#include "pciback.h"

/* --- watches for the core --------------------------------------------------------------------- */

static void pcisplit_watch_fired(void *owner, const char *path, const char *token)
{
	struct pcisplit_backend *be = owner;

	mutex_lock(&be->lock);
	if (!be->stopping) {
		pcisplit_be_watch_fired(be->core, path, token);
		/* the xenbus device's copy follows the core's */
		be->xdev->state = pcisplit_be_state(be->core);
	}
	mutex_unlock(&be->lock);
}

int pcisplit_kxs_watch(void *owner, const char *path, const char *token)
{
	struct pcisplit_backend *be = owner;

	return pcisplit_xs_watch_add(be->watches, ARRAY_SIZE(be->watches), be, path, token,
				     pcisplit_watch_fired);
}

int pcisplit_kxs_unwatch(void *owner, const char *path, const char *token)
{
	struct pcisplit_backend *be = owner;

	/* remove() has normally unregistered them already (see the top of this file). */
	pcisplit_xs_watch_del(be->watches, ARRAY_SIZE(be->watches), token);
	return 0;
}

/* --- the channel ------------------------------------------------------------------------------ */

static irqreturn_t pcisplit_event(int irq, void *data)
{
	struct pcisplit_backend *be = data;

	schedule_work(&be->work);
	return IRQ_HANDLED;
}

static void pcisplit_work(struct work_struct *work)
{
	struct pcisplit_backend *be = container_of(work, struct pcisplit_backend, work);
	int done;

	mutex_lock(&be->op_lock);
	/* stop() disconnects (irq 0) under op_lock before remove() waits for this work */
	if (be->irq) {
		done = pcisplit_be_event(be->core, pcisplit_verbose);
		xen_irq_lateeoi(be->irq, done ? 0 : XEN_EOI_FLAG_SPURIOUS);
	}
	mutex_unlock(&be->op_lock);
}

static void pcisplit_timer(struct work_struct *work)
{
	struct pcisplit_backend *be =
		container_of(to_delayed_work(work), struct pcisplit_backend, timer);

	mutex_lock(&be->lock);
	if (!be->stopping) {
		pcisplit_be_timer(be->core);
		be->xdev->state = pcisplit_be_state(be->core);
	}
	mutex_unlock(&be->lock);
}

void pcisplit_khost_lock_ops(struct pcisplit_backend *be)
{
	mutex_lock(&be->op_lock);
}

void pcisplit_khost_unlock_ops(struct pcisplit_backend *be)
{
	mutex_unlock(&be->op_lock);
}

/* Under be->lock (from the core). */
void pcisplit_khost_arm_timer(struct pcisplit_backend *be, u32 ms)
{
	if (!be->stopping)
		mod_delayed_work(system_wq, &be->timer, msecs_to_jiffies(ms));
}

int pcisplit_khost_connect(struct pcisplit_backend *be, u32 gref, u32 port, void **page)
{
	grant_ref_t ref = gref;
	void *addr = NULL;
	int rc;

	if (be->page || be->irq)
		return -EBUSY;
	rc = xenbus_map_ring_valloc(be->xdev, &ref, 1, &addr);
	if (rc) {
		if (__ratelimit(&be->log_rs))
			dev_err(&be->xdev->dev, "cannot map grant %u of domain %u: %d\n", gref,
				be->xdev->otherend_id, rc);
		return rc;
	}
	rc = bind_interdomain_evtchn_to_irqhandler_lateeoi(be->xdev, port, pcisplit_event, 0,
							   "pcisplit-be", be);
	if (rc < 0) {
		if (__ratelimit(&be->log_rs))
			dev_err(&be->xdev->dev, "cannot bind event channel %u of domain %u: %d\n",
				port, be->xdev->otherend_id, rc);
		xenbus_unmap_ring_vfree(be->xdev, addr);
		return rc;
	}
	be->irq = rc;
	be->page = addr;
	*page = addr;
	if (__ratelimit(&be->log_rs))
		dev_info(&be->xdev->dev, "connected to domain %u (grant %u, port %u)\n",
			 be->xdev->otherend_id, gref, port);
	return 0;
}

/*
 * Under be->lock and be->op_lock (from the core). The work may still be queued: it finds irq == 0
 * and does nothing.
 */
void pcisplit_khost_disconnect(struct pcisplit_backend *be)
{
	if (be->irq) {
		unbind_from_irqhandler(be->irq, be);
		be->irq = 0;
	}
	if (be->page) {
		xenbus_unmap_ring_vfree(be->xdev, be->page);
		be->page = NULL;
	}
}

void pcisplit_khost_notify(struct pcisplit_backend *be)
{
	if (be->irq)
		notify_remote_via_irq(be->irq);
}

int pcisplit_kill_domain(u16 domid)
{
	struct sched_remote_shutdown rs = { .domain_id = domid, .reason = SHUTDOWN_crash };
	int rc = HYPERVISOR_sched_op(SCHEDOP_remote_shutdown, &rs);

	if (rc)
		pr_err("cannot shut domain %u down: %d\n", domid, rc);
	return rc;
}

void pcisplit_khost_destroy_domain(struct pcisplit_backend *be, u16 domid)
{
	/*
	 * The toolstack is not relied on (xl never reads aerState): the domain crashes, on_crash
	 * applies.
	 */
	pcisplit_kill_domain(domid);
}

void pcisplit_khost_log(struct pcisplit_backend *be, const char *msg)
{
	/*
	 * Ratelimited per guest: some of these lines follow what a guest writes (L1, XSA-130
	 * class).
	 */
	if (__ratelimit(&be->log_rs))
		dev_info(&be->xdev->dev, "%s\n", msg);
}

/* --- the xenbus driver ------------------------------------------------------------------------ */

static void pcisplit_backend_free(struct kref *ref)
{
	struct pcisplit_backend *be = container_of(ref, struct pcisplit_backend, ref);

	pcisplit_be_free(be->core);
	kfree(be);
}

void pcisplit_backend_get(struct pcisplit_backend *be)
{
	kref_get(&be->ref);
}

void pcisplit_backend_put(struct pcisplit_backend *be)
{
	kref_put(&be->ref, pcisplit_backend_free);
}

static int pcisplit_xb_probe(struct xenbus_device *xdev, const struct xenbus_device_id *id)
{
	struct pcisplit_backend *be = kzalloc(sizeof(*be), GFP_KERNEL);
	int rc;

	if (!be)
		return -ENOMEM;
	kref_init(&be->ref);
	mutex_init(&be->lock);
	mutex_init(&be->op_lock);
	mutex_init(&be->aer_lock);
	/* per guest: one noisy guest hides no other's lines */
	ratelimit_state_init(&be->log_rs, 5 * HZ, 10);
	INIT_WORK(&be->work, pcisplit_work);
	INIT_DELAYED_WORK(&be->timer, pcisplit_timer);
	INIT_LIST_HEAD(&be->exported);
	be->xdev = xdev;
	be->core = pcisplit_be_alloc(be, xdev->otherend_id, pcisplit_passthrough);
	if (!be->core) {
		kfree(be);
		return -ENOMEM;
	}
	dev_set_drvdata(&xdev->dev, be);
	mutex_lock(&be->lock);
	rc = pcisplit_be_start(be->core);
	xdev->state = pcisplit_be_state(be->core);
	mutex_unlock(&be->lock);
	if (rc)
		dev_err(&xdev->dev, "backend did not start (%d); state Closing\n", rc);
	return 0;
}

static void pcisplit_xb_remove(struct xenbus_device *xdev)
{
	struct pcisplit_backend *be = dev_get_drvdata(&xdev->dev);

	if (!be)
		return;
	pcisplit_xs_watch_del(be->watches, ARRAY_SIZE(be->watches), NULL);
	mutex_lock(&be->lock);
	pcisplit_be_stop(be->core);
	be->stopping = true;
	mutex_unlock(&be->lock);
	cancel_work_sync(&be->work);
	cancel_delayed_work_sync(&be->timer);
	dev_set_drvdata(&xdev->dev, NULL);
	pcisplit_backend_put(be);
}

static const struct xenbus_device_id pcisplit_xb_ids[] = {
	{ "pci" },
	{ "" },
};

static struct xenbus_driver pcisplit_xb_driver = {
	.name = PCISPLIT_NAME,
	.ids = pcisplit_xb_ids,
	.probe = pcisplit_xb_probe,
	.remove = pcisplit_xb_remove,
};

int pcisplit_xenbus_init(void)
{
	return xenbus_register_backend(&pcisplit_xb_driver);
}

void pcisplit_xenbus_exit(void)
{
	xenbus_unregister_driver(&pcisplit_xb_driver);
}
