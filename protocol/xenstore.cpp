// SPDX-License-Identifier: MIT
// Formatting and strict parsing of the pci device type's xenstore values.
#include "protocol/xenstore.hpp"

namespace pcisplit::xs {
namespace {

constexpr size_t kMaxQuoted = 48;  // how much of a bad value a message repeats

// Reads exactly `digits` hex digits at text[pos].
bool take_hex(const char* text, size_t& pos, int digits, uint32_t& out) {
  uint32_t v = 0;
  for (int i = 0; i < digits; ++i) {
    const int d = hex_digit(text[pos]);
    if (d < 0) return false;
    v = v << 4 | static_cast<uint32_t>(d);
    ++pos;
  }
  out = v;
  return true;
}

bool take_char(const char* text, size_t& pos, char c) {
  if (text[pos] != c) return false;
  ++pos;
  return true;
}

// Canonical unsigned decimal: no sign, no leading zeros, no overflow.
bool take_dec(const char* text, size_t& pos, uint32_t& out) {
  if (text[pos] < '0' || text[pos] > '9') return false;
  if (text[pos] == '0' && text[pos + 1] >= '0' && text[pos + 1] <= '9') return false;
  uint64_t v = 0;
  while (text[pos] >= '0' && text[pos] <= '9') {
    v = v * 10 + static_cast<uint64_t>(text[pos] - '0');
    if (v > 0xffffffffu) return false;
    ++pos;
  }
  out = static_cast<uint32_t>(v);
  return true;
}

bool fail(Text& diag, const char* key, const char* text, const char* expected) {
  diag.clear();
  diag.add("xenstore key ").add(key).add(": ");
  if (text == nullptr) {
    diag.add("missing");
  } else {
    diag.add("malformed value ").add_quoted(text, kMaxQuoted);
  }
  diag.add(", expected ").add(expected);
  return false;
}

bool streq(const char* a, const char* b, size_t n) {
  for (size_t i = 0; i < n; ++i) {
    if (a[i] != b[i]) return false;
  }
  return true;
}

// DDDD:BB:DD.F with `fn_digits` digits for the function; slot <= 0x1f and fn <= 7.
bool parse_bdf(const char* key, const char* text, int fn_digits, Bdf& out, Text& diag,
               const char* expected) {
  if (text == nullptr) return fail(diag, key, text, expected);
  size_t pos = 0;
  uint32_t dom, bus, slot, fn;
  const bool shaped = take_hex(text, pos, 4, dom) && take_char(text, pos, ':') &&
                      take_hex(text, pos, 2, bus) && take_char(text, pos, ':') &&
                      take_hex(text, pos, 2, slot) && take_char(text, pos, '.') &&
                      take_hex(text, pos, fn_digits, fn) && text[pos] == '\0';
  if (!shaped || slot > 0x1f || fn > 7) return fail(diag, key, text, expected);
  out = Bdf::make(static_cast<uint16_t>(dom), static_cast<uint8_t>(bus), static_cast<uint8_t>(slot),
                  static_cast<uint8_t>(fn));
  return true;
}

}  // namespace

const char* state_name(State s) {
  switch (s) {
    case State::unknown: return "Unknown";
    case State::initialising: return "Initialising";
    case State::init_wait: return "InitWait";
    case State::initialised: return "Initialised";
    case State::connected: return "Connected";
    case State::closing: return "Closing";
    case State::closed: return "Closed";
    case State::reconfiguring: return "Reconfiguring";
    case State::reconfigured: return "Reconfigured";
  }
  return "Invalid";
}

void key_name(Text& out, const char* prefix, uint32_t n) {
  out.clear();
  out.add(prefix).add_dec(n);
}

void join(Text& out, const char* dir, const char* key) {
  out.clear();
  out.add(dir).add("/").add(key);
}

void format_dev(Text& out, Bdf bdf) {
  out.clear();
  out.add_hex(bdf.domain, 4).add(":").add_hex(bdf.bus, 2).add(":").add_hex(bdf.slot(), 2).add(".");
  out.add_hex(bdf.fn(), 1);
}

void format_vdev(Text& out, Bdf bdf) {
  out.clear();
  out.add_hex(bdf.domain, 4).add(":").add_hex(bdf.bus, 2).add(":").add_hex(bdf.slot(), 2).add(".");
  out.add_hex(bdf.fn(), 2);
}

void format_root(Text& out, uint16_t domain, uint8_t bus) {
  out.clear();
  out.add_hex(domain, 4).add(":").add_hex(bus, 2);
}

bool parse_dev(const char* key, const char* text, Bdf& out, Text& diag) {
  return parse_bdf(key, text, 1, out, diag, "DDDD:BB:DD.F");
}

bool parse_vdev(const char* key, const char* text, Bdf& out, Text& diag) {
  return parse_bdf(key, text, 2, out, diag, "DDDD:BB:DD.FF");
}

bool parse_root(const char* key, const char* text, Root& out, Text& diag) {
  constexpr char kExpected[] = "DDDD:BB";
  if (text == nullptr) return fail(diag, key, text, kExpected);
  size_t pos = 0;
  uint32_t dom, bus;
  if (!(take_hex(text, pos, 4, dom) && take_char(text, pos, ':') && take_hex(text, pos, 2, bus) &&
        text[pos] == '\0')) {
    return fail(diag, key, text, kExpected);
  }
  out = Root{static_cast<uint16_t>(dom), static_cast<uint8_t>(bus)};
  return true;
}

bool parse_u32(const char* key, const char* text, uint32_t& out, Text& diag) {
  constexpr char kExpected[] = "an unsigned decimal number";
  if (text == nullptr) return fail(diag, key, text, kExpected);
  size_t pos = 0;
  uint32_t v;
  if (!take_dec(text, pos, v) || text[pos] != '\0') return fail(diag, key, text, kExpected);
  out = v;
  return true;
}

bool parse_count(const char* key, const char* text, uint32_t max, uint32_t& out, Text& diag) {
  uint32_t v;
  if (!parse_u32(key, text, v, diag)) return false;
  if (v > max) {
    diag.clear();
    diag.add("xenstore key ").add(key).add(": value ").add_dec(v).add(" exceeds the limit ").add_dec(max);
    return false;
  }
  out = v;
  return true;
}

bool parse_state(const char* key, const char* text, State& out, Text& diag) {
  uint32_t v;
  if (!parse_u32(key, text, v, diag)) return false;
  if (v > static_cast<uint32_t>(State::reconfigured)) {
    return fail(diag, key, text, "a XenbusState 0..8");
  }
  out = static_cast<State>(v);
  return true;
}

bool parse_magic(const char* key, const char* text, Text& diag) {
  if (text == nullptr || text[0] != PCISPLIT_MAGIC[0] || text[1] != '\0') {
    return fail(diag, key, text, "\"" PCISPLIT_MAGIC "\"");
  }
  return true;
}

bool parse_opts(const char* key, const char* text, DevOpts& out, Text& diag) {
  constexpr char kExpected[] = "name=value[,name=value...] with 0/1 flags";
  if (text == nullptr) return fail(diag, key, text, kExpected);
  DevOpts opts = out;
  size_t pos = 0;
  while (text[pos] != '\0') {
    const size_t name = pos;
    while (text[pos] != '\0' && text[pos] != '=' && text[pos] != ',') ++pos;
    const size_t name_len = pos - name;
    if (name_len == 0 || text[pos] != '=') return fail(diag, key, text, kExpected);
    ++pos;
    const size_t val = pos;
    while (text[pos] != '\0' && text[pos] != ',') ++pos;
    const size_t val_len = pos - val;
    if (text[pos] == ',') {
      ++pos;
      if (text[pos] == '\0') return fail(diag, key, text, kExpected);  // trailing comma
    }
    bool* flag = nullptr;
    if (name_len == 12 && streq(text + name, "msitranslate", 12)) flag = &opts.msitranslate;
    if (name_len == 10 && streq(text + name, "power_mgmt", 10)) flag = &opts.power_mgmt;
    if (name_len == 10 && streq(text + name, "permissive", 10)) flag = &opts.permissive;
    if (flag == nullptr) continue;  // e.g. rdm_policy: not ours to interpret
    if (val_len != 1 || (text[val] != '0' && text[val] != '1')) return fail(diag, key, text, kExpected);
    *flag = text[val] == '1';
  }
  out = opts;
  return true;
}

State read_state(Store& store, const char* dir, Text& diag) {
  Text path;
  join(path, dir, kState);
  return read_state_at(store, path.c_str(), diag);
}

State read_state_at(Store& store, const char* path, Text& diag) {
  char buf[kValueMax];
  State s = State::unknown;
  diag.clear();
  if (store.read(kNoTx, path, buf, sizeof buf) != StoreStatus::ok) return State::unknown;
  if (!parse_state(path, buf, s, diag)) return State::unknown;  // the diag names the path
  return s;
}

}  // namespace pcisplit::xs
