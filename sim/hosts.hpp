// SPDX-License-Identifier: GPL-2.0-only
// The simulator's side of the cores' seams: a dom0 that owns emulated PCI functions (config spaces
// from recorded dumps) and backs a guest, and a guest that runs the frontend. Used by the end-to-end
// tests and by `pcisplit demo`.
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "backend/instance.hpp"
#include "frontend/frontend.hpp"
#include "sim/xen.hpp"

namespace pcisplit::sim {

// An emulated function's config space: memory, plus a hook a scenario uses to act "while dom0 is
// touching the device" (a guest destroyed mid-op, say).
class SimConfig final : public ConfigAccess {
 public:
  explicit SimConfig(uint16_t size) : mem_(size) {}
  Result<uint32_t> read(uint16_t offset, uint8_t width) override {
    if (on_access) on_access();
    return mem_.read(offset, width);
  }
  Err write(uint16_t offset, uint8_t width, uint32_t value) override {
    if (on_access) on_access();
    return mem_.write(offset, width, value);
  }
  uint16_t size() const override { return mem_.size(); }
  uint8_t* bytes() { return mem_.bytes(); }
  std::function<void()> on_access;

 private:
  MemoryConfig mem_;
};

// An emulated function: its config space, its view, and a platform that acts on the config the way
// the kernel would (decode and bus-master bits, power state, MSI/MSI-X enable bits) and hands out
// PIRQs from the hypervisor's pool.
class EmulatedFunction final : public DevicePlatform {
 public:
  EmulatedFunction(Xen& xen, Bdf bdf, const uint8_t* config, uint16_t size, const DeviceInfo& info);
  Err apply(const Effect& effect) override;
  Result<uint32_t> enable_msi(uint32_t nvec) override;
  Err disable_msi() override;
  Err enable_msix(const uint16_t* entries, uint32_t n, uint32_t* pirqs) override;
  Err disable_msix() override;
  uint32_t legacy_pirq() override { return 16; }
  // Back to the config captured at bind time (what a function reset plus restore gives).
  void reset();

  Bdf bdf;
  SimConfig cfg;
  DeviceView view;
  DeviceInfo info;
  std::vector<Effect> effects;  // what the backend asked for, in order
  DomId owner = 0;              // the guest the function is assigned to (its PIRQs are mapped to it)

 private:
  void set_bits(uint16_t offset, uint16_t bits, bool on);
  Result<uint32_t> map_vectors(uint8_t cap_id, uint16_t flags_reg, uint16_t enable, uint32_t n);
  void unmap_vectors(uint8_t cap_id, uint16_t flags_reg, uint16_t enable);
  Xen& xen_;
  uint8_t bind_time_[MemoryConfig::kMax];
  uint32_t first_pirq_ = 0, npirqs_ = 0;  // what is mapped now
};

class Dom0 final : public BackendHost {
 public:
  explicit Dom0(Xen& xen) : xen_(xen) {}
  EmulatedFunction& add_function(Bdf bdf, const uint8_t* config, uint16_t size, const DeviceInfo& info);
  EmulatedFunction* function(Bdf bdf);

  Err connect(uint16_t domid, uint32_t gref, uint32_t port, volatile wire::SharedInfo** page) override;
  void disconnect() override;
  void notify() override { (void)xen_.notify(end_); }
  Err export_device(Bdf phys, const xs::DevOpts& opts, PhysFunction& fn, DeviceView*& view,
                    DevicePlatform*& platform, Text& diag) override;
  void release_device(Bdf phys) override;
  void destroy_domain(uint16_t domid) override;
  void log(const char* message) override { logs.emplace_back(message); }

  // The AER injector: what the glue's pci_error_handlers do when the PCI core reports an error on an
  // exported function: forward it and wait (bounded) for the guest's handler, or kill the guest.
  // Returns the guest's verdict (none when it could not or did not answer).
  BackendInstance::AerResult inject_aer(Bdf phys, int32_t state, uint32_t timeout_ms);

  BackendInstance* backend = nullptr;
  DomId guest_domain = 0;  // the guest this dom0's backend serves (PIRQs are mapped to it)
  std::vector<Bdf> released;
  std::vector<uint16_t> destroyed;
  std::vector<std::string> logs;

 private:
  Xen& xen_;
  std::map<uint32_t, std::unique_ptr<EmulatedFunction>> functions_;
  uint16_t guest_ = 0;
  uint32_t gref_ = 0, port_ = 0;
  const Xen::Port* end_ = nullptr;  // port_'s: a notify looks nothing up
};

class Guest final : public FrontendHost {
 public:
  Guest(Xen& xen, DomId dom) : xen_(xen), dom_(dom) {}
  Err setup(uint16_t backend, volatile wire::SharedInfo** page, uint32_t* gref, uint32_t* port) override;
  void teardown() override;
  void notify() override { (void)xen_.notify(end_); }
  bool wait_clear(volatile wire::SharedInfo* page, uint32_t flag, uint32_t timeout_ms) override;
  void remove_device(Bdf virt) override { removed.push_back(virt); }
  void rescan() override { ++rescans; }
  void log(const char* message) override { logs.emplace_back(message); }

  FrontendInstance* frontend = nullptr;
  bool spin_wait = false;  // busy-wait for answers (benchmarks with a backend thread)
  std::vector<Bdf> removed;  // what the frontend took off the guest's bus
  int rescans = 0;
  std::vector<std::string> logs;
  wire::SharedInfo* page() { return page_.get(); }

 private:
  Xen& xen_;
  DomId dom_;
  std::unique_ptr<wire::SharedInfo> page_ = std::make_unique<wire::SharedInfo>();
  uint32_t gref_ = 0, port_ = 0;
  const Xen::Port* end_ = nullptr;  // port_'s: a notify looks nothing up
};

}  // namespace pcisplit::sim
