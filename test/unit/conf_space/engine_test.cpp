// SPDX-License-Identifier: GPL-2.0-only
// The access engine: validation, straddling accesses, mask classes, denials, build-time checks.
#include <cstdio>

#include "support/fake_device.hpp"

using namespace pcisplit;
using namespace pcisplit::test;

namespace {

// A conventional device with no capabilities: 0x40..0xff is free for hand-placed fields.
std::unique_ptr<TestDevice> plain_device() { return DeviceBuilder(256).command(0x0006).build(); }

void add(TestDevice& d, const Field& f) {
  Text diag;
  const Err err = d.view.add_quirk(f, diag);
  INFO(diag.c_str());
  REQUIRE(err == Err::success);
}

}  // namespace

TEST_CASE("only widths 1/2/4 at aligned offsets inside the space are accepted", "[engine]") {
  for (uint16_t size : {uint16_t{256}, uint16_t{4096}}) {
    auto d = DeviceBuilder(size).build();
    for (uint32_t off = 0; off < size + 8u; ++off) {
      for (uint32_t w = 0; w <= 8; ++w) {
        const bool valid = (w == 1 || w == 2 || w == 4) && off % w == 0 && off + w <= size;
        const Result<uint32_t> r = d->view.read(off, w);
        const WriteResult wr = d->view.write(off, w, 0);
        INFO("size " << size << " offset " << off << " width " << w);
        CHECK(r.ok() == valid);
        if (!valid) {
          CHECK(r.err() == Err::invalid_offset);
          CHECK(wr.err == Err::invalid_offset);
        }
      }
    }
  }
}

TEST_CASE("offsets and widths from the wire are never truncated into valid ones", "[engine]") {
  auto d = plain_device();
  CHECK(d->view.read(0x10000, 4).err() == Err::invalid_offset);  // would wrap to 0 as uint16
  CHECK(d->view.read(0xfffffffcu, 4).err() == Err::invalid_offset);  // a negative int32 offset
  CHECK(d->view.read(0, 0xfffffffcu).err() == Err::invalid_offset);  // a negative int32 size
  CHECK(d->view.write(0xffffffffu, 1, 0).err == Err::invalid_offset);
  CHECK(d->hw.log.empty());
}

TEST_CASE("XSA-128: a dword write over an emulated and a protected field leaks into neither", "[engine][xsa]") {
  //  0x40        0x42        0x44  0x45..0x47
  // +-----------+-----------+-----+-----------+
  // | A: emu    | B: ro     | C:rw| (gap)     |
  // +-----------+-----------+-----+-----------+
  auto d = plain_device();
  d->hw.poke(0x40, 4, 0x22221111);
  d->hw.poke(0x44, 4, 0x66554433);
  add(*d, Field{0x40, 2, {.emu = 0xffff}, nullptr, "A", "test"});
  add(*d, Field{0x42, 2, {.ro = 0xffff}, nullptr, "B", "test"});
  add(*d, Field{0x44, 1, {}, nullptr, "C", "test"});
  d->hw.log.clear();

  const WriteResult w1 = d->wr(0x40, 4, 0xdeadbeef);
  CHECK(w1.err == Err::success);
  CHECK(d->rd(0x40, 2) == 0xbeef);       // A took its half, in the shadow
  CHECK(d->rd(0x42, 2) == 0x2222);       // B unchanged
  CHECK(d->hw.peek(0x40, 4) == 0x22221111);  // hardware saw neither half
  CHECK(d->hw.log.empty());
  CHECK(d->view.denials(0x40) == 1);     // the attempt on B is counted against its register

  const WriteResult w2 = d->wr(0x44, 4, 0xaabbccdd);
  CHECK(w2.err == Err::success);
  CHECK(d->hw.peek(0x44, 4) == 0x665544dd);  // C written, the gap bytes untouched
  REQUIRE(d->hw.log.size() == 1);
  CHECK(d->hw.log[0] == HwWrite{0x44, 1, 0xdd});
  CHECK(d->view.denials(0x44) == 1);     // the gap write is denied and counted
}

