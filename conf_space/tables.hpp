// SPDX-License-Identifier: GPL-2.0-only
// The registry of field tables: header tables and the capabilities we expose, in one place.
#pragma once

#include "conf_space/device.hpp"

namespace pcisplit {

// For write hooks: the register's hardware value as this write sees it (read once per field write;
// the engine writes the unwritten bytes from the same snapshot). False, with the error set for the
// guest, when hardware cannot be read (the hook then changes nothing).
inline bool hook_hw_read(WriteCtx& ctx, uint32_t& out) {
  if (!ctx.have_hw) {
    const Result<uint32_t> hw = ctx.dev.hw_read(ctx.entry.offset, ctx.entry.field->width);
    if (!hw.ok()) {
      ctx.err = hw.err();
      return false;
    }
    ctx.hw = hw.value();
    ctx.have_hw = true;
  }
  out = ctx.hw;
  return true;
}

// A capability we expose. Some capabilities change layout with their flags (MSI: 64-bit, per-vector
// masking), so a table may pick one of several field lists; `select` returns the index, or the error
// of the hardware read it needed (the bind then fails: a capability is never hidden because a read
// failed).
struct FieldList {
  const Field* fields;
  size_t count;
};
struct CapTable {
  uint8_t id;
  const char* name;
  const FieldList* variants;
  size_t nvariants;
  Result<uint32_t> (*select)(DeviceView& dev, uint16_t base);  // nullptr: always variant 0
  const char* why;
};

template <size_t N>
constexpr FieldList list_of(const Field (&fields)[N]) {
  return FieldList{fields, N};
}

// Capability tables, one file each under conf_space/caps/.
extern const CapTable kCapPm;
extern const CapTable kCapVpd;
extern const CapTable kCapMsi;
extern const CapTable kCapVndr;
extern const CapTable kCapExp;
extern const CapTable kCapMsix;

// The single list of exposed capability IDs; everything else is unlinked from the guest's chain.
const CapTable* find_cap_table(uint8_t id);
const char* cap_name(uint8_t id);

// Header tables (conf_space/header.cpp, conf_space/bridge.cpp).
Err add_header_type0(DeviceView& dev, Text& diag);
Err add_header_type1(DeviceView& dev, Text& diag);

// Walks the capability chain defensively and adds the exposed tables (conf_space/caps/chain.cpp).
Err add_capabilities(DeviceView& dev, Text& diag);

// BAR and ROM hooks shared by both header types (conf_space/bar.cpp).
extern const FieldOps kBarOps;
extern const FieldOps kRomOps;

}  // namespace pcisplit
