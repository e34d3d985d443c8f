// SPDX-License-Identifier: GPL-2.0-only
// KernelStore (kernel_store.hpp): the core's xenstore calls, forwarded to the C glue (xs.c) with its
// negative errnos mapped to StoreStatus.
#include "protocol/linux/kernel_store.hpp"

#include "protocol/linux/store_glue.h"

namespace pcisplit {

namespace {

StoreStatus from_errno(int rc) {
  switch (rc) {
    case 0: return StoreStatus::ok;
    case -PCISPLIT_ENOENT: return StoreStatus::not_found;
    case -PCISPLIT_EACCES: return StoreStatus::denied;
    case -PCISPLIT_EAGAIN: return StoreStatus::again;
    case -PCISPLIT_E2BIG: return StoreStatus::too_long;
    default: return StoreStatus::invalid;
  }
}

}  // namespace

StoreStatus KernelStore::read(TxId tx, const char* path, char* out, size_t cap) {
  return from_errno(pcisplit_kxs_read(tx, path, out, cap));
}

StoreStatus KernelStore::write(TxId tx, const char* path, const char* value) {
  return from_errno(pcisplit_kxs_write(tx, path, value));
}

StoreStatus KernelStore::remove(TxId tx, const char* path) { return from_errno(pcisplit_kxs_remove(tx, path)); }

StoreStatus KernelStore::begin(TxId& tx) {
  uint32_t id = 0;
  const StoreStatus st = from_errno(pcisplit_kxs_begin(&id));
  tx = id;
  return st;
}

StoreStatus KernelStore::commit(TxId tx) { return from_errno(pcisplit_kxs_commit(tx)); }

void KernelStore::abort(TxId tx) { pcisplit_kxs_abort(tx); }

StoreStatus KernelStore::watch(const char* path, const char* token, StoreWatcher*) {
  return from_errno(pcisplit_kxs_watch(owner_, path, token));
}

StoreStatus KernelStore::unwatch(const char* path, const char* token) {
  return from_errno(pcisplit_kxs_unwatch(owner_, path, token));
}

}  // namespace pcisplit
