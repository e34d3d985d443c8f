// SPDX-License-Identifier: GPL-2.0-only
// Sub-dword and straddling accesses, judged on the value that reaches hardware.
#include "support/fake_device.hpp"

using namespace pcisplit;
using namespace pcisplit::test;
using namespace pcisplit::reg;

// ---------------------------------------------------------------- status
TEST_CASE("partial writes: status CAP_LIST cannot be cleared by the guest (word write)", "[conf_space][partial]") {
  auto d = load_device("e1000e.lspci");  // exposed caps: CAP_LIST set in the guest's view
  REQUIRE((d->rd(PCI_STATUS, 2) & PCI_STATUS_CAP_LIST) != 0);
  d->wr(PCI_STATUS, 2, PCI_STATUS_DETECTED_PARITY);  // the usual "clear this error" idiom
  CHECK((d->rd(PCI_STATUS, 2) & PCI_STATUS_CAP_LIST) != 0);
}

TEST_CASE("partial writes: status CAP_LIST cannot be cleared by the guest (byte and dword writes)", "[conf_space][partial]") {
  auto d = load_device("e1000e.lspci");
  d->wr(PCI_STATUS, 1, 0x00);
  CHECK((d->rd(PCI_STATUS, 2) & PCI_STATUS_CAP_LIST) != 0);
  auto e = load_device("e1000e.lspci");
  e->wr(PCI_COMMAND, 4, e->hw.peek(PCI_COMMAND, 2));  // command as it is, status 0
  CHECK((e->rd(PCI_STATUS, 2) & PCI_STATUS_CAP_LIST) != 0);
}

TEST_CASE("partial writes: status CAP_LIST cannot be set by the guest on a device with no exposed caps", "[conf_space][partial]") {
  auto d = DeviceBuilder().build();
  d->wr(PCI_STATUS, 2, PCI_STATUS_CAP_LIST);
  CHECK((d->rd(PCI_STATUS, 2) & PCI_STATUS_CAP_LIST) == 0);
}

TEST_CASE("partial writes: bridge status CAP_LIST cannot be cleared by the guest", "[conf_space][partial]") {
  auto d = load_device("pcie-root-port.lspci");
  REQUIRE((d->rd(PCI_STATUS, 2) & PCI_STATUS_CAP_LIST) != 0);
  d->wr(PCI_STATUS, 2, 0);
  CHECK((d->rd(PCI_STATUS, 2) & PCI_STATUS_CAP_LIST) != 0);
}

TEST_CASE("partial writes: status RW1C by a byte write at 0x07 clears only what was written", "[conf_space][partial]") {
  auto d = load_device("e1000e.lspci");
  d->hw.poke(PCI_STATUS, 2, 0xa010);  // DETECTED_PARITY | REC_MASTER_ABORT | CAP_LIST
  d->wr(PCI_STATUS + 1, 1, 0x80);
  REQUIRE(d->hw.log.size() == 1);
  CHECK(d->hw.log[0] == HwWrite{PCI_STATUS, 2, 0x8010});
  CHECK(d->view.denials(PCI_STATUS) == 0);
  d->hw.log.clear();
  d->wr(PCI_STATUS, 1, 0xff);  // low byte: no RW1C bits there, nothing to hardware
  CHECK(d->hw.log.empty());
}

TEST_CASE("partial writes: a command write never touches status's RW1C bits", "[conf_space][partial]") {
  auto d = load_device("e1000e.lspci");
  d->hw.poke(PCI_STATUS, 2, 0xf910);
  d->wr(PCI_COMMAND, 1, d->hw.peek(PCI_COMMAND, 1) | PCI_COMMAND_SPECIAL);
  d->wr(PCI_COMMAND + 1, 1, PCI_COMMAND_FAST_BACK >> 8);
  for (const HwWrite& w : d->hw.log) CHECK(w.offset + w.width <= PCI_STATUS);
  CHECK(d->hw.peek(PCI_STATUS, 2) == 0xf910);
}

// ---------------------------------------------------------------- command
TEST_CASE("partial writes: INTx-disable by a byte write to 0x05 is refused without allow_interrupt_control", "[conf_space][partial]") {
  auto d = DeviceBuilder().command(PCI_COMMAND_MEMORY).pin(1).build();
  d->wr(PCI_COMMAND + 1, 1, PCI_COMMAND_INTX_DISABLE >> 8);
  CHECK(d->hw.peek(PCI_COMMAND, 2) == PCI_COMMAND_MEMORY);
  CHECK(d->view.denials(PCI_COMMAND) == 1);
}

