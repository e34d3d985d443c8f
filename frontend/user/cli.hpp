// SPDX-License-Identifier: GPL-2.0-only
// The pcisplit guest commands over a connected frontend: list, read, write, dump, msi, msix.
#pragma once

#include <string>
#include <vector>

#include "frontend/frontend.hpp"

namespace pcisplit::user {

// A whole config space read dword by dword through the frontend (256 bytes if the 4 KiB one stops).
std::vector<uint8_t> read_config(FrontendInstance& fe, Bdf dev, unsigned& ops);

// Runs one command (args[0] is its name); prints its result; 0 on success, 1 on an error from the
// backend, 2 on a usage error.
int run_command(FrontendInstance& fe, const std::vector<std::string>& args);

}  // namespace pcisplit::user
