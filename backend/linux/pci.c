// SPDX-License-Identifier: GPL-2.0-only
/*
 * xen-pciback.ko (xen-pcisplit): the pci_driver "pciback" and the records of the functions bound to
 * it. The rest of a function's life is split by concern: config.c (the core's config access and
 * effects), irq.c (INTx fake handler, MSI/MSI-X), export.c (export to a guest, release), aer.c (AER
 * forwarding), sysfs.c (the driver's attributes).
 *
 * Context and locking (see pciback.h for the order): probe/remove run with the device lock held
 * (driver core). probe saves the bind-time config and resets the function; remove, if the function
 * is still exported, shuts the guest down (it must not keep a device dom0 takes back), turns its
 * interrupts off, resets and restores the function, and marks it gone so the backend's later
 * release touches nothing.
 */
#define pr_fmt(fmt) "xen-pciback: " fmt

#include <linux/module.h>
#include <linux/pci.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <xen/pci.h>

#include "compat.h"
#include "pciback.h"

/* The functions bound to pciback, the seize list, owners, flags, quirks (pciback.h: lock order). */
DEFINE_MUTEX(pcisplit_devs_lock);
LIST_HEAD(pcisplit_devs);

/* --- records ---------------------------------------------------------------------------------- */

static void pcisplit_dev_free(struct kref *ref)
{
	struct pcisplit_dev *dev = container_of(ref, struct pcisplit_dev, ref);

	pcisplit_fn_free(dev->fn);
	kfree(dev->saved);
	pci_dev_put(dev->pdev);
	kfree(dev);
}

void pcisplit_dev_put(struct pcisplit_dev *dev)
{
	kref_put(&dev->ref, pcisplit_dev_free);
}

/* Under pcisplit_devs_lock. */
struct pcisplit_dev *pcisplit_find(u16 domain, u8 bus, u8 devfn)
{
	struct pcisplit_dev *dev;

	list_for_each_entry(dev, &pcisplit_devs, node) {
		if (pci_domain_nr(dev->pdev->bus) == domain && dev->pdev->bus->number == bus &&
		    dev->pdev->devfn == devfn)
			return dev;
	}
	return NULL;
}

/* --- the pci driver --------------------------------------------------------------------------- */

static struct pci_driver pcisplit_driver;

bool pcisplit_is_ours(struct pci_dev *pdev)
{
	return READ_ONCE(pdev->dev.driver) == &pcisplit_driver.driver;
}

/* Under pcisplit_devs_lock: a seize-list entry names the function or a bridge above it. */
static bool pcisplit_wanted(struct pci_dev *pdev)
{
	struct pci_dev *up;

	if (pcisplit_override_is(pdev, PCISPLIT_NAME))
		return true;
	for (up = pdev; up; up = up->bus->self) {
		if (pcisplit_seize_has(pci_domain_nr(up->bus), up->bus->number, up->devfn))
			return true;
	}
	return false;
}

static int pcisplit_probe(struct pci_dev *pdev, const struct pci_device_id *id)
{
	struct pcisplit_dev *dev;
	bool wanted;
	int rc;

	mutex_lock(&pcisplit_devs_lock);
	wanted = pcisplit_wanted(pdev);
	mutex_unlock(&pcisplit_devs_lock);
	if (!wanted)
		return -ENODEV;
	if (pdev->hdr_type != PCI_HEADER_TYPE_NORMAL && pdev->hdr_type != PCI_HEADER_TYPE_BRIDGE) {
		dev_err(&pdev->dev, "header type %d cannot be exported\n", pdev->hdr_type);
		return -ENODEV;
	}

	dev = kzalloc(sizeof(*dev), GFP_KERNEL);
	if (!dev)
		return -ENOMEM;
	kref_init(&dev->ref);
	mutex_init(&dev->op_lock);
	spin_lock_init(&dev->reset_lock);
	dev->assigned_domid = -1;
	spin_lock_init(&dev->pirq_lock);
	dev->gsi = -1;
	INIT_LIST_HEAD(&dev->owner_node);
	dev->pdev = pci_dev_get(pdev);
	snprintf(dev->irq_name, sizeof(dev->irq_name), "pciback[%s]", pci_name(pdev));
	dev->fn = pcisplit_fn_alloc(dev);
	if (!dev->fn) {
		rc = -ENOMEM;
		goto fail;
	}

	/*
	 * Power up, save the bind-time config, reset, and leave it disabled until a guest enables
	 * it.
	 */
	rc = pci_enable_device(pdev);
	if (rc) {
		dev_err(&pdev->dev, "cannot enable: %d\n", rc);
		goto fail;
	}
	/*
	 * Only now is the legacy interrupt routed (ACPI): before, pdev->irq is the BIOS's line
	 * value.
	 */
	dev->irq = pdev->irq;
	pci_save_state(pdev);
	dev->saved = pci_store_saved_state(pdev);
	if (!dev->saved)
		dev_warn(&pdev->dev,
			 "cannot keep the bind-time config; release will not restore it\n");
	pcisplit_msix_prepare(pdev, true);
	/*
	 * The method is decided and reported now, not when a guest starts (reset.c); what the
	 * function answers after this reset is what every later reset must bring back.
	 */
	pcisplit_reset_bind(dev);
	pcisplit_reset_dev(dev, "bind", false);
	/* As Linux 6.12's pciback: a bind Xen was not told about, or without its GSI, fails. */
	rc = pcisplit_reset_notify_xen(pdev);
	if (rc) {
		dev_err(&pdev->dev, "Xen refused the reset notification: %d\n", rc);
		goto fail_disable;
	}
	pcisplit_restore(dev);
	pcisplit_reset_verify(dev, false);
	rc = pcisplit_pvh_setup_gsi(pdev, &dev->gsi);
	if (rc) {
		dev_err(&pdev->dev, "cannot set up the GSI of its legacy interrupt: %d\n", rc);
		goto fail_disable;
	}
	pci_disable_device(pdev);

	pci_set_drvdata(pdev, dev);
	mutex_lock(&pcisplit_devs_lock);
	list_add_tail(&dev->node, &pcisplit_devs);
	mutex_unlock(&pcisplit_devs_lock);
	dev_info(&pdev->dev, "seized by pciback (pcisplit)\n");
	return 0;

fail_disable:
	pcisplit_msix_prepare(pdev, false);
	pci_disable_device(pdev);
fail:
	pcisplit_dev_put(dev);
	return rc;
}

