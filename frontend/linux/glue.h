/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The one header between xen-pcifront.ko's C glue and the frontend core (C++). pcisplit_fe_* are
 * implemented in C++ (core_bridge.cpp), pcisplit_kfh_* in C (front.c); xenstore is
 * protocol/linux/store_glue.h. Ops return XEN_PCI_ERR_* values (0 success, negative errors).
 */
#ifndef PCISPLIT_FRONT_GLUE_H
#define PCISPLIT_FRONT_GLUE_H

#ifdef __cplusplus
#include <stddef.h>
#include <stdint.h>
extern "C" {
#else
#include <linux/types.h>
#endif

struct pcisplit_fe;     /* C++: the frontend instance */
struct pcisplit_front;  /* C: the xenbus device */

int pcisplit_fe_selftest(void);
struct pcisplit_fe *pcisplit_fe_alloc(struct pcisplit_front *host, const char *nodename);
void pcisplit_fe_free(struct pcisplit_fe *fe);
int pcisplit_fe_start(struct pcisplit_fe *fe);
void pcisplit_fe_stop(struct pcisplit_fe *fe);
void pcisplit_fe_watch_fired(struct pcisplit_fe *fe, const char *path, const char *token);
void pcisplit_fe_event(struct pcisplit_fe *fe);  /* answers a posted AER request, process context */
void pcisplit_fe_forget_page(struct pcisplit_fe *fe);  /* under op_lock, before the page is freed */
int pcisplit_fe_state(struct pcisplit_fe *fe);
int pcisplit_fe_root_count(struct pcisplit_fe *fe);
void pcisplit_fe_root(struct pcisplit_fe *fe, int i, uint16_t *domain, uint8_t *bus);
uint64_t pcisplit_fe_timeouts(struct pcisplit_fe *fe);

int pcisplit_fe_conf_read(struct pcisplit_fe *fe, uint16_t domain, uint8_t bus, uint8_t devfn,
			  uint32_t offset, uint32_t size, uint32_t *value);
int pcisplit_fe_conf_write(struct pcisplit_fe *fe, uint16_t domain, uint8_t bus, uint8_t devfn,
			   uint32_t offset, uint32_t size, uint32_t value);
int pcisplit_fe_enable_msi(struct pcisplit_fe *fe, uint16_t domain, uint8_t bus, uint8_t devfn,
			   uint32_t *pirq);
int pcisplit_fe_disable_msi(struct pcisplit_fe *fe, uint16_t domain, uint8_t bus, uint8_t devfn);
int pcisplit_fe_enable_msix(struct pcisplit_fe *fe, uint16_t domain, uint8_t bus, uint8_t devfn,
			    const uint16_t *entries, uint32_t n, uint32_t *pirqs);
int pcisplit_fe_disable_msix(struct pcisplit_fe *fe, uint16_t domain, uint8_t bus, uint8_t devfn);

/* The host services the core calls (front.c). */
int pcisplit_kfh_setup(struct pcisplit_front *host, uint16_t backend_domid, void **page,
		       uint32_t *gref, uint32_t *port);
void pcisplit_kfh_teardown(struct pcisplit_front *host);
void pcisplit_kfh_notify(struct pcisplit_front *host);
/* Waits (atomic-safe: polls the event channel) until `flag` clears in *flags; 0 on timeout. */
int pcisplit_kfh_wait_clear(struct pcisplit_front *host, volatile uint32_t *flags, uint32_t flag,
			    uint32_t timeout_ms);
/* Removes the guest's device at this (virtual) address: the backend is taking it away. */
void pcisplit_kfh_remove_device(struct pcisplit_front *host, uint16_t domain, uint8_t bus,
				uint8_t devfn);
void pcisplit_kfh_rescan(struct pcisplit_front *host);
void pcisplit_kfh_log(struct pcisplit_front *host, const char *msg);
/* AER for the guest's driver bound at the virtual address; returns a PCI_ERS_RESULT_* value. */
int32_t pcisplit_kfh_aer(struct pcisplit_front *host, uint32_t cmd, uint16_t domain, uint8_t bus,
			 uint8_t devfn, int32_t state);

#ifdef __cplusplus
}
#endif

#endif
