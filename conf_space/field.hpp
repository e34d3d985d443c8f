// SPDX-License-Identifier: GPL-2.0-only
// Field descriptors (constexpr, immutable), per-device field entries, and the effects a write can ask for.
#pragma once

#include "protocol/types.hpp"

namespace pcisplit {

// How each bit of a register behaves for the guest. Bits in no mask are plain read/write to hardware.
struct Masks {
  uint32_t ro = 0;     // guest writes ignored (a change attempt is a counted denial)
  uint32_t rw1c = 0;   // guest writes 1 to clear the hardware bit; 0 leaves it
  uint32_t rsvdp = 0;  // reserved, preserve: hardware value kept on write, no denial
  uint32_t rsvdz = 0;  // reads as 0, writes dropped: reserved bits, and bits we hide from the guest
  uint32_t emu = 0;    // served from the per-device shadow, never from or to hardware
};

// Things only the platform can do; handlers return them, the glue performs them in order.
enum class EffectKind : uint8_t {
  enable_device,    // memory/IO decoding requested on (pci_enable_device)
  disable_device,   // ... requested off (pci_disable_device: decoding stays on in hardware, XSA-120)
  set_master,       // bus mastering on
  clear_master,     // bus mastering off
  set_power_state,  // arg = D-state 0..3
  set_readrq,       // PCIe max read request size, arg = DEVCTL encoding 0..5 (128 << arg bytes)
};

struct Effect {
  EffectKind kind;
  uint8_t arg;
};

struct Effects {
  static constexpr uint8_t kMax = 4;  // one write asks for at most 3 (command: decode + master)
  Effect items[kMax] = {};
  uint8_t count = 0;
  // False when full: the caller must refuse what asked for it (WriteCtx::effect does), never drop it.
  [[nodiscard]] bool add(EffectKind kind, uint8_t arg = 0) {
    if (count >= kMax) return false;
    items[count++] = Effect{kind, arg};
    return true;
  }
};

class DeviceView;
struct FieldEntry;

// What a write hook sees. A hook adjusts masks, adds effects or denies; the engine then applies the masks
// unless the hook handled the write itself.
struct WriteCtx {
  DeviceView& dev;
  FieldEntry& entry;
  Masks masks;              // starts as the descriptor's
  Effects& effects;
  // One hardware snapshot per field write, shared by the engine and the hook (hook_hw_read): the
  // bytes the guest did not write reach hardware as judged, never from a second, later read.
  bool have_hw = false;
  uint32_t hw = 0;
  bool handled = false;     // the hook did all of the write; skip the generic mask logic
  bool denied = false;      // count a denial for this register
  Err err = Err::success;   // a non-success error is returned to the guest

  // Asks for a side effect; if the write already carries all it can, the field's write is refused
  // (op_failed, nothing of it applied) rather than done without the effect.
  void effect(EffectKind kind, uint8_t arg = 0) {
    if (!effects.add(kind, arg)) err = Err::op_failed;
  }
};

// Hooks exist only where a register has a side effect or depends on device state (STYLE rule 2).
struct FieldOps {
  Err (*init)(DeviceView& dev, FieldEntry& entry) = nullptr;            // sets shadow/orig at bind
  void (*write)(WriteCtx& ctx, uint32_t value, uint32_t byte_mask) = nullptr;  // value is field-relative
  // The hook writes nothing but the RW1C bits the guest clears (a status register whose read-only
  // bits may be RW1C in a later spec, DEVSTA's bit 6): it runs for a read-only entry too.
  bool clears_only = false;
};

struct Field {
  uint16_t offset = 0;  // relative to the table's base (0 for the header, the capability's offset else)
  uint8_t width = 0;    // 1, 2 or 4
  Masks masks = {};
  const FieldOps* ops = nullptr;
  const char* name = "";
  const char* why = "";  // spec section or advisory behind this behaviour
};

constexpr uint32_t width_mask(uint8_t width) {
  return width >= 4 ? 0xffffffffu : (1u << (8 * width)) - 1;
}

// A table is checked when it is written: fields aligned, widths valid, masks inside the width,
// and sorted without overlap. A bad table fails the build (static_assert at each table).
template <size_t N>
constexpr bool table_ok(const Field (&fields)[N]) {
  for (size_t i = 0; i < N; ++i) {
    const Field& f = fields[i];
    if (f.width != 1 && f.width != 2 && f.width != 4) return false;
    if (f.offset % f.width != 0) return false;
    const uint32_t all = f.masks.ro | f.masks.rw1c | f.masks.rsvdp | f.masks.rsvdz | f.masks.emu;
    if ((all & ~width_mask(f.width)) != 0) return false;
    if ((f.masks.rw1c & (f.masks.ro | f.masks.emu)) != 0) return false;  // contradictory
    if (i > 0 && fields[i - 1].offset + fields[i - 1].width > f.offset) return false;
  }
  return true;
}

// Per device and per field: where it sits and the mutable state the descriptor must not hold.
struct FieldEntry {
  const Field* field = nullptr;
  uint16_t offset = 0;    // absolute
  uint8_t kind = 0;       // hook-private tag (e.g. which BAR flavour)
  // Derived from the descriptor when the entry is made, so that a guest's read needs neither the
  // descriptor nor mask arithmetic: the width, the bits a read takes from the shadow and those it takes
  // from hardware (none: the read does not touch hardware). Neither has rsvdz bits or bits past the width.
  uint8_t width = 0;
  uint32_t read_shadow = 0;
  uint32_t read_hw = 0;
  uint32_t shadow = 0;    // emulated bits' current value
  uint32_t initial = 0;   // shadow as it was when the view was built; reset() returns to it
  bool read_only = false; // every bit read-only but RW1C, no hook but a clears_only one (a bridge's capabilities: L4)
  uint8_t next = 0;       // extended space: the next entry in this one's dword (index + 1; 0: none)
};
// The engine's tables are sized by it (DeviceView::kMaxFields of them). The BARs' bind-time address
// and address bits are not here but in DeviceView::bar_state(): 7 registers, not one per field.
static_assert(sizeof(FieldEntry) <= 32, "FieldEntry grew");

}  // namespace pcisplit
