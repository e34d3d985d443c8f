// SPDX-License-Identifier: GPL-2.0-only
// `pcisplit demo`: the whole protocol in the simulator, step by step.
#pragma once

#include <functional>
#include <string>

namespace pcisplit::user {

using LspciRunner = std::function<std::string(const std::string& dump_text)>;

// Returns 0 when every step went as expected.
int run_demo(const std::string& data_dir, const LspciRunner& lspci);

}  // namespace pcisplit::user