TEST_CASE("a register's denial count stops at its maximum, the total does not", "[engine]") {
  auto d = plain_device();
  add(*d, Field{0x40, 2, {.ro = 0xffff}, nullptr, "B", "test"});
  const uint32_t writes = DeviceView::kDenialsMax + 10u;
  for (uint32_t i = 0; i < writes; ++i) d->wr(0x40, 2, 0xffff);  // hardware holds 0: each one denied
  CHECK(d->view.denials(0x40) == DeviceView::kDenialsMax);  // not wrapped back to 9
  CHECK(d->view.total_denials() == writes);
  CHECK(d->hw.log.empty());
}

TEST_CASE("extended registers: the first ones refused have counts of their own, the total has all", "[engine]") {
  auto d = DeviceBuilder(4096).build();
  // Unclaimed extended registers, refused (not permissive): one write each, the first register twice,
  // and byte and word writes inside a register count against that register.
  const unsigned regs = DeviceView::kExtDenialSlots + 5u;
  auto at = [](unsigned i) { return static_cast<uint16_t>(0x100 + 4 * i); };
  for (unsigned i = 0; i < regs; ++i) d->wr(at(i), 4, 0xffffffff);
  d->wr(0x102, 2, 0xffff);
  d->wr(0x103, 1, 0xff);
  CHECK(d->view.denials(0x100) == 3);
  CHECK(d->view.denials(0x102) == 3);  // any offset inside the register names it
  for (unsigned i = 1; i < DeviceView::kExtDenialSlots; ++i) CHECK(d->view.denials(at(i)) == 1);
  for (unsigned i = DeviceView::kExtDenialSlots; i < regs; ++i) CHECK(d->view.denials(at(i)) == 0);
  CHECK(d->view.total_denials() == regs + 2);  // exact, slots or not
  d->wr(0x40, 4, 0xffffffff);                  // the header keeps a count for every register
  CHECK(d->view.denials(0x40) == 1);
  CHECK(d->view.denials(0x1000) == 0);
  CHECK(d->hw.log.empty());
  Text diag;  // a rebuild starts every count again
  REQUIRE(d->view.build(d->hw, d->info, Policy{}, diag) == Err::success);
  CHECK(d->view.denials(0x100) == 0);
  d->wr(at(regs - 1), 4, 0);
  CHECK(d->view.denials(at(regs - 1)) == 1);
}

TEST_CASE("reads straddling fields and gaps merge each byte from its own source", "[engine]") {
  auto d = plain_device();
  d->hw.poke(0x40, 4, 0x44332211);
  add(*d, Field{0x41, 1, {.emu = 0xff}, nullptr, "E", "test"});
  add(*d, Field{0x42, 1, {.rsvdz = 0xf0}, nullptr, "Z", "test"});
  d->view.write(0x41, 1, 0x99);
  // byte 0x40 gap (hw 11), 0x41 emulated (99), 0x42 hw 33 with high nibble hidden (03), 0x43 gap (44)
  CHECK(d->rd(0x40, 4) == 0x44039911);
  CHECK(d->rd(0x40, 2) == 0x9911);
  CHECK(d->rd(0x42, 2) == 0x4403);
  CHECK(d->rd(0x41, 1) == 0x99);
}

