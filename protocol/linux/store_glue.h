/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * xenstore for the C++ cores inside the kernel modules: the C functions (protocol/linux/xs.c) that
 * protocol/linux/kernel_store.hpp calls. Paths are absolute or relative to the domain's home; tx 0
 * is no transaction; returns 0 or a negative errno.
 */
#ifndef PCISPLIT_LINUX_STORE_GLUE_H
#define PCISPLIT_LINUX_STORE_GLUE_H

#ifdef __cplusplus
#include <stddef.h>
#include <stdint.h>
extern "C" {
#else
#include <linux/types.h>
#endif

/*
 * The errnos that cross into C++, by name: the C++ side sees no kernel header. xs.c pins each to
 * the kernel's own value with static_assert.
 */
#define PCISPLIT_ENOENT 2
#define PCISPLIT_EIO    5
#define PCISPLIT_E2BIG  7
#define PCISPLIT_EAGAIN 11
#define PCISPLIT_EACCES 13
#define PCISPLIT_EINVAL 22

int pcisplit_kxs_read(uint32_t tx, const char *path, char *out, size_t cap);
int pcisplit_kxs_write(uint32_t tx, const char *path, const char *value);
int pcisplit_kxs_remove(uint32_t tx, const char *path);
int pcisplit_kxs_begin(uint32_t *tx);
int pcisplit_kxs_commit(uint32_t tx);  /* -EAGAIN: nothing applied, retry */
void pcisplit_kxs_abort(uint32_t tx);
/*
 * Watches belong to an owner (a backend or frontend device); each module's glue implements these.
 */
int pcisplit_kxs_watch(void *owner, const char *path, const char *token);
int pcisplit_kxs_unwatch(void *owner, const char *path, const char *token);

#ifdef __cplusplus
}
#endif

#endif
