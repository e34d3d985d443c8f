// SPDX-License-Identifier: GPL-2.0-only
// Guest topology: vpci slot placement rules and passthrough roots.
#include "backend/topology.hpp"

namespace pcisplit {

Result<Bdf> Topology::add(const PhysFunction& fn, Text& diag) {
  diag.clear();
  if (find_phys(fn.bdf) >= 0) {
    diag.add("device already exported");
    return Err::op_failed;
  }
  int free_index = -1;
  for (int i = 0; i < kMaxDevices && free_index < 0; ++i) {
    if (!entries_[i].used) free_index = i;
  }
  if (free_index < 0) {
    diag.add("too many devices for one guest");
    return Err::op_failed;
  }
  Bdf virt = fn.bdf;
  if (mode_ == Mode::vpci) {
    // A flat virtual bus has nothing to put behind a bridge.
    if (fn.is_bridge) {
      diag.add("bridges cannot be exported on the virtual PCI bus (use passthrough mode)");
      return Err::op_failed;
    }
    int slot = -1;
    // Functions of one physical slot share a virtual slot and keep their function numbers, so
    // multi-function devices stay multi-function; VFs are placed alone at function 0.
    if (!fn.is_virtfn) {
      for (int i = 0; i < end_ && slot < 0; ++i) {
        const Entry& e = entries_[i];
        if (e.used && !e.fn.is_virtfn && e.fn.bdf.domain == fn.bdf.domain && e.fn.bdf.bus == fn.bdf.bus &&
            e.fn.bdf.slot() == fn.bdf.slot()) {
          slot = e.virt.slot();
        }
      }
    }
    for (int s = 0; s < kVpciSlots && slot < 0; ++s) {
      bool taken = false;
      for (int i = 0; i < end_ && !taken; ++i) taken = entries_[i].used && entries_[i].virt.slot() == s;
      if (!taken) slot = s;
    }
    if (slot < 0) {
      diag.add("no free slot on the virtual PCI bus (32 in use)");
      return Err::op_failed;
    }
    virt = Bdf::make(0, 0, static_cast<uint8_t>(slot), fn.is_virtfn ? 0 : fn.bdf.fn());
    if (find_virt(virt) >= 0) {  // cannot happen with the rules above; refuse rather than alias
      diag.add("virtual address already taken");
      return Err::op_failed;
    }
  }
  entries_[free_index] = Entry{fn, virt, true};
  if (free_index >= end_) end_ = free_index + 1;
  return virt;
}

Err Topology::remove(Bdf phys) {
  const int i = find_phys(phys);
  if (i < 0) return Err::dev_not_found;
  entries_[i].used = false;
  while (end_ > 0 && !entries_[end_ - 1].used) --end_;
  return Err::success;
}

int Topology::find_virt(Bdf virt) const {
  for (int i = 0; i < end_; ++i) {
    if (entries_[i].used && entries_[i].virt == virt) return i;
  }
  return -1;
}

int Topology::find_phys(Bdf phys) const {
  for (int i = 0; i < end_; ++i) {
    if (entries_[i].used && entries_[i].fn.bdf == phys) return i;
  }
  return -1;
}

// True for the first placed function on its (domain, bus): each such bus is one root.
bool Topology::first_on_bus(int i) const {
  if (!entries_[i].used) return false;
  for (int j = 0; j < i; ++j) {
    if (entries_[j].used && entries_[j].virt.domain == entries_[i].virt.domain &&
        entries_[j].virt.bus == entries_[i].virt.bus) {
      return false;
    }
  }
  return true;
}

uint16_t Topology::root_count() const {
  if (mode_ == Mode::vpci) return 1;
  uint16_t n = 0;
  for (int i = 0; i < end_; ++i) {
    if (first_on_bus(i)) ++n;
  }
  return n;
}

Bdf Topology::root(uint16_t k) const {
  if (mode_ == Mode::vpci) return Bdf{};
  uint16_t n = 0;
  for (int i = 0; i < end_; ++i) {
    if (first_on_bus(i) && n++ == k) return Bdf{entries_[i].virt.domain, entries_[i].virt.bus, 0};
  }
  return Bdf{};
}

}  // namespace pcisplit