TEST_CASE("mask classes: each behaves as its name says, with exact hardware writes", "[engine]") {
  auto d = plain_device();
  d->hw.poke(0x40, 2, 0xf0f0);
  add(*d, Field{0x40, 2, {.ro = 0xff00, .rw1c = 0x00f0, .rsvdp = 0x000c}, nullptr, "M", "test"});
  d->hw.log.clear();

  SECTION("plain bits are written, ro kept, rw1c cleared only where 1 is written, rsvdp preserved") {
    // write: ro byte tries 0x12 (denied), rw1c high nibble 0x30 (clears bits 4,5), low nibble 0x3
    const WriteResult w = d->wr(0x40, 2, 0x1233);
    CHECK(w.err == Err::success);
    REQUIRE(d->hw.log.size() == 1);
    // ro 0xf0 kept; rw1c: had 0xf0, write 1 to bits 4,5 -> hw gets 0x30 there (device clears them);
    // rsvdp bits 2,3 from hardware (0); plain bits 0,1 from the guest (3).
    CHECK(d->hw.log[0] == HwWrite{0x40, 2, 0xf033});
    CHECK(d->view.denials(0x40) == 1);
  }
  SECTION("a write that changes nothing protected is not a denial") {
    d->wr(0x40, 2, 0xf000);
    CHECK(d->view.total_denials() == 0);
  }
  SECTION("rsvdz bits read 0 and are never written as 1") {
    auto z = plain_device();
    z->hw.poke(0x48, 4, 0xffffffff);
    add(*z, Field{0x48, 4, {.rsvdz = 0xffff0000}, nullptr, "Z", "test"});
    z->hw.log.clear();
    CHECK(z->rd(0x48, 4) == 0x0000ffff);
    z->wr(0x48, 4, 0x12345678);
    REQUIRE(z->hw.log.size() == 1);
    CHECK((z->hw.log[0].value & 0xffff) == 0x5678);
    CHECK((z->hw.log[0].value >> 16) == 0xffff);  // hidden bits keep what hardware has
  }
  SECTION("emulated bits never reach hardware and read back what was written") {
    auto e = plain_device();
    e->hw.poke(0x50, 4, 0xabcd0000);
    add(*e, Field{0x50, 4, {.emu = 0x0000ffff}, nullptr, "E", "test"});
    e->hw.log.clear();
    e->wr(0x50, 4, 0x11112222);
    REQUIRE(e->hw.log.size() == 1);
    CHECK(e->hw.log[0] == HwWrite{0x50, 4, 0x11110000});  // hardware part written, emulated kept
    CHECK(e->rd(0x50, 4) == 0x11112222);
    CHECK(e->hw.peek(0x50, 2) == 0x0000);
  }
}

namespace {
uint32_t g_seen_value, g_seen_mask;
void record_write(WriteCtx&, uint32_t value, uint32_t byte_mask) {
  g_seen_value = value;
  g_seen_mask = byte_mask;
}
constinit const FieldOps kRecordOps = {.write = record_write};
}  // namespace

TEST_CASE("hooks see the merged register: unwritten lanes carry hardware's (or the shadow's) value", "[engine]") {
  //  0x40: | byte 3 | byte 2 | byte 1 (emu) | byte 0 |    hardware 0xa1b2c3d4, shadow byte 1 = 0x77
  auto d = plain_device();
  d->hw.poke(0x40, 4, 0xa1b2c3d4);
  add(*d, Field{0x40, 4, {.emu = 0x0000ff00}, &kRecordOps, "H", "test"});
  d->wr(0x41, 1, 0x77);  // into the shadow
  d->wr(0x40, 1, 0x11);
  CHECK(g_seen_mask == 0x000000ff);
  CHECK(g_seen_value == 0xa1b27711);
  d->wr(0x42, 2, 0x5566);
  CHECK(g_seen_mask == 0xffff0000);
  CHECK(g_seen_value == 0x55667711);  // byte 0 is hardware's now: the plain bits were written
  d->wr(0x40, 4, 0x01020304);
  CHECK(g_seen_value == 0x01020304);
}

TEST_CASE("XSA-131: unclaimed registers are read from hardware, writes denied unless permissive", "[engine][xsa]") {
  auto d = plain_device();
  d->hw.poke(0x80, 4, 0xcafef00d);
  CHECK(d->rd(0x80, 4) == 0xcafef00d);
  const WriteResult w = d->wr(0x80, 4, 0);
  CHECK(w.err == Err::success);  // dropped like the in-tree driver does, so guests' probing keeps working
  CHECK(d->hw.peek(0x80, 4) == 0xcafef00d);
  CHECK(d->hw.log.empty());
  CHECK(d->view.denials(0x80) == 1);
  d->wr(0x82, 1, 0);
  CHECK(d->view.denials(0x80) == 2);
  CHECK(d->view.total_denials() == 2);

  Policy p;
  p.permissive = true;
  d->view.set_policy(p);
  d->wr(0x80, 4, 0x12345678);
  CHECK(d->hw.peek(0x80, 4) == 0x12345678);
  CHECK(d->view.denials(0x80) == 2);
}

