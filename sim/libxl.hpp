// SPDX-License-Identifier: GPL-2.0-only
// libxl's xenstore writes for PV PCI devices, in its order and transactions (libxl 4.17's
// libxl__device_pci_add_xenstore / libxl__device_pci_remove_xenstore; the lab's recording is
// test/data/libxl-pci-xenstore.log). The waits libxl does between steps (for the backend's state 4)
// are the caller's: the simulator is synchronous, so a test drives the other ends in between.
#pragma once

#include <functional>
#include <string>

#include "protocol/types.hpp"
#include "sim/xenstore.hpp"

namespace pcisplit::sim {

class Libxl {
 public:
  Libxl(Connection& dom0, DomId guest);

  std::string be_path() const { return be_; }
  std::string fe_path() const { return fe_; }

  // One device, one transaction: key-N, dev-N, opts-N, state-N=1 at N = num_devs, then num_devs+1.
  // The first device also creates the backend and frontend directories in that transaction. A device
  // added to a running guest (`starting` false, N > 0) also sets the backend's state to Reconfiguring.
  StoreStatus add_device(Bdf phys, bool starting, bool permissive = false);

  // Detach, first transaction: state-i=Closing and the backend's state=Reconfiguring, i being the
  // index whose dev-i names `phys`. not_found when no dev-i does.
  StoreStatus remove_begin(Bdf phys);
  // Detach, second transaction (after the backend is Connected again): removes the *-i keys, moves
  // every j > i down to j-1 and decrements num_devs. The last device removes both directories.
  StoreStatus remove_finish(Bdf phys);

  int index_of(Bdf phys);  // -1 if no dev-N names it
  int num_devs();

 private:
  StoreStatus commit_retrying(const std::function<void(TxId)>& body);

  Connection& xs_;
  DomId guest_;
  std::string be_, fe_;
};

std::string bdf_key(Bdf phys);  // "DDDD:BB:DD.F" as libxl writes dev-N

}  // namespace pcisplit::sim
