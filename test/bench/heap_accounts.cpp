// SPDX-License-Identifier: GPL-2.0-only
// The replacement global operator new and delete behind heap_accounts.hpp: each block carries its
// size and account, so that a delete (sized or not) gives back what its new took, to the account
// that took it.
#include "test/bench/heap_accounts.hpp"

#include <algorithm>
#include <cstdlib>
#include <new>

namespace pcisplit::bench {

thread_local Account t_account = kSim;
std::atomic<long long> g_live[kAccounts];
std::atomic<unsigned long> g_allocs{0};

}  // namespace pcisplit::bench

namespace {

using pcisplit::bench::Account;
using pcisplit::bench::g_allocs;
using pcisplit::bench::g_live;
using pcisplit::bench::t_account;

struct alignas(16) Header {
  std::size_t size;
  Account account;
};
static_assert(sizeof(Header) == 16);

void* take(void* base, std::size_t header_at, std::size_t n) {
  if (base == nullptr) throw std::bad_alloc();
  auto* h = reinterpret_cast<Header*>(static_cast<char*>(base) + header_at);
  h->size = n;
  h->account = t_account;
  g_live[t_account].fetch_add(static_cast<long long>(n), std::memory_order_relaxed);
  g_allocs.fetch_add(1, std::memory_order_relaxed);
  return h + 1;
}

Header* give_back(void* p) {
  Header* h = static_cast<Header*>(p) - 1;
  g_live[h->account].fetch_sub(static_cast<long long>(h->size), std::memory_order_relaxed);
  return h;
}

std::size_t pad(std::align_val_t al) {
  return std::max(static_cast<std::size_t>(al), sizeof(Header));
}

}  // namespace

// Out of line: inlined, g++ would see operator delete or free() given what malloc() returned
// (-Wmismatched-new-delete). The array and nothrow forms of libstdc++ call these.
__attribute__((noinline)) void* operator new(std::size_t n) {
  return take(std::malloc(sizeof(Header) + n), 0, n);
}
__attribute__((noinline)) void operator delete(void* p) noexcept {
  if (p != nullptr) std::free(give_back(p));
}
__attribute__((noinline)) void operator delete(void* p, std::size_t) noexcept {
  operator delete(p);
}
__attribute__((noinline)) void* operator new(std::size_t n, std::align_val_t al) {
  const std::size_t a = pad(al);
  return take(std::aligned_alloc(a, (a + n + a - 1) / a * a), a - sizeof(Header), n);
}
__attribute__((noinline)) void operator delete(void* p, std::align_val_t al) noexcept {
  if (p != nullptr) std::free(reinterpret_cast<char*>(give_back(p)) + sizeof(Header) - pad(al));
}
__attribute__((noinline)) void operator delete(void* p, std::size_t, std::align_val_t al) noexcept {
  operator delete(p, al);
}

