// SPDX-License-Identifier: GPL-2.0-only
// The admin's device lists: the "hide" module parameter and the slot strings written to the pciback
// driver's sysfs attributes (new_slot, remove_slot, permissive, allow_interrupt_control, ...), parsed
// here so the kernel glue only stores the result and the unit tests cover the grammar.
//
// Grammar, as the in-tree driver accepts it:
//   slot  := [DDDD:]BB:SS.F | [DDDD:]BB:SS.* | [DDDD:]BB:*.*      (hex; no domain means 0000)
//   hide  := "(" slot ")" { "(" slot ")" }                        (blanks around tokens ignored)
// Ranges: domain <= ffff, bus <= ff, slot <= 1f, function <= 7.
#pragma once

#include "protocol/types.hpp"

namespace pcisplit {

struct SlotPattern {
  static constexpr int16_t kAny = -1;
  uint16_t domain = 0;
  uint8_t bus = 0;
  int16_t slot = kAny;  // kAny: every slot (then every function too)
  int16_t fn = kAny;    // kAny: every function

  bool matches(Bdf bdf) const;
  bool exact() const { return slot != kAny && fn != kAny; }
  constexpr bool operator==(const SlotPattern&) const = default;
};

// One slot string (sysfs writes): leading/trailing blanks and one trailing newline allowed, nothing
// else. False and `diag` saying why when it is not a slot.
bool parse_slot(const char* text, SlotPattern& out, Text& diag);

class SeizeList;
// The hide parameter into a seize list (the module's load): every function it names is added. All or
// nothing: on failure (a bad token, or a bus past SeizeList::kMaxBuses) `into` is left empty and
// `diag` quotes the bad token.
bool parse_hide(const char* text, SeizeList& into, Text& diag);

// "DDDD:BB:SS.F", or the wildcard forms.
void format_slot(Text& out, const SlotPattern& p);

// The functions pciback seizes (hide= and new_slot), kept function by function as the in-tree driver
// keeps them: a pattern with wildcards adds every function it names, remove_slot removes every listed
// function its pattern names, and the "slots" attribute lists one function a line. libxl reads that
// attribute with fscanf("%x:%x:%x.%d"), stopping at the first line that is not one function: a
// wildcard line there would hide every line after it from `xl pci-assignable-add/-remove`.
// One 256-bit map per bus (domain, bus), at most kMaxBuses of them.
class SeizeList {
 public:
  static constexpr size_t kMaxBuses = 64;

  // Adds every function p names. False, and nothing changed, when that needs a bus past kMaxBuses.
  bool add(const SlotPattern& p);
  // Removes every listed function p names; returns how many were listed.
  unsigned remove(const SlotPattern& p);
  bool contains(Bdf bdf) const;
  void clear() { nbuses_ = 0; }
  // The listed functions in the order their buses were first added, each bus by devfn; calls
  // f(Bdf) for each.
  template <typename F>
  void for_each(F&& f) const {
    for (size_t b = 0; b < nbuses_; ++b) {
      for (unsigned devfn = 0; devfn < 256; ++devfn) {
        if (buses_[b].has(static_cast<uint8_t>(devfn))) {
          f(Bdf{buses_[b].domain, buses_[b].bus, static_cast<uint8_t>(devfn)});
        }
      }
    }
  }

 private:
  struct Bus {
    uint16_t domain = 0;
    uint8_t bus = 0;
    uint32_t fns[8] = {};  // bit devfn % 32 of fns[devfn / 32]
    bool has(uint8_t devfn) const { return (fns[devfn / 32] >> (devfn % 32) & 1u) != 0; }
    bool empty() const;
  };
  Bus* find(uint16_t domain, uint8_t bus);
  const Bus* find(uint16_t domain, uint8_t bus) const;
  static uint32_t mask_of(const SlotPattern& p, unsigned word);

  Bus buses_[kMaxBuses];
  size_t nbuses_ = 0;
};

}  // namespace pcisplit
