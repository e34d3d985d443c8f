// SPDX-License-Identifier: GPL-2.0-only
/*
 * xen-pciback.ko (xen-pcisplit): module entry.
 *
 * Context: module init, process context, may sleep. What exists so far: the load-time checks. Outside
 * a Xen PV initial domain the module refuses with -ENODEV and a message, leaking nothing. In a PV dom0
 * it runs the core's self-check and then also refuses: the pci driver, xenbus backend and sysfs
 * attributes are not written yet, and a module that loads but serves nothing would only hide the
 * in-tree driver.
 */
#include <linux/module.h>
#include <linux/printk.h>
#include <xen/xen.h>

int pcisplit_core_selftest(void);

static int __init pcisplit_backend_init(void)
{
	int rc;

	if (!xen_pv_domain() || !xen_initial_domain()) {
		pr_err("xen-pciback (pcisplit): not running in a Xen PV initial domain; refusing to load\n");
		return -ENODEV;
	}
	rc = pcisplit_core_selftest();
	if (rc) {
		pr_err("xen-pciback (pcisplit): core self-check failed (%d)\n", rc);
		return -EINVAL;
	}
	pr_err("xen-pciback (pcisplit): core OK, but the backend glue is not implemented yet; refusing to load\n");
	return -ENODEV;
}

static void __exit pcisplit_backend_exit(void)
{
}

module_init(pcisplit_backend_init);
module_exit(pcisplit_backend_exit);
MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("Xen PCI passthrough backend (xen-pcisplit)");
MODULE_ALIAS("xen-backend:pci");
