// SPDX-License-Identifier: GPL-2.0-only
// Strict parser for the sysfs quirks string "[DDDD:]BB:DD.F-REG:SIZE:MASK" (the in-tree driver's
// forms: with or without the domain, blanks around the whole, 0x on any number).
#include "quirks/quirks.hpp"

namespace pcisplit::quirks {
namespace {

// 1..max_digits hex digits (an optional 0x prefix is accepted, as sscanf's %x does).
bool take_hex(const char* s, size_t& pos, int max_digits, uint32_t& out) {
  if (s[pos] == '0' && (s[pos + 1] == 'x' || s[pos + 1] == 'X') && hex_digit(s[pos + 2]) >= 0) pos += 2;
  uint32_t v = 0;
  int n = 0;
  while (hex_digit(s[pos]) >= 0) {
    if (++n > max_digits) return false;
    v = v << 4 | static_cast<uint32_t>(hex_digit(s[pos]));
    ++pos;
  }
  out = v;
  return n > 0;
}

bool is_blank(char c) { return c == ' ' || (c >= '\t' && c <= '\r'); }  // as the kernel's isspace()

bool bad(Text& diag, const char* text, const char* field, const char* expected) {
  diag.clear();
  diag.add("quirk ").add_quoted(text, 48).add(": bad ").add(field).add(", expected ").add(expected);
  return false;
}

}  // namespace

bool parse_sysfs(const char* text, uint16_t config_size, SysfsQuirk& out, Text& diag) {
  if (text == nullptr) return bad(diag, "", "string", "[DDDD:]BB:DD.F-REG:SIZE:MASK");
  size_t pos = 0;
  while (is_blank(text[pos])) ++pos;
  // The short form "BB:DD.F-..." (domain 0) has one colon before the '-', the full form two.
  int colons = 0;
  for (size_t q = pos; text[q] != '\0' && text[q] != '-'; ++q) colons += text[q] == ':';
  uint32_t dom = 0, bus, slot, fn, reg_off, size, mask;
  if (colons == 0) return bad(diag, text, "address", "[DDDD:]BB:DD.F before the '-'");
  if (colons != 1 && (!take_hex(text, pos, 4, dom) || text[pos++] != ':')) {
    return bad(diag, text, "domain", "up to 4 hex digits");
  }
  if (!take_hex(text, pos, 2, bus) || text[pos++] != ':') return bad(diag, text, "bus", "up to 2 hex digits");
  if (!take_hex(text, pos, 2, slot) || slot > 0x1f || text[pos++] != '.') {
    return bad(diag, text, "slot", "a hex slot 0..1f");
  }
  if (!take_hex(text, pos, 1, fn) || fn > 7 || text[pos++] != '-') return bad(diag, text, "function", "0..7");
  if (!take_hex(text, pos, 4, reg_off) || reg_off >= config_size || text[pos++] != ':') {
    return bad(diag, text, "REG", "a hex offset inside the config space");
  }
  if (!take_hex(text, pos, 1, size) || (size != 1 && size != 2 && size != 4) || text[pos++] != ':') {
    return bad(diag, text, "SIZE", "1, 2 or 4");
  }
  if (reg_off % size != 0 || reg_off + size > config_size) return bad(diag, text, "REG", "aligned to SIZE");
  if (!take_hex(text, pos, 8, mask) || (mask & ~width_mask(static_cast<uint8_t>(size))) != 0) {
    return bad(diag, text, "MASK", "hex bits within SIZE bytes");
  }
  while (is_blank(text[pos])) ++pos;
  if (text[pos] != '\0') return bad(diag, text, "MASK", "end of string after MASK");
  out = SysfsQuirk{Bdf::make(static_cast<uint16_t>(dom), static_cast<uint8_t>(bus), static_cast<uint8_t>(slot),
                             static_cast<uint8_t>(fn)),
                   static_cast<uint16_t>(reg_off), static_cast<uint8_t>(size), mask};
  return true;
}

}  // namespace pcisplit::quirks
