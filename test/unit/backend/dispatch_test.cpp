// SPDX-License-Identifier: GPL-2.0-only
// The op dispatcher against recorded devices and a recording platform.
#include <atomic>
#include <functional>
#include <thread>

#include "backend/dispatch.hpp"
#include "support/fake_device.hpp"
#include "support/fake_platform.hpp"

using namespace pcisplit;
using namespace pcisplit::test;
using wire::Cmd;

namespace {

// One guest with one device at 0000:00:00.0 (vpci), the shared page, and the platform's record.
struct Backend {
  explicit Backend(std::unique_ptr<TestDevice> d, PhysFunction fn = {Bdf::make(0, 1, 0, 0)},
                   Topology::Mode mode = Topology::Mode::vpci)
      : topology(std::make_unique<Topology>(mode)), dev(std::move(d)) {
    Text diag;
    REQUIRE(topology->add(fn, diag).ok());
    dispatcher->attach(topology->find_phys(fn.bdf), &dev->view, &platform);
  }
  explicit Backend(const std::string& dump) : Backend(load_device(dump)) {}

  wire::Op& run(Cmd cmd, int32_t offset = 0, int32_t size = 4, uint32_t value = 0, uint32_t devfn = 0) {
    page->op.cmd = static_cast<uint32_t>(cmd);
    page->op.err = 12345;
    page->op.domain = 0;
    page->op.bus = 0;
    page->op.devfn = devfn;
    page->op.offset = offset;
    page->op.size = size;
    page->op.value = value;
    dispatcher->process(&page->op);
    return page->op;
  }
  wire::Op& msix(uint32_t n, std::initializer_list<uint16_t> entries) {
    uint32_t i = 0;
    for (uint16_t e : entries) page->op.msix_entries[i++].entry = e;
    return run(Cmd::enable_msix, 0, 0, n);
  }

  std::unique_ptr<Topology> topology;
  std::unique_ptr<Dispatcher> dispatcher = std::make_unique<Dispatcher>(*topology);
  std::unique_ptr<wire::SharedInfo> page = std::make_unique<wire::SharedInfo>();
  std::unique_ptr<TestDevice> dev;
  FakePlatform platform;
};

int32_t E(Err e) { return static_cast<int32_t>(e); }

}  // namespace

TEST_CASE("conf_read and conf_write go through the device's view", "[backend][dispatch]") {
  Backend b("e1000e.lspci");
  const wire::Op& r = b.run(Cmd::conf_read, 0, 4);
  CHECK(r.err == 0);
  CHECK(r.value == 0x10d38086);
  CHECK(b.run(Cmd::conf_read, 0x10, 4).value == 0xfe040000);

  const wire::Op& w = b.run(Cmd::conf_write, reg::PCI_COMMAND, 2, 0);  // decode off: an effect
  CHECK(w.err == 0);
  CHECK(w.value == 0);
  REQUIRE(b.platform.effects.size() == 1);
  CHECK(b.platform.effects[0].kind == EffectKind::disable_device);
  b.platform.fail_apply = true;
  CHECK(b.run(Cmd::conf_write, reg::PCI_COMMAND, 2, reg::PCI_COMMAND_MEMORY).err == E(Err::op_failed));
}

TEST_CASE("bad addresses, offsets and sizes get their error codes", "[backend][dispatch]") {
  Backend b("e1000e.lspci");
  CHECK(b.run(Cmd::conf_read, 0, 4, 0, 8).err == E(Err::dev_not_found));  // slot 1: nothing there
  b.page->op.domain = 0x10000;
  b.dispatcher->process(&b.page->op);
  CHECK(b.page->op.err == E(Err::dev_not_found));
  // Each address field past its width names no function: not the one it would be cut down to (0000:00:00.0).
  CHECK(b.run(Cmd::conf_read, 0, 4, 0, 0x100).err == E(Err::dev_not_found));
  b.page->op.bus = 0x100;
  b.page->op.devfn = 0;
  b.dispatcher->process(&b.page->op);
  CHECK(b.page->op.err == E(Err::dev_not_found));
  CHECK(b.run(Cmd::conf_read, 2, 4).err == E(Err::invalid_offset));
  CHECK(b.run(Cmd::conf_read, -4, 4).err == E(Err::invalid_offset));
  CHECK(b.run(Cmd::conf_read, 0, 3).err == E(Err::invalid_offset));
  CHECK(b.run(Cmd::conf_read, 0, -4).err == E(Err::invalid_offset));
  CHECK(b.run(Cmd::conf_read, 0x1000, 1).err == E(Err::invalid_offset));
  CHECK(b.run(Cmd::conf_write, 0x1001, 1, 0).err == E(Err::invalid_offset));
  CHECK(b.run(Cmd::conf_read, 0, 4).value == 0x10d38086);  // still answering
}

