// SPDX-License-Identifier: GPL-2.0-only
// PCI configuration-space register numbers and bits, spelled as in Linux's pci_regs.h so grep finds them.
#pragma once

#include <stdint.h>

namespace pcisplit::reg {

inline constexpr uint16_t PCI_CFG_SPACE_SIZE = 256;
inline constexpr uint16_t PCI_CFG_SPACE_EXP_SIZE = 4096;

// Type-0 and type-1 common header (PCI Local Bus 3.0 §6.1).
inline constexpr uint16_t PCI_VENDOR_ID = 0x00;
inline constexpr uint16_t PCI_DEVICE_ID = 0x02;
inline constexpr uint16_t PCI_COMMAND = 0x04;
inline constexpr uint16_t PCI_STATUS = 0x06;
inline constexpr uint16_t PCI_CLASS_REVISION = 0x08;
inline constexpr uint16_t PCI_CACHE_LINE_SIZE = 0x0c;
inline constexpr uint16_t PCI_LATENCY_TIMER = 0x0d;
inline constexpr uint16_t PCI_HEADER_TYPE = 0x0e;
inline constexpr uint16_t PCI_BIST = 0x0f;
inline constexpr uint16_t PCI_BASE_ADDRESS_0 = 0x10;
inline constexpr uint16_t PCI_CARDBUS_CIS = 0x28;
inline constexpr uint16_t PCI_SUBSYSTEM_VENDOR_ID = 0x2c;
inline constexpr uint16_t PCI_SUBSYSTEM_ID = 0x2e;
inline constexpr uint16_t PCI_ROM_ADDRESS = 0x30;
inline constexpr uint16_t PCI_CAPABILITY_LIST = 0x34;
inline constexpr uint16_t PCI_INTERRUPT_LINE = 0x3c;
inline constexpr uint16_t PCI_INTERRUPT_PIN = 0x3d;
inline constexpr uint16_t PCI_MIN_GNT = 0x3e;
inline constexpr uint16_t PCI_MAX_LAT = 0x3f;
inline constexpr uint16_t PCI_STD_HEADER_SIZEOF = 0x40;

// Type-1 (bridge) header.
inline constexpr uint16_t PCI_PRIMARY_BUS = 0x18;
inline constexpr uint16_t PCI_SEC_STATUS = 0x1e;
inline constexpr uint16_t PCI_ROM_ADDRESS1 = 0x38;
inline constexpr uint16_t PCI_BRIDGE_CONTROL = 0x3e;

inline constexpr uint8_t PCI_HEADER_TYPE_MASK = 0x7f;
inline constexpr uint8_t PCI_HEADER_TYPE_NORMAL = 0;
inline constexpr uint8_t PCI_HEADER_TYPE_BRIDGE = 1;

inline constexpr uint16_t PCI_COMMAND_IO = 0x1;
inline constexpr uint16_t PCI_COMMAND_MEMORY = 0x2;
inline constexpr uint16_t PCI_COMMAND_MASTER = 0x4;
inline constexpr uint16_t PCI_COMMAND_SPECIAL = 0x8;
inline constexpr uint16_t PCI_COMMAND_INVALIDATE = 0x10;
inline constexpr uint16_t PCI_COMMAND_VGA_PALETTE = 0x20;
inline constexpr uint16_t PCI_COMMAND_PARITY = 0x40;
inline constexpr uint16_t PCI_COMMAND_WAIT = 0x80;
inline constexpr uint16_t PCI_COMMAND_SERR = 0x100;
inline constexpr uint16_t PCI_COMMAND_FAST_BACK = 0x200;
inline constexpr uint16_t PCI_COMMAND_INTX_DISABLE = 0x400;
// Bits a guest may always write to hardware (XSA-120 / pciback's PCI_COMMAND_GUEST less MASTER,
// which is an effect so the platform's bookkeeping stays right).
inline constexpr uint16_t PCI_COMMAND_GUEST = PCI_COMMAND_MASTER | PCI_COMMAND_SPECIAL |
    PCI_COMMAND_INVALIDATE | PCI_COMMAND_VGA_PALETTE | PCI_COMMAND_WAIT | PCI_COMMAND_FAST_BACK;

inline constexpr uint16_t PCI_STATUS_INTERRUPT = 0x08;
inline constexpr uint16_t PCI_STATUS_CAP_LIST = 0x10;
inline constexpr uint16_t PCI_STATUS_PARITY = 0x100;
inline constexpr uint16_t PCI_STATUS_SIG_TARGET_ABORT = 0x800;
inline constexpr uint16_t PCI_STATUS_REC_TARGET_ABORT = 0x1000;
inline constexpr uint16_t PCI_STATUS_REC_MASTER_ABORT = 0x2000;
inline constexpr uint16_t PCI_STATUS_SIG_SYSTEM_ERROR = 0x4000;
inline constexpr uint16_t PCI_STATUS_DETECTED_PARITY = 0x8000;
inline constexpr uint16_t PCI_STATUS_RW1C = PCI_STATUS_PARITY | PCI_STATUS_SIG_TARGET_ABORT |
    PCI_STATUS_REC_TARGET_ABORT | PCI_STATUS_REC_MASTER_ABORT | PCI_STATUS_SIG_SYSTEM_ERROR |
    PCI_STATUS_DETECTED_PARITY;

inline constexpr uint32_t PCI_BASE_ADDRESS_SPACE_IO = 0x01;
inline constexpr uint32_t PCI_BASE_ADDRESS_MEM_TYPE_MASK = 0x06;
inline constexpr uint32_t PCI_BASE_ADDRESS_MEM_TYPE_64 = 0x04;
inline constexpr uint32_t PCI_BASE_ADDRESS_MEM_PREFETCH = 0x08;
inline constexpr uint32_t PCI_BASE_ADDRESS_MEM_MASK = ~0x0fu;
inline constexpr uint32_t PCI_BASE_ADDRESS_IO_MASK = ~0x03u;
inline constexpr uint32_t PCI_ROM_ADDRESS_ENABLE = 0x01;
inline constexpr uint32_t PCI_ROM_ADDRESS_MASK = ~0x7ffu;

// Capability IDs (PCI Local Bus 3.0 Appendix H).
inline constexpr uint8_t PCI_CAP_ID_PM = 0x01;
inline constexpr uint8_t PCI_CAP_ID_VPD = 0x03;
inline constexpr uint8_t PCI_CAP_ID_MSI = 0x05;
inline constexpr uint8_t PCI_CAP_ID_VNDR = 0x09;
inline constexpr uint8_t PCI_CAP_ID_EXP = 0x10;
inline constexpr uint8_t PCI_CAP_ID_MSIX = 0x11;
inline constexpr uint8_t PCI_CAP_LIST_ID = 0;
inline constexpr uint8_t PCI_CAP_LIST_NEXT = 1;

// Power management (PCI PM 1.2 §3.2).
inline constexpr uint16_t PCI_PM_PMC = 2;
inline constexpr uint16_t PCI_PM_CTRL = 4;
inline constexpr uint16_t PCI_PM_PPB_EXTENSIONS = 6;
inline constexpr uint16_t PCI_PM_DATA_REGISTER = 7;
inline constexpr uint16_t PCI_PM_CAP_PME_MASK = 0xf800;
inline constexpr uint16_t PCI_PM_CTRL_STATE_MASK = 0x0003;
inline constexpr uint16_t PCI_PM_CTRL_NO_SOFT_RESET = 0x0008;
inline constexpr uint16_t PCI_PM_CTRL_PME_ENABLE = 0x0100;
inline constexpr uint16_t PCI_PM_CTRL_DATA_SEL_MASK = 0x1e00;
inline constexpr uint16_t PCI_PM_CTRL_DATA_SCALE_MASK = 0x6000;
inline constexpr uint16_t PCI_PM_CTRL_PME_STATUS = 0x8000;

// MSI (PCI Local Bus 3.0 §6.8.1).
inline constexpr uint16_t PCI_MSI_FLAGS = 2;
inline constexpr uint16_t PCI_MSI_ADDRESS_LO = 4;
inline constexpr uint16_t PCI_MSI_ADDRESS_HI = 8;
inline constexpr uint16_t PCI_MSI_DATA_32 = 8;
inline constexpr uint16_t PCI_MSI_MASK_32 = 12;
inline constexpr uint16_t PCI_MSI_PENDING_32 = 16;
inline constexpr uint16_t PCI_MSI_DATA_64 = 12;
inline constexpr uint16_t PCI_MSI_MASK_64 = 16;
inline constexpr uint16_t PCI_MSI_PENDING_64 = 20;
inline constexpr uint16_t PCI_MSI_FLAGS_ENABLE = 0x0001;
inline constexpr uint16_t PCI_MSI_FLAGS_QMASK = 0x000e;
inline constexpr uint16_t PCI_MSI_FLAGS_QSIZE = 0x0070;
inline constexpr uint16_t PCI_MSI_FLAGS_64BIT = 0x0080;
inline constexpr uint16_t PCI_MSI_FLAGS_MASKBIT = 0x0100;

// MSI-X (PCI Local Bus 3.0 §6.8.2).
inline constexpr uint16_t PCI_MSIX_FLAGS = 2;
inline constexpr uint16_t PCI_MSIX_TABLE = 4;
inline constexpr uint16_t PCI_MSIX_PBA = 8;
inline constexpr uint16_t PCI_MSIX_FLAGS_QSIZE = 0x07ff;
inline constexpr uint16_t PCI_MSIX_FLAGS_MASKALL = 0x4000;
inline constexpr uint16_t PCI_MSIX_FLAGS_ENABLE = 0x8000;

// PCI Express capability (PCIe Base 4.0 §7.5.3).
inline constexpr uint16_t PCI_EXP_FLAGS = 2;
inline constexpr uint16_t PCI_EXP_DEVCAP = 4;
inline constexpr uint16_t PCI_EXP_DEVCTL = 8;
inline constexpr uint16_t PCI_EXP_DEVSTA = 10;
inline constexpr uint16_t PCI_EXP_DEVCTL_CERE = 0x0001;
inline constexpr uint16_t PCI_EXP_DEVCTL_NFERE = 0x0002;
inline constexpr uint16_t PCI_EXP_DEVCTL_FERE = 0x0004;
inline constexpr uint16_t PCI_EXP_DEVCTL_URRE = 0x0008;
inline constexpr uint16_t PCI_EXP_DEVCTL_RELAX_EN = 0x0010;
inline constexpr uint16_t PCI_EXP_DEVCTL_PAYLOAD = 0x00e0;
inline constexpr uint16_t PCI_EXP_DEVCTL_EXT_TAG = 0x0100;
inline constexpr uint16_t PCI_EXP_DEVCTL_PHANTOM = 0x0200;
inline constexpr uint16_t PCI_EXP_DEVCTL_AUX_PME = 0x0400;
inline constexpr uint16_t PCI_EXP_DEVCTL_NOSNOOP_EN = 0x0800;
inline constexpr uint16_t PCI_EXP_DEVCTL_READRQ = 0x7000;
inline constexpr uint16_t PCI_EXP_DEVCTL_BCR_FLR = 0x8000;
inline constexpr uint16_t PCI_EXP_DEVSTA_RW1C = 0x000f;  // CED, NFED, FED, URD

// Vital product data (PCI Local Bus 3.0 §6.4).
inline constexpr uint16_t PCI_VPD_ADDR = 2;
inline constexpr uint16_t PCI_VPD_DATA = 4;
inline constexpr uint16_t PCI_VPD_ADDR_F = 0x8000;

}  // namespace pcisplit::reg
