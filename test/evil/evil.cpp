// SPDX-License-Identifier: GPL-2.0-only
// pcisplit-evil: a test-only PCI frontend for a PV guest that breaks the pciif protocol on purpose, to
// show what a backend in dom0 does with a hostile guest (docs/lab.md, boot "evil"). It speaks the
// protocol itself over libxenstore, libxengnttab (gntshr) and libxenevtchn -- not through the
// frontend core, whose job is to follow the protocol.
//
// Output: one line per check, "evil: SCENARIO: WHAT -> ok|UNEXPECTED|info", then
// "@@EVIL-SUMMARY SCENARIO checks=N unexpected=N". UNEXPECTED means the backend accepted what it must
// refuse, refused what it must accept, or did not answer within the bound.
#include "test/evil/evil.hpp"

#include <poll.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <chrono>
#include <climits>
#include <cstdarg>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <map>
#include <set>
#include <thread>

extern "C" {
#include <xenevtchn.h>
#include <xengnttab.h>
#include <xenstore.h>
}

namespace evil {

// ------------------------------------------------------------------------------------------------
// The parts without Xen.

bool parse_u64(const std::string& s, uint64_t& out) {
  if (s.empty()) return false;
  size_t i = 0;
  unsigned base = 10;
  if (s.size() > 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
    base = 16;
    i = 2;
  }
  uint64_t v = 0;
  for (; i < s.size(); ++i) {
    const char c = s[i];
    unsigned d;
    if (c >= '0' && c <= '9') d = static_cast<unsigned>(c - '0');
    else if (base == 16 && c >= 'a' && c <= 'f') d = static_cast<unsigned>(c - 'a' + 10);
    else if (base == 16 && c >= 'A' && c <= 'F') d = static_cast<unsigned>(c - 'A' + 10);
    else return false;
    if (v > (UINT64_MAX - d) / base) return false;
    v = v * base + d;
  }
  out = v;
  return true;
}

bool known_command(const std::string& c) {
  static const char* const kCommands[] = {"double-fetch", "storm", "ops", "msi", "xs-garbage", "close-reconnect",
                                          "serve", "probe", "selftest"};
  for (const char* k : kCommands) {
    if (c == k) return true;
  }
  return false;
}

const char* usage() {
  return "usage: pcisplit-evil [--path device/pci/0] [--op-timeout-ms N] COMMAND [ARGS]\n"
         "  double-fetch [N]     a second thread rewrites the posted op while the backend handles it\n"
         "  storm [N]            N notifications with nothing posted, then N re-posting an op\n"
         "  ops                  op codes 0..15 and huge ones; offset/size/devfn/bus/domain bounds\n"
         "  msi                  MSI/MSI-X sequences out of order\n"
         "  xs-garbage           garbage state/magic, a revoked grant, a closed port, ...\n"
         "  close-reconnect [N]  closing mid-op and reconnecting, N cycles\n"
         "  serve [KEY]          connect, then run each \"SEQ COMMAND ARGS\" written to xenstore KEY\n"
         "                       (default data/evil-cmd), printing @@EVIL-DONE SEQ ...\n"
         "  probe SECONDS [STOP] worst scheduling delay of a 10 ms sleep loop (no Xen needed)\n"
         "  selftest             the Xen-free logic\n"
         "Test-only: it misbehaves on purpose. Run it in a PV guest whose PCI frontend module is not loaded.\n";
}

Args parse_args(int argc, const char* const* argv) {
  Args a;
  int i = 1;
  for (; i < argc; ++i) {
    const std::string s = argv[i];
    if (s == "--path" && i + 1 < argc) {
      a.path = argv[++i];
    } else if (s == "--op-timeout-ms" && i + 1 < argc) {
      uint64_t v = 0;
      if (!parse_u64(argv[++i], v) || v == 0 || v > 600000) {
        a.error = std::string("bad --op-timeout-ms value \"") + argv[i] + "\"";
        return a;
      }
      a.op_timeout_ms = static_cast<uint32_t>(v);
    } else if (s.size() > 1 && s[0] == '-' && s[1] == '-') {
      a.error = "unknown option " + s;
      return a;
    } else {
      break;
    }
  }
  if (i >= argc) {
    a.error = "no command";
    return a;
  }
  a.command = argv[i++];
  if (!known_command(a.command)) {
    a.error = "unknown command \"" + a.command + "\"";
    return a;
  }
  for (; i < argc; ++i) a.rest.emplace_back(argv[i]);
  // Numeric arguments are checked here, so a typo fails before anything touches Xen.
  const bool takes_count = a.command == "double-fetch" || a.command == "storm" || a.command == "close-reconnect";
  if (takes_count || a.command == "probe") {
    const size_t max_args = a.command == "probe" ? 2 : 1;
    if (a.rest.size() > max_args) {
      a.error = a.command + ": too many arguments";
      return a;
    }
    uint64_t v = 0;
    if (!a.rest.empty() && (!parse_u64(a.rest[0], v) || v == 0 || v > 100000000)) {
      a.error = a.command + ": bad count \"" + a.rest[0] + "\"";
      return a;
    }
    if (a.command == "probe" && a.rest.empty()) a.error = "probe: SECONDS missing";
  } else if (a.command == "serve") {
    if (a.rest.size() > 1) a.error = "serve: too many arguments";
  } else if (!a.rest.empty()) {
    a.error = a.command + ": takes no arguments";
  }
  return a;
}

void encode_op(volatile pcisplit_op* op, const OpFields& f) {
  op->cmd = f.cmd;
  op->err = kErrSentinel;
  op->domain = f.domain;
  op->bus = f.bus;
  op->devfn = f.devfn;
  op->offset = f.offset;
  op->size = f.size;
  op->value = f.value;
  op->info = f.info;
  for (size_t i = 0; i < PCISPLIT_MAX_VEC; ++i) {
    op->msix_entries[i].entry = i < f.entries.size() ? f.entries[i] : 0;
    op->msix_entries[i].vector = 0;
  }
}

std::string err_name(int32_t err) {
  switch (err) {
    case PCISPLIT_ERR_SUCCESS: return "success";
    case PCISPLIT_ERR_DEV_NOT_FOUND: return "dev_not_found";
    case PCISPLIT_ERR_INVALID_OFFSET: return "invalid_offset";
    case PCISPLIT_ERR_ACCESS_DENIED: return "access_denied";
    case PCISPLIT_ERR_NOT_IMPLEMENTED: return "not_implemented";
    case PCISPLIT_ERR_OP_FAILED: return "op_failed";
    case kErrSentinel: return "never-written";
    default: return "errno" + std::to_string(err);
  }
}

std::string cmd_name(uint32_t cmd) {
  static const char* const kNames[] = {"conf_read",  "conf_write",    "enable_msi", "disable_msi",
                                       "enable_msix", "disable_msix", "aer_detected", "aer_resume",
                                       "aer_mmio",   "aer_slotreset", "enable_multi_msi"};
  if (cmd < sizeof kNames / sizeof kNames[0]) return kNames[cmd];
  char buf[24];
  std::snprintf(buf, sizeof buf, "op%#x", cmd);
  return buf;
}

bool access_in_bounds(int32_t offset, int32_t size, uint32_t cfg_size) {
  if (size != 1 && size != 2 && size != 4) return false;
  if (offset < 0 || offset % size != 0) return false;
  return static_cast<uint64_t>(offset) + static_cast<uint64_t>(size) <= cfg_size;
}

int selftest() {
  int failures = 0;
  auto expect = [&](bool c, const char* what) {
    if (!c) {
      std::printf("selftest FAIL: %s\n", what);
      ++failures;
    }
  };
  uint64_t v = 0;
  expect(parse_u64("0x10", v) && v == 16, "parse 0x10");
  expect(parse_u64("300000", v) && v == 300000, "parse 300000");
  expect(!parse_u64("", v) && !parse_u64("12a", v) && !parse_u64("0x", v), "parse rejects junk");
  expect(!parse_u64("99999999999999999999", v), "parse rejects overflow");
  {
    const char* argv[] = {"pcisplit-evil", "--path", "device/pci/1", "storm", "1000"};
    const Args a = parse_args(5, argv);
    expect(a.error.empty() && a.command == "storm" && a.path == "device/pci/1" && a.rest.size() == 1, "storm args");
  }
  {
    const char* argv[] = {"pcisplit-evil", "storm", "lots"};
    expect(!parse_args(3, argv).error.empty(), "storm rejects a bad count");
  }
  {
    const char* argv[] = {"pcisplit-evil", "ops", "extra"};
    expect(!parse_args(3, argv).error.empty(), "ops takes no arguments");
  }
  {
    const char* argv[] = {"pcisplit-evil", "nonsense"};
    expect(!parse_args(2, argv).error.empty(), "unknown command refused");
  }
  {
    const char* argv[] = {"pcisplit-evil", "--op-timeout-ms", "0", "ops"};
    expect(!parse_args(4, argv).error.empty(), "zero timeout refused");
  }
  {
    const char* argv[] = {"pcisplit-evil", "probe"};
    expect(!parse_args(2, argv).error.empty(), "probe needs SECONDS");
  }
  // The op lands at the offsets the ABI pins (protocol/pciif.hpp): checked on a plain page.
  alignas(8) static unsigned char page[4096];
  std::memset(page, 0xa5, sizeof page);
  auto* sh = reinterpret_cast<volatile pcisplit_sharedinfo*>(page);
  OpFields f;
  f.cmd = PCISPLIT_OP_ENABLE_MSIX;
  f.domain = 0x1234;
  f.bus = 0x56;
  f.devfn = 0x78;
  f.offset = -4;
  f.size = 0x7fffffff;
  f.value = 3;
  f.info = 9;
  f.entries = {7, 8, 0xffff};
  encode_op(&sh->op, f);
  auto u32_at = [&](size_t off) {
    uint32_t x;
    std::memcpy(&x, page + off, 4);
    return x;
  };
  auto u16_at = [&](size_t off) {
    uint16_t x;
    std::memcpy(&x, page + off, 2);
    return x;
  };
  expect(u32_at(0) == 0xa5a5a5a5u, "flags untouched by encode_op");
  expect(u32_at(4) == PCISPLIT_OP_ENABLE_MSIX, "cmd at 4");
  expect(u32_at(8) == static_cast<uint32_t>(kErrSentinel), "err sentinel at 8");
  expect(u32_at(12) == 0x1234 && u32_at(16) == 0x56 && u32_at(20) == 0x78, "domain/bus/devfn at 12/16/20");
  expect(u32_at(24) == 0xfffffffcu && u32_at(28) == 0x7fffffffu, "offset/size at 24/28");
  expect(u32_at(32) == 3 && u32_at(36) == 9, "value/info at 32/36");
  expect(u16_at(40) == 0 && u16_at(42) == 7 && u16_at(46) == 8 && u16_at(50) == 0xffff, "entries at 40+4i (vector, entry)");
  expect(u16_at(54) == 0 && u16_at(40 + 4 * 127 + 2) == 0, "unused entries zeroed");
  expect(u32_at(4 + sizeof(pcisplit_op)) == 0xa5a5a5a5u, "aer_op untouched");
  expect(err_name(-2) == "invalid_offset" && err_name(-22) == "errno-22" && err_name(0) == "success", "err names");
  expect(cmd_name(4) == "enable_msix" && cmd_name(0x80000000u) == "op0x80000000", "cmd names");
  expect(access_in_bounds(0xffc, 4, 4096) && !access_in_bounds(0xffe, 4, 4096) && !access_in_bounds(-4, 4, 4096),
         "bounds: 0xffc/4 in, 0xffe/4 and -4 out");
  expect(!access_in_bounds(0x100, 4, 256) && !access_in_bounds(1, 2, 256) && !access_in_bounds(0, 3, 256) &&
             access_in_bounds(0xff, 1, 256) && !access_in_bounds(INT32_MIN, 4, 4096),
         "bounds: past 256, unaligned, size 3, INT_MIN");
  std::printf("selftest: %s (%d failure%s)\n", failures == 0 ? "ok" : "FAILED", failures, failures == 1 ? "" : "s");
  return failures;
}

// ------------------------------------------------------------------------------------------------
// Reporting.

namespace {

std::string fmt(const char* f, ...) __attribute__((format(printf, 1, 2)));
std::string fmt(const char* f, ...) {
  char buf[1024];
  va_list ap;
  va_start(ap, f);
  std::vsnprintf(buf, sizeof buf, f, ap);
  va_end(ap);
  return buf;
}

class Report {
 public:
  explicit Report(std::string name) : name_(std::move(name)) {}
  void check(bool good, const std::string& what) {
    ++checks;
    if (!good) ++unexpected;
    std::printf("evil: %s: %s -> %s\n", name_.c_str(), what.c_str(), good ? "ok" : "UNEXPECTED");
    std::fflush(stdout);
  }
  void info(const std::string& what) {
    std::printf("evil: %s: %s -> info\n", name_.c_str(), what.c_str());
    std::fflush(stdout);
  }
  int summary() const {
    std::printf("@@EVIL-SUMMARY %s checks=%d unexpected=%d\n", name_.c_str(), checks, unexpected);
    std::fflush(stdout);
    return unexpected == 0 ? 0 : 1;
  }
  const std::string& name() const { return name_; }
  int checks = 0;
  int unexpected = 0;

