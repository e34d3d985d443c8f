// SPDX-License-Identifier: GPL-2.0-only
// Our pciif definitions against Debian's <xen/io/pciif.h> (libxen-dev), constant by constant.
#include <catch2/catch.hpp>
#include <cstddef>
#include <cstring>

#include <xen/io/pciif.h>

#include "protocol/pciif.hpp"

using namespace pcisplit;

TEST_CASE("flag bits match Xen's pciif.h", "[protocol][abi]") {
  CHECK(PCISPLIT_F_ACTIVE_BIT == _XEN_PCIF_active);
  CHECK(PCISPLIT_B_AERHANDLER_BIT == _XEN_PCIB_AERHANDLER);
  CHECK(PCISPLIT_B_ACTIVE_BIT == _XEN_PCIB_active);
  CHECK(PCISPLIT_F_ACTIVE == XEN_PCIF_active);
  CHECK(PCISPLIT_B_AERHANDLER == XEN_PCIB_AERHANDLER);
  CHECK(PCISPLIT_B_ACTIVE == XEN_PCIB_active);
}

TEST_CASE("op codes 0-10 match Xen's pciif.h, including enable_multi_msi", "[protocol][abi]") {
  CHECK(static_cast<int>(wire::Cmd::conf_read) == XEN_PCI_OP_conf_read);
  CHECK(static_cast<int>(wire::Cmd::conf_write) == XEN_PCI_OP_conf_write);
  CHECK(static_cast<int>(wire::Cmd::enable_msi) == XEN_PCI_OP_enable_msi);
  CHECK(static_cast<int>(wire::Cmd::disable_msi) == XEN_PCI_OP_disable_msi);
  CHECK(static_cast<int>(wire::Cmd::enable_msix) == XEN_PCI_OP_enable_msix);
  CHECK(static_cast<int>(wire::Cmd::disable_msix) == XEN_PCI_OP_disable_msix);
  CHECK(static_cast<int>(wire::Cmd::aer_detected) == XEN_PCI_OP_aer_detected);
  CHECK(static_cast<int>(wire::Cmd::aer_resume) == XEN_PCI_OP_aer_resume);
  CHECK(static_cast<int>(wire::Cmd::aer_mmio) == XEN_PCI_OP_aer_mmio);
  CHECK(static_cast<int>(wire::Cmd::aer_slotreset) == XEN_PCI_OP_aer_slotreset);
  CHECK(static_cast<int>(wire::Cmd::enable_multi_msi) == XEN_PCI_OP_enable_multi_msi);
}

TEST_CASE("error codes match XEN_PCI_ERR_*", "[protocol][abi]") {
  CHECK(static_cast<int>(Err::success) == XEN_PCI_ERR_success);
  CHECK(static_cast<int>(Err::dev_not_found) == XEN_PCI_ERR_dev_not_found);
  CHECK(static_cast<int>(Err::invalid_offset) == XEN_PCI_ERR_invalid_offset);
  CHECK(static_cast<int>(Err::access_denied) == XEN_PCI_ERR_access_denied);
  CHECK(static_cast<int>(Err::not_implemented) == XEN_PCI_ERR_not_implemented);
  CHECK(static_cast<int>(Err::op_failed) == XEN_PCI_ERR_op_failed);
  CHECK(std::strcmp(wire::kMagic, XEN_PCI_MAGIC) == 0);
  CHECK(wire::kMaxVec == SH_INFO_MAX_VEC);
}

TEST_CASE("shared page layout matches Xen's structs field by field", "[protocol][abi]") {
  CHECK(sizeof(wire::MsixEntry) == sizeof(xen_msix_entry));
  CHECK(offsetof(wire::MsixEntry, vector) == offsetof(xen_msix_entry, vector));
  CHECK(offsetof(wire::MsixEntry, entry) == offsetof(xen_msix_entry, entry));

  CHECK(sizeof(wire::Op) == sizeof(xen_pci_op));
  CHECK(offsetof(wire::Op, cmd) == offsetof(xen_pci_op, cmd));
  CHECK(offsetof(wire::Op, err) == offsetof(xen_pci_op, err));
  CHECK(offsetof(wire::Op, domain) == offsetof(xen_pci_op, domain));
  CHECK(offsetof(wire::Op, bus) == offsetof(xen_pci_op, bus));
  CHECK(offsetof(wire::Op, devfn) == offsetof(xen_pci_op, devfn));
  CHECK(offsetof(wire::Op, offset) == offsetof(xen_pci_op, offset));
  CHECK(offsetof(wire::Op, size) == offsetof(xen_pci_op, size));
  CHECK(offsetof(wire::Op, value) == offsetof(xen_pci_op, value));
  CHECK(offsetof(wire::Op, info) == offsetof(xen_pci_op, info));
  CHECK(offsetof(wire::Op, msix_entries) == offsetof(xen_pci_op, msix_entries));

  CHECK(sizeof(wire::AerOp) == sizeof(xen_pcie_aer_op));
  CHECK(offsetof(wire::AerOp, cmd) == offsetof(xen_pcie_aer_op, cmd));
  CHECK(offsetof(wire::AerOp, err) == offsetof(xen_pcie_aer_op, err));
  CHECK(offsetof(wire::AerOp, domain) == offsetof(xen_pcie_aer_op, domain));
  CHECK(offsetof(wire::AerOp, bus) == offsetof(xen_pcie_aer_op, bus));
  CHECK(offsetof(wire::AerOp, devfn) == offsetof(xen_pcie_aer_op, devfn));

  CHECK(sizeof(wire::SharedInfo) == sizeof(xen_pci_sharedinfo));
  CHECK(offsetof(wire::SharedInfo, flags) == offsetof(xen_pci_sharedinfo, flags));
  CHECK(offsetof(wire::SharedInfo, op) == offsetof(xen_pci_sharedinfo, op));
  CHECK(offsetof(wire::SharedInfo, aer_op) == offsetof(xen_pci_sharedinfo, aer_op));
}

TEST_CASE("field signedness matches Xen's structs", "[protocol][abi]") {
  xen_pci_op theirs{};
  wire::Op ours{};
  theirs.err = -1;
  ours.err = -1;
  theirs.offset = -2;
  ours.offset = -2;
  CHECK((theirs.err < 0) == (ours.err < 0));
  CHECK((theirs.offset < 0) == (ours.offset < 0));
  theirs.cmd = 0xffffffffu;
  ours.cmd = 0xffffffffu;
  CHECK(theirs.cmd == ours.cmd);
}
