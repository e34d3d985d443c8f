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
#include <optional>
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
  // Back to the state of a new Xenstore (only the root nodes, no watches or transactions) without
  // freeing what it has learnt: a fuzz target that runs thousands of scenarios a second reuses one
  // store, and its nodes, paths and buffers are allocated once rather than per scenario. Connections
  // stay valid.
  void reset();

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
  // Every path the store has known: a node, or (exists false) a node removed or a path only looked
  // at in a transaction, kept for its generation. Entries are never erased, so a transaction and a
  // queued event may point into one, and a path read again costs one lookup and no allocation.
  struct Node {
    std::string value;
    Perms perms;
    uint64_t changed_at = 0;  // generation of its last write or removal (0: never)
    bool exists = true;
    bool dirty = false;  // changed since the last reset() (listed in dirty_)
  };
  using Nodes = std::map<std::string, Node, PathLess>;
  // Finds a path's entry by hash: the map's order is needed only to walk a subtree, and a tree walk
  // compares the path, which shares 30-odd leading bytes with its neighbours, a dozen times per
  // lookup. Open addressing over the map's entries (never erased, so nothing is ever removed here).
  class Index {
   public:
    Nodes::iterator* find(std::string_view p, uint64_t h);
    void add(Nodes::iterator it, uint64_t h);
    static uint64_t hash(std::string_view p);

   private:
    struct Slot {
      uint64_t hash = 0;
      Nodes::iterator it{};
      bool used = false;
    };
    std::vector<Slot> slots_;  // a power of two, at most half full
    size_t count_ = 0;
  };
  // A transaction's slot in txs_. Slots are reused (id 0 marks a free one), so a transaction's
  // bookkeeping allocates nothing once the store has warmed up: the backend reads its whole device
  // list in one transaction on every watch firing.
  struct Tx {
    TxId id = 0;
    const Connection* conn = nullptr;
    DomId domid = 0;
    uint64_t start_gen = 0;
    // Its writes and removals (nullopt), one per path (an entry of nodes_), in no order: a
    // transaction writes a few keys, and the vector keeps its capacity in the slot.
    std::vector<std::pair<Nodes::iterator, std::optional<std::string>>> writes;
    // The generation (Node::changed_at) of every path it read or wrote: changed past start_gen at
    // commit means a conflict. Repeats are harmless and cheaper than a set.
    std::vector<const uint64_t*> touched;
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
    const std::string* path;  // a key of nodes_ (never erased)
    std::string token;
  };
  // The events of one change, delivered once the lock is released. A watcher may change the store
  // again meanwhile, so each change has a list of its own: taken from spare_events_ and given back
  // (emptied, its capacity kept) when done, rather than allocated per write.
  class Events {
   public:
    explicit Events(Xenstore& xs);
    ~Events();
    Events(const Events&) = delete;
    Events& operator=(const Events&) = delete;
    std::vector<Event>& list() { return list_; }

   private:
    Xenstore& xs_;
    std::vector<Event> list_;
  };

  static bool valid_path(std::string_view p);
  static std::string_view parent(std::string_view p);
  // p is `dir` itself or lies under it.
  static bool at_or_under(std::string_view p, std::string_view dir);
  bool can(DomId dom, const Node& n, bool write) const;
  // lookup(): p's entry, a node or not (nodes_.end() if the store never knew p); find(): the node
  // at p if it exists. Every entry's path was checked by valid_path when it was added, so a path
  // found needs no check.
  Nodes::iterator lookup(std::string_view p);
  const Node* find(std::string_view p);
  // p's entry, added (as never written, not existing) if the store has not known it; p must be valid.
  Nodes::iterator known(std::string_view p);
  // The transaction's write or removal of entry e, if it has one.
  static std::optional<std::string>* tx_write(Tx& t, Nodes::iterator e);
  // Applies a write or removal (under the lock), recording generations and queueing watch events.
  StoreStatus do_write(DomId dom, std::string_view p, std::string_view v, std::vector<Event>& ev);
  StoreStatus do_remove(DomId dom, std::string_view p, std::vector<Event>& ev);
  void changed(Nodes::iterator n, std::vector<Event>& ev);
  static void deliver(const std::vector<Event>& ev);
  void drop(const Connection* conn);  // a closed connection's watches and transactions
  void end(Tx& t);  // frees its slot
  Tx* tx_of(const Connection* conn, TxId tx);  // only the connection that began it may use it

  mutable std::mutex mu_;
  Nodes nodes_;
  Index index_;
  std::vector<Node*> dirty_;  // what reset() must put back: every node changed() saw since
  // Scratch space, kept between calls (they run under mu_ and call nothing that could reenter).
  std::vector<std::string_view> missing_;  // do_write: the ancestors it creates
  std::vector<Nodes::iterator> gone_;      // do_remove: the nodes it removes
  std::string bound_;                      // do_remove: the bounds of a subtree
  std::vector<Tx> txs_;  // slots, see Tx
  std::vector<std::vector<Event>> spare_events_;  // see Events
  std::vector<Watch> watches_;
  uint64_t gen_ = 1;
  TxId next_tx_ = 1;
};

}  // namespace pcisplit::sim
