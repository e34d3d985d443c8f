// SPDX-License-Identifier: GPL-2.0-only
// The functions a backend instance holds for its guest: libxl's list read in one transaction, each
// listed function exported or refused, the ones no longer listed released (by BDF, never by index:
// libxl renumbers), and the roots published for the frontend. What is written back at each index
// (outcomes, refusals) is in outcome.cpp.
#include "backend/instance.hpp"

namespace pcisplit {

namespace {

// Turns the guest's interrupts off and forgets its shadow state; the function stays placed.
void quiesce(ExportedDevice& dev) {
  if (dev.irq == ExportedDevice::Irq::msi) (void)dev.platform->disable_msi();
  if (dev.irq == ExportedDevice::Irq::msix) (void)dev.platform->disable_msix();
  dev.irq = ExportedDevice::Irq::none;
  if (dev.view != nullptr) dev.view->reset();
}

}  // namespace

// Reads num_devs and every state-N, dev-N and vdev-N in one transaction: libxl's renumbering commits
// wholly before or after it, so a function is never "missing" because the list moved under the scan.
BackendInstance::Snap BackendInstance::snapshot(Text& diag) {
  // Every path is "<be_path_>/<prefix><n>": the directory and each prefix are written once, and
  // each index replaces the last one after them (a snapshot reads up to 3 * num_devs + 1 keys, on
  // every watch firing). The keys are read prefix by prefix: in one transaction the order is moot.
  Text path;
  Text ignored = Text::discarding();  // garbage in a key is only "unknown" here: no reason is formatted
  path.add(be_path_).add("/");
  const size_t dir_len = path.size();
  const char* const key = path.c_str() + dir_len;
  StoreStatus st = StoreStatus::again;
  for (int attempt = 0; attempt < kTxRetries && st == StoreStatus::again; ++attempt) {
    TxId tx = kNoTx;
    if (store_.begin(tx) != StoreStatus::ok) return Snap::retry;
    char buf[96];
    path.truncate(dir_len);
    path.add(xs::kNumDevs);
    st = store_.read(tx, path.c_str(), buf, sizeof buf);
    if (st != StoreStatus::ok || !xs::parse_count(xs::kNumDevs, buf, xs::kMaxDevs, nlisted_, diag)) {
      store_.abort(tx);
      if (st == StoreStatus::ok || st == StoreStatus::not_found) return Snap::fatal;
      return Snap::retry;
    }
    for (uint32_t n = 0; n < nlisted_; ++n) listed_[n] = ListedDev{};
    const char* const prefixes[] = {xs::kStatePrefix, xs::kDevPrefix, xs::kVdevPrefix};
    for (const char* prefix : prefixes) {
      path.truncate(dir_len);
      path.add(prefix);
      const size_t prefix_len = path.size();
      for (uint32_t n = 0; n < nlisted_ && st == StoreStatus::ok; ++n) {
        ListedDev& d = listed_[n];
        path.truncate(prefix_len);
        path.add_dec(n);
        st = store_.read(tx, path.c_str(), buf, sizeof buf);
        if (prefix == xs::kStatePrefix) d.state_raw = raw_key(st, buf);
        if (prefix == xs::kDevPrefix) d.dev_raw = raw_key(st, buf);
        if (st == StoreStatus::not_found) {
          st = StoreStatus::ok;  // absent: that key says nothing
          continue;
        }
        if (st == StoreStatus::too_long) {  // there, but longer than any value libxl writes
          st = StoreStatus::ok;
          if (prefix != xs::kVdevPrefix) d.unusable = true;  // (vdev-N is ours: only compared)
          continue;
        }
        if (st != StoreStatus::ok) {  // a store failure is no evidence: nothing is decided
          diag.clear();
          diag.add("xenstore key ").add(key).add(": ").add(store_status_name(st));
          break;
        }
        if (prefix == xs::kStatePrefix && !xs::parse_state(key, buf, d.state, ignored)) {
          d.state = xs::State::unknown;
          d.unusable = true;
        }
        if (prefix == xs::kDevPrefix) {
          d.dev_ok = xs::parse_dev(key, buf, d.phys, ignored);
          if (!d.dev_ok) d.unusable = true;
        }
        if (prefix == xs::kVdevPrefix) d.vdev_ok = xs::parse_vdev(key, buf, d.virt, ignored);
      }
      if (st != StoreStatus::ok) break;
    }
    // opts-N of each index being added, in the same transaction: libxl's renumbering may commit
    // before export_one() runs, and a later read at index N could give this function another's
    // options (or none: permissive dropped without a word).
    path.truncate(dir_len);
    path.add(xs::kOptsPrefix);
    const size_t opts_len = path.size();
    for (uint32_t n = 0; n < nlisted_ && st == StoreStatus::ok; ++n) {
      ListedDev& d = listed_[n];
      if (d.state != xs::State::initialising || !d.dev_ok || d.unusable) continue;
      path.truncate(opts_len);
      path.add_dec(n);
      d.opts_read = store_.read(tx, path.c_str(), buf, sizeof buf);
      if (d.opts_read == StoreStatus::ok) d.opts_ok = xs::parse_opts(key, buf, d.opts, ignored);
      if (d.opts_read == StoreStatus::again) st = StoreStatus::again;  // (only commit says so today)
    }
    if (st != StoreStatus::ok) {
      store_.abort(tx);
      return Snap::retry;
    }
    st = store_.commit(tx);
  }
  return st == StoreStatus::ok ? Snap::ok : Snap::retry;
}

bool BackendInstance::sync(Sync mode, bool* changed) {
  const uint32_t before = changes_;
  if (changed != nullptr) *changed = false;
  Text diag;
  const Snap snap = snapshot(diag);
  if (snap == Snap::fatal) {
    fatal(diag.size() != 0 ? diag.c_str() : "backend: missing num_devs");
    return false;
  }
  if (snap == Snap::retry) {  // the store failed: change nothing; the next watch firing tries again
    Text msg;
    msg.add("backend: cannot read the device list");
    if (diag.size() != 0) msg.add(" (").add(diag.c_str()).add(")");
    host_.log(msg.add("; nothing changed").c_str());
    return true;
  }
  // Which held functions the list still names as the guest's. One bit per topology slot; a function
  // released below, or named nowhere, loses its bit.
  bool listed[Topology::kMaxDevices] = {};
  bool hold_releases = false;
  for (uint32_t n = 0; n < nlisted_; ++n) {
    const ListedDev& d = listed_[n];
    const bool adding = d.state == xs::State::initialising && (mode == Sync::add || mode == Sync::reconfigure);
    if (d.unusable) {
      // state-N or dev-N is there but cannot be used (malformed, too long): a toolstack's slip must
      // not take a function from a running guest. The function a well-formed dev-N names stays the
      // guest's, and while the index may name a held function (anything but our own refusal,
      // Closed) nothing on this list is released. An index being added is refused with the reason.
      const int held = d.dev_ok ? topology_.find_phys(d.phys) : -1;
      if (held >= 0) listed[held] = true;
      if (d.state == xs::State::closed) continue;
      hold_releases = true;
      Text why, msg;
      why_unusable(n, why);
      const bool new_index = d.state == xs::State::initialising || d.state == xs::State::unknown;
      if (held < 0 && new_index && (mode == Sync::add || mode == Sync::reconfigure)) {
        refuse(n, d, why.c_str());
      } else {
        msg.add("backend: device ").add_dec(n).add(": ").add(why.c_str()).add("; kept as it was");
        host_.log(msg.c_str());
      }
      continue;
    }
    if (d.state == xs::State::unknown) continue;
    if (!d.dev_ok) {
      if (adding) refuse_bad_dev(n, d);
      continue;
    }
    const int held = topology_.find_phys(d.phys);
    if (d.state == xs::State::closing || d.state == xs::State::closed) {
      // Given back once the frontend has followed into Reconfiguring (it first removes the device
      // from the guest), or at once while no frontend is connected (Sync::add); until then it
      // stays the guest's. Closed is only taken from an index that
      // names the held function's guest address too: our own refusals write Closed (6), and a
      // refused duplicate must not take the original with it.
      const bool ours = held >= 0 && (d.state == xs::State::closing || (d.vdev_ok && topology_.virt(held) == d.virt));
      if (ours && mode != Sync::release_only) release(d.phys);
      else if (held >= 0) listed[held] = true;
      continue;
    }
    if (held >= 0) {
      if (adding && listed[held]) {
        refuse(n, d, "device listed twice for this guest");
        continue;
      }
      if (adding) {
        // Held, yet its index still says Initialising: the write of its outcome failed (logged
        // then). Written again, so the frontend is not left waiting for a function it has.
        Text v;
        xs::format_vdev(v, topology_.virt(held));
        write_outcome(n, d, Outcome{v.c_str(), xs::State::initialised, nullptr});
      }
      listed[held] = true;
      continue;
    }
    if (adding && export_one(n, d)) listed[topology_.find_phys(d.phys)] = true;
  }
  // Named by no dev-N in a consistent read: the toolstack removed it.
  for (int i = 0; i < topology_.end(); ++i) {
    if (!topology_.in_use(i) || listed[i]) continue;
    if (hold_releases) {
      Text dev, msg;
      xs::format_dev(dev, topology_.phys(i).bdf);
      msg.add("backend: ").add(dev.c_str()).add(" not released: the device list has keys it cannot use (above)");
      host_.log(msg.c_str());
      continue;
    }
    release(topology_.phys(i).bdf);
  }
  if (changed != nullptr) *changed = changes_ != before;
  return true;
}

bool BackendInstance::export_one(uint32_t n, const ListedDev& d) {
  Text diag;
  // Absent: the defaults. Present: it must parse. Unreadable (too long, denied): refused, never
  // taken as absent, which would drop an option such as permissive without a word.
  bool ok = d.opts_read == StoreStatus::not_found || (d.opts_read == StoreStatus::ok && d.opts_ok);
  const xs::DevOpts opts = d.opts_read == StoreStatus::ok ? d.opts : xs::DevOpts{};
  if (!ok) why_opts(n, diag);
  PhysFunction fn;
  DeviceView* view = nullptr;
  DevicePlatform* platform = nullptr;
  if (ok) ok = host_.export_device(d.phys, opts, fn, view, platform, diag) == Err::success;
  if (ok) {
    Result<Bdf> virt = Err::op_failed;
    {
      OpsLock ops(host_);
      virt = topology_.add(fn, diag);
      if (virt.ok()) dispatcher_.attach(topology_.find_phys(fn.bdf), view, platform);
    }
    if (!virt.ok()) {
      host_.release_device(d.phys);
      ok = false;
    } else {
      ++changes_;
      Text v;
      xs::format_vdev(v, virt.value());
      // Initialised: exported, the frontend may use it; any error-N was a refusal of whatever
      // libxl had at this index before. An entry libxl detached or removed meanwhile gets no
      // vdev-N, so the frontend could never find it to remove it: not exported after all.
      if (!write_outcome(n, d, Outcome{v.c_str(), xs::State::initialised, nullptr})) {
        release(d.phys);
        return false;
      }
    }
  }
  if (!ok) refuse(n, d, diag.c_str());
  return ok;
}

// Gives one function back to dom0. Nothing is written to state-N: the frontend reads Closing there
// to find what to remove, and libxl deletes the keys once the backend is Connected again.
void BackendInstance::release(Bdf phys) {
  const int index = topology_.find_phys(phys);
  if (index < 0) return;
  {
    OpsLock ops(host_);
    // The guest may be gone with interrupts on: turn them off before the function is reset.
    quiesce(dispatcher_.device(index));
    dispatcher_.detach(index);
    (void)topology_.remove(phys);
  }
  // No op reaches the function any more: its reset does not hold up the guest's other functions.
  host_.release_device(phys);
  ++changes_;
}

// After disconnect(): with the channel closed no guest op can turn an interrupt back on between
// this and the next connect (each takes the ops lock on its own).
void BackendInstance::quiesce_all() {
  OpsLock ops(host_);
  for (int i = 0; i < topology_.end(); ++i) {
    if (topology_.in_use(i)) quiesce(dispatcher_.device(i));
  }
}

void BackendInstance::release_all() {
  for (int i = 0; i < topology_.end(); ++i) {
    if (topology_.in_use(i)) release(topology_.phys(i).bdf);
  }
}

void BackendInstance::publish_roots() {
  const uint16_t count = topology_.root_count();
  for (uint16_t k = 0; k < count; ++k) {
    const Bdf r = topology_.root(k);
    Text v;
    xs::format_root(v, r.domain, r.bus);
    write_indexed(xs::kRootPrefix, k, v.c_str());
  }
  Text v;
  v.add_dec(count);
  write_key(xs::kRootNum, v.c_str());
}

}  // namespace pcisplit