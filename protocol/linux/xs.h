/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Watch slots shared by both modules' glue (protocol/linux/xs.c). A slot's callback runs in the
 * xenwatch thread; the owner serialises it with its own lock.
 */
#ifndef PCISPLIT_LINUX_XS_H
#define PCISPLIT_LINUX_XS_H

#include <xen/xenbus.h>

#include "store_glue.h"

struct pcisplit_xs_watch {
	struct xenbus_watch watch;
	void (*fire)(void *owner, const char *path, const char *token);
	void *owner;
	char token[8];
	bool on;
};

/* Registers `path` in a free slot of `slots` (n of them). */
int pcisplit_xs_watch_add(struct pcisplit_xs_watch *slots, unsigned int n, void *owner,
			  const char *path, const char *token,
			  void (*fire)(void *owner, const char *path, const char *token));
/*
 * Unregisters the slot with `token` (all slots when token is NULL). Not under a lock the callback
 * takes.
 */
void pcisplit_xs_watch_del(struct pcisplit_xs_watch *slots, unsigned int n, const char *token);

#endif
