// SPDX-License-Identifier: GPL-2.0-only
// The backend instance against the simulated xenstore, written to as libxl and Linux's pcifront do.
#include <fstream>
#include <functional>
#include <map>
#include <sstream>

#include "unit/backend/instance_world.hpp"

using namespace pcisplit;
using namespace pcisplit::test;
using namespace pcisplit::test::instance_world;

TEST_CASE("connect: InitWait, export and publish, then Connected once the frontend is Initialised", "[backend][xenbus]") {
  World w;
  w.host.add(Bdf::make(0, 1, 0, 0), "e1000e.lspci");
  w.create({"0000:01:00.0"});
  CHECK(w.get(kBe + "/state") == "3");  // Initialised: devices exported, waiting for the frontend
  CHECK(w.get(kBe + "/vdev-0") == "0000:00:00.00");
  CHECK(w.get(kBe + "/state-0") == "3");
  CHECK(w.get(kBe + "/root_num") == "1");
  CHECK(w.get(kBe + "/root-0") == "0000:00");
  w.frontend_publish();
  CHECK(w.get(kBe + "/state") == "4");
  CHECK(w.host.connects == 1);

  // One op through the page and the event channel.
  wire::SharedInfo& page = *w.host.page;
  post_read(*w.be, page, 0, 0, 0, 4, PCISPLIT_F_ACTIVE | PCISPLIT_B_AERHANDLER);
  CHECK(page.op.err == 0);
  CHECK(page.op.value == 0x10d38086);
  CHECK(page.flags == PCISPLIT_B_AERHANDLER);  // only the active bit cleared
  CHECK(w.host.notifies == 1);
  CHECK_FALSE(w.be->on_event());  // a spurious event: nothing posted, nothing answered
  CHECK(w.host.notifies == 1);
}

TEST_CASE("a wrong magic closes the backend with an error naming it", "[backend][xenbus]") {
  World w;
  w.host.add(Bdf::make(0, 1, 0, 0), "e1000e.lspci");
  w.create({"0000:01:00.0"});
  w.frontend_publish("8");
  CHECK(w.get(kBe + "/state") == "5");
  CHECK(w.get(kBe + "/error") == "xenstore key magic: malformed value \"8\", expected \"7\"");
  CHECK(w.host.connects == 0);
  CHECK(w.host.released.empty());  // Xen still assigns it to the guest: released when the backend goes
  w.be->stop();
  CHECK(w.host.released.size() == 1);
}

TEST_CASE("a grant the host cannot map (another domain's, revoked) closes the backend", "[backend][xenbus]") {
  World w;
  w.host.add(Bdf::make(0, 1, 0, 0), "e1000e.lspci");
  w.create({"0000:01:00.0"});
  w.frontend_publish("7", "99");
  CHECK(w.get(kBe + "/state") == "5");
  CHECK(w.get(kBe + "/error") == "backend: cannot map the frontend's page or bind its event channel");
}

TEST_CASE("garbled pci-op-ref is an error naming the key", "[backend][xenbus]") {
  World w;
  w.host.add(Bdf::make(0, 1, 0, 0), "e1000e.lspci");
  w.create({"0000:01:00.0"});
  w.frontend_publish("7", "8x");
  CHECK(w.get(kBe + "/state") == "5");
  CHECK(w.get(kBe + "/error").rfind("xenstore key pci-op-ref: malformed value \"8x\"", 0) == 0);
}

TEST_CASE("a garbled or unknown dev-N is refused alone, the other devices go on", "[backend][xenbus]") {
  World w;
  w.host.add(Bdf::make(0, 1, 0, 0), "e1000e.lspci");
  w.host.add(Bdf::make(0, 2, 0, 0), "pcie-root-port.lspci");
  w.create({"0000:01:00.0", "0000:01:00", "0000:07:00.0", "0000:02:00.0"});
  CHECK(w.get(kBe + "/state-0") == "3");
  CHECK(w.get(kBe + "/state-1") == "6");
  CHECK(w.get(kBe + "/error-1") == "xenstore key dev-1: malformed value \"0000:01:00\", expected DDDD:BB:DD.F");
  CHECK(w.get(kBe + "/state-2") == "6");
  CHECK(w.get(kBe + "/error-2") == "not owned by the backend");
  CHECK(w.get(kBe + "/state-3") == "6");  // a bridge on the virtual bus
  CHECK(w.get(kBe + "/error-3") == "bridges cannot be exported on the virtual PCI bus (use passthrough mode)");
  CHECK(w.host.released == std::vector<Bdf>{Bdf::make(0, 2, 0, 0)});
  CHECK(w.get(kBe + "/state") == "3");
}

TEST_CASE("hot-plug: state-N 1->3 and Reconfiguring->Reconfigured, then Connected", "[backend][xenbus]") {
  World w;
  w.host.add(Bdf::make(0, 1, 0, 0), "e1000e.lspci");
  w.host.add(Bdf::make(0, 2, 0, 0), "nvme.lspci");
  w.create({"0000:01:00.0"});
  w.frontend_publish();
  w.fe_state("4");
  // libxl: add the device, then ask for reconfiguration
  w.put(kBe + "/dev-1", "0000:02:00.0");
  w.put(kBe + "/state-1", "1");
  w.put(kBe + "/num_devs", "2");
  w.put(kBe + "/state", "7");
  CHECK(w.get(kBe + "/vdev-1") == "<absent>");  // nothing until the frontend follows
  w.fe_state("7");
  CHECK(w.get(kBe + "/vdev-1") == "0000:00:01.00");
  CHECK(w.get(kBe + "/state-1") == "3");
  CHECK(w.get(kBe + "/state") == "8");
  w.fe_state("4");
  CHECK(w.get(kBe + "/state") == "4");
}

TEST_CASE("hot-unplug: the device released, state-N and vdev-N left for the frontend and libxl", "[backend][xenbus]") {
  World w;
  w.host.add(Bdf::make(0, 1, 0, 0), "e1000e.lspci");
  w.host.add(Bdf::make(0, 2, 0, 0), "nvme.lspci");
  w.create({"0000:01:00.0", "0000:02:00.0"});
  w.frontend_publish();
  w.fe_state("4");
  w.put(kBe + "/state-0", "5");
  w.put(kBe + "/state", "7");
  w.fe_state("7");
  CHECK(w.get(kBe + "/state-0") == "5");
  CHECK(w.get(kBe + "/vdev-0") == "0000:00:00.00");
  CHECK(w.host.released == std::vector<Bdf>{Bdf::make(0, 1, 0, 0)});
  CHECK(w.get(kBe + "/state") == "8");
  // The guest can no longer reach it.
  CHECK(post_read(*w.be, *w.host.page, 0, 0, 0, 4).err == static_cast<int32_t>(Err::dev_not_found));
}

TEST_CASE("a backend directory without a frontend key is refused", "[backend][xenbus]") {
  World w;
  w.put(kBe + "/state", "1");
  w.put(kBe + "/num_devs", "0");
  auto be = std::make_unique<BackendInstance>(*w.backend_conn, w.host, kGuest, Topology::Mode::vpci);
  CHECK(be->start() == StoreStatus::invalid);
  CHECK(w.get(kBe + "/state") == "5");
  CHECK(w.get(kBe + "/error") == "backend: missing or relative \"frontend\" key");
}

