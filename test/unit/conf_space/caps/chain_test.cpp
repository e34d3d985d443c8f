// SPDX-License-Identifier: GPL-2.0-only
// The capability chain: defensive walk, exposed/hidden split, NEXT rewriting.
#include "conf_space/tables.hpp"
#include "support/fake_device.hpp"

using namespace pcisplit;
using namespace pcisplit::test;
using namespace pcisplit::reg;

namespace {

// Walks the chain the way a guest does, through the view (bounded, so a bug cannot hang the test).
std::vector<std::pair<uint8_t, uint8_t>> guest_chain(TestDevice& d) {
  std::vector<std::pair<uint8_t, uint8_t>> caps;
  if ((d.rd(PCI_STATUS, 2) & PCI_STATUS_CAP_LIST) == 0) return caps;
  uint32_t ptr = d.rd(PCI_CAPABILITY_LIST, 1) & 0xfc;
  while (ptr != 0 && caps.size() < 64) {
    caps.emplace_back(static_cast<uint8_t>(ptr), static_cast<uint8_t>(d.rd(ptr, 1)));
    ptr = d.rd(ptr + 1, 1) & 0xfc;
  }
  return caps;
}

std::string build_error(std::unique_ptr<TestDevice> d) {
  Text diag;
  if (d->try_build(diag) == Err::success) return "built";
  return diag.c_str();
}

}  // namespace

TEST_CASE("every recorded device: the guest's chain is exactly the exposed capabilities, in order", "[caps]") {
  for (const std::string& name : all_dumps()) {
    auto d = load_device(name);
    INFO(name);
    std::vector<std::pair<uint8_t, uint8_t>> expected;
    for (uint8_t i = 0; i < d->view.cap_count(); ++i) {
      const CapInfo& c = d->view.cap(i);
      if (c.exposed) expected.emplace_back(c.offset, c.id);
      CHECK(c.exposed == (find_cap_table(c.id) != nullptr));
    }
    CHECK(guest_chain(*d) == expected);
  }
}

TEST_CASE("hidden capabilities are unlinked: AHCI's SATA, the root port's subsystem-ID capability", "[caps]") {
  auto ahci = load_device("ich9-ahci.lspci");
  CHECK(ahci->hw.peek(0x81, 1) == 0xa8);  // hardware: MSI -> SATA
  CHECK(guest_chain(*ahci) == std::vector<std::pair<uint8_t, uint8_t>>{{0x80, PCI_CAP_ID_MSI}});
  CHECK(ahci->rd(0x81, 1) == 0);

  auto port = load_device("pcie-root-port.lspci");
  for (const auto& [off, id] : guest_chain(*port)) CHECK(id != 0x0d);
  CHECK(guest_chain(*port).size() == 2);
}

TEST_CASE("NEXT pointers and the capability pointer cannot be written", "[caps]") {
  auto d = load_device("nvme.lspci");
  const auto chain = guest_chain(*d);
  d->wr(PCI_CAPABILITY_LIST, 1, 0x80);
  d->wr(0x40, 2, 0x0011);
  CHECK(guest_chain(*d) == chain);
  CHECK(d->hw.log.empty());
  CHECK(d->view.denials(PCI_CAPABILITY_LIST) == 1);
  CHECK(d->view.denials(0x40) == 1);
}

TEST_CASE("a looping chain is an error, not a hang", "[caps]") {
  auto d = DeviceBuilder().cap(0x40, PCI_CAP_ID_PM, {0x03, 0x00}).cap(0x50, PCI_CAP_ID_MSI).poke(0x51, 1, 0x40).raw();
  CHECK(build_error(std::move(d)) == "capability chain: loop back at 0x40");
  auto self = DeviceBuilder().cap(0x40, 0x12).poke(0x41, 1, 0x40).raw();
  CHECK(build_error(std::move(self)) == "capability chain: loop back at 0x40");
}

TEST_CASE("chain pointers into the header are errors, the reserved low bits are ignored", "[caps]") {
  auto d = DeviceBuilder().cap(0x40, 0x12).poke(0x41, 1, 0x3c).raw();
  CHECK(build_error(std::move(d)) == "capability chain: pointer into the header at 0x3c");
  auto low = DeviceBuilder().status(PCI_STATUS_CAP_LIST).poke(PCI_CAPABILITY_LIST, 1, 0x43).poke(0x40, 1, 0x12).build();
  CHECK(low->view.cap_count() == 1);
  CHECK(low->view.cap(0).offset == 0x40);
}

TEST_CASE("a capability whose registers run past 0xff is refused", "[caps]") {
  // 64-bit MSI with per-vector masking needs 0x18 bytes: at 0xf0 it would reach 0x108.
  auto d = DeviceBuilder().cap(0xf0, PCI_CAP_ID_MSI, {0x80, 0x01}).raw();
  CHECK(build_error(std::move(d)) == "capability MSI at 0xf0 runs past the end of the 256-byte space");
}

TEST_CASE("overlapping capabilities from a hostile device are refused", "[caps]") {
  auto d = DeviceBuilder().cap(0x40, PCI_CAP_ID_PM, {0x03, 0x00}).cap(0x44, PCI_CAP_ID_MSI).raw();
  CHECK(build_error(std::move(d)) ==
        "field PCI_CAP_LIST_ID/NEXT at 0x044 overlaps PCI_PM_CTRL at 0x044");
}

TEST_CASE("without the status CAP_LIST bit the pointer is not followed", "[caps]") {
  auto d = DeviceBuilder().poke(PCI_CAPABILITY_LIST, 1, 0x40).poke(0x40, 1, PCI_CAP_ID_MSI).build();
  CHECK(d->view.cap_count() == 0);
  CHECK(d->rd(PCI_CAPABILITY_LIST, 1) == 0);
}
