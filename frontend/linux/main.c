// SPDX-License-Identifier: GPL-2.0-only
/*
 * xen-pcifront.ko (xen-pcisplit): module entry.
 *
 * Context: module init/exit, process context. Outside a Xen PV guest (a PV dom0 included) the
 * module refuses with -ENODEV and a message, having allocated nothing. Otherwise it checks its
 * core, installs the x86 PCI-frontend MSI hooks (xen_pci_frontend) and registers the xenbus
 * frontend for type "pci".
 */
#define pr_fmt(fmt) "xen-pcifront: " fmt

#include <linux/module.h>
#include <linux/printk.h>
#include <xen/xen.h>
#include <asm/xen/pci.h>

#include "front.h"

static int __init pcisplit_frontend_init(void)
{
	int rc;

	if (!xen_pv_domain() || xen_initial_domain()) {
		pr_err("not running in a Xen PV guest; refusing to load\n");
		return -ENODEV;
	}
	if (pcisplit_fe_selftest()) {
		pr_err("core self-check failed\n");
		return -EINVAL;
	}
	if (xen_pci_frontend) {
		pr_err("another PCI frontend is installed\n");
		return -EBUSY;
	}
	xen_pci_frontend = &pcisplit_msi_ops;
	rc = pcisplit_front_init();
	if (rc) {
		xen_pci_frontend = NULL;
		return rc;
	}
	pr_info("ready: xen-pcisplit\n");
	return 0;
}

static void __exit pcisplit_frontend_exit(void)
{
	pcisplit_front_exit();
	xen_pci_frontend = NULL;
}

module_init(pcisplit_frontend_init);
module_exit(pcisplit_frontend_exit);
MODULE_LICENSE("GPL");
MODULE_VERSION(PCISPLIT_VERSION);
MODULE_DESCRIPTION("Xen PCI passthrough frontend (xen-pcisplit)");
MODULE_ALIAS("xen:pci");
