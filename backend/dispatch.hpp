// SPDX-License-Identifier: GPL-2.0-only
// The op dispatcher: one pciif op from the shared page, copied once, validated, routed, answered.
#pragma once

#include "backend/platform.hpp"
#include "backend/topology.hpp"
#include "conf_space/device.hpp"
#include "protocol/pciif.hpp"

namespace pcisplit {

// One exported function as the dispatcher sees it. The glue owns the objects; the dispatcher only
// points at them, so no allocation happens per op.
struct ExportedDevice {
  DeviceView* view = nullptr;
  DevicePlatform* platform = nullptr;
  enum class Irq : uint8_t { none, msi, msix } irq = Irq::none;
};

struct DispatchStats {
  uint64_t ops = 0;
  uint64_t errors = 0;          // ops answered with a non-success err
  uint64_t unknown_cmds = 0;
  uint64_t msix_off_by_disable_msi = 0;  // disable_msi that turned MSI-X off (see dispatch.cpp)
};

class Dispatcher {
 public:
  explicit Dispatcher(Topology& topology) : topology_(topology) {}

  // Binds the device at topology index `index` (as returned by Topology::find_phys) to its view and
  // platform. The view must have been built.
  void attach(int index, DeviceView* view, DevicePlatform* platform);
  void detach(int index);

  // Processes the op in `shared` (the guest-writable page): reads it exactly once into a private copy
  // (XSA-155), acts only on the copy, and writes back only err, value and the MSI-X vectors.
  void process(volatile wire::Op* shared);

  // The same on an op already copied; `out` receives err, value and vectors. Exposed for tests.
  void handle(const wire::Op& in, wire::Op& out);

  // The last op processed, as read from the page once, and its answer: what a log may show (the page
  // itself is the guest's and may say anything by the time a log line is written).
  struct Record {
    uint32_t cmd = 0, domain = 0, bus = 0, devfn = 0;
    int32_t offset = 0, size = 0;
    uint32_t value_in = 0, value_out = 0;
    int32_t err = 0;
  };
  Record last() const;

  const DispatchStats& stats() const { return stats_; }
  ExportedDevice& device(int index) { return devices_[index]; }

 private:
  void serve(const wire::Op& in, wire::Op& out);
  // Topology index of the attached function the op addresses, -1 if none.
  int find(const wire::Op& in) const;
  Err conf_write(ExportedDevice& dev, const wire::Op& in);
  Err irq_op(ExportedDevice& dev, const PhysFunction& fn, const wire::Op& in, wire::Op& out);
  bool hw_irq_on(ExportedDevice& dev);
  Err enable_msi(ExportedDevice& dev, uint32_t nvec, uint32_t& value);
  Err disable_msi(ExportedDevice& dev, uint32_t& value);
  Err enable_msix(ExportedDevice& dev, bool is_virtfn, const wire::Op& in, wire::Op& out);
  Err disable_msix(ExportedDevice& dev, uint32_t& value);

  Topology& topology_;
  ExportedDevice devices_[Topology::kMaxDevices];
  DispatchStats stats_;
  // The last op as process() copied it from the page, and its answer: what last() reports.
  wire::Op in_ = {};
  uint32_t value_out_ = 0;
  int32_t err_out_ = 0;
};

}  // namespace pcisplit