TEST_CASE("unknown commands and backend-only AER commands are not_implemented", "[backend][dispatch]") {
  Backend b("e1000e.lspci");
  for (uint32_t cmd : {6u, 7u, 8u, 9u, 11u, 0xffffffffu}) {
    CHECK(b.run(static_cast<Cmd>(cmd)).err == E(Err::not_implemented));
  }
  CHECK(b.dispatcher->stats().unknown_cmds == 6);
}

TEST_CASE("XSA-157: MSI enable/disable follows the state rules, no state change on error", "[backend][dispatch][xsa]") {
  Backend b("e1000e.lspci");
  const wire::Op& on = b.run(Cmd::enable_msi);
  CHECK(on.err == 0);
  CHECK(on.value == 40);  // the PIRQ
  CHECK(b.run(Cmd::enable_msi).err == E(Err::op_failed));         // twice
  CHECK(b.msix(1, {0}).err == E(Err::op_failed));                   // MSI-X while MSI is on
  CHECK(b.platform.calls.size() == 1);
  const wire::Op& off = b.run(Cmd::disable_msi);
  CHECK(off.err == 0);
  CHECK(off.value == 16);  // back to the legacy PIRQ
  CHECK(b.run(Cmd::disable_msi).err == E(Err::op_failed));         // disable when off
  CHECK(b.run(Cmd::disable_msix).err == E(Err::op_failed));
  CHECK(b.platform.calls.size() == 2);
}

TEST_CASE("multi-MSI (op 10): a power of two within the device's capability", "[backend][dispatch]") {
  Backend b(DeviceBuilder().cap(0x50, reg::PCI_CAP_ID_MSI, {0x86, 0x00}).build());  // 64-bit, 8 vectors
  CHECK(b.run(Cmd::enable_multi_msi, 0, 0, 3).err == E(Err::op_failed));
  CHECK(b.run(Cmd::enable_multi_msi, 0, 0, 16).err == E(Err::op_failed));
  CHECK(b.run(Cmd::enable_multi_msi, 0, 0, 0).err == E(Err::op_failed));
  CHECK(b.platform.calls.empty());
  const wire::Op& ok = b.run(Cmd::enable_multi_msi, 0, 0, 8);
  CHECK(ok.err == 0);
  CHECK(b.platform.msi_vectors == 8);
}

TEST_CASE("MSI-X: entries get PIRQs, only vectors are written back", "[backend][dispatch]") {
  Backend b("nvme.lspci");  // 65 table entries, memory decoding on
  b.page->op.info = 0x77;
  b.page->op.msix_entries[3].vector = 0xbeef;
  const wire::Op& r = b.msix(3, {7, 0, 64});
  CHECK(r.err == 0);
  CHECK(r.value == 0);
  CHECK(b.platform.msix_entries == std::vector<uint16_t>{7, 0, 64});
  CHECK(r.msix_entries[0].vector == 40);
  CHECK(r.msix_entries[1].vector == 41);
  CHECK(r.msix_entries[2].vector == 42);
  CHECK(r.msix_entries[0].entry == 7);  // the guest's request is left as it was
  CHECK(r.msix_entries[3].vector == 0xbeef);
  CHECK(r.info == 0x77);
  CHECK(r.cmd == static_cast<uint32_t>(Cmd::enable_msix));
  CHECK(b.msix(1, {1}).err == E(Err::op_failed));  // already on
  CHECK(b.run(Cmd::enable_msi).err == E(Err::op_failed));  // nvme has no MSI anyway
  CHECK(b.run(Cmd::disable_msix).err == 0);
}

TEST_CASE("disable_msi while MSI-X is on turns MSI-X off (Linux pcifront's teardown), counted", "[backend][dispatch]") {
  Backend b("nvme.lspci");
  REQUIRE(b.msix(1, {0}).err == 0);
  const wire::Op& off = b.run(Cmd::disable_msi);
  CHECK(off.err == 0);
  CHECK(std::string(b.platform.calls.back()) == "disable_msix");
  CHECK(b.dispatcher->stats().msix_off_by_disable_msi == 1);
  CHECK(b.msix(2, {0, 1}).err == 0);  // the next enable works (the in-tree backend answers -EALREADY)
  CHECK(b.run(Cmd::disable_msix).err == 0);
  CHECK(b.run(Cmd::disable_msi).err == E(Err::op_failed));  // nothing on: still refused
  CHECK(b.dispatcher->stats().msix_off_by_disable_msi == 1);
}

