// SPDX-License-Identifier: GPL-2.0-only
// pcisplit status: pciback's functions, their owners and how each is doing, read only.
//
// The module knows the functions and its own counters; libxl's backend directories know who owns
// each and at which guest address; the function's sysfs knows its interrupts. Nothing here writes,
// and nothing is guessed: what cannot be read is said, and what no source exposes (the guests' PIRQs
// under the in-tree module) is named as such.
#include "tools/pcisplit/status.hpp"

#include <algorithm>
#include <cinttypes>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>

#include "protocol/xenstore.hpp"
#include "tools/pcisplit/dump.hpp"

namespace pcisplit::user {
namespace fs = std::filesystem;
namespace {

std::vector<std::string> lines_of(const std::string& text) {
  std::vector<std::string> out;
  std::istringstream in(text);
  std::string line;
  while (std::getline(in, line)) out.push_back(line);
  return out;
}

bool line_error(std::string& error, size_t index, const std::string& why, const std::string& line) {
  error = "line " + std::to_string(index + 1) + ": " + why + ": \"" + line + "\"";
  return false;
}

bool hex_digits(const std::string& s, size_t pos, size_t n) {
  if (pos + n > s.size()) return false;
  for (size_t i = 0; i < n; ++i) {
    if (hex_digit(s[pos + i]) < 0) return false;
  }
  return true;
}

// A decimal number that is the whole of `s`.
bool decimal(const std::string& s, uint64_t& out) {
  if (s.empty() || s.size() > 19) return false;
  out = 0;
  for (char c : s) {
    if (c < '0' || c > '9') return false;
    out = out * 10 + static_cast<uint64_t>(c - '0');
  }
  return true;
}

std::vector<std::string> split(const std::string& s, char sep) {
  std::vector<std::string> out;
  size_t start = 0;
  for (size_t at = s.find(sep); at != std::string::npos; at = s.find(sep, start)) {
    out.push_back(s.substr(start, at - start));
    start = at + 1;
  }
  out.push_back(s.substr(start));
  return out;
}

std::string trim(const std::string& s) {
  const size_t a = s.find_first_not_of(" \t\n");
  if (a == std::string::npos) return "";
  return s.substr(a, s.find_last_not_of(" \t\n") - a + 1);
}

bool read_file(const std::string& path, std::string& out) {
  std::ifstream f(path);
  if (!f) return false;
  std::stringstream ss;
  ss << f.rdbuf();
  out = ss.str();
  return !f.bad();
}

std::string key(const Bdf& b) { return bdf_name(b); }

// The "+N" that ends a denials or pirqs line (N more not listed), N at most `max`.
bool final_more(const std::string& token, uint64_t max, uint32_t& more) {
  uint64_t v = 0;
  if (token.size() < 2 || token[0] != '+' || !decimal(token.substr(1), v) || v > max) return false;
  more = static_cast<uint32_t>(v);
  return true;
}

}  // namespace

bool parse_bdf_lines(const std::string& text, std::vector<Bdf>& out, std::string& error) {
  std::vector<Bdf> got;
  const auto lines = lines_of(text);
  for (size_t i = 0; i < lines.size(); ++i) {
    Bdf b;
    if (!parse_pci_address(lines[i], b)) return line_error(error, i, "expected a PCI address DDDD:BB:DD.F", lines[i]);
    got.push_back(b);
  }
  out = got;
  return true;
}

bool parse_slots(const std::string& text, std::vector<std::string>& out, std::string& error) {
  std::vector<std::string> got;
  const auto lines = lines_of(text);
  for (size_t i = 0; i < lines.size(); ++i) {
    const std::string& l = lines[i];
    Bdf b;
    const bool bus = l.size() >= 11 && hex_digits(l, 0, 4) && l[4] == ':' && hex_digits(l, 5, 2) && l[7] == ':';
    const bool ok = parse_pci_address(l, b) ||
                    (bus && l.size() == 12 && hex_digits(l, 8, 2) && l.compare(10, 2, ".*") == 0) ||
                    (bus && l.size() == 11 && l.compare(8, 3, "*.*") == 0);
    if (!ok) return line_error(error, i, "expected DDDD:BB:DD.F, DDDD:BB:DD.* or DDDD:BB:*.*", l);
    got.push_back(l);
  }
  out = got;
  return true;
}

bool parse_irq_handlers(const std::string& text, std::vector<IrqHandler>& out, std::string& error) {
  std::vector<IrqHandler> got;
  const auto lines = lines_of(text);
  for (size_t i = 0; i < lines.size(); ++i) {
    const std::string& l = lines[i];
    IrqHandler h;
    const auto f = l.size() > 13 && l[12] == ':' ? split(l.substr(13), ':') : std::vector<std::string>{};
    uint64_t n = 0;
    if (!parse_pci_address(l.substr(0, 12), h.bdf) || f.size() != 3 || (f[0] != "on" && f[0] != "off") ||
        (f[1] != "acking" && f[1] != "not acking") || !decimal(f[2], n)) {
      return line_error(error, i, "expected DDDD:BB:DD.F:on|off:acking|not acking:COUNT", l);
    }
    h.on = f[0] == "on";
    h.acking = f[1] == "acking";
    h.handled = static_cast<int64_t>(n);
    got.push_back(h);
  }
  out = got;
  return true;
}

bool parse_denials(const std::string& text, std::vector<Denials>& out, std::string& error) {
  std::vector<Denials> got;
  const auto lines = lines_of(text);
  for (size_t i = 0; i < lines.size(); ++i) {
    const std::string& l = lines[i];
    const auto t = split(l, ' ');
    Denials d;
    auto bad = [&](const std::string& why) { return line_error(error, i, why, l); };
    if (t.size() < 2 || !parse_pci_address(t[0], d.bdf) || !decimal(t[1], d.total)) {
      return bad("expected DDDD:BB:DD.F TOTAL [OFF:COUNT]... [+N]");
    }
    for (size_t k = 2; k < t.size(); ++k) {
      uint64_t v;
      if (k + 1 == t.size() && final_more(t[k], UINT32_MAX, d.more)) break;
      const size_t colon = t[k].find(':');
      if (colon != 3 || !hex_digits(t[k], 0, 3) || !decimal(t[k].substr(4), v) || v > UINT32_MAX) {
        return bad("expected OFF:COUNT (hex offset, decimal count) or a final +N, not \"" + t[k] + "\"");
      }
      d.regs.emplace_back(static_cast<uint16_t>(std::stoul(t[k].substr(0, 3), nullptr, 16)), static_cast<uint32_t>(v));
    }
    got.push_back(d);
  }
  out = got;
  return true;
}

bool parse_pirqs(const std::string& text, std::vector<PirqReport>& out, std::string& error) {
  std::vector<PirqReport> got;
  const auto lines = lines_of(text);
  for (size_t i = 0; i < lines.size(); ++i) {
    const std::string& l = lines[i];
    const auto t = split(l, ' ');
    PirqReport r;
    uint64_t v = 0;
    auto bad = [&](const std::string& why) { return line_error(error, i, why, l); };
    if (t.size() < 3 || !parse_pci_address(t[0], r.bdf) || (t[1] != "none" && t[1] != "msi" && t[1] != "msix") ||
        !decimal(t[2], v) || v > UINT16_MAX) {
      return bad("expected DDDD:BB:DD.F none|msi|msix COUNT [PIRQ]... [+N]");
    }
    r.kind = t[1];
    r.count = static_cast<uint32_t>(v);
    for (size_t k = 3; k < t.size(); ++k) {
      if (k + 1 == t.size() && final_more(t[k], UINT16_MAX, r.more)) break;
      if (!decimal(t[k], v) || v > UINT32_MAX) return bad("expected a PIRQ or a final +N, not \"" + t[k] + "\"");
      r.pirqs.push_back(static_cast<uint32_t>(v));
    }
    // The count is what the listed PIRQs and +N add up to; "none" lists nothing.
    if (r.pirqs.size() + r.more != r.count || (r.kind == "none") != (r.count == 0)) {
      return bad("the PIRQs listed and +N do not add up to COUNT (or none with PIRQs, msi/msix without)");
    }
    got.push_back(r);
  }
  out = got;
  return true;
}

bool parse_resets(const std::string& text, std::vector<ResetReport>& out, std::string& error) {
  std::vector<ResetReport> got;
  const auto lines = lines_of(text);
  for (size_t i = 0; i < lines.size(); ++i) {
    const std::string& l = lines[i];
    auto bad = [&](const std::string& why) { return line_error(error, i, why, l); };
    const size_t bar = l.find(" |");
    if (bar == std::string::npos) return bad("no \" |\" before the methods not used");
    ResetReport r;
    r.why_not = trim(l.substr(bar + 2));
    const std::string head = l.substr(0, bar);
    // The DEAD(...) reason may hold spaces: it is the tail.
    std::string fields = head;
    const size_t dead = head.find(" DEAD(");
    if (dead != std::string::npos) {
      if (head.back() != ')') return bad("DEAD( without its closing parenthesis");
      r.dead = head.substr(dead + 6, head.size() - dead - 7);
      fields = head.substr(0, dead);
    }
    const auto t = split(fields, ' ');
    size_t k = 1;
    auto take = [&](const char* name, std::string& value) {
      const std::string prefix = std::string(name) + "=";
      if (k >= t.size() || t[k].rfind(prefix, 0) != 0 || t[k].size() == prefix.size()) return false;
      value = t[k++].substr(prefix.size());
      return true;
    };
    std::string last, count;
    if (t.empty() || !parse_pci_address(t[0], r.bdf) || !take("method", r.method) || !take("last", last)) {
      return bad("expected DDDD:BB:DD.F method=M last=...");
    }
    if (last == "never") {
      r.last = last;
    } else {
      // RESULT(OCCASION,METHOD)
      const size_t open = last.find('('), comma = last.find(',');
      if (open == std::string::npos || comma == std::string::npos || comma < open || last.back() != ')') {
        return bad("expected last=never or last=RESULT(OCCASION,METHOD), not \"" + last + "\"");
      }
      r.last = last.substr(0, open);
      r.occasion = last.substr(open + 1, comma - open - 1);
      r.used = last.substr(comma + 1, last.size() - comma - 2);
      if (!take("at", r.at)) return bad("expected at=SECONDS after last=" + last);
    }
    uint64_t n;
    if (!take("count", count) || !decimal(count, n) || n > UINT32_MAX || k != t.size()) {
      return bad("expected count=N [DEAD(WHY)] before \" |\"");
    }
    r.count = static_cast<uint32_t>(n);
    got.push_back(r);
  }
  out = got;
  return true;
}

bool parse_quirks(const std::string& text, std::vector<QuirkBlock>& out, std::string& error) {
  std::vector<QuirkBlock> got;
  const auto lines = lines_of(text);
  for (size_t i = 0; i < lines.size(); ++i) {
    const std::string& l = lines[i];
    Bdf b;
    if (l.rfind("\t\t", 0) == 0) {
      if (got.empty() || l.size() != 21 || !hex_digits(l, 2, 8) || l[10] != ':' || !hex_digits(l, 11, 1) ||
          l[12] != ':' || !hex_digits(l, 13, 8)) {
        return line_error(error, i, "expected \\t\\tREG:SIZE:MASK (%08x:%01x:%08x) under a function", l);
      }
      got.back().fields.push_back(l.substr(2));
    } else if (l.rfind("\t", 0) == 0) {
      if (got.empty() || l.size() != 20 || !hex_digits(l, 1, 4) || l[5] != ':' || !hex_digits(l, 6, 4) ||
          l[10] != ':' || !hex_digits(l, 11, 4) || l[15] != ':' || !hex_digits(l, 16, 4)) {
        return line_error(error, i, "expected \\tVVVV:DDDD:SVVV:SDDD under a function", l);
      }
      got.back().ids = l.substr(1);
    } else if (parse_pci_address(l, b) && l.size() == 7) {
      got.push_back({b.bus, b.devfn, "", {}});
    } else {
      return line_error(error, i, "expected a function BB:DD.F", l);
    }
  }
  out = got;
  return true;
}

namespace {

// One guest's claim on a function, from libxl's backend directory.
struct Owner {
  uint32_t domid = 0;
  std::string name;        // libxl's "domain" node, or the domain's own name
  bool gone = false;       // no /local/domain/DOMID: the directory is left behind
  std::string be_state;
  uint32_t index = 0;      // N of dev-N
  std::string vdev;        // the guest's address, empty: not exported
  std::string dev_state;
  std::string dev_error;   // error-N, our backend's refusal
  bool guest_permissive = false;
};

class Report {
 public:
  Report(const StatusOptions& o, std::string& out, std::vector<std::string>& errors)
      : o_(o), out_(out), errors_(errors) {}