TEST_CASE("release turns a dead guest's MSI-X off and resets the view before the host resets the function", "[backend][xenbus]") {
  World w;
  w.host.add(Bdf::make(0, 1, 0, 0), "nvme.lspci");
  w.create({"0000:01:00.0"});
  w.frontend_publish();
  wire::SharedInfo& page = *w.host.page;
  page.op.cmd = static_cast<uint32_t>(wire::Cmd::enable_msix);
  page.op.devfn = 0;
  page.op.value = 1;
  page.op.msix_entries[0].entry = 0;
  page.flags = PCISPLIT_F_ACTIVE;
  w.be->on_event();
  REQUIRE(page.op.err == 0);
  auto& dev = w.host.devices.begin()->second;
  dev.dev->view.write(0x10, 4, 0xffffffff);  // the guest left a BAR in sizing state
  w.fe_state("6");
  CHECK(dev.platform.calls.back() == std::string("disable_msix"));
  CHECK(dev.dev->view.read(0x10, 4).value() == dev.dev->hw.peek(0x10, 4));
}

namespace {
void aer_setup(World& w, uint32_t flags) {
  w.host.add(Bdf::make(0, 1, 0, 0), "e1000e.lspci");
  w.create({"0000:01:00.0"});
  w.frontend_publish();
  w.host.page->flags = flags;
}
}  // namespace

TEST_CASE("AER without a guest handler: aerState=aerfail and the guest is destroyed", "[backend][aer]") {
  World w;
  aer_setup(w, 0);
  CHECK(w.be->aer_post(Bdf::make(0, 1, 0, 0), wire::Cmd::aer_detected, 3) == BackendInstance::AerPost::no_handler);
  CHECK(w.be->aer_kill(Bdf::make(0, 1, 0, 0)));
  CHECK(w.get(kBe + "/aerState") == "aerfail");
  CHECK(w.host.destroyed == std::vector<uint16_t>{kGuest});
}

TEST_CASE("AER forwarded: the guest sees its own address, its answer decides", "[backend][aer]") {
  World w;
  aer_setup(w, PCISPLIT_B_AERHANDLER);
  wire::SharedInfo& page = *w.host.page;
  REQUIRE(w.be->aer_post(Bdf::make(0, 1, 0, 0), wire::Cmd::aer_detected, 2) == BackendInstance::AerPost::posted);
  CHECK((page.flags & PCISPLIT_B_ACTIVE) != 0);
  CHECK(page.aer_op.cmd == static_cast<uint32_t>(wire::Cmd::aer_detected));
  CHECK(page.aer_op.err == 2);
  CHECK(page.aer_op.bus == 0);
  CHECK(page.aer_op.devfn == 0);  // the virtual slot, not 01:00.0
  CHECK(w.be->aer_post(Bdf::make(0, 1, 0, 0), wire::Cmd::aer_detected, 2) == BackendInstance::AerPost::busy);  // one at a time
  CHECK_FALSE(w.be->aer_answered());
  page.aer_op.err = 5;  // PCI_ERS_RESULT_RECOVERED
  page.flags &= ~PCISPLIT_B_ACTIVE;
  CHECK(w.be->aer_answered());
  CHECK(w.be->aer_finish(false) == BackendInstance::AerResult::recovered);

  REQUIRE(w.be->aer_post(Bdf::make(0, 1, 0, 0), wire::Cmd::aer_detected, 3) == BackendInstance::AerPost::posted);
  page.aer_op.err = 4;  // DISCONNECT
  page.flags &= ~PCISPLIT_B_ACTIVE;
  CHECK(w.be->aer_finish(false) == BackendInstance::AerResult::disconnect);

  REQUIRE(w.be->aer_post(Bdf::make(0, 1, 0, 0), wire::Cmd::aer_detected, 3) == BackendInstance::AerPost::posted);
  CHECK(w.be->aer_finish(true) == BackendInstance::AerResult::none);  // timed out
  CHECK((page.flags & PCISPLIT_B_ACTIVE) == 0);
  REQUIRE(w.be->aer_post(Bdf::make(0, 1, 0, 0), wire::Cmd::aer_detected, 3) == BackendInstance::AerPost::posted);
  page.aer_op.err = 77;  // garbage is no answer
  page.flags &= ~PCISPLIT_B_ACTIVE;
  CHECK(w.be->aer_finish(false) == BackendInstance::AerResult::none);
  CHECK(w.be->aer_post(Bdf::make(0, 9, 0, 0), wire::Cmd::aer_detected, 3) == BackendInstance::AerPost::not_held);
}

TEST_CASE("passthrough mode: real addresses, one root per real bus, bridges allowed", "[backend][xenbus]") {
  World w;
  w.host.add(Bdf::make(0, 1, 0, 0), "e1000e.lspci");
  w.host.add(Bdf::make(0, 2, 0, 0), "pcie-root-port.lspci");
  w.create({"0000:01:00.0", "0000:02:00.0"}, Topology::Mode::passthrough);
  CHECK(w.get(kBe + "/vdev-0") == "0000:01:00.00");
  CHECK(w.get(kBe + "/vdev-1") == "0000:02:00.00");
  CHECK(w.get(kBe + "/root_num") == "2");
  CHECK(w.get(kBe + "/root-0") == "0000:01");
  CHECK(w.get(kBe + "/root-1") == "0000:02");
  w.frontend_publish();
  const wire::Op& op = post_read(*w.be, *w.host.page, 2, 0, 0, 2);
  CHECK(op.err == 0);
  CHECK(op.value == 0x1b36);  // the bridge, at its real address
}

TEST_CASE("missing magic, pci-op-ref or event-channel close the backend with the key named", "[backend][xenbus]") {
  struct Case {
    const char* drop;
    const char* error;
  };
  for (const Case& c : {Case{"magic", "frontend: missing magic"}, Case{"pci-op-ref", "frontend: missing pci-op-ref"},
                        Case{"event-channel", "frontend: missing event-channel"}}) {
    World w;
    w.host.add(Bdf::make(0, 1, 0, 0), "e1000e.lspci");
    w.create({"0000:01:00.0"});
    for (const char* key : {"pci-op-ref", "event-channel", "magic"}) {
      if (std::string(key) != c.drop) {
        REQUIRE(w.guest->write(kNoTx, (kFe + "/" + key).c_str(), std::string(key) == "magic" ? "7" : (std::string(key) == "pci-op-ref" ? "8" : "5")) == StoreStatus::ok);
      }
    }
    w.fe_state("3");
    INFO(c.drop);
    CHECK(w.get(kBe + "/state") == "5");
    CHECK(w.get(kBe + "/error") == c.error);
  }
}

TEST_CASE("a garbled event-channel is an error naming the key", "[backend][xenbus]") {
  World w;
  w.host.add(Bdf::make(0, 1, 0, 0), "e1000e.lspci");
  w.create({"0000:01:00.0"});
  REQUIRE(w.guest->write(kNoTx, (kFe + "/pci-op-ref").c_str(), "8") == StoreStatus::ok);
  REQUIRE(w.guest->write(kNoTx, (kFe + "/event-channel").c_str(), "-5") == StoreStatus::ok);
  REQUIRE(w.guest->write(kNoTx, (kFe + "/magic").c_str(), "7") == StoreStatus::ok);
  w.fe_state("3");
  CHECK(w.get(kBe + "/state") == "5");
  CHECK(w.get(kBe + "/error") == "xenstore key event-channel: malformed value \"-5\", expected an unsigned decimal number");
}

