// SPDX-License-Identifier: GPL-2.0-only
// Read-only xenstore for pcisplit status over libxenstore (the saved listing: xenstore_listing.cpp).
#include "tools/pcisplit/xenstore_reader.hpp"

#include <cerrno>
#include <cstdlib>
#include <cstring>

extern "C" {
#include <xenstore.h>
}

namespace pcisplit::user {
namespace {

class LibxenstoreReader final : public XenstoreReader {
 public:
  explicit LibxenstoreReader(xs_handle* xs) : xs_(xs) {}
  ~LibxenstoreReader() override { xs_close(xs_); }

  std::optional<std::string> read(const std::string& path) override {
    unsigned len = 0;
    void* v = xs_read(xs_, XBT_NULL, path.c_str(), &len);
    if (v == nullptr) return failed(path);
    std::string out(static_cast<const char*>(v), len);
    std::free(v);
    return out;
  }
  std::optional<std::vector<std::string>> list(const std::string& path) override {
    unsigned n = 0;
    char** names = xs_directory(xs_, XBT_NULL, path.c_str(), &n);
    if (names == nullptr) return failed(path);
    std::vector<std::string> out(names, names + n);
    std::free(names);
    return out;
  }

 private:
  // "No such node" is an answer; anything else is remembered for the report.
  std::nullopt_t failed(const std::string& path) {
    if (errno != ENOENT && failure_.empty()) failure_ = "xenstore: " + path + ": " + std::strerror(errno);
    return std::nullopt;
  }
  xs_handle* xs_;
};

}  // namespace

std::unique_ptr<XenstoreReader> open_xenstore(std::string& error) {
  xs_handle* xs = xs_open(XS_OPEN_READONLY);
  if (xs == nullptr) {
    error = std::string("cannot open xenstore (") + std::strerror(errno) + "): run it as root in dom0";
    return nullptr;
  }
  return std::make_unique<LibxenstoreReader>(xs);
}

}  // namespace pcisplit::user
