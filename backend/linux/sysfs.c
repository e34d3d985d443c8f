// SPDX-License-Identifier: GPL-2.0-only
/*
 * xen-pciback.ko (xen-pcisplit): the pciback driver's attributes in /sys/bus/pci/drivers/pciback/,
 * with the in-tree names and formats (docs/xen-pciback.md lists them with their errors). The status
 * attributes (irq_handlers, irq_handler_state, denials) are in status.c.
 *
 * Context and locking (see pciback.h for the order): process context (sysfs show/store). Every
 * write is parsed completely before anything changes, then applied under pcisplit_devs_lock; a bad
 * write returns its error (-EINVAL for syntax) and changes nothing. A change to an exported
 * function's policy or quirks reaches its live view at once; the view picks it up at the guest's
 * next access.
 */
#define pr_fmt(fmt) "xen-pciback: " fmt

#include <linux/device.h>
#include <linux/pci.h>
#include <linux/string.h>
#include <linux/sysfs.h>

#include "pciback.h"

static int pcisplit_parse_slot_write(const char *buf, size_t count, struct pcisplit_slot *slot)
{
	char text[64], diag[160];

	if (count >= sizeof(text)) {
		pr_warn_ratelimited("a slot of %zu bytes: at most %zu\n", count, sizeof(text) - 1);
		return -EINVAL;
	}
	memcpy(text, buf, count);
	text[count] = '\0';
	if (pcisplit_parse_slot(text, slot, diag, sizeof(diag))) {
		pr_warn_ratelimited("%s\n", diag);
		return -EINVAL;
	}
	return 0;
}

static ssize_t new_slot_store(struct device_driver *drv, const char *buf, size_t count)
{
	struct pcisplit_slot slot;
	int rc = pcisplit_parse_slot_write(buf, count, &slot);

	if (rc)
		return rc;
	mutex_lock(&pcisplit_devs_lock);
	if (!pcisplit_seize_add(&slot)) {
		pr_warn_ratelimited("new_slot: the seize list holds functions of 64 buses already\n");
		rc = -ENOSPC;
	}
	mutex_unlock(&pcisplit_devs_lock);
	return rc ? rc : count;
}
static DRIVER_ATTR_WO(new_slot);

static ssize_t remove_slot_store(struct device_driver *drv, const char *buf, size_t count)
{
	struct pcisplit_slot slot;
	int rc = pcisplit_parse_slot_write(buf, count, &slot);

	if (rc)
		return rc;
	mutex_lock(&pcisplit_devs_lock);
	rc = pcisplit_seize_remove(&slot) ? 0 : -ENOENT;
	mutex_unlock(&pcisplit_devs_lock);
	return rc ? rc : count;
}
static DRIVER_ATTR_WO(remove_slot);

struct pcisplit_slots_buf {
	char *buf;
	ssize_t n;
};

static void pcisplit_slots_line(void *ctx, u16 domain, u8 bus, u8 devfn)
{
	struct pcisplit_slots_buf *b = ctx;

	b->n += sysfs_emit_at(b->buf, b->n, "%04x:%02x:%02x.%d\n", domain, bus, PCI_SLOT(devfn),
			      PCI_FUNC(devfn));
}

/* One function a line, wildcards expanded, as the in-tree driver lists them (libxl parses it). */
static ssize_t slots_show(struct device_driver *drv, char *buf)
{
	struct pcisplit_slots_buf b = { buf, 0 };

	mutex_lock(&pcisplit_devs_lock);
	pcisplit_seize_for_each(pcisplit_slots_line, &b);
	mutex_unlock(&pcisplit_devs_lock);
	return b.n;
}
static DRIVER_ATTR_RO(slots);

/* A write naming one bound function: finds it and takes a reference (pcisplit_dev_put() it). */
int pcisplit_lookup_write(const char *buf, size_t count, struct pcisplit_dev **out)
{
	struct pcisplit_slot slot;
	struct pcisplit_dev *dev;
	int rc = pcisplit_parse_slot_write(buf, count, &slot);

	if (rc)
		return rc;
	if (slot.slot < 0 || slot.fn < 0) {
		pr_warn_ratelimited("this attribute takes one function, not a wildcard\n");
		return -EINVAL;
	}
	mutex_lock(&pcisplit_devs_lock);
	dev = pcisplit_find(slot.domain, slot.bus, PCI_DEVFN(slot.slot, slot.fn));
	if (dev)
		kref_get(&dev->ref);
	mutex_unlock(&pcisplit_devs_lock);
	if (!dev)
		return -ENODEV;
	*out = dev;
	return 0;
}

