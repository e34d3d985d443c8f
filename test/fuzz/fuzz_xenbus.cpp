// SPDX-License-Identifier: GPL-2.0-only
// The backend's xenbus state machine (backend/instance.hpp) over the simulated xenstore (sim),
// fed a sequence of store changes decoded from the input: what libxl writes (the initial devices,
// hot-plug, detach in its two transactions with the renumbering that follows it: index i deleted,
// every j > i moved to j-1 for state-, dev-, key-, vdev-, opts-, vdevfn-, num_devs - 1), what a
// frontend writes (its page, channel and magic, any state value, following the backend or not), ops
// posted on the shared page, the guest's home vanishing, the backend directory removed, stop().
//
// Checked, besides crashes and sanitizer reports:
//   while the toolstack behaves as libxl does (no raw garbage written to the backend directory):
//     - the functions the backend holds (exported by the host, not released) are all named by some
//       dev-N, N < num_devs, once the backend is Connected (libxl renumbers only then);
//     - a held function is never exported again, and only held functions are released;
//     - the topology holds exactly the held functions;
//     - every Connected dev-N with state-N = 3 has a vdev-N that leads (through the topology the
//       guest's ops use) to that dev-N's function;
//     - once the guest is gone (its home removed, the domain released), no function is held;
//   always: after stop() no function is held and the topology is empty.
#include <cstring>
#include <optional>
#include <string>

#include "backend/instance.hpp"
#include "conf_space/config_access.hpp"
#include "protocol/xenstore.hpp"
#include "quirks/quirks.hpp"
#include "test/fuzz/fuzz_support.hpp"
#include "sim/xenstore.hpp"

using namespace pcisplit;
using pcisplit::fuzz::violation;

