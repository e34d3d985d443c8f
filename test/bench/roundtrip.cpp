// SPDX-License-Identifier: GPL-2.0-only
// Op round trips between the frontend core and the backend core over the simulated page and channel.
//   bench_roundtrip threads N DATA   frontend and backend in two threads: round trips per second
//   bench_roundtrip sync N DATA      one thread (for callgrind or perf, the simulator included; make bench
//                                    counts the dispatcher's instructions with bench_dispatch instead)
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <thread>

#include "tools/pcisplit/simworld.hpp"

using namespace pcisplit;

int main(int argc, char** argv) {
  if (argc != 4) {
    std::fprintf(stderr, "usage: bench_roundtrip threads|sync N DATA_DIR\n");
    return 2;
  }
  const std::string mode = argv[1];
  const unsigned n = static_cast<unsigned>(std::strtoul(argv[2], nullptr, 0));
  user::SimWorld w;
  std::string error;
  if (!w.boot(argv[3], error)) {
    std::fprintf(stderr, "%s\n", error.c_str());
    return 1;
  }
  const Bdf dev = Bdf::make(0, 0, 0, 0);
  uint32_t v = 0;
  unsigned failures = 0;
  if (mode == "sync") {
    for (unsigned i = 0; i < n; ++i) failures += w.frontend->conf_read(dev, (i * 4) % 256, 4, v) != Err::success;
    std::printf("ops=%u failures=%u\n", n, failures);
    return failures == 0 ? 0 : 1;
  }
  // The backend thread answers whatever the frontend posts; notifications are not needed.
  w.dom0.backend = nullptr;
  w.guest.spin_wait = true;
  std::atomic<bool> stop{false};
  volatile wire::SharedInfo* page = w.guest.page();
  std::thread backend([&] {
    while (!stop.load(std::memory_order_relaxed)) {
      if ((page->flags & PCISPLIT_F_ACTIVE) != 0) {
        w.backend->on_event();
      } else {
        std::this_thread::yield();
      }
    }
  });
  const auto t0 = std::chrono::steady_clock::now();
  for (unsigned i = 0; i < n; ++i) failures += w.frontend->conf_read(dev, (i * 4) % 256, 4, v) != Err::success;
  const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  stop = true;
  backend.join();
  std::printf("round trips: %u in %.3f s = %.0f per second (%u failures)\n", n, s, n / s, failures);
  return failures == 0 ? 0 : 1;
}