TEST_CASE("XSA-157 class: malformed MSI-X requests fail cleanly without reaching the platform", "[backend][dispatch][xsa]") {
  Backend b("nvme.lspci");
  CHECK(b.msix(0, {}).err == E(Err::op_failed));
  CHECK(b.run(Cmd::enable_msix, 0, 0, 129).err == E(Err::op_failed));
  CHECK(b.msix(2, {1, 65}).err == E(Err::op_failed));  // past the table
  CHECK(b.msix(3, {1, 2, 1}).err == E(Err::op_failed));  // duplicate
  CHECK(b.platform.calls.empty());
  b.platform.fail_enable = true;
  CHECK(b.msix(1, {0}).err == E(Err::op_failed));
  b.platform.fail_enable = false;
  CHECK(b.msix(1, {0}).err == 0);  // the failed attempt left no state behind
}

TEST_CASE("CVE-2015-8553: MSI-X is refused while memory decoding is off in hardware", "[backend][dispatch]") {
  Backend b("nvme.lspci");
  b.dev->hw.poke(reg::PCI_COMMAND, 2, b.dev->hw.peek(reg::PCI_COMMAND, 2) & ~reg::PCI_COMMAND_MEMORY);
  CHECK(b.msix(1, {0}).err == E(Err::op_failed));
  CHECK(b.platform.calls.empty());
}

TEST_CASE("MSI or MSI-X already on in hardware (a config write under allow_interrupt_control) refuses the enable ops",
          "[backend][dispatch]") {
  Backend b("nvme.lspci");
  const uint8_t msi = b.dev->view.cap_offset(reg::PCI_CAP_ID_MSI);
  const uint8_t msix = b.dev->view.cap_offset(reg::PCI_CAP_ID_MSIX);
  REQUIRE(msix != 0);
  const uint16_t flags = static_cast<uint16_t>(b.dev->hw.peek(msix + reg::PCI_MSIX_FLAGS, 2));
  b.dev->hw.poke(msix + reg::PCI_MSIX_FLAGS, 2, flags | reg::PCI_MSIX_FLAGS_ENABLE);
  CHECK(b.msix(1, {0}).err == E(Err::op_failed));
  if (msi != 0) CHECK(b.run(Cmd::enable_msi).err == E(Err::op_failed));
  CHECK(b.platform.calls.empty());
}

TEST_CASE("I1: a VF's own Memory Space bit (hardwired 0) does not block MSI-X, the platform checks the PF",
          "[backend][dispatch]") {
  auto d = load_device("nvme.lspci");
  d->hw.poke(reg::PCI_COMMAND, 2, d->hw.peek(reg::PCI_COMMAND, 2) & ~reg::PCI_COMMAND_MEMORY);
  Backend b(std::move(d), PhysFunction{Bdf::make(0, 1, 0, 1), false, true});
  CHECK(b.msix(1, {0}).err == 0);
  CHECK(b.platform.calls == std::vector<const char*>{"enable_msix"});
}

TEST_CASE("L4: interrupt ops on an exported bridge are refused without reaching the platform",
          "[backend][dispatch]") {
  Backend b(load_device("pcie-root-port.lspci"), PhysFunction{Bdf::make(0, 0, 1, 0), true, false},
            Topology::Mode::passthrough);
  for (Cmd c : {Cmd::enable_msi, Cmd::disable_msi, Cmd::enable_msix, Cmd::disable_msix, Cmd::enable_multi_msi}) {
    CHECK(b.run(c, 0, 0, 1, b.topology->virt(0).devfn).err == E(Err::access_denied));
  }
  CHECK(b.platform.calls.empty());
  CHECK(b.run(Cmd::conf_read, 0, 2, 0, b.topology->virt(0).devfn).err == 0);
}

