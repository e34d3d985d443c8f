// SPDX-License-Identifier: GPL-2.0-only
// The reset plan and the check after a reset (see reset.hpp for the rules).
#include "backend/reset.hpp"

namespace pcisplit {
namespace {

constexpr size_t index(ResetMethod m) { return static_cast<size_t>(m); }

bool kernel_lists(const ResetFacts& f, ResetMethod m) {
  for (size_t i = 0; i < ResetFacts::kKernelMax && f.kernel[i] != 0; ++i) {
    if (reset_method_from_kernel(f.kernel[i]) == m) return true;
  }
  return false;
}

// The kernel decides its list when it finds the function and checks again when it resets: its bus
// reset (and its slot reset) refuses a function that shares its bus or is a bridge. The first
// function of a slot is found before its siblings, so the kernel lists `bus` for it and then refuses
// it at every reset (seen in the lab: 0000:01:00.0 of a two-function slot, "pm bus").
bool kernel_refuses(const ResetFacts& f, ResetMethod m) {
  return m == ResetMethod::bus && (f.reached > 1 || f.is_bridge || f.root_bus);
}

// The first method the kernel will really use (none when it has none).
ResetMethod kernel_first(const ResetFacts& f) {
  for (size_t i = 0; i < ResetFacts::kKernelMax && f.kernel[i] != 0; ++i) {
    const ResetMethod m = reset_method_from_kernel(f.kernel[i]);
    if (!kernel_refuses(f, m)) return m;
  }
  return ResetMethod::none;
}

// Why the kernel does not list `m` for this function: the hardware reason where the facts show one,
// else the kernel's own judgement (a quirk) or the admin's reset_method.
const char* why_kernel_lacks(const ResetFacts& f, ResetMethod m) {
  switch (m) {
    case ResetMethod::device_specific: return "no device-specific reset in the kernel for this device";
    case ResetMethod::acpi: return "no ACPI _RST method";
    case ResetMethod::flr:
      if (!f.pcie) return "not PCI Express";
      if (!f.flr_cap) return "DevCap has no FLR";
      break;
    case ResetMethod::af_flr:
      if (!f.af_flr_cap) return "no Advanced Features capability with FLR";
      break;
    case ResetMethod::pm:
      if (!f.pm_cap) return "no power management capability";
      if (f.no_soft_reset) return "No_Soft_Reset is set: D3hot to D0 keeps its state";
      break;
    case ResetMethod::bus:
      if (f.root_bus) return "on a root bus: no bridge to reset";
      if (f.is_bridge) return "a bridge: the reset would reach every device below it";
      if (f.reached > 1) return "shares its bus with other functions";
      break;
    case ResetMethod::cxl_bus: return "not a CXL device";
    default: break;
  }
  return "left out by a kernel quirk or the admin's reset_method";
}

// Why pciback's own secondary bus reset cannot serve this function (nullptr: it can).
const char* why_not_secondary_bus(const ResetFacts& f) {
  if (f.root_bus) return "on a root bus: no bridge to reset";
  if (f.is_bridge) return "a bridge: the reset would reach every device below it";
  if (f.no_bus_reset) return "a kernel quirk forbids resetting its bus";
  if (f.reached_not_ours > 0) return "a function on its bus is not bound to pciback";
  return nullptr;
}

}  // namespace

const char* reset_method_name(ResetMethod m) {
  switch (m) {
    case ResetMethod::none: return "none";
    case ResetMethod::device_specific: return "device_specific";
    case ResetMethod::acpi: return "acpi";
    case ResetMethod::flr: return "flr";
    case ResetMethod::af_flr: return "af_flr";
    case ResetMethod::pm: return "pm";
    case ResetMethod::bus: return "bus";
    case ResetMethod::cxl_bus: return "cxl_bus";
    case ResetMethod::secondary_bus: return "secondary_bus";
    case ResetMethod::kernel_other: return "kernel";
  }
  return "?";
}

ResetMethod reset_method_from_kernel(uint8_t value) {
  if (value == 0) return ResetMethod::none;
  return value <= index(ResetMethod::cxl_bus) ? static_cast<ResetMethod>(value) : ResetMethod::kernel_other;
}

ResetPlan plan_reset(const ResetFacts& f) {
  ResetPlan plan;
  plan.method = kernel_first(f);
  const bool kernel_has_one = plan.method != ResetMethod::none;
  // What the kernel lists unless told otherwise: its FLR, AF FLR and PM resets, and its bus reset of
  // a function alone below its bridge.
  const bool kernel_would =
      f.flr_cap || f.af_flr_cap || (f.pm_cap && !f.no_soft_reset) ||
      (!f.root_bus && !f.is_bridge && f.reached == 1 && !f.no_bus_reset);
  plan.disabled_by_admin = !kernel_has_one && kernel_would;

  for (size_t m = index(ResetMethod::device_specific); m <= index(ResetMethod::cxl_bus); ++m) {
    const auto method = static_cast<ResetMethod>(m);
    if (method == plan.method) continue;
    if (!kernel_lists(f, method))
      plan.why_not[m] = why_kernel_lacks(f, method);
    else if (kernel_refuses(f, method))
      plan.why_not[m] = "listed by the kernel, refused when it resets: shares its bus with other functions";
    else
      plan.why_not[m] = "listed after the kernel's first method";
  }

  const char* sbr = nullptr;
  if (kernel_has_one)
    sbr = "not needed: the kernel has a method";
  else if (plan.disabled_by_admin)
    sbr = "reset_method is empty although the kernel has a method for it: resets were turned off";
  else
    sbr = why_not_secondary_bus(f);
  if (sbr == nullptr)
    plan.method = ResetMethod::secondary_bus;
  else
    plan.why_not[index(ResetMethod::secondary_bus)] = sbr;
  return plan;
}

bool reset_came_back(const uint32_t bind[16], const uint32_t now[16], Text& why) {
  if (now[0] == 0xffffffffu) {
    why.add("does not answer (vendor/device ffff:ffff)");
    return false;
  }
  if (now[0] != bind[0]) {
    why.add("answers as another function (").add_hex(now[0] & 0xffff, 4).add(":").add_hex(now[0] >> 16, 4).add(", was ");
    why.add_hex(bind[0] & 0xffff, 4).add(":").add_hex(bind[0] >> 16, 4).add(")");
    return false;
  }
  const uint32_t type = (bind[3] >> 16) & 0x7f;
  if (((now[3] >> 16) & 0x7f) != type) {
    why.add("header type changed");
    return false;
  }
  const int bars = type == 0 ? 6 : type == 1 ? 2 : 0;
  for (int i = 0; i < bars; ++i) {
    if (now[4 + i] != bind[4 + i]) {
      why.add("BAR").add_dec(static_cast<uint32_t>(i)).add(" is ").add_hex(now[4 + i], 8).add(", was ");
      why.add_hex(bind[4 + i], 8).add(" (the config restore did not take)");
      return false;
    }
  }
  return true;
}

}  // namespace pcisplit
