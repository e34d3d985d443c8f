// SPDX-License-Identifier: GPL-2.0-only
// `pcisplit capture`: a function's dump with what config space cannot say (the sysfs resource file's
// BAR and ROM sizes, dom0's IRQ), ready for `pcisplit view`, a bug report or test/data.
#pragma once

#include <optional>
#include <string>

#include "protocol/types.hpp"

namespace pcisplit::user {

struct CaptureOptions {
  std::string root = "/";   // prefix of /sys (a test's fake tree)
  std::string version;      // the tool's, written into the provenance line
};

// The dump of one function: a provenance line, "# driver", "# resource N ..." (the resource file's
// lines as they are), "# irq N", then `lspci -xxxx` rows under "DDDD:BB:DD.F TITLE". The title is
// lspci's (`lspci -D -s BDF`) on the live system, else built from sysfs ids. nullopt with `error`
// naming the file when one is missing or malformed, or when config is short (not root).
std::optional<std::string> capture(const CaptureOptions& opts, const Bdf& bdf, std::string& error);

}  // namespace pcisplit::user
