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

#endif
