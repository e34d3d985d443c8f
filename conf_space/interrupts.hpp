// SPDX-License-Identifier: GPL-2.0-only
// Which interrupt type a device has on, read from hardware; used where allow_interrupt_control applies.
#pragma once

#include "conf_space/device.hpp"

namespace pcisplit {

struct IrqState {
  // Has a pin, PCI_COMMAND_INTX_DISABLE is clear and MSI and MSI-X are off: a function with MSI or
  // MSI-X on does not signal INTx (PCI spec), whatever its command register says.
  bool intx = false;
  bool msi = false;
  bool msix = false;
};

Result<IrqState> read_irq_state(DeviceView& dev);

enum class IrqType : uint8_t { intx, msi, msix };

// May the guest itself switch `type` on (enabling) or off through config space? Only with the
// device's allow_interrupt_control (qemu in a stub domain). Off always; on, one type at a time as
// Linux's pciback counts them (Linux 6.7, also in Debian 12's 6.1.192): MSI or MSI-X while the other
// is off, even with INTx still on (Linux's own MSI start-up enables MSI first and masks INTx after);
// INTx only while MSI and MSI-X are off (stricter than Linux's pciback, whose command write does not
// check: a function with MSI on must not use INTx anyway).
Result<bool> guest_may_switch(DeviceView& dev, IrqType type, bool enabling);

}  // namespace pcisplit
