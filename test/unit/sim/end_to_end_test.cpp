// SPDX-License-Identifier: GPL-2.0-only
// Backend core and frontend core talking through the simulated Xen: xenstore handshake, the granted
// page, the event channel, ops, hot-plug, AER forwarding and guest death.
#include <chrono>
#include <map>
#include <thread>

#include "tools/pcisplit/simworld.hpp"
#include "support/fake_device.hpp"

using namespace pcisplit;
using namespace pcisplit::test;

namespace {

const std::string kBe = "/local/domain/0/backend/pci/1/0";
const std::string kFe = "/local/domain/1/device/pci/0";

struct Recovering final : AerHandler {
  std::vector<int32_t> seen;
  int32_t handle(wire::Cmd, Bdf virt, int32_t state) override {
    seen.push_back(state);
    return virt == Bdf::make(0, 0, 0, 0) ? 5 : 1;  // RECOVERED for our device
  }
};

// dom0 and the guest as the tool and the demo have them (e1000e at 0000:01:00.0, nvme at 0000:02:00.0,
// virtio-net at 0000:03:00.0, qemu-xhci at 0000:04:00.0), with short names for the tests.
struct World : user::SimWorld {
  Recovering aer;
  sim::Dom0& host = dom0;
  sim::Guest& ghost = guest;
  std::unique_ptr<BackendInstance>& be = backend;
  std::unique_ptr<FrontendInstance>& fe = frontend;

  World() {
    std::string error;
    if (!load(PCISPLIT_TEST_DATA, error)) FAIL(error);
  }
  std::string get(const std::string& path) {
    const std::string v = SimWorld::get(path);
    return v == "(absent)" ? "<absent>" : v;
  }
  void boot(int ndev) {
    toolstack_create(ndev);
    start_backend();
    start_frontend(&aer);
  }
};

}  // namespace

TEST_CASE("end to end: both sides connect, the guest reads config and gets MSI-X PIRQs", "[sim][e2e]") {
  World w;
  w.boot(1);
  CHECK(w.get(kBe + "/state") == "4");
  CHECK(w.get(kFe + "/state") == "4");
  CHECK(w.get(kFe + "/magic") == "7");
  REQUIRE(w.fe->root_count() == 1);
  CHECK(w.fe->root(0).bus == 0);

  const Bdf dev = Bdf::make(0, 0, 0, 0);
  uint32_t v = 0;
  CHECK(w.fe->conf_read(dev, 0, 4, v) == Err::success);
  CHECK(v == 0x10d38086);
  CHECK(w.fe->conf_read(dev, 0x10, 4, v) == Err::success);
  CHECK(v == 0xfe040000);
  CHECK(w.fe->conf_read(Bdf::make(0, 0, 1, 0), 0, 4, v) == Err::dev_not_found);
  CHECK(w.fe->conf_read(dev, 2, 4, v) == Err::invalid_offset);
  CHECK(w.fe->conf_write(dev, 0x10, 4, 0xffffffff) == Err::success);
  CHECK(w.fe->conf_read(dev, 0x10, 4, v) == Err::success);
  CHECK(v == 0xfffe0000);  // BAR sizing, through the whole stack

  const uint16_t entries[] = {0, 4};
  uint32_t pirqs[2] = {};
  CHECK(w.fe->enable_msix(dev, entries, 2, pirqs) == Err::success);
  CHECK(pirqs[0] == 40);
  CHECK(pirqs[1] == 41);
  CHECK(w.fe->enable_msix(dev, entries, 2, pirqs) == Err::op_failed);  // already on
  CHECK(w.fe->disable_msix(dev) == Err::success);
  uint32_t pirq = 0;
  CHECK(w.fe->enable_msi(dev, 1, pirq) == Err::success);
  CHECK(pirq == 42);  // the hypervisor's pool moves on
  CHECK(w.xen.mapped_pirqs(w.domu) == 1);  // MSI-X's two were unmapped when it went off
  sim::EmulatedFunction* f = w.host.function(Bdf::make(0, 1, 0, 0));
  CHECK((f->cfg.read(0xd2, 2).value() & reg::PCI_MSI_FLAGS_ENABLE) != 0);  // dom0's device has MSI on
}

