// SPDX-License-Identifier: GPL-2.0-only
// The Store seam inside a kernel module: xenstore through protocol/linux/xs.c. Included by exactly one
// object per module (its core_bridge.cpp), so its inline virtual functions are emitted once.
#pragma once

#include "protocol/linux/store_glue.h"
#include "protocol/store.hpp"

namespace pcisplit {

class KernelStore final : public Store {
 public:
  explicit KernelStore(void* owner) : owner_(owner) {}
  StoreStatus read(TxId tx, const char* path, char* out, size_t cap) override {
    return from_errno(pcisplit_kxs_read(tx, path, out, cap));
  }
  StoreStatus write(TxId tx, const char* path, const char* value) override {
    return from_errno(pcisplit_kxs_write(tx, path, value));
  }
  StoreStatus remove(TxId tx, const char* path) override { return from_errno(pcisplit_kxs_remove(tx, path)); }
  StoreStatus begin(TxId& tx) override {
    uint32_t id = 0;
    const StoreStatus st = from_errno(pcisplit_kxs_begin(&id));
    tx = id;
    return st;
  }
  StoreStatus commit(TxId tx) override { return from_errno(pcisplit_kxs_commit(tx)); }
  void abort(TxId tx) override { pcisplit_kxs_abort(tx); }
  // The owner's glue delivers the firing to the core's watch_fired under the owner's lock.
  StoreStatus watch(const char* path, const char* token, StoreWatcher*) override {
    return from_errno(pcisplit_kxs_watch(owner_, path, token));
  }
  StoreStatus unwatch(const char* path, const char* token) override {
    return from_errno(pcisplit_kxs_unwatch(owner_, path, token));
  }

 private:
  static StoreStatus from_errno(int rc) {
    switch (rc) {
      case 0: return StoreStatus::ok;
      case -PCISPLIT_ENOENT: return StoreStatus::not_found;
      case -PCISPLIT_EACCES: return StoreStatus::denied;
      case -PCISPLIT_EAGAIN: return StoreStatus::again;
      case -PCISPLIT_E2BIG: return StoreStatus::too_long;
      default: return StoreStatus::invalid;
    }
  }
  void* owner_;
};

}  // namespace pcisplit
