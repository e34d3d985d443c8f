// SPDX-License-Identifier: GPL-2.0-only
// How pciback resets a function, and whether the function came back afterwards.
//
// Resets are what passthrough users complain about first: guests that do not start because a device
// has no reset, and devices that are dead after one. So the choice is made once at bind, shown to the
// admin with the reason each other method was ruled out, and checked after every reset. The kernel
// glue (backend/linux/reset.c) gathers the facts and runs the method; the rules are here, where the
// unit tests reach every one of them.
//
// The rules:
// - The kernel's own methods come first, in the kernel's order (pci_dev::reset_methods, which the
//   admin can reorder or restrict through /sys/bus/pci/devices/BDF/reset_method): the first one the
//   kernel lists is the method, except its bus reset for a function that shares its bus (listed for
//   the first function of a slot, found before its siblings, and refused at every reset). The kernel already applies the hardware rules there: FLR only when
//   DevCap says so, PM (D3hot -> D0) only when No_Soft_Reset is clear, its bus reset only for a
//   function alone below its bridge.
// - When the kernel lists none, pciback's own secondary bus reset of the bridge above: only off a
//   root bus, for a function that is no bridge itself, when every function that reset reaches is
//   bound to pciback and no kernel quirk forbids bus resets there. (Which of them are assigned to a
//   guest is checked when the reset runs: that changes while the function is bound.)
// - When the kernel lists none although it has a method for the function (FLR, AF FLR, PM, or its
//   bus reset of a function alone below its bridge), the admin emptied reset_method: honoured, no
//   reset.
#pragma once

#include "protocol/types.hpp"

namespace pcisplit {

// The kernel's methods in its own numbering (the values in pci_dev::reset_methods since Linux 5.15,
// the names /sys/bus/pci/devices/BDF/reset_method uses; 6.12 added cxl_bus), then pciback's own.
enum class ResetMethod : uint8_t {
  none = 0,
  device_specific = 1,
  acpi = 2,
  flr = 3,
  af_flr = 4,
  pm = 5,
  bus = 6,
  cxl_bus = 7,
  secondary_bus = 8,  // pciback's: the bridge's secondary bus reset
  kernel_other = 9,   // a method of a newer kernel than this code knows: still the kernel's to run
};
inline constexpr size_t kResetMethods = 10;  // none .. kernel_other

// "flr", "pm", ..., "none", "kernel" (kernel_other).
const char* reset_method_name(ResetMethod m);
// A kernel method number as the glue reads it from pci_dev::reset_methods (0: none).
ResetMethod reset_method_from_kernel(uint8_t value);

// What the glue reads from the kernel and the function's config space.
struct ResetFacts {
  static constexpr size_t kKernelMax = 8;
  uint8_t kernel[kKernelMax] = {};  // pci_dev::reset_methods: the kernel's order, 0 ends the list
  bool pcie = false;                // has a PCI Express capability
  bool flr_cap = false;             // PCIe DevCap: Function Level Reset capable
  bool af_flr_cap = false;          // an Advanced Features capability with TP and FLR
  bool pm_cap = false;              // a power management capability
  bool no_soft_reset = false;       // its PMCSR says No_Soft_Reset
  bool root_bus = false;            // no bridge above it
  bool is_bridge = false;           // it has a bus of its own below it
  bool no_bus_reset = false;        // a kernel quirk forbids resetting its bus
  uint8_t reached = 1;              // functions a reset of its bus reaches, itself included
  uint8_t reached_not_ours = 0;     // of those, bound to another driver or to none
};

struct ResetPlan {
  ResetMethod method = ResetMethod::none;
  // Per method, why it is not the one used; nullptr for the chosen one. Indexed by ResetMethod.
  const char* why_not[kResetMethods] = {};
  // The kernel lists no method although the function has one: resets were turned off on purpose.
  bool disabled_by_admin = false;
};

ResetPlan plan_reset(const ResetFacts& facts);

// Whether a function answers after a reset and its config restore as it did at bind: the first 16
// dwords of its header then (`bind`) and now. Compared: vendor/device ID (all ones is a function
// that does not answer), header type, and the BARs (type 0: six, type 1: two), which the restore
// puts back. False with `why` naming the first difference.
bool reset_came_back(const uint32_t bind[16], const uint32_t now[16], Text& why);

}  // namespace pcisplit