TEST_CASE("end to end: hot-plug and hot-unplug with both state machines", "[sim][e2e]") {
  World w;
  w.boot(1);
  w.put(kBe + "/dev-1", "0000:02:00.0");
  w.put(kBe + "/state-1", "1");
  w.put(kBe + "/num_devs", "2");
  w.put(kBe + "/state", "7");
  CHECK(w.get(kBe + "/vdev-1") == "0000:00:01.00");
  CHECK(w.get(kBe + "/state") == "4");
  CHECK(w.get(kFe + "/state") == "4");
  CHECK(w.ghost.removed.empty());  // a hot-plug takes nothing away
  CHECK(w.ghost.rescans == 1);
  uint32_t v = 0;
  CHECK(w.fe->conf_read(Bdf::make(0, 0, 1, 0), 0, 2, v) == Err::success);
  CHECK(v == 0x1b36);  // QEMU's NVMe vendor

  // The guest uses the first device before it goes: bus mastering on, MSI-X on.
  sim::EmulatedFunction* nic = w.host.function(Bdf::make(0, 1, 0, 0));
  const std::vector<uint8_t> bind_time(nic->cfg.bytes(), nic->cfg.bytes() + nic->cfg.size());
  CHECK(w.fe->conf_write(Bdf::make(0, 0, 0, 0), reg::PCI_COMMAND, 2,
                         reg::PCI_COMMAND_MEMORY | reg::PCI_COMMAND_IO | reg::PCI_COMMAND_MASTER) == Err::success);
  CHECK((nic->cfg.bytes()[reg::PCI_COMMAND] & reg::PCI_COMMAND_MASTER) != 0);  // the effect reached dom0's device
  const uint16_t entries[] = {0};
  uint32_t pirq;
  REQUIRE(w.fe->enable_msix(Bdf::make(0, 0, 0, 0), entries, 1, &pirq) == Err::success);

  sim::Libxl libxl(*w.toolstack, w.domu);
  REQUIRE(libxl.remove_begin(Bdf::make(0, 1, 0, 0)) == StoreStatus::ok);
  CHECK(w.get(kBe + "/state-0") == "5");  // left for the frontend; libxl deletes it next
  CHECK(w.ghost.removed == std::vector<Bdf>{Bdf::make(0, 0, 0, 0)});  // named by its vdev-0
  CHECK(w.get(kFe + "/state") == "4");
  REQUIRE(libxl.remove_finish(Bdf::make(0, 1, 0, 0)) == StoreStatus::ok);
  CHECK(w.get(kBe + "/dev-0") == "0000:02:00.0");  // renumbered
  CHECK(w.fe->conf_read(Bdf::make(0, 0, 0, 0), 0, 2, v) == Err::dev_not_found);
  CHECK(w.host.released == std::vector<Bdf>{Bdf::make(0, 1, 0, 0)});
  // Back in dom0 exactly as it was bound: bus mastering and MSI-X off, PIRQ unmapped.
  CHECK(std::vector<uint8_t>(nic->cfg.bytes(), nic->cfg.bytes() + nic->cfg.size()) == bind_time);
  CHECK(w.xen.mapped_pirqs(w.domu) == 0);
}

TEST_CASE("end to end: AER is forwarded to the guest's handler through the event channel", "[sim][e2e]") {
  World w;
  w.boot(1);
  CHECK(w.host.inject_aer(Bdf::make(0, 1, 0, 0), 2, 1000) == BackendInstance::AerResult::recovered);
  CHECK(w.aer.seen == std::vector<int32_t>{2});
  CHECK(w.get(std::string(World::kBe) + "/aerState") == "<absent>");
  CHECK(w.xen.alive(w.domu));
}