TEST_CASE("partial writes: INTx re-enable by a byte write to 0x05 is refused while MSI is on", "[conf_space][partial]") {
  auto d = DeviceBuilder()
               .command(PCI_COMMAND_MEMORY | PCI_COMMAND_INTX_DISABLE)
               .pin(1)
               .cap(0x50, PCI_CAP_ID_MSI, {0x01, 0x00})
               .allow_interrupt_control()
               .build();
  d->wr(PCI_COMMAND + 1, 1, 0x00);
  CHECK(d->hw.peek(PCI_COMMAND, 2) == (PCI_COMMAND_MEMORY | PCI_COMMAND_INTX_DISABLE));
  CHECK(d->view.denials(PCI_COMMAND) == 1);
}

TEST_CASE("partial writes: allowed INTx-disable byte write keeps hardware decoding, not the guest's shadow", "[conf_space][partial]") {
  auto d = DeviceBuilder().command(PCI_COMMAND_MEMORY | PCI_COMMAND_IO).pin(1).allow_interrupt_control().build();
  d->wr(PCI_COMMAND, 1, 0x00);  // guest turns decode off: shadow only
  CHECK(d->rd(PCI_COMMAND, 2) == 0);
  d->wr(PCI_COMMAND + 1, 1, PCI_COMMAND_INTX_DISABLE >> 8);
  CHECK(d->hw.peek(PCI_COMMAND, 2) == (PCI_COMMAND_MEMORY | PCI_COMMAND_IO | PCI_COMMAND_INTX_DISABLE));
  CHECK(d->rd(PCI_COMMAND, 2) == PCI_COMMAND_INTX_DISABLE);
}

TEST_CASE("partial writes: decode and master by a byte write to 0x04 are effects", "[conf_space][partial]") {
  auto d = DeviceBuilder().command(0).build();
  const WriteResult w = d->wr(PCI_COMMAND, 1, PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER);
  CHECK(has_effect(w, EffectKind::enable_device));
  CHECK(has_effect(w, EffectKind::set_master));
  CHECK(d->hw.peek(PCI_COMMAND, 2) == 0);
  const WriteResult hi = d->wr(PCI_COMMAND + 1, 1, 0x00);  // upper byte: no decode/master change
  CHECK(hi.effects.count == 0);
}

// ---------------------------------------------------------------- BARs and ROM
TEST_CASE("partial writes: ROM sizing by byte writes, the enable lane judged alone", "[conf_space][partial]") {
  auto d = load_device("e1000e.lspci");  // 256 KiB ROM at 0xfe000000, disabled
  d->wr(PCI_ROM_ADDRESS + 3, 1, 0xff);
  d->wr(PCI_ROM_ADDRESS + 2, 1, 0xff);
  d->wr(PCI_ROM_ADDRESS + 1, 1, 0xff);
  d->wr(PCI_ROM_ADDRESS, 1, 0xfe);
  CHECK(d->rd(PCI_ROM_ADDRESS, 4) == 0xfffc0000);
  CHECK(d->hw.log.empty());
  d->wr(PCI_ROM_ADDRESS + 2, 2, 0xfe00);
  CHECK(d->rd(PCI_ROM_ADDRESS, 4) == 0xfe000000);
  d->wr(PCI_ROM_ADDRESS + 2, 1, 0x12);  // address bits 18..23: neither ones nor the original
  CHECK(d->view.denials(PCI_ROM_ADDRESS) == 1);
  CHECK(d->hw.log.empty());
}

TEST_CASE("partial writes: 64-bit BAR high half sized by two word writes and by bytes", "[conf_space][partial]") {
  auto d = load_device("virtio-net-modern.lspci");  // BAR4/5: 16 KiB, 64-bit
  const uint32_t hi = d->rd(0x24, 4);
  d->wr(0x24, 2, 0xffff);
  d->wr(0x26, 2, 0xffff);
  CHECK(d->rd(0x24, 4) == 0xffffffff);
  for (uint32_t i = 0; i < 4; ++i) d->wr(0x24 + i, 1, (hi >> (8 * i)) & 0xff);
  CHECK(d->rd(0x24, 4) == hi);
  d->wr(0x27, 1, 0x12);
  CHECK(d->rd(0x24, 4) == hi);
  CHECK(d->view.denials(0x24) == 1);
  CHECK(d->hw.log.empty());
}

