// SPDX-License-Identifier: GPL-2.0-only
// The C++ side of backend/linux/glue.h: the core's seams (ConfigAccess, DevicePlatform, BackendHost)
// implemented over the C glue's functions (Store: protocol/linux/kernel_store.hpp), and the C entry
// points into the core.
//
// Context: whatever the C caller is in; nothing here sleeps by itself, allocates per op, or keeps
// state between calls other than in the objects the glue owns. Locking is the C side's (see the
// header comment of pciback.h): every call into one pcisplit_be is made under that
// backend's mutex, except pcisplit_be_event (the guest's op) under its op_lock, which the core
// also takes itself (BackendHost::lock_ops); every call into one pcisplit_fn under its device's
// op mutex.
#include "backend/linux/glue.h"

#include "backend/reset.hpp"
#include "backend/slots.hpp"
#include "backend/instance.hpp"
#include "protocol/linux/kernel_store.hpp"
#include "protocol/linux/store_glue.h"
#include "protocol/linux/cxx_runtime.hpp"
#include "conf_space/device.hpp"
#include "quirks/quirks.hpp"

// The glue's C names for what crosses the seam are the core's values.
static_assert(PCISPLIT_EFFECT_ENABLE_DEVICE == static_cast<int>(pcisplit::EffectKind::enable_device));
static_assert(PCISPLIT_EFFECT_DISABLE_DEVICE == static_cast<int>(pcisplit::EffectKind::disable_device));
static_assert(PCISPLIT_EFFECT_SET_MASTER == static_cast<int>(pcisplit::EffectKind::set_master));
static_assert(PCISPLIT_EFFECT_CLEAR_MASTER == static_cast<int>(pcisplit::EffectKind::clear_master));
static_assert(PCISPLIT_EFFECT_SET_POWER_STATE == static_cast<int>(pcisplit::EffectKind::set_power_state));
static_assert(PCISPLIT_EFFECT_SET_READRQ == static_cast<int>(pcisplit::EffectKind::set_readrq));
using AerResult = pcisplit::BackendInstance::AerResult;
using AerPost = pcisplit::BackendInstance::AerPost;
static_assert(PCISPLIT_AER_POSTED == static_cast<int>(AerPost::posted));
static_assert(PCISPLIT_AER_NO_HANDLER == static_cast<int>(AerPost::no_handler));
static_assert(PCISPLIT_AER_BUSY == static_cast<int>(AerPost::busy));
static_assert(PCISPLIT_AER_NOT_HELD == static_cast<int>(AerPost::not_held));
static_assert(PCISPLIT_ERS_NONE == static_cast<int>(AerResult::none));
static_assert(PCISPLIT_ERS_CAN_RECOVER == static_cast<int>(AerResult::can_recover));
static_assert(PCISPLIT_ERS_NEED_RESET == static_cast<int>(AerResult::need_reset));
static_assert(PCISPLIT_ERS_DISCONNECT == static_cast<int>(AerResult::disconnect));
static_assert(PCISPLIT_ERS_RECOVERED == static_cast<int>(AerResult::recovered));

namespace pcisplit {
namespace {

void put_diag(char* out, size_t cap, const Text& diag) {
  if (out != nullptr && cap != 0) copy_cstr(out, cap, diag.c_str());
}

// Config space of one bound function, through pci_read/write_config_*.
class KernelConfig final : public ConfigAccess {
 public:
  explicit KernelConfig(pcisplit_dev* dev) : dev_(dev) {}
  Result<uint32_t> read(uint16_t offset, uint8_t width) override {
    uint32_t v = 0;
    const int rc = pcisplit_kcfg_read(dev_, offset, width, &v);
    if (rc != 0) return static_cast<Err>(rc);
    return v;
  }
  Err write(uint16_t offset, uint8_t width, uint32_t value) override {
    return static_cast<Err>(pcisplit_kcfg_write(dev_, offset, width, value));
  }
  uint16_t size() const override { return size_; }
  void set_size(uint16_t s) { size_ = s; }

