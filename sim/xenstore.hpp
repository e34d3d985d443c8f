// SPDX-License-Identifier: GPL-2.0-only
// A whole xenstore in one process: a tree with per-domain permissions, watches on subtrees, and
// transactions that fail with `again` on conflict. Each domain talks to it through a Connection,
// which implements the cores' Store seam.
#pragma once

#include <bit>
#include <cstdint>
#include <cstring>
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
  // The order of std::less<std::string_view>, transparent (a lookup by a C string or a view allocates
  // nothing), compared eight bytes at a time rather than through memcmp: the backend reads far more
  // than it writes, and under the fuzzer every memcmp goes through ASan's interceptor to libFuzzer's
  // hook, which spent a sixth of fuzz_xenbus's time learning the simulator's own paths (they share
  // 30-odd leading bytes, so a byte loop is slower still).
  struct PathLess {
    using is_transparent = void;
    bool operator()(std::string_view a, std::string_view b) const {
      const size_t n = a.size() < b.size() ? a.size() : b.size();
      size_t i = 0;
      for (; i + 8 <= n; i += 8) {
        uint64_t x, y;
        std::memcpy(&x, a.data() + i, 8);  // a load, not a call
        std::memcpy(&y, b.data() + i, 8);
        if (x != y) return big_endian(x) < big_endian(y);  // the first differing byte decides
      }
      for (; i < n; ++i) {
        if (a[i] != b[i]) return static_cast<unsigned char>(a[i]) < static_cast<unsigned char>(b[i]);
      }
      return a.size() < b.size();
    }
    static uint64_t big_endian(uint64_t v) {
      return std::endian::native == std::endian::little ? __builtin_bswap64(v) : v;
    }
  };
  struct Node {
    std::string value;
    Perms perms;
  };
  struct Tx {
    const Connection* conn;
    DomId domid;
    uint64_t start_gen;
    std::map<std::string, std::unique_ptr<std::string>, PathLess> writes;  // nullptr: removed
    std::set<std::string, PathLess> touched;
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
  std::map<std::string, Node, PathLess> nodes_;
  std::map<std::string, uint64_t, PathLess> changed_at_;  // every path ever written or removed
  std::map<TxId, Tx> txs_;
  std::vector<Watch> watches_;
  uint64_t gen_ = 1;
  TxId next_tx_ = 1;
};

}  // namespace pcisplit::sim