TEST_CASE("partial writes: a BAR dword with every lane wrong is one denial", "[conf_space][partial]") {
  auto d = load_device("e1000e.lspci");
  d->wr(0x10, 4, 0x12345678);
  CHECK(d->view.denials(0x10) == 1);
  CHECK(d->view.total_denials() == 1);
}

// ---------------------------------------------------------------- MSI / MSI-X
TEST_CASE("partial writes: MSI enable by a byte write to flags, and by a dword at the cap base, refused once", "[conf_space][partial]") {
  auto d = load_device("e1000e.lspci");  // MSI at 0xd0, 64-bit
  CHECK(d->wr(0xd2, 1, PCI_MSI_FLAGS_ENABLE).err == Err::access_denied);
  CHECK(d->view.denials(0xd0) == 1);
  CHECK(d->wr(0xd0, 4, 0x00010000u | d->hw.peek(0xd0, 2)).err == Err::access_denied);
  CHECK(d->view.denials(0xd0) == 2);
  CHECK(d->wr(0xd3, 1, 0xff).err == Err::success);  // upper flags byte: no enable bit there
  CHECK(d->hw.log.empty());
}

TEST_CASE("partial writes: MSI address/data sub-dword writes never reach hardware", "[conf_space][partial]") {
  auto d = load_device("e1000e.lspci");
  const uint32_t total = static_cast<uint32_t>(d->view.total_denials());
  d->wr(0xd4, 1, 0xee);
  d->wr(0xd6, 2, 0xfee0);
  d->wr(0xd9, 1, 0x01);
  d->wr(0xdc, 2, 0x4041);
  d->wr(0xdc, 4, 0xffffffff);  // data + the hole behind it: one denial
  CHECK(d->hw.log.empty());
  CHECK(d->view.total_denials() == total + 5);
}

TEST_CASE("partial writes: MSI-X enable by a byte write at control+1", "[conf_space][partial]") {
  auto d = load_device("e1000e.lspci");  // MSI-X at 0xa0
  CHECK(d->wr(0xa3, 1, 0x80).err == Err::access_denied);
  CHECK(d->wr(0xa3, 1, 0x40).err == Err::access_denied);
  CHECK(d->hw.log.empty());
  CHECK(d->view.denials(0xa0) == 2);
  CHECK(d->wr(0xa2, 1, 0xff).err == Err::success);  // table size byte: read-only, no enable
  CHECK(d->hw.log.empty());

  auto a = DeviceBuilder().pin(1).cap(0x70, PCI_CAP_ID_MSIX, {0x03, 0x00}).allow_interrupt_control().build();
  CHECK(a->wr(0x73, 1, 0x80).err == Err::success);
  CHECK(a->hw.peek(0x72, 2) == (PCI_MSIX_FLAGS_ENABLE | 3));
}

// ---------------------------------------------------------------- PCIe, PM, VPD
TEST_CASE("partial writes: DEVCTL byte writes: MRRS an effect, FLR never, reporting in the shadow", "[conf_space][partial]") {
  auto d = load_device("e1000e.lspci");  // DEVCTL 0xe8
  const uint32_t before = d->hw.peek(0xe8, 2);
  const WriteResult w = d->wr(0xe9, 1, 0x80 | 0x50 | 0x08 | 0x01);  // FLR | MRRS 5 | no-snoop | ext tag
  CHECK(has_effect(w, EffectKind::set_readrq, 5));
  CHECK((d->hw.peek(0xe8, 2) & (PCI_EXP_DEVCTL_BCR_FLR | PCI_EXP_DEVCTL_NOSNOOP_EN)) ==
        (before & (PCI_EXP_DEVCTL_BCR_FLR | PCI_EXP_DEVCTL_NOSNOOP_EN)));
  CHECK((d->hw.peek(0xe8, 2) & PCI_EXP_DEVCTL_EXT_TAG) != 0);
  CHECK((d->hw.peek(0xe8, 2) & PCI_EXP_DEVCTL_READRQ) == (before & PCI_EXP_DEVCTL_READRQ));
  CHECK(d->view.denials(0xe8) == 1);
  d->wr(0xe8, 1, (before & 0xf0) | 0x0f);
  CHECK((d->hw.peek(0xe8, 2) & 0x0f) == (before & 0x0f));
  CHECK((d->rd(0xe8, 2) & 0x0f) == 0x0f);
}

