// SPDX-License-Identifier: GPL-2.0-only
// Quirks: built-in exact-match table and the sysfs quirk string parser.
#include "support/fake_device.hpp"

using namespace pcisplit;
using namespace pcisplit::test;
using namespace pcisplit::quirks;

TEST_CASE("sysfs quirk strings parse strictly", "[quirks]") {
  Text diag;
  SysfsQuirk q;
  REQUIRE(parse_sysfs("0000:00:08.0-44:1:07", 4096, q, diag));
  CHECK(q.bdf == Bdf::make(0, 0, 8, 0));
  CHECK(q.reg == 0x44);
  CHECK(q.size == 1);
  CHECK(q.mask == 7);
  REQUIRE(parse_sysfs("0001:0a:1f.7-0x100:4:0xffffffff\n", 4096, q, diag));
  CHECK(q.reg == 0x100);
  CHECK(q.mask == 0xffffffff);
}

TEST_CASE("sysfs quirk strings take the in-tree driver's other forms: no domain, blanks around", "[quirks]") {
  Text diag;
  SysfsQuirk q;
  REQUIRE(parse_sysfs("00:08.0-44:1:07", 4096, q, diag));  // domain 0, as str_to_quirk's second try
  CHECK(q.bdf == Bdf::make(0, 0, 8, 0));
  CHECK(q.reg == 0x44);
  REQUIRE(parse_sysfs(" \t0002:0b:01.3-0x10:2:ffff \n", 4096, q, diag));
  CHECK(q.bdf == Bdf::make(2, 0xb, 1, 3));
  CHECK(q.size == 2);
  CHECK(q.mask == 0xffff);
  REQUIRE(parse_sysfs("00:08.0-44:1:07\r\n", 4096, q, diag));  // a line from a DOS-edited file
  CHECK(q.mask == 7);
  CHECK_FALSE(parse_sysfs("08.0-44:1:07", 4096, q, diag));  // no bus
  CHECK(std::string(diag.c_str()).find("bad address") != std::string::npos);
  CHECK_FALSE(parse_sysfs("0:0:0:08.0-44:1:07", 4096, q, diag));
  CHECK(std::string(diag.c_str()).find("bad slot") != std::string::npos);
}

TEST_CASE("sysfs quirk errors name the bad field and change nothing", "[quirks]") {
  struct Case {
    const char* text;
    const char* field;
  };
  const Case cases[] = {
      {"00000:00:08.0-44:1:07", "domain"}, {"0000:000:08.0-44:1:07", "bus"},  {"0000:00:20.0-44:1:07", "slot"},
      {"0000:00:08.8-44:1:07", "function"}, {"0000:00:08.0-100:1:07", "REG"},  {"0000:00:08.0-44:3:07", "SIZE"},
      {"0000:00:08.0-45:2:07", "REG"},       {"0000:00:08.0-44:1:100", "MASK"}, {"0000:00:08.0-44:1:07 x", "MASK"},
      {"0000:00:08.0-44:1:", "MASK"},        {"0000:00:08.0", "function"},      {"", "address"},
      {"0000:00:08.0-44:0:1", "SIZE"},       {"0000:00:08.0-fff:4:1", "REG"},
  };
  for (const Case& c : cases) {
    Text diag;
    SysfsQuirk q;
    q.reg = 0x99;
    INFO(c.text);
    CHECK_FALSE(parse_sysfs(c.text, 256, q, diag));
    CHECK(q.reg == 0x99);
    INFO(diag.c_str());
    CHECK(std::string(diag.c_str()).find(std::string("bad ") + c.field) != std::string::npos);
  }
}

TEST_CASE("the built-in table matches exactly: ICH9 HDA gets TCSEL, other IDs nothing", "[quirks]") {
  CHECK(find_builtin(Match{0x8086, 0x293e, 0x1af4, 0x1100}) != nullptr);
  CHECK(find_builtin(Match{0x8086, 0x293e, 0x1af4, 0x1101}) == nullptr);  // other subsystem
  CHECK(find_builtin(Match{0x8086, 0x2668, 0x1af4, 0x1100}) == nullptr);  // ICH6 HDA

  auto hda = load_device("ich9-intel-hda.lspci");
  const FieldEntry* tcsel = hda->view.field_at(0x44);
  REQUIRE(tcsel != nullptr);
  CHECK(std::string(tcsel->field->name) == "HDA_TCSEL");
  hda->hw.poke(0x44, 1, 0x07);
  hda->wr(0x44, 1, 0xf8);  // clear TC bits, try the reserved ones too
  CHECK(hda->hw.peek(0x44, 1) == 0x00);
  CHECK(hda->view.denials(0x44) == 1);

  auto nic = load_device("e1000e.lspci");
  CHECK(nic->view.field_at(0x44) == nullptr);
}

TEST_CASE("a sysfs quirk opens exactly its mask and cannot overlay a table field", "[quirks]") {
  auto d = load_device("e1000.lspci");
  Text diag;
  SysfsQuirk q;
  REQUIRE(parse_sysfs("0000:00:09.0-e0:4:0000ff00", d->view.size(), q, diag));
  REQUIRE(d->view.add_quirk(passthrough_field(q.reg, q.size, q.mask), diag) == Err::success);
  d->wr(0xe0, 4, 0xffffffff);
  CHECK(d->hw.peek(0xe0, 4) == 0x0000ff00);
  REQUIRE(parse_sysfs("0000:00:09.0-4:2:ffff", d->view.size(), q, diag));
  CHECK(d->view.add_quirk(passthrough_field(q.reg, q.size, q.mask), diag) != Err::success);
  CHECK(std::string(diag.c_str()) == "field quirk at 0x004 overlaps PCI_COMMAND at 0x004");
}

TEST_CASE("a built-in quirk takes none of the admin's quirk slots", "[quirks]") {
  auto hda = load_device("ich9-intel-hda.lspci");  // HDA_TCSEL at 0x44, built in
  REQUIRE(hda->view.field_at(0x44) != nullptr);
  Text diag;
  // kMaxQuirks one-byte quirks in the free dwords past the capabilities, as sysfs adds them
  unsigned added = 0;
  for (uint16_t reg = 0xc0; reg < 0x100 && added < DeviceView::kMaxQuirks; ++reg) {
    if (hda->view.field_at(reg) != nullptr) continue;
    const Err err = hda->view.add_quirk(passthrough_field(reg, 1, 0xff), diag);
    INFO("quirk at 0x" << std::hex << reg << ": " << diag.c_str());
    REQUIRE(err == Err::success);
    ++added;
  }
  CHECK(added == DeviceView::kMaxQuirks);
  CHECK(hda->view.add_quirk(passthrough_field(0x50, 1, 0xff), diag) != Err::success);
  CHECK(std::string(diag.c_str()).find("too many quirk fields") != std::string::npos);
  // the built-in field is still there and still judges writes
  hda->hw.poke(0x44, 1, 0x07);
  hda->wr(0x44, 1, 0x00);
  CHECK(hda->hw.peek(0x44, 1) == 0x00);
}
