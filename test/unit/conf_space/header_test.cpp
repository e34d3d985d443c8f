// SPDX-License-Identifier: GPL-2.0-only
// Type-0 and type-1 header tables.
//
//  0x00 +-----------+-----------+   0x04 +-----------+-----------+
//       | vendor ro | device ro |        | command * | status    |
//       +-----------+-----------+        +-----------+-----------+
//  * command: IO/MEM emulated (effects), MASTER an effect, GUEST bits direct, the rest read-only
#include "support/fake_device.hpp"

using namespace pcisplit;
using namespace pcisplit::test;
using namespace pcisplit::reg;

TEST_CASE("identification registers are read-only", "[header]") {
  auto d = load_device("e1000e.lspci");
  d->wr(0x00, 4, 0);
  d->wr(0x08, 4, 0);
  d->wr(0x2c, 4, 0);
  CHECK(d->rd(0x00, 4) == 0x10d38086);
  CHECK(d->hw.log.empty());
  CHECK(d->view.denials(0x00) == 1);
  CHECK(d->view.denials(0x08) == 1);
  CHECK(d->view.denials(0x2c) == 1);
}

TEST_CASE("XSA-120: the guest cannot turn decoding off in hardware, decode changes are effects", "[header][xsa]") {
  auto d = DeviceBuilder().command(PCI_COMMAND_MEMORY | PCI_COMMAND_IO).build();
  const WriteResult off = d->wr(PCI_COMMAND, 2, 0);
  CHECK(off.err == Err::success);
  CHECK(has_effect(off, EffectKind::disable_device));
  CHECK(d->hw.peek(PCI_COMMAND, 2) == (PCI_COMMAND_MEMORY | PCI_COMMAND_IO));  // hardware still decodes
  CHECK(d->rd(PCI_COMMAND, 2) == 0);  // the guest sees what it wrote

  const WriteResult on = d->wr(PCI_COMMAND, 2, PCI_COMMAND_MEMORY);
  CHECK(has_effect(on, EffectKind::enable_device));
  CHECK(d->rd(PCI_COMMAND, 2) == PCI_COMMAND_MEMORY);
  const WriteResult again = d->wr(PCI_COMMAND, 2, PCI_COMMAND_MEMORY | PCI_COMMAND_IO);
  CHECK(again.effects.count == 0);  // already decoding: nothing to do
}

TEST_CASE("XSA-120: bus mastering is an effect, GUEST bits go to hardware, the rest is denied", "[header][xsa]") {
  auto d = DeviceBuilder().command(PCI_COMMAND_MEMORY).build();
  const WriteResult m = d->wr(PCI_COMMAND, 2, PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER);
  CHECK(has_effect(m, EffectKind::set_master));
  CHECK((d->hw.peek(PCI_COMMAND, 2) & PCI_COMMAND_MASTER) == 0);  // the platform does it, not the engine

  d->hw.log.clear();
  const uint16_t guest = PCI_COMMAND_SPECIAL | PCI_COMMAND_INVALIDATE | PCI_COMMAND_VGA_PALETTE |
                         PCI_COMMAND_WAIT | PCI_COMMAND_FAST_BACK;
  d->wr(PCI_COMMAND, 2, PCI_COMMAND_MEMORY | guest | PCI_COMMAND_SERR | PCI_COMMAND_PARITY |
                            PCI_COMMAND_INTX_DISABLE | 0xf800);
  CHECK(d->hw.peek(PCI_COMMAND, 2) == (PCI_COMMAND_MEMORY | guest));
  CHECK(d->view.denials(PCI_COMMAND) == 1);

  d->hw.poke(PCI_COMMAND, 2, PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER);
  const WriteResult c = d->wr(PCI_COMMAND, 2, PCI_COMMAND_MEMORY);
  CHECK(has_effect(c, EffectKind::clear_master));
}

TEST_CASE("permissive adds SERR and PARITY, allow_interrupt_control adds INTx disable", "[header]") {
  auto p = DeviceBuilder().command(PCI_COMMAND_MEMORY).permissive().build();
  p->wr(PCI_COMMAND, 2, PCI_COMMAND_MEMORY | PCI_COMMAND_SERR | PCI_COMMAND_PARITY);
  CHECK(p->hw.peek(PCI_COMMAND, 2) == (PCI_COMMAND_MEMORY | PCI_COMMAND_SERR | PCI_COMMAND_PARITY));

  auto a = DeviceBuilder().command(PCI_COMMAND_MEMORY).pin(1).allow_interrupt_control().build();
  a->wr(PCI_COMMAND, 2, PCI_COMMAND_MEMORY | PCI_COMMAND_INTX_DISABLE);
  CHECK(a->hw.peek(PCI_COMMAND, 2) == (PCI_COMMAND_MEMORY | PCI_COMMAND_INTX_DISABLE));
  a->wr(PCI_COMMAND, 2, PCI_COMMAND_MEMORY);
  CHECK(a->hw.peek(PCI_COMMAND, 2) == PCI_COMMAND_MEMORY);
}

