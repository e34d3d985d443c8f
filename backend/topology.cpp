// SPDX-License-Identifier: GPL-2.0-only
// Guest topology: vpci slot placement rules and passthrough roots.
#include "backend/topology.hpp"

namespace pcisplit {
namespace {

static_assert(sizeof(Bdf) == 4, "an address is one 32-bit key");

// The address as one word: equal addresses, equal keys (Bdf has no padding).
uint32_t key_of(const Bdf& b) {
  uint32_t k;
  __builtin_memcpy(&k, &b, sizeof k);
  return k;
}

// The first slot to probe: the key's top bits after a multiply by an odd constant. devfn is the top
// byte of the key on little-endian hosts, so the functions of one (domain, bus) land in distinct
// slots: the product's top byte is devfn times that constant plus what the lower bytes carry in, mod
// 256, different for each devfn. In vpci mode, every function on 0000:00, no two ever collide.
uint32_t first_slot(uint32_t key, uint32_t slot_bits) { return (key * 0x9e3779b1U) >> (32 - slot_bits); }

}  // namespace

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
  index_virt(free_index);
  return virt;
}

Err Topology::remove(Bdf phys) {
  const int i = find_phys(phys);
  if (i < 0) return Err::dev_not_found;
  entries_[i].used = false;
  while (end_ > 0 && !entries_[end_ - 1].used) --end_;
  // Rebuilt rather than deleted from: a probe sequence must not break at the hole a removal leaves,
  // and a hot-unplug is rare (and under the ops lock, like the lookups).
  reindex();
  return Err::success;
}

void Topology::index_virt(int i) {
  uint32_t s = first_slot(key_of(entries_[i].virt), kIndexBits);
  while (by_virt_[s] != 0) s = (s + 1) & (kIndexSlots - 1);  // a free slot exists: see kIndexSlots
  by_virt_[s] = static_cast<uint16_t>(i + 1);
}

void Topology::reindex() {
  for (auto& s : by_virt_) s = 0;
  for (int i = 0; i < end_; ++i) {
    if (entries_[i].used) index_virt(i);
  }
}

int Topology::find_virt(Bdf virt) const {
  const uint32_t key = key_of(virt);
  uint32_t s = first_slot(key, kIndexBits);
  // Bounded, though half the slots at least are empty: the end of a lookup the guest asks for does
  // not rest on that invariant alone.
  for (uint32_t n = 0; n < kIndexSlots; ++n, s = (s + 1) & (kIndexSlots - 1)) {
    const uint16_t i = by_virt_[s];
    if (i == 0) return -1;
    if (key_of(entries_[i - 1].virt) == key) return i - 1;
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
