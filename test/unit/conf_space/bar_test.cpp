// SPDX-License-Identifier: GPL-2.0-only
// BAR and expansion ROM emulation: sizing as hardware does it, addresses never move, hardware untouched.
#include "support/fake_device.hpp"

using namespace pcisplit;
using namespace pcisplit::test;
using namespace pcisplit::reg;

TEST_CASE("32-bit memory BAR: dword sizing returns ~(size-1)|flags, the original value restores", "[bar]") {
  auto d = load_device("e1000e.lspci");  // BAR0: 128 KiB at 0xfe040000, non-prefetchable
  CHECK(d->rd(0x10, 4) == 0xfe040000);
  d->wr(0x10, 4, 0xffffffff);
  CHECK(d->rd(0x10, 4) == 0xfffe0000);
  d->wr(0x10, 4, 0xfe040000);
  CHECK(d->rd(0x10, 4) == 0xfe040000);
  CHECK(d->hw.log.empty());
  CHECK(d->view.total_denials() == 0);
}

TEST_CASE("BAR sizing with byte and word writes works lane by lane", "[bar]") {
  auto d = load_device("e1000e.lspci");
  for (uint32_t i = 0; i < 4; ++i) d->wr(0x10 + i, 1, 0xff);
  CHECK(d->rd(0x10, 4) == 0xfffe0000);
  d->wr(0x10, 2, 0x0000);
  d->wr(0x12, 2, 0xfe04);
  CHECK(d->rd(0x10, 4) == 0xfe040000);
  d->wr(0x12, 2, 0xffff);
  CHECK(d->rd(0x12, 2) == 0xfffe);
  CHECK(d->rd(0x10, 2) == 0x0000);
  CHECK(d->hw.log.empty());
}

TEST_CASE("any other BAR address is ignored and counted (a PV guest cannot relocate)", "[bar]") {
  auto d = load_device("e1000e.lspci");
  d->wr(0x10, 4, 0xd0000000);
  CHECK(d->rd(0x10, 4) == 0xfe040000);
  CHECK(d->view.denials(0x10) == 1);
  CHECK(d->hw.log.empty());
}

TEST_CASE("I/O BAR sizing keeps the I/O flag", "[bar]") {
  auto d = load_device("e1000e.lspci");  // BAR2: 32 ports at 0xc000
  CHECK(d->rd(0x18, 4) == 0x0000c001);
  d->wr(0x18, 4, 0xffffffff);
  CHECK(d->rd(0x18, 4) == 0xffffffe1);
  d->wr(0x18, 4, 0x0000c000);
  CHECK(d->rd(0x18, 4) == 0x0000c001);
}

TEST_CASE("64-bit BAR pair: both halves size, the high half included", "[bar]") {
  auto d = load_device("virtio-net-modern.lspci");  // BAR4: 16 KiB, 64-bit prefetchable
  const uint32_t lo = d->rd(0x20, 4);
  const uint32_t hi = d->rd(0x24, 4);
  CHECK((lo & 0xf) == 0xc);
  d->wr(0x20, 4, 0xffffffff);
  d->wr(0x24, 4, 0xffffffff);
  CHECK(d->rd(0x20, 4) == 0xffffc00c);
  CHECK(d->rd(0x24, 4) == 0xffffffff);
  d->wr(0x20, 4, lo);
  d->wr(0x24, 4, hi);
  CHECK(d->rd(0x20, 4) == lo);
  CHECK(d->rd(0x24, 4) == hi);
  CHECK(d->hw.log.empty());
}

TEST_CASE("64-bit BAR larger than 4 GiB: the low half has no address bits", "[bar]") {
  auto d = DeviceBuilder()
               .bar(0, 0x0000000c, 0x200000000ull)
               .poke(0x14, 4, 0x00000004)
               .build();
  d->wr(0x10, 4, 0xffffffff);
  d->wr(0x14, 4, 0xffffffff);
  CHECK(d->rd(0x10, 4) == 0x0000000c);
  CHECK(d->rd(0x14, 4) == 0xfffffffe);
}

TEST_CASE("unimplemented BARs read 0 before and after sizing", "[bar]") {
  auto d = load_device("nvme.lspci");
  CHECK(d->rd(0x18, 4) == 0);
  d->wr(0x18, 4, 0xffffffff);
  CHECK(d->rd(0x18, 4) == 0);
}

