// SPDX-License-Identifier: GPL-2.0-only
// The simulated xenstore.
#include "sim/xenstore.hpp"

#include <algorithm>
#include <cstring>

namespace pcisplit::sim {

namespace {

// a[0..n) == b[0..n), eight bytes at a time and without memcmp, for the reason PathLess gives.
// Every store access compares one path here and hashes it (Index::hash): both leave out UBSan's
// pointer checks, which cost more than the work (the offsets stay inside the views by
// construction); ASan still checks every load.
__attribute__((no_sanitize("undefined"))) bool same_bytes(const char* a, const char* b, size_t n) {
  size_t i = 0;
  for (; i + 8 <= n; i += 8) {
    uint64_t x, y;
    std::memcpy(&x, a + i, 8);
    std::memcpy(&y, b + i, 8);
    if (x != y) return false;
  }
  for (; i < n; ++i) {
    if (a[i] != b[i]) return false;
  }
  return true;
}

bool same(std::string_view a, std::string_view b) { return a.size() == b.size() && same_bytes(a.data(), b.data(), a.size()); }

// p lies strictly under dir (dir/...).
bool strictly_under(std::string_view p, std::string_view dir) {
  return p.size() > dir.size() && p[dir.size()] == '/' && same_bytes(p.data(), dir.data(), dir.size());
}

const std::string kReleaseDomain = "@releaseDomain";

}  // namespace

__attribute__((no_sanitize("undefined"))) uint64_t Xenstore::Index::hash(std::string_view p) {
  // Eight bytes at a time, each mixed in by a multiply; good enough to spread paths that differ in
  // their last few bytes (state-1, state-2, ...).
  uint64_t h = 0x9e3779b97f4a7c15ull ^ p.size();
  size_t i = 0;
  for (; i + 8 <= p.size(); i += 8) {
    uint64_t w;
    std::memcpy(&w, p.data() + i, 8);
    h = (h ^ w) * 0xff51afd7ed558ccdull;
    h ^= h >> 32;
  }
  uint64_t tail = 0;
  for (size_t k = 0; i + k < p.size(); ++k) tail |= static_cast<uint64_t>(static_cast<unsigned char>(p[i + k])) << (8 * k);
  h = (h ^ tail) * 0xc4ceb9fe1a85ec53ull;
  return h ^ (h >> 29);
}

Xenstore::Nodes::iterator* Xenstore::Index::find(std::string_view p, uint64_t h) {
  if (slots_.empty()) return nullptr;
  const size_t mask = slots_.size() - 1;
  for (size_t i = h & mask; slots_[i].used; i = (i + 1) & mask) {
    if (slots_[i].hash == h && same(slots_[i].it->first, p)) return &slots_[i].it;
  }
  return nullptr;
}

void Xenstore::Index::add(Nodes::iterator it, uint64_t h) {
  if ((count_ + 1) * 2 > slots_.size()) {
    std::vector<Slot> old;
    old.swap(slots_);
    slots_.resize(old.empty() ? 64 : old.size() * 2);
    count_ = 0;
    for (const Slot& s : old) {
      if (s.used) add(s.it, s.hash);
    }
  }
  const size_t mask = slots_.size() - 1;
  size_t i = h & mask;
  while (slots_[i].used) i = (i + 1) & mask;
  slots_[i] = Slot{h, it, true};
  ++count_;
}

namespace {
const char* const kRoots[] = {"/", "/local", "/local/domain"};
}  // namespace

Xenstore::Xenstore() {
  for (const char* p : kRoots) known(p)->second.exists = true;
}

void Xenstore::reset() {
  std::lock_guard<std::mutex> lock(mu_);
  // Every change to a node goes through changed(), which lists it: the others are as new (absent,
  // never changed), or one of the roots.
  for (Node* n : dirty_) {
    n->value.clear();
    n->perms = Perms{};
    n->changed_at = 0;
    n->exists = false;
    n->dirty = false;
  }
  dirty_.clear();
  for (const char* p : kRoots) known(p)->second.exists = true;
  for (Tx& t : txs_) {
    if (t.id != kNoTx) end(t);
  }
  watches_.clear();
  gen_ = 1;
  next_tx_ = 1;
}

bool Xenstore::valid_path(std::string_view p) {
  if (p.empty() || p.size() > 3072) return false;
  if (p[0] == '@') return p == "@releaseDomain" || p == "@introduceDomain";
  if (p[0] != '/' || (p.size() > 1 && p.back() == '/')) return false;
  char prev = '\0';
  for (char c : p) {  // one pass, no memcmp (see PathLess)
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '/' ||
                    c == '_' || c == '-' || c == '@' || c == '.';
    if (!ok || (c == '/' && prev == '/')) return false;
    prev = c;
  }
  return true;
}

std::string_view Xenstore::parent(std::string_view p) {
  const size_t slash = p.rfind('/');
  return slash == 0 ? std::string_view("/") : p.substr(0, slash);
}

bool Xenstore::at_or_under(std::string_view p, std::string_view dir) {
  return same(p, dir) || same(dir, "/") || strictly_under(p, dir);
}

bool Xenstore::can(DomId dom, const Node& n, bool write) const {
  if (dom == 0 || n.perms.owner == dom) return true;
  const auto it = n.perms.acl.find(dom);
  const Perm p = it != n.perms.acl.end() ? it->second : n.perms.others;
  return p == Perm::both || p == (write ? Perm::write : Perm::read);
}

Xenstore::Nodes::iterator Xenstore::lookup(std::string_view p) {
  Nodes::iterator* it = index_.find(p, Index::hash(p));
  return it != nullptr ? *it : nodes_.end();
}

const Xenstore::Node* Xenstore::find(std::string_view p) {
  const auto it = lookup(p);
  return it == nodes_.end() || !it->second.exists ? nullptr : &it->second;
}

Xenstore::Nodes::iterator Xenstore::known(std::string_view p) {
  const uint64_t h = Index::hash(p);
  if (Nodes::iterator* it = index_.find(p, h)) return *it;
  Node n;
  n.exists = false;
  const auto it = nodes_.emplace(std::string(p), std::move(n)).first;
  index_.add(it, h);
  return it;
}

std::optional<std::string>* Xenstore::tx_write(Tx& t, Nodes::iterator e) {
  for (auto& [path, value] : t.writes) {
    if (path == e) return &value;
  }
  return nullptr;
}

void Xenstore::changed(Nodes::iterator n, std::vector<Event>& ev) {
  n->second.changed_at = ++gen_;
  if (!n->second.dirty) {
    n->second.dirty = true;
    dirty_.push_back(&n->second);
  }
  for (const Watch& w : watches_) {
    if (!at_or_under(n->first, w.path)) continue;
    // No events about nodes one cannot read (a removed node's go to every watcher of its path).
    if (n->second.exists && !can(w.domid, n->second, false)) continue;
    ev.push_back(Event{w.watcher, &n->first, w.token});
  }
}

StoreStatus Xenstore::do_write(DomId dom, std::string_view p, std::string_view v, std::vector<Event>& ev) {
  const auto self = lookup(p);
  if (self == nodes_.end() && (!valid_path(p) || p[0] == '@')) return StoreStatus::invalid;
  if (self != nodes_.end() && self->second.exists) {
    if (!can(dom, self->second, true)) return StoreStatus::denied;
    self->second.value.assign(v);
    changed(self, ev);
    return StoreStatus::ok;
  }
  // Create, with any missing ancestors: each inherits its parent's permissions; a node an
  // unprivileged domain creates is owned by it (as xenstored does).
  std::vector<std::string_view>& missing = missing_;  // prefixes of p
  missing.clear();
  std::string_view a = p;
  while (find(a) == nullptr) {
    missing.push_back(a);
    a = parent(a);
  }
  if (!can(dom, *find(a), true)) return StoreStatus::denied;
  Nodes::iterator created = nodes_.end();
  for (auto it = missing.rbegin(); it != missing.rend(); ++it) {
    Perms perms = find(parent(*it))->perms;
    if (dom != 0) perms.owner = dom;
    created = known(*it);
    Node& n = created->second;
    n.exists = true;
    n.value.clear();
    n.perms = std::move(perms);
    changed(created, ev);
  }
  created->second.value.assign(v);  // the last one created is p
  return StoreStatus::ok;
}

StoreStatus Xenstore::do_remove(DomId dom, std::string_view p, std::vector<Event>& ev) {
  if (!valid_path(p) || p[0] == '@' || same(p, "/")) return StoreStatus::invalid;
  const auto self = lookup(p);
  if (self == nodes_.end() || !self->second.exists) return StoreStatus::not_found;
  const Node* par = find(parent(p));
  if (!can(dom, self->second, true) || (par != nullptr && !can(dom, *par, true))) return StoreStatus::denied;
  // The node and its subtree: the paths under p are those from p/ up to p0 ('0' follows '/'); the
  // entries there that do not exist (any path the store ever knew) are skipped without a compare.
  std::vector<Nodes::iterator>& gone = gone_;
  gone.assign(1, self);
  bound_.assign(p).push_back('/');
  auto under = nodes_.lower_bound(bound_);
  bound_.back() = '0';
  for (const auto stop = nodes_.lower_bound(bound_); under != stop; ++under) {
    if (under->second.exists) gone.push_back(under);
  }
  for (const Nodes::iterator& g : gone) {
    g->second.exists = false;
    g->second.value.clear();
    g->second.perms = Perms{};
  }
  for (auto it = gone.rbegin(); it != gone.rend(); ++it) changed(*it, ev);
  return StoreStatus::ok;
}

Xenstore::Events::Events(Xenstore& xs) : xs_(xs) {
  std::lock_guard<std::mutex> lock(xs_.mu_);
  if (!xs_.spare_events_.empty()) {
    list_ = std::move(xs_.spare_events_.back());
    xs_.spare_events_.pop_back();
  }
}

Xenstore::Events::~Events() {
  list_.clear();
  std::lock_guard<std::mutex> lock(xs_.mu_);
  xs_.spare_events_.push_back(std::move(list_));
}

void Xenstore::deliver(const std::vector<Event>& ev) {
  for (const Event& e : ev) e.watcher->watch_fired(e.path->c_str(), e.token.c_str());
}

void Xenstore::release_domain(DomId domid) {
  Events events(*this);
  std::vector<Event>& ev = events.list();
  {
    std::lock_guard<std::mutex> lock(mu_);
    for (Tx& t : txs_) {
      if (t.id != kNoTx && t.domid == domid) end(t);
    }
    std::erase_if(watches_, [&](const Watch& w) { return w.domid == domid; });
    const std::string home = "/local/domain/" + std::to_string(domid);
    if (find(home) != nullptr) do_remove(0, home, ev);
    for (const Watch& w : watches_) {
      if (w.path == kReleaseDomain) ev.push_back(Event{w.watcher, &kReleaseDomain, w.token});
    }
  }
  deliver(ev);
}

Xenstore::Tx* Xenstore::tx_of(const Connection* conn, TxId tx) {
  if (tx == kNoTx) return nullptr;
  for (Tx& t : txs_) {
    if (t.id == tx) return t.conn == conn ? &t : nullptr;
  }
  return nullptr;
}

void Xenstore::end(Tx& t) {
  t.id = kNoTx;
  t.conn = nullptr;
  t.writes.clear();
  t.touched.clear();  // keeps its capacity for the slot's next transaction
}

void Xenstore::drop(const Connection* conn) {
  std::lock_guard<std::mutex> lock(mu_);
  for (Tx& t : txs_) {
    if (t.id != kNoTx && t.conn == conn) end(t);
  }
  std::erase_if(watches_, [&](const Watch& w) { return w.conn == conn; });
}

Connection::~Connection() { xs_.drop(this); }

StoreStatus Connection::lookup(TxId tx, std::string_view p, const std::string*& value) {
  auto e = xs_.lookup(p);  // found: a valid path
  if (e == xs_.nodes_.end() && (!Xenstore::valid_path(p) || p[0] == '@')) return StoreStatus::invalid;
  if (tx != kNoTx) {
    Xenstore::Tx* t = xs_.tx_of(this, tx);
    if (t == nullptr) return StoreStatus::invalid;
    if (e == xs_.nodes_.end()) e = xs_.known(p);
    t->touched.push_back(&e->second.changed_at);
    // Its own write or removal of the path is what it reads; else its removal of an ancestor hides
    // the node.
    bool hidden = false;
    for (const auto& [path, v] : t->writes) {
      if (path == e) {
        if (!v) return StoreStatus::not_found;
        value = &*v;
        return StoreStatus::ok;
      }
      if (!v && strictly_under(p, path->first)) hidden = true;
    }
    if (hidden) return StoreStatus::not_found;
  }
  const Xenstore::Node* n = e == xs_.nodes_.end() ? nullptr : &e->second;
  if (n == nullptr || !n->exists) return StoreStatus::not_found;
  if (!xs_.can(domid_, *n, false)) return StoreStatus::denied;
  value = &n->value;
  return StoreStatus::ok;
}

StoreStatus Connection::read(TxId tx, const char* path, char* out, size_t cap) {
  std::lock_guard<std::mutex> lock(xs_.mu_);
  const std::string* v = nullptr;
  const StoreStatus s = lookup(tx, path, v);
  if (s != StoreStatus::ok) return s;
  if (v->size() + 1 > cap) return StoreStatus::too_long;
  std::memcpy(out, v->c_str(), v->size() + 1);
  return StoreStatus::ok;
}

StoreStatus Connection::read(const std::string& p, std::string& out, TxId tx) {
  std::lock_guard<std::mutex> lock(xs_.mu_);
  const std::string* v = nullptr;
  const StoreStatus s = lookup(tx, p, v);
  if (s == StoreStatus::ok) out = *v;
  return s;
}

StoreStatus Connection::write(TxId tx, const char* path, const char* value) {
  Xenstore::Events events(xs_);
  std::vector<Xenstore::Event>& ev = events.list();
  StoreStatus s;
  {
    std::lock_guard<std::mutex> lock(xs_.mu_);
    if (tx != kNoTx) {
      Xenstore::Tx* t = xs_.tx_of(this, tx);
      auto e = xs_.lookup(path);  // found: a valid path
      if (t == nullptr || (e == xs_.nodes_.end() && (!Xenstore::valid_path(path) || path[0] == '@'))) {
        return StoreStatus::invalid;
      }
      if (e != xs_.nodes_.end() && e->second.exists && !xs_.can(domid_, e->second, true)) return StoreStatus::denied;
      if (e == xs_.nodes_.end()) e = xs_.known(path);
      if (std::optional<std::string>* w = Xenstore::tx_write(*t, e)) {
        *w = value;
      } else {
        t->writes.emplace_back(e, value);
      }
      t->touched.push_back(&e->second.changed_at);
      return StoreStatus::ok;
    }
    s = xs_.do_write(domid_, path, value, ev);
  }
  Xenstore::deliver(ev);
  return s;
}

StoreStatus Connection::remove(TxId tx, const char* path) {
  Xenstore::Events events(xs_);
  std::vector<Xenstore::Event>& ev = events.list();
  StoreStatus s;
  {
    std::lock_guard<std::mutex> lock(xs_.mu_);
    if (tx != kNoTx) {
      Xenstore::Tx* t = xs_.tx_of(this, tx);
      const std::string_view p = path;
      if (t == nullptr || !Xenstore::valid_path(p) || p[0] == '@' || same(p, "/")) return StoreStatus::invalid;
      const Xenstore::Node* n = xs_.find(p);
      if (n != nullptr && !xs_.can(domid_, *n, true)) return StoreStatus::denied;
      std::erase_if(t->writes, [&](const auto& w) { return strictly_under(w.first->first, p); });
      const auto e = xs_.known(p);
      if (std::optional<std::string>* w = Xenstore::tx_write(*t, e)) {
        w->reset();
      } else {
        t->writes.emplace_back(e, std::nullopt);
      }
      t->touched.push_back(&e->second.changed_at);
      return StoreStatus::ok;
    }
    s = xs_.do_remove(domid_, path, ev);
  }
  Xenstore::deliver(ev);
  return s;
}

StoreStatus Connection::begin(TxId& tx) {
  std::lock_guard<std::mutex> lock(xs_.mu_);
  tx = xs_.next_tx_++;
  Xenstore::Tx* slot = nullptr;
  for (Xenstore::Tx& t : xs_.txs_) {
    if (t.id == kNoTx) {
      slot = &t;
      break;
    }
  }
  if (slot == nullptr) slot = &xs_.txs_.emplace_back();
  slot->id = tx;
  slot->conn = this;
  slot->domid = domid_;
  slot->start_gen = xs_.gen_;
  return StoreStatus::ok;
}

StoreStatus Connection::commit(TxId tx) {
  Xenstore::Events events(xs_);
  std::vector<Xenstore::Event>& ev = events.list();
  StoreStatus s = StoreStatus::ok;
  {
    std::lock_guard<std::mutex> lock(xs_.mu_);
    Xenstore::Tx* t = xs_.tx_of(this, tx);
    if (t == nullptr) return StoreStatus::invalid;
    for (const uint64_t* changed_at : t->touched) {  // anything it looked at changed since: retry
      if (*changed_at > t->start_gen) {
        xs_.end(*t);
        return StoreStatus::again;
      }
    }
    // Applied in path order, parents before children (applying them touches no transaction: t
    // stays valid).
    std::sort(t->writes.begin(), t->writes.end(),
              [](const auto& a, const auto& b) { return Xenstore::PathLess()(a.first->first, b.first->first); });
    for (const auto& [path, value] : t->writes) {
      const StoreStatus r = value ? xs_.do_write(domid_, path->first, *value, ev) : xs_.do_remove(domid_, path->first, ev);
      if (r != StoreStatus::ok && r != StoreStatus::not_found && s == StoreStatus::ok) s = r;
    }
    xs_.end(*t);
  }
  Xenstore::deliver(ev);
  return s;
}

void Connection::abort(TxId tx) {
  std::lock_guard<std::mutex> lock(xs_.mu_);
  if (Xenstore::Tx* t = xs_.tx_of(this, tx)) xs_.end(*t);
}

StoreStatus Connection::watch(const char* path, const char* token, StoreWatcher* watcher) {
  {
    std::lock_guard<std::mutex> lock(xs_.mu_);
    if (!Xenstore::valid_path(path) || watcher == nullptr) return StoreStatus::invalid;
    xs_.watches_.push_back(Xenstore::Watch{this, domid_, path, token, watcher});
  }
  watcher->watch_fired(path, token);  // xenstored fires every new watch once
  return StoreStatus::ok;
}

StoreStatus Connection::unwatch(const char* path, const char* token) {
  std::lock_guard<std::mutex> lock(xs_.mu_);
  const size_t before = xs_.watches_.size();
  std::erase_if(xs_.watches_, [&](const Xenstore::Watch& w) {
    return w.domid == domid_ && w.path == path && w.token == token;
  });
  return xs_.watches_.size() == before ? StoreStatus::not_found : StoreStatus::ok;
}

StoreStatus Connection::set_perms(const std::string& path, const Perms& perms) {
  Xenstore::Events events(xs_);
  std::vector<Xenstore::Event>& ev = events.list();
  {
    std::lock_guard<std::mutex> lock(xs_.mu_);
    auto it = xs_.lookup(path);
    if (it == xs_.nodes_.end() || !it->second.exists) return StoreStatus::not_found;
    if (domid_ != 0 && it->second.perms.owner != domid_) return StoreStatus::denied;
    it->second.perms = perms;
    xs_.changed(it, ev);
  }
  Xenstore::deliver(ev);
  return StoreStatus::ok;
}

std::vector<std::string> Connection::list(const std::string& path) {
  std::lock_guard<std::mutex> lock(xs_.mu_);
  std::vector<std::string> out;
  const Xenstore::Node* n = xs_.find(path);
  if (n == nullptr || !xs_.can(domid_, *n, false)) return out;
  const std::string prefix = path == "/" ? "/" : path + "/";
  for (auto it = xs_.nodes_.lower_bound(prefix); it != xs_.nodes_.end(); ++it) {
    if (it->first.compare(0, prefix.size(), prefix) != 0) break;
    if (it->second.exists && it->first.find('/', prefix.size()) == std::string::npos) {
      out.push_back(it->first.substr(prefix.size()));
    }
  }
  return out;
}

}  // namespace pcisplit::sim
