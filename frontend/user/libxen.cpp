// SPDX-License-Identifier: GPL-2.0-only
// libxenstore / libxengnttab / libxenevtchn behind the Store and FrontendHost seams.
#include "frontend/user/libxen.hpp"

#include <cerrno>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <poll.h>
#include <vector>

extern "C" {
#include <xenevtchn.h>
#include <xengnttab.h>
#include <xenstore.h>
}

namespace pcisplit::user {

class LibxenGuest final : public Store, public FrontendHost {
 public:
  LibxenGuest(xs_handle* xs, xengntshr_handle* gs, xenevtchn_handle* ev) : xs_(xs), gs_(gs), ev_(ev) {}
  ~LibxenGuest() {
    teardown();
    xenevtchn_close(ev_);
    xengntshr_close(gs_);
    xs_close(xs_);
  }

  // Store
  StoreStatus read(TxId tx, const char* path, char* out, size_t cap) override {
    unsigned len = 0;
    void* v = xs_read(xs_, tx, path, &len);
    if (v == nullptr) return from_errno();
    const StoreStatus st = len + 1 > cap ? StoreStatus::too_long : StoreStatus::ok;
    if (st == StoreStatus::ok) {
      std::memcpy(out, v, len);
      out[len] = '\0';
    }
    std::free(v);
    return st;
  }
  StoreStatus write(TxId tx, const char* path, const char* value) override {
    return xs_write(xs_, tx, path, value, static_cast<unsigned>(std::strlen(value))) ? StoreStatus::ok : from_errno();
  }
  StoreStatus remove(TxId tx, const char* path) override { return xs_rm(xs_, tx, path) ? StoreStatus::ok : from_errno(); }
  StoreStatus begin(TxId& tx) override {
    tx = xs_transaction_start(xs_);
    return tx != XBT_NULL ? StoreStatus::ok : from_errno();
  }
  StoreStatus commit(TxId tx) override { return xs_transaction_end(xs_, tx, false) ? StoreStatus::ok : from_errno(); }
  void abort(TxId tx) override { (void)xs_transaction_end(xs_, tx, true); }
  StoreStatus watch(const char* path, const char*, StoreWatcher* w) override {
    watcher_ = w;
    return xs_watch(xs_, path, path) ? StoreStatus::ok : from_errno();
  }
  StoreStatus unwatch(const char* path, const char*) override {
    return xs_unwatch(xs_, path, path) ? StoreStatus::ok : from_errno();
  }

  // Delivers pending watch events and event-channel notifications for up to `timeout_ms`.
  void pump(int timeout_ms) {
    pollfd fds[2] = {{xs_fileno(xs_), POLLIN, 0}, {xenevtchn_fd(ev_), POLLIN, 0}};
    if (poll(fds, 2, timeout_ms) <= 0) return;
    if ((fds[0].revents & POLLIN) != 0) {
      unsigned n = 0;
      char** ev = xs_read_watch(xs_, &n);
      if (ev != nullptr) {
        if (watcher_ != nullptr) watcher_->watch_fired(ev[XS_WATCH_PATH], ev[XS_WATCH_TOKEN]);
        std::free(ev);
      }
    }
    if ((fds[1].revents & POLLIN) != 0) drain_events();
  }

