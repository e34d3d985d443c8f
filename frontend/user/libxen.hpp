// SPDX-License-Identifier: GPL-2.0-only
// The real transport for the userspace frontend inside a Xen guest: libxenstore for the Store seam,
// libxengnttab (gntshr) for the page and libxenevtchn for the channel.
#pragma once

#include <memory>
#include <string>

#include "frontend/frontend.hpp"

namespace pcisplit::user {

class LibxenGuest;
struct LibxenGuestDeleter {
  void operator()(LibxenGuest* g) const;
};
using LibxenGuestPtr = std::unique_ptr<LibxenGuest, LibxenGuestDeleter>;

// Opens the guest's xenstore, grant-sharing and event-channel devices. nullptr with a message when
// this is not a Xen guest (or the devices are not there / not ours).
LibxenGuestPtr open_libxen(std::string& error);

// Connects a FrontendInstance for `fe_path` (e.g. device/pci/0 under the guest's home) and waits,
// pumping xenstore watches, until Connected or `timeout_ms`. Returns the instance or nullptr + error.
std::unique_ptr<FrontendInstance> connect_libxen(LibxenGuest& guest, const std::string& fe_path, uint32_t timeout_ms,
                                                 std::string& error);

}  // namespace pcisplit::user
