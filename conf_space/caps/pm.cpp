// SPDX-License-Identifier: GPL-2.0-only
// Power Management capability (PCI Bus Power Management 1.2 §3.2).
#include "conf_space/tables.hpp"

namespace pcisplit {
namespace {

using namespace reg;

// D-state changes are effects: the platform's pci_set_power_state() knows the delays and restores
// the config the transition loses. PME status is RW1C; data select is harmless.
void pm_ctrl_write(WriteCtx& ctx, uint32_t value, uint32_t byte_mask) {
  if ((byte_mask & PCI_PM_CTRL_STATE_MASK) == 0) return;
  uint32_t hw;
  if (!hook_hw_read(ctx, hw)) return;
  const uint8_t want = value & PCI_PM_CTRL_STATE_MASK;
  if ((hw & PCI_PM_CTRL_STATE_MASK) != want) ctx.effect(EffectKind::set_power_state, want);
}

constinit const FieldOps kPmCtrlOps = {.write = pm_ctrl_write};

constexpr Field kPm[] = {
    {PCI_PM_PMC, 2, {.ro = 0xffff, .rsvdz = PCI_PM_CAP_PME_MASK}, nullptr, "PCI_PM_PMC",
     "§3.2.3 PME support hidden: wake-up stays with dom0 (as pciback)"},
    {PCI_PM_CTRL, 2,
     {.ro = PCI_PM_CTRL_NO_SOFT_RESET | PCI_PM_CTRL_PME_ENABLE | PCI_PM_CTRL_DATA_SCALE_MASK,
      .rw1c = PCI_PM_CTRL_PME_STATUS, .rsvdp = PCI_PM_CTRL_STATE_MASK | 0x00f4},
     &kPmCtrlOps, "PCI_PM_CTRL", "§3.2.4 power state is an effect; PME enable is dom0's; PME status RW1C"},
    {PCI_PM_PPB_EXTENSIONS, 1, {.ro = 0xff}, nullptr, "PCI_PM_PPB_EXTENSIONS", "§3.2.5"},
    {PCI_PM_DATA_REGISTER, 1, {.ro = 0xff}, nullptr, "PCI_PM_DATA_REGISTER", "§3.2.6"},
};
static_assert(table_ok(kPm));

constexpr FieldList kPmVariants[] = {list_of(kPm)};

}  // namespace

constinit const CapTable kCapPm = {PCI_CAP_ID_PM, "Power Management", kPmVariants, 1, nullptr,
                                   "drivers move the device between D0 and D3"};

}  // namespace pcisplit
