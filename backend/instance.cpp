// SPDX-License-Identifier: GPL-2.0-only
// The xenbus side of a backend instance: its xenstore nodes, the state machine, the handshake and
// the channel. The functions it holds are in backend/devices.cpp, AER in backend/aer.cpp.
#include "backend/instance.hpp"

namespace pcisplit {

namespace {

constexpr char kBeToken[] = "be";
constexpr char kFeToken[] = "fe";
// Fires whenever any domain is released; the guest's may be gone without its frontend's state node
// firing (a guest that deleted that node itself: removing the home then fires nothing of ours).
constexpr char kReleaseToken[] = "rel";
constexpr char kReleaseDomain[] = "@releaseDomain";

}  // namespace

void BackendHost::arm_timer(uint32_t ms) { (void)ms; }
void BackendHost::lock_ops() {}
void BackendHost::unlock_ops() {}

BackendInstance::OpsLock::OpsLock(BackendHost& host) : host_(host) { host_.lock_ops(); }
BackendInstance::OpsLock::~OpsLock() { host_.unlock_ops(); }

BackendInstance::BackendInstance(Store& store, BackendHost& host, uint16_t domid, Topology::Mode mode)
    : store_(store), host_(host), domid_(domid), topology_(mode) {
  Text t;
  t.add("/local/domain/0/backend/pci/").add_dec(domid).add("/0");
  copy_cstr(be_path_, sizeof be_path_, t.c_str());
  xs::join(t, be_path_, xs::kState);
  copy_cstr(be_state_path_, sizeof be_state_path_, t.c_str());
  fe_path_[0] = '\0';
  xs::join(t, fe_path_, xs::kState);  // (what start() names, until it reads the frontend's path)
  copy_cstr(fe_state_path_, sizeof fe_state_path_, t.c_str());
}

bool BackendInstance::read_key(const char* key, char* out, size_t cap) {
  return read_key_status(key, out, cap) == StoreStatus::ok;
}

StoreStatus BackendInstance::read_key_status(const char* key, char* out, size_t cap) {
  Text path;
  xs::join(path, be_path_, key);
  return store_.read(kNoTx, path.c_str(), out, cap);
}

bool BackendInstance::read_frontend(const char* key, char* out, size_t cap) {
  Text path;
  xs::join(path, fe_path_, key);
  return store_.read(kNoTx, path.c_str(), out, cap) == StoreStatus::ok;
}

BackendInstance::FeState BackendInstance::read_fe_state() {
  FeState out;
  char buf[16];
  // The reason is logged once per run of bad values (below), and formatted only then: a guest may
  // write garbage in a loop.
  Text diag = fe_malformed_logged_ ? Text::discarding() : Text();
  if (store_.read(kNoTx, fe_state_path_, buf, sizeof buf) != StoreStatus::ok) return out;
  out.present = true;
  out.valid = xs::parse_state(fe_state_path_, buf, out.state, diag);
  if (out.valid) {
    fe_malformed_logged_ = false;
    fe_last_ = out.state;
    return out;
  }
  // The guest owns this node: a loop writing garbage must not become a loop writing dom0's log.
  ++fe_malformed_;
  if (!fe_malformed_logged_) {
    fe_malformed_logged_ = true;
    host_.log(diag.c_str());
  }
  return out;
}

xs::State BackendInstance::read_be_state() {
  Text diag;
  const xs::State s = xs::read_state_at(store_, be_state_path_, diag);
  if (diag.size() != 0) host_.log(diag.c_str());
  return s;
}

// Never recreate a backend directory the toolstack removed (libxl deletes it when the last device is
// unplugged or the guest is gone): a recreated node would keep the kernel's xenbus device, and its
// later re-creation by libxl, from being seen as new. So each write checks, in one transaction with
// it, that our "state" node still exists (as the kernel's xenbus_switch_state does).
StoreStatus BackendInstance::in_dir_tx(DirTxBody body, void* arg) {
  StoreStatus st = StoreStatus::again;
  for (int attempt = 0; attempt < kTxRetries && st == StoreStatus::again; ++attempt) {
    TxId tx = kNoTx;
    st = store_.begin(tx);
    if (st != StoreStatus::ok) break;
    char buf[16];
    st = store_.read(tx, be_state_path_, buf, sizeof buf);
    if (st == StoreStatus::ok) st = body(*this, tx, arg);
    if (st != StoreStatus::ok) {
      store_.abort(tx);
      break;
    }
    st = store_.commit(tx);
  }
  return st;
}

void BackendInstance::write_key(const char* key, const char* value) {
  Text path;
  xs::join(path, be_path_, key);
  struct Write {
    const char* path;
    const char* value;
  } w{path.c_str(), value};
  const StoreStatus st = in_dir_tx(
      [](BackendInstance& self, TxId tx, void* arg) {
        const Write& a = *static_cast<const Write*>(arg);
        return self.store_.write(tx, a.path, a.value);
      },
      &w);
  if (st != StoreStatus::ok && st != StoreStatus::not_found) {  // not_found: the directory is gone
    Text msg;
    msg.add("cannot write ").add(path.c_str()).add(": ").add(store_status_name(st));
    host_.log(msg.c_str());
  }
}

void BackendInstance::remove_indexed(const char* prefix, uint32_t n) {
  Text key, path;
  xs::key_name(key, prefix, n);
  xs::join(path, be_path_, key.c_str());
  char buf[8];
  if (store_.read(kNoTx, path.c_str(), buf, sizeof buf) != StoreStatus::not_found) (void)store_.remove(kNoTx, path.c_str());
}

void BackendInstance::write_indexed(const char* prefix, uint32_t n, const char* value) {
  Text key;
  xs::key_name(key, prefix, n);
  write_key(key.c_str(), value);
}

void BackendInstance::write_device_state(uint32_t n, xs::State s) {
  Text v;
  v.add_dec(static_cast<uint32_t>(s));
  write_indexed(xs::kStatePrefix, n, v.c_str());
}

void BackendInstance::set_state(xs::State s) {
  state_ = s;
  Text v;
  v.add_dec(static_cast<uint32_t>(s));
  write_key(xs::kState, v.c_str());
}

// Ends the connection with `what` in the error key. On its own (the frontend's keys were bad:
// magic, page, channel) the guest may start over (Closed, then Initialising) with good keys, as it
// may after closing; nothing can loop by itself, each attempt takes the guest's own state writes.
void BackendInstance::close_with_error(const char* what) {
  host_.log(what);  // the glue ratelimits per guest
  write_key("error", what);
  disconnect();
  quiesce_all();
  if (state_ != xs::State::closed) set_state(xs::State::closing);
}

// The toolstack's keys were bad: closed for good (no restart for a new frontend), said once.
void BackendInstance::fatal(const char* what) {
  const bool again = failed_;
  failed_ = true;
  if (again && (state_ == xs::State::closing || state_ == xs::State::closed)) return;  // said once
  close_with_error(what);
}

StoreStatus BackendInstance::start() {
  char fe[kPathMax];
  if (!read_key("frontend", fe, sizeof fe) || fe[0] != '/') {
    fatal("backend: missing or relative \"frontend\" key");
    return StoreStatus::invalid;
  }
  copy_cstr(fe_path_, sizeof fe_path_, fe);
  Text fe_state;
  xs::join(fe_state, fe_path_, xs::kState);
  copy_cstr(fe_state_path_, sizeof fe_state_path_, fe_state.c_str());
  set_state(xs::State::init_wait);
  StoreStatus st = store_.watch(fe_state_path_, kFeToken, this);
  if (st == StoreStatus::ok) st = store_.watch(be_path_, kBeToken, this);
  if (st == StoreStatus::ok) st = store_.watch(kReleaseDomain, kReleaseToken, this);
  return st;
}

void BackendInstance::stop() {
  (void)store_.unwatch(fe_state_path_, kFeToken);
  (void)store_.unwatch(be_path_, kBeToken);
  (void)store_.unwatch(kReleaseDomain, kReleaseToken);
  disconnect();
  release_all();
  state_ = xs::State::closed;
}

void BackendInstance::watch_fired(const char*, const char*) {
  coalescer_.run([this] { reevaluate(); });
}

void BackendInstance::reevaluate() {
  const FeState fs = read_fe_state();
  // Garbage in the guest's node changes nothing: the last good state stands (and the toolstack's
  // requests are still served).
  const xs::State fe = !fs.present ? xs::State::unknown : fs.valid ? fs.state : fe_last_;
  const xs::State be = read_be_state();  // libxl writes Reconfiguring here for hot-plug
  if (be == xs::State::unknown) return;  // the toolstack removed the backend: stop() follows
  // The guest is gone: libxl removed its home at the end of a destroy and leaves this directory
  // behind (Xen 4.17's libxl waits 10 s for state 4 after its detach request, gives up and never
  // writes online=0 here), so nobody else will ever end this backend. Nothing of the guest can reach
  // the functions any more: give them back now, as Linux's backend unregisters itself when its
  // frontend is gone. The home is dom0's node, so a live guest cannot fake this by deleting its own
  // frontend directory (that only disconnects, below).
  if (fe == xs::State::unknown && guest_home_gone()) {
    disconnect();
    quiesce_all();
    release_all();
    if (state_ != xs::State::closed) set_state(xs::State::closed);
    return;
  }
  if (state_ == xs::State::closing || state_ == xs::State::closed) {
    // A frontend that starts again (module reloaded, kexec) after it closed: as blkback does, go
    // back to InitWait; the functions were kept, so the handshake republishes them. Only from
    // Closed, and never after fatal() (the toolstack's keys were bad): a list it cannot read must not
    // turn into a restart loop. A frontend refused for its own keys (close_with_error) may start over.
    if (state_ == xs::State::closed && !failed_ &&
        (fe == xs::State::initialising || fe == xs::State::init_wait || fe == xs::State::initialised)) {
      set_state(xs::State::init_wait);
    } else {
      if ((fe == xs::State::closed || fe == xs::State::unknown) && state_ != xs::State::closed) {
        set_state(xs::State::closed);
      }
      if (fe == xs::State::unknown && !failed_) (void)sync(Sync::release_only);
      // Ready for the next frontend at once: Linux's pcifront, loaded again, publishes and goes
      // Initialised straight away, and gives up on a backend it finds Closed.
      if (fe == xs::State::closed && state_ == xs::State::closed && !failed_ && !offline()) {
        set_state(xs::State::init_wait);
        setup();
      }
      return;
    }
  }
  // libxl removing a connected device writes online=0 and state=Closing here, then waits for Closed.
  // (Our own Closing, from fatal(), leaves online alone and is handled above.)
  if (be == xs::State::closing && offline()) {
    disconnect();
    quiesce_all();
    set_state(xs::State::closed);
    return;
  }
  // A frontend state that vanished after the handshake while the guest's home is still there: the
  // guest deleted its own node (the destroyed guest's case is handled above).
  const bool live = live_state();
  const bool fe_gone = fe == xs::State::unknown && live;
  if (((fe == xs::State::closing || fe == xs::State::closed) && live) || fe_gone) {
    // Only a disconnect (L5): Xen still assigns the functions to the guest, so they stay its own,
    // owner and all, until the toolstack takes them (dev-N removed, or the backend removed). A
    // detach libxl asked for is served now: no frontend is left to remove the function, and the
    // Closed written below replaces libxl's Reconfiguring, so the detach timer would never fire and a
    // frontend that came back would get the function again after libxl gave up on it.
    disconnect();
    quiesce_all();
    bool changed = false;
    if (!sync(Sync::force_detach, &changed)) return;  // fatal(): Closing written, with the reason
    if (changed) host_.log("backend: the frontend closed with a detach pending: the function was taken back");
    set_state(fe == xs::State::closing ? xs::State::closing : xs::State::closed);
    return;
  }
  if (state_ == xs::State::init_wait) setup();
  // libxl adds the devices of a guest being created one transaction each, without a reconfiguration
  // (the first may already be exported): whatever is listed is exported before the frontend connects.
  if (state_ == xs::State::initialised) {
    bool changed = false;
    if (!sync(Sync::add, &changed)) return;
    if (changed) publish_roots();  // unconditional writes would fire our own watch for ever
  }
  if (state_ == xs::State::initialised && fe == xs::State::initialised) attach();
  // One round per entry of the frontend into Reconfiguring: it removed what was Closing when it
  // followed (Linux's pcifront acts only from Connected). A request libxl writes during the round
  // (our Reconfigured written, the frontend not back to Connected) waits for the next round below.
  if (be == xs::State::reconfiguring && fe == xs::State::reconfiguring && state_ != xs::State::reconfigured) {
    reconfigure();
  } else if (be == xs::State::reconfiguring && fe == xs::State::reconfiguring) {
    // libxl's Reconfiguring landed over our Reconfigured before the frontend read it (a frontend's
    // watch reads the node when it runs, not when it fired): it would wait in Reconfiguring for
    // ever. Reconfigured again, nothing released; its return to Connected starts the next round.
    set_state(xs::State::reconfigured);
  }
  track_detach();
  if (state_ == xs::State::reconfigured && fe == xs::State::connected) {
    // Back in Connected: another round if libxl asked for something during this one (its
    // Reconfiguring written after our Reconfigured, or before it and so overwritten: the list
    // says), else Connected, which libxl waits for. A list that cannot be read is taken as a
    // request: another round costs the frontend a rescan and reads the list again, where Connected
    // would end libxl's wait with a request unserved (and nothing of ours would fire to look again).
    const Found pending = be == xs::State::reconfiguring ? Found::yes : round_pending();
    if (pending == Found::unknown) host_.log("backend: cannot read the device list to end the round; one more round");
    set_state(pending == Found::no ? xs::State::connected : xs::State::reconfiguring);
  }
  // A function whose keys the toolstack removed without a reconfiguration we saw is given back all
  // the same (the list is read in one transaction: never on a half-renumbered list).
  if (state_ == xs::State::connected || state_ == xs::State::reconfigured) (void)sync(Sync::release_only);
}

// Past the handshake, a frontend connected: Connected, or in a hot-plug round.
bool BackendInstance::live_state() const {
  return state_ == xs::State::connected || state_ == xs::State::reconfiguring || state_ == xs::State::reconfigured;
}

// A held function that libxl's list says is being detached (Closing).
BackendInstance::Found BackendInstance::closing_listed() {
  Text diag;
  if (snapshot(diag) != Snap::ok) return Found::unknown;
  for (uint32_t n = 0; n < nlisted_; ++n) {
    const ListedDev& d = listed_[n];
    if (d.state == xs::State::closing && d.dev_ok && topology_.find_phys(d.phys) >= 0) return Found::yes;
  }
  return Found::no;
}

// A request on the list the last round did not serve: a held function listed Closing, or a
// function listed Initialising that is not held (its index usable).
BackendInstance::Found BackendInstance::round_pending() {
  Text diag;
  if (snapshot(diag) != Snap::ok) return Found::unknown;
  for (uint32_t n = 0; n < nlisted_; ++n) {
    const ListedDev& d = listed_[n];
    if (!d.dev_ok || d.unusable) continue;
    const bool held = topology_.find_phys(d.phys) >= 0;
    if ((d.state == xs::State::closing && held) || (d.state == xs::State::initialising && !held)) return Found::yes;
  }
  return Found::no;
}

// The detach timer runs from the first look that finds a held function listed Closing until none
// is, whatever the frontend does meanwhile: one that stays in Reconfiguring after our Reconfigured
// never starts the round that would serve a request libxl made during the last one, and libxl gives
// up waiting after about 10 s and lists the function as assignable. (A frontend entering
// Reconfiguring is served before this runs: reconfigure() above.) Only while a frontend is
// connected: without one a Closing function is given back at once (Sync::add), and a frontend that
// closes takes its pending detach with it.
void BackendInstance::track_detach() {
  const Found closing = live_state() ? closing_listed() : Found::no;
  if (closing == Found::unknown) return;  // the store failed: the timer stays as it was
  if (closing == Found::no) {
    detach_timer_ = false;
  } else if (!detach_timer_) {
    detach_timer_ = true;
    host_.arm_timer(kDetachGraceMs);
  }
}

void BackendInstance::timer_fired() {
  if (!detach_timer_) return;
  detach_timer_ = false;
  if (!live_state()) return;
  if (read_be_state() == xs::State::unknown) return;  // the directory is gone (or garbled): nothing to force
  // The frontend has just entered Reconfiguring and its watch has not run yet: that round serves
  // the detach, and arms the timer again for anything it leaves.
  const FeState fs = read_fe_state();
  if (fs.valid && fs.state == xs::State::reconfiguring && state_ != xs::State::reconfigured) return;
  bool changed = false;
  if (!sync(Sync::force_detach, &changed) || !changed) return;
  host_.log("backend: the frontend did not follow a detach within 60 s: the function was taken back");
  publish_roots();
}

bool BackendInstance::guest_home_gone() {
  Text home;
  home.add("/local/domain/").add_dec(domid_);
  char buf[8];
  return store_.read(kNoTx, home.c_str(), buf, sizeof buf) == StoreStatus::not_found;
}

bool BackendInstance::offline() {
  char buf[8];
  return read_key("online", buf, sizeof buf) && buf[0] == '0' && buf[1] == '\0';
}

void BackendInstance::setup() {
  if (!sync(Sync::add)) return;
  publish_roots();
  set_state(xs::State::initialised);
}

void BackendInstance::disconnect() {
  {
    OpsLock ops(host_);
    host_.disconnect();
    page_ = nullptr;
  }
  detach_timer_ = false;  // no frontend, no pending detach (its caller serves it); the next arms anew
}

void BackendInstance::attach() {
  char buf[32];
  Text diag;
  uint32_t gref = 0, port = 0;
  if (!read_frontend(xs::kMagic, buf, sizeof buf)) return close_with_error("frontend: missing magic");
  if (!xs::parse_magic(xs::kMagic, buf, diag)) return close_with_error(diag.c_str());
  if (!read_frontend(xs::kPciOpRef, buf, sizeof buf) || !xs::parse_u32(xs::kPciOpRef, buf, gref, diag)) {
    return close_with_error(diag.size() ? diag.c_str() : "frontend: missing pci-op-ref");
  }
  if (!read_frontend(xs::kEventChannel, buf, sizeof buf) || !xs::parse_u32(xs::kEventChannel, buf, port, diag)) {
    return close_with_error(diag.size() ? diag.c_str() : "frontend: missing event-channel");
  }
  volatile wire::SharedInfo* page = nullptr;
  bool connected;
  {
    OpsLock ops(host_);
    connected = host_.connect(domid_, gref, port, &page) == Err::success && page != nullptr;
    if (connected) page_ = page;
  }
  if (!connected) {
    return close_with_error("backend: cannot map the frontend's page or bind its event channel");
  }
  set_state(xs::State::connected);
}

void BackendInstance::reconfigure() {
  if (!sync(Sync::reconfigure)) return;
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
