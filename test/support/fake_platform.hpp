// SPDX-License-Identifier: GPL-2.0-only
// A DevicePlatform that records what the backend asked for and can be told to fail.
#pragma once

#include <vector>

#include "backend/platform.hpp"

namespace pcisplit::test {

class FakePlatform final : public DevicePlatform {
 public:
  Err apply(const Effect& e) override {
    effects.push_back(e);
    return fail_apply ? Err::op_failed : Err::success;
  }
  Result<uint32_t> enable_msi(uint32_t nvec) override {
    calls.push_back("enable_msi");
    if (fail_enable) return Err::op_failed;
    msi_vectors = nvec;
    return next_pirq;
  }
  Err disable_msi() override {
    calls.push_back("disable_msi");
    msi_vectors = 0;
    return Err::success;
  }
  Err enable_msix(const uint16_t* entries, uint32_t n, uint32_t* pirqs) override {
    calls.push_back("enable_msix");
    if (fail_enable) return Err::op_failed;
    msix_entries.assign(entries, entries + n);
    for (uint32_t i = 0; i < n; ++i) pirqs[i] = next_pirq + i;
    return Err::success;
  }
  Err disable_msix() override {
    calls.push_back("disable_msix");
    msix_entries.clear();
    return Err::success;
  }
  uint32_t legacy_pirq() override { return 16; }

  std::vector<Effect> effects;
  std::vector<const char*> calls;
  std::vector<uint16_t> msix_entries;
  uint32_t msi_vectors = 0;
  uint32_t next_pirq = 40;
  bool fail_apply = false;
  bool fail_enable = false;
};

}  // namespace pcisplit::test
