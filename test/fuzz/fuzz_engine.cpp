// SPDX-License-Identifier: GPL-2.0-only
// The op dispatcher and the config-space engine on every recorded device, driven by the guest's side
// of the wire: a sequence of ops decoded from the input (config reads and writes with any offset and
// size, MSI/MSI-X enable/disable with any count and entries, unknown commands, addresses of absent
// devices), with release-and-rebind in between.
//
// After every op the hardware config space is compared with what it was before, against rules written
// here from docs/conf_space.md and docs/backend.md, NOT from the field tables (a table bug must not be
// able to hide itself):
//   hard (never, whatever the policy): BARs and the ROM address, MSI address/data, the MSI-X table
//     and PBA location, the capability pointer and the ID/NEXT of every exposed capability, the
//     IO/memory decode bits;
//   nothing outside the documented guest-writable set changes, unless the device is permissive (then
//     the bytes no documented register claims are free too); RW1C bits only ever go 1 -> 0;
//   allow_interrupt_control rules (Linux's pciback's): MSI switched on from config space only while
//     MSI-X is off and MSI-X only while MSI is off (INTx may still be on: Linux's MSI start-up), INTx
//     not re-enabled while MSI/MSI-X is on; never MSI and MSI-X on together;
//   the platform is asked to enable MSI/MSI-X only with a valid request (power-of-two count within the
//     capability, distinct entries inside the table, memory decoding on) and while both are off;
//   answers: the XEN_PCI_ERR_* vocabulary, invalid_offset for every bad size/alignment/range and
//     nothing changed then, dev_not_found for an absent address, not_implemented for unknown commands,
//     reads without side effects and narrow reads equal to slices of the dword, and process() writing
//     back only err, value and the MSI-X vectors;
//   release (interrupts off, view reset, function reset) gives the guest the view it had at bind.
#include <array>
#include <cstring>
#include <memory>
#include <optional>

#include "backend/dispatch.hpp"
#include "conf_space/config_access.hpp"
#include "quirks/quirks.hpp"
#include "test/fuzz/fuzz_support.hpp"

using namespace pcisplit;
using namespace pcisplit::reg;
using pcisplit::fuzz::violation;

namespace {

constexpr uint16_t kMax = 4096;

// Capability IDs docs/conf_space.md says a guest sees; every other one is unlinked.
bool documented_exposed(uint8_t id) {
  return id == PCI_CAP_ID_PM || id == PCI_CAP_ID_VPD || id == PCI_CAP_ID_MSI || id == PCI_CAP_ID_VNDR ||
         id == PCI_CAP_ID_EXP || id == PCI_CAP_ID_MSIX;
}

struct HwCap {
  uint8_t id;
  uint8_t off;
};

// The hardware chain, walked defensively (a recorded device has a sane one; stop at anything odd).
std::vector<HwCap> hw_chain(const uint8_t* cfg) {
  std::vector<HwCap> caps;
  if ((cfg[PCI_STATUS] & PCI_STATUS_CAP_LIST) == 0) return caps;
  bool seen[64] = {};
  uint32_t p = cfg[PCI_CAPABILITY_LIST] & 0xfc;
  while (p >= PCI_STD_HEADER_SIZEOF && p < 0xff && !seen[p / 4] && caps.size() < 48) {
    seen[p / 4] = true;
    caps.push_back(HwCap{cfg[p], static_cast<uint8_t>(p)});
    p = cfg[p + 1] & 0xfc;
  }
  return caps;
}

// Per byte of hardware config: bits that may never change, bits a guest write may change, bits that
// may only be cleared (RW1C), and whether a documented register claims the byte at all.
enum HardKind : uint8_t { kNone, kBar, kRom, kDecode, kCapPointer, kCapHeader, kMsiAddrData, kMsixLocation };
const char* const kHardNames[] = {"", "bar-changed", "rom-address-changed", "decode-bits-changed",
                                  "cap-pointer-changed", "cap-id-next-changed", "msi-address-data-changed",
                                  "msix-table-location-changed"};

struct Spec {
  uint8_t hard[kMax] = {};
  uint8_t kind[kMax] = {};
  uint8_t writable[kMax] = {};
  uint8_t rw1c[kMax] = {};        // RW1C in the device: a guest's 1 clears
  uint8_t clear_only[kMax] = {};  // may be written 0 but never set by a guest (VPD's F)
  bool claimed[kMax] = {};
  uint16_t msi = 0, msix = 0, pm = 0, exp = 0;  // capability offsets (0: none)
  bool msi64 = false;