TEST_CASE("a backend directory the toolstack removed is never recreated", "[backend][xenbus]") {
  // libxl deletes backend and frontend directories when the last device is unplugged; a node written
  // back by the backend would hide the removal from the kernel's xenbus and break the next attach.
  World w;
  w.host.add(Bdf::make(0, 1, 0, 0), "e1000e.lspci");
  w.create({"0000:01:00.0"});
  w.frontend_publish();
  REQUIRE(w.get(kBe + "/state") == "4");
  REQUIRE(w.toolstack->remove(kNoTx, ("/local/domain/" + std::to_string(kGuest)).c_str()) == StoreStatus::ok);
  REQUIRE(w.toolstack->remove(kNoTx, kBe.c_str()) == StoreStatus::ok);
  w.be->watch_fired(kBe.c_str(), "be");
  CHECK(w.get(kBe) == "<absent>");
  CHECK(w.get(kBe + "/state") == "<absent>");
  w.be->stop();  // the kernel removes the xenbus device
  CHECK(w.get(kBe + "/state") == "<absent>");
  CHECK(w.be->state() == xs::State::closed);
  CHECK(w.host.released.size() == 1);  // the function still went back to dom0
}


TEST_CASE("a guest created with several devices, one libxl transaction each, gets all of them at connect",
          "[backend][xenbus][libxl]") {
  // libxl writes the first device with the backend, then each further device alone, without a
  // reconfiguration: the backend is already in InitWait or Initialised when they arrive.
  World w;
  add_four(w);
  w.libxl_create({kA, kB, kC});
  CHECK(w.get(kBe + "/state") == "3");
  for (int i = 0; i < 3; ++i) CHECK(w.get(kBe + "/state-" + std::to_string(i)) == "3");
  CHECK(w.get(kBe + "/vdev-2") == "0000:00:02.00");
  w.frontend_publish();
  CHECK(w.get(kBe + "/state") == "4");
  for (int devfn : {0, 8, 16}) CHECK(post_read(*w.be, *w.host.page, 0, devfn, 0, 2).err == 0);
}

TEST_CASE("H2: detach A then C after libxl renumbered releases A and C, never B", "[backend][xenbus][libxl]") {
  World w;
  add_four(w);
  w.libxl_connected({kA, kB, kC});
  const int vb = w.vdevfn_of(kB), vc = w.vdevfn_of(kC);
  w.libxl_detach(kA);  // B moves to index 0, C to 1
  CHECK(w.get(kBe + "/dev-0") == "0000:02:00.0");
  w.libxl_detach(kC);  // state-1=5: index 1 is C now
  CHECK(w.host.released == std::vector<Bdf>{kA, kC});
  CHECK(post_read(*w.be, *w.host.page, 0, vb, 0, 2).err == 0);
  CHECK(post_read(*w.be, *w.host.page, 0, vc, 0, 2).err == static_cast<int32_t>(Err::dev_not_found));
}

TEST_CASE("H2: detach A, attach C at the freed count, detach B: B's record survives and B is released",
          "[backend][xenbus][libxl]") {
  World w;
  add_four(w);
  w.libxl_connected({kA, kB});
  const int vb = w.vdevfn_of(kB);
  w.libxl_detach(kA);
  w.libxl_attach(kC);  // libxl puts it at num_devs = 1, where B's index used to be
  CHECK(w.get(kBe + "/dev-1") == "0000:03:00.0");
  CHECK(w.get(kBe + "/state-1") == "3");
  w.libxl_detach(kB);
  CHECK(w.host.released == std::vector<Bdf>{kA, kB});
  CHECK(post_read(*w.be, *w.host.page, 0, vb, 0, 2).err == static_cast<int32_t>(Err::dev_not_found));
  CHECK(post_read(*w.be, *w.host.page, 0, w.vdevfn_of(kC), 0, 2).err == 0);
  w.be->stop();
  CHECK(w.host.released == std::vector<Bdf>{kA, kB, kC});
}

TEST_CASE("detach first, last, attach, detach middle: the held set follows libxl's list exactly",
          "[backend][xenbus][libxl]") {
  World w;
  add_four(w);
  w.libxl_connected({kA, kB, kC});
  w.libxl_detach(kA);
  w.libxl_detach(kC);
  w.libxl_attach(kD);
  w.libxl_attach(kA);
  w.libxl_detach(kD);  // the middle one of B, D, A
  CHECK(w.host.released == std::vector<Bdf>{kA, kC, kD});
  CHECK(w.libxl.num_devs() == 2);
  for (Bdf b : {kB, kA}) CHECK(post_read(*w.be, *w.host.page, 0, w.vdevfn_of(b), 0, 2).err == 0);
  // Closing is left for the frontend to read; the backend never wrote Closed over it.
  CHECK(w.get(kBe + "/state-2") == "<absent>");
}

TEST_CASE("the backend leaves state-N Closing for the frontend: no jump to Closed", "[backend][xenbus][libxl]") {
  World w;
  add_four(w);
  w.libxl_connected({kA, kB});
  REQUIRE(w.libxl.remove_begin(kA) == StoreStatus::ok);
  CHECK(w.get(kBe + "/state-0") == "5");  // the backend waits for the frontend's Reconfiguring
  CHECK(w.host.released.empty());
  w.fe_state("7");
  CHECK(w.host.released == std::vector<Bdf>{kA});
  CHECK(w.get(kBe + "/state-0") == "5");
  CHECK(w.get(kBe + "/vdev-0") == "0000:00:00.00");  // libxl deletes it in its second transaction
}

TEST_CASE("a device the toolstack removed from the list without a reconfiguration is released",
          "[backend][xenbus][libxl]") {
  // Not a libxl 4.17 sequence (it stops before its second transaction when the backend does not
  // reach Connected); a toolstack that removes the keys anyway still gets the function back.
  World w;
  add_four(w);
  w.libxl_connected({kA, kB});
  REQUIRE(w.libxl.remove_begin(kA) == StoreStatus::ok);
  REQUIRE(w.libxl.remove_finish(kA) == StoreStatus::ok);
  CHECK(w.host.released == std::vector<Bdf>{kA});
}

TEST_CASE("a BDF listed twice is refused at its second index without touching the first", "[backend][xenbus]") {
  World w;
  add_four(w);
  w.create({"0000:01:00.0", "0000:01:00.0"});
  CHECK(w.get(kBe + "/state-0") == "3");
  CHECK(w.get(kBe + "/state-1") == "6");
  CHECK(w.get(kBe + "/error-1") == "device listed twice for this guest");
  CHECK(w.host.released.empty());
}

TEST_CASE("L5: a frontend that closes only disconnects, it can reconnect, stop() releases", "[backend][xenbus]") {
  World w;
  add_four(w);
  w.libxl_connected({kA, kB});
  w.fe_state("5");
  CHECK(w.get(kBe + "/state") == "5");
  w.fe_state("6");
  CHECK(w.get(kBe + "/state") == "3");  // Closed, then at once ready for the next frontend
  CHECK(w.host.released.empty());
  CHECK(w.host.disconnects >= 1);
  // The frontend module is loaded again.
  w.fe_state("1");
  CHECK(w.get(kBe + "/state") == "3");
  w.frontend_publish();
  CHECK(w.get(kBe + "/state") == "4");
  CHECK(w.host.connects == 2);
  CHECK(post_read(*w.be, *w.host.page, 0, w.vdevfn_of(kB), 0, 2).err == 0);
  w.be->stop();
  CHECK(w.host.released == std::vector<Bdf>{kA, kB});
}

TEST_CASE("L1: garbage in the frontend's state node is logged once and changes nothing", "[backend][xenbus]") {
  World w;
  add_four(w);
  w.libxl_connected({kA});
  const size_t logs = w.host.logs.size();
  for (int i = 0; i < 1000; ++i) {
    std::string garbage = "x";  // not "x" + to_string(i): g++-12 -O2 warns falsely there (-Wrestrict)
    garbage += std::to_string(i);
    w.fe_state(garbage.c_str());
  }
  CHECK(w.host.logs.size() == logs + 1);
  CHECK(w.be->malformed_frontend_states() == 1000);
  CHECK(w.get(kBe + "/state") == "4");
  CHECK(w.host.released.empty());
  CHECK(post_read(*w.be, *w.host.page, 0, 0, 0, 2).err == 0);
}

