// SPDX-License-Identifier: GPL-2.0-only
/*
 * xen-pciback.ko (xen-pcisplit): the pci_driver "pciback", the functions bound to it, and the core's
 * ConfigAccess/DevicePlatform over the kernel's PCI API. The driver's sysfs attributes are in sysfs.c.
 *
 * Context and locking (see pciback.h for the order):
 * - probe/remove run with the device lock held (driver core). probe saves the bind-time config and
 *   resets the function; remove, if the function is still exported, shuts the guest down (it must not
 *   keep a device dom0 takes back), turns its interrupts off, resets and restores the function, and
 *   marks it gone so the backend's later release touches nothing.
 * - pcisplit_kcfg_*, pcisplit_kplat_*: called by the core under the owning backend's mutex; each takes
 *   the function's op_lock and does nothing once the function is gone.
 * - The INTx fake handler (hard irq) acks a shared line dom0 keeps for the guest, only while the guest
 *   has the device enabled without MSI/MSI-X; it uses atomics only.
 */
#include <linux/delay.h>
#include <linux/interrupt.h>
#include <linux/module.h>
#include <linux/pci.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <xen/events.h>
#include <xen/pci.h>
#include <xen/interface/physdev.h>
#include <asm/xen/hypercall.h>

#include "pciback.h"

static_assert(PCISPLIT_ERS_NONE == (int)PCI_ERS_RESULT_NONE && PCISPLIT_ERS_CAN_RECOVER == (int)PCI_ERS_RESULT_CAN_RECOVER);
static_assert(PCISPLIT_ERS_NEED_RESET == (int)PCI_ERS_RESULT_NEED_RESET &&
	      PCISPLIT_ERS_DISCONNECT == (int)PCI_ERS_RESULT_DISCONNECT);
static_assert(PCISPLIT_ERS_RECOVERED == (int)PCI_ERS_RESULT_RECOVERED);

DEFINE_MUTEX(pcisplit_devs_lock);
LIST_HEAD(pcisplit_devs);
struct pcisplit_slot pcisplit_seize[PCISPLIT_MAX_SLOTS];
unsigned int pcisplit_nseize;

static struct pci_driver pcisplit_driver;

/* --- records ------------------------------------------------------------------------------------ */

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

/* --- INTx fake handler ------------------------------------------------------------------------ */

static irqreturn_t pcisplit_intx(int irq, void *data)
{
	struct pcisplit_dev *dev = data;
	long n;

	if (!atomic_read(&dev->ack_intr)) {
		/*
		 * No guest listens on the line any more (its driver unbound, or libxl unmapped its pirq on
		 * the way to a detach, before the reset), yet this function may still assert it. Level
		 * triggered, it would storm dom0 until the kernel disables the line for every device on it
		 * ("irq N: nobody cared"). Mask it at the function (PCI 2.3 INTx disable, as VFIO does);
		 * the guest's next enable of the device, and the release, undo it.
		 */
		if (!pci_check_and_mask_intx(dev->pdev))
			return IRQ_NONE;
		if (!atomic_xchg(&dev->intx_masked, 1))
			pr_info("xen-pciback: %s: asserts IRQ %d with no guest listening; masked at the function\n",
				pci_name(dev->pdev), irq);
		return IRQ_HANDLED;
	}
	n = atomic_long_inc_return(&dev->handled);
	/* A line nobody else shares needs no acking from dom0: stop after 1000 (as the in-tree driver). */
	if (n % 1000 == 0 && xen_test_irq_shared(irq)) {
		pr_info("xen-pciback: %s: IRQ %d is not shared with other domains; fake handler off\n",
			pci_name(dev->pdev), irq);
		atomic_set(&dev->ack_intr, 0);
	}
	return IRQ_HANDLED;
}

