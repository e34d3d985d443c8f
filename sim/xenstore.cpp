// SPDX-License-Identifier: GPL-2.0-only
// The simulated xenstore.
#include "sim/xenstore.hpp"

#include <algorithm>
#include <cstring>

namespace pcisplit::sim {

Xenstore::Xenstore() {
  nodes_["/"] = Node{};
  nodes_["/local"] = Node{};
  nodes_["/local/domain"] = Node{};
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

std::string Xenstore::parent(const std::string& p) {
  const size_t slash = p.rfind('/');
  return slash == 0 ? "/" : p.substr(0, slash);
}

bool Xenstore::can(DomId dom, const Node& n, bool write) const {
  if (dom == 0 || n.perms.owner == dom) return true;
  const auto it = n.perms.acl.find(dom);
  const Perm p = it != n.perms.acl.end() ? it->second : n.perms.others;
  return p == Perm::both || p == (write ? Perm::write : Perm::read);
}

const Xenstore::Node* Xenstore::find(std::string_view p) const {
  const auto it = nodes_.find(p);
  return it == nodes_.end() ? nullptr : &it->second;
}

void Xenstore::changed(const std::string& p, std::vector<Event>& ev) {
  changed_at_[p] = ++gen_;
  const Node* n = find(p);
  for (const Watch& w : watches_) {
    const bool under = w.path == p || w.path == "/" || (p.compare(0, w.path.size(), w.path) == 0 && p[w.path.size()] == '/');
    if (!under) continue;
    if (n != nullptr && !can(w.domid, *n, false)) continue;  // no events about nodes one cannot read
    ev.push_back(Event{w.watcher, p, w.token});
  }
}

StoreStatus Xenstore::do_write(DomId dom, const std::string& p, const std::string& v, std::vector<Event>& ev) {
  if (!valid_path(p) || p[0] == '@') return StoreStatus::invalid;
  if (const auto it = nodes_.find(p); it != nodes_.end()) {
    Node* n = &it->second;
    if (!can(dom, *n, true)) return StoreStatus::denied;
    n->value = v;
    changed(p, ev);
    return StoreStatus::ok;
  }
  // Create, with any missing ancestors: each inherits its parent's permissions; a node an
  // unprivileged domain creates is owned by it (as xenstored does).
  std::vector<std::string> missing;
  std::string a = p;
  while (find(a) == nullptr) {
    missing.push_back(a);
    a = parent(a);
  }
  if (!can(dom, *find(a), true)) return StoreStatus::denied;
  for (auto it = missing.rbegin(); it != missing.rend(); ++it) {
    Node n;
    n.perms = find(parent(*it))->perms;
    if (dom != 0) n.perms.owner = dom;
    nodes_[*it] = n;
    changed(*it, ev);
  }
  nodes_[p].value = v;
  return StoreStatus::ok;
}

StoreStatus Xenstore::do_remove(DomId dom, const std::string& p, std::vector<Event>& ev) {
  if (!valid_path(p) || p[0] == '@' || p == "/") return StoreStatus::invalid;
  const Node* n = find(p);
  if (n == nullptr) return StoreStatus::not_found;
  const Node* par = find(parent(p));
  if (!can(dom, *n, true) || (par != nullptr && !can(dom, *par, true))) return StoreStatus::denied;
  std::vector<std::string> gone;
  for (auto it = nodes_.lower_bound(p); it != nodes_.end(); ++it) {
    if (it->first != p && it->first.compare(0, p.size() + 1, p + "/") != 0) break;
    gone.push_back(it->first);
  }
  for (const std::string& g : gone) nodes_.erase(g);
  for (auto it = gone.rbegin(); it != gone.rend(); ++it) changed(*it, ev);
  return StoreStatus::ok;
}

void Xenstore::deliver(const std::vector<Event>& ev) {
  for (const Event& e : ev) e.watcher->watch_fired(e.path.c_str(), e.token.c_str());
}

void Xenstore::release_domain(DomId domid) {
  std::vector<Event> ev;
  {
    std::lock_guard<std::mutex> lock(mu_);
    for (auto it = txs_.begin(); it != txs_.end();) it = it->second.domid == domid ? txs_.erase(it) : std::next(it);
    std::erase_if(watches_, [&](const Watch& w) { return w.domid == domid; });
    const std::string home = "/local/domain/" + std::to_string(domid);
    if (find(home) != nullptr) do_remove(0, home, ev);
    for (const Watch& w : watches_) {
      if (w.path == "@releaseDomain") ev.push_back(Event{w.watcher, "@releaseDomain", w.token});
    }
  }
  deliver(ev);
}

Xenstore::Tx* Xenstore::tx_of(const Connection* conn, TxId tx) {
  const auto it = txs_.find(tx);
  return it != txs_.end() && it->second.conn == conn ? &it->second : nullptr;
}

void Xenstore::drop(const Connection* conn) {
  std::lock_guard<std::mutex> lock(mu_);
  for (auto it = txs_.begin(); it != txs_.end();) it = it->second.conn == conn ? txs_.erase(it) : std::next(it);
  std::erase_if(watches_, [&](const Watch& w) { return w.conn == conn; });
}

Connection::~Connection() { xs_.drop(this); }

StoreStatus Connection::lookup(TxId tx, std::string_view p, const std::string*& value) {
  if (!Xenstore::valid_path(p) || p[0] == '@') return StoreStatus::invalid;
  if (tx != kNoTx) {
    Xenstore::Tx* t = xs_.tx_of(this, tx);
    if (t == nullptr) return StoreStatus::invalid;
    if (t->touched.find(p) == t->touched.end()) t->touched.emplace(p);
    // The path and each ancestor, as prefixes of the path (no copies): a removal of any of them hides
    // the node; a write of the path itself is the value.
    for (size_t len = p.size(); len > 0; len = len == 1 ? 0 : std::max<size_t>(p.rfind('/', len - 1), 1)) {
      const auto w = t->writes.find(p.substr(0, len));
      if (w != t->writes.end()) {
        if (!w->second) return StoreStatus::not_found;
        if (len == p.size()) {
          value = w->second.get();
          return StoreStatus::ok;
        }
      }
    }
  }
  const Xenstore::Node* n = xs_.find(p);
  if (n == nullptr) return StoreStatus::not_found;
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
  std::vector<Xenstore::Event> ev;
  StoreStatus s;
  {
    std::lock_guard<std::mutex> lock(xs_.mu_);
    if (tx != kNoTx) {
      Xenstore::Tx* t = xs_.tx_of(this, tx);
      if (t == nullptr || !Xenstore::valid_path(path) || path[0] == '@') return StoreStatus::invalid;
      const Xenstore::Node* n = xs_.find(path);
      if (n != nullptr && !xs_.can(domid_, *n, true)) return StoreStatus::denied;
      t->writes[path] = std::make_unique<std::string>(value);
      t->touched.insert(path);
      return StoreStatus::ok;
    }
    s = xs_.do_write(domid_, path, value, ev);
  }
  Xenstore::deliver(ev);
  return s;
}

StoreStatus Connection::remove(TxId tx, const char* path) {
  std::vector<Xenstore::Event> ev;
  StoreStatus s;
  {
    std::lock_guard<std::mutex> lock(xs_.mu_);
    if (tx != kNoTx) {
      Xenstore::Tx* t = xs_.tx_of(this, tx);
      const std::string p = path;
      if (t == nullptr || !Xenstore::valid_path(p) || p[0] == '@' || p == "/") return StoreStatus::invalid;
      const Xenstore::Node* n = xs_.find(p);
      if (n != nullptr && !xs_.can(domid_, *n, true)) return StoreStatus::denied;
      std::erase_if(t->writes, [&](const auto& w) { return w.first.compare(0, p.size() + 1, p + "/") == 0; });
      t->writes[p] = nullptr;
      t->touched.insert(p);
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
  xs_.txs_[tx] = Xenstore::Tx{this, domid_, xs_.gen_, {}, {}};
  return StoreStatus::ok;
}

StoreStatus Connection::commit(TxId tx) {
  std::vector<Xenstore::Event> ev;
  StoreStatus s = StoreStatus::ok;
  {
    std::lock_guard<std::mutex> lock(xs_.mu_);
    Xenstore::Tx* t = xs_.tx_of(this, tx);
    if (t == nullptr) return StoreStatus::invalid;
    Xenstore::Tx txn = std::move(*t);
    xs_.txs_.erase(tx);
    for (const std::string& p : txn.touched) {  // anything it looked at changed since: retry
      const auto c = xs_.changed_at_.find(p);
      if (c != xs_.changed_at_.end() && c->second > txn.start_gen) return StoreStatus::again;
    }
    for (const auto& [path, value] : txn.writes) {
      const StoreStatus r = value ? xs_.do_write(domid_, path, *value, ev) : xs_.do_remove(domid_, path, ev);
      if (r != StoreStatus::ok && r != StoreStatus::not_found && s == StoreStatus::ok) s = r;
    }
  }
  Xenstore::deliver(ev);
  return s;
}

void Connection::abort(TxId tx) {
  std::lock_guard<std::mutex> lock(xs_.mu_);
  if (xs_.tx_of(this, tx) != nullptr) xs_.txs_.erase(tx);
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
  std::vector<Xenstore::Event> ev;
  {
    std::lock_guard<std::mutex> lock(xs_.mu_);
    auto it = xs_.nodes_.find(path);
    if (it == xs_.nodes_.end()) return StoreStatus::not_found;
    if (domid_ != 0 && it->second.perms.owner != domid_) return StoreStatus::denied;
    it->second.perms = perms;
    xs_.changed(path, ev);
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
    if (it->first.find('/', prefix.size()) == std::string::npos) out.push_back(it->first.substr(prefix.size()));
  }
  return out;
}

}  // namespace pcisplit::sim
