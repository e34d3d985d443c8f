// SPDX-License-Identifier: GPL-2.0-only
// The simulated xenstore: the behaviour the cores rely on, as xenstored has it.
#include <catch2/catch.hpp>
#include <string>
#include <vector>

#include "sim/xenstore.hpp"

using namespace pcisplit;
using namespace pcisplit::sim;

namespace {
struct Recorder final : StoreWatcher {
  std::vector<std::string> fired;
  void watch_fired(const char* path, const char* token) override { fired.push_back(std::string(token) + ":" + path); }
};
}  // namespace

TEST_CASE("read, write, remove and list", "[sim][xenstore]") {
  Xenstore xs;
  auto d0 = xs.connect(0);
  REQUIRE(d0->write(kNoTx, "/local/domain/0/backend/pci/1/0/num_devs", "1") == StoreStatus::ok);
  std::string v;
  CHECK(d0->read("/local/domain/0/backend/pci/1/0/num_devs", v) == StoreStatus::ok);
  CHECK(v == "1");
  CHECK(d0->read("/local/domain/0/backend/pci/1/0", v) == StoreStatus::ok);  // created on the way
  CHECK(d0->list("/local/domain/0/backend/pci") == std::vector<std::string>{"1"});
  char small[2];
  CHECK(d0->read(kNoTx, "/local/domain/0/backend/pci/1/0/num_devs", small, sizeof small) == StoreStatus::ok);
  REQUIRE(d0->write(kNoTx, "/x", "too long") == StoreStatus::ok);
  CHECK(d0->read(kNoTx, "/x", small, sizeof small) == StoreStatus::too_long);
  CHECK(d0->remove(kNoTx, "/local/domain/0/backend") == StoreStatus::ok);
  CHECK(d0->read("/local/domain/0/backend/pci/1/0/num_devs", v) == StoreStatus::not_found);
  CHECK(d0->remove(kNoTx, "/local/domain/0/backend") == StoreStatus::not_found);
  for (const char* bad : {"", "relative", "/trailing/", "/double//slash", "/sp ace", "/semi;colon"}) {
    CHECK(d0->write(kNoTx, bad, "1") == StoreStatus::invalid);
  }
}

TEST_CASE("permissions: a guest reads what it is allowed to and writes only its own", "[sim][xenstore]") {
  Xenstore xs;
  auto d0 = xs.connect(0);
  auto d1 = xs.connect(1);
  auto d2 = xs.connect(2);
  REQUIRE(d0->write(kNoTx, "/local/domain/0/backend/pci/1/0/state", "1") == StoreStatus::ok);
  REQUIRE(d0->set_perms("/local/domain/0/backend/pci/1/0", Perms{0, Perm::none, {{1, Perm::read}}}) == StoreStatus::ok);
  REQUIRE(d0->write(kNoTx, "/local/domain/1/device/pci/0/state", "1") == StoreStatus::ok);
  REQUIRE(d0->set_perms("/local/domain/1/device/pci/0", Perms{1, Perm::none, {{0, Perm::read}}}) == StoreStatus::ok);
  REQUIRE(d0->set_perms("/local/domain/1/device/pci/0/state", Perms{1, Perm::none, {{0, Perm::read}}}) == StoreStatus::ok);

  std::string v;
  CHECK(d1->read("/local/domain/0/backend/pci/1/0", v) == StoreStatus::ok);
  CHECK(d1->write(kNoTx, "/local/domain/0/backend/pci/1/0/state", "4") == StoreStatus::denied);
  CHECK(d2->read("/local/domain/0/backend/pci/1/0", v) == StoreStatus::denied);
  CHECK(d1->write(kNoTx, "/local/domain/1/device/pci/0/state", "3") == StoreStatus::ok);
  CHECK(d1->write(kNoTx, "/local/domain/1/device/pci/0/pci-op-ref", "8") == StoreStatus::ok);  // creates, owns
  CHECK(d2->write(kNoTx, "/local/domain/1/device/pci/0/magic", "7") == StoreStatus::denied);
  CHECK(d2->remove(kNoTx, "/local/domain/1/device/pci/0") == StoreStatus::denied);
  CHECK(d0->read("/local/domain/1/device/pci/0/pci-op-ref", v) == StoreStatus::ok);
}

