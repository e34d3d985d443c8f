// SPDX-License-Identifier: GPL-2.0-only
/*
 * xen-pcifront.ko (xen-pcisplit): the xenbus frontend for device type "pci", its PCI root buses, the
 * pci_ops and MSI hooks over the frontend core, hot-plug and AER.
 *
 * Context and locking:
 * - front->lock (mutex): every xenstore-side call into the core (probe, watches, remove) and the bus
 *   list. Watch callbacks run in the xenwatch thread.
 * - front->op_lock (spinlock, irqsave): every op. Config accesses come with the PCI core's pci_lock
 *   held (atomic), so an op never sleeps: it posts, notifies, then polls the event channel with
 *   xen_poll_irq_timeout and gives up after the core's bound (2 s), returning an error, never hanging.
 * - The event channel's handler (hard irq) only schedules the AER work when the backend posted a
 *   request; the work answers it in process context (the guest driver's err_handler may sleep).
 * - Buses are removed before the core tears the page down, so no op runs against a freed page.
 */
#include <linux/delay.h>
#include <linux/interrupt.h>
#include <linux/ktime.h>
#include <linux/module.h>
#include <linux/msi.h>
#include <linux/pci.h>
#include <linux/slab.h>
#include <xen/events.h>
#include <xen/grant_table.h>
#include <xen/page.h>
#include <xen/xenbus.h>
#include <asm/xen/pci.h>

#include "glue.h"
#include "../../protocol/linux/xs.h"

#define PCISPLIT_B_ACTIVE (1u << 2)

struct pcisplit_root {
	struct list_head node;
	struct pci_sysdata sd;  /* must come first: the x86 PCI code casts bus->sysdata to it */
	struct pci_bus *bus;
};

struct pcisplit_front {
	struct xenbus_device *xdev;
	struct pcisplit_fe *core;
	struct mutex lock;
	spinlock_t op_lock;
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

/* One frontend per guest (one backend device "pci/0"); the MSI hooks need to find it. */
static struct pcisplit_front *pcisplit_the_front;
static DEFINE_SPINLOCK(pcisplit_the_front_lock);

static int pcisplit_err_to_pcibios(int err)
{
	switch (err) {
	case 0:
		return PCIBIOS_SUCCESSFUL;
	case -1: /* dev_not_found */
		return PCIBIOS_DEVICE_NOT_FOUND;
	case -3: /* access_denied */
		return PCIBIOS_SET_FAILED;
	case -4: /* not_implemented */
		return PCIBIOS_FUNC_NOT_SUPPORTED;
	default: /* invalid_offset, op_failed */
		return PCIBIOS_BAD_REGISTER_NUMBER;
	}
}

/* --- pci_ops -------------------------------------------------------------------------------------- */

/* The frontend serving `bus` (there is at most one: one backend device per guest). */
static struct pcisplit_front *pcisplit_front_of(struct pci_bus *bus)
{
	struct pcisplit_front *front;
	unsigned long flags;

