// SPDX-License-Identifier: GPL-2.0-only
// Vital Product Data capability (PCI Local Bus 3.0 §6.4 / Appendix I): reads only.
#include "conf_space/tables.hpp"

namespace pcisplit {
namespace {

using namespace reg;

// Writing the address with F set starts a VPD *write* into the device's EEPROM, which persists beyond
// the guest's lifetime: refused. With F clear it starts a read, which is harmless. `value` is the
// merged register: hardware sets F when a read completes, so a 1-byte write of the low address byte
// would write F back as 1 and start a write (H1); it is judged, and refused, as such.
void vpd_addr_write(WriteCtx& ctx, uint32_t value, uint32_t) {
  if ((value & PCI_VPD_ADDR_F) != 0) {
    ctx.denied = true;
    ctx.err = Err::access_denied;
  }
}

constinit const FieldOps kVpdAddrOps = {.write = vpd_addr_write};

constexpr Field kVpd[] = {
    {PCI_VPD_ADDR, 2, {}, &kVpdAddrOps, "PCI_VPD_ADDR", "§6.4 read requests only (F bit clear)"},
    {PCI_VPD_DATA, 4, {.ro = 0xffffffff}, nullptr, "PCI_VPD_DATA", "§6.4 data of a read request"},
};
static_assert(table_ok(kVpd));

constexpr FieldList kVpdVariants[] = {list_of(kVpd)};

}  // namespace

constinit const CapTable kCapVpd = {PCI_CAP_ID_VPD, "VPD", kVpdVariants, 1, nullptr,
                                    "drivers read serial numbers and board data"};

}  // namespace pcisplit
