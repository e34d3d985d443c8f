// SPDX-License-Identifier: GPL-2.0-only
// Heap bytes per account for the benchmarks: the bench links heap_accounts.cpp, whose global
// operator new keeps the live bytes of each account, and wraps the cores' seams (store, hosts) so
// that what the simulator's xenstore or hypervisor allocates on a core's behalf is charged to the
// simulator, and what a core allocates itself (or a watch firing back into it) to that core.
#pragma once

#include <atomic>
#include <memory>
#include <vector>

#include "sim/hosts.hpp"

namespace pcisplit::bench {

enum Account : uint32_t { kSim, kBackend, kFrontend, kAccounts };
extern thread_local Account t_account;           // where this thread's allocations go now
extern std::atomic<long long> g_live[kAccounts];  // bytes asked for and not yet freed
extern std::atomic<unsigned long> g_allocs;       // allocations so far, all accounts

// Allocations in its scope go to `a`.
class Charge {
 public:
  explicit Charge(Account a) : saved_(t_account) { t_account = a; }
  ~Charge() { t_account = saved_; }
  Charge(const Charge&) = delete;
  Charge& operator=(const Charge&) = delete;

 private:
  Account saved_;
};

// A core's xenstore connection: the store's work is the simulator's, a watch firing back into the
// core is the core's (its owner's).
class AccountedStore final : public Store {
 public:
  AccountedStore(Store& inner, Account owner) : inner_(inner), owner_(owner) {}
  StoreStatus read(TxId tx, const char* path, char* out, size_t cap) override {
    Charge c(kSim);
    return inner_.read(tx, path, out, cap);
  }
  StoreStatus write(TxId tx, const char* path, const char* value) override {
    Charge c(kSim);
    return inner_.write(tx, path, value);
  }
  StoreStatus remove(TxId tx, const char* path) override {
    Charge c(kSim);
    return inner_.remove(tx, path);
  }
  StoreStatus begin(TxId& tx) override {
    Charge c(kSim);
    return inner_.begin(tx);
  }
  StoreStatus commit(TxId tx) override {
    Charge c(kSim);
    return inner_.commit(tx);
  }
  void abort(TxId tx) override {
    Charge c(kSim);
    inner_.abort(tx);
  }
  StoreStatus watch(const char* path, const char* token, StoreWatcher* watcher) override {
    Charge c(kSim);
    relays_.push_back(std::make_unique<Relay>(watcher, owner_));
    return inner_.watch(path, token, relays_.back().get());
  }
  StoreStatus unwatch(const char* path, const char* token) override {
    Charge c(kSim);
    return inner_.unwatch(path, token);
  }

 private:
  class Relay final : public StoreWatcher {
   public:
    Relay(StoreWatcher* w, Account a) : w_(w), a_(a) {}
    void watch_fired(const char* path, const char* token) override {
      Charge c(a_);
      w_->watch_fired(path, token);
    }

   private:
    StoreWatcher* w_;
    Account a_;
  };
  Store& inner_;
  Account owner_;
  std::vector<std::unique_ptr<Relay>> relays_;
};

// The backend's host (sim::Dom0): the simulator's. It calls on_event itself, not through here.
class AccountedBackendHost final : public BackendHost {
 public:
  explicit AccountedBackendHost(sim::Dom0& d) : d_(d) {}
  Err connect(uint16_t domid, uint32_t gref, uint32_t port,
              volatile wire::SharedInfo** page) override {
    Charge c(kSim);
    return d_.connect(domid, gref, port, page);
  }
  void disconnect() override {
    Charge c(kSim);
    d_.disconnect();
  }
  void notify() override {
    Charge c(kSim);
    d_.notify();
  }
  Err export_device(Bdf phys, const xs::DevOpts& opts, PhysFunction& fn, DeviceView*& view,
                    DevicePlatform*& platform, Text& diag) override {
    Charge c(kSim);
    return d_.export_device(phys, opts, fn, view, platform, diag);
  }
  void release_device(Bdf phys) override {
    Charge c(kSim);
    d_.release_device(phys);
  }
  void destroy_domain(uint16_t domid) override {
    Charge c(kSim);
    d_.destroy_domain(domid);
  }
  void log(const char* message) override {
    Charge c(kSim);
    d_.log(message);
  }

 private:
  sim::Dom0& d_;
};

class AccountedFrontendHost final : public FrontendHost {
 public:
  explicit AccountedFrontendHost(sim::Guest& g) : g_(g) {}
  Err setup(uint16_t backend, volatile wire::SharedInfo** page, uint32_t* gref,
            uint32_t* port) override {
    Charge c(kSim);
    return g_.setup(backend, page, gref, port);
  }
  void teardown() override {
    Charge c(kSim);
    g_.teardown();
  }
  void notify() override {
    Charge c(kSim);
    g_.notify();
  }
  bool wait_clear(volatile wire::SharedInfo* page, uint32_t flag, uint32_t timeout_ms) override {
    return g_.wait_clear(page, flag, timeout_ms);
  }
  void remove_device(Bdf virt) override {
    Charge c(kSim);
    g_.remove_device(virt);
  }
  void rescan() override { g_.rescan(); }
  void log(const char* message) override {
    Charge c(kSim);
    g_.log(message);
  }

 private:
  sim::Guest& g_;
};

}  // namespace pcisplit::bench
