// SPDX-License-Identifier: GPL-2.0-only
// Engine micro-benchmark driver: runs one kind of config access N times on a recorded device.
// Instruction counts come from callgrind (test/bench/run.sh limits collection to the engine's
// read/write); allocations are counted here by replacing the global operator new.
#include <cstdio>
#include <cstdlib>
#include <new>
#include <string>

#include "tools/pcisplit/view.hpp"

namespace {
unsigned long g_allocs = 0;
}

void* operator new(std::size_t n) {
  ++g_allocs;
  if (void* p = std::malloc(n == 0 ? 1 : n)) return p;
  throw std::bad_alloc();
}
void operator delete(void* p) noexcept { std::free(p); }
void operator delete(void* p, std::size_t) noexcept { std::free(p); }

using namespace pcisplit;

// Kept out of line so callgrind can toggle collection on exactly these.
__attribute__((noinline)) uint32_t bench_reads(DeviceView& v, uint32_t off, uint32_t width, unsigned n) {
  uint32_t acc = 0;
  for (unsigned i = 0; i < n; ++i) acc += v.read(off, width).value();
  return acc;
}
__attribute__((noinline)) uint32_t bench_writes(DeviceView& v, uint32_t off, uint32_t width, uint32_t value,
                                                unsigned n) {
  uint32_t acc = 0;
  for (unsigned i = 0; i < n; ++i) acc += static_cast<uint32_t>(v.write(off, width, value).err);
  return acc;
}

int main(int argc, char** argv) {
  if (argc != 7) {
    std::fprintf(stderr, "usage: bench_engine DUMP read|write OFFSET WIDTH VALUE N\n");
    return 2;
  }
  std::string error;
  auto dump = user::load_dump(argv[1], error);
  if (!dump) {
    std::fprintf(stderr, "%s\n", error.c_str());
    return 1;
  }
  auto dev = user::view_dump(*dump, Policy{}, error);
  if (!dev) {
    std::fprintf(stderr, "%s\n", error.c_str());
    return 1;
  }
  const bool is_read = std::string(argv[2]) == "read";
  const auto off = static_cast<uint32_t>(std::strtoul(argv[3], nullptr, 0));
  const auto width = static_cast<uint32_t>(std::strtoul(argv[4], nullptr, 0));
  const auto value = static_cast<uint32_t>(std::strtoul(argv[5], nullptr, 0));
  const auto n = static_cast<unsigned>(std::strtoul(argv[6], nullptr, 0));
  const unsigned long before = g_allocs;
  const uint32_t acc = is_read ? bench_reads(dev->view, off, width, n) : bench_writes(dev->view, off, width, value, n);
  const unsigned long allocs = g_allocs - before;
  std::printf("ops=%u allocs=%lu acc=%u\n", n, allocs, acc);
  return 0;
}
