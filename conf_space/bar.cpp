// SPDX-License-Identifier: GPL-2.0-only
// BARs and the expansion ROM as a guest sees them: sizing works as on hardware, addresses never move.
//
// Why addresses never move: a PV guest has no second-stage translation. It maps a BAR at its real host
// address (libxl grants exactly the ranges dom0's resources list), so a BAR the guest "moves" would only
// lie to it; hardware is never written. The shadow therefore accepts, per byte lane, only the two values
// real software writes: all ones in the lane's address bits (sizing) or the bind-time address (restore).
// Anything else is ignored and counted. Reads return ~(size-1) | flag bits after sizing, as hardware does.
#include "conf_space/tables.hpp"

namespace pcisplit {
namespace {

enum BarKind : uint8_t { kUnused = 0, kIo, kMem32, kMem64Lo, kMem64Hi, kRom };

bool pow2(uint64_t v) { return v != 0 && (v & (v - 1)) == 0; }

constexpr uint8_t kRomSlot = DeviceView::kBarSlots - 1;
// BAR n (0x10 + 4n of a type 0 header) has slot n; the ROM (0x30) the last. bar_init refuses any other
// offset, so a BAR's entry never reaches another's slot (a bridge's BARs and ROM are read-only fields).
BarState& state_of(DeviceView& dev, const FieldEntry& e) {
  return dev.bar_state(e.kind == kRom ? kRomSlot : static_cast<uint8_t>((e.offset - reg::PCI_BASE_ADDRESS_0) / 4));
}

Err bar_init(DeviceView& dev, FieldEntry& e) {
  if (e.offset < reg::PCI_BASE_ADDRESS_0 || e.offset >= reg::PCI_BASE_ADDRESS_0 + 4 * kRomSlot) {
    return Err::op_failed;  // kBarOps on a register that is not BAR 0-5: a table error
  }
  PCISPLIT_TRY(hw, dev.hw_read(e.offset, 4));
  const unsigned index = (e.offset - reg::PCI_BASE_ADDRESS_0) / 4;
  const FieldEntry* prev = index > 0 ? dev.entry_at(static_cast<uint16_t>(e.offset - 4)) : nullptr;
  uint64_t size;
  uint64_t addr_mask;
  if (prev != nullptr && prev->kind == kMem64Lo) {
    e.kind = kMem64Hi;
    size = dev.info().bar_size[index - 1];
    addr_mask = size != 0 ? ~(size - 1) >> 32 : 0;
  } else if ((hw & reg::PCI_BASE_ADDRESS_SPACE_IO) != 0) {
    e.kind = kIo;
    size = dev.info().bar_size[index];
    addr_mask = size != 0 ? ~(size - 1) & reg::PCI_BASE_ADDRESS_IO_MASK : 0;
  } else {
    const bool is64 = (hw & reg::PCI_BASE_ADDRESS_MEM_TYPE_MASK) == reg::PCI_BASE_ADDRESS_MEM_TYPE_64;
    if (is64 && index == 5) return Err::op_failed;  // a 64-bit BAR needs a high half
    e.kind = is64 ? kMem64Lo : kMem32;
    size = dev.info().bar_size[index];
    addr_mask = size != 0 ? ~(size - 1) & reg::PCI_BASE_ADDRESS_MEM_MASK : 0;
  }
  if (size != 0 && !pow2(size)) return Err::op_failed;
  if (e.kind != kMem64Lo && e.kind != kMem64Hi && size > 0x100000000ull) return Err::op_failed;
  BarState& st = state_of(dev, e);
  st.mask = static_cast<uint32_t>(addr_mask);
  st.orig = hw & st.mask;
  // A BAR the platform says is unimplemented reads 0, like hardware; no stale bits leak through.
  e.shadow = st.mask == 0 && size == 0 ? 0 : hw;
  return Err::success;
}

Err rom_init(DeviceView& dev, FieldEntry& e) {
  PCISPLIT_TRY(hw, dev.hw_read(e.offset, 4));
  const uint64_t size = dev.info().rom_size;
  if (size != 0 && !pow2(size)) return Err::op_failed;
  e.kind = kRom;
  BarState& st = state_of(dev, e);
  st.mask = size != 0 ? static_cast<uint32_t>(~(size - 1)) & reg::PCI_ROM_ADDRESS_MASK : 0;
  st.orig = hw & st.mask;
  e.shadow = size != 0 ? hw & e.field->masks.emu : 0;
  return Err::success;
}

// Lane by lane: accept all-ones (sizing) or the original address; ignore and count anything else.
void latch_address(WriteCtx& ctx, uint32_t value, uint32_t byte_mask) {
  FieldEntry& e = ctx.entry;
  const BarState& st = state_of(ctx.dev, e);
  for (unsigned lane = 0; lane < 4; ++lane) {
    const uint32_t lane_bits = 0xffu << (8 * lane);
    if ((byte_mask & lane_bits) == 0) continue;
    const uint32_t am = st.mask & lane_bits;
    const uint32_t nv = value & am;
    if (nv == am || nv == (st.orig & am)) {
      e.shadow = (e.shadow & ~am) | nv;
    } else {
      ctx.denied = true;
    }
  }
}

void bar_write(WriteCtx& ctx, uint32_t value, uint32_t byte_mask) {
  ctx.handled = true;
  latch_address(ctx, value, byte_mask);
}

void rom_write(WriteCtx& ctx, uint32_t value, uint32_t byte_mask) {
  ctx.handled = true;
  latch_address(ctx, value, byte_mask);
  const uint32_t rom_mask = state_of(ctx.dev, ctx.entry).mask;
  if ((byte_mask & reg::PCI_ROM_ADDRESS_ENABLE) == 0) return;
  if (rom_mask == 0) {  // no ROM: nothing to enable (L2: a counted denial, hardware untouched)
    if ((value & reg::PCI_ROM_ADDRESS_ENABLE) != 0) ctx.denied = true;
    return;
  }
  // The enable bit is the device's own: decoding happens at the unchanged host address, and only
  // when there is one: an assigned ROM resource that shares no decoder, and an address in the BAR
  // (some ROM BARs read 0 while disabled; enabling then would decode at address 0). Else refused.
  uint32_t hw;
  if (!hook_hw_read(ctx, hw)) return;
  const bool may_decode = ctx.dev.info().rom_decodes && (hw & rom_mask) != 0;
  if (!may_decode) {
    if ((value & reg::PCI_ROM_ADDRESS_ENABLE) != (hw & reg::PCI_ROM_ADDRESS_ENABLE)) ctx.denied = true;
    return;
  }
  const uint32_t want = (hw & ~reg::PCI_ROM_ADDRESS_ENABLE) | (value & reg::PCI_ROM_ADDRESS_ENABLE);
  if (want != hw) ctx.err = ctx.dev.hw_write(ctx.entry.offset, 4, want);
}

}  // namespace

constinit const FieldOps kBarOps = {.init = bar_init, .write = bar_write};
constinit const FieldOps kRomOps = {.init = rom_init, .write = rom_write};

}  // namespace pcisplit
