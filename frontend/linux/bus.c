// SPDX-License-Identifier: GPL-2.0-only
/*
 * xen-pcifront.ko (xen-pcisplit): the PCI side of the frontend: pci_ops over the frontend core, the
 * x86 Xen PCI-frontend MSI hooks, and the guest's root buses (created per root-K, every devfn
 * scanned, removed on hot-unplug and disconnect).
 *
 * Context and locking (front.h has the lock list): pci_ops run atomic (pci_lock held) and take
 * op_lock; the MSI hooks run in process context from the PCI core and take op_lock; bus creation
 * and removal run under front->lock and the PCI core's rescan/remove lock. Errors of the core are
 * mapped to PCIBIOS codes here and nowhere else.
 */
#define pr_fmt(fmt) "xen-pcifront: " fmt

#include <linux/msi.h>
#include <linux/pci.h>
#include <linux/slab.h>
#include <linux/spinlock.h>

#include "front.h"

/* One frontend per guest (one backend device "pci/0"); pci_ops and the MSI hooks find it here. */
static struct pcisplit_front *pcisplit_the_front;
static DEFINE_SPINLOCK(pcisplit_the_front_lock);

int pcisplit_bus_set_front(struct pcisplit_front *front)
{
	unsigned long flags;
	int rc = 0;

	spin_lock_irqsave(&pcisplit_the_front_lock, flags);
	if (pcisplit_the_front)
		rc = -EBUSY;
	else
		pcisplit_the_front = front;
	spin_unlock_irqrestore(&pcisplit_the_front_lock, flags);
	return rc;
}

void pcisplit_bus_clear_front(void)
{
	unsigned long flags;

	spin_lock_irqsave(&pcisplit_the_front_lock, flags);
	pcisplit_the_front = NULL;
	spin_unlock_irqrestore(&pcisplit_the_front_lock, flags);
}

static int pcisplit_err_to_pcibios(int err)
{
	switch (err) {
	case PCISPLIT_ERR_SUCCESS:
		return PCIBIOS_SUCCESSFUL;
	case PCISPLIT_ERR_DEV_NOT_FOUND:
		return PCIBIOS_DEVICE_NOT_FOUND;
	case PCISPLIT_ERR_ACCESS_DENIED:
		return PCIBIOS_SET_FAILED;
	case PCISPLIT_ERR_NOT_IMPLEMENTED:
		return PCIBIOS_FUNC_NOT_SUPPORTED;
	default: /* invalid_offset, op_failed */
		return PCIBIOS_BAD_REGISTER_NUMBER;
	}
}

/* --- pci_ops ---------------------------------------------------------------------------------- */

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
	int err = PCISPLIT_ERR_DEV_NOT_FOUND;  /* no frontend: no device behind the bus */

	if (front) {
		spin_lock_irqsave(&front->op_lock, flags);
		err = pcisplit_fe_conf_read(front->core, pci_domain_nr(bus), bus->number, devfn,
					    where, size, &v);
		spin_unlock_irqrestore(&front->op_lock, flags);
	}
	*val = err == 0 ? v : (size == 4 ? ~0u : (1u << (8 * size)) - 1);
	return pcisplit_err_to_pcibios(err);
}

static int pcisplit_bus_write(struct pci_bus *bus, unsigned int devfn, int where, int size, u32 val)
{
	struct pcisplit_front *front = pcisplit_front_of(bus);
	unsigned long flags;
	int err = PCISPLIT_ERR_DEV_NOT_FOUND;  /* no frontend: no device behind the bus */

	if (front) {
		spin_lock_irqsave(&front->op_lock, flags);
		err = pcisplit_fe_conf_write(front->core, pci_domain_nr(bus), bus->number, devfn,
					     where, size, val);
		spin_unlock_irqrestore(&front->op_lock, flags);
	}
	return pcisplit_err_to_pcibios(err);
}

static struct pci_ops pcisplit_bus_ops = {
	.read = pcisplit_bus_read,
	.write = pcisplit_bus_write,
};

/* --- MSI hooks (arch/x86/pci/xen.c calls them for a PV guest) --------------------------------- */