/*
 * L6: an admin's change to a function's live view (policy, quirk) runs under the locks of the
 * backend the function is exported to: be->lock (the export's build of the view) and be->op_lock
 * (every guest op on it), so the change never interleaves with them. The lock order is be->lock ->
 * be->op_lock -> pcisplit_devs_lock: the owner is read, its locks taken, and the owner read again
 * until both agree. Returns with pcisplit_devs_lock held and, if the function is exported, its
 * backend locked and referenced (NULL if not); pcisplit_owner_unlock() undoes both. The caller
 * holds a reference on dev.
 */
static struct pcisplit_backend *pcisplit_owner_lock(struct pcisplit_dev *dev)
{
	struct pcisplit_backend *be = NULL, *now;

	for (;;) {
		mutex_lock(&pcisplit_devs_lock);
		now = dev->owner;
		if (now == be)
			return be;
		if (now)
			pcisplit_backend_get(now);
		mutex_unlock(&pcisplit_devs_lock);
		if (be) {
			mutex_unlock(&be->op_lock);
			mutex_unlock(&be->lock);
			pcisplit_backend_put(be);
		}
		be = now;
		if (be) {
			mutex_lock(&be->lock);
			mutex_lock(&be->op_lock);
		}
	}
}

static void pcisplit_owner_unlock(struct pcisplit_backend *be)
{
	mutex_unlock(&pcisplit_devs_lock);
	if (be) {
		mutex_unlock(&be->op_lock);
		mutex_unlock(&be->lock);
		pcisplit_backend_put(be);
	}
}

/* Under pcisplit_owner_lock(). A live view picks the change up at its next access. */
static void pcisplit_update_policy(struct pcisplit_dev *dev)
{
	if (!dev->owner)
		return;
	mutex_lock(&dev->op_lock);
	pcisplit_fn_set_policy(dev->fn, pcisplit_effective_permissive(dev),
			       dev->allow_interrupt_control);
	mutex_unlock(&dev->op_lock);
}

/*
 * The module-wide permissive flag changed: every exported view, one at a time under its owner's
 * lock.
 */
void pcisplit_apply_permissive_all(void)
{
	static unsigned int pcisplit_policy_pass;  /* under pcisplit_devs_lock */
	struct pcisplit_backend *be;
	struct pcisplit_dev *dev, *next;
	unsigned int pass;

	mutex_lock(&pcisplit_devs_lock);
	pass = ++pcisplit_policy_pass;
	mutex_unlock(&pcisplit_devs_lock);
	for (;;) {
		next = NULL;
		mutex_lock(&pcisplit_devs_lock);
		list_for_each_entry(dev, &pcisplit_devs, node) {
			if (dev->policy_gen < pass) {  /* a later pass already did it: done */
				next = dev;
				kref_get(&next->ref);
				break;
			}
		}
		mutex_unlock(&pcisplit_devs_lock);
		if (!next)
			return;
		be = pcisplit_owner_lock(next);
		pcisplit_update_policy(next);
		if (next->policy_gen < pass)
			next->policy_gen = pass;
		pcisplit_owner_unlock(be);
		pcisplit_dev_put(next);
	}
}

static ssize_t pcisplit_list_flag(char *buf, size_t flag_offset)
{
	struct pcisplit_dev *dev;
	ssize_t n = 0;

	mutex_lock(&pcisplit_devs_lock);
	list_for_each_entry(dev, &pcisplit_devs, node) {
		if (*(const bool *)((const char *)dev + flag_offset))
			n += sysfs_emit_at(buf, n, "%s\n", pci_name(dev->pdev));
	}
	mutex_unlock(&pcisplit_devs_lock);
	return n;
}

static ssize_t permissive_store(struct device_driver *drv, const char *buf, size_t count)
{
	struct pcisplit_dev *dev;
	int rc = pcisplit_lookup_write(buf, count, &dev);

	struct pcisplit_backend *be;

	if (rc)
		return rc;
	be = pcisplit_owner_lock(dev);
	if (!dev->permissive) {
		dev->permissive = true;
		dev_warn(&dev->pdev->dev, "permissive mode is potentially unsafe\n");
	}
	pcisplit_update_policy(dev);
	pcisplit_owner_unlock(be);
	pcisplit_dev_put(dev);
	return count;
}

static ssize_t permissive_show(struct device_driver *drv, char *buf)
{
	return pcisplit_list_flag(buf, offsetof(struct pcisplit_dev, permissive));
}
static DRIVER_ATTR_RW(permissive);

static ssize_t allow_interrupt_control_store(struct device_driver *drv, const char *buf,
					     size_t count)
{
	struct pcisplit_dev *dev;
	int rc = pcisplit_lookup_write(buf, count, &dev);

	struct pcisplit_backend *be;

	if (rc)
		return rc;
	be = pcisplit_owner_lock(dev);
	dev->allow_interrupt_control = true;
	pcisplit_update_policy(dev);
	pcisplit_owner_unlock(be);
	pcisplit_dev_put(dev);
	return count;
}

