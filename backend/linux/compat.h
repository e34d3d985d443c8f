/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The kernel API differences between the kernels the backend builds for (Debian 12's 6.1,
 * Debian 13's 6.12), one helper each. Each is chosen by a feature test on the kernel's own headers
 * (Kbuild's PCISPLIT_HAVE_* flags), never by a version number: stable series backport (Debian
 * 13's 6.12.117 keeps driver_override in struct device; 6.12.0 kept it in struct pci_dev).
 */
#ifndef PCISPLIT_BACKEND_COMPAT_H
#define PCISPLIT_BACKEND_COMPAT_H

#include <linux/device.h>
#include <linux/pci.h>
#include <linux/string.h>
#include <xen/xen.h>
#ifdef PCISPLIT_HAVE_XEN_RESET_DEVICE
#include <xen/pci.h>
#endif
#ifdef PCISPLIT_HAVE_XEN_PVH_GSI
#include <xen/acpi.h>
#endif

/*
 * Whether userspace asked for the driver NAME through the function's driver_override attribute. The
 * string was struct pci_dev's own; newer driver cores keep it in struct device, behind a lock, and
 * only answer a match against a driver (device_match_driver_override: > 0 set and equal).
 */
static inline bool pcisplit_override_is(struct pci_dev *pdev, const char *name)
{
#ifdef PCISPLIT_HAVE_DEVICE_DRIVER_OVERRIDE
	const struct device_driver drv = { .name = name };

	return device_match_driver_override(&pdev->dev, &drv) > 0;
#else
	return pdev->driver_override && strcmp(pdev->driver_override, name) == 0;
#endif
}

/*
 * After a function reset, a dom0 that is not PV (PVH) tells Xen, whose vPCI keeps its own view of
 * the function (PHYSDEVOP_pci_device_reset through xen_reset_device(), as Linux 6.12's pciback
 * does). A PV dom0, or a kernel without the call, has nothing to tell.
 */
static inline int pcisplit_reset_notify_xen(struct pci_dev *pdev)
{
#ifdef PCISPLIT_HAVE_XEN_RESET_DEVICE
	if (!xen_pv_domain())
		return xen_reset_device(pdev);
#endif
	return 0;
}

/*
 * In a PVH dom0 the legacy interrupt's GSI is not set up by the PV interrupt code: bind sets it
 * up from ACPI (trigger, polarity) as Linux 6.12's pciback does, and keeps it for the lookup
 * libxl and QEMU make through privcmd (pcisplit_gsi_lookup_register). *gsi is -1 where there is
 * none to set up (a PV dom0, a function without a legacy interrupt).
 */
static inline int pcisplit_pvh_setup_gsi(struct pci_dev *pdev, int *gsi)
{
#ifdef PCISPLIT_HAVE_XEN_PVH_GSI
	int trigger, polarity, rc;

	*gsi = -1;
	/* Linux's pciback skips it too without CONFIG_XEN_ACPI (the header's stubs fail). */
	if (!IS_ENABLED(CONFIG_XEN_ACPI) || !xen_initial_domain() || !xen_pvh_domain())
		return 0;
	/*
	 * No legacy interrupt (a VF, an MSI-only function): nothing to set up. ACPI would refuse
	 * the lookup (-EINVAL) and fail the bind, as it does for Linux 6.12's pciback. privcmd's
	 * lookup then answers -ENOENT for it (pcisplit_gsi_of).
	 */
	if (!pdev->pin)
		return 0;
	rc = xen_acpi_get_gsi_info(pdev, gsi, &trigger, &polarity);
	if (rc)
		return rc;
	return xen_pvh_setup_gsi(*gsi, trigger, polarity);
#else
	*gsi = -1;
	return 0;
#endif
}

/*
 * Registers (or with NULL removes) the privcmd GSI lookup: sbdf -> GSI, or a negative errno. The
 * kernel keeps one bare pointer, with no lock: an ioctl already in the lookup when the module
 * unloads is not waited for (Linux's pciback has the same window).
 */
static inline void pcisplit_gsi_lookup_register(int (*lookup)(u32 sbdf))
{
#ifdef PCISPLIT_HAVE_XEN_PVH_GSI
	if (IS_ENABLED(CONFIG_XEN_ACPI))
		xen_acpi_register_get_gsi_func(lookup);
#endif
}

#endif
