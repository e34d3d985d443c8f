// SPDX-License-Identifier: GPL-2.0-only
/*
 * xen-pciback.ko (xen-pcisplit): the pciback driver's status attributes, what an admin reads to see
 * how each bound function is doing: irq_handlers and irq_handler_state (the in-tree names and
 * formats), denials (the guest writes the config-space engine refused) and pirqs (the PIRQs each
 * guest was given for MSI/MSI-X). docs/xen-pciback.md describes the formats.
 *
 * Context and locking: process context (sysfs show/store), under pcisplit_devs_lock, which keeps
 * each record and its core view alive; the counters are atomics (INTx handler) or relaxed atomics
 * in the core (denials) and the PIRQs sit under their own spinlock, so a read never waits for a
 * guest's op.
 */
#define pr_fmt(fmt) "xen-pciback: " fmt

#include <linux/device.h>
#include <linux/minmax.h>
#include <linux/pci.h>
#include <linux/spinlock.h>
#include <linux/string.h>
#include <linux/sysfs.h>

#include "pciback.h"

/* Registers listed per function in `denials`; the rest are counted as "+N". */
#define PCISPLIT_DENIALS_SHOWN 8

static ssize_t irq_handlers_show(struct device_driver *drv, char *buf)
{
	struct pcisplit_dev *dev;
	ssize_t n = 0;

	mutex_lock(&pcisplit_devs_lock);
	list_for_each_entry(dev, &pcisplit_devs, node) {
		n += sysfs_emit_at(buf, n, "%s:%s:%sing:%ld\n", pci_name(dev->pdev),
				   READ_ONCE(dev->isr_on) ? "on" : "off",
				   atomic_read(&dev->ack_intr) ? "ack" : "not ack",
				   atomic_long_read(&dev->handled));
	}
	mutex_unlock(&pcisplit_devs_lock);
	return n;
}
static DRIVER_ATTR_RO(irq_handlers);

static ssize_t irq_handler_state_store(struct device_driver *drv, const char *buf, size_t count)
{
	struct pcisplit_dev *dev;
	int rc = pcisplit_lookup_write(buf, count, &dev);

	if (rc)
		return rc;
	/*
	 * Toggles acking of a handler that is installed (in-tree semantics); nothing else changes.
	 * Under op_lock, which installs and removes the handler, so a toggle never lands on a
	 * handler being removed; atomic_xor, as the handler itself may turn acking off meanwhile.
	 */
	mutex_lock(&dev->op_lock);
	if (dev->isr_on)
		atomic_xor(1, &dev->ack_intr);
	else
		pr_info_ratelimited("irq_handler_state: %s has no INTx handler installed: nothing to toggle\n",
				    pci_name(dev->pdev));
	mutex_unlock(&dev->op_lock);
	pcisplit_dev_put(dev);
	return count;
}
static DRIVER_ATTR_WO(irq_handler_state);

static ssize_t denials_show(struct device_driver *drv, char *buf)
{
	u16 offsets[PCISPLIT_DENIALS_SHOWN];
	u32 counts[PCISPLIT_DENIALS_SHOWN];
	struct pcisplit_dev *dev;
	unsigned int i, nregs;
	ssize_t n = 0;

	mutex_lock(&pcisplit_devs_lock);
	list_for_each_entry(dev, &pcisplit_devs, node) {
		nregs = pcisplit_fn_denied_regs(dev->fn, offsets, counts, PCISPLIT_DENIALS_SHOWN);
		n += sysfs_emit_at(buf, n, "%s %llu", pci_name(dev->pdev),
				   (unsigned long long)pcisplit_fn_denials(dev->fn));
		for (i = 0; i < min_t(unsigned int, nregs, PCISPLIT_DENIALS_SHOWN); i++)
			n += sysfs_emit_at(buf, n, " %03x:%u", offsets[i], counts[i]);
		if (nregs > PCISPLIT_DENIALS_SHOWN)
			n += sysfs_emit_at(buf, n, " +%u", nregs - PCISPLIT_DENIALS_SHOWN);
		n += sysfs_emit_at(buf, n, "\n");
	}
	mutex_unlock(&pcisplit_devs_lock);
	return n;
}
static DRIVER_ATTR_RO(denials);

static ssize_t pirqs_show(struct device_driver *drv, char *buf)
{
	static const char *const kinds[] = { "none", "msi", "msix" };
	u32 pirqs[PCISPLIT_PIRQS_KEPT];
	struct pcisplit_dev *dev;
	unsigned int i, n, kept;
	ssize_t len = 0;
	u8 kind;

	mutex_lock(&pcisplit_devs_lock);
	list_for_each_entry(dev, &pcisplit_devs, node) {
		spin_lock(&dev->pirq_lock);
		kind = dev->pirq_kind;
		n = dev->npirqs;
		kept = min_t(unsigned int, n, PCISPLIT_PIRQS_KEPT);
		memcpy(pirqs, dev->pirqs, kept * sizeof(pirqs[0]));
		spin_unlock(&dev->pirq_lock);

		len += sysfs_emit_at(buf, len, "%s %s %u", pci_name(dev->pdev),
				     kind < ARRAY_SIZE(kinds) ? kinds[kind] : "?", n);
		for (i = 0; i < kept; i++)
			len += sysfs_emit_at(buf, len, " %u", pirqs[i]);
		if (n > kept)
			len += sysfs_emit_at(buf, len, " +%u", n - kept);
		len += sysfs_emit_at(buf, len, "\n");
	}
	mutex_unlock(&pcisplit_devs_lock);
	return len;
}
static DRIVER_ATTR_RO(pirqs);

static struct attribute *pcisplit_status_attrs[] = {
	&driver_attr_irq_handlers.attr,
	&driver_attr_irq_handler_state.attr,
	&driver_attr_denials.attr,
	&driver_attr_pirqs.attr,
	NULL,
};

const struct attribute_group pcisplit_status_group = {
	.attrs = pcisplit_status_attrs,
};
