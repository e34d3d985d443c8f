// SPDX-License-Identifier: GPL-2.0-only
// Reading and writing lspci -xxxx dumps and sysfs config/resource files.
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

// "# resource N START END FLAGS"
bool parse_resource(const std::string& line, DeviceInfo& info, std::string& error) {
  unsigned index;
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

}  // namespace

std::optional<Dump> parse_dump(const std::string& text, std::string& error) {
  Dump dump;
  std::istringstream in(text);
  std::string line;
  bool have_header = false;
  size_t max_end = 0;
  std::vector<bool> seen(MemoryConfig::kMax, false);
  dump.config.assign(MemoryConfig::kMax, 0);
  for (int lineno = 1; std::getline(in, line); ++lineno) {
    auto fail = [&](const std::string& why) {
      error = "line " + std::to_string(lineno) + ": " + why;
      return std::nullopt;
    };
    if (line.empty()) continue;
    if (line.rfind("# irq ", 0) == 0) {  // the sysfs irq file: dom0's IRQ for the function
      char tail;
      int irq;
      if (std::sscanf(line.c_str(), "# irq %d %c", &irq, &tail) != 1 || irq < 0 || irq > 0xffff) {
        return fail("malformed irq line");
      }
      dump.info.irq = irq;
      continue;
    }
    if (line.rfind("# resource ", 0) == 0) {
      std::string why;
      if (!parse_resource(line, dump.info, why)) return fail(why);
      continue;
    }
    if (line[0] == '#') {
      dump.notes.push_back(line);
      continue;
    }
    unsigned a, b, c, d;
    int n = 0;
    if (!have_header) {
      // "BB:DD.F title" or "DDDD:BB:DD.F title"
      if (std::sscanf(line.c_str(), "%x:%x:%x.%x %n", &a, &b, &c, &d, &n) == 4 && n > 0 && a <= 0xffff &&
          b <= 0xff && c <= 0x1f && d <= 7) {
        dump.bdf = Bdf::make(static_cast<uint16_t>(a), static_cast<uint8_t>(b), static_cast<uint8_t>(c),
                             static_cast<uint8_t>(d));
      } else if (n = 0; std::sscanf(line.c_str(), "%x:%x.%x %n", &b, &c, &d, &n) == 3 && n > 0 && b <= 0xff &&
                 c <= 0x1f && d <= 7) {
        dump.bdf = Bdf::make(0, static_cast<uint8_t>(b), static_cast<uint8_t>(c), static_cast<uint8_t>(d));
      } else {
        return fail("expected a device line \"BB:DD.F description\"");
      }
      dump.title = line.substr(static_cast<size_t>(n));
      have_header = true;
      continue;
    }
    // "OFF: b0 b1 ... b15"
    size_t colon = line.find(':');
    unsigned off;
    if (colon == std::string::npos || colon > 3 || std::sscanf(line.c_str(), "%x:", &off) != 1 || off % 16 != 0 ||
        off >= MemoryConfig::kMax) {
      return fail("expected a data row \"OFF: 16 hex bytes\"");
    }
    if (line.size() != colon + 1 + 16 * 3) return fail("a data row must hold exactly 16 bytes");
    if (seen[off]) return fail("offset repeated");
    seen[off] = true;
    for (unsigned i = 0; i < 16; ++i) {
      const size_t pos = colon + 1 + i * 3;
      if (line[pos] != ' ' || !parse_hex_byte(line, pos + 1, dump.config[off + i])) return fail("bad hex byte");
    }
    max_end = std::max<size_t>(max_end, off + 16);
  }
  if (!have_header) {
    error = "no device line";
    return std::nullopt;
  }
  if (max_end != 64 && max_end != 256 && max_end != 4096) {
    error = "config space must end at 0x40, 0x100 or 0x1000, not 0x" + std::to_string(max_end);
    return std::nullopt;
  }
  for (size_t off = 0; off < max_end; off += 16) {
    if (!seen[off]) {
      error = "missing data row for offset " + std::to_string(off);
      return std::nullopt;
    }
  }
  if (max_end == 64) {
    error = "only 64 bytes dumped (capture as root to get the whole space)";
    return std::nullopt;
  }
  dump.config.resize(max_end);
  return dump;
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
  std::string line;
  for (unsigned i = 0; std::getline(res, line); ++i) {
    std::string why;
    if (!parse_resource("# resource " + std::to_string(i) + " " + line, dump.info, why)) {
      error = dir + "/resource line " + std::to_string(i) + ": " + why;
      return std::nullopt;
    }
  }
  std::ifstream irqf(dir + "/irq");
  int irq = -1;
  if (irqf >> irq && irq >= 0) dump.info.irq = irq;
  const std::string name = dir.substr(dir.find_last_of('/') + 1);
  unsigned a, b, c, d;
  if (std::sscanf(name.c_str(), "%x:%x:%x.%x", &a, &b, &c, &d) == 4) {
    dump.bdf = Bdf::make(static_cast<uint16_t>(a), static_cast<uint8_t>(b), static_cast<uint8_t>(c),
                         static_cast<uint8_t>(d));
  }
  dump.title = "Device from " + dir;
  return dump;
}

std::string format_lspci(const Bdf& bdf, const std::string& title, const uint8_t* bytes, size_t size) {
  char buf[64];
  std::string out;
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