TEST_CASE("extended config space 0x100-0xfff reads hardware, writes only when permissive", "[engine]") {
  auto d = load_device("e1000e.lspci");
  const uint32_t aer = d->hw.peek(0x100, 4);
  CHECK(d->rd(0x100, 4) == aer);
  d->wr(0x104, 4, 0xffffffff);  // AER uncorrectable status: RW1C in hardware, but not the guest's
  CHECK(d->hw.log.empty());
  CHECK(d->view.denials(0x104) == 1);
  CHECK(d->view.read(0x1000, 1).err() == Err::invalid_offset);
}

TEST_CASE("building a view refuses overlapping and misaligned fields with a clear message", "[engine]") {
  auto d = plain_device();
  Text diag;
  CHECK(d->view.add_quirk(Field{0x04, 2, {}, nullptr, "evil", "t"}, diag) != Err::success);
  CHECK(std::string(diag.c_str()) == "field evil at 0x004 overlaps PCI_COMMAND at 0x004");
  CHECK(d->view.add_quirk(Field{0x42, 4, {}, nullptr, "skew", "t"}, diag) == Err::invalid_offset);
  CHECK(std::string(diag.c_str()).find("misaligned") != std::string::npos);
  CHECK(d->view.add_quirk(Field{0x100, 4, {}, nullptr, "far", "t"}, diag) == Err::invalid_offset);
  CHECK(d->view.add_quirk(Field{0x41, 1, {}, nullptr, "ok", "t"}, diag) == Err::success);
  CHECK(d->view.add_quirk(Field{0x40, 2, {}, nullptr, "over", "t"}, diag) != Err::success);
  CHECK(std::string(diag.c_str()) == "field over at 0x040 overlaps ok at 0x041");
}

TEST_CASE("lookup maps every byte of a field to it and nothing else", "[engine]") {
  auto d = load_device("nvme.lspci");
  for (uint16_t i = 0; i < d->view.field_count(); ++i) {
    const FieldEntry& e = d->view.field(i);
    for (uint16_t b = e.offset; b < e.offset + e.field->width; ++b) CHECK(d->view.field_at(b) == &e);
  }
  CHECK(d->view.field_at(0x200) == nullptr);
}

// The extended space is indexed by one chain head per dword (DeviceView::ext_head_), the header by a
// byte map: the same answers either way, checked against a plain byte map of what was added.
TEST_CASE("extended space: fields sharing a dword are found byte by byte, merged and kept apart", "[engine]") {
  auto d = DeviceBuilder(4096).build();
  d->hw.poke(0x200, 4, 0x44332211);
  d->hw.poke(0x204, 4, 0x88776655);
  //  0x200  0x201  0x202..0x203    0x204..0x205  0x206..0x207
  // +------+------+--------------+-------------+-------------+
  // | A emu| B ro | C rw         | (unclaimed) | D emu       |   added D, C, A, B: the chain is not in order
  // +------+------+--------------+-------------+-------------+
  add(*d, Field{0x206, 2, {.emu = 0xffff}, nullptr, "D", "test"});
  add(*d, Field{0x202, 2, {}, nullptr, "C", "test"});
  add(*d, Field{0x200, 1, {.emu = 0xff}, nullptr, "A", "test"});
  add(*d, Field{0x201, 1, {.ro = 0xff}, nullptr, "B", "test"});
  const char* want[8] = {"A", "B", "C", "C", nullptr, nullptr, "D", "D"};
  for (uint16_t b = 0; b < 8; ++b) {
    const FieldEntry* e = d->view.field_at(static_cast<uint16_t>(0x200 + b));
    INFO("byte 0x" << std::hex << 0x200 + b);
    if (want[b] == nullptr) CHECK(e == nullptr);
    else REQUIRE((e != nullptr && std::string(e->field->name) == want[b]));
  }
  CHECK(d->rd(0x200, 4) == 0x44332211);  // A's shadow took hardware's byte at bind, B and C are hardware
  CHECK(d->rd(0x204, 4) == 0x88776655);  // the unclaimed word reads hardware, D its shadow
  CHECK(d->rd(0x201, 1) == 0x22);
  d->hw.log.clear();
  d->wr(0x200, 4, 0xaabbccdd);  // A takes 0xdd in its shadow, B refuses 0xcc, C is written
  CHECK(d->rd(0x200, 1) == 0xdd);
  CHECK(d->hw.peek(0x200, 4) == 0xaabb2211);
  CHECK(d->view.denials(0x200) == 1);
  d->wr(0x204, 4, 0x12345678);  // the unclaimed word is refused (not permissive); D is emulated
  CHECK(d->hw.peek(0x204, 4) == 0x88776655);
  CHECK(d->rd(0x206, 2) == 0x1234);
  CHECK(d->view.denials(0x204) == 1);
  Text diag;
  CHECK(d->view.add_quirk(Field{0x204, 4, {}, nullptr, "over", "t"}, diag) != Err::success);
  CHECK(std::string(diag.c_str()) == "field over at 0x204 overlaps D at 0x206");
  CHECK(d->view.add_quirk(Field{0x204, 2, {}, nullptr, "gap", "t"}, diag) == Err::success);
  CHECK(std::string(d->view.field_at(0x205)->field->name) == "gap");
  CHECK(std::string(d->view.field_at(0x206)->field->name) == "D");
}

