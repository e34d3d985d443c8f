// SPDX-License-Identifier: GPL-2.0-only
/*
 * xen-pciback.ko (xen-pcisplit): module entry and parameters.
 *
 * Context: module init/exit, process context. Outside a Xen initial domain the module refuses
 * with -ENODEV and a message, having allocated nothing. In a dom0 (PV or PVH) it checks the core,
 * parses hide= (a syntax error fails the load, naming the bad token), then registers the pci driver
 * "pciback" (which takes the hidden functions and those written to new_slot) and the xenbus backend
 * for type "pci".
 *
 * Parameters keep the in-tree names and formats, so xen-pciback.hide=(...) on the kernel command
 * line and "options xen-pciback ..." in modprobe.d apply unchanged. permissive is applied to every
 * bound function's view at once when written.
 */
#define pr_fmt(fmt) "xen-pciback: " fmt

#include <linux/module.h>
#include <linux/moduleparam.h>
#include <linux/printk.h>
#include <xen/xen.h>

#include "pciback.h"

static char *hide;
module_param(hide, charp, 0444);
MODULE_PARM_DESC(hide,
		 "Functions to take at load: (DDDD:BB:SS.F)(BB:SS.F)(DDDD:BB:SS.*)(DDDD:BB:*.*)...; "
		 "a listed bridge takes the functions behind it");

bool pcisplit_permissive;
static int pcisplit_set_permissive(const char *val, const struct kernel_param *kp)
{
	int rc = param_set_bool(val, kp);

	if (rc == 0 && pcisplit_permissive)
		pr_warn("permissive mode for every function: unhandled config writes go to hardware\n");
	if (rc == 0)
		pcisplit_apply_permissive_all();
	return rc;
}

static const struct kernel_param_ops pcisplit_permissive_ops = {
	.set = pcisplit_set_permissive,
	.get = param_get_bool,
};
module_param_cb(permissive, &pcisplit_permissive_ops, &pcisplit_permissive, 0644);
MODULE_PARM_DESC(permissive,
		 "Let guests write config registers no field handles (unsafe, XSA-131)");

bool pcisplit_passthrough;
module_param_named(passthrough, pcisplit_passthrough, bool, 0444);
MODULE_PARM_DESC(passthrough,
		 "Show guests the real PCI topology instead of one virtual bus 0000:00");

int pcisplit_verbose;
module_param_named(verbose_request, pcisplit_verbose, int, 0644);
MODULE_PARM_DESC(verbose_request, "Log every guest op and its answer");

static int __init pcisplit_backend_init(void)
{
	int rc;

	/* A PV or, as Linux 6.12's pciback, a PVH dom0 (compat.h: reset notification, GSI). */
	if (!xen_initial_domain()) {
		pr_err("not running in a Xen initial domain (dom0); refusing to load\n");
		return -ENODEV;
	}
	rc = pcisplit_core_selftest();
	if (rc) {
		pr_err("core self-check failed (%d)\n", rc);
		return -EINVAL;
	}
	rc = pcisplit_pci_init(hide);
	if (rc)
		return rc;
	rc = pcisplit_xenbus_init();
	if (rc) {
		pcisplit_pci_exit();
		return rc;
	}
	pr_info("ready: xen-pcisplit, %s mode\n", pcisplit_passthrough ? "passthrough" : "vpci");
	return 0;
}

static void __exit pcisplit_backend_exit(void)
{
	pcisplit_xenbus_exit();  /* releases every exported function first */
	pcisplit_pci_exit();
}

module_init(pcisplit_backend_init);
module_exit(pcisplit_backend_exit);
MODULE_LICENSE("GPL");
MODULE_VERSION(PCISPLIT_VERSION);
MODULE_DESCRIPTION("Xen PCI passthrough backend (xen-pcisplit)");
MODULE_ALIAS("xen-backend:pci");