  bool run() {
    const std::string drv = path("sys/bus/pci/drivers/pciback");
    std::error_code ec;
    if (!fs::is_directory(drv, ec)) {
      errors_.push_back("pciback is not loaded: " + drv +
                        " does not exist (in a Xen dom0: modprobe xen-pciback)");
      return false;
    }
    ours_ = fs::exists(drv + "/denials", ec) || fs::exists(drv + "/resets", ec);
    heading(drv);
    bound_ = functions(drv);
    if (o_.xs != nullptr) owners();
    std::vector<Bdf> show = bound_;
    if (!o_.only.empty()) {
      show.clear();
      for (const Bdf& b : o_.only) {
        if (std::find(bound_.begin(), bound_.end(), b) != bound_.end()) {
          show.push_back(b);
        } else {
          const std::string d = driver_of(b);
          errors_.push_back(bdf_name(b) + ": not bound to pciback (" + (d.empty() ? "no driver" : "driver " + d) + ")");
        }
      }
    }
    if (bound_.empty()) out_ += "no functions bound to pciback\n";
    for (const Bdf& b : show) function(b);
    return true;
  }

 private:
  std::string path(const std::string& rel) const {
    std::string r = o_.root;
    while (r.size() > 1 && r.back() == '/') r.pop_back();
    return (r == "/" || r.empty() ? "" : r) + "/" + rel;
  }

