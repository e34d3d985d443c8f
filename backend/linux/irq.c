// SPDX-License-Identifier: GPL-2.0-only
/*
 * xen-pciback.ko (xen-pcisplit): a function's interrupts on the guest's behalf. The INTx fake
 * handler that acks a shared line dom0 keeps for the guest, and the MSI/MSI-X enables the core asks
 * for.
 *
 * Context: pcisplit_kplat_* are called by the core under one of the owning backend's locks and take
 * the function's op_lock; the fake handler runs in hard-irq context and uses atomics only.
 */
#define pr_fmt(fmt) "xen-pciback: " fmt

#include <linux/interrupt.h>
#include <linux/pci.h>
#include <xen/events.h>
#include <xen/xen.h>

#include "pciback.h"

/*
 * A PV guest binds its function's interrupts by PIRQ, and only a PV dom0's event channel code has
 * PIRQs for them: xen_pirq_from_irq() BUGs on any other IRQ (a guest's MSI-X enable brought a PVH
 * dom0 down in the lab). In a PVH dom0 the guest gets no MSI or MSI-X (its driver falls back to
 * INTx, whose GSI libxl maps) and a legacy PIRQ of 0.
 */
static bool pcisplit_refuse_msi_without_pirqs(struct pcisplit_dev *dev)
{
	if (xen_pv_domain())
		return false;
	dev_warn_ratelimited(&dev->pdev->dev,
			     "MSI/MSI-X refused: no PIRQs for a PV guest in a dom0 that is not PV\n");
	return true;
}

/*
 * Under op_lock: what the guest was given, for the pirqs attribute (what Xen's 'i' debug key lists
 * for the guest's domain).
 */
static void pcisplit_pirqs_set(struct pcisplit_dev *dev, u8 kind, const u32 *pirqs, u32 n)
{
	u32 i;

	spin_lock(&dev->pirq_lock);
	dev->pirq_kind = kind;
	dev->npirqs = n;
	for (i = 0; i < min_t(u32, n, PCISPLIT_PIRQS_KEPT); i++)
		dev->pirqs[i] = pirqs[i];
	spin_unlock(&dev->pirq_lock);
}

void pcisplit_pirqs_clear(struct pcisplit_dev *dev)
{
	pcisplit_pirqs_set(dev, PCISPLIT_PIRQ_NONE, NULL, 0);
}

static irqreturn_t pcisplit_intx(int irq, void *data)
{
	struct pcisplit_dev *dev = data;
	long n;

	if (!atomic_read(&dev->ack_intr)) {
		/*
		 * No guest listens on the line any more (its driver unbound, or libxl unmapped its
		 * pirq on the way to a detach, before the reset), yet this function may still
		 * assert it. Level triggered, it would storm dom0 until the kernel disables the
		 * line for every device on it ("irq N: nobody cared"). Mask it at the function (PCI
		 * 2.3 INTx disable, as VFIO does); the guest's next enable of the device, and the
		 * release, undo it. Not while the guest has the line bound (Xen says it is shared
		 * with another domain): acking turned off by an admin (irq_handler_state) must not
		 * take the guest's interrupts away.
		 */
		if (xen_pv_domain() && xen_test_irq_shared(irq) == 0)
			return IRQ_NONE;
		if (!pci_check_and_mask_intx(dev->pdev))
			return IRQ_NONE;
		if (!atomic_xchg(&dev->intx_masked, 1) &&
		    !(atomic_fetch_or(2, &dev->intx_said) & 2))
			pr_info("%s: asserts IRQ %d, no guest listening; masked at the function\n",
				pci_name(dev->pdev), irq);
		return IRQ_HANDLED;
	}
	n = atomic_long_inc_return(&dev->handled);
	/*
	 * A line nobody else shares needs no acking from dom0: stop after 1000 (as the in-tree
	 * driver).
	 */
	/*
	 * xen_test_irq_shared() is 1 for a PIRQ no other domain shares; it WARNs on an IRQ that is
	 * no PIRQ (a PVH dom0's lines): there the handler stays.
	 */
	if (n % 1000 == 0 && xen_pv_domain() && xen_test_irq_shared(irq) > 0) {
		if (!(atomic_fetch_or(1, &dev->intx_said) & 1))
			pr_info("%s: IRQ %d is not shared with other domains; fake handler off\n",
				pci_name(dev->pdev), irq);
		atomic_set(&dev->ack_intr, 0);
	}
	return IRQ_HANDLED;
}

