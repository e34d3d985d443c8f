// SPDX-License-Identifier: GPL-2.0-only
// Rendering the guest view of a device for `pcisplit view`.
#include "tools/pcisplit/view.hpp"

#include <cstdio>

#include "conf_space/tables.hpp"
#include "quirks/quirks.hpp"

namespace pcisplit::user {

std::unique_ptr<ViewedDevice> view_dump(const Dump& dump, const Policy& policy, std::string& error) {
  auto dev = std::make_unique<ViewedDevice>();
  dev->dump = dump;
  load_into(dump, dev->cfg);
  Text diag;
  Err err = dev->view.build(dev->cfg, dump.info, policy, diag);
  if (err == Err::success) err = quirks::apply_builtin(dev->view, diag);
  if (err != Err::success) {
    error = std::string(err_name(err)) + ": " + diag.c_str();
    return nullptr;
  }
  return dev;
}

std::vector<uint8_t> guest_bytes(DeviceView& view) {
  std::vector<uint8_t> out(view.size(), 0);
  for (uint32_t off = 0; off < view.size(); off += 4) {
    const Result<uint32_t> v = view.read(off, 4);
    const uint32_t value = v.ok() ? v.value() : 0xffffffff;
    for (unsigned i = 0; i < 4; ++i) out[off + i] = static_cast<uint8_t>(value >> (8 * i));
  }
  return out;
}

std::string side_by_side(const std::vector<uint8_t>& hw, const std::vector<uint8_t>& guest) {
  std::string out = "      hardware                                          | guest\n";
  char buf[32];
  for (size_t off = 0; off < hw.size() && off < guest.size(); off += 16) {
    bool all_zero = true;
    for (size_t i = 0; i < 16; ++i) all_zero = all_zero && hw[off + i] == 0 && guest[off + i] == 0;
    if (off >= 0x100 && all_zero) continue;  // extended space is mostly empty: skip zero rows
    std::snprintf(buf, sizeof buf, "%03zx: ", off);
    out += buf;
    for (size_t i = 0; i < 16; ++i) {
      std::snprintf(buf, sizeof buf, "%02x ", hw[off + i]);
      out += buf;
    }
    out += "| ";
    for (size_t i = 0; i < 16; ++i) {
      std::snprintf(buf, sizeof buf, "%02x%c", guest[off + i], hw[off + i] != guest[off + i] ? '*' : ' ');
      out += buf;
    }
    out += "\n";
  }
  return out;
}

std::string describe_policy(const DeviceView& view) {
  std::string out;
  char buf[256];
  out += "capabilities:";
  if (view.cap_count() == 0) out += " none";
  out += "\n";
  for (uint8_t i = 0; i < view.cap_count(); ++i) {
    const CapInfo& c = view.cap(i);
    std::snprintf(buf, sizeof buf, "  [%02x] %-22s %s\n", c.offset, cap_name(c.id),
                  c.exposed ? "exposed" : "HIDDEN (unlinked from the guest's chain)");
    out += buf;
  }
  out += "registers that are not plain read/write for the guest:\n";
  for (uint16_t i = 0; i < view.field_count(); ++i) {
    const FieldEntry& e = view.field(i);
    const Masks& m = e.field->masks;
    const uint32_t wm = width_mask(e.field->width);
    std::string cls;
    if ((m.ro & wm) == wm && m.emu == 0) cls = "read-only";
    else {
      if (m.ro) cls += "ro ";
      if (m.rw1c) cls += "rw1c ";
      if (m.rsvdz) cls += "hidden-bits ";
      if (m.emu) cls += "emulated ";
      if (e.field->ops && e.field->ops->write) cls += "hook ";
    }
    if (cls.empty()) continue;
    std::snprintf(buf, sizeof buf, "  %03x/%u %-26s %-22s %s\n", e.offset, e.field->width, e.field->name,
                  cls.c_str(), e.field->why);
    out += buf;
  }
  out += "  everything else: reads from hardware, writes denied and counted";
  out += view.policy().permissive ? " (permissive: written through)\n" : "\n";
  return out;
}

}  // namespace pcisplit::user