  // FrontendHost
  Err setup(uint16_t backend, volatile wire::SharedInfo** page, uint32_t* gref, uint32_t* port) override {
    uint32_t ref = 0;
    void* p = xengntshr_share_pages(gs_, backend, 1, &ref, 1);
    if (p == nullptr) return Err::op_failed;
    const xenevtchn_port_or_error_t local = xenevtchn_bind_unbound_port(ev_, backend);
    if (local < 0) {
      xengntshr_unshare(gs_, p, 1);
      return Err::op_failed;
    }
    std::memset(p, 0, 4096);
    page_ = p;
    port_ = static_cast<uint32_t>(local);
    *page = static_cast<volatile wire::SharedInfo*>(p);
    *gref = ref;
    *port = port_;
    return Err::success;
  }
  void teardown() override {
    if (page_ != nullptr) {
      xenevtchn_unbind(ev_, port_);
      xengntshr_unshare(gs_, page_, 1);
      page_ = nullptr;
    }
  }
  void notify() override { (void)xenevtchn_notify(ev_, port_); }
  bool wait_clear(volatile wire::SharedInfo* page, uint32_t flag, uint32_t timeout_ms) override {
    const auto end = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
    while ((page->flags & flag) != 0) {
      const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(end - std::chrono::steady_clock::now());
      if (left.count() <= 0) return false;
      pollfd fd = {xenevtchn_fd(ev_), POLLIN, 0};
      if (poll(&fd, 1, static_cast<int>(left.count())) > 0) drain_events();
    }
    return true;
  }
  void remove_device(Bdf) override {}  // no guest bus here: the tool's next command finds it gone
  void rescan() override {}
  void log(const char* m) override { std::fprintf(stderr, "pcisplit: %s\n", m); }

  FrontendInstance* frontend = nullptr;

 private:
  static StoreStatus from_errno() {
    switch (errno) {
      case ENOENT: return StoreStatus::not_found;
      case EACCES: return StoreStatus::denied;
      case EAGAIN: return StoreStatus::again;
      case E2BIG: return StoreStatus::too_long;
      default: return StoreStatus::invalid;
    }
  }
  void drain_events() {
    const xenevtchn_port_or_error_t p = xenevtchn_pending(ev_);
    if (p >= 0) {
      (void)xenevtchn_unmask(ev_, static_cast<evtchn_port_t>(p));
      if (frontend != nullptr) frontend->on_event();
    }
  }

  xs_handle* xs_;
  xengntshr_handle* gs_;
  xenevtchn_handle* ev_;
  StoreWatcher* watcher_ = nullptr;
  void* page_ = nullptr;
  uint32_t port_ = 0;
};

void LibxenGuestDeleter::operator()(LibxenGuest* g) const { delete g; }

LibxenGuestPtr open_libxen(std::string& error) {
  xs_handle* xs = xs_open(0);
  if (xs == nullptr) {
    error = std::string("not inside a Xen guest: cannot open xenstore (") + std::strerror(errno) + ")";
    return nullptr;
  }
  xengntshr_handle* gs = xengntshr_open(nullptr, 0);
  if (gs == nullptr) {
    error = std::string("cannot open the grant-sharing device /dev/xen/gntalloc (") + std::strerror(errno) + ")";
    xs_close(xs);
    return nullptr;
  }
  xenevtchn_handle* ev = xenevtchn_open(nullptr, 0);
  if (ev == nullptr) {
    error = std::string("cannot open the event-channel device /dev/xen/evtchn (") + std::strerror(errno) + ")";
    xengntshr_close(gs);
    xs_close(xs);
    return nullptr;
  }
  return LibxenGuestPtr(new LibxenGuest(xs, gs, ev));
}

std::unique_ptr<FrontendInstance> connect_libxen(LibxenGuest& guest, const std::string& fe_path, uint32_t timeout_ms,
                                                 std::string& error) {
  auto fe = std::make_unique<FrontendInstance>(guest, guest, fe_path.c_str(), nullptr);
  guest.frontend = fe.get();
  if (fe->start() != StoreStatus::ok) {
    error = "cannot start the frontend at " + fe_path;
    return nullptr;
  }
  const auto end = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
  while (fe->state() != xs::State::connected && std::chrono::steady_clock::now() < end) guest.pump(100);
  if (fe->state() != xs::State::connected) {
    error = "the backend did not connect within " + std::to_string(timeout_ms) + " ms";
    return nullptr;
  }
  return fe;
}

}  // namespace pcisplit::user
