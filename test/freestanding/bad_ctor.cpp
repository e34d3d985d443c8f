// SPDX-License-Identifier: GPL-2.0-only
// Must be rejected by check-objects.sh: a dynamic initialiser (never run in Debian's kernel, which has
// CONFIG_CONSTRUCTORS=n) and a call into the hosted runtime. Proves the check has teeth.
int compute(int);
int g_value = compute(3);
void* leak(unsigned long n) { return ::operator new(n); }
