// SPDX-License-Identifier: GPL-2.0-only
// MSI capability (PCI Local Bus 3.0 §6.8.1): read-only to the guest; enabling goes through the op protocol.
#include "conf_space/interrupts.hpp"
#include "conf_space/tables.hpp"

namespace pcisplit {
namespace {

using namespace reg;

// The enable bit changes only with allow_interrupt_control (qemu in a stub domain programs MSI itself),
// and then only while MSI-X is off (INTx may still be on, as Linux's pciback allows: interrupts.hpp).
// Otherwise the write is refused whole: XSA-129's lesson is
// that a guest must never reach the address, data or mask registers Xen programmed.
void msi_flags_write(WriteCtx& ctx, uint32_t value, uint32_t byte_mask) {
  if ((byte_mask & PCI_MSI_FLAGS_ENABLE) == 0) return;
  uint32_t hw;
  if (!hook_hw_read(ctx, hw)) return;
  if (((hw ^ value) & PCI_MSI_FLAGS_ENABLE) == 0) return;  // generic: other bits read-only
  const Result<bool> allowed = guest_may_switch(ctx.dev, IrqType::msi, (value & PCI_MSI_FLAGS_ENABLE) != 0);
  if (!allowed.ok()) {
    ctx.err = allowed.err();
    return;
  }
  if (!allowed.value()) {
    ctx.denied = true;
    ctx.err = Err::access_denied;
    return;
  }
  ctx.masks.ro &= ~uint32_t{PCI_MSI_FLAGS_ENABLE};
}

constinit const FieldOps kMsiFlagsOps = {.write = msi_flags_write};

// Per-vector masking is hidden (XSA-129: Xen owns the mask bits, so the guest sees a device without them).
constexpr Field kFlags = {PCI_MSI_FLAGS, 2,
                          {.ro = PCI_MSI_FLAGS_ENABLE | PCI_MSI_FLAGS_QMASK | PCI_MSI_FLAGS_QSIZE |
                                 PCI_MSI_FLAGS_64BIT,
                           .rsvdp = 0xfe00, .rsvdz = PCI_MSI_FLAGS_MASKBIT},
                          &kMsiFlagsOps, "PCI_MSI_FLAGS",
                          "XSA-129: enable via the op protocol; per-vector masking hidden"};
constexpr Masks kRo32 = {.ro = 0xffffffff};
constexpr Masks kHidden32 = {.rsvdz = 0xffffffff};
constexpr char kXsa129[] = "XSA-129: Xen programs address/data; the guest must not";

constexpr Field kMsi32[] = {
    kFlags,
    {PCI_MSI_ADDRESS_LO, 4, kRo32, nullptr, "PCI_MSI_ADDRESS_LO", kXsa129},
    {PCI_MSI_DATA_32, 2, {.ro = 0xffff}, nullptr, "PCI_MSI_DATA_32", kXsa129},
};
constexpr Field kMsi64[] = {
    kFlags,
    {PCI_MSI_ADDRESS_LO, 4, kRo32, nullptr, "PCI_MSI_ADDRESS_LO", kXsa129},
    {PCI_MSI_ADDRESS_HI, 4, kRo32, nullptr, "PCI_MSI_ADDRESS_HI", kXsa129},
    {PCI_MSI_DATA_64, 2, {.ro = 0xffff}, nullptr, "PCI_MSI_DATA_64", kXsa129},
};
constexpr Field kMsi32Mask[] = {
    kFlags,
    {PCI_MSI_ADDRESS_LO, 4, kRo32, nullptr, "PCI_MSI_ADDRESS_LO", kXsa129},
    {PCI_MSI_DATA_32, 2, {.ro = 0xffff}, nullptr, "PCI_MSI_DATA_32", kXsa129},
    {PCI_MSI_MASK_32, 4, kHidden32, nullptr, "PCI_MSI_MASK_32", "XSA-129: mask bits are Xen's"},
    {PCI_MSI_PENDING_32, 4, kHidden32, nullptr, "PCI_MSI_PENDING_32", "XSA-129: hidden with masking"},
};
constexpr Field kMsi64Mask[] = {
    kFlags,
    {PCI_MSI_ADDRESS_LO, 4, kRo32, nullptr, "PCI_MSI_ADDRESS_LO", kXsa129},
    {PCI_MSI_ADDRESS_HI, 4, kRo32, nullptr, "PCI_MSI_ADDRESS_HI", kXsa129},
    {PCI_MSI_DATA_64, 2, {.ro = 0xffff}, nullptr, "PCI_MSI_DATA_64", kXsa129},
    {PCI_MSI_MASK_64, 4, kHidden32, nullptr, "PCI_MSI_MASK_64", "XSA-129: mask bits are Xen's"},
    {PCI_MSI_PENDING_64, 4, kHidden32, nullptr, "PCI_MSI_PENDING_64", "XSA-129: hidden with masking"},
};
static_assert(table_ok(kMsi32) && table_ok(kMsi64) && table_ok(kMsi32Mask) && table_ok(kMsi64Mask));

constexpr FieldList kMsiVariants[] = {list_of(kMsi32), list_of(kMsi64), list_of(kMsi32Mask),
                                      list_of(kMsi64Mask)};

Result<uint32_t> msi_select(DeviceView& dev, uint16_t base) {
  PCISPLIT_TRY(flags, dev.hw_read(base + PCI_MSI_FLAGS, 2));
  return ((flags & PCI_MSI_FLAGS_64BIT) != 0 ? 1u : 0u) +
         ((flags & PCI_MSI_FLAGS_MASKBIT) != 0 ? 2u : 0u);
}

}  // namespace

constinit const CapTable kCapMsi = {PCI_CAP_ID_MSI, "MSI", kMsiVariants, 4, msi_select,
                                    "guests discover MSI here and enable it through XEN_PCI_OP_enable_msi"};

}  // namespace pcisplit
