// SPDX-License-Identifier: GPL-2.0-only
// pcisplit: the userspace tool. Today: what a guest will see of a device (`view`, `guest-dump`).
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <unistd.h>

#include "frontend/user/cli.hpp"
#include "tools/pcisplit/demo.hpp"
#include "frontend/user/libxen.hpp"
#include "tools/pcisplit/simworld.hpp"
#include "tools/pcisplit/view.hpp"

using namespace pcisplit;
using namespace pcisplit::user;

namespace {

int usage() {
  std::fprintf(stderr,
               "usage: pcisplit --version\n"
               "       pcisplit view [--permissive] [--lspci] SOURCE...\n"
               "       pcisplit guest-dump [--permissive] SOURCE\n"
               "       pcisplit demo [--data DIR]\n"
               "       pcisplit --xen [--path device/pci/0] COMMAND   (in a PV guest: the real frontend)\n"
               "       pcisplit --sim [--data DIR] COMMAND            (a simulated guest with 3 devices)\n"
               "COMMAND: list | read BDF OFF WIDTH | write BDF OFF WIDTH VALUE | dump BDF |\n"
               "         msi enable BDF [NVEC] | msi disable BDF | msix enable BDF E[,E...] | msix disable BDF\n"
               "SOURCE is an lspci -xxxx dump file (see test/data/README.md) or --sysfs /sys/bus/pci/devices/BDF\n"
               "view:       hardware and guest config side by side, hidden capabilities, protected registers;\n"
               "            --lspci also decodes the guest view with the real `lspci -F -vv`\n"
               "guest-dump: the guest view in lspci -xxxx format (feed it to lspci -F)\n"
               "demo:       dom0 and a guest in the simulator: handshake, the guest's lspci, MSI-X,\n"
               "            hot-plug, unplug, AER with no guest handler (DIR: the dumps, default test/data)\n");
  return 2;
}

// Runs the real lspci on a guest-view dump; its output is the proof the view is well-formed.
std::string run_lspci(const std::string& dump_text) {
  char path[] = "/tmp/pcisplit-view-XXXXXX";
  const int fd = mkstemp(path);
  if (fd < 0) return "(cannot create a temporary file for lspci)\n";
  const bool wrote = write(fd, dump_text.data(), dump_text.size()) == static_cast<ssize_t>(dump_text.size());
  close(fd);
  std::string out;
  if (wrote) {
    const std::string cmd = std::string("lspci -F ") + path + " -vv 2>&1";
    FILE* p = popen(cmd.c_str(), "r");
    if (p != nullptr) {
      char buf[512];
      while (std::fgets(buf, sizeof buf, p) != nullptr) {
        if (std::strstr(buf, "libkmod") == nullptr) out += buf;  // lspci's noise about kernel modules
      }
      if (pclose(p) != 0) out += "(lspci failed)\n";
    } else {
      out = "(cannot run lspci)\n";
    }
  }
  unlink(path);
  return out;
}

struct Args {
  bool permissive = false;
  bool lspci = false;
  std::vector<std::pair<bool, std::string>> sources;  // (is_sysfs, path)
};

bool parse_args(int argc, char** argv, Args& args) {
  for (int i = 2; i < argc; ++i) {
    const std::string a = argv[i];
    if (a == "--permissive") args.permissive = true;
    else if (a == "--lspci") args.lspci = true;
    else if (a == "--sysfs" && i + 1 < argc) args.sources.emplace_back(true, argv[++i]);
    else if (!a.empty() && a[0] == '-') return false;
    else args.sources.emplace_back(false, a);
  }
  return !args.sources.empty();
}

std::unique_ptr<ViewedDevice> open_source(const std::pair<bool, std::string>& src, const Args& args) {
  std::string error;
  auto dump = src.first ? load_sysfs(src.second, error) : load_dump(src.second, error);
  if (!dump) {
    std::fprintf(stderr, "pcisplit: %s\n", error.c_str());
    return nullptr;
  }
  Policy policy;
  policy.permissive = args.permissive;
  auto dev = view_dump(*dump, policy, error);
  if (!dev) std::fprintf(stderr, "pcisplit: %s: cannot build the guest view: %s\n", src.second.c_str(), error.c_str());
  return dev;
}

int cmd_view(const Args& args) {
  int failures = 0;
  for (const auto& src : args.sources) {
    auto dev = open_source(src, args);
    if (!dev) {
      ++failures;
      continue;
    }
    const std::vector<uint8_t> guest = guest_bytes(dev->view);
    std::printf("==== %s\n     %s\n", src.second.c_str(), dev->dump.title.c_str());
    std::printf("%s", side_by_side(dev->dump.config, guest).c_str());
    std::printf("%s", describe_policy(dev->view).c_str());
    if (args.lspci) {
      std::printf("guest view decoded by lspci -F -vv:\n%s",
                  run_lspci(format_lspci(dev->dump.bdf, dev->dump.title, guest.data(), guest.size())).c_str());
    }
    std::printf("\n");
  }
  return failures == 0 ? 0 : 1;
}

int cmd_guest_dump(const Args& args) {
  if (args.sources.size() != 1) return usage();
  auto dev = open_source(args.sources[0], args);
  if (!dev) return 1;
  const std::vector<uint8_t> guest = guest_bytes(dev->view);
  std::printf("%s", format_lspci(dev->dump.bdf, dev->dump.title, guest.data(), guest.size()).c_str());
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) return usage();
  const std::string cmd = argv[1];
  if (cmd == "--version" && argc == 2) {
    std::printf("pcisplit %s\n", PCISPLIT_VERSION);
    return 0;
  }
  Args args;
  if (cmd == "view" && parse_args(argc, argv, args)) return cmd_view(args);
  if (cmd == "guest-dump" && parse_args(argc, argv, args)) return cmd_guest_dump(args);
  if (cmd == "--sim" || cmd == "--xen") {
    int i = 2;
    std::string data = "test/data", path = "device/pci/0";
    while (i + 1 < argc && (std::string(argv[i]) == "--data" || std::string(argv[i]) == "--path")) {
      (std::string(argv[i]) == "--data" ? data : path) = argv[i + 1];
      i += 2;
    }
    const std::vector<std::string> rest(argv + i, argv + argc);
    std::string error;
    if (cmd == "--sim") {
      SimWorld world;
      if (!world.boot(data, error)) {
        std::fprintf(stderr, "pcisplit: %s\n", error.c_str());
        return 1;
      }
      return run_command(*world.frontend, rest);
    }
    auto guest = open_libxen(error);
    if (!guest) {
      std::fprintf(stderr, "pcisplit: %s\n", error.c_str());
      return 1;
    }
    auto fe = connect_libxen(*guest, path, 10000, error);
    if (!fe) {
      std::fprintf(stderr, "pcisplit: %s\n", error.c_str());
      return 1;
    }
    const int rc = run_command(*fe, rest);
    fe->stop();
    return rc;
  }
  if (cmd == "demo") {
    std::string dir = "test/data";
    if (argc == 4 && std::string(argv[2]) == "--data") dir = argv[3];
    else if (argc != 2) return usage();
    return run_demo(dir, run_lspci);
  }
  return usage();
}