TEST_CASE("allow_interrupt_control: INTx stays disabled while MSI is on", "[header]") {
  auto d = DeviceBuilder()
               .command(PCI_COMMAND_MEMORY | PCI_COMMAND_INTX_DISABLE)
               .pin(1)
               .cap(0x50, PCI_CAP_ID_MSI, {0x01, 0x00})  // MSI enabled, 32-bit
               .allow_interrupt_control()
               .build();
  d->wr(PCI_COMMAND, 2, PCI_COMMAND_MEMORY);
  CHECK((d->hw.peek(PCI_COMMAND, 2) & PCI_COMMAND_INTX_DISABLE) != 0);
  CHECK(d->view.denials(PCI_COMMAND) == 1);
}

TEST_CASE("status: error bits are RW1C, the rest read-only, CAP_LIST follows the guest's chain", "[header]") {
  auto d = DeviceBuilder().status(0xf900 | PCI_STATUS_INTERRUPT).build();
  CHECK(d->rd(PCI_STATUS, 2) == (0xf900 | PCI_STATUS_INTERRUPT));  // no capabilities: CAP_LIST clear
  d->wr(PCI_STATUS, 2, PCI_STATUS_REC_MASTER_ABORT | PCI_STATUS_INTERRUPT);
  REQUIRE(d->hw.log.size() == 1);
  CHECK((d->hw.log[0].value & PCI_STATUS_RW1C) == PCI_STATUS_REC_MASTER_ABORT);  // only the 1 written
  CHECK(d->view.denials(PCI_STATUS) == 0);  // writing the interrupt bit's current value is no attempt

  auto hidden_only = DeviceBuilder().cap(0x40, 0x12, {0x10, 0x00}).build();  // SATA: hidden
  CHECK((hidden_only->hw.peek(PCI_STATUS, 2) & PCI_STATUS_CAP_LIST) != 0);
  CHECK((hidden_only->rd(PCI_STATUS, 2) & PCI_STATUS_CAP_LIST) == 0);
  CHECK(hidden_only->rd(PCI_CAPABILITY_LIST, 1) == 0);
}

TEST_CASE("cache line is plain read/write, latency and header type are read-only, BIST start only", "[header]") {
  auto d = DeviceBuilder().poke(PCI_BIST, 1, 0x80).build();
  d->wr(PCI_CACHE_LINE_SIZE, 1, 0x10);
  CHECK(d->hw.peek(PCI_CACHE_LINE_SIZE, 1) == 0x10);
  d->wr(PCI_LATENCY_TIMER, 1, 0x40);
  d->wr(PCI_HEADER_TYPE, 1, 0x80);
  CHECK(d->hw.peek(PCI_LATENCY_TIMER, 1) == 0);
  CHECK(d->hw.peek(PCI_HEADER_TYPE, 1) == 0);
  d->wr(PCI_BIST, 1, 0xff);
  CHECK(d->hw.peek(PCI_BIST, 1) == 0xc0);
}

TEST_CASE("interrupt line shows dom0's IRQ when known, the register otherwise, never written", "[header]") {
  auto routed = DeviceBuilder().poke(PCI_INTERRUPT_LINE, 1, 0x0a).raw();
  routed->info.irq = 20;  // dom0 routed INTx to GSI 20: that is what a PV guest must bind
  routed->build();
  CHECK(routed->rd(PCI_INTERRUPT_LINE, 1) == 20);
  auto d = load_device("e1000e.lspci");
  CHECK(d->rd(PCI_INTERRUPT_LINE, 1) == 0x0a);  // no irq in this dump: the firmware's value
  d->wr(PCI_INTERRUPT_LINE, 1, 0x0b);
  CHECK(d->rd(PCI_INTERRUPT_LINE, 1) == 0x0b);
  CHECK(d->hw.peek(PCI_INTERRUPT_LINE, 1) == 0x0a);
  d->wr(PCI_INTERRUPT_PIN, 1, 0x04);
  CHECK(d->rd(PCI_INTERRUPT_PIN, 1) == 0x01);
}