TEST_CASE("end to end: AER on a guest without a handler kills it and returns its devices", "[sim][e2e]") {
  World w;
  w.toolstack_create(2);
  w.start_backend();
  w.start_frontend(nullptr);  // no AER handler registered: XEN_PCIB_AERHANDLER stays clear
  REQUIRE(w.fe->state() == xs::State::connected);
  CHECK(w.host.inject_aer(Bdf::make(0, 2, 0, 0), 3, 1000) == BackendInstance::AerResult::none);
  CHECK(w.get(std::string(World::kBe) + "/aerState") == "aerfail");
  CHECK_FALSE(w.xen.alive(w.domu));
  CHECK(w.get(std::string(World::kBe) + "/state") == "6");
  // The simulator's Xen removes the guest's home as the domain dies (on a real host libxl's destroy
  // does, some 10 s later, and leaves this backend directory behind): the backend releases then.
  CHECK(w.host.released.size() == 2);
  w.toolstack_destroy();
  CHECK(w.host.released.size() == 2);  // nothing twice
  sim::EmulatedFunction* nvme = w.host.function(Bdf::make(0, 2, 0, 0));
  CHECK(nvme->cfg.read(0, 4).value() == 0x00101b36);  // the function is back in dom0, as it was
}

TEST_CASE("end to end: the guest dies, the backend releases its devices and closes", "[sim][e2e]") {
  World w;
  w.boot(1);
  const uint16_t entries[] = {0, 1, 2};
  uint32_t pirqs[3];
  REQUIRE(w.fe->enable_msix(Bdf::make(0, 0, 0, 0), entries, 3, pirqs) == Err::success);
  CHECK(w.xen.mapped_pirqs(w.domu) == 3);
  w.xen.destroy_domain(w.domu);
  CHECK(w.xen.mapped_pirqs(w.domu) == 0);
  CHECK(w.get(kBe + "/state") == "6");
  w.toolstack_destroy();
  CHECK(w.host.released == std::vector<Bdf>{Bdf::make(0, 1, 0, 0)});
  CHECK(w.get(kFe) == "<absent>");
}

TEST_CASE("end to end: a backend that never answers makes ops fail after the timeout, not hang", "[sim][e2e]") {
  World w;
  w.boot(1);
  w.host.disconnect();  // dom0 stops listening; the page stays
  uint32_t v = 123;
  const auto t0 = std::chrono::steady_clock::now();
  CHECK(w.fe->conf_read(Bdf::make(0, 0, 0, 0), 0, 4, v) == Err::op_failed);
  CHECK(std::chrono::steady_clock::now() - t0 >= std::chrono::milliseconds(FrontendInstance::kOpTimeoutMs));
  CHECK(v == 0);
  CHECK(w.fe->timeouts() == 1);
  CHECK((w.ghost.page()->flags & PCISPLIT_F_ACTIVE) == 0);
}

TEST_CASE("sim grant table and event channels keep Xen's access rules", "[sim][xen]") {
  sim::Xenstore xs;
  sim::Xen xen(xs);
  const sim::DomId a = xen.create_domain(), b = xen.create_domain();
  wire::SharedInfo page{};
  const uint32_t g = xen.grant(a, 0, &page).value();
  CHECK(xen.map(b, a, g).err() == Err::access_denied);      // not the grantee
  CHECK(xen.map(0, a, g + 1).err() == Err::access_denied);  // bad ref
  REQUIRE(xen.map(0, a, g).ok());
  CHECK(xen.revoke(a, g) == Err::op_failed);                // still mapped
  xen.unmap(0, a, g);
  CHECK(xen.revoke(a, g) == Err::success);
  CHECK(xen.map(0, a, g).err() == Err::access_denied);      // revoked

  int fired = 0;
  const uint32_t p = xen.alloc_unbound(a, 0, [&] { ++fired; }).value();
  CHECK(xen.bind_interdomain(b, a, p, [] {}).err() == Err::access_denied);  // offered to dom0 only
  const uint32_t q = xen.bind_interdomain(0, a, p, [] {}).value();
  CHECK(xen.notify(0, q) == Err::success);
  CHECK(fired == 1);
  xen.destroy_domain(a);
  CHECK(xen.notify(0, q) == Err::dev_not_found);
}

TEST_CASE("end to end: the guest destroyed in the middle of an op", "[sim][e2e]") {
  World w;
  w.boot(1);
  sim::EmulatedFunction* f = w.host.function(Bdf::make(0, 1, 0, 0));
  int destroyed = 0;
  f->cfg.on_access = [&] {  // while the backend reads the device for the guest, the guest dies
    if (destroyed++ == 0) w.xen.destroy_domain(w.domu);
  };
  uint32_t v = 0;
  const Err err = w.fe->conf_read(Bdf::make(0, 0, 0, 0), 0x3c, 4, v);  // a register read from hardware
  f->cfg.on_access = nullptr;
  CHECK(destroyed >= 1);
  CHECK((err == Err::success || err == Err::op_failed));  // answered or failed, never hung
  CHECK(w.get(kBe + "/state") == "6");
  w.toolstack_destroy();
  CHECK(w.host.released == std::vector<Bdf>{Bdf::make(0, 1, 0, 0)});
  CHECK(w.get(kFe) == "<absent>");
  CHECK(f->cfg.bytes()[0x04] == 0x03);  // back to the bind-time command register (reset + restore)
}

