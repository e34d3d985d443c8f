// SPDX-License-Identifier: GPL-2.0-only
// What a guest will see of a device: building the view from a dump and rendering it for people.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "tools/pcisplit/dump.hpp"

namespace pcisplit::user {

// A dump's device with its layered view, ready to be read like a guest would.
struct ViewedDevice {
  Dump dump;
  MemoryConfig cfg;
  DeviceView view;
};

// Builds header, capability and built-in quirk tables over the dump. nullptr with `error` on failure.
std::unique_ptr<ViewedDevice> view_dump(const Dump& dump, const Policy& policy, std::string& error);

// The guest's config space, read dword by dword through the engine.
std::vector<uint8_t> guest_bytes(DeviceView& view);

// A register whose guest value the dump cannot tell: a BAR or ROM that reads non-zero when the dump
// has no sizes (the guest reads the hardware's address if dom0's kernel assigned it; what a sizing
// write returns is unknown), or the interrupt line of a function with a pin when dom0's IRQ is unknown.
struct Unknown {
  uint16_t offset;
  uint8_t width;
  std::string name;  // "BAR0", "ROM", "interrupt line"
  std::string why;   // "size unknown", "dom0's IRQ unknown"
};
std::vector<Unknown> unknown_registers(const Dump& dump);

// What a guest reads, with the unknown registers' bytes shown as the hardware's and flagged.
struct GuestConfig {
  std::vector<uint8_t> bytes;
  std::vector<bool> unknown;  // per byte
};
GuestConfig guest_config(ViewedDevice& dev);

// Where the sizes and the IRQ came from (one line, for the view's heading).
std::string describe_sources(const Dump& dump);

// The note that heads a view (each line prefixed with `prefix`, "# " in a guest dump) when the dump
// cannot tell some registers: which, why, and the command that captures a complete dump. Empty when
// nothing is unknown.
std::string unknowns_note(const Dump& dump, const std::string& prefix);

// Hardware and guest rows side by side; bytes that differ are marked with '*', bytes this dump cannot
// tell (`unknown`, may be empty) with '?'.
std::string side_by_side(const std::vector<uint8_t>& hw, const std::vector<uint8_t>& guest,
                         const std::vector<bool>& unknown = {});

// Capabilities found (exposed or hidden) and every claimed register that is not plain read/write;
// the registers in `unknown` say so on their row.
std::string describe_policy(const DeviceView& view, const std::vector<Unknown>& unknown = {});

}  // namespace pcisplit::user
