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

// The hide parameter. All or nothing: on failure `count` is 0 and `diag` quotes the bad token.
bool parse_hide(const char* text, SlotPattern* out, size_t cap, size_t& count, Text& diag);

// "DDDD:BB:SS.F", or the wildcard forms, as the "slots" attribute lists them.
void format_slot(Text& out, const SlotPattern& p);

}  // namespace pcisplit
