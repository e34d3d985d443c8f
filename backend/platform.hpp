// SPDX-License-Identifier: GPL-2.0-only
// The Platform seam, per exported device: what only the host can do (the kernel glue in xen-pciback.ko,
// the simulator in sim/, fakes in the unit tests). The backend core decides; the platform performs.
#pragma once

#include "conf_space/field.hpp"
#include "protocol/types.hpp"

namespace pcisplit {

class DevicePlatform {
 public:
  // Performs an effect a config write asked for (enable/disable the device, bus master, power state).
  virtual Err apply(const Effect& effect) = 0;
  // Enables MSI with `nvec` vectors (a power of two) for the owning guest; returns the first PIRQ.
  virtual Result<uint32_t> enable_msi(uint32_t nvec) = 0;
  virtual Err disable_msi() = 0;
  // Enables MSI-X for the table entries given; writes one PIRQ per entry into `pirqs`. Refuses when the
  // table's BAR is not decoded: for an SR-IOV VF that is the PF's VF Memory Space Enable, which the
  // core cannot read (the VF's own Memory Space bit is hardwired to 0).
  virtual Err enable_msix(const uint16_t* entries, uint32_t n, uint32_t* pirqs) = 0;
  virtual Err disable_msix() = 0;
  // The PIRQ of the device's legacy interrupt for the guest, 0 if it has none.
  virtual uint32_t legacy_pirq() = 0;

 protected:
  ~DevicePlatform() = default;
};

}  // namespace pcisplit