TEST_CASE("extended space: random quirk layouts are indexed exactly as a byte map would", "[engine]") {
  uint32_t seed = 12345;
  auto next = [&seed] { return seed = seed * 1103515245u + 12345u, seed >> 8; };
  for (int round = 0; round < 20; ++round) {
    auto d = DeviceBuilder(4096).build();
    std::vector<int> owner(4096, -1);  // byte -> index of the quirk name that claims it
    std::vector<std::string> names;
    for (int tries = 0; tries < 200 && d->view.field_count() < DeviceView::kMaxFields; ++tries) {
      const uint8_t w = static_cast<uint8_t>(1u << (next() % 3));
      // Mostly a few dwords, so that fields crowd into them; sometimes anywhere in 0x100..0xfff.
      const uint32_t span = next() % 4 == 0 ? 0xf00 : 0x20;
      const uint16_t off = static_cast<uint16_t>((0x100 + next() % span) & ~(w - 1u));
      bool free = true;
      for (uint32_t b = off; b < off + w; ++b) free = free && owner[b] < 0;
      static const std::vector<std::string> pool = [] {
        std::vector<std::string> v;
        for (int i = 0; i < 200; ++i) {
          char buf[16];
          std::snprintf(buf, sizeof buf, "q%d", i);
          v.emplace_back(buf);
        }
        return v;
      }();
      const char* name = pool[static_cast<size_t>(tries)].c_str();  // outlives the view's copy of the Field
      Text diag;
      const Err err = d->view.add_quirk(Field{off, w, {.emu = width_mask(w)}, nullptr, name, "t"}, diag);
      INFO("round " << round << " quirk at 0x" << std::hex << off << " width " << int(w) << ": " << diag.c_str());
      if (d->view.field_count() >= DeviceView::kMaxFields || !free) {
        CHECK(err != Err::success);
        continue;
      }
      if (names.size() >= DeviceView::kMaxQuirks) {
        CHECK(err != Err::success);
        break;
      }
      REQUIRE(err == Err::success);
      for (uint32_t b = off; b < off + w; ++b) owner[b] = static_cast<int>(names.size());
      names.emplace_back(name);
    }
    for (uint16_t b = 0x100; b < 0x1000; ++b) {
      const FieldEntry* e = d->view.field_at(b);
      INFO("round " << round << " byte 0x" << std::hex << b);
      if (owner[b] < 0) CHECK(e == nullptr);
      else REQUIRE((e != nullptr && names[owner[b]] == e->field->name));
    }
  }
}

TEST_CASE("reset returns every emulated register to its bind-time value", "[engine]") {
  auto d = load_device("e1000e.lspci");
  const uint32_t bar0 = d->rd(0x10, 4);
  const uint32_t line = d->rd(0x3c, 1);
  d->wr(0x10, 4, 0xffffffff);
  d->wr(0x3c, 1, 0x55);
  CHECK(d->rd(0x10, 4) != bar0);
  d->view.reset();
  CHECK(d->rd(0x10, 4) == bar0);
  CHECK(d->rd(0x3c, 1) == line);
}