TEST_CASE("libxl's device removal (online=0, state=Closing) is answered with Closed, stop() releases",
          "[backend][xenbus][libxl]") {
  World w;
  add_four(w);
  w.libxl_connected({kA});
  w.libxl_remove_backend();
  CHECK(w.get(kBe + "/state") == "6");
  CHECK(w.host.disconnects >= 1);
  CHECK(w.host.released.empty());
  w.be->stop();
  CHECK(w.host.released == std::vector<Bdf>{kA});
}

namespace {
// The backend's store with a hook on reads inside a transaction: lets a test commit libxl's
// renumbering transaction in the middle of the backend's scan of the list.
class InterposedStore final : public Store {
 public:
  explicit InterposedStore(Store& inner) : inner_(inner) {}
  std::function<void(const char* path)> on_tx_read;
  std::function<void()> on_commit;  // after each of the backend's transactions committed
  StoreStatus read(TxId tx, const char* path, char* out, size_t cap) override {
    if (tx != kNoTx && on_tx_read) on_tx_read(path);
    if (tx != kNoTx && !deny_tx_read.empty() && deny_tx_read == path) return StoreStatus::denied;
    return inner_.read(tx, path, out, cap);
  }
  std::string deny_write;  // writes to this path are denied (a store failure) while it is set
  StoreStatus write(TxId tx, const char* path, const char* value) override {
    if (!deny_write.empty() && deny_write == path) return StoreStatus::denied;
    return inner_.write(tx, path, value);
  }
  StoreStatus remove(TxId tx, const char* path) override { return inner_.remove(tx, path); }
  bool deny_begin = false;  // every transaction refused (a store failure) while set
  std::string deny_tx_read;  // reads of this path inside a transaction fail (a store failure) while set
  StoreStatus begin(TxId& tx) override { return deny_begin ? StoreStatus::denied : inner_.begin(tx); }
  StoreStatus commit(TxId tx) override {
    const StoreStatus st = inner_.commit(tx);
    if (st == StoreStatus::ok && on_commit) on_commit();
    return st;
  }
  void abort(TxId tx) override { inner_.abort(tx); }
  StoreStatus watch(const char* path, const char* token, StoreWatcher* w) override { return inner_.watch(path, token, w); }
  StoreStatus unwatch(const char* path, const char* token) override { return inner_.unwatch(path, token); }

 private:
  Store& inner_;
};
}  // namespace

TEST_CASE("a function being added keeps its own options and outcome when libxl renumbers the list under it",
          "[backend][xenbus][libxl]") {
  World w;
  add_four(w);
  InterposedStore store(*w.backend_conn);
  w.be_store = &store;
  w.libxl_connected({kA, kB});
  REQUIRE(w.libxl.remove_begin(kA) == StoreStatus::ok);
  w.fe_state("7");  // the frontend removed A: given back
  REQUIRE(w.host.released == std::vector<Bdf>{kA});
  w.fe_state("4");  // Connected again: from here libxl may finish A's removal at any time
  REQUIRE(w.get(kBe + "/state") == "4");
  REQUIRE(w.libxl.add_device(kC, false, true) == StoreStatus::ok);  // index 2, permissive=1
  bool done = false;
  store.on_commit = [&] {  // right after the backend's read of the list: libxl's renumbering
    if (done) return;
    done = true;
    REQUIRE(w.libxl.remove_finish(kA) == StoreStatus::ok);
  };
  w.fe_state("7");
  REQUIRE(done);
  REQUIRE(w.libxl.index_of(kC) == 1);
  CHECK(w.host.devices[FakeHost::key(kC)].dev->view.policy().permissive);  // its own opts, not index 2's (gone)
  CHECK(w.get(kBe + "/state-1") == "3");  // the outcome where C is listed now
  CHECK(w.get(kBe + "/vdev-1") != "<absent>");
  CHECK(w.get(kBe + "/state-2") == "<absent>");  // nothing written at the stale index
  CHECK(w.get(kBe + "/vdev-2") == "<absent>");
  CHECK(logged(w, "0000:03:00.0 moved from index 2 to 1"));
  w.fe_state("4");
  CHECK(post_read(*w.be, *w.host.page, 0, w.vdevfn_of(kC), 0, 2).err == 0);
}

TEST_CASE("a refusal by index follows its entry when libxl renumbers the list under it", "[backend][xenbus][libxl]") {
  World w;
  add_four(w);
  InterposedStore store(*w.backend_conn);
  w.be_store = &store;
  w.libxl_connected({kA, kB});
  REQUIRE(w.libxl.remove_begin(kA) == StoreStatus::ok);
  w.fe_state("7");
  w.fe_state("4");
  REQUIRE(w.host.released == std::vector<Bdf>{kA});
  REQUIRE(w.libxl.add_device(kC, false) == StoreStatus::ok);  // index 2, then garbled
  REQUIRE(w.libxl.add_device(kD, false) == StoreStatus::ok);  // index 3
  w.put(kBe + "/dev-2", "0000:03:00");
  bool done = false;
  store.on_commit = [&] {
    if (done) return;
    done = true;
    REQUIRE(w.libxl.remove_finish(kA) == StoreStatus::ok);  // the garbled entry moves to 1, D to 2
  };
  w.fe_state("7");
  REQUIRE(done);
  CHECK(w.get(kBe + "/state-1") == "6");  // the garbled entry, refused where it is now
  CHECK(w.get(kBe + "/error-1") != "<absent>");  // (its reason is read again: whatever index 2 holds now)
  CHECK(w.get(kBe + "/state-2") == "3");  // D, exported where it is now
  CHECK(w.get(kBe + "/error-2") == "<absent>");
  CHECK(w.be->topology().find_phys(kD) >= 0);
  w.fe_state("4");
  CHECK(post_read(*w.be, *w.host.page, 0, w.vdevfn_of(kD), 0, 2).err == 0);
  CHECK(w.be->topology().find_phys(kD) >= 0);
}

TEST_CASE("an outcome the store failed to take is written again at the next look at the list",
          "[backend][xenbus][libxl]") {
  World w;
  add_four(w);
  InterposedStore store(*w.backend_conn);
  w.be_store = &store;
  w.libxl_connected({kA});
  store.deny_write = kBe + "/vdev-1";
  w.libxl_attach(kB);
  CHECK(logged(w, "cannot write the outcome for 0000:02:00.0: permission denied"));
  CHECK(w.get(kBe + "/state-1") == "1");  // nothing half-written
  CHECK(w.get(kBe + "/vdev-1") == "<absent>");
  store.deny_write.clear();
  w.libxl_attach(kC);  // the next reconfiguration
  CHECK(w.get(kBe + "/state-1") == "3");
  CHECK(w.vdevfn_of(kB) >= 0);
  CHECK(post_read(*w.be, *w.host.page, 0, w.vdevfn_of(kB), 0, 2).err == 0);
  CHECK(w.get(kBe + "/state-2") == "3");
}

TEST_CASE("an outcome for a function no index lists any more is not written anywhere", "[backend][xenbus][libxl]") {
  World w;
  add_four(w);
  InterposedStore store(*w.backend_conn);
  w.be_store = &store;
  w.libxl_connected({kA});
  REQUIRE(w.libxl.add_device(kB, false) == StoreStatus::ok);  // index 1
  bool done = false;
  store.on_commit = [&] {  // the toolstack drops index 1 again (num_devs back to 1) after the read
    if (done) return;
    done = true;
    for (const char* k : {"/dev-1", "/opts-1", "/state-1", "/key-1"}) (void)w.toolstack->remove(kNoTx, (kBe + k).c_str());
    w.put(kBe + "/num_devs", "1");
  };
  w.fe_state("7");
  REQUIRE(done);
  CHECK(w.get(kBe + "/state-1") == "<absent>");
  CHECK(w.get(kBe + "/vdev-1") == "<absent>");
  CHECK(logged(w, "0000:02:00.0 left the device list before its outcome was written"));
  w.fe_state("4");  // the next look at the list gives B back
  CHECK(w.host.released == std::vector<Bdf>{kB});
}

