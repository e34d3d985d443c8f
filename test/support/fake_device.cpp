// SPDX-License-Identifier: GPL-2.0-only
// Listing the recorded dumps.
#include "support/fake_device.hpp"

#include <algorithm>
#include <dirent.h>

namespace pcisplit::test {

std::vector<std::string> all_dumps() {
  std::vector<std::string> names;
  if (DIR* d = opendir(PCISPLIT_TEST_DATA)) {
    while (const dirent* e = readdir(d)) {
      const std::string n = e->d_name;
      if (n.size() > 6 && n.compare(n.size() - 6, 6, ".lspci") == 0) names.push_back(n);
    }
    closedir(d);
  }
  std::sort(names.begin(), names.end());
  return names;
}

}  // namespace pcisplit::test