 private:
  std::string name_;
};

using Clock = std::chrono::steady_clock;
uint64_t ms_since(Clock::time_point t0) {
  return static_cast<uint64_t>(std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - t0).count());
}
void sleep_ms(unsigned ms) { std::this_thread::sleep_for(std::chrono::milliseconds(ms)); }

uint32_t xorshift(uint32_t& x) {
  x ^= x << 13;
  x ^= x >> 17;
  x ^= x << 5;
  return x;
}

// Tallies answers as "name=count ...".
class Tally {
 public:
  void add(const std::string& k) { ++m_[k]; }
  std::string str() const {
    std::string s;
    for (const auto& [k, n] : m_) s += (s.empty() ? "" : " ") + k + "=" + std::to_string(n);
    return s.empty() ? "none" : s;
  }

 private:
  std::map<std::string, uint64_t> m_;
};

// ------------------------------------------------------------------------------------------------
// The raw frontend.

struct Grant {
  void* page = nullptr;
  uint32_t ref = 0;
};

struct Answer {
  bool answered = false;  // the backend cleared the active flag within the bound
  int32_t err = kErrSentinel;
  uint32_t value = 0;
  uint64_t ms = 0;
  uint16_t vectors[PCISPLIT_MAX_VEC] = {};
  std::string str() const {
    if (!answered) return "no answer";
    return err == 0 ? fmt("success value=%#x", value) : err_name(err);
  }
};

class Chan {
 public:
  explicit Chan(const Args& a) : fe_(a.path), op_timeout_ms_(a.op_timeout_ms) {}
  ~Chan() {
    drop();
    if (ev_ != nullptr) xenevtchn_close(ev_);
    if (gs_ != nullptr) xengntshr_close(gs_);
    if (xs_ != nullptr) xs_close(xs_);
  }
  Chan(const Chan&) = delete;
  Chan& operator=(const Chan&) = delete;

  bool open(std::string& err) {
    xs_ = xs_open(0);
    if (xs_ == nullptr) {
      err = std::string("not inside a Xen guest: cannot open xenstore (") + std::strerror(errno) + ")";
      return false;
    }
    gs_ = xengntshr_open(nullptr, 0);
    if (gs_ == nullptr) {
      err = std::string("cannot open /dev/xen/gntalloc (") + std::strerror(errno) + "; modprobe xen-gntalloc?)";
      return false;
    }
    ev_ = xenevtchn_open(nullptr, 0);
    if (ev_ == nullptr) {
      err = std::string("cannot open /dev/xen/evtchn (") + std::strerror(errno) + "; modprobe xen-evtchn?)";
      return false;
    }
    std::string id;
    if (!get(fe_ + "/backend", be_) || be_.empty() || be_[0] != '/') {
      err = "no \"backend\" key under " + fe_ + " (is a PCI device assigned to this guest?)";
      return false;
    }
    uint64_t v = 0;
    if (!get(fe_ + "/backend-id", id) || !parse_u64(id, v) || v >= 0x7ff0) {
      err = "bad backend-id under " + fe_;
      return false;
    }
    be_id_ = static_cast<uint16_t>(v);
    return true;
  }