  // Reads an attribute of the driver; `optional` ones may be absent (the in-tree module's missing
  // attributes), the rest must be there.
  template <typename T, typename Parse>
  bool attribute(const std::string& name, Parse parse, T& out, bool required = true) {
    const std::string p = path("sys/bus/pci/drivers/pciback/" + name);
    std::string text, why;
    if (!read_file(p, text)) {
      if (required) errors_.push_back(p + ": cannot read");
      return false;
    }
    if (!parse(text, out, why)) {
      errors_.push_back(p + ": " + why + (ours_ ? " (a module of another version? pcisplit " + o_.tool_version + ")" : ""));
      return false;
    }
    return true;
  }

  std::string read_trimmed(const std::string& p) {
    std::string s;
    return read_file(p, s) ? trim(s) : "";
  }

  void heading(const std::string& drv) {
    const std::string version = read_trimmed(path("sys/module/xen_pciback/version"));
    if (ours_) {
      out_ += "pciback: xen-pcisplit's xen-pciback " + (version.empty() ? "(no version: built in?)" : version);
      if (!version.empty() && version != o_.tool_version) {
        out_ += " (this pcisplit is " + o_.tool_version + ": the formats read here may differ)";
      }
      out_ += "\n";
    } else {
      out_ += "pciback: Linux's in-tree xen-pciback" + (version.empty() ? "" : " " + version) +
              ": it has slots, permissive, allow_interrupt_control, quirks and\n"
              "         irq_handlers; denials and resets come with xen-pcisplit's module\n";
    }
    const std::string pt = read_trimmed(path("sys/module/xen_pciback/parameters/passthrough"));
    const std::string perm = read_trimmed(path("sys/module/xen_pciback/parameters/permissive"));
    module_permissive_ = perm == "Y" || perm == "1";
    out_ += "mode:    ";
    if (pt == "Y" || pt == "1") out_ += "passthrough (guests see the real addresses)";
    else if (pt == "N" || pt == "0") out_ += "vpci (guests see one virtual bus)";
    else out_ += "unknown (" + path("sys/module/xen_pciback/parameters/passthrough") + " unreadable)";
    out_ += "; module-wide permissive: " + std::string(perm.empty() ? "unknown" : module_permissive_ ? "yes" : "no") + "\n";
    std::vector<std::string> slots;
    out_ += "slots:  ";
    if (attribute("slots", parse_slots, slots)) {
      for (const auto& s : slots) out_ += " " + s;
      if (slots.empty()) out_ += " none";
    } else {
      out_ += " (unreadable)";
    }
    out_ += "\n";
    out_ += "owners:  " + (o_.xs != nullptr ? std::string("from xenstore (libxl's backend/pci directories)")
                                            : "not looked up (" + o_.no_xs_why + ")") + "\n";
    attribute("permissive", parse_bdf_lines, permissive_);
    attribute("allow_interrupt_control", parse_bdf_lines, aic_);
    attribute("quirks", parse_quirks, quirks_);
    have_irq_ = attribute("irq_handlers", parse_irq_handlers, irq_);
    if (ours_) {
      have_denials_ = attribute("denials", parse_denials, denials_);
      // A module from before the pirqs attribute: said per function, not an error.
      std::error_code pec;
      have_pirqs_ = attribute("pirqs", parse_pirqs, pirqs_, fs::exists(drv + "/pirqs", pec));
      // A module from before the reset work has no resets: said per function, not an error.
      std::error_code ec;
      have_resets_ = attribute("resets", parse_resets, resets_, fs::exists(drv + "/resets", ec));
    }
  }