namespace {

constexpr uint16_t kGuest = 1;
const std::string kBe = "/local/domain/0/backend/pci/1/0";
const std::string kFe = "/local/domain/1/device/pci/0";
constexpr uint32_t kGref = 8, kPort = 5;
const std::string kAbsent = "<absent>";  // what get() returns for a missing node (not a valid value)

// The paths the harness names, each built once, before the first input: a step reads the device
// list several times, and building its paths by concatenation per read made most of the allocations
// ASan tracked per input. (Built at startup, not on first use: libFuzzer runs an input a second
// time, looking for a leak, when it allocated more than it freed.)
const std::string kBeState = kBe + "/state", kBeNumDevs = kBe + "/num_devs";
const std::string kBeFrontend = kBe + "/frontend", kBeFrontendId = kBe + "/frontend-id", kBeOnline = kBe + "/online";
const std::string kFeState = kFe + "/state", kFeBackend = kFe + "/backend", kFeBackendId = kFe + "/backend-id";
const std::string kFeRef = kFe + "/pci-op-ref", kFeChannel = kFe + "/event-channel", kFeMagic = kFe + "/magic";
enum Prefix { kStateN, kKeyN, kDevN, kVdevN, kOptsN, kVdevfnN, kNumPrefixes };
const char* const kPrefixes[kNumPrefixes] = {"state-", "key-", "dev-", "vdev-", "opts-", "vdevfn-"};
// kBe/<prefix><i> for i in 0..64: num_devs is read with a limit of 64 and libxl appends at num_devs.
struct IndexedPaths {
  static constexpr uint32_t kCount = 65;
  std::string path[kNumPrefixes][kCount];
  IndexedPaths() {
    for (int p = 0; p < kNumPrefixes; ++p) {
      for (uint32_t i = 0; i < kCount; ++i) path[p][i] = kBe + "/" + kPrefixes[p] + std::to_string(i);
    }
  }
};
const IndexedPaths kIndexed;
// libxl's opts-N, without and with permissive.
const std::string kOptsValue[2] = {"msitranslate=0,power_mgmt=0,permissive=0,rdm_policy=strict",
                                   "msitranslate=0,power_mgmt=0,permissive=1,rdm_policy=strict"};
const std::string& be_idx(Prefix p, uint32_t i) {
  if (i >= IndexedPaths::kCount) abort();  // the harness never goes past num_devs <= 64
  return kIndexed.path[p][i];
}

// The functions dom0 owns (by dump name; any that is missing from test/data is skipped), and one
// address it does not own.
struct HostFn {
  Bdf bdf;
  const char* dump;
};
const HostFn kHostFns[] = {
    {Bdf::make(0, 1, 0, 0), "e1000e.lspci"},          {Bdf::make(0, 2, 0, 0), "nvme.lspci"},
    {Bdf::make(0, 0, 0x1b, 0), "ich9-intel-hda.lspci"}, {Bdf::make(0, 3, 0, 0), "virtio-net-modern.lspci"},
    {Bdf::make(0, 0, 0x1c, 0), "pcie-root-port.lspci"}, {Bdf::make(0, 4, 0, 0), "megasas.lspci"},
};
constexpr size_t kNumFns = sizeof(kHostFns) / sizeof(kHostFns[0]);
constexpr Bdf kNotOwned = Bdf::make(0, 9, 0, 0);

class NullPlatform final : public DevicePlatform {
 public:
  Err apply(const Effect&) override { return Err::success; }
  Result<uint32_t> enable_msi(uint32_t) override { return 64u; }
  Err disable_msi() override { return Err::success; }
  Err enable_msix(const uint16_t*, uint32_t n, uint32_t* pirqs) override {
    for (uint32_t i = 0; i < n; ++i) pirqs[i] = 100 + i;
    return Err::success;
  }
  Err disable_msix() override { return Err::success; }
  uint32_t legacy_pirq() override { return 16; }
};

struct Fn {
  const user::Dump* dump = nullptr;
  MemoryConfig hw;
  std::optional<DeviceView> view;
  NullPlatform platform;
  bool held = false;
};

class Host final : public BackendHost {
 public:
  Err connect(uint16_t domid, uint32_t gref, uint32_t port, volatile wire::SharedInfo** page) override {
    if (domid != kGuest || gref != kGref || port != kPort) return Err::op_failed;
    *page = &this->page;
    return Err::success;
  }
  void disconnect() override {}
  void notify() override {}
  Err export_device(Bdf phys, const xs::DevOpts& opts, PhysFunction& fn, DeviceView*& view, DevicePlatform*& platform,
                    Text& diag) override {
    Fn* f = find(phys);
    if (f == nullptr || f->dump == nullptr) {
      diag.clear();
      diag.add("not owned by the backend");
      return Err::dev_not_found;
    }
    if (f->held && strict) {
      violation("export-of-held-function", "%04x:%02x:%02x.%x exported while the guest holds it", phys.domain,
                phys.bus, phys.slot(), phys.fn());
    }
    Policy p;
    p.permissive = opts.permissive;
    f->view.emplace();
    Err err = f->view->build(f->hw, f->dump->info, p, diag);
    if (err == Err::success) err = quirks::apply_builtin(*f->view, diag);
    if (err != Err::success) return err;
    f->held = true;
    const uint8_t type = f->hw.bytes()[reg::PCI_HEADER_TYPE] & reg::PCI_HEADER_TYPE_MASK;
    fn = PhysFunction{phys, type == reg::PCI_HEADER_TYPE_BRIDGE, false};
    view = &*f->view;
    platform = &f->platform;
    return Err::success;
  }
  void release_device(Bdf phys) override {
    Fn* f = find(phys);
    if (f == nullptr || !f->held) {
      if (strict) {
        violation("release-of-unheld-function", "%04x:%02x:%02x.%x released but not held", phys.domain, phys.bus,
                  phys.slot(), phys.fn());
      }
      return;
    }
    f->held = false;
    std::memcpy(f->hw.bytes(), f->dump->config.data(), f->dump->config.size());  // function reset
  }
  void destroy_domain(uint16_t) override {}
  void log(const char*) override {}

  Fn* find(Bdf b) {
    for (size_t i = 0; i < kNumFns; ++i) {
      if (kHostFns[i].bdf == b) return &fns[i];
    }
    return nullptr;
  }

