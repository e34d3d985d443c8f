// SPDX-License-Identifier: GPL-2.0-only
// MemoryConfig: a config space in an array.
#include "conf_space/config_access.hpp"

namespace pcisplit {

Result<uint32_t> MemoryConfig::read(uint16_t offset, uint8_t width) {
  if (offset + width > size_) return Err::invalid_offset;
  uint32_t v = 0;
  for (uint8_t i = 0; i < width; ++i) v |= static_cast<uint32_t>(bytes_[offset + i]) << (8 * i);
  return v;
}

uint16_t MemoryConfig::size() const { return size_; }

Err MemoryConfig::write(uint16_t offset, uint8_t width, uint32_t value) {
  if (offset + width > size_) return Err::invalid_offset;
  for (uint8_t i = 0; i < width; ++i) bytes_[offset + i] = static_cast<uint8_t>(value >> (8 * i));
  ++writes_;
  return Err::success;
}

}  // namespace pcisplit
