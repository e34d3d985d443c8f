// SPDX-License-Identifier: GPL-2.0-only
// PCI Express capability (PCIe Base 4.0 §7.5.3): exposed; only device control has guest-writable bits.
//
// The rest of the capability (link, slot, root, *2 registers) is deliberately not claimed: reads come
// from hardware, writes are denied and counted. Link control could retrain or disable a link that other
// functions share; slot and root registers are the hot-plug controller's.
#include "conf_space/tables.hpp"

namespace pcisplit {
namespace {

using namespace reg;

// Device control (L3). Relaxed ordering and extended tags are the function's own business and go to
// hardware. The four error-reporting enables are emulated: on a firmware-first platform a guest that
// turns them on makes the errors it can provoke (a UR on a bad MMIO access, completions for DMA the
// IOMMU blocked) into firmware NMIs, and turning them off would hide the device's errors from dom0's
// AER. Max read request size is an effect: the kernel's pcie_set_readrq() honours host bridges that
// must not see it raised. No-snoop is dom0's (XSA-402: Xen decides what non-coherent DMA a guest may
// do). Max payload must match the fabric, phantom functions would use requester IDs the IOMMU context
// may not cover (XSA-449 class), aux power is platform policy, and bit 15 is Initiate FLR, which only
// the platform may do.
constexpr uint16_t kDevctlReporting = PCI_EXP_DEVCTL_CERE | PCI_EXP_DEVCTL_NFERE | PCI_EXP_DEVCTL_FERE |
                                      PCI_EXP_DEVCTL_URRE;
constexpr uint16_t kDevctlRo = PCI_EXP_DEVCTL_PAYLOAD | PCI_EXP_DEVCTL_PHANTOM | PCI_EXP_DEVCTL_AUX_PME |
                               PCI_EXP_DEVCTL_NOSNOOP_EN | PCI_EXP_DEVCTL_BCR_FLR;
constexpr uint32_t kReadrqShift = 12;

void devctl_write(WriteCtx& ctx, uint32_t value, uint32_t byte_mask) {
  if ((byte_mask & PCI_EXP_DEVCTL_READRQ) == 0) return;
  uint32_t hw;
  if (!hook_hw_read(ctx, hw)) return;
  const uint32_t want = (value & PCI_EXP_DEVCTL_READRQ) >> kReadrqShift;
  if (want == ((hw & PCI_EXP_DEVCTL_READRQ) >> kReadrqShift)) return;
  if (want > 5) {  // 6 and 7 are reserved encodings
    ctx.denied = true;
    return;
  }
  ctx.effect(EffectKind::set_readrq, static_cast<uint8_t>(want));
}

constinit const FieldOps kDevctlOps = {.write = devctl_write};

// DEVSTA: only the RW1C bits the guest wrote as 1 reach hardware; every other bit is written 0 (RO bits
// ignore it, RsvdZ must be 0, and bit 6 is RW1C since PCIe 5.0: writing hardware's 1 back would clear it).
void devsta_write(WriteCtx& ctx, uint32_t value, uint32_t byte_mask) {
  ctx.handled = true;
  uint32_t hw;
  if (!hook_hw_read(ctx, hw)) return;
  if ((value & ~hw & ctx.masks.ro & byte_mask) != 0) ctx.denied = true;  // (a 0 leaves a bit: as in generic_write)
  const uint32_t clear = value & byte_mask & PCI_EXP_DEVSTA_RW1C;
  if (clear != 0) ctx.err = ctx.dev.hw_write(ctx.entry.offset, 2, clear);
}

constinit const FieldOps kDevstaOps = {.write = devsta_write, .clears_only = true};

constexpr Field kExp[] = {
    {PCI_EXP_FLAGS, 2, {.ro = 0xffff}, nullptr, "PCI_EXP_FLAGS", "§7.5.3.2"},
    {PCI_EXP_DEVCAP, 4, {.ro = 0xffffffff}, nullptr, "PCI_EXP_DEVCAP", "§7.5.3.3"},
    {PCI_EXP_DEVCTL, 2, {.ro = kDevctlRo, .rsvdp = PCI_EXP_DEVCTL_READRQ, .emu = kDevctlReporting}, &kDevctlOps,
     "PCI_EXP_DEVCTL",
     "§7.5.3.4 reporting enables emulated, MRRS an effect; no MPS, no-snoop, phantom functions, aux power or FLR"},
    {PCI_EXP_DEVSTA, 2, {.ro = 0xffff & ~PCI_EXP_DEVSTA_RW1C, .rw1c = PCI_EXP_DEVSTA_RW1C}, &kDevstaOps,
     "PCI_EXP_DEVSTA", "§7.5.3.5 error-detected bits RW1C"},
};
static_assert(table_ok(kExp));

constexpr FieldList kExpVariants[] = {list_of(kExp)};

}  // namespace

constinit const CapTable kCapExp = {PCI_CAP_ID_EXP, "PCI Express", kExpVariants, 1, nullptr,
                                    "drivers read link and device capabilities"};

}  // namespace pcisplit