  void claim(uint16_t from, uint16_t n) {
    for (uint16_t i = 0; i < n && from + i < kMax; ++i) claimed[from + i] = true;
  }
  void set_hard(uint16_t from, uint16_t n, HardKind k, uint8_t bits = 0xff) {
    for (uint16_t i = 0; i < n && from + i < kMax; ++i) {
      hard[from + i] |= bits;
      kind[from + i] = k;
      claimed[from + i] = true;
    }
  }
};

__attribute__((no_sanitize("coverage"))) void build_spec(Spec& s, const uint8_t* cfg, uint16_t size, const Policy& pol) {
  const bool type1 = (cfg[PCI_HEADER_TYPE] & PCI_HEADER_TYPE_MASK) == PCI_HEADER_TYPE_BRIDGE;
  // Every named header register is documented; the reserved bytes (0x35-0x37, and 0x38-0x3b of a
  // type-0 header) are no register's.
  s.claim(0, PCI_STD_HEADER_SIZEOF);
  for (uint16_t b = 0x35; b < (type1 ? 0x38 : 0x3c); ++b) s.claimed[b] = false;
  s.set_hard(PCI_COMMAND, 1, kDecode, PCI_COMMAND_IO | PCI_COMMAND_MEMORY);
  s.set_hard(PCI_CAPABILITY_LIST, 1, kCapPointer);
  s.rw1c[PCI_STATUS + 1] = PCI_STATUS_RW1C >> 8;
  if (!type1) {
    s.set_hard(PCI_BASE_ADDRESS_0, 24, kBar);
    s.set_hard(PCI_ROM_ADDRESS, 1, kRom, 0xfe);
    s.set_hard(PCI_ROM_ADDRESS + 1, 3, kRom);
    s.writable[PCI_COMMAND] = PCI_COMMAND_SPECIAL | PCI_COMMAND_INVALIDATE | PCI_COMMAND_VGA_PALETTE | PCI_COMMAND_WAIT;
    if (pol.permissive) s.writable[PCI_COMMAND] |= PCI_COMMAND_PARITY;
    s.writable[PCI_COMMAND + 1] = PCI_COMMAND_FAST_BACK >> 8;
    if (pol.permissive) s.writable[PCI_COMMAND + 1] |= PCI_COMMAND_SERR >> 8;
    if (pol.allow_interrupt_control) s.writable[PCI_COMMAND + 1] |= PCI_COMMAND_INTX_DISABLE >> 8;
    s.writable[PCI_CACHE_LINE_SIZE] = 0xff;
    s.writable[PCI_BIST] = 0x40;
    s.writable[PCI_ROM_ADDRESS] = PCI_ROM_ADDRESS_ENABLE;
  } else {  // bridges: read-only but for the RW1C error bits of status and secondary status
    s.set_hard(PCI_BASE_ADDRESS_0, 8, kBar);
    s.set_hard(PCI_ROM_ADDRESS1, 4, kRom);
    s.rw1c[PCI_SEC_STATUS + 1] = PCI_STATUS_RW1C >> 8;
  }
  for (const HwCap& c : hw_chain(cfg)) {
    const uint16_t o = c.off;
    if (!documented_exposed(c.id)) continue;  // unlinked: its bytes are nobody's (permissive-writable)
    s.set_hard(o, 2, kCapHeader);
    switch (c.id) {
      case PCI_CAP_ID_PM:
        s.pm = o;
        s.claim(o, 8);
        // PM_CTRL: the D-state is an effect (the platform writes it), PME status RW1C, PME enable
        // dom0's. Data select (bits 12:9) goes to hardware: conf_space/caps/pm.cpp calls it harmless;
        // docs/conf_space.md does not list it (reported, see docs/fuzzing.md).
        s.writable[o + PCI_PM_CTRL + 1] = PCI_PM_CTRL_DATA_SEL_MASK >> 8;
        s.rw1c[o + PCI_PM_CTRL + 1] = PCI_PM_CTRL_PME_STATUS >> 8;
        break;
      case PCI_CAP_ID_VPD:
        s.claim(o, 8);
        s.writable[o + PCI_VPD_ADDR] = 0xff;  // a read request: any address, F clear
        s.writable[o + PCI_VPD_ADDR + 1] = 0x7f;
        s.clear_only[o + PCI_VPD_ADDR + 1] = PCI_VPD_ADDR_F >> 8;  // F may be written 0, never 1
        break;
      case PCI_CAP_ID_MSI: {
        s.msi = o;
        const uint16_t flags = static_cast<uint16_t>(cfg[o + 2] | cfg[o + 3] << 8);
        s.msi64 = (flags & PCI_MSI_FLAGS_64BIT) != 0;
        const bool masking = (flags & PCI_MSI_FLAGS_MASKBIT) != 0;
        s.claim(o + 2, 2);
        if (pol.allow_interrupt_control) s.writable[o + PCI_MSI_FLAGS] = PCI_MSI_FLAGS_ENABLE;
        s.set_hard(o + PCI_MSI_ADDRESS_LO, s.msi64 ? 8 : 4, kMsiAddrData);
        s.set_hard(o + (s.msi64 ? PCI_MSI_DATA_64 : PCI_MSI_DATA_32), 2, kMsiAddrData);
        if (masking) s.claim(o + (s.msi64 ? PCI_MSI_MASK_64 : PCI_MSI_MASK_32), 8);  // Xen's
        break;
      }
      case PCI_CAP_ID_VNDR:
        break;  // header exposed; the body is unclaimed (conf_space/caps/vendor.cpp)
      case PCI_CAP_ID_EXP:
        s.exp = o;
        s.claim(o, 12);  // flags, device capabilities, control, status; link/slot/root are unclaimed
        s.writable[o + PCI_EXP_DEVCTL] = 0x1f;         // error reporting enables, relaxed ordering
        s.writable[o + PCI_EXP_DEVCTL + 1] = 0x79;     // extended tags, no-snoop, max read request
        s.rw1c[o + PCI_EXP_DEVSTA] = PCI_EXP_DEVSTA_RW1C;
        break;
      case PCI_CAP_ID_MSIX:
        s.msix = o;
        s.claim(o + 2, 2);
        if (pol.allow_interrupt_control) s.writable[o + PCI_MSIX_FLAGS + 1] = (PCI_MSIX_FLAGS_ENABLE | PCI_MSIX_FLAGS_MASKALL) >> 8;
        s.set_hard(o + PCI_MSIX_TABLE, 8, kMsixLocation);
        break;
    }
  }
  // The built-in quirk (docs/conf_space.md, Quirks): ICH9 HD Audio as QEMU emulates it, TCSEL.
  if (!type1 && cfg[0] == 0x86 && cfg[1] == 0x80 && cfg[2] == 0x3e && cfg[3] == 0x29 && cfg[0x2c] == 0xf4 &&
      cfg[0x2d] == 0x1a && cfg[0x2e] == 0x00 && cfg[0x2f] == 0x11) {
    s.claim(0x44, 1);
    s.writable[0x44] = 0x07;
  }
  for (uint16_t b = 0; b < size; ++b) {
    // docs/conf_space.md: a bridge is read-only but for RW1C bits, its capabilities included (L4).
    if (type1 && s.claimed[b]) s.writable[b] = 0;
    if (!s.claimed[b] && pol.permissive) s.writable[b] = 0xff;
  }
}

// The function's config space: memory, except that the documented RW1C bits behave as in a device
// (writing 1 clears, writing 0 keeps), so an engine that writes back a set error bit it read is seen
// clearing it.
class FuzzHw final : public ConfigAccess {
 public:
  Result<uint32_t> read(uint16_t offset, uint8_t width) override { return mem.read(offset, width); }
  Err write(uint16_t offset, uint8_t width, uint32_t value) override {
    for (uint8_t i = 0; i < width; ++i) {
      const uint16_t b = static_cast<uint16_t>(offset + i);
      const uint8_t v = static_cast<uint8_t>(value >> (8 * i));
      const uint8_t keep = mem.bytes()[b] & rw1c[b] & static_cast<uint8_t>(~v);
      mem.bytes()[b] = static_cast<uint8_t>((v & ~rw1c[b]) | keep);
    }
    return Err::success;
  }
  uint16_t size() const override { return mem.size(); }
  uint8_t* bytes() { return mem.bytes(); }