  Fn fns[kNumFns];
  wire::SharedInfo page{};
  bool strict = true;  // the toolstack behaved like libxl so far
};

Host& host() {
  static Host* const h = [] {
    auto* hh = new Host;
    for (size_t i = 0; i < kNumFns; ++i) {
      for (const auto& d : fuzz::dumps()) {
        if (d.name == kHostFns[i].dump) hh->fns[i].dump = &d.dump;
      }
    }
    return hh;
  }();
  return *h;
}

Bdf fn_addr(uint8_t choice) { return choice % (kNumFns + 1) == kNumFns ? kNotOwned : kHostFns[choice % (kNumFns + 1)].bdf; }

std::string bdf_text(Bdf b) {
  Text t;
  xs::format_dev(t, b);
  return t.c_str();
}

// The backend's store connection, with a budget of writes per step: a backend whose own writes keep
// firing its own watch would loop for ever (the simulator delivers synchronously, as a livelock of
// xenwatch in the kernel). Past the budget every write is refused, which ends the loop; the step is
// then reported as a livelock. Only writes and removals count: reads fire no watch, and how many a
// step needs grows with num_devs (a toolstack may list 64 functions), so they cannot mark a loop;
// a loop of reads alone would hang the target and end as libFuzzer's timeout.
// (Not traced for coverage, like check(): it passes every store call of the backend through, and
// its own branches guide nothing.)
#define PCISPLIT_NO_COVERAGE __attribute__((no_sanitize("coverage")))
class BudgetStore final : public Store {
 public:
  static constexpr uint32_t kBudget = 600;  // writes; FUZZ_BUDGET_REPORT=1 prints each step's count
  explicit BudgetStore(sim::Connection& c) : c_(c) {}
  PCISPLIT_NO_COVERAGE StoreStatus read(TxId tx, const char* path, char* out, size_t cap) override {
    return c_.read(tx, path, out, cap);
  }
  PCISPLIT_NO_COVERAGE StoreStatus write(TxId tx, const char* path, const char* value) override {
    return spend() ? c_.write(tx, path, value) : StoreStatus::denied;
  }
  PCISPLIT_NO_COVERAGE StoreStatus remove(TxId tx, const char* path) override {
    return spend() ? c_.remove(tx, path) : StoreStatus::denied;
  }
  PCISPLIT_NO_COVERAGE StoreStatus begin(TxId& tx) override { return c_.begin(tx); }
  PCISPLIT_NO_COVERAGE StoreStatus commit(TxId tx) override {
    if (!exhausted()) return c_.commit(tx);
    c_.abort(tx);
    return StoreStatus::denied;
  }
  PCISPLIT_NO_COVERAGE void abort(TxId tx) override { c_.abort(tx); }
  StoreStatus watch(const char* path, const char* token, StoreWatcher* w) override { return c_.watch(path, token, w); }
  StoreStatus unwatch(const char* path, const char* token) override { return c_.unwatch(path, token); }

  void new_step() {
    static const bool report = getenv("FUZZ_BUDGET_REPORT") != nullptr;
    if (report && used_ > 0) fprintf(stderr, "budget: %u writes\n", used_);
    used_ = 0;
  }
  void reset() { used_ = 0; }
  bool exhausted() const { return used_ > kBudget; }

 private:
  bool spend() { return ++used_ <= kBudget; }
  sim::Connection& c_;
  uint32_t used_ = 0;
};

// The guest's frontend directory and state node, as libxl sets them: the guest's, dom0 may read.
const sim::Perms kGuestOwns{kGuest, sim::Perm::none, {{0, sim::Perm::read}}};

const char* const kStateWords[] = {"1", "2", "3", "4", "5", "6", "7", "8", "0", "9", "", "x", "04", "4 ", "-1", "99999999999"};

// The store, the three domains' connections to it and the backend. One World serves every input:
// reset() makes it new again (the store as a new one: see sim::Xenstore::reset), without giving
// back the memory it holds, so an input allocates almost nothing.
struct World {
  sim::Xenstore xs;
  std::unique_ptr<sim::Connection> tools = xs.connect(0);
  std::unique_ptr<sim::Connection> be_conn = xs.connect(0);
  std::unique_ptr<sim::Connection> guest = xs.connect(kGuest);
  BudgetStore be_store{*be_conn};
  std::optional<BackendInstance> be;
  bool stopped = false;
  bool guest_gone = false;  // its home removed and the domain released

