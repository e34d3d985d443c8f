// SPDX-License-Identifier: GPL-2.0-only
// MSI: read-only to the guest (XSA-129), masking hidden, enable only with allow_interrupt_control.
//
//  cap+0 +----+------+--------+  +4 addr lo (ro)  +8 addr hi (ro, 64-bit)  +0xc data (ro)
//        | ID | NEXT | FLAGS* |  +0x10 mask, +0x14 pending: hidden (read 0)
#include "support/fake_device.hpp"

using namespace pcisplit;
using namespace pcisplit::test;
using namespace pcisplit::reg;

TEST_CASE("XSA-129: MSI address, data and mask cannot be written by the guest", "[caps][msi][xsa]") {
  auto d = load_device("e1000e.lspci");  // MSI at 0xd0, 64-bit
  for (uint32_t off = 0xd4; off < 0xe0; off += 4) d->wr(off, 4, 0xfee0100c);
  d->wr(0xd2, 2, 0x00f0);  // multiple message enable
  CHECK(d->hw.log.empty());
  CHECK(d->view.total_denials() == 4);
}

TEST_CASE("XSA-129: per-vector masking is hidden: flag clear, mask and pending read 0", "[caps][msi][xsa]") {
  auto d = DeviceBuilder()
               .cap(0x50, PCI_CAP_ID_MSI, {0x80, 0x01})  // 64-bit, per-vector masking
               .poke(0x60, 4, 0x1)                        // mask bit set by Xen
               .poke(0x64, 4, 0x1)
               .build();
  CHECK(d->rd(0x52, 2) == 0x0080);
  CHECK(d->rd(0x60, 4) == 0);
  CHECK(d->rd(0x64, 4) == 0);
  d->wr(0x60, 4, 0);
  CHECK(d->hw.peek(0x60, 4) == 1);
}

TEST_CASE("MSI enable by config write is refused with access_denied", "[caps][msi]") {
  auto d = load_device("e1000e.lspci");
  const WriteResult w = d->wr(0xd2, 2, PCI_MSI_FLAGS_ENABLE);
  CHECK(w.err == Err::access_denied);
  CHECK(d->hw.log.empty());
  CHECK(d->view.denials(0xd0) == 1);
  CHECK(d->wr(0xd2, 2, d->rd(0xd2, 2)).err == Err::success);  // rewriting the same value is fine
}

TEST_CASE("allow_interrupt_control: only the enable bit, only with MSI-X off (INTx may still be on)", "[caps][msi]") {
  auto device = [](uint16_t command, uint16_t msix_flags) {
    return DeviceBuilder()
        .pin(1)
        .command(command)
        .cap(0x50, PCI_CAP_ID_MSI, {0x80, 0x00})
        .cap(0x70, PCI_CAP_ID_MSIX, {static_cast<uint8_t>(msix_flags), static_cast<uint8_t>(msix_flags >> 8)})
        .allow_interrupt_control()
        .build();
  };
  // Linux's MSI start-up enables MSI, then masks INTx: Linux's pciback allows it (one type at a
  // time, INTx counted only while MSI and MSI-X are off), and so do we.
  auto intx_on = device(0, 3);
  CHECK(intx_on->wr(0x52, 2, PCI_MSI_FLAGS_ENABLE).err == Err::success);
  CHECK(intx_on->hw.peek(0x52, 2) == (0x0080 | PCI_MSI_FLAGS_ENABLE));

  auto ok = device(PCI_COMMAND_INTX_DISABLE, 3);
  CHECK(ok->wr(0x52, 2, PCI_MSI_FLAGS_ENABLE | PCI_MSI_FLAGS_QSIZE).err == Err::success);
  CHECK(ok->hw.peek(0x52, 2) == (0x0080 | PCI_MSI_FLAGS_ENABLE));  // QSIZE stayed read-only
  CHECK(ok->wr(0x52, 2, 0x0080).err == Err::success);
  CHECK(ok->hw.peek(0x52, 2) == 0x0080);

  auto msix_on = device(PCI_COMMAND_INTX_DISABLE, PCI_MSIX_FLAGS_ENABLE | 3);
  CHECK(msix_on->wr(0x52, 2, PCI_MSI_FLAGS_ENABLE).err == Err::access_denied);
  CHECK((msix_on->hw.peek(0x52, 2) & PCI_MSI_FLAGS_ENABLE) == 0);
}

TEST_CASE("a refused MSI flags write in a dword leaves the whole field untouched", "[caps][msi]") {
  auto d = DeviceBuilder().pin(1).cap(0x50, PCI_CAP_ID_MSI, {0x80, 0x00}).build();
  CHECK(d->wr(0x50, 4, 0xffffffff).err == Err::access_denied);
  CHECK(d->hw.log.empty());
}
