// SPDX-License-Identifier: GPL-2.0-only
// pcisplit view of a dump that cannot tell everything: the note, the '?' marks, no zeros for BARs.
#include <fstream>

#include "support/fake_device.hpp"
#include "tools/pcisplit/view.hpp"

using namespace pcisplit;
using namespace pcisplit::user;

namespace {
std::unique_ptr<ViewedDevice> viewed(const std::string& name, bool keep_comments) {
  std::ifstream f(pcisplit::test::data_path(name));
  std::string text, line, error;
  while (std::getline(f, line)) {
    if (keep_comments || line.rfind("#", 0) != 0) text += line + "\n";
  }
  auto d = parse_dump(text, error);
  REQUIRE(d.has_value());
  auto dev = view_dump(*d, Policy{}, error);
  REQUIRE(dev != nullptr);
  return dev;
}
}  // namespace

TEST_CASE("a plain dump's view: a note, its BARs flagged and shown as the hardware's, no zeros", "[view]") {
  auto dev = viewed("e1000e.lspci", false);
  const std::vector<Unknown> unknown = unknown_registers(dev->dump);
  std::string names;
  for (const Unknown& u : unknown) names += u.name + " ";
  // BAR4/BAR5 read 0 (unimplemented): the guest reads 0 whatever their size, so they are not flagged.
  CHECK(names == "BAR0 BAR1 BAR2 BAR3 ROM interrupt line ");
  const GuestConfig g = guest_config(*dev);
  for (uint16_t off = 0x10; off < 0x20; ++off) {
    CHECK(g.bytes[off] == dev->dump.config[off]);
    CHECK(g.unknown[off]);
  }
  CHECK_FALSE(g.unknown[0x20]);
  CHECK(g.unknown[0x3c]);
  CHECK_FALSE(g.unknown[0x3d]);
  // Without the flags, the engine alone shows BAR0 as 0: the value this note exists to prevent.
  CHECK(guest_bytes(dev->view)[0x13] == 0);
  const std::string note = unknowns_note(dev->dump, "");
  CHECK(note.find("NOTE: this dump has no BAR or ROM sizes") == 0);
  CHECK(note.find("BAR0, BAR1, BAR2, BAR3, ROM: size unknown") != std::string::npos);
  CHECK(note.find("pcisplit capture 0000:01:00.0 > FILE") != std::string::npos);
  CHECK(note.find("--sizes FILE") != std::string::npos);
  const std::string dump_note = unknowns_note(dev->dump, "# ");
  for (size_t at = 0; at < dump_note.size(); at = dump_note.find('\n', at) + 1) CHECK(dump_note.compare(at, 2, "# ") == 0);
  const std::string rows = side_by_side(dev->dump.config, g.bytes, g.unknown);
  CHECK(rows.find("| 00?00?04?fe?") != std::string::npos);
  const std::string policy = describe_policy(dev->view, unknown);
  CHECK(policy.find("PCI_BASE_ADDRESS_0") != std::string::npos);
  CHECK(policy.find("[size unknown]") != std::string::npos);
  CHECK(policy.find("[dom0's IRQ unknown]") != std::string::npos);
  CHECK(describe_sources(dev->dump) == "BAR/ROM sizes: UNKNOWN; dom0's IRQ: unknown\n");
}

TEST_CASE("a dump with its sizes and IRQ has no note and nothing flagged", "[view]") {
  std::string error;
  auto d = load_dump(pcisplit::test::data_path("e1000e.lspci"), error);
  REQUIRE(d.has_value());
  d->info.irq = 20;  // what pcisplit capture writes ("# irq 20")
  d->irq_from = "the \"# irq\" line";
  auto dev = view_dump(*d, Policy{}, error);
  REQUIRE(dev != nullptr);
  CHECK(unknown_registers(dev->dump).empty());
  CHECK(unknowns_note(dev->dump, "").empty());
  const GuestConfig g = guest_config(*dev);
  CHECK(g.bytes == guest_bytes(dev->view));
  CHECK(g.bytes[0x3c] == 20);
  // Recorded without an IRQ: only the interrupt line is flagged.
  auto rec = viewed("e1000e.lspci", true);
  const auto u = unknown_registers(rec->dump);
  REQUIRE(u.size() == 1);
  CHECK(u[0].name == "interrupt line");
  CHECK(unknowns_note(rec->dump, "").find("--sizes") == std::string::npos);
}

TEST_CASE("every recorded dump, made plain, is flagged wherever a BAR reads non-zero", "[view]") {
  for (const std::string& name : pcisplit::test::all_dumps()) {
    INFO(name);
    auto dev = viewed(name, false);
    const GuestConfig g = guest_config(*dev);
    const unsigned n = bar_count(dev->dump.config);
    for (unsigned i = 0; i < n; ++i) {
      const uint16_t off = static_cast<uint16_t>(0x10 + 4 * i);
      bool nonzero = false;
      for (unsigned b = 0; b < 4; ++b) nonzero = nonzero || dev->dump.config[off + b] != 0;
      CHECK(g.unknown[off] == nonzero);
    }
  }
}
