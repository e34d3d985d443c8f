// SPDX-License-Identifier: GPL-2.0-only
// Where a guest sees each exported device: vpci (one virtual bus, 32 slots) or passthrough (real BDFs).
#pragma once

#include "protocol/types.hpp"

namespace pcisplit {

struct PhysFunction {
  Bdf bdf;
  bool is_bridge = false;  // type-1 header
  bool is_virtfn = false;  // an SR-IOV virtual function
};

class Topology {
 public:
  enum class Mode : uint8_t { vpci, passthrough };
  static constexpr uint16_t kMaxDevices = 256;
  static constexpr uint8_t kVpciSlots = 32;

  explicit Topology(Mode mode) : mode_(mode) {}

  // Places a function; returns its guest-visible address. Errors, with `diag` saying why: a bridge in
  // vpci mode, a function already placed, no free slot.
  Result<Bdf> add(const PhysFunction& fn, Text& diag);
  // Removes a function (hot-unplug); its slot is free again once all functions of it are gone.
  Err remove(Bdf phys);

  // Guest address -> index of the function as placed (for the dispatcher, on every op); -1 if none.
  // A hashed lookup: its cost does not grow with the functions placed.
  int find_virt(Bdf virt) const;
  int find_phys(Bdf phys) const;
  bool in_use(int index) const { return entries_[index].used; }
  // One past the highest index in use (0 when empty): every index at or past it is free, so a walk
  // over the placed functions stops here rather than at kMaxDevices (the backend walks them on
  // every xenstore event, and a guest rarely has more than a few).
  int end() const { return end_; }
  const PhysFunction& phys(int index) const { return entries_[index].fn; }
  Bdf virt(int index) const { return entries_[index].virt; }

  // The roots the frontend must scan ("root-N" = DDDD:BB): vpci has one, passthrough one per real bus.
  uint16_t root_count() const;
  Bdf root(uint16_t i) const;  // devfn unused
  Mode mode() const { return mode_; }

 private:
  struct Entry {
    PhysFunction fn;
    Bdf virt;
    bool used = false;
  };
  // The index of guest addresses: open addressing with linear probing, twice as many slots as
  // entries can be used, so a probe sequence is short and always ends at an empty slot.
  static constexpr uint32_t kIndexBits = 9;
  static constexpr uint16_t kIndexSlots = 1u << kIndexBits;
  static_assert(kIndexSlots == 2 * kMaxDevices);
  bool first_on_bus(int i) const;
  void index_virt(int i);
  void reindex();

  Mode mode_;
  Entry entries_[kMaxDevices];
  int end_ = 0;
  uint16_t by_virt_[kIndexSlots] = {};  // entry index + 1 of a used entry; 0: empty
};

}  // namespace pcisplit