  void reset() {
    be.reset();
    xs.reset();
    be_store.reset();
    stopped = false;
    guest_gone = false;
  }

  std::string get(sim::Connection& c, const std::string& path, TxId tx = kNoTx) {
    std::string v;
    return c.read(path, v, tx) == StoreStatus::ok ? v : kAbsent;
  }
  void put(const std::string& path, const std::string& v, TxId tx = kNoTx) {
    (void)tools->write(tx, path.c_str(), v.c_str());
  }
  uint32_t num_devs() {
    uint32_t n = 0;
    Text diag = Text::discarding();  // the harness only tests the values it reads
    if (!xs::parse_count("num_devs", get(*tools, kBeNumDevs).c_str(), 64, n, diag)) return 0;
    return n;
  }
  xs::State be_state() {
    xs::State s = xs::State::unknown;
    Text diag = Text::discarding();
    (void)xs::parse_state("state", get(*tools, kBeState).c_str(), s, diag);
    return s;
  }
  // The functions some dev-N, N < num_devs, names (at most 64 of them).
  struct Listed {
    Bdf bdf[64];
    uint32_t n = 0;
    // An index whose state-N or dev-N is there but malformed, and not Closed: the backend then keeps
    // what it holds (docs/backend.md), so "held but not listed" is no violation.
    bool unusable = false;
    bool has(Bdf b) const {
      for (uint32_t i = 0; i < n; ++i) {
        if (bdf[i] == b) return true;
      }
      return false;
    }
  };
  Listed list() {
    Listed out;
    const uint32_t n = num_devs();
    for (uint32_t i = 0; i < n; ++i) {
      Bdf d;
      Text diag = Text::discarding();
      const std::string dev = get(*tools, be_idx(kDevN, i));
      const std::string st = get(*tools, be_idx(kStateN, i));
      xs::State s = xs::State::unknown;
      const bool st_bad = st != kAbsent && !xs::parse_state("state", st.c_str(), s, diag);
      const bool dev_ok = dev != kAbsent && xs::parse_dev("dev", dev.c_str(), d, diag);
      if (dev_ok) out.bdf[out.n++] = d;
      if ((st_bad || (dev != kAbsent && !dev_ok)) && s != xs::State::closed) out.unusable = true;
    }
    return out;
  }
  bool listed(Bdf b) { return list().has(b); }
  void write_device(uint32_t n, Bdf b, bool permissive, TxId tx) {
    put(be_idx(kKeyN, n), bdf_text(b), tx);
    put(be_idx(kDevN, n), bdf_text(b), tx);
    put(be_idx(kOptsN, n), kOptsValue[permissive], tx);
    put(be_idx(kStateN, n), "1", tx);
  }
};

// libxl's hot-plug: only against a Connected backend, one transaction, a function not assigned yet.
void hotplug(World& w, Host& h, uint8_t choice, bool permissive) {
  if (w.be_state() != xs::State::connected) return;
  const Bdf b = fn_addr(choice);
  if (w.listed(b)) return;
  (void)h;
  const uint32_t n = w.num_devs();
  TxId tx;
  (void)w.tools->begin(tx);
  w.write_device(n, b, permissive, tx);
  w.put(kBeNumDevs, std::to_string(n + 1), tx);
  w.put(kBeState, "7", tx);
  (void)w.tools->commit(tx);
}

// libxl's detach, first transaction: state-i Closing and the backend Reconfiguring.
void detach_begin(World& w, uint8_t choice) {
  const uint32_t n = w.num_devs();
  if (n == 0 || w.be_state() != xs::State::connected) return;
  const uint32_t i = choice % n;
  TxId tx;
  (void)w.tools->begin(tx);
  w.put(be_idx(kStateN, i), "5", tx);
  w.put(kBeState, "7", tx);
  (void)w.tools->commit(tx);
}

// libxl's detach, second transaction, once the backend is Connected again: index i removed and the
// later ones renumbered down.
void detach_finish(World& w, uint8_t choice = 0) {
  const uint32_t n = w.num_devs();
  if (n == 0 || w.be_state() != xs::State::connected) return;
  // libxl finishes the device it started detaching: the lowest index in Closing or Closed.
  uint32_t i = n;
  for (uint32_t k = 0; k < n && i == n; ++k) {
    const std::string s = w.get(*w.tools, be_idx(kStateN, k));
    if (s == "5" || s == "6") i = k;
  }
  if (i == n) return;  // libxl's second transaction only follows its first
  (void)choice;
  TxId tx;
  (void)w.tools->begin(tx);
  for (int p = 0; p < kNumPrefixes; ++p) (void)w.tools->remove(tx, be_idx(Prefix(p), i).c_str());
  w.put(kBeNumDevs, std::to_string(n - 1), tx);
  for (uint32_t j = i + 1; j < n; ++j) {
    for (int p = 0; p < kNumPrefixes; ++p) {
      const std::string& from = be_idx(Prefix(p), j);
      const std::string v = w.get(*w.tools, from, tx);
      if (v == kAbsent) continue;
      w.put(be_idx(Prefix(p), j - 1), v, tx);
      (void)w.tools->remove(tx, from.c_str());
    }
  }
  (void)w.tools->commit(tx);
}

// What Linux's pcifront does when it sees the backend's state.
void frontend_follow(World& w) {
  const std::string fe = w.get(*w.guest, kFeState);
  switch (w.be_state()) {
    case xs::State::connected:
      if (fe == "3") (void)w.guest->write(kNoTx, kFeState.c_str(), "4");
      break;
    case xs::State::reconfiguring: (void)w.guest->write(kNoTx, kFeState.c_str(), "7"); break;
    case xs::State::reconfigured: (void)w.guest->write(kNoTx, kFeState.c_str(), "4"); break;
    case xs::State::closing: (void)w.guest->write(kNoTx, kFeState.c_str(), "6"); break;
    default: break;
  }
}

void frontend_publish(World& w, fuzz::Input& in) {
  const uint8_t v = in.u8();
  TxId tx;
  (void)w.guest->begin(tx);
  (void)w.guest->write(tx, kFeRef.c_str(), (v & 1) ? "9" : "8");
  (void)w.guest->write(tx, kFeChannel.c_str(), (v & 2) ? "05" : "5");
  (void)w.guest->write(tx, kFeMagic.c_str(), (v & 4) ? "8" : "7");
  (void)w.guest->commit(tx);
  (void)w.guest->write(kNoTx, kFeState.c_str(), "3");
}

void guest_op(World& w, Host& h, fuzz::Input& in) {
  wire::SharedInfo& p = h.page;
  const uint8_t c = in.u8();
  p.op.cmd = c % 11;
  p.op.domain = 0;
  p.op.bus = (c & 0x80) ? 1 : 0;
  p.op.devfn = in.u8();
  p.op.offset = in.u16() & 0xfff;
  p.op.size = 1 << (in.u8() % 3);
  p.op.value = in.u8() % 4;
  for (uint32_t i = 0; i < 4; ++i) p.op.msix_entries[i].entry = static_cast<uint16_t>(i);
  p.flags = PCISPLIT_F_ACTIVE;
  (void)w.be->on_event();
}

// The backend keys a toolstack writing garbage picks from ("" is the directory itself).
struct RawKeys {
  std::string path[16];
  RawKeys() {
    static const char* const kKeys[16] = {"num_devs", "state",    "dev-0",    "dev-1",   "dev-2",  "state-0",
                                          "state-1",  "state-2",  "opts-0",   "opts-1",  "vdev-0", "root_num",
                                          "frontend", "dev-300",  "state-255", ""};
    for (int i = 0; i < 16; ++i) path[i] = *kKeys[i] != '\0' ? kBe + "/" + kKeys[i] : kBe;
  }
};
const RawKeys kRawKeys;

// A garbage value (any text the input gives, or a word from the lists) for a backend key.
void raw_write(World& w, Host& h, fuzz::Input& in, bool remove) {
  const std::string& key = kRawKeys.path[in.u8() % 16];
  h.strict = false;
  if (remove) {
    (void)w.tools->remove(kNoTx, key.c_str());
    return;
  }
  const uint8_t v = in.u8();
  std::string value;
  if (v < 64) value = bdf_text(fn_addr(v));
  else if (v < 128) value = kStateWords[v % 16];
  else value = in.text(v % 64);
  (void)w.tools->write(kNoTx, key.c_str(), value.c_str());
}

// The invariants of the file comment, checked between steps.
__attribute__((no_sanitize("coverage"))) bool check(World& w, Host& h, const char* step, bool final_check = false) {
  Topology& topo = w.be->topology();
  const bool be_dir = w.get(*w.tools, kBeState) != kAbsent;
  // libxl's list, read once per check (when a held function is to be found in it) rather than once
  // per held function.
  std::optional<World::Listed> listed;
  auto is_listed = [&](Bdf b) {
    if (!listed) listed.emplace(w.list());
    return listed->has(b);
  };
  for (size_t i = 0; i < kNumFns; ++i) {
    const Fn& f = h.fns[i];
    const Bdf b = kHostFns[i].bdf;
    // Topology::find_phys walks every slot: asked for held functions each step, for all at the end.
    if (!f.held && !w.stopped && !final_check) continue;
    const bool placed = topo.find_phys(b) >= 0;
    if (w.stopped) {
      if (f.held || placed) {
        violation("held-after-stop", "after %s: %s still %s after stop()", step, kHostFns[i].dump,
                  f.held ? "held" : "in the topology");
        return false;
      }
      continue;
    }
    if (!h.strict) continue;
    if (placed != f.held) {
      violation("topology-differs-from-held", "after %s: %s %s but %s", step, kHostFns[i].dump,
                f.held ? "held" : "not held", placed ? "placed" : "not placed");
      return false;
    }
    // (Once the toolstack removed the backend directory, the functions go back at stop().)
    if (f.held && w.be->state() == xs::State::connected && be_dir && !is_listed(b) && !listed->unusable) {
      violation("held-but-not-listed", "after %s: the backend holds %s (%s) which no dev-N names", step,
                bdf_text(b).c_str(), kHostFns[i].dump);
      return false;
    }
  }
  // A destroyed guest's backend directory stays (libxl leaves it): the backend gives everything back.
  if (!w.stopped && h.strict && be_dir && w.guest_gone) {
    for (size_t i = 0; i < kNumFns; ++i) {
      if (h.fns[i].held) {
        violation("held-after-guest-gone", "after %s: %s still held after the guest's home went", step,
                  kHostFns[i].dump);
        return false;
      }
    }
  }
  if (w.stopped || !h.strict || !be_dir || w.be->state() != xs::State::connected) return true;
  const uint32_t n = w.num_devs();
  for (uint32_t i = 0; i < n; ++i) {
    if (w.get(*w.tools, be_idx(kStateN, i)) != "3") continue;
    Bdf dev, vdev;
    Text diag = Text::discarding();
    if (!xs::parse_dev("dev", w.get(*w.tools, be_idx(kDevN, i)).c_str(), dev, diag)) continue;
    if (!xs::parse_vdev("vdev", w.get(*w.tools, be_idx(kVdevN, i)).c_str(), vdev, diag)) {
      violation("connected-device-without-vdev", "after %s: state-%u is 3 but vdev-%u is missing or bad", step, i, i);
      return false;
    }
    const int t = topo.find_virt(vdev);
    if (t < 0 || !(topo.phys(t).bdf == dev)) {
      violation("vdev-leads-elsewhere", "after %s: vdev-%u %s does not lead to dev-%u %s", step, i,
                w.get(*w.tools, be_idx(kVdevN, i)).c_str(), i, bdf_text(dev).c_str());
      return false;
    }
  }
  return true;
}

// Every path an input can name (the backend's and libxl's keys for every index num_devs allows,
// the frontend's keys, the directories on the way), read once in a transaction before the first
// input, so the store knows them all. Otherwise an input that names a new one grows the store, and
// libFuzzer, seeing more allocations than frees, runs that input a second time looking for a leak.
void learn_paths(World& w) {
  static const char* const kDirs[] = {"/local/domain/0", "/local/domain/0/backend", "/local/domain/0/backend/pci",
                                      "/local/domain/0/backend/pci/1", "/local/domain/1",
                                      "/local/domain/1/device", "/local/domain/1/device/pci"};
  static const char* const kBeKeys[] = {"state", "num_devs", "frontend", "frontend-id", "online", "root_num",
                                        "error", "aerState"};
  static const char* const kFeKeys[] = {"state", "backend", "backend-id", "pci-op-ref", "event-channel", "magic"};
  static const char* const kIndexedKeys[] = {"state-", "dev-", "vdev-", "error-", "root-", "key-", "opts-", "vdevfn-"};
  std::vector<std::string> paths(std::begin(kDirs), std::end(kDirs));
  paths.push_back(kBe);
  paths.push_back(kFe);
  for (const char* k : kBeKeys) paths.push_back(kBe + "/" + k);
  for (const char* k : kFeKeys) paths.push_back(kFe + "/" + k);
  for (const std::string& p : kRawKeys.path) paths.push_back(p);
  for (const char* k : kIndexedKeys) {
    for (uint32_t i = 0; i < xs::kMaxDevs; ++i) paths.push_back(kBe + "/" + k + std::to_string(i));
  }
  TxId tx;
  (void)w.tools->begin(tx);
  std::string v;
  for (const std::string& p : paths) (void)w.tools->read(p, v, tx);
  w.tools->abort(tx);
  w.xs.reset();
}

World& world() {
  static World* const w = [] {
    auto* ww = new World;
    learn_paths(*ww);
    return ww;
  }();
  return *w;
}

}  // namespace

