// SPDX-License-Identifier: GPL-2.0-only
// The world the backend instance's tests run in: the simulated xenstore written to as libxl and
// Linux's pcifront do, a fake host with recorded devices, and the helpers both test files use.
#pragma once

#include <algorithm>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "backend/instance.hpp"
#include "support/fake_device.hpp"
#include "support/fake_platform.hpp"
#include "sim/libxl.hpp"
#include "sim/xenstore.hpp"

namespace pcisplit::test::instance_world {

using namespace pcisplit;
using namespace pcisplit::test;


constexpr uint16_t kGuest = 1;
const std::string kBe = "/local/domain/0/backend/pci/1/0";
const std::string kFe = "/local/domain/1/device/pci/0";

// The host side: devices by physical address (recorded dumps), one page, a log.
struct FakeHost final : BackendHost {
  struct Dev {
    std::unique_ptr<TestDevice> dev;
    FakePlatform platform;
  };
  std::map<uint32_t, Dev> devices;  // key: domain << 16 | bus << 8 | devfn
  std::unique_ptr<wire::SharedInfo> page = std::make_unique<wire::SharedInfo>();
  uint32_t grant = 8, port = 5;
  int notifies = 0, connects = 0, disconnects = 0;
  std::vector<Bdf> released;
  std::vector<std::string> logs;

  static uint32_t key(Bdf b) { return uint32_t{b.domain} << 16 | uint32_t{b.bus} << 8 | b.devfn; }
  void add(Bdf b, const std::string& dump) { devices[key(b)].dev = load_device(dump); }

  // The ops lock (BackendHost::lock_ops) as the core takes it, and whether it was held at each call.
  int ops_locked = 0, ops_locks = 0;
  bool ops_lock_nested = false;
  std::vector<int> locked_at_connect, locked_at_disconnect, locked_at_export, locked_at_release;
  void lock_ops() override {
    ops_lock_nested |= ops_locked != 0;
    ++ops_locked;
    ++ops_locks;
  }
  // Runs when the core lets go of the lock: where the kernel's work item may take it and answer a
  // posted op (test: an op that slips in between two of the core's sections).
  std::function<void()> on_unlock;
  void unlock_ops() override {
    --ops_locked;
    if (on_unlock) on_unlock();
  }

  Err connect(uint16_t domid, uint32_t gref, uint32_t evtchn, volatile wire::SharedInfo** p) override {
    locked_at_connect.push_back(ops_locked);
    if (domid != kGuest || gref != grant || evtchn != port) return Err::op_failed;
    ++connects;
    *p = page.get();
    return Err::success;
  }
  void disconnect() override {
    locked_at_disconnect.push_back(ops_locked);
    ++disconnects;
  }
  void notify() override { ++notifies; }
  Err export_device(Bdf phys, const xs::DevOpts& opts, PhysFunction& fn, DeviceView*& view, DevicePlatform*& platform,
                    Text& diag) override {
    locked_at_export.push_back(ops_locked);
    auto it = devices.find(key(phys));
    if (it == devices.end()) {
      diag.clear();
      diag.add("not owned by the backend");
      return Err::dev_not_found;
    }
    Policy p;
    p.permissive = opts.permissive;
    it->second.dev->view.set_policy(p);
    const uint8_t type = it->second.dev->hw.peek(reg::PCI_HEADER_TYPE, 1) & 0x7f;
    fn = PhysFunction{phys, type == reg::PCI_HEADER_TYPE_BRIDGE, false};
    view = &it->second.dev->view;
    platform = &it->second.platform;
    return Err::success;
  }
  void release_device(Bdf phys) override {
    locked_at_release.push_back(ops_locked);
    released.push_back(phys);
  }
  void destroy_domain(uint16_t domid) override { destroyed.push_back(domid); }
  std::vector<uint16_t> destroyed;
  void log(const char* m) override { logs.emplace_back(m); }
  std::vector<uint32_t> timers;
  void arm_timer(uint32_t ms) override { timers.push_back(ms); }
};

// Posts one config read on the page, as a frontend would, and lets the backend take it.
inline wire::Op& post_read(BackendInstance& be, wire::SharedInfo& page, uint32_t bus, uint32_t devfn, int32_t offset,
                    int32_t size, uint32_t flags = PCISPLIT_F_ACTIVE) {
  page.op.cmd = static_cast<uint32_t>(wire::Cmd::conf_read);
  page.op.domain = 0;
  page.op.bus = bus;
  page.op.devfn = devfn;
  page.op.offset = offset;
  page.op.size = size;
  page.flags = flags;
  (void)be.on_event();
  return page.op;
}

struct World {
  sim::Xenstore xs;
  std::unique_ptr<sim::Connection> toolstack = xs.connect(0);
  std::unique_ptr<sim::Connection> backend_conn = xs.connect(0);
  std::unique_ptr<sim::Connection> guest = xs.connect(kGuest);
  FakeHost host;
  std::unique_ptr<BackendInstance> be;