	spin_lock_irqsave(&pcisplit_the_front_lock, flags);
	front = pcisplit_the_front;
	spin_unlock_irqrestore(&pcisplit_the_front_lock, flags);
	return front;
}

static int pcisplit_bus_read(struct pci_bus *bus, unsigned int devfn, int where, int size, u32 *val)
{
	struct pcisplit_front *front = pcisplit_front_of(bus);
	unsigned long flags;
	u32 v = 0;
	int err = -1;

	if (front) {
		spin_lock_irqsave(&front->op_lock, flags);
		err = pcisplit_fe_conf_read(front->core, pci_domain_nr(bus), bus->number, devfn, where, size, &v);
		spin_unlock_irqrestore(&front->op_lock, flags);
	}
	*val = err == 0 ? v : (size == 4 ? ~0u : (1u << (8 * size)) - 1);
	return pcisplit_err_to_pcibios(err);
}

static int pcisplit_bus_write(struct pci_bus *bus, unsigned int devfn, int where, int size, u32 val)
{
	struct pcisplit_front *front = pcisplit_front_of(bus);
	unsigned long flags;
	int err = -1;

	if (front) {
		spin_lock_irqsave(&front->op_lock, flags);
		err = pcisplit_fe_conf_write(front->core, pci_domain_nr(bus), bus->number, devfn, where, size, val);
		spin_unlock_irqrestore(&front->op_lock, flags);
	}
	return pcisplit_err_to_pcibios(err);
}

static struct pci_ops pcisplit_bus_ops = {
	.read = pcisplit_bus_read,
	.write = pcisplit_bus_write,
};

/* --- MSI hooks (arch/x86/pci/xen.c calls them for a PV guest) -------------------------------------- */

static int pcisplit_enable_msi(struct pci_dev *dev, int vectors[])
{
	struct pcisplit_front *front = pcisplit_front_of(dev->bus);
	unsigned long flags;
	u32 pirq = 0;
	int err = -1;

	if (front) {
		spin_lock_irqsave(&front->op_lock, flags);
		err = pcisplit_fe_enable_msi(front->core, pci_domain_nr(dev->bus), dev->bus->number, dev->devfn, &pirq);
		spin_unlock_irqrestore(&front->op_lock, flags);
	}
	if (err || pirq == 0) {
		dev_err(&dev->dev, "pcifront (pcisplit): enable MSI failed (%d, pirq %u)\n", err, pirq);
		vectors[0] = -1;
		return err ? -EINVAL : -ENXIO;
	}
	vectors[0] = pirq;
	return 0;
}

static void pcisplit_disable_msi(struct pci_dev *dev)
{
	struct pcisplit_front *front = pcisplit_front_of(dev->bus);
	unsigned long flags;
	int err = -1;

	if (!front)
		return;
	spin_lock_irqsave(&front->op_lock, flags);
	err = pcisplit_fe_disable_msi(front->core, pci_domain_nr(dev->bus), dev->bus->number, dev->devfn);
	spin_unlock_irqrestore(&front->op_lock, flags);
	if (err)
		dev_warn(&dev->dev, "pcifront (pcisplit): disable MSI: %d\n", err);
}

static int pcisplit_enable_msix(struct pci_dev *dev, int vectors[], int nvec)
{
	struct pcisplit_front *front = pcisplit_front_of(dev->bus);
	struct msi_desc *entry;
	u16 *entries;
	u32 *pirqs;
	unsigned long flags;
	int i = 0, err = -1;

	if (nvec <= 0 || nvec > 128)
		return -EINVAL;
	entries = kcalloc(nvec, sizeof(*entries), GFP_KERNEL);
	pirqs = kcalloc(nvec, sizeof(*pirqs), GFP_KERNEL);
	if (!entries || !pirqs) {
		kfree(entries);
		kfree(pirqs);
		return -ENOMEM;
	}
	msi_for_each_desc(entry, &dev->dev, MSI_DESC_NOTASSOCIATED) {
		if (i < nvec)
			entries[i] = entry->msi_index;
		i++;
	}
	if (front && i == nvec) {
		spin_lock_irqsave(&front->op_lock, flags);
		err = pcisplit_fe_enable_msix(front->core, pci_domain_nr(dev->bus), dev->bus->number, dev->devfn,
					      entries, nvec, pirqs);
		spin_unlock_irqrestore(&front->op_lock, flags);
	}
	for (i = 0; err == 0 && i < nvec; i++) {
		if (pirqs[i] == 0) {
			dev_err(&dev->dev, "pcifront (pcisplit): MSI-X entry %d got no PIRQ\n", entries[i]);
			err = -1;
		}
		vectors[i] = pirqs[i];
	}
	kfree(entries);
	kfree(pirqs);
	if (err) {
		dev_err(&dev->dev, "pcifront (pcisplit): enable MSI-X failed (%d)\n", err);
		return -EINVAL;
	}
	return 0;
}

static void pcisplit_disable_msix(struct pci_dev *dev)
{
	struct pcisplit_front *front = pcisplit_front_of(dev->bus);
	unsigned long flags;
	int err;

	if (!front)
		return;
	spin_lock_irqsave(&front->op_lock, flags);
	err = pcisplit_fe_disable_msix(front->core, pci_domain_nr(dev->bus), dev->bus->number, dev->devfn);
	spin_unlock_irqrestore(&front->op_lock, flags);
	if (err)
		dev_warn(&dev->dev, "pcifront (pcisplit): disable MSI-X: %d\n", err);
}

struct xen_pci_frontend_ops pcisplit_msi_ops = {
	.enable_msi = pcisplit_enable_msi,
	.disable_msi = pcisplit_disable_msi,
	.enable_msix = pcisplit_enable_msix,
	.disable_msix = pcisplit_disable_msix,
};

/* --- host services for the core ---------------------------------------------------------------------- */

static irqreturn_t pcisplit_front_event(int irq, void *data)
{
	struct pcisplit_front *front = data;
	volatile u32 *flags = front->page;

	if (flags && (READ_ONCE(*flags) & PCISPLIT_B_ACTIVE))
		schedule_work(&front->aer_work);
	return IRQ_HANDLED;
}

int pcisplit_kfh_setup(struct pcisplit_front *front, uint16_t backend_domid, void **page, uint32_t *gref,
		       uint32_t *port)
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

static void pcisplit_remove_roots(struct pcisplit_front *front);

void pcisplit_kfh_teardown(struct pcisplit_front *front)
{
	pcisplit_remove_roots(front);
	if (front->irq > 0) {
		unbind_from_irqhandler(front->irq, front);  /* also closes the event channel */
		front->irq = 0;
	}
	if (front->page) {
		/* Ends the grant; a page the backend still maps is freed only once it is released. */
		xenbus_teardown_ring(&front->page, 1, &front->gref);
		front->page = NULL;
	}
}

void pcisplit_kfh_notify(struct pcisplit_front *front)
{
	if (front->irq > 0)
		notify_remote_via_irq(front->irq);
}

int pcisplit_kfh_wait_clear(struct pcisplit_front *front, volatile uint32_t *flags, uint32_t flag,
			    uint32_t timeout_ms)
{
	u64 deadline = ktime_get_ns() + (u64)timeout_ms * NSEC_PER_MSEC;

	xen_clear_irq_pending(front->irq);
	while (READ_ONCE(*flags) & flag) {
		xen_poll_irq_timeout(front->irq, jiffies + msecs_to_jiffies(timeout_ms));
		xen_clear_irq_pending(front->irq);
		if (ktime_get_ns() > deadline) {
			dev_err(&front->xdev->dev, "pciback did not answer within %u ms\n", timeout_ms);
			return 0;
		}
	}
	return 1;
}

void pcisplit_kfh_log(struct pcisplit_front *front, const char *msg)
{
	dev_info(&front->xdev->dev, "%s\n", msg);
}

int32_t pcisplit_kfh_aer(struct pcisplit_front *front, uint32_t cmd, uint16_t domain, uint8_t bus, uint8_t devfn,
			 int32_t state)
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
		case 6: /* aer_detected */
			if (eh->error_detected)
				result = eh->error_detected(dev, (pci_channel_state_t)state);
			break;
		case 8: /* aer_mmio */
			if (eh->mmio_enabled)
				result = eh->mmio_enabled(dev);
			break;
		case 9: /* aer_slotreset */
			if (eh->slot_reset)
				result = eh->slot_reset(dev);
			break;
		case 7: /* aer_resume */
			if (eh->resume)
				eh->resume(dev);
			result = PCI_ERS_RESULT_RECOVERED;
			break;
		}
	}
	device_unlock(&dev->dev);
	dev_info(&dev->dev, "pcifront (pcisplit): AER request %u answered %u\n", cmd, (unsigned int)result);
	pci_dev_put(dev);
	return (int32_t)result;
}