TEST_CASE("expansion ROM: sizing keeps the enable bit out of the mask, enable reaches hardware", "[bar][rom]") {
  auto d = load_device("e1000e.lspci");  // 256 KiB ROM at 0xfe000000, disabled
  CHECK(d->rd(PCI_ROM_ADDRESS, 4) == 0xfe000000);
  d->wr(PCI_ROM_ADDRESS, 4, 0xfffffffe);  // Linux's sizing pattern: ~PCI_ROM_ADDRESS_ENABLE
  CHECK(d->rd(PCI_ROM_ADDRESS, 4) == 0xfffc0000);
  CHECK(d->hw.log.empty());
  d->wr(PCI_ROM_ADDRESS, 4, 0xfe000001);
  CHECK(d->rd(PCI_ROM_ADDRESS, 4) == 0xfe000001);
  REQUIRE(d->hw.log.size() == 1);
  CHECK(d->hw.log[0] == HwWrite{PCI_ROM_ADDRESS, 4, 0xfe000001});  // the host address, enabled
  d->wr(PCI_ROM_ADDRESS, 1, 0x00);
  CHECK(d->hw.peek(PCI_ROM_ADDRESS, 4) == 0xfe000000);
}

TEST_CASE("L2: the ROM enable bit stays off in hardware for an unassigned or shared ROM, or a BAR reading 0",
          "[bar][rom]") {
  auto shared = load_device("e1000e.lspci");
  shared->info.rom_decodes = false;  // the platform: no parent resource, or rom_bar_overlap
  shared->build();
  shared->wr(PCI_ROM_ADDRESS, 4, 0xfe000001);
  CHECK(shared->hw.log.empty());
  CHECK((shared->rd(PCI_ROM_ADDRESS, 4) & PCI_ROM_ADDRESS_ENABLE) == 0);
  CHECK(shared->view.denials(PCI_ROM_ADDRESS) == 1);

  auto zero = load_device("e1000e.lspci");
  zero->hw.poke(PCI_ROM_ADDRESS, 4, 0);  // a ROM BAR that reads 0 while disabled
  zero->wr(PCI_ROM_ADDRESS, 1, PCI_ROM_ADDRESS_ENABLE);
  CHECK(zero->hw.log.empty());
}

TEST_CASE("a BAR size the platform reports that is not a power of two fails the build", "[bar]") {
  auto d = DeviceBuilder().bar(0, 0xfe000000, 0x3000).raw();
  Text diag;
  CHECK(d->try_build(diag) != Err::success);
  CHECK(std::string(diag.c_str()).find("PCI_BASE_ADDRESS_0") != std::string::npos);
}

TEST_CASE("six BARs and the ROM, each its own size, size and restore each on its own", "[bar][rom]") {
  // BAR n is 4 KiB << n (BAR 1 I/O: 64 ports), the ROM 64 KiB: a slot mix-up shows as another's mask.
  auto d = DeviceBuilder()
               .bar(0, 0xfe000000, 0x1000)
               .bar(1, 0x0000c001, 0x40)
               .bar(2, 0xfd000000, 0x4000)
               .bar(3, 0xfc000000, 0x8000)
               .bar(4, 0xfb000000, 0x10000)
               .bar(5, 0xfa000000, 0x20000)
               .rom(0xf9000000, 0x10000)
               .build();
  const uint32_t orig[] = {0xfe000000, 0x0000c001, 0xfd000000, 0xfc000000, 0xfb000000, 0xfa000000};
  const uint32_t sized[] = {0xfffff000, 0xffffffc1, 0xffffc000, 0xffff8000, 0xffff0000, 0xfffe0000};
  for (unsigned i = 0; i < 6; ++i) d->wr(0x10 + 4 * i, 4, 0xffffffff);
  d->wr(PCI_ROM_ADDRESS, 4, 0xfffffffe);
  for (unsigned i = 0; i < 6; ++i) {
    INFO("BAR " << i);
    CHECK(d->rd(0x10 + 4 * i, 4) == sized[i]);
  }
  CHECK(d->rd(PCI_ROM_ADDRESS, 4) == 0xffff0000);
  for (unsigned i = 0; i < 6; ++i) d->wr(0x10 + 4 * i, 4, orig[i] & ~1u);
  d->wr(PCI_ROM_ADDRESS, 4, 0xf9000000);
  for (unsigned i = 0; i < 6; ++i) {
    INFO("BAR " << i);
    CHECK(d->rd(0x10 + 4 * i, 4) == orig[i]);
  }
  CHECK(d->rd(PCI_ROM_ADDRESS, 4) == 0xf9000000);
  CHECK(d->view.total_denials() == 0);
  CHECK(d->hw.log.empty());
}