/* Under op_lock: installs or removes the fake handler to match the device's state. */
static void pcisplit_intx_update(struct pcisplit_dev *dev)
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
			/* Another dom0 driver holds the line unshared: say so once, not on every guest op. */
			dev_warn(&pdev->dev, "cannot install the INTx fake handler on IRQ %d: %d; not retried for this assignment\n",
				 dev->irq, rc);
			dev->isr_failed = true;
			return;
		}
		atomic_set(&dev->ack_intr, 1);
		dev->isr_on = true;
	} else {
		free_irq(dev->irq, dev);
		atomic_set(&dev->ack_intr, 0);
		dev->isr_on = false;
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
		return pdev->msix_cap && !pci_read_config_word(pdev, pdev->msix_cap + PCI_MSIX_FLAGS, &flags) &&
		       (flags & PCI_MSIX_FLAGS_ENABLE);
	return pdev->msi_cap && !pci_read_config_word(pdev, pdev->msi_cap + PCI_MSI_FLAGS, &flags) &&
	       (flags & PCI_MSI_FLAGS_ENABLE);
}

/* Under op_lock: the enable bits a guest set behind the kernel's back, cleared. */
static void pcisplit_hw_msi_off(struct pci_dev *pdev)
{
	u16 flags;

	if (!pdev->msix_enabled && pcisplit_hw_msi_on(pdev, true) &&
	    !pci_read_config_word(pdev, pdev->msix_cap + PCI_MSIX_FLAGS, &flags))
		pci_write_config_word(pdev, pdev->msix_cap + PCI_MSIX_FLAGS,
				      flags & ~(PCI_MSIX_FLAGS_ENABLE | PCI_MSIX_FLAGS_MASKALL));
	if (!pdev->msi_enabled && pcisplit_hw_msi_on(pdev, false) &&
	    !pci_read_config_word(pdev, pdev->msi_cap + PCI_MSI_FLAGS, &flags))
		pci_write_config_word(pdev, pdev->msi_cap + PCI_MSI_FLAGS, flags & ~PCI_MSI_FLAGS_ENABLE);
}

/* --- ConfigAccess and DevicePlatform for the core ----------------------------------------------- */

static int pcisplit_pcibios_to_err(int rc)
{
	switch (rc) {
	case PCIBIOS_SUCCESSFUL:
		return 0;
	case PCIBIOS_DEVICE_NOT_FOUND:
		return PCISPLIT_ERR_DEV_NOT_FOUND;
	case PCIBIOS_BAD_REGISTER_NUMBER:
		return PCISPLIT_ERR_INVALID_OFFSET;
	case PCIBIOS_SET_FAILED:
		return PCISPLIT_ERR_ACCESS_DENIED;
	case PCIBIOS_FUNC_NOT_SUPPORTED:
		return PCISPLIT_ERR_NOT_IMPLEMENTED;
	default:
		return PCISPLIT_ERR_OP_FAILED;
	}
}

int pcisplit_kcfg_read(struct pcisplit_dev *dev, uint16_t offset, uint8_t width, uint32_t *value)
{
	int rc = PCIBIOS_DEVICE_NOT_FOUND;
	u8 b;
	u16 w;
	u32 d;

	*value = 0;
	mutex_lock(&dev->op_lock);
	if (!dev->gone) {
		switch (width) {
		case 1:
			rc = pci_read_config_byte(dev->pdev, offset, &b);
			*value = b;
			break;
		case 2:
			rc = pci_read_config_word(dev->pdev, offset, &w);
			*value = w;
			break;
		case PCISPLIT_EFFECT_SET_POWER_STATE:
			rc = pci_read_config_dword(dev->pdev, offset, &d);
			*value = d;
			break;
		default:
			rc = PCIBIOS_BAD_REGISTER_NUMBER;
		}
	}
	mutex_unlock(&dev->op_lock);
	return pcisplit_pcibios_to_err(rc);
}

