// SPDX-License-Identifier: GPL-2.0-only
/*
 * xen-pciback.ko (xen-pcisplit): a function handed to a guest's backend (export) and taken back
 * (release): the core's view built from the function's resources, the domain owner registered with
 * Xen, and at release the interrupts off, a reset and the bind-time config restored.
 */
#define pr_fmt(fmt) "xen-pciback: " fmt

#include <linux/delay.h>
#include <linux/pci.h>
#include <linux/string.h>
#include <xen/pci.h>
#include <xen/interface/xen.h>
#include <xen/interface/physdev.h>
#include <asm/xen/hypercall.h>

#include "compat.h"
#include "pciback.h"

/* Under op_lock: interrupts off, handler gone, device disabled. */
void pcisplit_quiesce(struct pcisplit_dev *dev)
{
	struct pci_dev *pdev = dev->pdev;
	bool was_enabled;

	if (pdev->msix_enabled)
		pci_disable_msix(pdev);
	if (pdev->msi_enabled)
		pci_free_irq_vectors(pdev);
	pcisplit_hw_msi_off(pdev);
	pcisplit_pirqs_clear(dev);
	/*
	 * The fake handler goes before the device is disabled: in a PVH dom0 disabling it
	 * unregisters the GSI and may free the IRQ with the handler still on it (remove_proc_entry
	 * warned in the lab).
	 */
	was_enabled = dev->enabled;
	dev->enabled = false;
	pcisplit_intx_update(dev);
	if (was_enabled)
		pci_disable_device(pdev);  /* also clears bus mastering */
}

void pcisplit_restore(struct pcisplit_dev *dev)
{
	if (dev->saved && pci_load_saved_state(dev->pdev, dev->saved) == 0)
		pci_restore_state(dev->pdev);
	atomic_set(&dev->intx_masked, 0);  /* the bind-time command register is back */
}

void pcisplit_msix_prepare(struct pci_dev *pdev, bool prepare)
{
	struct physdev_pci_device ppdev = {
		.seg = pci_domain_nr(pdev->bus),
		.bus = pdev->bus->number,
		.devfn = pdev->devfn,
	};
	int rc;

	if (!pdev->msix_cap)
		return;
	/* Xen write-protects the MSI-X table and PBA before a guest can map the BAR. */
	rc = HYPERVISOR_physdev_op(prepare ? PHYSDEVOP_prepare_msix : PHYSDEVOP_release_msix,
				   &ppdev);
	if (rc && rc != -ENOSYS)
		dev_warn(&pdev->dev, "PHYSDEVOP_%s_msix: %d\n", prepare ? "prepare" : "release",
			 rc);
}

/*
 * L2: the guest may turn the ROM's decoding on only where the kernel assigned it a window of its
 * own.
 */
static bool pcisplit_rom_decodes(struct pci_dev *pdev)
{
	struct resource *res = &pdev->resource[PCI_ROM_RESOURCE];

	if (!resource_size(res) || !res->parent)
		return false;
	return !pdev->rom_bar_overlap;
}