  std::string get(const std::string& path) {
    std::string v;
    return toolstack->read(path, v) == StoreStatus::ok ? v : "<absent>";
  }
  void put(const std::string& path, const std::string& v) {
    REQUIRE(toolstack->write(kNoTx, path.c_str(), v.c_str()) == StoreStatus::ok);
  }
  // What libxl writes for a PV guest with these devices, then the backend driver starts.
  void create(const std::vector<std::string>& devs, Topology::Mode mode = Topology::Mode::vpci) {
    put(kBe + "/frontend", kFe);
    put(kBe + "/frontend-id", "1");
    put(kBe + "/online", "1");
    put(kBe + "/state", "1");
    put(kFe + "/backend", kBe);
    put(kFe + "/backend-id", "0");
    put(kFe + "/state", "1");
    toolstack->set_perms(kFe, sim::Perms{kGuest, sim::Perm::none, {{0, sim::Perm::read}}});
    toolstack->set_perms(kFe + "/state", sim::Perms{kGuest, sim::Perm::none, {{0, sim::Perm::read}}});
    for (size_t i = 0; i < devs.size(); ++i) {
      put(kBe + "/dev-" + std::to_string(i), devs[i]);
      put(kBe + "/opts-" + std::to_string(i), "msitranslate=0,power_mgmt=0,permissive=0,rdm_policy=strict");
      put(kBe + "/state-" + std::to_string(i), "1");
    }
    put(kBe + "/num_devs", std::to_string(devs.size()));
    be = std::make_unique<BackendInstance>(*backend_conn, host, kGuest, mode);
    REQUIRE(be->start() == StoreStatus::ok);
  }
  // What pcifront does: publish its page, channel and magic in one transaction, then Initialised.
  void frontend_publish(const char* magic = "7", const char* gref = "8") {
    TxId tx;
    REQUIRE(guest->begin(tx) == StoreStatus::ok);
    guest->write(tx, (kFe + "/pci-op-ref").c_str(), gref);
    guest->write(tx, (kFe + "/event-channel").c_str(), "5");
    guest->write(tx, (kFe + "/magic").c_str(), magic);
    REQUIRE(guest->commit(tx) == StoreStatus::ok);
    REQUIRE(guest->write(kNoTx, (kFe + "/state").c_str(), "3") == StoreStatus::ok);
  }
  void fe_state(const char* s) { REQUIRE(guest->write(kNoTx, (kFe + "/state").c_str(), s) == StoreStatus::ok); }