static void pcisplit_aer_work(struct work_struct *work)
{
	struct pcisplit_front *front = container_of(work, struct pcisplit_front, aer_work);

	mutex_lock(&front->lock);
	if (!front->stopping)
		pcisplit_fe_event(front->core);
	mutex_unlock(&front->lock);
}

/* --- root buses ----------------------------------------------------------------------------------- */

/* Scans every devfn: functions other than 0 may be exported alone (pci_scan_root_bus stops at fn 0). */
static void pcisplit_scan_all(struct pci_bus *b)
{
	struct pci_dev *d;
	unsigned int devfn;

	for (devfn = 0; devfn < 256; devfn++) {
		d = pci_get_slot(b, devfn);
		if (d) {
			pci_dev_put(d);
			continue;
		}
		pci_scan_single_device(b, devfn);
	}
}

static void pcisplit_claim(struct pci_bus *b)
{
	struct pci_dev *d;
	int i;

	list_for_each_entry(d, &b->devices, bus_list) {
		for (i = 0; i < PCI_NUM_RESOURCES; i++) {
			struct resource *r = &d->resource[i];

			if (!r->parent && r->start && r->flags)
				pci_claim_resource(d, i);
		}
	}
}

static struct pcisplit_root *pcisplit_find_root(struct pcisplit_front *front, u16 domain, u8 bus)
{
	struct pcisplit_root *r;