namespace {
// Config access that lets a test act "during" the backend's processing of an op, like a guest vCPU
// rewriting the shared page between two fetches would.
class MeddlingConfig final : public ConfigAccess {
 public:
  MemoryConfig mem{4096};
  std::function<void()> meddle;
  Result<uint32_t> read(uint16_t o, uint8_t w) override {
    if (meddle) meddle();
    return mem.read(o, w);
  }
  Err write(uint16_t o, uint8_t w, uint32_t v) override { return mem.write(o, w, v); }
  uint16_t size() const override { return 4096; }
};
}  // namespace

TEST_CASE("XSA-155: the backend acts on its one copy while the guest rewrites the page", "[backend][dispatch][xsa]") {
  auto cfg = std::make_unique<MeddlingConfig>();
  REQUIRE(cfg->mem.write(0, 4, 0x56781234) == Err::success);
  REQUIRE(cfg->mem.write(0x80, 4, 0xaabbccdd) == Err::success);
  auto view = std::make_unique<DeviceView>();
  Text diag;
  REQUIRE(view->build(*cfg, DeviceInfo{}, Policy{}, diag) == Err::success);
  Topology topo(Topology::Mode::vpci);
  REQUIRE(topo.add({Bdf::make(0, 1, 0, 0)}, diag).ok());
  auto disp = std::make_unique<Dispatcher>(topo);
  test::FakePlatform plat;
  disp->attach(0, view.get(), &plat);
  auto page = std::make_unique<wire::SharedInfo>();
  volatile wire::Op* op = &page->op;
  op->cmd = static_cast<uint32_t>(Cmd::conf_read);
  op->domain = 0;
  op->bus = 0;
  op->devfn = 0;
  op->offset = 0x80;
  op->size = 4;
  int meddled = 0;
  cfg->meddle = [&] {  // mid-op: a different register, another device, another command
    op->offset = 0;
    op->size = 1;
    op->devfn = 8;
    op->cmd = static_cast<uint32_t>(Cmd::conf_write);
    ++meddled;
  };
  disp->process(op);
  CHECK(meddled >= 1);
  CHECK(op->err == 0);
  CHECK(op->value == 0xaabbccdd);  // the register first asked for, read as a dword
  CHECK(cfg->mem.read(0, 4).value() == 0x56781234);  // the meddled-in write never happened
}

TEST_CASE("an op flood with a second thread rewriting the page: every answer is a whole answer", "[backend][dispatch]") {
  Backend b("e1000e.lspci");
  volatile wire::Op* op = &b.page->op;
  std::atomic<bool> stop{false};
  std::thread guest([&] {
    uint32_t i = 0;
    while (!stop.load(std::memory_order_relaxed)) {
      op->offset = (i & 1) ? 0x10 : 0;
      op->cmd = (i & 2) ? 99u : static_cast<uint32_t>(Cmd::conf_read);
      ++i;
    }
  });
  int reads = 0, unknown = 0;
  for (int i = 0; i < 20000; ++i) {
    op->size = 4;
    op->domain = 0;
    op->bus = 0;
    op->devfn = 0;
    b.dispatcher->process(op);
    const int32_t err = op->err;
    const uint32_t value = op->value;
    if (err == 0) {
      CHECK((value == 0x10d38086 || value == 0xfe040000));
      ++reads;
    } else {
      CHECK(err == E(Err::not_implemented));
      CHECK(value == 0);
      ++unknown;
    }
  }
  stop = true;
  guest.join();
  CHECK(reads + unknown == 20000);
  CHECK(b.dispatcher->stats().ops == 20000);
}

TEST_CASE("the record of the last op is the dispatcher's copy and answer and ignores later page writes",
          "[backend][dispatch]") {
  Backend b("e1000e.lspci");
  b.run(Cmd::conf_read, 0, 4);
  // The guest rewrites the whole page after the answer (as a hostile one may before a log line is written).
  b.page->op.cmd = 1;
  b.page->op.devfn = 0xff;
  b.page->op.offset = 0x40;
  b.page->op.value = 0xdeadbeef;
  b.page->op.err = -5;
  const Dispatcher::Record& r = b.dispatcher->last();
  CHECK(r.cmd == static_cast<uint32_t>(Cmd::conf_read));
  CHECK(r.devfn == 0);
  CHECK(r.offset == 0);
  CHECK(r.size == 4);
  CHECK(r.value_out == 0x10d38086);
  CHECK(r.err == 0);
  CHECK(b.run(Cmd::conf_read, 2, 4).err == E(Err::invalid_offset));
  CHECK(b.dispatcher->last().err == E(Err::invalid_offset));
  CHECK(b.dispatcher->last().offset == 2);
}
