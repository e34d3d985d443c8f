// SPDX-License-Identifier: GPL-2.0-only
// MSI-X capability (PCI Local Bus 3.0 §6.8.2): read-only; enabling goes through the op protocol.
#include "conf_space/interrupts.hpp"
#include "conf_space/tables.hpp"

namespace pcisplit {
namespace {

using namespace reg;

constexpr uint16_t kControl = PCI_MSIX_FLAGS_ENABLE | PCI_MSIX_FLAGS_MASKALL;

// Enable and function-mask change only with allow_interrupt_control, and enabling only while MSI is
// off (INTx may still be on: interrupts.hpp); otherwise the write is refused whole (XSA-157 class: no half-set interrupt state).
void msix_flags_write(WriteCtx& ctx, uint32_t value, uint32_t byte_mask) {
  if ((byte_mask & kControl) == 0) return;
  uint32_t hw;
  if (!hook_hw_read(ctx, hw)) return;
  if (((hw ^ value) & kControl & byte_mask) == 0) return;
  const bool enabling = (value & PCI_MSIX_FLAGS_ENABLE) != 0 && (hw & PCI_MSIX_FLAGS_ENABLE) == 0;
  const Result<bool> allowed = guest_may_switch(ctx.dev, IrqType::msix, enabling);
  if (!allowed.ok()) {
    ctx.err = allowed.err();
    return;
  }
  if (!allowed.value()) {
    ctx.denied = true;
    ctx.err = Err::access_denied;
    return;
  }
  ctx.masks.ro &= ~uint32_t{kControl};
}

constinit const FieldOps kMsixFlagsOps = {.write = msix_flags_write};

constexpr Field kMsix[] = {
    {PCI_MSIX_FLAGS, 2, {.ro = PCI_MSIX_FLAGS_QSIZE | kControl, .rsvdp = 0x3800}, &kMsixFlagsOps,
     "PCI_MSIX_FLAGS", "enable/mask-all via XEN_PCI_OP_enable_msix only (CVE-2015-8553, XSA-157)"},
    {PCI_MSIX_TABLE, 4, {.ro = 0xffffffff}, nullptr, "PCI_MSIX_TABLE", "§6.8.2.4 table location"},
    {PCI_MSIX_PBA, 4, {.ro = 0xffffffff}, nullptr, "PCI_MSIX_PBA", "§6.8.2.5 PBA location"},
};
static_assert(table_ok(kMsix));

constexpr FieldList kMsixVariants[] = {list_of(kMsix)};

}  // namespace

constinit const CapTable kCapMsix = {PCI_CAP_ID_MSIX, "MSI-X", kMsixVariants, 1, nullptr,
                                     "guests discover MSI-X here and enable it through the op protocol"};

}  // namespace pcisplit
