// SPDX-License-Identifier: GPL-2.0-only
// Which interrupt type a device has on, read from hardware; used where allow_interrupt_control applies.
#pragma once

#include "conf_space/device.hpp"

namespace pcisplit {

struct IrqState {
  bool intx = false;  // has a pin and PCI_COMMAND_INTX_DISABLE is clear
  bool msi = false;
  bool msix = false;
};

Result<IrqState> read_irq_state(DeviceView& dev);

enum class IrqType : uint8_t { intx, msi, msix };

// May the guest itself switch `type` on (enabling) or off through config space? Only with the
// device's allow_interrupt_control, and on only while the other two types are off: one interrupt
// type at a time, as the in-tree driver's rule for qemu in a stub domain.
Result<bool> guest_may_switch(DeviceView& dev, IrqType type, bool enabling);

}  // namespace pcisplit
