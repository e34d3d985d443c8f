// SPDX-License-Identifier: GPL-2.0-only
// `pcisplit demo`: a guest and dom0 in the simulator, backend and frontend cores connected over the
// simulated xenstore, grant table and event channel, every step told in one line.
#include "tools/pcisplit/demo.hpp"

#include <cstdio>
#include <string>
#include <vector>

#include "frontend/user/cli.hpp"
#include "tools/pcisplit/dump.hpp"
#include "tools/pcisplit/simworld.hpp"

namespace pcisplit::user {
namespace {

const std::string kBe = SimWorld::kBe;
const std::string kFe = SimWorld::kFe;

void say(const char* who, const std::string& what) { std::printf("%-9s %s\n", who, what.c_str()); }

std::string hex(uint32_t v, int w) {
  char b[16];
  std::snprintf(b, sizeof b, "%0*x", w, v);
  return b;
}

}  // namespace

int run_demo(const std::string& data_dir, const LspciRunner& lspci) {
  SimWorld d;
  std::string error;
  if (!d.load(data_dir, error)) {
    std::fprintf(stderr, "pcisplit demo: %s\n", error.c_str());
    return 1;
  }
  const SimWorld::Source* sources = SimWorld::kSources;
  say("sim", "dom0 owns 4 emulated functions (configs from test/data): " + bdf_text(sources[0].phys) + " e1000e, " +
                 bdf_text(sources[1].phys) + " nvme, " + bdf_text(sources[2].phys) + " virtio-net, " +
                 bdf_text(sources[3].phys) + " qemu-xhci; guest is domain " + std::to_string(d.domu));

  // 1. The toolstack's writes, as libxl does them for pci = [ three devices ].
  d.toolstack_create(3);
  say("toolstack", "wrote backend/pci/1/0 (dev-0..2, opts, state-N=1, num_devs=3) and device/pci/0, as libxl does");

  // 2. The backend.
  d.start_backend();
  say("backend", "InitWait, exported 3 devices: vdev-0=" + d.get(kBe + "/vdev-0") + " vdev-1=" + d.get(kBe + "/vdev-1") +
                     " vdev-2=" + d.get(kBe + "/vdev-2") + ", root-0=" + d.get(kBe + "/root-0") + ", state " +
                     d.get(kBe + "/state") + " (Initialised)");

  // 3. The frontend.
  d.start_frontend(nullptr);
  say("frontend", "granted its page (pci-op-ref=" + d.get(kFe + "/pci-op-ref") + "), event-channel=" +
                      d.get(kFe + "/event-channel") + ", magic=" + d.get(kFe + "/magic") + " in one transaction");
  say("xenbus", "backend state " + d.get(kBe + "/state") + ", frontend state " + d.get(kFe + "/state") +
                    " (Connected); the guest scans root " + d.get(kBe + "/root-0"));

  // 4. The guest's view, over the channel, decoded by the real lspci.
  unsigned ops = 0;
  std::string guest_dump;
  for (int i = 0; i < 3; ++i) {
    const Bdf virt = Bdf::make(0, 0, static_cast<uint8_t>(i), 0);
    const std::vector<uint8_t> bytes = read_config(*d.frontend, virt, ops);
    guest_dump += format_lspci(virt, d.title(static_cast<size_t>(i)), bytes.data(), bytes.size());
  }
  say("guest", "read 3 config spaces in " + std::to_string(ops) + " conf_read ops; its lspci -vv:");
  std::printf("%s", lspci(guest_dump).c_str());

  // 5. MSI-X.
  const uint16_t entries[] = {0, 1, 2};
  uint32_t pirqs[3] = {};
  const Err msix = d.frontend->enable_msix(Bdf::make(0, 0, 0, 0), entries, 3, pirqs);
  sim::EmulatedFunction* nic = d.dom0.function(sources[0].phys);
  const uint8_t msix_cap = nic->view.cap_offset(reg::PCI_CAP_ID_MSIX);
  const bool hw_on = (nic->cfg.read(msix_cap + reg::PCI_MSIX_FLAGS, 2).value() & reg::PCI_MSIX_FLAGS_ENABLE) != 0;
  say("guest", std::string("enable MSI-X on 0000:00:00.0 entries 0,1,2: ") + err_name(msix) + ", PIRQs " +
                   std::to_string(pirqs[0]) + "," + std::to_string(pirqs[1]) + "," + std::to_string(pirqs[2]) +
                   (hw_on ? "; dom0's e1000e now has MSI-X Enable+" : "; MSI-X still off in dom0"));
  uint32_t again[3];
  say("guest", std::string("enable MSI-X again: ") + err_name(d.frontend->enable_msix(Bdf::make(0, 0, 0, 0), entries, 3, again)) +
                   " (XSA-157: no second enable, nothing changed)");

  // 6. Hot-plug.
  d.put(kBe + "/dev-3", bdf_text(sources[3].phys));
  d.put(kBe + "/state-3", "1");
  d.put(kBe + "/num_devs", "4");
  d.put(kBe + "/state", "7");
  uint32_t id = 0;
  (void)d.frontend->conf_read(Bdf::make(0, 0, 3, 0), 0, 4, id);
  say("toolstack", "hot-plug " + bdf_text(sources[3].phys) + ": state-3=1, backend state 7 -> backend state-3=" +
                       d.get(kBe + "/state-3") + ", vdev-3=" + d.get(kBe + "/vdev-3") + ", backend state " +
                       d.get(kBe + "/state") + "; guest rescanned (" + std::to_string(d.guest.rescans) +
                       ") and reads 0000:00:03.0 id " + hex(id & 0xffff, 4) + ":" + hex(id >> 16, 4));

  // 7. Hot-unplug.
  d.put(kBe + "/state-1", "5");
  d.put(kBe + "/state", "7");
  const Err gone = d.frontend->conf_read(Bdf::make(0, 0, 1, 0), 0, 4, id);
  say("toolstack", "unplug " + bdf_text(sources[1].phys) + ": state-1=5, backend state 7 -> state-1=" +
                       d.get(kBe + "/state-1") + ", vdev-1 " + d.get(kBe + "/vdev-1") +
                       ", released and reset in dom0; the guest reading 0000:00:01.0 gets " + err_name(gone));

  // 8. AER on a device whose guest has no handler.
  const BackendInstance::AerResult verdict = d.dom0.inject_aer(sources[2].phys, 3, 1000);
  say("dom0", std::string("uncorrectable error on ") + bdf_text(sources[2].phys) +
                  (verdict == BackendInstance::AerResult::none ? ": the guest registered no AER handler"
                                                               : ": the guest's handler answered"));
  say("backend", "aerState=" + d.get(kBe + "/aerState") + ", guest domain " + std::to_string(d.domu) +
                     (d.xen.alive(d.domu) ? " still alive" : " destroyed") + ", backend state " + d.get(kBe + "/state") +
                     ", " + std::to_string(d.dom0.released.size()) + " functions released to dom0 (reset, config restored)");
  return d.xen.alive(d.domu) ? 1 : 0;
}

}  // namespace pcisplit::user