/* Under op_lock: the fake handler removed, if installed. */
static void pcisplit_intx_off(struct pcisplit_dev *dev)
{
	if (!dev->isr_on)
		return;
	free_irq(dev->irq, dev);
	atomic_set(&dev->ack_intr, 0);
	dev->isr_on = false;
}

/* Under op_lock: installs or removes the fake handler to match the device's state. */
void pcisplit_intx_update(struct pcisplit_dev *dev)
{
	struct pci_dev *pdev = dev->pdev;
	bool want = dev->enabled && dev->irq > 0 && !pdev->msi_enabled && !pdev->msix_enabled;
	int rc;

	if (want == dev->isr_on)
		return;
	if (want) {
		if (dev->isr_failed)
			return;
		rc = request_irq(dev->irq, pcisplit_intx, IRQF_SHARED, dev->irq_name, dev);
		if (rc) {
			/*
			 * Another dom0 driver holds the line unshared: say so once, not on every
			 * guest op.
			 */
			dev_warn(&pdev->dev,
				 "INTx fake handler not installed on IRQ %d (%d); not retried this assignment\n",
				 dev->irq, rc);
			dev->isr_failed = true;
			return;
		}
		atomic_set(&dev->ack_intr, 1);
		dev->isr_on = true;
	} else {
		pcisplit_intx_off(dev);
	}
}

/*
 * Under op_lock: MSI or MSI-X enabled in hardware, whatever the kernel's flags say. With
 * allow_interrupt_control a guest (qemu in a stub domain) flips the enable bits by config writes,
 * which the kernel never sees (I5).
 */
static bool pcisplit_hw_msi_on(struct pci_dev *pdev, bool msix)
{
	u16 flags = 0;

	if (msix)
		return pdev->msix_cap &&
		       !pci_read_config_word(pdev, pdev->msix_cap + PCI_MSIX_FLAGS, &flags) &&
		       (flags & PCI_MSIX_FLAGS_ENABLE);
	return pdev->msi_cap &&
	       !pci_read_config_word(pdev, pdev->msi_cap + PCI_MSI_FLAGS, &flags) &&
	       (flags & PCI_MSI_FLAGS_ENABLE);
}

/* Under op_lock: the enable bits a guest set behind the kernel's back, cleared. */
void pcisplit_hw_msi_off(struct pci_dev *pdev)
{
	u16 flags;

	if (!pdev->msix_enabled && pcisplit_hw_msi_on(pdev, true) &&
	    !pci_read_config_word(pdev, pdev->msix_cap + PCI_MSIX_FLAGS, &flags))
		pci_write_config_word(pdev, pdev->msix_cap + PCI_MSIX_FLAGS,
				      flags & ~(PCI_MSIX_FLAGS_ENABLE | PCI_MSIX_FLAGS_MASKALL));
	if (!pdev->msi_enabled && pcisplit_hw_msi_on(pdev, false) &&
	    !pci_read_config_word(pdev, pdev->msi_cap + PCI_MSI_FLAGS, &flags))
		pci_write_config_word(pdev, pdev->msi_cap + PCI_MSI_FLAGS,
				      flags & ~PCI_MSI_FLAGS_ENABLE);
}

int pcisplit_kplat_enable_msi(struct pcisplit_dev *dev, u32 nvec, u32 *pirq)
{
	u32 pirqs[PCISPLIT_PIRQS_KEPT];
	struct pci_dev *pdev = dev->pdev;
	u32 i;
	int rc;

	*pirq = 0;
	mutex_lock(&dev->op_lock);
	if (dev->gone) {
		rc = -ENODEV;
		goto out;
	}
	if (pcisplit_refuse_msi_without_pirqs(dev)) {
		rc = -EOPNOTSUPP;
		goto out;
	}
	if (pdev->msi_enabled || pdev->msix_enabled || pcisplit_hw_msi_on(pdev, true) ||
	    nvec == 0 || nvec > PCISPLIT_MSI_MAX) {
		rc = -EINVAL;
		goto out;
	}
	/*
	 * The MSI must not share the device with the INTx fake handler (freeing MSI IRQs would
	 * BUG).
	 */
	pcisplit_intx_off(dev);
	rc = pci_alloc_irq_vectors(pdev, nvec, nvec, PCI_IRQ_MSI);
	if (rc < 0)
		goto out;
	/* Multiple MSI: Xen maps consecutive PIRQs; the guest is told the first. */
	for (i = 0; i < min_t(u32, nvec, PCISPLIT_PIRQS_KEPT); i++)
		pirqs[i] = xen_pirq_from_irq(pci_irq_vector(pdev, i));
	pcisplit_pirqs_set(dev, PCISPLIT_PIRQ_MSI, pirqs, nvec);
	*pirq = pirqs[0];
	rc = 0;
out:
	pcisplit_intx_update(dev);
	mutex_unlock(&dev->op_lock);
	return rc;
}

