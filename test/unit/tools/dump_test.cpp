// SPDX-License-Identifier: GPL-2.0-only
// lspci -xxxx dump files: strict parsing and an exact round trip.
#include <fstream>

#include "support/fake_device.hpp"

using namespace pcisplit;
using namespace pcisplit::user;

namespace {
std::string rows(size_t size) {
  std::string s;
  char buf[8];
  for (size_t off = 0; off < size; off += 16) {
    std::snprintf(buf, sizeof buf, off < 0x100 ? "%02zx:" : "%03zx:", off);
    s += buf;
    for (int i = 0; i < 16; ++i) s += " 00";
    s += "\n";
  }
  return s;
}
}  // namespace

TEST_CASE("every recorded dump round-trips through format_lspci", "[dump]") {
  for (const std::string& name : pcisplit::test::all_dumps()) {
    std::string error;
    auto d = load_dump(pcisplit::test::data_path(name), error);
    INFO(name << ": " << error);
    REQUIRE(d.has_value());
    const std::string text = format_lspci(d->bdf, d->title, d->config.data(), d->config.size());
    auto again = parse_dump(text, error);
    REQUIRE(again.has_value());
    CHECK(again->config == d->config);
    CHECK(again->bdf == d->bdf);
  }
}

TEST_CASE("resource lines give BAR and ROM sizes", "[dump]") {
  std::string error;
  auto d = load_dump(pcisplit::test::data_path("e1000e.lspci"), error);
  REQUIRE(d.has_value());
  CHECK(d->info.bar_size[0] == 0x20000);
  CHECK(d->info.bar_size[2] == 0x20);
  CHECK(d->info.bar_size[4] == 0);
  CHECK(d->info.rom_size == 0x40000);
}

TEST_CASE("malformed dumps are refused with the line number", "[dump]") {
  std::string error;
  CHECK_FALSE(parse_dump("", error));
  CHECK(error == "no device line");
  CHECK_FALSE(parse_dump("hello\n" + rows(256), error));
  CHECK(error.rfind("line 1:", 0) == 0);
  CHECK_FALSE(parse_dump("00:04.0 x\n" + rows(64), error));
  CHECK(error.find("only 64 bytes") != std::string::npos);
  CHECK_FALSE(parse_dump("00:04.0 x\n" + rows(128), error));
  CHECK_FALSE(parse_dump("00:04.0 x\n00: 00 00\n", error));
  CHECK(error == "line 2: a data row must hold exactly 16 bytes");
  std::string dup = "00:04.0 x\n" + rows(256) + "00: 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00\n";
  CHECK_FALSE(parse_dump(dup, error));
  CHECK(error == "line 18: offset repeated");
  CHECK_FALSE(parse_dump("00:04.0 x\n# resource 0 0x10 0x0f 0x0\n" + rows(256), error));
  CHECK(error == "line 2: malformed resource line");
  std::string bad_hex = "00:04.0 x\n" + rows(256);
  bad_hex[14] = 'g';
  CHECK_FALSE(parse_dump(bad_hex, error));
  CHECK(error == "line 2: bad hex byte");
  CHECK(parse_dump("00:04.0 x\n" + rows(256), error).has_value());
  CHECK(parse_dump("00:04.0 x\n# irq 20\n" + rows(256), error)->info.irq == 20);
  CHECK_FALSE(parse_dump("00:04.0 x\n# irq -3\n" + rows(256), error));
  CHECK(error == "line 2: malformed irq line");
  CHECK(parse_dump("0001:02:1f.7 y\n" + rows(4096), error)->bdf == Bdf::make(1, 2, 0x1f, 7));
}

namespace {
// A recorded dump without its comment lines: what a plain `lspci -xxxx -s BDF` gives.
std::string plain(const std::string& name) {
  std::ifstream f(pcisplit::test::data_path(name));
  std::string out, line;
  while (std::getline(f, line)) {
    if (line.rfind("#", 0) != 0) out += line + "\n";
  }
  return out;
}

// e1000e.lspci's sizes (its resource lines) as lspci -vv prints them, with dom0's IRQ.
const char kE1000eVv[] =
    "01:00.0 Ethernet controller: Intel Corporation 82574L Gigabit Network Connection\n"
    "\tSubsystem: Intel Corporation Device 0000\n"
    "\tInterrupt: pin A routed to IRQ 22\n"
    "\tRegion 0: Memory at fe040000 (32-bit, non-prefetchable) [size=128K]\n"
    "\tRegion 1: Memory at fe060000 (32-bit, non-prefetchable) [size=128K]\n"
    "\tRegion 2: I/O ports at c000 [size=32]\n"
    "\tRegion 3: Memory at fe080000 (32-bit, non-prefetchable) [size=16K]\n"
    "\tExpansion ROM at fe000000 [disabled] [size=256K]\n"
    "\tCapabilities: [c8] Power Management version 2\n"
    "\t\tFlags: PMEClk- DSI+ D1- D2- AuxCurrent=0mA PME(D0-,D1-,D2-,D3hot-,D3cold-)\n"
    "\tKernel driver in use: e1000e\n";
}  // namespace

