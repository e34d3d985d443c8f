// SPDX-License-Identifier: GPL-2.0-only
// The op dispatcher.
//
// Error vocabulary (one namespace, unlike the in-tree backend's mix of XEN_PCI_ERR_* and -errno):
// unknown device -> dev_not_found; bad config offset/size -> invalid_offset; a config write a hook
// refuses -> access_denied; an op the backend does not serve -> not_implemented; any interrupt
// request that is malformed or conflicts with the device's interrupt state -> op_failed, with no
// state changed. Frontends only test for non-zero.
#include "backend/dispatch.hpp"

namespace pcisplit {
namespace {

using wire::Cmd;

constexpr int32_t as_wire(Err e) { return static_cast<int32_t>(e); }

bool power_of_two(uint32_t v) { return v != 0 && (v & (v - 1)) == 0; }

}  // namespace

void Dispatcher::attach(int index, DeviceView* view, DevicePlatform* platform) {
  devices_[index] = ExportedDevice{view, platform, ExportedDevice::Irq::none};
}

void Dispatcher::detach(int index) { devices_[index] = ExportedDevice{}; }

// Both entries to the dispatcher share this body. Inlined into each, so that process(), the path of
// every guest op, runs it without a second call frame; defined here only, so never emitted as a
// separate copy.
[[gnu::always_inline]] inline void Dispatcher::serve(const wire::Op& in, wire::Op& out) {
  ++stats_.ops;
  out.value = 0;
  const int index = find(in);
  ExportedDevice* const dev = index >= 0 ? &devices_[index] : nullptr;
  Err err = Err::dev_not_found;
  switch (static_cast<Cmd>(in.cmd)) {
    case Cmd::conf_read:
      if (dev != nullptr) {
        // The engine validates offset and size; a failed Result's value is 0, which the guest gets.
        const Result<uint32_t> r = dev->view->read(static_cast<uint32_t>(in.offset), static_cast<uint32_t>(in.size));
        err = r.err();
        out.value = r.value();
      }
      break;
    case Cmd::conf_write:
      out.value = in.value;
      if (dev != nullptr) err = conf_write(*dev, in);
      break;
    case Cmd::enable_msi:
    case Cmd::enable_multi_msi:
    case Cmd::disable_msi:
    case Cmd::enable_msix:
    case Cmd::disable_msix:
      if (dev != nullptr) err = irq_op(*dev, topology_.phys(index), in, out);
      break;
    default:  // including the aer_* ops, which only the backend sends
      ++stats_.unknown_cmds;
      err = Err::not_implemented;
      break;
  }
  out.err = as_wire(err);
  if (err != Err::success) ++stats_.errors;
}

void Dispatcher::handle(const wire::Op& in, wire::Op& out) { serve(in, out); }

void Dispatcher::process(volatile wire::Op* shared) {
  // Every field is read exactly once through the volatile pointer; nothing below looks at `shared`
  // again until the answer is written. A guest rewriting the page meanwhile changes nothing we do.
  // The copy is kept (in_) as the record last() gives a log, so the op is stored once, not twice.
  wire::Op& in = in_;
  in.cmd = shared->cmd;
  in.domain = shared->domain;
  in.bus = shared->bus;
  in.devfn = shared->devfn;
  in.offset = shared->offset;
  in.size = shared->size;
  in.value = shared->value;
  in.info = shared->info;
  const uint32_t nvec = in.cmd == static_cast<uint32_t>(Cmd::enable_msix) && in.value <= wire::kMaxVec ? in.value : 0;
  for (uint32_t i = 0; i < nvec; ++i) {
    in.msix_entries[i].entry = shared->msix_entries[i].entry;
    in.msix_entries[i].vector = 0;
  }

  wire::Op out;  // serve() sets err and value; the vectors only when it reports them
  serve(in, out);

  shared->value = out.value;
  if (in.cmd == static_cast<uint32_t>(Cmd::enable_msix) && out.err == 0) {
    for (uint32_t i = 0; i < nvec; ++i) shared->msix_entries[i].vector = out.msix_entries[i].vector;
  }
  shared->err = out.err;  // last: a frontend polling err sees a complete answer
  value_out_ = out.value;
  err_out_ = out.err;
}

Dispatcher::Record Dispatcher::last() const {
  return Record{in_.cmd, in_.domain, in_.bus, in_.devfn, in_.offset, in_.size, in_.value, value_out_, err_out_};
}

int Dispatcher::find(const wire::Op& in) const {
  // Each address field is 32 bits on the wire: one past its width names no function (it is not cut
  // down to one that exists).
  if (((in.domain >> 16) | (in.bus >> 8) | (in.devfn >> 8)) != 0) return -1;
  const int index = topology_.find_virt(
      Bdf{static_cast<uint16_t>(in.domain), static_cast<uint8_t>(in.bus), static_cast<uint8_t>(in.devfn)});
  return index >= 0 && devices_[index].view != nullptr ? index : -1;
}

Err Dispatcher::irq_op(ExportedDevice& dev, const PhysFunction& fn, const wire::Op& in, wire::Op& out) {
  // L4: a bridge's interrupts signal hot-plug and errors for everything below it: dom0's.
  if (fn.is_bridge) return Err::access_denied;
  switch (static_cast<Cmd>(in.cmd)) {
    case Cmd::enable_msi: return enable_msi(dev, 1, out.value);
    case Cmd::enable_multi_msi: return enable_msi(dev, in.value, out.value);
    case Cmd::disable_msi: return disable_msi(dev, out.value);
    case Cmd::enable_msix: return enable_msix(dev, fn.is_virtfn, in, out);
    case Cmd::disable_msix: return disable_msix(dev, out.value);
    default: return Err::not_implemented;  // not an interrupt op: handle() does not send one here
  }
}

Err Dispatcher::conf_write(ExportedDevice& dev, const wire::Op& in) {
  const WriteResult w = dev.view->write(static_cast<uint32_t>(in.offset), static_cast<uint32_t>(in.size), in.value);
  Err err = w.err;
  for (uint8_t i = 0; i < w.effects.count; ++i) {
    if (dev.platform->apply(w.effects.items[i]) != Err::success && err == Err::success) err = Err::op_failed;
  }
  return err;
}

// MSI or MSI-X on in hardware: with allow_interrupt_control a guest may set the enable bits by config
// writes, which the dispatcher's own record never sees. Unreadable counts as on (fail closed).
bool Dispatcher::hw_irq_on(ExportedDevice& dev) {
  const uint8_t msi = dev.view->cap_offset(reg::PCI_CAP_ID_MSI);
  const uint8_t msix = dev.view->cap_offset(reg::PCI_CAP_ID_MSIX);
  if (msi != 0) {
    const Result<uint32_t> f = dev.view->hw_read(msi + reg::PCI_MSI_FLAGS, 2);
    if (!f.ok() || (f.value() & reg::PCI_MSI_FLAGS_ENABLE) != 0) return true;
  }
  if (msix != 0) {
    const Result<uint32_t> f = dev.view->hw_read(msix + reg::PCI_MSIX_FLAGS, 2);
    if (!f.ok() || (f.value() & reg::PCI_MSIX_FLAGS_ENABLE) != 0) return true;
  }
  return false;
}

Err Dispatcher::enable_msi(ExportedDevice& dev, uint32_t nvec, uint32_t& value) {
  if (dev.irq != ExportedDevice::Irq::none) return Err::op_failed;  // XSA-157: MSI or MSI-X already on
  if (hw_irq_on(dev)) return Err::op_failed;
  const uint8_t cap = dev.view->cap_offset(reg::PCI_CAP_ID_MSI);
  if (cap == 0) return Err::op_failed;
  const Result<uint32_t> flags = dev.view->hw_read(cap + reg::PCI_MSI_FLAGS, 2);
  if (!flags.ok()) return Err::op_failed;
  const uint32_t max = 1u << ((flags.value() & reg::PCI_MSI_FLAGS_QMASK) >> 1);
  if (!power_of_two(nvec) || nvec > max || nvec > 32) return Err::op_failed;
  const Result<uint32_t> pirq = dev.platform->enable_msi(nvec);
  if (!pirq.ok()) return Err::op_failed;
  dev.irq = ExportedDevice::Irq::msi;
  value = pirq.value();
  return Err::success;
}

Err Dispatcher::disable_msi(ExportedDevice& dev, uint32_t& value) {
  // Linux's pcifront (6.1) tears MSI-X down with disable_msi (seen in the lab with nvme, which enables
  // one MSI-X vector, frees it, then asks for more). The guest means "my MSI interrupts off": honour
  // it for MSI-X too, instead of leaving MSI-X on and failing the next enable as the in-tree backend does.
  if (dev.irq == ExportedDevice::Irq::msix) {
    ++stats_.msix_off_by_disable_msi;
    return disable_msix(dev, value);
  }
  if (dev.irq != ExportedDevice::Irq::msi) return Err::op_failed;  // XSA-157: nothing to disable
  if (dev.platform->disable_msi() != Err::success) return Err::op_failed;
  dev.irq = ExportedDevice::Irq::none;
  value = dev.platform->legacy_pirq();
  return Err::success;
}

Err Dispatcher::enable_msix(ExportedDevice& dev, bool is_virtfn, const wire::Op& in, wire::Op& out) {
  const uint32_t n = in.value;
  if (n == 0 || n > wire::kMaxVec) return Err::op_failed;
  if (dev.irq != ExportedDevice::Irq::none) return Err::op_failed;  // XSA-157
  if (hw_irq_on(dev)) return Err::op_failed;
  const uint8_t cap = dev.view->cap_offset(reg::PCI_CAP_ID_MSIX);
  if (cap == 0) return Err::op_failed;
  const Result<uint32_t> flags = dev.view->hw_read(cap + reg::PCI_MSIX_FLAGS, 2);
  const Result<uint32_t> cmd = dev.view->hw_read(reg::PCI_COMMAND, 2);
  if (!flags.ok() || !cmd.ok()) return Err::op_failed;
  // CVE-2015-8553: the MSI-X table lives in a BAR; with memory decoding off, touching it is a UR.
  // A VF's Memory Space Enable is hardwired to 0 (SR-IOV §3.4.1.3): its decoding is the PF's
  // VF MSE, which only the platform can see, so for a VF the platform checks it (pci_physfn()).
  if (!is_virtfn && (cmd.value() & reg::PCI_COMMAND_MEMORY) == 0) return Err::op_failed;
  const uint32_t table_size = (flags.value() & reg::PCI_MSIX_FLAGS_QSIZE) + 1;
  uint8_t seen[(reg::PCI_MSIX_FLAGS_QSIZE + 1) / 8] = {};
  uint16_t entries[wire::kMaxVec];
  for (uint32_t i = 0; i < n; ++i) {
    const uint16_t e = in.msix_entries[i].entry;
    if (e >= table_size || (seen[e / 8] & (1u << (e % 8))) != 0) return Err::op_failed;  // XSA-164 class
    seen[e / 8] = static_cast<uint8_t>(seen[e / 8] | (1u << (e % 8)));
    entries[i] = e;
  }
  uint32_t pirqs[wire::kMaxVec];
  if (dev.platform->enable_msix(entries, n, pirqs) != Err::success) return Err::op_failed;
  for (uint32_t i = 0; i < n; ++i) {
    if (pirqs[i] > 0xffff) {  // the wire carries 16 bits; never hand out a truncated PIRQ
      (void)dev.platform->disable_msix();
      return Err::op_failed;
    }
  }
  for (uint32_t i = 0; i < n; ++i) out.msix_entries[i].vector = static_cast<uint16_t>(pirqs[i]);
  dev.irq = ExportedDevice::Irq::msix;
  return Err::success;
}

Err Dispatcher::disable_msix(ExportedDevice& dev, uint32_t& value) {
  if (dev.irq != ExportedDevice::Irq::msix) return Err::op_failed;  // XSA-157
  if (dev.platform->disable_msix() != Err::success) return Err::op_failed;
  dev.irq = ExportedDevice::Irq::none;
  value = dev.platform->legacy_pirq();
  return Err::success;
}

}  // namespace pcisplit