  std::vector<Bdf> functions(const std::string& drv) {
    std::vector<Bdf> out;
    std::error_code ec;
    for (const auto& e : fs::directory_iterator(drv, ec)) {
      Bdf b;
      const std::string n = e.path().filename().string();
      if (n.size() == 12 && parse_pci_address(n, b)) out.push_back(b);
    }
    if (ec) errors_.push_back(drv + ": cannot list (" + ec.message() + ")");
    std::sort(out.begin(), out.end(), [](const Bdf& a, const Bdf& b) { return key(a) < key(b); });
    return out;
  }

  std::string driver_of(const Bdf& b) {
    std::error_code ec;
    const fs::path link = fs::read_symlink(path("sys/bus/pci/devices/" + bdf_name(b) + "/driver"), ec);
    return ec ? "" : link.filename().string();
  }

  void xs_error(const std::string& p, const std::string& value, const Text& diag) {
    errors_.push_back("xenstore " + p + ": \"" + value + "\": " + diag.c_str());
  }

  void owners() {
    XenstoreReader& xs = *o_.xs;
    const std::string be_root = "/local/domain/0/backend/pci";
    const auto domids = xs.list(be_root);
    for (const std::string& d : domids.value_or(std::vector<std::string>{})) {
      uint64_t domid;
      if (!decimal(d, domid) || domid > 0x7fef) {
        errors_.push_back("xenstore " + be_root + "/" + d + ": not a domain id");
        continue;
      }
      const auto alive = xs.read("/local/domain/" + d + "/name");
      for (const std::string& devid : xs.list(be_root + "/" + d).value_or(std::vector<std::string>{})) {
        const std::string be = be_root + "/" + d + "/" + devid;
        Text diag;
        const auto num = xs.read(be + "/num_devs");
        uint32_t n = 0;
        if (!num) continue;  // libxl has not written it yet: nothing assigned here
        if (!xs::parse_count("num_devs", num->c_str(), xs::kMaxDevs, n, diag)) {
          xs_error(be + "/num_devs", *num, diag);
          continue;
        }
        Owner base;
        base.domid = static_cast<uint32_t>(domid);
        base.gone = !alive.has_value();
        base.name = xs.read(be + "/domain").value_or(alive.value_or(""));
        const auto st = xs.read(be + "/state");
        xs::State s;
        if (st && xs::parse_state("state", st->c_str(), s, diag)) base.be_state = xs::state_name(s);
        else if (st) xs_error(be + "/state", *st, diag);
        for (uint32_t i = 0; i < n; ++i) {
          const std::string N = std::to_string(i);
          const auto dev = xs.read(be + "/dev-" + N);
          Bdf b;
          if (!dev) continue;  // libxl renumbering right now
          if (!xs::parse_dev("dev", dev->c_str(), b, diag)) {
            xs_error(be + "/dev-" + N, *dev, diag);
            continue;
          }
          Owner o = base;
          o.index = i;
          if (const auto v = xs.read(be + "/vdev-" + N)) {
            Bdf vb;
            if (xs::parse_vdev("vdev", v->c_str(), vb, diag)) o.vdev = bdf_name(vb);
            else xs_error(be + "/vdev-" + N, *v, diag);
          }
          if (const auto ds = xs.read(be + "/state-" + N)) {
            if (xs::parse_state("state", ds->c_str(), s, diag)) o.dev_state = xs::state_name(s);
            else xs_error(be + "/state-" + N, *ds, diag);
          }
          o.dev_error = xs.read(be + "/error-" + N).value_or("");
          if (const auto op = xs.read(be + "/opts-" + N)) {
            xs::DevOpts opts;
            if (xs::parse_opts("opts", op->c_str(), opts, diag)) o.guest_permissive = opts.permissive;
            else xs_error(be + "/opts-" + N, *op, diag);
          }
          owners_[key(b)].push_back(o);
        }
      }
    }
    if (!xs.failure().empty()) errors_.push_back(xs.failure());
  }

