// SPDX-License-Identifier: GPL-2.0-only
// The backend's ops lock (BackendHost::lock_ops): what the core holds it around, and what it never
// holds it across, seen from a host that records the lock at each call.
#include <string>

#include "unit/backend/instance_world.hpp"

using namespace pcisplit;
using namespace pcisplit::test;
using namespace pcisplit::test::instance_world;

namespace {
// The backend's store, counting the requests made while the core held the ops lock.
class LockCheckStore final : public Store {
 public:
  LockCheckStore(Store& inner, const FakeHost& host) : inner_(inner), host_(host) {}
  int under_ops_lock = 0;
  StoreStatus read(TxId tx, const char* path, char* out, size_t cap) override {
    note();
    return inner_.read(tx, path, out, cap);
  }
  StoreStatus write(TxId tx, const char* path, const char* value) override {
    note();
    return inner_.write(tx, path, value);
  }
  StoreStatus remove(TxId tx, const char* path) override {
    note();
    return inner_.remove(tx, path);
  }
  StoreStatus begin(TxId& tx) override {
    note();
    return inner_.begin(tx);
  }
  StoreStatus commit(TxId tx) override {
    note();
    return inner_.commit(tx);
  }
  void abort(TxId tx) override { inner_.abort(tx); }
  StoreStatus watch(const char* path, const char* token, StoreWatcher* w) override { return inner_.watch(path, token, w); }
  StoreStatus unwatch(const char* path, const char* token) override { return inner_.unwatch(path, token); }

 private:
  void note() { under_ops_lock += host_.ops_locked != 0 ? 1 : 0; }
  Store& inner_;
  const FakeHost& host_;
};
}  // namespace

TEST_CASE("the ops lock covers the page, the channel and the functions' changes, never xenstore, exports or resets",
          "[backend][xenbus][locking]") {
  World w;
  add_four(w);
  LockCheckStore store(*w.backend_conn, w.host);
  w.be_store = &store;
  // Wherever the core lets go of the lock, an op may run: the topology and the dispatcher must agree
  // there (a function placed is attached, one removed detached), and the core holds nothing.
  int torn = 0, unlocks = 0;
  w.host.on_unlock = [&] {
    ++unlocks;
    torn += w.host.ops_locked != 0 ? 1 : 0;
    for (int i = 0; i < Topology::kMaxDevices; ++i) {
      torn += w.be->topology().in_use(i) != (w.be->dispatcher().device(i).view != nullptr) ? 1 : 0;
    }
  };
  w.libxl_connected({kA, kB});
  CHECK(post_read(*w.be, *w.host.page, 0, w.vdevfn_of(kB), 0, 2).err == 0);
  w.libxl_detach(kA);
  w.libxl_attach(kC);
  w.fe_state("5");  // the frontend closes: disconnect only (L5)
  w.be->stop();

  CHECK_FALSE(w.host.ops_lock_nested);
  CHECK(w.host.ops_locked == 0);  // every lock_ops() had its unlock_ops()
  CHECK(w.host.ops_locks >= 6);   // connect, 3 exports, a release, disconnect(s), quiesce, stop's releases
  REQUIRE(w.host.locked_at_connect.size() == 1);
  CHECK(w.host.locked_at_connect[0] == 1);
  REQUIRE_FALSE(w.host.locked_at_disconnect.empty());
  for (int l : w.host.locked_at_disconnect) CHECK(l == 1);
  REQUIRE(w.host.locked_at_export.size() == 3);
  for (int l : w.host.locked_at_export) CHECK(l == 0);
  REQUIRE(w.host.released.size() == 3);  // A at its detach, then B and C at stop()
  for (int l : w.host.locked_at_release) CHECK(l == 0);
  CHECK(store.under_ops_lock == 0);
  CHECK(unlocks == w.host.ops_locks);
  CHECK(torn == 0);
}

TEST_CASE("a frontend that closes with an MSI-X enable posted: no op runs between the disconnect and the quiesce",
          "[backend][xenbus][locking]") {
  World w;
  w.host.add(Bdf::make(0, 1, 0, 0), "nvme.lspci");
  w.create({"0000:01:00.0"});
  w.frontend_publish();
  wire::SharedInfo& page = *w.host.page;
  page.op.cmd = static_cast<uint32_t>(wire::Cmd::enable_msix);  // posted, not yet taken
  page.op.devfn = 0;
  page.op.value = 1;
  page.op.msix_entries[0].entry = 0;
  page.flags = PCISPLIT_F_ACTIVE;
  bool in_op = false;
  w.host.on_unlock = [&] {  // the work item takes the lock as soon as the core lets it go
    if (in_op || (page.flags & PCISPLIT_F_ACTIVE) == 0) return;
    in_op = true;
    (void)w.be->on_event();
    in_op = false;
  };
  w.fe_state("6");  // closed: disconnect only (L5), the function quiesced and kept
  auto& dev = w.host.devices.begin()->second;
  int enables = 0;
  for (const char* c : dev.platform.calls) enables += std::string(c) == "enable_msix" ? 1 : 0;
  CHECK(enables == 0);  // the op found the channel closed, not a quiesced function to turn back on
  CHECK(w.host.disconnects == 1);
  CHECK(w.host.released.empty());
}
