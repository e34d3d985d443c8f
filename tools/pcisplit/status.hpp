// SPDX-License-Identifier: GPL-2.0-only
// `pcisplit status`: what pciback holds in this dom0, read only, from the module's sysfs attributes
// (docs/xen-pciback.md), the functions' own sysfs files and libxl's backend directories in xenstore.
#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "protocol/types.hpp"
#include "tools/pcisplit/xenstore_reader.hpp"

namespace pcisplit::user {

// The attributes' formats. Each parser takes the whole file and fails on the first line that does not
// fit, with "line N: ..." in `error`.

// permissive, allow_interrupt_control: one DDDD:BB:DD.F a line.
bool parse_bdf_lines(const std::string& text, std::vector<Bdf>& out, std::string& error);
// slots: DDDD:BB:DD.F, DDDD:BB:DD.* or DDDD:BB:*.* a line.
bool parse_slots(const std::string& text, std::vector<std::string>& out, std::string& error);

// irq_handlers: DDDD:BB:DD.F:on|off:acking|not acking:COUNT
struct IrqHandler {
  Bdf bdf;
  bool on = false;
  bool acking = false;
  int64_t handled = 0;
};
bool parse_irq_handlers(const std::string& text, std::vector<IrqHandler>& out, std::string& error);

// denials: DDDD:BB:DD.F TOTAL [OFF:COUNT]... [+N]
struct Denials {
  Bdf bdf;
  uint64_t total = 0;
  std::vector<std::pair<uint16_t, uint32_t>> regs;
  uint32_t more = 0;
};
bool parse_denials(const std::string& text, std::vector<Denials>& out, std::string& error);

// pirqs: DDDD:BB:DD.F none|msi|msix COUNT [PIRQ]... [+N] — the PIRQs the guest was given for MSI or
// MSI-X (COUNT vectors; the module lists at most 16 and counts the rest as +N).
struct PirqReport {
  Bdf bdf;
  std::string kind;  // none, msi, msix
  uint32_t count = 0;
  std::vector<uint32_t> pirqs;
  uint32_t more = 0;
};
bool parse_pirqs(const std::string& text, std::vector<PirqReport>& out, std::string& error);

// resets: DDDD:BB:DD.F method=M last=RESULT(OCCASION,M) at=SECONDS count=N [DEAD(WHY)] | M: WHY NOT; ...
// (last=never has no parenthesis and no at=).
struct ResetReport {
  Bdf bdf;
  std::string method;  // the next reset's
  std::string last;    // never, ok, none, errorE
  std::string occasion, used, at;
  uint32_t count = 0;
  std::string dead;     // empty, or why it did not come back
  std::string why_not;  // the text after '|'
};
bool parse_resets(const std::string& text, std::vector<ResetReport>& out, std::string& error);

// quirks: per function "BB:DD.F", "\tVVVV:DDDD:SVVV:SDDD", then "\t\tREG:SIZE:MASK" lines. No domain:
// the module prints none.
struct QuirkBlock {
  uint8_t bus = 0, devfn = 0;
  std::string ids;
  std::vector<std::string> fields;
};
bool parse_quirks(const std::string& text, std::vector<QuirkBlock>& out, std::string& error);

struct StatusOptions {
  std::string root = "/";          // prefix of /sys (a test's fake tree)
  XenstoreReader* xs = nullptr;    // nullptr: owners not looked up, for the reason in no_xs_why
  std::string no_xs_why;
  std::vector<Bdf> only;           // empty: every function bound to pciback
  std::string tool_version;        // compared with the module's
};

// The report on `out`; every file that is missing or does not parse, and every function asked for
// that pciback does not hold, goes to `errors` (the report still shows what could be read).
// False when pciback is not loaded (`errors` says so).
bool status_report(const StatusOptions& opts, std::string& out, std::vector<std::string>& errors);

}  // namespace pcisplit::user
