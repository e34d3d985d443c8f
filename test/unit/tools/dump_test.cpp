// SPDX-License-Identifier: GPL-2.0-only
// lspci -xxxx dump files: strict parsing and an exact round trip.
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
