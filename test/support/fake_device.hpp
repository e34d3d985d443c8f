// SPDX-License-Identifier: GPL-2.0-only
// Test fakes: a ConfigAccess that records every hardware write, a chainable device builder over it,
// and loaders for the recorded dumps in test/data.
#pragma once

#include <catch2/catch.hpp>
#include <memory>
#include <string>
#include <vector>

#include "conf_space/device.hpp"
#include "tools/pcisplit/dump.hpp"
#include "quirks/quirks.hpp"

namespace pcisplit::test {

struct HwWrite {
  uint16_t offset;
  uint8_t width;
  uint32_t value;
  bool operator==(const HwWrite&) const = default;
};

// Memory-backed config space that logs writes, so tests can assert exactly what reached "hardware".
class RecordingConfig final : public ConfigAccess {
 public:
  explicit RecordingConfig(uint16_t size = 4096) : mem_(size) {}
  Result<uint32_t> read(uint16_t offset, uint8_t width) override { return mem_.read(offset, width); }
  Err write(uint16_t offset, uint8_t width, uint32_t value) override {
    log.push_back({offset, width, value});
    return mem_.write(offset, width, value);
  }
  uint16_t size() const override { return mem_.size(); }

  uint8_t* bytes() { return mem_.bytes(); }
  uint32_t peek(uint16_t offset, uint8_t width) { return mem_.read(offset, width).value(); }
  void poke(uint16_t offset, uint8_t width, uint32_t value) { (void)mem_.write(offset, width, value); }
  void set_size(uint16_t size) { mem_.set_size(size); }

  std::vector<HwWrite> log;

 private:
  MemoryConfig mem_;
};

// A device under test: its hardware and its view. Heap-allocated: both are a few KiB.
struct TestDevice {
  RecordingConfig hw;
  DeviceView view;
  DeviceInfo info;
  Policy policy;
  std::string title;

  // Builds header and capability tables plus built-in quirks; fails the test on error.
  void build() {
    Text diag;
    Err err = view.build(hw, info, policy, diag);
    if (err == Err::success) err = quirks::apply_builtin(view, diag);
    INFO(diag.c_str());
    REQUIRE(err == Err::success);
    hw.log.clear();
  }
  Err try_build(Text& diag) { return view.build(hw, info, policy, diag); }

  uint32_t rd(uint32_t off, uint32_t width) {
    const Result<uint32_t> r = view.read(off, width);
    REQUIRE(r.ok());
    return r.value();
  }
  WriteResult wr(uint32_t off, uint32_t width, uint32_t value) { return view.write(off, width, value); }
};

// Chainable builder for hand-made devices (when no recorded device has the shape a test needs).
class DeviceBuilder {
 public:
  explicit DeviceBuilder(uint16_t size = 256) : dev_(std::make_unique<TestDevice>()) {
    dev_->hw.set_size(size);
    dev_->hw.poke(0x00, 2, 0x1234);
    dev_->hw.poke(0x02, 2, 0x5678);
    dev_->hw.poke(0x08, 4, 0x02000001);
  }
  DeviceBuilder& header_type(uint8_t t) { return poke(0x0e, 1, t); }
  DeviceBuilder& command(uint16_t v) { return poke(0x04, 2, v); }
  DeviceBuilder& status(uint16_t v) { return poke(0x06, 2, v); }
  DeviceBuilder& pin(uint8_t v) { return poke(0x3d, 1, v); }
  DeviceBuilder& bar(unsigned i, uint32_t value, uint64_t size) {
    dev_->info.bar_size[i] = size;
    return poke(static_cast<uint16_t>(0x10 + 4 * i), 4, value);
  }
  DeviceBuilder& rom(uint32_t value, uint64_t size) {
    dev_->info.rom_size = size;
    return poke(0x30, 4, value);
  }
  // Appends a capability at `at` with body bytes after ID/NEXT; links it after the previous one.
  DeviceBuilder& cap(uint8_t at, uint8_t id, std::vector<uint8_t> body = {}) {
    poke(0x06, 2, dev_->hw.peek(0x06, 2) | reg::PCI_STATUS_CAP_LIST);
    if (last_cap_ == 0) poke(0x34, 1, at);
    else poke(static_cast<uint16_t>(last_cap_ + 1), 1, at);
    poke(at, 1, id);
    poke(static_cast<uint16_t>(at + 1), 1, 0);
    for (size_t i = 0; i < body.size(); ++i) poke(static_cast<uint16_t>(at + 2 + i), 1, body[i]);
    last_cap_ = at;
    return *this;
  }
  DeviceBuilder& poke(uint16_t off, uint8_t width, uint32_t v) {
    dev_->hw.poke(off, width, v);
    return *this;
  }
  DeviceBuilder& permissive(bool on = true) {
    dev_->policy.permissive = on;
    return *this;
  }
  DeviceBuilder& allow_interrupt_control(bool on = true) {
    dev_->policy.allow_interrupt_control = on;
    return *this;
  }
  std::unique_ptr<TestDevice> build() {
    dev_->build();
    return std::move(dev_);
  }
  std::unique_ptr<TestDevice> raw() { return std::move(dev_); }

 private:
  std::unique_ptr<TestDevice> dev_;
  uint8_t last_cap_ = 0;
};

inline std::string data_path(const std::string& name) { return std::string(PCISPLIT_TEST_DATA) + "/" + name; }

// Every recorded dump's file name (*.lspci in test/data).
std::vector<std::string> all_dumps();

// A recorded device, built; `policy` applies before the build.
inline std::unique_ptr<TestDevice> load_device(const std::string& name, Policy policy = {}) {
  std::string error;
  auto dump = user::load_dump(data_path(name), error);
  INFO(error);
  REQUIRE(dump.has_value());
  auto dev = std::make_unique<TestDevice>();
  dev->hw.set_size(static_cast<uint16_t>(dump->config.size()));
  for (size_t i = 0; i < dump->config.size(); ++i) dev->hw.bytes()[i] = dump->config[i];
  dev->info = dump->info;
  dev->policy = policy;
  dev->title = dump->title;
  dev->build();
  return dev;
}

// Whether a write's result asks the platform for effect `k` with argument `arg`.
inline bool has_effect(const WriteResult& w, EffectKind k, uint8_t arg = 0) {
  for (uint8_t i = 0; i < w.effects.count; ++i) {
    if (w.effects.items[i].kind == k && w.effects.items[i].arg == arg) return true;
  }
  return false;
}

}  // namespace pcisplit::test
