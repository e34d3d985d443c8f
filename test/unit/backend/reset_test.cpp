// SPDX-License-Identifier: GPL-2.0-only
// The reset plan (which method pciback uses for a function, and why not the others) and the check
// that a function came back after its reset.
#include <catch2/catch.hpp>

#include <string>

#include "backend/reset.hpp"

using namespace pcisplit;

namespace {

constexpr uint8_t k(ResetMethod m) { return static_cast<uint8_t>(m); }

std::string why(const ResetPlan& p, ResetMethod m) {
  const char* w = p.why_not[static_cast<size_t>(m)];
  return w == nullptr ? "(chosen)" : w;
}

// A PCIe function behind a root port, alone on its bus, as QEMU's nvme there.
ResetFacts pcie_function() {
  ResetFacts f;
  f.pcie = true;
  f.pm_cap = true;
  return f;
}

}  // namespace

TEST_CASE("the kernel's first method is the method, the others say why not") {
  ResetFacts f = pcie_function();
  f.flr_cap = true;
  f.kernel[0] = k(ResetMethod::flr);
  f.kernel[1] = k(ResetMethod::pm);
  f.kernel[2] = k(ResetMethod::bus);
  const ResetPlan p = plan_reset(f);
  CHECK(p.method == ResetMethod::flr);
  CHECK(why(p, ResetMethod::flr) == "(chosen)");
  CHECK(why(p, ResetMethod::pm) == "listed after the kernel's first method");
  CHECK(why(p, ResetMethod::bus) == "listed after the kernel's first method");
  CHECK(why(p, ResetMethod::af_flr) == "no Advanced Features capability with FLR");
  CHECK(why(p, ResetMethod::acpi) == "no ACPI _RST method");
  CHECK(why(p, ResetMethod::secondary_bus) == "not needed: the kernel has a method");
  CHECK_FALSE(p.disabled_by_admin);
}

TEST_CASE("the admin's reset_method order is the kernel's order: pm before flr is honoured") {
  ResetFacts f = pcie_function();
  f.flr_cap = true;
  f.kernel[0] = k(ResetMethod::pm);
  f.kernel[1] = k(ResetMethod::flr);
  const ResetPlan p = plan_reset(f);
  CHECK(p.method == ResetMethod::pm);
  CHECK(why(p, ResetMethod::flr) == "listed after the kernel's first method");
}

TEST_CASE("hardware reasons: no FLR in DevCap, No_Soft_Reset, a root bus") {
  ResetFacts f = pcie_function();
  f.no_soft_reset = true;
  f.root_bus = true;  // QEMU's e1000e at 00:04.0: no FLR, No_Soft_Reset, nothing above it
  const ResetPlan p = plan_reset(f);
  CHECK(p.method == ResetMethod::none);
  CHECK(why(p, ResetMethod::flr) == "DevCap has no FLR");
  CHECK(why(p, ResetMethod::pm) == "No_Soft_Reset is set: D3hot to D0 keeps its state");
  CHECK(why(p, ResetMethod::bus) == "on a root bus: no bridge to reset");
  CHECK(why(p, ResetMethod::secondary_bus) == "on a root bus: no bridge to reset");
  CHECK_FALSE(p.disabled_by_admin);  // nothing to disable: none is not the admin's doing

  ResetFacts conventional;  // plain PCI, no PM capability
  conventional.root_bus = true;
  const ResetPlan c = plan_reset(conventional);
  CHECK(why(c, ResetMethod::flr) == "not PCI Express");
  CHECK(why(c, ResetMethod::pm) == "no power management capability");
}

TEST_CASE("a method the hardware has but the kernel does not list: a quirk or the admin") {
  ResetFacts f = pcie_function();
  f.flr_cap = true;
  f.kernel[0] = k(ResetMethod::pm);
  const ResetPlan p = plan_reset(f);
  CHECK(p.method == ResetMethod::pm);
  CHECK(why(p, ResetMethod::flr) == "left out by a kernel quirk or the admin's reset_method");
}

TEST_CASE("no kernel method, every function on the bus ours: pciback's secondary bus reset") {
  ResetFacts f = pcie_function();
  f.no_soft_reset = true;
  f.reached = 2;  // a multi-function slot below a root port
  const ResetPlan p = plan_reset(f);
  CHECK(p.method == ResetMethod::secondary_bus);
  CHECK(why(p, ResetMethod::secondary_bus) == "(chosen)");
  CHECK(why(p, ResetMethod::bus) == "shares its bus with other functions");
}

TEST_CASE("the kernel's stale bus reset of a slot's first function: pciback's secondary bus reset") {
  ResetFacts f;  // two conventional functions below a root port; the kernel listed bus for .0 only
  f.kernel[0] = k(ResetMethod::bus);
  f.reached = 2;
  const ResetPlan p = plan_reset(f);
  CHECK(p.method == ResetMethod::secondary_bus);
  CHECK(why(p, ResetMethod::bus) == "listed by the kernel, refused when it resets: shares its bus with other functions");
  CHECK_FALSE(p.disabled_by_admin);

  f.kernel[0] = k(ResetMethod::pm);  // QEMU's e1000e pair: PM first, so the kernel's list serves
  f.kernel[1] = k(ResetMethod::bus);
  CHECK(plan_reset(f).method == ResetMethod::pm);
}