	list_for_each_entry(r, &front->roots, node) {
		if (r->sd.domain == domain && r->bus->number == bus)
			return r;
	}
	return NULL;
}

/* Under front->lock. */
static void pcisplit_scan_roots(struct pcisplit_front *front)
{
	int i, n = pcisplit_fe_root_count(front->core);
	struct pcisplit_root *r;
	LIST_HEAD(resources);
	u16 domain;
	u8 busnr;

	for (i = 0; i < n; i++) {
		pcisplit_fe_root(front->core, i, &domain, &busnr);
		pci_lock_rescan_remove();
		r = pcisplit_find_root(front, domain, busnr);
		if (r) {
			pcisplit_scan_all(r->bus);
			pcisplit_claim(r->bus);
			pci_bus_add_devices(r->bus);
			pci_unlock_rescan_remove();
			continue;
		}
		r = kzalloc(sizeof(*r), GFP_KERNEL);
		if (!r) {
			pci_unlock_rescan_remove();
			break;
		}
		r->sd.domain = domain;
		r->sd.node = first_online_node;
		INIT_LIST_HEAD(&resources);
		pci_add_resource(&resources, &ioport_resource);
		pci_add_resource(&resources, &iomem_resource);
		r->bus = pci_scan_root_bus(&front->xdev->dev, busnr, &pcisplit_bus_ops, &r->sd, &resources);
		if (!r->bus) {
			pci_free_resource_list(&resources);
			pci_unlock_rescan_remove();
			dev_err(&front->xdev->dev, "cannot create PCI root bus %04x:%02x\n", domain, busnr);
			kfree(r);
			continue;
		}
		pcisplit_scan_all(r->bus);
		pcisplit_claim(r->bus);
		pci_bus_add_devices(r->bus);
		pci_unlock_rescan_remove();
		list_add_tail(&r->node, &front->roots);
		dev_info(&front->xdev->dev, "PCI root bus %04x:%02x\n", domain, busnr);
	}
	front->scanned = true;
}

/* Under front->lock. */
static void pcisplit_remove_roots(struct pcisplit_front *front)
{
	struct pcisplit_root *r, *tmp;

	list_for_each_entry_safe(r, tmp, &front->roots, node) {
		struct pci_host_bridge *host = to_pci_host_bridge(r->bus->bridge);

		pci_lock_rescan_remove();
		pci_stop_root_bus(r->bus);
		pci_remove_root_bus(r->bus);
		/*
		 * pci_remove_root_bus() only device_del()s the host bridge; the reference
		 * pci_scan_root_bus() created is ours to drop, or the bridge, its windows and its
		 * name leak on every disconnect (~1.5 kB per detach/attach cycle, seen in the lab).
		 */
		pci_free_host_bridge(host);
		pci_unlock_rescan_remove();
		list_del(&r->node);
		kfree(r);
	}
	front->scanned = false;
}

void pcisplit_kfh_rescan(struct pcisplit_front *front)
{
	pcisplit_scan_roots(front);
}