  // libxl's own sequences (sim/libxl.hpp), with the frontend's part played as Linux's pcifront
  // plays it: on Reconfiguring it removes the Closing devices and follows, then Connected.
  sim::Libxl libxl{*toolstack, kGuest};
  Store* be_store = nullptr;  // the backend's store, when a test interposes on it
  void libxl_create(const std::vector<Bdf>& devs) {
    for (size_t i = 0; i < devs.size(); ++i) {
      REQUIRE(libxl.add_device(devs[i], true) == StoreStatus::ok);
      if (i == 0) {  // the kernel probes the backend device as soon as its directory appears
        Store& st = be_store != nullptr ? *be_store : *backend_conn;
        be = std::make_unique<BackendInstance>(st, host, kGuest, Topology::Mode::vpci);
        REQUIRE(be->start() == StoreStatus::ok);
      }
    }
  }
  // libxl__initiate_device_generic_remove on a connected backend: online=0 and Closing, one transaction.
  void libxl_remove_backend() {
    TxId tx;
    REQUIRE(toolstack->begin(tx) == StoreStatus::ok);
    toolstack->write(tx, (kBe + "/online").c_str(), "0");
    toolstack->write(tx, (kBe + "/state").c_str(), "5");
    REQUIRE(toolstack->commit(tx) == StoreStatus::ok);
  }
  // A guest created with `devs` whose frontend connected.
  void libxl_connected(const std::vector<Bdf>& devs) {
    libxl_create(devs);
    frontend_publish();
    fe_state("4");
  }
  void reconfigure_round() {
    REQUIRE(get(kBe + "/state") == "7");
    fe_state("7");
    REQUIRE(get(kBe + "/state") == "8");
    fe_state("4");
    REQUIRE(get(kBe + "/state") == "4");
  }
  // A hot-plug at index n written key by key (so a test can garble one): each "prefix" -> value as
  // <prefix>-n, then num_devs n + 1 and Reconfiguring on both sides.
  void hotplug_keys(uint32_t n, const std::vector<std::pair<std::string, std::string>>& keys) {
    for (const auto& [prefix, value] : keys) put(kBe + "/" + prefix + "-" + std::to_string(n), value);
    put(kBe + "/num_devs", std::to_string(n + 1));
    put(kBe + "/state", "7");
    fe_state("7");
  }
  void libxl_attach(Bdf b) {
    REQUIRE(libxl.add_device(b, false) == StoreStatus::ok);
    reconfigure_round();
  }
  // libxl's detach of `b`, the frontend following into Reconfiguring (it removed b): b given back
  // and Reconfigured written; the frontend has not returned to Connected yet.
  void detach_round_open(Bdf b) {
    REQUIRE(libxl.remove_begin(b) == StoreStatus::ok);
    fe_state("7");
    REQUIRE(std::find(host.released.begin(), host.released.end(), b) != host.released.end());
    REQUIRE(get(kBe + "/state") == "8");
  }
  void libxl_detach(Bdf b) {
    REQUIRE(libxl.remove_begin(b) == StoreStatus::ok);
    reconfigure_round();
    REQUIRE(libxl.remove_finish(b) == StoreStatus::ok);
  }
  // The guest-visible address of `phys`, as the backend published it; -1 devfn when absent.
  int vdevfn_of(Bdf phys) {
    const int i = libxl.index_of(phys);
    if (i < 0) return -1;
    Bdf v;
    Text diag;
    if (!xs::parse_vdev("vdev", get(kBe + "/vdev-" + std::to_string(i)).c_str(), v, diag)) return -1;
    return v.devfn;
  }
};


// Whether any line the backend logged contains `part`.
inline bool logged(const World& w, const std::string& part) {
  for (const std::string& l : w.host.logs) {
    if (l.find(part) != std::string::npos) return true;
  }
  return false;
}

const Bdf kA = Bdf::make(0, 1, 0, 0), kB = Bdf::make(0, 2, 0, 0), kC = Bdf::make(0, 3, 0, 0),
          kD = Bdf::make(0, 4, 0, 0);

inline void add_four(World& w) {
  w.host.add(kA, "e1000e.lspci");
  w.host.add(kB, "nvme.lspci");
  w.host.add(kC, "virtio-net-modern.lspci");
  w.host.add(kD, "qemu-xhci.lspci");
}

}  // namespace pcisplit::test::instance_world