TEST_CASE("the secondary bus reset is ruled out where it would reach what is not pciback's") {
  ResetFacts f = pcie_function();
  f.no_soft_reset = true;
  f.reached = 2;
  f.reached_not_ours = 1;
  CHECK(plan_reset(f).method == ResetMethod::none);
  CHECK(why(plan_reset(f), ResetMethod::secondary_bus) == "a function on its bus is not bound to pciback");

  f.reached_not_ours = 0;
  f.no_bus_reset = true;
  CHECK(why(plan_reset(f), ResetMethod::secondary_bus) == "a kernel quirk forbids resetting its bus");

  f.no_bus_reset = false;
  f.is_bridge = true;
  CHECK(plan_reset(f).method == ResetMethod::none);
  CHECK(why(plan_reset(f), ResetMethod::secondary_bus) == "a bridge: the reset would reach every device below it");
}

TEST_CASE("an emptied reset_method is honoured: no secondary bus reset behind the admin's back") {
  ResetFacts f = pcie_function();
  f.flr_cap = true;  // the kernel would list flr: its list is empty because the admin emptied it
  const ResetPlan p = plan_reset(f);
  CHECK(p.disabled_by_admin);
  CHECK(p.method == ResetMethod::none);
  CHECK(why(p, ResetMethod::secondary_bus) ==
        "reset_method is empty although the kernel has a method for it: resets were turned off");

  ResetFacts alone = pcie_function();  // alone below a root port: the kernel's bus reset applies
  alone.no_soft_reset = true;
  const ResetPlan a = plan_reset(alone);
  CHECK(a.disabled_by_admin);
  CHECK(a.method == ResetMethod::none);
}

TEST_CASE("kernel method numbers: known ones by name, a newer kernel's still counts") {
  CHECK(reset_method_from_kernel(0) == ResetMethod::none);
  CHECK(reset_method_from_kernel(3) == ResetMethod::flr);
  CHECK(reset_method_from_kernel(7) == ResetMethod::cxl_bus);
  CHECK(reset_method_from_kernel(8) == ResetMethod::kernel_other);
  CHECK(std::string(reset_method_name(ResetMethod::af_flr)) == "af_flr");
  ResetFacts f;
  f.kernel[0] = 12;
  CHECK(plan_reset(f).method == ResetMethod::kernel_other);
  CHECK(std::string(reset_method_name(plan_reset(f).method)) == "kernel");
}

TEST_CASE("after a reset: a function that answers as at bind came back") {
  uint32_t bind[16] = {0x10d38086, 0x00100007, 0x02000000, 0x00000000, 0xfebc0000, 0xfeb80000, 0x0000c001};
  uint32_t now[16];
  for (int i = 0; i < 16; ++i) now[i] = bind[i];
  now[1] = 0x00100000;  // command register differs: not compared (the guest's or the restore's)
  Text w;
  CHECK(reset_came_back(bind, now, w));
  CHECK(std::string(w.c_str()).empty());
}

TEST_CASE("after a reset: all ones, other IDs or a lost BAR is a function that did not come back") {
  const uint32_t bind[16] = {0x10d38086, 0, 0, 0, 0xfebc0000, 0, 0, 0, 0, 0};
  uint32_t now[16] = {};
  for (int i = 0; i < 16; ++i) now[i] = 0xffffffffu;
  Text w1;
  CHECK_FALSE(reset_came_back(bind, now, w1));
  CHECK(std::string(w1.c_str()) == "does not answer (vendor/device ffff:ffff)");

  for (int i = 0; i < 16; ++i) now[i] = bind[i];
  now[4] = 0;
  Text w2;
  CHECK_FALSE(reset_came_back(bind, now, w2));
  CHECK(std::string(w2.c_str()) == "BAR0 is 00000000, was febc0000 (the config restore did not take)");

  now[4] = bind[4];
  now[0] = 0x15338086;
  Text w3;
  CHECK_FALSE(reset_came_back(bind, now, w3));
  CHECK(std::string(w3.c_str()) == "answers as another function (8086:1533, was 8086:10d3)");
}

TEST_CASE("after a reset: a bridge's two BARs are compared, not its bus numbers") {
  uint32_t bind[16] = {0x000c1b36, 0, 0x06040000, 0x00010000, 0xfe800000, 0, 0x00010100};
  uint32_t now[16];
  for (int i = 0; i < 16; ++i) now[i] = bind[i];
  now[7] = 0x12345678;  // I/O base/limit, secondary status: beyond the BARs
  Text w;
  CHECK(reset_came_back(bind, now, w));
  now[5] = 1;
  CHECK_FALSE(reset_came_back(bind, now, w));
}
