// SPDX-License-Identifier: GPL-2.0-only
// Every text parser of the tree, on arbitrary text: the xenstore value parsers (protocol/xenstore.hpp),
// the hide=/slot grammar (backend/slots.hpp), the sysfs quirk string (quirks/quirks.hpp), the lspci
// dump files and lspci -vv text (tools/pcisplit/dump.hpp), pciback's attributes as pcisplit status
// reads them (tools/pcisplit/status.hpp) and saved xenstore-ls listings. The first byte picks the
// parser, the rest is the text.
//
// Beyond "no crash, no sanitizer report", each parser must keep its documented contract:
// all-or-nothing (a failure leaves the output untouched and says why), accepted values inside the
// documented ranges, and formatting an accepted value then parsing it again gives the same value.
#include <algorithm>
#include <set>

#include "backend/slots.hpp"
#include "protocol/xenstore.hpp"
#include "quirks/quirks.hpp"
#include "test/fuzz/fuzz_support.hpp"
#include "tools/pcisplit/status.hpp"
#include "tools/pcisplit/xenstore_reader.hpp"

using namespace pcisplit;
using pcisplit::fuzz::violation;

namespace {

constexpr Bdf kSentinelBdf = {0xdead, 0xbe, 0xef};
constexpr char kKey[] = "fuzz-key";

// A failed parse must say why and leave the output as it was.
bool failed_cleanly(const char* parser, bool ok, const Text& diag, bool unchanged, const std::string& text) {
  if (ok) return false;
  if (diag.size() == 0) violation("diag-on-failure", "%s rejected \"%s\" without saying why", parser, text.c_str());
  if (!unchanged) {
    violation("untouched-on-failure", "%s rejected \"%s\" but changed its output", parser, text.c_str());
  }
  return true;
}

void bdf_parser(bool vdev, const std::string& text) {
  Bdf out = kSentinelBdf;
  Text diag;
  const bool ok = vdev ? xs::parse_vdev(kKey, text.c_str(), out, diag) : xs::parse_dev(kKey, text.c_str(), out, diag);
  if (failed_cleanly(vdev ? "parse_vdev" : "parse_dev", ok, diag, out == kSentinelBdf, text)) return;
  Text again;
  if (vdev) xs::format_vdev(again, out);
  else xs::format_dev(again, out);
  Bdf back = kSentinelBdf;
  Text diag2;
  const bool ok2 = vdev ? xs::parse_vdev(kKey, again.c_str(), back, diag2) : xs::parse_dev(kKey, again.c_str(), back, diag2);
  if (!ok2 || !(back == out)) {
    violation("round-trip", "\"%s\" parsed, formatted as \"%s\", which %s", text.c_str(), again.c_str(),
              ok2 ? "parses to another address" : "does not parse");
  }
}

void root_parser(const std::string& text) {
  const xs::Root sentinel{0xdead, 0xbe};
  xs::Root out = sentinel;
  Text diag;
  const bool ok = xs::parse_root(kKey, text.c_str(), out, diag);
  if (failed_cleanly("parse_root", ok, diag, out.domain == sentinel.domain && out.bus == sentinel.bus, text)) return;
  Text again;
  xs::format_root(again, out.domain, out.bus);
  xs::Root back = sentinel;
  if (!xs::parse_root(kKey, again.c_str(), back, diag) || back.domain != out.domain || back.bus != out.bus) {
    violation("round-trip", "root \"%s\" formatted as \"%s\" does not parse back", text.c_str(), again.c_str());
  }
}

void number_parser(uint8_t which, uint32_t max, const std::string& text) {
  const uint32_t sentinel = 0xdeadbeef;
  uint32_t out = sentinel;
  Text diag;
  bool ok = false;
  const char* name = "";
  if (which == 0) {
    name = "parse_u32";
    ok = xs::parse_u32(kKey, text.c_str(), out, diag);
  } else if (which == 1) {
    name = "parse_count";
    ok = xs::parse_count(kKey, text.c_str(), max, out, diag);
  } else {
    name = "parse_state";
    xs::State s = static_cast<xs::State>(sentinel);
    ok = xs::parse_state(kKey, text.c_str(), s, diag);
    out = static_cast<uint32_t>(s);
  }
  if (failed_cleanly(name, ok, diag, out == sentinel, text)) return;
  if (which == 1 && out > max) violation("range", "parse_count accepted %u over the limit %u", out, max);
  if (which == 2 && out > 8) violation("range", "parse_state accepted %u", out);
  // Canonical decimal only: the accepted text is exactly the number printed back.
  Text again;
  again.add_dec(out);
  if (text != again.c_str()) violation("canonical", "%s accepted \"%s\" as %u", name, text.c_str(), out);
}

void magic_parser(const std::string& text) {
  Text diag;
  const bool ok = xs::parse_magic(kKey, text.c_str(), diag);
  if (ok != (text == PCISPLIT_MAGIC)) violation("magic", "parse_magic(\"%s\") = %d", text.c_str(), ok);
  if (!ok && diag.size() == 0) violation("diag-on-failure", "parse_magic rejected \"%s\" silently", text.c_str());
}

void opts_parser(uint8_t start, const std::string& text) {
  xs::DevOpts before;
  before.msitranslate = start & 1;
  before.power_mgmt = start & 2;
  before.permissive = start & 4;
  xs::DevOpts out = before;
  Text diag;
  const bool ok = xs::parse_opts(kKey, text.c_str(), out, diag);
  if (failed_cleanly("parse_opts", ok, diag, out.msitranslate == before.msitranslate && out.power_mgmt == before.power_mgmt && out.permissive == before.permissive, text)) return;
  // What was accepted, written as libxl writes it, parses to the same flags whatever they were before.
  Text again;
  again.add("msitranslate=").add_dec(out.msitranslate).add(",power_mgmt=").add_dec(out.power_mgmt);
  again.add(",permissive=").add_dec(out.permissive).add(",rdm_policy=strict");
  xs::DevOpts back;
  back.msitranslate = !out.msitranslate;
  back.power_mgmt = !out.power_mgmt;
  back.permissive = !out.permissive;
  if (!xs::parse_opts(kKey, again.c_str(), back, diag) || back.msitranslate != out.msitranslate ||
      back.power_mgmt != out.power_mgmt || back.permissive != out.permissive) {
    violation("round-trip", "opts \"%s\" re-written as \"%s\" do not parse back", text.c_str(), again.c_str());
  }
}

bool same_pattern(const SlotPattern& a, const SlotPattern& b) { return a == b; }

void check_pattern(const SlotPattern& p, const std::string& text) {
  if (p.slot != SlotPattern::kAny && (p.slot < 0 || p.slot > 0x1f)) {
    violation("range", "slot \"%s\" gave slot %d", text.c_str(), p.slot);
  }
  if (p.fn != SlotPattern::kAny && (p.fn < 0 || p.fn > 7)) violation("range", "slot \"%s\" gave fn %d", text.c_str(), p.fn);
  if (p.slot == SlotPattern::kAny && p.fn != SlotPattern::kAny) {
    violation("range", "slot \"%s\": a wildcard slot with a fixed function", text.c_str());
  }
  Text again;
  format_slot(again, p);
  SlotPattern back;
  Text diag;
  if (!parse_slot(again.c_str(), back, diag) || !same_pattern(back, p)) {
    violation("round-trip", "slot \"%s\" formatted as \"%s\" does not parse back", text.c_str(), again.c_str());
  }
  // matches() agrees with the pattern's fields on a function it names.
  if (p.exact() && !p.matches(Bdf::make(p.domain, p.bus, static_cast<uint8_t>(p.slot), static_cast<uint8_t>(p.fn)))) {
    violation("matches", "slot \"%s\" does not match its own address", text.c_str());
  }
}

void slot_parser(const std::string& text) {
  SlotPattern before;
  before.domain = 0xdead;
  before.bus = 0xbe;
  before.slot = 3;
  before.fn = 5;
  SlotPattern out = before;
  Text diag;
  const bool ok = parse_slot(text.c_str(), out, diag);
  if (failed_cleanly("parse_slot", ok, diag, out == before, text)) return;
  check_pattern(out, text);
}

// The seize list's functions as "(DDDD:BB:SS.F)" tokens, in its order.
std::string hide_string(const SeizeList& list, size_t* count) {
  std::string out;
  size_t n = 0;
  list.for_each([&](Bdf b) {
    Text t;
    format_slot(t, SlotPattern{b.domain, b.bus, static_cast<int16_t>(b.slot()), static_cast<int16_t>(b.fn())});
    out += "(" + std::string(t.c_str()) + ")";
    ++n;
  });
  if (count != nullptr) *count = n;
  return out;
}

// hide= into a seize list: all or nothing, and the list written back as explicit functions parses to
// the same list. `arg` picks how many buses are already listed before the parse (0: a module load).
void hide_parser(uint8_t arg, const std::string& text) {
  static SeizeList list;  // 2 KiB: not on the stack of every run
  list.clear();
  const unsigned pre = arg % 3 == 2 ? 64 : 0;  // 2: a full list, any new bus fails (1 is seize_ops)
  for (unsigned b = 0; b < pre; ++b) list.add(SlotPattern{0xffff, static_cast<uint8_t>(b), 0, 0});
  size_t before_count = 0;
  const std::string before = hide_string(list, &before_count);
  Text diag;
  const bool ok = parse_hide(text.c_str(), list, diag);
  if (!ok) {
    size_t n = 0;
    (void)hide_string(list, &n);
    if (n != 0) violation("untouched-on-failure", "parse_hide failed on \"%s\" leaving %zu functions", text.c_str(), n);
    if (diag.size() == 0) violation("diag-on-failure", "parse_hide rejected \"%s\" silently", text.c_str());
    return;
  }
  size_t count = 0;
  const std::string again = hide_string(list, &count);
  if (count < before_count) violation("lost", "parse_hide \"%s\" dropped functions already listed", text.c_str());
  if (pre != 0) return;  // (the round trip below starts from an empty list)
  static SeizeList back;
  back.clear();
  if (!parse_hide(again.c_str(), back, diag) || hide_string(back, nullptr) != again) {
    violation("round-trip", "hide \"%s\" re-written as \"%.200s\" does not parse back", text.c_str(), again.c_str());
  }
}

// new_slot/remove_slot sequences against a model (a set of functions): every byte pair is an
// operation on a few buses, so adds, wildcard removes and the 64-bus limit all meet.
void seize_ops(const std::string& text) {
  static SeizeList list;
  list.clear();
  std::set<uint32_t> model;  // domain << 16 | bus << 8 | devfn
  std::set<uint32_t> buses;
  for (size_t k = 0; k + 1 < text.size(); k += 2) {
    const uint8_t a = static_cast<uint8_t>(text[k]);
    const uint8_t b = static_cast<uint8_t>(text[k + 1]);
    SlotPattern p;
    p.domain = a & 1;
    p.bus = static_cast<uint8_t>((a >> 1) & 0x7f);  // up to 128 buses: past the limit
    p.slot = (b & 0xc0) == 0 ? SlotPattern::kAny : static_cast<int16_t>(b & 0x1f);
    p.fn = (b & 0xc0) == 0x40 ? SlotPattern::kAny : static_cast<int16_t>((b >> 5) & 7);
    if (p.slot == SlotPattern::kAny) p.fn = SlotPattern::kAny;
    std::set<uint32_t> named;
    for (unsigned devfn = 0; devfn < 256; ++devfn) {
      if (p.matches(Bdf{p.domain, p.bus, static_cast<uint8_t>(devfn)})) {
        named.insert(static_cast<uint32_t>(p.domain) << 16 | static_cast<uint32_t>(p.bus) << 8 | devfn);
      }
    }
    const uint32_t bus_key = static_cast<uint32_t>(p.domain) << 8 | p.bus;
    if (a & 0x80) {  // remove
      unsigned expect = 0;
      for (uint32_t f : named) expect += static_cast<unsigned>(model.erase(f));
      const unsigned got = list.remove(p);
      if (got != expect) violation("remove", "remove returned %u, the model %u", got, expect);
      bool left = false;
      for (uint32_t f : model) left = left || (f >> 8) == bus_key;
      if (!left) buses.erase(bus_key);
    } else {
      const bool fits = buses.count(bus_key) != 0 || buses.size() < SeizeList::kMaxBuses;
      const bool got = list.add(p);
      if (got != fits) violation("add", "add returned %d, the model %d", got, fits);
      if (fits) {
        model.insert(named.begin(), named.end());
        buses.insert(bus_key);
      }
    }
    std::set<uint32_t> listed;
    list.for_each([&](Bdf f) {
      const uint32_t key = static_cast<uint32_t>(f.domain) << 16 | static_cast<uint32_t>(f.bus) << 8 | f.devfn;
      if (!listed.insert(key).second) violation("twice", "a function listed twice");
      if (!list.contains(f)) violation("contains", "listed but not contained");
    });
    if (listed != model) violation("model", "the list has %zu functions, the model %zu", listed.size(), model.size());
  }
}

void quirk_parser(uint8_t size_byte, const std::string& text) {
  const uint16_t config_size = (size_byte & 1) ? 4096 : 256;
  quirks::SysfsQuirk before;
  before.bdf = kSentinelBdf;
  before.reg = 0xbeef;
  before.size = 3;
  before.mask = 0x12345678;
  quirks::SysfsQuirk out = before;
  Text diag;
  const bool ok = quirks::parse_sysfs(text.c_str(), config_size, out, diag);
  if (failed_cleanly("parse_sysfs", ok, diag, out.bdf == before.bdf && out.reg == before.reg && out.size == before.size && out.mask == before.mask, text)) return;
  if (out.size != 1 && out.size != 2 && out.size != 4) violation("range", "quirk \"%s\": size %u", text.c_str(), out.size);
  if (out.reg % out.size != 0 || out.reg + out.size > config_size) {
    violation("range", "quirk \"%s\": register 0x%x size %u outside/misaligned in %u bytes", text.c_str(), out.reg,
              out.size, config_size);
  }
  if ((out.mask & ~width_mask(out.size)) != 0) violation("range", "quirk \"%s\": mask wider than size", text.c_str());
  char again[64];
  snprintf(again, sizeof again, "%04x:%02x:%02x.%x-%x:%x:%x", out.bdf.domain, out.bdf.bus, out.bdf.slot(), out.bdf.fn(),
           out.reg, out.size, out.mask);
  quirks::SysfsQuirk back = before;
  if (!quirks::parse_sysfs(again, config_size, back, diag) || !(back.bdf == out.bdf) || back.reg != out.reg ||
      back.size != out.size || back.mask != out.mask) {
    violation("round-trip", "quirk \"%s\" re-written as \"%s\" does not parse back", text.c_str(), again);
  }
}

void dump_parser(const std::string& text) {
  std::string error;
  const auto d = user::parse_dump(text, error);
  if (!d) {
    if (error.empty()) violation("diag-on-failure", "parse_dump rejected a text silently");
    return;
  }
  const size_t n = d->config.size();
  if (n != 256 && n != 4096) violation("range", "parse_dump accepted %zu bytes of config", n);
  // What format_lspci writes (pcisplit view, lspci -F input) reads back to the same bytes and address.
  const std::string again = user::format_lspci(d->bdf, d->title, d->config.data(), n);
  std::string error2;
  const auto back = user::parse_dump(again, error2);
  if (!back) {
    violation("round-trip", "format_lspci output does not parse: %s", error2.c_str());
    return;
  }
  if (back->config != d->config || back->bdf.bus != d->bdf.bus || back->bdf.devfn != d->bdf.devfn ||
      back->title != d->title) {
    violation("round-trip", "format_lspci output parses to another device");
  }
}

// A file of several functions: each accepted one is whole, and all of them written back out read back
// as the same functions (address with its domain, title, bytes).
void dumps_parser(const std::string& text) {
  std::string error;
  const auto all = user::parse_dumps(text, error);
  if (!all) {
    if (error.empty()) violation("diag-on-failure", "parse_dumps rejected a text silently");
    return;
  }
  std::string again;
  for (const user::Dump& d : *all) {
    if (d.config.size() != 256 && d.config.size() != 4096) violation("range", "parse_dumps: %zu bytes", d.config.size());
    if ((d.sizes == user::Sizes::unknown) != d.sizes_from.empty() || (d.info.irq < 0) != d.irq_from.empty()) {
      violation("provenance", "sizes or IRQ known without saying where from, or the reverse");
    }
    again += (again.empty() ? "" : "\n") + user::format_lspci(d.bdf, d.title, d.config.data(), d.config.size(), true);
  }
  const auto back = user::parse_dumps(again, error);
  if (!back || back->size() != all->size()) {
    violation("round-trip", "the functions written back do not parse as many: %s", back ? "count" : error.c_str());
    return;
  }
  for (size_t i = 0; i < all->size(); ++i) {
    const user::Dump &a = (*all)[i], &b = (*back)[i];
    if (!(a.bdf == b.bdf) || a.title != b.title || a.config != b.config) {
      violation("round-trip", "function %zu written back parses to another", i);
    }
  }
}

// lspci -vv text: counts and sizes in range; applied to a recorded dump it sizes it, or says why not.
void lspci_vv_parser(uint8_t arg, const std::string& text) {
  std::string error;
  const auto vv = user::parse_lspci_vv(text, error);
  if (!vv) {
    if (error.empty()) violation("diag-on-failure", "parse_lspci_vv rejected a text silently");
    return;
  }
  const auto& dumps = fuzz::dumps();
  for (const user::VerboseDevice& d : *vv) {
    if (d.v.sized > d.v.regions || d.v.regions > 7) violation("range", "%u sized of %u regions", d.v.sized, d.v.regions);
    for (uint64_t size : {d.v.bar_size[0], d.v.bar_size[1], d.v.bar_size[2], d.v.bar_size[3], d.v.bar_size[4],
                          d.v.bar_size[5], d.v.rom_size}) {
      if ((size & (size - 1)) != 0) violation("range", "size 0x%llx is not a power of two", (unsigned long long)size);
    }
    user::Dump dump = dumps[arg % dumps.size()].dump;
    const user::Sizes before = dump.sizes;
    error.clear();
    if (!user::apply_verbose(dump, d.v, "fuzz", error)) {
      if (error.empty()) violation("diag-on-failure", "apply_verbose refused silently");
    } else if (before == user::Sizes::unknown && dump.sizes == user::Sizes::unknown && dump.verbose_note.empty() &&
               d.v.sized > 0) {
      violation("provenance", "sized lspci -vv text accepted but the dump is still unsized, with no note");
    }
  }
}

// pciback's attributes: all-or-nothing, with the line that failed.
void attribute_parser(uint8_t arg, const std::string& text) {
  std::string error;
  bool ok = false, untouched = true;
  const char* name = "";
  switch (arg % 7) {
    case 0: {
      std::vector<user::IrqHandler> out(1);
      name = "parse_irq_handlers";
      ok = user::parse_irq_handlers(text, out, error);
      untouched = out.size() == 1;
      for (const auto& h : out) {
        if (ok && h.handled < 0) violation("range", "irq_handlers: negative count");
      }
      break;
    }
    case 1: {
      std::vector<user::Denials> out(1);
      name = "parse_denials";
      ok = user::parse_denials(text, out, error);
      untouched = out.size() == 1;
      break;
    }
    case 2: {
      std::vector<user::ResetReport> out(1);
      name = "parse_resets";
      ok = user::parse_resets(text, out, error);
      untouched = out.size() == 1;
      break;
    }
    case 3: {
      std::vector<user::QuirkBlock> out(1);
      name = "parse_quirks";
      ok = user::parse_quirks(text, out, error);
      untouched = out.size() == 1;
      break;
    }
    case 4: {
      std::vector<std::string> out(1);
      name = "parse_slots";
      ok = user::parse_slots(text, out, error);
      untouched = out.size() == 1;
      break;
    }
    case 5: {
      std::vector<Bdf> out(1);
      name = "parse_bdf_lines";
      ok = user::parse_bdf_lines(text, out, error);
      untouched = out.size() == 1;
      break;
    }
    case 6: {
      std::vector<user::PirqReport> out(1);
      name = "parse_pirqs";
      ok = user::parse_pirqs(text, out, error);
      untouched = out.size() == 1;
      for (const auto& r : out) {
        if (ok && (r.pirqs.size() + r.more != r.count || r.count > 0xffff)) {
          violation("range", "pirqs: the list does not add up to its count");
        }
      }
      break;
    }
  }
  if (!ok && (error.rfind("line ", 0) != 0 || !untouched)) {
    violation("diag-on-failure", "%s failed without naming the line, or changed its output", name);
  }
}

// A saved xenstore-ls -f listing: every node it accepted reads back, and each node's parent lists it.
void listing_parser(const std::string& text) {
  std::string error;
  const auto xs = user::parse_xenstore_ls(text, error);
  if (!xs) {
    if (error.rfind("line ", 0) != 0) violation("diag-on-failure", "parse_xenstore_ls: \"%s\"", error.c_str());
    return;
  }
  size_t start = 0;
  while (start < text.size()) {
    size_t end = text.find('\n', start);
    if (end == std::string::npos) end = text.size();
    const std::string line = text.substr(start, end - start);
    start = end + 1;
    const size_t eq = line.find(" = ");
    if (line.empty() || line[0] == '#' || eq == std::string::npos) continue;
    const std::string path = line.substr(0, eq);
    if (!xs->read(path)) violation("round-trip", "listed node %s does not read", path.c_str());
    const size_t slash = path.rfind('/');
    if (slash == 0) continue;
    const auto siblings = xs->list(path.substr(0, slash));
    const std::string leaf = path.substr(slash + 1);
    if (!siblings || std::find(siblings->begin(), siblings->end(), leaf) == siblings->end()) {
      violation("round-trip", "listed node %s is not among its parent's children", path.c_str());
    }
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  fuzz::current() = fuzz::Current{data, size, "fuzz_parsers"};
  fuzz::Input in(data, size);
  const uint8_t which = in.u8();
  const uint8_t arg = in.u8();
  const std::string text = in.text(which % 16 >= 11 ? 65536 : 512);
  switch (which % 16) {
    case 0: bdf_parser(false, text); break;
    case 1: bdf_parser(true, text); break;
    case 2: root_parser(text); break;
    case 3: number_parser(0, 0, text); break;
    case 4: number_parser(1, arg, text); break;
    case 5: number_parser(2, 0, text); break;
    case 6: magic_parser(text); break;
    case 7: opts_parser(arg, text); break;
    case 8: slot_parser(text); break;
    case 9: arg % 3 == 1 ? seize_ops(text) : hide_parser(arg, text); break;  // (hide_parser: arg % 3 0 or 2)
    case 10: quirk_parser(arg, text); break;
    case 11: dump_parser(text); break;
    case 12: dumps_parser(text); break;
    case 13: lspci_vv_parser(arg, text); break;
    case 14: attribute_parser(arg, text); break;
    case 15: listing_parser(text); break;
  }
  return 0;
}
