// SPDX-License-Identifier: GPL-2.0-only
// Reading and writing lspci -xxxx dumps, the sizes and IRQ of lspci -vv text, and sysfs config,
// resource and irq files.
#include "tools/pcisplit/dump.hpp"

#include <cinttypes>
#include <cstdio>
#include <fstream>
#include <sstream>

namespace pcisplit::user {
namespace {

bool parse_hex_byte(const std::string& s, size_t pos, uint8_t& out) {
  if (pos + 2 > s.size() || hex_digit(s[pos]) < 0 || hex_digit(s[pos + 1]) < 0) return false;
  out = static_cast<uint8_t>(hex_digit(s[pos]) << 4 | hex_digit(s[pos + 1]));
  return true;
}

std::string hex(uint64_t v) {
  char buf[24];
  std::snprintf(buf, sizeof buf, "0x%" PRIx64, v);
  return buf;
}

// "# resource N START END FLAGS"
bool parse_resource(const std::string& line, DeviceInfo& info, unsigned& index, std::string& error) {
  uint64_t start, end, flags;
  char tail;
  if (std::sscanf(line.c_str(), "# resource %u 0x%" SCNx64 " 0x%" SCNx64 " 0x%" SCNx64 " %c", &index, &start,
                  &end, &flags, &tail) != 4 || index > 16 || end < start) {
    error = "malformed resource line";
    return false;
  }
  const uint64_t size = end == 0 && start == 0 ? 0 : end - start + 1;
  if (index < 6) info.bar_size[index] = size;
  if (index == 6) info.rom_size = size;
  return true;
}

// Fixed-width hex of exactly `n` digits at `pos`.
bool hex_field(const std::string& s, size_t pos, size_t n, unsigned& out) {
  if (pos + n > s.size()) return false;
  out = 0;
  for (size_t i = 0; i < n; ++i) {
    const int d = hex_digit(s[pos + i]);
    if (d < 0) return false;
    out = out << 4 | static_cast<unsigned>(d);
  }
  return true;
}

// A BDF at the start of `s` ("DDDD:BB:DD.F" or "BB:DD.F"); `len` is how many characters it took.
bool bdf_prefix(const std::string& s, Bdf& out, size_t& len) {
  unsigned dom = 0, bus, slot, fn;
  size_t p = 0;
  if (s.size() >= 12 && s[4] == ':' && s[7] == ':' && s[10] == '.') {
    if (!hex_field(s, 0, 4, dom)) return false;
    p = 5;
  }
  if (!hex_field(s, p, 2, bus) || s.size() < p + 7 || s[p + 2] != ':' || !hex_field(s, p + 3, 2, slot) ||
      s[p + 5] != '.' || !hex_field(s, p + 6, 1, fn) || slot > 0x1f || fn > 7) {
    return false;
  }
  out = Bdf::make(static_cast<uint16_t>(dom), static_cast<uint8_t>(bus), static_cast<uint8_t>(slot),
                  static_cast<uint8_t>(fn));
  len = p + 7;
  return true;
}

// lspci's device line: a BDF, then the end of the line or a space and the description.
bool device_line(const std::string& line, Bdf& bdf, std::string& title) {
  size_t len;
  if (!bdf_prefix(line, bdf, len)) return false;
  if (len == line.size()) {
    title.clear();
    return true;
  }
  if (line[len] != ' ') return false;
  title = line.substr(len + 1);
  return true;
}

uint32_t dword(const std::vector<uint8_t>& c, size_t off) {
  return static_cast<uint32_t>(c[off] | c[off + 1] << 8 | c[off + 2] << 16) | static_cast<uint32_t>(c[off + 3]) << 24;
}

// "[size=N]" with lspci's units (it divides by 1024 while it can: K, M, G, T).
bool parse_size(const std::string& s, size_t pos, uint64_t& out, std::string& why) {
  size_t p = pos;
  uint64_t n = 0;
  while (p < s.size() && s[p] >= '0' && s[p] <= '9' && n < (1u << 24)) n = n * 10 + static_cast<unsigned>(s[p++] - '0');
  unsigned shift = 0;
  if (p < s.size() && s[p] != ']') {
    const std::string units = "KMGT";
    const size_t u = units.find(s[p]);
    if (u == std::string::npos) p = s.size();  // falls into the error below
    else {
      shift = 10 * static_cast<unsigned>(u + 1);
      ++p;
    }
  }
  const size_t end = s.find(']', pos);
  if (p == pos || p >= s.size() || s[p] != ']' || n == 0 || n >= (1u << 24)) {
    why = "malformed size \"[size=" + s.substr(pos, end == std::string::npos ? std::string::npos : end - pos + 1) + "\"";
    return false;
  }
  out = n << shift;
  if ((out & (out - 1)) != 0) {
    why = "size [size=" + s.substr(pos, p - pos) + "] is not a power of two";
    return false;
  }
  return true;
}

// Errors of one device, with its address when a file holds several.
std::string device_error(const Dump& d, bool several, const std::string& why) {
  return several ? bdf_name(d.bdf) + ": " + why : why;
}

}  // namespace

std::string bdf_name(const Bdf& bdf) {
  char buf[16];
  std::snprintf(buf, sizeof buf, "%04x:%02x:%02x.%x", bdf.domain, bdf.bus, bdf.slot(), bdf.fn());
  return buf;
}

bool parse_pci_address(const std::string& text, Bdf& out) {
  size_t len;
  Bdf b;
  if (!bdf_prefix(text, b, len) || len != text.size()) return false;
  out = b;
  return true;
}

unsigned bar_count(const std::vector<uint8_t>& config) {
  if (config.size() < 64) return 0;
  const uint8_t type = config[reg::PCI_HEADER_TYPE] & reg::PCI_HEADER_TYPE_MASK;
  return type == reg::PCI_HEADER_TYPE_NORMAL ? 6 : type == reg::PCI_HEADER_TYPE_BRIDGE ? 2 : 0;
}

uint16_t rom_offset(const std::vector<uint8_t>& config) {
  if (config.size() < 64) return 0;
  const uint8_t type = config[reg::PCI_HEADER_TYPE] & reg::PCI_HEADER_TYPE_MASK;
  return type == reg::PCI_HEADER_TYPE_NORMAL ? reg::PCI_ROM_ADDRESS
         : type == reg::PCI_HEADER_TYPE_BRIDGE ? reg::PCI_ROM_ADDRESS1
                                               : 0;
}

unsigned upper_halves(const std::vector<uint8_t>& config) {
  unsigned out = 0;
  const unsigned n = bar_count(config);
  for (unsigned i = 0; i + 1 < n; ++i) {
    const uint32_t v = dword(config, reg::PCI_BASE_ADDRESS_0 + 4 * i);
    if ((v & reg::PCI_BASE_ADDRESS_SPACE_IO) == 0 &&
        (v & reg::PCI_BASE_ADDRESS_MEM_TYPE_MASK) == reg::PCI_BASE_ADDRESS_MEM_TYPE_64) {
      out |= 1u << (i + 1);
      ++i;  // the upper half is not a BAR of its own
    }
  }
  return out;
}

bool parse_verbose_line(const std::string& raw, Verbose& v, std::string& why) {
  const size_t start = raw.find_first_not_of(" \t");
  const std::string line = start == std::string::npos ? "" : raw.substr(start);
  if (line.rfind("Capabilities:", 0) == 0) {
    v.in_caps = true;  // Region lines from here on are capabilities' (SR-IOV VF BARs), not the header's
    return true;
  }
  if (v.in_caps) return true;
  const bool region = line.rfind("Region ", 0) == 0;
  const bool rom = line.rfind("Expansion ROM at ", 0) == 0;
  if (region || rom) {
    unsigned index = 6;
    if (region) {
      if (line.size() < 9 || line[7] < '0' || line[7] > '5' || line[8] != ':') {
        why = "malformed Region line (expected \"Region N: ...\", N 0-5)";
        return false;
      }
      index = static_cast<unsigned>(line[7] - '0');
    }
    if (v.seen & (1u << index)) {
      why = region ? "Region " + std::to_string(index) + " repeated" : "Expansion ROM repeated";
      return false;
    }
    v.seen |= 1u << index;
    ++v.regions;
    const size_t at = line.find("[size=");
    if (at == std::string::npos) return true;  // lspci had no size: the text was made from a dump
    uint64_t size;
    if (!parse_size(line, at + 6, size, why)) return false;
    ++v.sized;
    (index < 6 ? v.bar_size[index] : v.rom_size) = size;
    return true;
  }
  if (line.rfind("Interrupt:", 0) == 0) {
    char pin, tail;
    int irq;
    if (std::sscanf(line.c_str(), "Interrupt: pin %c routed to IRQ %d %c", &pin, &irq, &tail) != 2 || irq < 0 ||
        irq > 0xffff) {
      why = "malformed Interrupt line (expected \"Interrupt: pin A routed to IRQ N\")";
      return false;
    }
    v.irq = irq;
  }
  return true;
}

bool apply_verbose(Dump& dump, const Verbose& v, const std::string& where, std::string& error) {
  if (v.regions > 0 && v.sized == 0) {
    // lspci prints sizes only from sysfs: this text was decoded from a dump and knows no more than it.
    dump.verbose_note = where + " has Region lines without \"[size=...]\" (lspci -vv of a dump, not of the device)";
    return true;
  }
  // lspci prints a Region line for every BAR that reads non-zero, and an Expansion ROM line for a ROM
  // register that does: one missing means another device or a cut text, and its size would be taken
  // as zero.
  const unsigned n = bar_count(dump.config), upper = upper_halves(dump.config);
  for (unsigned i = 0; i < n; ++i) {
    const uint32_t hw = dword(dump.config, reg::PCI_BASE_ADDRESS_0 + 4 * i);
    if (hw != 0 && (upper & (1u << i)) == 0 && (v.seen & (1u << i)) == 0) {
      error = where + ": BAR" + std::to_string(i) + " reads " + hex(hw) + " but there is no \"Region " +
              std::to_string(i) + ":\" line (not the same device, or a cut text)";
      return false;
    }
  }
  const uint16_t rom = rom_offset(dump.config);
  if (rom != 0 && dword(dump.config, rom) != 0 && (v.seen & (1u << 6)) == 0) {
    error = where + ": the ROM register reads " + hex(dword(dump.config, rom)) +
            " but there is no \"Expansion ROM at\" line (not the same device, or a cut text)";
    return false;
  }
  if (dump.sizes == Sizes::resource) {
    for (unsigned i = 0; i < 7; ++i) {
      const uint64_t vv = i < 6 ? v.bar_size[i] : v.rom_size;
      const uint64_t rs = i < 6 ? dump.info.bar_size[i] : dump.info.rom_size;
      if ((upper & (1u << i)) == 0 && vv != rs) {
        error = where + ": " + (i < 6 ? "Region " + std::to_string(i) : std::string("Expansion ROM")) + " size " +
                hex(vv) + " disagrees with the resource line (" + hex(rs) + ")";
        return false;
      }
    }
  } else {
    for (unsigned i = 0; i < 6; ++i) dump.info.bar_size[i] = v.bar_size[i];
    dump.info.rom_size = v.rom_size;
    dump.sizes = Sizes::lspci_vv;
    dump.sizes_from = where;
  }
  // Its IRQ is dom0's only when lspci read sysfs, which the sizes show; from a dump it is the register.
  if (v.irq >= 0 && v.sized > 0) {
    if (dump.info.irq >= 0 && dump.info.irq != v.irq) {
      error = where + ": IRQ " + std::to_string(v.irq) + " disagrees with " + dump.irq_from + " (" +
              std::to_string(dump.info.irq) + ")";
      return false;
    }
    if (dump.info.irq < 0) {
      dump.info.irq = v.irq;
      dump.irq_from = where;
    }
  }
  return true;
}

std::optional<std::vector<Dump>> parse_dumps(const std::string& text, std::string& error) {
  struct Building {
    Dump d;
    std::vector<bool> seen = std::vector<bool>(MemoryConfig::kMax, false);
    size_t max_end = 0;
    unsigned resources = 0;  // bit N: "# resource N" seen
    bool irq_line = false;
    bool verbose = false;
    Verbose v;
  };
  std::vector<Building> devs;
  std::vector<std::pair<int, std::string>> pending;  // comment lines before the next device line
  int cur = -1;
  std::istringstream in(text);
  std::string line;
  int lineno = 1;
  auto fail = [&](int at, const std::string& why) {
    error = "line " + std::to_string(at) + ": " + why;
    return std::nullopt;
  };
  // A comment line of device `b`: its sysfs facts, or a note for the reader.
  auto comment = [&](Building& b, const std::string& c, std::string& why) {
    if (c.rfind("# irq ", 0) == 0) {  // the sysfs irq file: dom0's IRQ for the function
      char tail;
      int irq;
      if (std::sscanf(c.c_str(), "# irq %d %c", &irq, &tail) != 1 || irq < 0 || irq > 0xffff) {
        why = "malformed irq line";
        return false;
      }
      if (b.irq_line) {
        why = "irq line repeated";
        return false;
      }
      b.irq_line = true;
      b.d.info.irq = irq;
      b.d.irq_from = "the \"# irq\" line";
      return true;
    }
    if (c.rfind("# resource ", 0) == 0) {
      unsigned index;
      if (!parse_resource(c, b.d.info, index, why)) return false;
      if (b.resources & (1u << index)) {
        why = "resource " + std::to_string(index) + " repeated";
        return false;
      }
      b.resources |= 1u << index;
      b.d.sizes = Sizes::resource;
      b.d.sizes_from = "the \"# resource\" lines";
      return true;
    }
    b.d.notes.push_back(c);
    return true;
  };
  for (; std::getline(in, line); ++lineno) {
    while (!line.empty() && line.back() == '\r') line.pop_back();  // a dump pasted through another system
    if (line.find_first_not_of(" \t") == std::string::npos) {
      cur = -1;  // lspci ends each device with an empty line
      continue;
    }
    std::string why;
    if (line[0] == '#') {
      if (cur < 0) pending.emplace_back(lineno, line);
      else if (!comment(devs[static_cast<size_t>(cur)], line, why)) return fail(lineno, why);
      continue;
    }
    Bdf bdf;
    std::string title;
    if (device_line(line, bdf, title)) {
      // The same address again is the same function (an lspci -vv block next to its -xxxx dump).
      cur = -1;
      for (size_t i = 0; i < devs.size(); ++i) {
        if (devs[i].d.bdf == bdf) cur = static_cast<int>(i);
      }
      if (cur < 0) {
        devs.emplace_back();
        devs.back().d.bdf = bdf;
        devs.back().d.title = title;
        cur = static_cast<int>(devs.size() - 1);
      }
      for (const auto& [at, c] : pending) {
        if (!comment(devs[static_cast<size_t>(cur)], c, why)) return fail(at, why);
      }
      pending.clear();
      continue;
    }
    if (line[0] == ' ' || line[0] == '\t') {
      if (cur < 0) return fail(lineno, "an indented (lspci -vv) line before any device line");
      Building& b = devs[static_cast<size_t>(cur)];
      if (!b.verbose) b.v.first_line = lineno;
      b.verbose = true;
      if (!parse_verbose_line(line, b.v, why)) return fail(lineno, why);
      continue;
    }
    if (cur < 0) return fail(lineno, "expected a device line \"BB:DD.F description\"");
    Building& b = devs[static_cast<size_t>(cur)];
    // "OFF: b0 b1 ... b15"
    size_t colon = line.find(':');
    unsigned off;
    if (colon == std::string::npos || colon > 3 || std::sscanf(line.c_str(), "%x:", &off) != 1 || off % 16 != 0 ||
        off >= MemoryConfig::kMax) {
      return fail(lineno, "expected a data row \"OFF: 16 hex bytes\"");
    }
    if (line.size() != colon + 1 + 16 * 3) return fail(lineno, "a data row must hold exactly 16 bytes");
    if (b.seen[off]) return fail(lineno, "offset repeated");
    b.seen[off] = true;
    if (b.d.config.empty()) b.d.config.assign(MemoryConfig::kMax, 0);
    for (unsigned i = 0; i < 16; ++i) {
      const size_t pos = colon + 1 + i * 3;
      if (line[pos] != ' ' || !parse_hex_byte(line, pos + 1, b.d.config[off + i])) return fail(lineno, "bad hex byte");
    }
    b.max_end = std::max<size_t>(b.max_end, off + 16);
  }
  for (const auto& [at, c] : pending) {
    if (c.rfind("# resource ", 0) == 0 || c.rfind("# irq ", 0) == 0) {
      return fail(at, "a \"" + c.substr(0, c.find(' ', 2)) + "\" line with no device line after it");
    }
  }
  if (devs.empty()) {
    error = "no device line";
    return std::nullopt;
  }
  const bool several = devs.size() > 1;
  std::vector<Dump> out;
  for (Building& b : devs) {
    auto bad = [&](const std::string& why) {
      error = device_error(b.d, several, why);
      return std::nullopt;
    };
    if (b.max_end == 0) {
      return bad("no config space rows (an lspci -vv text without -xxxx? give it with --sizes next to the dump)");
    }
    if (b.max_end != 64 && b.max_end != 256 && b.max_end != 4096) {
      return bad("config space must end at 0x40, 0x100 or 0x1000, not " + hex(b.max_end));
    }
    for (size_t off = 0; off < b.max_end; off += 16) {
      if (!b.seen[off]) return bad("missing data row for offset " + hex(off));
    }
    if (b.max_end == 64) return bad("only 64 bytes dumped (capture as root to get the whole space)");
    b.d.config.resize(b.max_end);
    if (b.verbose &&
        !apply_verbose(b.d, b.v, "the lspci -vv lines at line " + std::to_string(b.v.first_line), error)) {
      error = device_error(b.d, several, error);
      return std::nullopt;
    }
    out.push_back(std::move(b.d));
  }
  return out;
}

std::optional<Dump> parse_dump(const std::string& text, std::string& error) {
  auto all = parse_dumps(text, error);
  if (!all) return std::nullopt;
  if (all->size() != 1) {
    error = std::to_string(all->size()) + " devices (" + bdf_name(all->front().bdf) + ", " +
            bdf_name((*all)[1].bdf) + (all->size() > 2 ? ", ..." : "") + ") where one was expected";
    return std::nullopt;
  }
  return std::move(all->front());
}

std::optional<std::vector<VerboseDevice>> parse_lspci_vv(const std::string& text, std::string& error) {
  std::vector<VerboseDevice> devs;
  std::istringstream in(text);
  std::string line;
  int cur = -1;
  for (int lineno = 1; std::getline(in, line); ++lineno) {
    while (!line.empty() && line.back() == '\r') line.pop_back();
    if (line.find_first_not_of(" \t") == std::string::npos || line[0] == '#') continue;
    Bdf bdf;
    std::string title, why;
    if (device_line(line, bdf, title)) {
      cur = -1;
      for (size_t i = 0; i < devs.size(); ++i) {
        if (devs[i].bdf == bdf) cur = static_cast<int>(i);
      }
      if (cur < 0) {
        devs.push_back({bdf, {}});
        cur = static_cast<int>(devs.size() - 1);
      }
      continue;
    }
    if (line[0] == ' ' || line[0] == '\t') {
      if (cur < 0) {
        error = "line " + std::to_string(lineno) + ": an indented (lspci -vv) line before any device line";
        return std::nullopt;
      }
      Verbose& v = devs[static_cast<size_t>(cur)].v;
      if (v.first_line == 0) v.first_line = lineno;
      if (!parse_verbose_line(line, v, why)) {
        error = "line " + std::to_string(lineno) + ": " + why;
        return std::nullopt;
      }
      continue;
    }
    // lspci -vvxxxx: the hex rows of a dump are not what this reads, but they are no error.
    unsigned off;
    const size_t colon = line.find(':');
    if (cur >= 0 && colon != std::string::npos && colon <= 3 && std::sscanf(line.c_str(), "%x:", &off) == 1) continue;
    error = "line " + std::to_string(lineno) + ": neither a device line nor an indented lspci -vv line";
    return std::nullopt;
  }
  if (devs.empty()) {
    error = "no device line (expected the output of lspci -vv -s BDF)";
    return std::nullopt;
  }
  return devs;
}

std::optional<std::vector<Dump>> load_dumps(const std::string& path, std::string& error) {
  std::ifstream f(path);
  if (!f) {
    error = path + ": cannot open";
    return std::nullopt;
  }
  std::stringstream ss;
  ss << f.rdbuf();
  auto d = parse_dumps(ss.str(), error);
  if (!d) error = path + ": " + error;
  return d;
}

std::optional<Dump> load_dump(const std::string& path, std::string& error) {
  std::ifstream f(path);
  if (!f) {
    error = path + ": cannot open";
    return std::nullopt;
  }
  std::stringstream ss;
  ss << f.rdbuf();
  auto d = parse_dump(ss.str(), error);
  if (!d) error = path + ": " + error;
  return d;
}

std::optional<Dump> load_sysfs(const std::string& dir, std::string& error) {
  Dump dump;
  std::ifstream cfg(dir + "/config", std::ios::binary);
  if (!cfg) {
    error = dir + "/config: cannot open";
    return std::nullopt;
  }
  dump.config.assign(std::istreambuf_iterator<char>(cfg), std::istreambuf_iterator<char>());
  if (dump.config.size() != 256 && dump.config.size() != 4096) {
    error = dir + "/config: " + std::to_string(dump.config.size()) + " bytes (need root for the whole space)";
    return std::nullopt;
  }
  std::ifstream res(dir + "/resource");
  if (!res) {
    error = dir + "/resource: cannot open (the BAR sizes are there)";
    return std::nullopt;
  }
  std::string line;
  unsigned lines = 0;
  for (unsigned i = 0; std::getline(res, line); ++i, ++lines) {
    std::string why;
    unsigned index;
    if (!parse_resource("# resource " + std::to_string(i) + " " + line, dump.info, index, why)) {
      error = dir + "/resource line " + std::to_string(i + 1) + ": " + why + ": \"" + line + "\"";
      return std::nullopt;
    }
  }
  if (lines < 7) {
    error = dir + "/resource: " + std::to_string(lines) + " lines, expected the 6 BARs and the ROM at least";
    return std::nullopt;
  }
  dump.sizes = Sizes::resource;
  dump.sizes_from = dir + "/resource";
  std::ifstream irqf(dir + "/irq");
  int irq = -1;
  char extra;
  if (!(irqf >> irq) || irq < 0 || irq > 0xffff || (irqf >> extra)) {
    error = dir + "/irq: missing or not an IRQ number";
    return std::nullopt;
  }
  dump.info.irq = irq;
  dump.irq_from = dir + "/irq";
  const std::string name = dir.substr(dir.find_last_of('/') + 1);
  if (!parse_pci_address(name, dump.bdf)) {
    error = dir + ": the directory's name is not a PCI address DDDD:BB:DD.F";
    return std::nullopt;
  }
  dump.title = "Device from " + dir;
  return dump;
}

std::string format_lspci(const Bdf& bdf, const std::string& title, const uint8_t* bytes, size_t size,
                         bool with_domain) {
  char buf[64];
  std::string out;
  if (with_domain) std::snprintf(buf, sizeof buf, "%04x:", bdf.domain);
  else buf[0] = '\0';
  out += buf;
  std::snprintf(buf, sizeof buf, "%02x:%02x.%x ", bdf.bus, bdf.slot(), bdf.fn());
  out += buf + title + "\n";
  for (size_t off = 0; off < size; off += 16) {
    std::snprintf(buf, sizeof buf, off < 0x100 ? "%02zx:" : "%03zx:", off);
    out += buf;
    for (size_t i = 0; i < 16; ++i) {
      std::snprintf(buf, sizeof buf, " %02x", bytes[off + i]);
      out += buf;
    }
    out += "\n";
  }
  return out;
}

void load_into(const Dump& dump, MemoryConfig& cfg) {
  cfg.set_size(static_cast<uint16_t>(dump.config.size()));
  for (size_t i = 0; i < dump.config.size(); ++i) cfg.bytes()[i] = dump.config[i];
}

}  // namespace pcisplit::user