int pcisplit_kcfg_write(struct pcisplit_dev *dev, uint16_t offset, uint8_t width, uint32_t value)
{
	int rc = PCIBIOS_DEVICE_NOT_FOUND;

	mutex_lock(&dev->op_lock);
	if (!dev->gone) {
		switch (width) {
		case 1:
			rc = pci_write_config_byte(dev->pdev, offset, value);
			break;
		case 2:
			rc = pci_write_config_word(dev->pdev, offset, value);
			break;
		case 4:
			rc = pci_write_config_dword(dev->pdev, offset, value);
			break;
		default:
			rc = PCIBIOS_BAD_REGISTER_NUMBER;
		}
	}
	mutex_unlock(&dev->op_lock);
	return pcisplit_pcibios_to_err(rc);
}

int pcisplit_kplat_effect(struct pcisplit_dev *dev, int kind, int arg)
{
	struct pci_dev *pdev = dev->pdev;
	int rc = 0;

	mutex_lock(&dev->op_lock);
	if (dev->gone) {
		rc = -ENODEV;
		goto out;
	}
	switch (kind) {
	case PCISPLIT_EFFECT_ENABLE_DEVICE:
		/* The guest (re)starts a driver: the line is its again (see pcisplit_intx). */
		if (atomic_xchg(&dev->intx_masked, 0)) {
			pci_intx(pdev, 1);
			atomic_long_set(&dev->handled, 0);
			atomic_set(&dev->ack_intr, dev->isr_on);
		}
		if (!dev->enabled) {
			rc = pci_enable_device(pdev);
			dev->enabled = rc == 0;
			/* The routed legacy IRQ (pdev->irq holds an MSI vector while MSI is on). */
			if (dev->enabled && !dev->isr_on && !pdev->msi_enabled && !pdev->msix_enabled)
				dev->irq = pdev->irq;
		}
		break;
	case PCISPLIT_EFFECT_DISABLE_DEVICE:
		if (dev->enabled) {
			pci_disable_device(pdev);
			dev->enabled = false;
		}
		break;
	case PCISPLIT_EFFECT_SET_MASTER:
		pci_set_master(pdev);
		break;
	case PCISPLIT_EFFECT_CLEAR_MASTER:
		pci_clear_master(pdev);
		break;
	case 4:
		rc = arg >= 0 && arg <= 3 ? pci_set_power_state(pdev, (pci_power_t)arg) : -EINVAL;
		break;
	case PCISPLIT_EFFECT_SET_READRQ: /* the kernel's setter honours host bridges that must not see it raised */
		rc = arg >= 0 && arg <= 5 ? pcie_set_readrq(pdev, 128 << arg) : -EINVAL;
		break;
	default:
		rc = -EINVAL;
	}
	pcisplit_intx_update(dev);
out:
	mutex_unlock(&dev->op_lock);
	if (pcisplit_verbose)
		dev_info(&pdev->dev, "effect %d(%d): %d\n", kind, arg, rc);
	return rc;
}

int pcisplit_kplat_enable_msi(struct pcisplit_dev *dev, uint32_t nvec, uint32_t *pirq)
{
	struct pci_dev *pdev = dev->pdev;
	int rc;

	*pirq = 0;
	mutex_lock(&dev->op_lock);
	if (dev->gone) {
		rc = -ENODEV;
		goto out;
	}
	if (pdev->msi_enabled || pdev->msix_enabled || pcisplit_hw_msi_on(pdev, true) || nvec == 0 || nvec > 32) {
		rc = -EINVAL;
		goto out;
	}
	/* The MSI must not share the device with the INTx fake handler (freeing MSI IRQs would BUG). */
	if (dev->isr_on) {
		free_irq(dev->irq, dev);
		dev->isr_on = false;
	}
	rc = pci_alloc_irq_vectors(pdev, nvec, nvec, PCI_IRQ_MSI);
	if (rc < 0)
		goto out;
	*pirq = xen_pirq_from_irq(pci_irq_vector(pdev, 0));
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

		return pos && !pci_read_config_word(pf, pos + PCI_SRIOV_CTRL, &cmd) && (cmd & PCI_SRIOV_CTRL_MSE);
	}