  MemoryConfig mem;
  const uint8_t* rw1c = nullptr;
};

// The platform as dom0's kernel behaves: MSI/MSI-X enable bits and INTx-disable set by
// pci_enable_msi/msix (and cleared on disable), bus master and D-state set as asked. Decode bits are
// never touched, so any change of them is the engine's. Every bit it changes is noted for the op.
class FuzzPlatform final : public DevicePlatform {
 public:
  FuzzPlatform(FuzzHw& hw, const Spec& spec) : hw_(hw), spec_(spec) {}

  Err apply(const Effect& e) override {
    ++calls;
    switch (e.kind) {
      case EffectKind::enable_device: break;
      case EffectKind::disable_device:  // as Linux's pci_disable_device: bus mastering off
      case EffectKind::clear_master: set16(PCI_COMMAND, PCI_COMMAND_MASTER, false); break;
      case EffectKind::set_master: set16(PCI_COMMAND, PCI_COMMAND_MASTER, true); break;
      case EffectKind::set_power_state:
        if (e.arg > 3) violation("power-state-range", "set_power_state D%u", e.arg);
        if (spec_.pm == 0) break;
        set16(spec_.pm + PCI_PM_CTRL, PCI_PM_CTRL_STATE_MASK, false);
        set16(spec_.pm + PCI_PM_CTRL, e.arg & 3, true);
        break;
      case EffectKind::set_readrq:  // pcie_set_readrq(): DEVCTL's max read request field
        if (e.arg > 5) violation("readrq-range", "set_readrq with encoding %u (128 << arg bytes, arg <= 5)", e.arg);
        if (spec_.exp == 0) {
          violation("readrq-without-pcie", "set_readrq on a function without a PCIe capability");
          break;
        }
        set16(spec_.exp + PCI_EXP_DEVCTL, PCI_EXP_DEVCTL_READRQ, false);
        set16(spec_.exp + PCI_EXP_DEVCTL, static_cast<uint32_t>(e.arg & 7) << 12, true);
        break;
    }
    return fail_next ? Err::op_failed : Err::success;
  }
  Result<uint32_t> enable_msi(uint32_t nvec) override {
    ++calls;
    if (spec_.msi == 0) violation("enable-msi-without-cap", "platform asked to enable MSI on a device without MSI");
    else {
      check_irqs_off("enable_msi");
      const uint32_t flags = rd16(spec_.msi + PCI_MSI_FLAGS);
      const uint32_t max = 1u << ((flags & PCI_MSI_FLAGS_QMASK) >> 1);
      if (nvec == 0 || (nvec & (nvec - 1)) != 0 || nvec > max || nvec > 32) {
        violation("enable-msi-bad-count", "platform asked for %u MSI vectors (capability: %u)", nvec, max);
      }
    }
    if (fail_next) return Err::op_failed;
    if (spec_.msi != 0) set16(spec_.msi + PCI_MSI_FLAGS, PCI_MSI_FLAGS_ENABLE, true);
    set16(PCI_COMMAND, PCI_COMMAND_INTX_DISABLE, true);
    return 64u;
  }
  Err disable_msi() override {
    ++calls;
    if (spec_.msi != 0) set16(spec_.msi + PCI_MSI_FLAGS, PCI_MSI_FLAGS_ENABLE, false);
    set16(PCI_COMMAND, PCI_COMMAND_INTX_DISABLE, false);
    return Err::success;
  }
  Err enable_msix(const uint16_t* entries, uint32_t n, uint32_t* pirqs) override {
    ++calls;
    if (spec_.msix == 0) {
      violation("enable-msix-without-cap", "platform asked to enable MSI-X on a device without MSI-X");
    } else {
      check_irqs_off("enable_msix");
      const uint32_t table = (rd16(spec_.msix + PCI_MSIX_FLAGS) & PCI_MSIX_FLAGS_QSIZE) + 1;
      if (n == 0 || n > wire::kMaxVec) violation("enable-msix-bad-count", "platform asked for %u MSI-X vectors", n);
      bool seen[2048] = {};
      for (uint32_t i = 0; i < n && i < wire::kMaxVec; ++i) {
        if (entries[i] >= table || seen[entries[i]]) {
          violation("enable-msix-bad-entry", "entry %u (table of %u) repeated or outside", entries[i], table);
          break;
        }
        seen[entries[i]] = true;
      }
      if ((rd16(PCI_COMMAND) & PCI_COMMAND_MEMORY) == 0) {
        violation("enable-msix-decode-off", "platform asked to enable MSI-X with memory decoding off");
      }
    }
    if (fail_next) return Err::op_failed;
    if (spec_.msix != 0) set16(spec_.msix + PCI_MSIX_FLAGS, PCI_MSIX_FLAGS_ENABLE, true);
    set16(PCI_COMMAND, PCI_COMMAND_INTX_DISABLE, true);
    for (uint32_t i = 0; i < n; ++i) pirqs[i] = big_pirqs ? 0x10000 + i : 100 + i;
    return Err::success;
  }
  Err disable_msix() override {
    ++calls;
    if (spec_.msix != 0) set16(spec_.msix + PCI_MSIX_FLAGS, PCI_MSIX_FLAGS_ENABLE, false);
    set16(PCI_COMMAND, PCI_COMMAND_INTX_DISABLE, false);
    return Err::success;
  }
  uint32_t legacy_pirq() override { return 16; }

