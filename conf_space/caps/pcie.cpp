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

// Device control: error-reporting enables, relaxed ordering, extended tags, no-snoop and max read
// request are the function's own business. Max payload must match the fabric (dom0 sets it), phantom
// functions would let the device use requester IDs the IOMMU context may not cover (XSA-449 class),
// aux power is platform policy, and bit 15 is Initiate FLR, which only the platform may do.
constexpr uint16_t kDevctlRo = PCI_EXP_DEVCTL_PAYLOAD | PCI_EXP_DEVCTL_PHANTOM | PCI_EXP_DEVCTL_AUX_PME |
                               PCI_EXP_DEVCTL_BCR_FLR;

constexpr Field kExp[] = {
    {PCI_EXP_FLAGS, 2, {.ro = 0xffff}, nullptr, "PCI_EXP_FLAGS", "§7.5.3.2"},
    {PCI_EXP_DEVCAP, 4, {.ro = 0xffffffff}, nullptr, "PCI_EXP_DEVCAP", "§7.5.3.3"},
    {PCI_EXP_DEVCTL, 2, {.ro = kDevctlRo}, nullptr, "PCI_EXP_DEVCTL",
     "§7.5.3.4 safe bits only: no MPS, phantom functions, aux power or FLR initiate"},
    {PCI_EXP_DEVSTA, 2, {.ro = 0xffff & ~PCI_EXP_DEVSTA_RW1C, .rw1c = PCI_EXP_DEVSTA_RW1C}, nullptr,
     "PCI_EXP_DEVSTA", "§7.5.3.5 error-detected bits RW1C"},
};
static_assert(table_ok(kExp));

constexpr FieldList kExpVariants[] = {list_of(kExp)};

}  // namespace

constinit const CapTable kCapExp = {PCI_CAP_ID_EXP, "PCI Express", kExpVariants, 1, nullptr,
                                    "drivers read link and device capabilities"};

}  // namespace pcisplit
