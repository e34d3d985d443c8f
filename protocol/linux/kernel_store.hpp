// SPDX-License-Identifier: GPL-2.0-only
// The Store seam inside a kernel module: xenstore through protocol/linux/xs.c. The functions are
// defined in kernel_store.cpp, not here: a virtual function defined in the class is emitted out of line
// in a COMDAT section of each object that needs it, and with the call padding of newer kernels (6.12:
// -fpatchable-function-entry) each such section brings its own __patchable_function_entries section,
// whose repeated name the module loader refuses ("cannot create duplicate filename").
#pragma once

#include "protocol/store.hpp"

namespace pcisplit {

class KernelStore final : public Store {
 public:
  explicit KernelStore(void* owner) : owner_(owner) {}
  StoreStatus read(TxId tx, const char* path, char* out, size_t cap) override;
  StoreStatus write(TxId tx, const char* path, const char* value) override;
  StoreStatus remove(TxId tx, const char* path) override;
  StoreStatus begin(TxId& tx) override;
  StoreStatus commit(TxId tx) override;
  void abort(TxId tx) override;
  // The owner's glue delivers the firing to the core's watch_fired under the owner's lock.
  StoreStatus watch(const char* path, const char* token, StoreWatcher*) override;
  StoreStatus unwatch(const char* path, const char* token) override;

 private:
  void* owner_;
};

}  // namespace pcisplit
