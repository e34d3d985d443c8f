// SPDX-License-Identifier: GPL-2.0-only
// Vendor-specific capability (PCI Local Bus 3.0 §6.7): exposed read-only.
//
// Only the header is claimed; the body is unclaimed, so reads come from hardware and writes are denied
// unless the device is permissive or a quirk opens a register (XSA-124: vendor registers may be backdoors).
#include "conf_space/tables.hpp"

namespace pcisplit {
namespace {

constexpr FieldList kVndrVariants[] = {{nullptr, 0}};

}  // namespace

constinit const CapTable kCapVndr = {reg::PCI_CAP_ID_VNDR, "Vendor Specific", kVndrVariants, 1, nullptr,
                                     "drivers (virtio, for one) find their register windows here"};

}  // namespace pcisplit
