// SPDX-License-Identifier: GPL-2.0-only
// The simulated dom0 + guest the tool and the demo run on.
#include "tools/pcisplit/simworld.hpp"

#include <cstdio>

#include "tools/pcisplit/dump.hpp"

namespace pcisplit::user {

const SimWorld::Source SimWorld::kSources[4] = {
    {"e1000e.lspci", "e1000e", Bdf::make(0, 1, 0, 0)},
    {"nvme.lspci", "nvme", Bdf::make(0, 2, 0, 0)},
    {"virtio-net-modern.lspci", "virtio-net", Bdf::make(0, 3, 0, 0)},
    {"qemu-xhci.lspci", "qemu-xhci", Bdf::make(0, 4, 0, 0)},
};

std::string bdf_text(Bdf b) {
  char buf[16];
  std::snprintf(buf, sizeof buf, "%04x:%02x:%02x.%x", b.domain, b.bus, b.slot(), b.fn());
  return buf;
}

std::string SimWorld::get(const std::string& path) {
  std::string v;
  return toolstack->read(path, v) == StoreStatus::ok ? v : "(absent)";
}

void SimWorld::put(const std::string& path, const std::string& value) {
  (void)toolstack->write(kNoTx, path.c_str(), value.c_str());
}

bool SimWorld::load(const std::string& data_dir, std::string& error) {
  for (const Source& s : kSources) {
    auto dump = load_dump(data_dir + "/" + s.file, error);
    if (!dump) return false;
    dom0.add_function(s.phys, dump->config.data(), static_cast<uint16_t>(dump->config.size()), dump->info);
    titles_.push_back(dump->title);
  }
  return true;
}

void SimWorld::toolstack_create(int ndev) {
  sim::Libxl libxl(*toolstack, domu);
  for (int i = 0; i < ndev; ++i) (void)libxl.add_device(kSources[i].phys, true);
}

void SimWorld::toolstack_destroy() {
  if (xen.alive(domu)) xen.destroy_domain(domu);
  (void)toolstack->remove(kNoTx, kBe);
  if (backend) backend->stop();
}

void SimWorld::start_backend() {
  backend = std::make_unique<BackendInstance>(*dom0_conn, dom0, domu, Topology::Mode::vpci);
  dom0.backend = backend.get();
  dom0.guest_domain = domu;
  (void)backend->start();
}

void SimWorld::start_frontend(AerHandler* aer) {
  frontend = std::make_unique<FrontendInstance>(*guest_conn, guest, kFe, aer);
  guest.frontend = frontend.get();
  (void)frontend->start();
}

bool SimWorld::boot(const std::string& data_dir, std::string& error) {
  if (!load(data_dir, error)) return false;
  toolstack_create(3);
  start_backend();
  start_frontend(nullptr);
  if (frontend->state() != xs::State::connected) {
    error = "the simulated guest did not connect";
    return false;
  }
  return true;
}

}  // namespace pcisplit::user