  void line(const char* label, const std::string& text) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "  %-12s", label);
    out_ += buf + text + "\n";
  }

  template <typename T>
  const T* find(const std::vector<T>& v, const Bdf& b) {
    for (const T& x : v) {
      if (x.bdf == b) return &x;
    }
    return nullptr;
  }

  // The PIRQs the guest was given for MSI/MSI-X (the module's pirqs); INTx's is dom0's IRQ, which
  // libxl maps for a PV guest, shown on the INTx line.
  std::string guest_pirqs(const Bdf& b) {
    if (!ours_) return "the guest's PIRQs: not exposed by the in-tree pciback";
    std::error_code ec;
    if (!have_pirqs_) {
      return fs::exists(path("sys/bus/pci/drivers/pciback/pirqs"), ec) ? "the guest's PIRQs: pirqs unreadable"
                                                                       : "the guest's PIRQs: not reported by this version of the module";
    }
    const PirqReport* r = find(pirqs_, b);
    if (r == nullptr) return "the guest's PIRQs: not listed in pirqs";
    if (r->kind == "none") return "no MSI/MSI-X PIRQs given to a guest";
    std::string t = std::string("the guest's ") + (r->kind == "msix" ? "MSI-X" : "MSI") + (r->count == 1 ? " PIRQ" : " PIRQs");
    for (uint32_t p : r->pirqs) t += " " + std::to_string(p);
    if (r->more != 0) t += " and " + std::to_string(r->more) + " more";
    return t;
  }