TEST_CASE("a plain lspci -xxxx dump says it has no sizes and no IRQ", "[dump]") {
  std::string error;
  auto d = parse_dump(plain("e1000e.lspci"), error);
  REQUIRE(d.has_value());
  CHECK(d->sizes == Sizes::unknown);
  CHECK(d->info.irq == -1);
  auto r = load_dump(pcisplit::test::data_path("e1000e.lspci"), error);
  REQUIRE(r.has_value());
  CHECK(r->sizes == Sizes::resource);
}

TEST_CASE("lspci -vv lines give Region and ROM sizes in lspci's units, and the IRQ", "[dump][lspci-vv]") {
  Verbose v;
  std::string why;
  CHECK(parse_verbose_line("\tRegion 0: Memory at fe040000 (32-bit, non-prefetchable) [size=128K]", v, why));
  CHECK(parse_verbose_line("        Region 2: I/O ports at c000 [size=32]", v, why));  // pasted: spaces
  CHECK(parse_verbose_line("\tRegion 4: Memory at 4000000000 (64-bit, prefetchable) [disabled] [size=16G]", v, why));
  CHECK(parse_verbose_line("\tExpansion ROM at <unassigned> [disabled] [size=1M]", v, why));
  CHECK(parse_verbose_line("\tInterrupt: pin A routed to IRQ 22", v, why));
  CHECK(parse_verbose_line("\tKernel driver in use: e1000e", v, why));
  CHECK(v.bar_size[0] == 0x20000);
  CHECK(v.bar_size[2] == 32);
  CHECK(v.bar_size[4] == 0x400000000ull);
  CHECK(v.rom_size == 0x100000);
  CHECK(v.irq == 22);
  CHECK(v.regions == 4);
  CHECK(v.sized == 4);
  // SR-IOV lists its VF BARs as "Region N" inside its capability: not the function's BARs.
  CHECK(parse_verbose_line("\tCapabilities: [160] Single Root I/O Virtualization (SR-IOV)", v, why));
  CHECK(parse_verbose_line("\t\tRegion 0: Memory at 0000004000000000 (64-bit, prefetchable) [size=16K]", v, why));
  CHECK(v.bar_size[0] == 0x20000);
  CHECK(v.regions == 4);
}

TEST_CASE("malformed lspci -vv lines are refused with the reason", "[dump][lspci-vv]") {
  auto refused = [](const std::string& line) {
    Verbose v;
    std::string why;
    CHECK(parse_verbose_line("\tRegion 1: Memory at fe060000 [size=4K]", v, why));
    const bool ok = parse_verbose_line(line, v, why);
    CHECK_FALSE(ok);
    return why;
  };
  CHECK(refused("\tRegion 6: Memory at fe060000 [size=4K]") == "malformed Region line (expected \"Region N: ...\", N 0-5)");
  CHECK(refused("\tRegion 1: Memory at fe060000 [size=4K]") == "Region 1 repeated");
  CHECK(refused("\tRegion 0: Memory at fe060000 [size=3K]") == "size [size=3K] is not a power of two");
  CHECK(refused("\tRegion 0: Memory at fe060000 [size=4Q]") == "malformed size \"[size=4Q]\"");
  CHECK(refused("\tRegion 0: Memory at fe060000 [size=]") == "malformed size \"[size=]\"");
  CHECK(refused("\tRegion 0: Memory at fe060000 [size=99999999999K]").rfind("malformed size", 0) == 0);
  CHECK(refused("\tInterrupt: pin A routed to IRQ x") ==
        "malformed Interrupt line (expected \"Interrupt: pin A routed to IRQ N\")");
}

TEST_CASE("the lspci -vv text of the same function (--sizes) sizes a plain dump", "[dump][lspci-vv]") {
  std::string error;
  auto d = parse_dump(plain("e1000e.lspci"), error);
  REQUIRE(d.has_value());
  auto vv = parse_lspci_vv(kE1000eVv, error);
  REQUIRE(vv.has_value());
  REQUIRE(vv->size() == 1);
  CHECK((*vv)[0].bdf == d->bdf);
  REQUIRE(apply_verbose(*d, (*vv)[0].v, "e1000e.vv", error));
  CHECK(d->sizes == Sizes::lspci_vv);
  CHECK(d->sizes_from == "e1000e.vv");
  auto r = load_dump(pcisplit::test::data_path("e1000e.lspci"), error);
  REQUIRE(r.has_value());
  for (int i = 0; i < 6; ++i) CHECK(d->info.bar_size[i] == r->info.bar_size[i]);
  CHECK(d->info.rom_size == r->info.rom_size);
  CHECK(d->info.irq == 22);
  // The same sizes next to the resource lines agree; different ones are an error naming both.
  REQUIRE(apply_verbose(*r, (*vv)[0].v, "e1000e.vv", error));
  std::string other = kE1000eVv;
  other.replace(other.find("[size=16K]"), 10, "[size=32K]");
  vv = parse_lspci_vv(other, error);
  REQUIRE(vv.has_value());
  CHECK_FALSE(apply_verbose(*r, (*vv)[0].v, "e1000e.vv", error));
  CHECK(error == "e1000e.vv: Region 3 size 0x8000 disagrees with the resource line (0x4000)");
}

