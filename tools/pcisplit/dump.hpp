// SPDX-License-Identifier: GPL-2.0-only
// Config-space dumps in `lspci -xxxx` format (what `lspci -F` reads), plus sysfs resource sizes.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "conf_space/device.hpp"

namespace pcisplit::user {

// One function's config space as captured. Resource sizes ride along as comment lines
// ("# resource N START END FLAGS", the sysfs resource file's line N) that lspci ignores.
struct Dump {
  std::string title;             // the lspci line after the address, e.g. "Ethernet controller: ..."
  Bdf bdf;
  std::vector<uint8_t> config;  // 256 or 4096 bytes
  DeviceInfo info;
  std::vector<std::string> notes;  // other comment lines, kept for the reader
};

// Parses one device. Every malformed line is an error naming the line number.
std::optional<Dump> parse_dump(const std::string& text, std::string& error);
std::optional<Dump> load_dump(const std::string& path, std::string& error);

// Reads /sys/bus/pci/devices/<bdf>/{config,resource} (root sees the whole space).
std::optional<Dump> load_sysfs(const std::string& sysfs_dir, std::string& error);

// Renders bytes as `lspci -xxxx` does: "BB:DD.F title" then 16 bytes a row.
std::string format_lspci(const Bdf& bdf, const std::string& title, const uint8_t* bytes, size_t size);

// Fills a MemoryConfig with the dump's bytes.
void load_into(const Dump& dump, MemoryConfig& cfg);

}  // namespace pcisplit::user
