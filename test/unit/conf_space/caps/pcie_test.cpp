// SPDX-License-Identifier: GPL-2.0-only
// PCI Express capability: device control's safe set, reporting emulated, MRRS an effect, FLR initiate
// denied, status RW1C, link untouched.
#include "support/fake_device.hpp"

using namespace pcisplit;
using namespace pcisplit::test;
using namespace pcisplit::reg;

TEST_CASE("L3 DEVCTL: relaxed ordering and ext tag to hardware, reporting enables emulated, MRRS an effect",
          "[caps][pcie]") {
  //  DEVCTL (e1000e: PCIe at 0xe0, DEVCTL at 0xe8)
  //  15 FLR | 14:12 MRRS (effect) | 11 no-snoop (ro) | 10 aux | 9 phantom | 8 ext tag | 7:5 MPS | 4 relax |
  //  3:0 UR/fatal/non-fatal/correctable reporting (emulated)
  auto d = load_device("e1000e.lspci");
  const uint16_t reporting = PCI_EXP_DEVCTL_CERE | PCI_EXP_DEVCTL_NFERE | PCI_EXP_DEVCTL_FERE | PCI_EXP_DEVCTL_URRE;
  const uint32_t before = d->hw.peek(0xe8, 2);
  const uint16_t direct = PCI_EXP_DEVCTL_RELAX_EN | PCI_EXP_DEVCTL_EXT_TAG;
  const uint32_t guest = (before & ~(reporting | direct | PCI_EXP_DEVCTL_READRQ)) | (~before & reporting) | direct |
                         (5u << 12);
  const WriteResult w = d->wr(0xe8, 2, guest);
  CHECK(w.err == Err::success);
  CHECK((d->hw.peek(0xe8, 2) & reporting) == (before & reporting));  // hardware keeps dom0's reporting
  CHECK((d->hw.peek(0xe8, 2) & direct) == direct);
  CHECK((d->hw.peek(0xe8, 2) & PCI_EXP_DEVCTL_READRQ) == (before & PCI_EXP_DEVCTL_READRQ));
  CHECK((d->rd(0xe8, 2) & reporting) == (~before & reporting));  // the guest reads what it wrote
  REQUIRE(w.effects.count == 1);
  CHECK(w.effects.items[0].kind == EffectKind::set_readrq);
  CHECK(w.effects.items[0].arg == 5);
  CHECK(d->view.denials(0xe8) == 0);
  // Reserved MRRS encodings are refused; a 1-byte write of the low byte asks for no MRRS change.
  CHECK(d->wr(0xe8, 2, (guest & ~PCI_EXP_DEVCTL_READRQ) | (7u << 12)).effects.count == 0);
  CHECK(d->wr(0xe8, 1, guest & 0xff).effects.count == 0);
}

TEST_CASE("L3 DEVCTL: no-snoop enable is dom0's (XSA-402)", "[caps][pcie]") {
  auto d = load_device("e1000e.lspci");
  const uint32_t before = d->hw.peek(0xe8, 2);
  d->wr(0xe8, 2, before ^ PCI_EXP_DEVCTL_NOSNOOP_EN);
  CHECK(d->hw.peek(0xe8, 2) == before);
  CHECK(d->view.denials(0xe8) == 1);
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
