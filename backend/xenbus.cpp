// SPDX-License-Identifier: GPL-2.0-only
// The xenbus side of a backend instance: states, device export and the handshake.
#include "backend/xenbus.hpp"

namespace pcisplit {
namespace {

constexpr char kBeToken[] = "be";
constexpr char kFeToken[] = "fe";

}  // namespace

BackendInstance::BackendInstance(Store& store, BackendHost& host, uint16_t domid, Topology::Mode mode)
    : store_(store), host_(host), domid_(domid), topology_(mode) {
  Text t;
  t.add("/local/domain/0/backend/pci/").add_dec(domid).add("/0");
  copy_cstr(be_path_, sizeof be_path_, t.c_str());
  fe_path_[0] = '\0';
}

bool BackendInstance::read_key(const char* key, char* out, size_t cap) {
  Text path;
  path.add(be_path_).add("/").add(key);
  return store_.read(kNoTx, path.c_str(), out, cap) == StoreStatus::ok;
}

bool BackendInstance::read_frontend(const char* key, char* out, size_t cap) {
  Text path;
  path.add(fe_path_).add("/").add(key);
  return store_.read(kNoTx, path.c_str(), out, cap) == StoreStatus::ok;
}

xs::State BackendInstance::read_state(const char* base) {
  Text diag;
  const xs::State s = xs::read_state(store_, base, diag);
  if (diag.size() != 0) host_.log(diag.c_str());
  return s;
}

void BackendInstance::write_key(const char* key, const char* value) {
  // Never recreate a backend directory the toolstack removed (libxl deletes it when the last device
  // is unplugged or the guest is gone): a recreated node would keep the kernel's xenbus device, and
  // its later re-creation by libxl, from being seen as new. So each write checks, in one transaction
  // with it, that our "state" node still exists (as the kernel's xenbus_switch_state does).
  Text path, state_path;
  path.add(be_path_).add("/").add(key);
  state_path.add(be_path_).add("/").add(xs::kState);
  StoreStatus st = StoreStatus::again;
  for (int attempt = 0; attempt < kTxRetries && st == StoreStatus::again; ++attempt) {
    TxId tx = kNoTx;
    st = store_.begin(tx);
    if (st != StoreStatus::ok) break;
    char buf[16];
    st = store_.read(tx, state_path.c_str(), buf, sizeof buf);
    if (st == StoreStatus::not_found) {
      store_.abort(tx);
      return;  // the directory is gone: nothing to tell anyone
    }
    if (st == StoreStatus::ok) st = store_.write(tx, path.c_str(), value);
    if (st != StoreStatus::ok) {
      store_.abort(tx);
      break;
    }
    st = store_.commit(tx);
  }
  if (st != StoreStatus::ok) {
    Text msg;
    msg.add("cannot write ").add(path.c_str()).add(": ").add(store_status_name(st));
    host_.log(msg.c_str());
  }
}

void BackendInstance::write_indexed(const char* prefix, uint32_t n, const char* value) {
  Text key;
  xs::key_name(key, prefix, n);
  write_key(key.c_str(), value);
}

void BackendInstance::set_state(xs::State s) {
  state_ = s;
  Text v;
  v.add_dec(static_cast<uint32_t>(s));
  write_key(xs::kState, v.c_str());
}

void BackendInstance::fatal(const char* what) {
  host_.log(what);
  write_key("error", what);
  drop_guest();
  set_state(xs::State::closing);
}

StoreStatus BackendInstance::start() {
  char fe[kPathMax];
  if (!read_key("frontend", fe, sizeof fe) || fe[0] != '/') {
    fatal("backend: missing or relative \"frontend\" key");
    return StoreStatus::invalid;
  }
  copy_cstr(fe_path_, sizeof fe_path_, fe);
  set_state(xs::State::init_wait);
  Text fe_state;
  fe_state.add(fe_path_).add("/").add(xs::kState);
  StoreStatus st = store_.watch(fe_state.c_str(), kFeToken, this);
  if (st == StoreStatus::ok) st = store_.watch(be_path_, kBeToken, this);
  return st;
}

void BackendInstance::stop() {
  Text fe_state;
  fe_state.add(fe_path_).add("/").add(xs::kState);
  (void)store_.unwatch(fe_state.c_str(), kFeToken);
  (void)store_.unwatch(be_path_, kBeToken);
  drop_guest();
  state_ = xs::State::closed;
}

void BackendInstance::watch_fired(const char*, const char*) {
  coalescer_.run([this] { reevaluate(); });
}

void BackendInstance::reevaluate() {
  const xs::State fe = read_state(fe_path_);
  const xs::State be = read_state(be_path_);  // libxl writes Reconfiguring here for hot-plug
  if (state_ == xs::State::closing || state_ == xs::State::closed) {
    if (fe == xs::State::closed || fe == xs::State::unknown) {
      if (state_ != xs::State::closed) set_state(xs::State::closed);
    }
    return;
  }
  // A frontend state that vanished after the handshake means the guest's xenstore home is gone.
  const bool fe_gone = fe == xs::State::unknown && state_ != xs::State::init_wait && state_ != xs::State::initialised;
  if (fe == xs::State::closing || fe == xs::State::closed || fe_gone) {
    drop_guest();
    set_state(fe == xs::State::closing ? xs::State::closing : xs::State::closed);
    return;
  }
  if (state_ == xs::State::init_wait) setup();
  if (state_ == xs::State::initialised && fe == xs::State::initialised) attach();
  if (be == xs::State::reconfiguring && fe == xs::State::reconfiguring) reconfigure();
  if (state_ == xs::State::reconfigured && fe == xs::State::connected) set_state(xs::State::connected);
}

void BackendInstance::setup() {
  char buf[16];
  uint32_t num = 0;
  Text diag;
  if (!read_key(xs::kNumDevs, buf, sizeof buf) || !xs::parse_count(xs::kNumDevs, buf, xs::kMaxDevs, num, diag)) {
    fatal(diag.size() != 0 ? diag.c_str() : "backend: missing num_devs");
    return;
  }
  for (uint32_t n = 0; n < num; ++n) {
    Text key;
    xs::key_name(key, xs::kStatePrefix, n);
    xs::State s = xs::State::initialising;
    if (read_key(key.c_str(), buf, sizeof buf) && !xs::parse_state(key.c_str(), buf, s, diag)) s = xs::State::unknown;
    if (s == xs::State::initialising) export_one(n);
  }
  publish_roots();
  set_state(xs::State::initialised);
}

bool BackendInstance::export_one(uint32_t n) {
  if (n >= Topology::kMaxDevices) return false;
  char buf[96];
  Text key, diag;
  Bdf phys;
  xs::DevOpts opts;
  xs::key_name(key, xs::kDevPrefix, n);
  bool ok = read_key(key.c_str(), buf, sizeof buf) ? xs::parse_dev(key.c_str(), buf, phys, diag)
                                                    : xs::parse_dev(key.c_str(), nullptr, phys, diag);
  xs::key_name(key, xs::kOptsPrefix, n);
  if (ok && read_key(key.c_str(), buf, sizeof buf)) ok = xs::parse_opts(key.c_str(), buf, opts, diag);
  PhysFunction fn;
  DeviceView* view = nullptr;
  DevicePlatform* platform = nullptr;
  if (ok) ok = host_.export_device(phys, opts, fn, view, platform, diag) == Err::success;
  if (ok) {
    const Result<Bdf> virt = topology_.add(fn, diag);
    if (!virt.ok()) {
      host_.release_device(phys);
      ok = false;
    } else {
      dispatcher_.attach(topology_.find_phys(fn.bdf), view, platform);
      exported_[n] = phys;
      has_[n] = true;
      Text v;
      xs::format_vdev(v, virt.value());
      write_indexed(xs::kVdevPrefix, n, v.c_str());
      write_indexed(xs::kStatePrefix, n, "3");
    }
  }
  if (!ok) {  // this device is refused; the others go on
    Text msg;
    msg.add("backend: device ").add_dec(n).add(" refused: ").add(diag.c_str());
    host_.log(msg.c_str());
    write_indexed("error-", n, diag.c_str());
    write_indexed(xs::kStatePrefix, n, "6");
  }
  return ok;
}

void BackendInstance::release_one(uint32_t n) {
  if (n >= Topology::kMaxDevices || !has_[n]) return;
  const int index = topology_.find_phys(exported_[n]);
  if (index >= 0) {
    // The guest may be gone with interrupts on: turn them off before the function is reset.
    ExportedDevice& dev = dispatcher_.device(index);
    if (dev.irq == ExportedDevice::Irq::msi) (void)dev.platform->disable_msi();
    if (dev.irq == ExportedDevice::Irq::msix) (void)dev.platform->disable_msix();
    if (dev.view != nullptr) dev.view->reset();
    dispatcher_.detach(index);
  }
  (void)topology_.remove(exported_[n]);
  host_.release_device(exported_[n]);
  has_[n] = false;
  Text key, path;
  xs::key_name(key, xs::kVdevPrefix, n);
  path.add(be_path_).add("/").add(key.c_str());
  (void)store_.remove(kNoTx, path.c_str());
  write_indexed(xs::kStatePrefix, n, "6");
}

void BackendInstance::drop_guest() {
  release_all();
  host_.disconnect();
  page_ = nullptr;
}

void BackendInstance::release_all() {
  for (uint32_t n = 0; n < Topology::kMaxDevices; ++n) release_one(n);
}

void BackendInstance::publish_roots() {
  const uint16_t count = topology_.root_count();
  for (uint16_t k = 0; k < count; ++k) {
    const Bdf r = topology_.root(k);
    Text v;
    xs::format_root(v, r.domain, r.bus);
    write_indexed(xs::kRootPrefix, k, v.c_str());
  }
  Text v;
  v.add_dec(count);
  write_key(xs::kRootNum, v.c_str());
}

void BackendInstance::attach() {
  char buf[32];
  Text diag;
  uint32_t gref = 0, port = 0;
  if (!read_frontend(xs::kMagic, buf, sizeof buf)) {
    fatal("frontend: missing magic");
    return;
  }
  if (!xs::parse_magic(xs::kMagic, buf, diag)) return fatal(diag.c_str());
  if (!read_frontend(xs::kPciOpRef, buf, sizeof buf) || !xs::parse_u32(xs::kPciOpRef, buf, gref, diag)) {
    return fatal(diag.size() ? diag.c_str() : "frontend: missing pci-op-ref");
  }
  if (!read_frontend(xs::kEventChannel, buf, sizeof buf) || !xs::parse_u32(xs::kEventChannel, buf, port, diag)) {
    return fatal(diag.size() ? diag.c_str() : "frontend: missing event-channel");
  }
  volatile wire::SharedInfo* page = nullptr;
  if (host_.connect(domid_, gref, port, &page) != Err::success || page == nullptr) {
    return fatal("backend: cannot map the frontend's page or bind its event channel");
  }
  page_ = page;
  set_state(xs::State::connected);
}

void BackendInstance::reconfigure() {
  char buf[16];
  uint32_t num = 0;
  Text diag;
  if (!read_key(xs::kNumDevs, buf, sizeof buf) || !xs::parse_count(xs::kNumDevs, buf, xs::kMaxDevs, num, diag)) {
    return fatal(diag.size() ? diag.c_str() : "backend: missing num_devs");
  }
  for (uint32_t n = 0; n < num; ++n) {
    Text key;
    xs::key_name(key, xs::kStatePrefix, n);
    xs::State s = xs::State::unknown;
    if (!read_key(key.c_str(), buf, sizeof buf) || !xs::parse_state(key.c_str(), buf, s, diag)) continue;
    if (s == xs::State::initialising) export_one(n);
    if (s == xs::State::closing) release_one(n);
  }
  publish_roots();
  set_state(xs::State::reconfigured);
}

bool BackendInstance::on_event() {
  volatile wire::SharedInfo* page = page_;
  if (page == nullptr) return false;
  if ((page->flags & PCISPLIT_F_ACTIVE) == 0) return false;
  __atomic_thread_fence(__ATOMIC_ACQUIRE);
  dispatcher_.process(&page->op);
  __atomic_thread_fence(__ATOMIC_RELEASE);  // the answer is visible before the flag clears
  __atomic_fetch_and(&page->flags, ~PCISPLIT_F_ACTIVE, __ATOMIC_SEQ_CST);
  host_.notify();
  return true;
}

}  // namespace pcisplit
