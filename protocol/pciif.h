/* SPDX-License-Identifier: MIT */
/*
 * The pciif wire ABI: the one shared page between a PCI frontend and backend.
 *
 * Plain C so the kernel glue can use it (backend/linux/pciback.h includes it); the C++ core wraps
 * it in the .hpp of the same name. Names carry our own prefix so this header can sit next to Xen's
 * public io/pciif header (test/unit/protocol compares the two field by field).
 */
#ifndef PCISPLIT_PROTOCOL_PCIIF_H
#define PCISPLIT_PROTOCOL_PCIIF_H

/* Kernel C (the glue) includes this after its own headers, which define the fixed-width types. */
#if !defined(__KERNEL__) || defined(__cplusplus)
#include <stdint.h>
#endif

/* Bits of pcisplit_sharedinfo.flags. */
#define PCISPLIT_F_ACTIVE_BIT        0 /* frontend -> backend: an op is posted */
#define PCISPLIT_B_AERHANDLER_BIT    1 /* frontend can handle AER requests */
#define PCISPLIT_B_ACTIVE_BIT        2 /* backend -> frontend: an AER op is posted */
#define PCISPLIT_F_ACTIVE            (1u << PCISPLIT_F_ACTIVE_BIT)
#define PCISPLIT_B_AERHANDLER        (1u << PCISPLIT_B_AERHANDLER_BIT)
#define PCISPLIT_B_ACTIVE            (1u << PCISPLIT_B_ACTIVE_BIT)

/* pcisplit_op.cmd */
#define PCISPLIT_OP_CONF_READ        0
#define PCISPLIT_OP_CONF_WRITE       1
#define PCISPLIT_OP_ENABLE_MSI       2
#define PCISPLIT_OP_DISABLE_MSI      3
#define PCISPLIT_OP_ENABLE_MSIX      4
#define PCISPLIT_OP_DISABLE_MSIX     5
#define PCISPLIT_OP_AER_DETECTED     6
#define PCISPLIT_OP_AER_RESUME       7
#define PCISPLIT_OP_AER_MMIO         8
#define PCISPLIT_OP_AER_SLOTRESET    9
#define PCISPLIT_OP_ENABLE_MULTI_MSI 10 /* in Xen's header, missing from Linux's */

/* pcisplit_op.err */
#define PCISPLIT_ERR_SUCCESS          0
#define PCISPLIT_ERR_DEV_NOT_FOUND   (-1)
#define PCISPLIT_ERR_INVALID_OFFSET  (-2)
#define PCISPLIT_ERR_ACCESS_DENIED   (-3)
#define PCISPLIT_ERR_NOT_IMPLEMENTED (-4)
#define PCISPLIT_ERR_OP_FAILED       (-5)

#define PCISPLIT_MAX_VEC 128 /* SH_INFO_MAX_VEC: MSI-X entries one op can carry */
#define PCISPLIT_MAGIC   "7" /* XEN_PCI_MAGIC, published by the frontend as "magic" */

struct pcisplit_msix_entry {
	uint16_t vector; /* OUT: the PIRQ bound to this entry */
	uint16_t entry;  /* IN: index into the device's MSI-X table */
};

struct pcisplit_op {
	uint32_t cmd;
	int32_t err;
	uint32_t domain;
	uint32_t bus;
	uint32_t devfn;
	int32_t offset;
	int32_t size;
	uint32_t value;
	uint32_t info;
	struct pcisplit_msix_entry msix_entries[PCISPLIT_MAX_VEC];
};

struct pcisplit_aer_op {
	uint32_t cmd;
	int32_t err;
	uint32_t domain;
	uint32_t bus;
	uint32_t devfn;
};

struct pcisplit_sharedinfo {
	uint32_t flags;
	struct pcisplit_op op;
	struct pcisplit_aer_op aer_op;
};

#endif /* PCISPLIT_PROTOCOL_PCIIF_H */
