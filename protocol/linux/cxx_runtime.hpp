// SPDX-License-Identifier: GPL-2.0-only
// What C++ code inside the modules needs for allocation, with no standard library: placement new and
// the nothrow operator new that protocol/linux/runtime.c implements over kmalloc(GFP_KERNEL).
// Included by each module's core_bridge.cpp only.
#pragma once

#include <stddef.h>

inline void* operator new(size_t, void* where) noexcept { return where; }

namespace std {
struct nothrow_t {
  explicit nothrow_t() = default;
};
}  // namespace std

void* operator new(size_t size, const std::nothrow_t&) noexcept;  // runtime.c: kmalloc(GFP_KERNEL)
