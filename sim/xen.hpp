// SPDX-License-Identifier: GPL-2.0-only
// The simulated hypervisor: domains, a grant table and event channels, with Xen's access rules:
// only the grantee maps a grant, a bad or revoked reference fails, a notify reaches the bound peer,
// and destroying a domain tears down its grants, channels and xenstore home.
#pragma once

#include <functional>
#include <map>
#include <mutex>

#include "protocol/pciif.hpp"
#include "sim/xenstore.hpp"

namespace pcisplit::sim {

class Xen {
 public:
  explicit Xen(Xenstore& xs) : xs_(xs) {}

  DomId create_domain() { return next_domid_++; }
  void destroy_domain(DomId dom);
  bool alive(DomId dom) const { return dom < next_domid_ && !dead_.count(dom); }

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
  Result<uint32_t> alloc_unbound(DomId dom, DomId remote, std::function<void()> handler);
  Result<uint32_t> bind_interdomain(DomId dom, DomId remote, uint32_t remote_port, std::function<void()> handler);
  Err notify(DomId dom, uint32_t port);
  void close(DomId dom, uint32_t port);

 private:
  struct Grant {
    DomId grantee;
    wire::SharedInfo* page;
    int maps = 0;
  };
  struct Port {
    DomId remote;
    uint32_t remote_port = 0;
    bool bound = false;
    std::function<void()> handler;
  };

  Xenstore& xs_;
  mutable std::mutex mu_;
  DomId next_domid_ = 1;
  uint32_t next_pirq_ = 40;
  std::map<uint32_t, DomId> pirqs_;  // mapped PIRQ -> the guest it is mapped to
  std::set<DomId> dead_;
  std::map<std::pair<DomId, uint32_t>, Grant> grants_;
  std::map<DomId, uint32_t> next_gref_;
  std::map<std::pair<DomId, uint32_t>, Port> ports_;
  std::map<DomId, uint32_t> next_port_;
};

}  // namespace pcisplit::sim