  // --- xenstore
  bool get(const std::string& path, std::string& out) {
    unsigned len = 0;
    void* p = xs_read(xs_, XBT_NULL, path.c_str(), &len);
    if (p == nullptr) return false;
    out.assign(static_cast<const char*>(p), len);
    std::free(p);
    return true;
  }
  bool put(const std::string& path, const std::string& v) {
    return xs_write(xs_, XBT_NULL, path.c_str(), v.data(), static_cast<unsigned>(v.size()));
  }
  bool fe_put(const char* key, const std::string& v) { return put(fe_ + "/" + key, v); }
  bool fe_rm(const char* key) { return xs_rm(xs_, XBT_NULL, (fe_ + "/" + key).c_str()); }
  // The backend's state: 0..8, -1 when the node is gone, -2 when unreadable as a number.
  int be_state() {
    std::string s;
    if (!get(be_ + "/state", s)) return -1;
    uint64_t v = 0;
    return parse_u64(s, v) && v < 100 ? static_cast<int>(v) : -2;
  }
  // The backend's error report, if it wrote one in its directory (ours) -- Linux's xenbus_dev_fatal
  // writes under dom0's error/ tree, which the guest cannot read.
  std::string be_error() {
    std::string s;
    if (!get(be_ + "/error", s)) return "";
    return s.size() > 120 ? s.substr(0, 120) + "..." : s;
  }
  // Polls the backend's state until `want` holds or `ms` pass; returns the last state read.
  int wait_be(const std::function<bool(int)>& want, unsigned ms) {
    const auto t0 = Clock::now();
    int s = be_state();
    while (!want(s) && ms_since(t0) < ms) {
      sleep_ms(25);
      s = be_state();
    }
    return s;
  }

  // --- grants and ports
  bool share(bool writable, Grant& g) {
    uint32_t ref = 0;
    void* p = xengntshr_share_pages(gs_, be_id_, 1, &ref, writable ? 1 : 0);
    if (p == nullptr) return false;
    std::memset(p, 0, 4096);
    g.page = p;
    g.ref = ref;
    return true;
  }
  void unshare(Grant& g) {
    if (g.page != nullptr) xengntshr_unshare(gs_, g.page, 1);
    g.page = nullptr;
  }
  int new_port() {
    const xenevtchn_port_or_error_t p = xenevtchn_bind_unbound_port(ev_, be_id_);
    return p < 0 ? -1 : static_cast<int>(p);
  }
  void close_port(int p) {
    if (p >= 0) (void)xenevtchn_unbind(ev_, static_cast<evtchn_port_t>(p));
  }

  // --- the handshake
  // Back to a state where the backend waits for a frontend: if this frontend ever published (or the
  // backend is not in InitWait/Initialised), write Closed, then Initialising, as a frontend that
  // starts again. Returns the backend's state afterwards.
  int restart(std::string& log) {
    int s = be_state();
    std::string mine;
    get(fe_ + "/state", mine);
    if ((s == 2 || s == 3) && mine == "1") return s;
    fe_put("state", "6");
    s = wait_be([](int x) { return x == 6 || x == 2 || x == 3 || x < 0; }, 3000);
    log += fmt(" closed->be%d", s);
    fe_put("state", "1");
    s = wait_be([](int x) { return x == 2 || x == 3 || x < 0; }, 6000);
    log += fmt(" initialising->be%d", s);
    return s;
  }
  // Publishes the three keys (as given: the caller decides how wrong they are) and Initialised;
  // waits for the backend to leave Initialised/InitWait. Returns its state then.
  int publish(const std::string& ref, const std::string& port, const std::string& magic, unsigned wait_ms) {
    fe_put("pci-op-ref", ref);
    fe_put("event-channel", port);
    fe_put("magic", magic);
    fe_put("state", "3");
    return wait_be([](int x) { return x != 2 && x != 3; }, wait_ms);
  }
  // A good handshake from wherever things are. `why` says what happened when it fails.
  bool connect(std::string& why) {
    if (connected() && be_state() == 4) return true;
    drop();
    std::string log;
    const int s = restart(log);
    if (s != 2 && s != 3) {
      why = fmt("the backend is not waiting for a frontend (state %d;%s)", s, log.c_str());
      return false;
    }
    if (!share(true, grant_)) {
      why = std::string("cannot share a page: ") + std::strerror(errno);
      return false;
    }
    port_ = new_port();
    if (port_ < 0) {
      why = std::string("cannot allocate an event channel: ") + std::strerror(errno);
      drop();
      return false;
    }
    const int r = publish(std::to_string(grant_.ref), std::to_string(port_), PCISPLIT_MAGIC, 10000);
    if (r != 4) {
      why = fmt("the backend went to state %d, not Connected (%s)%s", r, be_error().c_str(), log.c_str());
      drop();
      return false;
    }
    fe_put("state", "4");
    read_vdev();
    return true;
  }
  // Forgets the page and the channel (no xenstore write): unbinds the port, unshares the page.
  void drop() {
    close_port(port_);
    port_ = -1;
    unshare(grant_);
  }
  bool connected() const { return grant_.page != nullptr && port_ >= 0; }
  volatile pcisplit_sharedinfo* sh() const { return static_cast<volatile pcisplit_sharedinfo*>(grant_.page); }
  uint32_t* flags_ptr() const { return const_cast<uint32_t*>(&sh()->flags); }

  // --- ops
  void notify() { (void)xenevtchn_notify(ev_, static_cast<evtchn_port_t>(port_)); }
  void post() {
    __atomic_thread_fence(__ATOMIC_RELEASE);
    __atomic_fetch_or(flags_ptr(), PCISPLIT_F_ACTIVE, __ATOMIC_SEQ_CST);
    notify();
  }
  bool active() const { return (__atomic_load_n(flags_ptr(), __ATOMIC_SEQ_CST) & PCISPLIT_F_ACTIVE) != 0; }
  void drain() {
    pollfd fd = {xenevtchn_fd(ev_), POLLIN, 0};
    while (poll(&fd, 1, 0) > 0 && (fd.revents & POLLIN) != 0) {
      const xenevtchn_port_or_error_t p = xenevtchn_pending(ev_);
      if (p < 0) break;
      (void)xenevtchn_unmask(ev_, static_cast<evtchn_port_t>(p));
    }
  }
  // Waits (bounded) until the backend clears the active flag.
  bool wait_clear(unsigned ms) {
    const auto t0 = Clock::now();
    while (active()) {
      const uint64_t spent = ms_since(t0);
      if (spent >= ms) return false;
      pollfd fd = {xenevtchn_fd(ev_), POLLIN, 0};
      if (poll(&fd, 1, static_cast<int>(std::min<uint64_t>(10, ms - spent))) > 0) drain();
    }
    return true;
  }
  Answer op(const OpFields& f, unsigned timeout_ms = 0) {
    Answer a;
    if (!connected()) return a;
    encode_op(&sh()->op, f);
    const auto t0 = Clock::now();
    post();
    a.answered = wait_clear(timeout_ms != 0 ? timeout_ms : op_timeout_ms_);
    a.ms = ms_since(t0);
    if (!a.answered) {
      __atomic_fetch_and(flags_ptr(), ~PCISPLIT_F_ACTIVE, __ATOMIC_SEQ_CST);
      ++timeouts_;
      return a;
    }
    __atomic_thread_fence(__ATOMIC_ACQUIRE);
    a.err = sh()->op.err;
    a.value = sh()->op.value;
    for (size_t i = 0; i < PCISPLIT_MAX_VEC && i < f.entries.size(); ++i) a.vectors[i] = sh()->op.msix_entries[i].vector;
    return a;
  }
  // An op on this guest's device.
  OpFields dev_op(uint32_t cmd, int32_t offset = 0, int32_t size = 0, uint32_t value = 0) const {
    OpFields f;
    f.cmd = cmd;
    f.domain = vdomain;
    f.bus = vbus;
    f.devfn = vdevfn;
    f.offset = offset;
    f.size = size;
    f.value = value;
    return f;
  }
  Answer read(int32_t offset, int32_t size) { return op(dev_op(PCISPLIT_OP_CONF_READ, offset, size)); }
  Answer write(int32_t offset, int32_t size, uint32_t value) {
    return op(dev_op(PCISPLIT_OP_CONF_WRITE, offset, size, value));
  }
  Answer msix(const std::vector<uint16_t>& entries, uint32_t nvec) {
    OpFields f = dev_op(PCISPLIT_OP_ENABLE_MSIX, 0, 0, nvec);
    f.entries = entries;
    return op(f);
  }

  // The function's address on the guest's bus: vdev-0 (DDDD:BB:DD.FF) in the backend directory.
  void read_vdev() {
    std::string s;
    unsigned d = 0, b = 0, sl = 0, fn = 0;
    if (get(be_ + "/vdev-0", s) && std::sscanf(s.c_str(), "%x:%x:%x.%x", &d, &b, &sl, &fn) == 4) {
      vdomain = d;
      vbus = b;
      vdevfn = (sl << 3) | (fn & 7);
    }
  }
  std::string vdev_str() const { return fmt("%04x:%02x:%02x.%x", vdomain, vbus, vdevfn >> 3, vdevfn & 7); }

