// SPDX-License-Identifier: GPL-2.0-only
// Power Management: PME support hidden, D-state changes as effects, PME status RW1C.
//
//  cap+0 +------+------+-------------+   cap+4 +-------------+------+------+
//        |  ID  | NEXT | PMC (ro,    |         | PM_CTRL     | BSE  | DATA |
//        |      |      | PME hidden) |         | (hook)      | (ro) | (ro) |
#include "support/fake_device.hpp"

using namespace pcisplit;
using namespace pcisplit::test;
using namespace pcisplit::reg;

TEST_CASE("PMC: PME support bits read as 0, the rest as hardware", "[caps][pm]") {
  auto d = load_device("nvme.lspci");  // PM at 0x60
  const uint32_t hw = d->hw.peek(0x62, 2);
  d->hw.poke(0x62, 2, hw | PCI_PM_CAP_PME_MASK);
  CHECK(d->rd(0x62, 2) == (hw & ~PCI_PM_CAP_PME_MASK));
}

TEST_CASE("PM_CTRL: a D-state change is an effect, hardware state bits untouched", "[caps][pm]") {
  auto d = DeviceBuilder().cap(0x40, PCI_CAP_ID_PM, {0x03, 0x00, 0x00, 0x00}).build();
  const WriteResult w = d->wr(0x44, 2, 3);
  REQUIRE(w.effects.count == 1);
  CHECK(w.effects.items[0].kind == EffectKind::set_power_state);
  CHECK(w.effects.items[0].arg == 3);
  CHECK((d->hw.peek(0x44, 2) & PCI_PM_CTRL_STATE_MASK) == 0);
  CHECK(d->wr(0x44, 2, 0).effects.count == 0);  // already D0
}

TEST_CASE("PM_CTRL: PME status is RW1C, PME enable is dom0's, data select is writable", "[caps][pm]") {
  auto d = DeviceBuilder().cap(0x40, PCI_CAP_ID_PM, {0x03, 0x00}).poke(0x44, 2, PCI_PM_CTRL_PME_STATUS).build();
  d->wr(0x44, 2, PCI_PM_CTRL_PME_STATUS | PCI_PM_CTRL_PME_ENABLE | 0x0200);
  REQUIRE(d->hw.log.size() == 1);
  CHECK(d->hw.log[0] == HwWrite{0x44, 2, PCI_PM_CTRL_PME_STATUS | 0x0200});
  CHECK(d->view.denials(0x44) == 1);  // the PME enable attempt
}