 private:
  pcisplit_dev* dev_;
  uint16_t size_ = 256;
};

class KernelPlatform final : public DevicePlatform {
 public:
  explicit KernelPlatform(pcisplit_dev* dev) : dev_(dev) {}
  Err apply(const Effect& e) override {
    return pcisplit_kplat_effect(dev_, static_cast<int>(e.kind), e.arg) == 0 ? Err::success : Err::op_failed;
  }
  Result<uint32_t> enable_msi(uint32_t nvec) override {
    uint32_t pirq = 0;
    const int rc = pcisplit_kplat_enable_msi(dev_, nvec, &pirq);
    if (rc != 0) return Err::op_failed;
    return pirq;
  }
  Err disable_msi() override { return pcisplit_kplat_disable_msi(dev_) == 0 ? Err::success : Err::op_failed; }
  Err enable_msix(const uint16_t* entries, uint32_t n, uint32_t* pirqs) override {
    return pcisplit_kplat_enable_msix(dev_, entries, n, pirqs) == 0 ? Err::success : Err::op_failed;
  }
  Err disable_msix() override { return pcisplit_kplat_disable_msix(dev_) == 0 ? Err::success : Err::op_failed; }
  uint32_t legacy_pirq() override { return pcisplit_kplat_legacy_pirq(dev_); }

 private:
  pcisplit_dev* dev_;
};

}  // namespace
}  // namespace pcisplit

// The objects behind the opaque handles.
struct pcisplit_fn {
  explicit pcisplit_fn(pcisplit_dev* dev) : cfg(dev), platform(dev) {}
  pcisplit::KernelConfig cfg;
  pcisplit::KernelPlatform platform;
  pcisplit::DeviceView view;
};

namespace pcisplit {
namespace {

class KernelHost final : public BackendHost {
 public:
  explicit KernelHost(pcisplit_backend* host) : host_(host) {}
  Err connect(uint16_t, uint32_t gref, uint32_t port, volatile wire::SharedInfo** page) override {
    void* p = nullptr;
    if (pcisplit_khost_connect(host_, gref, port, &p) != 0 || p == nullptr) return Err::op_failed;
    page_ = static_cast<volatile wire::SharedInfo*>(p);
    *page = page_;
    return Err::success;
  }
  void disconnect() override {
    page_ = nullptr;
    pcisplit_khost_disconnect(host_);
  }
  void notify() override { pcisplit_khost_notify(host_); }
  Err export_device(Bdf phys, const xs::DevOpts& opts, PhysFunction& fn, DeviceView*& view,
                    DevicePlatform*& platform, Text& diag) override {
    char why[Text::kCapacity] = {};
    pcisplit_fn* f = nullptr;
    int bridge = 0, virtfn = 0;
    const int rc = pcisplit_khost_export(host_, phys.domain, phys.bus, phys.devfn, opts.permissive ? 1 : 0, &f,
                                         &bridge, &virtfn, why, sizeof why);
    if (rc != 0 || f == nullptr) {
      diag.clear();
      diag.add(why);
      return rc != 0 ? static_cast<Err>(rc) : Err::op_failed;
    }
    fn = PhysFunction{phys, bridge != 0, virtfn != 0};
    view = &f->view;
    platform = &f->platform;
    return Err::success;
  }
  void release_device(Bdf phys) override { pcisplit_khost_release(host_, phys.domain, phys.bus, phys.devfn); }
  void destroy_domain(uint16_t domid) override { pcisplit_khost_destroy_domain(host_, domid); }
  void log(const char* message) override { pcisplit_khost_log(host_, message); }
  void arm_timer(uint32_t ms) override { pcisplit_khost_arm_timer(host_, ms); }
  void lock_ops() override { pcisplit_khost_lock_ops(host_); }
  void unlock_ops() override { pcisplit_khost_unlock_ops(host_); }
  volatile wire::SharedInfo* page() const { return page_; }

 private:
  pcisplit_backend* host_;
  volatile wire::SharedInfo* page_ = nullptr;
};

}  // namespace
}  // namespace pcisplit

