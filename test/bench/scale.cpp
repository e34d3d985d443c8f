// SPDX-License-Identifier: GPL-2.0-only
// Scale in the simulator (issue 15, part 4): G guests with F functions each in one process, every
// frontend Connected; then the backend's heap per exported function, and conf_read round trips per
// second with one frontend thread per guest.
//   bench_scale DATA_DIR [SECONDS [GUESTS [FUNCTIONS]]]     (defaults: 3 64 8)
// Guest g (domain g+1) is given dom0's functions 0000:<g+1>:<s>.0, s < F, each a recorded dump
// (test/data), rotated per guest so that neighbouring guests' same slot is a different device: an
// answer from the wrong guest's function shows as a wrong value. Memory: live heap bytes per
// account (backend, frontend, simulator), test/bench/heap_accounts.hpp. docs/performance.md
// ("Scale") says what is counted and what the figures were.
#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include <sys/resource.h>

#include "sim/libxl.hpp"
#include "test/bench/heap_accounts.hpp"
#include "tools/pcisplit/dump.hpp"

using namespace pcisplit;
using namespace pcisplit::bench;

namespace {

constexpr const char* kDumps[] = {"e1000e.lspci", "nvme.lspci", "virtio-net-modern.lspci",
                                  "qemu-xhci.lspci", "ich9-ahci.lspci", "megasas.lspci",
                                  "vmxnet3.lspci", "e1000.lspci"};
constexpr unsigned kNumDumps = sizeof kDumps / sizeof kDumps[0];
constexpr unsigned kDwords = 64;  // the header's dwords, read in turn

// One guest and what dom0 runs for it: sim::Dom0 serves one backend instance (the kernel's
// per-guest pcisplit_backend); the functions are dom0's, distinct across guests.
struct GuestSide {
  GuestSide(sim::Xenstore& xs, sim::Xen& xen, sim::DomId d, uint8_t b)
      : dom(d), bus(b), be_conn(xs.connect(0)), fe_conn(xs.connect(d)), dom0(xen),
        guest(xen, d), be_store(*be_conn, kBackend), fe_store(*fe_conn, kFrontend),
        be_host(dom0), fe_host(guest) {}
  Bdf phys(unsigned slot) const { return Bdf::make(0, bus, static_cast<uint8_t>(slot), 0); }

  sim::DomId dom;
  uint8_t bus;  // dom0's bus of its functions: 0000:<bus>:<slot>.0
  std::unique_ptr<sim::Connection> be_conn, fe_conn;
  sim::Dom0 dom0;
  sim::Guest guest;
  AccountedStore be_store, fe_store;
  AccountedBackendHost be_host;
  AccountedFrontendHost fe_host;
  std::unique_ptr<BackendInstance> backend;
  std::unique_ptr<FrontendInstance> frontend;
  std::vector<uint32_t> expect;  // [slot * kDwords + dword]: what a read must return
};

struct Live {
  long long b[kAccounts];
  static Live now() {
    Live l;
    for (unsigned a = 0; a < kAccounts; ++a) l.b[a] = g_live[a].load();
    return l;
  }
};

// The simulated machine and what the bench reads of it.
struct World {
  explicit World(unsigned g, unsigned f) : guests(g), functions(f) {}
  const user::Dump& dump_of(unsigned g, unsigned s) const { return dumps[(g + s) % kNumDumps]; }

