// SPDX-License-Identifier: GPL-2.0-only
// Reads the device's INTx / MSI / MSI-X enable state from hardware.
#include "conf_space/interrupts.hpp"

namespace pcisplit {

Result<IrqState> read_irq_state(DeviceView& dev) {
  IrqState st;
  PCISPLIT_TRY(cmd, dev.hw_read(reg::PCI_COMMAND, 2));
  PCISPLIT_TRY(pin, dev.hw_read(reg::PCI_INTERRUPT_PIN, 1));
  if (const uint8_t msi = dev.cap_offset(reg::PCI_CAP_ID_MSI); msi != 0) {
    PCISPLIT_TRY(f, dev.hw_read(msi + reg::PCI_MSI_FLAGS, 2));
    st.msi = (f & reg::PCI_MSI_FLAGS_ENABLE) != 0;
  }
  if (const uint8_t msix = dev.cap_offset(reg::PCI_CAP_ID_MSIX); msix != 0) {
    PCISPLIT_TRY(f, dev.hw_read(msix + reg::PCI_MSIX_FLAGS, 2));
    st.msix = (f & reg::PCI_MSIX_FLAGS_ENABLE) != 0;
  }
  st.intx = pin != 0 && (cmd & reg::PCI_COMMAND_INTX_DISABLE) == 0 && !st.msi && !st.msix;
  return st;
}

Result<bool> guest_may_switch(DeviceView& dev, IrqType type, bool enabling) {
  if (!dev.policy().allow_interrupt_control) return false;
  if (!enabling) return true;
  PCISPLIT_TRY(s, read_irq_state(dev));
  switch (type) {
    case IrqType::intx: return !s.msi && !s.msix;
    case IrqType::msi: return !s.msix;
    case IrqType::msix: return !s.msi;
  }
  return false;
}

}  // namespace pcisplit
