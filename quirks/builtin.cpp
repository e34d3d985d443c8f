// SPDX-License-Identifier: GPL-2.0-only
// The built-in quirk table: registers specific devices need writable, with the evidence for each.
#include "quirks/quirks.hpp"

namespace pcisplit::quirks {
namespace {

// Intel HD Audio (ICH9, 8086:293e) as QEMU's intel-hda emulates it (subsystem 1af4:1100): Linux's
// snd-hda-intel clears TCSEL (offset 0x44, traffic class select, bits 2:0; Intel HDA spec §3.3.1 /
// ICH9 datasheet §17.1.23) at probe. Denying it produced the "write-back to unknown field 0x44" reports
// that made users turn on permissive for the whole device; opening three bits is enough.
constexpr Field kHdaTcsel[] = {
    {0x44, 1, {.ro = 0xf8}, nullptr, "HDA_TCSEL", "snd-hda-intel programs traffic class select"},
};
static_assert(table_ok(kHdaTcsel));

constexpr Quirk kBuiltin[] = {
    {{0x8086, 0x293e, 0x1af4, 0x1100}, kHdaTcsel, 1, "ICH9 HD Audio (QEMU intel-hda)"},
};

}  // namespace

const Quirk* find_builtin(const Match& ids) {
  for (const Quirk& q : kBuiltin) {
    if (q.match.vendor == ids.vendor && q.match.device == ids.device && q.match.subvendor == ids.subvendor &&
        q.match.subdevice == ids.subdevice) {
      return &q;
    }
  }
  return nullptr;
}

Err apply_builtin(DeviceView& dev, Text& diag) {
  PCISPLIT_TRY(id, dev.hw_read(reg::PCI_VENDOR_ID, 4));
  PCISPLIT_TRY(sub, dev.hw_read(reg::PCI_SUBSYSTEM_VENDOR_ID, 4));
  const Match ids{static_cast<uint16_t>(id), static_cast<uint16_t>(id >> 16), static_cast<uint16_t>(sub),
                  static_cast<uint16_t>(sub >> 16)};
  const Quirk* q = find_builtin(ids);
  if (q == nullptr) return Err::success;
  return dev.add_builtin_quirk(q->fields, q->count, diag);
}

Field passthrough_field(uint16_t offset, uint8_t width, uint32_t mask) {
  Field f;
  f.offset = offset;
  f.width = width;
  f.masks.ro = width_mask(width) & ~mask;
  f.name = "quirk";
  f.why = "added by the administrator through sysfs quirks";
  return f;
}

}  // namespace pcisplit::quirks
