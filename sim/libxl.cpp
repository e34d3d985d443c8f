// SPDX-License-Identifier: GPL-2.0-only
// libxl's PCI xenstore sequences for the simulator (see libxl.hpp).
#include "sim/libxl.hpp"

#include <cstdio>
#include <functional>

namespace pcisplit::sim {

std::string bdf_key(Bdf phys) {
  char buf[16];
  std::snprintf(buf, sizeof buf, "%04x:%02x:%02x.%x", phys.domain, phys.bus, phys.slot(), phys.fn());
  return buf;
}

Libxl::Libxl(Connection& dom0, DomId guest) : xs_(dom0), guest_(guest) {
  be_ = "/local/domain/0/backend/pci/" + std::to_string(guest) + "/0";
  fe_ = "/local/domain/" + std::to_string(guest) + "/device/pci/0";
}

StoreStatus Libxl::commit_retrying(const std::function<void(TxId)>& body) {
  for (int attempt = 0; attempt < 16; ++attempt) {
    TxId tx = kNoTx;
    StoreStatus st = xs_.begin(tx);
    if (st != StoreStatus::ok) return st;
    body(tx);
    st = xs_.commit(tx);
    if (st != StoreStatus::again) return st;
  }
  return StoreStatus::again;
}

int Libxl::num_devs() {
  std::string v;
  return xs_.read(be_ + "/num_devs", v) == StoreStatus::ok ? std::stoi(v) : -1;
}

int Libxl::index_of(Bdf phys) {
  const int num = num_devs();
  for (int i = 0; i < num; ++i) {
    std::string v;
    if (xs_.read(be_ + "/dev-" + std::to_string(i), v) == StoreStatus::ok && v == bdf_key(phys)) return i;
  }
  return -1;
}

StoreStatus Libxl::add_device(Bdf phys, bool starting, bool permissive) {
  const int existing = num_devs();
  const int num = existing < 0 ? 0 : existing;
  const std::string n = std::to_string(num);
  if (existing < 0) {
    // libxl removes, creates and sets the permissions of both directories inside the transaction
    // below; the simulator has no transactional set_perms, so that part comes just before it.
    (void)xs_.remove(kNoTx, be_.c_str());
    (void)xs_.remove(kNoTx, fe_.c_str());
    (void)xs_.write(kNoTx, be_.c_str(), "");
    (void)xs_.set_perms(be_, Perms{0, Perm::none, {{guest_, Perm::read}}});
    (void)xs_.write(kNoTx, fe_.c_str(), "");
    (void)xs_.set_perms(fe_, Perms{guest_, Perm::none, {{0, Perm::read}}});
  }
  const StoreStatus st = commit_retrying([&](TxId tx) {
    auto put = [&](const std::string& path, const std::string& value) {
      (void)xs_.write(tx, path.c_str(), value.c_str());
    };
    if (existing < 0) {  // the first device creates the backend (libxl__create_pci_backend)
      put(be_ + "/frontend", fe_);
      put(be_ + "/frontend-id", std::to_string(guest_));
      put(be_ + "/online", "1");
      put(be_ + "/state", "1");
      put(be_ + "/domain", "guest" + std::to_string(guest_));
      put(fe_ + "/backend", be_);
      put(fe_ + "/backend-id", "0");
      put(fe_ + "/state", "1");
    }
    put(be_ + "/key-" + n, bdf_key(phys));
    put(be_ + "/dev-" + n, bdf_key(phys));
    put(be_ + "/opts-" + n, std::string("msitranslate=0,power_mgmt=0,permissive=") + (permissive ? "1" : "0") +
                                ",rdm_policy=strict");
    put(be_ + "/state-" + n, "1");
    put(be_ + "/num_devs", std::to_string(num + 1));
    if (num != 0 && !starting) put(be_ + "/state", "7");
  });
  return st;
}

StoreStatus Libxl::remove_begin(Bdf phys) {
  const int i = index_of(phys);
  if (i < 0) return StoreStatus::not_found;
  return commit_retrying([&](TxId tx) {
    (void)xs_.write(tx, (be_ + "/state-" + std::to_string(i)).c_str(), "5");
    (void)xs_.write(tx, (be_ + "/state").c_str(), "7");
  });
}

StoreStatus Libxl::remove_finish(Bdf phys) {
  const int i = index_of(phys);
  const int num = num_devs();
  if (i < 0) return StoreStatus::not_found;
  static const char* const kKeys[] = {"state-", "key-", "dev-", "vdev-", "opts-", "vdevfn-", "name-"};
  const StoreStatus st = commit_retrying([&](TxId tx) {
    for (const char* k : kKeys) (void)xs_.remove(tx, (be_ + "/" + k + std::to_string(i)).c_str());
    (void)xs_.write(tx, (be_ + "/num_devs").c_str(), std::to_string(num - 1).c_str());
    for (int j = i + 1; j < num; ++j) {
      for (const char* k : kKeys) {
        const std::string from = be_ + "/" + k + std::to_string(j);
        std::string v;
        if (xs_.read(from, v, tx) != StoreStatus::ok) continue;
        (void)xs_.write(tx, (be_ + "/" + k + std::to_string(j - 1)).c_str(), v.c_str());
        (void)xs_.remove(tx, from.c_str());
      }
    }
  });
  if (st == StoreStatus::ok && num == 1) {  // libxl__device_destroy: both directories go
    (void)xs_.remove(kNoTx, be_.c_str());
    (void)xs_.remove(kNoTx, fe_.c_str());
  }
  return st;
}

}  // namespace pcisplit::sim
