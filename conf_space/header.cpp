// SPDX-License-Identifier: GPL-2.0-only
// The type-0 (endpoint) header table and its command-register hook (PCI Local Bus 3.0 §6.2).
#include "conf_space/interrupts.hpp"
#include "conf_space/tables.hpp"

namespace pcisplit {
namespace {

using namespace reg;

constexpr uint16_t kDecode = PCI_COMMAND_IO | PCI_COMMAND_MEMORY;
constexpr uint16_t kCommandReserved = 0xf800;
// Always safe for the guest to write straight to hardware (XSA-120's list less MASTER, an effect here).
constexpr uint16_t kCommandDirect = PCI_COMMAND_GUEST & ~PCI_COMMAND_MASTER;

// Decode bits live in the shadow: the guest sees what it wrote, hardware keeps decoding (XSA-120, a
// device that stops decoding turns the guest's BAR accesses into Unsupported Requests and host NMIs).
// Turning decoding on or off and bus mastering are effects for the platform.
void command_write(WriteCtx& ctx, uint32_t value, uint32_t byte_mask) {
  const Policy& policy = ctx.dev.policy();
  uint16_t direct = kCommandDirect;
  if (policy.permissive) direct |= PCI_COMMAND_PARITY | PCI_COMMAND_SERR;
  if ((byte_mask & PCI_COMMAND_INTX_DISABLE) != 0) {
    const bool enabling_intx = (value & PCI_COMMAND_INTX_DISABLE) == 0;
    const Result<bool> allowed = guest_may_switch(ctx.dev, IrqType::intx, enabling_intx);
    if (!allowed.ok()) {
      ctx.err = allowed.err();
      return;
    }
    if (allowed.value()) direct |= PCI_COMMAND_INTX_DISABLE;  // otherwise read-only: a counted denial
  }
  ctx.masks.ro = 0xffffu & ~(direct | kDecode | PCI_COMMAND_MASTER | kCommandReserved);
  ctx.masks.rsvdp = PCI_COMMAND_MASTER | kCommandReserved;

  if ((byte_mask & 0xff) == 0) return;
  const bool was_decoding = (ctx.entry.shadow & kDecode) != 0;
  const bool decoding = (value & kDecode) != 0;
  if (!was_decoding && decoding) ctx.effect(EffectKind::enable_device);
  if (was_decoding && !decoding) ctx.effect(EffectKind::disable_device);
  const Result<uint32_t> hw = ctx.dev.hw_read(PCI_COMMAND, 2);
  if (!hw.ok()) {
    ctx.err = hw.err();
    return;
  }
  if (((hw.value() ^ value) & PCI_COMMAND_MASTER) != 0) {
    ctx.effect((value & PCI_COMMAND_MASTER) != 0 ? EffectKind::set_master : EffectKind::clear_master);
  }
}

constinit const FieldOps kCommandOps = {.write = command_write};

// The guest sees dom0's routing of INTx, not the firmware's scratch value: Linux's PV pcifront binds
// the GSI it reads here (as the in-tree backend shows dev->irq).
Err interrupt_line_init(DeviceView& dev, FieldEntry& e) {
  if (dev.info().irq >= 0) {
    e.shadow = static_cast<uint32_t>(dev.info().irq) & 0xff;
    return Err::success;
  }
  PCISPLIT_TRY(hw, dev.hw_read(e.offset, 1));
  e.shadow = hw;
  return Err::success;
}

constinit const FieldOps kInterruptLineOps = {.init = interrupt_line_init};

constexpr Masks kRo8 = {.ro = 0xff};
constexpr Masks kRo16 = {.ro = 0xffff};
constexpr Masks kRo32 = {.ro = 0xffffffff};
constexpr Masks kBar = {.emu = 0xffffffff};

constexpr Field kType0[] = {
    {PCI_VENDOR_ID, 2, kRo16, nullptr, "PCI_VENDOR_ID", "§6.2.1 identification is read-only"},
    {PCI_DEVICE_ID, 2, kRo16, nullptr, "PCI_DEVICE_ID", "§6.2.1"},
    {PCI_COMMAND, 2, {.ro = 0xffff & ~kDecode, .emu = kDecode}, &kCommandOps, "PCI_COMMAND",
     "XSA-120: decode and bus-master are effects; only PCI_COMMAND_GUEST bits reach hardware"},
    {PCI_STATUS, 2,
     {.ro = 0xffff & ~(PCI_STATUS_RW1C | PCI_STATUS_CAP_LIST), .rw1c = PCI_STATUS_RW1C,
      .rsvdp = PCI_STATUS_CAP_LIST, .emu = PCI_STATUS_CAP_LIST},
     nullptr, "PCI_STATUS", "§6.2.3 error bits RW1C; CAP_LIST follows the rewritten capability chain"},
    {PCI_CLASS_REVISION, 4, kRo32, nullptr, "PCI_CLASS_REVISION", "§6.2.1"},
    {PCI_CACHE_LINE_SIZE, 1, {}, nullptr, "PCI_CACHE_LINE_SIZE", "§6.2.4 harmless; drivers set it (as pciback)"},
    {PCI_LATENCY_TIMER, 1, kRo8, nullptr, "PCI_LATENCY_TIMER", "bus timing is dom0's (as pciback)"},
    {PCI_HEADER_TYPE, 1, kRo8, nullptr, "PCI_HEADER_TYPE", "§6.2.1"},
    {PCI_BIST, 1, {.ro = 0xbf}, nullptr, "PCI_BIST", "§6.2.4 only the start bit (bit 6) is writable"},
    {0x10, 4, kBar, &kBarOps, "PCI_BASE_ADDRESS_0", "§6.2.5.1 sizing emulated; PV guests cannot relocate"},
    {0x14, 4, kBar, &kBarOps, "PCI_BASE_ADDRESS_1", "§6.2.5.1"},
    {0x18, 4, kBar, &kBarOps, "PCI_BASE_ADDRESS_2", "§6.2.5.1"},
    {0x1c, 4, kBar, &kBarOps, "PCI_BASE_ADDRESS_3", "§6.2.5.1"},
    {0x20, 4, kBar, &kBarOps, "PCI_BASE_ADDRESS_4", "§6.2.5.1"},
    {0x24, 4, kBar, &kBarOps, "PCI_BASE_ADDRESS_5", "§6.2.5.1"},
    {PCI_CARDBUS_CIS, 4, kRo32, nullptr, "PCI_CARDBUS_CIS", "§6.2.5"},
    {PCI_SUBSYSTEM_VENDOR_ID, 2, kRo16, nullptr, "PCI_SUBSYSTEM_VENDOR_ID", "§6.2.4"},
    {PCI_SUBSYSTEM_ID, 2, kRo16, nullptr, "PCI_SUBSYSTEM_ID", "§6.2.4"},
    {PCI_ROM_ADDRESS, 4, {.emu = 0xfffffffe}, &kRomOps, "PCI_ROM_ADDRESS",
     "§6.2.5.2 sizing emulated; the enable bit is the device's"},
    {PCI_CAPABILITY_LIST, 1, {.ro = 0xff, .emu = 0xff}, nullptr, "PCI_CAPABILITY_LIST",
     "§6.7 points at the first exposed capability"},
    {PCI_INTERRUPT_LINE, 1, {.emu = 0xff}, &kInterruptLineOps, "PCI_INTERRUPT_LINE",
     "§6.2.4 scratch register: shows dom0's IRQ (the GSI a PV guest binds); writes stay in the shadow"},
    {PCI_INTERRUPT_PIN, 1, kRo8, nullptr, "PCI_INTERRUPT_PIN", "§6.2.4"},
    {PCI_MIN_GNT, 1, kRo8, nullptr, "PCI_MIN_GNT", "§6.2.4"},
    {PCI_MAX_LAT, 1, kRo8, nullptr, "PCI_MAX_LAT", "§6.2.4"},
};
static_assert(table_ok(kType0));
static_assert(sizeof(kType0) / sizeof(kType0[0]) == 24);

}  // namespace

Err add_header_type0(DeviceView& dev, Text& diag) {
  return dev.add_fields(kType0, sizeof(kType0) / sizeof(kType0[0]), 0, diag);
}

}  // namespace pcisplit