TEST_CASE("lspci -vv text that cannot size a dump is said so, never read as zeros", "[dump][lspci-vv]") {
  std::string error;
  auto d = parse_dump(plain("e1000e.lspci"), error);
  REQUIRE(d.has_value());
  // lspci -vv of a dump (lspci -F) has Region lines without sizes, and its IRQ is the register's.
  std::string from_dump = kE1000eVv;
  for (size_t at; (at = from_dump.find(" [size=")) != std::string::npos;) from_dump.erase(at, from_dump.find(']', at) - at + 1);
  auto vv = parse_lspci_vv(from_dump, error);
  REQUIRE(vv.has_value());
  REQUIRE(apply_verbose(*d, (*vv)[0].v, "x.vv", error));
  CHECK(d->sizes == Sizes::unknown);
  CHECK(d->info.irq == -1);
  CHECK(d->verbose_note.find("x.vv has Region lines without \"[size=...]\"") == 0);
  // A BAR that reads non-zero with no Region line: another device, or a cut text.
  std::string cut = kE1000eVv;
  cut.erase(cut.find("\tRegion 3"), cut.find("\tExpansion") - cut.find("\tRegion 3"));
  vv = parse_lspci_vv(cut, error);
  REQUIRE(vv.has_value());
  CHECK_FALSE(apply_verbose(*d, (*vv)[0].v, "x.vv", error));
  CHECK(error == "x.vv: BAR3 reads 0xfe080000 but there is no \"Region 3:\" line (not the same device, or a cut text)");
  cut = kE1000eVv;
  cut.erase(cut.find("\tExpansion"), cut.find("\tCapabilities") - cut.find("\tExpansion"));
  vv = parse_lspci_vv(cut, error);
  REQUIRE(vv.has_value());
  CHECK_FALSE(apply_verbose(*d, (*vv)[0].v, "x.vv", error));
  CHECK(error == "x.vv: the ROM register reads 0xfe000000 but there is no \"Expansion ROM at\" line (not the same device, or a cut text)");
}

TEST_CASE("dump files: several functions, lspci -vv -xxxx, and a -vv block next to its dump", "[dump][lspci-vv]") {
  std::string error;
  const std::string e1000e = plain("e1000e.lspci"), nvme = plain("nvme.lspci");
  auto two = parse_dumps(e1000e + "\n" + nvme, error);
  REQUIRE(two.has_value());
  REQUIRE(two->size() == 2);
  CHECK((*two)[0].bdf == Bdf::make(0, 1, 0, 0));
  CHECK((*two)[1].bdf != (*two)[0].bdf);
  CHECK_FALSE(parse_dump(e1000e + "\n" + nvme, error));
  CHECK(error.find("2 devices (0000:01:00.0, ") == 0);
  // lspci -vv -xxxx: the verbose lines between the device line and the rows.
  const std::string vv = kE1000eVv;
  const std::string rows_only = e1000e.substr(e1000e.find('\n') + 1);
  auto d = parse_dump(vv + rows_only, error);
  REQUIRE(d.has_value());
  CHECK(d->sizes == Sizes::lspci_vv);
  CHECK(d->sizes_from == "the lspci -vv lines at line 2");
  // The -vv block of the same address after the dump, and a CR-LF paste.
  std::string crlf;
  for (char c : e1000e + "\n" + vv) {
    if (c == '\n') crlf += '\r';
    crlf += c;
  }
  d = parse_dump(crlf, error);
  REQUIRE(d.has_value());
  CHECK(d->info.bar_size[0] == 0x20000);
  // Comment lines before a device line are that device's; sysfs facts with no device are an error.
  d = parse_dump("# resource 0 0x1000 0x1fff 0x200\n# irq 9\n" + e1000e, error);
  REQUIRE(d.has_value());
  CHECK(d->info.bar_size[0] == 0x1000);
  CHECK(d->info.irq == 9);
  CHECK_FALSE(parse_dumps(e1000e + "\n# irq 9\n", error));
  CHECK(error.find("a \"# irq\" line with no device line after it") != std::string::npos);
  CHECK_FALSE(parse_dump("# resource 0 0x1000 0x1fff 0x200\n# resource 0 0x1000 0x1fff 0x200\n" + e1000e, error));
  CHECK(error == "line 2: resource 0 repeated");
  CHECK_FALSE(parse_dump("\tRegion 0: x\n" + e1000e, error));
  CHECK(error == "line 1: an indented (lspci -vv) line before any device line");
  CHECK_FALSE(parse_dumps(vv, error));
  CHECK(error.find("no config space rows") == 0);
  CHECK_FALSE(parse_lspci_vv("garbage\n", error));
  CHECK(error == "line 1: neither a device line nor an indented lspci -vv line");
}
