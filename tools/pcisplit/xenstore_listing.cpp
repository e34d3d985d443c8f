// SPDX-License-Identifier: GPL-2.0-only
// A saved `xenstore-ls -f` listing read like the store, for pcisplit status --xenstore-ls. Apart from
// libxenstore so that the fuzzers, which have no Xen libraries, link it.
#include <fstream>
#include <map>
#include <set>
#include <sstream>

#include "protocol/types.hpp"
#include "tools/pcisplit/xenstore_reader.hpp"

namespace pcisplit::user {
namespace {

class ListingReader final : public XenstoreReader {
 public:
  std::map<std::string, std::string> nodes;
  std::map<std::string, std::set<std::string>> children;

  void add(const std::string& path, const std::string& value) {
    nodes[path] = value;
    // Every ancestor exists and lists the next component (xenstore-ls -f prints parents, but a listing
    // cut to a subtree may not).
    std::string p = path;
    for (size_t slash = p.rfind('/'); slash != std::string::npos && slash > 0; slash = p.rfind('/')) {
      const std::string parent = p.substr(0, slash);
      children[parent].insert(p.substr(slash + 1));
      if (nodes.count(parent) == 0) nodes[parent] = "";
      p = parent;
    }
  }
  std::optional<std::string> read(const std::string& path) override {
    auto it = nodes.find(path);
    if (it == nodes.end()) return std::nullopt;
    return it->second;
  }
  std::optional<std::vector<std::string>> list(const std::string& path) override {
    if (nodes.count(path) == 0) return std::nullopt;
    auto it = children.find(path);
    if (it == children.end()) return std::vector<std::string>{};
    return std::vector<std::string>(it->second.begin(), it->second.end());
  }
};

int octal(char c) { return c >= '0' && c <= '7' ? c - '0' : -1; }

// The quoted value of a listing line, unescaped; false when the quoting or an escape is malformed.
bool unquote(const std::string& s, std::string& out) {
  if (s.size() < 2 || s.front() != '"' || s.back() != '"') return false;
  out.clear();
  for (size_t i = 1; i + 1 < s.size(); ++i) {
    const char c = s[i];
    if (c == '"') return false;  // an unescaped quote inside: not one value
    if (c != '\\') {
      out += c;
      continue;
    }
    if (i + 2 >= s.size()) return false;
    const char e = s[++i];
    if (e == '\\' || e == '"' || e == '\'') out += e;
    else if (e == 'n') out += '\n';
    else if (e == 't') out += '\t';
    else if (e == 'r') out += '\r';
    else if (e == 'x' && i + 3 < s.size() && hex_digit(s[i + 1]) >= 0 && hex_digit(s[i + 2]) >= 0) {
      out += static_cast<char>(hex_digit(s[i + 1]) * 16 + hex_digit(s[i + 2]));
      i += 2;
    } else if (octal(e) >= 0 && i + 3 < s.size() && octal(s[i + 1]) >= 0 && octal(s[i + 2]) >= 0) {
      out += static_cast<char>(octal(e) * 64 + octal(s[i + 1]) * 8 + octal(s[i + 2]));
      i += 2;
    } else {
      return false;
    }
  }
  return true;
}

}  // namespace

std::unique_ptr<XenstoreReader> parse_xenstore_ls(const std::string& text, std::string& error) {
  auto r = std::make_unique<ListingReader>();
  std::istringstream in(text);
  std::string line;
  for (int lineno = 1; std::getline(in, line); ++lineno) {
    if (line.empty() || line[0] == '#') continue;
    const size_t eq = line.find(" = ");
    std::string value;
    const std::string path = eq == std::string::npos ? "" : line.substr(0, eq);
    if (path.size() < 2 || path[0] != '/' || path.back() == '/' || path.find("//") != std::string::npos ||
        path.find(' ') != std::string::npos || !unquote(line.substr(eq + 3), value)) {
      error = "line " + std::to_string(lineno) + ": expected `/path = \"value\"` (xenstore-ls -f output): " + line;
      return nullptr;
    }
    if (r->nodes.count(path) != 0 && !r->nodes[path].empty()) {
      error = "line " + std::to_string(lineno) + ": " + path + " listed twice";
      return nullptr;
    }
    r->add(path, value);
  }
  return r;
}

std::unique_ptr<XenstoreReader> load_xenstore_ls(const std::string& path, std::string& error) {
  std::ifstream f(path);
  if (!f) {
    error = path + ": cannot open";
    return nullptr;
  }
  std::stringstream ss;
  ss << f.rdbuf();
  auto r = parse_xenstore_ls(ss.str(), error);
  if (!r) error = path + ": " + error;
  return r;
}

}  // namespace pcisplit::user