TEST_CASE("end to end: the frontend closes in the middle of an op", "[sim][e2e]") {
  World w;
  w.boot(1);
  sim::EmulatedFunction* f = w.host.function(Bdf::make(0, 1, 0, 0));
  int closed = 0;
  f->cfg.on_access = [&] {
    if (closed++ == 0) (void)w.guest_conn->write(kNoTx, (kFe + "/state").c_str(), "6");
  };
  uint32_t v = 0;
  const Err err = w.fe->conf_read(Bdf::make(0, 0, 0, 0), 0x3c, 4, v);
  f->cfg.on_access = nullptr;
  CHECK(closed >= 1);
  CHECK((err == Err::success || err == Err::op_failed));
  CHECK(w.get(kBe + "/state") == "3");  // disconnected, ready for a frontend that comes back
  CHECK(w.host.released.empty());  // a closed frontend only disconnects (it may come back)
  CHECK(w.fe->conf_read(Bdf::make(0, 0, 0, 0), 0, 4, v) != Err::success);  // nothing answers any more
  w.toolstack_destroy();
  CHECK(w.host.released.size() == 1);
}

TEST_CASE("end to end: an event-channel storm from the guest costs the backend nothing", "[sim][e2e]") {
  World w;
  w.boot(1);
  const uint64_t before = w.be->dispatcher().stats().ops;
  for (int i = 0; i < 100000; ++i) w.ghost.notify();  // no op posted: every event is spurious
  CHECK(w.be->dispatcher().stats().ops == before);
  uint32_t v = 0;
  CHECK(w.fe->conf_read(Bdf::make(0, 0, 0, 0), 0, 4, v) == Err::success);  // and it still answers
  CHECK(v == 0x10d38086);
  CHECK(w.be->dispatcher().stats().ops == before + 1);
}

TEST_CASE("end to end: the frontend goes away and a new one connects to the same backend", "[sim][e2e]") {
  // rmmod xen-pcifront; modprobe xen-pcifront in the guest: the functions stay assigned meanwhile.
  World w;
  w.boot(2);
  w.fe->stop();
  CHECK(w.get(kBe + "/state") == "3");  // Closed, then ready for the next frontend
  CHECK(w.host.released.empty());
  w.start_frontend(&w.aer);
  CHECK(w.fe->state() == xs::State::connected);
  CHECK(w.get(kBe + "/state") == "4");
  uint32_t v = 0;
  CHECK(w.fe->conf_read(Bdf::make(0, 0, 1, 0), 0, 2, v) == Err::success);
  CHECK(v == 0x1b36);
  const uint16_t entries[] = {0};
  uint32_t pirq = 0;
  CHECK(w.fe->enable_msix(Bdf::make(0, 0, 1, 0), entries, 1, &pirq) == Err::success);  // clean state
  w.toolstack_destroy();
  CHECK(w.host.released.size() == 2);
}

TEST_CASE("end to end: the frontend removes a closing device only when its vdev-N parses", "[sim][e2e]") {
  World w;
  w.boot(2);
  REQUIRE(w.get(kBe + "/vdev-1") == "0000:00:01.00");
  w.put(kBe + "/vdev-1", "0000:00:1.0 ");  // a dom0 writer other than the backend, or a stale value
  sim::Libxl libxl(*w.toolstack, w.domu);
  REQUIRE(libxl.remove_begin(Bdf::make(0, 2, 0, 0)) == StoreStatus::ok);
  CHECK(w.ghost.removed.empty());  // never a device it cannot name
  bool logged = false;
  for (const std::string& line : w.ghost.logs) logged = logged || line.find("vdev-1") != std::string::npos;
  CHECK(logged);
}
