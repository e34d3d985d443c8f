// SPDX-License-Identifier: GPL-2.0-only
// MemoryConfig: a config space in an array.
#include "conf_space/config_access.hpp"

namespace pcisplit {

Result<uint32_t> MemoryConfig::read(uint16_t offset, uint8_t width) {
  if (offset + width > size_) return Err::invalid_offset;
  // Little-endian as on the bus, whatever the host's order; the widths callers may pass spelt out.
  const uint8_t* b = bytes_ + offset;
  switch (width) {
    case 1: return uint32_t{b[0]};
    case 2: return uint32_t{b[0]} | uint32_t{b[1]} << 8;
    case 4: return uint32_t{b[0]} | uint32_t{b[1]} << 8 | uint32_t{b[2]} << 16 | uint32_t{b[3]} << 24;
    default: return Err::invalid_offset;
  }
}

uint16_t MemoryConfig::size() const { return size_; }

Err MemoryConfig::write(uint16_t offset, uint8_t width, uint32_t value) {
  if (offset + width > size_) return Err::invalid_offset;
  for (uint8_t i = 0; i < width; ++i) bytes_[offset + i] = static_cast<uint8_t>(value >> (8 * i));
  ++writes_;
  return Err::success;
}

}  // namespace pcisplit
