// SPDX-License-Identifier: GPL-2.0-only
// A whole xenstore in one process: a tree with per-domain permissions, watches on subtrees, and
// transactions that fail with `again` on conflict. Each domain talks to it through a Connection,
// which implements the cores' Store seam.
#pragma once

#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "protocol/store.hpp"

namespace pcisplit::sim {

using DomId = uint16_t;

// Xen's node permissions: the owner may do anything; others get `others` unless listed in `acl`.
enum class Perm : uint8_t { none, read, write, both };
struct Perms {
  DomId owner = 0;
  Perm others = Perm::none;
  std::map<DomId, Perm> acl;
};

class Xenstore;

class Connection final : public Store {
 public:
  Connection(Xenstore& xs, DomId domid) : xs_(xs), domid_(domid) {}
  ~Connection();
  StoreStatus read(TxId tx, const char* path, char* out, size_t cap) override;
  StoreStatus write(TxId tx, const char* path, const char* value) override;
  StoreStatus remove(TxId tx, const char* path) override;
  StoreStatus begin(TxId& tx) override;
  StoreStatus commit(TxId tx) override;
  void abort(TxId tx) override;
  StoreStatus watch(const char* path, const char* token, StoreWatcher* watcher) override;
  StoreStatus unwatch(const char* path, const char* token) override;

  // Hosted conveniences for tests and tools.
  StoreStatus read(const std::string& path, std::string& out, TxId tx = kNoTx);
  StoreStatus set_perms(const std::string& path, const Perms& perms);
  std::vector<std::string> list(const std::string& path);
  DomId domid() const { return domid_; }

 private:
  // The value a read sees (under the store's lock): the transaction's own writes and removals win.
  StoreStatus lookup(TxId tx, std::string_view p, const std::string*& value);

  Xenstore& xs_;
  DomId domid_;
};

class Xenstore {
 public:
  Xenstore();
  std::unique_ptr<Connection> connect(DomId domid) { return std::make_unique<Connection>(*this, domid); }
  // Tears down a destroyed domain: its watches and transactions go, /local/domain/<id> is removed,
  // and @releaseDomain watches fire (as xenstored does when Xen reports the death).
  void release_domain(DomId domid);

 private:
  friend class Connection;
  struct Node {
    std::string value;
    Perms perms;
  };
  struct Tx {
    const Connection* conn;
    DomId domid;
    uint64_t start_gen;
    std::map<std::string, std::unique_ptr<std::string>, std::less<>> writes;  // nullptr: removed
    std::set<std::string, std::less<>> touched;
  };
  struct Watch {
    const Connection* conn;
    DomId domid;
    std::string path;
    std::string token;
    StoreWatcher* watcher;
  };
  struct Event {
    StoreWatcher* watcher;
    std::string path;
    std::string token;
  };

  static bool valid_path(std::string_view p);
  static std::string parent(const std::string& p);
  bool can(DomId dom, const Node& n, bool write) const;
  const Node* find(std::string_view p) const;
  // Applies a write or removal (under the lock), recording generations and queueing watch events.
  StoreStatus do_write(DomId dom, const std::string& p, const std::string& v, std::vector<Event>& ev);
  StoreStatus do_remove(DomId dom, const std::string& p, std::vector<Event>& ev);
  void changed(const std::string& p, std::vector<Event>& ev);
  static void deliver(const std::vector<Event>& ev);
  void drop(const Connection* conn);  // a closed connection's watches and transactions
  Tx* tx_of(const Connection* conn, TxId tx);  // only the connection that began it may use it

  mutable std::mutex mu_;
  // Transparent comparators: a lookup by a C string or a view allocates nothing (the backend reads
  // far more than it writes, and the fuzzer runs it millions of times).
  std::map<std::string, Node, std::less<>> nodes_;
  std::map<std::string, uint64_t, std::less<>> changed_at_;  // every path ever written or removed
  std::map<TxId, Tx> txs_;
  std::vector<Watch> watches_;
  uint64_t gen_ = 1;
  TxId next_tx_ = 1;
};

}  // namespace pcisplit::sim