#endif
	return !pci_read_config_word(pdev, PCI_COMMAND, &cmd) && (cmd & PCI_COMMAND_MEMORY);
}

int pcisplit_kplat_enable_msix(struct pcisplit_dev *dev, const uint16_t *entries, uint32_t n, uint32_t *pirqs)
{
	struct pci_dev *pdev = dev->pdev;
	uint32_t i;
	int rc;

	mutex_lock(&dev->op_lock);
	if (dev->gone) {
		rc = -ENODEV;
		goto out;
	}
	if (pdev->msi_enabled || pdev->msix_enabled || pcisplit_hw_msi_on(pdev, false) || n == 0 ||
	    n > PCISPLIT_MSIX_MAX) {
		rc = -EINVAL;
		goto out;
	}
	/* CVE-2015-8553 for the table's BAR; a VF decodes through its PF's VF Memory Space Enable (I1). */
	if (!pcisplit_msix_table_decoded(pdev)) {
		rc = -ENXIO;
		goto out;
	}
	if (dev->isr_on) {
		free_irq(dev->irq, dev);
		dev->isr_on = false;
	}
	for (i = 0; i < n; i++) {
		dev->msix[i].entry = entries[i];
		dev->msix[i].vector = 0;
	}
	rc = pci_enable_msix_exact(pdev, dev->msix, n);
	if (rc)
		goto out;
	for (i = 0; i < n; i++)
		pirqs[i] = xen_pirq_from_irq(dev->msix[i].vector);
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
	if (!dev->gone)
		pcisplit_intx_update(dev);
	mutex_unlock(&dev->op_lock);
	return 0;
}

uint32_t pcisplit_kplat_legacy_pirq(struct pcisplit_dev *dev)
{
	return dev->irq > 0 ? xen_pirq_from_irq(dev->irq) : 0;
}

/* --- reset, save, restore ------------------------------------------------------------------------ */

/* Under op_lock: interrupts off, handler gone, device disabled. */
static void pcisplit_quiesce(struct pcisplit_dev *dev)
{
	struct pci_dev *pdev = dev->pdev;

	if (pdev->msix_enabled)
		pci_disable_msix(pdev);
	if (pdev->msi_enabled)
		pci_free_irq_vectors(pdev);
	pcisplit_hw_msi_off(pdev);
	if (dev->enabled)
		pci_disable_device(pdev);  /* also clears bus mastering */
	dev->enabled = false;
	pcisplit_intx_update(dev);
}

static void pcisplit_restore(struct pcisplit_dev *dev)
{
	if (dev->saved && pci_load_saved_state(dev->pdev, dev->saved) == 0)
		pci_restore_state(dev->pdev);
	atomic_set(&dev->intx_masked, 0);  /* the bind-time command register is back */
}

static void pcisplit_msix_prepare(struct pci_dev *pdev, bool prepare)
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
	rc = HYPERVISOR_physdev_op(prepare ? PHYSDEVOP_prepare_msix : PHYSDEVOP_release_msix, &ppdev);
	if (rc && rc != -ENOSYS)
		dev_warn(&pdev->dev, "PHYSDEVOP_%s_msix: %d\n", prepare ? "prepare" : "release", rc);
}

/* --- the backend's export and release ------------------------------------------------------------ */

/* L2: the guest may turn the ROM's decoding on only where the kernel assigned it a window of its own. */
static bool pcisplit_rom_decodes(struct pci_dev *pdev)
{
	struct resource *res = &pdev->resource[PCI_ROM_RESOURCE];

	if (!resource_size(res) || !res->parent)
		return false;
	return !pdev->rom_bar_overlap;
}

