// SPDX-License-Identifier: GPL-2.0-only
// Quirks as data: the built-in per-device table, and the sysfs "quirks" string format.
#pragma once

#include "conf_space/device.hpp"

namespace pcisplit::quirks {

// A built-in quirk matches one exact device (vendor, device, subsystem vendor, subsystem); no wildcards,
// so a quirk never opens registers on hardware nobody looked at.
struct Match {
  uint16_t vendor;
  uint16_t device;
  uint16_t subvendor;
  uint16_t subdevice;
};
struct Quirk {
  Match match;
  const Field* fields;  // absolute offsets
  size_t count;
  const char* why;
};

// The built-in quirk for this device, or nullptr.
const Quirk* find_builtin(const Match& ids);

// Reads the device's IDs through the view and adds the matching built-in quirk's fields.
Err apply_builtin(DeviceView& dev, Text& diag);

// The descriptor for a register the guest may write: `mask` bits go to hardware, the rest read-only.
Field passthrough_field(uint16_t offset, uint8_t width, uint32_t mask);

// "DDDD:BB:DD.F-REG:SIZE:MASK" (hex, as the in-tree sysfs attribute; one trailing newline allowed).
struct SysfsQuirk {
  Bdf bdf;
  uint16_t reg = 0;
  uint8_t size = 0;
  uint32_t mask = 0;
};
// All-or-nothing: on failure `out` is untouched and `diag` names the bad field.
bool parse_sysfs(const char* text, uint16_t config_size, SysfsQuirk& out, Text& diag);

}  // namespace pcisplit::quirks
