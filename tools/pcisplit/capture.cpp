// SPDX-License-Identifier: GPL-2.0-only
// pcisplit capture: what test/data/capture-host.sh does by hand, with every file checked.
#include "tools/pcisplit/capture.hpp"

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <sys/utsname.h>

#include "tools/pcisplit/dump.hpp"

namespace pcisplit::user {
namespace {

std::string trimmed(const std::string& s) {
  const size_t a = s.find_first_not_of(" \t\n");
  return a == std::string::npos ? "" : s.substr(a, s.find_last_not_of(" \t\n") - a + 1);
}

std::string read_all(const std::string& path, bool& ok) {
  std::ifstream f(path);
  std::stringstream ss;
  ok = static_cast<bool>(f);
  if (ok) ss << f.rdbuf();
  return ss.str();
}

// lspci's name for the function (the live system only: lspci reads the real /sys, not a root's).
std::string lspci_title(const Bdf& bdf) {
  // The address is ours (formatted from a Bdf), so the command line holds nothing from the user.
  const std::string cmd = "lspci -D -s " + bdf_name(bdf) + " 2>/dev/null";
  FILE* p = popen(cmd.c_str(), "r");
  if (p == nullptr) return "";
  char buf[512];
  std::string line;
  if (std::fgets(buf, sizeof buf, p) != nullptr) line = buf;
  pclose(p);
  line = trimmed(line);
  const std::string prefix = bdf_name(bdf) + " ";
  return line.rfind(prefix, 0) == 0 ? line.substr(prefix.size()) : "";
}

}  // namespace

std::optional<std::string> capture(const CaptureOptions& opts, const Bdf& bdf, std::string& error) {
  std::string root = opts.root;
  while (root.size() > 1 && root.back() == '/') root.pop_back();
  const bool live = root == "/" || root.empty();
  const std::string dir = (live ? "" : root) + "/sys/bus/pci/devices/" + bdf_name(bdf);
  std::error_code ec;
  if (!std::filesystem::is_directory(dir, ec)) {
    error = dir + ": no such function";
    return std::nullopt;
  }
  // load_sysfs checks config (whole space), resource and irq; the text written is then exactly what
  // was checked, read again below for the resource lines as they are.
  auto dump = load_sysfs(dir, error);
  if (!dump) return std::nullopt;
  bool ok;
  const std::string resource = read_all(dir + "/resource", ok);
  if (!ok) {
    error = dir + "/resource: cannot open";
    return std::nullopt;
  }
  std::string title = live ? lspci_title(bdf) : "";
  if (title.empty()) {
    const std::string v = trimmed(read_all(dir + "/vendor", ok)), d = trimmed(read_all(dir + "/device", ok)),
                      c = trimmed(read_all(dir + "/class", ok));
    auto bare = [](const std::string& s) { return s.rfind("0x", 0) == 0 ? s.substr(2) : s; };
    title = "Device " + bare(v) + ":" + bare(d) + " (class " + bare(c) + ")";
  }
  std::string out = "# " + bdf_name(bdf) + ": captured by pcisplit capture " + opts.version + " from " + dir;
  if (live) {
    utsname u;
    if (uname(&u) == 0) out += std::string(" on Linux ") + u.release;
  }
  out += " (sysfs config, resource, irq)\n";
  const std::filesystem::path drv = std::filesystem::read_symlink(dir + "/driver", ec);
  out += "# driver " + (ec ? std::string("(none)") : drv.filename().string()) + "\n";
  std::istringstream in(resource);
  std::string line;
  for (unsigned i = 0; std::getline(in, line); ++i) out += "# resource " + std::to_string(i) + " " + line + "\n";
  out += "# irq " + std::to_string(dump->info.irq) + "\n";
  out += format_lspci(bdf, title, dump->config.data(), dump->config.size(), true);
  return out;
}

}  // namespace pcisplit::user
