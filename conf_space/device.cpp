// SPDX-License-Identifier: GPL-2.0-only
// The access engine: building a device's layered view, and reads/writes merged field by field.
#include "conf_space/device.hpp"

#include "conf_space/tables.hpp"

namespace pcisplit {
namespace {

// Width 1, 2 or 4 (bits 1, 2 and 4 of 0x16), naturally aligned, inside the space. The end is summed in
// 64 bits: the offset is the guest's, and offset + width must not wrap past 4 GiB to a small number.
constexpr bool access_ok(uint32_t offset, uint32_t width, uint16_t size) {
  return width <= 4 && ((0x16u >> width) & 1) != 0 && (offset & (width - 1)) == 0 && uint64_t{offset} + width <= size;
}

uint8_t byte_of(uint32_t v, uint32_t i) { return static_cast<uint8_t>(v >> (8 * i)); }

}  // namespace

void DeviceView::clear() {
  for (auto& m : hdr_map_) m = 0;
  for (auto& h : ext_head_) h = 0;
  for (auto& b : bars_) b = BarState{};
  for (auto& d : hdr_denials_) __atomic_store_n(&d, uint16_t{0}, __ATOMIC_RELAXED);
  for (auto& d : ext_denials_) {
    __atomic_store_n(&d.count, uint16_t{0}, __ATOMIC_RELAXED);
    __atomic_store_n(&d.reg, uint16_t{0}, __ATOMIC_RELAXED);
  }
  nfields_ = 0;
  ncaps_ = 0;
  nquirks_ = 0;
  __atomic_store_n(&total_denials_, uint64_t{0}, __ATOMIC_RELAXED);
}

Err DeviceView::build(ConfigAccess& cfg, const DeviceInfo& info, const Policy& policy, Text& diag) {
  clear();
  cfg_ = &cfg;
  info_ = info;
  policy_ = policy;
  size_ = cfg.size();
  if (size_ != reg::PCI_CFG_SPACE_SIZE && size_ != reg::PCI_CFG_SPACE_EXP_SIZE) {
    diag.clear();
    diag.add("config space size ").add_dec(size_).add(" is neither 256 nor 4096");
    return Err::op_failed;
  }
  const Result<uint32_t> type = cfg.read(reg::PCI_HEADER_TYPE, 1);
  if (!type.ok()) {
    diag.clear();
    diag.add("cannot read the header type");
    return type.err();
  }
  Err err;
  bridge_ = (type.value() & reg::PCI_HEADER_TYPE_MASK) == reg::PCI_HEADER_TYPE_BRIDGE;
  switch (type.value() & reg::PCI_HEADER_TYPE_MASK) {
    case reg::PCI_HEADER_TYPE_NORMAL: err = add_header_type0(*this, diag); break;
    case reg::PCI_HEADER_TYPE_BRIDGE: err = add_header_type1(*this, diag); break;
    default:
      diag.clear();
      diag.add("header type 0x").add_hex(type.value(), 2).add(" is not supported (CardBus?)");
      return Err::not_implemented;
  }
  if (err == Err::success) err = add_capabilities(*this, diag);
  for (uint16_t i = 0; i < nfields_; ++i) entries_[i].initial = entries_[i].shadow;
  return err;
}

Err DeviceView::add_fields(const Field* fields, size_t count, uint16_t base, Text& diag) {
  for (size_t i = 0; i < count; ++i) {
    const Err err = add_entry(&fields[i], base, diag);
    if (err != Err::success) return err;
  }
  return Err::success;
}

Err DeviceView::add_quirk(const Field& field, Text& diag) {
  if (cfg_ == nullptr) {
    diag.clear();
    diag.add("device view not built");
    return Err::op_failed;
  }
  if (nquirks_ == kMaxQuirks) {
    diag.clear();
    diag.add("too many quirk fields (max ").add_dec(kMaxQuirks).add(")");
    return Err::op_failed;
  }
  quirks_[nquirks_] = field;
  const Err err = add_entry(&quirks_[nquirks_], 0, diag);
  if (err != Err::success) return err;
  ++nquirks_;
  FieldEntry& e = entries_[nfields_ - 1];
  e.initial = e.shadow;
  return Err::success;
}

Err DeviceView::add_builtin_quirk(const Field* fields, size_t count, Text& diag) {
  if (cfg_ == nullptr) {
    diag.clear();
    diag.add("device view not built");
    return Err::op_failed;
  }
  const uint16_t first = nfields_;
  const Err err = add_fields(fields, count, 0, diag);
  for (uint16_t i = first; i < nfields_; ++i) entries_[i].initial = entries_[i].shadow;
  return err;
}

Err DeviceView::add_entry(const Field* field, uint16_t base, Text& diag) {
  const uint32_t off = base + field->offset;
  const uint8_t w = field->width;
  diag.clear();
  if ((w != 1 && w != 2 && w != 4) || off % w != 0 || off + w > size_) {
    diag.add("field ").add(field->name).add(" at 0x").add_hex(off, 3).add(" width ").add_dec(w);
    diag.add(" is misaligned or outside the config space");
    return Err::invalid_offset;
  }
  for (uint32_t b = off; b < off + w; ++b) {
    if (const uint8_t taken = index_at(b); taken != 0) {
      const FieldEntry& other = entries_[taken - 1];
      diag.add("field ").add(field->name).add(" at 0x").add_hex(off, 3).add(" overlaps ");
      diag.add(other.field->name).add(" at 0x").add_hex(other.offset, 3);
      return Err::op_failed;
    }
  }
  if (nfields_ == kMaxFields) {
    diag.add("too many fields (max ").add_dec(kMaxFields).add(")");
    return Err::op_failed;
  }
  FieldEntry& e = entries_[nfields_];
  e = FieldEntry{};
  e.field = field;
  e.offset = static_cast<uint16_t>(off);
  e.width = w;
  const Masks& m = field->masks;
  e.read_shadow = m.emu & ~m.rsvdz & width_mask(w);
  e.read_hw = ~m.emu & ~m.rsvdz & width_mask(w);
  if (field->ops != nullptr && field->ops->init != nullptr) {
    const Err err = field->ops->init(*this, e);
    if (err != Err::success) {
      diag.add("field ").add(field->name).add(" at 0x").add_hex(off, 3).add(": cannot initialise (");
      diag.add(err_name(err)).add(")");
      return err;
    }
  } else if (field->masks.emu != 0) {
    PCISPLIT_TRY(hw, cfg_->read(e.offset, w));
    e.shadow = hw & field->masks.emu;
  }
  ++nfields_;
  if (off < reg::PCI_CFG_SPACE_SIZE) {
    for (uint32_t b = off; b < off + w; ++b) hdr_map_[b] = static_cast<uint8_t>(nfields_);
  } else {  // the field lies in one dword (aligned, width <= 4): it heads that dword's chain
    uint8_t& head = ext_head_[(off - reg::PCI_CFG_SPACE_SIZE) / 4];
    e.next = head;
    head = static_cast<uint8_t>(nfields_);
  }
  return Err::success;
}

uint8_t DeviceView::ext_index(uint32_t b) const {
  for (uint8_t idx = ext_head_[(b - reg::PCI_CFG_SPACE_SIZE) / 4]; idx != 0; idx = entries_[idx - 1].next) {
    const FieldEntry& e = entries_[idx - 1];
    if (b >= e.offset && b < uint32_t{e.offset} + e.width) return idx;
  }
  return 0;
}

void DeviceView::reset() {
  for (uint16_t i = 0; i < nfields_; ++i) entries_[i].shadow = entries_[i].initial;
}

const FieldEntry* DeviceView::field_at(uint16_t offset) const {
  const uint8_t idx = offset < reg::PCI_CFG_SPACE_EXP_SIZE ? index_at(offset) : 0;
  return idx == 0 ? nullptr : &entries_[idx - 1];
}

FieldEntry* DeviceView::entry_at(uint16_t offset) {
  const uint8_t idx = offset < reg::PCI_CFG_SPACE_EXP_SIZE ? index_at(offset) : 0;
  return idx == 0 ? nullptr : &entries_[idx - 1];
}

uint8_t DeviceView::cap_offset(uint8_t id) const {
  for (uint8_t i = 0; i < ncaps_; ++i) {
    if (caps_[i].id == id) return caps_[i].offset;
  }
  return 0;
}

uint32_t DeviceView::denials(uint16_t offset) const {
  if (offset < reg::PCI_CFG_SPACE_SIZE) return __atomic_load_n(&hdr_denials_[offset / 4], __ATOMIC_RELAXED);
  if (offset >= reg::PCI_CFG_SPACE_EXP_SIZE) return 0;
  const uint16_t r = static_cast<uint16_t>(offset & ~3u);
  for (const DenialSlot& d : ext_denials_) {
    if (__atomic_load_n(&d.reg, __ATOMIC_RELAXED) == r) return __atomic_load_n(&d.count, __ATOMIC_RELAXED);
  }
  return 0;
}

// The extended register's slot, claimed if it has none yet; nullptr when every slot is taken.
uint16_t* DeviceView::ext_counter(uint16_t reg_offset) {
  for (DenialSlot& d : ext_denials_) {
    uint16_t cur = __atomic_load_n(&d.reg, __ATOMIC_RELAXED);
    if (cur == 0 && __atomic_compare_exchange_n(&d.reg, &cur, reg_offset, false, __ATOMIC_RELAXED, __ATOMIC_RELAXED)) {
      return &d.count;
    }
    if (cur == reg_offset) return &d.count;  // ours, or claimed for this register just now by another
  }
  return nullptr;
}

void DeviceView::count_denial(uint16_t offset) {
  uint16_t* const count = offset < reg::PCI_CFG_SPACE_SIZE ? &hdr_denials_[offset / 4]
                                                            : ext_counter(static_cast<uint16_t>(offset & ~3u));
  if (count != nullptr) {
    uint16_t seen = __atomic_load_n(count, __ATOMIC_RELAXED);
    // Saturating: a guest that keeps probing one register must not wrap its count back to 0.
    while (seen < kDenialsMax &&
           !__atomic_compare_exchange_n(count, &seen, static_cast<uint16_t>(seen + 1), true, __ATOMIC_RELAXED,
                                        __ATOMIC_RELAXED)) {
    }
  }
  __atomic_fetch_add(&total_denials_, uint64_t{1}, __ATOMIC_RELAXED);
}

// (shadow & emu | hardware & ~emu), less rsvdz, inside the width: the masks say which bits are which.
Result<uint32_t> DeviceView::field_value(const FieldEntry& e) {
  if (e.read_hw == 0) return e.shadow & e.read_shadow;
  return with_hw(e);
}

// Out of line: only a field with hardware bits pays for the call and the registers it needs; the read
// of an emulated field saves none.
[[gnu::noinline]] Result<uint32_t> DeviceView::with_hw(const FieldEntry& e) {
  PCISPLIT_TRY(hw, cfg_->read(e.offset, e.width));
  return (e.shadow & e.read_shadow) | (hw & e.read_hw);
}

Result<uint32_t> DeviceView::read(uint32_t offset, uint32_t width) {
  if (cfg_ == nullptr || !access_ok(offset, width, size_)) return Err::invalid_offset;
  const uint8_t first = index_at(offset);
  if (first != 0) {  // the common case: the access is exactly one field
    const FieldEntry& e = entries_[first - 1];
    if (e.offset == offset && e.width == width) return field_value(e);
  }
  return read_fields(offset, width);
}

// An access that is not exactly one field: it spans fields, or bytes no field claims, or part of one.
Result<uint32_t> DeviceView::read_fields(uint32_t offset, uint32_t width) {
  uint32_t result = 0;
  uint32_t hw = 0;
  bool have_hw = false;
  for (uint32_t i = 0; i < width;) {
    const uint8_t idx = index_at(offset + i);
    if (idx == 0) {  // unclaimed: hardware, read once for the whole access
      if (!have_hw) {
        PCISPLIT_TRY(v, cfg_->read(static_cast<uint16_t>(offset), static_cast<uint8_t>(width)));
        hw = v;
        have_hw = true;
      }
      result |= hw & (0xffu << (8 * i));
      ++i;
      continue;
    }
    // The field's bytes from this one to the field's end or the access's, whichever comes first.
    const FieldEntry& e = entries_[idx - 1];
    PCISPLIT_TRY(fv, field_value(e));
    const uint32_t end = e.offset + e.width < offset + width ? e.offset + e.width : offset + width;
    const uint32_t n = end - (offset + i);
    result |= ((fv >> (8 * (offset + i - e.offset))) & width_mask(static_cast<uint8_t>(n))) << (8 * i);
    i += n;
  }
  return result;
}

WriteResult DeviceView::write(uint32_t offset, uint32_t width, uint32_t value) {
  WriteResult out;
  if (cfg_ == nullptr || !access_ok(offset, width, size_)) {
    out.err = Err::invalid_offset;
    return out;
  }
  uint32_t unclaimed = 0;  // bit i: byte i of the access belongs to no field
  bool denied = false;     // one denial per access: accesses never leave their dword register
  for (uint32_t i = 0; i < width;) {
    const uint8_t idx = index_at(offset + i);
    if (idx == 0) {
      unclaimed |= 1u << i;
      ++i;
      continue;
    }
    FieldEntry& e = entries_[idx - 1];
    const uint32_t end = e.offset + e.field->width < offset + width ? e.offset + e.field->width : offset + width;
    uint32_t fval = 0;
    uint32_t be = 0;
    for (uint32_t b = offset + i; b < end; ++b) {
      fval |= static_cast<uint32_t>(byte_of(value, b - offset)) << (8 * (b - e.offset));
      be |= 0xffu << (8 * (b - e.offset));
    }
    denied |= write_field(e, fval, be, out);
    i = end - offset;
  }
  // XSA-131: unknown registers are not the guest's. Never a bridge's, even when permissive: its link,
  // slot, ACS, AER and DPC controls are the path to every device below it (L4).
  const bool permissive = policy_.permissive && !bridge_;
  if (unclaimed != 0 && !permissive) denied = true;
  if (denied) count_denial(static_cast<uint16_t>(offset));
  if (unclaimed == 0 || !permissive) return out;
  Err err = Err::success;
  if (unclaimed == (1u << width) - 1) {
    err = cfg_->write(static_cast<uint16_t>(offset), static_cast<uint8_t>(width), value);
  } else {
    for (uint32_t i = 0; i < width && err == Err::success; ++i) {
      if ((unclaimed & (1u << i)) != 0) err = cfg_->write(static_cast<uint16_t>(offset + i), 1, byte_of(value, i));
    }
  }
  if (out.err == Err::success) out.err = err;
  return out;
}

bool DeviceView::write_field(FieldEntry& e, uint32_t value, uint32_t byte_mask, WriteResult& out) {
  WriteCtx ctx{*this, e, e.field->masks, out.effects};
  const uint8_t effects_before = out.effects.count;
  const FieldOps* ops = e.field->ops;
  const bool hook = ops != nullptr && ops->write != nullptr && (!e.read_only || ops->clears_only);
  if (e.read_only && !hook) {
    const Masks& m = e.field->masks;
    ctx.masks = Masks{.ro = width_mask(e.field->width) & ~m.rw1c & ~m.rsvdz, .rw1c = m.rw1c, .rsvdz = m.rsvdz,
                      .emu = m.emu};
  } else if (hook) {
    // Hooks judge the register as it would be after the write, not the guest's bytes alone: the
    // lanes the guest did not write keep their current value (hardware's, or the shadow's for
    // emulated bits). A 1-byte write next to a bit hardware set must not slip past a check on that
    // bit (H1: VPD's F flag). docs/conf_space.md, "Hooks judge the merged value".
    // The snapshot the hook judges is the one generic_write() takes the unwritten bytes from: a bit
    // hardware sets between two reads (a VPD read completing) cannot reach hardware unjudged.
    const Masks& m = e.field->masks;
    const uint32_t wm = width_mask(e.field->width);
    uint32_t merged = value & byte_mask & wm;
    if ((byte_mask & wm) != wm) {
      uint32_t hw = 0;
      if ((wm & ~m.emu & ~m.rsvdz) != 0 && !hook_hw_read(ctx, hw)) {
        out.err = ctx.err;
        return false;
      }
      merged |= ((e.shadow & m.emu) | (hw & ~m.emu)) & ~m.rsvdz & ~byte_mask & wm;
    }
    ops->write(ctx, merged, byte_mask);
  }
  // A hook that refuses the write refuses all of it: nothing of a rejected field is half-applied.
  if (!ctx.handled && ctx.err == Err::success) generic_write(ctx, value, byte_mask);
  if (ctx.err != Err::success) out.effects.count = effects_before;  // nor its side effects
  if (ctx.err != Err::success && out.err == Err::success) out.err = ctx.err;
  return ctx.denied;
}

void DeviceView::generic_write(WriteCtx& ctx, uint32_t value, uint32_t byte_mask) {
  FieldEntry& e = ctx.entry;
  const Masks& m = ctx.masks;
  const uint8_t width = e.field->width;
  const uint32_t wm = width_mask(width);
  const uint32_t g = value & wm;
  const uint32_t be = byte_mask & wm;

  const uint32_t hw_bits = wm & ~m.emu;
  const uint32_t rw = hw_bits & ~(m.ro | m.rw1c | m.rsvdp | m.rsvdz);
  const uint32_t ro_hw = m.ro & hw_bits & be & ~m.rsvdz;  // protected bits whose value lives in hardware
  const uint32_t keep = wm & ~m.rw1c & ~(rw & be);        // written back as hardware has them
  const bool hw_write = ((rw | m.rw1c) & be) != 0;

  uint32_t hw_cur = 0;
  if ((ro_hw != 0 || (hw_write && keep != 0)) && !hook_hw_read(ctx, hw_cur)) return;
  const uint32_t visible = (e.shadow & m.emu) | (hw_cur & ~m.emu);
  // In a status register (RW1C bits and nothing else the guest may set: Status, DEVSTA) a 0 means
  // "leave it" (drivers write just the bits they clear): only a 1 written to a read-only bit that
  // reads 0 is an attempt to change it. Anywhere else (PMCSR, a bridge's read-only entries) every
  // read-only bit written unlike it reads is one. Judged on the table's masks, not ctx's: a bridge's
  // read-only entry keeps its register's kind.
  const Masks& fm = e.field->masks;
  const bool status_reg = fm.rw1c != 0 && (wm & ~fm.emu & ~(fm.ro | fm.rw1c | fm.rsvdp | fm.rsvdz)) == 0;
  const uint32_t tried = status_reg ? g & ~visible : g ^ visible;
  if ((tried & m.ro & be & ~m.rsvdz) != 0) ctx.denied = true;

  const uint32_t emu_w = m.emu & ~m.ro & ~m.rsvdp & ~m.rsvdz & be;
  e.shadow = (e.shadow & ~emu_w) | (g & emu_w);

  if (hw_write) {
    const uint32_t next = (hw_cur & keep) | (g & rw & be) | (g & m.rw1c & be);
    const Err err = cfg_->write(e.offset, width, next);
    if (err != Err::success) ctx.err = err;
  }
}

}  // namespace pcisplit