struct pcisplit_be {
  pcisplit_be(pcisplit_backend* h, uint16_t domid, bool passthrough)
      : store(h), host(h),
        instance(store, host, domid, passthrough ? pcisplit::Topology::Mode::passthrough : pcisplit::Topology::Mode::vpci) {}
  pcisplit::KernelStore store;
  pcisplit::KernelHost host;
  pcisplit::BackendInstance instance;
};

using namespace pcisplit;

namespace {

constinit MemoryConfig g_selftest_cfg{256};
constinit DeviceView g_selftest_view;

void to_c(const SlotPattern& p, pcisplit_slot* out) {
  out->domain = p.domain;
  out->bus = p.bus;
  out->slot = p.slot;
  out->fn = p.fn;
}

}  // namespace

// Builds a view over an in-memory config space and reads it back through the engine: a load-time
// proof that the core linked into this module works (vtables, constant initialisation, helpers).
extern "C" int pcisplit_core_selftest(void) {
  uint8_t* b = g_selftest_cfg.bytes();
  b[0] = 0x86;
  b[1] = 0x80;
  b[2] = 0xd3;
  b[3] = 0x10;
  DeviceInfo info;
  info.bar_size[0] = 0x20000;
  b[0x13] = 0xfe;
  Text diag;
  if (g_selftest_view.build(g_selftest_cfg, info, Policy{}, diag) != Err::success) return -1;
  if (g_selftest_view.read(0, 4).value() != 0x10d38086) return -2;
  g_selftest_view.write(0x10, 4, 0xffffffff);
  if (g_selftest_view.read(0x10, 4).value() != 0xfffe0000) return -3;
  if (g_selftest_cfg.bytes()[0x10] != 0 || g_selftest_cfg.bytes()[0x13] != 0xfe) return -4;
  return 0;
}

extern "C" pcisplit_fn* pcisplit_fn_alloc(pcisplit_dev* dev) {
  void* mem = operator new(sizeof(pcisplit_fn), std::nothrow_t{});
  return mem == nullptr ? nullptr : new (mem) pcisplit_fn(dev);
}

extern "C" void pcisplit_fn_free(pcisplit_fn* fn) { delete fn; }

extern "C" int pcisplit_fn_build(pcisplit_fn* fn, const pcisplit_fn_info* info, int permissive,
                                 int allow_interrupt_control, char* diag, size_t cap) {
  DeviceInfo di;
  for (int i = 0; i < 6; ++i) di.bar_size[i] = info->bar_size[i];
  di.rom_size = info->rom_size;
  di.rom_decodes = info->rom_decodes != 0;
  di.irq = info->irq;
  fn->cfg.set_size(info->cfg_size);
  Policy policy;
  policy.permissive = permissive != 0;
  policy.allow_interrupt_control = allow_interrupt_control != 0;
  Text why;
  Err err = fn->view.build(fn->cfg, di, policy, why);
  if (err == Err::success) err = quirks::apply_builtin(fn->view, why);
  put_diag(diag, cap, why);
  return static_cast<int>(err);
}

extern "C" void pcisplit_fn_set_policy(pcisplit_fn* fn, int permissive, int allow_interrupt_control) {
  Policy policy;
  policy.permissive = permissive != 0;
  policy.allow_interrupt_control = allow_interrupt_control != 0;
  fn->view.set_policy(policy);
}

static_assert(PCISPLIT_MAX_QUIRKS == DeviceView::kMaxQuirks, "every quirk the glue's list takes must fit the view");

extern "C" int pcisplit_fn_add_quirk(pcisplit_fn* fn, uint16_t reg, uint8_t size, uint32_t mask, char* diag,
                                     size_t cap) {
  Text why;
  const Err err = fn->view.add_quirk(quirks::passthrough_field(reg, size, mask), why);
  put_diag(diag, cap, why);
  return static_cast<int>(err);
}

extern "C" uint64_t pcisplit_fn_denials(pcisplit_fn* fn) { return fn->view.total_denials(); }

