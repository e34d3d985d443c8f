/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The one header between the C glue (the only code that includes kernel headers) and the C++ core.
 *
 * Both sides see only opaque handles, fixed-width integers and C strings. Functions named
 * pcisplit_core_* / pcisplit_fn_* / pcisplit_be_* are implemented in C++ (core_bridge.cpp); the
 * pcisplit_kcfg_* / pcisplit_kplat_* / pcisplit_khost_* ones in C (config.c, irq.c, export.c,
 * xenbus.c); xenstore is protocol/linux/store_glue.h.
 *
 * Error returns: 0 or a negative errno, except where a XEN_PCI_ERR_* value is named.
 */
#ifndef PCISPLIT_LINUX_GLUE_H
#define PCISPLIT_LINUX_GLUE_H

#ifdef __cplusplus
#include <stddef.h>
#include <stdint.h>
extern "C" {
#else
#include <linux/types.h>
#endif

/*
 * Quirks an admin may add per function (sysfs `quirks`): the view's room for them
 * (DeviceView::kMaxQuirks, checked in core_bridge.cpp; a built-in quirk takes none of it), so
 * a quirk the list takes always has a slot; it may still be refused at bind for overlapping
 * another field.
 */
#define PCISPLIT_MAX_QUIRKS 24

struct pcisplit_fn;   /* C++: one function's config view and its platform adapter */
struct pcisplit_be;   /* C++: one backend instance (one guest) */
struct pcisplit_dev;  /* C: a function bound to the pciback driver */
struct pcisplit_backend; /* C: the xenbus device of one guest */

/* What the glue knows about a function from the kernel's pci_dev. */
struct pcisplit_fn_info {
	uint64_t bar_size[6];
	uint64_t rom_size;
	int rom_decodes;    /* the ROM resource is assigned and shares no decoder */
	int32_t irq;        /* pci_dev->irq, -1 if none */
	uint16_t cfg_size;  /* 256 or 4096 */
};

/* --- C++ side --------------------------------------------------------------------------------- */

int pcisplit_core_selftest(void);

struct pcisplit_fn *pcisplit_fn_alloc(struct pcisplit_dev *dev);
void pcisplit_fn_free(struct pcisplit_fn *fn);
/* Reads the function and stacks header, capabilities and built-in quirks. XEN_PCI_ERR_* */
int pcisplit_fn_build(struct pcisplit_fn *fn, const struct pcisplit_fn_info *info, int permissive,
		      int allow_interrupt_control, char *diag, size_t cap);
void pcisplit_fn_set_policy(struct pcisplit_fn *fn, int permissive, int allow_interrupt_control);
/* Adds a guest-writable quirk field (mask bits go to hardware). XEN_PCI_ERR_* */
int pcisplit_fn_add_quirk(struct pcisplit_fn *fn, uint16_t reg, uint8_t size, uint32_t mask,
			  char *diag, size_t cap);
/*
 * The engine's denied guest writes since the function's last export (sysfs `denials`): the total,
 * and the dword registers with denials, ascending, up to `max` of them into offsets/counts; returns
 * how many registers have denials (more than `max` when some were left out). Safe while ops run.
 */
uint64_t pcisplit_fn_denials(struct pcisplit_fn *fn);
unsigned int pcisplit_fn_denied_regs(struct pcisplit_fn *fn, uint16_t *offsets, uint32_t *counts,
				     unsigned int max);

/* Slot strings (the hide parameter, the sysfs writes). */
struct pcisplit_slot {
	uint16_t domain;
	uint8_t bus;
	int16_t slot; /* -1: any */
	int16_t fn;   /* -1: any */
};

int pcisplit_parse_slot(const char *text, struct pcisplit_slot *out, char *diag, size_t cap);
/* All or nothing: returns the number of slots or -EINVAL with `diag` naming the bad token. */

/*
 * The seize list (hide= and new_slot; backend/slots.hpp, SeizeList), held by the core function by
 * function as the in-tree driver keeps it. Callers hold pcisplit_devs_lock.
 */
/* The hide parameter, all or nothing: 0, or -EINVAL with `diag` naming the bad token. */
int pcisplit_seize_hide(const char *text, char *diag, size_t dcap);
/* Every function `s` names: 1, or 0 (nothing added) when that needs a bus past the list's 64. */
int pcisplit_seize_add(const struct pcisplit_slot *s);
/* Every listed function `s` names: how many were removed. */
unsigned int pcisplit_seize_remove(const struct pcisplit_slot *s);
int pcisplit_seize_has(uint16_t domain, uint8_t bus, uint8_t devfn);
/* Calls fn for each listed function, in the order of the `slots` attribute. */
void pcisplit_seize_for_each(void (*fn)(void *ctx, uint16_t domain, uint8_t bus, uint8_t devfn),
			     void *ctx);
int pcisplit_parse_quirk(const char *text, uint16_t cfg_size, struct pcisplit_slot *bdf,
			 uint16_t *reg, uint8_t *size, uint32_t *mask, char *diag, size_t cap);

/*
 * Resets (backend/reset.hpp): the methods in the kernel's numbering (pci_dev::reset_methods), then
 * pciback's secondary bus reset and a newer kernel's method.
 */
enum pcisplit_reset_method {
	PCISPLIT_RESET_NONE = 0,
	PCISPLIT_RESET_SECONDARY_BUS = 8,
	PCISPLIT_RESET_KERNEL_OTHER = 9,
	PCISPLIT_RESET_METHODS = 10,
};

struct pcisplit_reset_facts {
	uint8_t kernel[8];          /* pci_dev::reset_methods, 0 ends it */
	uint8_t pcie, flr_cap, af_flr_cap, pm_cap, no_soft_reset, root_bus, is_bridge, no_bus_reset;
	uint8_t reached;            /* functions a reset of its bus reaches, itself included */
	uint8_t reached_not_ours;   /* of those, not bound to pciback */
};

/*
 * The method for a function; why_not[m] says why method m is not it (NULL for the chosen one and
 * for the numbers that name no method). *disabled_by_admin: the kernel lists none on purpose.
 */
int pcisplit_reset_plan(const struct pcisplit_reset_facts *facts,
			const char *why_not[PCISPLIT_RESET_METHODS], int *disabled_by_admin);
const char *pcisplit_reset_method_name(int method);
/* 0 when the function answers as at bind (16 header dwords each), else -EIO with `diag`. */
int pcisplit_reset_came_back(const uint32_t *bind, const uint32_t *now, char *diag, size_t cap);

struct pcisplit_be *pcisplit_be_alloc(struct pcisplit_backend *host, uint16_t domid,
				      int passthrough);
void pcisplit_be_free(struct pcisplit_be *be);
int pcisplit_be_start(struct pcisplit_be *be);
void pcisplit_be_stop(struct pcisplit_be *be);
int pcisplit_be_state(struct pcisplit_be *be);  /* XenbusState */
void pcisplit_be_watch_fired(struct pcisplit_be *be, const char *path, const char *token);
/* 1: an op was answered; 0: spurious. With `verbose`, logs the op through pcisplit_khost_log. */
int pcisplit_be_event(struct pcisplit_be *be, int verbose);
void pcisplit_be_timer(struct pcisplit_be *be);
/*
 * AER: post -> what it did (below, the core's AerPost); answered?; finish -> the result
 * below; kill. The results are the kernel's pci_ers_result_t (pinned by static_assert in aer.c)
 * and the core's AerResult (in core_bridge.cpp). NO_HANDLER: no frontend page, or no AERHANDLER
 * flag (the guest is killed); BUSY: a request outstanding; NOT_HELD: released meanwhile.
 */
enum pcisplit_aer_post {
	PCISPLIT_AER_POSTED = 0,
	PCISPLIT_AER_NO_HANDLER = 1,
	PCISPLIT_AER_BUSY = 2,
	PCISPLIT_AER_NOT_HELD = 3,
};

enum pcisplit_ers {
	PCISPLIT_ERS_NONE = 1,
	PCISPLIT_ERS_CAN_RECOVER = 2,
	PCISPLIT_ERS_NEED_RESET = 3,
	PCISPLIT_ERS_DISCONNECT = 4,
	PCISPLIT_ERS_RECOVERED = 5,
};

int pcisplit_be_aer_post(struct pcisplit_be *be, uint16_t domain, uint8_t bus, uint8_t devfn,
			 uint32_t cmd, int32_t state);
int pcisplit_be_aer_answered(struct pcisplit_be *be);
int pcisplit_be_aer_finish(struct pcisplit_be *be, int timed_out);
int pcisplit_be_aer_kill(struct pcisplit_be *be, uint16_t domain, uint8_t bus, uint8_t devfn);

/* --- C side ----------------------------------------------------------------------------------- */

/* Config access of the bound function: 0 or a PCISPLIT_ERR_* (protocol/pciif.h). */
int pcisplit_kcfg_read(struct pcisplit_dev *dev, uint16_t offset, uint8_t width, uint32_t *value);
int pcisplit_kcfg_write(struct pcisplit_dev *dev, uint16_t offset, uint8_t width, uint32_t value);

/*
 * Platform: the core's EffectKind (conf_space/field.hpp), pinned by static_assert in
 * core_bridge.cpp.
 */
enum pcisplit_effect {
	PCISPLIT_EFFECT_ENABLE_DEVICE,   /* pci_enable_device */
	PCISPLIT_EFFECT_DISABLE_DEVICE,  /* pci_disable_device */
	PCISPLIT_EFFECT_SET_MASTER,
	PCISPLIT_EFFECT_CLEAR_MASTER,
	PCISPLIT_EFFECT_SET_POWER_STATE, /* arg: D-state 0..3 */
	PCISPLIT_EFFECT_SET_READRQ,      /* arg: PCIe DEVCTL encoding 0..5, 128 << arg bytes */
};

int pcisplit_kplat_effect(struct pcisplit_dev *dev, int kind, int arg);
int pcisplit_kplat_enable_msi(struct pcisplit_dev *dev, uint32_t nvec, uint32_t *pirq);
int pcisplit_kplat_disable_msi(struct pcisplit_dev *dev);
int pcisplit_kplat_enable_msix(struct pcisplit_dev *dev, const uint16_t *entries, uint32_t n,
			       uint32_t *pirqs);
int pcisplit_kplat_disable_msix(struct pcisplit_dev *dev);
uint32_t pcisplit_kplat_legacy_pirq(struct pcisplit_dev *dev);

/* The backend's host services (xenbus.c). */
int pcisplit_khost_connect(struct pcisplit_backend *host, uint32_t gref, uint32_t port,
			   void **page);
void pcisplit_khost_disconnect(struct pcisplit_backend *host);
void pcisplit_khost_notify(struct pcisplit_backend *host);
/* Takes a function bound to pciback for this guest; XEN_PCI_ERR_* with `diag`. */
int pcisplit_khost_export(struct pcisplit_backend *host, uint16_t domain, uint8_t bus,
			  uint8_t devfn, int permissive, struct pcisplit_fn **fn, int *is_bridge,
			  int *is_virtfn, char *diag, size_t cap);
void pcisplit_khost_release(struct pcisplit_backend *host, uint16_t domain, uint8_t bus,
			    uint8_t devfn);
void pcisplit_khost_destroy_domain(struct pcisplit_backend *host, uint16_t domid);
void pcisplit_khost_log(struct pcisplit_backend *host, const char *msg);
/* One call of pcisplit_be_timer() in `ms` milliseconds, under the backend's lock. */
void pcisplit_khost_arm_timer(struct pcisplit_backend *host, uint32_t ms);
/* The backend's op lock (BackendHost::lock_ops): taken by the core under the backend's lock. */
void pcisplit_khost_lock_ops(struct pcisplit_backend *host);
void pcisplit_khost_unlock_ops(struct pcisplit_backend *host);

#ifdef __cplusplus
}
#endif

#endif