  const std::string& fe() const { return fe_; }
  const std::string& be() const { return be_; }
  uint16_t be_id() const { return be_id_; }
  uint32_t gref() const { return grant_.ref; }
  int port() const { return port_; }
  uint64_t timeouts() const { return timeouts_; }
  xs_handle* xs() const { return xs_; }

  uint32_t vdomain = 0, vbus = 0, vdevfn = 0;

 private:
  xs_handle* xs_ = nullptr;
  xengntshr_handle* gs_ = nullptr;
  xenevtchn_handle* ev_ = nullptr;
  std::string fe_, be_;
  uint16_t be_id_ = 0;
  unsigned op_timeout_ms_;
  Grant grant_;
  int port_ = -1;
  uint64_t timeouts_ = 0;
};

// What the device looks like through the backend: identification and where its capabilities are.
struct DevInfo {
  bool ok = false;
  uint32_t id16 = 0, id32 = 0;  // the vendor word, the vendor/device dword
  uint32_t cfg_size = 256;
  int32_t msi = 0, msix = 0, pcie = 0;
  uint32_t msix_table = 0;  // MSI-X table size
  uint32_t msi_vectors = 0; // MSI: vectors the capability offers
  std::string str() const {
    return fmt("id %08x, msi@%#x (%u vectors), msix@%#x (table %u), pcie@%#x, config %u bytes", id32, msi, msi_vectors,
               msix, msix_table, pcie, cfg_size);
  }
};

DevInfo probe_device(Chan& c) {
  DevInfo d;
  const Answer a = c.read(0, 2), b = c.read(0, 4), st = c.read(6, 2), cp = c.read(0x34, 1);
  if (!a.answered || a.err != 0 || !b.answered || b.err != 0) return d;
  d.ok = true;
  d.id16 = a.value;
  d.id32 = b.value;
  if (st.err == 0 && (st.value & 0x10) != 0 && cp.err == 0) {
    int32_t p = static_cast<int32_t>(cp.value & 0xfc);
    for (int n = 0; p >= 0x40 && n < 48; ++n) {
      const Answer id = c.read(p, 1), nx = c.read(p + 1, 1);
      if (id.err != 0 || nx.err != 0) break;
      if (id.value == 0x05) d.msi = p;
      if (id.value == 0x11) d.msix = p;
      if (id.value == 0x10) d.pcie = p;
      p = static_cast<int32_t>(nx.value & 0xfc);
    }
  }
  if (d.pcie != 0) d.cfg_size = 4096;
  if (d.msix != 0) {
    const Answer f = c.read(d.msix + 2, 2);
    if (f.err == 0) d.msix_table = (f.value & 0x7ff) + 1;
  }
  if (d.msi != 0) {
    const Answer f = c.read(d.msi + 2, 2);
    if (f.err == 0) d.msi_vectors = 1u << ((f.value >> 1) & 7);
  }
  return d;
}

// Turns off whatever an interrupt op may have left on (answers ignored).
void interrupts_off(Chan& c) {
  (void)c.op(c.dev_op(PCISPLIT_OP_DISABLE_MSIX));
  (void)c.op(c.dev_op(PCISPLIT_OP_DISABLE_MSI));
}

// ------------------------------------------------------------------------------------------------
// ops: every op code, then the bounds of every field.

int run_ops(Chan& c, Report& r) {
  const DevInfo d = probe_device(c);
  if (!d.ok) {
    r.check(false, "reading the device's identification through the backend");
    return r.summary();
  }
  r.info("device " + c.vdev_str() + ": " + d.str());

  // Op codes 0..15 and huge ones, each with a valid device and offset 0 / size 2 / value 0.
  std::vector<uint32_t> cmds;
  for (uint32_t k = 0; k <= 15; ++k) cmds.push_back(k);
  for (uint32_t k : {16u, 0x100u, 0xffffu, 0x7fffffffu, 0x80000000u, 0xfffffffeu, 0xffffffffu}) cmds.push_back(k);
  for (uint32_t k : cmds) {
    const Answer a = c.op(c.dev_op(k, 0, 2, 0));
    const std::string what = fmt("op %u (%s) offset 0 size 2 value 0: %s", k, cmd_name(k).c_str(), a.str().c_str());
    if (!a.answered) {
      r.check(false, what + " (must be answered)");
    } else if (k == PCISPLIT_OP_CONF_READ) {
      r.check(a.err == 0 && a.value == d.id16, what + " (must read the vendor ID)");
    } else if (k == PCISPLIT_OP_CONF_WRITE || k == PCISPLIT_OP_ENABLE_MSI || k == PCISPLIT_OP_DISABLE_MSI ||
               k == PCISPLIT_OP_DISABLE_MSIX) {
      r.info(what);  // legitimate requests; their answer depends on the device's state
    } else if (k == PCISPLIT_OP_ENABLE_MSIX || k == PCISPLIT_OP_ENABLE_MULTI_MSI) {
      r.check(a.err != 0, what + " (0 vectors: must be refused)");
    } else {
      r.check(a.err != 0, what + " (not a frontend op: must be refused)");
    }
  }
  interrupts_off(c);

  // Reads: every offset/size pair at and past the bounds. Success iff size 1/2/4, aligned, inside.
  const std::vector<int32_t> offsets = {INT32_MIN, -4096, -4, -1, 0, 1, 2, 3, 0x3c, 0xfc, 0xfe, 0xff, 0x100, 0x101,
                                        0xffc, 0xffe, 0xfff, 0x1000, 0x1004, 0x10000, 0x7ffffffc, INT32_MAX};
  const std::vector<int32_t> sizes = {0, 1, 2, 3, 4, 5, 8, -1, -4, 0x10000, INT32_MAX, INT32_MIN};
  Tally read_tally;
  for (int32_t off : offsets) {
    std::string line = fmt("read offset %#x:", static_cast<uint32_t>(off));
    std::string bad;
    for (int32_t sz : sizes) {
      const Answer a = c.read(off, sz);
      const bool in = access_in_bounds(off, sz, d.cfg_size);
      read_tally.add(a.answered ? err_name(a.err) : "no-answer");
      line += fmt(" s%d=%s", sz, a.answered ? (a.err == 0 ? "ok" : err_name(a.err).c_str()) : "none");
      if (!a.answered || (a.err == 0) != in) {
        bad += fmt(" size %d %s;", sz, in ? "refused" : (a.answered ? fmt("accepted (value %#x)", a.value).c_str() : "unanswered"));
      }
    }
    r.check(bad.empty(), line + (bad.empty() ? "" : " [wrong:" + bad + "]"));
  }
  r.info("reads answered: " + read_tally.str());

  // Writes of 0 outside the bounds must be refused; at the last bytes they are answered (the
  // extended space is read-only for the guest, the write denied or dropped).
  const std::vector<int32_t> woffsets = {INT32_MIN, -4, -1, 0xffe, 0xfff, 0x1000, 0x1004, 0x7ffffffc};
  const std::vector<int32_t> wsizes = {0, 1, 2, 3, 4, -1, INT32_MAX};
  for (int32_t off : woffsets) {
    std::string line = fmt("write 0 at offset %#x:", static_cast<uint32_t>(off));
    std::string bad;
    for (int32_t sz : wsizes) {
      const Answer a = c.write(off, sz, 0);
      const bool in = access_in_bounds(off, sz, d.cfg_size);
      line += fmt(" s%d=%s", sz, a.answered ? (a.err == 0 ? "ok" : err_name(a.err).c_str()) : "none");
      if (!a.answered || (!in && a.err == 0)) bad += fmt(" size %d %s;", sz, a.answered ? "accepted" : "unanswered");
    }
    r.check(bad.empty(), line + (bad.empty() ? "" : " [wrong:" + bad + "]"));
  }

  // The function's address: only the exported one answers.
  const std::vector<uint32_t> domains = {c.vdomain, c.vdomain + 1, 0xffff, 0x10000, 0xffffffff};
  const std::vector<uint32_t> buses = {c.vbus, c.vbus + 1, 0xff, 0x100, 0xffffffff};
  const std::vector<uint32_t> devfns = {c.vdevfn, c.vdevfn + 1, c.vdevfn + 7, c.vdevfn + 8, 0xf8, 0xff, 0x100, 0xffffffff};
  Tally addr_tally;
  std::string wrong;
  int n = 0;
  for (uint32_t dom : domains) {
    for (uint32_t bus : buses) {
      for (uint32_t df : devfns) {
        OpFields f = c.dev_op(PCISPLIT_OP_CONF_READ, 0, 2);
        f.domain = dom;
        f.bus = bus;
        f.devfn = df;
        const Answer a = c.op(f);
        ++n;
        addr_tally.add(a.answered ? err_name(a.err) : "no-answer");
        const bool mine = dom == c.vdomain && bus == c.vbus && df == c.vdevfn;
        if (!a.answered || (a.err == 0) != mine || (mine && a.value != d.id16)) {
          if (wrong.size() < 300) wrong += fmt(" %x:%x:%x=%s", dom, bus, df, a.str().c_str());
        }
      }
    }
  }
  r.check(wrong.empty(), fmt("%d reads at domain/bus/devfn combinations, only %s answers: %s%s", n,
                             c.vdev_str().c_str(), addr_tally.str().c_str(), wrong.empty() ? "" : (" [wrong:" + wrong + "]").c_str()));
  r.check(c.read(0, 2).value == d.id16, "the device still reads its vendor ID");
  return r.summary();
}

// ------------------------------------------------------------------------------------------------
// msi: MSI/MSI-X sequences out of order.

int run_msi(Chan& c, Report& r) {
  const DevInfo d = probe_device(c);
  if (!d.ok) {
    r.check(false, "reading the device's identification through the backend");
    return r.summary();
  }
  r.info("device " + c.vdev_str() + ": " + d.str());
  interrupts_off(c);
  const OpFields msi_on = c.dev_op(PCISPLIT_OP_ENABLE_MSI), msi_off = c.dev_op(PCISPLIT_OP_DISABLE_MSI);
  const OpFields msix_off = c.dev_op(PCISPLIT_OP_DISABLE_MSIX);
  auto must_fail = [&](const std::string& what, const Answer& a) {
    r.check(a.answered && a.err != 0, what + ": " + a.str() + " (must be refused)");
    if (a.answered && a.err == 0 && what.find("MSI-X") != std::string::npos) (void)c.op(msix_off);
  };
  auto must_work = [&](const std::string& what, const Answer& a) {
    r.check(a.answered && a.err == 0, what + ": " + a.str() + " (must work)");
  };
  // Disabling what is off changes nothing; backends differ in the answer (ours refuses, Linux's
  // answers success): recorded, not judged.
  auto harmless = [&](const std::string& what, const Answer& a) { r.info(what + ": " + a.str() + " (no effect either way)"); };

  harmless("disable MSI while nothing is on", c.op(msi_off));
  harmless("disable MSI-X while nothing is on", c.op(msix_off));
  if (d.msi != 0) {
    must_work("enable MSI", c.op(msi_on));
    must_fail("enable MSI again", c.op(msi_on));
    must_fail("enable MSI-X [0] while MSI is on", c.msix({0}, 1));
    OpFields multi = c.dev_op(PCISPLIT_OP_ENABLE_MULTI_MSI, 0, 0, 2);
    must_fail("enable multi-MSI 2 while MSI is on", c.op(multi));
    must_work("disable MSI", c.op(msi_off));
    harmless("disable MSI again", c.op(msi_off));
    for (uint32_t n : {0u, 3u, 64u, 0xffffffffu}) {
      multi.value = n;
      must_fail(fmt("enable multi-MSI %u (the capability offers %u)", n, d.msi_vectors), c.op(multi));
    }
    interrupts_off(c);
  }
  if (d.msix != 0) {
    const uint16_t t = static_cast<uint16_t>(d.msix_table);
    must_fail("enable MSI-X with 0 vectors", c.msix({}, 0));
    must_fail("enable MSI-X with 129 vectors", c.msix({0}, 129));
    must_fail("enable MSI-X with 0xffffffff vectors", c.msix({0}, 0xffffffffu));
    std::vector<uint16_t> all(128);
    for (uint16_t i = 0; i < 128; ++i) all[i] = i;
    if (t < 128) must_fail(fmt("enable MSI-X with 128 entries 0..127 (table %u)", t), c.msix(all, 128));
    must_fail("enable MSI-X [0,0] (duplicate)", c.msix({0, 0}, 2));
    if (t >= 2) must_fail("enable MSI-X [1,0,1] (duplicate)", c.msix({1, 0, 1}, 3));
    must_fail(fmt("enable MSI-X [0,%u] (past the table)", t), c.msix({0, t}, 2));
    must_fail("enable MSI-X [0xffff]", c.msix({0xffff}, 1));
    std::vector<uint16_t> dup128(128, 0);
    must_fail("enable MSI-X with 128 entries all 0", c.msix(dup128, 128));
    std::vector<uint16_t> three;
    for (uint16_t i = 0; i < 3 && i < t; ++i) three.push_back(i);
    const Answer on = c.msix(three, static_cast<uint32_t>(three.size()));
    must_work(fmt("enable MSI-X with %zu entries", three.size()), on);
    if (on.answered && on.err == 0) {
      std::set<uint16_t> v(on.vectors, on.vectors + three.size());
      r.check(v.size() == three.size() && v.count(0) == 0,
              fmt("PIRQs %u,%u,%u: distinct and non-zero", on.vectors[0], three.size() > 1 ? on.vectors[1] : 0,
                  three.size() > 2 ? on.vectors[2] : 0));
    }
    must_fail("enable MSI-X [0] again", c.msix({0}, 1));
    if (d.msi != 0) must_fail("enable MSI while MSI-X is on", c.op(msi_on));
    // Writing the MSI-X Enable and Function Mask bits directly (not through the op) while on, then
    // the op-less disable: the backend keeps MSI-X as the ops left it.
    const Answer ctl = c.read(d.msix + 2, 2);
    harmless("config write of MSI-X control 0 while on", c.write(d.msix + 2, 2, 0));
    harmless("config write of MSI-X control Enable|Mask", c.write(d.msix + 2, 2, 0xc000));
    r.info(fmt("MSI-X control as the guest sees it: %#x before the writes, %#x after", ctl.value, c.read(d.msix + 2, 2).value));
    must_work("disable MSI-X", c.op(msix_off));
    harmless("disable MSI-X again", c.op(msix_off));
    // A direct config write of MSI-X Enable while off must not turn MSI-X on behind the ops' back.
    harmless("config write of MSI-X control Enable while off", c.write(d.msix + 2, 2, 0x8000));
    if (d.msi != 0) {
      harmless("config write of MSI Enable while off", c.write(d.msi + 2, 2, 1));
      const Answer m = c.op(msi_on);
      must_work("enable MSI after the direct writes (the ops' state is what counts)", m);
      if (m.err == 0) (void)c.op(msi_off);
    }
    // Memory decoding off as the guest sees it (the Command write is emulated: hardware decoding is
    // dom0's, so the answer is recorded; the lab compares dom0's Command register).
    const Answer cmd = c.read(4, 2);
    if (cmd.err == 0) {
      harmless(fmt("write Command %#x (Memory Space off)", cmd.value & ~2u), c.write(4, 2, cmd.value & ~2u));
      const Answer seen = c.read(4, 2);
      const Answer a = c.msix({0}, 1);
      r.info(fmt("enable MSI-X [0] with Memory Space off in the guest's Command (%#x): %s", seen.value, a.str().c_str()));
      if (a.err == 0) (void)c.op(msix_off);
      harmless(fmt("write Command %#x back", cmd.value), c.write(4, 2, cmd.value));
      const Answer again = c.msix({0}, 1);
      must_work("enable MSI-X [0] with Memory Space on again", again);
      if (again.err == 0) must_work("disable MSI-X", c.op(msix_off));
    }
    // Rapid enable/disable: PIRQs must be handed back each time.
    int ok = 0;
    for (int i = 0; i < 50; ++i) {
      const Answer a = c.msix({static_cast<uint16_t>(i % t)}, 1);
      const Answer b = c.op(msix_off);
      if (a.err == 0 && b.err == 0) ++ok;
    }
    r.check(ok == 50, fmt("50 enable/disable MSI-X cycles: %d worked", ok));
  }
  interrupts_off(c);
  r.check(c.read(0, 2).value == d.id16, "the device still reads its vendor ID");
  return r.summary();
}

// ------------------------------------------------------------------------------------------------
// double-fetch: a second thread rewrites the op while the backend handles it.

int run_double_fetch(Chan& c, Report& r, uint64_t n) {
  const DevInfo d = probe_device(c);
  if (!d.ok) {
    r.check(false, "reading the device's identification through the backend");
    return r.summary();
  }
  interrupts_off(c);
  const Answer cl = c.read(0x0c, 1);
  r.info("device " + c.vdev_str() + ": " + d.str() + fmt(", cache line %#x", cl.value));
  volatile pcisplit_op* op = &c.sh()->op;

  // One variant: `setup` writes the fixed fields, `rewrite` flips the others from a random word,
  // `judge` says whether one answer is possible for any mix of the candidate values.
  struct Variant {
    const char* name;
    const char* candidates;
    std::function<void()> setup;
    std::function<void(uint32_t)> rewrite;
    std::function<bool(int32_t, uint32_t, std::string&)> judge;
    uint64_t count;
  };
  const uint32_t dom = c.vdomain, bus = c.vbus, df = c.vdevfn;
  auto pick = [](uint32_t x, unsigned shift, uint32_t a, uint32_t b) { return ((x >> shift) & 3) != 0 ? a : b; };
  const int32_t offs[4] = {0, 0x1000, -4, 0x7ffffffc};
  const int32_t sizes[4] = {2, 4, 3, 0x40000000};
  const uint32_t nvecs[4] = {0, 129, 0x80000000u, 0xffffffffu};
  const int32_t woffs[4] = {0x0c, 0x1000, -4, 0x7ffffffc};
  const int32_t wsizes[4] = {1, 0x40000000, 3, -1};
  std::vector<Variant> vs;
  vs.push_back({"read", "domain/bus/devfn each mine or not, offset 0|0x1000|-4|0x7ffffffc, size 2|4|3|0x40000000",
                [&] {
                  OpFields f = c.dev_op(PCISPLIT_OP_CONF_READ, 0, 2);
                  encode_op(op, f);
                },
                [&](uint32_t x) {
                  op->domain = pick(x, 0, dom, 0x10000);
                  op->bus = pick(x, 2, bus, 0x100);
                  op->devfn = pick(x, 4, df, df ^ 0x08);
                  op->offset = ((x >> 8) & 3) != 0 ? 0 : offs[(x >> 6) & 3];
                  op->size = sizes[(x >> 10) & 3];
                },
                [&](int32_t err, uint32_t value, std::string& why) {
                  if (err != 0) return true;
                  if (value == d.id16 || value == d.id32) return true;
                  why = fmt("success with value %#x (the only readable values are %#x and %#x)", value, d.id16, d.id32);
                  return false;
                },
                n});
  vs.push_back({"msix-nvec", "enable_msix with nvec 0|129|0x80000000|0xffffffff, entries 0|0xffff",
                [&] {
                  OpFields f = c.dev_op(PCISPLIT_OP_ENABLE_MSIX, 0, 0, 0);
                  encode_op(op, f);
                },
                [&](uint32_t x) {
                  op->value = nvecs[x & 3];
                  const uint16_t e = (x & 4) != 0 ? 0xffff : 0;
                  for (size_t i = 0; i < PCISPLIT_MAX_VEC; i += 1 + ((x >> 3) & 7)) op->msix_entries[i].entry = e;
                },
                [&](int32_t err, uint32_t, std::string& why) {
                  if (err != 0) return true;
                  why = "an enable_msix with no valid vector count was accepted";
                  return false;
                },
                n});
  vs.push_back({"msix-entries", "enable_msix 2 vectors, entry[0] 0|1|0xffff, entry[1] 1|0|0x7fff (valid: 0,1 and 1,0)",
                [&] {
                  OpFields f = c.dev_op(PCISPLIT_OP_ENABLE_MSIX, 0, 0, 2);
                  f.entries = {0, 1};
                  encode_op(op, f);
                },
                [&](uint32_t x) {
                  static const uint16_t e0[4] = {0, 1, 0xffff, 0};
                  static const uint16_t e1[4] = {1, 0, 0x7fff, 1};
                  op->msix_entries[0].entry = e0[x & 3];
                  op->msix_entries[1].entry = e1[(x >> 2) & 3];
                },
                [&](int32_t err, uint32_t, std::string& why) {
                  if (err != 0) return true;
                  const uint16_t v0 = op->msix_entries[0].vector, v1 = op->msix_entries[1].vector;
                  if (v0 != 0 && v1 != 0 && v0 != v1) return true;
                  why = fmt("success with PIRQs %u,%u", v0, v1);
                  return false;
                },
                std::max<uint64_t>(1, n / 4)});
  vs.push_back({"write", "conf_write value 0x08, offset 0x0c|0x1000|-4|0x7ffffffc, size 1|0x40000000|3|-1",
                [&] {
                  OpFields f = c.dev_op(PCISPLIT_OP_CONF_WRITE, 0x0c, 1, 0x08);
                  encode_op(op, f);
                },
                [&](uint32_t x) {
                  op->offset = ((x & 3) != 0) ? 0x0c : woffs[(x >> 2) & 3];
                  op->size = ((x >> 4) & 3) != 0 ? 1 : wsizes[(x >> 6) & 3];
                },
                [](int32_t, uint32_t, std::string&) { return true; }, n});

  for (Variant& v : vs) {
    if (std::string(v.name).rfind("msix", 0) == 0 && d.msix == 0) continue;
    v.setup();
    std::atomic<bool> stop{false};
    std::atomic<uint64_t> rewrites{0};
    std::thread writer([&] {
      uint32_t x = 0x9e3779b9u;
      uint64_t k = 0;
      while (!stop.load(std::memory_order_relaxed)) {
        v.rewrite(xorshift(x));
        ++k;
      }
      rewrites = k;
    });
    Tally t;
    uint64_t bad = 0, unanswered = 0, done = 0;
    std::string first_bad;
    const auto t0 = Clock::now();
    for (uint64_t i = 0; i < v.count && ms_since(t0) < 90000; ++i) {
      op->err = kErrSentinel;
      c.post();
      const bool ok = c.wait_clear(3000);
      ++done;
      if (!ok) {
        __atomic_fetch_and(c.flags_ptr(), ~PCISPLIT_F_ACTIVE, __ATOMIC_SEQ_CST);
        ++unanswered;
        t.add("no-answer");
        continue;
      }
      __atomic_thread_fence(__ATOMIC_ACQUIRE);
      const int32_t err = op->err;
      const uint32_t value = op->value;
      t.add(err_name(err));
      std::string why;
      if (err == kErrSentinel) why = "the flag was cleared but err never written";
      if (!why.empty() || !v.judge(err, value, why)) {
        ++bad;
        if (first_bad.empty()) first_bad = why;
      }
      if (err == 0 && (v.name[0] == 'm')) {
        // An MSI-X enable went through: turn it off (fields are restored by setup afterwards).
        stop = true;
        writer.join();
        t.add("then-disable-" + c.op(c.dev_op(PCISPLIT_OP_DISABLE_MSIX)).str().substr(0, 7));
        v.setup();
        stop = false;
        const uint32_t seed = static_cast<uint32_t>(i) * 2654435761u | 1u;
        writer = std::thread([&, seed] {
          uint32_t x = seed;
          uint64_t k = 0;
          while (!stop.load(std::memory_order_relaxed)) {
            v.rewrite(xorshift(x));
            ++k;
          }
          rewrites += k;
        });
      }
    }
    stop = true;
    writer.join();
    const uint64_t ms = ms_since(t0);
    if (v.name[0] == 'm') {
      // Without the second thread, the valid request must work (the device is not stuck).
      interrupts_off(c);
      const Answer a = c.msix({0, 1}, 2);
      r.check(a.answered && a.err == 0, std::string(v.name) + ": afterwards, a plain enable_msix [0,1]: " + a.str());
    }
    r.check(bad == 0 && unanswered == 0,
            fmt("%s (%s): %llu ops in %llu ms, %llu rewrites by the second thread; answers %s%s", v.name, v.candidates,
                static_cast<unsigned long long>(done), static_cast<unsigned long long>(ms),
                static_cast<unsigned long long>(rewrites.load()), t.str().c_str(),
                bad ? fmt("; %llu impossible, first: %s", static_cast<unsigned long long>(bad), first_bad.c_str()).c_str()
                    : ""));
    interrupts_off(c);
  }
  // The write variant may have set the cache line size (0x08); anything else there is a finding.
  const Answer cl2 = c.read(0x0c, 4);
  r.info(fmt("cache line/latency/header/BIST dword after: %#x (cache line was %#x)", cl2.value, cl.value));
  (void)c.write(0x0c, 1, cl.value);
  r.check(c.read(0, 4).value == d.id32, "the device still reads its IDs");
  return r.summary();
}

// ------------------------------------------------------------------------------------------------
// storm: notifications by the hundred thousand.

int run_storm(Chan& c, Report& r, uint64_t n) {
  const DevInfo d = probe_device(c);
  if (!d.ok) {
    r.check(false, "reading the device's identification through the backend");
    return r.summary();
  }
  const uint64_t limit_ms = 150000;
  // 1: nothing posted; every event is spurious for the backend.
  auto t0 = Clock::now();
  uint64_t i = 0;
  for (; i < n; ++i) {
    c.notify();
    if ((i & 4095) == 0) {
      c.drain();
      if (ms_since(t0) > limit_ms) break;
    }
  }
  uint64_t ms = std::max<uint64_t>(1, ms_since(t0));
  r.info(fmt("%llu notifications with nothing posted in %llu ms (%llu/s)", static_cast<unsigned long long>(i),
             static_cast<unsigned long long>(ms), static_cast<unsigned long long>(i * 1000 / ms)));
  const Answer after1 = c.read(0, 2);
  r.check(after1.answered && after1.err == 0 && after1.value == d.id16,
          fmt("a read right after: %s in %llu ms", after1.str().c_str(), static_cast<unsigned long long>(after1.ms)));

  // 2: a read re-posted whenever the backend has answered, and a notification every time anyway.
  encode_op(&c.sh()->op, c.dev_op(PCISPLIT_OP_CONF_READ, 0, 2));
  uint64_t posted = 0, answered = 0, wrong = 0;
  t0 = Clock::now();
  for (i = 0; i < n; ++i) {
    if (!c.active()) {
      if (posted != 0) {
        ++answered;
        if (c.sh()->op.err != 0 || c.sh()->op.value != d.id16) ++wrong;
      }
      c.sh()->op.err = kErrSentinel;
      __atomic_fetch_or(c.flags_ptr(), PCISPLIT_F_ACTIVE, __ATOMIC_SEQ_CST);
      ++posted;
    }
    c.notify();
    if ((i & 4095) == 0) {
      c.drain();
      if (ms_since(t0) > limit_ms) break;
    }
  }
  const bool last = c.wait_clear(5000);
  if (last && posted != 0) {
    ++answered;
    if (c.sh()->op.err != 0 || c.sh()->op.value != d.id16) ++wrong;
  }
  ms = std::max<uint64_t>(1, ms_since(t0));
  r.check(answered == posted && wrong == 0,
          fmt("%llu notifications re-posting a read in %llu ms (%llu/s): %llu reads posted, %llu answered, %llu wrong",
              static_cast<unsigned long long>(i), static_cast<unsigned long long>(ms),
              static_cast<unsigned long long>(i * 1000 / ms), static_cast<unsigned long long>(posted),
              static_cast<unsigned long long>(answered), static_cast<unsigned long long>(wrong)));
  c.drain();
  // 3: the channel still serves ordinary ops at an ordinary pace.
  uint64_t worst = 0;
  int good = 0;
  for (int k = 0; k < 20; ++k) {
    const Answer a = c.read(0, 2);
    worst = std::max(worst, a.ms);
    if (a.answered && a.err == 0 && a.value == d.id16) ++good;
  }
  r.check(good == 20, fmt("20 reads after the storm: %d right, slowest %llu ms", good, static_cast<unsigned long long>(worst)));
  return r.summary();
}

// ------------------------------------------------------------------------------------------------
// xs-garbage: the frontend's own keys.

int run_xs_garbage(Chan& c, Report& r) {
  std::string why;
  const DevInfo d = probe_device(c);
  auto works = [&](unsigned ms) {
    const Answer a = c.op(c.dev_op(PCISPLIT_OP_CONF_READ, 0, 2), ms);
    return a.answered && a.err == 0 && a.value == d.id16;
  };
  auto be_str = [&] {
    const std::string e = c.be_error();
    return fmt("backend state %d%s", c.be_state(), e.empty() ? "" : (", error \"" + e + "\"").c_str());
  };
  // 1. While connected: magic and state are the guest's to scribble on. The backend must keep
  // serving (or stop serving this guest only); nothing else is checked here but dom0's health.
  const std::string longv(3000, 'x');
  struct Put {
    const char* key;
    std::string value;
  };
  const std::vector<Put> live = {{"magic", "8"},         {"magic", ""},       {"magic", longv},
                                 {"state", "garbage"},   {"state", ""},       {"state", "99"},
                                 {"state", "-1"},        {"state", "4junk"},  {"state", "0x4"},
                                 {"state", longv},       {"state", "4"},      {"pci-op-ref", "junk"},
                                 {"event-channel", "-1"}};
  for (const Put& p : live) {
    c.fe_put(p.key, p.value);
    sleep_ms(800);
    const bool w = works(1500);
    const std::string shown = p.value.size() > 16 ? fmt("<%zu x's>", p.value.size()) : "\"" + p.value + "\"";
    r.info(fmt("connected, %s=%s: ops %s, %s", p.key, shown.c_str(), w ? "still answered" : "no longer answered",
               be_str().c_str()));
  }
  c.fe_put("state", "4");
  c.fe_put("magic", PCISPLIT_MAGIC);
  sleep_ms(500);
  r.info(std::string("after restoring state 4 and magic: ops ") + (works(1500) ? "answered" : "not answered") + ", " +
         be_str());

  // 2. Handshakes with bad keys: each must be refused (the backend must not reach Connected), and
  // dom0 must stay healthy. Between attempts: Closed, Initialising (a frontend starting again).
  // Everything that is kept is allocated before anything is freed: a freed grant ref is the next one
  // handed out, and a closed port the next port bound, so freeing first would make them valid again.
  c.drop();
  Grant revoked, spare, ro;
  const bool have_revoked = c.share(true, revoked);
  const bool have_spare = c.share(true, spare);
  const bool have_ro = c.share(false, ro);
  const int good_port = c.new_port();
  const int closed_port = c.new_port();
  c.unshare(revoked);  // revoked: the ref is free in the guest's table
  c.close_port(closed_port);
  std::string console_port;
  c.get("console/port", console_port);
  struct Attempt {
    std::string what, ref, port, magic;
    bool must_refuse = true;
  };
  std::vector<Attempt> attempts;
  if (have_revoked && have_spare && good_port >= 0) {
    attempts.push_back({"pci-op-ref of a grant it revoked", std::to_string(revoked.ref), std::to_string(good_port), "7"});
  }
  if (have_spare && closed_port >= 0) {
    attempts.push_back({"event-channel of a port it closed", std::to_string(spare.ref), std::to_string(closed_port), "7"});
  }
  if (have_spare && !console_port.empty()) {
    attempts.push_back({"event-channel = the console's port", std::to_string(spare.ref), console_port, "7"});
  }
  if (have_ro && good_port >= 0) {
    attempts.push_back({"pci-op-ref of a read-only grant", std::to_string(ro.ref), std::to_string(good_port), "7"});
  }
  if (have_spare && good_port >= 0) {
    const std::string ref = std::to_string(spare.ref), port = std::to_string(good_port);
    attempts.push_back({"magic 8", ref, port, "8"});
    attempts.push_back({"magic empty", ref, port, ""});
    attempts.push_back({"pci-op-ref \"abc\"", "abc", port, "7"});
    attempts.push_back({"pci-op-ref -1", "-1", port, "7"});
    attempts.push_back({"pci-op-ref 4294967296", "4294967296", port, "7"});
    // Ref 0 is the console ring, which the toolstack granted to dom0: a valid grant the backend
    // cannot tell from a pciif page. Recorded, not judged.
    attempts.push_back({"pci-op-ref 0 (the console ring the toolstack granted to dom0)", "0", port, "7", false});
    attempts.push_back({"pci-op-ref 100000", "100000", port, "7"});
    attempts.push_back({"event-channel 65536", ref, "65536", "7"});
    attempts.push_back({"event-channel \"x\"", ref, "x", "7"});
    attempts.push_back({"event-channel 0", ref, "0", "7"});
  }
  for (const Attempt& a : attempts) {
    std::string log;
    const int before = c.restart(log);
    if (before != 2 && before != 3) {
      r.info(fmt("%s: skipped, the backend does not wait for a frontend (state %d;%s)", a.what.c_str(), before,
                 log.c_str()));
      continue;
    }
    const int s = c.publish(a.ref, a.port, a.magic, 4000);
    const std::string what = fmt("%s (ref %s, port %s, magic \"%s\"): %s", a.what.c_str(), a.ref.c_str(),
                                 a.port.c_str(), a.magic.c_str(), be_str().c_str());
    if (a.must_refuse) r.check(s != 4, what + (s == 4 ? " -- connected on bad keys" : ""));
    else r.info(what);
  }
  c.unshare(spare);
  c.unshare(ro);
  c.close_port(good_port);

  // 3. A good handshake afterwards: the guest may come back from its own garbage.
  const bool back = c.connect(why);
  r.check(back && works(3000), std::string("a good handshake afterwards: ") + (back ? "connected, ops answered" : why));
  return r.summary();
}

// ------------------------------------------------------------------------------------------------
// close-reconnect: closing mid-op, then a new handshake.

int run_close_reconnect(Chan& c, Report& r, uint64_t cycles) {
  std::string why;
  const DevInfo d = probe_device(c);
  if (!d.ok) {
    r.check(false, "reading the device's identification through the backend");
    return r.summary();
  }
  static const char* const kWays[] = {
      "Closing (5) with a read posted",
      "Closed (6) with a read posted",
      "page revoked with a read posted, then Closed",
      "Closing while a second thread posts reads back to back",
      "Closed with an MSI-X enable posted",
      "state key removed with a read posted",
  };
  const uint64_t nways = sizeof kWays / sizeof kWays[0];
  for (uint64_t k = 0; k < cycles; ++k) {
    const uint64_t way = k % nways;
    if (!c.connected() && !c.connect(why)) {
      r.check(false, fmt("cycle %llu: cannot connect before closing: %s", static_cast<unsigned long long>(k + 1), why.c_str()));
      break;
    }
    if (way == 4 && d.msix != 0) {
      OpFields f = c.dev_op(PCISPLIT_OP_ENABLE_MSIX, 0, 0, 1);
      f.entries = {0};
      encode_op(&c.sh()->op, f);
    } else {
      encode_op(&c.sh()->op, c.dev_op(PCISPLIT_OP_CONF_READ, 0, 2));
    }
    std::atomic<bool> stop{false};
    std::thread poster;
    if (way == 3) {
      poster = std::thread([&] {
        while (!stop.load()) {
          if (!c.active()) __atomic_fetch_or(c.flags_ptr(), PCISPLIT_F_ACTIVE, __ATOMIC_SEQ_CST);
          c.notify();
        }
      });
      sleep_ms(300);
    } else {
      c.post();
    }
    switch (way) {
      case 0: c.fe_put("state", "5"); break;
      case 1: c.fe_put("state", "6"); break;
      case 2: c.drop(); c.fe_put("state", "6"); break;
      case 3: c.fe_put("state", "5"); sleep_ms(300); break;
      case 4: c.fe_put("state", "6"); break;
      case 5: c.fe_rm("state"); break;
    }
    stop = true;
    if (poster.joinable()) poster.join();
    const int s = c.wait_be([](int x) { return x == 5 || x == 6 || x == 2 || x == 3 || x < 0; }, 3000);
    c.drop();
    const auto t0 = Clock::now();
    const bool ok = c.connect(why);
    const uint64_t ms = ms_since(t0);
    bool reads = false;
    if (ok) {
      const Answer a = c.read(0, 2);
      reads = a.answered && a.err == 0 && a.value == d.id16;
    }
    r.check(ok && reads, fmt("cycle %llu, %s: backend went to %d; reconnect %s in %llu ms%s",
                             static_cast<unsigned long long>(k + 1), kWays[way], s,
                             ok ? "connected" : ("failed: " + why).c_str(), static_cast<unsigned long long>(ms),
                             ok ? (reads ? ", vendor ID read" : ", but the read failed") : ""));
    if (ok) interrupts_off(c);
  }
  return r.summary();
}

// ------------------------------------------------------------------------------------------------
// probe (dom0): how late a 10 ms sleep wakes up.

int run_probe(uint64_t seconds, const std::string& stop_file) {
  const auto t0 = Clock::now();
  uint64_t samples = 0, over50 = 0, over200 = 0;
  double worst = 0, sum = 0;
  auto prev = Clock::now();
  while (ms_since(t0) < seconds * 1000) {
    if (!stop_file.empty() && access(stop_file.c_str(), F_OK) == 0) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
    const auto now = Clock::now();
    const double late = std::chrono::duration<double, std::milli>(now - prev).count() - 10.0;
    prev = now;
    ++samples;
    sum += late;
    worst = std::max(worst, late);
    if (late > 50) ++over50;
    if (late > 200) ++over200;
  }
  std::printf("probe: samples=%llu period_ms=10 worst_delay_ms=%.1f mean_delay_ms=%.2f over50ms=%llu over200ms=%llu\n",
              static_cast<unsigned long long>(samples), worst, samples ? sum / static_cast<double>(samples) : 0.0,
              static_cast<unsigned long long>(over50), static_cast<unsigned long long>(over200));
  return 0;
}

// ------------------------------------------------------------------------------------------------

int run_one(Chan& c, const std::string& cmd, const std::vector<std::string>& rest) {
  Report r(cmd);
  std::string why;
  if (!c.connect(why)) {
    r.check(false, "connect: " + why);
    if (cmd != "xs-garbage" && cmd != "close-reconnect") return r.summary() + 1;
  }
  uint64_t n = 0;
  const bool has_n = !rest.empty() && parse_u64(rest[0], n) && n > 0;
  if (cmd == "ops") return run_ops(c, r);
  if (cmd == "msi") return run_msi(c, r);
  if (cmd == "double-fetch") return run_double_fetch(c, r, has_n ? n : 2000);
  if (cmd == "storm") return run_storm(c, r, has_n ? n : 200000);
  if (cmd == "xs-garbage") return run_xs_garbage(c, r);
  if (cmd == "close-reconnect") return run_close_reconnect(c, r, has_n ? n : 6);
  r.check(false, "unknown command " + cmd);
  return r.summary();
}

// The lab's driver: connect once, then run "SEQ COMMAND ARGS" each time the key changes.
int run_serve(Chan& c, const std::string& key) {
  std::string why;
  const auto t0 = Clock::now();
  bool ok = c.connect(why);
  while (!ok && ms_since(t0) < 60000) {
    sleep_ms(1000);
    ok = c.connect(why);
  }
  if (!ok) {
    std::printf("@@EVIL-CONNECT-FAILED %s\n", why.c_str());
  } else {
    std::printf("@@EVIL-CONNECTED dev=%s gref=%u port=%d backend=%s\n", c.vdev_str().c_str(), c.gref(), c.port(),
                c.be().c_str());
  }
  std::fflush(stdout);
  std::string last;
  c.get(key, last);  // a command left from before is not re-run
  for (;;) {
    std::string v;
    if (!c.get(key, v) || v == last) {
      sleep_ms(200);
      continue;
    }
    last = v;
    std::vector<std::string> words;
    size_t p = 0;
    while (p < v.size()) {
      const size_t q = v.find(' ', p);
      const std::string w = v.substr(p, q == std::string::npos ? std::string::npos : q - p);
      if (!w.empty()) words.push_back(w);
      if (q == std::string::npos) break;
      p = q + 1;
    }
    if (words.size() < 2) continue;
    const std::string seq = words[0], cmd = words[1];
    if (cmd == "quit") break;
    std::vector<const char*> argv = {"pcisplit-evil"};
    for (size_t i = 1; i < words.size(); ++i) argv.push_back(words[i].c_str());
    const Args a = parse_args(static_cast<int>(argv.size()), argv.data());
    int rc = 2;
    if (!a.error.empty() || a.command == "serve" || a.command == "probe" || a.command == "selftest") {
      std::printf("evil: serve: bad command \"%s\": %s\n", v.c_str(), a.error.c_str());
    } else {
      std::printf("@@EVIL-BEGIN %s %s\n", seq.c_str(), cmd.c_str());
      std::fflush(stdout);
      rc = run_one(c, a.command, a.rest);
    }
    std::printf("@@EVIL-DONE %s %s rc=%d timeouts=%llu\n", seq.c_str(), cmd.c_str(), rc,
                static_cast<unsigned long long>(c.timeouts()));
    std::fflush(stdout);
  }
  return 0;
}

}  // namespace
}  // namespace evil

int main(int argc, char** argv) {
  using namespace evil;
  setvbuf(stdout, nullptr, _IOLBF, 0);
  const Args a = parse_args(argc, argv);
  if (!a.error.empty()) {
    std::fprintf(stderr, "pcisplit-evil: %s\n%s", a.error.c_str(), usage());
    return 2;
  }
  if (a.command == "selftest") return selftest() == 0 ? 0 : 1;
  if (a.command == "probe") {
    uint64_t s = 0;
    parse_u64(a.rest[0], s);
    return run_probe(s, a.rest.size() > 1 ? a.rest[1] : "");
  }
  Chan c(a);
  std::string err;
  if (!c.open(err)) {
    std::fprintf(stderr, "pcisplit-evil: %s\n", err.c_str());
    return 1;
  }
  if (a.command == "serve") return run_serve(c, a.rest.empty() ? "data/evil-cmd" : a.rest[0]);
  return run_one(c, a.command, a.rest);
}
