// SPDX-License-Identifier: GPL-2.0-only
// The admin's slot strings: hide= and the pciback sysfs writes.
#include <catch2/catch.hpp>

#include <string>

#include "backend/slots.hpp"

using namespace pcisplit;

namespace {

SlotPattern slot(const char* text) {
  SlotPattern p;
  Text diag;
  INFO(text);
  REQUIRE(parse_slot(text, p, diag));
  return p;
}

std::string slot_error(const char* text) {
  SlotPattern p{7, 7, 7, 7};
  Text diag;
  CHECK_FALSE(parse_slot(text, p, diag));
  CHECK(p == SlotPattern{7, 7, 7, 7});  // untouched
  return diag.c_str();
}

}  // namespace

TEST_CASE("slot strings with and without domain, with wildcards") {
  CHECK(slot("0000:03:00.0") == SlotPattern{0, 3, 0, 0});
  CHECK(slot("03:1f.7") == SlotPattern{0, 3, 0x1f, 7});
  CHECK(slot(" 1:2:3.4 \n") == SlotPattern{1, 2, 3, 4});
  CHECK(slot("ffff:ff:1f.*") == SlotPattern{0xffff, 0xff, 0x1f, SlotPattern::kAny});
  CHECK(slot("0000:05:*.*") == SlotPattern{0, 5, SlotPattern::kAny, SlotPattern::kAny});
  CHECK(slot("05:*.*") == SlotPattern{0, 5, SlotPattern::kAny, SlotPattern::kAny});
}

TEST_CASE("bad slot strings are refused, naming the part") {
  CHECK(slot_error("") == "empty slot");
  CHECK(slot_error("\n") == "empty slot");
  CHECK(slot_error("0000:03:20.0").find("bad slot (00..1f)") != std::string::npos);
  CHECK(slot_error("0000:03:00.8").find("bad function") != std::string::npos);
  CHECK(slot_error("10000:03:00.0").find("bad domain") != std::string::npos);
  CHECK(slot_error("0000:100:00.0").find("bad bus") != std::string::npos);
  CHECK(slot_error("0000:03:*.1").find("wildcard slot") != std::string::npos);
  CHECK(slot_error("0000:03:00.0 junk").find("bad function") != std::string::npos);
  CHECK(slot_error("0000:03:00").find("bad slot") != std::string::npos);
  CHECK(slot_error("03.00.0").find("expected") != std::string::npos);
  CHECK(slot_error("0:0:0:0.0").find("expected") != std::string::npos);
  CHECK(slot_error("*:00.0").find("bad bus") != std::string::npos);
}

TEST_CASE("patterns match functions, wildcards match slots and functions") {
  const Bdf f = Bdf::make(0, 3, 2, 1);
  CHECK(SlotPattern{0, 3, 2, 1}.matches(f));
  CHECK_FALSE(SlotPattern{0, 3, 2, 0}.matches(f));
  CHECK_FALSE(SlotPattern{1, 3, 2, 1}.matches(f));
  CHECK(SlotPattern{0, 3, 2, SlotPattern::kAny}.matches(f));
  CHECK(SlotPattern{0, 3, SlotPattern::kAny, SlotPattern::kAny}.matches(f));
  CHECK_FALSE(SlotPattern{0, 4, SlotPattern::kAny, SlotPattern::kAny}.matches(f));
}

TEST_CASE("hide lists parse all or nothing and quote the bad token") {
  SlotPattern out[4];
  size_t n = 99;
  Text diag;
  REQUIRE(parse_hide("(0000:03:00.0)(04:00.*) (0001:05:*.*)", out, 4, n, diag));
  REQUIRE(n == 3);
  CHECK(out[0] == SlotPattern{0, 3, 0, 0});
  CHECK(out[1] == SlotPattern{0, 4, 0, SlotPattern::kAny});
  CHECK(out[2] == SlotPattern{1, 5, SlotPattern::kAny, SlotPattern::kAny});

  REQUIRE(parse_hide("", out, 4, n, diag));
  CHECK(n == 0);
  REQUIRE(parse_hide(nullptr, out, 4, n, diag));
  CHECK(n == 0);

  CHECK_FALSE(parse_hide("(0000:03:00.0)(0000:03:00.9)", out, 4, n, diag));
  CHECK(n == 0);
  CHECK(std::string(diag.c_str()).find("\"(0000:03:00.9)\"") != std::string::npos);
  CHECK_FALSE(parse_hide("0000:03:00.0", out, 4, n, diag));
  CHECK(std::string(diag.c_str()).find("expected (DDDD:BB:SS.F)") != std::string::npos);
  CHECK_FALSE(parse_hide("(0000:03:00.0", out, 4, n, diag));
  CHECK_FALSE(parse_hide("(0000:03:00.0)x", out, 4, n, diag));
  CHECK_FALSE(parse_hide("()", out, 4, n, diag));
  CHECK_FALSE(parse_hide("(1:0.0)(2:0.0)(3:0.0)(4:0.0)(5:0.0)", out, 4, n, diag));
  CHECK(std::string(diag.c_str()) == "hide lists more than 4 slots");
  CHECK(n == 0);
}

TEST_CASE("slots are listed in the in-tree format") {
  Text t;
  format_slot(t, SlotPattern{0, 3, 0x1f, 7});
  CHECK(std::string(t.c_str()) == "0000:03:1f.7");
  t.clear();
  format_slot(t, SlotPattern{1, 0xab, 2, SlotPattern::kAny});
  CHECK(std::string(t.c_str()) == "0001:ab:02.*");
  t.clear();
  format_slot(t, SlotPattern{0, 5, SlotPattern::kAny, SlotPattern::kAny});
  CHECK(std::string(t.c_str()) == "0000:05:*.*");
}
