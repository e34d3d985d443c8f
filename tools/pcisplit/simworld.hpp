// SPDX-License-Identifier: GPL-2.0-only
// A dom0 and one guest in the simulator, set up as libxl would: the pcisplit tool's `--sim`
// transport and the demo both start from here.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "sim/hosts.hpp"
#include "sim/libxl.hpp"

namespace pcisplit::user {

class SimWorld {
 public:
  static constexpr const char* kBe = "/local/domain/0/backend/pci/1/0";
  static constexpr const char* kFe = "/local/domain/1/device/pci/0";
  struct Source {
    const char* file;
    const char* name;
    Bdf phys;
  };
  // e1000e, nvme, virtio-net (modern) and qemu-xhci from test/data, at 0000:0N:00.0.
  static const Source kSources[4];

  // Loads the four functions into dom0. False with `error` when a dump is missing or bad.
  bool load(const std::string& data_dir, std::string& error);
  // libxl's writes for a guest with the first `ndev` functions (sim/libxl: one transaction each).
  void toolstack_create(int ndev);
  // What xl destroy (or xl's daemon after a crash) does: the domain goes, libxl removes the backend
  // directory, and dom0's kernel removes the backend device, which stops the instance.
  void toolstack_destroy();
  void start_backend();
  void start_frontend(AerHandler* aer);
  // All of it: the first three functions passed through and both sides Connected.
  bool boot(const std::string& data_dir, std::string& error);

  std::string get(const std::string& path);
  void put(const std::string& path, const std::string& value);
  const std::string& title(size_t i) const { return titles_[i]; }

  sim::Xenstore xs;
  sim::Xen xen{xs};
  sim::DomId domu = xen.create_domain();
  std::unique_ptr<sim::Connection> toolstack = xs.connect(0);
  std::unique_ptr<sim::Connection> dom0_conn = xs.connect(0);
  std::unique_ptr<sim::Connection> guest_conn = xs.connect(domu);
  sim::Dom0 dom0{xen};
  sim::Guest guest{xen, domu};
  std::unique_ptr<BackendInstance> backend;
  std::unique_ptr<FrontendInstance> frontend;

 private:
  std::vector<std::string> titles_;
};

std::string bdf_text(Bdf b);

}  // namespace pcisplit::user