TEST_CASE("partial writes: DEVSTA RW1C by byte writes", "[conf_space][partial]") {
  auto d = load_device("e1000e.lspci");
  d->hw.poke(0xea, 2, 0x0025);  // CED, FED, transactions pending
  d->hw.log.clear();
  d->wr(0xeb, 1, 0xff);
  CHECK(d->hw.log.empty());
  d->wr(0xea, 1, 0x04);
  REQUIRE(d->hw.log.size() == 1);
  CHECK((d->hw.log[0].value & PCI_EXP_DEVSTA_RW1C) == 0x0004);  // only FED cleared
}

TEST_CASE("partial writes: DEVSTA write-back never writes 1 to a status bit the guest left alone", "[conf_space][partial]") {
  auto d = load_device("e1000e.lspci");
  d->hw.poke(0xea, 2, 0x0041);  // CED and bit 6 (Emergency Power Reduction Detected, RW1C since PCIe 5.0)
  d->hw.log.clear();
  d->wr(0xea, 2, 0x0001);
  REQUIRE(d->hw.log.size() == 1);
  CHECK((d->hw.log[0].value & 0x40) == 0);
}

TEST_CASE("partial writes: a bridge's DEVSTA clears only what the guest wrote, never bit 6", "[conf_space][partial]") {
  auto d = load_device("pcie-root-port.lspci");  // PCIe capability at 0x54: DEVSTA at 0x5e, read-only entry (L4)
  d->hw.poke(0x5e, 2, 0x0045);  // CED, FED and bit 6 (RW1C since PCIe 5.0)
  d->hw.log.clear();
  d->wr(0x5e, 2, 0x0001);
  REQUIRE(d->hw.log.size() == 1);
  CHECK(d->hw.log[0] == HwWrite{0x5e, 2, 0x0001});
  CHECK(d->view.denials(0x5e) == 0);
  d->hw.poke(0x5e, 2, 0x0001);
  d->hw.log.clear();
  d->wr(0x5e, 2, 0x0040);  // bit 6 reads 0 and is read-only to us: a denial, nothing written
  CHECK(d->hw.log.empty());
  CHECK(d->view.denials(0x5e) == 1);
}

TEST_CASE("partial writes: PM_CTRL PME enable cleared by the guest is a counted denial, hardware keeps it", "[conf_space][partial]") {
  auto d = load_device("e1000e.lspci");  // PM_CTRL at 0xcc: PME enable is dom0's, the register has RW bits
  d->hw.poke(0xcc, 2, PCI_PM_CTRL_PME_ENABLE);
  d->hw.log.clear();
  d->wr(0xcc, 2, 0x0000);
  CHECK(d->view.denials(0xcc) == 1);
  for (const HwWrite& x : d->hw.log) CHECK((x.value & PCI_PM_CTRL_PME_ENABLE) != 0);
  CHECK((d->hw.peek(0xcc, 2) & PCI_PM_CTRL_PME_ENABLE) != 0);
}

TEST_CASE("partial writes: PM_CTRL PME status cleared by a byte write at ctrl+1, no D-state effect", "[conf_space][partial]") {
  auto d = load_device("e1000e.lspci");  // PM at 0xc8, PM_CTRL 0xcc
  d->hw.poke(0xcc, 2, 0x8003);           // D3hot, PME status
  d->hw.log.clear();
  const WriteResult w = d->wr(0xcd, 1, 0x80);
  CHECK(w.effects.count == 0);
  REQUIRE(d->hw.log.size() == 1);
  CHECK(d->hw.log[0] == HwWrite{0xcc, 2, 0x8003});
  d->hw.poke(0xcc, 2, 0x8003);
  d->hw.log.clear();
  const WriteResult s = d->wr(0xcc, 1, 0x00);  // D0 by the low byte: effect, PME status untouched
  CHECK(has_effect(s, EffectKind::set_power_state, 0));
  for (const HwWrite& x : d->hw.log) CHECK((x.value & 0x8000) == 0);
}

TEST_CASE("partial writes: VPD F set by a byte write to ADDR+1 is refused", "[conf_space][partial]") {
  auto d = DeviceBuilder().cap(0x40, PCI_CAP_ID_VPD, {0x00, 0x00, 0, 0, 0, 0}).build();
  CHECK(d->wr(0x43, 1, 0x80).err == Err::access_denied);
  CHECK(d->wr(0x40, 4, 0x80000000u | d->hw.peek(0x40, 2)).err == Err::access_denied);
  CHECK(d->hw.log.empty());
  CHECK(d->wr(0x42, 1, 0x10).err == Err::success);
  CHECK(d->hw.peek(0x42, 2) == 0x0010);
}

