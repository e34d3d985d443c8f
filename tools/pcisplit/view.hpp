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

// Hardware and guest rows side by side; bytes that differ are marked with '*'.
std::string side_by_side(const std::vector<uint8_t>& hw, const std::vector<uint8_t>& guest);

// Capabilities found (exposed or hidden) and every claimed register that is not plain read/write.
std::string describe_policy(const DeviceView& view);

}  // namespace pcisplit::user
