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

}  // namespace pcisplit