namespace {
// Hardware that fails every access: the engine must report, never invent values.
class BrokenConfig final : public ConfigAccess {
 public:
  bool fail = false;
  MemoryConfig mem{256};
  Result<uint32_t> read(uint16_t o, uint8_t w) override { return fail ? Result<uint32_t>(Err::op_failed) : mem.read(o, w); }
  Err write(uint16_t o, uint8_t w, uint32_t v) override { return fail ? Err::op_failed : mem.write(o, w, v); }
  uint16_t size() const override { return 256; }
};
}  // namespace

TEST_CASE("hardware access failures come back as errors, not values", "[engine]") {
  BrokenConfig hw;
  REQUIRE(hw.mem.write(0, 4, 0x56781234) == Err::success);
  auto view = std::make_unique<DeviceView>();
  Text diag;
  REQUIRE(view->build(hw, DeviceInfo{}, Policy{}, diag) == Err::success);
  hw.fail = true;
  CHECK(view->read(0x00, 4).err() == Err::op_failed);
  CHECK(view->read(0x80, 4).err() == Err::op_failed);
  CHECK(view->write(0x0c, 1, 0x10).err == Err::op_failed);
  CHECK(view->read(0x10, 4).ok());  // BARs are served from the shadow
}

namespace {
// A function whose config reads fail at one offset only.
class OneBadRead final : public ConfigAccess {
 public:
  uint16_t bad = 0xffff;
  MemoryConfig mem{256};
  Result<uint32_t> read(uint16_t o, uint8_t w) override {
    return o == bad ? Result<uint32_t>(Err::op_failed) : mem.read(o, w);
  }
  Err write(uint16_t o, uint8_t w, uint32_t v) override { return mem.write(o, w, v); }
  uint16_t size() const override { return 256; }
};
}  // namespace

TEST_CASE("a failed read of MSI's flags at bind fails the bind and does not hide MSI", "[engine]") {
  OneBadRead hw;
  REQUIRE(hw.mem.write(0, 4, 0x10d38086) == Err::success);
  REQUIRE(hw.mem.write(reg::PCI_STATUS, 2, reg::PCI_STATUS_CAP_LIST) == Err::success);
  REQUIRE(hw.mem.write(reg::PCI_CAPABILITY_LIST, 1, 0x50) == Err::success);
  REQUIRE(hw.mem.write(0x50, 2, 0x0005) == Err::success);  // MSI, last in the chain
  REQUIRE(hw.mem.write(0x52, 2, 0x0080) == Err::success);  // 64-bit
  {
    auto view = std::make_unique<DeviceView>();
    Text diag;
    REQUIRE(view->build(hw, DeviceInfo{}, Policy{}, diag) == Err::success);
    CHECK(view->read(reg::PCI_CAPABILITY_LIST, 1).value() == 0x50);
  }
  hw.bad = 0x52;
  auto view = std::make_unique<DeviceView>();
  Text diag;
  CHECK(view->build(hw, DeviceInfo{}, Policy{}, diag) == Err::op_failed);
  CHECK(std::string(diag.c_str()).find("MSI at 0x50") != std::string::npos);
}

TEST_CASE("a full effect list refuses the field that asks for one more, effects included", "[engine]") {
  Effects fx;
  for (uint8_t i = 0; i < Effects::kMax; ++i) CHECK(fx.add(EffectKind::set_master));
  CHECK_FALSE(fx.add(EffectKind::enable_device));
  CHECK(fx.count == Effects::kMax);

  // Through the engine: a command write asking to decode, with the list already full.
  auto dev = load_device("e1000e.lspci");
  WriteResult out;
  for (uint8_t i = 0; i < Effects::kMax; ++i) (void)out.effects.add(EffectKind::set_master);
  FieldEntry* cmd = dev->view.entry_at(reg::PCI_COMMAND);
  REQUIRE(cmd != nullptr);
  WriteCtx ctx{dev->view, *cmd, cmd->field->masks, out.effects};
  ctx.effect(EffectKind::enable_device);
  CHECK(ctx.err == Err::op_failed);
  CHECK(out.effects.count == Effects::kMax);
}