extern "C" unsigned int pcisplit_fn_denied_regs(pcisplit_fn* fn, uint16_t* offsets, uint32_t* counts,
                                                unsigned int max) {
  unsigned int n = 0;
  for (uint16_t off = 0; off < reg::PCI_CFG_SPACE_EXP_SIZE; off = static_cast<uint16_t>(off + 4)) {
    const uint32_t c = fn->view.denials(off);
    if (c == 0) continue;
    if (n < max) {
      offsets[n] = off;
      counts[n] = c;
    }
    ++n;
  }
  return n;
}

static_assert(PCISPLIT_RESET_SECONDARY_BUS == static_cast<int>(ResetMethod::secondary_bus));
static_assert(PCISPLIT_RESET_KERNEL_OTHER == static_cast<int>(ResetMethod::kernel_other));
static_assert(PCISPLIT_RESET_METHODS == static_cast<int>(kResetMethods));
static_assert(sizeof(pcisplit_reset_facts::kernel) == ResetFacts::kKernelMax);

extern "C" int pcisplit_reset_plan(const pcisplit_reset_facts* in, const char* why_not[PCISPLIT_RESET_METHODS],
                                   int* disabled_by_admin) {
  ResetFacts f;
  for (size_t i = 0; i < ResetFacts::kKernelMax; ++i) f.kernel[i] = in->kernel[i];
  f.pcie = in->pcie != 0;
  f.flr_cap = in->flr_cap != 0;
  f.af_flr_cap = in->af_flr_cap != 0;
  f.pm_cap = in->pm_cap != 0;
  f.no_soft_reset = in->no_soft_reset != 0;
  f.root_bus = in->root_bus != 0;
  f.is_bridge = in->is_bridge != 0;
  f.no_bus_reset = in->no_bus_reset != 0;
  f.reached = in->reached;
  f.reached_not_ours = in->reached_not_ours;
  const ResetPlan plan = plan_reset(f);
  for (size_t m = 0; m < kResetMethods; ++m) why_not[m] = plan.why_not[m];
  *disabled_by_admin = plan.disabled_by_admin ? 1 : 0;
  return static_cast<int>(plan.method);
}

extern "C" const char* pcisplit_reset_method_name(int method) {
  return reset_method_name(static_cast<ResetMethod>(method));
}

extern "C" int pcisplit_reset_came_back(const uint32_t* bind, const uint32_t* now, char* diag, size_t cap) {
  Text why;
  const bool ok = reset_came_back(bind, now, why);
  put_diag(diag, cap, why);
  return ok ? 0 : -PCISPLIT_EIO;
}

extern "C" int pcisplit_parse_slot(const char* text, pcisplit_slot* out, char* diag, size_t cap) {
  SlotPattern p;
  Text why;
  const bool ok = parse_slot(text, p, why);
  put_diag(diag, cap, why);
  if (!ok) return -PCISPLIT_EINVAL;
  to_c(p, out);
  return 0;
}

namespace {
constinit SeizeList g_seize;  // under pcisplit_devs_lock (glue.h)
}  // namespace

extern "C" int pcisplit_seize_hide(const char* text, char* diag, size_t dcap) {
  Text why;
  const bool ok = parse_hide(text, g_seize, why);
  put_diag(diag, dcap, why);
  return ok ? 0 : -PCISPLIT_EINVAL;
}

extern "C" int pcisplit_seize_add(const pcisplit_slot* s) {
  return g_seize.add(SlotPattern{s->domain, s->bus, s->slot, s->fn}) ? 1 : 0;
}

extern "C" unsigned int pcisplit_seize_remove(const pcisplit_slot* s) {
  return g_seize.remove(SlotPattern{s->domain, s->bus, s->slot, s->fn});
}

extern "C" int pcisplit_seize_has(uint16_t domain, uint8_t bus, uint8_t devfn) {
  return g_seize.contains(Bdf{domain, bus, devfn}) ? 1 : 0;
}

