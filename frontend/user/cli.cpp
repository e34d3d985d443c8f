// SPDX-License-Identifier: GPL-2.0-only
// The pcisplit guest commands.
#include "frontend/user/cli.hpp"

#include <cstdio>
#include <cstdlib>

#include "tools/pcisplit/dump.hpp"

namespace pcisplit::user {
namespace {

bool parse_bdf(const std::string& s, Bdf& out) {
  unsigned d = 0, b, sl, f;
  char tail;
  if (std::sscanf(s.c_str(), "%4x:%2x:%2x.%1x%c", &d, &b, &sl, &f, &tail) == 4 ||
      (d = 0, std::sscanf(s.c_str(), "%2x:%2x.%1x%c", &b, &sl, &f, &tail) == 3)) {
    if (b > 0xff || sl > 0x1f || f > 7) return false;
    out = Bdf::make(static_cast<uint16_t>(d), static_cast<uint8_t>(b), static_cast<uint8_t>(sl), static_cast<uint8_t>(f));
    return true;
  }
  return false;
}

bool parse_num(const std::string& s, uint32_t& out) {
  char* end = nullptr;
  const unsigned long v = std::strtoul(s.c_str(), &end, 0);
  if (s.empty() || *end != '\0' || v > 0xffffffffUL) return false;
  out = static_cast<uint32_t>(v);
  return true;
}

int report(Err err) {
  if (err == Err::success) return 0;
  std::fprintf(stderr, "pcisplit: the backend answered %s\n", err_name(err));
  return 1;
}

int usage() {
  std::fprintf(stderr,
               "commands: list | read BDF OFF WIDTH | write BDF OFF WIDTH VALUE | dump BDF |\n"
               "          msi enable BDF [NVEC] | msi disable BDF | msix enable BDF ENTRY[,ENTRY...] |\n"
               "          msix disable BDF      (BDF as DDDD:BB:DD.F or BB:DD.F; numbers in C syntax)\n");
  return 2;
}

}  // namespace

std::vector<uint8_t> read_config(FrontendInstance& fe, Bdf dev, unsigned& ops) {
  std::vector<uint8_t> bytes(4096, 0xff);
  for (uint32_t off = 0; off < 4096; off += 4) {
    uint32_t v = 0;
    const Err err = fe.conf_read(dev, off, 4, v);
    ++ops;
    if (err == Err::invalid_offset && off == 256) {  // a conventional function: 256 bytes
      bytes.resize(256);
      break;
    }
    for (unsigned i = 0; i < 4; ++i) bytes[off + i] = static_cast<uint8_t>(v >> (8 * i));
  }
  return bytes;
}

int run_command(FrontendInstance& fe, const std::vector<std::string>& a) {
  if (a.empty()) return usage();
  const std::string& cmd = a[0];
  Bdf dev;
  uint32_t off = 0, width = 0, value = 0;
  if (cmd == "list" && a.size() == 1) {
    for (uint16_t r = 0; r < fe.root_count(); ++r) {
      for (uint32_t devfn = 0; devfn < 256; ++devfn) {
        const Bdf b{fe.root(r).domain, fe.root(r).bus, static_cast<uint8_t>(devfn)};
        uint32_t id = 0, cls = 0;
        if (fe.conf_read(b, 0, 4, id) != Err::success || (id & 0xffff) == 0xffff) continue;
        (void)fe.conf_read(b, 8, 4, cls);
        std::printf("%04x:%02x:%02x.%x %04x:%04x class %06x\n", b.domain, b.bus, b.slot(), b.fn(), id & 0xffff,
                    id >> 16, cls >> 8);
      }
    }
    return 0;
  }
  const bool with_bdf = a.size() >= 2 && parse_bdf(a[1], dev);
  if (cmd == "read" && with_bdf && a.size() == 4 && parse_num(a[2], off) && parse_num(a[3], width)) {
    const Err err = fe.conf_read(dev, off, width, value);
    if (err == Err::success) std::printf("0x%0*x\n", static_cast<int>(width * 2), value);
    return report(err);
  }
  if (cmd == "write" && with_bdf && a.size() == 5 && parse_num(a[2], off) && parse_num(a[3], width) && parse_num(a[4], value)) {
    return report(fe.conf_write(dev, off, width, value));
  }
  if (cmd == "dump" && with_bdf && a.size() == 2) {
    unsigned ops = 0;
    const std::vector<uint8_t> bytes = read_config(fe, dev, ops);
    std::printf("%s", format_lspci(dev, "Device read over the pciif channel", bytes.data(), bytes.size()).c_str());
    return 0;
  }
  if (cmd == "msi" && a.size() >= 3 && a[1] == "enable" && parse_bdf(a[2], dev)) {
    uint32_t nvec = 1, pirq = 0;
    if (a.size() == 4 && !parse_num(a[3], nvec)) return usage();
    const Err err = fe.enable_msi(dev, nvec, pirq);
    if (err == Err::success) std::printf("MSI enabled: first PIRQ %u\n", pirq);
    return report(err);
  }
  if (cmd == "msi" && a.size() == 3 && a[1] == "disable" && parse_bdf(a[2], dev)) return report(fe.disable_msi(dev));
  if (cmd == "msix" && a.size() == 4 && a[1] == "enable" && parse_bdf(a[2], dev)) {
    std::vector<uint16_t> entries;
    size_t pos = 0;
    while (pos <= a[3].size()) {
      const size_t comma = a[3].find(',', pos);
      uint32_t e = 0;
      if (!parse_num(a[3].substr(pos, comma == std::string::npos ? std::string::npos : comma - pos), e) || e > 0xffff) {
        return usage();
      }
      entries.push_back(static_cast<uint16_t>(e));
      if (comma == std::string::npos) break;
      pos = comma + 1;
    }
    std::vector<uint32_t> pirqs(entries.size());
    const Err err = fe.enable_msix(dev, entries.data(), static_cast<uint32_t>(entries.size()), pirqs.data());
    if (err == Err::success) {
      for (size_t i = 0; i < entries.size(); ++i) std::printf("entry %u -> PIRQ %u\n", entries[i], pirqs[i]);
    }
    return report(err);
  }
  if (cmd == "msix" && a.size() == 3 && a[1] == "disable" && parse_bdf(a[2], dev)) return report(fe.disable_msix(dev));
  return usage();
}

}  // namespace pcisplit::user
