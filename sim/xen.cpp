// SPDX-License-Identifier: GPL-2.0-only
// The simulated hypervisor.
#include "sim/xen.hpp"

namespace pcisplit::sim {

uint32_t Xen::alloc_pirqs(DomId guest, uint32_t n) {
  std::lock_guard<std::mutex> lock(mu_);
  const uint32_t first = next_pirq_;
  next_pirq_ += n;
  for (uint32_t i = 0; i < n; ++i) pirqs_[first + i] = guest;
  return first;
}

void Xen::free_pirqs(uint32_t first, uint32_t n) {
  std::lock_guard<std::mutex> lock(mu_);
  for (uint32_t i = 0; i < n; ++i) pirqs_.erase(first + i);
}

size_t Xen::mapped_pirqs(DomId guest) const {
  std::lock_guard<std::mutex> lock(mu_);
  size_t n = 0;
  for (const auto& [pirq, dom] : pirqs_) n += dom == guest ? 1 : 0;
  return n;
}

Result<uint32_t> Xen::grant(DomId owner, DomId grantee, wire::SharedInfo* page) {
  std::lock_guard<std::mutex> lock(mu_);
  if (!alive(owner) && owner != 0) return Err::dev_not_found;
  const uint32_t gref = 8 + next_gref_[owner]++;  // refs below 8 are reserved, as in Linux
  grants_[{owner, gref}] = Grant{grantee, page, 0};
  return gref;
}

Result<wire::SharedInfo*> Xen::map(DomId mapper, DomId owner, uint32_t gref) {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = grants_.find({owner, gref});
  if (it == grants_.end() || it->second.grantee != mapper) return Err::access_denied;
  ++it->second.maps;
  return it->second.page;
}

void Xen::unmap(DomId mapper, DomId owner, uint32_t gref) {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = grants_.find({owner, gref});
  if (it != grants_.end() && it->second.grantee == mapper && it->second.maps > 0) --it->second.maps;
}

Err Xen::revoke(DomId owner, uint32_t gref) {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = grants_.find({owner, gref});
  if (it == grants_.end()) return Err::dev_not_found;
  if (it->second.maps > 0) return Err::op_failed;
  grants_.erase(it);
  return Err::success;
}

Result<uint32_t> Xen::alloc_unbound(DomId dom, DomId remote, std::function<void()> handler) {
  std::lock_guard<std::mutex> lock(mu_);
  const uint32_t port = 1 + next_port_[dom]++;
  ports_[{dom, port}] = Port{remote, 0, false, std::move(handler)};
  return port;
}

Result<uint32_t> Xen::bind_interdomain(DomId dom, DomId remote, uint32_t remote_port, std::function<void()> handler) {
  std::lock_guard<std::mutex> lock(mu_);
  auto peer = ports_.find({remote, remote_port});
  if (peer == ports_.end() || peer->second.bound || peer->second.remote != dom) return Err::access_denied;
  const uint32_t port = 1 + next_port_[dom]++;
  ports_[{dom, port}] = Port{remote, remote_port, true, std::move(handler)};
  peer->second.bound = true;
  peer->second.remote_port = port;
  return port;
}

Err Xen::notify(DomId dom, uint32_t port) {
  std::function<void()> handler;
  {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = ports_.find({dom, port});
    if (it == ports_.end() || !it->second.bound) return Err::dev_not_found;
    auto peer = ports_.find({it->second.remote, it->second.remote_port});
    if (peer == ports_.end()) return Err::dev_not_found;
    handler = peer->second.handler;
  }
  if (handler) handler();
  return Err::success;
}

void Xen::close(DomId dom, uint32_t port) {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = ports_.find({dom, port});
  if (it == ports_.end()) return;
  auto peer = ports_.find({it->second.remote, it->second.remote_port});
  if (peer != ports_.end()) peer->second.bound = false;
  ports_.erase(it);
}

void Xen::destroy_domain(DomId dom) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    dead_.insert(dom);
    std::erase_if(pirqs_, [&](const auto& p) { return p.second == dom; });
    std::erase_if(grants_, [&](const auto& g) { return g.first.first == dom; });
    for (auto it = ports_.begin(); it != ports_.end();) {
      if (it->first.first == dom) {
        auto peer = ports_.find({it->second.remote, it->second.remote_port});
        if (peer != ports_.end()) peer->second.bound = false;
        it = ports_.erase(it);
      } else {
        ++it;
      }
    }
  }
  xs_.release_domain(dom);
}

}  // namespace pcisplit::sim
