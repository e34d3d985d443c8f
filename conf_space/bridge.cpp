// SPDX-License-Identifier: GPL-2.0-only
// The type-1 (PCI-to-PCI bridge) header table: read-only exposure, error status bits RW1C.
//
// Bridges are never exportable in vpci mode (the virtual bus is flat: there is nothing to put behind a
// bridge) and the backend refuses them there. In passthrough mode a guest may see one, read-only:
// bus numbers, windows and bridge control stay dom0's, since changing them moves other devices.
#include "conf_space/tables.hpp"

namespace pcisplit {
namespace {

using namespace reg;

constexpr Masks kRo8 = {.ro = 0xff};
constexpr Masks kRo16 = {.ro = 0xffff};
constexpr Masks kRo32 = {.ro = 0xffffffff};
// PCI-to-PCI Bridge 1.2 §3.2.5.7: secondary status has the same RW1C error bits as status.
constexpr Masks kStatus = {.ro = 0xffff & ~(PCI_STATUS_RW1C | PCI_STATUS_CAP_LIST), .rw1c = PCI_STATUS_RW1C,
                           .rsvdp = PCI_STATUS_CAP_LIST, .emu = PCI_STATUS_CAP_LIST};
constexpr Masks kSecStatus = {.ro = 0xffff & ~PCI_STATUS_RW1C, .rw1c = PCI_STATUS_RW1C};

constexpr Field kType1[] = {
    {PCI_VENDOR_ID, 2, kRo16, nullptr, "PCI_VENDOR_ID", "§6.2.1"},
    {PCI_DEVICE_ID, 2, kRo16, nullptr, "PCI_DEVICE_ID", "§6.2.1"},
    {PCI_COMMAND, 2, kRo16, nullptr, "PCI_COMMAND", "bridge forwarding is dom0's"},
    {PCI_STATUS, 2, kStatus, nullptr, "PCI_STATUS", "P2P Bridge 1.2 §3.2.4.2 error bits RW1C"},
    {PCI_CLASS_REVISION, 4, kRo32, nullptr, "PCI_CLASS_REVISION", "§6.2.1"},
    {PCI_CACHE_LINE_SIZE, 1, kRo8, nullptr, "PCI_CACHE_LINE_SIZE", "dom0's"},
    {PCI_LATENCY_TIMER, 1, kRo8, nullptr, "PCI_LATENCY_TIMER", "dom0's"},
    {PCI_HEADER_TYPE, 1, kRo8, nullptr, "PCI_HEADER_TYPE", "§6.2.1"},
    {PCI_BIST, 1, kRo8, nullptr, "PCI_BIST", "dom0's"},
    {0x10, 4, kRo32, nullptr, "PCI_BASE_ADDRESS_0", "bridge BARs stay where dom0 put them"},
    {0x14, 4, kRo32, nullptr, "PCI_BASE_ADDRESS_1", "bridge BARs stay where dom0 put them"},
    {PCI_PRIMARY_BUS, 4, kRo32, nullptr, "PCI_PRIMARY_BUS", "bus numbers + secondary latency: topology"},
    {0x1c, 2, kRo16, nullptr, "PCI_IO_BASE", "forwarding window"},
    {PCI_SEC_STATUS, 2, kSecStatus, nullptr, "PCI_SEC_STATUS", "P2P Bridge 1.2 §3.2.5.7 error bits RW1C"},
    {0x20, 4, kRo32, nullptr, "PCI_MEMORY_BASE", "forwarding window"},
    {0x24, 4, kRo32, nullptr, "PCI_PREF_MEMORY_BASE", "forwarding window"},
    {0x28, 4, kRo32, nullptr, "PCI_PREF_BASE_UPPER32", "forwarding window"},
    {0x2c, 4, kRo32, nullptr, "PCI_PREF_LIMIT_UPPER32", "forwarding window"},
    {0x30, 4, kRo32, nullptr, "PCI_IO_BASE_UPPER16", "forwarding window"},
    {PCI_CAPABILITY_LIST, 1, {.ro = 0xff, .emu = 0xff}, nullptr, "PCI_CAPABILITY_LIST", "§6.7"},
    {PCI_ROM_ADDRESS1, 4, kRo32, nullptr, "PCI_ROM_ADDRESS1", "dom0's"},
    {PCI_INTERRUPT_LINE, 1, kRo8, nullptr, "PCI_INTERRUPT_LINE", "dom0's"},
    {PCI_INTERRUPT_PIN, 1, kRo8, nullptr, "PCI_INTERRUPT_PIN", "§6.2.4"},
    {PCI_BRIDGE_CONTROL, 2, kRo16, nullptr, "PCI_BRIDGE_CONTROL", "secondary reset/forwarding: dom0's"},
};
static_assert(table_ok(kType1));

}  // namespace

Err add_header_type1(DeviceView& dev, Text& diag) {
  return dev.add_fields(kType1, sizeof(kType1) / sizeof(kType1[0]), 0, diag);
}

}  // namespace pcisplit