int pcisplit_kplat_disable_msi(struct pcisplit_dev *dev)
{
	mutex_lock(&dev->op_lock);
	if (!dev->gone && dev->pdev->msi_enabled)
		pci_free_irq_vectors(dev->pdev);
	if (!dev->gone && !dev->pdev->msix_enabled)
		pcisplit_pirqs_clear(dev);
	if (!dev->gone)
		pcisplit_intx_update(dev);
	mutex_unlock(&dev->op_lock);
	return 0;
}

static bool pcisplit_msix_table_decoded(struct pci_dev *pdev)
{
	u16 cmd = 0;

#ifdef CONFIG_PCI_IOV
	if (pdev->is_virtfn) {
		struct pci_dev *pf = pci_physfn(pdev);
		int pos = pci_find_ext_capability(pf, PCI_EXT_CAP_ID_SRIOV);

		return pos && !pci_read_config_word(pf, pos + PCI_SRIOV_CTRL, &cmd) &&
		       (cmd & PCI_SRIOV_CTRL_MSE);
	}
#endif
	return !pci_read_config_word(pdev, PCI_COMMAND, &cmd) && (cmd & PCI_COMMAND_MEMORY);
}

int pcisplit_kplat_enable_msix(struct pcisplit_dev *dev, const u16 *entries, u32 n,
			       u32 *pirqs)
{
	struct pci_dev *pdev = dev->pdev;
	u32 i;
	int rc;

	mutex_lock(&dev->op_lock);
	if (dev->gone) {
		rc = -ENODEV;
		goto out;
	}
	if (pcisplit_refuse_msi_without_pirqs(dev)) {
		rc = -EOPNOTSUPP;
		goto out;
	}
	if (pdev->msi_enabled || pdev->msix_enabled || pcisplit_hw_msi_on(pdev, false) || n == 0 ||
	    n > PCISPLIT_MSIX_MAX) {
		rc = -EINVAL;
		goto out;
	}
	/*
	 * CVE-2015-8553 for the table's BAR; a VF decodes through its PF's VF Memory Space Enable
	 * (I1).
	 */
	if (!pcisplit_msix_table_decoded(pdev)) {
		rc = -ENXIO;
		goto out;
	}
	pcisplit_intx_off(dev);  /* as for MSI */
	for (i = 0; i < n; i++) {
		dev->msix[i].entry = entries[i];
		dev->msix[i].vector = 0;
	}
	rc = pci_enable_msix_exact(pdev, dev->msix, n);
	if (rc)
		goto out;
	for (i = 0; i < n; i++)
		pirqs[i] = xen_pirq_from_irq(dev->msix[i].vector);
	pcisplit_pirqs_set(dev, PCISPLIT_PIRQ_MSIX, pirqs, n);
out:
	pcisplit_intx_update(dev);
	mutex_unlock(&dev->op_lock);
	return rc;
}

int pcisplit_kplat_disable_msix(struct pcisplit_dev *dev)
{
	mutex_lock(&dev->op_lock);
	if (!dev->gone && dev->pdev->msix_enabled)
		pci_disable_msix(dev->pdev);
	if (!dev->gone && !dev->pdev->msi_enabled)
		pcisplit_pirqs_clear(dev);
	if (!dev->gone)
		pcisplit_intx_update(dev);
	mutex_unlock(&dev->op_lock);
	return 0;
}

u32 pcisplit_kplat_legacy_pirq(struct pcisplit_dev *dev)
{
	return dev->irq > 0 && xen_pv_domain() ? xen_pirq_from_irq(dev->irq) : 0;
}