extern "C" void pcisplit_seize_for_each(void (*fn)(void* ctx, uint16_t domain, uint8_t bus, uint8_t devfn),
                                        void* ctx) {
  g_seize.for_each([&](Bdf b) { fn(ctx, b.domain, b.bus, b.devfn); });
}

extern "C" int pcisplit_parse_quirk(const char* text, uint16_t cfg_size, pcisplit_slot* bdf, uint16_t* reg,
                                    uint8_t* size, uint32_t* mask, char* diag, size_t cap) {
  quirks::SysfsQuirk q;
  Text why;
  const bool ok = quirks::parse_sysfs(text, cfg_size, q, why);
  put_diag(diag, cap, why);
  if (!ok) return -PCISPLIT_EINVAL;
  bdf->domain = q.bdf.domain;
  bdf->bus = q.bdf.bus;
  bdf->slot = q.bdf.slot();
  bdf->fn = q.bdf.fn();
  *reg = q.reg;
  *size = q.size;
  *mask = q.mask;
  return 0;
}

extern "C" pcisplit_be* pcisplit_be_alloc(pcisplit_backend* host, uint16_t domid, int passthrough) {
  void* mem = operator new(sizeof(pcisplit_be), std::nothrow_t{});
  return mem == nullptr ? nullptr : new (mem) pcisplit_be(host, domid, passthrough != 0);
}

extern "C" void pcisplit_be_free(pcisplit_be* be) { delete be; }

extern "C" int pcisplit_be_start(pcisplit_be* be) {
  return be->instance.start() == StoreStatus::ok ? 0 : -PCISPLIT_EINVAL;
}

extern "C" void pcisplit_be_stop(pcisplit_be* be) { be->instance.stop(); }

extern "C" int pcisplit_be_state(pcisplit_be* be) { return static_cast<int>(be->instance.state()); }

extern "C" void pcisplit_be_watch_fired(pcisplit_be* be, const char* path, const char* token) {
  be->instance.watch_fired(path, token);
}

namespace {

// One line per op and answer, from the dispatcher's own copy (never the guest's page again).
void log_op(pcisplit_be* be, const Dispatcher::Record& r) {
  Text t;
  t.add("op cmd ").add_dec(r.cmd).add(" ").add_hex(r.domain, 4).add(":").add_hex(r.bus, 2).add(":");
  t.add_hex(r.devfn >> 3, 2).add(".").add_dec(r.devfn & 7).add(" offset 0x").add_hex(static_cast<uint32_t>(r.offset), 3);
  t.add(" size ").add_dec(static_cast<uint32_t>(r.size)).add(" value 0x").add_hex(r.value_in, 8);
  t.add(" -> value 0x").add_hex(r.value_out, 8).add(" err ").add_dec(static_cast<uint32_t>(r.err));
  be->host.log(t.c_str());
}

}  // namespace

extern "C" void pcisplit_be_timer(pcisplit_be* be) { be->instance.timer_fired(); }

extern "C" int pcisplit_be_event(pcisplit_be* be, int verbose) {
  const bool done = be->instance.on_event();
  if (verbose != 0 && done) log_op(be, be->instance.dispatcher().last());
  return done ? 1 : 0;
}

extern "C" int pcisplit_be_aer_post(pcisplit_be* be, uint16_t domain, uint8_t bus, uint8_t devfn, uint32_t cmd,
                                    int32_t state) {
  return static_cast<int>(be->instance.aer_post(Bdf{domain, bus, devfn}, static_cast<wire::Cmd>(cmd), state));
}

extern "C" int pcisplit_be_aer_answered(pcisplit_be* be) { return be->instance.aer_answered() ? 1 : 0; }

extern "C" int pcisplit_be_aer_finish(pcisplit_be* be, int timed_out) {
  return static_cast<int>(be->instance.aer_finish(timed_out != 0));
}

extern "C" int pcisplit_be_aer_kill(pcisplit_be* be, uint16_t domain, uint8_t bus, uint8_t devfn) {
  return be->instance.aer_kill(Bdf{domain, bus, devfn}) ? 1 : 0;
}
