// SPDX-License-Identifier: GPL-2.0-only
// The C++ side of frontend/linux/glue.h: the frontend core's seams (Store, FrontendHost, AerHandler)
// over the C glue, and the C entry points into the core.
//
// Context: as the C caller. Ops may be called in atomic context (the PCI core holds pci_lock): the
// core's op path neither sleeps nor allocates; the glue serialises ops with a spinlock. Everything
// else is called under the frontend device's mutex, in process context.
#include "frontend/linux/glue.h"

#include "frontend/frontend.hpp"
#include "protocol/linux/kernel_store.hpp"
#include "protocol/linux/store_glue.h"
#include "protocol/linux/cxx_runtime.hpp"

namespace pcisplit {
namespace {

class KernelFrontHost final : public FrontendHost, public AerHandler {
 public:
  explicit KernelFrontHost(pcisplit_front* host) : host_(host) {}
  Err setup(uint16_t backend_domid, volatile wire::SharedInfo** page, uint32_t* gref, uint32_t* port) override {
    void* p = nullptr;
    if (pcisplit_kfh_setup(host_, backend_domid, &p, gref, port) != 0 || p == nullptr) return Err::op_failed;
    *page = static_cast<volatile wire::SharedInfo*>(p);
    return Err::success;
  }
  void teardown() override { pcisplit_kfh_teardown(host_); }
  void notify() override { pcisplit_kfh_notify(host_); }
  bool wait_clear(volatile wire::SharedInfo* page, uint32_t flag, uint32_t timeout_ms) override {
    return pcisplit_kfh_wait_clear(host_, &page->flags, flag, timeout_ms) != 0;
  }
  void remove_device(Bdf virt) override { pcisplit_kfh_remove_device(host_, virt.domain, virt.bus, virt.devfn); }
  void rescan() override { pcisplit_kfh_rescan(host_); }
  void log(const char* message) override { pcisplit_kfh_log(host_, message); }
  int32_t handle(wire::Cmd cmd, Bdf virt, int32_t state) override {
    return pcisplit_kfh_aer(host_, static_cast<uint32_t>(cmd), virt.domain, virt.bus, virt.devfn, state);
  }

 private:
  pcisplit_front* host_;
};

}  // namespace
}  // namespace pcisplit

struct pcisplit_fe {
  pcisplit_fe(pcisplit_front* h, const char* nodename) : store(h), host(h), instance(store, host, nodename, &host) {}
  pcisplit::KernelStore store;
  pcisplit::KernelFrontHost host;
  pcisplit::FrontendInstance instance;
};

using namespace pcisplit;

namespace {

Bdf bdf(uint16_t domain, uint8_t bus, uint8_t devfn) { return Bdf{domain, bus, devfn}; }

}  // namespace

// A load-time check that the core linked into this module runs: slot grammar and hex helpers.
extern "C" int pcisplit_fe_selftest(void) {
  Text t;
  t.add("pcifront ").add_hex(0xbeef, 4).add_dec(7);
  const char* s = t.c_str();
  return s[9] == 'b' && s[12] == 'f' && s[13] == '7' && hex_digit('c') == 12 ? 0 : -1;
}

extern "C" pcisplit_fe* pcisplit_fe_alloc(pcisplit_front* host, const char* nodename) {
  void* mem = operator new(sizeof(pcisplit_fe), std::nothrow_t{});
  return mem == nullptr ? nullptr : new (mem) pcisplit_fe(host, nodename);
}

extern "C" void pcisplit_fe_free(pcisplit_fe* fe) { delete fe; }

extern "C" int pcisplit_fe_start(pcisplit_fe* fe) { return fe->instance.start() == StoreStatus::ok ? 0 : -PCISPLIT_EINVAL; }

extern "C" void pcisplit_fe_stop(pcisplit_fe* fe) { fe->instance.stop(); }

extern "C" void pcisplit_fe_watch_fired(pcisplit_fe* fe, const char* path, const char* token) {
  fe->instance.watch_fired(path, token);
}

extern "C" void pcisplit_fe_event(pcisplit_fe* fe) { fe->instance.on_event(); }

extern "C" void pcisplit_fe_forget_page(pcisplit_fe* fe) { fe->instance.forget_page(); }

extern "C" int pcisplit_fe_state(pcisplit_fe* fe) { return static_cast<int>(fe->instance.state()); }

extern "C" int pcisplit_fe_root_count(pcisplit_fe* fe) { return fe->instance.root_count(); }

extern "C" void pcisplit_fe_root(pcisplit_fe* fe, int i, uint16_t* domain, uint8_t* bus) {
  const xs::Root r = fe->instance.root(static_cast<uint16_t>(i));
  *domain = r.domain;
  *bus = r.bus;
}

extern "C" uint64_t pcisplit_fe_timeouts(pcisplit_fe* fe) { return fe->instance.timeouts(); }

extern "C" int pcisplit_fe_conf_read(pcisplit_fe* fe, uint16_t domain, uint8_t bus, uint8_t devfn, uint32_t offset,
                                     uint32_t size, uint32_t* value) {
  return static_cast<int>(fe->instance.conf_read(bdf(domain, bus, devfn), offset, size, *value));
}

extern "C" int pcisplit_fe_conf_write(pcisplit_fe* fe, uint16_t domain, uint8_t bus, uint8_t devfn, uint32_t offset,
                                      uint32_t size, uint32_t value) {
  return static_cast<int>(fe->instance.conf_write(bdf(domain, bus, devfn), offset, size, value));
}

extern "C" int pcisplit_fe_enable_msi(pcisplit_fe* fe, uint16_t domain, uint8_t bus, uint8_t devfn, uint32_t* pirq) {
  return static_cast<int>(fe->instance.enable_msi(bdf(domain, bus, devfn), 1, *pirq));
}

extern "C" int pcisplit_fe_disable_msi(pcisplit_fe* fe, uint16_t domain, uint8_t bus, uint8_t devfn) {
  return static_cast<int>(fe->instance.disable_msi(bdf(domain, bus, devfn)));
}

extern "C" int pcisplit_fe_enable_msix(pcisplit_fe* fe, uint16_t domain, uint8_t bus, uint8_t devfn,
                                       const uint16_t* entries, uint32_t n, uint32_t* pirqs) {
  return static_cast<int>(fe->instance.enable_msix(bdf(domain, bus, devfn), entries, n, pirqs));
}

extern "C" int pcisplit_fe_disable_msix(pcisplit_fe* fe, uint16_t domain, uint8_t bus, uint8_t devfn) {
  return static_cast<int>(fe->instance.disable_msix(bdf(domain, bus, devfn)));
}
