// SPDX-License-Identifier: GPL-2.0-only
// VPD (read requests only) and vendor-specific capabilities (read-only body).
#include <cstring>

#include "support/fake_device.hpp"

using namespace pcisplit;
using namespace pcisplit::test;
using namespace pcisplit::reg;

TEST_CASE("VPD: a read request reaches hardware, a write request (F set) is refused whole", "[caps][vpd]") {
  auto d = DeviceBuilder().cap(0x40, PCI_CAP_ID_VPD).poke(0x44, 4, 0x12345678).build();
  CHECK(d->wr(0x42, 2, 0x0010).err == Err::success);
  REQUIRE(d->hw.log.size() == 1);
  CHECK(d->hw.log[0] == HwWrite{0x42, 2, 0x0010});
  CHECK(d->wr(0x42, 2, PCI_VPD_ADDR_F | 0x0010).err == Err::access_denied);
  CHECK(d->wr(0x43, 1, 0x80).err == Err::access_denied);
  CHECK(d->hw.log.size() == 1);
  CHECK(d->rd(0x44, 4) == 0x12345678);
  d->wr(0x44, 4, 0);
  CHECK(d->hw.peek(0x44, 4) == 0x12345678);
}

TEST_CASE("H1: a 1-byte write of VPD_ADDR's low byte after a read completed (F=1 in hardware) is refused",
          "[caps][vpd]") {
  auto d = DeviceBuilder().cap(0x40, PCI_CAP_ID_VPD).build();
  d->hw.poke(0x42, 2, PCI_VPD_ADDR_F | 0x0010);  // the device finished reading address 0x10
  CHECK(d->wr(0x42, 1, 0x20).err == Err::access_denied);
  for (const HwWrite& w : d->hw.log) CHECK((w.value & (w.width == 2 ? PCI_VPD_ADDR_F : 0x80)) == 0);
  CHECK(d->hw.log.empty());
  // With F clear in hardware the same byte write is a read request, judged on the merged value.
  d->hw.poke(0x42, 2, 0x0010);
  CHECK(d->wr(0x42, 1, 0x20).err == Err::success);
  REQUIRE(d->hw.log.size() == 1);
  CHECK(d->hw.log[0] == HwWrite{0x42, 2, 0x0020});
  // A word write with F clear is a new read request even though hardware still says F=1.
  d->hw.poke(0x42, 2, PCI_VPD_ADDR_F | 0x0020);
  CHECK(d->wr(0x42, 2, 0x0030).err == Err::success);
  CHECK(d->hw.log.back() == HwWrite{0x42, 2, 0x0030});
}

namespace {
// VPD_ADDR whose F bit comes up after the first read: a VPD read completing while the backend handles
// the guest's write (the window between a hook's check and the engine's write-back).
class CompletingVpd final : public ConfigAccess {
 public:
  MemoryConfig mem{256};
  int reads_of_addr = 0;
  std::vector<HwWrite> log;
  Result<uint32_t> read(uint16_t o, uint8_t w) override {
    if (o == 0x42 && reads_of_addr++ == 1) (void)mem.write(0x42, 2, mem.read(0x42, 2).value() | PCI_VPD_ADDR_F);
    return mem.read(o, w);
  }
  Err write(uint16_t o, uint8_t w, uint32_t v) override {
    log.push_back({o, w, v});
    return mem.write(o, w, v);
  }
  uint16_t size() const override { return 256; }
};
}  // namespace

TEST_CASE("H1: F set by hardware between the check and the write-back never reaches hardware as a write",
          "[caps][vpd]") {
  auto built = DeviceBuilder().cap(0x40, PCI_CAP_ID_VPD).build();
  CompletingVpd cfg;
  std::memcpy(cfg.mem.bytes(), built->hw.bytes(), 256);
  (void)cfg.mem.write(0x42, 2, 0x0010);  // F clear: the previous request is still running
  DeviceView view;
  Text diag;
  REQUIRE(view.build(cfg, DeviceInfo{}, Policy{}, diag) == Err::success);
  cfg.reads_of_addr = 0;
  (void)view.write(0x42, 1, 0x20);
  for (const HwWrite& w : cfg.log) CHECK((w.value & PCI_VPD_ADDR_F) == 0);
}

TEST_CASE("vendor-specific capabilities are exposed read-only (virtio's register windows)", "[caps][vendor]") {
  auto d = load_device("virtio-net-modern.lspci");
  const uint32_t body = d->hw.peek(0xc8 + 4, 4);
  CHECK(d->rd(0xc8 + 4, 4) == body);
  d->wr(0xc8 + 4, 4, ~body);
  CHECK(d->hw.log.empty());
  CHECK(d->view.denials(0xc8 + 4) == 1);
}
