// SPDX-License-Identifier: GPL-2.0-only
// DeviceView: one device's layered field tables (header -> capabilities -> quirks) and the access engine.
#pragma once

#include "conf_space/config_access.hpp"
#include "conf_space/field.hpp"
#include "conf_space/regs.hpp"

namespace pcisplit {

// Facts the platform knows about the device that config space alone cannot say.
struct DeviceInfo {
  uint64_t bar_size[6] = {};  // as the kernel's resources: a 64-bit BAR's size sits at its low index
  uint64_t rom_size = 0;
  // The ROM's resource is really assigned and decodes alone (Linux: res->parent && !rom_bar_overlap).
  // Otherwise the guest's ROM enable bit never reaches hardware: an unassigned ROM, or one sharing a
  // decoder with a BAR, would start decoding at a stale address or steal the BAR's (L2).
  bool rom_decodes = true;
  // The IRQ dom0's kernel routes the function's INTx to (pci_dev->irq, a GSI on x86), which a PV guest
  // binds by reading PCI_INTERRUPT_LINE; -1: unknown, show the hardware register.
  int32_t irq = -1;
};

// Per-device policy switches set by the admin (module parameter / sysfs), not by the guest.
struct Policy {
  bool permissive = false;               // XSA-131: unclaimed registers writable; extra command bits
  bool allow_interrupt_control = false;  // guest may flip INTx-disable / MSI / MSI-X enable bits itself
};

struct WriteResult {
  Err err = Err::success;
  Effects effects;
};

// A BAR's or the ROM's bind-time address and its address bits (conf_space/bar.cpp's hooks).
struct BarState {
  uint32_t orig = 0;
  uint32_t mask = 0;
};

struct CapInfo {
  uint8_t id = 0;
  uint8_t offset = 0;
  bool exposed = false;
};

class DeviceView {
 public:
  static constexpr uint16_t kMaxFields = 160;
  static constexpr uint8_t kMaxCaps = 48;  // (256 - 64) / 4: more entries than that must be a loop
  static constexpr uint8_t kMaxQuirks = 24;  // admin-added fields (sysfs quirks); built-in ones take none
  static constexpr uint16_t kDenialsMax = 0xffff;
  static constexpr uint8_t kBarSlots = 7;  // BARs 0-5 (0x10-0x24), then the expansion ROM

  // Reads the device through `cfg` and stacks header, capability and quirk tables. On failure `diag`
  // says why (overlap, misalignment, broken capability chain) and the view must not be used.
  Err build(ConfigAccess& cfg, const DeviceInfo& info, const Policy& policy, Text& diag);

  // Adds a quirk field at an absolute offset. The descriptor is copied into the view, so callers may
  // pass a temporary (the sysfs quirk parser does). Overlaps with existing fields are refused.
  Err add_quirk(const Field& field, Text& diag);
  // Adds a built-in quirk's fields (absolute offsets). They are not copied: `fields` must outlive the
  // view (quirks/builtin.cpp's static tables), and they take none of the kMaxQuirks an admin has.
  Err add_builtin_quirk(const Field* fields, size_t count, Text& diag);

  // Guest accesses. Width 1/2/4, naturally aligned, inside the config space, else invalid_offset.
  // Offsets and widths are taken as the wire carries them, unchecked; the engine validates them.
  Result<uint32_t> read(uint32_t offset, uint32_t width);
  WriteResult write(uint32_t offset, uint32_t width, uint32_t value);

  // Restores every field's bind-time state (after the platform reset the function and restored its config).
  void reset();

  void set_policy(const Policy& policy) { policy_ = policy; }
  const Policy& policy() const { return policy_; }

  // Denied guest writes (any part refused), counted once per write against its dword register, from
  // the view's last build. Relaxed atomics: an admin reads them (sysfs) while the guest's ops run.
  // A register's count stops at kDenialsMax; the total is exact. Every header register has a
  // count; in the extended space the first kExtDenialSlots registers refused get one each, and
  // refusals on further ones are in the total only (sysfs lists 8 registers anyway). 16 bits and
  // the slots keep the view, and the kernel's per-function object, within 8 KiB.
  static constexpr uint8_t kExtDenialSlots = 32;
  uint32_t denials(uint16_t offset) const;
  uint64_t total_denials() const { return __atomic_load_n(&total_denials_, __ATOMIC_RELAXED); }

