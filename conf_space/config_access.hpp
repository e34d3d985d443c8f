// SPDX-License-Identifier: GPL-2.0-only
// The ConfigAccess seam: raw config reads/writes of one physical function, and an in-memory implementation.
#pragma once

#include "protocol/types.hpp"

namespace pcisplit {

// Implementations: the kernel glue (pci_read/write_config_*), userspace sysfs, and MemoryConfig below.
// Callers pass only aligned accesses of width 1, 2 or 4 inside size(); implementations may rely on it.
class ConfigAccess {
 public:
  virtual Result<uint32_t> read(uint16_t offset, uint8_t width) = 0;
  virtual Err write(uint16_t offset, uint8_t width, uint32_t value) = 0;
  virtual uint16_t size() const = 0;  // 256 for conventional PCI, 4096 for PCIe

 protected:
  ~ConfigAccess() = default;  // never deleted through the interface
};

// A config space held in memory, little-endian as on the bus. Writes land as written: it models storage,
// not a device (sim/ adds device behaviour such as read-only IDs and BAR sizing on top).
class MemoryConfig final : public ConfigAccess {
 public:
  static constexpr uint16_t kMax = 4096;

  constexpr explicit MemoryConfig(uint16_t size = kMax) : size_(size <= kMax ? size : kMax) {}
  Result<uint32_t> read(uint16_t offset, uint8_t width) override;
  Err write(uint16_t offset, uint8_t width, uint32_t value) override;
  uint16_t size() const override;  // out of line: no COMDAT copy per object (see Kbuild)

  void set_size(uint16_t size) { size_ = size <= kMax ? size : kMax; }
  uint8_t* bytes() { return bytes_; }
  const uint8_t* bytes() const { return bytes_; }
  uint32_t writes() const { return writes_; }

 private:
  uint8_t bytes_[kMax] = {};
  uint16_t size_;
  uint32_t writes_ = 0;
};

}  // namespace pcisplit