void pcisplit_kfh_detach_closing(struct pcisplit_front *front)
{
	const char *be = front->xdev->otherend;
	unsigned int i, num, domain, bus, slot, fn;
	struct pci_dev *dev;
	char key[24];

	num = xenbus_read_unsigned(be, "num_devs", 0);
	for (i = 0; i < num && i < 256; i++) {
		snprintf(key, sizeof(key), "state-%u", i);
		if (xenbus_read_unsigned(be, key, XenbusStateUnknown) != XenbusStateClosing)
			continue;
		snprintf(key, sizeof(key), "vdev-%u", i);
		if (xenbus_scanf(XBT_NIL, be, key, "%x:%x:%x.%x", &domain, &bus, &slot, &fn) != 4 ||
		    domain > 0xffff || bus > 0xff || slot > 0x1f || fn > 7) {
			dev_warn(&front->xdev->dev, "device %u is closing but %s is unreadable\n", i, key);
			continue;
		}
		dev = pci_get_domain_bus_and_slot(domain, bus, PCI_DEVFN(slot, fn));
		if (!dev)
			continue;
		pci_stop_and_remove_bus_device_locked(dev);
		pci_dev_put(dev);
		dev_info(&front->xdev->dev, "%04x:%02x:%02x.%u removed\n", domain, bus, slot, fn);
	}
}

/*
 * The core writes "state" itself; the xenbus device's own copy must follow (the module loader waits
 * in xenbus_register_frontend until every device's copy says Connected). Under front->lock.
 */
static void pcisplit_sync_state(struct pcisplit_front *front)
{
	front->xdev->state = pcisplit_fe_state(front->core);
}

/* --- watches for the core ---------------------------------------------------------------------------- */

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

/* --- the xenbus driver ------------------------------------------------------------------------------ */

static int pcisplit_front_probe(struct xenbus_device *xdev, const struct xenbus_device_id *id)
{
	struct pcisplit_front *front;
	unsigned long flags;
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
	spin_lock_irqsave(&pcisplit_the_front_lock, flags);
	if (pcisplit_the_front) {
		spin_unlock_irqrestore(&pcisplit_the_front_lock, flags);
		dev_err(&xdev->dev, "a second PCI frontend device is not supported\n");
		pcisplit_fe_free(front->core);
		kfree(front);
		return -EBUSY;
	}
	pcisplit_the_front = front;
	spin_unlock_irqrestore(&pcisplit_the_front_lock, flags);
	dev_set_drvdata(&xdev->dev, front);

	mutex_lock(&front->lock);
	rc = pcisplit_fe_start(front->core);
	pcisplit_sync_state(front);
	mutex_unlock(&front->lock);
	if (rc)
		xenbus_dev_fatal(xdev, rc, "pcifront (pcisplit) could not start");
	else
		dev_info(&xdev->dev, "pcifront (pcisplit): published, waiting for the backend\n");
	return 0;
}

static void pcisplit_front_remove(struct xenbus_device *xdev)
{
	struct pcisplit_front *front = dev_get_drvdata(&xdev->dev);
	unsigned long flags;

	if (!front)
		return;
	pcisplit_xs_watch_del(front->watches, ARRAY_SIZE(front->watches), NULL);
	mutex_lock(&front->lock);
	front->stopping = true;
	pcisplit_remove_roots(front);
	pcisplit_fe_stop(front->core);  /* tears the page and channel down */
	mutex_unlock(&front->lock);
	cancel_work_sync(&front->aer_work);
	spin_lock_irqsave(&pcisplit_the_front_lock, flags);
	pcisplit_the_front = NULL;
	spin_unlock_irqrestore(&pcisplit_the_front_lock, flags);
	dev_set_drvdata(&xdev->dev, NULL);
	pcisplit_fe_free(front->core);
	kfree(front);
}

static const struct xenbus_device_id pcisplit_front_ids[] = {
	{ "pci" },
	{ "" },
};

static struct xenbus_driver pcisplit_front_driver = {
	.name = "pcifront",
	.ids = pcisplit_front_ids,
	.probe = pcisplit_front_probe,
	.remove = pcisplit_front_remove,
};

int pcisplit_front_init(void)
{
	return xenbus_register_frontend(&pcisplit_front_driver);
}

void pcisplit_front_exit(void)
{
	xenbus_unregister_driver(&pcisplit_front_driver);
}
