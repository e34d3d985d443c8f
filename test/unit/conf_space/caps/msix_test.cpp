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

TEST_CASE("allow_interrupt_control: MSI-X enable with INTx and MSI off, table size stays", "[caps][msix]") {
  auto d = DeviceBuilder()
               .pin(1)
               .command(PCI_COMMAND_INTX_DISABLE)
               .cap(0x70, PCI_CAP_ID_MSIX, {0x03, 0x00})
               .allow_interrupt_control()
               .build();
  CHECK(d->wr(0x72, 2, PCI_MSIX_FLAGS_ENABLE | PCI_MSIX_FLAGS_MASKALL | 0x7ff).err == Err::success);
  CHECK(d->hw.peek(0x72, 2) == (PCI_MSIX_FLAGS_ENABLE | PCI_MSIX_FLAGS_MASKALL | 3));

  auto intx = DeviceBuilder().pin(1).cap(0x70, PCI_CAP_ID_MSIX, {0x03, 0x00}).allow_interrupt_control().build();
  CHECK(intx->wr(0x72, 2, PCI_MSIX_FLAGS_ENABLE).err == Err::access_denied);
  CHECK(intx->hw.peek(0x72, 2) == 3);
}