static void pcisplit_remove(struct pci_dev *pdev)
{
	struct pcisplit_dev *dev = pci_get_drvdata(pdev);
	bool exported;
	u16 domid;

	if (!dev)
		return;
	mutex_lock(&pcisplit_devs_lock);
	list_del(&dev->node);
	exported = dev->owner;
	domid = dev->owner_domid;
	mutex_unlock(&pcisplit_devs_lock);

	mutex_lock(&dev->op_lock);
	if (exported) {
		dev_warn(&pdev->dev,
			 "leaving pciback while assigned to domain %u: shutting the domain down\n",
			 domid);
		pcisplit_kill_domain(domid);
	}
	pcisplit_quiesce(dev);
	pcisplit_reset_dev(dev, "remove", true);
	if (pcisplit_reset_notify_xen(pdev))
		dev_warn(&pdev->dev, "Xen refused the reset notification\n");
	pcisplit_restore(dev);
	if (exported)
		xen_unregister_device_domain_owner(pdev);
	pcisplit_msix_prepare(pdev, false);
	dev->gone = true;
	mutex_unlock(&dev->op_lock);

	pci_set_drvdata(pdev, NULL);
	dev_info(&pdev->dev, "left pciback\n");
	pcisplit_dev_put(dev);
}

static const struct pci_device_id pcisplit_ids[] = {
	{ .vendor = PCI_ANY_ID,
	  .device = PCI_ANY_ID,
	  .subvendor = PCI_ANY_ID,
	  .subdevice = PCI_ANY_ID },
	{ 0 },
};

static struct pci_driver pcisplit_driver = {
	.name = PCISPLIT_NAME,
	.id_table = pcisplit_ids,
	.probe = pcisplit_probe,
	.remove = pcisplit_remove,
	.err_handler = &pcisplit_err_handlers,
	.groups = pcisplit_drv_groups,
};

/*
 * privcmd's GSI lookup in a PVH dom0 (libxl and QEMU ask it for a function's legacy interrupt):
 * the GSI bind set up, for a function bound to pciback; -ENODEV for any other, -ENOENT for one
 * without a GSI. sbdf is privcmd's: segment << 16 | bus << 8 | devfn.
 */
static int pcisplit_gsi_of(u32 sbdf)
{
	struct pcisplit_dev *dev;
	int gsi = -ENODEV;

	mutex_lock(&pcisplit_devs_lock);
	list_for_each_entry(dev, &pcisplit_devs, node) {
		struct pci_dev *pdev = dev->pdev;

		if (pci_domain_nr(pdev->bus) == (sbdf >> 16) &&
		    pdev->bus->number == PCI_BUS_NUM(sbdf) && pdev->devfn == (sbdf & 0xff)) {
			gsi = dev->gsi >= 0 ? dev->gsi : -ENOENT;
			break;
		}
	}
	mutex_unlock(&pcisplit_devs_lock);
	return gsi;
}

int pcisplit_pci_init(const char *hide)
{
	char diag[160];
	int n;

	mutex_lock(&pcisplit_devs_lock);
	n = pcisplit_seize_hide(hide, diag, sizeof(diag));
	mutex_unlock(&pcisplit_devs_lock);
	if (n < 0) {
		pr_err("%s\n", diag);
		return -EINVAL;
	}
	n = pci_register_driver(&pcisplit_driver);
	if (n == 0)
		pcisplit_gsi_lookup_register(pcisplit_gsi_of);
	return n;
}

void pcisplit_pci_exit(void)
{
	pcisplit_gsi_lookup_register(NULL);
	pci_unregister_driver(&pcisplit_driver);
}