  // Introspection for tools and tests.
  const FieldEntry* field_at(uint16_t offset) const;
  uint16_t field_count() const { return nfields_; }
  const FieldEntry& field(uint16_t i) const { return entries_[i]; }
  uint8_t cap_count() const { return ncaps_; }
  const CapInfo& cap(uint8_t i) const { return caps_[i]; }
  uint16_t size() const { return size_; }
  uint8_t cap_offset(uint8_t id) const;  // first capability with this ID, exposed or not; 0 if none
  const DeviceInfo& info() const { return info_; }

  // For hooks: hardware access and denial counting go through the view so they stay seam-only.
  Result<uint32_t> hw_read(uint16_t offset, uint8_t width) { return cfg_->read(offset, width); }
  Err hw_write(uint16_t offset, uint8_t width, uint32_t value) { return cfg_->write(offset, width, value); }
  FieldEntry* entry_at(uint16_t offset);
  BarState& bar_state(uint8_t slot) { return bars_[slot < kBarSlots ? slot : kBarSlots - 1]; }

  // Used by table builders (header.cpp, caps/chain.cpp): registers `count` fields at `base`.
  Err add_fields(const Field* fields, size_t count, uint16_t base, Text& diag);
  void add_cap(const CapInfo& cap) {
    if (ncaps_ < kMaxCaps) caps_[ncaps_++] = cap;
  }

 private:
  Err add_entry(const Field* field, uint16_t base, Text& diag);
  Result<uint32_t> field_value(const FieldEntry& e);
  Result<uint32_t> with_hw(const FieldEntry& e);
  Result<uint32_t> read_fields(uint32_t offset, uint32_t width);
  bool write_field(FieldEntry& e, uint32_t value, uint32_t byte_mask, WriteResult& out);  // true: denied
  void generic_write(WriteCtx& ctx, uint32_t value, uint32_t byte_mask);
  void count_denial(uint16_t offset);
  uint16_t* ext_counter(uint16_t reg_offset);
  void clear();
  // The entry claiming byte `b` (< 4096), as index + 1; 0: unclaimed.
  uint8_t index_at(uint32_t b) const { return b < reg::PCI_CFG_SPACE_SIZE ? hdr_map_[b] : ext_index(b); }
  uint8_t ext_index(uint32_t b) const;

  ConfigAccess* cfg_ = nullptr;
  DeviceInfo info_;
  Policy policy_;
  uint16_t size_ = 0;
  bool bridge_ = false;  // type-1 header: never permissive
  uint16_t nfields_ = 0;
  uint8_t ncaps_ = 0;
  uint8_t nquirks_ = 0;
  // Byte offset -> entry index + 1 (0: unclaimed), through index_at(). The header's 256 bytes have a
  // byte map (a guest's hot registers: one load); the extended space, where a device has a few
  // capabilities in 3,840 bytes, one chain head per dword, linked through FieldEntry::next (a naturally
  // aligned field lies in one dword, so at most four entries share a chain). 1,216 bytes, not 4,096.
  uint8_t hdr_map_[reg::PCI_CFG_SPACE_SIZE] = {};
  uint8_t ext_head_[(reg::PCI_CFG_SPACE_EXP_SIZE - reg::PCI_CFG_SPACE_SIZE) / 4] = {};
  FieldEntry entries_[kMaxFields];
  CapInfo caps_[kMaxCaps];
  BarState bars_[kBarSlots];
  Field quirks_[kMaxQuirks];
  uint16_t hdr_denials_[reg::PCI_CFG_SPACE_SIZE / 4] = {};
  struct DenialSlot {
    uint16_t reg = 0;  // the extended register's offset (dword-aligned, >= 0x100); 0: free
    uint16_t count = 0;
  };
  DenialSlot ext_denials_[kExtDenialSlots] = {};
  uint64_t total_denials_ = 0;
};

}  // namespace pcisplit
