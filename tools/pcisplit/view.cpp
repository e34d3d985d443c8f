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

std::vector<Unknown> unknown_registers(const Dump& dump) {
  std::vector<Unknown> out;
  const auto& c = dump.config;
  auto nonzero = [&](size_t off) { return (c[off] | c[off + 1] | c[off + 2] | c[off + 3]) != 0; };
  if (dump.sizes == Sizes::unknown) {
    const unsigned n = bar_count(c);
    for (unsigned i = 0; i < n; ++i) {
      const uint16_t off = static_cast<uint16_t>(reg::PCI_BASE_ADDRESS_0 + 4 * i);
      // A BAR that reads 0 reads 0 for the guest too, sized or not; only its size is unknown then.
      if (nonzero(off)) out.push_back({off, 4, "BAR" + std::to_string(i), "size unknown"});
    }
    const uint16_t rom = rom_offset(c);
    if (rom != 0 && nonzero(rom)) out.push_back({rom, 4, "ROM", "size unknown"});
  }
  if (dump.info.irq < 0 && c[reg::PCI_INTERRUPT_PIN] != 0) {
    out.push_back({reg::PCI_INTERRUPT_LINE, 1, "interrupt line", "dom0's IRQ unknown"});
  }
  return out;
}

GuestConfig guest_config(ViewedDevice& dev) {
  GuestConfig g;
  g.bytes = guest_bytes(dev.view);
  g.unknown.assign(g.bytes.size(), false);
  // Without its size the engine takes a BAR as unimplemented and shows 0: the one value that is surely
  // wrong for a BAR that reads non-zero. The hardware's value is what the guest reads once dom0 has
  // the BAR assigned, so that is shown, flagged.
  for (const Unknown& u : unknown_registers(dev.dump)) {
    for (unsigned i = 0; i < u.width; ++i) {
      g.bytes[u.offset + i] = dev.dump.config[u.offset + i];
      g.unknown[u.offset + i] = true;
    }
  }
  return g;
}

std::string describe_sources(const Dump& dump) {
  std::string out = "BAR/ROM sizes: ";
  out += dump.sizes == Sizes::unknown ? "UNKNOWN" : "from " + dump.sizes_from;
  out += "; dom0's IRQ: ";
  out += dump.info.irq < 0 ? "unknown" : std::to_string(dump.info.irq) + " from " + dump.irq_from;
  return out + "\n";
}

std::string unknowns_note(const Dump& dump, const std::string& prefix) {
  const std::vector<Unknown> unknown = unknown_registers(dump);
  if (unknown.empty()) return "";
  // In the view the bytes are marked; a guest dump has no marks, only this note above its rows.
  const std::string marked = prefix.empty() ? " (marked '?')" : " below";
  std::string bars, out;
  bool irq = false;
  for (const Unknown& u : unknown) {
    if (u.offset == reg::PCI_INTERRUPT_LINE) irq = true;
    else bars += (bars.empty() ? "" : ", ") + u.name;
  }
  if (!bars.empty()) {
    out += prefix + "NOTE: this dump has no BAR or ROM sizes (no \"# resource\" lines, no lspci -vv \"[size=...]\").\n";
    out += prefix + "  " + bars + ": size unknown. Their guest values" + marked + " are the hardware's: what\n";
    out += prefix + "  the guest reads if dom0's kernel assigned them; what a sizing write returns is unknown.\n";
    if (!dump.verbose_note.empty()) out += prefix + "  (" + dump.verbose_note + ")\n";
  }
  if (irq) {
    out += prefix + "NOTE: dom0's IRQ for this function is unknown (no \"# irq\" line): the interrupt line" + marked + "\n";
    out += prefix + "  is the hardware's register; a PV guest reads dom0's IRQ there.\n";
  }
  out += prefix + "  A complete dump, as root where the device is: pcisplit capture " + bdf_name(dump.bdf) + " > FILE\n";
  if (!bars.empty()) {
    out += prefix + "  or this dump with the device's `lspci -vv -s " + bdf_name(dump.bdf) +
           "` text: pcisplit view DUMP --sizes FILE\n";
  }
  return out;
}

std::string side_by_side(const std::vector<uint8_t>& hw, const std::vector<uint8_t>& guest,
                         const std::vector<bool>& unknown) {
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
      const bool unsure = off + i < unknown.size() && unknown[off + i];
      std::snprintf(buf, sizeof buf, "%02x%c", guest[off + i], unsure ? '?' : hw[off + i] != guest[off + i] ? '*' : ' ');
      out += buf;
    }
    out += "\n";
  }
  return out;
}

std::string describe_policy(const DeviceView& view, const std::vector<Unknown>& unknown) {
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
    std::string why = e.field->why;
    for (const Unknown& u : unknown) {
      if (u.offset == e.offset) why = "[" + u.why + "] " + why;
    }
    std::snprintf(buf, sizeof buf, "  %03x/%u %-26s %-22s ", e.offset, e.field->width, e.field->name, cls.c_str());
    out += buf + why + "\n";
  }
  out += "  everything else: reads from hardware, writes denied and counted";
  out += view.policy().permissive ? " (permissive: written through)\n" : "\n";
  return out;
}

}  // namespace pcisplit::user
