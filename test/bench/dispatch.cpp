// SPDX-License-Identifier: GPL-2.0-only
// Dispatcher micro-benchmark driver: one guest's conf_read ops through Dispatcher::process, from the
// op in the shared page to the answer written back, on a recorded device exported F times (vpci
// slots 0..F-1) and addressed at the last slot, so a lookup that walked the functions would show.
//   bench_dispatch DUMP OFFSET|sweep WIDTH FUNCTIONS N
// Instruction counts come from callgrind (test/bench/run.sh toggles collection on Dispatcher::process
// for the whole path and on DeviceView::read for the engine's share); allocations are counted here by
// replacing the global operator new. "sweep" reads the header's 64 dwords in turn.
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <new>
#include <string>
#include <vector>

#include "backend/dispatch.hpp"
#include "tools/pcisplit/view.hpp"

namespace {
unsigned long g_allocs = 0;
}

// Out of line, new and delete: inlined, g++ would see operator delete or free() given what malloc()
// returned (-Wmismatched-new-delete).
__attribute__((noinline)) void* operator new(std::size_t n) {
  ++g_allocs;
  if (void* p = std::malloc(n == 0 ? 1 : n)) return p;
  throw std::bad_alloc();
}
__attribute__((noinline)) void operator delete(void* p) noexcept { std::free(p); }
__attribute__((noinline)) void operator delete(void* p, std::size_t) noexcept { std::free(p); }

using namespace pcisplit;

namespace {

// Reads never reach the platform; a write or an interrupt op here would be a bench bug.
class NoPlatform final : public DevicePlatform {
 public:
  Err apply(const Effect&) override { std::abort(); }
  Result<uint32_t> enable_msi(uint32_t) override { std::abort(); }
  Err disable_msi() override { std::abort(); }
  Err enable_msix(const uint16_t*, uint32_t, uint32_t*) override { std::abort(); }
  Err disable_msix() override { std::abort(); }
  uint32_t legacy_pirq() override { std::abort(); }
};

}  // namespace

// Kept out of line so that the loop's own stores into the page (the guest's part) stay outside what
// callgrind collects, which is Dispatcher::process and what it calls.
__attribute__((noinline)) uint32_t bench_dispatch(Dispatcher& d, volatile wire::Op* op, uint8_t devfn, int32_t offset,
                                                  int32_t width, unsigned n) {
  uint32_t acc = 0;
  for (unsigned i = 0; i < n; ++i) {
    op->cmd = static_cast<uint32_t>(wire::Cmd::conf_read);
    op->domain = 0;
    op->bus = 0;
    op->devfn = devfn;
    op->offset = offset >= 0 ? offset : static_cast<int32_t>((i * 4) % 256);
    op->size = width;
    op->value = 0;
    d.process(op);
    acc += op->value + static_cast<uint32_t>(op->err != 0);
  }
  return acc;
}

int main(int argc, char** argv) {
  if (argc != 6) {
    std::fprintf(stderr, "usage: bench_dispatch DUMP OFFSET|sweep WIDTH FUNCTIONS N\n");
    return 2;
  }
  std::string error;
  auto dump = user::load_dump(argv[1], error);
  if (!dump) {
    std::fprintf(stderr, "%s\n", error.c_str());
    return 1;
  }
  const bool sweep = std::string(argv[2]) == "sweep";
  const auto offset = sweep ? -1 : static_cast<int32_t>(std::strtol(argv[2], nullptr, 0));
  const auto width = static_cast<int32_t>(std::strtol(argv[3], nullptr, 0));
  const auto functions = static_cast<unsigned>(std::strtoul(argv[4], nullptr, 0));
  const auto n = static_cast<unsigned>(std::strtoul(argv[5], nullptr, 0));
  if (functions == 0 || functions > Topology::kVpciSlots) {
    std::fprintf(stderr, "FUNCTIONS: 1..%u\n", Topology::kVpciSlots);
    return 2;
  }

  auto topology = std::make_unique<Topology>(Topology::Mode::vpci);
  auto dispatcher = std::make_unique<Dispatcher>(*topology);
  std::vector<std::unique_ptr<user::ViewedDevice>> devices;
  NoPlatform platform;
  Bdf last;
  for (unsigned f = 0; f < functions; ++f) {
    auto dev = user::view_dump(*dump, Policy{}, error);
    if (!dev) {
      std::fprintf(stderr, "%s\n", error.c_str());
      return 1;
    }
    const PhysFunction fn{Bdf::make(0, 1, static_cast<uint8_t>(f), 0)};
    Text diag;
    const Result<Bdf> virt = topology->add(fn, diag);
    if (!virt.ok()) {
      std::fprintf(stderr, "%s\n", diag.c_str());
      return 1;
    }
    dispatcher->attach(topology->find_phys(fn.bdf), &dev->view, &platform);
    last = virt.value();
    devices.push_back(std::move(dev));
  }
  auto page = std::make_unique<wire::SharedInfo>();

  const unsigned long before = g_allocs;
  const uint32_t acc = bench_dispatch(*dispatcher, &page->op, last.devfn, offset, width, n);
  const unsigned long allocs = g_allocs - before;
  const uint64_t errors = dispatcher->stats().errors;
  std::printf("ops=%u allocs=%lu errors=%lu acc=%u\n", n, allocs, static_cast<unsigned long>(errors), acc);
  return errors == 0 ? 0 : 1;
}
