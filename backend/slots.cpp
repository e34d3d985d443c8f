// SPDX-License-Identifier: GPL-2.0-only
// Slot and hide-list parsing (see slots.hpp for the grammar).
#include "backend/slots.hpp"

namespace pcisplit {
namespace {

bool is_blank(char c) { return c == ' ' || (c >= '\t' && c <= '\r'); }  // as the kernel's isspace()

// Reads 1..max_digits hex digits at `p` (after an optional 0x, as the in-tree driver's sscanf %x
// takes); advances `p`. False when there is none or too many.
bool hex_field(const char*& p, const char* end, int max_digits, uint32_t& out) {
  if (end - p > 2 && p[0] == '0' && (p[1] == 'x' || p[1] == 'X') && hex_digit(p[2]) >= 0) p += 2;
  uint32_t v = 0;
  int n = 0;
  while (p < end && hex_digit(*p) >= 0) {
    if (++n > max_digits) return false;
    v = v << 4 | static_cast<uint32_t>(hex_digit(*p));
    ++p;
  }
  out = v;
  return n > 0;
}

// Parses exactly [begin, end) as one slot; blanks already trimmed.
bool parse_range(const char* begin, const char* end, SlotPattern& out, Text& diag) {
  // Count the colons to tell "DDDD:BB:SS.F" from "BB:SS.F".
  int colons = 0;
  for (const char* q = begin; q < end; ++q) colons += *q == ':';
  if (colons != 1 && colons != 2) {
    diag.add("expected [DDDD:]BB:SS.F");
    return false;
  }
  const char* p = begin;
  uint32_t domain = 0, bus = 0, slot = 0, fn = 0;
  SlotPattern r;
  if (colons == 2 && (!hex_field(p, end, 4, domain) || p >= end || *p++ != ':')) {
    diag.add("bad domain (up to 4 hex digits)");
    return false;
  }
  if (!hex_field(p, end, 2, bus) || p >= end || *p++ != ':') {
    diag.add("bad bus (up to 2 hex digits)");
    return false;
  }
  if (p < end && *p == '*') {
    ++p;
    if (end - p != 2 || p[0] != '.' || p[1] != '*') {
      diag.add("a wildcard slot needs a wildcard function (BB:*.*)");
      return false;
    }
    r.slot = r.fn = SlotPattern::kAny;
  } else {
    if (!hex_field(p, end, 2, slot) || slot > 0x1f || p >= end || *p++ != '.') {
      diag.add("bad slot (00..1f)");
      return false;
    }
    r.slot = static_cast<int16_t>(slot);
    if (end - p == 1 && *p == '*') {
      r.fn = SlotPattern::kAny;
    } else if (!hex_field(p, end, 1, fn) || fn > 7 || p != end) {
      diag.add("bad function (0..7 or *)");
      return false;
    } else {
      r.fn = static_cast<int16_t>(fn);
    }
  }
  r.domain = static_cast<uint16_t>(domain);
  r.bus = static_cast<uint8_t>(bus);
  out = r;
  return true;
}

}  // namespace

bool SlotPattern::matches(Bdf bdf) const {
  return bdf.domain == domain && bdf.bus == bus && (slot == kAny || bdf.slot() == slot) &&
         (fn == kAny || bdf.fn() == fn);
}

bool parse_slot(const char* text, SlotPattern& out, Text& diag) {
  diag.clear();
  if (text == nullptr) {
    diag.add("empty slot");
    return false;
  }
  const char* begin = text;
  const char* end = text;
  while (*end != '\0') ++end;
  while (begin < end && is_blank(*begin)) ++begin;
  while (end > begin && is_blank(end[-1])) --end;
  if (begin == end) {
    diag.add("empty slot");
    return false;
  }
  Text why;
  if (!parse_range(begin, end, out, why)) {
    diag.add("bad slot ").add_quoted(text, 24).add(": ").add(why.c_str());
    return false;
  }
  return true;
}

namespace {

// The hide grammar's walk: take(pattern) for each slot in order; take returns false to stop with
// `full` as the reason.
template <typename Take>
bool walk_hide(const char* text, Text& diag, const char* full, Take&& take) {
  diag.clear();
  if (text == nullptr) return true;
  const char* p = text;
  for (;;) {
    while (is_blank(*p)) ++p;
    if (*p == '\0') break;
    const char* token = p;
    const char* close = p;
    while (*close != '\0' && *close != ')') ++close;
    if (*p != '(' || *close != ')') {
      diag.add("error parsing hide at ").add_quoted(token, 24).add(": expected (DDDD:BB:SS.F)");
      return false;
    }
    const char* begin = p + 1;
    const char* end = close;
    while (begin < end && is_blank(*begin)) ++begin;
    while (end > begin && is_blank(end[-1])) --end;
    Text why;
    SlotPattern pat;
    if (!parse_range(begin, end, pat, why)) {
      diag.add("error parsing hide at ").add_quoted(token, 24).add(": ").add(why.c_str());
      return false;
    }
    if (!take(pat)) {
      diag.add("error parsing hide at ").add_quoted(token, 24).add(": ").add(full);
      return false;
    }
    p = close + 1;
  }
  return true;
}

}  // namespace

bool parse_hide(const char* text, SeizeList& into, Text& diag) {
  // The whole string is checked before anything is added; on any failure the list is left empty.
  if (!walk_hide(text, diag, "", [](const SlotPattern&) { return true; })) {
    into.clear();
    return false;
  }
  static_assert(SeizeList::kMaxBuses == 64, "the message below");
  if (walk_hide(text, diag, "more than 64 buses", [&](const SlotPattern& pat) { return into.add(pat); })) {
    return true;
  }
  into.clear();
  return false;
}

void format_slot(Text& out, const SlotPattern& p) {
  out.add_hex(p.domain, 4).add(":").add_hex(p.bus, 2).add(":");
  if (p.slot == SlotPattern::kAny) {
    out.add("*.*");
    return;
  }
  out.add_hex(static_cast<uint32_t>(p.slot), 2).add(".");
  if (p.fn == SlotPattern::kAny) {
    out.add("*");
  } else {
    out.add_dec(static_cast<uint32_t>(p.fn));
  }
}

// The functions of p that fall in fns[word] (devfns 32 * word .. 32 * word + 31: slots 4 * word ..
// 4 * word + 3).
uint32_t SeizeList::mask_of(const SlotPattern& p, unsigned word) {
  if (p.slot == SlotPattern::kAny) return 0xffffffffu;
  if (static_cast<unsigned>(p.slot) / 4 != word) return 0;
  const unsigned shift = (static_cast<unsigned>(p.slot) % 4) * 8;
  const uint32_t fns = p.fn == SlotPattern::kAny ? 0xffu : 1u << p.fn;
  return fns << shift;
}

bool SeizeList::Bus::empty() const {
  for (uint32_t w : fns) {
    if (w != 0) return false;
  }
  return true;
}

SeizeList::Bus* SeizeList::find(uint16_t domain, uint8_t bus) {
  return const_cast<Bus*>(static_cast<const SeizeList*>(this)->find(domain, bus));
}

const SeizeList::Bus* SeizeList::find(uint16_t domain, uint8_t bus) const {
  for (size_t i = 0; i < nbuses_; ++i) {
    if (buses_[i].domain == domain && buses_[i].bus == bus) return &buses_[i];
  }
  return nullptr;
}

bool SeizeList::add(const SlotPattern& p) {
  Bus* b = find(p.domain, p.bus);
  if (b == nullptr) {
    if (nbuses_ == kMaxBuses) return false;
    b = &buses_[nbuses_++];
    *b = Bus{};
    b->domain = p.domain;
    b->bus = p.bus;
  }
  for (unsigned w = 0; w < 8; ++w) b->fns[w] |= mask_of(p, w);
  return true;
}

unsigned SeizeList::remove(const SlotPattern& p) {
  Bus* b = find(p.domain, p.bus);
  if (b == nullptr) return 0;
  unsigned removed = 0;
  for (unsigned w = 0; w < 8; ++w) {
    const uint32_t hit = b->fns[w] & mask_of(p, w);
    for (uint32_t h = hit; h != 0; h &= h - 1) ++removed;  // no popcount: libgcc's is not in the kernel
    b->fns[w] &= ~hit;
  }
  if (b->empty()) {  // the bus's entry goes, the others keep their order
    const size_t i = static_cast<size_t>(b - buses_);
    for (size_t j = i + 1; j < nbuses_; ++j) buses_[j - 1] = buses_[j];
    --nbuses_;
  }
  return removed;
}

bool SeizeList::contains(Bdf bdf) const {
  const Bus* b = find(bdf.domain, bdf.bus);
  return b != nullptr && b->has(bdf.devfn);
}

}  // namespace pcisplit