// ---------------------------------------------------------------- edges, holes, widths
TEST_CASE("partial writes: the last byte and word of the extended space", "[conf_space][partial]") {
  auto d = load_device("e1000e.lspci");
  d->hw.poke(0xffc, 4, 0x11223344);
  CHECK(d->rd(0xfff, 1) == 0x11);
  CHECK(d->rd(0xffe, 2) == 0x1122);
  d->wr(0xfff, 1, 0xaa);
  d->wr(0xffe, 2, 0xaaaa);
  CHECK(d->hw.log.empty());
  CHECK(d->view.denials(0xffc) == 2);
  CHECK(d->view.denials(0xfff) == 2);
  CHECK(d->wr(0xfff, 2, 0).err == Err::invalid_offset);
  CHECK(d->wr(0xffe, 4, 0).err == Err::invalid_offset);
  CHECK(d->view.read(0xffd, 3).err() == Err::invalid_offset);
  CHECK(d->view.read(0x05, 2).err() == Err::invalid_offset);
  CHECK(d->view.read(0x06, 4).err() == Err::invalid_offset);

  Policy p;
  p.permissive = true;
  auto q = load_device("e1000e.lspci", p);
  q->wr(0xfff, 1, 0xaa);
  q->wr(0xffc, 2, 0xbbbb);
  CHECK(q->hw.peek(0xffc, 4) == 0xaa00bbbb);
}

TEST_CASE("partial writes: straddling a field and a hole: cap pointer + reserved, one denial, nothing written", "[conf_space][partial]") {
  auto d = load_device("e1000e.lspci");
  const uint32_t ptr = d->rd(PCI_CAPABILITY_LIST, 1);
  d->wr(PCI_CAPABILITY_LIST, 2, 0x0000);
  d->wr(PCI_CAPABILITY_LIST, 4, 0xffffffff);
  CHECK(d->rd(PCI_CAPABILITY_LIST, 1) == ptr);
  CHECK(d->hw.log.empty());
  CHECK(d->view.denials(PCI_CAPABILITY_LIST) == 2);
  d->wr(0xde, 2, 0xffff);  // the hole after MSI data
  CHECK(d->hw.log.empty());
}

TEST_CASE("partial writes: dword at 0x3c: line into the shadow, pin/gnt/lat read-only", "[conf_space][partial]") {
  auto d = load_device("e1000e.lspci");
  const uint32_t hw = d->hw.peek(0x3c, 4);
  d->wr(0x3c, 4, 0xffffff0b);
  CHECK(d->hw.log.empty());
  CHECK(d->rd(0x3c, 4) == ((hw & 0xffffff00) | 0x0b));
  CHECK(d->view.denials(0x3c) == 1);
}

TEST_CASE("partial writes: dword at 0x0c: cache line written alone, BIST start bit only", "[conf_space][partial]") {
  auto d = DeviceBuilder().poke(PCI_BIST, 1, 0x80).poke(PCI_LATENCY_TIMER, 1, 0x20).build();
  d->wr(0x0c, 4, 0xffffff10);
  CHECK(d->hw.peek(0x0c, 4) == 0xc0002010);
  CHECK(d->view.denials(0x0c) == 1);
}

TEST_CASE("partial writes: clearing one status error bit while INTx status is pending is not a denial", "[conf_space][partial]") {
  auto d = DeviceBuilder().status(PCI_STATUS_DETECTED_PARITY | PCI_STATUS_INTERRUPT).build();
  d->wr(PCI_STATUS, 2, PCI_STATUS_DETECTED_PARITY);  // Linux's pci_status_get_and_clear_errors()
  CHECK(d->view.denials(PCI_STATUS) == 0);
}

TEST_CASE("partial writes: ROM enable on a function without a ROM is a counted denial (L2)", "[conf_space][partial]") {
  auto d = DeviceBuilder().build();  // rom_size 0, ROM BAR reads 0
  d->wr(PCI_ROM_ADDRESS, 4, 0xfffff801);
  CHECK(d->hw.log.empty());
  CHECK(d->rd(PCI_ROM_ADDRESS, 4) == 0);
  CHECK(d->view.denials(PCI_ROM_ADDRESS) == 1);
}
