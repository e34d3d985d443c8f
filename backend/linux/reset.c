// SPDX-License-Identifier: GPL-2.0-only
/*
 * xen-pciback.ko (xen-pcisplit): how a bound function is reset, the check that it came back, and
 * the two driver attributes about it: do_flr (libxl writes a BDF there before it hands a function
 * to a guest and after it takes it away; Linux's pciback has none, so libxl falls back to the
 * function's sysfs reset and logs "The kernel doesn't support reset from sysfs" for every function
 * without one) and resets (the method of each function, why the others were ruled out, the last
 * reset's result). The rules are the core's (backend/reset.hpp); this file reads the facts and runs
 * the method.
 *
 * Context and locking (see pciback.h for the order): process context. Every reset runs under the
 * function's device lock (held by the driver core at probe and remove, taken by the release and by
 * do_flr), so remove() cannot slip in; pciback's secondary bus reset also takes the device lock
 * of every other function it reaches, with trylock (two resets of one bus must not wait on each
 * other), and their op_locks, so no guest op reaches a function mid-reset. The report fields,
 * and the owner's domain the secondary bus reset checks, are under the function's reset_lock,
 * innermost (a verify and remove()'s reset run under op_lock).
 */
#define pr_fmt(fmt) "xen-pciback: " fmt

#include <linux/device.h>
#include <linux/ktime.h>
#include <linux/pci.h>
#include <linux/string.h>
#include <linux/sysfs.h>

#include "compat.h"
#include "pciback.h"

#define PCISPLIT_BUS_MAX 32   /* functions one secondary bus reset may reach */

struct pcisplit_walk {
	struct pci_dev *fns[PCISPLIT_BUS_MAX];
	unsigned int n;
	unsigned int not_ours;
	bool too_many;
	bool no_bus_reset;
};

/* Every function below the bus (what its bridge's secondary bus reset reaches), referenced. */
static int pcisplit_walk_one(struct pci_dev *pdev, void *data)
{
	struct pcisplit_walk *w = data;

	if (w->n == PCISPLIT_BUS_MAX) {
		w->too_many = true;
		return 1;
	}
	w->fns[w->n++] = pci_dev_get(pdev);
	if (!pcisplit_is_ours(pdev))
		w->not_ours++;
	if (pdev->dev_flags & PCI_DEV_FLAGS_NO_BUS_RESET)
		w->no_bus_reset = true;
	return 0;
}

static void pcisplit_walk_put(struct pcisplit_walk *w)
{
	while (w->n)
		pci_dev_put(w->fns[--w->n]);
}

static void pcisplit_reset_facts(struct pci_dev *pdev, struct pcisplit_walk *w,
				 struct pcisplit_reset_facts *f)
{
	struct pci_dev *bridge = pdev->bus->self;
	u32 devcap = 0;
	u16 pmcsr = 0;
	u8 af = 0;
	int pos;

	memset(f, 0, sizeof(*f));
	BUILD_BUG_ON(sizeof(pdev->reset_methods) > sizeof(f->kernel));
	memcpy(f->kernel, pdev->reset_methods, sizeof(pdev->reset_methods));
	f->pcie = pci_is_pcie(pdev);
	if (f->pcie && pcie_capability_read_dword(pdev, PCI_EXP_DEVCAP, &devcap) == 0)
		f->flr_cap = !!(devcap & PCI_EXP_DEVCAP_FLR);
	pos = pci_find_capability(pdev, PCI_CAP_ID_AF);
	if (pos && pci_read_config_byte(pdev, pos + PCI_AF_CAP, &af) == 0)
		f->af_flr_cap = (af & PCI_AF_CAP_TP) && (af & PCI_AF_CAP_FLR);
	f->pm_cap = !!pdev->pm_cap;
	if (pdev->pm_cap && pci_read_config_word(pdev, pdev->pm_cap + PCI_PM_CTRL, &pmcsr) == 0)
		f->no_soft_reset = !!(pmcsr & PCI_PM_CTRL_NO_SOFT_RESET);
	f->root_bus = !bridge;
	f->is_bridge = !!pdev->subordinate;

