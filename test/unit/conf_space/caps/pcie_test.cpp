// SPDX-License-Identifier: GPL-2.0-only
// PCI Express capability: device control's safe set, FLR initiate denied, status RW1C, link untouched.
#include "support/fake_device.hpp"

using namespace pcisplit;
using namespace pcisplit::test;
using namespace pcisplit::reg;

TEST_CASE("DEVCTL: error reporting, relaxed ordering, ext tag, no-snoop and MRRS are writable", "[caps][pcie]") {
  auto d = load_device("e1000e.lspci");  // PCIe at 0xe0
  const uint16_t safe = PCI_EXP_DEVCTL_CERE | PCI_EXP_DEVCTL_NFERE | PCI_EXP_DEVCTL_FERE |
                        PCI_EXP_DEVCTL_URRE | PCI_EXP_DEVCTL_RELAX_EN | PCI_EXP_DEVCTL_EXT_TAG |
                        PCI_EXP_DEVCTL_NOSNOOP_EN | PCI_EXP_DEVCTL_READRQ;
  const uint32_t before = d->hw.peek(0xe8, 2);
  d->wr(0xe8, 2, safe);
  CHECK(d->hw.peek(0xe8, 2) == ((before & ~safe) | safe));
  CHECK(d->view.denials(0xe8) == 0);
}

TEST_CASE("DEVCTL: FLR initiate, max payload, phantom functions and aux power are denied", "[caps][pcie]") {
  auto d = load_device("e1000e.lspci");
  const uint32_t before = d->hw.peek(0xe8, 2);
  for (uint16_t bit : {PCI_EXP_DEVCTL_BCR_FLR, PCI_EXP_DEVCTL_PAYLOAD, PCI_EXP_DEVCTL_PHANTOM,
                       PCI_EXP_DEVCTL_AUX_PME}) {
    d->wr(0xe8, 2, before | bit);
    CHECK(d->hw.peek(0xe8, 2) == before);
  }
  CHECK(d->view.denials(0xe8) == 4);
}

TEST_CASE("DEVSTA error bits are RW1C, link control is not the guest's", "[caps][pcie]") {
  auto d = load_device("e1000e.lspci");
  d->hw.poke(0xea, 2, 0x0005);
  d->wr(0xea, 2, 0x0001);
  CHECK(d->hw.log.back() == HwWrite{0xea, 2, 0x0001});
  d->hw.log.clear();
  d->wr(0xf0, 2, 0x0010);  // LNKCTL: link disable
  CHECK(d->hw.log.empty());
  CHECK(d->view.denials(0xf0) == 1);
}
