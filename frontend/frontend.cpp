// SPDX-License-Identifier: GPL-2.0-only
// The frontend core: handshake, roots, and the one-op-in-flight client.
#include "frontend/frontend.hpp"

namespace pcisplit {
namespace {

constexpr char kBeToken[] = "be";
constexpr int kPublishAttempts = 8;

// Our backend answers in XEN_PCI_ERR_*; an in-tree backend may answer a raw -errno for MSI-X.
Err from_wire(int32_t err) {
  return err <= 0 && err >= PCISPLIT_ERR_OP_FAILED ? static_cast<Err>(err) : Err::op_failed;
}

}  // namespace

FrontendInstance::FrontendInstance(Store& store, FrontendHost& host, const char* fe_path, AerHandler* aer)
    : store_(store), host_(host), aer_(aer) {
  copy_cstr(fe_path_, sizeof fe_path_, fe_path);
  be_path_[0] = '\0';
}

xs::State FrontendInstance::read_state(const char* base) {
  Text diag;
  const xs::State s = xs::read_state(store_, base, diag);
  if (diag.size() != 0) host_.log(diag.c_str());
  return s;
}

void FrontendInstance::set_state(xs::State s) {
  state_ = s;
  Text path, v;
  xs::join(path, fe_path_, xs::kState);
  v.add_dec(static_cast<uint32_t>(s));
  if (store_.write(kNoTx, path.c_str(), v.c_str()) != StoreStatus::ok) host_.log("frontend: cannot write state");
}

StoreStatus FrontendInstance::start() {
  char buf[kPathMax];
  Text path, diag;
  path.add(fe_path_).add("/backend");
  if (store_.read(kNoTx, path.c_str(), buf, sizeof buf) != StoreStatus::ok || buf[0] != '/') {
    host_.log("frontend: missing or relative \"backend\" key");
    return StoreStatus::invalid;
  }
  copy_cstr(be_path_, sizeof be_path_, buf);
  path.clear();
  path.add(fe_path_).add("/backend-id");
  uint32_t id = 0;
  if (store_.read(kNoTx, path.c_str(), buf, sizeof buf) != StoreStatus::ok ||
      !xs::parse_count("backend-id", buf, 0x7fef, id, diag)) {
    host_.log(diag.size() ? diag.c_str() : "frontend: missing backend-id");
    return StoreStatus::invalid;
  }
  backend_domid_ = static_cast<uint16_t>(id);

  uint32_t gref = 0, port = 0;
  volatile wire::SharedInfo* page = nullptr;
  if (host_.setup(backend_domid_, &page, &gref, &port) != Err::success || page == nullptr) {
    host_.log("frontend: cannot grant the page or allocate the event channel");
    return StoreStatus::invalid;
  }
  page->flags = aer_ != nullptr ? PCISPLIT_B_AERHANDLER : 0;
  page_ = page;

  Text gref_s, port_s;
  gref_s.add_dec(gref);
  port_s.add_dec(port);
  StoreStatus st = StoreStatus::again;
  for (int attempt = 0; attempt < kPublishAttempts && st == StoreStatus::again; ++attempt) {
    TxId tx;
    st = store_.begin(tx);
    if (st != StoreStatus::ok) break;
    Text k1, k2, k3;
    xs::join(k1, fe_path_, xs::kPciOpRef);
    xs::join(k2, fe_path_, xs::kEventChannel);
    xs::join(k3, fe_path_, xs::kMagic);
    st = store_.write(tx, k1.c_str(), gref_s.c_str());
    if (st == StoreStatus::ok) st = store_.write(tx, k2.c_str(), port_s.c_str());
    if (st == StoreStatus::ok) st = store_.write(tx, k3.c_str(), PCISPLIT_MAGIC);
    if (st != StoreStatus::ok) {
      store_.abort(tx);
      break;
    }
    st = store_.commit(tx);
  }
  if (st != StoreStatus::ok) {
    host_.log("frontend: cannot publish pci-op-ref/event-channel/magic");
    host_.teardown();
    page_ = nullptr;
    return st;
  }
  set_state(xs::State::initialised);
  Text be_state;
  xs::join(be_state, be_path_, xs::kState);
  return store_.watch(be_state.c_str(), kBeToken, this);
}

void FrontendInstance::stop() {
  Text be_state;
  xs::join(be_state, be_path_, xs::kState);
  (void)store_.unwatch(be_state.c_str(), kBeToken);
  if (page_ != nullptr) host_.teardown();
  page_ = nullptr;
  set_state(xs::State::closed);
}

void FrontendInstance::watch_fired(const char*, const char*) {
  coalescer_.run([this] { reevaluate(); });
}

void FrontendInstance::reevaluate() {
  const xs::State be = read_state(be_path_);
  if (be == xs::State::connected && state_ == xs::State::initialised) {
    read_roots();
    set_state(xs::State::connected);
  } else if (be == xs::State::reconfiguring && state_ == xs::State::connected) {
    remove_closing();
    set_state(xs::State::reconfiguring);
  } else if (be == xs::State::reconfigured && state_ == xs::State::reconfiguring) {
    read_roots();
    host_.rescan();
    set_state(xs::State::connected);
  } else if (be == xs::State::closed && state_ == xs::State::initialised) {
    // A backend still Closed from this frontend's previous life (module reloaded): it answers our
    // Initialised by starting over (InitWait, Initialised, Connected). Closing would be a refusal.
  } else if ((be == xs::State::closing || be == xs::State::closed) && state_ != xs::State::closed) {
    if (page_ != nullptr) host_.teardown();
    page_ = nullptr;
    set_state(be == xs::State::closed ? xs::State::closed : xs::State::closing);
  }
}

void FrontendInstance::read_roots() {
  char buf[32];
  Text path, diag;
  uint32_t n = 0;
  xs::join(path, be_path_, xs::kRootNum);
  nroots_ = 0;
  if (store_.read(kNoTx, path.c_str(), buf, sizeof buf) != StoreStatus::ok) {
    roots_[nroots_++] = xs::Root{0, 0};  // no roots published: scan 0000:00, as Linux does
    return;
  }
  if (!xs::parse_count(xs::kRootNum, buf, kMaxRoots, n, diag)) {
    host_.log(diag.c_str());
    return;
  }
  for (uint32_t k = 0; k < n; ++k) {
    Text key;
    xs::key_name(key, xs::kRootPrefix, k);
    xs::Root r;
    if (xs::read_parsed(store_, be_path_, key.c_str(),
                        [&](const char* v) { return xs::parse_root(key.c_str(), v, r, diag); })) {
      roots_[nroots_++] = r;
    } else {
      host_.log(diag.size() ? diag.c_str() : "frontend: missing root-K");
    }
  }
}

// Every device whose state-N says Closing, named by its vdev-N, is removed from the guest. A
// malformed vdev-N is logged and its device left alone: a guest never removes a device it cannot name.
void FrontendInstance::remove_closing() {
  Text diag;
  uint32_t n = 0;
  if (!xs::read_parsed(store_, be_path_, xs::kNumDevs,
                       [&](const char* v) { return xs::parse_count(xs::kNumDevs, v, xs::kMaxDevs, n, diag); })) {
    host_.log(diag.size() ? diag.c_str() : "frontend: reconfiguring without num_devs");
    return;
  }
  for (uint32_t i = 0; i < n; ++i) {
    Text key;
    xs::key_name(key, xs::kStatePrefix, i);
    xs::State s = xs::State::unknown;
    if (!xs::read_parsed(store_, be_path_, key.c_str(),
                         [&](const char* v) { return xs::parse_state(key.c_str(), v, s, diag); }) ||
        s != xs::State::closing)
      continue;
    xs::key_name(key, xs::kVdevPrefix, i);
    Bdf virt;
    diag.clear();
    if (!xs::read_parsed(store_, be_path_, key.c_str(),
                         [&](const char* v) { return xs::parse_vdev(key.c_str(), v, virt, diag); })) {
      host_.log(diag.size() ? diag.c_str() : "frontend: a closing device has no vdev-N");
      continue;
    }
    host_.remove_device(virt);
  }
}

Err FrontendInstance::submit(wire::Cmd cmd, Bdf dev, uint32_t offset, uint32_t size, uint32_t value,
                             uint32_t& out_value, const uint16_t* entries, uint32_t n, uint32_t* pirqs) {
  volatile wire::SharedInfo* page = page_;
  if (page == nullptr || in_flight_ || n > wire::kMaxVec) return Err::op_failed;
  in_flight_ = true;
  volatile wire::Op* op = &page->op;
  op->cmd = static_cast<uint32_t>(cmd);
  op->err = 0;
  op->domain = dev.domain;
  op->bus = dev.bus;
  op->devfn = dev.devfn;
  op->offset = static_cast<int32_t>(offset);
  op->size = static_cast<int32_t>(size);
  op->value = value;
  op->info = 0;
  for (uint32_t i = 0; i < n; ++i) {
    op->msix_entries[i].entry = entries[i];
    op->msix_entries[i].vector = 0;
  }
  __atomic_thread_fence(__ATOMIC_RELEASE);
  __atomic_fetch_or(&page->flags, PCISPLIT_F_ACTIVE, __ATOMIC_SEQ_CST);
  host_.notify();
  if (!host_.wait_clear(page, PCISPLIT_F_ACTIVE, kOpTimeoutMs)) {
    __atomic_fetch_and(&page->flags, ~PCISPLIT_F_ACTIVE, __ATOMIC_SEQ_CST);
    __atomic_fetch_add(&timeouts_, uint64_t{1}, __ATOMIC_RELAXED);
    host_.log("frontend: the backend did not answer in time");
    in_flight_ = false;
    return Err::op_failed;
  }
  __atomic_thread_fence(__ATOMIC_ACQUIRE);
  const Err err = from_wire(op->err);
  out_value = op->value;
  if (err == Err::success) {
    for (uint32_t i = 0; i < n; ++i) pirqs[i] = op->msix_entries[i].vector;
  }
  in_flight_ = false;
  return err;
}

Err FrontendInstance::conf_read(Bdf dev, uint32_t offset, uint32_t size, uint32_t& value) {
  value = 0;
  const Err err = submit(wire::Cmd::conf_read, dev, offset, size, 0, value);
  if (err != Err::success) value = 0;
  return err;
}

Err FrontendInstance::conf_write(Bdf dev, uint32_t offset, uint32_t size, uint32_t value) {
  uint32_t ignored;
  return submit(wire::Cmd::conf_write, dev, offset, size, value, ignored);
}

Err FrontendInstance::enable_msi(Bdf dev, uint32_t nvec, uint32_t& pirq) {
  return nvec > 1 ? submit(wire::Cmd::enable_multi_msi, dev, 0, 0, nvec, pirq)
                  : submit(wire::Cmd::enable_msi, dev, 0, 0, 0, pirq);
}

Err FrontendInstance::disable_msi(Bdf dev) {
  uint32_t ignored;
  return submit(wire::Cmd::disable_msi, dev, 0, 0, 0, ignored);
}

Err FrontendInstance::enable_msix(Bdf dev, const uint16_t* entries, uint32_t n, uint32_t* pirqs) {
  uint32_t value;
  const Err err = submit(wire::Cmd::enable_msix, dev, 0, 0, n, value, entries, n, pirqs);
  return err == Err::success && value != 0 ? Err::op_failed : err;
}

Err FrontendInstance::disable_msix(Bdf dev) {
  uint32_t ignored;
  return submit(wire::Cmd::disable_msix, dev, 0, 0, 0, ignored);
}

void FrontendInstance::on_event() {
  volatile wire::SharedInfo* page = page_;
  if (page == nullptr || (page->flags & PCISPLIT_B_ACTIVE) == 0) return;
  __atomic_thread_fence(__ATOMIC_ACQUIRE);
  const uint32_t cmd = page->aer_op.cmd;
  const int32_t state = page->aer_op.err;
  const Bdf virt{static_cast<uint16_t>(page->aer_op.domain), static_cast<uint8_t>(page->aer_op.bus),
                 static_cast<uint8_t>(page->aer_op.devfn)};
  const int32_t result = aer_ != nullptr ? aer_->handle(static_cast<wire::Cmd>(cmd), virt, state) : 1;
  page->aer_op.err = result;
  __atomic_thread_fence(__ATOMIC_RELEASE);
  __atomic_fetch_and(&page->flags, ~PCISPLIT_B_ACTIVE, __ATOMIC_SEQ_CST);
  host_.notify();
}

}  // namespace pcisplit
