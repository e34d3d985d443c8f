// SPDX-License-Identifier: GPL-2.0-only
// MSI-X: control read-only (enable and function mask via the op protocol), table/PBA location read-only.
#include "support/fake_device.hpp"

using namespace pcisplit;
using namespace pcisplit::test;
using namespace pcisplit::reg;

TEST_CASE("MSI-X enable and mask-all are refused without allow_interrupt_control", "[caps][msix]") {
  auto d = load_device("nvme.lspci");  // MSI-X at 0x40
  CHECK(d->wr(0x42, 2, PCI_MSIX_FLAGS_ENABLE).err == Err::access_denied);
  CHECK(d->wr(0x42, 2, PCI_MSIX_FLAGS_MASKALL).err == Err::access_denied);
  CHECK(d->hw.log.empty());
  d->wr(0x44, 4, 0);
  d->wr(0x48, 4, 0);
  CHECK(d->hw.log.empty());
  CHECK(d->view.denials(0x44) == 1);
  CHECK(d->view.denials(0x48) == 1);
}

TEST_CASE("allow_interrupt_control: MSI-X enable with MSI off, table size stays", "[caps][msix]") {
  auto d = DeviceBuilder()
               .pin(1)
               .command(PCI_COMMAND_INTX_DISABLE)
               .cap(0x70, PCI_CAP_ID_MSIX, {0x03, 0x00})
               .allow_interrupt_control()
               .build();
  CHECK(d->wr(0x72, 2, PCI_MSIX_FLAGS_ENABLE | PCI_MSIX_FLAGS_MASKALL | 0x7ff).err == Err::success);
  CHECK(d->hw.peek(0x72, 2) == (PCI_MSIX_FLAGS_ENABLE | PCI_MSIX_FLAGS_MASKALL | 3));

  // INTx still on (INTX_DISABLE clear): allowed, as Linux's pciback allows it (Linux's start-up order).
  auto intx = DeviceBuilder().pin(1).cap(0x70, PCI_CAP_ID_MSIX, {0x03, 0x00}).allow_interrupt_control().build();
  CHECK(intx->wr(0x72, 2, PCI_MSIX_FLAGS_ENABLE).err == Err::success);
  CHECK(intx->hw.peek(0x72, 2) == (PCI_MSIX_FLAGS_ENABLE | 3));
}

TEST_CASE("allow_interrupt_control: with MSI on, MSI-X stays off and INTx counts as off", "[caps][msix]") {
  // MSI on with INTX_DISABLE still clear (mid start-up): the function's one type is MSI.
  auto d = DeviceBuilder()
               .pin(1)
               .cap(0x50, PCI_CAP_ID_MSI, {0x01, 0x00})
               .cap(0x70, PCI_CAP_ID_MSIX, {0x03, 0x00})
               .allow_interrupt_control()
               .build();
  CHECK(d->wr(0x72, 2, PCI_MSIX_FLAGS_ENABLE).err == Err::access_denied);
  CHECK(d->hw.peek(0x72, 2) == 3);
  CHECK(d->wr(0x52, 2, PCI_MSI_FLAGS_ENABLE).err == Err::success);  // MSI stays MSI
  CHECK((d->hw.peek(0x52, 2) & PCI_MSI_FLAGS_ENABLE) != 0);
  CHECK(d->wr(PCI_COMMAND, 2, PCI_COMMAND_INTX_DISABLE).err == Err::success);  // masking INTx: always
  CHECK((d->hw.peek(PCI_COMMAND, 2) & PCI_COMMAND_INTX_DISABLE) != 0);
}
