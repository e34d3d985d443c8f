// SPDX-License-Identifier: GPL-2.0-only
/*
 * xenstore for the C++ cores (see store_glue.h), over the kernel's xenbus_* API, and watch slots.
 *
 * Context: process context (xenbus requests sleep). Watch callbacks run in the xenwatch thread;
 * pcisplit_xs_watch_del from any other thread waits for a running callback, so it must not be
 * called under a lock that callback takes.
 */
#include <linux/build_bug.h>
#include <linux/errno.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <xen/xenbus.h>

#include "xs.h"

static_assert(PCISPLIT_ENOENT == ENOENT && PCISPLIT_E2BIG == E2BIG && PCISPLIT_EAGAIN == EAGAIN);
static_assert(PCISPLIT_EACCES == EACCES && PCISPLIT_EINVAL == EINVAL && PCISPLIT_EIO == EIO);

static struct xenbus_transaction pcisplit_tx(u32 tx)
{
	struct xenbus_transaction t = { .id = tx };

	return t;
}

int pcisplit_kxs_read(u32 tx, const char *path, char *out, size_t cap)
{
	unsigned int len = 0;
	char *v = xenbus_read(pcisplit_tx(tx), path, "", &len);

	if (IS_ERR(v))
		return PTR_ERR(v);
	if (len >= cap) {
		kfree(v);
		return -E2BIG;
	}
	memcpy(out, v, len);
	out[len] = '\0';
	kfree(v);
	return 0;
}

int pcisplit_kxs_write(u32 tx, const char *path, const char *value)
{
	return xenbus_write(pcisplit_tx(tx), path, "", value);
}

int pcisplit_kxs_remove(u32 tx, const char *path)
{
	return xenbus_rm(pcisplit_tx(tx), path, "");
}

int pcisplit_kxs_begin(u32 *tx)
{
	struct xenbus_transaction t;
	int rc = xenbus_transaction_start(&t);

	*tx = rc ? 0 : t.id;
	return rc;
}

int pcisplit_kxs_commit(u32 tx)
{
	return xenbus_transaction_end(pcisplit_tx(tx), 0);
}

void pcisplit_kxs_abort(u32 tx)
{
	xenbus_transaction_end(pcisplit_tx(tx), 1);
}

static void pcisplit_xs_fired(struct xenbus_watch *watch, const char *path, const char *token)
{
	struct pcisplit_xs_watch *w = container_of(watch, struct pcisplit_xs_watch, watch);

	w->fire(w->owner, path, w->token);
}

int pcisplit_xs_watch_add(struct pcisplit_xs_watch *slots, unsigned int n, void *owner,
			  const char *path, const char *token,
			  void (*fire)(void *owner, const char *path, const char *token))
{
	struct pcisplit_xs_watch *w = NULL;
	unsigned int i;
	int rc;

	for (i = 0; i < n && !w; i++) {
		if (!slots[i].on)
			w = &slots[i];
	}
	if (!w)
		return -ENOSPC;
	w->watch.node = kstrdup(path, GFP_KERNEL);
	if (!w->watch.node)
		return -ENOMEM;
	w->watch.callback = pcisplit_xs_fired;
	w->fire = fire;
	w->owner = owner;
	strscpy(w->token, token, sizeof(w->token));
	rc = register_xenbus_watch(&w->watch);
	if (rc) {
		kfree(w->watch.node);
		w->watch.node = NULL;
		return rc;
	}
	w->on = true;
	return 0;
}

void pcisplit_xs_watch_del(struct pcisplit_xs_watch *slots, unsigned int n, const char *token)
{
	unsigned int i;

	for (i = 0; i < n; i++) {
		if (!slots[i].on || (token && strcmp(slots[i].token, token) != 0))
			continue;
		unregister_xenbus_watch(&slots[i].watch);
		kfree(slots[i].watch.node);
		slots[i].watch.node = NULL;
		slots[i].on = false;
	}
}
