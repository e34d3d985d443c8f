// SPDX-License-Identifier: GPL-2.0-only
// Loading the recorded dumps once per fuzzing process.
#include "test/fuzz/fuzz_support.hpp"

#include <algorithm>
#include <dirent.h>

namespace pcisplit::fuzz {

const std::vector<NamedDump>& dumps() {
  static const std::vector<NamedDump> all = [] {
    std::vector<std::string> names;
    if (DIR* d = opendir(PCISPLIT_TEST_DATA)) {
      while (const dirent* e = readdir(d)) {
        const std::string n = e->d_name;
        if (n.size() > 6 && n.compare(n.size() - 6, 6, ".lspci") == 0) names.push_back(n);
      }
      closedir(d);
    }
    std::sort(names.begin(), names.end());
    std::vector<NamedDump> out;
    for (const std::string& n : names) {
      std::string error;
      auto d = user::load_dump(std::string(PCISPLIT_TEST_DATA) + "/" + n, error);
      if (!d) {
        fprintf(stderr, "fuzz: %s\n", error.c_str());
        abort();
      }
      out.push_back(NamedDump{n, std::move(*d)});
    }
    if (out.empty()) {
      fprintf(stderr, "fuzz: no dumps in %s\n", PCISPLIT_TEST_DATA);
      abort();
    }
    return out;
  }();
  return all;
}

}  // namespace pcisplit::fuzz
