// SPDX-License-Identifier: GPL-2.0-only
// The simulator's dom0 and guest.
#include "sim/hosts.hpp"

#include <chrono>
#include <cstring>
#include <thread>

#include "quirks/quirks.hpp"

namespace pcisplit::sim {
namespace {
uint32_t key(Bdf b) { return uint32_t{b.domain} << 16 | uint32_t{b.bus} << 8 | b.devfn; }
}  // namespace

EmulatedFunction::EmulatedFunction(Xen& xen, Bdf b, const uint8_t* config, uint16_t size, const DeviceInfo& i)
    : bdf(b), cfg(size), info(i), xen_(xen) {
  std::memcpy(cfg.bytes(), config, size);
  std::memcpy(bind_time_, config, size);
}

void EmulatedFunction::set_bits(uint16_t offset, uint16_t bits, bool on) {
  const uint32_t v = cfg.read(offset, 2).value();
  (void)cfg.write(offset, 2, on ? (v | bits) : (v & ~uint32_t{bits}));
}

Err EmulatedFunction::apply(const Effect& e) {
  effects.push_back(e);
  switch (e.kind) {
    case EffectKind::enable_device: set_bits(reg::PCI_COMMAND, reg::PCI_COMMAND_MEMORY | reg::PCI_COMMAND_IO, true); break;
    case EffectKind::disable_device: set_bits(reg::PCI_COMMAND, reg::PCI_COMMAND_MASTER, false); break;  // as Linux
    case EffectKind::set_master: set_bits(reg::PCI_COMMAND, reg::PCI_COMMAND_MASTER, true); break;
    case EffectKind::clear_master: set_bits(reg::PCI_COMMAND, reg::PCI_COMMAND_MASTER, false); break;
    case EffectKind::set_power_state:
      if (const uint8_t pm = view.cap_offset(reg::PCI_CAP_ID_PM); pm != 0) {
        const uint32_t v = cfg.read(pm + reg::PCI_PM_CTRL, 2).value();
        (void)cfg.write(pm + reg::PCI_PM_CTRL, 2, (v & ~3u) | e.arg);
      }
      break;
    case EffectKind::set_readrq:  // as pcie_set_readrq() on a host bridge without restrictions
      if (const uint8_t exp = view.cap_offset(reg::PCI_CAP_ID_EXP); exp != 0 && e.arg <= 5) {
        const uint32_t v = cfg.read(exp + reg::PCI_EXP_DEVCTL, 2).value();
        (void)cfg.write(exp + reg::PCI_EXP_DEVCTL, 2, (v & ~uint32_t{reg::PCI_EXP_DEVCTL_READRQ}) | (e.arg << 12));
      }
      break;
  }
  return Err::success;
}

// Sets the capability's enable bit and maps `n` PIRQs to the owner; the kernel does both for
// pci_enable_msi/msix. Returns the first PIRQ.
Result<uint32_t> EmulatedFunction::map_vectors(uint8_t cap_id, uint16_t flags_reg, uint16_t enable, uint32_t n) {
  const uint8_t cap = view.cap_offset(cap_id);
  if (cap == 0) return Err::op_failed;
  set_bits(cap + flags_reg, enable, true);
  first_pirq_ = xen_.alloc_pirqs(owner, n);
  npirqs_ = n;
  return first_pirq_;
}

void EmulatedFunction::unmap_vectors(uint8_t cap_id, uint16_t flags_reg, uint16_t enable) {
  const uint8_t cap = view.cap_offset(cap_id);
  if (cap != 0) set_bits(cap + flags_reg, enable, false);
  xen_.free_pirqs(first_pirq_, npirqs_);
  npirqs_ = 0;
}

Result<uint32_t> EmulatedFunction::enable_msi(uint32_t nvec) {
  return map_vectors(reg::PCI_CAP_ID_MSI, reg::PCI_MSI_FLAGS, reg::PCI_MSI_FLAGS_ENABLE, nvec);
}

Err EmulatedFunction::disable_msi() {
  unmap_vectors(reg::PCI_CAP_ID_MSI, reg::PCI_MSI_FLAGS, reg::PCI_MSI_FLAGS_ENABLE);
  return Err::success;
}

Err EmulatedFunction::enable_msix(const uint16_t*, uint32_t n, uint32_t* pirqs) {
  const Result<uint32_t> first = map_vectors(reg::PCI_CAP_ID_MSIX, reg::PCI_MSIX_FLAGS, reg::PCI_MSIX_FLAGS_ENABLE, n);
  if (!first.ok()) return first.err();
  for (uint32_t i = 0; i < n; ++i) pirqs[i] = first.value() + i;
  return Err::success;
}

Err EmulatedFunction::disable_msix() {
  unmap_vectors(reg::PCI_CAP_ID_MSIX, reg::PCI_MSIX_FLAGS, reg::PCI_MSIX_FLAGS_ENABLE);
  return Err::success;
}

void EmulatedFunction::reset() { std::memcpy(cfg.bytes(), bind_time_, cfg.size()); }

EmulatedFunction& Dom0::add_function(Bdf bdf, const uint8_t* config, uint16_t size, const DeviceInfo& info) {
  auto& slot = functions_[key(bdf)];
  slot = std::make_unique<EmulatedFunction>(xen_, bdf, config, size, info);
  return *slot;
}

EmulatedFunction* Dom0::function(Bdf bdf) {
  auto it = functions_.find(key(bdf));
  return it == functions_.end() ? nullptr : it->second.get();
}

Err Dom0::connect(uint16_t domid, uint32_t gref, uint32_t port, volatile wire::SharedInfo** page) {
  const Result<wire::SharedInfo*> m = xen_.map(0, domid, gref);
  if (!m.ok()) return Err::op_failed;
  const Result<uint32_t> b = xen_.bind_interdomain(0, domid, port, [this] {
    if (backend != nullptr) backend->on_event();
  });
  if (!b.ok()) {
    xen_.unmap(0, domid, gref);
    return Err::op_failed;
  }
  guest_ = domid;
  gref_ = gref;
  port_ = b.value();
  end_ = xen_.end(0, port_);
  *page = m.value();
  return Err::success;
}

void Dom0::disconnect() {
  if (port_ == 0) return;
  end_ = nullptr;
  xen_.close(0, port_);
  xen_.unmap(0, guest_, gref_);
  port_ = 0;
}

Err Dom0::export_device(Bdf phys, const xs::DevOpts& opts, PhysFunction& fn, DeviceView*& view,
                        DevicePlatform*& platform, Text& diag) {
  EmulatedFunction* f = function(phys);
  if (f == nullptr) {
    diag.clear();
    diag.add("no such function in dom0");
    return Err::dev_not_found;
  }
  Policy policy;
  policy.permissive = opts.permissive;
  Err err = f->view.build(f->cfg, f->info, policy, diag);
  if (err == Err::success) err = quirks::apply_builtin(f->view, diag);
  if (err != Err::success) return err;
  const uint8_t type = f->cfg.bytes()[reg::PCI_HEADER_TYPE] & reg::PCI_HEADER_TYPE_MASK;
  fn = PhysFunction{phys, type == reg::PCI_HEADER_TYPE_BRIDGE, false};
  f->owner = guest_domain;
  view = &f->view;
  platform = f;
  return Err::success;
}

void Dom0::release_device(Bdf phys) {
  released.push_back(phys);
  if (EmulatedFunction* f = function(phys)) f->reset();
}

BackendInstance::AerResult Dom0::inject_aer(Bdf phys, int32_t state, uint32_t timeout_ms) {
  using R = BackendInstance::AerResult;
  R result = R::none;
  const BackendInstance::AerPost post =
      backend != nullptr ? backend->aer_post(phys, wire::Cmd::aer_detected, state) : BackendInstance::AerPost::not_held;
  if (post == BackendInstance::AerPost::posted) {
    const auto end = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
    while (!backend->aer_answered() && std::chrono::steady_clock::now() < end) {
      std::this_thread::sleep_for(std::chrono::microseconds(100));
    }
    result = backend->aer_finish(!backend->aer_answered());
  }
  const bool posted = post == BackendInstance::AerPost::posted;
  if (post == BackendInstance::AerPost::no_handler || (posted && (result == R::none || result == R::disconnect))) {
    (void)backend->aer_kill(phys);
  }
  return result;
}

void Dom0::destroy_domain(uint16_t domid) {
  destroyed.push_back(domid);
  xen_.destroy_domain(domid);
}

Err Guest::setup(uint16_t backend, volatile wire::SharedInfo** page, uint32_t* gref, uint32_t* port) {
  std::memset(static_cast<void*>(page_.get()), 0, sizeof(wire::SharedInfo));
  const Result<uint32_t> g = xen_.grant(dom_, backend, page_.get());
  const Result<uint32_t> p = xen_.alloc_unbound(dom_, backend, [this] {
    if (frontend != nullptr) frontend->on_event();
  });
  if (!g.ok() || !p.ok()) return Err::op_failed;
  *page = page_.get();
  *gref = gref_ = g.value();
  *port = port_ = p.value();
  end_ = xen_.end(dom_, port_);
  return Err::success;
}

void Guest::teardown() {
  end_ = nullptr;
  xen_.close(dom_, port_);
  (void)xen_.revoke(dom_, gref_);
}

bool Guest::wait_clear(volatile wire::SharedInfo* page, uint32_t flag, uint32_t timeout_ms) {
  // Answered already (the backend ran in the notifier's thread): no clock read, which was an
  // eighth of a round trip's time in bench_scale.
  if ((page->flags & flag) == 0) return true;
  const auto end = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
  while ((page->flags & flag) != 0) {
    if (std::chrono::steady_clock::now() > end) return false;
    if (spin_wait) {
      std::this_thread::yield();
    } else {
      std::this_thread::sleep_for(std::chrono::microseconds(50));
    }
  }
  return true;
}

}  // namespace pcisplit::sim
