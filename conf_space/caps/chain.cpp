// SPDX-License-Identifier: GPL-2.0-only
// The capability chain: walked defensively, exposed capabilities registered, hidden ones unlinked.
#include "conf_space/tables.hpp"

namespace pcisplit {
namespace {

using namespace reg;

// The one list of capabilities a guest sees (STYLE: keep exposed IDs in one table).
constexpr const CapTable* kExposed[] = {&kCapPm, &kCapVpd, &kCapMsi, &kCapVndr, &kCapExp, &kCapMsix};

// Every exposed capability starts with ID (read-only) and NEXT (rewritten to skip hidden ones).
constexpr Field kCapHeader = {0, 2, {.ro = 0xffff, .emu = 0xff00}, nullptr, "PCI_CAP_LIST_ID/NEXT",
                              "§6.7 ID read-only, NEXT points at the next exposed capability"};

Err chain_error(Text& diag, const char* what, uint32_t at) {
  diag.clear();
  diag.add("capability chain: ").add(what).add(" at 0x").add_hex(at, 2);
  return Err::op_failed;
}

Err add_exposed(DeviceView& dev, const CapInfo& cap, Text& diag) {
  const CapTable* table = find_cap_table(cap.id);
  const Result<uint32_t> variant = table->select != nullptr ? table->select(dev, cap.offset) : Result<uint32_t>(0u);
  if (!variant.ok() || variant.value() >= table->nvariants) {
    diag.clear();
    diag.add("capability ").add(table->name).add(" at 0x").add_hex(cap.offset, 2).add(": cannot read its layout");
    return variant.ok() ? Err::op_failed : variant.err();
  }
  const FieldList& list = table->variants[variant.value()];
  for (size_t i = 0; i < list.count; ++i) {
    const Field& f = list.fields[i];
    if (cap.offset + f.offset + f.width > PCI_CFG_SPACE_SIZE) {
      diag.clear();
      diag.add("capability ").add(table->name).add(" at 0x").add_hex(cap.offset, 2);
      diag.add(" runs past the end of the 256-byte space");
      return Err::op_failed;
    }
  }
  Err err = dev.add_fields(&kCapHeader, 1, cap.offset, diag);
  if (err == Err::success) err = dev.add_fields(list.fields, list.count, cap.offset, diag);
  if (err != Err::success) return err;
  // L4: a bridge (only exportable in passthrough mode) is the path to everything below it. A guest
  // putting a root port in D3hot, or changing its PCIe control, cuts off other domains' devices:
  // every capability of a bridge is read-only but its RW1C status bits.
  PCISPLIT_TRY(type, dev.hw_read(PCI_HEADER_TYPE, 1));
  if ((type & PCI_HEADER_TYPE_MASK) == PCI_HEADER_TYPE_BRIDGE) {
    for (size_t i = 0; i < list.count; ++i) dev.entry_at(static_cast<uint16_t>(cap.offset + list.fields[i].offset))->read_only = true;
  }
  return Err::success;
}

}  // namespace

const CapTable* find_cap_table(uint8_t id) {
  for (const CapTable* t : kExposed) {
    if (t->id == id) return t;
  }
  return nullptr;
}

const char* cap_name(uint8_t id) {
  switch (id) {
    case 0x01: return "Power Management";
    case 0x02: return "AGP";
    case 0x03: return "VPD";
    case 0x04: return "Slot ID";
    case 0x05: return "MSI";
    case 0x06: return "CompactPCI Hot Swap";
    case 0x07: return "PCI-X";
    case 0x08: return "HyperTransport";
    case 0x09: return "Vendor Specific";
    case 0x0a: return "Debug port";
    case 0x0b: return "CompactPCI CRC";
    case 0x0c: return "PCI Hot Plug";
    case 0x0d: return "Bridge Subsystem Vendor ID";
    case 0x0e: return "AGP 8x";
    case 0x0f: return "Secure Device";
    case 0x10: return "PCI Express";
    case 0x11: return "MSI-X";
    case 0x12: return "SATA";
    case 0x13: return "Advanced Features";
    case 0x14: return "Enhanced Allocation";
    case 0x15: return "Flattening Portal Bridge";
  }
  return "unknown";
}

Err add_capabilities(DeviceView& dev, Text& diag) {
  FieldEntry* cap_ptr = dev.entry_at(PCI_CAPABILITY_LIST);
  FieldEntry* status = dev.entry_at(PCI_STATUS);
  if (cap_ptr == nullptr || status == nullptr) return Err::op_failed;  // our header tables have both
  cap_ptr->shadow = 0;
  status->shadow = 0;

  PCISPLIT_TRY(st, dev.hw_read(PCI_STATUS, 2));
  if ((st & PCI_STATUS_CAP_LIST) == 0) return Err::success;

  // Walk: a broken or hostile device may loop, point into the header or past the space.
  PCISPLIT_TRY(first, dev.hw_read(PCI_CAPABILITY_LIST, 1));
  bool visited[PCI_CFG_SPACE_SIZE / 4] = {};
  uint32_t ptr = first & 0xfc;
  uint8_t count = 0;
  while (ptr != 0) {
    if (ptr < PCI_STD_HEADER_SIZEOF) return chain_error(diag, "pointer into the header", ptr);
    if (visited[ptr / 4]) return chain_error(diag, "loop back", ptr);
    if (count == DeviceView::kMaxCaps) return chain_error(diag, "too many capabilities", ptr);
    visited[ptr / 4] = true;
    ++count;
    PCISPLIT_TRY(hdr, dev.hw_read(static_cast<uint16_t>(ptr), 2));
    const uint8_t id = hdr & 0xff;
    const CapTable* table = find_cap_table(id);
    const bool exposed = table != nullptr;
    dev.add_cap(CapInfo{id, static_cast<uint8_t>(ptr), exposed});
    ptr = (hdr >> 8) & 0xfc;
  }

  // Register the exposed ones, then link them: 0x34 -> first exposed -> ... -> 0.
  FieldEntry* prev_link = cap_ptr;
  uint32_t prev_shift = 0;
  for (uint8_t i = 0; i < dev.cap_count(); ++i) {
    const CapInfo cap = dev.cap(i);
    if (!cap.exposed) continue;
    const Err err = add_exposed(dev, cap, diag);
    if (err != Err::success) return err;
    prev_link->shadow = (prev_link->shadow & ~(0xffu << prev_shift)) | (uint32_t{cap.offset} << prev_shift);
    prev_link = dev.entry_at(cap.offset);
    prev_shift = 8;
    status->shadow = PCI_STATUS_CAP_LIST;
  }
  prev_link->shadow &= ~(0xffu << prev_shift);
  return Err::success;
}

}  // namespace pcisplit
