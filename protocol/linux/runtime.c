// SPDX-License-Identifier: GPL-2.0-only
/*
 * The C++ runtime the portable core needs inside a module, and nothing more.
 *
 * Context: any. __cxa_pure_virtual must exist or a pure virtual slot is silently NULL; delete maps
 * to kfree. Only a nothrow new is provided (kmalloc, GFP_KERNEL: callers allocate at bind time, in
 * process context, never per op); a plain `new` stays undefined so it fails at modpost.
 */
#include <linux/bug.h>
#include <linux/slab.h>

void __cxa_pure_virtual(void);
void __cxa_pure_virtual(void)
{
	BUG();
}

/*
 * operator new(size_t, const std::nothrow_t&) noexcept; operator delete(void*) and (void*, size_t).
 */
void *_ZnwmRKSt9nothrow_t(size_t size, const void *tag);
void *_ZnwmRKSt9nothrow_t(size_t size, const void *tag)
{
	return kmalloc(size, GFP_KERNEL);
}

void _ZdlPv(void *p);
void _ZdlPv(void *p)
{
	kfree(p);
}

void _ZdlPvm(void *p, size_t size);
void _ZdlPvm(void *p, size_t size)
{
	kfree(p);
}
