// SPDX-License-Identifier: GPL-2.0-only
// The frontend core: connects to the backend over xenstore, discovers the roots, and issues ops one at
// a time over the shared page with a bounded wait. Used by xen-pcifront.ko (frontend/linux) and by the
// userspace pcisplit tool (frontend/user).
#pragma once

#include "protocol/pciif.hpp"
#include "protocol/store.hpp"
#include "protocol/xenstore.hpp"

namespace pcisplit {

class FrontendHost {
 public:
  // Grants one zeroed page to the backend domain and allocates an unbound event channel for it.
  virtual Err setup(uint16_t backend_domid, volatile wire::SharedInfo** page, uint32_t* gref, uint32_t* port) = 0;
  virtual void teardown() = 0;  // revoke the grant, close the channel
  virtual void notify() = 0;
  // Waits until `flag` clears in page->flags, at most `timeout_ms`; false on timeout.
  virtual bool wait_clear(volatile wire::SharedInfo* page, uint32_t flag, uint32_t timeout_ms) = 0;
  // The backend is taking the guest's device at `virt` away (its state-N says Closing during a
  // reconfiguration): the glue removes it from the guest's bus. The core has parsed vdev-N.
  virtual void remove_device(Bdf virt) = 0;
  // The backend finished a reconfiguration: the glue rescans the roots for new devices.
  virtual void rescan() = 0;
  virtual void log(const char* message) = 0;

 protected:
  ~FrontendHost() = default;
};

// Handles AER requests for the guest's drivers; returns a PCI_ERS_RESULT_* value.
class AerHandler {
 public:
  virtual int32_t handle(wire::Cmd cmd, Bdf virt, int32_t state) = 0;

 protected:
  ~AerHandler() = default;
};

class FrontendInstance final : public StoreWatcher {
 public:
  static constexpr size_t kPathMax = 96;
  static constexpr uint16_t kMaxRoots = 64;
  static constexpr uint32_t kOpTimeoutMs = 2000;  // the in-tree frontend gives up after 2 s too

  FrontendInstance(Store& store, FrontendHost& host, const char* fe_path, AerHandler* aer = nullptr);
  // Reads the backend's address, sets up the page and channel, publishes pci-op-ref, event-channel
  // and magic in one transaction (retried on conflict), and moves to Initialised.
  StoreStatus start();
  void stop();
  void watch_fired(const char* path, const char* token) override;
  // The backend notified: answers an AER request if one is posted.
  void on_event();
  // The page is about to go: no op may use it from now on. The glue calls this from teardown()
  // under the lock its ops run under, so an op in flight on another CPU finishes first (I6).
  void forget_page() { page_ = nullptr; }

  xs::State state() const { return state_; }
  uint16_t root_count() const { return nroots_; }
  xs::Root root(uint16_t i) const { return roots_[i]; }

  // Ops. One in flight; a second caller gets op_failed instead of corrupting the first (the glue
  // serialises callers). A backend that does not answer in time yields op_failed, never a hang.
  Err conf_read(Bdf dev, uint32_t offset, uint32_t size, uint32_t& value);
  Err conf_write(Bdf dev, uint32_t offset, uint32_t size, uint32_t value);
  Err enable_msi(Bdf dev, uint32_t nvec, uint32_t& pirq);  // nvec > 1: XEN_PCI_OP_enable_multi_msi
  Err disable_msi(Bdf dev);
  Err enable_msix(Bdf dev, const uint16_t* entries, uint32_t n, uint32_t* pirqs);
  Err disable_msix(Bdf dev);
  // Ops the backend left unanswered past kOpTimeoutMs. A relaxed atomic: an admin reads it (sysfs)
  // without the op lock, which an op waiting for a stalled backend holds for up to the bound.
  uint64_t timeouts() const { return __atomic_load_n(&timeouts_, __ATOMIC_RELAXED); }

 private:
  Err submit(wire::Cmd cmd, Bdf dev, uint32_t offset, uint32_t size, uint32_t value, uint32_t& out_value,
             const uint16_t* entries = nullptr, uint32_t n = 0, uint32_t* pirqs = nullptr);
  void reevaluate();
  void read_roots();
  void remove_closing();
  void set_state(xs::State s);
  xs::State read_state(const char* base);

  Store& store_;
  FrontendHost& host_;
  AerHandler* aer_;
  char fe_path_[kPathMax];
  char be_path_[kPathMax];
  uint16_t backend_domid_ = 0;
  xs::State state_ = xs::State::initialising;
  volatile wire::SharedInfo* page_ = nullptr;
  bool in_flight_ = false;
  Coalescer coalescer_;
  uint16_t nroots_ = 0;
  xs::Root roots_[kMaxRoots];
  uint64_t timeouts_ = 0;
};

}  // namespace pcisplit