TEST_CASE("libxl's renumbering committed in the middle of the backend's scan releases nothing still attached",
          "[backend][xenbus][libxl]") {
  World w;
  add_four(w);
  InterposedStore store(*w.backend_conn);
  w.be_store = &store;
  w.libxl_connected({kA, kB});
  REQUIRE(w.libxl.remove_begin(kA) == StoreStatus::ok);
  w.fe_state("7");
  REQUIRE(w.host.released == std::vector<Bdf>{kA});
  bool done = false;
  store.on_tx_read = [&](const char* path) {  // libxl, polling for state 4, commits while we scan
    if (!done && std::string(path) == kBe + "/state-1") {
      done = true;
      REQUIRE(w.libxl.remove_finish(kA) == StoreStatus::ok);
    }
  };
  w.fe_state("4");
  CHECK(done);
  CHECK(w.get(kBe + "/dev-0") == "0000:02:00.0");
  CHECK(w.host.released == std::vector<Bdf>{kA});  // B is still the guest's
  CHECK(post_read(*w.be, *w.host.page, 0, w.vdevfn_of(kB), 0, 2).err == 0);
}

TEST_CASE("a refused duplicate (state-N Closed) does not take the original with it at the next reconfiguration",
          "[backend][xenbus][libxl]") {
  World w;
  add_four(w);
  w.libxl_connected({kA});
  REQUIRE(w.libxl.add_device(kA, false) == StoreStatus::ok);  // the same function again
  w.reconfigure_round();
  CHECK(w.get(kBe + "/state-1") == "6");
  w.libxl_attach(kB);  // any later reconfiguration
  CHECK(w.host.released.empty());
  CHECK(post_read(*w.be, *w.host.page, 0, w.vdevfn_of(kA), 0, 2).err == 0);
}

TEST_CASE("an unreadable num_devs closes the backend once, it does not restart in a loop", "[backend][xenbus]") {
  World w;
  w.host.add(kA, "e1000e.lspci");
  w.create({"0000:01:00.0"});
  w.put(kBe + "/num_devs", "999");
  w.fe_state("1");  // a frontend still Initialising
  CHECK(w.get(kBe + "/state") == "5");
  const size_t logs = w.host.logs.size();
  w.fe_state("2");
  CHECK(w.get(kBe + "/state") == "5");
  CHECK(w.host.logs.size() == logs);
}

TEST_CASE("libxl's removal request is served while the frontend's state node holds garbage", "[backend][xenbus][libxl]") {
  World w;
  add_four(w);
  w.libxl_connected({kA});
  w.fe_state("garbage");
  w.libxl_remove_backend();
  CHECK(w.get(kBe + "/state") == "6");
}

TEST_CASE("a detach the frontend ignores is forced after the grace time, nothing else is touched",
          "[backend][xenbus][libxl]") {
  // libxl waits 10 s for Connected, then deassigns the function and lists it as assignable: the
  // guest must not keep reaching it through this backend.
  World w;
  add_four(w);
  w.libxl_connected({kA, kB});
  REQUIRE(w.libxl.remove_begin(kA) == StoreStatus::ok);  // the frontend stays Connected
  CHECK(w.host.timers == std::vector<uint32_t>{BackendInstance::kDetachGraceMs});
  CHECK(w.host.released.empty());
  w.be->timer_fired();
  CHECK(w.host.released == std::vector<Bdf>{kA});
  CHECK(post_read(*w.be, *w.host.page, 0, w.vdevfn_of(kA), 0, 2).err == static_cast<int32_t>(Err::dev_not_found));
  CHECK(post_read(*w.be, *w.host.page, 0, w.vdevfn_of(kB), 0, 2).err == 0);
  w.be->timer_fired();  // a stale timer does nothing
  CHECK(w.host.released == std::vector<Bdf>{kA});
}

TEST_CASE("a detach the frontend follows in time is not forced", "[backend][xenbus][libxl]") {
  World w;
  add_four(w);
  w.libxl_connected({kA, kB});
  REQUIRE(w.libxl.remove_begin(kA) == StoreStatus::ok);
  w.reconfigure_round();
  REQUIRE(w.libxl.remove_finish(kA) == StoreStatus::ok);
  w.be->timer_fired();
  CHECK(w.host.released == std::vector<Bdf>{kA});
  CHECK(post_read(*w.be, *w.host.page, 0, w.vdevfn_of(kB), 0, 2).err == 0);
}

namespace {
// One entry of test/data/libxl-pci-xenstore.log's section 1 (xenstored's trace): who wrote, and the
// requests of one transaction (or one request alone), paths with BE/FE expanded.
struct TraceEntry {
  std::string step, who;
  struct Req {
    enum { write, rm, mkdir } op;
    std::string path, value;
  };
  std::vector<Req> reqs;
};

std::vector<TraceEntry> read_trace() {
  std::ifstream in(data_path("libxl-pci-xenstore.log"));
  REQUIRE(in.good());
  std::vector<TraceEntry> out;
  std::string line, step;
  bool in_section = false, in_tx = false;
  auto expand = [](std::string p) {
    if (p.rfind("BE", 0) == 0) return kBe + p.substr(2);
    if (p.rfind("FE", 0) == 0) return kFe + p.substr(2);
    return p;
  };
  auto parse_req = [&](std::string r) {
    TraceEntry::Req q{TraceEntry::Req::write, "", ""};
    if (r.rfind("RM ", 0) == 0) return TraceEntry::Req{TraceEntry::Req::rm, expand(r.substr(3)), ""};
    if (r.rfind("MKDIR ", 0) == 0) return TraceEntry::Req{TraceEntry::Req::mkdir, expand(r.substr(6)), ""};
    const size_t eq = r.find(" = \"");
    REQUIRE(eq != std::string::npos);
    q.path = expand(r.substr(0, eq));
    q.value = r.substr(eq + 4, r.size() - eq - 5);
    return q;
  };
  while (std::getline(in, line)) {
    if (line.rfind("# ==== 1.", 0) == 0) in_section = true;
    else if (line.rfind("# ==== 2.", 0) == 0) break;
    if (!in_section || line.empty()) continue;
    if (line.rfind("# ---- ", 0) == 0) {
      step = line.substr(7, line.find(':') - 7);
      continue;
    }
    if (line[0] == '#') continue;
    if (in_tx) {
      if (line == "}") in_tx = false;
      else out.back().reqs.push_back(parse_req(line.substr(2)));
      continue;
    }
    std::istringstream words(line);
    TraceEntry e;
    e.step = step;
    words >> e.who;
    std::string rest;
    std::getline(words, rest);
    rest = rest.substr(rest.find_first_not_of(' '));
    out.push_back(e);
    if (rest == "transaction {") in_tx = true;
    else out.back().reqs.push_back(parse_req(rest));
  }
  return out;
}
}  // namespace