  uint32_t rd16(uint16_t off) { return hw_.mem.read(off, 2).value(); }
  bool msi_on() { return spec_.msi != 0 && (rd16(spec_.msi + PCI_MSI_FLAGS) & PCI_MSI_FLAGS_ENABLE) != 0; }
  bool msix_on() { return spec_.msix != 0 && (rd16(spec_.msix + PCI_MSIX_FLAGS) & PCI_MSIX_FLAGS_ENABLE) != 0; }

  // Bits this op's platform calls changed (cleared through the list of bytes touched).
  std::array<uint8_t, kMax> touched{};
  uint16_t dirty[32] = {};
  uint8_t ndirty = 0;
  void clear_touched() {
    for (uint8_t i = 0; i < ndirty; ++i) touched[dirty[i]] = 0;
    ndirty = 0;
  }
  uint32_t calls = 0;
  bool fail_next = false;
  bool big_pirqs = false;  // PIRQs that do not fit the wire's 16 bits

 private:
  void check_irqs_off(const char* what) {
    if (msi_on() || msix_on()) {
      violation("platform-enable-while-irq-on", "%s called while %s is on in hardware (docs/backend.md: "
                "op_failed before the platform is called)", what, msi_on() ? "MSI" : "MSI-X");
    }
  }
  void set16(uint16_t off, uint32_t bits, bool on) {
    const uint32_t v = rd16(off);
    const uint32_t nv = on ? (v | bits) : (v & ~bits);
    note(off, static_cast<uint8_t>((v ^ nv) & 0xff));
    note(static_cast<uint16_t>(off + 1), static_cast<uint8_t>((v ^ nv) >> 8));
    (void)hw_.mem.write(off, 2, nv);  // the kernel's own writes: no RW1C model needed
  }
  void note(uint16_t b, uint8_t bits) {
    if (bits == 0) return;
    if (touched[b] == 0 && ndirty < 32) dirty[ndirty++] = b;
    touched[b] |= bits;
  }
  FuzzHw& hw_;
  const Spec& spec_;
};

constexpr int32_t kErrs[] = {0, -1, -2, -3, -4, -5};

struct World {
  FuzzHw hw;
  uint8_t bind_time[kMax] = {};
  DeviceInfo info;
  Policy policy;
  std::optional<DeviceView> view;
  Spec spec;
  std::optional<FuzzPlatform> platform;
  std::optional<Topology> topology;
  std::optional<Dispatcher> dispatcher;
  // For release_and_rebind's comparison: a view built afresh on the bind-time config.
  MemoryConfig fresh_hw;
  std::optional<DeviceView> fresh;
  int index = -1;
  Bdf virt;
  uint16_t size = 0;
  const char* name = "";
  size_t dump_index = 0;
};

bool irq_on(World& w, bool& msi, bool& msix, bool& intx) {
  msi = w.platform->msi_on();
  msix = w.platform->msix_on();
  intx = w.hw.bytes()[PCI_INTERRUPT_PIN] != 0 && (w.platform->rd16(PCI_COMMAND) & PCI_COMMAND_INTX_DISABLE) == 0;
  return msi || msix;
}

// Compares hardware after an op with before it (see the file comment). `wr` is the op when it is a
// well-formed config write (the only op that may change config bytes itself); `op` names it.
__attribute__((no_sanitize("coverage"))) bool check_hw(World& w, const uint8_t* before, const wire::Op* wr, const char* op) {
  const uint8_t* after = w.hw.bytes();
  constexpr uint16_t kChunk = 128;
  for (uint16_t c = 0; c < w.size; c += kChunk) {
    if (std::memcmp(before + c, after + c, kChunk) == 0) continue;
    for (uint16_t b = c; b < c + kChunk; ++b) {
      const uint8_t d = before[b] ^ after[b];
      const uint8_t engine = d & ~w.platform->touched[b];  // what the engine itself changed
      if (engine == 0) continue;
      if ((engine & w.spec.hard[b]) != 0) {
        violation(kHardNames[w.spec.kind[b]], "%s: %s: hardware byte 0x%03x changed 0x%02x -> 0x%02x", w.name, op, b,
                  before[b], after[b]);
        return false;
      }
      if (wr == nullptr) {
        violation("op-changed-config", "%s: %s changed hardware byte 0x%03x (0x%02x -> 0x%02x)", w.name, op, b,
                  before[b], after[b]);
        return false;
      }
      const int64_t rel = int64_t{b} - wr->offset;
      if (rel < 0 || rel >= wr->size) {
        violation("write-outside-access", "%s: write of %d bytes at 0x%x changed byte 0x%03x (0x%02x -> 0x%02x)",
                  w.name, wr->size, wr->offset, b, before[b], after[b]);
        return false;
      }
      const uint8_t v = static_cast<uint8_t>(wr->value >> (8 * rel));
      if ((engine & w.spec.rw1c[b] & ~v) != 0) {
        violation("rw1c-cleared-unasked", "%s: write 0x%x at 0x%x cleared RW1C bits 0x%02x of byte 0x%03x the "
                  "guest wrote 0", w.name, wr->value, wr->offset, engine & w.spec.rw1c[b] & ~v, b);
        return false;
      }
      if ((engine & w.spec.clear_only[b] & after[b]) != 0) {
        violation("vpd-write-request", "%s: write 0x%x at 0x%x set VPD's F bit (byte 0x%03x)", w.name, wr->value,
                  wr->offset, b);
        return false;
      }
      if ((engine & ~(w.spec.writable[b] | w.spec.rw1c[b] | w.spec.clear_only[b])) != 0) {
        violation(w.policy.permissive ? "outside-writable-set-permissive" : "outside-writable-set",
                  "%s: %s: hardware byte 0x%03x changed 0x%02x -> 0x%02x (documented writable bits 0x%02x%s)", w.name,
                  op, b, before[b], after[b], w.spec.writable[b], w.spec.claimed[b] ? "" : ", unclaimed");
        return false;
      }
    }
  }
  // allow_interrupt_control: one interrupt type at a time when switched from config space; INTx
  // counts only while MSI and MSI-X are off, so it does not stand in the way of either.
  auto bit = [](const uint8_t* cfg, uint16_t off, uint8_t mask) { return (cfg[off] & mask) != 0; };
  const bool msi_before = w.spec.msi != 0 && bit(before, w.spec.msi + PCI_MSI_FLAGS, PCI_MSI_FLAGS_ENABLE);
  const bool msix_before = w.spec.msix != 0 && bit(before, w.spec.msix + PCI_MSIX_FLAGS + 1, PCI_MSIX_FLAGS_ENABLE >> 8);
  const bool touched_cmd = (w.platform->touched[PCI_COMMAND + 1] & (PCI_COMMAND_INTX_DISABLE >> 8)) != 0;
  if (!touched_cmd && before[PCI_INTERRUPT_PIN] != 0 && bit(before, PCI_COMMAND + 1, 0x04) &&
      !bit(after, PCI_COMMAND + 1, 0x04) && (msi_before || msix_before)) {
    violation("intx-enabled-with-msi", "%s: %s re-enabled INTx while MSI/MSI-X is on", w.name, op);
    return false;
  }
  if (w.spec.msi != 0 && !msi_before && bit(after, w.spec.msi + PCI_MSI_FLAGS, PCI_MSI_FLAGS_ENABLE) &&
      (w.platform->touched[w.spec.msi + PCI_MSI_FLAGS] & PCI_MSI_FLAGS_ENABLE) == 0 && msix_before) {
    violation("msi-enabled-from-config-with-other-irq", "%s: %s switched MSI on while MSI-X is on", w.name, op);
    return false;
  }
  if (w.spec.msix != 0 && !msix_before && bit(after, w.spec.msix + PCI_MSIX_FLAGS + 1, PCI_MSIX_FLAGS_ENABLE >> 8) &&
      (w.platform->touched[w.spec.msix + PCI_MSIX_FLAGS + 1] & (PCI_MSIX_FLAGS_ENABLE >> 8)) == 0 &&
      msi_before) {
    violation("msix-enabled-from-config-with-other-irq", "%s: %s switched MSI-X on while MSI is on", w.name, op);
    return false;
  }
  bool msi, msix, intx;
  irq_on(w, msi, msix, intx);
  if (msi && msix) {
    violation("msi-and-msix-on", "%s: after %s MSI and MSI-X are both on in hardware", w.name, op);
    return false;
  }
  return true;
}

// The guest's capability chain is the hardware's less the capabilities the docs say are hidden.
__attribute__((no_sanitize("coverage"))) bool check_guest_chain(World& w) {
  std::vector<uint8_t> want;
  for (const HwCap& c : hw_chain(w.hw.bytes())) {
    if (documented_exposed(c.id)) want.push_back(c.off);
  }
  std::vector<uint8_t> got;
  const uint32_t status = w.view->read(PCI_STATUS, 2).value();
  if ((status & PCI_STATUS_CAP_LIST) != 0) {
    uint32_t p = w.view->read(PCI_CAPABILITY_LIST, 1).value() & 0xfc;
    while (p != 0 && got.size() <= 48) {
      got.push_back(static_cast<uint8_t>(p));
      if (w.view->read(p, 1).value() != w.hw.bytes()[p]) break;
      p = w.view->read(p + 1, 1).value() & 0xfc;
    }
  }
  if (got != want) {
    violation("guest-chain", "%s: guest capability chain has %zu entries, the documented exposure %zu", w.name,
              got.size(), want.size());
    return false;
  }
  return true;
}

bool bind(World& w, const fuzz::NamedDump& d, uint8_t policy_bits) {
  // One World per process, reset per input: fresh allocations of these sizes would cost more than
  // the ops (ASan's quarantine never reuses them).
  w.view.emplace();
  w.spec = Spec{};
  w.name = d.name.c_str();
  w.size = static_cast<uint16_t>(d.dump.config.size());
  w.hw.mem.set_size(w.size);
  std::memcpy(w.hw.bytes(), d.dump.config.data(), w.size);
  uint8_t* cfg = w.hw.bytes();
  // The function as the backend seizes it: no driver, so MSI and MSI-X are off.
  for (const HwCap& c : hw_chain(cfg)) {
    if (c.id == PCI_CAP_ID_MSI) cfg[c.off + 2] &= static_cast<uint8_t>(~PCI_MSI_FLAGS_ENABLE);
    if (c.id == PCI_CAP_ID_MSIX) cfg[c.off + 3] &= static_cast<uint8_t>(~(PCI_MSIX_FLAGS_ENABLE >> 8));
  }
  std::memcpy(w.bind_time, cfg, w.size);
  w.info = d.dump.info;
  w.policy.permissive = policy_bits & 1;
  w.policy.allow_interrupt_control = policy_bits & 2;
  build_spec(w.spec, cfg, w.size, w.policy);
  w.hw.rw1c = w.spec.rw1c;
  Text diag;
  Err err = w.view->build(w.hw, w.info, w.policy, diag);
  if (err == Err::success) err = quirks::apply_builtin(*w.view, diag);
  if (err != Err::success) {
    violation("recorded-device-does-not-build", "%s: %s", w.name, diag.c_str());
    return false;
  }
  if (std::memcmp(w.bind_time, cfg, w.size) != 0) {
    violation("build-wrote-hardware", "%s: building the view wrote config space", w.name);
    return false;
  }
  w.platform.emplace(w.hw, w.spec);
  const bool bridge = (cfg[PCI_HEADER_TYPE] & PCI_HEADER_TYPE_MASK) == PCI_HEADER_TYPE_BRIDGE;
  w.topology.emplace(bridge ? Topology::Mode::passthrough : Topology::Mode::vpci);
  const Result<Bdf> virt = w.topology->add(PhysFunction{d.dump.bdf, bridge, false}, diag);
  if (!virt.ok()) {
    violation("topology-refused", "%s: %s", w.name, diag.c_str());
    return false;
  }
  w.virt = virt.value();
  w.index = w.topology->find_phys(d.dump.bdf);
  w.dispatcher.emplace(*w.topology);
  w.dispatcher->attach(w.index, &*w.view, &*w.platform);
  return check_guest_chain(w);
}

// Release as the backend does it (interrupts off, view reset, detach) and the host's function reset,
// then bind again: the guest must see exactly what a freshly built view shows.
__attribute__((no_sanitize("coverage"))) bool release_and_rebind(World& w) {
  ExportedDevice& dev = w.dispatcher->device(w.index);
  if (dev.irq == ExportedDevice::Irq::msi) (void)dev.platform->disable_msi();
  if (dev.irq == ExportedDevice::Irq::msix) (void)dev.platform->disable_msix();
  w.view->reset();
  w.dispatcher->detach(w.index);
  std::memcpy(w.hw.bytes(), w.bind_time, w.size);
  w.dispatcher->attach(w.index, &*w.view, &*w.platform);
  // What a view built afresh on the bind-time config shows, per device and policy (computed once).
  static std::vector<std::array<uint32_t, 64>> cache(256 * 4);
  static std::vector<bool> cached(256 * 4);
  const size_t key = w.dump_index * 4 + (w.policy.permissive ? 1 : 0) + (w.policy.allow_interrupt_control ? 2 : 0);
  if (key >= cache.size()) return true;
  if (!cached[key]) {
    w.fresh_hw.set_size(w.size);
    std::memcpy(w.fresh_hw.bytes(), w.bind_time, w.size);
    w.fresh.emplace();
    Text diag;
    Err err = w.fresh->build(w.fresh_hw, w.info, w.policy, diag);
    if (err == Err::success) err = quirks::apply_builtin(*w.fresh, diag);
    if (err != Err::success) return true;
    for (uint32_t off = 0; off < PCI_CFG_SPACE_SIZE; off += 4) cache[key][off / 4] = w.fresh->read(off, 4).value();
    cached[key] = true;
  }
  for (uint32_t off = 0; off < PCI_CFG_SPACE_SIZE; off += 4) {
    const Result<uint32_t> a = w.view->read(off, 4);
    const uint32_t b = cache[key][off / 4];
    if (!a.ok() || a.value() != b) {
      violation("reset-differs-from-bind", "%s: after release and reset the guest reads 0x%08x at 0x%03x, a "
                "freshly bound view 0x%08x", w.name, a.value(), off, b);
      return false;
    }
  }
  return true;
}

bool known_cmd(uint32_t cmd) { return cmd <= 5 || cmd == 10; }

__attribute__((no_sanitize("coverage"))) bool check_answer(World& w, const wire::Op& in, const wire::Op& out, bool found, uint32_t calls_before) {
  bool in_vocab = false;
  for (int32_t e : kErrs) in_vocab |= out.err == e;
  if (!in_vocab) {
    violation("err-outside-vocabulary", "cmd %u answered err %d", in.cmd, out.err);
    return false;
  }
  const auto err = static_cast<Err>(out.err);
  if (!known_cmd(in.cmd)) {
    if (err != Err::not_implemented) violation("unknown-cmd-not-not_implemented", "cmd %u answered %d", in.cmd, out.err);
    return err == Err::not_implemented;
  }
  if (!found) {
    if (err != Err::dev_not_found) {
      violation("absent-device-not-dev_not_found", "cmd %u to %x:%x.%x answered %d", in.cmd, in.domain, in.bus,
                in.devfn, out.err);
      return false;
    }
    return true;
  }
  if (in.cmd == 0 || in.cmd == 1) {
    const int64_t off = in.offset, sz = in.size;
    const bool good = (sz == 1 || sz == 2 || sz == 4) && off >= 0 && off % sz == 0 && off + sz <= w.size;
    if (!good && err != Err::invalid_offset) {
      violation("bad-access-not-invalid_offset", "%s offset %d size %d answered %d", in.cmd ? "write" : "read",
                in.offset, in.size, out.err);
      return false;
    }
    if (!good && w.platform->calls != calls_before) {
      violation("bad-access-had-effects", "rejected access at %d size %d called the platform", in.offset, in.size);
      return false;
    }
    if (good && in.cmd == 0) {
      if (err != Err::success) {
        violation("read-failed", "read offset 0x%x size %d answered %d", in.offset, in.size, out.err);
        return false;
      }
      if (sz < 4 && (out.value >> (8 * sz)) != 0) {
        violation("read-wider-than-size", "read 0x%x size %d gave 0x%x", in.offset, in.size, out.value);
        return false;
      }
      if (w.platform->calls != calls_before) {
        violation("read-had-effects", "read at 0x%x called the platform", in.offset);
        return false;
      }
      const uint32_t dw = w.view->read(static_cast<uint32_t>(off & ~3), 4).value();
      const uint32_t slice = (dw >> (8 * (off & 3))) & width_mask(static_cast<uint8_t>(sz));
      if (slice != out.value) {
        violation("narrow-read-not-slice", "%s: read 0x%x size %d = 0x%x, the dword gives 0x%x", w.name, in.offset,
                  in.size, out.value, slice);
        return false;
      }
    }
    if (good && in.cmd == 1 && err != Err::success && err != Err::access_denied && err != Err::op_failed) {
      violation("write-odd-error", "write at 0x%x answered %d", in.offset, out.err);
      return false;
    }
  }
  return true;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  fuzz::current() = fuzz::Current{data, size, "fuzz_engine"};
  fuzz::Input in(data, size);
  const auto& all = fuzz::dumps();
  static World* const w = new World;
  const uint8_t which = in.u8();
  const uint8_t flags = in.u8();
  w->dump_index = which % all.size();
  if (!bind(*w, all[w->dump_index], flags)) return 0;
  const bool use_process = (flags & 4) != 0;
  static const bool trace = getenv("FUZZ_TRACE") != nullptr;  // op by op, for reading a finding
  if (trace) fprintf(stderr, "%s permissive=%d allow_interrupt_control=%d\n", w->name, w->policy.permissive,
                     w->policy.allow_interrupt_control);
  w->platform->big_pirqs = (flags & 8) != 0;
  static wire::SharedInfo* const shared = new wire::SharedInfo;
  static std::array<uint8_t, kMax> before{};

  for (int step = 0; step < 64 && !in.empty(); ++step) {
    const uint8_t opb = in.u8();
    const uint8_t kind = opb % 16;
    if (kind == 15) {
      if (trace) fprintf(stderr, "%s release and rebind\n", w->name);
      if (!release_and_rebind(*w)) return 0;
      continue;
    }
    wire::Op op{};
    op.domain = w->virt.domain;
    op.bus = w->virt.bus;
    op.devfn = w->virt.devfn;
    if ((opb & 0x80) != 0) {  // somewhere else
      const uint8_t a = in.u8();
      if (a & 1) op.domain = in.u16() | ((a & 2) ? 0x10000u : 0u);
      if (a & 4) op.bus = in.u8() | ((a & 8) ? 0x100u : 0u);
      if (a & 16) op.devfn = in.u8() | ((a & 32) ? 0x100u : 0u);
    }
    w->platform->fail_next = (opb & 0x40) != 0;
    const uint8_t sb = kind <= 8 ? in.u8() : 0;
    switch (kind) {
      case 0: case 1: case 2: case 3: case 4: case 5:
      case 6: case 7: case 8: {
        op.cmd = kind <= 5 ? 1 : 0;
        static constexpr int32_t kSizes[] = {1, 2, 4, 0};
        op.size = kSizes[sb & 3];
        if (op.size == 0) op.size = static_cast<int8_t>(in.u8());
        uint32_t off = in.u16() & 0xfff;
        if ((sb & 4) == 0 && op.size > 0) off -= off % static_cast<uint32_t>(op.size);
        op.offset = static_cast<int32_t>(off);
        if ((sb & 0x0c) == 0x0c) op.offset = static_cast<int32_t>(in.u32());
        if (op.cmd == 1) {
          const uint32_t cur = w->hw.read(static_cast<uint16_t>(op.offset >= 0 && op.offset < w->size - 3 ? op.offset & ~3 : 0), 4).value();
          switch ((sb >> 4) % 8) {
            case 0: op.value = 0; break;
            case 1: op.value = 0xffffffffu; break;
            case 2: op.value = cur ^ (1u << (in.u8() % 32)); break;
            case 3: op.value = cur >> (8 * (op.offset & 3)); break;
            default: op.value = in.u32(); break;
          }
        }
        break;
      }
      case 9: op.cmd = 2; break;
      case 10: op.cmd = 10; op.value = in.u8() % 64; break;
      case 11: op.cmd = 3; break;
      case 12: {
        op.cmd = 4;
        const uint8_t n = in.u8();
        op.value = n <= 130 ? n : in.u32();
        const uint32_t cnt = op.value <= wire::kMaxVec ? op.value : 0;
        for (uint32_t i = 0; i < cnt; ++i) {
          op.msix_entries[i].entry = static_cast<uint16_t>((in.empty() ? i : in.u8()) | 0u);
          if ((n & 0x40) && i == 0) op.msix_entries[i].entry = in.u16();
        }
        break;
      }
      case 13: op.cmd = 5; break;
      case 14:
        op.cmd = in.u8() % 16;
        op.offset = static_cast<int32_t>(in.u32());
        op.size = static_cast<int32_t>(in.u32());
        op.value = in.u32();
        break;
    }
    const bool found = op.domain == w->virt.domain && op.bus == w->virt.bus && op.devfn == w->virt.devfn;
    std::memcpy(before.data(), w->hw.bytes(), w->size);
    w->platform->clear_touched();
    const uint32_t calls_before = w->platform->calls;
    wire::Op out{};
    if (use_process) {
      std::memset(static_cast<void*>(shared), 0xa5, sizeof(wire::SharedInfo));
      shared->op = op;
      wire::Op sent;
      std::memcpy(&sent, &shared->op, sizeof sent);
      w->dispatcher->process(&shared->op);
      std::memcpy(&out, &shared->op, sizeof out);
      // Only err, value and (after a successful enable_msix) the vectors may have been written.
      wire::Op masked = out;
      masked.err = sent.err;
      masked.value = sent.value;
      if (op.cmd == 4 && out.err == 0) {
        for (uint32_t i = 0; i < op.value && i < wire::kMaxVec; ++i) masked.msix_entries[i].vector = sent.msix_entries[i].vector;
      }
      if (std::memcmp(&masked, &sent, sizeof sent) != 0) {
        violation("process-wrote-outside-answer", "cmd %u: the shared op changed beyond err/value/vectors", op.cmd);
        return 0;
      }
    } else {
      w->dispatcher->handle(op, out);
    }
    const char* names[] = {"conf_read", "conf_write", "enable_msi", "disable_msi", "enable_msix", "disable_msix"};
    const char* what = op.cmd <= 5 ? names[op.cmd] : op.cmd == 10 ? "enable_multi_msi" : "unknown op";
    if (trace) {
      bool msi, msix, intx;
      irq_on(*w, msi, msix, intx);
      fprintf(stderr, "%s %s%s off=0x%x size=%d value=0x%x -> err=%d value=0x%x | hw: msi=%d msix=%d intx=%d cmd=0x%04x\n",
              w->name, what, found ? "" : " (elsewhere)", op.offset, op.size, op.value, out.err, out.value, msi, msix,
              intx, w->platform->rd16(PCI_COMMAND));
    }
    if (!check_answer(*w, op, out, found, calls_before)) return 0;
    const bool good_write = op.cmd == 1 && (op.size == 1 || op.size == 2 || op.size == 4) && op.offset >= 0 &&
                            op.offset % op.size == 0 && int64_t{op.offset} + op.size <= w->size && found;
    if (!check_hw(*w, before.data(), good_write ? &op : nullptr, what)) return 0;
    if (op.cmd == 4 && out.err == 0) {
      for (uint32_t i = 0; i < op.value; ++i) {
        if (out.msix_entries[i].vector == 0 && !w->platform->big_pirqs) {
          violation("msix-vector-not-returned", "enable_msix succeeded without vector %u", i);
          return 0;
        }
      }
    }
  }
  return 0;
}
