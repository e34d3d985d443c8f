// SPDX-License-Identifier: GPL-2.0-only
// What the backend writes back for each function libxl lists: the outcome of an export or a refusal,
// at the index libxl lists the entry now (found by what its keys read as, never trusted to stay at
// its index: libxl renumbers), and the reasons a refusal gives, read again for the message only.
#include "backend/instance.hpp"

namespace pcisplit {

namespace {

// Who an entry is, for a log line: its function when dev-N names one, else its index.
void name_entry(Text& out, uint32_t n, bool dev_ok, Bdf phys) {
  out.clear();
  if (dev_ok) xs::format_dev(out, phys);
  else out.add("device ").add_dec(n);
}

}  // namespace

// A key's value as read, for finding its entry again: FNV-1a of the text, or 0 (absent) or 1 (too
// long, or another status) for a value that has none.
uint32_t BackendInstance::raw_key(StoreStatus st, const char* text) {
  if (st == StoreStatus::not_found) return 0;
  if (st != StoreStatus::ok) return 1;
  uint32_t h = 2166136261u;
  for (const char* p = text; *p != '\0'; ++p) h = (h ^ static_cast<uint8_t>(*p)) * 16777619u;
  return h < 2 ? h + 2 : h;
}

// dev-N of a device being added is missing: refused with the parser's reason (read again for the
// message only).
void BackendInstance::refuse_bad_dev(uint32_t n, const ListedDev& d) {
  char buf[96];
  Text key, diag;
  Bdf phys;
  xs::key_name(key, xs::kDevPrefix, n);
  const bool have = read_key(key.c_str(), buf, sizeof buf);
  if (xs::parse_dev(key.c_str(), have ? buf : nullptr, phys, diag)) {
    diag.clear();
    diag.add("xenstore key ").add(key.c_str()).add(" changed while it was read");
  }
  refuse(n, d, diag.c_str());
}

// Why state-N or dev-N cannot be used, read again for the message (snapshot() keeps no text per
// index): the first of them that is too long or malformed.
void BackendInstance::why_unusable(uint32_t n, Text& why) {
  char buf[96];
  const char* const prefixes[] = {xs::kStatePrefix, xs::kDevPrefix};
  for (const char* prefix : prefixes) {
    Text key;
    xs::key_name(key, prefix, n);
    const StoreStatus st = read_key_status(key.c_str(), buf, sizeof buf);
    why.clear();
    if (st == StoreStatus::too_long) {
      why.add("xenstore key ").add(key.c_str()).add(": value too long");
      return;
    }
    if (st != StoreStatus::ok) continue;
    xs::State state;
    Bdf phys;
    const bool ok = prefix == xs::kStatePrefix ? xs::parse_state(key.c_str(), buf, state, why)
                                               : xs::parse_dev(key.c_str(), buf, phys, why);
    if (!ok) return;
  }
  why.clear();
  why.add("xenstore keys of device ").add_dec(n).add(" changed while they were read");
}

// Why opts-N of an index being added cannot be used, read again for the message only (the
// decision is the snapshot's).
void BackendInstance::why_opts(uint32_t n, Text& why) {
  char buf[96];
  Text key;
  xs::DevOpts opts;
  xs::key_name(key, xs::kOptsPrefix, n);
  const StoreStatus st = read_key_status(key.c_str(), buf, sizeof buf);
  why.clear();
  if (st == StoreStatus::ok && !xs::parse_opts(key.c_str(), buf, opts, why)) return;
  why.clear();
  why.add("xenstore key ").add(key.c_str()).add(": ");
  if (st == StoreStatus::ok || st == StoreStatus::not_found) why.add("changed while it was read");
  else why.add(store_status_name(st));
}

// The entry at index n (in the snapshot) is refused; the others go on.
void BackendInstance::refuse(uint32_t n, const ListedDev& d, const char* why) {
  Text msg;
  msg.add("backend: device ").add_dec(n);
  if (d.dev_ok) {
    Text dev;
    xs::format_dev(dev, d.phys);
    msg.add(" (").add(dev.c_str()).add(")");
  }
  host_.log(msg.add(" refused: ").add(why).c_str());
  write_outcome(n, d, Outcome{nullptr, xs::State::closed, why});
}

// Where, in transaction tx, libxl lists the entry the snapshot read at index `hint`: the index whose
// state-N and dev-N read as they did then (raw, parsed or not). `hint` when it still does, else the
// first that does (libxl's detach moves entries down, keeping their order); -1 when none does. A
// refused duplicate names the same function as its original, whose state has moved on.
StoreStatus BackendInstance::find_listed(TxId tx, uint32_t hint, const ListedDev& d, int& at) {
  Text path;
  char buf[96];
  path.add(be_path_).add("/");
  const size_t dir_len = path.size();
  StoreStatus st = StoreStatus::ok;
  auto raw = [&](const char* prefix, uint32_t n) {
    path.truncate(dir_len);
    path.add(prefix).add_dec(n);
    const StoreStatus r = store_.read(tx, path.c_str(), buf, sizeof buf);
    if (r != StoreStatus::ok && r != StoreStatus::not_found && r != StoreStatus::too_long) st = r;
    return raw_key(r, buf);
  };
  auto same = [&](uint32_t n) {
    return raw(xs::kStatePrefix, n) == d.state_raw && raw(xs::kDevPrefix, n) == d.dev_raw && st == StoreStatus::ok;
  };
  at = -1;
  if (same(hint)) {
    at = static_cast<int>(hint);
    return st;
  }
  if (st != StoreStatus::ok) return st;
  uint32_t count = 0;
  Text ignored = Text::discarding();
  path.truncate(dir_len);
  path.add(xs::kNumDevs);
  st = store_.read(tx, path.c_str(), buf, sizeof buf);
  if (st == StoreStatus::not_found) return StoreStatus::ok;  // no list: nothing lists it
  if (st != StoreStatus::ok) return st;
  if (!xs::parse_count(xs::kNumDevs, buf, xs::kMaxDevs, count, ignored)) return StoreStatus::ok;
  for (uint32_t n = 0; n < count && st == StoreStatus::ok; ++n) {
    if (n != hint && same(n)) at = static_cast<int>(n);
    if (at >= 0) break;
  }
  return st;
}

// Writes sync()'s decision for the entry read at index n where libxl lists it now, in one
// transaction: a detach renumbers the list, and may have committed since the snapshot. No write
// when the backend's directory is gone (as write_key()) or no index lists the entry any more (the
// next look releases what it held). Removing a stale error-N is best effort: it never holds up the
// outcome. False only in that last case, when the list was read and no index lists the entry.
bool BackendInstance::write_outcome(uint32_t n, const ListedDev& d, const Outcome& out) {
  struct Write {
    uint32_t n;
    const ListedDev& d;
    const Outcome& out;
    int at;  // where the entry is listed now; -1: nowhere (nothing written)
  } w{n, d, out, -1};
  const StoreStatus st = in_dir_tx(
      [](BackendInstance& self, TxId tx, void* arg) {
        Write& a = *static_cast<Write*>(arg);
        StoreStatus s = self.find_listed(tx, a.n, a.d, a.at);
        if (s != StoreStatus::ok || a.at < 0) return s;  // gone: an empty transaction commits
        Text path;
        auto key = [&](const char* prefix) {
          path.clear();
          path.add(self.be_path_).add("/").add(prefix).add_dec(static_cast<uint32_t>(a.at));
          return path.c_str();
        };
        if (a.out.vdev != nullptr) s = self.store_.write(tx, key(xs::kVdevPrefix), a.out.vdev);
        if (s == StoreStatus::ok && a.out.error != nullptr) s = self.store_.write(tx, key("error-"), a.out.error);
        if (s == StoreStatus::ok && a.out.error == nullptr) {
          char buf[16];
          const StoreStatus r = self.store_.read(tx, key("error-"), buf, sizeof buf);
          if (r == StoreStatus::ok || r == StoreStatus::too_long) (void)self.store_.remove(tx, path.c_str());
        }
        Text state;
        state.add_dec(static_cast<uint32_t>(a.out.state));
        if (s == StoreStatus::ok) s = self.store_.write(tx, key(xs::kStatePrefix), state.c_str());
        return s;
      },
      &w);
  if (st == StoreStatus::not_found) return true;  // the directory is gone: nothing to tell anyone (all goes back with it)
  const int at = w.at;
  if (st == StoreStatus::ok && static_cast<uint32_t>(at) == n) return true;
  Text msg, who;
  name_entry(who, n, d.dev_ok, d.phys);
  if (st != StoreStatus::ok) {
    msg.add("backend: cannot write the outcome for ").add(who.c_str()).add(": ").add(store_status_name(st));
  } else if (at < 0) {
    msg.add("backend: ").add(who.c_str()).add(" left the device list before its outcome was written");
  } else {
    msg.add("backend: ").add(who.c_str()).add(" moved from index ").add_dec(n).add(" to ").add_dec(static_cast<uint32_t>(at))
        .add(" (the toolstack renumbered the list); its outcome is written there");
  }
  host_.log(msg.c_str());
  return st != StoreStatus::ok || at >= 0;
}

}  // namespace pcisplit