TEST_CASE("libxl's recorded sequence (test/data/libxl-pci-xenstore.log) replayed: the backend follows it step by step",
          "[backend][xenbus][libxl]") {
  // The toolstack's and Linux's frontend's writes exactly as xenstored saw them with Linux's pair;
  // our backend answers with its own writes (the recorded backend lines are Linux's and are skipped).
  const std::vector<TraceEntry> trace = read_trace();
  REQUIRE(trace.size() > 20);
  const Bdf s4 = Bdf::make(0, 0, 4, 0), s5 = Bdf::make(0, 0, 5, 0), s6 = Bdf::make(0, 0, 6, 0),
            s70 = Bdf::make(0, 0, 7, 0), s71 = Bdf::make(0, 0, 7, 1);
  World w;
  w.host.add(s4, "e1000e.lspci");
  w.host.add(s5, "nvme.lspci");
  w.host.add(s6, "e1000.lspci");
  w.host.add(s70, "ich9-ahci.lspci");
  w.host.add(s71, "ich9-intel-hda.lspci");
  // Step -> what libxl believes the guest holds once the step is over, and what went back to dom0.
  const std::map<std::string, std::pair<std::vector<Bdf>, std::vector<Bdf>>> expect = {
      {"multi-create", {{s4, s70, s5, s71, s6}, {}}},
      {"detach-first", {{s70, s5, s71, s6}, {s4}}},
      {"detach-last", {{s70, s5, s71}, {s4, s6}}},
      {"reattach-first", {{s70, s5, s71, s4}, {s4, s6}}},
      {"detach-middle", {{s70, s71, s4}, {s4, s6, s5}}},
      {"frontend-reconnect", {{s70, s71, s4}, {s4, s6, s5}}},
  };
  auto check_step = [&](const std::string& step) {
    INFO("after step " << step);
    const auto it = expect.find(step);
    if (it == expect.end()) return;
    CHECK(w.host.released == it->second.second);
    for (Bdf b : it->second.first) {
      const int i = w.libxl.index_of(b);
      REQUIRE(i >= 0);
      INFO("dev-" << i);
      CHECK(w.get(kBe + "/state-" + std::to_string(i)) == "3");
      if (step != "frontend-reconnect") CHECK(post_read(*w.be, *w.host.page, 0, w.vdevfn_of(b), 0, 2).err == 0);
    }
  };
  std::string step = trace.front().step;
  for (const TraceEntry& e : trace) {
    if (e.step != step) {
      check_step(step);
      step = e.step;
    }
    if (e.who == "backend") continue;
    sim::Connection& conn = e.who == "libxl" ? *w.toolstack : *w.guest;
    TxId tx = kNoTx;
    REQUIRE(conn.begin(tx) == StoreStatus::ok);
    for (const TraceEntry::Req& r : e.reqs) {
      if (r.op == TraceEntry::Req::rm) (void)conn.remove(tx, r.path.c_str());
      else if (r.op == TraceEntry::Req::mkdir) (void)conn.write(tx, r.path.c_str(), "");
      else (void)conn.write(tx, r.path.c_str(), r.value.c_str());
      // The frontend's grant and port as recorded are what the host maps.
      if (r.path == kFe + "/pci-op-ref") w.host.grant = static_cast<uint32_t>(std::stoul(r.value));
      if (r.path == kFe + "/event-channel") w.host.port = static_cast<uint32_t>(std::stoul(r.value));
    }
    const bool creates = e.reqs.size() > 1 && e.reqs[1].op == TraceEntry::Req::mkdir;
    if (creates) {
      // libxl sets the directories' permissions inside this transaction; the simulator cannot.
      REQUIRE(conn.commit(tx) == StoreStatus::ok);
      w.toolstack->set_perms(kBe, sim::Perms{0, sim::Perm::none, {{kGuest, sim::Perm::read}}});
      w.toolstack->set_perms(kFe, sim::Perms{kGuest, sim::Perm::none, {{0, sim::Perm::read}}});
      for (const char* k : {"/backend", "/backend-id", "/state"}) {
        w.toolstack->set_perms(kFe + k, sim::Perms{kGuest, sim::Perm::none, {{0, sim::Perm::read}}});
      }
    } else {
      REQUIRE(conn.commit(tx) == StoreStatus::ok);
    }
    if (!w.be) {  // dom0's kernel probes the backend device once its directory exists
      w.be = std::make_unique<BackendInstance>(*w.backend_conn, w.host, kGuest, Topology::Mode::vpci);
      REQUIRE(w.be->start() == StoreStatus::ok);
    }
  }
  check_step(step);
  // The recorded frontend came back, saw Linux's backend still Closed and closed again: ours is
  // ready for the next one (Initialised) and keeps the functions the guest still holds until the
  // toolstack removes the backend (xl destroy).
  CHECK(w.get(kBe + "/state") == "3");
  w.be->stop();
  CHECK(w.host.released.size() == 6);
}

// Found in the lab (boot aer, aer-forward with our backend): a guest our backend shut down after an
// AER was destroyed by xl, libxl's detach request got no state 4 within its 10 s (the dead frontend
// cannot follow), libxl removed the guest's home and left this directory: the function stayed held,
// and the next guest was refused it ("already assigned to domain 1").
TEST_CASE("a destroyed guest (home removed and backend directory left with state-N Closing) gets its functions released",
          "[backend][xenbus][libxl]") {
  World w;
  add_four(w);
  w.libxl_connected({kA, kB});
  REQUIRE(w.libxl.remove_begin(kA) == StoreStatus::ok);  // libxl's detach at destroy: nobody follows
  CHECK(w.host.released.empty());
  REQUIRE(w.toolstack->remove(kNoTx, "/local/domain/1") == StoreStatus::ok);
  CHECK(w.host.released == std::vector<Bdf>{kA, kB});
  CHECK(w.get(kBe + "/state") == "6");
  w.be->timer_fired();  // the forced-detach timer armed by libxl's request finds nothing to take
  CHECK(w.host.released == std::vector<Bdf>{kA, kB});
  w.be->stop();  // the kernel's device, if it ever goes, releases nothing twice
  CHECK(w.host.released == std::vector<Bdf>{kA, kB});
}

TEST_CASE("a live guest that deletes its own frontend state node only disconnects: its functions stay held",
          "[backend][xenbus]") {
  World w;
  add_four(w);
  w.libxl_connected({kA});
  REQUIRE(w.guest->remove(kNoTx, (kFe + "/state").c_str()) == StoreStatus::ok);
  CHECK(w.get(kBe + "/state") == "6");
  CHECK(w.host.disconnects >= 1);
  CHECK(w.host.released.empty());  // its home (dom0's node) is still there: Xen still assigns them
  w.be->stop();
  CHECK(w.host.released == std::vector<Bdf>{kA});
}

TEST_CASE("a guest that deleted its own frontend state node and is then destroyed: released at @releaseDomain",
          "[backend][xenbus][libxl]") {
  World w;
  add_four(w);
  w.libxl_connected({kA});
  REQUIRE(w.guest->remove(kNoTx, (kFe + "/state").c_str()) == StoreStatus::ok);
  REQUIRE(w.host.released.empty());  // only a disconnect while its home is there
  REQUIRE(w.toolstack->remove(kNoTx, "/local/domain/1") == StoreStatus::ok);
  w.xs.release_domain(kGuest);  // Xen released the domain: xenstored fires @releaseDomain
  CHECK(w.host.released == std::vector<Bdf>{kA});
}