int pcisplit_khost_export(struct pcisplit_backend *host, u16 domain, u8 bus,
			  u8 devfn, int permissive, struct pcisplit_fn **fn, int *is_bridge,
			  int *is_virtfn, char *diag, size_t cap)
{
	struct pcisplit_fn_info info = { .irq = -1 };
	u16 domid = host->xdev->otherend_id;
	struct pcisplit_dev *dev;
	struct pci_dev *pdev;
	bool perm, irqctl;
	unsigned int i;
	int rc, j;

	mutex_lock(&pcisplit_devs_lock);
	dev = pcisplit_find(domain, bus, devfn);
	if (!dev) {
		mutex_unlock(&pcisplit_devs_lock);
		strscpy(diag, "not bound to pciback (xl pci-assignable-add it first)", cap);
		return PCISPLIT_ERR_DEV_NOT_FOUND;
	}
	if (dev->owner) {
		mutex_unlock(&pcisplit_devs_lock);
		snprintf(diag, cap, "already assigned to domain %u", dev->owner_domid);
		return PCISPLIT_ERR_ACCESS_DENIED;
	}
	spin_lock(&dev->reset_lock);
	if (dev->dead || dev->unreset) {
		if (dev->dead)
			snprintf(diag, cap, "did not come back after its last reset (%s)",
				 dev->dead_why);
		else
			strscpy(diag, "its last guest released it unreset (do_flr resets it)",
				cap);
		spin_unlock(&dev->reset_lock);
		mutex_unlock(&pcisplit_devs_lock);
		return PCISPLIT_ERR_OP_FAILED;
	}
	dev->assigned_domid = domid;
	spin_unlock(&dev->reset_lock);
	dev->owner = host;
	dev->owner_domid = domid;
	dev->guest_permissive = permissive;
	kref_get(&dev->ref);
	list_add_tail(&dev->owner_node, &host->exported);
	perm = pcisplit_effective_permissive(dev);
	irqctl = dev->allow_interrupt_control;
	mutex_unlock(&pcisplit_devs_lock);

	pdev = dev->pdev;
	for (j = 0; j < 6; j++)
		info.bar_size[j] = pci_resource_len(pdev, j);
	info.rom_size = pci_resource_len(pdev, PCI_ROM_RESOURCE);
	info.rom_decodes = pcisplit_rom_decodes(pdev);
	/*
	 * The guest's frontend binds the legacy interrupt by the number it reads here, which libxl
	 * maps for it: dom0's IRQ in a PV dom0 (the GSI there), the GSI itself in a PVH dom0 (libxl
	 * asks privcmd's lookup, pcisplit_gsi_of).
	 */
	if (dev->gsi >= 0)
		info.irq = dev->gsi;
	else
		info.irq = pdev->irq ? (s32)pdev->irq : -1;
	info.cfg_size = pdev->cfg_size > PCI_CFG_SPACE_SIZE ? PCI_CFG_SPACE_EXP_SIZE :
							    PCI_CFG_SPACE_SIZE;
	rc = pcisplit_fn_build(dev->fn, &info, perm, irqctl, diag, cap);
	mutex_lock(&pcisplit_devs_lock);
	for (i = 0; rc == 0 && i < dev->nquirks; i++)
		rc = pcisplit_fn_add_quirk(dev->fn, dev->quirks[i].reg, dev->quirks[i].size,
					   dev->quirks[i].mask, diag, cap);
	mutex_unlock(&pcisplit_devs_lock);
	if (rc == 0) {
		mutex_lock(&dev->op_lock);
		if (dev->gone) {
			rc = PCISPLIT_ERR_DEV_NOT_FOUND;
			strscpy(diag, "left pciback", cap);
		} else {
			/* counts this assignment; kept after release */
			atomic_long_set(&dev->handled, 0);
			atomic_set(&dev->intx_said, 0);
			dev->isr_failed = false;
			/* a stale owner from a dead guest */
			xen_unregister_device_domain_owner(pdev);
			if (xen_register_device_domain_owner(pdev, domid)) {
				rc = PCISPLIT_ERR_OP_FAILED;
				strscpy(diag, "cannot register the domain owner with Xen", cap);
			}
		}
		mutex_unlock(&dev->op_lock);
	}
	if (rc) {
		mutex_lock(&pcisplit_devs_lock);
		list_del(&dev->owner_node);
		dev->owner = NULL;
		spin_lock(&dev->reset_lock);
		dev->assigned_domid = -1;
		spin_unlock(&dev->reset_lock);
		mutex_unlock(&pcisplit_devs_lock);
		pcisplit_dev_put(dev);
		return rc;
	}
	dev_info(&pdev->dev, "exported to domain %u%s\n", domid, perm ? " (permissive)" : "");
	*fn = dev->fn;
	*is_bridge = pdev->hdr_type == PCI_HEADER_TYPE_BRIDGE;
	*is_virtfn = pdev->is_virtfn;
	return 0;
}

