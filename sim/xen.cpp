// SPDX-License-Identifier: GPL-2.0-only
// The simulated hypervisor.
#include "sim/xen.hpp"

namespace pcisplit::sim {

DomId Xen::create_domain() {
  std::lock_guard<std::mutex> lock(mu_);
  return next_domid_++;
}

bool Xen::alive(DomId dom) const {
  std::lock_guard<std::mutex> lock(mu_);
  return alive_locked(dom);
}

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
  if (!alive_locked(owner) && owner != 0) return Err::dev_not_found;
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
  ports_[{dom, port}] = std::make_unique<Port>(remote, std::move(handler));
  return port;
}

Result<uint32_t> Xen::bind_interdomain(DomId dom, DomId remote, uint32_t remote_port, std::function<void()> handler) {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = ports_.find({remote, remote_port});
  if (it == ports_.end()) return Err::access_denied;
  Port* peer = it->second.get();
  if (peer->peer_.load() != nullptr || peer->remote_ != dom) return Err::access_denied;
  const uint32_t port = 1 + next_port_[dom]++;
  auto mine = std::make_unique<Port>(remote, std::move(handler));
  mine->remote_port_ = remote_port;
  mine->peer_.store(peer, std::memory_order_release);
  peer->remote_port_ = port;
  peer->peer_.store(mine.get(), std::memory_order_release);
  ports_[{dom, port}] = std::move(mine);
  return port;
}

const Xen::Port* Xen::end(DomId dom, uint32_t port) const {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = ports_.find({dom, port});
  return it == ports_.end() ? nullptr : it->second.get();
}

Err Xen::notify(const Port* end) {
  const Port* peer = end != nullptr ? end->peer_.load(std::memory_order_acquire) : nullptr;
  if (peer == nullptr) return Err::dev_not_found;
  if (peer->handler_) peer->handler_();  // a closed peer is kept, with its handler
  return Err::success;
}

void Xen::close_locked(std::map<std::pair<DomId, uint32_t>, std::unique_ptr<Port>>::iterator it) {
  Port* mine = it->second.get();
  if (Port* peer = mine->peer_.load()) peer->peer_.store(nullptr, std::memory_order_release);
  mine->peer_.store(nullptr, std::memory_order_release);
  closed_.push_back(std::move(it->second));
  ports_.erase(it);
}

void Xen::close(DomId dom, uint32_t port) {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = ports_.find({dom, port});
  if (it != ports_.end()) close_locked(it);
}

void Xen::destroy_domain(DomId dom) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    dead_.insert(dom);
    std::erase_if(pirqs_, [&](const auto& p) { return p.second == dom; });
    std::erase_if(grants_, [&](const auto& g) { return g.first.first == dom; });
    for (auto it = ports_.begin(); it != ports_.end();) {
      if (it->first.first == dom) {
        close_locked(it++);
      } else {
        ++it;
      }
    }
  }
  xs_.release_domain(dom);
}

}  // namespace pcisplit::sim