TEST_CASE("type-1 header: read-only except RW1C status bits", "[header][bridge]") {
  auto d = load_device("pcie-root-port.lspci");
  const std::vector<uint8_t> before(d->hw.bytes(), d->hw.bytes() + 0x40);
  for (uint32_t off = 0; off < 0x40; off += 4) d->wr(off, 4, 0x00ff00ff);
  for (uint32_t off = 0; off < 0x40; ++off) {
    if (off == PCI_STATUS + 1 || off == PCI_SEC_STATUS + 1) continue;  // RW1C bytes may clear
    INFO("offset " << off);
    CHECK(d->hw.bytes()[off] == before[off]);
  }
  d->hw.poke(PCI_SEC_STATUS, 2, 0x2000);  // received master abort
  d->wr(PCI_SEC_STATUS, 2, 0x2000);
  CHECK(d->hw.log.back() == HwWrite{PCI_SEC_STATUS, 2, 0x2000});
  CHECK(d->rd(0x18, 4) == d->hw.peek(0x18, 4));  // bus numbers visible as they are
}

TEST_CASE("L4: a bridge's capabilities are read-only: no D3hot, no PCIe control, no MSI enable, no effect",
          "[header][bridge]") {
  auto d = load_device("pcie-root-port.lspci");
  d->policy.allow_interrupt_control = true;
  d->view.set_policy(d->policy);
  REQUIRE(d->view.cap_count() > 0);
  for (uint8_t i = 0; i < d->view.cap_count(); ++i) {
    const CapInfo& c = d->view.cap(i);
    if (!c.exposed) continue;
    INFO("capability 0x" << std::hex << int(c.id) << " at 0x" << int(c.offset));
    for (uint32_t off = c.offset; off < c.offset + 0x10u && off < 0x100; off += 2) {
      const uint32_t before = d->hw.peek(static_cast<uint16_t>(off), 2);
      INFO("offset 0x" << std::hex << off);
      const WriteResult w = d->wr(off, 2, ~before & 0x7fff);  // flip everything but a high RW1C-ish bit
      CHECK(w.effects.count == 0);
      const uint32_t after = d->hw.peek(static_cast<uint16_t>(off), 2);
      const FieldEntry* f = d->view.field_at(static_cast<uint16_t>(off));
      const uint32_t rw1c = f != nullptr && f->offset == off ? f->field->masks.rw1c & 0xffff : 0;
      CHECK(((after | before) & ~rw1c) == (before & ~rw1c));  // nothing but RW1C bits written
    }
  }
  // A hand-made bridge with PM and MSI: D3hot and MSI enable are refused.
  auto b = DeviceBuilder().header_type(1).cap(0x40, PCI_CAP_ID_PM, {0x03, 0x00, 0x00, 0x00})
               .cap(0x50, PCI_CAP_ID_MSI, {0x00, 0x00}).allow_interrupt_control().build();
  const WriteResult w = b->wr(0x40 + PCI_PM_CTRL, 2, 3);  // D3hot
  CHECK(w.effects.count == 0);
  CHECK((b->hw.peek(0x40 + PCI_PM_CTRL, 2) & 3) == 0);
  b->wr(0x50 + PCI_MSI_FLAGS, 2, PCI_MSI_FLAGS_ENABLE);
  CHECK((b->hw.peek(0x50 + PCI_MSI_FLAGS, 2) & PCI_MSI_FLAGS_ENABLE) == 0);
  CHECK(b->view.total_denials() == 2);
}

TEST_CASE("L4: a bridge is never permissive: link control and extended space stay denied", "[header][bridge]") {
  auto d = load_device("pcie-root-port.lspci");
  d->policy.permissive = true;
  d->view.set_policy(d->policy);
  const uint8_t exp = d->view.cap_offset(PCI_CAP_ID_EXP);
  REQUIRE(exp != 0);
  d->wr(exp + 0x10, 2, 0x0010);  // LNKCTL: link disable
  d->wr(0x100, 4, 0xffffffff);   // extended space (AER, ACS, DPC on real ports)
  CHECK(d->hw.log.empty());
  CHECK(d->view.total_denials() == 2);
}

TEST_CASE("unsupported header types are refused with a message", "[header]") {
  auto d = DeviceBuilder().header_type(2).raw();
  Text diag;
  CHECK(d->try_build(diag) == Err::not_implemented);
  CHECK(std::string(diag.c_str()) == "header type 0x02 is not supported (CardBus?)");
}