	memset(w, 0, sizeof(*w));
	if (bridge && !pdev->subordinate)
		pci_walk_bus(pdev->bus, pcisplit_walk_one, w);
	f->no_bus_reset = w->no_bus_reset || (bridge && (bridge->dev_flags &
							 PCI_DEV_FLAGS_NO_BUS_RESET));
	f->reached = w->n ? min_t(unsigned int, w->n, 255) : 1;
	f->reached_not_ours = min_t(unsigned int, w->not_ours + (w->too_many ? 1 : 0), 255);
}

/* The plan for a function as things stand; `w` holds what a secondary bus reset would reach. */
static int pcisplit_plan(struct pcisplit_dev *dev, struct pcisplit_walk *w,
			 const char *why_not[PCISPLIT_RESET_METHODS], int *disabled)
{
	struct pcisplit_reset_facts f;

	pcisplit_reset_facts(dev->pdev, w, &f);
	return pcisplit_reset_plan(&f, why_not, disabled);
}

static int pcisplit_assigned_domid(struct pcisplit_dev *dev)
{
	int domid;

	spin_lock(&dev->reset_lock);
	domid = dev->assigned_domid;
	spin_unlock(&dev->reset_lock);
	return domid;
}

/*
 * pciback's secondary bus reset: every function it reaches is ours (checked again here, under
 * their device locks) and none is assigned to a domain other than `dev`'s owner. Their config is
 * saved and restored around the reset as the kernel's own bus reset does.
 */
static int pcisplit_reset_secondary_bus(struct pcisplit_dev *dev, struct pcisplit_walk *w,
					bool op_locked)
{
	struct pcisplit_dev *recs[PCISPLIT_BUS_MAX] = { NULL };
	unsigned int i, locked = 0;
	int rc = 0;

	for (i = 0; i < w->n; i++, locked++) {
		struct pci_dev *fn = w->fns[i];

		if (fn != dev->pdev && !device_trylock(&fn->dev)) {
			rc = -EBUSY;
			break;
		}
		/* itself: at probe its record is not its drvdata yet */
		if (fn == dev->pdev)
			recs[i] = dev;
		else
			recs[i] = pcisplit_is_ours(fn) ? pci_get_drvdata(fn) : NULL;
		if (!recs[i] || recs[i]->gone) {
			if (fn != dev->pdev)
				device_unlock(&fn->dev);
			rc = -EBUSY;
			break;
		}
	}
	if (rc == 0) {
		/*
		 * Not pcisplit_devs_lock: remove() resets under the function's op_lock, and the
		 * quirks write takes op_lock under pcisplit_devs_lock.
		 */
		int own = pcisplit_assigned_domid(dev), other;

		for (i = 0; i < w->n; i++) {
			other = pcisplit_assigned_domid(recs[i]);
			if (other >= 0 && other != own) {
				dev_warn(&dev->pdev->dev,
					 "no secondary bus reset: %s is assigned to domain %d\n",
					 pci_name(w->fns[i]), other);
				rc = -EBUSY;
			}
		}
	}
	if (rc == 0) {
		for (i = 0; i < w->n; i++) {
			if (recs[i] != dev || !op_locked)
				mutex_lock(&recs[i]->op_lock);
			pci_cfg_access_lock(w->fns[i]);
			pci_save_state(w->fns[i]);
		}
		rc = pci_bridge_secondary_bus_reset(dev->pdev->bus->self);
		for (i = 0; i < w->n; i++) {
			pci_restore_state(w->fns[i]);
			pci_cfg_access_unlock(w->fns[i]);
			if (recs[i] != dev && pcisplit_reset_notify_xen(w->fns[i]))
				dev_warn(&w->fns[i]->dev, "Xen refused the reset notification\n");
			if (recs[i] != dev || !op_locked)
				mutex_unlock(&recs[i]->op_lock);
		}
	}
	for (i = 0; i < locked; i++) {
		if (w->fns[i] != dev->pdev)
			device_unlock(&w->fns[i]->dev);
	}
	return rc;
}

/*
 * Resets the function with its method (the caller notifies Xen and restores config as its path
 * needs). Under the function's device lock; `op_locked`: the caller holds its op_lock too.
 * 0, -ENOTTY (no method), or the method's error. Recorded for the `resets` report.
 */