// The host, its dumps and the world before the first input (see kIndexed).
extern "C" int LLVMFuzzerInitialize(int*, char***) {
  (void)host();
  (void)world();
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  fuzz::current() = fuzz::Current{data, size, "fuzz_xenbus"};
  fuzz::Input in(data, size);
  Host& h = host();
  for (Fn& f : h.fns) {
    f.held = false;
    f.view.reset();
    if (f.dump != nullptr) {
      f.hw.set_size(static_cast<uint16_t>(f.dump->config.size()));
      std::memcpy(f.hw.bytes(), f.dump->config.data(), f.dump->config.size());
    }
  }
  h.strict = true;
  h.page = wire::SharedInfo{};

  // The world is made new again when the input ends, whichever way: what the input allocated is
  // freed by the input itself (libFuzzer runs an input again when it freed less than it allocated).
  World& w = world();
  struct ResetAtEnd {
    World& w;
    ~ResetAtEnd() { w.reset(); }
  } reset_at_end{w};
  static const bool trace = getenv("FUZZ_TRACE") != nullptr;  // step by step, for reading a finding
  const uint8_t setup = in.u8();
  const Topology::Mode mode = (setup & 0x80) ? Topology::Mode::passthrough : Topology::Mode::vpci;
  // What libxl writes when it creates the guest with these devices (distinct functions).
  w.put(kBeFrontend, kFe);
  w.put(kBeFrontendId, "1");
  w.put(kBeOnline, "1");
  w.put(kBeState, "1");
  w.put(kFeBackend, kBe);
  w.put(kFeBackendId, "0");
  w.put(kFeState, "1");
  (void)w.tools->set_perms(kFe, kGuestOwns);
  (void)w.tools->set_perms(kFeState, kGuestOwns);
  uint32_t n = 0;
  for (uint32_t k = 0; k < (setup & 3u); ++k) {
    const uint8_t c = in.u8();
    const Bdf b = fn_addr(c);
    bool dup = false;
    for (uint32_t j = 0; j < n; ++j) dup |= w.get(*w.tools, be_idx(kDevN, j)) == bdf_text(b);
    if (dup) continue;
    w.write_device(n++, b, (c & 0x80) != 0, kNoTx);
  }
  w.put(kBeNumDevs, std::to_string(n));
  w.be.emplace(w.be_store, h, kGuest, mode);
  (void)w.be->start();
  if (w.be_store.exhausted()) {
    violation("livelock", "start: the backend made over %u store writes", BudgetStore::kBudget);
    w.be->stop();
    return 0;
  }
  if (!check(w, h, "start")) return 0;

  static const char* const kSteps[] = {"frontend publish", "frontend state", "frontend follows", "frontend follows",
                                       "hot-plug", "detach begin", "detach finish", "guest op", "raw write",
                                       "raw remove", "guest gone", "backend dir removed", "stop"};
  for (int i = 0; i < 64 && !in.empty() && !w.stopped; ++i) {
    const uint8_t op = in.u8() % 13;
    w.be_store.new_step();
    switch (op) {
      case 0: frontend_publish(w, in); break;
      case 1: {  // the guest writes its state node, or (a byte >= 240) deletes it
        const uint8_t v = in.u8();
        if (v >= 240) {
          (void)w.guest->remove(kNoTx, kFeState.c_str());
        } else {
          (void)w.guest->write(kNoTx, kFeState.c_str(), kStateWords[v % 16]);
        }
        break;
      }
      case 2: case 3: frontend_follow(w); break;
      case 4: { const uint8_t c = in.u8(); hotplug(w, h, c, (c & 0x80) != 0); break; }
      case 5: detach_begin(w, in.u8()); break;
      case 6: detach_finish(w, in.u8()); break;
      case 7: guest_op(w, h, in); break;
      case 8: raw_write(w, h, in, false); break;
      case 9: raw_write(w, h, in, true); break;
      case 10:
        w.xs.release_domain(kGuest);
        w.guest_gone = true;
        break;
      case 11: (void)w.tools->remove(kNoTx, kBe.c_str()); break;
      case 12:
        w.be->stop();
        w.stopped = true;
        break;
    }
    if (w.be_store.exhausted()) {
      violation("livelock", "%s: the backend made over %u store writes in one step (its own writes keep "
                "firing its watch)", kSteps[op], BudgetStore::kBudget);
      w.be_store.new_step();
      w.be->stop();
      return 0;
    }
    if (trace) {
      std::string held;
      for (size_t k = 0; k < kNumFns; ++k) {
        if (h.fns[k].held) held += std::string(" ") + kHostFns[k].dump;
      }
      fprintf(stderr, "step %-20s be=%s fe=%s num_devs=%u held:%s\n", kSteps[op], w.get(*w.tools, kBeState).c_str(),
              w.get(*w.tools, kFeState).c_str(), w.num_devs(), held.c_str());
      for (uint32_t k = 0; k < w.num_devs(); ++k) {
        fprintf(stderr, "    %u: dev=%s state=%s vdev=%s\n", k, w.get(*w.tools, be_idx(kDevN, k)).c_str(),
                w.get(*w.tools, be_idx(kStateN, k)).c_str(), w.get(*w.tools, be_idx(kVdevN, k)).c_str());
      }
    }
    if (!check(w, h, kSteps[op])) return 0;
  }
  if (!w.stopped) {
    if (!check(w, h, "last step", true)) return 0;
    w.be_store.new_step();
    w.be->stop();
    w.stopped = true;
    (void)check(w, h, "final stop");
  }
  return 0;
}
