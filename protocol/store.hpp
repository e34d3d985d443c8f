// SPDX-License-Identifier: MIT
// The Store seam: xenstore as the cores use it (kernel: xenbus_*; userspace: libxenstore; sim/).
#pragma once

#include "protocol/types.hpp"

namespace pcisplit {

// Outcomes of a xenstore request; the glue maps them from/to errno (ENOENT, EACCES, EAGAIN, ...).
enum class StoreStatus : uint8_t {
  ok,
  not_found,  // ENOENT
  denied,     // EACCES
  again,      // EAGAIN: the transaction conflicted; the caller retries it from the start
  invalid,    // EINVAL: bad path or value
  too_long,   // E2BIG: the value does not fit the caller's buffer
};
const char* store_status_name(StoreStatus s);

using TxId = uint32_t;
inline constexpr TxId kNoTx = 0;

class StoreWatcher {
 public:
  // `path` is the node that changed; `token` is what the watch was registered with.
  virtual void watch_fired(const char* path, const char* token) = 0;

 protected:
  ~StoreWatcher() = default;
};

// Watch callbacks may arrive while the watcher is still reacting to an earlier one (a store that
// delivers synchronously, as the simulator does, fires our own writes back at us). This runs
// `evaluate` at once, or, if it is already running, once more after it returns.
class Coalescer {
 public:
  template <typename F>
  void run(F evaluate) {
    if (busy_) {
      pending_ = true;
      return;
    }
    busy_ = true;
    do {
      pending_ = false;
      evaluate();
    } while (pending_);
    busy_ = false;
  }

 private:
  bool busy_ = false;
  bool pending_ = false;
};

class Store {
 public:
  virtual StoreStatus read(TxId tx, const char* path, char* out, size_t cap) = 0;
  virtual StoreStatus write(TxId tx, const char* path, const char* value) = 0;
  virtual StoreStatus remove(TxId tx, const char* path) = 0;  // the node and everything under it
  virtual StoreStatus begin(TxId& tx) = 0;
  virtual StoreStatus commit(TxId tx) = 0;  // again: nothing was applied
  virtual void abort(TxId tx) = 0;
  // Fires once when registered (as xenstored does) and on every change at or under `path`.
  virtual StoreStatus watch(const char* path, const char* token, StoreWatcher* watcher) = 0;
  virtual StoreStatus unwatch(const char* path, const char* token) = 0;

 protected:
  ~Store() = default;
};

}  // namespace pcisplit
