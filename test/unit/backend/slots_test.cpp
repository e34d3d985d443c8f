// SPDX-License-Identifier: GPL-2.0-only
// The admin's slot strings: hide= and the pciback sysfs writes.
#include <catch2/catch.hpp>

#include <string>
#include <vector>

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
  CHECK(slot("0x0000:0x03:0x1f.0x7") == SlotPattern{0, 3, 0x1f, 7});
  CHECK(slot("03:1f.7\r\n") == SlotPattern{0, 3, 0x1f, 7});  // blanks as the kernel's isspace()  // sscanf's %x takes 0x, so do we
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

namespace {
// The list as the slots attribute prints it: "DDDD:BB:SS.F", one function an entry.
std::vector<std::string> listed(const SeizeList& list) {
  std::vector<std::string> out;
  list.for_each([&](Bdf b) {
    Text t;
    format_slot(t, SlotPattern{b.domain, b.bus, b.slot(), b.fn()});
    out.emplace_back(t.c_str());
  });
  return out;
}
}  // namespace

TEST_CASE("hide lists parse all or nothing and quote the bad token") {
  SeizeList list;
  Text diag;
  REQUIRE(parse_hide("(0000:03:00.0)(04:00.*) (0001:05:*.*)", list, diag));
  const auto all = listed(list);
  REQUIRE(all.size() == 1 + 8 + 256);
  CHECK(all[0] == "0000:03:00.0");
  CHECK(all[1] == "0000:04:00.0");
  CHECK(all[8] == "0000:04:00.7");
  CHECK(all[9] == "0001:05:00.0");
  CHECK(all.back() == "0001:05:1f.7");

  SeizeList empty;
  REQUIRE(parse_hide("", empty, diag));
  REQUIRE(parse_hide(nullptr, empty, diag));
  CHECK(listed(empty).empty());

  SeizeList bad;
  CHECK_FALSE(parse_hide("(0000:03:00.0)(0000:03:00.9)", bad, diag));
  CHECK(listed(bad).empty());  // the good token before the bad one is not applied either
  CHECK(std::string(diag.c_str()).find("\"(0000:03:00.9)\"") != std::string::npos);
  CHECK_FALSE(parse_hide("0000:03:00.0", bad, diag));
  CHECK(std::string(diag.c_str()).find("expected (DDDD:BB:SS.F)") != std::string::npos);
  CHECK_FALSE(parse_hide("(0000:03:00.0", bad, diag));
  CHECK_FALSE(parse_hide("(0000:03:00.0)x", bad, diag));
  CHECK_FALSE(parse_hide("()", bad, diag));
  CHECK(listed(bad).empty());
}

TEST_CASE("hide: any number of functions on up to 64 buses, and a 65th bus refuses the whole list") {
  std::string many;
  for (unsigned devfn = 0; devfn < 160; ++devfn) {
    Text t;
    format_slot(t, SlotPattern{0, 3, static_cast<int16_t>(devfn >> 3), static_cast<int16_t>(devfn & 7)});
    many += std::string("(") + t.c_str() + ")";
  }
  SeizeList list;
  Text diag;
  REQUIRE(parse_hide(many.c_str(), list, diag));  // 160 entries: in-tree has no limit on them
  CHECK(listed(list).size() == 160);

  std::string buses;
  for (unsigned bus = 0; bus < 65; ++bus) {
    Text t;
    format_slot(t, SlotPattern{0, static_cast<uint8_t>(bus), 0, 0});
    buses += std::string("(") + t.c_str() + ")";
  }
  SeizeList full;
  CHECK_FALSE(parse_hide(buses.c_str(), full, diag));
  CHECK(std::string(diag.c_str()).find("more than 64 buses") != std::string::npos);
  CHECK(std::string(diag.c_str()).find("0000:40:00.0") != std::string::npos);  // the 65th
  CHECK(listed(full).empty());
}

TEST_CASE("the seize list keeps functions: wildcards expand, remove_slot takes every function it names") {
  SeizeList list;
  REQUIRE(list.add(SlotPattern{0, 3, 0, SlotPattern::kAny}));  // new_slot 0000:03:00.*
  REQUIRE(list.add(SlotPattern{0, 4, 2, 1}));
  REQUIRE(list.add(SlotPattern{0, 3, 0, 2}));  // already listed: no second line
  CHECK(listed(list) == std::vector<std::string>{"0000:03:00.0", "0000:03:00.1", "0000:03:00.2", "0000:03:00.3",
                                                 "0000:03:00.4", "0000:03:00.5", "0000:03:00.6", "0000:03:00.7",
                                                 "0000:04:02.1"});
  // libxl's pci-assignable-remove of one function a wildcard brought in: that one goes, the rest stay
  CHECK(list.remove(SlotPattern{0, 3, 0, 1}) == 1);
  CHECK_FALSE(list.contains(Bdf::make(0, 3, 0, 1)));
  CHECK(list.contains(Bdf::make(0, 3, 0, 2)));
  CHECK(list.remove(SlotPattern{0, 3, 0, 1}) == 0);  // not listed any more: the caller's -ENOENT
  CHECK(list.remove(SlotPattern{0, 3, 0, SlotPattern::kAny}) == 7);
  CHECK(listed(list) == std::vector<std::string>{"0000:04:02.1"});
  CHECK(list.remove(SlotPattern{0, 9, SlotPattern::kAny, SlotPattern::kAny}) == 0);

  REQUIRE(list.add(SlotPattern{1, 0xab, SlotPattern::kAny, SlotPattern::kAny}));
  CHECK(listed(list).size() == 1 + 256);
  CHECK(list.contains(Bdf::make(1, 0xab, 0x1f, 7)));
  CHECK_FALSE(list.contains(Bdf::make(0, 0xab, 0x1f, 7)));  // another domain
  CHECK(list.remove(SlotPattern{1, 0xab, 0x1f, SlotPattern::kAny}) == 8);
  CHECK(listed(list).size() == 1 + 248);
}

TEST_CASE("the seize list holds 64 buses, a 65th is refused and changes nothing, an emptied bus frees its entry") {
  SeizeList list;
  for (unsigned bus = 0; bus < SeizeList::kMaxBuses; ++bus) {
    REQUIRE(list.add(SlotPattern{0, static_cast<uint8_t>(bus), 1, 0}));
  }
  const auto before = listed(list);
  CHECK_FALSE(list.add(SlotPattern{0, 0x80, 1, 0}));
  CHECK(listed(list) == before);
  CHECK(list.add(SlotPattern{0, 5, 2, 0}));  // a bus already listed still takes more
  CHECK(list.remove(SlotPattern{0, 7, 1, 0}) == 1);  // bus 7 now empty: its entry goes
  CHECK(list.add(SlotPattern{0, 0x80, 1, 0}));
  CHECK(listed(list).back() == "0000:80:01.0");  // buses in the order they were first added
  CHECK(listed(list).front() == "0000:00:01.0");
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