int pcisplit_reset_dev(struct pcisplit_dev *dev, const char *occasion, bool op_locked)
{
	const char *why_not[PCISPLIT_RESET_METHODS];
	struct pcisplit_walk w;
	int method, disabled, rc;

	method = pcisplit_plan(dev, &w, why_not, &disabled);
	if (method == PCISPLIT_RESET_NONE) {
		rc = -ENOTTY;
	} else if (method == PCISPLIT_RESET_SECONDARY_BUS) {
		rc = pcisplit_reset_secondary_bus(dev, &w, op_locked);
	} else {
		/* no guest op reaches the function mid-reset */
		if (!op_locked)
			mutex_lock(&dev->op_lock);
		pci_cfg_access_lock(dev->pdev);
		rc = pci_reset_function_locked(dev->pdev);
		pci_cfg_access_unlock(dev->pdev);
		if (!op_locked)
			mutex_unlock(&dev->op_lock);
	}
	pcisplit_walk_put(&w);

	spin_lock(&dev->reset_lock);
	dev->reset_method = method;
	dev->reset_last_rc = rc;
	dev->reset_last_ns = ktime_get_boottime_ns();
	dev->reset_occasion = occasion;
	if (rc == 0) {
		dev->reset_count++;
		dev->unreset = false;
	}
	spin_unlock(&dev->reset_lock);
	if (rc && rc != -ENOTTY)
		dev_warn(&dev->pdev->dev, "%s reset on %s failed: %d\n",
			 pcisplit_reset_method_name(method), occasion, rc);
	return rc;
}

/* The function's header now, 16 dwords. */
static void pcisplit_read_header(struct pci_dev *pdev, u32 *hdr)
{
	int i;

	for (i = 0; i < 16; i++) {
		if (pci_read_config_dword(pdev, i * 4, &hdr[i]))
			hdr[i] = ~0u;
	}
}

void pcisplit_reset_bind(struct pcisplit_dev *dev)
{
	const char *why_not[PCISPLIT_RESET_METHODS];
	struct pcisplit_walk w;
	int method, disabled;

	pcisplit_read_header(dev->pdev, dev->bind_hdr);
	method = pcisplit_plan(dev, &w, why_not, &disabled);
	pcisplit_walk_put(&w);
	if (method != PCISPLIT_RESET_NONE)
		dev_info(&dev->pdev->dev, "reset method: %s\n", pcisplit_reset_method_name(method));
	else if (disabled)
		dev_warn(&dev->pdev->dev,
			 "no reset: reset_method is empty (resets turned off); guests get it unreset\n");
	else
		dev_warn(&dev->pdev->dev,
			 "no reset method (flr: %s; pm: %s; secondary bus: %s); guests get it unreset\n",
			 why_not[3], why_not[5], why_not[PCISPLIT_RESET_SECONDARY_BUS]);
}

/*
 * After a reset and the config restore: a function that does not answer as at bind is dead, handed
 * to no guest until a later reset brings it back (do_flr, an AER recovery's slot reset) or it is
 * bound to pciback again. False when it is dead. While an AER recovery is under way (the error
 * state is not normal) the function is not judged, except from the recovery's own slot_reset
 * (`in_recovery`): the recovery resets the link after the guest is gone, so a release racing it
 * reads BARs of 0 (seen in the lab's aer boot) that the recovery's slot_reset then restores.
 */
bool pcisplit_reset_verify(struct pcisplit_dev *dev, bool in_recovery)
{
	bool was_dead;
	char why[96];
	u32 now[16];

	if (!in_recovery && dev->pdev->error_state != pci_channel_io_normal) {
		dev_info(&dev->pdev->dev, "not checked after its reset: an AER recovery is under way\n");
		return true;
	}
	pcisplit_read_header(dev->pdev, now);
	if (pcisplit_reset_came_back(dev->bind_hdr, now, why, sizeof(why)) == 0) {
		spin_lock(&dev->reset_lock);
		was_dead = dev->dead;
		dev->dead = false;
		spin_unlock(&dev->reset_lock);
		if (was_dead)
			dev_info(&dev->pdev->dev, "came back after a reset: guests may have it again\n");
		return true;
	}
	spin_lock(&dev->reset_lock);
	dev->dead = true;
	strscpy(dev->dead_why, why, sizeof(dev->dead_why));
	spin_unlock(&dev->reset_lock);
	dev_err(&dev->pdev->dev,
		"did not come back after its reset: %s; no guest gets it until a reset brings it back\n",
		why);
	return false;
}

