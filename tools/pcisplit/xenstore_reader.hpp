// SPDX-License-Identifier: GPL-2.0-only
// xenstore, read only, as `pcisplit status` needs it: dom0's live store over libxenstore, or a saved
// `xenstore-ls -f` listing (a bug report's, or a test's).
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace pcisplit::user {

class XenstoreReader {
 public:
  virtual ~XenstoreReader() = default;
  // The value at `path`; nullopt when there is no such node, or when the read failed (then
  // failure() says why).
  virtual std::optional<std::string> read(const std::string& path) = 0;
  // The names of `path`'s children; nullopt as for read().
  virtual std::optional<std::vector<std::string>> list(const std::string& path) = 0;
  // The first failure other than "no such node" (permission, a dead connection), or empty.
  const std::string& failure() const { return failure_; }

 protected:
  std::string failure_;
};

// dom0's xenstore over libxenstore. nullptr with `error` when it cannot be opened.
std::unique_ptr<XenstoreReader> open_xenstore(std::string& error);

// The output of `xenstore-ls -f [PATH]`: lines `/path = "value"` (values escaped as xenstore-ls does).
// Every other line is an error naming its number.
std::unique_ptr<XenstoreReader> parse_xenstore_ls(const std::string& text, std::string& error);
std::unique_ptr<XenstoreReader> load_xenstore_ls(const std::string& path, std::string& error);

}  // namespace pcisplit::user