int pcisplit_khost_export(struct pcisplit_backend *host, uint16_t domain, uint8_t bus, uint8_t devfn,
			  int permissive, struct pcisplit_fn **fn, int *is_bridge, int *is_virtfn,
			  char *diag, size_t cap)
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
	info.irq = pdev->irq ? (int32_t)pdev->irq : -1;
	info.cfg_size = pdev->cfg_size > 256 ? 4096 : 256;
	rc = pcisplit_fn_build(dev->fn, &info, perm, irqctl, diag, cap);
	mutex_lock(&pcisplit_devs_lock);
	for (i = 0; rc == 0 && i < dev->nquirks; i++)
		rc = pcisplit_fn_add_quirk(dev->fn, dev->quirks[i].reg, dev->quirks[i].size, dev->quirks[i].mask,
					   diag, cap);
	mutex_unlock(&pcisplit_devs_lock);
	if (rc == 0) {
		mutex_lock(&dev->op_lock);
		if (dev->gone) {
			rc = PCISPLIT_ERR_DEV_NOT_FOUND;
			strscpy(diag, "left pciback", cap);
		} else {
			atomic_long_set(&dev->handled, 0);  /* counts this assignment; kept after release */
			dev->isr_failed = false;
			xen_unregister_device_domain_owner(pdev);  /* a stale owner from a dead guest */
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

void pcisplit_khost_release(struct pcisplit_backend *host, uint16_t domain, uint8_t bus, uint8_t devfn)
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
	 * M1: a function that left pciback (remove() ran: unbound, maybe bound to its dom0 driver or
	 * assigned again since) is not ours to touch. The reset runs under the device lock, taken with
	 * trylock (remove() holds it while it waits for op_lock; an AER report holds it while it waits
	 * for this backend's lock), and `gone` is read under it, so remove() cannot slip in between the
	 * check and the reset. Lock order: device lock -> op_lock, as in remove().
	 */
	for (tries = 0; tries < 50; tries++) {
		if (device_trylock(&dev->pdev->dev)) {
			mutex_lock(&dev->op_lock);
			gone = dev->gone;
			if (!gone)
				pcisplit_quiesce(dev);
			mutex_unlock(&dev->op_lock);
			if (!gone) {
				/* As pci_try_reset_function(): userspace config access waits out the reset. */
				pci_cfg_access_lock(dev->pdev);
				rc = pci_reset_function_locked(dev->pdev);
				pci_cfg_access_unlock(dev->pdev);
			}
			mutex_lock(&dev->op_lock);
			if (!gone) {
				if (rc && rc != -ENOTTY)
					dev_warn(&dev->pdev->dev, "reset on release: %d\n", rc);
				pcisplit_restore(dev);
				xen_unregister_device_domain_owner(dev->pdev);
			}
			mutex_unlock(&dev->op_lock);
			device_unlock(&dev->pdev->dev);
			break;
		}
		msleep(20);
	}
	if (tries == 50) {
		/* The device lock stayed busy for 1 s: quiesce at least, never reset blind. */
		mutex_lock(&dev->op_lock);
		gone = dev->gone;
		if (!gone) {
			pcisplit_quiesce(dev);
			pcisplit_restore(dev);
			xen_unregister_device_domain_owner(dev->pdev);
			dev_warn(&dev->pdev->dev, "released without a reset: the device lock stayed busy\n");
		}
		mutex_unlock(&dev->op_lock);
	}

	mutex_lock(&pcisplit_devs_lock);
	list_del(&dev->owner_node);
	dev->owner = NULL;
	dev->guest_permissive = false;
	dev->allow_interrupt_control = false;  /* per assignment, as in-tree */
	mutex_unlock(&pcisplit_devs_lock);
	if (gone)
		dev_info(&dev->pdev->dev, "released by its old guest after it left pciback: not touched\n");
	else
		dev_info(&dev->pdev->dev, "released: reset, bind-time config restored\n");
	pcisplit_dev_put(dev);
}

/* --- AER ----------------------------------------------------------------------------------------- */

static pci_ers_result_t pcisplit_aer(struct pci_dev *pdev, u32 cmd, s32 state)
{
	struct pcisplit_dev *dev = pci_get_drvdata(pdev);
	struct pcisplit_backend *be = NULL;
	pci_ers_result_t result = PCI_ERS_RESULT_NONE;
	int posted = 0, answered = 0, waited;

	if (!dev)
		return PCI_ERS_RESULT_NONE;
	mutex_lock(&pcisplit_devs_lock);
	if (dev->owner) {
		be = dev->owner;
		pcisplit_backend_get(be);
	}
	mutex_unlock(&pcisplit_devs_lock);
	if (!be)
		return PCI_ERS_RESULT_NONE;  /* not assigned: nothing of a guest's to recover */

	mutex_lock(&be->lock);
	if (!be->stopping)
		posted = pcisplit_be_aer_post(be->core, pci_domain_nr(pdev->bus), pdev->bus->number, pdev->devfn,
					      cmd, state);
	mutex_unlock(&be->lock);
	/* The guest's driver gets up to 300 s, as with the in-tree backend; polled, never an unbounded wait. */
	for (waited = 0; posted && !answered && waited < 300 * 100; waited++) {
		msleep(10);
		mutex_lock(&be->lock);
		answered = be->stopping || pcisplit_be_aer_answered(be->core);
		mutex_unlock(&be->lock);
	}
	mutex_lock(&be->lock);
	if (!be->stopping) {
		if (posted) {
			result = (pci_ers_result_t)pcisplit_be_aer_finish(be->core, !answered);
			dev_info(&pdev->dev, "AER: op %u forwarded to domain %u, answer %u%s\n", cmd,
				 be->xdev->otherend_id, (unsigned int)result, answered ? "" : " (timed out)");
		}
		if (result == PCI_ERS_RESULT_NONE || result == PCI_ERS_RESULT_DISCONNECT) {
			/* Only while the function is still this guest's: released meanwhile (its guest
			 * destroyed), it may already be another guest's, which did nothing wrong. */
			if (pcisplit_be_aer_kill(be->core, pci_domain_nr(pdev->bus), pdev->bus->number, pdev->devfn)) {
				dev_err(&pdev->dev, "AER: the guest cannot handle it (%s); shutting it down\n",
					posted ? "its handler gave up" : "no handler registered");
				result = PCI_ERS_RESULT_DISCONNECT;
			} else {
				result = PCI_ERS_RESULT_NONE;  /* released meanwhile: no guest's to recover */
			}
		}
	}
	mutex_unlock(&be->lock);
	pcisplit_backend_put(be);
	return result;
}

static pci_ers_result_t pcisplit_error_detected(struct pci_dev *pdev, pci_channel_state_t state)
{
	return pcisplit_aer(pdev, PCISPLIT_OP_AER_DETECTED, (s32)state);
}

static pci_ers_result_t pcisplit_mmio_enabled(struct pci_dev *pdev)
{
	return pcisplit_aer(pdev, PCISPLIT_OP_AER_MMIO, 0);
}

static pci_ers_result_t pcisplit_slot_reset(struct pci_dev *pdev)
{
	struct pcisplit_dev *dev = pci_get_drvdata(pdev);

	/*
	 * The link was reset: the function's BARs and command register are gone. The guest's driver
	 * restores its config through the engine, which never writes BARs to hardware, so dom0 puts the
	 * bind-time config (the addresses the guest sees) back first, MSI/MSI-X state included.
	 */
	if (dev) {
		mutex_lock(&dev->op_lock);
		if (!dev->gone)
			pcisplit_restore(dev);
		mutex_unlock(&dev->op_lock);
	}
	return pcisplit_aer(pdev, PCISPLIT_OP_AER_SLOTRESET, 0);
}

static void pcisplit_resume(struct pci_dev *pdev)
{
	pcisplit_aer(pdev, PCISPLIT_OP_AER_RESUME, 0);
}

static const struct pci_error_handlers pcisplit_err_handlers = {
	.error_detected = pcisplit_error_detected,
	.mmio_enabled = pcisplit_mmio_enabled,
	.slot_reset = pcisplit_slot_reset,
	.resume = pcisplit_resume,
};

/* --- the pci driver ------------------------------------------------------------------------------ */

/* Under pcisplit_devs_lock: a seize-list entry names the function or a bridge above it. */
static bool pcisplit_wanted(struct pci_dev *pdev)
{
	struct pci_dev *up;
	unsigned int i;

	if (pdev->driver_override && strcmp(pdev->driver_override, PCISPLIT_NAME) == 0)
		return true;
	for (up = pdev; up; up = up->bus->self) {
		for (i = 0; i < pcisplit_nseize; i++) {
			if (pcisplit_slot_matches(&pcisplit_seize[i], pci_domain_nr(up->bus), up->bus->number,
						  up->devfn))
				return true;
		}
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
	INIT_LIST_HEAD(&dev->owner_node);
	dev->pdev = pci_dev_get(pdev);
	snprintf(dev->irq_name, sizeof(dev->irq_name), "pciback[%s]", pci_name(pdev));
	dev->fn = pcisplit_fn_alloc(dev);
	if (!dev->fn) {
		rc = -ENOMEM;
		goto fail;
	}

	/* Power up, save the bind-time config, reset, and leave it disabled until a guest enables it. */
	rc = pci_enable_device(pdev);
	if (rc) {
		dev_err(&pdev->dev, "cannot enable: %d\n", rc);
		goto fail;
	}
	/* Only now is the legacy interrupt routed (ACPI): before, pdev->irq is the BIOS's line value. */
	dev->irq = pdev->irq;
	pci_save_state(pdev);
	dev->saved = pci_store_saved_state(pdev);
	if (!dev->saved)
		dev_warn(&pdev->dev, "cannot keep the bind-time config; release will not restore it\n");
	pcisplit_msix_prepare(pdev, true);
	rc = pci_reset_function_locked(pdev);
	if (rc)
		dev_info(&pdev->dev, "no function reset on bind (%d)\n", rc);
	pcisplit_restore(dev);
	pci_disable_device(pdev);

	pci_set_drvdata(pdev, dev);
	mutex_lock(&pcisplit_devs_lock);
	list_add_tail(&dev->node, &pcisplit_devs);
	mutex_unlock(&pcisplit_devs_lock);
	dev_info(&pdev->dev, "seized by pciback (pcisplit)\n");
	return 0;

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
	exported = dev->owner != NULL;
	domid = dev->owner_domid;
	mutex_unlock(&pcisplit_devs_lock);

	mutex_lock(&dev->op_lock);
	if (exported) {
		dev_warn(&pdev->dev, "leaving pciback while assigned to domain %u: shutting the domain down\n", domid);
		pcisplit_kill_domain(domid);
	}
	pcisplit_quiesce(dev);
	pci_reset_function_locked(pdev);
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
	{ .vendor = PCI_ANY_ID, .device = PCI_ANY_ID, .subvendor = PCI_ANY_ID, .subdevice = PCI_ANY_ID },
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

int pcisplit_pci_init(const char *hide)
{
	char diag[160];
	int n;

	n = pcisplit_parse_hide(hide, pcisplit_seize, PCISPLIT_MAX_SLOTS, diag, sizeof(diag));
	if (n < 0) {
		pr_err("xen-pciback: %s\n", diag);
		return -EINVAL;
	}
	pcisplit_nseize = n;
	return pci_register_driver(&pcisplit_driver);
}

void pcisplit_pci_exit(void)
{
	pci_unregister_driver(&pcisplit_driver);
}