TEST_CASE("AER outstanding when the guest is destroyed: answered with none, nobody shut down", "[backend][aer]") {
  World w;
  aer_setup(w, PCISPLIT_B_AERHANDLER);
  const Bdf f = Bdf::make(0, 1, 0, 0);
  REQUIRE(w.be->aer_post(f, wire::Cmd::aer_detected, 3) == BackendInstance::AerPost::posted);
  CHECK_FALSE(w.be->aer_answered());
  REQUIRE(w.toolstack->remove(kNoTx, "/local/domain/1") == StoreStatus::ok);
  REQUIRE(w.host.released == std::vector<Bdf>{f});
  CHECK(w.be->aer_answered());  // the glue's wait ends now, not after 300 s
  CHECK(w.be->aer_finish(false) == BackendInstance::AerResult::none);
  CHECK_FALSE(w.be->aer_kill(f));  // the function may be another guest's by now
  CHECK(w.host.destroyed.empty());
  CHECK(w.get(kBe + "/aerState") == "<absent>");
}

// Found by the lab's evil frontend (evil-xs-garbage): after one handshake with a bad key the backend
// stayed Closed for good, so the guest could never connect again, even with good keys.
TEST_CASE("a frontend refused for a bad key may start over and connect with good keys", "[backend][xenbus]") {
  World w;
  w.host.add(Bdf::make(0, 1, 0, 0), "e1000e.lspci");
  w.create({"0000:01:00.0"});
  w.frontend_publish("8");  // wrong magic
  REQUIRE(w.get(kBe + "/state") == "5");
  w.fe_state("6");
  CHECK(w.get(kBe + "/state") == "3");  // Closed, then at once ready for the next attempt
  w.fe_state("1");
  w.frontend_publish("7");
  CHECK(w.get(kBe + "/state") == "4");
  CHECK(w.host.connects == 1);
  CHECK(post_read(*w.be, *w.host.page, 0, 0, 0, 2).err == 0);
  CHECK(w.host.released.empty());
}

TEST_CASE("a dev-N too long or a state-N malformed on a device being added is refused alone, naming the key",
          "[backend][xenbus]") {
  World w;
  add_four(w);
  w.create({"0000:01:00.0", std::string(120, '0'), "0000:02:00.0"});
  CHECK(w.get(kBe + "/state-0") == "3");
  CHECK(w.get(kBe + "/state-1") == "6");
  CHECK(w.get(kBe + "/error-1") == "xenstore key dev-1: value too long");
  CHECK(w.get(kBe + "/state-2") == "3");
  CHECK(w.host.released.empty());
  w.frontend_publish();
  w.fe_state("4");
  w.hotplug_keys(3, {{"dev", "0000:03:00.0"}, {"state", "1x"}});  // a garbled state-3
  CHECK(w.get(kBe + "/state-3") == "6");
  CHECK(w.get(kBe + "/error-3").rfind("xenstore key state-3: malformed value \"1x\"", 0) == 0);
  CHECK(w.get(kBe + "/vdev-3") == "<absent>");
  CHECK(w.host.released.empty());
}

TEST_CASE("a garbled state-N keeps its function, and no function leaves the guest while the list has such a key",
          "[backend][xenbus][libxl]") {
  World w;
  add_four(w);
  w.libxl_connected({kA, kB, kC});
  w.put(kBe + "/state-1", "4x");  // B's state-N garbled by the toolstack
  // A removed from the list without a reconfiguration (as in the test above that releases it)
  REQUIRE(w.libxl.remove_begin(kA) == StoreStatus::ok);
  REQUIRE(w.libxl.remove_finish(kA) == StoreStatus::ok);
  CHECK(w.host.released.empty());
  CHECK(logged(w, "device 0: xenstore key state-0: malformed value \"4x\""));  // B, renumbered to 0
  CHECK(logged(w, "0000:01:00.0 not released: the device list has keys it cannot use"));
  CHECK(w.be->topology().find_phys(kB) >= 0);
  // fixed: the next look at the list gives A back, B and C stay
  w.put(kBe + "/state-" + std::to_string(w.libxl.index_of(kB)), "4");
  CHECK(w.host.released == std::vector<Bdf>{kA});
  CHECK(w.be->topology().find_phys(kB) >= 0);
  CHECK(w.be->topology().find_phys(kC) >= 0);
}

TEST_CASE("a detach libxl asks for is served while another index has a garbled state-N", "[backend][xenbus][libxl]") {
  World w;
  add_four(w);
  w.libxl_connected({kA, kB});
  w.put(kBe + "/state-0", "4 ");  // A's
  w.libxl_detach(kB);
  CHECK(w.host.released == std::vector<Bdf>{kB});
  CHECK(w.be->topology().find_phys(kA) >= 0);
}

TEST_CASE("an unreadable opts-N refuses its device instead of dropping its options", "[backend][xenbus]") {
  World w;
  add_four(w);
  w.create({"0000:01:00.0"});
  w.frontend_publish();
  w.fe_state("4");
  w.hotplug_keys(1, {{"dev", "0000:02:00.0"}, {"opts", "permissive=1," + std::string(100, 'x')}, {"state", "1"}});
  CHECK(w.get(kBe + "/state-1") == "6");
  CHECK(w.get(kBe + "/error-1") == "xenstore key opts-1: value too long");
  CHECK(w.be->topology().find_phys(kB) < 0);
}

TEST_CASE("a frontend that closes with a detach pending loses the function and does not get it back",
          "[backend][xenbus][libxl]") {
  World w;
  add_four(w);
  w.libxl_connected({kA, kB});
  const int va = w.vdevfn_of(kA), vb = w.vdevfn_of(kB);
  REQUIRE(w.libxl.remove_begin(kA) == StoreStatus::ok);
  w.fe_state("6");  // closes instead of following the detach
  CHECK(w.host.released == std::vector<Bdf>{kA});
  CHECK(logged(w, "the frontend closed with a detach pending"));
  w.fe_state("1");  // and comes back
  w.frontend_publish();
  REQUIRE(w.get(kBe + "/state") == "4");
  CHECK(post_read(*w.be, *w.host.page, 0, va, 0, 2).err == static_cast<int32_t>(Err::dev_not_found));
  CHECK(post_read(*w.be, *w.host.page, 0, vb, 0, 2).err == 0);
  CHECK(w.host.released == std::vector<Bdf>{kA});
}

TEST_CASE("a detach libxl asks for before the frontend connects is served before it connects",
          "[backend][xenbus][libxl]") {
  World w;
  add_four(w);
  w.libxl_create({kA, kB});
  REQUIRE(w.get(kBe + "/state") == "3");
  const int va = w.vdevfn_of(kA);
  REQUIRE(w.libxl.remove_begin(kA) == StoreStatus::ok);
  CHECK(w.host.released == std::vector<Bdf>{kA});
  w.frontend_publish();
  REQUIRE(w.get(kBe + "/state") == "4");
  CHECK(post_read(*w.be, *w.host.page, 0, va, 0, 2).err == static_cast<int32_t>(Err::dev_not_found));
}

TEST_CASE("a detach libxl asks for while the frontend is in Reconfiguring waits for a round of its own",
          "[backend][xenbus][libxl]") {
  World w;
  add_four(w);
  w.libxl_connected({kA, kB});
  w.detach_round_open(kA);  // A given back, Reconfigured written, the round still open
  REQUIRE(w.libxl.remove_begin(kB) == StoreStatus::ok);  // a second xl pci-detach that did not wait
  CHECK(w.host.released == std::vector<Bdf>{kA});         // B is still in the guest
  w.fe_state("4");  // rescanned, back in Connected
  CHECK(w.get(kBe + "/state") == "7");  // not Connected, which would end libxl's wait: a round for B
  CHECK(w.host.released == std::vector<Bdf>{kA});
  w.fe_state("7");  // it removes B and follows
  CHECK(w.host.released == std::vector<Bdf>{kA, kB});
  CHECK(w.get(kBe + "/state") == "8");
  w.fe_state("4");
  CHECK(w.get(kBe + "/state") == "4");
}

