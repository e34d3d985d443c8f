// SPDX-License-Identifier: GPL-2.0-only
// The full access matrix over every recorded device: every offset x width 1/2/4, reads consistent,
// and no write changes a hardware bit its field does not let the guest change.
#include "support/fake_device.hpp"

using namespace pcisplit;
using namespace pcisplit::test;

namespace {

// Bits of the byte at `b` that a guest write may change in hardware (1->0 for RW1C bits included).
uint8_t writable_bits(const DeviceView& v, uint16_t b) {
  const FieldEntry* e = v.field_at(b);
  if (e == nullptr) return v.policy().permissive ? 0xff : 0;
  const Masks& m = e->field->masks;
  uint32_t w = width_mask(e->field->width) & ~(m.ro | m.rsvdp | m.rsvdz | m.emu);
  const std::string name = e->field->name;
  if (name == "PCI_COMMAND") w = reg::PCI_COMMAND_GUEST & ~reg::PCI_COMMAND_MASTER;  // decode/master: effects
  if (name == "PCI_ROM_ADDRESS") w = reg::PCI_ROM_ADDRESS_ENABLE;
  return static_cast<uint8_t>(w >> (8 * (b - e->offset)));
}

}  // namespace

TEST_CASE("matrix: narrow reads are slices of the dword read, on every recorded device", "[engine][matrix]") {
  for (const std::string& name : all_dumps()) {
    auto d = load_device(name);
    INFO(name);
    for (uint32_t off = 0; off < d->view.size(); off += 4) {
      const uint32_t dw = d->rd(off, 4);
      for (uint32_t i = 0; i < 4; ++i) CHECK(d->rd(off + i, 1) == ((dw >> (8 * i)) & 0xff));
      CHECK(d->rd(off, 2) == (dw & 0xffff));
      CHECK(d->rd(off + 2, 2) == (dw >> 16));
    }
    CHECK(d->hw.log.empty());  // reading never writes
  }
}

TEST_CASE("matrix: writes of 0, ~0 and a pattern at every offset and width stay inside the tables' masks",
          "[engine][matrix][xsa]") {
  for (const std::string& name : all_dumps()) {
    auto d = load_device(name);
    INFO(name);
    const uint16_t size = d->view.size();
    std::vector<uint8_t> before(size);
    for (uint32_t width : {1u, 2u, 4u}) {
      for (uint32_t value : {0u, 0xffffffffu, 0xa5c3965au}) {
        for (uint32_t off = 0; off < size; off += width) {
          for (uint16_t b = 0; b < size; ++b) before[b] = d->hw.bytes()[b];
          const WriteResult w = d->view.write(off, width, value);
          INFO("write 0x" << std::hex << value << " at 0x" << off << " width " << std::dec << width);
          CHECK((w.err == Err::success || w.err == Err::access_denied));
          for (uint16_t b = 0; b < size; ++b) {
            const uint8_t changed = before[b] ^ d->hw.bytes()[b];
            if (changed == 0) continue;
            INFO("hardware byte 0x" << std::hex << b << " changed 0x" << int(before[b]) << " -> 0x"
                                    << int(d->hw.bytes()[b]));
            const bool inside = b >= off && b < off + width;
            CHECK(inside);
            CHECK((changed & ~writable_bits(d->view, b)) == 0);
          }
        }
      }
    }
  }
}

TEST_CASE("matrix: permissive devices pass unclaimed writes through and still protect claimed ones",
          "[engine][matrix][xsa]") {
  Policy p;
  p.permissive = true;
  auto d = load_device("nvme.lspci", p);
  d->wr(0x100, 4, 0x12345678);  // extended space, unclaimed
  CHECK(d->hw.peek(0x100, 4) == 0x12345678);
  const uint32_t ids = d->hw.peek(0, 4);
  d->wr(0, 4, 0);
  CHECK(d->hw.peek(0, 4) == ids);
}