TEST_CASE("watches fire once on registration and on every change at or under their path", "[sim][xenstore]") {
  Xenstore xs;
  auto d0 = xs.connect(0);
  Recorder rec;
  REQUIRE(d0->watch("/local/domain/0/backend/pci", "be", &rec) == StoreStatus::ok);
  CHECK(rec.fired == std::vector<std::string>{"be:/local/domain/0/backend/pci"});
  rec.fired.clear();
  d0->write(kNoTx, "/local/domain/0/backend/pci/1/0/state", "2");
  CHECK(rec.fired.size() == 4);  // pci (created), 1, 0, state
  rec.fired.clear();
  d0->write(kNoTx, "/local/domain/0/backend/pcix", "1");  // a sibling with a common prefix: no event
  d0->write(kNoTx, "/local/domain/0/backend/pci/1/0/state", "4");
  CHECK(rec.fired == std::vector<std::string>{"be:/local/domain/0/backend/pci/1/0/state"});
  rec.fired.clear();
  d0->remove(kNoTx, "/local/domain/0/backend/pci/1");
  CHECK(rec.fired.size() == 3);
  REQUIRE(d0->unwatch("/local/domain/0/backend/pci", "be") == StoreStatus::ok);
  CHECK(d0->unwatch("/local/domain/0/backend/pci", "be") == StoreStatus::not_found);
}

TEST_CASE("a watcher hears nothing about nodes it may not read", "[sim][xenstore]") {
  Xenstore xs;
  auto d0 = xs.connect(0);
  auto d2 = xs.connect(2);
  Recorder rec;
  d0->write(kNoTx, "/secret", "");
  d2->watch("/secret", "s", &rec);
  rec.fired.clear();
  d0->write(kNoTx, "/secret/key", "1");
  CHECK(rec.fired.empty());
}

TEST_CASE("transactions: isolated until commit, again on conflict, then a retry succeeds", "[sim][xenstore]") {
  Xenstore xs;
  auto fe = xs.connect(0);
  auto other = xs.connect(0);
  fe->write(kNoTx, "/d/state", "1");
  TxId tx;
  REQUIRE(fe->begin(tx) == StoreStatus::ok);
  std::string v;
  REQUIRE(fe->read("/d/state", v, tx) == StoreStatus::ok);
  fe->write(tx, "/d/pci-op-ref", "8");
  fe->write(tx, "/d/event-channel", "5");
  CHECK(other->read("/d/pci-op-ref", v) == StoreStatus::not_found);  // not visible yet
  CHECK(fe->read("/d/pci-op-ref", v, tx) == StoreStatus::ok);       // but to the transaction
  other->write(kNoTx, "/d/state", "5");                              // someone changes what it read
  CHECK(fe->commit(tx) == StoreStatus::again);
  CHECK(other->read("/d/pci-op-ref", v) == StoreStatus::not_found);  // nothing applied

  REQUIRE(fe->begin(tx) == StoreStatus::ok);  // the caller retries from the start
  fe->read("/d/state", v, tx);
  fe->write(tx, "/d/pci-op-ref", "8");
  fe->write(tx, "/d/event-channel", "5");
  CHECK(fe->commit(tx) == StoreStatus::ok);
  CHECK(other->read("/d/event-channel", v) == StoreStatus::ok);
  CHECK(v == "5");
}

TEST_CASE("a removal inside a transaction hides the subtree from it", "[sim][xenstore]") {
  Xenstore xs;
  auto c = xs.connect(0);
  c->write(kNoTx, "/b/dev-0", "0000:00:04.0");
  TxId tx;
  c->begin(tx);
  c->remove(tx, "/b");
  std::string v;
  CHECK(c->read("/b/dev-0", v, tx) == StoreStatus::not_found);
  CHECK(c->commit(tx) == StoreStatus::ok);
  CHECK(c->read("/b/dev-0", v) == StoreStatus::not_found);
}

TEST_CASE("a released domain loses its home, watches and transactions, and @releaseDomain fires", "[sim][xenstore]") {
  Xenstore xs;
  auto d0 = xs.connect(0);
  auto d3 = xs.connect(3);
  Recorder dom0_rec, guest_rec;
  d0->write(kNoTx, "/local/domain/3/device/pci/0/state", "4");
  d0->watch("@releaseDomain", "rel", &dom0_rec);
  d3->watch("/local/domain/3", "mine", &guest_rec);
  TxId tx;
  d3->begin(tx);
  dom0_rec.fired.clear();
  guest_rec.fired.clear();
  xs.release_domain(3);
  std::string v;
  CHECK(d0->read("/local/domain/3", v) == StoreStatus::not_found);
  CHECK(dom0_rec.fired == std::vector<std::string>{"rel:@releaseDomain"});
  CHECK(guest_rec.fired.empty());
  CHECK(d3->commit(tx) == StoreStatus::invalid);
}
