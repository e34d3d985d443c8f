// SPDX-License-Identifier: GPL-2.0-only
// pcisplit: the userspace tool: what a guest will see of a device (`view`, `guest-dump`), a complete
// dump of one (`capture`), what pciback holds in dom0 (`status`), the demo and the guest commands.
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <sstream>
#include <string>
#include <unistd.h>

#include "frontend/user/cli.hpp"
#include "tools/pcisplit/capture.hpp"
#include "tools/pcisplit/demo.hpp"
#include "frontend/user/libxen.hpp"
#include "tools/pcisplit/simworld.hpp"
#include "tools/pcisplit/status.hpp"
#include "tools/pcisplit/view.hpp"

using namespace pcisplit;
using namespace pcisplit::user;

namespace {

int usage() {
  std::fprintf(stderr,
               "usage: pcisplit --version\n"
               "       pcisplit view [--permissive] [--lspci] SOURCE [--sizes LSPCI_VV]...\n"
               "       pcisplit guest-dump [--permissive] SOURCE [--sizes LSPCI_VV]\n"
               "       pcisplit capture [--root DIR] BDF...\n"
               "       pcisplit status [--root DIR] [--no-xenstore | --xenstore-ls FILE] [BDF...]\n"
               "       pcisplit demo [--data DIR]\n"
               "       pcisplit --xen [--path device/pci/0] COMMAND   (in a PV guest: the real frontend)\n"
               "       pcisplit --sim [--data DIR] COMMAND            (a simulated guest with 3 devices)\n"
               "COMMAND: list | read BDF OFF WIDTH | write BDF OFF WIDTH VALUE | dump BDF |\n"
               "         msi enable BDF [NVEC] | msi disable BDF | msix enable BDF E[,E...] | msix disable BDF\n"
               "SOURCE is a dump file (lspci -xxxx format, one or more functions; see pcisplit(1)) or\n"
               "       --sysfs /sys/bus/pci/devices/BDF; --sizes gives the BAR sizes of a plain dump from the\n"
               "       same function's `lspci -vv` text\n"
               "view:       hardware and guest config side by side, hidden capabilities, protected registers;\n"
               "            --lspci also decodes the guest view with the real `lspci -F -vv`\n"
               "guest-dump: the guest view in lspci -xxxx format (feed it to lspci -F)\n"
               "capture:    a function's dump with its BAR sizes and IRQ from sysfs (as root), for view\n"
               "status:     in dom0, the functions pciback holds: owner, guest address, flags, interrupts,\n"
               "            denials, resets (read only; --root DIR reads DIR/sys instead of /sys)\n"
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

struct Source {
  bool sysfs = false;
  std::string path;
  std::string sizes;  // --sizes: the same function's lspci -vv text
};

struct Args {
  bool permissive = false;
  bool lspci = false;
  std::vector<Source> sources;
};

bool parse_args(int argc, char** argv, Args& args) {
  for (int i = 2; i < argc; ++i) {
    const std::string a = argv[i];
    if (a == "--permissive") args.permissive = true;
    else if (a == "--lspci") args.lspci = true;
    else if (a == "--sysfs" && i + 1 < argc) args.sources.push_back({true, argv[++i], ""});
    else if (a == "--sizes" && i + 1 < argc) {
      // It belongs to the dump before it; sysfs has the sizes itself.
      if (args.sources.empty() || args.sources.back().sysfs || !args.sources.back().sizes.empty()) {
        std::fprintf(stderr, "pcisplit: --sizes %s must follow the dump file it gives sizes for\n", argv[i + 1]);
        return false;
      }
      args.sources.back().sizes = argv[++i];
    } else if (!a.empty() && a[0] == '-') return false;
    else args.sources.push_back({false, a, ""});
  }
  return !args.sources.empty();
}

// A source's functions with their guest views; one line on stderr per failure (`failures` counts).
std::vector<std::pair<std::string, std::unique_ptr<ViewedDevice>>> open_source(const Source& src, const Args& args,
                                                                               int& failures) {
  std::vector<std::pair<std::string, std::unique_ptr<ViewedDevice>>> out;
  std::string error;
  std::vector<Dump> dumps;
  if (src.sysfs) {
    auto d = load_sysfs(src.path, error);
    if (d) dumps.push_back(std::move(*d));
  } else if (auto all = load_dumps(src.path, error)) {
    dumps = std::move(*all);
  }
  if (dumps.empty()) {
    std::fprintf(stderr, "pcisplit: %s\n", error.c_str());
    ++failures;
    return out;
  }
  if (!src.sizes.empty()) {
    std::ifstream f(src.sizes);
    std::stringstream text;
    if (f) text << f.rdbuf();
    auto vv = f ? parse_lspci_vv(text.str(), error) : std::nullopt;
    if (!f) error = "cannot open";
    if (!vv) {
      std::fprintf(stderr, "pcisplit: %s: %s\n", src.sizes.c_str(), error.c_str());
      ++failures;
      return out;
    }
    for (Dump& d : dumps) {
      const VerboseDevice* match = nullptr;
      std::string have;
      for (const VerboseDevice& v : *vv) {
        if (v.bdf == d.bdf) match = &v;
        have += ' ';  // two appends: g++-12's -Wrestrict misfires on " " + string here
        have += bdf_name(v.bdf);
      }
      if (match == nullptr) {
        std::fprintf(stderr, "pcisplit: %s: no lspci -vv lines for %s (it has:%s)\n", src.sizes.c_str(),
                     bdf_name(d.bdf).c_str(), have.c_str());
        ++failures;
        return out;
      }
      if (!apply_verbose(d, match->v, src.sizes, error)) {
        std::fprintf(stderr, "pcisplit: %s\n", error.c_str());
        ++failures;
        return out;
      }
    }
  }
  for (Dump& d : dumps) {
    const std::string label = dumps.size() > 1 ? src.path + " (" + bdf_name(d.bdf) + ")" : src.path;
    Policy policy;
    policy.permissive = args.permissive;
    auto dev = view_dump(d, policy, error);
    if (!dev) {
      std::fprintf(stderr, "pcisplit: %s: cannot build the guest view: %s\n", label.c_str(), error.c_str());
      ++failures;
      continue;
    }
    out.emplace_back(label, std::move(dev));
  }
  return out;
}

int cmd_view(const Args& args) {
  int failures = 0;
  for (const auto& src : args.sources) {
    for (auto& [label, dev] : open_source(src, args, failures)) {
      const GuestConfig guest = guest_config(*dev);
      std::printf("==== %s\n     %s\n     %s", label.c_str(), dev->dump.title.c_str(),
                  describe_sources(dev->dump).c_str());
      std::printf("%s", unknowns_note(dev->dump, "").c_str());
      std::printf("%s", side_by_side(dev->dump.config, guest.bytes, guest.unknown).c_str());
      std::printf("%s", describe_policy(dev->view, unknown_registers(dev->dump)).c_str());
      if (args.lspci) {
        std::printf("guest view decoded by lspci -F -vv:\n%s",
                    run_lspci(format_lspci(dev->dump.bdf, dev->dump.title, guest.bytes.data(), guest.bytes.size()))
                        .c_str());
      }
      std::printf("\n");
    }
  }
  return failures == 0 ? 0 : 1;
}

int cmd_guest_dump(const Args& args) {
  if (args.sources.size() != 1) return usage();
  int failures = 0;
  auto devs = open_source(args.sources[0], args, failures);
  if (failures != 0) return 1;
  if (devs.size() != 1) {
    std::fprintf(stderr, "pcisplit: %s holds %zu functions; guest-dump takes one\n", args.sources[0].path.c_str(),
                 devs.size());
    return 1;
  }
  ViewedDevice& dev = *devs[0].second;
  const GuestConfig guest = guest_config(dev);
  // lspci -F skips comment lines: the note travels with the dump it qualifies.
  std::printf("%s", unknowns_note(dev.dump, "# ").c_str());
  std::printf("%s", format_lspci(dev.dump.bdf, dev.dump.title, guest.bytes.data(), guest.bytes.size()).c_str());
  return 0;
}

// BDF arguments: DDDD:BB:DD.F or BB:DD.F (domain 0000).
bool parse_bdf_args(const std::vector<std::string>& words, std::vector<Bdf>& out) {
  for (const std::string& w : words) {
    Bdf b;
    if (!parse_pci_address(w, b)) {
      std::fprintf(stderr, "pcisplit: \"%s\" is not a PCI address (DDDD:BB:DD.F or BB:DD.F)\n", w.c_str());
      return false;
    }
    out.push_back(b);
  }
  return true;
}

int cmd_capture(int argc, char** argv) {
  CaptureOptions opts;
  opts.version = PCISPLIT_VERSION;
  std::vector<std::string> words;
  for (int i = 2; i < argc; ++i) {
    const std::string a = argv[i];
    if (a == "--root" && i + 1 < argc) opts.root = argv[++i];
    else if (!a.empty() && a[0] == '-') return usage();
    else words.push_back(a);
  }
  std::vector<Bdf> bdfs;
  if (words.empty() || !parse_bdf_args(words, bdfs)) return words.empty() ? usage() : 2;
  int failures = 0;
  bool first = true;
  for (const Bdf& b : bdfs) {
    std::string error;
    auto text = capture(opts, b, error);
    if (!text) {
      std::fprintf(stderr, "pcisplit: capture %s: %s\n", bdf_name(b).c_str(), error.c_str());
      ++failures;
      continue;
    }
    // lspci ends each function with an empty line; view reads the functions back one by one.
    std::printf("%s%s", first ? "" : "\n", text->c_str());
    first = false;
  }
  return failures == 0 ? 0 : 1;
}

int cmd_status(int argc, char** argv) {
  StatusOptions opts;
  opts.tool_version = PCISPLIT_VERSION;
  bool no_xs = false;
  std::string listing;
  std::vector<std::string> words;
  for (int i = 2; i < argc; ++i) {
    const std::string a = argv[i];
    if (a == "--root" && i + 1 < argc) opts.root = argv[++i];
    else if (a == "--no-xenstore") no_xs = true;
    else if (a == "--xenstore-ls" && i + 1 < argc) listing = argv[++i];
    else if (!a.empty() && a[0] == '-') return usage();
    else words.push_back(a);
  }
  if (no_xs && !listing.empty()) return usage();
  if (!parse_bdf_args(words, opts.only)) return 2;
  std::unique_ptr<XenstoreReader> xs;
  std::string error;
  bool xs_failed = false;
  if (no_xs) {
    opts.no_xs_why = "--no-xenstore";
  } else {
    xs = listing.empty() ? open_xenstore(error) : load_xenstore_ls(listing, error);
    if (!xs) {
      // The module's own view still helps; the missing owners are said on every function.
      opts.no_xs_why = error;
      xs_failed = true;
    }
  }
  opts.xs = xs.get();
  std::string out;
  std::vector<std::string> errors;
  const bool loaded = status_report(opts, out, errors);
  std::printf("%s", out.c_str());
  if (xs_failed && loaded) std::fprintf(stderr, "pcisplit: status: %s\n", error.c_str());
  for (const std::string& e : errors) std::fprintf(stderr, "pcisplit: status: %s\n", e.c_str());
  return loaded && errors.empty() && !xs_failed ? 0 : 1;
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
  if (cmd == "capture") return cmd_capture(argc, argv);
  if (cmd == "status") return cmd_status(argc, argv);
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