static ssize_t allow_interrupt_control_show(struct device_driver *drv, char *buf)
{
	return pcisplit_list_flag(buf, offsetof(struct pcisplit_dev, allow_interrupt_control));
}
static DRIVER_ATTR_RW(allow_interrupt_control);

static ssize_t quirks_store(struct device_driver *drv, const char *buf, size_t count)
{
	struct pcisplit_backend *be;
	struct pcisplit_slot bdf;
	struct pcisplit_dev *dev;
	char text[80], diag[160];
	unsigned int i;
	u16 reg;
	u8 size;
	u32 mask;
	int rc;

	if (count >= sizeof(text)) {
		pr_warn_ratelimited("quirks: a quirk of %zu bytes: at most %zu\n", count,
				    sizeof(text) - 1);
		return -EINVAL;
	}
	memcpy(text, buf, count);
	text[count] = '\0';
	if (pcisplit_parse_quirk(text, 4096, &bdf, &reg, &size, &mask, diag, sizeof(diag))) {
		pr_warn_ratelimited("quirks: %s\n", diag);
		return -EINVAL;
	}
	mutex_lock(&pcisplit_devs_lock);
	dev = pcisplit_find(bdf.domain, bdf.bus, PCI_DEVFN(bdf.slot, bdf.fn));
	if (dev)
		kref_get(&dev->ref);
	mutex_unlock(&pcisplit_devs_lock);
	if (!dev)
		return -ENODEV;
	be = pcisplit_owner_lock(dev);
	rc = 0;
	if (reg + size > (dev->pdev->cfg_size > PCI_CFG_SPACE_SIZE ? PCI_CFG_SPACE_EXP_SIZE :
								     PCI_CFG_SPACE_SIZE)) {
		pr_warn_ratelimited("quirks: register 0x%x is past %s's config space\n", reg,
				    pci_name(dev->pdev));
		rc = -EINVAL;
	}
	for (i = 0; !rc && i < dev->nquirks; i++) {
		const struct pcisplit_quirk *q = &dev->quirks[i];

		if (reg >= q->reg + q->size || q->reg >= reg + size)
			continue;
		/*
		 * Overlapping: the same quirk again is accepted and kept once, any other refused.
		 */
		rc = q->reg == reg && q->size == size && q->mask == mask ? 1 : -EEXIST;
	}
	if (!rc && dev->nquirks == PCISPLIT_MAX_QUIRKS)
		rc = -ENOSPC;
	/* Exported: the live view takes it now or the write is refused (overlap with a field). */
	if (!rc && be) {
		mutex_lock(&dev->op_lock);
		if (pcisplit_fn_add_quirk(dev->fn, reg, size, mask, diag, sizeof(diag))) {
			pr_warn_ratelimited("quirks: %s\n", diag);
			rc = -EINVAL;
		}
		mutex_unlock(&dev->op_lock);
	}
	if (!rc)
		dev->quirks[dev->nquirks++] = (struct pcisplit_quirk){ reg, size, mask };
	pcisplit_owner_unlock(be);
	pcisplit_dev_put(dev);
	return rc < 0 ? rc : count;
}

static ssize_t quirks_show(struct device_driver *drv, char *buf)
{
	struct pcisplit_dev *dev;
	struct pci_dev *p;
	ssize_t n = 0;
	unsigned int i;

	mutex_lock(&pcisplit_devs_lock);
	list_for_each_entry(dev, &pcisplit_devs, node) {
		if (!dev->nquirks)
			continue;
		p = dev->pdev;
		n += sysfs_emit_at(buf, n, "%02x:%02x.%01x\n", p->bus->number, PCI_SLOT(p->devfn),
				   PCI_FUNC(p->devfn));
		n += sysfs_emit_at(buf, n, "\t%04x:%04x:%04x:%04x\n", p->vendor, p->device,
				   p->subsystem_vendor, p->subsystem_device);
		for (i = 0; i < dev->nquirks; i++)
			n += sysfs_emit_at(buf, n, "\t\t%08x:%01x:%08x\n", dev->quirks[i].reg,
					   dev->quirks[i].size, dev->quirks[i].mask);
	}
	mutex_unlock(&pcisplit_devs_lock);
	return n;
}
static DRIVER_ATTR_RW(quirks);

static struct attribute *pcisplit_drv_attrs[] = {
	&driver_attr_new_slot.attr,
	&driver_attr_remove_slot.attr,
	&driver_attr_slots.attr,
	&driver_attr_permissive.attr,
	&driver_attr_allow_interrupt_control.attr,
	&driver_attr_quirks.attr,
	NULL,
};

static const struct attribute_group pcisplit_drv_group = {
	.attrs = pcisplit_drv_attrs,
};

const struct attribute_group *pcisplit_drv_groups[] = {
	&pcisplit_drv_group,
	&pcisplit_status_group,
	&pcisplit_reset_group,
	NULL,
};