  void function(const Bdf& b) {
    const std::string dev = path("sys/bus/pci/devices/" + bdf_name(b));
    auto must = [&](const std::string& name) {
      std::string v;
      if (!read_file(dev + "/" + name, v)) {
        errors_.push_back(dev + "/" + name + ": cannot read");
        return std::string("?");
      }
      return trim(v);
    };
    auto bare = [](const std::string& hexv) { return hexv.rfind("0x", 0) == 0 ? hexv.substr(2) : hexv; };
    out_ += bdf_name(b) + " " + bare(must("vendor")) + ":" + bare(must("device")) + " class " + bare(must("class")) + "\n";

    // Owner(s).
    if (o_.xs == nullptr) {
      line("owner:", "not looked up (" + o_.no_xs_why + ")");
    } else if (owners_.count(key(b)) == 0) {
      line("owner:", "none: no guest's backend directory lists it (assignable)");
    } else {
      for (const Owner& o : owners_[key(b)]) {
        std::string t = "domain " + std::to_string(o.domid) + (o.name.empty() ? "" : " \"" + o.name + "\"");
        if (o.gone) {
          t += " is gone; its backend directory (dev-" + std::to_string(o.index) + ") is left behind";
        } else {
          t += ", guest address " + (o.vdev.empty() ? "none yet (no vdev-" + std::to_string(o.index) + ": not exported)" : o.vdev);
          t += " (dev-" + std::to_string(o.index);
          if (!o.dev_state.empty()) t += " " + o.dev_state;
          if (!o.be_state.empty()) t += ", backend " + o.be_state;
          t += ")";
          if (o.guest_permissive) t += ", guest option permissive=1";
          if (!o.dev_error.empty()) t += ", error-" + std::to_string(o.index) + ": \"" + o.dev_error + "\"";
        }
        line("owner:", t);
      }
    }

    // Admin flags.
    const bool perm = std::find(permissive_.begin(), permissive_.end(), b) != permissive_.end();
    const bool aic = std::find(aic_.begin(), aic_.end(), b) != aic_.end();
    std::string q;
    for (const QuirkBlock& qb : quirks_) {
      if (qb.bus == b.bus && qb.devfn == b.devfn) {
        for (const auto& f : qb.fields) q += " " + f;
      }
    }
    line("flags:", std::string("permissive ") + (perm ? "yes" : module_permissive_ ? "yes (module-wide)" : "no") +
                       "; allow_interrupt_control " + (aic ? "yes" : "no") + "; quirks" +
                       (q.empty() ? " none" : q + " (REG:SIZE:MASK)"));

    // Interrupts: MSI/MSI-X from the function's msi_irqs (present only while enabled), INTx from
    // pciback's fake handler; the guest's PIRQs are Xen's and nothing in dom0 lists them.
    std::vector<std::pair<uint64_t, std::string>> vectors;
    std::error_code ec;
    if (fs::is_directory(dev + "/msi_irqs", ec)) {
      for (const auto& e : fs::directory_iterator(dev + "/msi_irqs", ec)) {
        uint64_t irq;
        const std::string n = e.path().filename().string();
        std::string kind;
        if (!decimal(n, irq)) continue;  // not an IRQ entry
        if (!read_file(e.path().string(), kind)) {
          errors_.push_back(e.path().string() + ": cannot read");
          continue;
        }
        kind = trim(kind);
        if (kind != "msi" && kind != "msix") errors_.push_back(e.path().string() + ": \"" + kind + "\", expected msi or msix");
        vectors.emplace_back(irq, kind);
      }
    }
    std::sort(vectors.begin(), vectors.end());
    const IrqHandler* h = have_irq_ ? find(irq_, b) : nullptr;
    std::string mode;
    if (!vectors.empty()) {
      mode = vectors[0].second == "msix" ? "MSI-X, " : "MSI, ";
      mode += std::to_string(vectors.size()) + (vectors.size() == 1 ? " vector (dom0 IRQ" : " vectors (dom0 IRQs");
      for (const auto& v : vectors) mode += " " + std::to_string(v.first);
      mode += ")";
    } else if (h != nullptr && h->on) {
      mode = "INTx (pciback's fake handler on)";
    } else {
      mode = "none enabled (no MSI or MSI-X; no INTx handler: the guest has not enabled the device)";
    }
    line("interrupts:", mode + "; " + guest_pirqs(b));
    std::string cfg;
    std::string intx;
    if (!read_file(dev + "/config", cfg) || cfg.size() < 64) {
      errors_.push_back(dev + "/config: cannot read its header");
      intx = "pin unknown";
    } else {
      const uint8_t pin = static_cast<uint8_t>(cfg[reg::PCI_INTERRUPT_PIN]);
      intx = pin == 0 ? "no pin" : pin <= 4 ? std::string("pin ") + static_cast<char>('A' + pin - 1) : "pin " + std::to_string(pin) + " (invalid)";
    }
    if (intx != "no pin") intx += ", dom0 IRQ " + must("irq");
    if (h != nullptr) {
      intx += "; fake handler " + std::string(h->on ? "on" : "off") + ", " + (h->acking ? "acking" : "not acking") + ", " +
              std::to_string(h->handled) + " handled";
    } else {
      intx += have_irq_ ? "; not listed in irq_handlers" : "; irq_handlers unreadable";
    }
    line("INTx:", intx);

    // Denials and resets: xen-pcisplit's module only.
    if (!ours_) {
      line("denials:", "not available (in-tree pciback)");
      line("reset:", "not available (in-tree pciback)");
      return;
    }
    const Denials* d = have_denials_ ? find(denials_, b) : nullptr;
    if (d == nullptr) {
      line("denials:", have_denials_ ? "not listed in denials" : "denials unreadable");
    } else {
      std::string t = std::to_string(d->total) + " refused guest writes since the last export";
      char buf[32];
      if (!d->regs.empty()) t += ", by register (OFF:COUNT):";
      for (const auto& [off, count] : d->regs) {
        std::snprintf(buf, sizeof buf, " %03x:%u", off, count);
        t += buf;
      }
      if (d->more != 0) t += " and " + std::to_string(d->more) + " more registers";
      line("denials:", t);
    }
    if (!have_resets_) {
      line("reset:", fs::exists(path("sys/bus/pci/drivers/pciback/resets")) ? "resets unreadable"
                                                                              : "not reported by this version of the module");
      return;
    }
    const ResetReport* r = find(resets_, b);
    if (r == nullptr) {
      line("reset:", "not listed in resets");
      return;
    }
    std::string t = "method " + r->method + "; last ";
    if (r->last == "never") t += "never";
    else t += r->last + " (" + r->occasion + ", " + r->used + ") at " + r->at + " s after boot";
    t += "; " + std::to_string(r->count) + " succeeded";
    if (!r->dead.empty()) t += "; DEAD: " + r->dead + " (refused to guests until bound again)";
    line("reset:", t);
    if (!r->why_not.empty()) line("", "not used: " + r->why_not);
  }

  const StatusOptions& o_;
  std::string& out_;
  std::vector<std::string>& errors_;
  bool ours_ = false;
  bool module_permissive_ = false;
  std::vector<Bdf> bound_;
  std::vector<Bdf> permissive_, aic_;
  std::vector<QuirkBlock> quirks_;
  std::vector<IrqHandler> irq_;
  std::vector<Denials> denials_;
  std::vector<ResetReport> resets_;
  std::vector<PirqReport> pirqs_;
  bool have_irq_ = false, have_denials_ = false, have_resets_ = false, have_pirqs_ = false;
  std::map<std::string, std::vector<Owner>> owners_;
};

}  // namespace

bool status_report(const StatusOptions& opts, std::string& out, std::vector<std::string>& errors) {
  return Report(opts, out, errors).run();
}

}  // namespace pcisplit::user
