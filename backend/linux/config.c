// SPDX-License-Identifier: GPL-2.0-only
/*
 * xen-pciback.ko (xen-pcisplit): the core's ConfigAccess (config reads and writes) and the effects
 * of DevicePlatform (enable, bus mastering, power state, read request size) over the kernel's PCI
 * API. Called by the core under one of the owning backend's locks (pciback.h); each call takes the
 * function's op_lock and does nothing once the function left pciback.
 */
#define pr_fmt(fmt) "xen-pciback: " fmt

#include <linux/pci.h>

#include "pciback.h"

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

int pcisplit_kcfg_read(struct pcisplit_dev *dev, u16 offset, u8 width, u32 *value)
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
		case 4:
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

int pcisplit_kcfg_write(struct pcisplit_dev *dev, u16 offset, u8 width, u32 value)
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

/*
 * Under op_lock: the guest (re)starts a driver (the device enabled, or bus mastering set: Linux's
 * pci_disable_device clears only the latter, so a driver loaded again may enable nothing): the line
 * is its again (see pcisplit_intx). Under MSI/MSI-X INTx stays disabled: the kernel's own
 * (pci_intx_for_msi), undone when it turns MSI off.
 */
static void pcisplit_intx_unmask(struct pcisplit_dev *dev)
{
	if (!atomic_xchg(&dev->intx_masked, 0))
		return;
	if (!dev->pdev->msi_enabled && !dev->pdev->msix_enabled)
		pci_intx(dev->pdev, 1);
	atomic_long_set(&dev->handled, 0);
	atomic_set(&dev->ack_intr, dev->isr_on);
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
		pcisplit_intx_unmask(dev);
		if (!dev->enabled) {
			rc = pci_enable_device(pdev);
			dev->enabled = rc == 0;
			/* The routed legacy IRQ (pdev->irq holds an MSI vector while MSI is on). */
			if (dev->enabled && !dev->isr_on && !pdev->msi_enabled &&
			    !pdev->msix_enabled)
				dev->irq = pdev->irq;
		}
		break;
	case PCISPLIT_EFFECT_DISABLE_DEVICE:
		if (dev->enabled) {
			/*
			 * The fake handler first (pcisplit_quiesce says why): in a PVH dom0
			 * pci_disable_device() may free the legacy IRQ.
			 */
			dev->enabled = false;
			pcisplit_intx_update(dev);
			pci_disable_device(pdev);
		}
		break;
	case PCISPLIT_EFFECT_SET_MASTER:
		pcisplit_intx_unmask(dev);
		pci_set_master(pdev);
		break;
	case PCISPLIT_EFFECT_CLEAR_MASTER:
		pci_clear_master(pdev);
		break;
	case PCISPLIT_EFFECT_SET_POWER_STATE:
		rc = arg >= 0 && arg <= 3 ? pci_set_power_state(pdev, (pci_power_t)arg) : -EINVAL;
		break;
	/* the kernel's setter honours host bridges that must not see it raised */
	case PCISPLIT_EFFECT_SET_READRQ:
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