void pcisplit_khost_release(struct pcisplit_backend *host, u16 domain, u8 bus,
			    u8 devfn)
{
	struct pcisplit_dev *dev = NULL, *it;
	int tries, rc = -ENODEV;
	bool gone = false;

	mutex_lock(&pcisplit_devs_lock);
	list_for_each_entry(it, &host->exported, owner_node) {
		if (pci_domain_nr(it->pdev->bus) == domain && it->pdev->bus->number == bus &&
		    it->pdev->devfn == devfn) {
			dev = it;
			break;
		}
	}
	mutex_unlock(&pcisplit_devs_lock);
	if (!dev)
		return;

	/*
	 * M1: a function that left pciback (remove() ran: unbound, maybe bound to its dom0 driver
	 * or assigned again since) is not ours to touch. The reset runs under the device lock,
	 * taken with trylock (remove() holds it while it waits for op_lock; an AER report holds it
	 * while it waits for this backend's lock), and `gone` is read under it, so remove() cannot
	 * slip in between the check and the reset. Lock order: device lock -> op_lock, as in
	 * remove().
	 */
	for (tries = 0; tries < PCISPLIT_RELEASE_TRIES; tries++) {
		if (device_trylock(&dev->pdev->dev)) {
			mutex_lock(&dev->op_lock);
			gone = dev->gone;
			if (!gone)
				pcisplit_quiesce(dev);
			mutex_unlock(&dev->op_lock);
			if (!gone) {
				/* userspace config access waits out the reset (reset.c) */
				rc = pcisplit_reset_dev(dev, "release", false);
				if (pcisplit_reset_notify_xen(dev->pdev))
					dev_warn(&dev->pdev->dev,
						 "Xen refused the reset notification\n");
			}
			mutex_lock(&dev->op_lock);
			if (!gone) {
				pcisplit_restore(dev);
				if (rc == 0)
					pcisplit_reset_verify(dev, false);
				xen_unregister_device_domain_owner(dev->pdev);
			}
			mutex_unlock(&dev->op_lock);
			device_unlock(&dev->pdev->dev);
			break;
		}
		msleep(20);
	}
	if (tries == PCISPLIT_RELEASE_TRIES) {
		/*
		 * The device lock stayed busy for 1 s: quiesce at least, never reset blind. The
		 * next guest must not get the last one's device state: a function that has a reset
		 * is exported to no guest until a reset succeeds (libxl writes do_flr before it
		 * assigns a function).
		 */
		mutex_lock(&dev->op_lock);
		gone = dev->gone;
		if (!gone) {
			pcisplit_quiesce(dev);
			pcisplit_restore(dev);
			xen_unregister_device_domain_owner(dev->pdev);
		}
		mutex_unlock(&dev->op_lock);
		/*
		 * "Has a reset" as its last reset found it (none at bind: -ENOTTY), never planned
		 * again here: the plan walks the bus, whose lock an AER recovery holding this
		 * device's lock may hold too, while it waits for be->lock, which we hold.
		 */
		spin_lock(&dev->reset_lock);
		if (!gone && dev->reset_last_rc != -ENOTTY)
			dev->unreset = true;
		spin_unlock(&dev->reset_lock);
	}

	mutex_lock(&pcisplit_devs_lock);
	list_del(&dev->owner_node);
	dev->owner = NULL;
	spin_lock(&dev->reset_lock);
	dev->assigned_domid = -1;
	spin_unlock(&dev->reset_lock);
	dev->guest_permissive = false;
	dev->allow_interrupt_control = false;  /* per assignment, as in-tree */
	mutex_unlock(&pcisplit_devs_lock);
	if (gone)
		dev_info(&dev->pdev->dev,
			 "released by its old guest after it left pciback: not touched\n");
	else if (tries == PCISPLIT_RELEASE_TRIES)
		dev_warn(&dev->pdev->dev,
			 "released without a reset: the device lock stayed busy%s\n",
			 dev->unreset ? "; no guest gets it until a reset succeeds (do_flr)" : "");
	else if (rc == 0)
		dev_info(&dev->pdev->dev, "released: reset, bind-time config restored\n");
	else
		dev_info(&dev->pdev->dev, "released without a reset (%s), bind-time config restored\n",
			 rc == -ENOTTY ? "it has no reset method" : "the reset failed");
	pcisplit_dev_put(dev);
}
