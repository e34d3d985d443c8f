// SPDX-License-Identifier: GPL-2.0-only
// Guest topology: vpci slot rules, bridges refused, passthrough roots.
#include <catch2/catch.hpp>
#include <memory>
#include <string>

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