TEST_CASE("an attach libxl asks for during a round gets a round of its own", "[backend][xenbus][libxl]") {
  World w;
  add_four(w);
  w.libxl_connected({kA, kB});
  w.detach_round_open(kA);  // A given back, Reconfigured written, the round still open
  REQUIRE(w.libxl.add_device(kC, false) == StoreStatus::ok);  // Reconfiguring again, C Initialising
  w.fe_state("4");
  CHECK(w.get(kBe + "/state") == "7");
  w.fe_state("7");
  CHECK(w.get(kBe + "/state") == "8");
  CHECK(w.be->topology().find_phys(kC) >= 0);
  w.fe_state("4");
  CHECK(w.get(kBe + "/state") == "4");
  CHECK(post_read(*w.be, *w.host.page, 0, w.vdevfn_of(kC), 0, 2).err == 0);
}

TEST_CASE("libxl's Reconfiguring written over our Reconfigured before the frontend read it does not hang the round",
          "[backend][xenbus][libxl]") {
  World w;
  add_four(w);
  w.libxl_connected({kA, kB});
  w.detach_round_open(kA);  // A given back, Reconfigured written, the round still open
  REQUIRE(w.libxl.remove_begin(kB) == StoreStatus::ok);  // 7 over our 8; the frontend only ever reads 7
  w.fe_state("7");                                      // its watch fires again: still Reconfiguring
  CHECK(w.get(kBe + "/state") == "8");                  // Reconfigured again, so it can return
  CHECK(w.host.released == std::vector<Bdf>{kA});       // and B waits for its own round
  w.fe_state("4");
  CHECK(w.get(kBe + "/state") == "7");
  w.fe_state("7");
  CHECK(w.host.released == std::vector<Bdf>{kA, kB});
  w.fe_state("4");
  CHECK(w.get(kBe + "/state") == "4");
}

TEST_CASE("a detach asked for during a round is forced when the frontend stays in Reconfiguring",
          "[backend][xenbus][libxl]") {
  // Our Reconfigured never brings such a frontend back to Connected, so the round that would serve
  // B never starts: the timer must run all the same, or the guest keeps B after libxl gave it back.
  World w;
  add_four(w);
  w.libxl_connected({kA, kB});
  w.detach_round_open(kA);  // A given back, Reconfigured written, the round still open
  w.host.timers.clear();
  REQUIRE(w.libxl.remove_begin(kB) == StoreStatus::ok);  // 7 over our 8; the frontend never leaves 7
  w.fe_state("7");
  CHECK(w.get(kBe + "/state") == "8");
  CHECK(w.host.timers == std::vector<uint32_t>{BackendInstance::kDetachGraceMs});
  CHECK(w.host.released == std::vector<Bdf>{kA});
  w.be->timer_fired();
  CHECK(w.host.released == std::vector<Bdf>{kA, kB});
  CHECK(post_read(*w.be, *w.host.page, 0, w.vdevfn_of(kB), 0, 2).err == static_cast<int32_t>(Err::dev_not_found));
}

TEST_CASE("the detach timer keeps running across the rounds a detach waits for, and stops once it is served",
          "[backend][xenbus][libxl]") {
  World w;
  add_four(w);
  w.libxl_connected({kA, kB});
  w.detach_round_open(kA);  // A given back, Reconfigured written, the round still open
  w.host.timers.clear();
  REQUIRE(w.libxl.remove_begin(kB) == StoreStatus::ok);
  w.fe_state("4");  // Linux's pcifront: back to Connected, then the round for B
  REQUIRE(w.get(kBe + "/state") == "7");
  CHECK(w.host.timers == std::vector<uint32_t>{BackendInstance::kDetachGraceMs});  // armed once, not again
  w.fe_state("7");
  REQUIRE(w.host.released == std::vector<Bdf>{kA, kB});
  w.be->timer_fired();  // served in time: the timer finds nothing to do
  CHECK(w.host.released == std::vector<Bdf>{kA, kB});
  w.fe_state("4");
  CHECK(w.get(kBe + "/state") == "4");
}

TEST_CASE("a list that cannot be read at the end of a round gets one more round, not Connected",
          "[backend][xenbus][libxl]") {
  World w;
  add_four(w);
  InterposedStore store(*w.backend_conn);
  w.be_store = &store;
  w.libxl_connected({kA, kB});
  w.detach_round_open(kA);  // A given back, Reconfigured written, the round still open
  REQUIRE(w.libxl.remove_begin(kB) == StoreStatus::ok);  // lands before the frontend read our 8
  w.fe_state("7");
  REQUIRE(w.get(kBe + "/state") == "8");
  store.deny_tx_read = kBe + "/num_devs";
  w.fe_state("4");
  CHECK(w.get(kBe + "/state") == "7");  // not Connected: B's request would be lost
  CHECK(logged(w, "cannot read the device list to end the round; one more round"));
  store.deny_tx_read.clear();
  w.fe_state("7");  // the frontend removes B and follows
  CHECK(w.host.released == std::vector<Bdf>{kA, kB});
  w.fe_state("4");
  CHECK(w.get(kBe + "/state") == "4");
}

TEST_CASE("a detach timer that fires after libxl removed the backend directory does nothing",
          "[backend][xenbus][libxl]") {
  World w;
  add_four(w);
  w.libxl_connected({kA, kB});
  REQUIRE(w.libxl.remove_begin(kA) == StoreStatus::ok);  // the frontend stays Connected: the timer runs
  REQUIRE(w.host.timers == std::vector<uint32_t>{BackendInstance::kDetachGraceMs});
  const size_t logs = w.host.logs.size();
  REQUIRE(w.toolstack->remove(kNoTx, kBe.c_str()) == StoreStatus::ok);
  w.be->timer_fired();
  CHECK(w.host.released.empty());
  CHECK(w.host.logs.size() == logs);  // no "missing num_devs", no fatal()
}

TEST_CASE("a function libxl detaches before its export's outcome is written is not kept exported",
          "[backend][xenbus][libxl]") {
  World w;
  add_four(w);
  w.libxl_connected({kA});
  REQUIRE(w.libxl.add_device(kC, false) == StoreStatus::ok);  // index 1, Initialising; Reconfiguring
  bool done = false;
  w.host.on_unlock = [&] {  // right after C is placed, before its outcome: libxl's detach of C commits
    if (!done && w.be->topology().find_phys(kC) >= 0) {
      done = true;
      REQUIRE(w.libxl.remove_begin(kC) == StoreStatus::ok);
    }
  };
  w.fe_state("7");
  REQUIRE(done);
  CHECK(w.be->topology().find_phys(kC) < 0);
  CHECK(w.host.released == std::vector<Bdf>{kC});
  CHECK(w.get(kBe + "/vdev-1") == "<absent>");
  CHECK(w.get(kBe + "/state-1") == "5");
  CHECK(post_read(*w.be, *w.host.page, 0, w.vdevfn_of(kA), 0, 2).err == 0);
}

TEST_CASE("AER is forwarded during a hot-plug round: the page and the channel are all it needs", "[backend][aer][libxl]") {
  World w;
  add_four(w);
  w.libxl_connected({kA, kB});
  w.detach_round_open(kA);  // Reconfigured, the frontend still in Reconfiguring
  w.host.page->flags |= PCISPLIT_B_AERHANDLER;
  CHECK(w.be->aer_post(kB, wire::Cmd::aer_detected, 2) == BackendInstance::AerPost::posted);
  CHECK(w.be->aer_post(kB, wire::Cmd::aer_detected, 2) == BackendInstance::AerPost::busy);
  CHECK(w.be->aer_post(kA, wire::Cmd::aer_detected, 2) == BackendInstance::AerPost::not_held);  // given back
  CHECK(w.host.destroyed.empty());
}