  unsigned guests, functions;
  std::vector<user::Dump> dumps;
  sim::Xenstore xs;
  sim::Xen xen{xs};
  std::unique_ptr<sim::Connection> toolstack = xs.connect(0);
  std::vector<std::unique_ptr<GuestSide>> side;
  // Live bytes before anything, with the guests' hosts, with dom0's functions, all connected.
  Live empty{}, hosts{}, functions_loaded{}, connected{};
};

bool load_dumps(World& w, const std::string& data) {
  for (const char* f : kDumps) {
    std::string error;
    auto d = user::load_dump(data + "/" + f, error);
    if (!d) {
      std::fprintf(stderr, "%s\n", error.c_str());
      return false;
    }
    w.dumps.push_back(std::move(*d));
  }
  return true;
}

// As xl create does it for each guest: dom0's functions, libxl's writes, the backend, then the
// frontend. True when every guest's frontend and backend are Connected.
bool boot(World& w) {
  w.empty = Live::now();
  for (unsigned g = 0; g < w.guests; ++g) {
    const sim::DomId d = w.xen.create_domain();
    w.side.push_back(std::make_unique<GuestSide>(w.xs, w.xen, d, static_cast<uint8_t>(g + 1)));
  }
  w.hosts = Live::now();
  for (unsigned g = 0; g < w.guests; ++g) {
    for (unsigned s = 0; s < w.functions; ++s) {
      const user::Dump& d = w.dump_of(g, s);
      const auto size = static_cast<uint16_t>(d.config.size());
      w.side[g]->dom0.add_function(w.side[g]->phys(s), d.config.data(), size, d.info);
    }
  }
  w.functions_loaded = Live::now();
  for (auto& gs : w.side) {
    sim::Libxl libxl(*w.toolstack, gs->dom);
    for (unsigned s = 0; s < w.functions; ++s) (void)libxl.add_device(gs->phys(s), true);
  }
  for (auto& gs : w.side) {
    {
      Charge c(kBackend);  // the glue's allocation of the instance (pcisplit_be_alloc)
      gs->backend = std::make_unique<BackendInstance>(gs->be_store, gs->be_host, gs->dom,
                                                      Topology::Mode::vpci);
    }
    gs->dom0.backend = gs->backend.get();
    gs->dom0.guest_domain = gs->dom;
    Charge c(kBackend);
    (void)gs->backend->start();
  }
  for (auto& gs : w.side) {
    const std::string fe = "/local/domain/" + std::to_string(gs->dom) + "/device/pci/0";
    Charge c(kFrontend);
    gs->frontend = std::make_unique<FrontendInstance>(gs->fe_store, gs->fe_host, fe.c_str());
    gs->guest.frontend = gs->frontend.get();
    (void)gs->frontend->start();
  }
  w.connected = Live::now();
  unsigned up = 0;
  for (auto& gs : w.side) {
    up += gs->frontend->state() == xs::State::connected &&
          gs->backend->state() == xs::State::connected;
  }
  std::printf("scale: %u guests x %u functions in one process (test/bench/scale.cpp): "
              "%u of %u connected\n", w.guests, w.functions, up, w.guests);
  return up == w.guests;
}

// The backend's bytes: its live heap (the instances, and whatever the core allocated itself) and
// the views, which the simulator allocates inside its function objects (as the kernel glue puts
// them in pcisplit_fn), so they are taken by size.
void report_memory(const World& w) {
  const unsigned nfn = w.guests * w.functions;
  const long long backend_heap = w.connected.b[kBackend] - w.empty.b[kBackend];
  const auto instances = static_cast<long long>(w.guests * sizeof(BackendInstance));
  const long long core_own = backend_heap - instances;
  const double per_fn = (static_cast<double>(backend_heap) + nfn * sizeof(DeviceView)) / nfn;
  uint16_t max_fields = 0;
  uint8_t max_caps = 0;
  for (const auto& gs : w.side) {
    for (unsigned s = 0; s < w.functions; ++s) {
      const DeviceView& v = gs->dom0.function(gs->phys(s))->view;
      max_fields = std::max(max_fields, v.field_count());
      max_caps = std::max(max_caps, v.cap_count());
    }
  }
  // The field map: a byte per header byte, a chain head per extended dword. Denial counters: 16 bits
  // per header dword, kExtDenialSlots slots (register, count) for the extended space.
  const size_t map = reg::PCI_CFG_SPACE_SIZE + (reg::PCI_CFG_SPACE_EXP_SIZE - reg::PCI_CFG_SPACE_SIZE) / 4;
  const size_t denials = reg::PCI_CFG_SPACE_SIZE / 4 * sizeof(uint16_t) + DeviceView::kExtDenialSlots * 2 * sizeof(uint16_t);
  const size_t entries = DeviceView::kMaxFields * sizeof(FieldEntry);
  const size_t quirks = DeviceView::kMaxQuirks * sizeof(Field);
  const size_t caps = DeviceView::kMaxCaps * sizeof(CapInfo);
  const size_t bi = sizeof(BackendInstance), topo = sizeof(Topology), disp = sizeof(Dispatcher);
  std::printf("memory: the backend's, live once every frontend is connected\n");
  std::printf("  per exported function  %6.0f B (%.1f KiB)   goal: <= 8192 B%s\n", per_fn,
              per_fn / 1024, per_fn <= 8192 ? "" : " (above)");
  std::printf("  BackendInstance        %6zu B a guest (%zu a function): topology %zu,"
              " dispatcher %zu,\n", bi, bi / w.functions, topo, disp);
  std::printf("%33sthe rest %zu (libxl's list as read, paths)\n", "", bi - topo - disp);
  std::printf("  DeviceView             %6zu B a function: field entries %zu (%u x %zu B, at most"
              " %u used here),\n", sizeof(DeviceView), entries, DeviceView::kMaxFields,
              sizeof(FieldEntry), max_fields);
  std::printf("%33sfield map %zu, denial counters %zu, quirk slots %zu,\n", "", map, denials,
              quirks);
  std::printf("%33scapabilities %zu (at most %u used), the rest %zu\n", "", caps, max_caps,
              sizeof(DeviceView) - map - entries - denials - quirks - caps);
  std::printf("  allocated by the backend core itself: %lld B\n", core_own);
  const long long fn_objects = w.functions_loaded.b[kSim] - w.hosts.b[kSim];
  const long long rest = w.connected.b[kSim] - w.empty.b[kSim] - fn_objects;
  std::printf("  not the backend's: a simulated function %.0f B (config space, bind-time copy,"
              " platform),\n%21sxenstore, hypervisor and hosts %.0f B a guest,"
              " a frontend %.0f B\n",
              static_cast<double>(fn_objects) / nfn - static_cast<double>(sizeof(DeviceView)), "",
              static_cast<double>(rest) / w.guests,
              static_cast<double>(w.connected.b[kFrontend] - w.empty.b[kFrontend]) / w.guests);
}

// What each read must return, read once through the same path; slot s must be the dump given.
bool fill_expected(World& w) {
  for (unsigned g = 0; g < w.guests; ++g) {
    GuestSide& gs = *w.side[g];
    gs.expect.resize(w.functions * kDwords);
    for (unsigned s = 0; s < w.functions; ++s) {
      const Bdf virt = Bdf::make(0, 0, static_cast<uint8_t>(s), 0);
      for (unsigned dw = 0; dw < kDwords; ++dw) {
        if (gs.frontend->conf_read(virt, dw * 4, 4, gs.expect[s * kDwords + dw]) != Err::success) {
          std::fprintf(stderr, "guest %u slot %u: conf_read 0x%x failed\n", gs.dom, s, dw * 4);
          return false;
        }
      }
      const uint8_t* id = w.dump_of(g, s).config.data();
      const uint32_t ids = id[0] | id[1] << 8 | id[2] << 16 | static_cast<uint32_t>(id[3]) << 24;
      if (gs.expect[s * kDwords] != ids) {
        std::fprintf(stderr, "guest %u slot %u: IDs %08x, its dump's %08x\n", gs.dom, s,
                     gs.expect[s * kDwords], ids);
        return false;
      }
    }
  }
  return true;
}

struct Tally {
  unsigned long long ops = 0, errors = 0, wrong = 0;
  unsigned long allocs = 0;  // heap allocations, any thread's, while the reads ran
};

// The i-th read of a guest: its functions in turn, each one's header dwords in turn.
inline void one_read(GuestSide& g, unsigned functions, unsigned long long i, Tally& t) {
  const auto slot = static_cast<unsigned>(i % functions);
  const auto dword = static_cast<unsigned>(i / functions % kDwords);
  uint32_t v = 0;
  const Bdf dev = Bdf::make(0, 0, static_cast<uint8_t>(slot), 0);
  if (g.frontend->conf_read(dev, dword * 4, 4, v) != Err::success) {
    ++t.errors;
  } else if (v != g.expect[slot * kDwords + dword]) {
    ++t.wrong;
  }
  ++t.ops;
}

double seconds_since(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

// CPU time of the whole process (every thread, user and system), in seconds: per op, what the
// round trip costs whatever else the machine runs.
double cpu_seconds() {
  rusage ru{};
  getrusage(RUSAGE_SELF, &ru);
  auto s = [](const timeval& t) {
    return static_cast<double>(t.tv_sec) + static_cast<double>(t.tv_usec) / 1e6;
  };
  return s(ru.ru_utime) + s(ru.ru_stime);
}

// One thread, the guests in turn (eight reads each): one CPU, no lock shared with another thread.
Tally run_one_thread(World& w, double secs) {
  Tally t;
  const unsigned long a0 = g_allocs.load();
  const double c0 = cpu_seconds();
  const auto t0 = std::chrono::steady_clock::now();
  for (unsigned long long i = 0; seconds_since(t0) < secs;) {
    for (unsigned k = 0; k < 256; ++k, ++i) one_read(*w.side[i / 8 % w.guests], w.functions, i, t);
  }
  const double s = seconds_since(t0);
  const double cpu = cpu_seconds() - c0;
  t.allocs = g_allocs.load() - a0;
  std::printf("  1 thread, the guests in turn, %.1f s: %9.0f ops/s (%.0f ns of CPU an op)\n", s,
              static_cast<double>(t.ops) / s, cpu * 1e9 / static_cast<double>(t.ops));
  return t;
}

// One frontend thread per guest, started together and stopped together after `secs`.
Tally run_threads(World& w, double secs) {
  std::vector<Tally> per(w.guests);
  std::atomic<unsigned> ready{0}, done{0};
  std::atomic<bool> go{false}, stop{false};
  std::vector<std::thread> threads;
  for (unsigned g = 0; g < w.guests; ++g) {
    threads.emplace_back([&, g] {
      Tally t;
      ready.fetch_add(1);
      while (!go.load(std::memory_order_acquire)) std::this_thread::yield();
      for (unsigned long long i = 0; !stop.load(std::memory_order_relaxed); ++i) {
        one_read(*w.side[g], w.functions, i, t);
      }
      per[g] = t;
      done.fetch_add(1, std::memory_order_release);
    });
  }
  while (ready.load() != w.guests) std::this_thread::yield();
  const unsigned long a0 = g_allocs.load();
  const double c0 = cpu_seconds();
  const auto t0 = std::chrono::steady_clock::now();
  go.store(true, std::memory_order_release);
  std::this_thread::sleep_for(std::chrono::duration<double>(secs));
  stop.store(true);
  const double s = seconds_since(t0);
  while (done.load(std::memory_order_acquire) != w.guests) std::this_thread::yield();
  const double cpu = cpu_seconds() - c0;
  Tally all;
  all.allocs = g_allocs.load() - a0;
  for (auto& th : threads) th.join();
  std::vector<double> rates;
  for (const Tally& t : per) {
    rates.push_back(static_cast<double>(t.ops) / s);
    all.ops += t.ops;
    all.errors += t.errors;
    all.wrong += t.wrong;
  }
  std::sort(rates.begin(), rates.end());
  std::printf("  %u threads, one a guest, %.1f s: %9.0f ops/s in all (%.0f ns of CPU an op, %.2f"
              " CPUs busy);\n", w.guests, s, static_cast<double>(all.ops) / s,
              cpu * 1e9 / static_cast<double>(all.ops), cpu / s);
  std::printf("%33sa guest: min %.0f, median %.0f, max %.0f ops/s\n", "", rates.front(),
              rates[rates.size() / 2], rates.back());
  return all;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2 || argc > 5) {
    std::fprintf(stderr, "usage: bench_scale DATA_DIR [SECONDS [GUESTS [FUNCTIONS]]]\n");
    return 2;
  }
  const double secs = argc > 2 ? std::strtod(argv[2], nullptr) : 3.0;
  const auto guests = static_cast<unsigned>(argc > 3 ? std::strtoul(argv[3], nullptr, 0) : 64);
  const auto functions = static_cast<unsigned>(argc > 4 ? std::strtoul(argv[4], nullptr, 0) : 8);
  if (!(secs > 0) || guests < 1 || guests > 254 || functions < 1 ||
      functions > Topology::kVpciSlots) {
    std::fprintf(stderr, "SECONDS > 0, GUESTS 1..254, FUNCTIONS 1..%u\n", Topology::kVpciSlots);
    return 2;
  }
  World w(guests, functions);
  if (!load_dumps(w, argv[1]) || !boot(w)) return 1;
  report_memory(w);
  if (!fill_expected(w)) return 1;

  std::printf("ops: conf_read round trips over the simulated page and event channel (the backend"
              " answers in the notifier's thread)\n");
  const Tally one = run_one_thread(w, std::min(secs / 3, 1.0));
  const Tally many = run_threads(w, secs);
  std::printf("  errors %llu, wrong values %llu, heap allocations during the reads %lu\n",
              one.errors + many.errors, one.wrong + many.wrong, one.allocs + many.allocs);
  return one.errors + many.errors + one.wrong + many.wrong == 0 ? 0 : 1;
}
