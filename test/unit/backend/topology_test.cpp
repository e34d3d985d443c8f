// SPDX-License-Identifier: GPL-2.0-only
// Guest topology: vpci slot rules, bridges refused, passthrough roots.
#include <catch2/catch.hpp>
#include <memory>
#include <string>
#include <vector>

#include "backend/topology.hpp"

using namespace pcisplit;

TEST_CASE("vpci: devices get the first free slots on bus 0000:00", "[backend][topology]") {
  auto t = std::make_unique<Topology>(Topology::Mode::vpci);
  Text diag;
  CHECK(t->add({Bdf::make(0, 3, 0, 0)}, diag).value() == Bdf::make(0, 0, 0, 0));
  CHECK(t->add({Bdf::make(0, 5, 2, 0)}, diag).value() == Bdf::make(0, 0, 1, 0));
  CHECK(t->root_count() == 1);
  REQUIRE(t->remove(Bdf::make(0, 3, 0, 0)) == Err::success);
  CHECK(t->add({Bdf::make(0, 7, 0, 0)}, diag).value() == Bdf::make(0, 0, 0, 0));  // slot 0 reused
}

TEST_CASE("vpci: functions of one physical slot share a virtual slot and keep their numbers", "[backend][topology]") {
  auto t = std::make_unique<Topology>(Topology::Mode::vpci);
  Text diag;
  CHECK(t->add({Bdf::make(0, 1, 4, 0)}, diag).value() == Bdf::make(0, 0, 0, 0));
  CHECK(t->add({Bdf::make(0, 2, 0, 0)}, diag).value() == Bdf::make(0, 0, 1, 0));
  CHECK(t->add({Bdf::make(0, 1, 4, 3)}, diag).value() == Bdf::make(0, 0, 0, 3));
  CHECK(t->find_virt(Bdf::make(0, 0, 0, 3)) == t->find_phys(Bdf::make(0, 1, 4, 3)));
  // A virtual function goes alone, at function 0.
  CHECK(t->add({Bdf::make(0, 1, 4, 5), false, true}, diag).value() == Bdf::make(0, 0, 2, 0));
}

TEST_CASE("vpci: bridges, duplicates and a full bus are refused with a message", "[backend][topology]") {
  auto t = std::make_unique<Topology>(Topology::Mode::vpci);
  Text diag;
  CHECK(t->add({Bdf::make(0, 0, 1, 0), true}, diag).err() == Err::op_failed);
  CHECK(std::string(diag.c_str()) == "bridges cannot be exported on the virtual PCI bus (use passthrough mode)");
  for (uint8_t s = 0; s < 32; ++s) REQUIRE(t->add({Bdf::make(0, 1, s, 0)}, diag).ok());
  CHECK(t->add({Bdf::make(0, 1, 0, 0)}, diag).err() == Err::op_failed);
  CHECK(std::string(diag.c_str()) == "device already exported");
  CHECK(t->add({Bdf::make(0, 2, 0, 0)}, diag).err() == Err::op_failed);
  CHECK(std::string(diag.c_str()) == "no free slot on the virtual PCI bus (32 in use)");
  CHECK(t->add({Bdf::make(0, 1, 0, 1)}, diag).value() == Bdf::make(0, 0, 0, 1));  // same slot still fits
}

TEST_CASE("passthrough: real addresses, one root per real bus, bridges allowed", "[backend][topology]") {
  auto t = std::make_unique<Topology>(Topology::Mode::passthrough);
  Text diag;
  CHECK(t->add({Bdf::make(0, 3, 0, 0)}, diag).value() == Bdf::make(0, 3, 0, 0));
  CHECK(t->add({Bdf::make(0, 3, 0, 1)}, diag).ok());
  CHECK(t->add({Bdf::make(1, 0x40, 2, 0), true}, diag).ok());
  CHECK(t->root_count() == 2);
  CHECK(t->root(0) == Bdf{0, 3, 0});
  CHECK(t->root(1) == Bdf{1, 0x40, 0});
  CHECK(t->remove(Bdf::make(0, 9, 9, 0)) == Err::dev_not_found);
}

TEST_CASE("the guest-address index: every placed function found, nothing else, across removals",
          "[backend][topology]") {
  auto t = std::make_unique<Topology>(Topology::Mode::passthrough);
  Text diag;
  // A full topology over several domains and buses, many sharing a devfn (the index's collisions).
  std::vector<Bdf> placed;
  for (uint16_t i = 0; i < Topology::kMaxDevices; ++i) {
    const Bdf b{static_cast<uint16_t>(i % 3 == 0 ? 0 : 0x1234), static_cast<uint8_t>(i / 16),
                static_cast<uint8_t>((i % 16) * 8 + i % 2)};
    REQUIRE(t->add({b}, diag).ok());
    placed.push_back(b);
  }
  CHECK(t->add({Bdf{7, 7, 7}}, diag).err() == Err::op_failed);
  for (const Bdf& b : placed) CHECK(t->find_virt(b) == t->find_phys(b));
  CHECK(t->find_virt(Bdf{0, 0xff, 0xff}) == -1);
  CHECK(t->find_virt(Bdf{0x1234, 0, 0}) == -1);  // i == 0 is in domain 0
  // Every other one removed: the rest still found (a probe must not stop at a removed one's slot).
  for (size_t i = 0; i < placed.size(); i += 2) REQUIRE(t->remove(placed[i]) == Err::success);
  for (size_t i = 0; i < placed.size(); ++i) {
    CHECK((t->find_virt(placed[i]) >= 0) == (i % 2 == 1));
    if (i % 2 == 1) CHECK(t->find_virt(placed[i]) == t->find_phys(placed[i]));
  }
  // Back again, in other entries than before.
  for (size_t i = 0; i < placed.size(); i += 2) REQUIRE(t->add({placed[i]}, diag).ok());
  for (const Bdf& b : placed) CHECK(t->find_virt(b) == t->find_phys(b));
}

TEST_CASE("vpci: a full virtual bus, every function found at its guest address", "[backend][topology]") {
  auto t = std::make_unique<Topology>(Topology::Mode::vpci);
  Text diag;
  for (uint8_t s = 0; s < Topology::kVpciSlots; ++s) {
    for (uint8_t f = 0; f < 8; ++f) REQUIRE(t->add({Bdf::make(0, 2, s, f)}, diag).ok());
  }
  for (uint8_t s = 0; s < Topology::kVpciSlots; ++s) {
    for (uint8_t f = 0; f < 8; ++f) {
      const int i = t->find_virt(Bdf::make(0, 0, s, f));
      REQUIRE(i >= 0);
      CHECK(t->phys(i).bdf == Bdf::make(0, 2, s, f));
    }
  }
  CHECK(t->find_virt(Bdf::make(0, 2, 0, 0)) == -1);  // a physical address is not a guest one here
  CHECK(t->find_virt(Bdf::make(1, 0, 0, 0)) == -1);
}
