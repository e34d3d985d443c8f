// SPDX-License-Identifier: GPL-2.0-only
// The simulated hypervisor: domains, a grant table and event channels, with Xen's access rules:
// only the grantee maps a grant, a bad or revoked reference fails, a notify reaches the bound peer,
// and destroying a domain tears down its grants, channels and xenstore home.
#pragma once

#include <atomic>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <vector>

#include "protocol/pciif.hpp"
#include "sim/xenstore.hpp"

namespace pcisplit::sim {

class Xen {
 public:
  explicit Xen(Xenstore& xs) : xs_(xs) {}

  DomId create_domain();
  void destroy_domain(DomId dom);
  bool alive(DomId dom) const;

  // Grant table.
  Result<uint32_t> grant(DomId owner, DomId grantee, wire::SharedInfo* page);
  Result<wire::SharedInfo*> map(DomId mapper, DomId owner, uint32_t gref);
  void unmap(DomId mapper, DomId owner, uint32_t gref);
  Err revoke(DomId owner, uint32_t gref);  // op_failed while the grantee still maps it

  // PIRQs for MSI/MSI-X, mapped for a guest: consecutive numbers above the legacy range. They are
  // unmapped by free_pirqs (the device's interrupts go off) or when the guest is destroyed.
  uint32_t alloc_pirqs(DomId guest, uint32_t n);
  void free_pirqs(uint32_t first, uint32_t n);
  size_t mapped_pirqs(DomId guest) const;

  // Event channels. A handler runs in the notifier's thread (the scenario decides threading).
  // A domain holds its end of a channel (end()); a notify through it takes no lock and looks
  // nothing up, as Xen's send finds the channel in the domain's own table and takes that channel's
  // lock only: one guest's events never wait for another's (bench_scale runs 64 guests' frontends
  // in 64 threads). An end stays valid as long as this Xen, closed or not; a closed end, or one not
  // bound yet, has no peer and its notify says dev_not_found.
  class Port;
  Result<uint32_t> alloc_unbound(DomId dom, DomId remote, std::function<void()> handler);
  Result<uint32_t> bind_interdomain(DomId dom, DomId remote, uint32_t remote_port, std::function<void()> handler);
  const Port* end(DomId dom, uint32_t port) const;  // nullptr: no such open port
  Err notify(const Port* end);
  Err notify(DomId dom, uint32_t port) { return notify(end(dom, port)); }
  void close(DomId dom, uint32_t port);

  class Port {
   public:
    Port(DomId remote, std::function<void()> handler)
        : remote_(remote), handler_(std::move(handler)) {}

   private:
    friend class Xen;
    DomId remote_;
    uint32_t remote_port_ = 0;          // under mu_
    std::function<void()> handler_;     // what a notify from the peer runs; never changed
    std::atomic<Port*> peer_{nullptr};  // the bound other end; null while unbound, and once closed
  };

 private:
  struct Grant {
    DomId grantee;
    wire::SharedInfo* page;
    int maps = 0;
  };
  bool alive_locked(DomId dom) const { return dom < next_domid_ && !dead_.count(dom); }
  void close_locked(std::map<std::pair<DomId, uint32_t>, std::unique_ptr<Port>>::iterator it);

  Xenstore& xs_;
  // The tables are the whole machine's, not a domain's: one guest's setup or teardown changes what
  // another's looks up. Notifying through an end needs none of them.
  mutable std::mutex mu_;
  DomId next_domid_ = 1;
  uint32_t next_pirq_ = 40;
  std::map<uint32_t, DomId> pirqs_;  // mapped PIRQ -> the guest it is mapped to
  std::set<DomId> dead_;
  std::map<std::pair<DomId, uint32_t>, Grant> grants_;
  std::map<DomId, uint32_t> next_gref_;
  std::map<std::pair<DomId, uint32_t>, std::unique_ptr<Port>> ports_;
  std::vector<std::unique_ptr<Port>> closed_;  // kept: a domain may still hold its end
  std::map<DomId, uint32_t> next_port_;
};

}  // namespace pcisplit::sim