static int pcisplit_enable_msi(struct pci_dev *dev, int vectors[])
{
	struct pcisplit_front *front = pcisplit_front_of(dev->bus);
	unsigned long flags;
	u32 pirq = 0;
	int err = PCISPLIT_ERR_DEV_NOT_FOUND;  /* no frontend: no device behind the bus */

	if (front) {
		spin_lock_irqsave(&front->op_lock, flags);
		err = pcisplit_fe_enable_msi(front->core, pci_domain_nr(dev->bus), dev->bus->number,
					     dev->devfn, &pirq);
		spin_unlock_irqrestore(&front->op_lock, flags);
	}
	if (err || pirq == 0) {
		dev_err(&dev->dev, "pcifront: enable MSI failed (%d, pirq %u)\n", err, pirq);
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
	int err;

	if (!front)
		return;
	spin_lock_irqsave(&front->op_lock, flags);
	err = pcisplit_fe_disable_msi(front->core, pci_domain_nr(dev->bus), dev->bus->number,
				      dev->devfn);
	spin_unlock_irqrestore(&front->op_lock, flags);
	if (err)
		dev_warn(&dev->dev, "pcifront: disable MSI: %d\n", err);
}

static int pcisplit_enable_msix(struct pci_dev *dev, int vectors[], int nvec)
{
	struct pcisplit_front *front = pcisplit_front_of(dev->bus);
	struct msi_desc *entry;
	u16 *entries;
	u32 *pirqs;
	unsigned long flags;
	int i = 0, err = PCISPLIT_ERR_DEV_NOT_FOUND;

	if (nvec <= 0 || nvec > PCISPLIT_MAX_VEC)
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
		err = pcisplit_fe_enable_msix(front->core, pci_domain_nr(dev->bus),
					      dev->bus->number, dev->devfn, entries, nvec, pirqs);
		spin_unlock_irqrestore(&front->op_lock, flags);
	}
	for (i = 0; err == 0 && i < nvec; i++) {
		if (pirqs[i] == 0) {
			dev_err(&dev->dev, "pcifront: MSI-X entry %d got no PIRQ\n", entries[i]);
			err = PCISPLIT_ERR_OP_FAILED;
		}
		vectors[i] = pirqs[i];
	}
	kfree(entries);
	kfree(pirqs);
	if (err) {
		dev_err(&dev->dev, "pcifront: enable MSI-X failed (%d)\n", err);
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
	err = pcisplit_fe_disable_msix(front->core, pci_domain_nr(dev->bus), dev->bus->number,
				       dev->devfn);
	spin_unlock_irqrestore(&front->op_lock, flags);
	if (err)
		dev_warn(&dev->dev, "pcifront: disable MSI-X: %d\n", err);
}

struct xen_pci_frontend_ops pcisplit_msi_ops = {
	.enable_msi = pcisplit_enable_msi,
	.disable_msi = pcisplit_disable_msi,
	.enable_msix = pcisplit_enable_msix,
	.disable_msix = pcisplit_disable_msix,
};

/* --- root buses ------------------------------------------------------------------------------- */

/* Scans every devfn: a function other than 0 may be exported alone (the PCI core stops at fn 0). */
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

void pcisplit_scan_roots(struct pcisplit_front *front)
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
		r->bus = pci_scan_root_bus(&front->xdev->dev, busnr, &pcisplit_bus_ops, &r->sd,
					   &resources);
		if (!r->bus) {
			pci_free_resource_list(&resources);
			pci_unlock_rescan_remove();
			dev_err(&front->xdev->dev, "cannot create PCI root bus %04x:%02x\n", domain,
				busnr);
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

void pcisplit_remove_roots(struct pcisplit_front *front)
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

void pcisplit_kfh_remove_device(struct pcisplit_front *front, u16 domain, u8 bus,
				u8 devfn)
{
	struct pci_dev *dev = pci_get_domain_bus_and_slot(domain, bus, devfn);

	if (!dev)
		return;
	pci_stop_and_remove_bus_device_locked(dev);
	pci_dev_put(dev);
	dev_info(&front->xdev->dev, "%04x:%02x:%02x.%u removed\n", domain, bus, PCI_SLOT(devfn),
		 PCI_FUNC(devfn));
}
