// SPDX-License-Identifier: MIT
// The pciif wire ABI for C++: typed op codes and flags over protocol/pciif.h, with the layout pinned.
#pragma once

#include "protocol/pciif.h"
#include "protocol/types.hpp"

namespace pcisplit::wire {

using Op = pcisplit_op;
using AerOp = pcisplit_aer_op;
using SharedInfo = pcisplit_sharedinfo;
using MsixEntry = pcisplit_msix_entry;

enum class Cmd : uint32_t {
  conf_read = PCISPLIT_OP_CONF_READ,
  conf_write = PCISPLIT_OP_CONF_WRITE,
  enable_msi = PCISPLIT_OP_ENABLE_MSI,
  disable_msi = PCISPLIT_OP_DISABLE_MSI,
  enable_msix = PCISPLIT_OP_ENABLE_MSIX,
  disable_msix = PCISPLIT_OP_DISABLE_MSIX,
  aer_detected = PCISPLIT_OP_AER_DETECTED,
  aer_resume = PCISPLIT_OP_AER_RESUME,
  aer_mmio = PCISPLIT_OP_AER_MMIO,
  aer_slotreset = PCISPLIT_OP_AER_SLOTRESET,
  enable_multi_msi = PCISPLIT_OP_ENABLE_MULTI_MSI,
};

inline constexpr uint32_t kMaxVec = PCISPLIT_MAX_VEC;
inline constexpr char kMagic[] = PCISPLIT_MAGIC;
inline constexpr size_t kPageSize = 4096;

// The page is shared with another domain: any drift in layout is a silent protocol break.
static_assert(sizeof(MsixEntry) == 4);
static_assert(offsetof(MsixEntry, vector) == 0 && offsetof(MsixEntry, entry) == 2);

static_assert(offsetof(Op, cmd) == 0);
static_assert(offsetof(Op, err) == 4);
static_assert(offsetof(Op, domain) == 8);
static_assert(offsetof(Op, bus) == 12);
static_assert(offsetof(Op, devfn) == 16);
static_assert(offsetof(Op, offset) == 20);
static_assert(offsetof(Op, size) == 24);
static_assert(offsetof(Op, value) == 28);
static_assert(offsetof(Op, info) == 32);
static_assert(offsetof(Op, msix_entries) == 36);
static_assert(sizeof(Op) == 36 + 4 * kMaxVec);

static_assert(offsetof(AerOp, cmd) == 0);
static_assert(offsetof(AerOp, err) == 4);
static_assert(offsetof(AerOp, domain) == 8);
static_assert(offsetof(AerOp, bus) == 12);
static_assert(offsetof(AerOp, devfn) == 16);
static_assert(sizeof(AerOp) == 20);

static_assert(offsetof(SharedInfo, flags) == 0);
static_assert(offsetof(SharedInfo, op) == 4);
static_assert(offsetof(SharedInfo, aer_op) == 4 + sizeof(Op));
static_assert(sizeof(SharedInfo) == 4 + sizeof(Op) + sizeof(AerOp));
static_assert(sizeof(SharedInfo) <= kPageSize, "the shared info must fit the one granted page");

}  // namespace pcisplit::wire