/*
 * do_flr: libxl's reset request (before an assignment and after a detach). A function assigned to
 * a guest is reset too, as the sysfs reset libxl falls back to does (libxl resets before it tells
 * the backend a PV detach, and while it destroys a domain): its op_lock is held throughout so no
 * guest op reaches it mid-reset, and the kernel's methods put its config back as it was. A function
 * without a method answers -ENOTTY, the kernel's error for "no reset", which libxl logs.
 */
static ssize_t do_flr_store(struct device_driver *drv, const char *buf, size_t count)
{
	struct pcisplit_dev *dev;
	int rc = pcisplit_lookup_write(buf, count, &dev);

	if (rc)
		return rc;
	device_lock(&dev->pdev->dev);
	if (dev->gone) {  /* set under the device lock, which remove() holds */
		rc = -ENODEV;
	} else {
		rc = pcisplit_reset_dev(dev, "do_flr", false);
		if (rc == 0) {
			if (pcisplit_reset_notify_xen(dev->pdev))
				dev_warn(&dev->pdev->dev, "Xen refused the reset notification\n");
			if (!pcisplit_reset_verify(dev, false))
				rc = -EIO;
		}
	}
	device_unlock(&dev->pdev->dev);
	pcisplit_dev_put(dev);
	return rc ? rc : count;
}
static DRIVER_ATTR_WO(do_flr);

/*
 * One line per bound function: its method as things stand now (a secondary bus reset depends on
 * what else is bound), the last reset, and why each other method is not used.
 */
static ssize_t resets_show(struct device_driver *drv, char *buf)
{
	static const int shown[] = { 3, 4, 5, 6, PCISPLIT_RESET_SECONDARY_BUS };
	const char *why_not[PCISPLIT_RESET_METHODS];
	struct pcisplit_walk w;
	struct pcisplit_dev *dev;
	int method, disabled;
	unsigned int i;
	ssize_t n = 0;
	u64 ms;

	mutex_lock(&pcisplit_devs_lock);
	list_for_each_entry(dev, &pcisplit_devs, node) {
		method = pcisplit_plan(dev, &w, why_not, &disabled);
		pcisplit_walk_put(&w);
		n += sysfs_emit_at(buf, n, "%s method=%s", pci_name(dev->pdev),
				   pcisplit_reset_method_name(method));
		spin_lock(&dev->reset_lock);
		if (!dev->reset_occasion) {
			n += sysfs_emit_at(buf, n, " last=never");
		} else {
			ms = div_u64(dev->reset_last_ns, NSEC_PER_MSEC);
			if (dev->reset_last_rc == 0)
				n += sysfs_emit_at(buf, n, " last=ok");
			else if (dev->reset_last_rc == -ENOTTY)
				n += sysfs_emit_at(buf, n, " last=none");
			else
				n += sysfs_emit_at(buf, n, " last=error%d", dev->reset_last_rc);
			n += sysfs_emit_at(buf, n, "(%s,%s) at=%llu.%03llu",
					   dev->reset_occasion,
					   pcisplit_reset_method_name(dev->reset_method),
					   div_u64(ms, 1000), ms % 1000);
		}
		n += sysfs_emit_at(buf, n, " count=%u", dev->reset_count);
		if (dev->dead)
			n += sysfs_emit_at(buf, n, " DEAD(%s)", dev->dead_why);
		if (dev->unreset)
			n += sysfs_emit_at(buf, n, " UNRESET(released without its reset)");
		spin_unlock(&dev->reset_lock);
		n += sysfs_emit_at(buf, n, " |");
		for (i = 0; i < ARRAY_SIZE(shown); i++) {
			if (why_not[shown[i]])
				n += sysfs_emit_at(buf, n, " %s: %s;",
						   pcisplit_reset_method_name(shown[i]),
						   why_not[shown[i]]);
		}
		n += sysfs_emit_at(buf, n, "\n");
	}
	mutex_unlock(&pcisplit_devs_lock);
	return n;
}
static DRIVER_ATTR_RO(resets);

static struct attribute *pcisplit_reset_attrs[] = {
	&driver_attr_do_flr.attr,
	&driver_attr_resets.attr,
	NULL,
};

const struct attribute_group pcisplit_reset_group = {
	.attrs = pcisplit_reset_attrs,
};
